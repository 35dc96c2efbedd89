//! A task's filters and computed columns evaluated by the source database on replicated rows
//! (see `cdc::transform`): the rows go back to the source as literals of their columns'
//! declared types in one SELECT, built here for each engine that can be a source of changes
//! ([`Evaluate`]).

use super::values::Kind;
use crate::model::DataType;

/// A source column a table's filter or expressions read.
pub struct Input {
    /// Its index in the source row.
    pub at: usize,
    pub name: String,
    pub kind: Kind,
    pub ty: DataType,
    /// MySQL: the character set and collation its values compare with.
    pub charset: Option<String>,
    pub collation: Option<String>,
}

/// What the task does to one table's changes.
pub struct Shape {
    /// The filter's condition over the source columns; None: every row is in.
    pub keep: Option<String>,
    /// The computed columns' SELECT-list expressions (canonical text), in column order.
    pub computed: Vec<String>,
    pub inputs: Vec<Input>,
    /// The source table's name, the alias the rows take (expressions may qualify columns).
    pub alias: String,
}

/// How an engine evaluates a task's filter and computed columns over rows given as literals.
pub trait Evaluate: Sync {
    /// The SELECT evaluating `shape` for `rows`: each row's number, '1' when it is in the
    /// filter, then the computed columns' values.
    fn query(&self, shape: &Shape, rows: &[&[Option<String>]]) -> String;
}

/// The SELECT list every engine's query starts with: the row's number as text (`row_number`),
/// whether it is in the filter, the computed columns.
pub fn select_list(shape: &Shape, row_number: &str) -> String {
    let mut sql = format!("SELECT {row_number}");
    sql.push_str(&match &shape.keep {
        Some(k) => format!(", CASE WHEN {k} THEN '1' ELSE '0' END"),
        None => ", '1'".into(),
    });
    for c in &shape.computed {
        sql.push_str(", ");
        sql.push_str(c);
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::mysql::MySql;
    use crate::engines::postgres::Postgres;

    fn input(at: usize, name: &str, kind: Kind, ty: &str) -> Input {
        Input {
            at,
            name: name.into(),
            kind,
            ty: DataType::simple(ty),
            charset: None,
            collation: None,
        }
    }

    #[test]
    fn rows_go_back_to_the_source_as_typed_literals_under_the_tables_name() {
        let shape = Shape {
            keep: Some("`status` = 'active'".into()),
            computed: vec!["(price * qty)".into()],
            inputs: vec![
                Input {
                    charset: Some("utf8mb4".into()),
                    collation: Some("utf8mb4_general_ci".into()),
                    ..input(1, "status", Kind::Text, "varchar")
                },
                input(2, "price", Kind::Decimal, "decimal"),
                input(3, "at", Kind::TimestampTz, "timestamp"),
            ],
            alias: "orders".into(),
        };
        let a = [
            Some("1".into()),
            Some("It's".into()),
            Some("9.50".into()),
            Some("2026-12-02 10:00:00.000000".into()),
        ];
        let b = [Some("2".into()), None, Some("1".into()), None];
        let sql = MySql.query(&shape, &[&a, &b]);
        assert!(sql.starts_with("SET time_zone = '+00:00'; SELECT CAST(`orders`.tugboat_row AS CHAR), CASE WHEN `status` = 'active' THEN '1' ELSE '0' END, (price * qty) FROM (SELECT 0 AS tugboat_row, CONVERT('It''s' USING utf8mb4) COLLATE utf8mb4_general_ci AS `status`, 9.50 AS `price`, CAST('2026-12-02 10:00:00.000000' AS DATETIME(6)) AS `at` UNION ALL SELECT 1, NULL, 1, NULL) AS `orders`"), "{sql}");

        let shape = Shape {
            keep: None,
            computed: vec![],
            inputs: vec![input(
                0,
                "at",
                Kind::TimestampTz,
                "timestamp with time zone",
            )],
            alias: "t".into(),
        };
        let a = [Some("2026-12-02 10:00:00.000000".into())];
        let sql = Postgres.query(&shape, &[&a]);
        assert_eq!(
            sql,
            "SELECT \"t\".tugboat_row::text, '1' FROM (VALUES (0, CAST('2026-12-02 10:00:00.000000+00' AS timestamp with time zone))) AS \"t\"(tugboat_row, \"at\")"
        );
    }
}
