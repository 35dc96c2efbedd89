//! Sequences behind triggers folded into identity columns. Oracle (before 12c) numbers rows
//! with a sequence and a BEFORE INSERT trigger:
//!
//! ```sql
//! CREATE OR REPLACE TRIGGER actor_before_trigger BEFORE INSERT ON actor FOR EACH ROW
//! BEGIN
//!   IF (:NEW.actor_id IS NULL) THEN
//!     SELECT actor_sequence.nextval INTO :NEW.actor_id FROM DUAL;
//!   END IF;
//!   :NEW.last_update := current_date;
//! END;
//! ```
//!
//! Every target has identity columns (or AUTO_INCREMENT, or SQLite's INTEGER PRIMARY KEY), so
//! the column becomes one (starting and stepping as the sequence did), the numbering statement
//! leaves the trigger (the trigger goes away when nothing else is left), and the sequence is not
//! created. Each folded object is still reported, as converted automatically, with what became
//! of it.

use std::collections::BTreeSet;

use super::Source;
use crate::model::{Identity, TriggerEvent, TriggerTiming};

/// What folding did, for the report.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    /// (schema, sequence) → "table.column" it numbers.
    pub sequences: Vec<(String, String, String)>,
    /// (schema, trigger, table, column, whether the trigger is gone).
    pub triggers: Vec<(String, String, String, String, bool)>,
}

impl Folded {
    pub fn sequence(&self, schema: &str, name: &str) -> Option<&str> {
        self.sequences
            .iter()
            .find(|(s, n, _)| s == schema && n.eq_ignore_ascii_case(name))
            .map(|x| x.2.as_str())
    }
}

/// Words of `s`, upper case, with `:=` and parentheses separated.
fn norm(s: &str) -> String {
    s.replace(":=", " := ")
        .replace('(', " ( ")
        .replace(')', " ) ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

/// (sequence, column) when `stmt` (normalised) assigns `seq.NEXTVAL` to `:NEW.col`.
fn numbering(stmt: &str) -> Option<(String, String)> {
    let w: Vec<&str> = stmt.split(' ').collect();
    let strip_seq = |t: &str| t.strip_suffix(".NEXTVAL").map(|s| s.to_string());
    let strip_new = |t: &str| t.strip_prefix(":NEW.").map(|s| s.to_string());
    match w.as_slice() {
        ["SELECT", s, "INTO", c, "FROM", "DUAL"] => Some((strip_seq(s)?, strip_new(c)?)),
        [c, ":=", s] => Some((strip_seq(s)?, strip_new(c)?)),
        _ => None,
    }
}

/// Folds the sequence-and-trigger numbering of `src` into identity columns.
pub fn fold(src: &Source) -> (Source, Folded) {
    let mut out = src.clone();
    let mut folded = Folded::default();
    for s in &mut out.catalog.schemas {
        let sequences: BTreeSet<String> =
            s.sequences.iter().map(|q| q.name.to_uppercase()).collect();
        let mut used = vec![];
        for tr in &mut s.triggers {
            if tr.timing != TriggerTiming::Before
                || tr.events != [TriggerEvent::Insert]
                || !tr.for_each_row
            {
                continue;
            }
            let text = tr.definition.clone().unwrap_or_else(|| tr.body.clone());
            let clean = super::procedural::strip_comments(&text);
            let upper = clean.to_ascii_uppercase();
            let Some(begin) = crate::sqltext::find_keyword(&upper, "BEGIN", 0) else {
                continue;
            };
            let Some(end) = upper.rfind("END") else {
                continue;
            };
            if end <= begin {
                continue;
            }
            let pieces = super::procedural::statements(&clean[begin + 5..end]);
            let mut found = None;
            let mut keep = vec![];
            let mut i = 0;
            while i < pieces.len() {
                let n = norm(&pieces[i]);
                if found.is_none() {
                    // IF (:NEW.c IS NULL) THEN <numbering>  /  END IF
                    if let Some(rest) = n.strip_prefix("IF ") {
                        let inner = rest.find(" THEN ").map(|p| (&rest[..p], &rest[p + 6..]));
                        if let Some((cond, body)) = inner
                            && let Some((seq, col)) = numbering(body)
                            && cond.trim_matches(|c| c == '(' || c == ')' || c == ' ')
                                == format!(":NEW.{col} IS NULL")
                            && pieces.get(i + 1).is_some_and(|p| norm(p) == "END IF")
                        {
                            found = Some((seq, col));
                            i += 2;
                            continue;
                        }
                    }
                    if let Some(x) = numbering(&n) {
                        found = Some(x);
                        i += 1;
                        continue;
                    }
                }
                keep.push(pieces[i].trim().to_string());
                i += 1;
            }
            let Some((seq, col)) = found else { continue };
            let seq_name = crate::sqltext::unquote_ident(seq.rsplit('.').next().unwrap_or(&seq));
            if !sequences.contains(&seq_name.to_uppercase()) {
                continue;
            }
            used.push((
                seq_name.to_uppercase(),
                tr.table.clone(),
                crate::sqltext::unquote_ident(&col),
            ));
            let gone = keep.is_empty();
            folded.triggers.push((
                s.name.clone(),
                tr.name.clone(),
                tr.table.clone(),
                col.clone(),
                gone,
            ));
            if !gone {
                let head = text[..begin].trim_end();
                let body = format!("{head}\nBEGIN\n  {};\nEND;", keep.join(";\n  "));
                tr.definition = Some(body.clone());
                tr.body = body;
            }
        }
        // The columns become identity columns numbered as the sequence did.
        for (seq, table, col) in &used {
            let Some(q) = s
                .sequences
                .iter()
                .find(|q| q.name.eq_ignore_ascii_case(seq))
                .cloned()
            else {
                continue;
            };
            if let Some(c) = s
                .tables
                .iter_mut()
                .find(|t| t.name.eq_ignore_ascii_case(table))
                .and_then(|t| {
                    t.columns
                        .iter_mut()
                        .find(|c| c.name.eq_ignore_ascii_case(col))
                })
            {
                c.identity = Some(Identity::Identity {
                    always: false,
                    start: q.start,
                    increment: q.increment,
                });
                folded.sequences.push((
                    s.name.clone(),
                    q.name.clone(),
                    format!("{table}.{}", c.name),
                ));
            }
        }
        s.triggers.retain(|tr| {
            !folded
                .triggers
                .iter()
                .any(|(sc, n, _, _, gone)| *gone && *sc == s.name && *n == tr.name)
        });
        let taken: Vec<String> = folded
            .sequences
            .iter()
            .filter(|x| x.0 == s.name)
            .map(|x| x.1.clone())
            .collect();
        s.sequences.retain(|q| !taken.contains(&q.name));
    }
    (out, folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddl::{Dialect, parse_script};

    #[test]
    fn numbering_triggers_fold_and_the_rest_stays() {
        let script = "CREATE TABLE t (id NUMBER(10) PRIMARY KEY, name VARCHAR2(20), at DATE);\n\
            CREATE SEQUENCE t_seq START WITH 100 INCREMENT BY 2;\n\
            CREATE TABLE u (id NUMBER(10) PRIMARY KEY);\n\
            CREATE SEQUENCE u_seq;\n\
            CREATE OR REPLACE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  IF :NEW.id IS NULL THEN\n    SELECT t_seq.NEXTVAL INTO :NEW.id FROM dual;\n  END IF;\n  :NEW.at := SYSDATE;\nEND;\n/\n\
            CREATE OR REPLACE TRIGGER u_bi BEFORE INSERT ON u FOR EACH ROW\nBEGIN\n  :new.id := u_seq.nextval;\nEND;\n/\n";
        let src = Source::from_script(parse_script(script, Dialect::Oracle, "t.sql"));
        let (out, folded) = fold(&src);
        assert_eq!(folded.sequences.len(), 2, "{folded:?}");
        let s = &out.catalog.schemas[0];
        assert!(s.sequences.is_empty());
        let t = s
            .tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case("t"))
            .unwrap();
        assert_eq!(
            t.columns[0].identity,
            Some(Identity::Identity {
                always: false,
                start: Some(100),
                increment: Some(2)
            })
        );
        // u_bi only numbered rows: gone; t_bi keeps setting `at`.
        assert_eq!(s.triggers.len(), 1);
        let body = s.triggers[0].definition.clone().unwrap();
        assert!(body.contains(":NEW.at := SYSDATE"), "{body}");
        assert!(!body.to_uppercase().contains("NEXTVAL"), "{body}");
    }
}
