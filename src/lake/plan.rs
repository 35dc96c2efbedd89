//! A task's tables as a data lake takes them: the source's tables the task's mappings select,
//! each with the folder its files go to (`<schema>/<table>/`, as DMS lays them out), its
//! columns' Parquet types and the schema file written beside them.

use std::sync::Arc;

use object_store::path::Path;

use super::Lake;
use super::types::{LakeColumn, LakeRules, LakeSchema, LakeType};
use crate::endpoints::Connection;
use crate::engines::values;
use crate::error::{Error, Result};
use crate::tasks::mappings::TablePlan;
use crate::tasks::{Prepared, Task, TaskEvent};

/// One table of a task into a lake.
#[derive(Debug, Clone)]
pub struct LakeTable {
    /// How the source is read (the task's columns, filters and computed columns).
    pub prepared: Prepared,
    pub schema: LakeSchema,
    pub types: Vec<LakeType>,
    /// The table's folder.
    pub dir: Path,
}

impl LakeTable {
    /// `schema.table` on the source: the table's name in events and the state file.
    pub fn label(&self) -> &str {
        &self.prepared.label
    }

    /// The encoder of its rows (`zero_dates_null`: the task's zero-date policy).
    pub fn encoder(&self, zero_dates_null: bool) -> super::encode::Encoder {
        self.encoder_of(self.schema.arrow(&self.types), zero_dates_null)
    }

    /// The encoder of its changed rows: every column may be NULL (a delete from PostgreSQL
    /// carries its key only).
    pub fn change_encoder(&self, zero_dates_null: bool) -> super::encode::Encoder {
        let fields: Vec<arrow_schema::Field> = self
            .schema
            .arrow(&self.types)
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect();
        self.encoder_of(Arc::new(arrow_schema::Schema::new(fields)), zero_dates_null)
    }

    fn encoder_of(
        &self,
        schema: Arc<arrow_schema::Schema>,
        zero_dates_null: bool,
    ) -> super::encode::Encoder {
        super::encode::Encoder::new(
            schema,
            self.prepared
                .columns
                .iter()
                .zip(&self.types)
                .zip(&self.schema.columns)
                .map(|((c, t), lc)| (c.2, *t, lc.name.clone()))
                .collect(),
            zero_dates_null,
        )
    }
}

/// The tables `task` moves from `source` into `lake`, read from the source's catalog.
pub async fn tables(
    task: &Task,
    source: &Connection,
    lake: &Lake,
    events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
) -> Result<Vec<LakeTable>> {
    events(TaskEvent::Step("reading the source catalog".into()));
    let mut catalog = crate::engines::discover::discover(source, &Default::default()).await?;
    for sc in &mut catalog.schemas {
        sc.tables.retain(|t| !t.name.starts_with("tugboat_"));
    }
    let plans = crate::tasks::mappings::plan(
        &task.mappings,
        &catalog,
        |n| n.to_string(),
        |s| s.to_string(),
    )?;
    events(TaskEvent::planned(&plans, "/"));
    let rules = LakeRules::shipped(crate::ddl::Dialect::of_engine(source.endpoint.engine))?;
    let tables = plans
        .iter()
        .map(|p| table(p, source, lake, &rules))
        .collect::<Result<Vec<_>>>()?;
    claim(lake, &task.name, &tables).await?;
    Ok(tables)
}

/// The table folders a task writes, kept beside its state (`_tugboat/<task>/tables.json`).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Claimed {
    folders: Vec<String>,
}

/// Claims `tables`' folders for `task`, refused where another task of the lake writes one of
/// them (its load would delete the other's files, their change files would be numbered alike).
async fn claim(lake: &Lake, task: &str, tables: &[LakeTable]) -> Result<()> {
    let own = super::load::state_path(lake, task, "tables.json");
    let mine: Vec<String> = tables.iter().map(|t| t.dir.to_string()).collect();
    for o in lake.list(&lake.path(&["_tugboat"])).await? {
        if o.location == own || o.location.filename() != Some("tables.json") {
            continue;
        }
        let Some(theirs) = lake.get_json::<Claimed>(&o.location).await? else {
            continue;
        };
        if let Some(f) = theirs.folders.iter().find(|f| mine.contains(f)) {
            let parts: Vec<_> = o.location.parts().collect();
            let other = parts
                .get(parts.len().saturating_sub(2))
                .map(|p| p.as_ref().to_string());
            return Err(Error::Invalid {
                what: format!("task {task}"),
                reason: format!(
                    "folder {f} of {} is written by task {} already: give this task another folder or prefix",
                    lake.label(),
                    other.unwrap_or_default()
                ),
            });
        }
    }
    lake.put_json(&own, &Claimed { folders: mine }).await
}

pub(super) fn table(
    p: &TablePlan,
    source: &Connection,
    lake: &Lake,
    rules: &LakeRules,
) -> Result<LakeTable> {
    let engine = source.endpoint.engine;
    let label = format!("{}.{}", p.source_schema, p.source_table);
    let mut columns = vec![];
    let mut lake_columns = vec![];
    let mut types = vec![];
    let mut source_exprs = vec![];
    let mut lobs = vec![];
    for c in &p.columns {
        let found = p.table.columns.iter().find(|x| x.name == c.source);
        let data_type = match (&c.data_type, found) {
            (Some(t), _) => crate::sqltext::parse_declared_type(t),
            (None, Some(sc)) => sc.data_type.clone(),
            (None, None) => {
                return Err(Error::InvalidEndpoint {
                    endpoint: source.endpoint.label(),
                    reason: format!("column {} vanished from {label}", c.source),
                });
            }
        };
        let kind = values::kind(engine, &data_type);
        let (lake_type, action) = rules.map(&data_type, kind).map_err(|e| Error::Invalid {
            what: format!("{label}, column {}", c.source),
            reason: e.to_string(),
        })?;
        if let Some(a) = &action {
            tracing::info!(target: "tugboat::tasks", "{label}.{}: {} ({})", c.source, a.message, a.code.as_str());
        }
        lake_columns.push(LakeColumn {
            name: c.target.clone(),
            source_type: data_type.declared.clone(),
            arrow_type: lake_type.name(),
            nullable: found.is_none_or(|sc| sc.nullable),
            note: action.map(|a| a.message),
        });
        types.push(lake_type);
        source_exprs.push(c.expression.clone());
        lobs.push(values::is_lob(&data_type));
        columns.push((c.source.clone(), c.target.clone(), kind, kind));
    }
    let primary_key = p
        .table
        .primary_key
        .as_ref()
        .map(|k| k.columns.clone())
        .unwrap_or_default();
    let prepared = Prepared {
        plan: p.clone(),
        label: label.clone(),
        target_sql: format!("{}/{}", p.target_schema, p.target_table),
        columns,
        target_columns: lake_columns.iter().map(|c| c.name.clone()).collect(),
        estimated_rows: p.table.stats.estimated_rows,
        range: None,
        source_exprs,
        lobs,
        // Parquet holds values of any length: nothing is cut.
        lob_limit: None,
        nul: None,
        key_sql: None,
        typed_source: crate::engines::of(engine).typed_columns(),
        shared_with: vec![],
        digest: None,
        slice: None,
        snapshot: None,
        raw: None,
        slice_record: None,
    };
    Ok(LakeTable {
        dir: lake.path(&[&p.target_schema, &p.target_table]),
        schema: LakeSchema {
            source: label,
            columns: lake_columns,
            primary_key,
        },
        types,
        prepared,
    })
}
