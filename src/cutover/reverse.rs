//! The reverse task of a cut-over: the new database's changes replicated back to the old one,
//! table by table the way the forward task moved them, every name pinned back to the old
//! database's spelling (a rename, a case folding or a prefix undone), columns the forward task
//! added left out.

use crate::error::{Error, Result};
use crate::tasks::mappings::{
    Selection, SelectionAction, TableMappings, TablePlan, Target, TransformAction, Transformation,
};
use crate::tasks::replication::TaskType;
use crate::tasks::{Prepare, Task};

/// The reverse of task `forward` from its tables as they are on both sides now (`s` its
/// source, `d` its target), keeping the id of a reverse task an earlier cut-over left in
/// `existing`. Fails when the tables are not there yet (the task never loaded).
pub async fn plan(
    forward: &Task,
    s: &crate::endpoints::Connection,
    d: &crate::endpoints::Connection,
    existing: &[Task],
) -> Result<Task> {
    let none: std::sync::Arc<dyn Fn(crate::tasks::TaskEvent) + Send + Sync> =
        std::sync::Arc::new(|_| {});
    let tables = crate::tasks::prepared(forward, s, d, &none).await?;
    let plans: Vec<TablePlan> = tables.into_iter().map(|p| p.plan).collect();
    let b = crate::engines::of(d.endpoint.engine);
    let current = b.current_schema(d).await.unwrap_or_default();
    let mut y = of(forward, &plans, &|planned| b.schema_here(planned, &current))?;
    if let Some(old) = existing.iter().find(|t| t.name == y.name) {
        y.id = old.id.clone();
    }
    Ok(y)
}

/// The name a task's reverse task gets.
pub fn name_of(forward: &str) -> String {
    format!("{forward}-reverse")
}

/// The reverse of `forward`, whose tables are `plans`: a cdc task from its target to its
/// source into the tables there (nothing created, nothing emptied). `schema_here`: the schema
/// a planned target schema is in on the target, as its catalog names it (a MySQL target's
/// tables are planned without one: they are in the connected database).
pub fn of(
    forward: &Task,
    plans: &[TablePlan],
    schema_here: &dyn Fn(&str) -> String,
) -> Result<Task> {
    let refuse = |reason: String| Error::Invalid {
        what: format!("the reverse of task {}", forward.name),
        reason,
    };
    let mut selection = vec![];
    let mut transformations = vec![];
    let mut schemas: Vec<(String, String)> = vec![];
    let plans: Vec<TablePlan> = plans
        .iter()
        .map(|p| TablePlan {
            target_schema: schema_here(&p.target_schema),
            ..p.clone()
        })
        .collect();
    for p in &plans {
        if plans.iter().any(|q| {
            (q.target_schema.as_str(), q.target_table.as_str())
                == (p.target_schema.as_str(), p.target_table.as_str())
                && (q.source_schema != p.source_schema || q.source_table != p.source_table)
        }) {
            return Err(refuse(format!(
                "{}.{} takes the rows of several source tables (a consolidation): its changes cannot be told apart on the way back",
                p.target_schema, p.target_table
            )));
        }
        match schemas.iter().find(|(t, _)| *t == p.target_schema) {
            Some((_, s)) if *s != p.source_schema => {
                return Err(refuse(format!(
                    "schema {} holds tables of schemas {s} and {}: one schema cannot be renamed back to two",
                    p.target_schema, p.source_schema
                )));
            }
            Some(_) => {}
            None => {
                schemas.push((p.target_schema.clone(), p.source_schema.clone()));
                transformations.push(rule(
                    Target::Schema,
                    p,
                    "%",
                    TransformAction::Rename(p.source_schema.clone()),
                ));
            }
        }
        selection.push(Selection {
            action: SelectionAction::Explicit,
            schema: p.target_schema.clone(),
            table: p.target_table.clone(),
            // A consolidated table: only this source's rows go back to it.
            filters: p
                .owner
                .iter()
                .map(|o| crate::tasks::mappings::Filter {
                    column: o.column.clone(),
                    op: crate::tasks::mappings::FilterOp::Eq,
                    value: Some(o.value.clone()),
                    end: None,
                })
                .collect(),
        });
        transformations.push(rule(
            Target::Table,
            p,
            "%",
            TransformAction::Rename(p.source_table.clone()),
        ));
        for c in &p.columns {
            let action = match &c.expression {
                // Computed on the way in: the old table has no such column.
                Some(_) => TransformAction::RemoveColumn,
                None => TransformAction::Rename(c.source.clone()),
            };
            transformations.push(rule(Target::Column, p, &c.target, action));
        }
    }
    let mut settings = forward.settings.clone();
    settings.create_schema = false;
    settings.prepare = Prepare::DoNothing;
    Ok(Task {
        id: String::new(),
        name: name_of(&forward.name),
        source: forward.target.clone(),
        target: forward.source.clone(),
        mappings: TableMappings {
            selection,
            transformations,
        },
        settings,
        task_type: TaskType::Cdc,
        stop_at: None,
    })
}

fn rule(target: Target, p: &TablePlan, column: &str, action: TransformAction) -> Transformation {
    Transformation {
        target,
        schema: p.target_schema.clone(),
        table: if target == Target::Schema {
            "%".into()
        } else {
            p.target_table.clone()
        },
        column: column.into(),
        action,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Catalog, Column, Schema, Table};
    use crate::tasks::mappings::ColumnPlan;

    fn table(name: &str, columns: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: columns
                .iter()
                .map(|c| Column {
                    name: c.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn col(source: &str, target: &str, computed: bool) -> ColumnPlan {
        ColumnPlan {
            source: source.into(),
            target: target.into(),
            expression: computed.then(|| "'eu'".to_string()),
            data_type: computed.then(|| "varchar(2)".to_string()),
        }
    }

    /// The forward task renamed the schema, folded the table's and a column's case and added a
    /// column: planned against the new database's catalog, the reverse task's rules give back
    /// the old names, and leave the added column out.
    #[test]
    fn the_reverse_task_plans_every_name_back_and_leaves_added_columns_out() {
        let forward_plan = TablePlan {
            source_schema: "Shop".into(),
            source_table: "OrderLines".into(),
            target_schema: "shop_eu".into(),
            target_table: "orderlines".into(),
            columns: vec![
                col("ID", "id", false),
                col("Sku", "sku", false),
                col("region", "region", true),
            ],
            filters: vec![],
            table: Table::default(),
            owner: None,
        };
        let forward = Task {
            id: "t1".into(),
            name: "shop".into(),
            source: "old".into(),
            target: "new".into(),
            mappings: TableMappings::all(),
            settings: Default::default(),
            task_type: TaskType::FullLoadAndCdc,
            stop_at: None,
        };
        let y = of(&forward, std::slice::from_ref(&forward_plan), &|s| {
            s.to_string()
        })
        .expect("a reverse task");
        assert_eq!(
            (y.name.as_str(), y.source.as_str(), y.target.as_str()),
            ("shop-reverse", "new", "old")
        );
        assert_eq!(y.task_type, TaskType::Cdc);
        assert!(!y.settings.create_schema && y.settings.prepare == Prepare::DoNothing);
        // The new database's catalog, with another table the reverse task must not take.
        let catalog = Catalog {
            schemas: vec![Schema {
                name: "shop_eu".into(),
                tables: vec![
                    table("orderlines", &["id", "sku", "region"]),
                    table("orderlines_archive", &["id"]),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let back = crate::tasks::mappings::plan(
            &y.mappings,
            &catalog,
            |n| n.to_string(),
            |s| s.to_string(),
        )
        .expect("the reverse task's rules resolve");
        assert_eq!(back.len(), 1, "{back:?}");
        let b = &back[0];
        assert_eq!(
            (b.target_schema.as_str(), b.target_table.as_str()),
            ("Shop", "OrderLines")
        );
        let cols: Vec<(&str, &str)> = b
            .columns
            .iter()
            .map(|c| (c.source.as_str(), c.target.as_str()))
            .collect();
        assert_eq!(cols, [("id", "ID"), ("sku", "Sku")]);
    }

    /// Two source tables into one target table (a consolidation) cannot be told apart on the
    /// way back: refused, naming the table.
    #[test]
    fn a_consolidated_table_has_no_reverse() {
        let plan = |schema: &str| TablePlan {
            source_schema: schema.into(),
            source_table: "orders".into(),
            target_schema: "all".into(),
            target_table: "orders".into(),
            columns: vec![col("id", "id", false)],
            filters: vec![],
            table: Table::default(),
            owner: None,
        };
        let forward = Task {
            id: String::new(),
            name: "merge".into(),
            source: "a".into(),
            target: "b".into(),
            mappings: TableMappings::all(),
            settings: Default::default(),
            task_type: TaskType::Cdc,
            stop_at: None,
        };
        let e = of(&forward, &[plan("eu"), plan("us")], &|s| s.to_string()).expect_err("refused");
        assert!(e.to_string().contains("all.orders"), "{e}");
    }
}
