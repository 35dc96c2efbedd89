//! PostgreSQL's binary COPY format (`COPY ... FROM STDIN (FORMAT binary)`): which target column
//! types Tugboat encodes itself, and the encoding of each from the value's text.
//!
//! With the text format PostgreSQL parses every value (`date_in`, `numeric_in`, `int4in`...):
//! on the TPC-H load that was a sixth of the whole machine's CPU, more than Tugboat's own share
//! of it (docs/benchmarks.md). In the binary format it only copies bytes. A table is loaded in
//! binary when every one of its target columns has a type named here; otherwise in text.
//!
//! Each encoder accepts what PostgreSQL's text input of the type accepts from the sources'
//! canonical forms, and refuses what it refuses, with PostgreSQL's words: an invalid date such
//! as 2021-02-30 (MySQL with ALLOW_INVALID_DATES can hold one) is an error, never a day moved,
//! an integer outside the column's range is an error, a float that overflows is an error.
//! Numerics keep their scale (`12.50` stays `12.50`); the column's own precision and scale are
//! applied by PostgreSQL as for text.

mod datetime;
mod numeric;

use crate::engines::values::Kind;
use datetime::{date, timestamp};
use numeric::{fit_scale, numeric};

/// The file header: signature, flags, header extension length.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The file trailer: a field count of -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// How the values of one target column are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinType {
    Int2,
    Int4,
    Int8,
    /// With the column's scale, when it has one: a value of fewer decimals is sent with that
    /// scale, as PostgreSQL would store it (`12.5` into numeric(10,2) as `12.50`).
    Numeric(Option<u16>),
    Date,
    /// text, varchar, bpchar without a length and enum labels: the UTF-8 bytes.
    Text,
    /// character(n): the UTF-8 bytes, padded with spaces to n characters as PostgreSQL would
    /// store them (a value that ends with a space is sent as it is).
    Char(u32),
    Json,
    Jsonb,
    Bool,
    /// timestamp and timestamp with time zone: microseconds since 2000-01-01 (UTC: the values
    /// of a time-zone column come in UTC).
    Timestamp,
    Float4,
    Float8,
    /// The value travels as hex digits; its bytes are sent.
    Bytea,
    /// Its 16 bytes, from any text PostgreSQL's uuid input takes.
    Uuid,
}

impl BinType {
    /// The encoding for a target column of PostgreSQL type `oid` and type modifier `typmod`
    /// (a domain's base type and modifier; enum types are `is_enum`) of kind `kind` filled
    /// from a source column of kind `from` (dates, booleans and timestamps only from columns
    /// of their kind, whose values come in one canonical form). `typed_source`: the values come
    /// from a source whose columns hold only their declared type (MySQL, PostgreSQL), so dates
    /// and booleans arrive in one canonical form; a SQLite column can hold any text. None: the
    /// column needs the text format.
    pub fn for_column(
        (oid, typmod): (u32, i32),
        is_enum: bool,
        (from, kind): (Kind, Kind),
        typed_source: bool,
    ) -> Option<BinType> {
        use BinType::*;
        // (Both modifiers count the 4 bytes of a varlena's header; numeric's holds the
        // precision above the scale, in 11 bits that may be negative: no decimals to add then.)
        let t = match oid {
            21 => Int2,
            23 => Int4,
            20 => Int8,
            1700 => Numeric(
                (typmod >= 4 && (typmod - 4) & 0x400 == 0).then(|| ((typmod - 4) & 0x3FF) as u16),
            ),
            1082 => Date,
            1042 if typmod > 4 => Char((typmod - 4) as u32),
            25 | 1043 | 1042 => Text,
            114 => Json,
            3802 => Jsonb,
            16 => Bool,
            1114 | 1184 => Timestamp,
            700 => Float4,
            701 => Float8,
            17 => Bytea,
            2950 => Uuid,
            _ if is_enum => Text,
            _ => return None,
        };
        let fits = match t {
            Int2 | Int4 | Int8 => kind == Kind::Integer,
            Numeric(_) => kind == Kind::Decimal,
            Date => kind == Kind::Date && from == Kind::Date && typed_source,
            Text | Char(_) => matches!(kind, Kind::Text | Kind::Char),
            Json | Jsonb => kind == Kind::Json,
            Bool => kind == Kind::Bool && from == Kind::Bool && typed_source,
            Timestamp => {
                typed_source
                    && matches!(from, Kind::Timestamp | Kind::TimestampTz)
                    && kind
                        == if oid == 1184 {
                            Kind::TimestampTz
                        } else {
                            Kind::Timestamp
                        }
            }
            Float4 | Float8 => kind == Kind::Float,
            Bytea => kind == Kind::Binary,
            Uuid => kind == Kind::Text,
        };
        fits.then_some(t)
    }
}

/// A target column's type as its encoding is chosen by ([`BinType::for_column`]).
#[derive(Debug, Clone)]
pub struct ColumnType {
    pub name: String,
    /// The type (a domain's base type) and its modifier (the domain's).
    pub oid: u32,
    pub typmod: i32,
    pub is_enum: bool,
}

/// The columns of table `table` (quoted and qualified), in their order, from the catalog.
pub async fn column_types(
    pool: &sqlx::PgPool,
    table: &str,
) -> Result<Vec<ColumnType>, sqlx::Error> {
    let rows: Vec<(String, i64, i32, bool)> = sqlx::query_as(
        "SELECT a.attname::text, \
                (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)::int8, \
                CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, \
                t.typtype = 'e' \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
    )
    .bind(table)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, oid, typmod, is_enum)| ColumnType {
            name,
            // (An oid always fits; 0 would be no type with an encoding.)
            oid: u32::try_from(oid).unwrap_or(0),
            typmod,
            is_enum,
        })
        .collect())
}

/// Appends a row's field count.
pub fn push_row_head(out: &mut Vec<u8>, fields: usize) {
    out.extend_from_slice(&(fields as i16).to_be_bytes());
}

/// Appends a NULL field.
pub fn push_null(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i32).to_be_bytes());
}

/// Appends field `v` encoded as `t`; on an error nothing is appended.
pub fn push_value(out: &mut Vec<u8>, t: BinType, v: &str) -> Result<(), String> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    let r = match t {
        BinType::Int2 => int(v, i16::MIN.into(), i16::MAX.into(), "smallint")
            .map(|n| out.extend_from_slice(&(n as i16).to_be_bytes())),
        BinType::Int4 => int(v, i32::MIN.into(), i32::MAX.into(), "integer")
            .map(|n| out.extend_from_slice(&(n as i32).to_be_bytes())),
        BinType::Int8 => {
            int(v, i64::MIN, i64::MAX, "bigint").map(|n| out.extend_from_slice(&n.to_be_bytes()))
        }
        BinType::Numeric(scale) => numeric(v, out).map(|()| {
            if let Some(s) = scale {
                fit_scale(&mut out[start + 4..], s);
            }
        }),
        BinType::Date => date(v).map(|d| out.extend_from_slice(&d.to_be_bytes())),
        BinType::Text | BinType::Json => {
            out.extend_from_slice(v.as_bytes());
            Ok(())
        }
        BinType::Char(n) => {
            out.extend_from_slice(v.as_bytes());
            if !v.ends_with(' ') && v.len() < 4 * n as usize {
                let chars = v.chars().count();
                out.resize(out.len() + (n as usize).saturating_sub(chars), b' ');
            }
            Ok(())
        }
        BinType::Jsonb => {
            out.push(1);
            out.extend_from_slice(v.as_bytes());
            Ok(())
        }
        BinType::Bool => boolean(v).map(|b| out.push(b as u8)),
        BinType::Timestamp => timestamp(v).map(|t| out.extend_from_slice(&t.to_be_bytes())),
        BinType::Float4 => {
            float::<f32>(v, "real").map(|f| out.extend_from_slice(&f.to_bits().to_be_bytes()))
        }
        BinType::Float8 => float::<f64>(v, "double precision")
            .map(|f| out.extend_from_slice(&f.to_bits().to_be_bytes())),
        BinType::Bytea => unhex(v, out),
        BinType::Uuid => uuid(v, out),
    };
    match r {
        Ok(()) => {
            let len = (out.len() - start - 4) as i32;
            out[start..start + 4].copy_from_slice(&len.to_be_bytes());
            Ok(())
        }
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}

fn int(v: &str, min: i64, max: i64, name: &str) -> Result<i64, String> {
    // The usual form, read at once: an optional minus and at most 18 digits (cannot overflow).
    let b = v.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if !digits.is_empty() && digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
        let n = digits.iter().fold(0i64, |n, d| n * 10 + (d - b'0') as i64);
        let n = if neg { -n } else { n };
        return if (min..=max).contains(&n) {
            Ok(n)
        } else {
            Err(format!("value \"{v}\" is out of range for type {name}"))
        };
    }
    let t = v.trim();
    match t.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) => Err(format!("value \"{v}\" is out of range for type {name}")),
        Err(_) => {
            let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                Err(format!("value \"{v}\" is out of range for type {name}"))
            } else {
                Err(format!("invalid input syntax for type {name}: \"{v}\""))
            }
        }
    }
}

fn boolean(v: &str) -> Result<bool, String> {
    let t = v.trim();
    for (words, b) in [
        (&["t", "true", "y", "yes", "on", "1"], true),
        (&["f", "false", "n", "no", "off", "0"], false),
    ] {
        if words.iter().any(|w| t.eq_ignore_ascii_case(w)) {
            return Ok(b);
        }
    }
    Err(format!("invalid input syntax for type boolean: \"{v}\""))
}

/// Float text read as PostgreSQL's float input reads it: a value beyond the type's range, or
/// one so small it would become zero, is an error.
fn float<F: std::str::FromStr + Into<f64> + Copy>(v: &str, name: &str) -> Result<F, String> {
    let t = v.trim();
    let f: F = t
        .parse()
        .map_err(|_| format!("invalid input syntax for type {name}: \"{v}\""))?;
    // A word (Infinity, NaN): no digits to lose. Checked without allocating: this is the load
    // path.
    if t.bytes()
        .any(|b| b.is_ascii_alphabetic() && !b.eq_ignore_ascii_case(&b'e'))
    {
        return Ok(f);
    }
    let x: f64 = f.into();
    let mantissa = t.split(['e', 'E']).next().unwrap_or_default();
    if x.is_infinite() || x == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        return Err(format!("\"{v}\" is out of range for type {name}"));
    }
    Ok(f)
}

/// A uuid's 16 bytes, read as PostgreSQL's `string_to_uuid` reads them: 32 hex digits, a
/// hyphen allowed after any second byte but the last, optionally in braces, nothing else.
fn uuid(v: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let bad = || format!("invalid input syntax for type uuid: \"{v}\"");
    let b = v.as_bytes();
    let braces = b.first() == Some(&b'{');
    let mut at = usize::from(braces);
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    for i in 0..16 {
        let (Some(hi), Some(lo)) = (
            b.get(at).copied().and_then(hex),
            b.get(at + 1).copied().and_then(hex),
        ) else {
            return Err(bad());
        };
        out.push(hi << 4 | lo);
        at += 2;
        if b.get(at) == Some(&b'-') && i % 2 == 1 && i < 15 {
            at += 1;
        }
    }
    if braces {
        if b.get(at) != Some(&b'}') {
            return Err(bad());
        }
        at += 1;
    }
    if at != b.len() {
        return Err(bad());
    }
    Ok(())
}

fn unhex(v: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let h = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let b = v.as_bytes();
    if !b.len().is_multiple_of(2) {
        return Err("binary value: odd number of hex digits".into());
    }
    out.reserve(b.len() / 2);
    for pair in b.chunks_exact(2) {
        match (h(pair[0]), h(pair[1])) {
            (Some(a), Some(c)) => out.push(a << 4 | c),
            _ => return Err("binary value: not hex".into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of field `v` encoded as `t`, after checking its length word.
    pub(super) fn enc(t: BinType, v: &str) -> Result<Vec<u8>, String> {
        let mut out = vec![];
        push_value(&mut out, t, v)?;
        let (len, body) = out.split_at(4);
        let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        assert_eq!(len as usize, body.len(), "length word of {v}");
        Ok(body.to_vec())
    }

    /// The error of encoding `v` as `t` (an error when it was accepted).
    pub(super) fn refused(t: BinType, v: &str) -> Result<String, String> {
        match enc(t, v) {
            Ok(b) => Err(format!("{v} as {t:?} accepted as {b:?}")),
            Err(e) => Ok(e),
        }
    }

    #[test]
    fn numerics_take_their_columns_scale_and_char_n_its_padding() -> Result<(), String> {
        let scaled = |v: &str, s: u16| -> Result<Vec<i16>, String> {
            let b = enc(BinType::Numeric(Some(s)), v)?;
            Ok(b.chunks(2)
                .map(|c| i16::from_be_bytes([c[0], c[1]]))
                .collect())
        };
        // As PostgreSQL stores them in a numeric(_, s).
        assert_eq!(scaled("12.5", 3)?, [2, 0, 0, 3, 12, 5000]);
        assert_eq!(scaled("12.500", 1)?, [2, 0, 0, 1, 12, 5000]);
        assert_eq!(scaled("-0", 2)?, [0, 0, 0, 2]);
        assert_eq!(scaled("10000", 4)?, [1, 1, 0, 4, 1]);
        // A digit beyond the scale: PostgreSQL rounds it, the encoding is left as it was.
        assert_eq!(scaled("1.501", 2)?, [2, 0, 0, 3, 1, 5010]);
        assert_eq!(scaled("NaN", 2)?, [0, 0, 0xC000u16 as i16, 0]);
        assert_eq!(enc(BinType::Char(4), "ab")?, b"ab  ");
        assert_eq!(enc(BinType::Char(4), "ü")?, "ü   ".as_bytes());
        assert_eq!(enc(BinType::Char(2), "abc")?, b"abc");
        assert_eq!(enc(BinType::Char(4), "a ")?, b"a ");
        let t = |oid, typmod, kind| BinType::for_column((oid, typmod), false, (kind, kind), true);
        assert_eq!(
            t(1700, (12 << 16 | 3) + 4, Kind::Decimal),
            Some(BinType::Numeric(Some(3)))
        );
        assert_eq!(
            t(1700, (5 << 16 | 0x7FE) + 4, Kind::Decimal),
            Some(BinType::Numeric(None))
        );
        assert_eq!(t(1700, -1, Kind::Decimal), Some(BinType::Numeric(None)));
        assert_eq!(t(1042, 10, Kind::Char), Some(BinType::Char(6)));
        assert_eq!(t(1042, -1, Kind::Char), Some(BinType::Text));
        Ok(())
    }

    #[test]
    fn uuids_in_every_form_postgresql_reads() -> Result<(), String> {
        let want: Vec<u8> = (0..16u8).map(|i| i * 17).collect();
        for v in [
            "00112233-4455-6677-8899-aabbccddeeff",
            "00112233445566778899AABBCCDDEEFF",
            "{00112233-4455-6677-8899-aabbccddeeff}",
            "0011-2233-4455-6677-8899-aabb-ccdd-eeff",
        ] {
            assert_eq!(enc(BinType::Uuid, v)?, want, "{v}");
        }
        for v in [
            "00112233-4455-6677-8899-aabbccddeef",
            "00112233-4455-6677-8899-aabbccddeeff0",
            "0-0112233-4455-6677-8899-aabbccddeeff",
            "{00112233-4455-6677-8899-aabbccddeeff",
            "00112233-4455-6677-8899-aabbccddeeff-",
            " 00112233-4455-6677-8899-aabbccddeeff",
            "0011223g-4455-6677-8899-aabbccddeeff",
        ] {
            refused(BinType::Uuid, v)?;
        }
        Ok(())
    }

    #[test]
    fn integers_floats_and_booleans() -> Result<(), String> {
        let cases: &[(BinType, &str, &[u8])] = &[
            (BinType::Int2, "-32768", &(-32768i16).to_be_bytes()),
            (BinType::Float8, "0.1", &0.1f64.to_bits().to_be_bytes()),
            (BinType::Float4, "0.1", &0.1f32.to_bits().to_be_bytes()),
            (
                BinType::Float8,
                "-Infinity",
                &f64::NEG_INFINITY.to_bits().to_be_bytes(),
            ),
            (BinType::Float8, "0e-400", &0f64.to_bits().to_be_bytes()),
            (BinType::Bool, "1", &[1]),
            (BinType::Bool, "false", &[0]),
            (BinType::Bytea, "00ff", &[0, 255]),
            (BinType::Jsonb, "{}", b"\x01{}"),
        ];
        for (t, v, want) in cases {
            assert_eq!(enc(*t, v)?, *want, "{v} as {t:?}");
        }
        let refusals = [
            (BinType::Int2, "32768", "out of range"),
            (BinType::Int8, "18446744073709551615", "out of range"),
            (BinType::Int4, "1.5", "invalid input"),
            (BinType::Float4, "1e39", "out of range"),
            (BinType::Float8, "1e-400", "out of range"),
            (BinType::Bool, "maybe", "invalid input"),
            (BinType::Bytea, "0", "odd number"),
        ];
        for (t, v, want) in refusals {
            let e = refused(t, v)?;
            assert!(e.contains(want), "{v} as {t:?}: {e}");
        }
        Ok(())
    }
}
