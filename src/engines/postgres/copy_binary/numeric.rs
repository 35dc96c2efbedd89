//! PostgreSQL's numeric in COPY's binary format: digit count, weight (of the first
//! base-10000 digit), sign, display scale, then the base-10000 digits, as `numeric_send` gives
//! them; and the display scale PostgreSQL gives a value of a column with a scale.

/// An encoded numeric given the display scale `scale` of its column, as PostgreSQL stores it,
/// when no digit of it lies beyond that scale (PostgreSQL would round it: left as it is,
/// and PostgreSQL rounds it). NaN and infinities keep theirs.
pub(super) fn fit_scale(field: &mut [u8], scale: u16) {
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

/// PostgreSQL's numeric: digit count, weight (of the first base-10000 digit), sign, display
/// scale, then the base-10000 digits.
pub(super) fn numeric(v: &str, out: &mut Vec<u8>) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::super::BinType;
    use super::super::tests::{enc, refused};

    /// A numeric's words: digit count, weight, sign, display scale, base-10000 digits.
    fn numeric_words(v: &str) -> Result<Vec<i16>, String> {
        let b = enc(BinType::Numeric(None), v)?;
        Ok(b.chunks(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]))
            .collect())
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
}
