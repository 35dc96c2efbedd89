//! The slices of a table loaded in ranges of sampled keys (`tasks/slices.rs`), a row each in
//! `tugboat_slice_state`: its bounds (the key's values as the source spells them, a JSON array
//! of texts), its state and rows. A slice is recorded as soon as the walk along the key finds
//! it and before any of its rows is written, so a run that stops reloads only the slices that
//! did not finish, with the same bounds, and goes on walking after the last one found.

use super::{Stored, now, query_error};
use crate::endpoints::Connection;
use crate::engines::values::text_literal;
use crate::error::Result;

pub(super) const SLICES: &str = "tugboat_slice_state";

/// The statement creating the table when it is not there.
pub(super) fn create_sql() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {SLICES} (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, part integer NOT NULL, parts integer NOT NULL, key_from text, key_to text, state varchar(20) NOT NULL, rows_loaded bigint NOT NULL, updated_at varchar(40) NOT NULL, PRIMARY KEY (task, table_name, part))"
    )
}

/// A slice of a table's key, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceState {
    /// Its place in key order, from 0.
    pub part: usize,
    /// The slices planned when the walk began.
    pub parts: usize,
    /// The key's values it starts at (included); None: from the start.
    pub from: Option<Vec<String>>,
    /// The key's values it ends before; None: to the end (the table's last slice).
    pub to: Option<Vec<String>>,
    pub state: Stored,
    pub rows: i64,
}

/// The recorded slices of `table`, in key order.
pub async fn slices(conn: &Connection, task: &str, table: &str) -> Result<Vec<SliceState>> {
    let e = conn.endpoint.engine;
    let rows = conn
        .query_text(&format!(
            "SELECT part, parts, key_from, key_to, state, rows_loaded FROM {SLICES} WHERE task = {} AND table_name = {} ORDER BY part",
            text_literal(e, task),
            text_literal(e, table)
        ))
        .await
        .map_err(|x| query_error(conn, x))?;
    // A bound that does not read back (NULL is an open bound, anything else must parse).
    let bound = |v: Option<&str>| match v {
        None => Some(None),
        Some(v) => serde_json::from_str::<Vec<String>>(v).ok().map(Some),
    };
    let read: Option<Vec<SliceState>> = rows
        .iter()
        .map(|r| {
            Some(SliceState {
                part: r.at(0)?.parse().ok()?,
                parts: r.at(1)?.parse().ok()?,
                from: bound(r.at(2))?,
                to: bound(r.at(3))?,
                state: Stored::parse(r.at(4).unwrap_or_default()),
                rows: r.at(5).and_then(|v| v.parse().ok()).unwrap_or(0),
            })
        })
        .collect();
    // Records that do not read back are not resumed from: the table is loaded afresh.
    Ok(read.unwrap_or_default())
}

/// `bound` as JSON in ASCII only (every other character as `\uXXXX`): a MySQL `text` column
/// of another character set keeps it as it is.
fn ascii_json(bound: &[String]) -> String {
    let json = serde_json::to_string(bound).unwrap_or_default();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// Records slice `s` of `table` (its bounds, state and rows), replacing what was recorded of it.
pub async fn set_slice(conn: &Connection, task: &str, table: &str, s: &SliceState) -> Result<()> {
    let sql = slice_sql(conn.endpoint.engine, task, table, s);
    conn.execute(&sql).await.map_err(|x| query_error(conn, x))?;
    Ok(())
}

/// The statement recording slice `s` of `table` on a target of engine `e` ([`set_slice`]).
pub fn slice_sql(e: crate::endpoints::Engine, task: &str, table: &str, s: &SliceState) -> String {
    let bound = |b: &Option<Vec<String>>| match b {
        Some(v) => text_literal(e, &ascii_json(v)),
        None => "NULL".into(),
    };
    let upsert = crate::engines::of(e).upsert(
        &["task", "table_name", "part"],
        &[
            "parts",
            "key_from",
            "key_to",
            "state",
            "rows_loaded",
            "updated_at",
        ],
    );
    format!(
        "INSERT INTO {SLICES} (task, table_name, part, parts, key_from, key_to, state, rows_loaded, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}){upsert}",
        text_literal(e, task),
        text_literal(e, table),
        s.part,
        s.parts,
        bound(&s.from),
        bound(&s.to),
        text_literal(e, s.state.as_str()),
        s.rows,
        text_literal(e, &now())
    )
}

/// Forgets the slices recorded of `table` (it is loaded afresh).
pub async fn clear_slices(conn: &Connection, task: &str, table: &str) -> Result<()> {
    let e = conn.endpoint.engine;
    conn.execute(&format!(
        "DELETE FROM {SLICES} WHERE task = {} AND table_name = {}",
        text_literal(e, task),
        text_literal(e, table)
    ))
    .await
    .map_err(|x| query_error(conn, x))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_kept_in_ascii_and_read_back_the_same() {
        let b = vec!["Zoë 🚢".to_string(), "a\"b\\".to_string()];
        let json = ascii_json(&b);
        assert!(json.is_ascii(), "{json}");
        assert_eq!(serde_json::from_str::<Vec<String>>(&json).ok(), Some(b));
    }
}
