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

use crate::engines::values::Kind;

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

/// An encoded numeric given the display scale `scale` of its column, as PostgreSQL stores it,
/// when no digit of it lies beyond that scale (PostgreSQL would round it: left as it is,
/// and PostgreSQL rounds it). NaN and infinities keep theirs.
fn fit_scale(field: &mut [u8], scale: u16) {
    let word = |f: &[u8], i: usize| i16::from_be_bytes([f[2 * i], f[2 * i + 1]]);
    if field.len() < 8 || word(field, 2) as u16 & 0xC000 == 0xC000 {
        return;
    }
    let (n, weight) = (word(field, 0).max(0) as usize, i64::from(word(field, 1)));
    if field.len() < 8 + 2 * n {
        return;
    }
    // The lowest non-zero decimal digit's power of ten (no digits: a zero, any scale fits).
    let lowest = (n > 0).then(|| {
        let last = word(field, 3 + n);
        let zeros = (0..4).take_while(|k| last % 10i16.pow(k + 1) == 0).count() as i64;
        (weight - (n as i64 - 1)) * 4 + zeros
    });
    if lowest.is_none_or(|p| p >= -i64::from(scale)) {
        field[6..8].copy_from_slice(&scale.to_be_bytes());
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

/// PostgreSQL's numeric: digit count, weight (of the first base-10000 digit), sign, display
/// scale, then the base-10000 digits.
fn numeric(v: &str, out: &mut Vec<u8>) -> Result<(), String> {
    if numeric_plain(v, out) {
        return Ok(());
    }
    let bad = || format!("invalid input syntax for type numeric: \"{v}\"");
    let t = v.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    // (PostgreSQL sends an infinity's display scale as 32, bits of its header: sent so, the
    // value is the bytes PostgreSQL gives back, which it takes as any scale.)
    let special = |sign: u16, out: &mut Vec<u8>| {
        let dscale = if sign == 0xC000 { 0 } else { 0x20 };
        for x in [0u16, 0, sign, dscale] {
            out.extend_from_slice(&x.to_be_bytes());
        }
        Ok(())
    };
    if body.eq_ignore_ascii_case("nan") && body.len() == t.len() {
        return special(0xC000, out);
    }
    if body.eq_ignore_ascii_case("infinity") || body.eq_ignore_ascii_case("inf") {
        return special(if neg { 0xF000 } else { 0xD000 }, out);
    }
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => {
            let e: i64 = body[i + 1..].parse().map_err(|_| bad())?;
            if !(-1000..=1000).contains(&e) {
                return Err(bad());
            }
            (&body[..i], e)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part) {
        return Err(bad());
    }
    let dscale = (frac_part.len() as i64 - exp).max(0);
    if dscale > 0x3FFF {
        return Err(format!("value overflows numeric format: \"{v}\""));
    }
    // Digit j (of int_part then frac_part) stands for 10^(point - 1 - j).
    let digits = || int_part.bytes().chain(frac_part.bytes()).map(|b| b - b'0');
    let point = int_part.len() as i64 + exp;
    let first = digits().position(|d| d != 0);
    let Some(first) = first else {
        special_zero(out, dscale as u16);
        return Ok(());
    };
    let last =
        int_part.len() + frac_part.len() - 1 - digits().rev().position(|d| d != 0).unwrap_or(0);
    let power = |j: usize| point - 1 - j as i64;
    let weight = power(first).div_euclid(4);
    let last_group = power(last).div_euclid(4);
    if weight > i16::MAX as i64 || last_group < i16::MIN as i64 {
        return Err(format!("value overflows numeric format: \"{v}\""));
    }
    let n = (weight - last_group + 1) as usize;
    let mut groups = vec![0u16; n];
    for (j, d) in digits().enumerate().take(last + 1).skip(first) {
        let p = power(j);
        groups[(weight - p.div_euclid(4)) as usize] += d as u16 * 10u16.pow(p.rem_euclid(4) as u32);
    }
    for x in [
        n as u16,
        weight as i16 as u16,
        if neg { 0x4000 } else { 0 },
        dscale as u16,
    ] {
        out.extend_from_slice(&x.to_be_bytes());
    }
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Ok(())
}

/// [`numeric`] of the usual form (MySQL's and PostgreSQL's output: an optional minus, digits,
/// a point and digits; at most 160 digits) in one pass without allocating. False: not that
/// form, nothing appended.
fn numeric_plain(v: &str, out: &mut Vec<u8>) -> bool {
    const MAX: usize = 40;
    let b = v.as_bytes();
    let (neg, b) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let (ip, fp) = match b.iter().position(|&c| c == b'.') {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b[..0]),
    };
    let (ig, fg) = (ip.len().div_ceil(4), fp.len().div_ceil(4));
    if ip.len() + fp.len() == 0
        || ig + fg > MAX
        || !ip.iter().all(u8::is_ascii_digit)
        || !fp.iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let mut g = [0u16; MAX];
    let pad = ig * 4 - ip.len();
    for (j, &c) in ip.iter().enumerate() {
        let k = (j + pad) / 4;
        g[k] = g[k] * 10 + (c - b'0') as u16;
    }
    for (j, &c) in fp.iter().enumerate() {
        let k = ig + j / 4;
        g[k] = g[k] * 10 + (c - b'0') as u16;
    }
    if !fp.len().is_multiple_of(4) {
        g[ig + fg - 1] *= 10u16.pow((4 - fp.len() % 4) as u32);
    }
    let groups = &g[..ig + fg];
    let dscale = fp.len() as u16;
    let Some(first) = groups.iter().position(|&x| x != 0) else {
        special_zero(out, dscale);
        return true;
    };
    let last = groups.iter().rposition(|&x| x != 0).unwrap_or(first);
    let weight = ig as i16 - 1 - first as i16;
    let sign: u16 = if neg { 0x4000 } else { 0 };
    for x in [(last - first + 1) as u16, weight as u16, sign, dscale] {
        out.extend_from_slice(&x.to_be_bytes());
    }
    for x in &groups[first..=last] {
        out.extend_from_slice(&x.to_be_bytes());
    }
    true
}

fn special_zero(out: &mut Vec<u8>, dscale: u16) {
    for x in [0u16, 0, 0, dscale] {
        out.extend_from_slice(&x.to_be_bytes());
    }
}

/// PostgreSQL's date2j: the Julian day of a (proleptic Gregorian, astronomical) date.
fn date2j(year: i64, month: i64, day: i64) -> i64 {
    let (mut y, mut m) = (year, month);
    if m > 2 {
        m += 1;
        y += 4800;
    } else {
        m += 13;
        y += 4799;
    }
    let century = y / 100;
    let mut julian = y * 365 - 32167;
    julian += y / 4 - century + century / 4;
    julian + 7834 * m / 256 + day
}

/// Microseconds since 2000-01-01 00:00:00 from the sources' canonical form `YYYY-MM-DD
/// HH:MM:SS[.ffffff]`, optionally in UTC (`+00`), before Christ (` BC`, last), or `infinity` /
/// `-infinity`: what PostgreSQL's text input makes of it. (A value of another zone is refused:
/// no source sends one.)
fn timestamp(v: &str) -> Result<i64, String> {
    let bad = || format!("invalid input syntax for type timestamp: \"{v}\"");
    let t = v.trim();
    if t.eq_ignore_ascii_case("infinity") {
        return Ok(i64::MAX);
    }
    if t.eq_ignore_ascii_case("-infinity") {
        return Ok(i64::MIN);
    }
    let (t, bc) = match t.strip_suffix(" BC") {
        Some(t) => (t, true),
        None => (t, false),
    };
    let t = t.strip_suffix("+00").unwrap_or(t);
    let (day, time) = t.split_once(' ').ok_or_else(bad)?;
    let (y, m, d) = date_fields(day).ok_or_else(bad)?;
    let days = i64::from(days(y, bc, m, d, v)?);
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let b = hms.as_bytes();
    let two = |i: usize| -> Option<i64> {
        let (a, c) = (*b.get(i)?, *b.get(i + 1)?);
        (a.is_ascii_digit() && c.is_ascii_digit()).then(|| i64::from((a - b'0') * 10 + c - b'0'))
    };
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return Err(bad());
    }
    let (Some(h), Some(mi), Some(sec)) = (two(0), two(3), two(6)) else {
        return Err(bad());
    };
    if fraction.len() > 6 || !fraction.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let micros = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(6)
        .fold(0i64, |n, c| n * 10 + i64::from(c - b'0'));
    // (As PostgreSQL: 24:00:00 and a 60th second are taken, as the next day and minute.)
    if h > 24 || mi > 59 || sec > 60 || h == 24 && (mi, sec, micros) != (0, 0, 0) {
        return Err(format!("date/time field value out of range: \"{v}\""));
    }
    // (In 128 bits: a date's days can be many more than a timestamp's microseconds hold.)
    let t = (i128::from(days) * 86_400 + i128::from((h * 60 + mi) * 60 + sec)) * 1_000_000
        + i128::from(micros);
    // PostgreSQL's range: 4714-11-24 BC to the end of 294276.
    if !(-211_813_488_000_000_000..9_223_371_331_200_000_000).contains(&t) {
        return Err(format!("timestamp out of range: \"{v}\""));
    }
    Ok(t as i64)
}

/// Year, month and day of `YYYY-MM-DD` (a year of up to seven digits).
fn date_fields(s: &str) -> Option<(i64, i64, i64)> {
    let mut parts = s.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let num = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    Some((num(y, 7)?, num(m, 2)?, num(d, 2)?))
}

/// Days since 2000-01-01, from `YYYY-MM-DD` (optionally ` BC`) or `infinity` / `-infinity`.
fn date(v: &str) -> Result<i32, String> {
    let b = v.as_bytes();
    // The usual form, read at once.
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let num = |r: std::ops::Range<usize>| {
            b[r].iter().try_fold(0i64, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + (c - b'0') as i64)
            })
        };
        if let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) {
            return days(y, false, m, d, v);
        }
    }
    let bad = || format!("invalid input syntax for type date: \"{v}\"");
    let t = v.trim();
    if t.eq_ignore_ascii_case("infinity") {
        return Ok(i32::MAX);
    }
    if t.eq_ignore_ascii_case("-infinity") {
        return Ok(i32::MIN);
    }
    let (t, bc) = match t.strip_suffix(" BC") {
        Some(t) => (t, true),
        None => (t, false),
    };
    let (y, m, d) = date_fields(t).ok_or_else(bad)?;
    days(y, bc, m, d, v)
}

/// Days since 2000-01-01 of year `y` (before Christ when `bc`), month `m`, day `d`, checked
/// as PostgreSQL checks them (`v` is the text, for the error).
fn days(y: i64, bc: bool, m: i64, d: i64, v: &str) -> Result<i32, String> {
    if y == 0 {
        return Err(format!("date/time field value out of range: \"{v}\""));
    }
    let year = if bc { 1 - y } else { y };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return Err(format!("date/time field value out of range: \"{v}\""));
    }
    let j = date2j(year, m, d);
    // PostgreSQL's range: 4714-11-24 BC to 5874897-12-31.
    if j < 0 || j > date2j(5874897, 12, 31) {
        return Err(format!("date out of range: \"{v}\""));
    }
    Ok((j - date2j(2000, 1, 1)) as i32)
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
    fn enc(t: BinType, v: &str) -> Result<Vec<u8>, String> {
        let mut out = vec![];
        push_value(&mut out, t, v)?;
        let (len, body) = out.split_at(4);
        let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        assert_eq!(len as usize, body.len(), "length word of {v}");
        Ok(body.to_vec())
    }

    /// A numeric's words: digit count, weight, sign, display scale, base-10000 digits.
    fn numeric_words(v: &str) -> Result<Vec<i16>, String> {
        let b = enc(BinType::Numeric(None), v)?;
        Ok(b.chunks(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]))
            .collect())
    }

    /// The error of encoding `v` as `t` (an error when it was accepted).
    fn refused(t: BinType, v: &str) -> Result<String, String> {
        match enc(t, v) {
            Ok(b) => Err(format!("{v} as {t:?} accepted as {b:?}")),
            Err(e) => Ok(e),
        }
    }

    #[test]
    fn numerics_in_base_10000_keep_their_scale() -> Result<(), String> {
        // As PostgreSQL's numeric_send gives them.
        let cases: &[(&str, &[i16])] = &[
            ("12.50", &[2, 0, 0, 2, 12, 5000]),
            ("-123456789.0001", &[4, 2, 0x4000, 4, 1, 2345, 6789, 1]),
            ("0.00", &[0, 0, 0, 2]),
            ("-0", &[0, 0, 0, 0]),
            ("10000", &[1, 1, 0, 0, 1]),
            ("0.0001", &[1, -1, 0, 4, 1]),
            ("1.5e3", &[1, 0, 0, 0, 1500]),
            ("1.5e-3", &[1, -1, 0, 4, 15]),
            (".5", &[1, -1, 0, 1, 5000]),
            ("5.", &[1, 0, 0, 0, 5]),
            // The general path gives what the one-pass path gives.
            (" 12.50", &[2, 0, 0, 2, 12, 5000]),
            ("+123456789.0001e0", &[4, 2, 0, 4, 1, 2345, 6789, 1]),
        ];
        for (v, want) in cases {
            assert_eq!(numeric_words(v)?, *want, "{v}");
        }
        for v in ["1.2.3", "", "12a"] {
            refused(BinType::Numeric(None), v)?;
        }
        Ok(())
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
    fn dates_are_days_since_2000_and_invalid_ones_are_refused() -> Result<(), String> {
        // As PostgreSQL's date arithmetic gives them.
        let cases = [
            ("2000-01-01", 0),
            ("1999-12-31", -1),
            ("2000-03-01", 60),
            ("0001-01-01", -730119),
            ("9999-12-31", 2921939),
            ("0001-12-31 BC", -730120),
            ("2024-02-29", 8825),
            (" 2024-02-29 ", 8825),
            ("infinity", i32::MAX),
        ];
        for (v, want) in cases {
            assert_eq!(enc(BinType::Date, v)?, want.to_be_bytes(), "{v}");
        }
        assert!(refused(BinType::Date, "2021-02-29")?.contains("out of range"));
        for v in [
            "2021-02-30",
            "2021-00-10",
            "0000-00-00",
            "2021-01-05 10:00:00",
            "2024-1-x9",
        ] {
            refused(BinType::Date, v)?;
        }
        Ok(())
    }

    #[test]
    fn timestamps_are_microseconds_since_2000() -> Result<(), String> {
        let us = |s: i64| s * 1_000_000;
        let cases = [
            ("2000-01-01 00:00:00", 0),
            ("2000-01-01 00:00:00+00", 0),
            ("1999-12-31 23:59:59.5", -500_000),
            (
                "2000-01-02 03:04:05.000006",
                us(86_400 + 3 * 3600 + 4 * 60 + 5) + 6,
            ),
            ("1999-12-31 24:00:00", 0),
            ("0001-12-31 00:00:00 BC", us(-730_120 * 86_400)),
            ("infinity", i64::MAX),
            ("-infinity", i64::MIN),
        ];
        for (v, want) in cases {
            assert_eq!(enc(BinType::Timestamp, v)?, want.to_be_bytes(), "{v}");
        }
        for v in [
            "2021-02-29 00:00:00",
            "2021-01-01 24:00:01",
            "2021-01-01 12:60:00",
            "2021-01-01 1:00:00",
            "2021-01-01 01:00:00.1234567",
            "2021-01-01 01:00:00+02",
            "2021-01-01",
            "2021-01-01 12:00",
            "2021-01-01 1",
            "294277-01-01 00:00:00",
            "5874897-12-31 00:00:00",
        ] {
            refused(BinType::Timestamp, v)?;
        }
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
