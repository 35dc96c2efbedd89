//! SQLite discovery from `sqlite_master` and the table-valued pragmas (`pragma_table_xinfo`,
//! `pragma_foreign_key_list`, `pragma_index_list`, `pragma_index_xinfo`).
//!
//! What the pragmas do not tell (CHECK constraints, generated-column expressions, index
//! expressions and predicates, trigger timing) is read from the stored `CREATE` text.

use std::collections::HashMap;

use crate::endpoints::{Connection, Engine};
use crate::engines::discover::{DiscoverOptions, quote_literal};
use crate::error::Result;
use crate::model::*;
use crate::sqltext::{
    find_keyword, matching_paren, parse_declared_type, split_top_level, unquote_ident,
};

/// Files up to this size get exact row counts during discovery (SQLite keeps no row estimates
/// unless `ANALYZE` was run).
const COUNT_ROWS_UP_TO_BYTES: u64 = 256 * 1024 * 1024;

pub async fn discover(conn: &Connection, _options: &DiscoverOptions) -> Result<Catalog> {
    let e = Engine::Sqlite;
    let version = conn
        .query_scalar("reading the SQLite version", "SELECT sqlite_version()")
        .await?
        .unwrap_or_default();
    let objects = conn
        .query(
            "reading sqlite_master",
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
        )
        .await?;
    let file_size = std::fs::metadata(&conn.endpoint.database)
        .map(|m| m.len())
        .unwrap_or(u64::MAX);
    let stat1: HashMap<String, i64> = conn
        .query_text("SELECT tbl, max(CAST(stat AS INTEGER)) AS n FROM sqlite_stat1 GROUP BY tbl")
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((r.s("tbl"), r.i64("n")?)))
        .collect();
    let sizes: HashMap<String, i64> = conn
        .query_text("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name")
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((r.s("name"), r.i64("bytes")?)))
        .collect();
    let index_sql: HashMap<String, String> = objects
        .iter()
        .filter(|r| r.s("type") == "index")
        .map(|r| (r.s("name"), r.s("sql")))
        .collect();

    let mut schema = Schema {
        name: "main".into(),
        ..Default::default()
    };
    // A virtual table's own storage (fts5's _data, _idx, _content...): the module's, not the
    // application's; it goes with the virtual table.
    let shadow: Vec<String> = conn
        .query_text("SELECT name FROM pragma_table_list WHERE type = 'shadow'")
        .await
        .map(|rows| rows.iter().map(|r| r.s("name")).collect())
        .unwrap_or_default();
    for obj in objects.iter().filter(|r| r.s("type") == "table") {
        let name = obj.s("name");
        let sql = obj.s("sql");
        if shadow.contains(&name) {
            continue;
        }
        if sql.to_ascii_uppercase().starts_with("CREATE VIRTUAL TABLE") {
            schema.tables.push(Table {
                name,
                storage: Some("virtual table".into()),
                comment: Some(sql),
                ..Default::default()
            });
            continue;
        }
        let mut table = read_table(conn, &name, &sql, &index_sql).await?;
        let mut est = stat1.get(&name).copied();
        if est.is_none() && file_size <= COUNT_ROWS_UP_TO_BYTES {
            est = Some(crate::engines::discover::exact_row_count(conn, "main", &name).await?);
        }
        table.stats = TableStats {
            estimated_rows: est,
            size_bytes: sizes.get(&name).copied(),
            exact_rows: None,
        };
        schema.tables.push(table);
    }
    for obj in objects.iter().filter(|r| r.s("type") == "view") {
        let name = obj.s("name");
        let sql = obj.s("sql");
        let columns = conn
            .query(
                &format!("reading columns of view {name}"),
                &format!(
                    "SELECT name FROM pragma_table_info({})",
                    quote_literal(e, &name)
                ),
            )
            .await?
            .iter()
            .map(|r| r.s("name"))
            .collect();
        schema.views.push(View {
            name,
            definition: view_query(&sql),
            materialized: false,
            columns,
            comment: None,
        });
    }
    for obj in objects.iter().filter(|r| r.s("type") == "trigger") {
        schema.triggers.push(parse_trigger(
            &obj.s("name"),
            &obj.s("tbl_name"),
            &obj.s("sql"),
        ));
    }
    let database = conn.endpoint.database.clone();
    Ok(Catalog {
        engine: Some(Engine::Sqlite),
        server: Some(format!("SQLite {version}")),
        database,
        schemas: vec![schema],
        extensions: vec![],
    })
}

async fn read_table(
    conn: &Connection,
    name: &str,
    sql: &str,
    index_sql: &HashMap<String, String>,
) -> Result<Table> {
    let e = Engine::Sqlite;
    let lit = quote_literal(e, name);
    let upper = sql.to_ascii_uppercase();
    let without_rowid = upper
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .contains("WITHOUT ROWID");
    let autoincrement = upper.contains("AUTOINCREMENT");
    let body = sql
        .find('(')
        .and_then(|open| matching_paren(sql, open).map(|close| &sql[open + 1..close]))
        .unwrap_or_default();
    let definitions = split_top_level(body);

    let cols = conn
        .query(&format!("reading columns of {name}"), &format!("SELECT cid, name, type, \"notnull\" AS nn, dflt_value AS def, pk, hidden FROM pragma_table_xinfo({lit}) ORDER BY cid"))
        .await?;
    let mut table = Table {
        name: name.to_string(),
        ..Default::default()
    };
    if without_rowid {
        table.storage = Some("WITHOUT ROWID".into());
    }
    if upper.contains(" STRICT") && upper.trim_end().ends_with("STRICT") {
        table.storage = Some(
            table
                .storage
                .map(|s| format!("{s}, STRICT"))
                .unwrap_or_else(|| "STRICT".into()),
        );
    }
    let mut pk: Vec<(i64, String)> = vec![];
    for r in &cols {
        let col_name = r.s("name");
        let declared = r.s("type");
        let mut data_type = if declared.is_empty() {
            DataType::default()
        } else {
            parse_declared_type(&declared)
        };
        if declared.is_empty() {
            data_type.name = "".into();
        }
        let hidden = r.i64("hidden").unwrap_or(0);
        let def_text = column_definition(&definitions, &col_name);
        let generated = (hidden == 2 || hidden == 3).then(|| GeneratedColumn {
            expression: def_text
                .as_deref()
                .and_then(generated_expression)
                .unwrap_or_default(),
            stored: hidden == 3,
        });
        if let Some(p) = r.i64("pk").filter(|p| *p > 0) {
            pk.push((p, col_name.clone()));
        }
        let collation = def_text.as_deref().and_then(|d| word_after(d, "COLLATE"));
        table.columns.push(Column {
            name: col_name,
            ordinal: r.u32("cid").unwrap_or(0) + 1,
            data_type,
            nullable: !r.bool("nn"),
            default: r.opt("def"),
            identity: None,
            generated,
            charset: None,
            collation,
            comment: None,
            on_update: None,
        });
    }
    pk.sort();
    if !pk.is_empty() {
        let columns: Vec<String> = pk.into_iter().map(|(_, c)| c).collect();
        if columns.len() == 1 && !without_rowid {
            let c = table
                .columns
                .iter_mut()
                .find(|c| c.name == columns[0])
                .expect("pk column exists");
            if c.data_type.name == "integer" && c.data_type.declared.eq_ignore_ascii_case("integer")
            {
                c.identity = Some(Identity::Rowid { autoincrement });
                c.nullable = false; // a rowid alias is never NULL, whatever the pragma says
            }
        }
        table.primary_key = Some(PrimaryKey {
            name: constraint_name_before(&definitions, "PRIMARY KEY"),
            columns,
        });
    }

    // Foreign keys.
    let fks = conn
        .query(
            &format!("reading foreign keys of {name}"),
            &format!("SELECT id, seq, \"table\" AS rt, \"from\" AS c, \"to\" AS rc, on_update, on_delete FROM pragma_foreign_key_list({lit}) ORDER BY id, seq"),
        )
        .await?;
    let fk_names = constraint_names(&definitions, "FOREIGN KEY");
    let mut by_id: Vec<(String, ForeignKey)> = vec![];
    for r in &fks {
        let id = r.s("id");
        if by_id.last().map(|(i, _)| i) != Some(&id) {
            by_id.push((
                id.clone(),
                ForeignKey {
                    name: None,
                    columns: vec![],
                    referenced_schema: None,
                    referenced_table: r.s("rt"),
                    referenced_columns: vec![],
                    on_update: ReferentialAction::parse(&r.s("on_update")),
                    on_delete: ReferentialAction::parse(&r.s("on_delete")),
                },
            ));
        }
        let fk = &mut by_id.last_mut().expect("pushed above").1;
        fk.columns.push(r.s("c"));
        if let Some(rc) = r.nonempty("rc") {
            fk.referenced_columns.push(rc);
        }
    }
    // pragma_foreign_key_list lists constraints last-declared first.
    by_id.reverse();
    for (i, (_, mut fk)) in by_id.into_iter().enumerate() {
        if fk.referenced_columns.is_empty() {
            // `REFERENCES parent` without columns means the parent's primary key.
            let parent_pk = conn
                .query_text(&format!(
                    "SELECT name FROM pragma_table_info({}) WHERE pk > 0 ORDER BY pk",
                    quote_literal(e, &fk.referenced_table)
                ))
                .await
                .unwrap_or_default();
            fk.referenced_columns = parent_pk.iter().map(|r| r.s("name")).collect();
        }
        fk.name = fk_names.get(i).cloned().flatten();
        table.foreign_keys.push(fk);
    }

    // Indexes and unique constraints.
    let list = conn
        .query(&format!("reading indexes of {name}"), &format!("SELECT name, \"unique\" AS uniq, origin, partial FROM pragma_index_list({lit}) ORDER BY seq DESC"))
        .await?;
    let unique_names = constraint_names(&definitions, "UNIQUE");
    let mut unique_i = 0;
    for r in &list {
        let index_name = r.s("name");
        let parts_rows = conn
            .query(
                &format!("reading index {index_name}"),
                &format!("SELECT seqno, cid, name, \"desc\" AS d, key FROM pragma_index_xinfo({}) WHERE key = 1 ORDER BY seqno", quote_literal(e, &index_name)),
            )
            .await?;
        match r.s("origin").as_str() {
            "pk" => continue,
            "u" => {
                table.unique_constraints.push(UniqueConstraint {
                    name: unique_names.get(unique_i).cloned().flatten(),
                    columns: parts_rows.iter().map(|p| p.s("name")).collect(),
                });
                unique_i += 1;
            }
            _ => {
                let sql = index_sql.get(&index_name).cloned().unwrap_or_default();
                let (exprs, predicate) = index_text(&sql);
                let parts = parts_rows
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let is_expr = p.i64("cid") == Some(-2);
                        IndexPart {
                            column: (!is_expr).then(|| p.s("name")),
                            expression: is_expr
                                .then(|| exprs.get(i).map(|x| strip_order(x)).unwrap_or_default()),
                            prefix_length: None,
                            descending: p.bool("d"),
                            operator_class: None,
                        }
                    })
                    .collect();
                table.indexes.push(Index {
                    name: index_name,
                    unique: r.bool("uniq"),
                    method: None,
                    parts,
                    predicate,
                    ignore_dup_key: false,
                });
            }
        }
    }

    // CHECK constraints, from the table text.
    for d in &definitions {
        let du = d.to_ascii_uppercase();
        let mut from = 0;
        while let Some(p) = du[from..].find("CHECK").map(|p| p + from) {
            let before_ok = p == 0 || !du.as_bytes()[p - 1].is_ascii_alphanumeric();
            let after = du[p + 5..].trim_start();
            if before_ok && after.starts_with('(') {
                let open = p + 5 + (du[p + 5..].len() - after.len());
                if let Some(close) = matching_paren(d, open) {
                    let name = constraint_name_at(d, p);
                    table.check_constraints.push(CheckConstraint {
                        name,
                        expression: d[open + 1..close].trim().to_string(),
                    });
                    from = close;
                    continue;
                }
            }
            from = p + 5;
        }
    }
    Ok(table)
}

/// The definition text of a column among a table's definitions.
fn column_definition(definitions: &[String], column: &str) -> Option<String> {
    definitions.iter().find_map(|d| {
        let first = first_token(d)?;
        (unquote_ident(&first).eq_ignore_ascii_case(column)).then(|| d.clone())
    })
}

fn first_token(d: &str) -> Option<String> {
    let d = d.trim_start();
    let end = match d.chars().next()? {
        '"' | '`' | '[' => {
            let close = match d.as_bytes()[0] {
                b'[' => ']',
                b => b as char,
            };
            d[1..].find(close).map(|p| p + 2)?
        }
        _ => d
            .find(|c: char| c.is_whitespace() || c == '(')
            .unwrap_or(d.len()),
    };
    Some(d[..end].to_string())
}

/// `... AS (expr) ...` of a generated column.
fn generated_expression(def: &str) -> Option<String> {
    let upper = def.to_ascii_uppercase();
    let p = find_keyword(&upper, "AS", 0)?;
    let open = p + upper[p..].find('(')?;
    let close = matching_paren(def, open)?;
    Some(def[open + 1..close].trim().to_string())
}

fn word_after(def: &str, keyword: &str) -> Option<String> {
    let upper = def.to_ascii_uppercase();
    let p = find_keyword(&upper, keyword, 0)?;
    def[p + keyword.len()..]
        .split_whitespace()
        .next()
        .map(unquote_ident)
}

/// The name of the `CONSTRAINT name` right before position `p` of `d`, if any.
fn constraint_name_at(d: &str, p: usize) -> Option<String> {
    let before: Vec<&str> = d[..p].split_whitespace().collect();
    match before.as_slice() {
        [.., kw, name] if kw.eq_ignore_ascii_case("CONSTRAINT") => Some(unquote_ident(name)),
        _ => None,
    }
}

fn constraint_name_before(definitions: &[String], keyword: &str) -> Option<String> {
    constraint_names(definitions, keyword)
        .into_iter()
        .flatten()
        .next()
}

/// For each table-level definition that starts a `keyword` constraint, its name (if any), in order.
fn constraint_names(definitions: &[String], keyword: &str) -> Vec<Option<String>> {
    definitions
        .iter()
        .filter_map(|d| {
            let upper = d.to_ascii_uppercase();
            let p = upper.find(keyword)?;
            let head = upper[..p].trim();
            (head.is_empty() || head.starts_with("CONSTRAINT")).then(|| constraint_name_at(d, p))
        })
        .collect()
}

/// Key-part texts and the `WHERE` predicate of a `CREATE INDEX` statement.
fn index_text(sql: &str) -> (Vec<String>, Option<String>) {
    let upper = sql.to_ascii_uppercase();
    let Some(on) = find_keyword(&upper, "ON", 0) else {
        return (vec![], None);
    };
    let Some(open) = upper[on..].find('(').map(|p| p + on) else {
        return (vec![], None);
    };
    let Some(close) = matching_paren(sql, open) else {
        return (vec![], None);
    };
    let parts = split_top_level(&sql[open + 1..close]);
    let rest = &sql[close + 1..];
    let predicate = find_keyword(&rest.to_ascii_uppercase(), "WHERE", 0)
        .map(|p| rest[p + 5..].trim().to_string());
    (parts, predicate)
}

fn strip_order(part: &str) -> String {
    let t = part.trim();
    let u = t.to_ascii_uppercase();
    for suffix in [" DESC", " ASC"] {
        if u.ends_with(suffix) {
            return t[..t.len() - suffix.len()].trim().to_string();
        }
    }
    t.to_string()
}

/// The query of a `CREATE VIEW v AS SELECT ...` statement.
fn view_query(sql: &str) -> String {
    let upper = sql.to_ascii_uppercase();
    match find_keyword(&upper, "AS", 0) {
        Some(p) => sql[p + 2..].trim().to_string(),
        None => sql.to_string(),
    }
}

/// Timing, events, condition and body of a SQLite `CREATE TRIGGER` statement.
pub(crate) fn parse_trigger(name: &str, table: &str, sql: &str) -> Trigger {
    let upper = sql.to_ascii_uppercase();
    let begin = find_keyword(&upper, "BEGIN", 0).unwrap_or(upper.len());
    let head: Vec<&str> = upper[..begin].split_whitespace().collect();
    let timing = if head.windows(2).any(|w| w == ["INSTEAD", "OF"]) {
        TriggerTiming::InsteadOf
    } else if head.contains(&"AFTER") {
        TriggerTiming::After
    } else {
        TriggerTiming::Before
    };
    let events = [
        ("INSERT", TriggerEvent::Insert),
        ("UPDATE", TriggerEvent::Update),
        ("DELETE", TriggerEvent::Delete),
    ]
    .into_iter()
    .filter(|(w, _)| head.contains(w))
    .map(|(_, e)| e)
    .collect();
    let condition =
        find_keyword(&upper[..begin], "WHEN", 0).map(|p| sql[p + 4..begin].trim().to_string());
    let end = upper
        .rfind("END")
        .filter(|e| *e > begin)
        .unwrap_or(upper.len());
    let body = if begin < upper.len() {
        sql[begin + 5..end].trim().to_string()
    } else {
        String::new()
    };
    Trigger {
        name: name.to_string(),
        table: table.to_string(),
        timing,
        events,
        for_each_row: true,
        condition,
        body,
        definition: Some(sql.to_string()),
        disabled: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_trigger_text() {
        let t = parse_trigger(
            "trg",
            "orders",
            "CREATE TRIGGER trg AFTER UPDATE OF status ON orders WHEN new.status <> old.status BEGIN INSERT INTO log VALUES (new.id); END",
        );
        assert_eq!(t.timing, TriggerTiming::After);
        assert_eq!(t.events, vec![TriggerEvent::Update]);
        assert_eq!(t.condition.as_deref(), Some("new.status <> old.status"));
        assert_eq!(t.body, "INSERT INTO log VALUES (new.id);");
    }

    #[test]
    fn reads_index_and_generated_text() {
        let (parts, pred) =
            index_text("CREATE INDEX ix ON t (lower(name) DESC, id) WHERE active = 1");
        assert_eq!(parts, vec!["lower(name) DESC", "id"]);
        assert_eq!(pred.as_deref(), Some("active = 1"));
        assert_eq!(
            generated_expression("total REAL GENERATED ALWAYS AS (qty * price) STORED").as_deref(),
            Some("qty * price")
        );
    }
}
