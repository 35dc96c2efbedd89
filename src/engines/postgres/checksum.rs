//! PostgreSQL's checksums of rows by key range (see [`crate::engines::checksum`]).

use super::Postgres;
use crate::engines::checksum::Checksum;
use crate::engines::values::Kind;

impl Checksum for Postgres {
    fn value(
        &self,
        raw: &str,
        canonical: &str,
        from: Kind,
        to: Kind,
        _charset: Option<&str>,
    ) -> Option<String> {
        use Kind::*;
        Some(match (from, to) {
            (Integer, Integer) | (Decimal, Decimal) | (Date, Date) | (Time, Time) => {
                raw.to_string()
            }
            // `::text` drops char(n)'s padding, as MySQL does.
            (Text | Char, Text | Char) => format!("{raw}::text"),
            (Binary, Binary) => format!("encode({raw}, 'hex')"),
            (Bool, Bool) | (Timestamp | TimestampTz, Timestamp | TimestampTz) => {
                canonical.to_string()
            }
            _ => return None,
        })
    }

    fn or_null_mark(&self, e: &str) -> String {
        format!("coalesce(({e})::text, E'\\x1e')")
    }

    fn ranges(
        &self,
        table: &str,
        filter: &str,
        key: &str,
        values: &[String],
        (lo, width): (i128, i128),
    ) -> String {
        format!(
            "SELECT ((({key})::bigint - {lo}) / {width})::text, count(*)::text, bit_xor(('x' || substr(md5(concat_ws(E'\\x1f', {})), 1, 15))::bit(60)::bigint)::text FROM {table}{filter} GROUP BY 1",
            values.join(", ")
        )
    }
}
