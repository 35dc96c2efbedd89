//! One progress model for a run of a task, fed by the run's [`TaskEvent`]s: the app's Monitor
//! and the CLI read their figures from it, so the two cannot disagree.
//!
//! The figures are honest about what this run did: rows of tables finished by an earlier run
//! are on the target but not "moved" (they count in the total, never in a rate); the overall
//! fraction is exactly 1 when every table is finished, whatever the estimates said; a
//! validation run has its own fraction and keeps the load's figures. ([`Totals`]: a table's
//! rows so far summed over its parts as they load, for the events.)

use std::time::Instant;

use super::{Summary, TableState, TaskEvent};

/// One table's figures in this run.
#[derive(Debug, Clone)]
pub struct TableProgress {
    /// Source `schema.table`.
    pub name: String,
    /// The target table.
    pub target: String,
    /// The source's estimate of its rows.
    pub estimated: Option<i64>,
    pub state: TableState,
    /// Rows on the target (for a table finished earlier, the rows it has).
    pub rows: u64,
    /// Finished by an earlier run and not touched by this one.
    pub skipped: bool,
    pub started: Option<Instant>,
    /// Load time (set once the table is done).
    pub seconds: f64,
    pub error: Option<String>,
    /// (source rows, target rows) once validated.
    pub validation: Option<(i64, i64)>,
    /// DMS's validation words and the rows that differ.
    pub validation_state: Option<(String, u64)>,
    /// Bytes written to the target.
    pub bytes: u64,
    /// (ranges done, ranges) of a table loaded in key ranges.
    pub ranges: Option<(usize, usize)>,
}

impl TableProgress {
    fn new(name: String, target: String, estimated: Option<i64>) -> Self {
        TableProgress {
            name,
            target,
            estimated,
            state: TableState::BeforeLoad,
            rows: 0,
            skipped: false,
            started: None,
            seconds: 0.0,
            error: None,
            validation: None,
            validation_state: None,
            bytes: 0,
            ranges: None,
        }
    }

    /// Finished, one way or another: nothing more will happen to it in this run.
    pub fn finished(&self) -> bool {
        matches!(
            self.state,
            TableState::Completed | TableState::Error | TableState::Cancelled
        )
    }

    /// Rows this run wrote.
    pub fn moved(&self) -> u64 {
        if self.skipped { 0 } else { self.rows }
    }

    /// Seconds it has been loading (so far, or in all once done).
    pub fn elapsed(&self) -> f64 {
        match (self.state, self.started) {
            (TableState::FullLoad, Some(s)) => s.elapsed().as_secs_f64(),
            _ => self.seconds,
        }
    }

    /// How far along it is, 0 to 1; exactly 1 once finished.
    pub fn fraction(&self) -> f64 {
        if self.finished() {
            return 1.0;
        }
        let est = self.estimated.unwrap_or(0).max(0) as f64;
        if est > 0.0 {
            // Never 1 before it is done: an estimate below the real count reads 99 %.
            (self.rows as f64 / est).min(0.99)
        } else {
            0.0
        }
    }

    /// Rows per second of this run's load of it.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed();
        if secs > 0.0 && !self.skipped {
            self.rows as f64 / secs
        } else {
            0.0
        }
    }

    /// Seconds left by its rate, while it loads.
    pub fn eta(&self) -> Option<f64> {
        let est = self.estimated.unwrap_or(0) as f64;
        let rate = self.rate();
        (self.state == TableState::FullLoad && rate > 0.0 && est > self.rows as f64)
            .then(|| (est - self.rows as f64) / rate)
    }
}

/// How many tables are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub done: usize,
    pub loading: usize,
    pub queued: usize,
    pub errors: usize,
}

/// A run's figures.
#[derive(Debug, Clone)]
pub struct RunProgress {
    pub tables: Vec<TableProgress>,
    /// What the run is doing now.
    pub step: String,
    /// A validation run (nothing loaded): its fraction is [`RunProgress::validated_fraction`].
    pub validating: bool,
    started: Instant,
    /// The run's own time, once it has ended.
    finished_seconds: Option<f64>,
}

impl RunProgress {
    pub fn new(validating: bool) -> Self {
        RunProgress {
            tables: vec![],
            step: "starting".into(),
            validating,
            started: Instant::now(),
            finished_seconds: None,
        }
    }

    /// A validation run of the same task after this one: the load's tables and rows are kept,
    /// their validation starts afresh.
    pub fn for_validation(&self) -> Self {
        let mut next = RunProgress::new(true);
        next.tables = self.tables.clone();
        for t in &mut next.tables {
            t.validation = None;
            t.validation_state = None;
        }
        next
    }

    fn table(&mut self, name: &str) -> Option<&mut TableProgress> {
        self.tables.iter_mut().find(|t| t.name == name)
    }

    /// Takes one event of the run.
    pub fn apply(&mut self, event: &TaskEvent) {
        match event {
            TaskEvent::Planned(list) => {
                let before = std::mem::take(&mut self.tables);
                self.tables = list
                    .iter()
                    .map(|(name, target, est)| {
                        let mut t = TableProgress::new(name.clone(), target.clone(), *est);
                        // A validation run keeps what the load showed.
                        if self.validating
                            && let Some(b) = before.iter().find(|b| &b.name == name)
                        {
                            t = TableProgress {
                                validation: None,
                                validation_state: None,
                                ..b.clone()
                            };
                        }
                        t
                    })
                    .collect();
            }
            TaskEvent::Step(s) => self.step = s.clone(),
            TaskEvent::TableStarted { table } if !self.validating => {
                if let Some(t) = self.table(table) {
                    t.state = TableState::FullLoad;
                    t.started = Some(Instant::now());
                }
                self.step = "loading".into();
            }
            TaskEvent::Progress { table, rows, bytes } => {
                if let Some(t) = self.table(table) {
                    t.rows = *rows;
                    t.bytes = *bytes;
                }
            }
            TaskEvent::TableSkipped { table, rows } => {
                if let Some(t) = self.table(table) {
                    t.state = TableState::Completed;
                    t.rows = *rows;
                    t.skipped = true;
                }
            }
            TaskEvent::TableDone {
                table,
                rows,
                seconds,
                ..
            } => {
                if let Some(t) = self.table(table) {
                    t.state = TableState::Completed;
                    t.rows = *rows;
                    t.seconds = *seconds;
                    t.skipped = false;
                }
            }
            TaskEvent::TableFailed { table, error } => {
                if let Some(t) = self.table(table) {
                    t.state = TableState::Error;
                    t.error = Some(error.clone());
                }
            }
            TaskEvent::Ranges { table, parts, done } => {
                if let Some(t) = self.table(table) {
                    t.ranges = Some((*done, *parts));
                }
            }
            TaskEvent::Validated {
                table,
                source_rows,
                target_rows,
                state,
                mismatched,
                ..
            } => {
                let validating = self.validating;
                if let Some(t) = self.table(table) {
                    t.validation = Some((*source_rows, *target_rows));
                    t.validation_state = Some((state.clone(), *mismatched));
                    if validating && t.state == TableState::BeforeLoad {
                        // Validated without a load in this run: its rows are the target's.
                        t.state = TableState::Completed;
                        t.rows = (*target_rows).max(0) as u64;
                        t.skipped = true;
                    }
                }
            }
            _ => {}
        }
    }

    /// Takes the run's end: the summary's word on every table.
    pub fn finish(&mut self, summary: Option<&Summary>) {
        self.finished_seconds = Some(match summary {
            Some(s) => s.seconds,
            None => self.started.elapsed().as_secs_f64(),
        });
        let Some(s) = summary else { return };
        let validating = self.validating;
        for r in &s.tables {
            let Some(t) = self.table(&r.source) else {
                continue;
            };
            if !validating {
                t.state = r.state;
                t.skipped = r.skipped;
                t.rows = r.rows;
            } else if r.state == TableState::Error {
                t.state = TableState::Error;
            }
            if r.error.is_some() {
                t.error = r.error.clone();
            }
            if let Some(v) = r.validation {
                t.validation = Some(v);
                t.validation_state = Some((r.validation_state().to_string(), r.mismatched()));
            }
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished_seconds.is_some()
    }

    /// The run's time so far, or in all once it has ended.
    pub fn seconds(&self) -> f64 {
        self.finished_seconds
            .unwrap_or_else(|| self.started.elapsed().as_secs_f64())
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for t in &self.tables {
            match t.state {
                TableState::Completed => c.done += 1,
                TableState::FullLoad => c.loading += 1,
                TableState::BeforeLoad => c.queued += 1,
                TableState::Error | TableState::Cancelled => c.errors += 1,
            }
        }
        c
    }

    /// Rows on the target, this run's and earlier runs'.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Rows this run wrote.
    pub fn moved_rows(&self) -> u64 {
        self.tables.iter().map(TableProgress::moved).sum()
    }

    /// The rows the run is expected to end with (estimates, or the real count where higher or
    /// known).
    pub fn expected_rows(&self) -> u64 {
        self.tables
            .iter()
            .map(|t| {
                if t.finished() {
                    t.rows
                } else {
                    (t.estimated.unwrap_or(0).max(0) as u64).max(t.rows)
                }
            })
            .sum()
    }

    /// How far the load is, 0 to 1, weighted by rows; exactly 1 once every table is finished.
    pub fn fraction(&self) -> f64 {
        if !self.tables.is_empty() && self.tables.iter().all(TableProgress::finished) {
            return 1.0;
        }
        let weight = |t: &TableProgress| {
            (t.estimated.unwrap_or(0).max(0) as f64)
                .max(t.rows as f64)
                .max(1.0)
        };
        let total: f64 = self.tables.iter().map(weight).sum();
        if total <= 0.0 {
            return 0.0;
        }
        let done: f64 = self.tables.iter().map(|t| weight(t) * t.fraction()).sum();
        (done / total).min(0.99)
    }

    /// A validation run's fraction: tables validated (or failed) of all.
    pub fn validated_fraction(&self) -> f64 {
        if self.tables.is_empty() {
            return 0.0;
        }
        let done = self
            .tables
            .iter()
            .filter(|t| t.validation_state.is_some() || t.state == TableState::Error)
            .count();
        done as f64 / self.tables.len() as f64
    }

    /// This run's rows per second on average: rows it wrote over its time.
    pub fn average_rate(&self) -> f64 {
        let secs = self.seconds();
        if secs > 0.0 {
            self.moved_rows() as f64 / secs
        } else {
            0.0
        }
    }
}

impl RunProgress {
    /// The run's figures in one line, as the app's Monitor and the CLI's status line show
    /// them: tables by state, rows this run moved (and those loaded earlier), the rate (the
    /// rate now when given, else this run's average) and the time. A validation run: tables
    /// validated and rows on the target.
    pub fn status_line(&self, rate_now: Option<f64>) -> String {
        let elapsed = self.seconds();
        if self.validating {
            let validated = self
                .tables
                .iter()
                .filter(|t| t.validation_state.is_some())
                .count();
            return format!(
                "{validated} of {} tables validated ({:.0} %) · {} rows on the target · {elapsed:.1} s",
                self.tables.len(),
                (self.validated_fraction() * 100.0).floor(),
                self.total_rows()
            );
        }
        let c = self.counts();
        let moved = self.moved_rows();
        let earlier = self.total_rows() - moved;
        let rate = match rate_now {
            Some(r) if !self.is_finished() => format!("{r:.0} rows/s"),
            _ => format!("{:.0} rows/s on average", self.average_rate()),
        };
        format!(
            "{} loaded, {} loading, {} queued, {} errored ({:.0} %) · {moved} rows moved{} of about {} · {rate} · {elapsed:.1} s",
            c.done,
            c.loading,
            c.queued,
            c.errors,
            (self.fraction() * 100.0).floor(),
            if earlier > 0 {
                format!(" (+{earlier} loaded earlier)")
            } else {
                String::new()
            },
            self.expected_rows(),
        )
    }
}

impl RunProgress {
    /// The table statistics as CSV (what the Monitor's grid shows, one row per table).
    pub fn write_csv(&self, out: impl std::io::Write) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "table",
            "target",
            "state",
            "rows",
            "loaded_by_earlier_run",
            "seconds",
            "rows_per_second",
            "validation",
            "source_rows",
            "target_rows",
            "rows_differing",
            "error",
        ])?;
        for t in &self.tables {
            let (validation, differing) = t
                .validation_state
                .clone()
                .map_or((String::new(), String::new()), |(s, n)| (s, n.to_string()));
            let (src, tgt) = t
                .validation
                .map_or((String::new(), String::new()), |(s, g)| {
                    (s.to_string(), g.to_string())
                });
            w.write_record([
                t.name.clone(),
                t.target.clone(),
                t.state.label().to_string(),
                t.rows.to_string(),
                t.skipped.to_string(),
                format!("{:.3}", t.elapsed()),
                format!("{:.0}", t.rate()),
                validation,
                src,
                tgt,
                differing,
                t.error.clone().unwrap_or_default(),
            ])?;
        }
        w.flush()?;
        Ok(())
    }
}

impl Summary {
    /// Rows this run wrote (tables finished by an earlier run not counted).
    pub fn moved_rows(&self) -> u64 {
        self.tables
            .iter()
            .filter(|t| !t.skipped)
            .map(|t| t.rows)
            .sum()
    }

    /// This run's rows per second on average.
    pub fn average_rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.moved_rows() as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// A table's rows and bytes copied so far, summed over its parts (key ranges or slices) as
/// they load.
#[derive(Default)]
pub(super) struct Totals {
    rows: std::sync::atomic::AtomicU64,
    bytes: std::sync::atomic::AtomicU64,
}

/// What one part has added to its table's [`Totals`] so far.
#[derive(Default)]
pub(super) struct Share(std::sync::Mutex<(u64, u64)>);

impl Totals {
    pub(super) fn from_rows(rows: u64) -> Totals {
        Totals {
            rows: rows.into(),
            bytes: 0.into(),
        }
    }

    /// A part has copied `rows` and `bytes` in all so far: the table's new totals.
    pub(super) fn add(&self, share: &Share, rows: u64, bytes: u64) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let (dr, db) = match share.0.lock() {
            Ok(mut l) => {
                let d = (rows.saturating_sub(l.0), bytes.saturating_sub(l.1));
                *l = (rows, bytes);
                d
            }
            Err(_) => (0, 0),
        };
        (
            self.rows.fetch_add(dr, Relaxed) + dr,
            self.bytes.fetch_add(db, Relaxed) + db,
        )
    }

    /// A part loads again from its start: what it had added is taken back.
    pub(super) fn take_back(&self, share: &Share) {
        use std::sync::atomic::Ordering::Relaxed;
        if let Ok(mut l) = share.0.lock() {
            self.rows.fetch_sub(l.0, Relaxed);
            self.bytes.fetch_sub(l.1, Relaxed);
            *l = (0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(p: &mut RunProgress) {
        p.apply(&TaskEvent::Planned(vec![
            ("s.a".into(), "a".into(), Some(1_000)),
            ("s.b".into(), "b".into(), Some(50)),
        ]));
    }

    #[test]
    fn a_resume_that_moved_nothing_has_no_rate() {
        let mut p = RunProgress::new(false);
        planned(&mut p);
        for t in ["s.a", "s.b"] {
            p.apply(&TaskEvent::TableSkipped {
                table: t.into(),
                rows: 500,
            });
        }
        assert_eq!(p.total_rows(), 1_000);
        assert_eq!(p.moved_rows(), 0);
        assert_eq!(p.average_rate(), 0.0);
        assert_eq!(p.fraction(), 1.0);
    }

    #[test]
    fn overall_is_one_exactly_when_every_table_is_done() {
        let mut p = RunProgress::new(false);
        planned(&mut p);
        // The estimate was high: the table has fewer rows than it said.
        p.apply(&TaskEvent::TableStarted {
            table: "s.a".into(),
        });
        p.apply(&TaskEvent::Progress {
            table: "s.a".into(),
            rows: 990,
            bytes: 0,
        });
        assert!(p.fraction() < 1.0);
        p.apply(&TaskEvent::TableDone {
            table: "s.a".into(),
            rows: 990,
            seconds: 1.0,
            zero_dates: 0,
            lobs_truncated: 0,
            nuls_removed: 0,
        });
        assert!(p.fraction() < 1.0, "one table is still queued");
        p.apply(&TaskEvent::TableStarted {
            table: "s.b".into(),
        });
        // The estimate was low: more rows than it said, still not done.
        p.apply(&TaskEvent::Progress {
            table: "s.b".into(),
            rows: 80,
            bytes: 0,
        });
        assert!(p.fraction() < 1.0);
        p.apply(&TaskEvent::TableDone {
            table: "s.b".into(),
            rows: 80,
            seconds: 1.0,
            zero_dates: 0,
            lobs_truncated: 0,
            nuls_removed: 0,
        });
        assert_eq!(p.fraction(), 1.0);
        assert_eq!(p.moved_rows(), 1_070);
        assert_eq!(p.expected_rows(), 1_070);
    }

    #[test]
    fn validation_keeps_the_load_and_has_its_own_fraction() {
        let mut p = RunProgress::new(false);
        planned(&mut p);
        for t in ["s.a", "s.b"] {
            p.apply(&TaskEvent::TableDone {
                table: t.into(),
                rows: 40,
                seconds: 0.5,
                zero_dates: 0,
                lobs_truncated: 0,
                nuls_removed: 0,
            });
        }
        let mut v = p.for_validation();
        planned(&mut v);
        assert_eq!(v.total_rows(), 80, "the load's rows are kept");
        assert_eq!(v.fraction(), 1.0);
        assert_eq!(v.validated_fraction(), 0.0);
        v.apply(&TaskEvent::Validated {
            table: "s.a".into(),
            source_rows: 40,
            target_rows: 40,
            state: "Validated".into(),
            mismatched: 0,
            failures: vec![],
        });
        assert_eq!(v.validated_fraction(), 0.5);
        assert_eq!(v.total_rows(), 80);
    }
}
