//! SQLite triggers that stamp the row they fired for:
//! `AFTER INSERT|UPDATE ON t BEGIN UPDATE t SET last_update = datetime('now') WHERE rowid =
//! NEW.rowid; END`. Neither PostgreSQL nor MySQL has a rowid; MySQL refuses a trigger that
//! updates its own table, and on PostgreSQL the UPDATE would fire the same AFTER UPDATE trigger
//! again without end (SQLite does not fire a trigger from within itself). What such a trigger
//! does is what a BEFORE trigger assigning `NEW.column` does, on every engine: this module
//! finds the assignments, and says `None` for anything else (the caller converts or refuses
//! the trigger as before).

use std::ops::ControlFlow;

use sqlparser::ast::{
    AssignmentTarget, BinaryOperator, Expr, Ident, Statement, TableFactor, VisitMut, VisitorMut,
};

use crate::ddl::Dialect;
use crate::model::{Schema, Table, Trigger, TriggerEvent, TriggerTiming};

/// `NEW.column = expression` pairs (the expression in SQLite's dialect, the row's own columns
/// written as `NEW.column`).
pub type Assignments = Vec<(String, String)>;

/// A SQLite trigger's body and WHEN condition, from its CREATE statement when there is one.
pub fn sqlite_body(tr: &Trigger) -> (String, Option<String>) {
    match tr.definition.as_deref() {
        Some(d) if d.trim_start().to_ascii_uppercase().starts_with("CREATE") => {
            let t = crate::engines::sqlite::discover::parse_trigger(&tr.name, &tr.table, d);
            (t.body, t.condition)
        }
        _ => (tr.body.clone(), tr.condition.clone()),
    }
}

/// The assignments of `tr` when it only stamps its own row, and when doing them BEFORE the
/// row is written changes nothing else (see [`assignments`]): an INSERT trigger's UPDATE would
/// also fire the table's UPDATE triggers in SQLite, so those must be stamps of the same kind.
pub fn self_update(s: &Schema, tr: &Trigger) -> Option<Assignments> {
    let table = s
        .tables
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(&tr.table))?;
    let mine = assignments(table, tr)?;
    if tr.events.contains(&TriggerEvent::Insert) {
        for other in s.triggers.iter().filter(|o| {
            o.name != tr.name
                && o.table.eq_ignore_ascii_case(&tr.table)
                && o.events.contains(&TriggerEvent::Update)
        }) {
            if sqlite_body(other).1.is_some() || assignments(table, other)? != mine {
                return None;
            }
        }
    }
    Some(mine)
}

/// The assignments of a row-level AFTER INSERT/UPDATE trigger whose body is one UPDATE of its
/// own table, of the row it fired for (`WHERE rowid = NEW.rowid`, or by its one-column key),
/// with values that read only that row.
fn assignments(table: &Table, tr: &Trigger) -> Option<Assignments> {
    if tr.timing != TriggerTiming::After
        || !tr.for_each_row
        || tr.events.is_empty()
        || tr
            .events
            .iter()
            .any(|e| !matches!(e, TriggerEvent::Insert | TriggerEvent::Update))
    {
        return None;
    }
    let (body, _) = sqlite_body(tr);
    let pieces = crate::conversion::procedural::statements(&body);
    let [one] = pieces.as_slice() else {
        return None;
    };
    let Ok(Statement::Update(u)) = crate::ddl::parse::parse_one(one, Dialect::Sqlite) else {
        return None;
    };
    let TableFactor::Table { name, alias, .. } = &u.table.relation else {
        return None;
    };
    let own = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .is_some_and(|i| i.value.eq_ignore_ascii_case(&table.name));
    if !own
        || alias.is_some()
        || !u.table.joins.is_empty()
        || u.from.is_some()
        || u.returning.is_some()
        || u.limit.is_some()
        || !u.order_by.is_empty()
    {
        return None;
    }
    if !this_row(table, u.selection.as_ref()?) {
        return None;
    }
    let mut out = vec![];
    for a in &u.assignments {
        let AssignmentTarget::ColumnName(c) = &a.target else {
            return None;
        };
        let [col] = c.0.as_slice() else {
            return None;
        };
        let col = col.as_ident()?.value.clone();
        if !table
            .columns
            .iter()
            .any(|x| x.name.eq_ignore_ascii_case(&col))
        {
            return None;
        }
        let mut value = a.value.clone();
        let mut v = OwnRow { table, ok: true };
        if value.visit(&mut v).is_break() || !v.ok {
            return None;
        }
        out.push((col, value.to_string()));
    }
    (!out.is_empty()).then_some(out)
}

/// `rowid = NEW.rowid` (or `_rowid_`, `oid`, the one-column primary key; either way round).
fn this_row(table: &Table, e: &Expr) -> bool {
    let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = e
    else {
        return false;
    };
    let key: Vec<String> = table
        .primary_key
        .as_ref()
        .map(|p| p.columns.clone())
        .unwrap_or_default();
    let integer_key = key.len() == 1
        && table.columns.iter().any(|c| {
            c.name.eq_ignore_ascii_case(&key[0]) && c.data_type.name.eq_ignore_ascii_case("integer")
        });
    let rowid = |n: &str| ["rowid", "_rowid_", "oid"].contains(&n.to_ascii_lowercase().as_str());
    let same = |a: &str, b: &str| {
        a.eq_ignore_ascii_case(b) && (rowid(a) || key.len() == 1 && a.eq_ignore_ascii_case(&key[0]))
            || integer_key
                && (rowid(a) || a.eq_ignore_ascii_case(&key[0]))
                && (rowid(b) || b.eq_ignore_ascii_case(&key[0]))
    };
    let pair = |col: &Expr, new: &Expr| match (col, new) {
        (Expr::Identifier(c), Expr::CompoundIdentifier(n)) => {
            n.len() == 2 && n[0].value.eq_ignore_ascii_case("new") && same(&c.value, &n[1].value)
        }
        _ => false,
    };
    pair(left, right) || pair(right, left)
}

/// Makes the row's own columns `NEW.column`; refuses what reads other rows (subqueries).
struct OwnRow<'a> {
    table: &'a Table,
    ok: bool,
}

impl VisitorMut for OwnRow<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        match e {
            Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => {
                self.ok = false;
                return ControlFlow::Break(());
            }
            Expr::Identifier(i)
                if i.quote_style.is_none()
                    && self
                        .table
                        .columns
                        .iter()
                        .any(|c| c.name.eq_ignore_ascii_case(&i.value)) =>
            {
                *e = Expr::CompoundIdentifier(vec![Ident::new("NEW"), i.clone()]);
            }
            Expr::CompoundIdentifier(p)
                if p.len() == 2 && p[0].value.eq_ignore_ascii_case(&self.table.name) =>
            {
                p[0] = Ident::new("NEW");
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddl::parse_script;

    fn schema(sql: &str) -> Schema {
        let p = parse_script(sql, Dialect::Sqlite, "t.sql");
        p.catalog.schemas.into_iter().next().expect("a schema")
    }

    #[test]
    fn stamps_of_the_own_row_become_assignments() {
        let s = schema(
            "CREATE TABLE actor (actor_id INTEGER NOT NULL, name TEXT, last_update TIMESTAMP, PRIMARY KEY (actor_id));
             CREATE TRIGGER actor_ai AFTER INSERT ON actor BEGIN UPDATE actor SET last_update = DATETIME('NOW') WHERE rowid = new.rowid; END;
             CREATE TRIGGER actor_au AFTER UPDATE ON actor BEGIN UPDATE actor SET last_update = DATETIME('NOW') WHERE actor_id = new.rowid; END;
             CREATE TABLE other (id INTEGER PRIMARY KEY, n INTEGER, m INTEGER);
             CREATE TRIGGER other_ai AFTER INSERT ON other BEGIN UPDATE other SET m = n * 2 WHERE id = NEW.id; END;
             CREATE TRIGGER other_au AFTER UPDATE ON other BEGIN UPDATE other SET m = (SELECT max(n) FROM other) WHERE id = NEW.id; END;",
        );
        let t = |n: &str| s.triggers.iter().find(|t| t.name == n).expect("trigger");
        assert_eq!(
            self_update(&s, t("actor_ai")),
            Some(vec![("last_update".into(), "DATETIME('NOW')".into())])
        );
        assert!(self_update(&s, t("actor_au")).is_some());
        // Reads other rows: not a stamp.
        assert_eq!(self_update(&s, t("other_au")), None);
        // Its UPDATE would fire other_au in SQLite, which is no stamp of the same kind.
        assert_eq!(self_update(&s, t("other_ai")), None);
    }
}
