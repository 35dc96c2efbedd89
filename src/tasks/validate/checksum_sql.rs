//! The SQL that checksums a table's rows inside each database, by key range: every value
//! written the same way on both sides (canonical text), hashed and XORed per range.

use super::*;

/// The text of a column inside PostgreSQL or MySQL/MariaDB (`engine`) that both spell alike,
/// as cheaply as the engine allows, or None when they cannot be made to spell it alike. `raw`
/// is the quoted column (None for a computed column), `canonical` its canonical-text
/// expression ([`select_expr`]); `charset` the MySQL column's character set. Values the two
/// engines spell differently although equal (decimals of another scale, a MySQL zero date
/// loaded as NULL...) only make their range differ: it is then compared row by row.
pub(super) fn checksum_value(
    engine: Engine,
    raw: Option<&str>,
    canonical: &str,
    from: Kind,
    to: Kind,
    charset: Option<&str>,
    // The source column keeps fractional seconds.
    fraction: bool,
) -> Option<String> {
    use Kind::*;
    // MySQL spells TIME(3) '00:00:00.000', PostgreSQL '00:00:00': compared by reading.
    if fraction && from == Time {
        return None;
    }
    let mysql = engine != Engine::Postgres;
    let Some(raw) = raw else {
        return matches!(
            (from, to),
            (Integer, Integer) | (Text, Text) | (Decimal, Decimal) | (Date, Date) | (Bool, Bool)
        )
        .then(|| canonical.to_string());
    };
    Some(match (from, to) {
        // MySQL zero dates are loaded as NULL (or fail the table).
        (Date, Date) if mysql => format!("NULLIF({raw}, '0000-00-00')"),
        (Timestamp | TimestampTz, Timestamp | TimestampTz) if mysql => {
            format!("NULLIF({canonical}, '0000-00-00 00:00:00.000000')")
        }
        (Integer, Integer) | (Decimal, Decimal) | (Date, Date) | (Time, Time) => raw.to_string(),
        // Binary strings: no collation to mix, the bytes as they are (UTF-8 on both sides).
        (Text, Text) if mysql => match charset.map(str::to_ascii_lowercase) {
            Some(c) if !c.starts_with("utf8") && c != "ascii" && c != "binary" => {
                format!("CAST(CONVERT({raw} USING utf8mb4) AS BINARY)")
            }
            _ => format!("CAST({raw} AS BINARY)"),
        },
        // `::text` drops char(n)'s padding, as MySQL does.
        (Text, Text) => format!("{raw}::text"),
        (Bool, Bool) if mysql => raw.to_string(),
        (Binary, Binary) if mysql => format!("LOWER(HEX({raw}))"),
        (Binary, Binary) => format!("encode({raw}, 'hex')"),
        (Bool, Bool) | (Timestamp | TimestampTz, Timestamp | TimestampTz) => canonical.to_string(),
        _ => return None,
    })
}

/// Per key range (`(key - lo) / width`): the count and the XOR of every row's hash (the first
/// 60 bits of the MD5 of its values joined by U+001F, NULL spelled U+001E), as SQL for
/// `engine`. `exprs` are the column texts and whether each may be NULL.
pub(super) fn checksum_sql(
    engine: Engine,
    table: &str,
    filter: &str,
    key: &str,
    exprs: &[(String, bool)],
    lo: i128,
    width: i128,
) -> String {
    let parts: Vec<String> = exprs
        .iter()
        .map(|(e, nullable)| {
            if !*nullable {
                e.clone()
            } else if engine == Engine::Postgres {
                format!("coalesce(({e})::text, E'\\x1e')")
            } else {
                format!("COALESCE({e}, X'1E')")
            }
        })
        .collect();
    if engine == Engine::Postgres {
        format!(
            "SELECT ((({key})::bigint - {lo}) / {width})::text, count(*)::text, bit_xor(('x' || substr(md5(concat_ws(E'\\x1f', {})), 1, 15))::bit(60)::bigint)::text FROM {table}{filter} GROUP BY 1",
            parts.join(", ")
        )
    } else {
        format!(
            "SELECT CAST((CAST({key} AS SIGNED) - {lo}) DIV {width} AS CHAR), CAST(COUNT(*) AS CHAR), CAST(BIT_XOR(CAST(CONV(SUBSTRING(MD5(CONCAT_WS(X'1F', {})), 1, 15), 16, 10) AS UNSIGNED)) AS CHAR) FROM {table}{filter} GROUP BY 1",
            parts.join(", ")
        )
    }
}
