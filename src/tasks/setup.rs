//! Before rows move: the source catalog read, the table mappings planned, the target schema
//! created (pre-data), the control tables, and each table's columns and kinds on both sides.

use std::sync::Arc;

use super::*;
use crate::conversion::{RuleSet, Source};
use crate::endpoints::Connection;
use crate::error::{Error, Result};
use mappings::{TableMappings, TablePlan};

/// Views, materialized views, functions, procedures and triggers: created with the post-data
/// when the conversion rates them Automatic, else left out (with why).
fn is_code(kind: crate::ddl::ObjectKind) -> bool {
    use crate::ddl::ObjectKind as K;
    matches!(
        kind,
        K::View | K::MaterializedView | K::Function | K::Procedure | K::Trigger
    )
}

/// "view sales.film_list": how an object is named in the summary and the Monitor.
fn object_label(o: &crate::assessment::ObjectReport) -> String {
    format!("{} {}.{}", o.kind.label().to_lowercase(), o.schema, o.name)
}

/// The code objects the task leaves out, each with why: those the conversion does not rate
/// Automatic, those naming a table the task does not load (a word of their source equal to the
/// table's name: when in doubt, left out), and all of them when the task renames tables.
fn code_left_out(
    report: &crate::assessment::Report,
    all_tables: &[(String, String)],
    selected: &std::collections::BTreeSet<(String, String)>,
    rewritten: bool,
) -> Vec<LeftOut> {
    let mut out = vec![];
    for o in report.objects.iter().filter(|o| is_code(o.kind)) {
        let reason = if rewritten {
            Some(
                "the task renames or reshapes tables: apply it from Schema conversion once adapted"
                    .to_string(),
            )
        } else if o.category != crate::assessment::Category::Automatic {
            Some(format!(
                "its conversion needs work ({}): see Schema conversion",
                o.action_items
                    .iter()
                    .map(|a| a.code.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else {
            let text = o.source_sql.as_deref().unwrap_or_default().to_lowercase();
            let words: std::collections::HashSet<&str> = text
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .filter(|w| !w.is_empty())
                .collect();
            all_tables
                .iter()
                .find(|t| !selected.contains(*t) && words.contains(t.1.as_str()))
                .map(|t| format!("it reads {}.{}, which the task does not load", t.0, t.1))
        };
        if let Some(reason) = reason {
            out.push(LeftOut {
                object: object_label(o),
                reason,
            });
        }
    }
    out
}

/// What a run needs before it moves rows: the source catalog read, the table mappings
/// resolved, the target schema created when `create_schema` (pre-data; the report keeps the
/// post-data for later), the control tables, and each table's columns and kinds on both sides.
pub(super) async fn prepare(
    task: &Task,
    source: &Connection,
    target: &Connection,
    events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
    create_schema: bool,
    replicating: bool,
) -> Result<(crate::assessment::Report, Vec<Prepared>, Vec<LeftOut>)> {
    let s = &task.settings;
    let step = |m: &str| events(TaskEvent::Step(m.to_string()));
    step("reading the source catalog");
    let mut catalog = crate::engines::discover::discover(source, &Default::default()).await?;
    // Tugboat's own control tables (a database that was a target before) are not data.
    for sc in &mut catalog.schemas {
        sc.tables.retain(|t| !t.name.starts_with("tugboat_"));
    }
    let src_dialect = engine_dialect(source.endpoint.engine);
    let tgt_dialect = engine_dialect(target.endpoint.engine);
    let src = Source::from_catalog(&source.endpoint.url(), catalog.clone());
    let mut rules = RuleSet::shipped(src_dialect, tgt_dialect)?;
    // PostgreSQL builds a primary key faster over a loaded table than row by row during COPY
    // (TPC-H lineitem: a third of the load); each table gets its key once it is loaded.
    rules.options.keys_after_load =
        crate::engines::of(target.endpoint.engine).keys_after_load() && create_schema;
    let report = crate::conversion::convert(&src, tgt_dialect, &rules)?;
    let plans = plan_with(&task.mappings, &src, &rules)?;
    // The plan of a load (replication reads the tables again, loading nothing).
    if !replicating {
        events(TaskEvent::planned(&plans, "."));
    }

    // The target schema: only the selected tables' objects, pre-data now, post-data later.
    let selected: std::collections::BTreeSet<(String, String)> = plans
        .iter()
        .map(|p| {
            (
                p.source_schema.to_lowercase(),
                p.source_table.to_lowercase(),
            )
        })
        .collect();
    // Transformations change what the target looks like: the schema is converted from the
    // source catalog as the target should have it.
    let rewritten = !task.mappings.transformations.is_empty();
    let mut report = if rewritten {
        let rename_schemas = task
            .mappings
            .transformations
            .iter()
            .any(|t| t.target == mappings::Target::Schema);
        let (shaped, notes) = mappings::rewrite_catalog(&catalog, &plans, rename_schemas);
        // What the created schema leaves out: nothing to say when the task creates none.
        for n in notes.iter().filter(|_| create_schema) {
            tracing::warn!(target: "tugboat::tasks", "{n}");
        }
        let shaped = Source::from_catalog(&source.endpoint.url(), shaped);
        crate::conversion::convert(&shaped, tgt_dialect, &rules)?
    } else {
        report
    };
    let all_tables: Vec<(String, String)> = catalog
        .schemas
        .iter()
        .flat_map(|sc| {
            sc.tables
                .iter()
                .map(|t| (sc.name.to_lowercase(), t.name.to_lowercase()))
        })
        .collect();
    let left_out = code_left_out(&report, &all_tables, &selected, rewritten);
    for l in &left_out {
        tracing::warn!(target: "tugboat::tasks", "{} is not created by the task: {}", l.object, l.reason);
    }
    report.objects.retain(|o| {
        let table = o.table.as_deref().unwrap_or(&o.name).to_lowercase();
        if is_code(o.kind) {
            let label = object_label(o);
            return !left_out.iter().any(|l| l.object == label);
        }
        match o.kind {
            crate::ddl::ObjectKind::Table
            | crate::ddl::ObjectKind::Index
            | crate::ddl::ObjectKind::Constraint
            | crate::ddl::ObjectKind::Trigger => {
                rewritten || selected.contains(&(o.schema.to_lowercase(), table))
            }
            crate::ddl::ObjectKind::Schema | crate::ddl::ObjectKind::Sequence => true,
            crate::ddl::ObjectKind::Type
            | crate::ddl::ObjectKind::Domain
            | crate::ddl::ObjectKind::Extension => true,
            _ => false,
        }
    });
    // The primary keys to build after each table's load (see `keys_after_load`).
    // By the table object's (schema, name), lower case: the source's names, or the target's
    // when transformations shaped the catalog.
    let mut keys: Vec<((String, String), String)> = vec![];
    if rules.options.keys_after_load {
        for o in &mut report.objects {
            let owner = (o.schema.to_lowercase(), o.name.to_lowercase());
            o.target.retain(|t| {
                let key = o.kind == crate::ddl::ObjectKind::Table
                    && t.phase == crate::assessment::Phase::PostData
                    && t.sql.starts_with("ALTER TABLE ")
                    && t.sql.contains(" PRIMARY KEY (");
                if key {
                    keys.push((owner.clone(), t.sql.clone()));
                }
                !key
            });
        }
    }
    if create_schema && s.prepare == Prepare::DropAndCreate {
        refuse_dropping_shared(task, target, &plans).await?;
    }
    if create_schema {
        step("creating the target tables (pre-data)");
        let applied = crate::conversion::apply::apply_with(
            &report,
            target,
            Some(crate::assessment::Phase::PreData),
            false,
            s.prepare == Prepare::DropAndCreate,
            |_, _| {},
        )
        .await;
        for a in &applied {
            if let crate::conversion::apply::StatementResult::Failed(e) = &a.result {
                tracing::warn!(target: "tugboat::tasks", "{}: {e}", a.object);
            }
        }
    }
    state::ensure(target).await?;

    // Target columns as they are now.
    step("reading the target catalog");
    let tcat = crate::engines::discover::discover(target, &Default::default()).await?;
    let mut prepared = vec![];
    for p in &plans {
        let grown = replicating.then(|| added_since(p, &tcat, target)).flatten();
        let p = grown.as_ref().unwrap_or(p);
        let tt = target_table(p, &tcat, target).ok_or_else(|| Error::InvalidEndpoint {
            endpoint: target.endpoint.label(),
            reason: format!(
                "table {}.{} is not on the target (create it, or let the task create the schema)",
                p.target_schema, p.target_table
            ),
        })?;
        let mut columns = vec![];
        let mut target_columns = vec![];
        let mut source_exprs = vec![];
        let mut lobs = vec![];
        for c in &p.columns {
            let added;
            let sc = if c.expression.is_some() {
                added = crate::model::Column {
                    name: c.source.clone(),
                    data_type: crate::sqltext::parse_declared_type(
                        c.data_type.as_deref().unwrap_or("text"),
                    ),
                    ..Default::default()
                };
                Some(&added)
            } else {
                None
            };
            let sc = sc
                .or_else(|| p.table.columns.iter().find(|x| x.name == c.source))
                .ok_or_else(|| Error::InvalidEndpoint {
                    endpoint: source.endpoint.label(),
                    reason: format!("column {} vanished from {}", c.source, p.source_table),
                })?;
            let tc = tt
                .columns
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(&c.target))
                .ok_or_else(|| Error::InvalidEndpoint {
                    endpoint: target.endpoint.label(),
                    reason: format!(
                        "table {}.{} has no column {} for {}.{}",
                        p.target_schema, tt.name, c.target, p.source_table, c.source
                    ),
                })?;
            if tc.generated.is_some() {
                continue;
            }
            target_columns.push(tc.name.clone());
            source_exprs.push(c.expression.clone());
            lobs.push(values::is_lob(&sc.data_type));
            columns.push((
                c.source.clone(),
                values::quote(target.endpoint.engine, &tc.name),
                values::kind(source.endpoint.engine, &sc.data_type),
                values::kind(target.endpoint.engine, &tc.data_type),
            ));
        }
        let target_sql = sink::target_sql(target.endpoint.engine, p, &tt.name);
        let shared_with = state::other_owners(target, &task.name, &target_sql)
            .await?
            .iter()
            .map(ToString::to_string)
            .collect();
        let names = [
            (
                p.source_schema.to_lowercase(),
                p.source_table.to_lowercase(),
            ),
            (
                p.target_schema.to_lowercase(),
                p.target_table.to_lowercase(),
            ),
        ];
        let key_sql = keys
            .iter()
            .position(|k| names.contains(&k.0))
            .map(|i| keys.remove(i).1);
        prepared.push(Prepared {
            plan: p.clone(),
            label: format!("{}.{}", p.source_schema, p.source_table),
            target_sql,
            key_sql,
            columns,
            target_columns,
            estimated_rows: p.table.stats.estimated_rows,
            range: None,
            source_exprs,
            lobs,
            lob_limit: s.lob_max_kb.map(|kb| kb.saturating_mul(1024)),
            nul: (!crate::engines::of(target.endpoint.engine).text_holds_nul())
                .then_some(s.nul_chars),
            typed_source: crate::engines::of(source.endpoint.engine).typed_columns(),
            shared_with,
            digest: None,
            slice: None,
            snapshot: None,
            raw: None,
            slice_record: None,
        });
    }
    // Keys of no table being loaded (a name spelled otherwise): built with the post-data, ahead
    // of the foreign keys that need them.
    if !keys.is_empty()
        && let Some(first) = report.objects.first_mut()
    {
        for (i, (_, sql)) in keys.into_iter().enumerate() {
            first.target.insert(
                i,
                crate::assessment::TargetStatement {
                    phase: crate::assessment::Phase::PostData,
                    sql,
                },
            );
        }
    }
    Ok((report, prepared, left_out))
}

/// The target table of `p` in `tcat`, if it is there.
pub(super) fn target_table<'c>(
    p: &TablePlan,
    tcat: &'c crate::model::Catalog,
    target: &Connection,
) -> Option<&'c crate::model::Table> {
    tcat.schemas
        .iter()
        .filter(|x| {
            !crate::engines::of(target.endpoint.engine).tables_by_schema()
                || x.name.eq_ignore_ascii_case(&p.target_schema)
        })
        .flat_map(|x| x.tables.iter())
        .find(|t| {
            t.name
                .eq_ignore_ascii_case(&sink::target_table_name(target.endpoint.engine, p))
        })
}

/// For replication: `p` as it was when the target got its table, if the source table has only
/// gained columns at its end since (while the task was stopped). Its changes from before those
/// columns are read with the old shape; the log's ADD COLUMN adds them on the target when
/// replication reaches it, as it does for a running task.
pub(super) fn added_since(
    p: &TablePlan,
    tcat: &crate::model::Catalog,
    target: &Connection,
) -> Option<TablePlan> {
    let tt = target_table(p, tcat, target)?;
    let on_target = |c: &mappings::ColumnPlan| {
        c.expression.is_some()
            || tt
                .columns
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(&c.target))
    };
    let missing: Vec<&str> = p
        .columns
        .iter()
        .filter(|c| !on_target(c))
        .map(|c| c.source.as_str())
        .collect();
    let n = p.table.columns.len();
    if missing.is_empty() || missing.len() >= n {
        return None;
    }
    // Exactly the source table's last columns.
    let tail = &p.table.columns[n - missing.len()..];
    if !tail.iter().all(|c| missing.contains(&c.name.as_str())) {
        return None;
    }
    tracing::info!(target: "tugboat::tasks", "{}.{}: {} not on the target yet (added on the source since): added when replication reaches the change", p.source_schema, p.source_table, missing.join(", "));
    let mut old = p.clone();
    old.table.columns.truncate(n - missing.len());
    old.columns.retain(on_target);
    Some(old)
}

/// Drop-and-create would drop a target table another task has loaded rows into (several
/// sources consolidated into one table): the task is refused before anything is dropped.
async fn refuse_dropping_shared(
    task: &Task,
    target: &Connection,
    plans: &[crate::tasks::mappings::TablePlan],
) -> Result<()> {
    state::ensure(target).await?;
    let b = crate::engines::of(target.endpoint.engine);
    for p in plans {
        let t = b.table_sql(
            &p.target_schema,
            &b.table_name(&p.target_schema, &p.target_table),
        );
        let others = state::other_owners(target, &task.name, &t).await?;
        if !others.is_empty() {
            return Err(Error::Invalid {
                what: format!("task {}", task.name),
                reason: format!(
                    "--prepare drop-and-create would drop {t}, which task {} loaded rows into too; nothing was dropped (a task with a source column empties only its own rows with --prepare truncate)",
                    others
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// The task's tables as a load would write them, touching nothing on the target but the
/// control tables (what replication applies changes to).
pub async fn prepared(
    task: &Task,
    source: &Connection,
    target: &Connection,
    events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
) -> Result<Vec<Prepared>> {
    Ok(prepare(task, source, target, events, false, true).await?.1)
}

/// The tables `m` selects from `catalog` (a source of engine `source`), each with its columns
/// named as they will be on a `target` engine: what the Tasks screen previews.
pub fn plan_tables(
    m: &TableMappings,
    catalog: &crate::model::Catalog,
    source: Engine,
    target: Engine,
) -> Result<Vec<TablePlan>> {
    let mut catalog = catalog.clone();
    for sc in &mut catalog.schemas {
        sc.tables.retain(|t| !t.name.starts_with("tugboat_"));
    }
    let src = Source::from_catalog("", catalog);
    let rules = RuleSet::shipped(engine_dialect(source), engine_dialect(target))?;
    plan_with(m, &src, &rules)
}

pub(super) fn plan_with(
    m: &TableMappings,
    src: &Source,
    rules: &RuleSet,
) -> Result<Vec<TablePlan>> {
    let names = crate::conversion::writer::target_names(src, rules);
    mappings::plan(m, &src.catalog, |n| names.name(n), |sc| names.schema(sc))
}
