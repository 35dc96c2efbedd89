//! One column of a table's CREATE TABLE, step by step: its type on the target, its
//! numbering (identity, serial, AUTO_INCREMENT, SQLite's rowid), collation, generation,
//! nullability and default, the checks that keep enum values and UNSIGNED, ON UPDATE, comment.

use super::*;

/// One column's line of the CREATE TABLE (and what it needs before or after).
pub(super) fn column(cx: &mut Ctx, o: &mut ObjectReport, sh: &Shape, col: &Column, b: &mut Built) {
    let (ty, native_enum) = type_on_target(cx, o, sh, col, b);
    let mut c = Col {
        col,
        ty,
        cname: cx.names.ident(&col.name),
        identity: None,
        native_enum,
    };
    c.identity = identity(cx, o, sh, &c);
    integer_identity(cx, o, &mut c);
    sqlite_rowid(cx, o, sh, &mut c, b);
    mysql_auto_increment(cx, o, sh, &mut c, b);
    let mut d = ColumnDef::default();
    collation_and_generated(cx, o, sh, &c, &mut d);
    null_and_default(cx, o, sh, &c, &mut d);
    checks_and_on_update(cx, o, sh, &c, &mut d, b);
    unsigned_and_comment(cx, &c, &mut d);
    b.lines.push(d.print(cx.target, &c));
    identity_position(cx, sh, &c, b);
}

/// A column's clauses in CREATE TABLE as the steps decide them, printed for the target by
/// [`ColumnDef::print`] in the order every target reads them.
#[derive(Default)]
struct ColumnDef {
    /// The collation keeping case sensitivity as on the source.
    collate: Option<&'static str>,
    /// The generation expression, and whether it is stored.
    generated: Option<(String, bool)>,
    not_null: bool,
    default: Option<String>,
    /// Checks written on the column (an enum's values, UNSIGNED's rule), in order.
    checks: Vec<String>,
    /// MySQL's ON UPDATE value.
    on_update: Option<String>,
    /// A comment that goes on the column's line (MySQL, SQLite; PostgreSQL's is a statement).
    comment: Option<String>,
}

impl ColumnDef {
    /// The column's line for `target`: name, type, collation, generation, numbering or NOT
    /// NULL, default, checks, ON UPDATE, comment.
    fn print(&self, target: Dialect, c: &Col) -> String {
        let mut line = format!("    {} {}", c.cname, c.ty);
        if let Some(coll) = self.collate {
            line.push_str(" COLLATE ");
            line.push_str(coll);
        }
        if let Some((e, stored)) = &self.generated {
            let how = if *stored { "STORED" } else { "VIRTUAL" };
            line.push_str(&format!(" GENERATED ALWAYS AS ({e}) {how}"));
        }
        match &c.identity {
            // SQLite's INTEGER PRIMARY KEY, written on the column (NOT NULL goes with it).
            Some(Numbering::RowidKey { autoincrement }) => {
                line.push_str(" PRIMARY KEY");
                if *autoincrement {
                    line.push_str(" AUTOINCREMENT");
                }
            }
            Some(Numbering::Identity { always, options }) => {
                let how = if *always { "ALWAYS" } else { "BY DEFAULT" };
                line.push_str(&format!(" GENERATED {how} AS IDENTITY"));
                if !options.is_empty() {
                    line.push_str(&format!(" ({})", options.join(" ")));
                }
            }
            _ => {}
        }
        if self.not_null && !matches!(c.identity, Some(Numbering::RowidKey { .. })) {
            line.push_str(" NOT NULL");
        }
        if c.identity == Some(Numbering::AutoIncrement) {
            line.push_str(" AUTO_INCREMENT");
        }
        if let Some(v) = &self.default {
            line.push_str(&format!(" DEFAULT {v}"));
        }
        for check in &self.checks {
            line.push_str(&format!(" CHECK ({check})"));
        }
        if let Some(v) = &self.on_update {
            line.push_str(&format!(" ON UPDATE {v}"));
        }
        match (&self.comment, target) {
            (Some(text), Dialect::MySql) => {
                line.push_str(&format!(" COMMENT {}", literal(target, text)))
            }
            (Some(text), Dialect::Sqlite) => {
                line.push_str(&format!(" /* {} */", text.replace("*/", "* /")))
            }
            _ => {}
        }
        line
    }
}

/// The column's type on the target: its mapping, an enum type created for it, or the type of
/// the column its foreign key references.
fn type_on_target(
    cx: &mut Ctx,
    o: &mut ObjectReport,
    sh: &Shape,
    col: &Column,
    b: &mut Built,
) -> (String, bool) {
    let (target, s, t) = (cx.target, sh.s, sh.t);
    let (mut ty, items) = column_type(cx, o, col);
    let native_enum = target == Dialect::Postgres
        && cx.src.dialect != Dialect::Postgres
        && col.data_type.name == "enum"
        && !col.data_type.values.is_empty()
        && cx.rules.options.enum_as == crate::conversion::rules::EnumStyle::NativeEnum;
    if native_enum {
        let type_name = cx
            .names
            .qualified(&s.name, &format!("{}_{}", t.name, col.name));
        b.types.push(format!(
            "CREATE TYPE {type_name} AS ENUM ({})",
            quoted_values(target, &col.data_type.values)
        ));
        ty = type_name;
    }
    o.action_items.extend(items);
    // A foreign-key column takes the type of the column it references, so the key can be created.
    if let Some(ref_ty) = referenced_type(cx, s, t, col).filter(|r| *r != ty) {
        let a = cx.action(
            o,
            Code::TB1116,
            Category::Simple,
            format!(
                "Column {} takes the type {ref_ty} of the column it references (was {ty})",
                col.name
            ),
            "None needed",
            None,
        );
        o.action_items.push(a);
        ty = ref_ty;
    }
    (ty, native_enum)
}

/// The column's numbering on the target (identity, serial, AUTO_INCREMENT), as a clause.
fn identity(cx: &mut Ctx, o: &mut ObjectReport, sh: &Shape, c: &Col) -> Option<Numbering> {
    let (target, t, col) = (cx.target, sh.t, c.col);
    // A PostgreSQL script's serial types, and primary keys numbered by nextval(), number
    // rows like identity columns.
    let serial = (target != Dialect::Postgres
        && col.identity.is_none()
        && (col.data_type.name.ends_with("serial") || numbering_sequence(t, col).is_some()))
    .then(|| Identity::Serial {
        sequence: String::new(),
    });
    match col.identity.as_ref().or(serial.as_ref()) {
        Some(Identity::AutoIncrement { .. })
        | Some(Identity::Rowid { .. })
        | Some(Identity::Serial { .. })
            if target != Dialect::Postgres =>
        {
            Some(Numbering::Undecided)
        }
        Some(Identity::AutoIncrement {
            next_value: Some(n),
        }) if *n > 1 => Some(Numbering::Identity {
            always: false,
            options: vec![format!("START WITH {n}")],
        }),
        Some(Identity::AutoIncrement { .. }) | Some(Identity::Rowid { .. }) => {
            Some(Numbering::Identity {
                always: false,
                options: vec![],
            })
        }
        Some(Identity::Identity {
            always,
            start,
            increment,
        }) => {
            let mut opts = vec![];
            if let Some(s) = start.filter(|s| *s != 1) {
                opts.push(format!("START WITH {s}"));
            }
            if let Some(i) = increment.filter(|i| *i != 1) {
                opts.push(format!("INCREMENT BY {i}"));
            }
            if target != Dialect::Postgres && !opts.is_empty() {
                let a = cx.action(
                    o,
                    Code::TB1413,
                    Category::Simple,
                    format!(
                        "Identity column {}: {} is not kept ({} numbers from 1 by 1; after the load it continues after the highest value)",
                        col.name,
                        opts.join(" "),
                        target.label()
                    ),
                    "None needed unless the numbering scheme matters",
                    None,
                );
                o.action_items.push(a);
            }
            Some(if target != Dialect::Postgres {
                Numbering::Undecided
            } else {
                Numbering::Identity {
                    always: *always && cx.src.dialect == Dialect::Postgres,
                    options: opts,
                }
            })
        }
        _ => None,
    }
}

/// A numbering column of a type that cannot number rows on the target becomes a big integer.
fn integer_identity(cx: &mut Ctx, o: &mut ObjectReport, c: &mut Col) {
    let (target, col) = (cx.target, c.col);
    let (identity, ty) = (&c.identity, &mut c.ty);
    if identity.is_some() && !is_integer_type(target, ty) {
        let big = if target == Dialect::Sqlite {
            "INTEGER"
        } else {
            "bigint"
        };
        let a = cx.action(
            o,
            Code::TB1112,
            Category::Simple,
            format!(
                "Identity column {} mapped to {ty}, which cannot be an identity; {big} used",
                col.name
            ),
            "Check the value range",
            None,
        );
        o.action_items.push(a);
        *ty = big.into();
    }
}

/// SQLite numbers rows only through a single-column INTEGER PRIMARY KEY, written on the column.
fn sqlite_rowid(cx: &mut Ctx, o: &mut ObjectReport, sh: &Shape, c: &mut Col, b: &mut Built) {
    let (target, col, pk_cols) = (cx.target, c.col, &sh.pk_cols);
    let (identity, ty) = (&mut c.identity, &mut c.ty);
    if identity.is_some() && target == Dialect::Sqlite {
        let only_pk = pk_cols.len() == 1 && pk_cols[0].eq_ignore_ascii_case(&col.name);
        if only_pk {
            // The column's own mapping (TEXT for BIGINT UNSIGNED...) gives way to the rowid.
            let prefix = format!("{}: ", col.name);
            if !is_integer_type(target, ty) {
                o.action_items.retain(|a| !a.message.starts_with(&prefix));
                let a = cx.action(
                    o,
                    Code::TB1502,
                    Category::Simple,
                    format!(
                        "Column {} numbers the rows: it becomes INTEGER PRIMARY KEY AUTOINCREMENT, which holds values up to 9223372036854775807 (was {})",
                        col.name, col.data_type.declared
                    ),
                    "None needed unless ids beyond 2^63 exist",
                    None,
                );
                o.action_items.push(a);
            }
            *ty = "INTEGER".into();
            let autoincrement = !matches!(
                col.identity,
                Some(Identity::Rowid {
                    autoincrement: false
                })
            );
            *identity = Some(Numbering::RowidKey { autoincrement });
            b.pk_inline = true;
        } else {
            let a = cx.action(
                o,
                Code::TB1503,
                Category::Medium,
                format!(
                    "Identity column {}: SQLite numbers rows only for a single-column INTEGER PRIMARY KEY; values must be given on insert",
                    col.name
                ),
                "Make the column the primary key, or fill it from the application",
                None,
            );
            o.action_items.push(a);
            *identity = None;
        }
    }
}

/// MySQL: one AUTO_INCREMENT column per table, first in some key.
fn mysql_auto_increment(
    cx: &mut Ctx,
    o: &mut ObjectReport,
    sh: &Shape,
    c: &mut Col,
    b: &mut Built,
) {
    let (target, col, pk_cols, mysql_auto) = (cx.target, c.col, &sh.pk_cols, &sh.mysql_auto);
    let (identity, cname) = (&mut c.identity, &c.cname);
    if target == Dialect::MySql
        && identity.is_some()
        && mysql_auto.as_deref() != Some(col.name.as_str())
    {
        let a = cx.action(
            o,
            Code::TB1419,
            Category::Simple,
            format!(
                "Identity column {}: MySQL allows one AUTO_INCREMENT column per table ({} is); values must be given on insert",
                col.name,
                mysql_auto.clone().unwrap_or_default()
            ),
            "Fill the column from the application or a trigger",
            None,
        );
        o.action_items.push(a);
        *identity = None;
    }
    if target == Dialect::MySql && identity.is_some() {
        *identity = Some(Numbering::AutoIncrement);
        if pk_cols
            .first()
            .is_none_or(|p| !p.eq_ignore_ascii_case(&col.name))
        {
            // InnoDB wants the AUTO_INCREMENT column first in some key.
            b.lines.push(format!("    KEY ({cname})"));
        }
    }
}

/// The column's collation where case sensitivity must stay as on the source, and its
/// generation expression.
fn collation_and_generated(
    cx: &mut Ctx,
    o: &mut ObjectReport,
    sh: &Shape,
    c: &Col,
    d: &mut ColumnDef,
) {
    let (target, s, t, col) = (cx.target, sh.s, sh.t, c.col);
    // Case sensitivity as on the source, column by column.
    d.collate = match (target, column_ci(cx, t, col)) {
        (Dialect::Sqlite, Some(true)) if cx.src.dialect != Dialect::Sqlite => Some("NOCASE"),
        (Dialect::Sqlite, Some(true)) if col.collation.is_some() => Some("NOCASE"),
        (Dialect::MySql, Some(ci)) if ci != mysql_collation(cx, t).contains("_ci") => Some(if ci {
            "utf8mb4_general_ci"
        } else {
            "utf8mb4_bin"
        }),
        _ => None,
    };
    if let Some(g) = &col.generated {
        let e = target_expr(cx, t, s, &g.expression);
        d.generated = Some((e, g.stored || target == Dialect::Postgres));
        let fragment = Some(g.expression.clone());
        if !g.stored && target == Dialect::Postgres {
            let a = cx.action(
                o,
                Code::TB1113,
                Category::Simple,
                format!("Virtual generated column {} becomes a stored one", col.name),
                "None needed; it now takes disk space",
                fragment.clone(),
            );
            o.action_items.push(a);
        }
        if cx.src.dialect != target {
            let a = cx.action(
                o,
                Code::TB1114,
                Category::Simple,
                format!(
                    "Generated column {}: check that its expression means the same on {}",
                    col.name,
                    target.label()
                ),
                "Test the expression on the target",
                fragment,
            );
            o.action_items.push(a);
        }
    }
}

/// NOT NULL (a key column is) and the default (a numbered or generated column has none).
fn null_and_default(cx: &mut Ctx, o: &mut ObjectReport, sh: &Shape, c: &Col, out: &mut ColumnDef) {
    let (target, col, pk_cols) = (cx.target, c.col, &sh.pk_cols);
    let (identity, ty) = (&c.identity, c.ty.as_str());
    let in_pk = pk_cols.iter().any(|p| p.eq_ignore_ascii_case(&col.name));
    out.not_null = !col.nullable || in_pk;
    if col.generated.is_none()
        && identity.is_none()
        && let Some(d) = &col.default
    {
        match expr::convert_default(d, ty, cx.src.dialect, cx.rules) {
            Def::Value(v) => {
                let mut v = if cx.src.dialect == target {
                    v
                } else {
                    expr::requote_for(&v, cx.names.fold, target)
                };
                if target == Dialect::MySql {
                    v = mysql_default(&v, ty);
                } else if target == Dialect::Sqlite && v.contains('(') && !v.starts_with('(') {
                    v = format!("({v})");
                }
                out.default = Some(v);
            }
            Def::None => {}
            Def::Dropped(why) => {
                let code = if why.contains("zero date") {
                    Code::TB1105
                } else {
                    Code::TB1107
                };
                let a = cx.action(
                    o,
                    code,
                    if code == Code::TB1105 {
                        Category::Simple
                    } else {
                        Category::Medium
                    },
                    format!("Column {}: {why}; the default is not created", col.name),
                    "Set a default by hand if one is needed",
                    Some(d.clone()),
                );
                o.action_items.push(a);
            }
        }
    }
}

/// The check that keeps an enum's values (where no enum type holds them) and the emulation of
/// ON UPDATE.
fn checks_and_on_update(
    cx: &mut Ctx,
    o: &mut ObjectReport,
    sh: &Shape,
    c: &Col,
    d: &mut ColumnDef,
    b: &mut Built,
) {
    let (target, s, t, col, qt) = (cx.target, sh.s, sh.t, c.col, &sh.qt);
    let (ty, cname, native_enum) = (c.ty.as_str(), &c.cname, c.native_enum);
    let values = if col.data_type.name == "enum"
        || (cx.src.dialect == Dialect::Postgres && col.data_type.type_schema.is_some())
    {
        col.data_type.values.clone()
    } else {
        vec![]
    };
    if !values.is_empty() && !native_enum && target != Dialect::MySql && !ty.contains('.') {
        d.checks
            .push(format!("{cname} IN ({})", quoted_values(target, &values)));
    }
    if let Some(u) = &col.on_update {
        let value = match expr::convert_default(u, ty, cx.src.dialect, cx.rules) {
            Def::Value(v) => v,
            _ => "CURRENT_TIMESTAMP".into(),
        };
        let trig_name = format!("{}_{}_on_update", t.name, col.name);
        match target {
            Dialect::MySql => d.on_update = Some(mysql_default(&value, ty)),
            Dialect::Sqlite => {
                b.post.push(format!(
                    "CREATE TRIGGER IF NOT EXISTS {} AFTER UPDATE ON {qt} FOR EACH ROW WHEN NEW.{cname} IS OLD.{cname}\nBEGIN\n    UPDATE {qt} SET {cname} = {value} WHERE rowid = NEW.rowid;\nEND",
                    cx.names.ident(&trig_name)
                ));
            }
            _ => {
                let func = cx.names.qualified(&s.name, &trig_name);
                let trig = cx.names.ident(&trig_name);
                b.post.push(format!(
                    "CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF NEW.{cname} IS NOT DISTINCT FROM OLD.{cname} THEN\n        NEW.{cname} := {value};\n    END IF;\n    RETURN NEW;\nEND\n$$"
                ));
                b.post.push(format!(
                    "CREATE TRIGGER {trig} BEFORE UPDATE ON {qt} FOR EACH ROW EXECUTE FUNCTION {func}()"
                ));
            }
        }
        if target != Dialect::MySql {
            let a = cx.action(
                o,
                Code::TB1106,
                Category::Simple,
                format!(
                    "ON UPDATE {u} of column {} is emulated by a trigger",
                    col.name
                ),
                "None needed; review the generated trigger",
                None,
            );
            o.action_items.push(a);
        }
    }
}

/// The check that keeps UNSIGNED, and the column's comment where it goes on the line.
fn unsigned_and_comment(cx: &Ctx, c: &Col, d: &mut ColumnDef) {
    let target = cx.target;
    let (col, ty, cname, identity) = (c.col, c.ty.as_str(), &c.cname, &c.identity);
    // MySQL's UNSIGNED refuses negative numbers; the wider signed type elsewhere would take
    // them: a check keeps the rule.
    if col.data_type.unsigned
        && target != Dialect::MySql
        && col.generated.is_none()
        && identity.is_none()
        && !ty.to_ascii_lowercase().starts_with("bool")
    {
        d.checks.push(format!("{cname} >= 0"));
    }
    d.comment = col.comment.clone();
}

/// PostgreSQL: the identity's sequence placed past the keys loaded.
fn identity_position(cx: &Ctx, sh: &Shape, c: &Col, b: &mut Built) {
    let (target, qt, col, cname) = (cx.target, &sh.qt, c.col, &c.cname);
    if c.identity.is_some() && target == Dialect::Postgres {
        // Past the highest key loaded, and never back below a position the data set
        // (pg_dump's setval after deleted rows): nextval gives the sequence's next number.
        let seq = format!(
            "pg_get_serial_sequence({}, {})",
            literal(target, qt),
            literal(target, &cx.names.name(&col.name))
        );
        b.post.push(format!(
            "SELECT setval({seq}, greatest(coalesce(max({cname}), 0) + 1, nextval({seq})), false) FROM {qt}"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col<'a>(c: &'a Column, identity: Option<Numbering>) -> Col<'a> {
        Col {
            col: c,
            ty: "integer".into(),
            cname: "\"n\"".into(),
            identity,
            native_enum: false,
        }
    }

    #[test]
    fn a_column_prints_its_clauses_in_the_order_each_target_reads_them() {
        let c = Column::default();
        let d = ColumnDef {
            collate: Some("NOCASE"),
            not_null: true,
            default: Some("0".into()),
            checks: vec!["\"n\" >= 0".into()],
            comment: Some("counts */ things".into()),
            ..Default::default()
        };
        assert_eq!(
            d.print(Dialect::Sqlite, &col(&c, None)),
            "    \"n\" integer COLLATE NOCASE NOT NULL DEFAULT 0 CHECK (\"n\" >= 0) /* counts * / things */"
        );
        // PostgreSQL: the identity clause before NOT NULL; comments are statements of their own.
        let id = ColumnDef {
            not_null: true,
            comment: Some("x".into()),
            ..Default::default()
        };
        let pg = col(
            &c,
            Some(Numbering::Identity {
                always: false,
                options: vec!["START WITH 5".into()],
            }),
        );
        assert_eq!(
            id.print(Dialect::Postgres, &pg),
            "    \"n\" integer GENERATED BY DEFAULT AS IDENTITY (START WITH 5) NOT NULL"
        );
        // MySQL numbers with AUTO_INCREMENT after NOT NULL, ON UPDATE after the default.
        let my = ColumnDef {
            not_null: true,
            on_update: Some("CURRENT_TIMESTAMP".into()),
            comment: Some("it's".into()),
            ..Default::default()
        };
        assert_eq!(
            my.print(Dialect::MySql, &col(&c, Some(Numbering::AutoIncrement))),
            "    \"n\" integer NOT NULL AUTO_INCREMENT ON UPDATE CURRENT_TIMESTAMP COMMENT 'it''s'"
        );
        // SQLite's rowid key replaces NOT NULL.
        let key = col(
            &c,
            Some(Numbering::RowidKey {
                autoincrement: true,
            }),
        );
        assert_eq!(
            id.print(Dialect::Sqlite, &key),
            "    \"n\" integer PRIMARY KEY AUTOINCREMENT /* x */"
        );
    }
}
