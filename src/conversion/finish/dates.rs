//! Dates: `to_date` with literal arguments folded into ISO literals, and PostgreSQL date formats
//! written as MySQL's DATE_FORMAT specifiers.

/// `to_date('1962-2-18 00:00:00', 'yyyy-mm-dd hh24:mi:ss')` with literal arguments, as an
/// ISO literal (`1962-02-18 00:00:00`); None when the value does not follow the format.
pub(super) fn fold_date(value: &str, format: &str) -> Option<String> {
    let v = value.strip_prefix('\'')?.strip_suffix('\'')?;
    let f = format
        .strip_prefix('\'')?
        .strip_suffix('\'')?
        .to_ascii_lowercase();
    let numbers: Vec<u32> = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|x| !x.is_empty())
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let mut fields = vec![];
    let mut rest = f.as_str();
    while !rest.is_empty() {
        let tok = ["yyyy", "hh24", "mm", "dd", "hh", "mi", "ss"]
            .into_iter()
            .find(|t| rest.starts_with(t));
        match tok {
            Some(t) => {
                fields.push(t);
                rest = &rest[t.len()..];
            }
            None => rest = &rest[rest.chars().next()?.len_utf8()..],
        }
    }
    if fields.len() != numbers.len() || fields.is_empty() {
        return None;
    }
    let mut d = [0u32, 1, 1, 0, 0, 0];
    for (f, n) in fields.iter().zip(&numbers) {
        let i = match *f {
            "yyyy" => 0,
            "mm" => 1,
            "dd" => 2,
            "hh24" | "hh" => 3,
            "mi" => 4,
            _ => 5,
        };
        d[i] = *n;
    }
    if d[1] > 12 || d[2] > 31 || d[3] > 23 || d[4] > 59 || d[5] > 59 {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        d[0], d[1], d[2], d[3], d[4], d[5]
    ))
}

/// An Oracle/PostgreSQL date format as MySQL's STR_TO_DATE spells it.
pub(super) fn mysql_format(format: &str) -> String {
    let f = format.trim_matches('\'').to_ascii_lowercase();
    f.replace("yyyy", "%Y")
        .replace("hh24", "%H")
        .replace("hh", "%h")
        .replace("mm", "%m")
        .replace("dd", "%d")
        .replace("mi", "%i")
        .replace("ss", "%s")
}
