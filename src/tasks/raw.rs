//! Rows passed from a PostgreSQL source to the target as the source's COPY text lines, not
//! parsed into values and encoded again (what pgcopydb does between two PostgreSQL servers):
//! decided once per table ([`decide`]), where the lines are exactly what the target would have
//! been sent value by value, or read back as the same values:
//!
//! - [`Raw::Same`], PostgreSQL → PostgreSQL, every column of the same type on both sides: the
//!   columns are read as they are (not as canonical text) in COPY's binary form, which the
//!   target's binary COPY reads back as the same values (its text form would cost the target
//!   more to read than the binary rows Tugboat encodes: TPC-H took 36 s instead of 28 s);
//! - [`Raw::Canonical`], PostgreSQL → MySQL/MariaDB: the canonical text the source's SELECT
//!   already gives, where every column's value goes to LOAD DATA unchanged by the task's fixes
//!   (the two escapes LOAD DATA reads otherwise are undone,
//!   [`crate::engines::postgres::copy_text::for_load_data`]). Where the server refuses LOAD
//!   DATA, the lines are parsed into values for the INSERT path.
//!
//! Rows hashed as written ([`super::digest`]) are parsed from text lines; binary tuples are
//! hashed as they are, and the target's rows read back the same way (their columns as they
//! are, in binary), so both sides hash the same bytes.

use super::ErrorPolicy;
use super::Prepared;
use super::digest::Segments;
use super::load::Ctx;
use crate::endpoints::{Connection, Engine};
use crate::engines::rows::CopyForm;
use crate::engines::values::{self, Kind};

/// How a table's rows travel as the source's COPY rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {
    /// PostgreSQL → PostgreSQL, each column of the same built-in type (or enum, or domain
    /// over a built-in type) on both sides: binary tuples.
    Same,
    /// PostgreSQL → MySQL/MariaDB: the canonical text of every column, as LOAD DATA reads it.
    Canonical,
}

impl Raw {
    pub fn form(self) -> CopyForm {
        match self {
            Raw::Same => CopyForm::Binary,
            Raw::Canonical => CopyForm::Text,
        }
    }
}

/// Whether `p`'s rows can travel as lines, and how. Switched off by `TUGBOAT_RAW=off` (to
/// measure the difference).
pub(super) async fn decide(ctx: &Ctx, p: &Prepared) -> Option<Raw> {
    if ctx.source.endpoint.engine != Engine::Postgres
        || std::env::var("TUGBOAT_RAW").is_ok_and(|v| v == "off")
        // Refused rows are found batch by batch, value by value.
        || ctx.settings.error_policy == ErrorPolicy::LogAndContinue
        // Computed columns, cut LOBs: values the load changes.
        || p.source_exprs.iter().any(Option::is_some)
        || (p.lob_limit.is_some() && p.lobs.iter().any(|&l| l))
    {
        return None;
    }
    match ctx.target.endpoint.engine {
        // Tuples hashed as they are fall into other segments than the values of a key that is
        // not an integer, which the row-by-row comparison of a differing segment reads: such
        // tables, when their rows are hashed, are parsed and encoded again.
        Engine::Postgres if matches!(p.digest, Some(d) if !matches!(d, Some(Segments::Integer { .. }))) => {
            None
        }
        Engine::Postgres => same_types(&ctx.source, &ctx.target, p)
            .await
            .then_some(Raw::Same),
        Engine::MySql | Engine::MariaDb => {
            let chars = mysql_char_columns(&ctx.target, p).await;
            let not = (0..p.columns.len()).find(|&i| {
                let (from, to) = (p.columns[i].2, p.columns[i].3);
                // A character(n)'s padding into a CHAR, which drops it as PostgreSQL does.
                let padded = from == Kind::Char && chars.contains(&p.target_columns[i]);
                !(padded || canonical_as_is(from, to))
            });
            if let Some(i) = not {
                let (c, _, from, to) = &p.columns[i];
                tracing::debug!(target: "tugboat::tasks", "{}: rows parsed and encoded again: column {c}'s values ({from:?}) are fixed up for the target ({to:?})", p.label);
            }
            not.is_none().then_some(Raw::Canonical)
        }
        _ => None,
    }
}

/// Whether a value of kind `from`, read from PostgreSQL as canonical text, goes to a MySQL
/// column of kind `to` as LOAD DATA would be sent it value by value: the fix-ups of
/// [`values::fix_str`] leave it as it is, or change it only as MySQL reads it anyway (six
/// digits of a fraction of a second, the UTC offset the writer removes again).
fn canonical_as_is(from: Kind, to: Kind) -> bool {
    let time = |k| matches!(k, Kind::Timestamp | Kind::TimestampTz);
    values::fix_is_identity(from)
        || from == Kind::Date
        || (from == Kind::Bool && to == Kind::Bool)
        || (from == Kind::Binary && to == Kind::Binary)
        || (time(from) && time(to))
}

/// Whether every column of `p` has the same type on the source and the target (as
/// `format_type` spells them, a domain with its base type), one whose binary form means the
/// same in another database ([`column_types`]), and, where rows are hashed by an integer key
/// ([`Segments::Integer`]), a key of `smallint`, `integer` or `bigint` (the tuples' key is
/// read as such).
async fn same_types(source: &Connection, target: &Connection, p: &Prepared) -> bool {
    let src_table = super::source::source_table(Engine::Postgres, p);
    let (src, dst) = tokio::join!(
        column_types(source, &src_table),
        column_types(target, &p.target_sql)
    );
    let (Some(src), Some(dst)) = (src, dst) else {
        return false;
    };
    let of = |types: &[(String, String, bool)], name: &str| {
        types
            .iter()
            .find(|(n, _, binary)| n == name && *binary)
            .map(|(_, t, _)| t.clone())
    };
    if let Some(Some(Segments::Integer { column, .. })) = p.digest {
        let key = p.columns.get(column).and_then(|c| of(&src, &c.0));
        if !matches!(key.as_deref(), Some("smallint" | "integer" | "bigint")) {
            return false;
        }
    }
    p.columns.iter().zip(&p.target_columns).all(|(c, name)| {
        let (s, t) = (of(&src, &c.0), of(&dst, name));
        let same = s.is_some() && s == t;
        if !same {
            tracing::debug!(target: "tugboat::tasks", "{}: rows parsed and encoded again: column {} is {} on the source, {} on the target (or of a type whose binary form names other types)", p.label, c.0, s.as_deref().unwrap_or("?"), t.as_deref().unwrap_or("?"));
        }
        same
    })
}

/// The columns of `p`'s MySQL target table that are CHAR (which drops a value's trailing
/// spaces); none when they cannot be read.
async fn mysql_char_columns(target: &Connection, p: &Prepared) -> Vec<String> {
    let r = target
        .query(
            &format!("reading the columns of {}", p.target_sql),
            &format!("SHOW COLUMNS FROM {}", p.target_sql),
        )
        .await;
    match r {
        Ok(rows) => rows
            .iter()
            .filter(|r| {
                r.at(1)
                    .is_some_and(|t| t.to_ascii_lowercase().starts_with("char"))
            })
            .filter_map(|r| r.at(0).map(str::to_string))
            .collect(),
        Err(e) => {
            tracing::debug!(target: "tugboat::tasks", "{e}: character(n) columns are parsed and encoded again");
            vec![]
        }
    }
}

/// (column, type, binary form portable) of every column of `table` (quoted and qualified),
/// None when they cannot be read. A binary form is portable when it does not hold numbers
/// that differ between databases (other types' or objects' OIDs: composite types, arrays of
/// enums, `regclass` and the other `reg*` types) and the type has binary input and output: a
/// built-in type (or a domain over one), or an enum (whose binary form is its label).
async fn column_types(conn: &Connection, table: &str) -> Option<Vec<(String, String, bool)>> {
    let crate::endpoints::connect::Pool::Postgres(pool) = &conn.pool else {
        return None;
    };
    let r = sqlx::query_as(
        "SELECT a.attname::text, \
                format_type(a.atttypid, a.atttypmod) || CASE WHEN t.typtype = 'd' \
                    THEN ' over ' || format_type(t.typbasetype, t.typtypmod) ELSE '' END, \
                (b.typtype = 'e' OR (b.oid < 16384 AND b.typsend::oid <> 0 \
                    AND b.typreceive::oid <> 0 AND b.typname !~ '^_?reg' \
                    AND b.typname NOT IN ('aclitem', 'pg_node_tree', 'pg_ndistinct', \
                        'pg_dependencies', 'pg_mcv_list', 'pg_snapshot', 'txid_snapshot'))) \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END \
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(table)
    .fetch_all(pool)
    .await;
    match r {
        Ok(types) => Some(types),
        Err(e) => {
            tracing::debug!(target: "tugboat::tasks", "the column types of {table} were not read ({e}): its rows are parsed and encoded again");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_values_the_load_would_send_unchanged_go_as_lines_to_mysql() {
        assert!(canonical_as_is(Kind::Integer, Kind::Integer));
        assert!(canonical_as_is(Kind::Decimal, Kind::Decimal));
        assert!(canonical_as_is(Kind::Text, Kind::Text));
        assert!(canonical_as_is(Kind::Date, Kind::Date));
        assert!(canonical_as_is(Kind::TimestampTz, Kind::Timestamp));
        assert!(
            !canonical_as_is(Kind::Char, Kind::Text),
            "a padded character(n) into a VARCHAR would keep its spaces (a CHAR is asked for)"
        );
        assert!(
            !canonical_as_is(Kind::Bool, Kind::Integer),
            "only a boolean column takes 1 and 0 as they are read"
        );
    }
}
