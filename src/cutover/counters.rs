//! Counters moved past the rows at a switch: every sequence, identity and AUTO_INCREMENT of
//! the tables a task moved, on the database that becomes current, set to give a value above
//! the highest in use there and at least what the old database's counter would have given
//! next (replication carries rows, not counter positions: without this the first insert on the
//! new database collides with a replicated row).

use crate::endpoints::Connection;
use crate::engines::switch::Counter;
use crate::error::Result;
use crate::tasks::mappings::TablePlan;

/// What was done to one counter.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub counter: String,
    pub was: i64,
    pub next: i64,
    /// The highest value in the column, where there is one.
    pub highest: Option<i64>,
    /// What the old database's counter would have given next.
    pub source_next: Option<i64>,
}

impl std::fmt::Display for Moved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: next {} (was {}", self.counter, self.next, self.was)?;
        if let Some(h) = self.highest {
            write!(f, "; highest value {h}")?;
        }
        if let Some(n) = self.source_next {
            write!(f, "; the source's counter gives {n}")?;
        }
        write!(f, ")")
    }
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Sets the counters of the tables in `plans` on `d` (their target) past their rows and past
/// `s`'s counters.
pub async fn set(plans: &[TablePlan], s: &Connection, d: &Connection) -> Result<Vec<Moved>> {
    let (sb, db) = (
        crate::engines::of(s.endpoint.engine),
        crate::engines::of(d.endpoint.engine),
    );
    let current = db.current_schema(d).await.unwrap_or_default();
    let here = |p: &TablePlan| db.schema_here(&p.target_schema, &current);
    let mut s_schemas: Vec<String> = plans.iter().map(|p| p.source_schema.clone()).collect();
    let mut d_schemas: Vec<String> = plans.iter().map(here).collect();
    for v in [&mut s_schemas, &mut d_schemas] {
        v.sort();
        v.dedup();
    }
    let src = sb.counters(s, &s_schemas).await?;
    let dst = db.counters(d, &d_schemas).await?;
    let mut out = vec![];
    for c in &dst {
        let moved = if c.table.is_empty() {
            sequence(c, plans, &src, &here)
        } else {
            let Some(p) = plans.iter().find(|p| {
                same(&db.table_name(&p.target_schema, &p.target_table), &c.table)
                    && (c.schema.is_empty() || same(&here(p), &c.schema))
            }) else {
                continue;
            };
            Some(column(c, p, &src, highest(d, c).await?))
        };
        if let Some(m) = moved {
            if m.next != m.was {
                db.set_counter(d, c, m.next).await?;
            }
            out.push(m);
        }
    }
    Ok(out)
}

/// A column's counter: past the highest value and the source's counter for that column.
fn column(c: &Counter, p: &TablePlan, src: &[Counter], highest: Option<i64>) -> Moved {
    let source_column = p
        .columns
        .iter()
        .find(|x| same(&x.target, &c.column))
        .map(|x| x.source.clone());
    let source_next = src
        .iter()
        .find(|x| {
            same(&x.schema, &p.source_schema)
                && same(&x.table, &p.source_table)
                && source_column
                    .as_deref()
                    .is_none_or(|sc| same(&x.column, sc))
        })
        .map(|x| x.next);
    let next = c
        .next
        .max(source_next.unwrap_or(i64::MIN))
        .max(highest.map(|h| h.saturating_add(1)).unwrap_or(i64::MIN));
    Moved {
        counter: c.label(),
        was: c.next,
        next,
        highest,
        source_next,
    }
}

/// A sequence no column owns, in a schema the task writes: at least where the source's
/// sequence of the same name is.
fn sequence(
    c: &Counter,
    plans: &[TablePlan],
    src: &[Counter],
    here: &dyn Fn(&TablePlan) -> String,
) -> Option<Moved> {
    let p = plans.iter().find(|p| same(&here(p), &c.schema))?;
    let source_next = src
        .iter()
        .find(|x| {
            x.table.is_empty()
                && same(&x.schema, &p.source_schema)
                && same(&x.sequence, &c.sequence)
        })
        .map(|x| x.next)?;
    Some(Moved {
        counter: c.label(),
        was: c.next,
        next: c.next.max(source_next),
        highest: None,
        source_next: Some(source_next),
    })
}

/// The highest value in a counter's column.
async fn highest(d: &Connection, c: &Counter) -> Result<Option<i64>> {
    let b = crate::engines::of(d.endpoint.engine);
    let col = crate::sqltext::quoted_ident(&c.column, b.ident_quote());
    let sql = format!(
        "SELECT max({col}) AS m FROM {}",
        b.table_sql(&c.schema, &c.table)
    );
    let rows = d
        .query(&format!("reading the highest {}", c.label()), &sql)
        .await?;
    Ok(rows.first().and_then(|r| r.i64("m")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(schema: &str, table: &str, column: &str, next: i64) -> Counter {
        Counter {
            schema: schema.into(),
            table: table.into(),
            column: column.into(),
            sequence: String::new(),
            sequence_schema: String::new(),
            next,
        }
    }

    /// A counter goes past the highest value in use and past the old database's counter
    /// (rows deleted at the end: the old counter is ahead of the highest value), and never back.
    #[test]
    fn a_counter_goes_past_the_rows_and_the_old_counter_and_never_back() {
        let p = TablePlan {
            source_schema: "Shop".into(),
            source_table: "Orders".into(),
            target_schema: "shop".into(),
            target_table: "orders".into(),
            columns: vec![crate::tasks::mappings::ColumnPlan {
                source: "ID".into(),
                target: "id".into(),
                expression: None,
                data_type: None,
            }],
            filters: vec![],
            table: Default::default(),
            owner: None,
        };
        let old = [counter("Shop", "Orders", "ID", 120)];
        let new = counter("shop", "orders", "id", 1);
        let m = column(&new, &p, &old, Some(100));
        assert_eq!((m.was, m.next, m.source_next), (1, 120, Some(120)));
        // Rows beyond the old counter (inserted with their keys): past the highest.
        assert_eq!(column(&new, &p, &old, Some(500)).next, 501);
        // Already further: left there.
        assert_eq!(
            column(&counter("shop", "orders", "id", 900), &p, &old, Some(500)).next,
            900
        );
        // No old counter, an empty table: as it is.
        assert_eq!(column(&new, &p, &[], None).next, 1);
    }
}
