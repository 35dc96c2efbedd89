//! PostgreSQL discovery from `pg_catalog` (and the `pg_get_*def` functions for object text).
//!
//! Objects that belong to extensions are left out (they come back with `CREATE EXTENSION`);
//! partitions are folded into their partitioned parent; identity sequences are described on their
//! column, serial sequences both on the column and as sequences owned by it.

use std::collections::HashMap;

use crate::endpoints::{Connection, Engine};
use crate::engines::discover::{DiscoverOptions, in_list, split_list};
use crate::error::Result;
use crate::model::*;
use crate::sqltext::parse_declared_type;

const NOT_EXTENSION: &str = "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.objid = {oid} AND dep.deptype = 'e')";

/// `NOT_EXTENSION` for the object `oid`.
fn not_ext(oid: &str) -> String {
    NOT_EXTENSION.replace("{oid}", oid)
}

/// The catalog as it is read, section by section (each section adds to `schemas`).
struct Read<'a> {
    conn: &'a Connection,
    /// The condition on the schema (`n.nspname`) that selects what is read.
    filter: String,
    /// Schema name -> its place in `schemas`.
    idx: HashMap<String, usize>,
    schemas: Vec<Schema>,
    /// (schema, type) -> the enum's labels.
    enum_values: HashMap<(String, String), Vec<String>>,
    /// (schema, table) -> its place in its schema's tables (and views).
    table_pos: HashMap<(String, String), usize>,
    view_pos: HashMap<(String, String), usize>,
    /// The sequences read with the columns (serial and identity columns describe theirs).
    seq_rows: Vec<crate::endpoints::TextRow>,
}

pub async fn discover(conn: &Connection, options: &DiscoverOptions) -> Result<Catalog> {
    let e = Engine::Postgres;
    let filter = if options.schemas.is_empty() {
        "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'".to_string()
    } else {
        format!("n.nspname IN {}", in_list(e, &options.schemas))
    };
    let head = conn
        .query(
            "reading the server version",
            "SELECT current_database() AS d, current_setting('server_version') AS v",
        )
        .await?;
    let database = head.first().map(|r| r.s("d")).unwrap_or_default();
    let version = head.first().map(|r| r.s("v")).unwrap_or_default();

    let rows = conn
        .query(
            "reading schemas",
            &format!("SELECT n.nspname AS name FROM pg_catalog.pg_namespace n WHERE {filter} AND {} ORDER BY 1", not_ext("n.oid")),
        )
        .await?;
    let (schemas, idx) = crate::engines::discover::schemas_of(&rows);

    let mut r = Read {
        conn,
        filter,
        idx,
        schemas,
        enum_values: HashMap::new(),
        table_pos: HashMap::new(),
        view_pos: HashMap::new(),
        seq_rows: vec![],
    };
    r.types().await?;
    r.tables().await?;
    r.sequence_rows().await?;
    r.columns().await?;
    r.sequences().await?;
    r.constraints().await?;
    r.indexes().await?;
    r.routines().await?;
    r.triggers().await?;
    let schemas = r.schemas;

    // Extensions (what PostgreSQL to PostgreSQL needs created first).
    let extensions = conn
        .query(
            "reading extensions",
            "SELECT e.extname AS name, n.nspname AS s FROM pg_catalog.pg_extension e \
             JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace \
             WHERE e.extname <> 'plpgsql' ORDER BY e.extname",
        )
        .await?
        .iter()
        .map(|r| (r.s("name"), r.s("s")))
        .collect();
    Ok(Catalog {
        engine: Some(Engine::Postgres),
        server: Some(format!("PostgreSQL {version}")),
        database,
        schemas,
        extensions,
    })
}

impl Read<'_> {
    /// Enum and domain types.
    async fn types(&mut self) -> Result<()> {
        let Read {
            conn,
            filter,
            idx,
            schemas,
            enum_values,
            ..
        } = self;
        let rows = conn
            .query(
                "reading types",
                &format!(
                    "SELECT n.nspname AS s, t.typname AS name, t.typtype AS kind, \
                     array_to_string(ARRAY(SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), chr(1)) AS labels, \
                     format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull AS notnull, t.typdefault AS def, \
                     array_to_string(ARRAY(SELECT pg_get_constraintdef(c.oid, true) FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid ORDER BY c.conname), chr(1)) AS checks, \
                     obj_description(t.oid, 'pg_type') AS cmt \
                     FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
                     WHERE t.typtype IN ('e', 'd') AND {filter} AND {}",
                    not_ext("t.oid")
                ),
            )
            .await?;
        for r in &rows {
            let Some(&si) = idx.get(&r.s("s")) else {
                continue;
            };
            let kind = if r.s("kind") == "e" {
                let values = split_list(r.get("labels"));
                enum_values.insert((r.s("s"), r.s("name")), values.clone());
                UserTypeKind::Enum { values }
            } else {
                UserTypeKind::Domain {
                    base: r.s("base"),
                    nullable: !r.bool("notnull"),
                    default: r.nonempty("def"),
                    checks: split_list(r.get("checks")),
                }
            };
            schemas[si].types.push(UserType {
                name: r.s("name"),
                kind,
                comment: r.nonempty("cmt"),
            });
        }
        Ok(())
    }

    /// Tables, views, materialized views.
    async fn tables(&mut self) -> Result<()> {
        let Read {
            conn,
            filter,
            idx,
            schemas,
            table_pos,
            view_pos,
            ..
        } = self;
        let rows = conn
            .query(
                "reading tables",
                &format!(
                    "SELECT n.nspname AS s, c.relname AS name, c.relkind AS kind, c.reltuples::bigint AS est, \
                     pg_total_relation_size(c.oid) AS size, obj_description(c.oid, 'pg_class') AS cmt, \
                     CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS def, \
                     (SELECT count(*) FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid) AS parts, \
                     c.relpersistence AS persistence, \
                     (SELECT string_agg(pc.relname, ', ') FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent WHERE i.inhrelid = c.oid) AS parents \
                     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {filter} AND {}",
                    not_ext("c.oid")
                ),
            )
            .await?;
        for r in &rows {
            let Some(&si) = idx.get(&r.s("s")) else {
                continue;
            };
            let key = (r.s("s"), r.s("name"));
            match r.s("kind").as_str() {
                "v" | "m" => {
                    view_pos.insert(key.clone(), schemas[si].views.len());
                    schemas[si].views.push(View {
                        name: key.1,
                        definition: r.s("def").trim().to_string(),
                        materialized: r.s("kind") == "m",
                        columns: vec![],
                        comment: r.nonempty("cmt"),
                    });
                }
                kind => {
                    let mut storage = match kind {
                        "p" => Some(format!("partitioned ({} partitions)", r.s("parts"))),
                        "f" => Some("foreign table".to_string()),
                        _ => None,
                    };
                    if let Some(parents) = r.nonempty("parents") {
                        storage = Some(format!("inherits {parents}"));
                    }
                    if r.s("persistence") == "u" {
                        storage = Some("unlogged".into());
                    }
                    let est = r.i64("est").filter(|v| *v >= 0);
                    table_pos.insert(key.clone(), schemas[si].tables.len());
                    schemas[si].tables.push(Table {
                        name: key.1,
                        comment: r.nonempty("cmt"),
                        storage,
                        stats: TableStats {
                            estimated_rows: est,
                            size_bytes: r.i64("size"),
                            exact_rows: None,
                        },
                        ..Default::default()
                    });
                }
            }
        }
        Ok(())
    }

    /// The sequences, read before the columns (serial and identity columns describe theirs).
    async fn sequence_rows(&mut self) -> Result<()> {
        let Read {
            conn,
            filter,
            seq_rows,
            ..
        } = self;
        *seq_rows = conn
            .query(
                "reading sequences",
                &format!(
                    "SELECT n.nspname AS s, c.relname AS name, format_type(q.seqtypid, NULL) AS dt, q.seqstart AS start, \
                     q.seqincrement AS inc, q.seqmin AS min, q.seqmax AS max, q.seqcycle AS cyc, ps.last_value AS last, \
                     (SELECT d.deptype FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) AS dep, \
                     (SELECT tc.relname || '.' || ta.attname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid \
                       JOIN pg_catalog.pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid \
                       WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass \
                       AND d.deptype IN ('a', 'i') LIMIT 1) AS owner \
                     FROM pg_catalog.pg_sequence q JOIN pg_catalog.pg_class c ON c.oid = q.seqrelid \
                     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                     LEFT JOIN pg_catalog.pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = c.relname \
                     WHERE {filter} AND {}",
                    not_ext("c.oid")
                ),
            )
            .await?;
        Ok(())
    }

    /// Columns, with their identity or serial sequence.
    async fn columns(&mut self) -> Result<()> {
        let Read {
            conn,
            filter,
            idx,
            schemas,
            enum_values,
            table_pos,
            view_pos,
            seq_rows,
            ..
        } = self;
        let rows = conn
            .query(
                "reading columns",
                &format!(
                    "SELECT n.nspname AS s, c.relname AS t, a.attname AS name, a.attnum AS pos, \
                     format_type(a.atttypid, a.atttypmod) AS declared, \
                     CASE WHEN t.typcategory = 'A' THEN et.typname ELSE t.typname END AS typname, \
                     CASE WHEN t.typcategory = 'A' THEN etn.nspname ELSE tn.nspname END AS typschema, \
                     CASE WHEN t.typcategory = 'A' THEN et.typtype ELSE t.typtype END AS typtype, \
                     t.typcategory = 'A' AS is_array, a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def, \
                     a.attidentity AS ident, a.attgenerated AS gen, col_description(a.attrelid, a.attnum) AS cmt, \
                     CASE WHEN a.attcollation <> t.typcollation THEN coll.collname END AS coll, \
                     CASE WHEN a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%' \
                       THEN pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) END AS seq \
                     FROM pg_catalog.pg_attribute a \
                     JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                     JOIN pg_catalog.pg_type t ON t.oid = a.atttypid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace \
                     LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem LEFT JOIN pg_catalog.pg_namespace etn ON etn.oid = et.typnamespace \
                     LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                     LEFT JOIN pg_catalog.pg_collation coll ON coll.oid = a.attcollation \
                     WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {filter} \
                     ORDER BY n.nspname, c.relname, a.attnum"
                ),
            )
            .await?;
        let seq_by_name: HashMap<String, &crate::endpoints::TextRow> = seq_rows
            .iter()
            .map(|r| (format!("{}.{}", r.s("s"), r.s("name")), r))
            .collect();
        for r in &rows {
            let key = (r.s("s"), r.s("t"));
            let Some(&si) = idx.get(&key.0) else { continue };
            if let Some(&vi) = view_pos.get(&key) {
                schemas[si].views[vi].columns.push(r.s("name"));
                continue;
            }
            let Some(&ti) = table_pos.get(&key) else {
                continue;
            };
            let mut data_type = parse_declared_type(&r.s("declared"));
            if r.bool("is_array") && data_type.array_dims == 0 {
                data_type.array_dims = 1;
            }
            let typname = r.s("typname");
            let typschema = r.s("typschema");
            if matches!(r.s("typtype").as_str(), "e" | "d" | "c") {
                data_type.name = typname.clone();
                data_type.type_schema = Some(typschema.clone());
                if let Some(v) = enum_values.get(&(typschema.clone(), typname.clone())) {
                    data_type.values = v.clone();
                }
            }
            let mut default = r.opt("def");
            let seq = r.nonempty("seq");
            let identity = match r.s("ident").as_str() {
                "a" | "d" => {
                    let s = seq
                        .as_ref()
                        .and_then(|s| seq_by_name.get(&s.replace('"', "")));
                    Some(Identity::Identity {
                        always: r.s("ident") == "a",
                        start: s.and_then(|s| s.i64("start")),
                        increment: s.and_then(|s| s.i64("inc")),
                    })
                }
                _ => seq
                    .or_else(|| default.as_deref().and_then(nextval_sequence))
                    .map(|sequence| Identity::Serial { sequence }),
            };
            let generated = (r.s("gen") == "s").then(|| GeneratedColumn {
                expression: default.take().unwrap_or_default(),
                stored: true,
            });
            schemas[si].tables[ti].columns.push(Column {
                name: r.s("name"),
                ordinal: r.u32("pos").unwrap_or(0),
                data_type,
                nullable: !r.bool("notnull"),
                default,
                identity,
                generated,
                charset: None,
                collation: r.nonempty("coll"),
                comment: r.nonempty("cmt"),
                on_update: None,
            });
        }
        Ok(())
    }

    /// Sequences (identity sequences are described on their column).
    async fn sequences(&mut self) -> Result<()> {
        let Read {
            idx,
            schemas,
            seq_rows,
            ..
        } = self;
        for r in seq_rows.iter() {
            let Some(&si) = idx.get(&r.s("s")) else {
                continue;
            };
            if r.s("dep") == "i" {
                continue;
            }
            let last = r.i64("last");
            let inc = r.i64("inc").unwrap_or(1);
            schemas[si].sequences.push(Sequence {
                name: r.s("name"),
                data_type: r.nonempty("dt"),
                start: r.i64("start"),
                increment: r.i64("inc"),
                min_value: r.i64("min"),
                max_value: r.i64("max"),
                cycle: r.bool("cyc"),
                last_value: last,
                next_value: Some(
                    last.map(|l| l + inc)
                        .unwrap_or_else(|| r.i64("start").unwrap_or(1)),
                ),
                owned_by: r.nonempty("owner"),
            });
        }
        Ok(())
    }

    /// Constraints.
    async fn constraints(&mut self) -> Result<()> {
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
                "reading constraints",
                &format!(
                    "SELECT n.nspname AS s, c.relname AS t, con.conname AS name, con.contype AS kind, \
                     array_to_string(ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord) \
                       JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord), chr(1)) AS cols, \
                     fn.nspname AS rs, fc.relname AS rt, \
                     array_to_string(ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord) \
                       JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord), chr(1)) AS rcols, \
                     con.confupdtype AS upd, con.confdeltype AS del, pg_get_expr(con.conbin, con.conrelid, true) AS expr \
                     FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid \
                     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                     LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace \
                     WHERE con.contype IN ('p', 'u', 'f', 'c') AND {filter} ORDER BY n.nspname, c.relname, con.conname"
                ),
            )
            .await?;
        for r in &rows {
            let key = (r.s("s"), r.s("t"));
            let (Some(&si), Some(&ti)) = (idx.get(&key.0), table_pos.get(&key)) else {
                continue;
            };
            let table = &mut schemas[si].tables[ti];
            let name = Some(r.s("name"));
            let columns = split_list(r.get("cols"));
            match r.s("kind").as_str() {
                "p" => table.primary_key = Some(PrimaryKey { name, columns }),
                "u" => table
                    .unique_constraints
                    .push(UniqueConstraint { name, columns }),
                "c" => table.check_constraints.push(CheckConstraint {
                    name,
                    expression: r.s("expr"),
                }),
                _ => {
                    let rs = r.s("rs");
                    table.foreign_keys.push(ForeignKey {
                        name,
                        columns,
                        referenced_schema: (rs != key.0).then_some(rs),
                        referenced_table: r.s("rt"),
                        referenced_columns: split_list(r.get("rcols")),
                        on_update: ReferentialAction::parse(&r.s("upd")),
                        on_delete: ReferentialAction::parse(&r.s("del")),
                    })
                }
            }
        }
        Ok(())
    }

    /// Indexes that do not merely back a constraint.
    async fn indexes(&mut self) -> Result<()> {
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
                "reading indexes",
                &format!(
                    "SELECT n.nspname AS s, c.relname AS t, i.relname AS name, ix.indisunique AS uniq, am.amname AS method, \
                     pg_get_expr(ix.indpred, ix.indrelid, true) AS pred, ix.indkey::text AS keys, ix.indoption::text AS opts, \
                     array_to_string(ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(1, ix.indnkeyatts) k ORDER BY k), chr(1)) AS parts, \
                     array_to_string(ARRAY(SELECT CASE WHEN o.opcdefault THEN '-' ELSE o.opcname END FROM unnest(ix.indclass::oid[]) WITH ORDINALITY AS k(oid, n) JOIN pg_catalog.pg_opclass o ON o.oid = k.oid ORDER BY k.n), ' ') AS opclasses \
                     FROM pg_catalog.pg_index ix JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid \
                     JOIN pg_catalog.pg_class c ON c.oid = ix.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                     JOIN pg_catalog.pg_am am ON am.oid = i.relam \
                     WHERE {filter} AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = ix.indexrelid AND k.contype IN ('p', 'u', 'x')) \
                     ORDER BY n.nspname, c.relname, i.relname"
                ),
            )
            .await?;
        for r in &rows {
            let key = (r.s("s"), r.s("t"));
            let (Some(&si), Some(&ti)) = (idx.get(&key.0), table_pos.get(&key)) else {
                continue;
            };
            let keys: Vec<&str> = r
                .get("keys")
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            let opts: Vec<i64> = r
                .get("opts")
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            // Operator classes other than the type's default (gin_trgm_ops), by key position.
            let opclasses: Vec<&str> = r
                .get("opclasses")
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            let parts = split_list(r.get("parts"))
                .into_iter()
                .enumerate()
                .map(|(k, text)| {
                    let expression = keys.get(k).is_some_and(|a| *a == "0");
                    IndexPart {
                        column: (!expression).then(|| crate::sqltext::unquote_ident(&text)),
                        expression: expression.then_some(text),
                        prefix_length: None,
                        descending: opts.get(k).is_some_and(|o| o & 1 == 1),
                        operator_class: opclasses
                            .get(k)
                            .filter(|o| **o != "-")
                            .map(|o| o.to_string()),
                    }
                })
                .collect();
            schemas[si].tables[ti].indexes.push(Index {
                name: r.s("name"),
                unique: r.bool("uniq"),
                method: r.nonempty("method"),
                parts,
                predicate: r.nonempty("pred"),
                ignore_dup_key: false,
            });
        }
        Ok(())
    }

    /// Procedures and functions (not aggregates or window functions).
    async fn routines(&mut self) -> Result<()> {
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
                    "SELECT n.nspname AS s, p.proname AS name, p.prokind AS kind, pg_get_function_result(p.oid) AS ret, \
                     l.lanname AS lang, p.prosrc AS body, p.provolatile AS vol, obj_description(p.oid, 'pg_proc') AS cmt, \
                     pg_get_functiondef(p.oid) AS def, array_to_string(p.proargnames, chr(1)) AS names, \
                     array_to_string(p.proargmodes, chr(1)) AS modes, \
                     array_to_string(ARRAY(SELECT format_type(u.t, NULL) FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) \
                       WITH ORDINALITY u(t, o) ORDER BY u.o), chr(1)) AS types \
                     FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
                     JOIN pg_catalog.pg_language l ON l.oid = p.prolang \
                     WHERE p.prokind IN ('f', 'p') AND {filter} AND {} ORDER BY n.nspname, p.proname",
                    not_ext("p.oid")
                ),
            )
            .await?;
        for r in &rows {
            let Some(&si) = idx.get(&r.s("s")) else {
                continue;
            };
            let names = split_list(r.get("names"));
            let modes = split_list(r.get("modes"));
            let parameters = split_list(r.get("types"))
                .into_iter()
                .enumerate()
                .map(|(i, data_type)| Parameter {
                    name: names.get(i).filter(|n| !n.is_empty()).cloned(),
                    mode: match modes.get(i).map(String::as_str) {
                        Some("o") => "OUT",
                        Some("b") => "INOUT",
                        Some("v") => "VARIADIC",
                        Some("t") => "TABLE",
                        _ => "IN",
                    }
                    .to_string(),
                    data_type,
                })
                .collect();
            let kind = if r.s("kind") == "p" {
                RoutineKind::Procedure
            } else {
                RoutineKind::Function
            };
            schemas[si].routines.push(Routine {
                name: r.s("name"),
                kind,
                parameters,
                return_type: (kind == RoutineKind::Function).then(|| r.s("ret")),
                language: r.nonempty("lang"),
                deterministic: Some(r.s("vol") == "i"),
                body: r.s("body"),
                definition: r.nonempty("def"),
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
                    "SELECT n.nspname AS s, c.relname AS t, tg.tgname AS name, tg.tgtype AS tgtype, \
                     pg_get_triggerdef(tg.oid, true) AS def, tg.tgenabled = 'D' AS disabled, pn.nspname || '.' || p.proname AS func \
                     FROM pg_catalog.pg_trigger tg JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid \
                     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid \
                     JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace \
                     WHERE NOT tg.tgisinternal AND {filter} ORDER BY n.nspname, c.relname, tg.tgname"
                ),
            )
            .await?;
        for r in &rows {
            let Some(&si) = idx.get(&r.s("s")) else {
                continue;
            };
            let bits = r.i64("tgtype").unwrap_or(0);
            let mut events = vec![];
            for (bit, ev) in [
                (4, TriggerEvent::Insert),
                (16, TriggerEvent::Update),
                (8, TriggerEvent::Delete),
                (32, TriggerEvent::Truncate),
            ] {
                if bits & bit != 0 {
                    events.push(ev);
                }
            }
            let timing = if bits & 64 != 0 {
                TriggerTiming::InsteadOf
            } else if bits & 2 != 0 {
                TriggerTiming::Before
            } else {
                TriggerTiming::After
            };
            let def = r.s("def");
            let condition = def.find(" WHEN (").and_then(|p| {
                let open = p + " WHEN ".len();
                crate::sqltext::matching_paren(&def, open)
                    .map(|close| def[open + 1..close].to_string())
            });
            schemas[si].triggers.push(Trigger {
                name: r.s("name"),
                table: r.s("t"),
                timing,
                events,
                for_each_row: bits & 1 != 0,
                condition,
                body: format!("EXECUTE FUNCTION {}()", r.s("func")),
                definition: Some(def),
                disabled: r.bool("disabled"),
            });
        }
        Ok(())
    }
}

/// The sequence of a `nextval('name'::regclass)` default.
fn nextval_sequence(default: &str) -> Option<String> {
    let rest = default.strip_prefix("nextval('")?;
    let end = rest.find('\'')?;
    Some(rest[..end].to_string())
}
