//! MySQL's and MariaDB's checksums of rows by key range (see [`crate::engines::checksum`]).

use super::MySql;
use crate::engines::checksum::Checksum;
use crate::engines::values::Kind;

impl Checksum for MySql {
    fn value(
        &self,
        raw: &str,
        canonical: &str,
        from: Kind,
        to: Kind,
        charset: Option<&str>,
    ) -> Option<String> {
        use Kind::*;
        Some(match (from, to) {
            // MySQL zero dates are loaded as NULL (or fail the table).
            (Date, Date) => format!("NULLIF({raw}, '0000-00-00')"),
            (Timestamp | TimestampTz, Timestamp | TimestampTz) => {
                format!("NULLIF({canonical}, '0000-00-00 00:00:00.000000')")
            }
            (Integer, Integer) | (Decimal, Decimal) | (Time, Time) | (Bool, Bool) => {
                raw.to_string()
            }
            // Binary strings: no collation to mix, the bytes as they are (UTF-8 on both sides).
            (Text, Text | Char) => match charset.map(str::to_ascii_lowercase) {
                Some(c) if !c.starts_with("utf8") && c != "ascii" && c != "binary" => {
                    format!("CAST(CONVERT({raw} USING utf8mb4) AS BINARY)")
                }
                _ => format!("CAST({raw} AS BINARY)"),
            },
            (Binary, Binary) => format!("LOWER(HEX({raw}))"),
            _ => return None,
        })
    }

    fn or_null_mark(&self, e: &str) -> String {
        format!("COALESCE({e}, X'1E')")
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
            "SELECT CAST((CAST({key} AS SIGNED) - {lo}) DIV {width} AS CHAR), CAST(COUNT(*) AS CHAR), CAST(BIT_XOR(CAST(CONV(SUBSTRING(MD5(CONCAT_WS(X'1F', {})), 1, 15), 16, 10) AS UNSIGNED)) AS CHAR) FROM {table}{filter} GROUP BY 1",
            values.join(", ")
        )
    }
}
