//! The SQL of a change: the target's values (fixed as the full load fixes them), the key's WHERE, inserts, upserts, updates and deletes per target engine, and the statements of a batch.

use super::*;

impl Applier {
    /// The values of `row` for the target's columns, fixed as the full load fixes them;
    /// `computed`: the change's computed values ([`Change::computed`]).
    pub(super) fn target_values(
        t: &TableApply,
        row: &[Option<String>],
        computed: &[Option<String>],
    ) -> std::result::Result<Vec<Option<String>>, String> {
        let mut out = Vec::with_capacity(t.src.len());
        for (i, &s) in t.src.iter().enumerate() {
            let mut v = match s {
                Src::Row(at) => row.get(at).cloned().flatten(),
                Src::Computed(k) => computed.get(k).cloned().flatten(),
                Src::Owner => t.p.owner().map(|o| o.1.to_string()),
            };
            let (_, _, from, to) = &t.p.columns[i];
            values::fix(&mut v, *from, *to)
                .map_err(|e| format!("column {}: {e}", t.p.columns[i].0))?;
            t.p.truncate_lob(i, &mut v);
            t.p.fix_nul(i, &mut v)?;
            out.push(v);
        }
        Ok(out)
    }

    pub(super) fn lit(&self, t: &TableApply, i: usize, v: &Option<String>, out: &mut String) {
        values::push_sql_literal(
            out,
            self.target.endpoint.engine,
            v.as_deref(),
            t.p.columns[i].3,
        );
    }

    /// `WHERE` identifying the row with values `v`: the key, or every column but the computed
    /// ones (their values are computed for the row after only).
    pub(super) fn where_sql(&self, t: &TableApply, v: &[Option<String>]) -> String {
        let engine = crate::engines::of(self.target.endpoint.engine);
        let cols: Vec<usize> = if t.key.is_empty() {
            (0..t.p.columns.len())
                .filter(|&i| matches!(t.src[i], Src::Row(_) | Src::Owner))
                .collect()
        } else {
            t.key.clone()
        };
        let mut s = String::new();
        for (n, &i) in cols.iter().enumerate() {
            if n > 0 {
                s.push_str(" AND ");
            }
            s.push_str(&t.p.columns[i].1);
            match &v[i] {
                None => s.push_str(" IS NULL"),
                Some(_) if t.key.is_empty() => {
                    s.push_str(engine.keyless_equals());
                    self.lit(t, i, &v[i], &mut s);
                }
                Some(_) => {
                    s.push_str(" = ");
                    self.lit(t, i, &v[i], &mut s);
                }
            }
        }
        s
    }

    /// The row `WHERE` names, one row only when the table has no key.
    pub(super) fn one_row(&self, t: &TableApply, w: &str) -> String {
        if !t.key.is_empty() {
            return w.to_string();
        }
        crate::engines::of(self.target.endpoint.engine).one_row(&t.p.target_sql, w)
    }

    pub(super) fn insert_part(&self, t: &TableApply, v: &[Option<String>], upsert: bool) -> Part {
        let cols: Vec<&str> = t.p.columns.iter().map(|c| c.1.as_str()).collect();
        let head = format!(
            "INSERT INTO {} ({}) VALUES ",
            t.p.target_sql,
            cols.join(", ")
        );
        let mut item = String::from("(");
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                item.push_str(", ");
            }
            self.lit(t, i, x, &mut item);
        }
        item.push(')');
        let mut tail = String::new();
        if upsert && !t.key.is_empty() {
            let others: Vec<&str> = (0..cols.len())
                .filter(|i| !t.key.contains(i))
                .map(|i| cols[i])
                .collect();
            let keys: Vec<&str> = t.key.iter().map(|&i| cols[i]).collect();
            tail = crate::engines::of(self.target.endpoint.engine).upsert(&keys, &others);
        }
        // Rows of a table without a key never clash; with one, a key twice in one statement
        // would (PostgreSQL refuses to upsert a row twice in one command).
        let key = if t.key.is_empty() {
            format!("{item}#{}", v.len())
        } else {
            t.key.iter().map(|&i| format!("{:?}|", v[i])).collect()
        };
        Part {
            head,
            item,
            tail,
            key,
        }
    }

    /// The statements for `c`; `idempotent`: a change the target may already reflect.
    pub(super) fn statements(
        &self,
        c: &Change,
        change: usize,
        idempotent: bool,
        out: &mut Vec<Statement>,
    ) -> std::result::Result<(), Conflict> {
        let Some(t) = self.tables.get(&c.table) else {
            return Ok(());
        };
        if t.suspended.is_some() {
            return Ok(());
        }
        let conflict = |error: String, row: &Option<Vec<Option<String>>>| Conflict {
            table: c.table.clone(),
            error,
            values: row.clone().unwrap_or_default(),
        };
        let before = c
            .before
            .as_ref()
            .map(|r| Self::target_values(t, r, &[]))
            .transpose()
            .map_err(|e| conflict(e, &c.before))?;
        let after = c
            .after
            .as_ref()
            .map(|r| Self::target_values(t, r, &c.computed))
            .transpose()
            .map_err(|e| conflict(e, &c.after))?;
        let st = |sql: String, one_row: bool, values: Vec<Option<String>>| Statement {
            table: c.table.clone(),
            sql,
            one_row,
            values,
            op: c.op,
            change,
            part: None,
        };
        let ins = |part: Part, values: Vec<Option<String>>| Statement {
            table: c.table.clone(),
            sql: format!("{}{}{}", part.head, part.item, part.tail),
            one_row: false,
            values,
            op: c.op,
            change,
            part: Some(part),
        };
        // Columns the source left out as unchanged: not written.
        let skip: Vec<usize> = (0..t.src.len())
            .filter(|&i| matches!(t.src[i], Src::Row(s) if c.unchanged.contains(&s)))
            .collect();
        let upsert_ok = idempotent && !t.key.is_empty() && skip.is_empty();
        match (c.op, before, after) {
            (Op::Insert, _, Some(a)) => {
                out.push(ins(self.insert_part(t, &a, upsert_ok), a));
            }
            (Op::Update, Some(b), Some(a)) => {
                if upsert_ok {
                    let key_changed = t.key.iter().any(|&i| a[i] != b[i]);
                    if key_changed {
                        let w = self.where_sql(t, &b);
                        out.push(st(
                            format!("DELETE FROM {} WHERE {w}", t.p.target_sql),
                            false,
                            b,
                        ));
                    }
                    out.push(ins(self.insert_part(t, &a, true), a));
                } else {
                    let set: Vec<String> = (0..t.p.columns.len())
                        .filter(|i| !skip.contains(i))
                        .map(|i| {
                            let mut s = format!("{} = ", t.p.columns[i].1);
                            self.lit(t, i, &a[i], &mut s);
                            s
                        })
                        .collect();
                    let w = self.one_row(t, &self.where_sql(t, &b));
                    out.push(st(
                        format!("UPDATE {} SET {} WHERE {w}", t.p.target_sql, set.join(", ")),
                        !idempotent,
                        a,
                    ));
                }
            }
            (Op::Delete, Some(b), _) => {
                let w = self.one_row(t, &self.where_sql(t, &b));
                let mut s = st(
                    format!("DELETE FROM {} WHERE {w}", t.p.target_sql),
                    !idempotent,
                    b,
                );
                // By a one-column key: `DELETE ... WHERE k IN (...)` for a run of them.
                if let [k] = t.key[..]
                    && s.values[k].is_some()
                {
                    let mut item = String::new();
                    self.lit(t, k, &s.values[k], &mut item);
                    s.part = Some(Part {
                        head: format!(
                            "DELETE FROM {} WHERE {} IN (",
                            t.p.target_sql, t.p.columns[k].1
                        ),
                        key: item.clone(),
                        item,
                        tail: ")".into(),
                    });
                }
                out.push(s);
            }
            _ => {
                return Err(conflict(
                    "a change without the row images it needs".into(),
                    &c.after,
                ));
            }
        }
        Ok(())
    }
}
