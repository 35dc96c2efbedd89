//! The task's source filters and add-column expressions on the changes a lake's replication
//! writes, as on a database target's ([`crate::cdc::transform`]: evaluated by the source for
//! the tables that have them): a change whose row is not in the filter is not written, an
//! update that moves a row into it is written as an insert, out of it as a delete, and the
//! computed columns are computed for every row written.

use std::collections::HashMap;

use super::changes::TableChanges;
use super::plan::LakeTable;
use crate::cdc::transform::Shaper;
use crate::endpoints::Connection;
use crate::engines::change::{Change, Position, TableMeta, Txn};
use crate::engines::values;
use crate::error::Result;

/// The shaping of `tables`' changes (by lower-case source `schema.table`); None when no table
/// has a filter or an expression. Errors name what replication cannot evaluate.
pub fn shaper(
    source: &Connection,
    tables: &HashMap<String, TableChanges>,
) -> Result<Option<Shaper>> {
    let prepared: Vec<_> = tables.values().map(|t| t.table.prepared.clone()).collect();
    Shaper::new(source, &prepared, &metas(source, tables))
}

/// How `tables`' rows are captured, by lower-case source `schema.table`.
pub fn metas(
    source: &Connection,
    tables: &HashMap<String, TableChanges>,
) -> HashMap<String, TableMeta> {
    tables
        .iter()
        .map(|(k, t)| (k.clone(), meta_of(source, &t.table)))
        .collect()
}

/// The captured columns of `t`'s source table.
pub fn meta_of(source: &Connection, t: &LakeTable) -> TableMeta {
    let engine = source.endpoint.engine;
    TableMeta::of(t.label(), &t.prepared.plan.table, |d| {
        values::kind(engine, d)
    })
}

/// `changes` of the transaction ending at `end` (committed at `commit_ms`) as the task's
/// filters and expressions make them; the inner error names a change the source could not
/// evaluate them for (with its values), the outer one a source that could not be asked.
pub async fn shape(
    shaper: &Shaper,
    changes: Vec<Change>,
    end: &Position,
    commit_ms: i64,
) -> Result<std::result::Result<Vec<Change>, String>> {
    let txn = [Txn {
        end: end.clone(),
        commit_ms,
        changes,
    }];
    let Some((mut out, refused)) = shaper.shape(&txn).await? else {
        let [t] = txn;
        return Ok(Ok(t.changes));
    };
    if let Some(r) = refused.first() {
        let values: Vec<&str> = r
            .values
            .iter()
            .map(|v| v.as_deref().unwrap_or("NULL"))
            .collect();
        return Ok(Err(format!(
            "{}: {} (a change with the values {}); the lake holds the changes before it",
            r.table,
            r.error,
            values.join(", ")
        )));
    }
    Ok(Ok(out.pop().map(|t| t.changes).unwrap_or_default()))
}
