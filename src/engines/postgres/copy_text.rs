//! PostgreSQL's COPY text format (`COPY ... TO STDOUT`): a row per line, values apart by
//! tabs, `\N` for NULL, backslash escapes. Rows read this way are parsed into values
//! ([`copy_text_row`]), or passed on as lines ([`Lines`]) to a target that reads the same text:
//! PostgreSQL as it is, MySQL's LOAD DATA once the two escapes it reads otherwise are undone
//! ([`for_load_data`]).

use crate::engines::rows::{CopyForm, Lines, RawRows, Rows};

/// One row of COPY's text format (`row`, without its newline) into `buf`: `n` values apart by
/// tabs, `\N` a NULL, backslash escapes undone (in `scratch`).
pub fn copy_text_row(
    row: &[u8],
    n: usize,
    buf: &mut RawRows,
    scratch: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    let mut fields = 0;
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\t', row).chain(std::iter::once(row.len()));
    for end in ends {
        let field = &row[start..end];
        start = end + 1;
        fields += 1;
        if fields > n {
            break;
        }
        if field == b"\\N" {
            buf.push_bytes(None);
        } else if memchr::memchr(b'\\', field).is_none() {
            buf.push_bytes(Some(field));
        } else {
            unescape_copy(field, scratch);
            buf.push_bytes(Some(scratch));
        }
    }
    if fields != n {
        return Err(format!("COPY sent a row of {fields} values, not {n}"));
    }
    Ok(())
}

/// A COPY text value with its backslash escapes undone, into `out`.
fn unescape_copy(v: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < v.len() {
        let b = v[i];
        i += 1;
        if b != b'\\' || i == v.len() {
            out.push(b);
            continue;
        }
        let e = v[i];
        i += 1;
        match e {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut x = u32::from(e - b'0');
                for _ in 0..2 {
                    match v.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            x = x * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(x as u8);
            }
            b'x' => {
                let mut x = 0u32;
                let mut digits = 0;
                while digits < 2 {
                    match v.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            x = x * 16 + d;
                            i += 1;
                            digits += 1;
                        }
                        None => break,
                    }
                }
                if digits == 0 {
                    out.push(b'x');
                } else {
                    out.push(x as u8);
                }
            }
            other => out.push(other),
        }
    }
}

/// The rows of `lines` parsed into values (for a writer that takes values, or to hash them).
pub fn lines_to_rows(lines: &Lines) -> Result<Rows, String> {
    if lines.form != CopyForm::Text {
        return Err("binary COPY rows are not text".into());
    }
    let mut buf = RawRows::with_room(lines.width, lines.rows, lines.bytes.len());
    let mut scratch = vec![];
    for line in lines.bytes.split(|&b| b == b'\n') {
        if buf.len() < lines.rows {
            copy_text_row(line, lines.width, &mut buf, &mut scratch)?;
        }
    }
    if buf.len() != lines.rows {
        return Err(format!("{} lines held {} rows", lines.rows, buf.len()));
    }
    buf.finish()
}

/// COPY text lines as MySQL's LOAD DATA (`FIELDS TERMINATED BY '\t' ESCAPED BY '\\'`) reads
/// the same values: both read `\N`, `\\`, `\t`, `\n`, `\r` and `\b` alike, but LOAD DATA
/// reads `\f` and `\v` as the letters: those two become the characters themselves (neither
/// ends a field or a line there). PostgreSQL writes no other escape.
pub fn for_load_data(lines: Vec<u8>) -> Vec<u8> {
    let needs = memchr::memmem::find(&lines, b"\\f").is_some()
        || memchr::memmem::find(&lines, b"\\v").is_some();
    if !needs {
        return lines;
    }
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let b = lines[i];
        if b == b'\\' && i + 1 < lines.len() {
            match lines[i + 1] {
                b'f' => out.push(12),
                b'v' => out.push(11),
                e => {
                    out.push(b);
                    out.push(e);
                }
            }
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::rows::{CopyForm, Lines};

    #[test]
    fn copy_text_rows_come_back_as_sent() -> Result<(), String> {
        let mut buf = RawRows::new(4, 2);
        let mut scratch = vec![];
        copy_text_row(
            b"tab\\there\\nnew \\\\ \\b\\f\\v\\r\\101\\x42\\\\N\t\\N\t\t\xF0\x9F\x9A\xA2",
            4,
            &mut buf,
            &mut scratch,
        )?;
        let rows = buf.finish()?;
        assert_eq!(
            rows.row_vec(0),
            vec![
                Some("tab\there\nnew \\ \u{8}\u{c}\u{b}\rAB\\N".to_string()),
                None,
                Some(String::new()),
                Some("🚢".to_string()),
            ]
        );
        let mut short = RawRows::new(3, 1);
        assert!(copy_text_row(b"a\tb", 3, &mut short, &mut scratch).is_err());
        Ok(())
    }

    #[test]
    fn lines_parse_into_the_rows_they_hold() -> Result<(), String> {
        let lines = Lines {
            width: 2,
            bytes: b"1\ta\\tb\n2\t\\N\n".to_vec(),
            rows: 2,
            form: CopyForm::Text,
        };
        let rows = lines_to_rows(&lines)?;
        assert_eq!(
            rows.into_vecs(),
            vec![
                vec![Some("1".to_string()), Some("a\tb".to_string())],
                vec![Some("2".to_string()), None]
            ]
        );
        let short = Lines { rows: 3, ..lines };
        assert!(lines_to_rows(&short).is_err(), "a line missing is an error");
        Ok(())
    }

    #[test]
    fn load_data_gets_form_feeds_and_vertical_tabs_as_characters() {
        // PostgreSQL's \\ stays (a backslash), so "\\\\f" is a backslash and an f.
        let pg = b"a\\fb\tc\\vd\t\\\\f\t\\N\t\\t\n".to_vec();
        assert_eq!(
            for_load_data(pg),
            b"a\x0cb\tc\x0bd\t\\\\f\t\\N\t\\t\n".to_vec()
        );
        let plain = b"1\tplain\n".to_vec();
        assert_eq!(for_load_data(plain.clone()), plain);
    }
}
