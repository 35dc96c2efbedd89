//! Checksums of a table's rows computed inside the database, by key range: every value
//! written the same way on both sides (canonical text), hashed and XORed per range, so that
//! validation compares a few numbers per range instead of every row. Each engine that can
//! ([`Checksum`], PostgreSQL and MySQL/MariaDB) says how its values are spelled and how the
//! per-range query is written; what every engine shares is here.

use super::values::Kind;

/// How an engine checksums rows.
pub trait Checksum: Sync {
    /// The text of a stored column (`raw`, quoted; `canonical` its canonical-text expression)
    /// spelled as every engine with checksums spells it, as cheaply as the engine allows; None
    /// when it cannot be. `charset`: the column's character set (MySQL).
    fn value(
        &self,
        raw: &str,
        canonical: &str,
        from: Kind,
        to: Kind,
        charset: Option<&str>,
    ) -> Option<String>;

    /// A nullable value `e` as text, NULL spelled U+001E.
    fn or_null_mark(&self, e: &str) -> String;

    /// Per key range (`(key - lo) / width`): the range, the count and the XOR of every row's
    /// hash (the first 60 bits of the MD5 of `values`, the row's texts joined by U+001F).
    fn ranges(
        &self,
        table: &str,
        filter: &str,
        key: &str,
        values: &[String],
        span: (i128, i128),
    ) -> String;
}

/// A column's text for the checksum on engine `c` ([`Checksum::value`]); `raw` is None for a
/// computed column (its canonical expression is used), `fraction`: the source column keeps
/// fractional seconds. Values the engines spell differently although equal (decimals of
/// another scale, a MySQL zero date loaded as NULL...) only make their range differ: it is
/// then compared row by row.
pub fn value(
    c: &dyn Checksum,
    raw: Option<&str>,
    canonical: &str,
    (from, to): (Kind, Kind),
    charset: Option<&str>,
    fraction: bool,
) -> Option<String> {
    use Kind::*;
    // MySQL spells TIME(3) '00:00:00.000', PostgreSQL '00:00:00': compared by reading.
    if fraction && from == Time {
        return None;
    }
    let Some(raw) = raw else {
        return matches!(
            (from, to),
            (Integer, Integer)
                | (Text | Char, Text | Char)
                | (Decimal, Decimal)
                | (Date, Date)
                | (Bool, Bool)
        )
        .then(|| canonical.to_string());
    };
    c.value(raw, canonical, from, to, charset)
}

/// The per-range checksum query on engine `c` ([`Checksum::ranges`]); `exprs` are the column
/// texts and whether each may be NULL.
pub fn range_sql(
    c: &dyn Checksum,
    table: &str,
    filter: &str,
    key: &str,
    exprs: &[(String, bool)],
    (lo, width): (i128, i128),
) -> String {
    let values: Vec<String> = exprs
        .iter()
        .map(|(e, nullable)| {
            if *nullable {
                c.or_null_mark(e)
            } else {
                e.clone()
            }
        })
        .collect();
    c.ranges(table, filter, key, &values, (lo, width))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::mysql::MySql;
    use crate::engines::postgres::Postgres;

    #[test]
    fn each_engine_spells_its_values_for_the_same_hash() {
        let k = (Kind::Date, Kind::Date);
        // A MySQL zero date was loaded as NULL: it is hashed as NULL on the source too.
        assert_eq!(
            value(&MySql, Some("`d`"), "x", k, None, false).as_deref(),
            Some("NULLIF(`d`, '0000-00-00')")
        );
        assert_eq!(
            value(&Postgres, Some("\"d\""), "x", k, None, false).as_deref(),
            Some("\"d\"")
        );
        // TIME with fractions is spelled differently on each: compared by reading.
        let t = (Kind::Time, Kind::Time);
        assert_eq!(value(&Postgres, Some("\"t\""), "x", t, None, true), None);
        // A computed column hashes its canonical expression, when its kind allows.
        let txt = (Kind::Text, Kind::Text);
        assert_eq!(
            value(&MySql, None, "CONCAT(a, b)", txt, None, false).as_deref(),
            Some("CONCAT(a, b)")
        );
        assert_eq!(
            value(&MySql, None, "x", (Kind::Binary, Kind::Binary), None, false),
            None
        );
        // Text not in UTF-8 is converted before its bytes are hashed.
        assert_eq!(
            value(&MySql, Some("`n`"), "x", txt, Some("latin1"), false).as_deref(),
            Some("CAST(CONVERT(`n` USING utf8mb4) AS BINARY)")
        );
    }

    #[test]
    fn nullable_values_are_marked_in_the_range_query() {
        let exprs = [("a".to_string(), false), ("b".to_string(), true)];
        let pg = range_sql(&Postgres, "t", "", "k", &exprs, (10, 100));
        assert!(
            pg.contains("concat_ws(E'\\x1f', a, coalesce((b)::text, E'\\x1e'))"),
            "{pg}"
        );
        assert!(pg.contains("(((k)::bigint - 10) / 100)"), "{pg}");
        let my = range_sql(&MySql, "t", " WHERE x", "k", &exprs, (10, 100));
        assert!(
            my.contains("CONCAT_WS(X'1F', a, COALESCE(b, X'1E'))"),
            "{my}"
        );
        assert!(my.ends_with("FROM t WHERE x GROUP BY 1"), "{my}");
    }
}
