//! Premigration checks of a task before it runs, as DMS's premigration assessment: the source's
//! change capture when the task replicates (binary log, wal_level, slots, privileges), the
//! selected tables without a primary key, the target's privilege to create the schema,
//! whether the target takes the fast load path (LOAD DATA LOCAL INFILE on MySQL/MariaDB), and
//! whether each connection is encrypted. They read; nothing is written anywhere.

use crate::cdc::checks::{Check, new_check, no_key};
use crate::endpoints::{Connection, TlsMode};
use crate::error::Result;
use crate::tasks::Task;

/// Every check of `task` between `source` and `target` (a data lake: the source's checks; the
/// folder or bucket was reached when it was opened).
pub async fn run_to(
    task: &Task,
    source: &Connection,
    target: &super::Target,
) -> Result<Vec<Check>> {
    match target {
        super::Target::Database(t) => run(task, source, t).await,
        super::Target::Lake(l) => {
            let mut out = vec![];
            if task.task_type.captures() {
                out.extend(crate::cdc::checks::capture(source).await);
            }
            out.push(new_check(
                "target reachable",
                true,
                false,
                format!("{} opened", l.label()),
                "",
            ));
            if let Some(check) = encryption("source", source).await {
                out.push(check);
            }
            Ok(out)
        }
    }
}

/// Every check of `task` between `source` and `target`.
pub async fn run(task: &Task, source: &Connection, target: &Connection) -> Result<Vec<Check>> {
    let mut out = vec![];
    if task.task_type.captures() {
        out.extend(crate::cdc::checks::capture(source).await);
    }
    let catalog = crate::engines::discover::discover(source, &Default::default()).await?;
    let plans = crate::tasks::plan_tables(
        &task.mappings,
        &catalog,
        source.endpoint.engine,
        target.endpoint.engine,
    )?;
    out.push(new_check(
        "tables selected",
        !plans.is_empty(),
        false,
        format!("{} tables selected by the task's mappings", plans.len()),
        "change the task's selection rules: none of the source's tables matches",
    ));
    for p in plans.iter().filter(|p| p.table.primary_key.is_none()) {
        out.push(no_key(&format!("{}.{}", p.source_schema, p.source_table)));
    }
    if task.settings.create_schema {
        out.push(create_privilege(target).await);
    }
    if let Some(fast) = crate::engines::of(target.endpoint.engine)
        .fast_load(target)
        .await
    {
        out.push(new_check(
            "fast load into the target",
            fast.is_ok(),
            true,
            match fast {
                Ok(how) => format!("the full load writes with {how}"),
                Err(why) => format!("the full load writes with multi-row INSERTs, slower: {why}"),
            },
            "MySQL/MariaDB: SET GLOBAL local_infile = ON on the target server (and an endpoint without required TLS)",
        ));
    }
    for (what, c) in [("source", source), ("target", target)] {
        if let Some(check) = encryption(what, c).await {
            out.push(check);
        }
    }
    Ok(out)
}

/// Whether the target's user may create what the task creates.
async fn create_privilege(target: &Connection) -> Check {
    let name = "privilege to create the schema on the target";
    let (ok, detail) = crate::engines::of(target.endpoint.engine)
        .may_create(target)
        .await;
    new_check(
        name,
        ok,
        false,
        detail,
        "grant the target user CREATE (PostgreSQL: GRANT CREATE ON DATABASE ...; MySQL: GRANT ALL ON db.* ...), or create the schema yourself and clear \"Create the schema\"",
    )
}

/// Whether the connection is encrypted: a warning when it is not and the server is not on
/// this machine.
async fn encryption(what: &str, c: &Connection) -> Option<Check> {
    let on = crate::engines::of(c.endpoint.engine).encrypted(c).await?;
    let local = ["localhost", "127.0.0.1", "::1", ""].contains(&c.endpoint.host.as_str())
        || c.endpoint.host.starts_with('/');
    let detail = match (on, c.endpoint.tls) {
        (true, _) => "TLS in use".to_string(),
        (false, TlsMode::Disable) => "not encrypted (TLS disabled on the endpoint)".into(),
        (false, _) => "not encrypted: the server offered no TLS".into(),
    };
    Some(new_check(
        &format!("encryption of the {what} connection"),
        on || local,
        true,
        if local && !on {
            format!("{detail}; the server is on this machine")
        } else {
            detail
        },
        "enable TLS on the server and set the endpoint's TLS to require or verify-full",
    ))
}
