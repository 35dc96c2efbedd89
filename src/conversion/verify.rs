//! Verified conversion: before a report calls an object Automatic, its converted statements are
//! applied on a real engine of the target's kind, in dependency order ([`crate::assessment::order`]), in a
//! scratch area that leaves no trace:
//! - PostgreSQL: one transaction, rolled back at the end; the statements run in batches, each
//!   behind a savepoint, and a batch that fails is run again statement by statement to name the
//!   culprit;
//! - MySQL/MariaDB (DDL commits at once there): scratch databases of a unique name, dropped at
//!   the end whatever happened;
//! - SQLite: a database in memory (always at hand, so SQLite reports are always verified), where
//!   each view is also read and each trigger compiled by preparing the statements that fire it.
//!
//! On PostgreSQL and MySQL the schema is converted a second time with every schema renamed to a
//! scratch name (the only difference from the statements reported); a server message naming a
//! scratch schema is given back with the real name. An object whose statement fails gets an
//! action item TB1900 with the server's words, the statement and its source line, and is never
//! Automatic; objects edited by hand cannot be renamed that way and are counted as unverified.

use std::collections::HashMap;
use std::time::Instant;

use sqlx::AssertSqlSafe;

use super::{RuleSet, Source};
use crate::assessment::codes::Code;
use crate::assessment::{ActionItem, Category, ObjectReport, Report, Verification};
use crate::ddl::Dialect;
use crate::endpoints::connect::Pool;
use crate::endpoints::{Connection, Engine};
use crate::error::{Error, Result};

/// Statements sent in one round trip on PostgreSQL (a failing batch is re-run one by one).
const PG_BATCH: usize = 64;

/// One connection of the scratch area.
enum Session {
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    MySql(sqlx::pool::PoolConnection<sqlx::MySql>),
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

impl Session {
    async fn exec(&mut self, sql: &str) -> std::result::Result<(), sqlx::Error> {
        let q = sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
        match self {
            Session::Postgres(c) => q.execute(&mut **c).await.map(|_| ()),
            Session::MySql(c) => q.execute(&mut **c).await.map(|_| ()),
            Session::Sqlite(c) => q.execute(&mut **c).await.map(|_| ()),
        }
    }

    async fn scalar(&mut self, sql: &str) -> std::result::Result<String, sqlx::Error> {
        use sqlx::Row as _;
        let q = sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
        let text = |r: Option<String>| r.unwrap_or_default();
        Ok(match self {
            Session::Postgres(c) => text(q.fetch_one(&mut **c).await?.try_get(0).ok()),
            Session::MySql(c) => text(q.fetch_one(&mut **c).await?.try_get(0).ok()),
            Session::Sqlite(c) => text(q.fetch_one(&mut **c).await?.try_get(0).ok()),
        })
    }
}

/// The server's own words for a failed statement (without sqlx's prefix).
fn server_message(e: &sqlx::Error) -> String {
    match e.as_database_error() {
        Some(d) => match d.code() {
            Some(code) => format!("{} [{code}]", d.message()),
            None => d.message().to_string(),
        },
        None => e.to_string(),
    }
}

/// The engine a target dialect is verified on.
fn engine_matches(target: Dialect, engine: Engine) -> bool {
    Dialect::of_engine(engine) == target
}

/// Verifies `report` (converted from `source` with `rules`): on `on` when given, else (SQLite
/// targets) in memory. Marks each object verified or failed, adds the failures' action items,
/// recomputes the summary and sets [`Report::verification`]. A PostgreSQL or MySQL target
/// without `on` is left unverified. Fails only when the scratch area cannot be had (no
/// connection, no right to create a database), saying so.
pub async fn verify(
    source: &Source,
    rules: &RuleSet,
    report: &mut Report,
    on: Option<&Connection>,
) -> Result<()> {
    let target = report.target_dialect;
    let started = Instant::now();
    let mut memory: Option<sqlx::SqlitePool> = None;
    let mut scratch_db: Option<(String, Connection)> = None;
    let (mut session, engine) = match (target, on) {
        (Dialect::Sqlite, _) => {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect("sqlite::memory:")
                .await
                .map_err(|e| scratch_error("SQLite in memory", &e))?;
            let mut s = Session::Sqlite(
                pool.acquire()
                    .await
                    .map_err(|e| scratch_error("SQLite in memory", &e))?,
            );
            memory = Some(pool);
            let v = s
                .scalar("SELECT sqlite_version()")
                .await
                .unwrap_or_default();
            (s, format!("SQLite {v} (in memory)"))
        }
        (_, None) => return Ok(()),
        (_, Some(c)) if !engine_matches(target, c.engine()) => {
            return Err(Error::InvalidEndpoint {
                endpoint: c.endpoint.label(),
                reason: format!(
                    "the conversion is for {}; verify it on a server of that kind",
                    target.label()
                ),
            });
        }
        (Dialect::Postgres, Some(c)) => {
            // A scratch database when the server lets us create one: the statements then run
            // exactly as reported; otherwise renamed schemas in the given database.
            match pg_scratch_database(c).await {
                Some((db, conn)) => {
                    let opened = open_session(&conn).await;
                    scratch_db = Some((db, conn));
                    opened?
                }
                None => open_session(c).await?,
            }
        }
        (_, Some(c)) => open_session(c).await?,
    };
    let rename = target != Dialect::Sqlite && scratch_db.is_none();
    let plan = Plan::new(source, rules, report, target, rename)?;
    let outcome = match prepare_mysql(&mut session, &plan).await {
        Ok(()) => run(&mut session, &plan, target).await,
        Err(e) => Err(e),
    };
    if let Session::MySql(_) = session {
        for db in &plan.scratch_names {
            // Always dropped, whatever happened above.
            if let Err(e) = session
                .exec(&format!("DROP DATABASE IF EXISTS `{db}`"))
                .await
            {
                tracing::warn!(target: "tugboat::conversion", "scratch database {db} not dropped: {e}");
            }
        }
    }
    if let Session::Postgres(_) = session
        && let Err(e) = session.exec("ROLLBACK").await
    {
        tracing::warn!(target: "tugboat::conversion", "verification rollback: {e}");
    }
    drop(session);
    if let Some(p) = memory {
        p.close().await;
    }
    if let (Some((db, conn)), Some(c)) = (&scratch_db, on) {
        conn.close().await;
        let q = super::names::quote_for(Dialect::Postgres, db);
        let dropped = match c
            .execute(&format!("DROP DATABASE IF EXISTS {q} WITH (FORCE)"))
            .await
        {
            Ok(_) => Ok(()),
            Err(_) => c
                .execute(&format!("DROP DATABASE IF EXISTS {q}"))
                .await
                .map(|_| ()),
        };
        if let Err(e) = dropped {
            tracing::warn!(target: "tugboat::conversion", "scratch database {db} not dropped: {e}");
        }
    }
    let failures = outcome?;
    let scratch = match (target, &scratch_db) {
        (Dialect::Postgres, Some((db, _))) => format!("scratch database {db}, dropped"),
        (Dialect::Postgres, None) => {
            "one transaction with schemas renamed, rolled back".to_string()
        }
        (Dialect::MySql, _) => format!(
            "scratch database(s) {}, dropped",
            plan.scratch_names.join(", ")
        ),
        _ => "a database in memory".to_string(),
    };
    apply_outcome(report, rules, &plan, failures, engine, scratch, started);
    // The ledger says what the verification found.
    super::ledger::build(source, report);
    Ok(())
}

fn scratch_error(what: &str, e: &sqlx::Error) -> Error {
    Error::query(what.into(), "opening the scratch area for verification", e)
}

/// A unique name for this run's scratch objects.
fn nonce() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    )
}

/// Creates a scratch database on `c`'s PostgreSQL server and connects to it; `None` (said in
/// the log) when the server refuses (no CREATEDB right).
async fn pg_scratch_database(c: &Connection) -> Option<(String, Connection)> {
    let db = format!("tugboat_verify_{}", nonce());
    if let Err(e) = c.execute(&format!("CREATE DATABASE {db}")).await {
        tracing::info!(target: "tugboat::conversion", "no scratch database on {} ({e}): verifying in a transaction with schemas renamed", c.endpoint.label());
        return None;
    }
    let mut endpoint = c.endpoint.clone();
    endpoint.database = db.clone();
    match Connection::open(&endpoint, c.password().cloned()).await {
        Ok(conn) => Some((db, conn)),
        Err(e) => {
            tracing::info!(target: "tugboat::conversion", "scratch database {db} not reachable ({e})");
            if let Err(e) = c.execute(&format!("DROP DATABASE IF EXISTS {db}")).await {
                tracing::warn!(target: "tugboat::conversion", "scratch database {db} not dropped: {e}");
            }
            None
        }
    }
}

/// A session on `c` for verification, and the product and version it runs.
async fn open_session(c: &Connection) -> Result<(Session, String)> {
    let label = c.endpoint.label();
    let fail =
        |e: sqlx::Error| Error::query(label.clone(), "opening a session for verification", &e);
    match &c.pool {
        Pool::Postgres(p) => {
            let mut s = Session::Postgres(p.acquire().await.map_err(fail)?);
            let v = s.scalar("SHOW server_version").await.map_err(fail)?;
            s.exec("BEGIN; SET LOCAL check_function_bodies = on; SET LOCAL lock_timeout = '10s'")
                .await
                .map_err(fail)?;
            let v = v.split_whitespace().next().unwrap_or_default().to_string();
            Ok((s, format!("PostgreSQL {v}")))
        }
        Pool::MySql(p) => {
            let mut s = Session::MySql(p.acquire().await.map_err(fail)?);
            let v = s.scalar("SELECT VERSION()").await.map_err(fail)?;
            let product = if v.to_ascii_lowercase().contains("mariadb") {
                "MariaDB"
            } else {
                "MySQL"
            };
            let number = v.split('-').next().unwrap_or_default();
            Ok((s, format!("{product} {number}")))
        }
        Pool::Sqlite(_) => Err(Error::InvalidEndpoint {
            endpoint: label,
            reason: "SQLite conversions are verified in memory".into(),
        }),
    }
}

/// What runs: the statements in order, each with the index of the report object it proves.
struct Plan {
    statements: Vec<(Option<usize>, String)>,
    /// Report objects whose statements are not among those run.
    unverifiable: Vec<usize>,
    /// Scratch schema → the target schema it stands for ("" for the connection's own).
    renames: Vec<(String, String)>,
    scratch_names: Vec<String>,
}

impl Plan {
    fn new(
        source: &Source,
        rules: &RuleSet,
        report: &Report,
        target: Dialect,
        rename: bool,
    ) -> Result<Plan> {
        if !rename {
            let statements = crate::assessment::order::ordered_phases(report, None)
                .into_iter()
                .map(|(_, (o, s))| (Some(o), report.objects[o].target[s].sql.clone()))
                .collect();
            return Ok(Plan {
                statements,
                unverifiable: vec![],
                renames: vec![],
                scratch_names: vec![],
            });
        }
        // Every target schema renamed to a scratch name of this run.
        let names = super::writer::target_names(source, rules);
        let nonce = nonce();
        let mut renamed = rules.clone();
        let mut renames: Vec<(String, String)> = vec![];
        for s in &source.catalog.schemas {
            let real = names.schema(&s.name);
            let scratch = match renames.iter().find(|r| r.1 == real) {
                Some(r) => r.0.clone(),
                None => {
                    let n = format!("tugboat_verify_{nonce}_{}", renames.len());
                    renames.push((n.clone(), real.clone()));
                    n
                }
            };
            renamed
                .options
                .schema_map
                .insert(s.name.to_ascii_lowercase(), scratch);
        }
        let shadow = super::convert(source, target, &renamed)?;
        // Shadow objects matched to the report's by kind, schema, name and table, in order.
        let mut index: HashMap<Key, Vec<usize>> = HashMap::new();
        for (i, o) in report.objects.iter().enumerate() {
            if !o.edited {
                index.entry(key(o)).or_default().push(i);
            }
        }
        for v in index.values_mut() {
            v.reverse();
        }
        let mut matched: Vec<Option<usize>> = vec![];
        for o in &shadow.objects {
            matched.push(index.get_mut(&key(o)).and_then(|v| v.pop()));
        }
        let statements = crate::assessment::order::ordered_phases(&shadow, None)
            .into_iter()
            .map(|(_, (o, s))| (matched[o], shadow.objects[o].target[s].sql.clone()))
            .collect();
        let unverifiable = report
            .objects
            .iter()
            .enumerate()
            .filter(|(i, o)| !o.target.is_empty() && !matched.contains(&Some(*i)))
            .map(|(i, _)| i)
            .collect();
        let scratch_names = renames.iter().map(|r| r.0.clone()).collect();
        Ok(Plan {
            statements,
            unverifiable,
            renames,
            scratch_names,
        })
    }

    /// `text` with scratch schema names given back their real names.
    fn unrename(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (scratch, real) in &self.renames {
            if real.is_empty() {
                for q in [
                    format!("`{scratch}`."),
                    format!("\"{scratch}\"."),
                    format!("{scratch}."),
                ] {
                    out = out.replace(&q, "");
                }
            }
            out = out.replace(scratch.as_str(), real);
        }
        out
    }
}

type Key = (crate::ddl::ObjectKind, String, String, Option<String>);

fn key(o: &ObjectReport) -> Key {
    (
        o.kind,
        o.schema.to_lowercase(),
        o.name.to_lowercase(),
        o.table.as_ref().map(|t| t.to_lowercase()),
    )
}

/// A failed statement: its place in the plan and the server's message.
struct Failure {
    at: usize,
    message: String,
}

/// Runs the plan; the failures in plan order. Fails only when the session itself breaks.
async fn run(session: &mut Session, plan: &Plan, target: Dialect) -> Result<Vec<Failure>> {
    let mut failures = vec![];
    let n = plan.statements.len();
    match session {
        Session::Postgres(_) => {
            let mut i = 0;
            while i < n {
                let end = (i + PG_BATCH).min(n);
                let batch: Vec<&str> = plan.statements[i..end]
                    .iter()
                    .map(|s| s.1.as_str())
                    .collect();
                // The savepoint goes alone: PostgreSQL parses a whole multi-statement query
                // before running any of it, so a syntax error would skip it.
                pg_exec(session, "SAVEPOINT tugboat_batch").await?;
                if session.exec(&batch.join(";\n")).await.is_ok() {
                    pg_exec(session, "RELEASE SAVEPOINT tugboat_batch").await?;
                } else {
                    pg_exec(session, "ROLLBACK TO SAVEPOINT tugboat_batch").await?;
                    for at in i..end {
                        pg_exec(session, "SAVEPOINT tugboat_one").await?;
                        match session.exec(&plan.statements[at].1).await {
                            Ok(()) => pg_exec(session, "RELEASE SAVEPOINT tugboat_one").await?,
                            Err(e) => {
                                pg_exec(session, "ROLLBACK TO SAVEPOINT tugboat_one").await?;
                                failures.push(Failure {
                                    at,
                                    message: server_message(&e),
                                });
                            }
                        }
                    }
                    pg_exec(session, "RELEASE SAVEPOINT tugboat_batch").await?;
                }
                i = end;
            }
        }
        _ => {
            for (at, (_, sql)) in plan.statements.iter().enumerate() {
                let result = match session.exec(sql).await {
                    Ok(()) if target == Dialect::Sqlite => sqlite_probe(session, sql).await,
                    r => r,
                };
                if let Err(e) = result {
                    failures.push(Failure {
                        at,
                        message: server_message(&e),
                    });
                }
            }
        }
    }
    Ok(failures)
}

/// MySQL: the scratch databases are created first (a refusal is said plainly), and the one
/// standing for the connection's own database is made the default, as it is when applying.
async fn prepare_mysql(session: &mut Session, plan: &Plan) -> Result<()> {
    if !matches!(session, Session::MySql(_)) {
        return Ok(());
    }
    for (scratch, _) in &plan.renames {
        let sql = format!("CREATE DATABASE `{scratch}` DEFAULT CHARACTER SET utf8mb4");
        session.exec(&sql).await.map_err(|e| Error::Query {
            endpoint: "MySQL/MariaDB".into(),
            context: "creating a scratch database for verification (needs CREATE and DROP)".into(),
            message: server_message(&e),
            cause: crate::error::Cause::of(&e),
        })?;
    }
    let default = plan
        .renames
        .iter()
        .find(|r| r.1.is_empty())
        .or(plan.renames.first());
    if let Some((scratch, _)) = default {
        session
            .exec(&format!("USE `{scratch}`"))
            .await
            .map_err(|e| Error::Query {
                endpoint: "MySQL/MariaDB".into(),
                context: "verification".into(),
                message: server_message(&e),
                cause: crate::error::Cause::of(&e),
            })?;
    }
    Ok(())
}

async fn pg_exec(session: &mut Session, sql: &str) -> Result<()> {
    session
        .exec(sql)
        .await
        .map_err(|e| Error::query("PostgreSQL".into(), "verifying the conversion", &e))
}

/// SQLite checks little when a view or trigger is created: a view is read, and a trigger's
/// body compiled by preparing (EXPLAIN) each statement that fires it.
async fn sqlite_probe(session: &mut Session, sql: &str) -> std::result::Result<(), sqlx::Error> {
    use crate::ddl::{ObjectKind as K, StatementKind as S};
    let c = crate::ddl::classify::classify(sql);
    let q = |n: &crate::ddl::QualifiedName| super::names::quote_for(Dialect::Sqlite, &n.name);
    match (&c.kind, &c.name, &c.table) {
        (S::Create(K::View), Some(v), _) => {
            session
                .exec(&format!("SELECT * FROM {} LIMIT 0", q(v)))
                .await
        }
        (S::Create(K::Trigger), _, Some(t)) => {
            let upper = sql.to_ascii_uppercase();
            let head = &upper[..upper.find(" BEGIN").unwrap_or(upper.len())];
            let table = q(t);
            if head.contains(" INSERT ") {
                session
                    .exec(&format!("EXPLAIN INSERT INTO {table} DEFAULT VALUES"))
                    .await?;
            }
            if head.contains(" DELETE ") {
                session
                    .exec(&format!("EXPLAIN DELETE FROM {table}"))
                    .await?;
            }
            if head.contains(" UPDATE ") {
                session
                    .exec(&format!("EXPLAIN UPDATE {table} SET rowid = rowid"))
                    .await?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The names a "does not exist" message speaks of (last part, lower case): PostgreSQL's
/// `relation "s.t" does not exist`, MySQL's `Table 'db.t' doesn't exist`, SQLite's
/// `no such table: main.t`.
fn missing_names(message: &str) -> Vec<String> {
    let lower = message.to_lowercase();
    let missing = [
        "does not exist",
        "doesn't exist",
        "no such",
        "referenced table",
        "unknown",
    ]
    .iter()
    .any(|m| lower.contains(m));
    if !missing {
        return vec![];
    }
    let mut out = vec![];
    for q in ['"', '\'', '`'] {
        let parts: Vec<&str> = message.split(q).collect();
        for p in parts.iter().skip(1).step_by(2) {
            out.push(p.to_string());
        }
    }
    if let Some((_, rest)) = lower.split_once("no such table: ") {
        out.push(
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string(),
        );
    }
    out.into_iter()
        .map(|n| {
            let n = n.split('(').next().unwrap_or_default();
            n.rsplit('.').next().unwrap_or_default().to_lowercase()
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// Marks the report's objects from the failures and records the verification.
fn apply_outcome(
    report: &mut Report,
    rules: &RuleSet,
    plan: &Plan,
    failures: Vec<Failure>,
    engine: String,
    scratch: String,
    started: Instant,
) {
    let mut ran = vec![false; report.objects.len()];
    for (o, _) in &plan.statements {
        if let Some(o) = o {
            ran[*o] = true;
        }
    }
    for (i, o) in report.objects.iter_mut().enumerate() {
        o.verified = ran[i].then_some(true);
    }
    let mut objects_failed = 0;
    // Names whose creation failed so far, with the object that failed: a later "does not
    // exist" naming one of them is a consequence, and says so.
    let mut failed_names: HashMap<String, String> = HashMap::new();
    for f in &failures {
        let (oi, sql) = &plan.statements[f.at];
        let because = missing_names(&f.message)
            .into_iter()
            .find_map(|n| failed_names.get(&n).cloned());
        if let Some(name) = crate::ddl::classify::classify(sql).name {
            let label = match oi {
                Some(i) => crate::conversion::apply::object_label(&report.objects[*i]),
                None => format!("schema {}", plan.unrename(&name.name)),
            };
            failed_names
                .entry(name.name.to_lowercase())
                .or_insert(label);
        }
        let Some(oi) = oi else {
            continue;
        };
        let o = &mut report.objects[*oi];
        if o.verified == Some(true) {
            objects_failed += 1;
        }
        o.verified = Some(false);
        let sql = plan.unrename(sql);
        let category = Category::Medium;
        o.action_items.push(ActionItem {
            code: Code::TB1900.as_str().into(),
            category,
            message: match &because {
                Some(root) => format!(
                    "Not created on {engine} because {root} failed (fix that first): {}",
                    plan.unrename(&f.message)
                ),
                None => format!("Failed on {engine}: {}", plan.unrename(&f.message)),
            },
            fragment: Some(sql.chars().take(600).collect()),
            fix: "Correct the converted SQL (edit it here), or the source, and assess again".into(),
            line: o.source_line,
            effort_minutes: rules
                .effort(Code::TB1900.as_str(), category)
                .per_occurrence_minutes,
        });
        o.recompute_category();
    }
    for &i in &plan.unverifiable {
        report.objects[i].verified = None;
    }
    report.verification = Some(Verification {
        engine,
        scratch,
        statements: plan.statements.len(),
        statements_failed: failures.len(),
        objects_failed,
        objects_unverified: plan.unverifiable.len(),
        millis: started.elapsed().as_millis() as u64,
    });
    report.summarise(|code, category| rules.effort(code, category).learning_minutes);
}
