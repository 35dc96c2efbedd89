//! A trigger's header read from its words: timing, events (with UPDATE OF columns), level, in each
//! dialect's order.

use super::*;

/// Reads timing, events and level from the words that follow `TRIGGER name`:
/// `{BEFORE | AFTER | INSTEAD OF} event [OR event ...] ON table [FOR EACH ROW]` (MySQL,
/// PostgreSQL, SQLite, Oracle, where `UPDATE OF a, b` names columns), and T-SQL's
/// `ON table {FOR | AFTER | INSTEAD OF} event [, event ...] AS`. MySQL and SQLite triggers are
/// row-level whatever is written; T-SQL's are statement-level; others are row-level only with
/// FOR EACH ROW. SQLite's timing defaults to BEFORE.
pub(crate) fn trigger_header(text: &str, d: Dialect) -> TriggerHeader {
    let t = crate::ddl::classify::tokens(text, 200);
    let w = |i: usize| t.get(i).map(|x| x.upper.as_str()).unwrap_or("");
    let mut i = t
        .iter()
        .position(|x| !x.punct && x.upper == "TRIGGER")
        .map(|p| p + 1)
        .unwrap_or(t.len());
    if w(i) == "IF" && w(i + 1) == "NOT" && w(i + 2) == "EXISTS" {
        i += 3;
    }
    let skip_name = |mut i: usize| {
        i += 1;
        while w(i) == "." {
            i += 2;
        }
        i
    };
    i = skip_name(i);
    if w(i) == "ON" {
        i = skip_name(i + 1);
    }
    let timing = match w(i) {
        "BEFORE" => TriggerTiming::Before,
        "AFTER" | "FOR" => TriggerTiming::After,
        "INSTEAD" if w(i + 1) == "OF" => TriggerTiming::InsteadOf,
        _ if d == Dialect::Sqlite => TriggerTiming::Before,
        _ => TriggerTiming::After,
    };
    i += match timing {
        _ if !matches!(w(i), "BEFORE" | "AFTER" | "FOR" | "INSTEAD") => 0,
        TriggerTiming::InsteadOf => 2,
        _ => 1,
    };
    let mut events = vec![];
    let mut in_columns = false;
    while i < t.len() {
        match w(i) {
            "INSERT" => events.push(TriggerEvent::Insert),
            "UPDATE" => events.push(TriggerEvent::Update),
            "DELETE" => events.push(TriggerEvent::Delete),
            "TRUNCATE" => events.push(TriggerEvent::Truncate),
            "OF" => in_columns = true,
            "OR" => in_columns = false,
            "ON" | "AS" | "FOR" | "WHEN" | "BEGIN" | "REFERENCING" => break,
            "," => {}
            _ if in_columns => {}
            _ => break,
        }
        i += 1;
    }
    events.dedup();
    let row = t
        .windows(3)
        .take(i + 40)
        .skip(i)
        .any(|x| x[0].upper == "FOR" && x[1].upper == "EACH" && x[2].upper == "ROW");
    let for_each_row = match d {
        Dialect::MySql | Dialect::Sqlite => true,
        Dialect::MsSql => false,
        _ => row,
    };
    TriggerHeader {
        timing,
        events,
        for_each_row,
    }
}
