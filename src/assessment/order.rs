//! The order in which converted statements run, everywhere they run (apply-schema, the
//! converted script, the app, a task's pre- and post-data, verification): one object graph.
//!
//! Each statement gets a stage from what it creates (schemas and extensions, types, sequences,
//! tables, functions, keys and indexes, foreign keys, views, procedures, triggers, the rest),
//! so a foreign key always follows every primary and unique key it may reference, an index
//! the function its expression calls, and a trigger its function. Within a stage, a statement
//! that names an object another statement of that stage creates (a view reading a view, a
//! domain over an enum) comes after it; functions, views and procedures so order among
//! themselves across their stages (a SQL function reading a view). The source order breaks ties; a cycle is broken at its
//! earliest statement. Phases are never mixed: pre-data all runs before post-data.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::assessment::{Phase, Report};
use crate::ddl::classify::{classify, tokens};
use crate::ddl::{ObjectKind as K, StatementKind as S};

/// Where a statement of a report is: (object index, statement index in that object).
pub type At = (usize, usize);

/// The stage of a statement (lower runs first) and the name it creates, lower case; `None`
/// for statements whose stage comes from their neighbours (drops, session settings).
fn stage(sql: &str) -> Option<(u8, Option<String>)> {
    let c = classify(sql);
    let name = c.name.as_ref().map(|n| n.name.to_lowercase());
    let st = match &c.kind {
        S::Create(K::Schema | K::Database | K::Extension) => 0,
        S::Create(K::Type | K::Domain) => 1,
        S::Create(K::Sequence) => 2,
        S::Create(K::Table) => 3,
        // Before the indexes and checks whose expressions call them.
        S::Create(K::Function) => 4,
        S::Create(K::Index) => 5,
        S::Alter(K::Table) if has_words(sql, &["FOREIGN", "KEY"]) => 7,
        S::Alter(K::Table) => 5,
        S::Alter(K::Sequence) => 6,
        S::Create(K::View | K::MaterializedView) => 8,
        S::Create(K::Procedure) => 9,
        S::Create(K::Trigger) => 10,
        S::Comment => 11,
        S::Drop(_) | S::Session => return None,
        _ => 12,
    };
    let creates = matches!(c.kind, S::Create(_)).then_some(name).flatten();
    Some((st, creates))
}

/// An index or a key constraint: ordered by its own stage, never by its object's.
fn is_key(sql: &str) -> bool {
    let c = classify(sql);
    matches!(c.kind, S::Create(K::Index))
        || (matches!(c.kind, S::Alter(K::Table))
            && (has_words(sql, &["ADD", "CONSTRAINT"])
                || has_words(sql, &["ADD", "PRIMARY"])
                || has_words(sql, &["ADD", "UNIQUE"])
                || has_words(sql, &["FOREIGN", "KEY"])))
}

/// Whether `sql` holds the words `w` one after the other (outside strings and comments).
fn has_words(sql: &str, w: &[&str]) -> bool {
    let t = tokens(sql, usize::MAX);
    t.windows(w.len())
        .any(|win| win.iter().zip(w).all(|(a, b)| !a.punct && a.upper == *b))
}

/// The statements of `phase` in the order they must run.
pub fn ordered(report: &Report, phase: Phase) -> Vec<At> {
    let mut at: Vec<At> = vec![];
    let mut sql: Vec<&str> = vec![];
    for (oi, o) in report.objects.iter().enumerate() {
        for (si, t) in o.target.iter().enumerate() {
            if t.phase == phase {
                at.push((oi, si));
                sql.push(&t.sql);
            }
        }
    }
    let n = at.len();
    let mut stages: Vec<Option<(u8, Option<String>)>> = sql.iter().map(|s| stage(s)).collect();
    let mut edges: Vec<Vec<usize>> = vec![vec![]; n];
    let mut pending = vec![0usize; n];
    // A statement without a stage of its own (a DROP before its CREATE) goes with the next
    // statement of its object, just before it.
    for i in (0..n).rev() {
        if stages[i].is_none() {
            let next = (i + 1..n)
                .take_while(|&j| at[j].0 == at[i].0)
                .find(|&j| stages[j].is_some());
            let st = next
                .and_then(|j| stages[j].as_ref().map(|s| s.0))
                .unwrap_or(12);
            stages[i] = Some((st, None));
            if let Some(j) = next {
                edges[i].push(j);
                pending[j] += 1;
            }
        }
    }
    // Within one object, a statement that is not a key or an index never runs before the
    // statements written before it (ALTER TABLE ... DISABLE TRIGGER after its CREATE TRIGGER).
    for i in 1..n {
        if at[i - 1].0 != at[i].0 || is_key(sql[i]) {
            continue;
        }
        let before = stages[i - 1].as_ref().map(|s| s.0).unwrap_or(0);
        if let Some(s) = stages[i].as_mut()
            && s.0 < before
        {
            s.0 = before;
        }
    }
    let stage_of = |i: usize| stages[i].as_ref().map(|s| s.0).unwrap_or(12);
    // Names created per stage, and the statements of that stage that name them.
    let mut creators: HashMap<(u8, &str), Vec<usize>> = HashMap::new();
    for (i, s) in stages.iter().enumerate() {
        if let Some((st, Some(name))) = s {
            creators.entry((*st, name.as_str())).or_default().push(i);
        }
    }
    // Code (functions, views, procedures) may read each other whatever their stages: a SQL
    // function reading a view comes after it.
    let code = |st: u8| matches!(st, 4 | 8 | 9);
    for i in 0..n {
        let st = stage_of(i);
        if ![1u8, 3, 4, 8, 9].contains(&st) {
            continue;
        }
        let own = stages[i].as_ref().and_then(|s| s.1.as_deref());
        let mut seen: Vec<usize> = vec![];
        for tok in tokens(sql[i], usize::MAX).iter().filter(|t| !t.punct) {
            let word = tok.raw.to_lowercase();
            if Some(word.as_str()) == own {
                continue;
            }
            let stages: &[u8] = if code(st) { &[4, 8, 9] } else { &[st] };
            let found = stages
                .iter()
                .flat_map(|&x| creators.get(&(x, word.as_str())).into_iter().flatten());
            for &j in found {
                if j != i && !seen.contains(&j) {
                    seen.push(j);
                    edges[j].push(i);
                    pending[i] += 1;
                }
            }
        }
    }
    // Kahn's algorithm, lowest (stage, source position) first; a cycle is broken by taking
    // the lowest statement left.
    let mut ready: BinaryHeap<Reverse<(u8, usize)>> = (0..n)
        .filter(|&i| pending[i] == 0)
        .map(|i| Reverse((stage_of(i), i)))
        .collect();
    let mut done = vec![false; n];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let next = match ready.pop() {
            Some(Reverse((_, i))) if !done[i] => i,
            Some(_) => continue,
            None => match (0..n)
                .filter(|&i| !done[i])
                .min_by_key(|&i| (stage_of(i), i))
            {
                Some(i) => i,
                None => break,
            },
        };
        done[next] = true;
        out.push(at[next]);
        for &j in &edges[next] {
            pending[j] = pending[j].saturating_sub(1);
            if pending[j] == 0 && !done[j] {
                ready.push(Reverse((stage_of(j), j)));
            }
        }
    }
    out
}

/// Both phases, pre-data first (or only `phase`).
pub fn ordered_phases(report: &Report, phase: Option<Phase>) -> Vec<(Phase, At)> {
    [Phase::PreData, Phase::PostData]
        .into_iter()
        .filter(|p| phase.is_none_or(|x| x == *p))
        .flat_map(|p| ordered(report, p).into_iter().map(move |a| (p, a)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::{Category, ObjectReport, TargetStatement};
    use crate::ddl::Dialect;

    fn object(kind: K, name: &str, sql: &[&str]) -> ObjectReport {
        ObjectReport {
            kind,
            schema: String::new(),
            name: name.into(),
            table: None,
            category: Category::Automatic,
            source_line: None,
            source_sql: None,
            target: sql
                .iter()
                .map(|s| TargetStatement {
                    phase: Phase::PostData,
                    sql: s.to_string(),
                })
                .collect(),
            action_items: vec![],
            lines_of_code: 0,
            edited: false,
            verified: None,
        }
    }

    fn report(objects: Vec<ObjectReport>) -> Report {
        Report {
            report_version: Report::VERSION,
            source: String::new(),
            source_dialect: Dialect::MySql,
            target_dialect: Dialect::Postgres,
            statements: None,
            objects,
            summary: vec![],
            total_effort_minutes: 0.0,
            data: vec![],
            verification: None,
            ledger: vec![],
        }
    }

    fn order(r: &Report) -> Vec<String> {
        ordered(r, Phase::PostData)
            .into_iter()
            .map(|(o, s)| r.objects[o].target[s].sql.clone())
            .collect()
    }

    #[test]
    fn foreign_keys_follow_every_unique_key_and_views_their_views() {
        let r = report(vec![
            object(
                K::Table,
                "a",
                &[
                    "ALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (x) REFERENCES b (code)",
                    "CREATE VIEW v2 AS SELECT * FROM v1",
                    "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()",
                ],
            ),
            object(
                K::Table,
                "b",
                &[
                    "DROP TRIGGER IF EXISTS t2 ON b",
                    "CREATE TRIGGER t2 AFTER UPDATE ON b FOR EACH ROW EXECUTE FUNCTION f()",
                    "ALTER TABLE b DISABLE TRIGGER t2",
                    "ALTER TABLE b ADD CONSTRAINT b_code UNIQUE (code)",
                    "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
                    "CREATE VIEW v1 AS SELECT 1 AS one",
                ],
            ),
        ]);
        let got = order(&r);
        let pos = |p: &str| got.iter().position(|s| s.starts_with(p)).unwrap_or(99);
        assert!(
            pos("ALTER TABLE b ADD CONSTRAINT b_code") < pos("ALTER TABLE a ADD CONSTRAINT a_b")
        );
        assert!(pos("CREATE VIEW v1") < pos("CREATE VIEW v2"), "{got:#?}");
        assert!(pos("CREATE FUNCTION f") < pos("CREATE TRIGGER t "));
        assert_eq!(
            pos("DROP TRIGGER") + 1,
            pos("CREATE TRIGGER t2"),
            "{got:#?}"
        );
        assert!(
            pos("CREATE TRIGGER t2") < pos("ALTER TABLE b DISABLE"),
            "{got:#?}"
        );
        assert_eq!(got.len(), 9);
    }

    #[test]
    fn a_cycle_still_yields_every_statement_once() {
        let r = report(vec![
            object(K::View, "v1", &["CREATE VIEW v1 AS SELECT * FROM v2"]),
            object(K::View, "v2", &["CREATE VIEW v2 AS SELECT * FROM v1"]),
        ]);
        assert_eq!(order(&r).len(), 2);
    }
}
