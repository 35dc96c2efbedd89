//! A big table's full load into a lake in parts read and written side by side, so that no big
//! table is one stream: key ranges of an integer primary key, page ranges of a PostgreSQL table
//! (all read in one snapshot a source session exports and holds), or ranges of another primary
//! key found by walking it in key order ([`crate::tasks::slices_of`]). Each part writes files of
//! its own, numbered from one counter of the table (`LOAD00000001.parquet`...), and is kept in
//! the state file once written (with its files and its rows' checksum), so that a run started
//! again after a stop loads only the parts that did not finish, after deleting any file that
//! is not one of a finished part's. Page ranges do not carry over (another snapshot may hold
//! rows on other pages): a table loaded in page ranges that did not finish is loaded whole
//! again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::load::Loaded;
use crate::endpoints::Connection;
use crate::error::Result;
use crate::tasks::{KeyRange, Prepared, Slice};

/// One part of a table's load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Part {
    /// The rows of a range of its integer key.
    Range(KeyRange),
    /// The rows of a slice: pages, or a range of another key.
    Slice(Slice),
}

impl Part {
    /// `p` reading this part's rows only.
    pub fn of(&self, p: &Prepared) -> Prepared {
        let mut q = p.clone();
        match self {
            Part::Range(r) => q.range = Some(r.clone()),
            Part::Slice(s) => q.slice = Some(s.clone()),
        }
        q
    }

    /// Whether its rows are the same rows in another run (not page ranges: rows move).
    fn carries_over(&self) -> bool {
        !matches!(self, Part::Slice(Slice::Pages { .. }))
    }

    /// Whether it is read in a snapshot shared with the table's other parts.
    pub fn shares_snapshot(&self) -> bool {
        !self.carries_over()
    }
}

/// A table's load in parts that has not finished, as the state file keeps it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    pub parts: Vec<Part>,
    /// The parts written, by their place in `parts`.
    pub done: BTreeMap<usize, Loaded>,
    /// The task's filters and computed columns the parts were read with ([`rules_of`]).
    #[serde(default)]
    pub rules: String,
}

impl Partial {
    /// Whether it is kept (a run stopped may go on with it): parts that carry over.
    pub fn kept(&self) -> bool {
        self.parts.len() > 1 && self.parts.iter().all(Part::carries_over)
    }

    /// Whether its parts are still those of `p` (the table's key unchanged since), so the
    /// parts written stay and the others load.
    pub fn fits(&self, engine: crate::endpoints::Engine, p: &Prepared) -> bool {
        let column = crate::tasks::key_column(p);
        let walk = crate::tasks::walk_columns(engine, p);
        self.kept()
            && self.rules == rules_of(p)
            && self.parts.iter().all(|part| match part {
                Part::Range(r) => column == Some(r.column),
                Part::Slice(Slice::Keys { columns, .. }) => walk.as_ref() == Some(columns),
                Part::Slice(Slice::Pages { .. }) => false,
            })
    }

    /// The files of the parts written.
    pub fn files(&self) -> impl Iterator<Item = &String> {
        self.done.values().flat_map(|l| l.files.iter())
    }

    /// The table's load once every part is written: its parts' files and rows together.
    pub fn whole(&self) -> Loaded {
        let mut out = Loaded::default();
        for l in self.done.values() {
            out.rows += l.rows;
            out.files.extend(l.files.iter().cloned());
            out.bytes += l.bytes;
            out.sum.merge(&l.sum);
        }
        out.files.sort();
        out
    }
}

/// What of the task's rules picks and computes `p`'s rows (its filters, its columns'
/// expressions): parts read under other rules are not kept.
pub fn rules_of(p: &Prepared) -> String {
    format!("{:?} {:?}", p.plan.filters, p.source_exprs)
}

/// The parts table `p` is loaded in, of about `per` rows each; none: loaded whole.
pub async fn plan(source: &Connection, per: u64, p: &Prepared) -> Result<Vec<Part>> {
    let ranges = crate::tasks::key_ranges(source, per, p).await?;
    if !ranges.is_empty() {
        return Ok(ranges.into_iter().map(Part::Range).collect());
    }
    let slices = crate::tasks::slices_of(source, per, p).await;
    Ok(slices.into_iter().map(Part::Slice).collect())
}

/// The highest number among `files` named `LOAD<n>.parquet`: a table's next file is numbered
/// after it.
pub fn last_number<'a>(files: impl Iterator<Item = &'a String>) -> u32 {
    files
        .filter_map(|f| {
            f.strip_prefix("LOAD")?
                .strip_suffix(".parquet")?
                .parse()
                .ok()
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_numbered_after_the_parts_written() {
        let files = [
            "LOAD00000003.parquet".to_string(),
            "LOAD00000012.parquet".to_string(),
            "CDC00000001-00000001.parquet".to_string(),
        ];
        assert_eq!(last_number(files.iter()), 12);
        assert_eq!(last_number([].iter()), 0);
    }

    #[test]
    fn page_ranges_are_never_kept_for_another_run() {
        let pages = Part::Slice(Slice::Pages {
            from: None,
            to: Some(10),
        });
        let range = Part::Range(KeyRange {
            column: 0,
            from: None,
            to: Some(10),
        });
        let partial = |parts| Partial {
            parts,
            done: BTreeMap::new(),
            rules: String::new(),
        };
        assert!(!partial(vec![pages.clone(), range.clone()]).kept());
        assert!(partial(vec![range.clone(), range.clone()]).kept());
        // One part is the whole table: nothing to go on with.
        assert!(!partial(vec![range]).kept());
        assert!(pages.shares_snapshot());
    }
}
