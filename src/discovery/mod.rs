//! Live schema discovery: reads an endpoint's catalogs into the neutral [`crate::model`].
//!
//! One module per engine ([`postgres`], [`mysql`], [`sqlite`]); this module dispatches, and holds
//! what they share: parsing declared type text, quoting, and exact row counts on demand.

pub mod mysql;
pub mod postgres;
pub mod sqlite;

use serde::{Deserialize, Serialize};

use crate::endpoints::{Connection, Engine};
use crate::error::Result;
use crate::model::Catalog;
pub use crate::sqltext::{
    find_keyword, matching_paren, parse_declared_type, parse_quoted_list, split_top_level,
    unquote_ident,
};

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
    let mut catalog = match conn.engine() {
        Engine::Postgres => postgres::discover(conn, options).await?,
        Engine::MySql | Engine::MariaDb => mysql::discover(conn, options).await?,
        Engine::Sqlite => sqlite::discover(conn, options).await?,
    };
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

/// Quotes an identifier for `engine`.
pub fn quote_ident(engine: Engine, name: &str) -> String {
    match engine {
        Engine::MySql | Engine::MariaDb => format!("`{}`", name.replace('`', "``")),
        Engine::Postgres | Engine::Sqlite => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// Quotes a string literal (standard SQL doubling; MySQL also escapes backslashes).
pub fn quote_literal(engine: Engine, s: &str) -> String {
    let s = s.replace('\'', "''");
    if engine.is_mysql_family() {
        format!("'{}'", s.replace('\\', "\\\\"))
    } else {
        format!("'{s}'")
    }
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
