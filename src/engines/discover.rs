//! Live schema discovery: reads an endpoint's catalogs into the neutral [`crate::model`].
//!
//! Each engine reads its own catalog ([`super::Catalog`], in its folder); this module is the
//! front every caller uses, and holds what the engines share: options, progress, sorting,
//! exact row counts on demand, quoting for catalog queries.

use serde::{Deserialize, Serialize};

use crate::endpoints::{Connection, Engine};
use crate::error::Result;
use crate::model::Catalog;

/// What to read.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DiscoverOptions {
    /// Schemas to read; empty means every user schema (MySQL: the connected database, or every
    /// user database when the endpoint names none).
    pub schemas: Vec<String>,
    /// Also run `count(*)` on every table (slow on big tables).
    pub exact_counts: bool,
}

/// Where discovery is: the current step, and for per-table work how far it got.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub step: String,
    pub done: u64,
    pub total: u64,
}

/// Reads the whole catalog of a connected endpoint.
pub async fn discover(conn: &Connection, options: &DiscoverOptions) -> Result<Catalog> {
    discover_with_progress(conn, options, std::sync::Arc::new(|_: &Progress| {})).await
}

/// [`discover`], reporting each step to `progress`.
pub async fn discover_with_progress(
    conn: &Connection,
    options: &DiscoverOptions,
    progress: std::sync::Arc<dyn Fn(&Progress) + Send + Sync>,
) -> Result<Catalog> {
    let started = std::time::Instant::now();
    let report = progress.clone();
    let conn = &conn.observed(std::sync::Arc::new(move |step: &str| {
        report(&Progress {
            step: step.to_string(),
            done: 0,
            total: 0,
        })
    }));
    let mut catalog = super::of(conn.engine()).catalog(conn, options).await?;
    for schema in &mut catalog.schemas {
        schema.tables.sort_by(|a, b| a.name.cmp(&b.name));
        schema.views.sort_by(|a, b| a.name.cmp(&b.name));
        schema.routines.sort_by(|a, b| a.name.cmp(&b.name));
        schema.triggers.sort_by(|a, b| a.name.cmp(&b.name));
        schema.sequences.sort_by(|a, b| a.name.cmp(&b.name));
        schema.types.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if options.exact_counts {
        let total = catalog.schemas.iter().map(|s| s.tables.len() as u64).sum();
        let mut done = 0;
        for si in 0..catalog.schemas.len() {
            for ti in 0..catalog.schemas[si].tables.len() {
                let (s, t) = (
                    &catalog.schemas[si].name,
                    &catalog.schemas[si].tables[ti].name,
                );
                progress(&Progress {
                    step: format!("counting rows of {s}.{t}"),
                    done,
                    total,
                });
                let n = exact_row_count(conn, s, t).await?;
                catalog.schemas[si].tables[ti].stats.exact_rows = Some(n);
                done += 1;
            }
        }
    }
    let c = catalog.counts();
    tracing::info!(
        target: "tugboat::discovery",
        "read {}: {} schemas, {} tables, {} views, {} routines, {} triggers in {} ms",
        conn.endpoint.label(),
        c.schemas,
        c.tables,
        c.views,
        c.procedures + c.functions,
        c.triggers,
        started.elapsed().as_millis()
    );
    Ok(catalog)
}

/// `SELECT count(*)` of one table.
pub async fn exact_row_count(conn: &Connection, schema: &str, table: &str) -> Result<i64> {
    let e = conn.engine();
    let name = if e == Engine::Sqlite && schema == "main" {
        quote_ident(e, table)
    } else {
        format!("{}.{}", quote_ident(e, schema), quote_ident(e, table))
    };
    let v = conn
        .query_scalar(
            &format!("counting rows of {schema}.{table}"),
            &format!("SELECT count(*) FROM {name}"),
        )
        .await?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// The schemas a catalog query named (column `name`), empty, and each one's index by name.
pub(crate) fn schemas_of(
    rows: &[crate::endpoints::TextRow],
) -> (
    Vec<crate::model::Schema>,
    std::collections::HashMap<String, usize>,
) {
    let schemas: Vec<crate::model::Schema> = rows
        .iter()
        .map(|r| crate::model::Schema {
            name: r.s("name"),
            ..Default::default()
        })
        .collect();
    let idx = schemas
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), i))
        .collect();
    (schemas, idx)
}

/// Whether the connected database (its default schema) has a table `name`: for control
/// tables a task may never have made.
pub async fn has_table(conn: &Connection, name: &str) -> Result<bool> {
    let lit = quote_literal(conn.engine(), name);
    let sql = match conn.engine() {
        Engine::Postgres => format!(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = {lit}"
        ),
        Engine::MySql | Engine::MariaDb => format!(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = {lit}"
        ),
        Engine::Sqlite => {
            format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = {lit}")
        }
        Engine::Parquet => return Ok(false),
    };
    let n = conn
        .query_scalar(&format!("looking for {name}"), &sql)
        .await?;
    Ok(n.as_deref().is_some_and(|n| n != "0"))
}

/// Quotes an identifier for `engine`.
pub fn quote_ident(engine: Engine, name: &str) -> String {
    super::values::quote(engine, name)
}

/// A string literal for `engine` (see [`super::values::text_literal`]).
pub fn quote_literal(engine: Engine, s: &str) -> String {
    super::values::text_literal(engine, s)
}

/// `IN ('a','b')` list of literals.
pub(crate) fn in_list(engine: Engine, items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| quote_literal(engine, s)).collect();
    format!("({})", v.join(", "))
}

/// Splits `chr(1)`-joined lists produced by catalog queries.
pub(crate) fn split_list(s: Option<&str>) -> Vec<String> {
    match s {
        None | Some("") => vec![],
        Some(s) => s.split('\u{1}').map(str::to_string).collect(),
    }
}

/// The table of `meta` as the source's catalog has it now, if it only gained columns at the
/// end (the columns the task knows keep their names, order and types).
pub(crate) async fn grown_table(
    conn: &Connection,
    meta: &crate::engines::change::TableMeta,
) -> Option<crate::model::Table> {
    let (schema, name) = meta.label.split_once('.')?;
    let opts = DiscoverOptions {
        schemas: vec![schema.to_string()],
        exact_counts: false,
    };
    let catalog = discover(conn, &opts).await.ok()?;
    let t = catalog
        .schemas
        .iter()
        .flat_map(|s| s.tables.iter())
        .find(|t| t.name.eq_ignore_ascii_case(name))?
        .clone();
    let mut cols: Vec<_> = t.columns.iter().collect();
    cols.sort_by_key(|c| c.ordinal);
    let kept = cols.len() > meta.columns.len()
        && meta
            .columns
            .iter()
            .zip(&cols)
            .all(|(m, c)| m.0 == c.name && m.2 == c.data_type);
    kept.then_some(t)
}
