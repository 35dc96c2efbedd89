//! MySQL and MariaDB discovery from `information_schema` (plus `SHOW CREATE` for routine text).
//!
//! Handles both servers' differences: MariaDB's quoted `COLUMN_DEFAULT` and `NULL` spelling, its
//! JSON alias (a `longtext` guarded by a `json_valid` check), sequences (MariaDB 10.3+), and
//! MySQL 8's functional index parts (`STATISTICS.EXPRESSION`).

use std::collections::HashMap;

use crate::endpoints::{Connection, Engine};
use crate::engines::discover::{DiscoverOptions, in_list, quote_ident};
use crate::error::Result;
use crate::model::*;
use crate::sqltext::parse_declared_type;

const SYSTEM_SCHEMAS: &str = "('mysql','information_schema','performance_schema','sys')";

/// The catalog as it is read, section by section (each section adds to `schemas`).
struct Read<'a> {
    conn: &'a Connection,
    e: Engine,
    is_mariadb: bool,
    /// The condition on the schema that selects what is read (`IN (...)`).
    filter: String,
    /// Schema name -> its place in `schemas`.
    idx: HashMap<String, usize>,
    schemas: Vec<Schema>,
    /// (schema, table) -> its place in its schema's tables.
    table_pos: HashMap<(String, String), usize>,
    /// (schema, table) -> its next AUTO_INCREMENT value.
    auto_inc: HashMap<(String, String), i64>,
    /// MariaDB sequences: (schema's place, name), read last.
    sequence_names: Vec<(usize, String)>,
    /// (schema, table, column) of MariaDB's JSON columns (known by their JSON_VALID check).
    json_columns: HashMap<(String, String, String), ()>,
    /// (schema, table, check), added to their tables once the columns are read.
    checks: Vec<(String, String, CheckConstraint)>,
    /// (schema, view) -> its columns.
    view_columns: HashMap<(String, String), Vec<String>>,
}

pub async fn discover(conn: &Connection, options: &DiscoverOptions) -> Result<Catalog> {
    let e = conn.engine();
    let version = conn
        .query_scalar("reading the server version", "SELECT VERSION()")
        .await?
        .unwrap_or_default();
    let is_mariadb = version.to_ascii_lowercase().contains("mariadb");
    let database = conn
        .query_scalar("reading the current database", "SELECT DATABASE()")
        .await?
        .unwrap_or_default();
    let filter = if !options.schemas.is_empty() {
        format!("IN {}", in_list(e, &options.schemas))
    } else if !database.is_empty() {
        format!("IN {}", in_list(e, std::slice::from_ref(&database)))
    } else {
        format!("NOT IN {SYSTEM_SCHEMAS}")
    };

    let schema_rows = conn
        .query(
            "reading schemas",
            &format!(
                "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME {filter} ORDER BY SCHEMA_NAME"
            ),
        )
        .await?;
    let (schemas, idx) = crate::engines::discover::schemas_of(&schema_rows);

    let mut r = Read {
        conn,
        e,
        is_mariadb,
        filter,
        idx,
        schemas,
        table_pos: HashMap::new(),
        auto_inc: HashMap::new(),
        sequence_names: vec![],
        json_columns: HashMap::new(),
        checks: vec![],
        view_columns: HashMap::new(),
    };
    r.tables().await?;
    r.check_constraints().await?;
    r.columns().await?;
    r.settle_columns();
    r.keys().await?;
    r.indexes().await?;
    r.views().await?;
    r.routines().await?;
    r.triggers().await?;
    r.sequences().await?;
    let schemas = r.schemas;

    // The catalog.
    Ok(Catalog {
        engine: Some(if is_mariadb {
            Engine::MariaDb
        } else {
            Engine::MySql
        }),
        server: Some(format!(
            "{} {}",
            if is_mariadb { "MariaDB" } else { "MySQL" },
            version.split('-').next().unwrap_or_default()
        )),
        database,
        schemas,
        extensions: vec![],
    })
}

impl Read<'_> {
    /// Tables, views and sequences.
    async fn tables(&mut self) -> Result<()> {
        let Read {
            conn,
            filter,
            idx,
            schemas,
            table_pos,
            auto_inc,
            sequence_names,
            ..
        } = self;
        let rows = conn
            .query(
                "reading tables",
                &format!(
                    "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, TABLE_TYPE AS kind, ENGINE AS engine, TABLE_ROWS AS est_rows, \
                     DATA_LENGTH + INDEX_LENGTH AS size, AUTO_INCREMENT AS ai, TABLE_COLLATION AS coll, TABLE_COMMENT AS cmt, \
                     CREATE_OPTIONS AS opts FROM information_schema.TABLES WHERE TABLE_SCHEMA {filter}"
                ),
            )
            .await?;
        for r in &rows {
            let Some(&si) = idx.get(&r.s("s")) else {
                continue;
            };
            let kind = r.s("kind");
            let name = r.s("t");
            if kind == "SEQUENCE" {
                sequence_names.push((si, name));
                continue;
            }
            if kind == "VIEW" {
                continue;
            }
            let coll = r.nonempty("coll");
            let mut storage = r.nonempty("engine");
            if let Some(o) = r.nonempty("opts").filter(|o| o.contains("partitioned")) {
                storage = Some(
                    format!("{} {o}", storage.unwrap_or_default())
                        .trim()
                        .to_string(),
                );
            }
            let table = Table {
                name: name.clone(),
                storage,
                default_charset: coll
                    .as_ref()
                    .and_then(|c| c.split('_').next().map(str::to_string)),
                default_collation: coll,
                comment: r.nonempty("cmt"),
                stats: TableStats {
                    estimated_rows: r.i64("est_rows"),
                    size_bytes: r.i64("size"),
                    exact_rows: None,
                },
                ..Default::default()
            };
            if let Some(ai) = r.i64("ai") {
                auto_inc.insert((r.s("s"), name.clone()), ai);
            }
            table_pos.insert((r.s("s"), name), schemas[si].tables.len());
            schemas[si].tables.push(table);
        }
        Ok(())
    }

    /// Check constraints first: MariaDB's JSON columns are recognised by theirs.
    async fn check_constraints(&mut self) -> Result<()> {
        let is_mariadb = self.is_mariadb;
        let Read {
            conn,
            filter,
            json_columns,
            checks,
            ..
        } = self;
        let check_rows = conn
            .query_text(&format!(
                "SELECT tc.TABLE_SCHEMA AS s, tc.TABLE_NAME AS t, cc.CONSTRAINT_NAME AS name, cc.CHECK_CLAUSE AS expr \
                 FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc \
                 ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME {} \
                 WHERE tc.CONSTRAINT_TYPE = 'CHECK' AND tc.TABLE_SCHEMA {filter} ORDER BY cc.CONSTRAINT_NAME",
                if is_mariadb { "AND cc.TABLE_NAME = tc.TABLE_NAME" } else { "" }
            ))
            .await
            .unwrap_or_default(); // servers before CHECK support have no such table
        for r in &check_rows {
            let (s, t, name, expr) = (r.s("s"), r.s("t"), r.s("name"), r.s("expr"));
            let json_guard = format!("json_valid(`{name}`)");
            if is_mariadb && expr.trim() == json_guard {
                json_columns.insert((s, t, name), ());
                continue;
            }
            checks.push((
                s,
                t,
                CheckConstraint {
                    name: Some(name),
                    expression: expr,
                },
            ));
        }
        Ok(())
    }

    /// Columns (of tables and views).
    async fn columns(&mut self) -> Result<()> {
        let is_mariadb = self.is_mariadb;
        let Read {
            conn,
            filter,
            idx,
            schemas,
            table_pos,
            auto_inc,
            json_columns,
            view_columns,
            ..
        } = self;
        let rows = conn
            .query(
                "reading columns",
                &format!(
                    "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS c, ORDINAL_POSITION AS pos, COLUMN_DEFAULT AS def, \
                     IS_NULLABLE AS nullable, DATA_TYPE AS dt, COLUMN_TYPE AS ct, CHARACTER_MAXIMUM_LENGTH AS len, \
                     NUMERIC_PRECISION AS prec, NUMERIC_SCALE AS scale, DATETIME_PRECISION AS dtp, CHARACTER_SET_NAME AS cs, \
                     COLLATION_NAME AS coll, EXTRA AS extra, COLUMN_COMMENT AS cmt, GENERATION_EXPRESSION AS gen \
                     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA {filter} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION"
                ),
            )
            .await?;
        for r in &rows {
            let key = (r.s("s"), r.s("t"));
            let Some(&si) = idx.get(&key.0) else { continue };
            let Some(&ti) = table_pos.get(&key) else {
                view_columns.entry(key).or_default().push(r.s("c"));
                continue;
            };
            let extra = r.s("extra").to_ascii_lowercase();
            let column_name = r.s("c");
            let mut data_type = parse_declared_type(&r.s("ct"));
            let dt = r.s("dt").to_ascii_lowercase();
            data_type.name = dt.clone();
            if matches!(dt.as_str(), "char" | "varchar" | "binary" | "varbinary") {
                data_type.length = r.i64("len").map(|v| v as u64);
            }
            if dt == "bit" {
                data_type.length = r.i64("prec").map(|v| v as u64);
            }
            if matches!(dt.as_str(), "decimal" | "numeric") {
                data_type.precision = r.u32("prec");
                data_type.scale = r.u32("scale");
            }
            if matches!(dt.as_str(), "datetime" | "timestamp" | "time") {
                data_type.fractional_seconds = r.u32("dtp");
            }
            if json_columns.contains_key(&(key.0.clone(), key.1.clone(), column_name.clone())) {
                data_type = DataType::simple("json");
            }
            let generated = r
                .nonempty("gen")
                .filter(|_| {
                    extra.contains("generated")
                        || extra.contains("virtual")
                        || extra.contains("stored")
                        || extra.contains("persistent")
                })
                .map(|expression| GeneratedColumn {
                    expression,
                    stored: extra.contains("stored") || extra.contains("persistent"),
                });
            let mut default = r.opt("def");
            if is_mariadb && default.as_deref() == Some("NULL") {
                default = None;
            } else if !is_mariadb
                && let Some(d) = &default
                && !extra.contains("default_generated")
                && !is_numeric_literal(d)
            {
                // MySQL 8 prints literal defaults bare; quote them so every default is an expression.
                default = Some(crate::engines::discover::quote_literal(Engine::MySql, d));
            }
            if generated.is_some() {
                default = None;
            }
            let on_update = extra
                .find("on update ")
                .map(|p| r.s("extra")[p + "on update ".len()..].trim().to_string());
            let identity = extra
                .contains("auto_increment")
                .then(|| Identity::AutoIncrement {
                    next_value: auto_inc.get(&key).copied(),
                });
            let column = Column {
                name: column_name,
                ordinal: r.u32("pos").unwrap_or(0),
                data_type,
                nullable: r.s("nullable") == "YES",
                default,
                identity,
                generated,
                charset: r.nonempty("cs"),
                collation: r.nonempty("coll"),
                comment: r.nonempty("cmt"),
                on_update,
            };
            schemas[si].tables[ti].columns.push(column);
        }
        Ok(())
    }

    /// A column's character set and collation kept only where they differ from its table's;
    /// the check constraints added to their tables.
    fn settle_columns(&mut self) {
        let Read {
            idx,
            schemas,
            table_pos,
            checks,
            ..
        } = self;
        for schema in schemas.iter_mut() {
            for table in &mut schema.tables {
                let (tcs, tcoll) = (
                    table.default_charset.clone(),
                    table.default_collation.clone(),
                );
                for c in &mut table.columns {
                    if c.collation.is_some() && c.collation == tcoll {
                        c.collation = None;
                        if c.charset == tcs {
                            c.charset = None;
                        }
                    }
                }
            }
        }
        for (s, t, check) in std::mem::take(checks) {
            if let (Some(&si), Some(&ti)) = (idx.get(&s), table_pos.get(&(s.clone(), t))) {
                schemas[si].tables[ti].check_constraints.push(check);
            }
        }
    }

    /// Primary keys and foreign keys.
    async fn keys(&mut self) -> Result<()> {
        let Read {
            conn,
            filter,
            idx,
            schemas,
            table_pos,
            ..
        } = self;
        let rows = conn
            .query(
                "reading keys",
                &format!(
                    "SELECT k.TABLE_SCHEMA AS s, k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS name, tc.CONSTRAINT_TYPE AS kind, \
                     k.COLUMN_NAME AS c, k.REFERENCED_TABLE_SCHEMA AS rs, k.REFERENCED_TABLE_NAME AS rt, \
                     k.REFERENCED_COLUMN_NAME AS rc, rc.UPDATE_RULE AS upd, rc.DELETE_RULE AS del \
                     FROM information_schema.KEY_COLUMN_USAGE k \
                     JOIN information_schema.TABLE_CONSTRAINTS tc ON tc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
                       AND tc.TABLE_NAME = k.TABLE_NAME AND tc.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
                     LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS rc ON rc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
                       AND rc.TABLE_NAME = k.TABLE_NAME AND rc.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
                     WHERE k.TABLE_SCHEMA {filter} AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'FOREIGN KEY') \
                     ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
                ),
            )
            .await?;
        for r in &rows {
            let key = (r.s("s"), r.s("t"));
            let (Some(&si), Some(&ti)) = (idx.get(&key.0), table_pos.get(&key)) else {
                continue;
            };
            let table = &mut schemas[si].tables[ti];
            if r.s("kind") == "PRIMARY KEY" {
                table
                    .primary_key
                    .get_or_insert_with(|| PrimaryKey {
                        name: Some(r.s("name")),
                        columns: vec![],
                    })
                    .columns
                    .push(r.s("c"));
                continue;
            }
            let name = Some(r.s("name"));
            if table.foreign_keys.last().map(|f| &f.name) != Some(&name) {
                let rs = r.s("rs");
                table.foreign_keys.push(ForeignKey {
                    name: name.clone(),
                    columns: vec![],
                    referenced_schema: (rs != key.0).then_some(rs),
                    referenced_table: r.s("rt"),
                    referenced_columns: vec![],
                    on_update: ReferentialAction::parse(&r.s("upd")),
                    on_delete: ReferentialAction::parse(&r.s("del")),
                });
            }
            let fk = table.foreign_keys.last_mut().expect("pushed above");
            fk.columns.push(r.s("c"));
            fk.referenced_columns.push(r.s("rc"));
        }
        Ok(())
    }

    /// Indexes (MySQL 8 adds EXPRESSION for functional key parts; MariaDB has no such column).
    async fn indexes(&mut self) -> Result<()> {
        let is_mariadb = self.is_mariadb;
        let Read {
            conn,
            filter,
            idx,
            schemas,
            table_pos,
            ..
        } = self;
        let stats_sql = |with_expr: bool| {
            format!(
                "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS c, \
                 SUB_PART AS sub, INDEX_TYPE AS method, COLLATION AS ord{} FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA {filter} AND INDEX_NAME <> 'PRIMARY' ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
                if with_expr {
                    ", EXPRESSION AS expr"
                } else {
                    ""
                }
            )
        };
        let rows = match conn.query_text(&stats_sql(!is_mariadb)).await {
            Ok(rows) => rows,
            Err(_) => conn.query("reading indexes", &stats_sql(false)).await?,
        };
        for r in &rows {
            let key = (r.s("s"), r.s("t"));
            let (Some(&si), Some(&ti)) = (idx.get(&key.0), table_pos.get(&key)) else {
                continue;
            };
            let table = &mut schemas[si].tables[ti];
            let name = r.s("name");
            if table.indexes.last().map(|i| &i.name) != Some(&name) {
                table.indexes.push(Index {
                    name: name.clone(),
                    unique: r.s("non_unique") == "0",
                    method: Some(r.s("method").to_ascii_lowercase()),
                    parts: vec![],
                    predicate: None,
                    ignore_dup_key: false,
                });
            }
            let index = table.indexes.last_mut().expect("pushed above");
            index.parts.push(IndexPart {
                column: r.nonempty("c"),
                expression: r.nonempty("expr"),
                prefix_length: r.u32("sub"),
                descending: r.s("ord") == "D",
                operator_class: None,
            });
        }
        Ok(())
    }

    /// Views.
    async fn views(&mut self) -> Result<()> {
        let Read {
            conn,
            filter,
            idx,
            schemas,
            view_columns,
            ..
        } = self;
        let rows = conn
            .query(
                "reading views",
                &format!(
                    "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, VIEW_DEFINITION AS def FROM information_schema.VIEWS \
                     WHERE TABLE_SCHEMA {filter}"
                ),
            )
            .await?;
        for r in &rows {
            let Some(&si) = idx.get(&r.s("s")) else {
                continue;
            };
            let key = (r.s("s"), r.s("t"));
            schemas[si].views.push(View {
                name: key.1.clone(),
                definition: r.s("def"),
                materialized: false,
                columns: view_columns.remove(&key).unwrap_or_default(),
                comment: None,
            });
        }
        Ok(())
    }

    /// Routines and their parameters.
    async fn routines(&mut self) -> Result<()> {
        let e = self.e;
        let Read {
            conn,
            filter,
            idx,
            schemas,
            ..
        } = self;
        let rows = conn
            .query(
                "reading routines",
                &format!(
                    "SELECT ROUTINE_SCHEMA AS s, ROUTINE_NAME AS name, ROUTINE_TYPE AS kind, DTD_IDENTIFIER AS ret, \
                     ROUTINE_DEFINITION AS body, IS_DETERMINISTIC AS det, ROUTINE_COMMENT AS cmt \
                     FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA {filter}"
                ),
            )
            .await?;
        let params = conn
            .query(
                "reading routine parameters",
                &format!(
                    "SELECT SPECIFIC_SCHEMA AS s, SPECIFIC_NAME AS name, ORDINAL_POSITION AS pos, PARAMETER_MODE AS mode, \
                     PARAMETER_NAME AS pname, DTD_IDENTIFIER AS dt FROM information_schema.PARAMETERS \
                     WHERE SPECIFIC_SCHEMA {filter} AND ORDINAL_POSITION > 0 ORDER BY SPECIFIC_SCHEMA, SPECIFIC_NAME, ORDINAL_POSITION"
                ),
            )
            .await?;
        for r in &rows {
            let Some(&si) = idx.get(&r.s("s")) else {
                continue;
            };
            let name = r.s("name");
            let kind = if r.s("kind") == "PROCEDURE" {
                RoutineKind::Procedure
            } else {
                RoutineKind::Function
            };
            let parameters = params
                .iter()
                .filter(|p| p.s("s") == r.s("s") && p.s("name") == name)
                .map(|p| Parameter {
                    name: p.nonempty("pname"),
                    mode: p.nonempty("mode").unwrap_or_else(|| "IN".into()),
                    data_type: p.s("dt"),
                })
                .collect();
            let show = format!(
                "SHOW CREATE {} {}.{}",
                if kind == RoutineKind::Procedure {
                    "PROCEDURE"
                } else {
                    "FUNCTION"
                },
                quote_ident(e, &r.s("s")),
                quote_ident(e, &name)
            );
            let definition = conn.query_text(&show).await.ok().and_then(|rows| {
                rows.first().and_then(|x| {
                    x.nonempty("Create Procedure")
                        .or_else(|| x.nonempty("Create Function"))
                })
            });
            schemas[si].routines.push(Routine {
                name,
                kind,
                parameters,
                return_type: (kind == RoutineKind::Function).then(|| r.s("ret")),
                language: Some("SQL".into()),
                deterministic: Some(r.s("det") == "YES"),
                body: r.s("body"),
                definition,
                comment: r.nonempty("cmt"),
            });
        }
        Ok(())
    }

    /// Triggers.
    async fn triggers(&mut self) -> Result<()> {
        let Read {
            conn,
            filter,
            idx,
            schemas,
            ..
        } = self;
        let rows = conn
            .query(
                "reading triggers",
                &format!(
                    "SELECT TRIGGER_SCHEMA AS s, TRIGGER_NAME AS name, EVENT_MANIPULATION AS ev, EVENT_OBJECT_TABLE AS t, \
                     ACTION_TIMING AS timing, ACTION_STATEMENT AS body, ACTION_ORIENTATION AS orient \
                     FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA {filter} ORDER BY ACTION_ORDER"
                ),
            )
            .await?;
        for r in &rows {
            let Some(&si) = idx.get(&r.s("s")) else {
                continue;
            };
            let events = r
                .s("ev")
                .split(',')
                .filter_map(|ev| match ev.trim() {
                    "INSERT" => Some(TriggerEvent::Insert),
                    "UPDATE" => Some(TriggerEvent::Update),
                    "DELETE" => Some(TriggerEvent::Delete),
                    _ => None,
                })
                .collect();
            schemas[si].triggers.push(Trigger {
                name: r.s("name"),
                table: r.s("t"),
                timing: if r.s("timing") == "BEFORE" {
                    TriggerTiming::Before
                } else {
                    TriggerTiming::After
                },
                events,
                for_each_row: r.s("orient") != "STATEMENT",
                condition: None,
                body: r.s("body"),
                definition: None,
                disabled: false,
            });
        }
        Ok(())
    }

    /// MariaDB sequences.
    async fn sequences(&mut self) -> Result<()> {
        let e = self.e;
        let Read {
            conn,
            schemas,
            sequence_names,
            ..
        } = self;
        for (si, name) in std::mem::take(sequence_names) {
            let sql = format!(
                "SELECT next_not_cached_value AS next, minimum_value AS min, maximum_value AS max, start_value AS start, \
                 increment AS inc, cycle_option AS cyc FROM {}.{}",
                quote_ident(e, &schemas[si].name),
                quote_ident(e, &name)
            );
            let r = conn
                .query(&format!("reading sequence {name}"), &sql)
                .await?;
            let Some(r) = r.first() else { continue };
            schemas[si].sequences.push(Sequence {
                name,
                data_type: Some("bigint".into()),
                start: r.i64("start"),
                increment: r.i64("inc"),
                min_value: r.i64("min"),
                max_value: r.i64("max"),
                cycle: r.bool("cyc"),
                last_value: None,
                next_value: r.i64("next"),
                owned_by: None,
            });
        }
        Ok(())
    }
}

fn is_numeric_literal(s: &str) -> bool {
    !s.is_empty() && s.parse::<f64>().is_ok()
}
