//! Quantities as people read them (sizes in KiB, MiB, GiB): for every client (the CLI's reports,
//! the app, log lines of the engine), low in the crate so that none of them imports another.

/// Bytes as KiB / MiB / GiB.
pub fn human_bytes(b: i64) -> String {
    let b = b as f64;
    match b {
        b if b >= 1024.0 * 1024.0 * 1024.0 => format!("{:.1} GiB", b / 1024.0 / 1024.0 / 1024.0),
        b if b >= 1024.0 * 1024.0 => format!("{:.1} MiB", b / 1024.0 / 1024.0),
        b if b >= 1024.0 => format!("{:.0} KiB", b / 1024.0),
        b => format!("{b} B"),
    }
}

/// `n` rows, said in words: "1 row", "2 rows".
pub fn rows(n: u64) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

/// "differs" after one row, "differ" after more.
pub fn differ(n: u64) -> &'static str {
    if n == 1 { "differs" } else { "differ" }
}
