//! Small SQL text utilities shared by discovery and DDL reading: declared-type parsing, keyword
//! search outside quotes, parenthesis matching, top-level comma splitting, quoted lists and
//! identifier unquoting; and the one owner of quoting: [`quoted_ident`] for identifiers and
//! [`string_literal`] for string literals (the engines and dialects choose the quote and the
//! escapes; `tests/it/layers.rs` fails on quotes doubled by hand anywhere else).

use crate::model::DataType;

/// Parses a declared type such as `decimal(10,2) unsigned`, `character varying(40)[]`,
/// `timestamp(3) with time zone` or `NVARCHAR(160)` into a [`DataType`] (name lower-cased,
/// parameters split out). Enum and set values are parsed from `enum('a','b')`.
pub fn parse_declared_type(declared: &str) -> DataType {
    let declared = declared.trim();
    // SQL Server scripts quote type names: "int", [nvarchar](40), [dbo].[Flag].
    let unquoted;
    let declared = if declared.starts_with('"') || declared.starts_with('[') {
        let close = if declared.starts_with('[') { ']' } else { '"' };
        match declared[1..].find(close) {
            Some(e) => {
                let name = &declared[1..1 + e];
                let rest = &declared[e + 2..];
                // [dbo].[Type]: a user type; keep its last part.
                if let Some(r) = rest.strip_prefix('.') {
                    unquoted = unquote_ident(r.trim());
                } else {
                    unquoted = format!("{name}{rest}");
                }
                unquoted.as_str()
            }
            None => declared,
        }
    } else {
        declared
    };
    let mut t = DataType {
        declared: declared.to_string(),
        ..Default::default()
    };
    let mut rest = declared.to_string();
    while let Some(stripped) = rest.trim_end().strip_suffix("[]") {
        t.array_dims += 1;
        rest = stripped.to_string();
    }
    let lower = rest.to_ascii_lowercase();
    // Split "name(args) suffix".
    let (name, args, suffix) = match lower.find('(') {
        Some(open) => {
            let close = matching_paren(&rest, open).unwrap_or(rest.len());
            let args = rest[open + 1..close.min(rest.len())].to_string();
            let suffix = if close < rest.len() {
                lower[close + 1..].trim().to_string()
            } else {
                String::new()
            };
            (lower[..open].trim().to_string(), Some(args), suffix)
        }
        None => {
            // `smallint unsigned`, `double precision`, `int unsigned zerofill`
            let mut w: Vec<&str> = lower.split_whitespace().collect();
            let first_modifier = w
                .iter()
                .position(|x| matches!(*x, "unsigned" | "zerofill" | "signed"))
                .unwrap_or(w.len());
            let suffix = w.split_off(first_modifier).join(" ");
            (w.join(" "), None, suffix)
        }
    };
    let mut words: Vec<&str> = suffix.split_whitespace().collect();
    t.unsigned = words.contains(&"unsigned");
    t.zerofill = words.contains(&"zerofill");
    words.retain(|w| !matches!(*w, "unsigned" | "zerofill" | "signed"));
    let name = if words.is_empty() {
        name
    } else {
        format!("{name} {}", words.join(" "))
    };
    t.name = name.clone();
    if let Some(args) = args {
        if name == "enum" || name == "set" {
            t.values = parse_quoted_list(&args);
        } else {
            let nums: Vec<Option<u64>> = args
                .split(',')
                .map(|a| {
                    a.split_whitespace()
                        .next()
                        .and_then(|n| n.parse::<u64>().ok())
                })
                .collect();
            let base = name.split_whitespace().next().unwrap_or_default();
            match (base, nums.as_slice()) {
                (
                    "numeric" | "decimal" | "dec" | "number" | "fixed" | "float" | "double"
                    | "real",
                    [p, s],
                ) => {
                    t.precision = p.map(|v| v as u32);
                    t.scale = s.map(|v| v as u32);
                }
                ("numeric" | "decimal" | "dec" | "number" | "fixed", [p]) => {
                    t.precision = p.map(|v| v as u32);
                    t.scale = Some(0);
                }
                ("float", [p]) => t.precision = p.map(|v| v as u32),
                (
                    "timestamp" | "time" | "datetime" | "datetime2" | "datetimeoffset" | "interval"
                    | "timetz" | "timestamptz",
                    [p],
                ) => t.fractional_seconds = p.map(|v| v as u32),
                (_, [n]) => t.length = *n,
                _ => {}
            }
        }
    }
    t
}

/// Byte position of keyword `kw` (upper case) in `upper` (an upper-cased SQL text) as a whole
/// word, outside quotes, searching from `from`.
pub fn find_keyword(upper: &str, kw: &str, from: usize) -> Option<usize> {
    let bytes = upper.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => {
                if matches!(b, b'\'' | b'"' | b'`') {
                    quote = Some(b);
                } else if b == b'[' {
                    quote = Some(b']');
                } else if upper[i..].starts_with(kw)
                    && (i == 0 || !is_word(bytes[i - 1]))
                    && bytes.get(i + kw.len()).is_none_or(|b| !is_word(*b))
                {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

/// Index of the `)` matching the `(` at `open`, skipping quoted text.
pub fn matching_paren(s: &str, open: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' | b'`' => quote = Some(b),
                b'[' => quote = Some(b']'),
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// Splits `a, f(b, c), 'x,y'` at top-level commas.
pub fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = vec![];
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '[' => quote = Some(']'),
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(cur.trim().to_string());
                    cur.clear();
                    continue;
                }
                _ => {}
            },
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        parts.push(cur.trim().to_string());
    }
    parts
}

/// Parses `'a','b''c'` into `["a", "b'c"]`.
pub fn parse_quoted_list(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut v = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    v.push('\'');
                }
                '\'' => break,
                '\\' => v.extend(chars.next()),
                _ => v.push(c),
            }
        }
        out.push(v);
    }
    out
}

/// Removes one pair of identifier quotes (`"x"`, `` `x` ``, `[x]`).
pub fn unquote_ident(s: &str) -> String {
    let s = s.trim();
    for (a, b) in [('"', '"'), ('`', '`'), ('[', ']')] {
        if s.len() >= 2 && s.starts_with(a) && s.ends_with(b) {
            let inner = &s[1..s.len() - 1];
            return if a == b {
                inner.replace(&format!("{a}{a}"), &a.to_string())
            } else {
                inner.to_string()
            };
        }
    }
    s.to_string()
}

/// The quote an identifier takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentQuote {
    /// `"name"`: standard SQL, PostgreSQL, SQLite.
    Double,
    /// `` `name` ``: MySQL and MariaDB.
    Backtick,
}

/// `name` between `q`s, the quote doubled inside.
pub fn quoted_ident(name: &str, q: IdentQuote) -> String {
    let (c, twice) = match q {
        IdentQuote::Double => ('"', "\"\""),
        IdentQuote::Backtick => ('`', "``"),
    };
    let mut out = String::with_capacity(name.len() + 2);
    out.push(c);
    push_escaped(&mut out, name, |b| (b == c as u8).then_some(twice));
    out.push(c);
    out
}

/// How a dialect reads the inside of a string literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escapes {
    /// Only a quote is special (doubled): PostgreSQL (standard_conforming_strings), SQLite,
    /// Oracle, SQL Server.
    Standard,
    /// A backslash starts an escape too, and a NUL is spelled `\0`: MySQL and MariaDB.
    Backslash,
}

/// `s` as a string literal.
pub fn string_literal(s: &str, e: Escapes) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_string_literal(&mut out, s, e);
    out
}

/// [`string_literal`] appended to `out`.
pub fn push_string_literal(out: &mut String, s: &str, e: Escapes) {
    let backslash = e == Escapes::Backslash;
    out.reserve(s.len() + 2);
    out.push('\'');
    push_escaped(out, s, |b| match b {
        b'\'' => Some("''"),
        b'\\' if backslash => Some("\\\\"),
        0 if backslash => Some("\\0"),
        _ => None,
    });
    out.push('\'');
}

/// `v` appended to `out` with each byte `esc` names replaced by its text (ASCII bytes only:
/// the rest of a UTF-8 sequence is copied as it is).
pub fn push_escaped(out: &mut String, v: &str, esc: impl Fn(u8) -> Option<&'static str>) {
    let mut start = 0;
    for (i, b) in v.bytes().enumerate() {
        if let Some(e) = esc(b) {
            out.push_str(&v[start..i]);
            out.push_str(e);
            start = i + 1;
        }
    }
    out.push_str(&v[start..]);
}

/// [`push_escaped`] into bytes.
pub fn push_escaped_bytes(out: &mut Vec<u8>, v: &str, esc: impl Fn(u8) -> Option<&'static str>) {
    let mut start = 0;
    for (i, b) in v.bytes().enumerate() {
        if let Some(e) = esc(b) {
            out.extend_from_slice(&v.as_bytes()[start..i]);
            out.extend_from_slice(e.as_bytes());
            start = i + 1;
        }
    }
    out.extend_from_slice(&v.as_bytes()[start..]);
}

/// `v` as a field of a tab-separated bulk load with backslash escapes (PostgreSQL's COPY text,
/// MySQL's LOAD DATA): backslash, tab, newline and carriage return escaped, and with `nul` a
/// NUL byte as `\0` (LOAD DATA; PostgreSQL text holds none). Most values need no escape: one
/// pass the compiler vectorises, then a copy.
pub fn push_tab_field(out: &mut Vec<u8>, v: &str, nul: bool) {
    if !v
        .as_bytes()
        .iter()
        .fold(false, |any, &b| any | (b == b'\\') | (b < b' '))
    {
        out.extend_from_slice(v.as_bytes());
        return;
    }
    push_escaped_bytes(out, v, |b| match b {
        b'\\' => Some("\\\\"),
        b'\t' => Some("\\t"),
        b'\n' => Some("\\n"),
        b'\r' => Some("\\r"),
        0 if nul => Some("\\0"),
        _ => None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_declared_types() {
        let t = parse_declared_type("decimal(10,2) unsigned");
        assert_eq!(
            (t.name.as_str(), t.precision, t.scale, t.unsigned),
            ("decimal", Some(10), Some(2), true)
        );
        let t = parse_declared_type("character varying(40)[]");
        assert_eq!(
            (t.name.as_str(), t.length, t.array_dims),
            ("character varying", Some(40), 1)
        );
        let t = parse_declared_type("timestamp(3) with time zone");
        assert_eq!(
            (t.name.as_str(), t.fractional_seconds),
            ("timestamp with time zone", Some(3))
        );
        let t = parse_declared_type("enum('G','PG','it''s')");
        assert_eq!(t.values, vec!["G", "PG", "it's"]);
        let t = parse_declared_type("NVARCHAR(160)");
        assert_eq!((t.name.as_str(), t.length), ("nvarchar", Some(160)));
        let t = parse_declared_type("\"smallint\"");
        assert_eq!(t.name, "smallint");
        let t = parse_declared_type("[nvarchar](40)");
        assert_eq!((t.name.as_str(), t.length), ("nvarchar", Some(40)));
        let t = parse_declared_type("tinyint(1)");
        assert_eq!((t.name.as_str(), t.length), ("tinyint", Some(1)));
    }

    #[test]
    fn splits_and_unquotes() {
        assert_eq!(
            split_top_level("a, lower(b, c), 'x,y'"),
            vec!["a", "lower(b, c)", "'x,y'"]
        );
        assert_eq!(unquote_ident("[Album Id]"), "Album Id");
        assert_eq!(unquote_ident("\"a\"\"b\""), "a\"b");
    }

    #[test]
    fn identifiers_and_literals_are_quoted_in_one_place() {
        assert_eq!(quoted_ident("a\"b", IdentQuote::Double), "\"a\"\"b\"");
        assert_eq!(quoted_ident("a`b", IdentQuote::Backtick), "`a``b`");
        assert_eq!(quoted_ident("é\"", IdentQuote::Double), "\"é\"\"\"");
        assert_eq!(string_literal("it's", Escapes::Standard), "'it''s'");
        assert_eq!(string_literal("a\\b", Escapes::Standard), "'a\\b'");
        assert_eq!(
            string_literal("a\\b'\0", Escapes::Backslash),
            "'a\\\\b''\\0'"
        );
        assert_eq!(
            unquote_ident(&quoted_ident("x\"y", IdentQuote::Double)),
            "x\"y"
        );
        assert_eq!(
            unquote_ident(&quoted_ident("x`y", IdentQuote::Backtick)),
            "x`y"
        );
    }
}
