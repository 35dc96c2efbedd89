//! The ledger: every statement of a script and the one thing that became of it (converted into
//! named objects, converted with action items, data, or left out on purpose with the reason).
//! A statement nothing accounts for is recorded as such, so a report's totals always reconcile
//! (statements read = the sum of the outcomes) and a gap shows instead of hiding.

use std::collections::HashMap;

use super::Source;
use crate::assessment::{Category, LedgerEntry, LedgerOutcome, ObjectReport, Report};
use crate::ddl::parse::Outcome;
use crate::ddl::{ObjectKind as K, StatementKind as S};

/// Fills `report.ledger` from the statements of `source` (nothing for a live source).
pub fn build(source: &Source, report: &mut Report) {
    let by_line = index_by_line(&report.objects);
    let by_name = index_by_name(&report.objects);
    let mut ledger = Vec::with_capacity(source.records.len());
    for r in &source.records {
        let c = &r.classified;
        let statement = describe(&c.kind, c.name.as_ref());
        let named = |kind: Option<K>| -> Vec<usize> {
            let Some(n) = &c.name else {
                return vec![];
            };
            by_name
                .get(&n.name.to_lowercase())
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|&i| kind.is_none_or(|k| report.objects[i].kind == k))
                        .collect()
                })
                .unwrap_or_default()
        };
        let outcome = match &r.outcome {
            Outcome::Skipped { reason } => LedgerOutcome::Ignored {
                reason: reason.clone(),
            },
            Outcome::Data => {
                let table = c.name.as_ref().map(|n| n.to_string()).unwrap_or_default();
                let converted = report.data.iter().any(|d| d.line == r.line);
                LedgerOutcome::Data { table, converted }
            }
            Outcome::Unparsed { .. } => {
                let mut objects = by_line.get(&r.line).cloned().unwrap_or_default();
                if let (true, S::Create(k)) = (objects.is_empty(), &c.kind) {
                    // A second definition of a name: reported under the first's line.
                    objects = named(Some(*k));
                }
                of_objects(report, &objects)
            }
            Outcome::Parsed => {
                let mut objects = match &c.kind {
                    S::Create(k) => {
                        let mut v = named(Some(*k));
                        if v.is_empty() {
                            // An alias type reported as a domain, a type as a table's columns.
                            v = named(None);
                        }
                        // Objects read from this statement: a table's keys and indexes.
                        v.extend(by_line.get(&r.line).into_iter().flatten().copied());
                        v
                    }
                    // Folded into the table whose comment (or column's) it is.
                    S::Comment => named(Some(K::Table)),
                    // Folded into the object they change.
                    S::Alter(K::Table) => {
                        let mut v = named(Some(K::Table));
                        if v.is_empty() {
                            v = named(None);
                        }
                        v
                    }
                    S::Alter(k) => named(Some(*k)),
                    _ => by_line.get(&r.line).cloned().unwrap_or_default(),
                };
                if objects.is_empty() {
                    objects = by_line.get(&r.line).cloned().unwrap_or_default();
                }
                match (&c.kind, objects.is_empty()) {
                    (S::Create(K::Schema | K::Database), true) => LedgerOutcome::Ignored {
                        reason: format!(
                            "its objects go into the {} the target connection opens",
                            if report.target_dialect == crate::ddl::Dialect::Sqlite {
                                "file"
                            } else {
                                "database"
                            }
                        ),
                    },
                    _ => of_objects(report, &objects),
                }
            }
        };
        ledger.push(LedgerEntry {
            line: r.line,
            statement,
            outcome,
        });
    }
    report.ledger = ledger;
}

/// The outcome of a statement that became `objects` (indices into the report).
fn of_objects(report: &Report, objects: &[usize]) -> LedgerOutcome {
    let mut idx: Vec<usize> = objects.to_vec();
    idx.sort_unstable();
    idx.dedup();
    if idx.is_empty() {
        return LedgerOutcome::Unaccounted;
    }
    let labels: Vec<String> = idx
        .iter()
        .map(|&i| super::apply::object_label(&report.objects[i]))
        .collect();
    let mut codes: Vec<String> = idx
        .iter()
        .flat_map(|&i| report.objects[i].action_items.iter())
        .filter(|a| a.category != Category::Automatic)
        .map(|a| a.code.clone())
        .collect();
    codes.sort();
    codes.dedup();
    if codes.is_empty() {
        LedgerOutcome::Converted { objects: labels }
    } else {
        LedgerOutcome::ActionItem {
            objects: labels,
            codes,
        }
    }
}

fn index_by_line(objects: &[ObjectReport]) -> HashMap<usize, Vec<usize>> {
    let mut m: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        if let Some(l) = o.source_line {
            m.entry(l).or_default().push(i);
        }
    }
    m
}

fn index_by_name(objects: &[ObjectReport]) -> HashMap<String, Vec<usize>> {
    let mut m: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        m.entry(o.name.to_lowercase()).or_default().push(i);
    }
    m
}

/// "CREATE TABLE actor", "ALTER TABLE film", "INSERT", "SET".
fn describe(kind: &S, name: Option<&crate::ddl::QualifiedName>) -> String {
    let what = match kind {
        S::Create(k) => format!("CREATE {}", k.label().to_uppercase()),
        S::Alter(k) => format!("ALTER {}", k.label().to_uppercase()),
        S::Drop(k) => format!("DROP {}", k.label().to_uppercase()),
        S::Other(w) => w.to_uppercase(),
        other => format!("{other:?}").to_uppercase(),
    };
    match name {
        Some(n) => format!("{what} {n}"),
        None => what,
    }
}
