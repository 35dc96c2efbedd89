//! Keys, checks, foreign keys and indexes of a table for the target (SQLite's inside CREATE TABLE).

use super::*;

/// SQLite takes checks, unique constraints and foreign keys only in CREATE TABLE.
pub(super) fn sqlite_table_constraints(cx: &Ctx, s: &Schema, t: &Table) -> Vec<String> {
    let mut out = vec![];
    let cols = |v: &[String]| {
        v.iter()
            .map(|c| cx.names.ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let named = |n: &Option<String>| {
        n.as_ref()
            .map(|n| format!("CONSTRAINT {} ", cx.names.ident(n)))
            .unwrap_or_default()
    };
    for u in &t.unique_constraints {
        out.push(format!(
            "    {}UNIQUE ({})",
            named(&u.name),
            cols(&u.columns)
        ));
    }
    for c in &t.check_constraints {
        let e = target_expr(cx, t, s, &c.expression);
        let e = if e.trim_start().starts_with('(') {
            e
        } else {
            format!("({e})")
        };
        out.push(format!("    {}CHECK {e}", named(&c.name)));
    }
    for f in &t.foreign_keys {
        let ref_schema = f
            .referenced_schema
            .clone()
            .unwrap_or_else(|| s.name.clone());
        let ref_cols = referenced_columns(cx, f);
        out.push(format!(
            "    {}FOREIGN KEY ({}) REFERENCES {} ({}) ON UPDATE {} ON DELETE {}",
            named(&f.name),
            cols(&f.columns),
            cx.names.qualified(&ref_schema, &f.referenced_table),
            cols(&ref_cols),
            f.on_update.sql(),
            f.on_delete.sql()
        ));
    }
    out
}

/// The referenced columns of a foreign key (the referenced table's primary key when omitted).
pub(super) fn referenced_columns(cx: &Ctx, f: &ForeignKey) -> Vec<String> {
    if !f.referenced_columns.is_empty() {
        return f.referenced_columns.clone();
    }
    cx.src
        .catalog
        .schemas
        .iter()
        .flat_map(|x| x.tables.iter())
        .find(|x| x.name.eq_ignore_ascii_case(&f.referenced_table))
        .and_then(|x| x.primary_key.as_ref().map(|p| p.columns.clone()))
        .unwrap_or_default()
}

pub(super) fn constraints_and_indexes(cx: &mut Ctx, s: &Schema, t: &Table) {
    let on = On {
        qt: cx.names.qualified(&s.name, &t.name),
        target_schema: cx.names.schema(&s.name),
    };
    // SQLite: unique constraints, checks and foreign keys are in the CREATE TABLE.
    if cx.target != Dialect::Sqlite {
        unique_constraints(cx, s, t, &on);
        check_constraints(cx, s, t, &on);
        foreign_keys(cx, s, t, &on);
    }
    indexes(cx, s, t, &on);
}

/// What a table's constraints and indexes are written against.
pub(super) struct On {
    /// The table, quoted and qualified on the target.
    pub(super) qt: String,
    /// Its schema's name on the target.
    pub(super) target_schema: String,
}

/// Columns `v` quoted for the target, comma-separated.
fn cols(cx: &Ctx, v: &[String]) -> String {
    v.iter()
        .map(|c| cx.names.ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Unique constraints, added after the data.
fn unique_constraints(cx: &mut Ctx, s: &Schema, t: &Table, on: &On) {
    let (qt, target_schema, target) = (&on.qt, &on.target_schema, cx.target);
    for (i, u) in t.unique_constraints.iter().enumerate() {
        let wanted = u
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}_key", t.name, u.columns.join("_")));
        let name = if target == Dialect::MySql {
            cx.names.name(&wanted)
        } else {
            cx.names.unique_relation(target_schema, &t.name, &wanted)
        };
        let mut o = cx.report(
            ObjectKind::Constraint,
            &s.name,
            u.name
                .as_deref()
                .unwrap_or(&format!("{} unique #{}", t.name, i + 1)),
            Some(&t.name),
        );
        o.source_line = cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line);
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: format!(
                "ALTER TABLE {qt} ADD CONSTRAINT {} UNIQUE ({})",
                cx.names.quote(&name),
                cols(cx, &u.columns)
            ),
        });
        if let Some(sql) = pg_ci_unique(cx, s, t, &u.columns, &name) {
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql,
            });
        }
        cx.push(o);
    }
}

/// `CONSTRAINT name ` for a check or foreign key of `t`, the name made unique where the target
/// wants it: MySQL 8 names checks and foreign keys per schema, PostgreSQL per table (a name
/// used twice on one table gets the table's name in front).
fn constraint_clause(cx: &mut Ctx, on: &On, t: &Table, name: &str) -> String {
    let ns = if cx.target == Dialect::MySql {
        format!("{}\u{0}constraints", on.target_schema)
    } else {
        format!("{}\u{0}{}\u{0}constraints", on.target_schema, t.name)
    };
    let name = cx.names.unique_relation(&ns, &t.name, name);
    format!("CONSTRAINT {} ", cx.names.quote(&name))
}

/// Check constraints, added after the data.
fn check_constraints(cx: &mut Ctx, s: &Schema, t: &Table, on: &On) {
    let qt = &on.qt;
    for (i, c) in t.check_constraints.iter().enumerate() {
        let label = c
            .name
            .clone()
            .unwrap_or_else(|| format!("{} check #{}", t.name, i + 1));
        let mut o = cx.report(ObjectKind::Constraint, &s.name, &label, Some(&t.name));
        o.source_line = cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line);
        let e = target_expr(cx, t, s, &c.expression);
        let e = if e.trim_start().starts_with('(') {
            e
        } else {
            format!("({e})")
        };
        // Unnamed constraints get PostgreSQL's style of name, so a re-run finds them.
        let name = c
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_check{}", t.name, i + 1));
        let name = constraint_clause(cx, on, t, &name);
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: format!("ALTER TABLE {qt} ADD {name}CHECK {e}"),
        });
        cx.push(o);
    }
}

/// Foreign keys, added after the data, with their actions.
fn foreign_keys(cx: &mut Ctx, s: &Schema, t: &Table, on: &On) {
    let (qt, target) = (&on.qt, cx.target);
    for (i, f) in t.foreign_keys.iter().enumerate() {
        let label = f
            .name
            .clone()
            .unwrap_or_else(|| format!("{} foreign key #{}", t.name, i + 1));
        let mut o = cx.report(ObjectKind::Constraint, &s.name, &label, Some(&t.name));
        o.source_line = o
            .source_line
            .or_else(|| cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line));
        let ref_schema = f
            .referenced_schema
            .clone()
            .unwrap_or_else(|| s.name.clone());
        let ref_cols = referenced_columns(cx, f);
        let name = f
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}_fkey", t.name, f.columns.join("_")));
        let name = constraint_clause(cx, on, t, &name);
        let mut actions = [f.on_update, f.on_delete];
        let not_null = f.columns.iter().any(|c| {
            t.columns
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(c) && !x.nullable)
        });
        // Actions InnoDB refuses become NO ACTION, each said.
        let refused = [
            (
                ReferentialAction::SetNull,
                not_null,
                Code::TB1418,
                "SET NULL on a NOT NULL column (PostgreSQL accepts it and fails when it fires; MySQL refuses it)",
                "Make the column nullable if rows should outlive their parent",
            ),
            (
                ReferentialAction::SetDefault,
                true,
                Code::TB1414,
                "InnoDB has no SET DEFAULT",
                "Set the default in a trigger if the application relies on it",
            ),
        ];
        for (from, applies, code, why, fix) in refused {
            if target != Dialect::MySql || !applies {
                continue;
            }
            for a in actions.iter_mut().filter(|a| **a == from) {
                *a = ReferentialAction::NoAction;
                let item = cx.action(
                    &o,
                    code,
                    Category::Simple,
                    format!("Foreign key {label}: {why}; NO ACTION used"),
                    fix,
                    None,
                );
                o.action_items.push(item);
            }
        }
        if ref_cols.is_empty() {
            // `REFERENCES t` with no columns names t's primary key: unknown here.
            let a = cx.action(
                &o,
                Code::TB1420,
                Category::Medium,
                format!(
                    "Foreign key {label} references table {} without naming its columns, and the source defines no such table with a primary key: the key is not created",
                    f.referenced_table
                ),
                "Name the referenced columns, or convert the script that defines the table with this one",
                None,
            );
            o.action_items.push(a);
            cx.push(o);
            continue;
        }
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: format!(
                "ALTER TABLE {qt} ADD {name}FOREIGN KEY ({}) REFERENCES {} ({}) ON UPDATE {} ON DELETE {}",
                cols(cx, &f.columns),
                cx.names.qualified(&ref_schema, &f.referenced_table),
                cols(cx, &ref_cols),
                actions[0].sql(),
                actions[1].sql()
            ),
        });
        cx.push(o);
    }
}
