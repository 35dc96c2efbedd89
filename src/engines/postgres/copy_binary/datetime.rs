//! Dates and timestamps in COPY's binary format: days and microseconds since 2000-01-01, read
//! from the sources' canonical text as PostgreSQL's input reads it, and refused as it refuses.

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

/// A date's or timestamp's text as PostgreSQL's input first reads it.
enum Spelled<'a> {
    Infinity,
    MinusInfinity,
    /// The value, and whether it is before Christ (` BC`, removed).
    Value(&'a str, bool),
}

fn spelled(v: &str) -> Spelled<'_> {
    let t = v.trim();
    if t.eq_ignore_ascii_case("infinity") {
        Spelled::Infinity
    } else if t.eq_ignore_ascii_case("-infinity") {
        Spelled::MinusInfinity
    } else {
        match t.strip_suffix(" BC") {
            Some(t) => Spelled::Value(t, true),
            None => Spelled::Value(t, false),
        }
    }
}

/// Microseconds since 2000-01-01 00:00:00 from the sources' canonical form `YYYY-MM-DD
/// HH:MM:SS[.ffffff]`, optionally in UTC (`+00`), before Christ (` BC`, last), or `infinity` /
/// `-infinity`: what PostgreSQL's text input makes of it. (A value of another zone is refused:
/// no source sends one.)
pub(super) fn timestamp(v: &str) -> Result<i64, String> {
    let bad = || format!("invalid input syntax for type timestamp: \"{v}\"");
    let (t, bc) = match spelled(v) {
        Spelled::Infinity => return Ok(i64::MAX),
        Spelled::MinusInfinity => return Ok(i64::MIN),
        Spelled::Value(t, bc) => (t, bc),
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
pub(super) fn date(v: &str) -> Result<i32, String> {
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
    let (t, bc) = match spelled(v) {
        Spelled::Infinity => return Ok(i32::MAX),
        Spelled::MinusInfinity => return Ok(i32::MIN),
        Spelled::Value(t, bc) => (t, bc),
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

#[cfg(test)]
mod tests {
    use super::super::BinType;
    use super::super::tests::{enc, refused};

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
}
