//! The INSERT statements of a script, rewritten for the target: table and column names mapped
//! the way the schema was, values printed in standard SQL, and 0/1 written as false/true where
//! the target column became boolean. (Bulk data between live databases is the job of tasks.)

use serde::{Deserialize, Serialize};
use sqlparser::ast::{Expr, SetExpr, Statement, TableObject, Value};

use super::Source;
use super::names::Names;
use crate::ddl::classify::QualifiedName;
use crate::ddl::parse::parse_one;

pub use crate::assessment::DataStatement;

/// A data statement that could not be converted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataProblem {
    pub line: usize,
    pub message: String,
    /// The statement is kept (converted with this warning), not left out.
    #[serde(default)]
    pub kept: bool,
}

/// Converts the script's INSERTs. `target_type(schema, table, column)` gives a column's target type.
pub fn convert_inserts(
    src: &Source,
    names: &Names,
    target_type: impl Fn(&str, &str, &str) -> Option<String>,
) -> (Vec<DataStatement>, Vec<DataProblem>) {
    let mut out = vec![];
    let mut problems = vec![];
    for raw in &src.data {
        let statements = match parse_one(&raw.text, src.dialect)
            .map(|s| vec![s])
            .or_else(|e| {
                // A T-SQL batch holds several INSERTs without `;`.
                if src.dialect == crate::ddl::Dialect::MsSql {
                    crate::ddl::parse::parse_batch(&raw.text, src.dialect).map_err(|_| e)
                } else {
                    Err(e)
                }
            }) {
            Ok(v) => v,
            Err(e) => {
                let what = if raw
                    .text
                    .trim_start()
                    .to_ascii_uppercase()
                    .starts_with("COPY")
                {
                    "COPY data is not loaded by apply-schema (use a migration task)".to_string()
                } else {
                    format!("INSERT not converted: {e}")
                };
                problems.push(DataProblem {
                    line: raw.line,
                    message: what,
                    kept: false,
                });
                continue;
            }
        };
        for st in statements {
            let mut ins = match st {
                Statement::Insert(ins) => ins,
                other => {
                    match other_data(src, names, raw, &other) {
                        Ok(d) => out.push(d),
                        Err(message) => problems.push(DataProblem {
                            line: raw.line,
                            message,
                            kept: false,
                        }),
                    }
                    continue;
                }
            };
            let TableObject::TableName(name) = &ins.table else {
                problems.push(DataProblem {
                    line: raw.line,
                    message: "INSERT into a table function".into(),
                    kept: false,
                });
                continue;
            };
            let mut parts: Vec<String> = name
                .0
                .iter()
                .map(|p| p.to_string())
                .map(|p| crate::sqltext::unquote_ident(&p))
                .collect();
            let table = parts.pop().unwrap_or_default();
            let schema = parts.pop();
            let q = QualifiedName {
                schema,
                name: table.clone(),
            };
            // The table's schema in the model (the script may rely on USE or a default schema).
            let model_schema = src
                .catalog
                .schemas
                .iter()
                .find(|s| {
                    q.schema
                        .as_ref()
                        .is_none_or(|x| x.eq_ignore_ascii_case(&s.name))
                        && s.tables.iter().any(|t| t.name.eq_ignore_ascii_case(&table))
                })
                .map(|s| s.name.clone())
                .or(q.schema.clone())
                .unwrap_or_default();
            let model_table = src
                .catalog
                .schemas
                .iter()
                .filter(|s| s.name == model_schema)
                .flat_map(|s| s.tables.iter())
                .find(|t| t.name.eq_ignore_ascii_case(&table));
            let columns: Vec<String> = if ins.columns.is_empty() {
                model_table
                    .map(|t| {
                        t.columns
                            .iter()
                            .filter(|c| c.generated.is_none())
                            .map(|c| c.name.clone())
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                ins.columns
                    .iter()
                    .map(|c| crate::sqltext::unquote_ident(&c.to_string()))
                    .collect()
            };
            // SQLite keeps dates as the text given: write them the ISO way its date functions read.
            let dates: Vec<bool> = columns
                .iter()
                .map(|c| {
                    names.target == crate::ddl::Dialect::Sqlite
                        && target_type(
                            &model_schema,
                            model_table.map(|t| t.name.as_str()).unwrap_or(&table),
                            c,
                        )
                        .is_some_and(|t| matches!(t.as_str(), "DATE" | "DATETIME" | "TIMESTAMP"))
                })
                .collect();
            let booleans: Vec<bool> = columns
                .iter()
                .map(|c| {
                    target_type(
                        &model_schema,
                        model_table.map(|t| t.name.as_str()).unwrap_or(&table),
                        c,
                    )
                    .is_some_and(|t| t == "boolean")
                })
                .collect();
            // MySQL's X'..' into a text column is the text those bytes spell.
            let texts: Vec<bool> = columns
                .iter()
                .map(|c| {
                    target_type(
                        &model_schema,
                        model_table.map(|t| t.name.as_str()).unwrap_or(&table),
                        c,
                    )
                    .is_some_and(|t| {
                        let t = t.to_ascii_lowercase();
                        t.contains("char") || t.contains("text") || t.contains("clob")
                    })
                })
                .collect();
            let mut rows = 0;
            if let Some(source) = ins.source.as_mut()
                && let SetExpr::Values(values) = source.body.as_mut()
            {
                for row in &mut values.rows {
                    rows += 1;
                    for (i, e) in row.content.iter_mut().enumerate() {
                        if let Expr::Value(v) = e
                            && texts.get(i) == Some(&true)
                            && let Value::HexStringLiteral(h) = &v.value
                            && let Some(text) = hex_text(h)
                        {
                            v.value = Value::SingleQuotedString(text);
                        }
                        if let Expr::Value(v) = e {
                            // N'...' is SQL Server's and MySQL's; SQLite does not read it.
                            if let Value::NationalStringLiteral(t) = &v.value
                                && names.target != crate::ddl::Dialect::MySql
                            {
                                v.value = Value::SingleQuotedString(t.clone());
                            }
                            // MySQL reads backslashes in strings as escapes: double them.
                            if names.target == crate::ddl::Dialect::MySql
                                && let Value::SingleQuotedString(t)
                                | Value::NationalStringLiteral(t) = &mut v.value
                                && t.contains('\\')
                            {
                                *t = t.replace('\\', "\\\\");
                            }
                        }
                        if dates.get(i) == Some(&true)
                            && let Expr::Value(v) = e
                            && let Value::SingleQuotedString(t) = &mut v.value
                            && let Some(iso) = iso_datetime(t)
                        {
                            *t = iso;
                        }
                        if booleans.get(i) == Some(&true)
                            && let Expr::Value(v) = e
                            && let Value::Number(n, _) = &v.value
                        {
                            let b = *n != "0";
                            v.value = Value::Boolean(b);
                        }
                    }
                }
            }
            if let Some(q) = ins.source.as_mut() {
                let warnings =
                    super::view::rewrite_query(q, src.dialect, names, &names.schema(&model_schema));
                problems.extend(warnings.into_iter().map(|message| DataProblem {
                    line: raw.line,
                    message,
                    kept: true,
                }));
            }
            let Some(source) = &ins.source else {
                problems.push(DataProblem {
                    line: raw.line,
                    message: "INSERT without VALUES or SELECT".into(),
                    kept: false,
                });
                continue;
            };
            let target = names.qualified(
                &model_schema,
                model_table.map(|t| t.name.as_str()).unwrap_or(&table),
            );
            let cols: Vec<String> = columns.iter().map(|c| names.ident(c)).collect();
            let col_list = if cols.is_empty() {
                String::new()
            } else {
                format!(" ({})", cols.join(", "))
            };
            out.push(DataStatement {
                table: target.clone(),
                rows,
                sql: format!("INSERT INTO {target}{col_list} {source}"),
                line: raw.line,
            });
        }
    }
    (out, problems)
}

/// pg_dump's `SELECT pg_catalog.setval('public.actor_actor_id_seq', 200, true)` for MySQL,
/// where the sequence numbers a column that became AUTO_INCREMENT: `ALTER TABLE actor
/// AUTO_INCREMENT = 201` (InnoDB never goes below the highest key + 1 anyway).
fn mysql_setval(src: &Source, names: &Names, text: &str) -> Option<DataStatement> {
    use crate::model::Identity;
    let lower = text.to_ascii_lowercase();
    let args = &text[lower.find("setval(")? + 7..];
    let args = &args[..args.rfind(')')?];
    let parts: Vec<&str> = args.split(',').map(str::trim).collect();
    let seq = parts.first()?.strip_prefix('\'')?;
    let seq = crate::sqltext::unquote_ident(seq[..seq.find('\'')?].rsplit('.').next()?);
    let value: i64 = parts.get(1)?.parse().ok()?;
    let called = parts
        .get(2)
        .is_none_or(|c| c.eq_ignore_ascii_case("true") || *c == "'t'");
    let next = if called { value + 1 } else { value };
    for s in &src.catalog.schemas {
        for t in &s.tables {
            let numbers = t.columns.iter().any(|c| {
                let by_identity = matches!(&c.identity, Some(Identity::Serial { sequence })
                    if crate::sqltext::unquote_ident(sequence.rsplit('.').next().unwrap_or_default())
                        .eq_ignore_ascii_case(&seq));
                let by_default = c.default.as_deref().is_some_and(|d| {
                    let d = d.to_ascii_lowercase();
                    d.starts_with("nextval(") && d.contains(&seq.to_ascii_lowercase())
                });
                // A serial column's sequence, by PostgreSQL's naming of it.
                let by_serial = c.data_type.name.to_ascii_lowercase().ends_with("serial")
                    && format!("{}_{}_seq", t.name, c.name).eq_ignore_ascii_case(&seq);
                by_identity || by_default || by_serial
            });
            if numbers {
                return Some(DataStatement {
                    table: t.name.clone(),
                    rows: 0,
                    sql: format!(
                        "ALTER TABLE {} AUTO_INCREMENT = {next}",
                        names.qualified(&s.name, &t.name)
                    ),
                    line: 0,
                });
            }
        }
    }
    None
}

/// A data statement other than INSERT: an UPDATE or DELETE of the script's rows (rewritten for
/// the target like a view's query), or pg_dump's `SELECT pg_catalog.setval(...)`, which sets a
/// sequence's position (PostgreSQL targets; elsewhere the numbering follows the loaded keys,
/// and the problem says so).
fn other_data(
    src: &Source,
    names: &Names,
    raw: &crate::ddl::split::RawStatement,
    st: &Statement,
) -> Result<DataStatement, String> {
    let table = match st {
        Statement::Update(u) => u.table.relation.to_string(),
        Statement::Delete(d) => match &d.from {
            sqlparser::ast::FromTable::WithFromKeyword(t)
            | sqlparser::ast::FromTable::WithoutKeyword(t) => t
                .first()
                .map(|t| t.relation.to_string())
                .unwrap_or_default(),
        },
        Statement::Query(_) if raw.text.to_ascii_lowercase().contains("setval") => {
            if names.target == crate::ddl::Dialect::MySql
                && let Some(d) = mysql_setval(src, names, &raw.text)
            {
                return Ok(DataStatement {
                    line: raw.line,
                    ..d
                });
            }
            if names.target != crate::ddl::Dialect::Postgres {
                return Err(format!(
                    "sequence position not set: {} numbers rows from the keys loaded (check the next value after loading)",
                    names.target.label()
                ));
            }
            String::from("sequence position")
        }
        _ => return Err("not an INSERT, UPDATE, DELETE or setval".into()),
    };
    let schema = names.schema(
        &src.catalog
            .schemas
            .first()
            .map(|s| s.name.clone())
            .unwrap_or_default(),
    );
    let (sql, _) = super::view::convert_statement(&raw.text, src.dialect, names, &schema)?;
    Ok(DataStatement {
        table: crate::sqltext::unquote_ident(&table),
        rows: 0,
        sql,
        line: raw.line,
    })
}

/// `2021/1/1` or `2021-1-1 7:05:00` as `2021-01-01` / `2021-01-01 07:05:00`; None for anything
/// else (kept as written).
fn iso_datetime(s: &str) -> Option<String> {
    let parts: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .filter(|x| !x.is_empty())
        .collect();
    if !(parts.len() == 3 || parts.len() == 6 || parts.len() == 5) || parts[0].len() != 4 {
        return None;
    }
    let n: Vec<u32> = parts[..parts.len().min(5)]
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if n[1] == 0 || n[1] > 12 || n[2] == 0 || n[2] > 31 {
        return None;
    }
    let date = format!("{:04}-{:02}-{:02}", n[0], n[1], n[2]);
    if parts.len() == 3 {
        return Some(date);
    }
    let seconds = parts.get(5).copied().unwrap_or("0");
    let (whole, frac) = seconds.split_once('.').unwrap_or((seconds, ""));
    let whole: u32 = whole.parse().ok()?;
    Some(format!(
        "{date} {:02}:{:02}:{:02}{}",
        n[3],
        n[4],
        whole,
        if frac.is_empty() {
            String::new()
        } else {
            format!(".{frac}")
        }
    ))
}

/// The UTF-8 text hex digits spell (`41424344` → `ABCD`), if they spell text.
fn hex_text(hex: &str) -> Option<String> {
    let hex = hex.trim();
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok().filter(|t| !t.contains('\0'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_for_sqlite_are_iso() {
        assert_eq!(
            super::iso_datetime("2021/1/1").as_deref(),
            Some("2021-01-01")
        );
        assert_eq!(
            super::iso_datetime("2009-1-3 7:05:09.25").as_deref(),
            Some("2009-01-03 07:05:09.25")
        );
        assert_eq!(super::iso_datetime("not a date"), None);
        assert_eq!(super::iso_datetime("2021-13-01"), None);
    }
}
