//! Values on their way from a source to a target. Every value travels as text in one canonical
//! form per kind, produced inside the source database by the SELECT list ([`select_expr`]) and
//! written by the target's sink (COPY text, [`sql_literal`]): integers and decimals as
//! their exact digits, floats with every digit needed to round-trip, booleans as `1`/`0`, binary
//! as hex, dates and times as ISO text (time-zone values in UTC), bits as their integer value,
//! PostgreSQL arrays as JSON. A value the target cannot hold is refused by the target (and goes
//! to the error policy), never changed on the way.

use super::spatial::{self, PgGeo};
use crate::endpoints::Engine;
use crate::model::DataType;
use crate::sqltext::{Escapes, push_string_literal, quoted_ident};

/// What a column holds, as far as moving it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Integer,
    Decimal,
    Float,
    Text,
    /// PostgreSQL `character(n)`: text its output pads with spaces to its length. Read as that
    /// output (a cast to text, which drops the padding, costs the server a tenth of reading
    /// TPC-H's lineitem) and trimmed here ([`fix_str`], [`trim_padding`]): its canonical text is
    /// the value without trailing spaces, as `::text` and MySQL give it.
    Char,
    Binary,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Json,
    /// MySQL BIT(n), read as its n binary digits.
    Bit(u32),
    /// PostgreSQL bit / bit varying: binary digits.
    BitString,
    /// A PostgreSQL array (read as JSON).
    Array,
    /// A MySQL/MariaDB spatial column: MySQL's format (SRID, then WKB), as hex.
    MyGeometry,
    /// PostGIS geometry, or a SQLite column declared spatial: EWKB as hex.
    Geometry,
    /// PostgreSQL's built-in geometric types, as their text.
    PgGeo(PgGeo),
}

const SPATIAL: &[&str] = &[
    "geometry",
    "point",
    "linestring",
    "polygon",
    "multipoint",
    "multilinestring",
    "multipolygon",
    "geometrycollection",
    "geomcollection",
];

/// The kind of a column of `engine` with type `t` (as discovered).
pub fn kind(engine: Engine, t: &DataType) -> Kind {
    if t.array_dims > 0 {
        return Kind::Array;
    }
    let n = t.name.to_ascii_lowercase();
    let n = n.as_str();
    match engine {
        Engine::Sqlite => {
            // Declared names, by SQLite's affinity rules plus the usual names.
            if SPATIAL.contains(&n) {
                Kind::Geometry
            } else if n.contains("bool") {
                Kind::Bool
            } else if n.contains("int") {
                Kind::Integer
            } else if n.contains("char") || n.contains("clob") || n.contains("text") {
                Kind::Text
            } else if n.contains("blob") || n.is_empty() && t.declared.is_empty() {
                if n.contains("blob") {
                    Kind::Binary
                } else {
                    Kind::Text
                }
            } else if n.contains("real") || n.contains("floa") || n.contains("doub") {
                Kind::Float
            } else if n == "date" {
                Kind::Date
            } else if n.contains("timestamptz") {
                Kind::TimestampTz
            } else if n.contains("datetime") || n.contains("timestamp") {
                Kind::Timestamp
            } else if n == "time" {
                Kind::Time
            } else if n == "json" {
                Kind::Json
            } else if n.contains("numeric") || n.contains("decimal") {
                Kind::Decimal
            } else {
                Kind::Text
            }
        }
        _ => match n {
            "boolean" | "bool" => Kind::Bool,
            "tinyint" if t.length == Some(1) && engine != Engine::Postgres => Kind::Bool,
            "smallint" | "integer" | "int" | "bigint" | "tinyint" | "mediumint" | "int2"
            | "int4" | "int8" | "serial" | "bigserial" | "smallserial" | "year" | "oid" => {
                Kind::Integer
            }
            "numeric" | "decimal" | "dec" | "fixed" | "money" => Kind::Decimal,
            "real" | "double precision" | "double" | "float" | "float4" | "float8" => Kind::Float,
            "bytea" | "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => {
                Kind::Binary
            }
            "date" => Kind::Date,
            // A PostgreSQL interval holds what a MySQL TIME does (a duration), as the same text.
            "time" | "time without time zone" | "time with time zone" | "interval" => Kind::Time,
            "timestamp with time zone" | "timestamptz" => Kind::TimestampTz,
            // MySQL TIMESTAMP is stored in UTC and shown in the session zone (set to UTC).
            "timestamp" if engine != Engine::Postgres => Kind::TimestampTz,
            "timestamp" | "timestamp without time zone" | "datetime" => Kind::Timestamp,
            "json" | "jsonb" => Kind::Json,
            "character" | "bpchar" if engine == Engine::Postgres => Kind::Char,
            "geometry" | "geography" if engine == Engine::Postgres => Kind::Geometry,
            _ if engine == Engine::Postgres && PgGeo::from_type(n).is_some() => {
                Kind::PgGeo(PgGeo::from_type(n).unwrap_or(PgGeo::Point))
            }
            _ if engine != Engine::Postgres && SPATIAL.contains(&n) => Kind::MyGeometry,
            "bit" if engine != Engine::Postgres => Kind::Bit(t.length.unwrap_or(1) as u32),
            "bit" | "bit varying" | "varbit" => Kind::BitString,
            _ => Kind::Text,
        },
    }
}

/// Whether a column of type `t` is a LOB in DMS's sense: text or binary of unbounded size.
pub fn is_lob(t: &DataType) -> bool {
    let n = t.name.to_ascii_lowercase();
    n.ends_with("text") || n.ends_with("blob") || n.contains("clob") || n == "bytea" || n == "image"
}

/// Quotes an identifier for `engine`.
pub fn quote(engine: Engine, name: &str) -> String {
    quoted_ident(name, super::of(engine).ident_quote())
}

/// The SELECT-list expression that reads column `c` of kind `k` as canonical text.
pub fn select_expr(engine: Engine, c: &str, k: Kind) -> String {
    select_sql(engine, &quote(engine, c), k)
}

/// [`select_expr`] of any SQL expression `q` (a quoted column, or an expression in parentheses).
pub fn select_sql(engine: Engine, q: &str, k: Kind) -> String {
    match engine {
        Engine::Postgres => match k {
            Kind::Bool => format!("CASE WHEN {q} THEN '1' WHEN NOT {q} THEN '0' END"),
            Kind::Binary => format!("encode({q}, 'hex')"),
            // The type's output (ISO: sqlx's sessions set DateStyle ISO), its fraction made six
            // digits by `fix_str`: to_char cost 0.9 s per column of 2 M rows (more than reading
            // the row), gave NULL for 'infinity' and dropped a BC year's era.
            Kind::Timestamp => q.to_string(),
            Kind::TimestampTz => format!("({q} AT TIME ZONE 'UTC')"),
            Kind::Array => format!("array_to_json({q})::text"),
            // Written by the type's output function, which is what `::text` gives for these
            // (not for bool or inet, whose casts to text differ): the cast would only cost the
            // server (a tenth of reading TPC-H's lineitem through COPY). char(n)'s padding
            // is trimmed by the reader ([`trim_padding`]).
            Kind::Integer | Kind::Decimal | Kind::Date | Kind::Float | Kind::Char => q.to_string(),
            _ => format!("{q}::text"),
        },
        Engine::Sqlite => match k {
            // hex(NULL) is '': NULL must stay NULL.
            Kind::Binary | Kind::Geometry => format!(
                "CASE WHEN {q} IS NULL THEN NULL WHEN typeof({q}) = 'blob' THEN hex({q}) ELSE hex(CAST({q} AS BLOB)) END"
            ),
            Kind::Float => {
                format!(
                    "CASE WHEN typeof({q}) = 'real' THEN printf('%!.17g', {q}) ELSE CAST({q} AS TEXT) END"
                )
            }
            // Decimals kept in NUMERIC columns have at most 15 digits (longer ones are TEXT).
            Kind::Decimal => {
                format!(
                    "CASE WHEN typeof({q}) = 'real' THEN printf('%!.15g', {q}) ELSE CAST({q} AS TEXT) END"
                )
            }
            _ => format!("CAST({q} AS TEXT)"),
        },
        _ => match k {
            Kind::Binary | Kind::MyGeometry => format!("HEX({q})"),
            Kind::Bit(n) => format!("LPAD(BIN({q}), {n}, '0')"),
            Kind::Timestamp | Kind::TimestampTz => {
                format!("DATE_FORMAT({q}, '%Y-%m-%d %H:%i:%s.%f')")
            }
            Kind::Float => format!("CAST({q} AS CHAR)"),
            // The text protocol sends integers, decimals, text, dates, times, JSON, enums and
            // sets as their canonical text already: a CAST would only cost the server (about
            // a fifth of reading TPC-H's orders).
            _ => q.to_string(),
        },
    }
}

/// The expression giving column `q`'s canonical text inside the database itself (for checksums
/// computed there): [`select_sql`], but a PostgreSQL `character(n)` without its padding.
pub fn canonical_sql(engine: Engine, q: &str, k: Kind) -> String {
    match (engine, k) {
        (Engine::Postgres, Kind::Char) => format!("{q}::text"),
        (Engine::Postgres, Kind::Timestamp) => format!("to_char({q}, 'YYYY-MM-DD HH24:MI:SS.US')"),
        (Engine::Postgres, Kind::TimestampTz) => {
            format!("to_char({q} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
        }
        _ => select_sql(engine, q, k),
    }
}

/// A date or timestamp's text split before PostgreSQL's ` BC` (which it writes last, after the
/// zone): the rest, and the era (` BC` or nothing).
pub fn split_era(v: &str) -> (&str, &str) {
    v.strip_suffix(" BC").map_or((v, ""), |b| (b, " BC"))
}

/// A timestamp's text with its fraction of a second in six digits (`…:05.5` → `…:05.500000`),
/// as MySQL's DATE_FORMAT(`%f`) gives it; what follows the digits (PostgreSQL's ` BC`) kept,
/// a value without a fraction (`infinity` too) as it is.
pub fn six_digit_fraction(v: &str) -> std::borrow::Cow<'_, str> {
    let Some(dot) = v.rfind('.') else {
        return std::borrow::Cow::Borrowed(v);
    };
    let digits = v[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits >= 6 {
        return std::borrow::Cow::Borrowed(v);
    }
    let end = dot + 1 + digits;
    let mut s = String::with_capacity(v.len() + 6 - digits);
    s.push_str(&v[..end]);
    s.extend(std::iter::repeat_n('0', 6 - digits));
    s.push_str(&v[end..]);
    std::borrow::Cow::Owned(s)
}

/// A `character(n)` value as read ([`Kind::Char`]) without its padding: its canonical text.
pub fn trim_padding(v: &str) -> &str {
    v.trim_end_matches(' ')
}

/// Value `v` as read from a column of kind `k` ([`select_sql`]), as its canonical text: a
/// char(n) without its padding, any other value as it is. (Not part of the comparison's
/// normal form: a value's trailing spaces that a char(n) target lost must show.)
pub fn as_read(v: &str, k: Kind) -> &str {
    match k {
        Kind::Char => trim_padding(v),
        _ => v,
    }
}

/// A canonical value as read, fixed up for the target kind. None: SQL NULL.
/// Errors name what cannot be carried over (a MySQL zero date under the error policy...).
pub fn to_target(v: Option<&str>, from: Kind, to: Kind) -> Result<Option<String>, String> {
    let mut v = v.map(str::to_string);
    fix(&mut v, from, to)?;
    Ok(v)
}

/// [`to_target`] in place: values that need no change (nearly all) are not copied.
pub fn fix(value: &mut Option<String>, from: Kind, to: Kind) -> Result<(), String> {
    let Some(v) = value.as_mut() else {
        return Ok(());
    };
    let (fixed, suffix) = fix_str(v, from, to)?;
    // A part of `v` (its start), or another text.
    let replace = match fixed {
        std::borrow::Cow::Borrowed(b) if std::ptr::eq(b.as_ptr(), v.as_ptr()) => Err(b.len()),
        other => Ok(other.into_owned()),
    };
    match replace {
        Err(len) => v.truncate(len),
        Ok(new) => *v = new,
    }
    v.push_str(suffix);
    Ok(())
}

/// A MySQL zero date (`0000-00-00`, with or without a time), which no other engine has.
pub fn is_zero_date(v: &str) -> bool {
    v.starts_with("0000-00-00")
}

/// Canonical value `v` (of source kind `from`) as the target (kind `to`) takes it: the value
/// itself, a part of it or a new text, followed by a suffix (`+00` for time zones), so that
/// nearly every value is written without an allocation. Errors name what cannot be carried
/// over (a MySQL zero date, a circle into MySQL...).
pub fn fix_str(
    v: &str,
    from: Kind,
    to: Kind,
) -> Result<(std::borrow::Cow<'_, str>, &'static str), String> {
    use std::borrow::Cow;
    // MySQL zero dates: no other engine has them.
    if matches!(from, Kind::Date | Kind::Timestamp | Kind::TimestampTz) && is_zero_date(v) {
        return Err(format!("zero date {v}"));
    }
    let owned = |s: String| Ok((Cow::Owned(s), ""));
    match (from, to) {
        (Kind::Char, _) => Ok((Cow::Borrowed(trim_padding(v)), "")),
        (Kind::Timestamp | Kind::TimestampTz, _) => {
            // PostgreSQL writes a BC year's era last, after the zone: kept there.
            let (body, era) = split_era(v);
            let body = match six_digit_fraction(body) {
                // Trailing zeros of .US are noise for whole seconds.
                Cow::Borrowed(b) => Cow::Borrowed(b.strip_suffix(".000000").unwrap_or(b)),
                Cow::Owned(b) => match b.strip_suffix(".000000") {
                    Some(whole) => Cow::Owned(whole.to_string()),
                    None => Cow::Owned(b),
                },
            };
            // A time in UTC ('infinity' has none).
            let tz = if to == Kind::TimestampTz
                && !body.ends_with("+00")
                && body.ends_with(|c: char| c.is_ascii_digit())
            {
                "+00"
            } else {
                ""
            };
            if era.is_empty() {
                Ok((body, tz))
            } else {
                owned(format!("{body}{tz}{era}"))
            }
        }
        // Spatial values: between MySQL's format, EWKB (PostGIS, bytea, BLOB) and PostgreSQL's
        // geometric types.
        (Kind::MyGeometry, Kind::Binary | Kind::Geometry) => owned(spatial::mysql_to_ewkb(v)?),
        (Kind::Geometry | Kind::Binary, Kind::MyGeometry) => owned(spatial::ewkb_to_mysql(v)?),
        (Kind::PgGeo(g), Kind::MyGeometry) => {
            owned(format!("00000000{}", spatial::pg_to_wkb(v, g)?))
        }
        (Kind::PgGeo(g), Kind::Binary | Kind::Geometry) => owned(spatial::pg_to_wkb(v, g)?),
        (Kind::MyGeometry, Kind::PgGeo(g)) => {
            owned(spatial::wkb_to_pg(v.get(8..).unwrap_or_default(), g)?)
        }
        (Kind::Geometry | Kind::Binary, Kind::PgGeo(g)) => owned(spatial::wkb_to_pg(v, g)?),
        (Kind::Bool, Kind::Bool) => Ok((
            Cow::Borrowed(match v {
                "t" | "true" => "1",
                "f" | "false" => "0",
                _ => v,
            }),
            "",
        )),
        // Bits into an integer column: their value.
        (Kind::Bit(_) | Kind::BitString, Kind::Integer) => owned(
            u64::from_str_radix(v, 2)
                .map_err(|_| format!("bits {v} do not fit an integer"))?
                .to_string(),
        ),
        _ => Ok((Cow::Borrowed(v), "")),
    }
}

/// Whether [`fix_str`] gives values of kind `from` back as they are, whatever the target kind.
pub fn fix_is_identity(from: Kind) -> bool {
    matches!(
        from,
        Kind::Integer
            | Kind::Decimal
            | Kind::Float
            | Kind::Text
            | Kind::Json
            | Kind::Time
            | Kind::Array
    )
}

/// Bytes as upper-case hex digits, as binary values travel in the canonical text.
pub fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(DIGITS[(x >> 4) as usize] as char);
        s.push(DIGITS[(x & 15) as usize] as char);
    }
    s
}

/// How `engine` reads a string literal's inside.
pub fn escapes(engine: Engine) -> Escapes {
    match engine {
        Engine::MySql | Engine::MariaDb => Escapes::Backslash,
        Engine::Postgres | Engine::Sqlite | Engine::Parquet => Escapes::Standard,
    }
}

/// A string literal for `engine`: quotes doubled; backslashes and NULs escaped for MySQL and
/// MariaDB only (PostgreSQL and SQLite read backslashes as they are).
pub fn text_literal(engine: Engine, v: &str) -> String {
    sql_literal(engine, Some(v), Kind::Text)
}

/// A SQL literal for `engine`.
pub fn sql_literal(engine: Engine, v: Option<&str>, k: Kind) -> String {
    let mut s = String::with_capacity(v.map_or(4, |v| v.len() + 2));
    push_sql_literal(&mut s, engine, v, k);
    s
}

/// [`sql_literal`] appended to `out`.
pub fn push_sql_literal(out: &mut String, engine: Engine, v: Option<&str>, k: Kind) {
    let Some(v) = v else {
        out.push_str("NULL");
        return;
    };
    match k {
        // X'..' is a bit string to PostgreSQL.
        Kind::Binary if engine == Engine::Postgres => {
            out.push_str("'\\x");
            out.push_str(v);
            out.push_str("'::bytea");
        }
        Kind::Geometry if engine == Engine::Postgres => {
            out.push('\'');
            out.push_str(v);
            out.push('\'');
        }
        Kind::Binary | Kind::MyGeometry | Kind::Geometry => {
            out.push_str("X'");
            out.push_str(v);
            out.push('\'');
        }
        Kind::Bit(_) if v.bytes().all(|b| b == b'0' || b == b'1') => {
            out.push_str("b'");
            out.push_str(v);
            out.push('\'');
        }
        Kind::Integer if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'-') => {
            out.push_str(v)
        }
        // The writer's session is in UTC; MariaDB refuses an offset in a datetime literal.
        Kind::TimestampTz if matches!(engine, Engine::MySql | Engine::MariaDb) => push_sql_literal(
            out,
            engine,
            Some(v.strip_suffix("+00").unwrap_or(v)),
            Kind::Text,
        ),
        // SQLite reads a NUL as the end of the statement: spell it char(0).
        _ if engine == Engine::Sqlite && v.contains('\0') => {
            for (i, part) in v.split('\0').enumerate() {
                if i > 0 {
                    out.push_str(" || char(0) || ");
                }
                push_sql_literal(out, engine, Some(part), Kind::Text);
            }
        }
        _ => {
            push_string_literal(out, v, escapes(engine));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_literals_each_engine_reads_as_bytes() {
        let lit = |e| sql_literal(e, Some("00FF"), Kind::Binary);
        assert_eq!(lit(Engine::Postgres), "'\\x00FF'::bytea");
        assert_eq!(lit(Engine::MariaDb), "X'00FF'");
        assert_eq!(lit(Engine::Sqlite), "X'00FF'");
    }

    #[test]
    fn kinds_said_to_pass_unchanged_do() -> Result<(), String> {
        let all = [
            Kind::Bool,
            Kind::Integer,
            Kind::Decimal,
            Kind::Float,
            Kind::Text,
            Kind::Char,
            Kind::Binary,
            Kind::Date,
            Kind::Time,
            Kind::Timestamp,
            Kind::TimestampTz,
            Kind::Json,
            Kind::Bit(8),
            Kind::BitString,
            Kind::Array,
            Kind::MyGeometry,
            Kind::Geometry,
        ];
        for from in all.into_iter().filter(|&k| fix_is_identity(k)) {
            for to in all {
                for v in ["0000-00-00", "2020-01-01 10:00:00.000000", "t", "101", "x"] {
                    let (fixed, suffix) = fix_str(v, from, to)?;
                    assert_eq!((fixed.as_ref(), suffix), (v, ""), "{from:?} -> {to:?}");
                }
            }
        }
        Ok(())
    }

    #[test]
    fn postgres_fixed_width_text_is_read_padded_and_trimmed_here() -> Result<(), String> {
        let t = crate::sqltext::parse_declared_type;
        assert_eq!(kind(Engine::Postgres, &t("character(12)")), Kind::Char);
        assert_eq!(kind(Engine::Postgres, &t("bpchar")), Kind::Char);
        assert_eq!(
            kind(Engine::Postgres, &t("character varying(5)")),
            Kind::Text
        );
        assert_eq!(kind(Engine::MySql, &t("char(5)")), Kind::Text);
        assert_eq!(select_sql(Engine::Postgres, "\"c\"", Kind::Char), "\"c\"");
        assert_eq!(
            canonical_sql(Engine::Postgres, "\"c\"", Kind::Char),
            "\"c\"::text"
        );
        assert_eq!(
            canonical_sql(Engine::Postgres, "\"c\"", Kind::Text),
            "\"c\"::text"
        );
        let mut v = Some("a b   ".to_string());
        fix(&mut v, Kind::Char, Kind::Text)?;
        assert_eq!(v.as_deref(), Some("a b"));
        // Only spaces are padding.
        assert_eq!(fix_str(" x\t ", Kind::Char, Kind::Char)?.0, " x\t");
        assert!(!fix_is_identity(Kind::Char));
        // PostgreSQL's timestamps as output: six digits of fraction, the era kept.
        for (raw, want) in [
            ("2024-02-29 10:00:00.5", "2024-02-29 10:00:00.500000"),
            ("2024-02-29 10:00:00", "2024-02-29 10:00:00"),
            ("2024-02-29 10:00:00.000000", "2024-02-29 10:00:00"),
            ("2024-02-29 10:00:00.0", "2024-02-29 10:00:00"),
            ("0044-03-15 10:00:00.25 BC", "0044-03-15 10:00:00.250000 BC"),
            ("infinity", "infinity"),
        ] {
            assert_eq!(fix_str(raw, Kind::Timestamp, Kind::Timestamp)?.0, want);
        }
        assert_eq!(
            fix_str(
                "0044-03-15 10:00:00 BC",
                Kind::TimestampTz,
                Kind::TimestampTz
            )?
            .0,
            "0044-03-15 10:00:00+00 BC"
        );
        assert_eq!(
            fix_str("infinity", Kind::Timestamp, Kind::TimestampTz)?,
            (std::borrow::Cow::Borrowed("infinity"), "")
        );
        assert_eq!(
            select_sql(Engine::Postgres, "\"t\"", Kind::TimestampTz),
            "(\"t\" AT TIME ZONE 'UTC')"
        );
        // Read back: the padding goes, another kind's trailing spaces stay.
        assert_eq!(as_read("ab  ", Kind::Char), "ab");
        assert_eq!(as_read("ab  ", Kind::Text), "ab  ");
        Ok(())
    }

    #[test]
    fn literals_per_engine() {
        assert_eq!(
            sql_literal(Engine::MySql, Some("it's \\"), Kind::Text),
            "'it''s \\\\'"
        );
        assert_eq!(
            sql_literal(Engine::Sqlite, Some("it's \\"), Kind::Text),
            "'it''s \\'"
        );
        assert_eq!(text_literal(Engine::Postgres, "it's \\"), "'it''s \\'");
        assert_eq!(
            sql_literal(Engine::MySql, Some("00ff"), Kind::Binary),
            "X'00ff'"
        );
        assert_eq!(sql_literal(Engine::MySql, None, Kind::Text), "NULL");
        assert_eq!(
            sql_literal(Engine::MySql, Some("18446744073709551615"), Kind::Integer),
            "18446744073709551615"
        );
    }

    #[test]
    fn zero_dates_are_refused_and_timestamps_normalised() {
        assert!(
            to_target(
                Some("0000-00-00 00:00:00.000000"),
                Kind::Timestamp,
                Kind::Timestamp
            )
            .is_err()
        );
        assert_eq!(
            to_target(
                Some("2024-01-02 03:04:05.000000"),
                Kind::Timestamp,
                Kind::Timestamp
            )
            .unwrap()
            .as_deref(),
            Some("2024-01-02 03:04:05")
        );
        assert_eq!(
            to_target(
                Some("2024-01-02 03:04:05.250000"),
                Kind::TimestampTz,
                Kind::TimestampTz
            )
            .unwrap()
            .as_deref(),
            Some("2024-01-02 03:04:05.250000+00")
        );
    }
}
