//! The changes of a source transaction still being read: a large one comes in parts
//! ([`Captured::Part`](crate::engines::change::Captured::Part)) before its end, which brings its
//! commit time (every change file row's `_commit_ts`). A lake writes nothing of it before then,
//! so its changes wait here: in memory up to a limit, beyond it in a temporary file of this
//! machine (one JSON line per part, deleted when the transaction is taken or the task ends),
//! so that a transaction of any size is written with bounded memory.

use std::io::{BufRead, BufReader, BufWriter, Seek, Write};

use crate::engines::change::Change;

/// The changes of a transaction held in memory at most (their values' bytes, about); beyond,
/// they go aside.
pub const HELD_BYTES: usize = 16 << 20;

/// Changes read back at a time: what a part of a large transaction holds.
const CHUNK: usize = crate::engines::change::PART_CHANGES;

/// The changes of the transaction being read.
pub struct Pending {
    held: Vec<Change>,
    bytes: usize,
    /// Bytes held in memory at most.
    limit: usize,
    /// Parts written aside, in order.
    file: Option<BufWriter<std::fs::File>>,
    /// Changes written aside.
    spilled: u64,
    /// Tables emptied on the source later in the transaction (lower-case `schema.table`), with
    /// the changes aside then: theirs among those are dropped.
    dropped: Vec<(String, u64)>,
}

impl Pending {
    pub fn new(limit: usize) -> Pending {
        Pending {
            held: vec![],
            bytes: 0,
            limit: limit.max(1),
            file: None,
            spilled: 0,
            dropped: vec![],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty() && self.spilled == 0
    }

    /// Changes written aside so far.
    pub fn spilled(&self) -> u64 {
        self.spilled
    }

    /// Lets go of everything held.
    pub fn clear(&mut self) {
        *self = Pending::new(self.limit);
    }

    /// Drops the changes of `table` (lower-case `schema.table`) held so far.
    pub fn drop_table(&mut self, table: &str) {
        self.held.retain(|c| c.table.to_lowercase() != table);
        if self.spilled > 0 {
            self.dropped.push((table.to_string(), self.spilled));
        }
    }

    /// Adds the next changes; beyond the limit, what is held goes aside.
    pub fn push(&mut self, changes: Vec<Change>) -> Result<(), String> {
        self.bytes += changes
            .iter()
            .map(crate::cdc::cached::weight)
            .sum::<usize>();
        self.held.extend(changes);
        if self.bytes < self.limit {
            return Ok(());
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                let f = tempfile::tempfile().map_err(|e| aside("making", e))?;
                self.file.insert(BufWriter::new(f))
            }
        };
        for part in self.held.chunks(CHUNK) {
            serde_json::to_writer(&mut *file, part).map_err(|e| aside("writing", e))?;
            file.write_all(b"\n").map_err(|e| aside("writing", e))?;
        }
        self.spilled += self.held.len() as u64;
        self.held.clear();
        self.bytes = 0;
        Ok(())
    }

    /// Every change held then `last` (the transaction's end: kept in memory, not written
    /// aside to be read back at once), in order, a part at a time; empties it.
    pub fn take_with(&mut self, last: Vec<Change>) -> Result<Parts, String> {
        self.held.extend(last);
        self.take()
    }

    /// Every change held, in order, a part at a time (read back from aside first); empties it.
    pub fn take(&mut self) -> Result<Parts, String> {
        let held = std::mem::take(&mut self.held);
        let dropped = std::mem::take(&mut self.dropped);
        let aside = match self.file.take() {
            Some(f) => {
                let mut f = f.into_inner().map_err(|e| aside("writing", e.error()))?;
                f.rewind().map_err(|e| aside("reading", e))?;
                Some(BufReader::new(f).lines())
            }
            None => None,
        };
        self.clear();
        Ok(Parts {
            aside,
            held: Some(held),
            dropped,
            read: 0,
        })
    }
}

/// The changes of a transaction, a part at a time ([`Pending::take`]).
pub struct Parts {
    aside: Option<std::io::Lines<BufReader<std::fs::File>>>,
    held: Option<Vec<Change>>,
    dropped: Vec<(String, u64)>,
    /// Changes read back from aside so far.
    read: u64,
}

impl Iterator for Parts {
    type Item = Result<Vec<Change>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = match self.aside.as_mut().and_then(Iterator::next) {
            Some(line) => line,
            None => return self.held.take().map(Ok),
        };
        let part = line
            .map_err(|e| aside("reading", e))
            .and_then(|l| serde_json::from_str::<Vec<Change>>(&l).map_err(|e| aside("reading", e)));
        Some(part.map(|part| {
            if self.dropped.is_empty() {
                return part;
            }
            let from = self.read;
            self.read += part.len() as u64;
            (part.into_iter().enumerate())
                .filter(|(i, c)| {
                    let at = from + *i as u64;
                    let table = c.table.to_lowercase();
                    !self.dropped.iter().any(|(t, n)| *t == table && at < *n)
                })
                .map(|(_, c)| c)
                .collect()
        }))
    }
}

fn aside(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what} the changes of a large transaction aside (a temporary file): {e}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::change::Op;

    fn change(table: &str, i: usize) -> Change {
        Change {
            table: table.into(),
            op: Op::Insert,
            before: None,
            after: Some(vec![
                Some(i.to_string()),
                None,
                Some("tab\there ünï".into()),
            ]),
            unchanged: vec![],
            before_complete: false,
            computed: vec![],
            tolerant: false,
        }
    }

    #[test]
    fn a_large_transaction_goes_aside_and_comes_back_whole_in_order() -> Result<(), String> {
        let mut p = Pending::new(10_000);
        let all: Vec<Change> = (0..25_000)
            .map(|i| change(if i % 2 == 0 { "s.a" } else { "s.b" }, i))
            .collect();
        for part in all.chunks(7_000) {
            p.push(part.to_vec())?;
        }
        assert!(p.spilled() > 0, "beyond the limit, changes go aside");
        let back: Vec<Change> = p.take()?.collect::<Result<Vec<_>, _>>()?.concat();
        assert_eq!(back, all);
        assert!(p.is_empty());
        // A table emptied later in the transaction: its changes so far are dropped, aside too,
        // and the ones after it kept.
        for part in all.chunks(7_000) {
            p.push(part.to_vec())?;
        }
        p.drop_table("s.a");
        let after: Vec<Change> = (0..12_000).map(|i| change("s.a", 100_000 + i)).collect();
        p.push(after.clone())?;
        let back: Vec<Change> = p.take()?.collect::<Result<Vec<_>, _>>()?.concat();
        let mut want: Vec<Change> = all.into_iter().filter(|c| c.table == "s.b").collect();
        want.extend(after);
        assert_eq!(back, want);
        Ok(())
    }
}
