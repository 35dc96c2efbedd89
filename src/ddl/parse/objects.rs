//! CREATE statements of every kind into the model (sequences, views, routines, triggers with their headers read), T-SQL guard batches, and what is kept as unparsed.

use super::*;
mod header;
pub(crate) use header::*;

/// A T-SQL batch that starts with an `IF` guard: `IF OBJECT_ID(...) IS NOT NULL DROP TABLE x`
/// followed by `CREATE TABLE x`, or `IF NOT EXISTS (...) BEGIN CREATE TABLE x ... END`. Its
/// statements one by one: a guard that only drops stays a guard (left out as such), an IF
/// whose branch creates is replaced by what that branch creates (the object exists once the
/// script ran), the rest as they are. None when the batch is something else.
pub(super) fn tsql_guarded(raw: &RawStatement) -> Option<Vec<Statement>> {
    if raw.piece != Piece::Sql || classify(&raw.text).kind != StatementKind::Block {
        return None;
    }
    if words(&raw.text, 1).first().is_none_or(|w| w != "IF") {
        return None;
    }
    let batch = parse_batch(&raw.text, Dialect::MsSql).ok()?;
    let creates = |v: &[Statement]| {
        v.iter().any(|s| {
            matches!(
                s,
                Statement::CreateTable(_)
                    | Statement::CreateView(_)
                    | Statement::CreateIndex(_)
                    | Statement::CreateFunction(_)
                    | Statement::CreateProcedure { .. }
                    | Statement::CreateTrigger(_)
                    | Statement::CreateSchema { .. }
                    | Statement::AlterTable(_)
            )
        })
    };
    let mut out = vec![];
    let mut changed = batch.len() > 1;
    for st in batch {
        match st {
            Statement::If(i) if creates(i.if_block.conditional_statements.statements()) => {
                out.extend(
                    i.if_block
                        .conditional_statements
                        .statements()
                        .iter()
                        .cloned(),
                );
                changed = true;
            }
            other => out.push(other),
        }
    }
    changed.then_some(out)
}

/// `ALTER TRIGGER t DISABLE | ENABLE` (Oracle): recorded on the trigger; false when the
/// statement is something else or the trigger is unknown.
pub(super) fn alter_trigger(out: &mut ParsedScript, raw: &RawStatement, c: &Classified) -> bool {
    let w = words(&raw.text, 6);
    let disabled = match w.last().map(String::as_str) {
        Some("DISABLE") => true,
        Some("ENABLE") => false,
        _ => return false,
    };
    let Some(name) = &c.name else { return false };
    for s in &mut out.catalog.schemas {
        if let Some(t) = s
            .triggers
            .iter_mut()
            .find(|t| t.name.eq_ignore_ascii_case(&name.name))
        {
            t.disabled = disabled;
            return true;
        }
    }
    false
}

/// The INSERT statements of `BEGIN INSERT ...; INSERT ...; [COMMIT;] END;` (each with its own
/// line), or None when the block does anything else.
pub(super) fn data_block(raw: &RawStatement, dialect: Dialect) -> Option<Vec<RawStatement>> {
    let text = raw.text.trim().trim_end_matches(';').trim_end();
    let upper = text.to_ascii_uppercase();
    if !upper.starts_with("BEGIN") || !upper.ends_with("END") {
        return None;
    }
    let inner = &text[5..text.len() - 3];
    let first_line = raw.line;
    let mut out = vec![];
    for st in split(inner, dialect) {
        let w = words(&st.text, 1);
        match w.first().map(String::as_str) {
            Some("INSERT") => out.push(RawStatement {
                line: first_line + st.line - 1,
                end_line: first_line + st.end_line - 1,
                ..st
            }),
            Some("COMMIT") | Some("NULL") => {}
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The options of `CREATE SEQUENCE` (upper case, parentheses blanked): `START [WITH] n`,
/// `INCREMENT [BY] n`, `MINVALUE n` / `NO MINVALUE` / `NOMINVALUE`, the same for MAXVALUE,
/// `CYCLE` / `NO CYCLE` / `NOCYCLE`. A value beyond 64 bits (Oracle's default maximum) is no
/// bound.
pub(super) fn sequence_options(text: &str) -> Sequence {
    let w: Vec<&str> = text.split_whitespace().collect();
    let num = |i: usize| {
        w.get(i)
            .and_then(|x| x.trim_matches(',').parse::<i64>().ok())
    };
    let after = |i: usize, noise: &str| {
        if w.get(i + 1) == Some(&noise) {
            num(i + 2)
        } else {
            num(i + 1)
        }
    };
    let negated = |i: usize| i > 0 && w[i - 1] == "NO";
    let mut q = Sequence::default();
    for (i, word) in w.iter().enumerate() {
        match *word {
            "START" => q.start = after(i, "WITH"),
            "INCREMENT" => q.increment = after(i, "BY"),
            "MINVALUE" if !negated(i) => q.min_value = num(i + 1),
            "MAXVALUE" if !negated(i) => q.max_value = num(i + 1),
            "CYCLE" if !negated(i) => q.cycle = true,
            _ => {}
        }
    }
    q
}

pub(super) fn number_after(text: &str, kw: &str) -> Option<i64> {
    let w: Vec<&str> = text.split_whitespace().collect();
    let i = w.iter().position(|x| x.eq_ignore_ascii_case(kw))?;
    w[i + 1..]
        .iter()
        .take(2)
        .find_map(|x| x.trim_matches(['(', ')', ',']).parse().ok())
}

pub(super) fn push_object(
    out: &mut ParsedScript,
    kind: ObjectKind,
    name: QualifiedName,
    table: Option<QualifiedName>,
    raw: &RawStatement,
    err: Option<String>,
) {
    out.objects.push(ScriptObject {
        kind,
        name,
        table,
        line: raw.line,
        end_line: raw.end_line,
        sql: raw.text.clone(),
        parse_error: err,
    });
}

pub(super) fn create(
    out: &mut ParsedScript,
    raw: &RawStatement,
    c: &Classified,
    kind: ObjectKind,
    d: Dialect,
) -> Outcome {
    let fb = out.fallback_schema(d);
    let Some(name) = c.name.clone().or_else(|| {
        (kind == ObjectKind::Index).then(|| QualifiedName {
            schema: None,
            name: String::new(),
        })
    }) else {
        return Outcome::Unparsed {
            error: format!("CREATE {} without a name", kind.label().to_uppercase()),
        };
    };
    match kind {
        ObjectKind::Database => skipped("databases are created by the target's owner"),
        ObjectKind::Schema => {
            schema_mut(
                &mut out.catalog,
                &QualifiedName {
                    schema: Some(name.name.clone()),
                    name: String::new(),
                },
                &fb,
            );
            Outcome::Parsed
        }
        // SQLite's `CREATE VIRTUAL TABLE t USING fts5(...)`: a module's table, kept as such.
        ObjectKind::Table
            if words(&raw.text, 6)
                .windows(2)
                .any(|w| w[0] == "VIRTUAL" && w[1] == "TABLE") =>
        {
            push_object(out, kind, name.clone(), None, raw, None);
            schema_mut(&mut out.catalog, &name, &fb).tables.push(Table {
                name: name.name.clone(),
                storage: Some("virtual table".into()),
                comment: Some(raw.text.clone()),
                ..Default::default()
            });
            Outcome::Parsed
        }
        ObjectKind::Table => match parse_one(&raw.text, d) {
            Ok(Statement::CreateTable(ct)) => {
                let mut t = table_from_ast(&ct, d);
                // Columns of SQL Server alias types take the base type (and its NOT NULL).
                for c in &mut t.columns {
                    if let Some((base, not_null)) =
                        out.alias_types.get(&c.data_type.name.to_lowercase())
                    {
                        c.data_type = crate::sqltext::parse_declared_type(base);
                        if *not_null {
                            c.nullable = false;
                        }
                    }
                }
                // PostgreSQL `INHERITS (parent)` and `PARTITION OF parent`: the parent's
                // columns (with their NOT NULL and defaults) come first.
                let parents: Vec<&ObjectName> = ct
                    .inherits
                    .iter()
                    .flatten()
                    .chain(ct.partition_of.as_ref())
                    .collect();
                let mut inherited = vec![];
                for p in parents {
                    if let Some(parent) = find_table(out, &qname(p), &fb) {
                        for c in &parent.columns {
                            let known = t.columns.iter().chain(&inherited).any(
                                |x: &crate::model::Column| x.name.eq_ignore_ascii_case(&c.name),
                            );
                            if !known {
                                inherited.push(c.clone());
                            }
                        }
                    }
                }
                // `CREATE TABLE new (LIKE old)` (PostgreSQL: the columns and their NOT NULL,
                // defaults only INCLUDING DEFAULTS) and MySQL's `CREATE TABLE new LIKE old`
                // (the whole definition, keys and indexes too).
                use sqlparser::ast::{CreateTableLikeDefaults, CreateTableLikeKind};
                match &ct.like {
                    Some(CreateTableLikeKind::Parenthesized(l)) => {
                        if let Some(old) = find_table(out, &qname(&l.name), &fb) {
                            let defaults =
                                matches!(l.defaults, Some(CreateTableLikeDefaults::Including));
                            inherited.extend(old.columns.iter().map(|c| crate::model::Column {
                                default: if defaults { c.default.clone() } else { None },
                                identity: None,
                                ..c.clone()
                            }));
                        }
                    }
                    Some(CreateTableLikeKind::Plain(l)) => {
                        if let Some(old) = find_table(out, &qname(&l.name), &fb) {
                            let name = t.name.clone();
                            // MySQL copies no foreign keys.
                            t = crate::model::Table {
                                name,
                                foreign_keys: vec![],
                                ..old.clone()
                            };
                        }
                    }
                    None => {}
                }
                if !inherited.is_empty() {
                    inherited.append(&mut t.columns);
                    t.columns = inherited;
                }
                if let Some(parents) = &ct.inherits
                    && !parents.is_empty()
                {
                    let names: Vec<String> = parents.iter().map(|p| qname(p).name).collect();
                    t.storage = Some(format!("inherits {}", names.join(", ")));
                }
                let q = qname(&ct.name);
                // A second definition of a table the script made: IF NOT EXISTS keeps the
                // first (as the engine would); otherwise the script dropped the first (a
                // migration chain: DROP TABLE, then CREATE TABLE anew) and this one stands.
                let same_schema = q
                    .schema
                    .clone()
                    .unwrap_or_else(|| fb.clone())
                    .to_lowercase();
                let earlier = out
                    .tables_by_name
                    .get(&q.name.to_lowercase())
                    .and_then(|v| v.iter().find(|(sn, _, _)| *sn == same_schema))
                    .map(|(_, si, ti)| (*si, *ti));
                if let Some((si, ti)) = earlier {
                    if ct.if_not_exists {
                        return Outcome::Skipped {
                            reason: format!(
                                "{} exists already (created earlier in the script)",
                                q.name
                            ),
                        };
                    }
                    // What was made on the first definition (its indexes) went with it.
                    let first_line = out
                        .objects
                        .iter()
                        .find(|o| {
                            o.kind == ObjectKind::Table && o.name.name.eq_ignore_ascii_case(&q.name)
                        })
                        .map(|o| o.line);
                    let on_first: Vec<usize> = out
                        .objects
                        .iter()
                        .filter(|o| {
                            o.kind != ObjectKind::Table
                                && Some(o.line) != first_line
                                && o.table
                                    .as_ref()
                                    .is_some_and(|x| x.name.eq_ignore_ascii_case(&q.name))
                        })
                        .map(|o| o.line)
                        .collect();
                    for r in out
                        .statements
                        .iter_mut()
                        .filter(|r| on_first.contains(&r.line) && r.outcome == Outcome::Parsed)
                    {
                        r.outcome = Outcome::Skipped {
                            reason: format!(
                                "made on the first definition of {}, which the script replaces at line {}",
                                q.name, raw.line
                            ),
                        };
                    }
                    push_object(out, kind, q.clone(), None, raw, None);
                    out.catalog.schemas[si].tables[ti] = t;
                    return Outcome::Parsed;
                }
                push_object(out, kind, q.clone(), None, raw, None);
                let schema = schema_mut(&mut out.catalog, &q, &fb);
                schema.tables.push(t);
                let (sname, ti) = (schema.name.to_lowercase(), schema.tables.len() - 1);
                let si = out
                    .catalog
                    .schemas
                    .iter()
                    .position(|x| x.name.to_lowercase() == sname)
                    .unwrap_or(0);
                out.tables_by_name
                    .entry(q.name.to_lowercase())
                    .or_default()
                    .push((sname, si, ti));
                Outcome::Parsed
            }
            Ok(other) => unparsed(
                out,
                kind,
                name,
                None,
                raw,
                format!("parsed as {}", first_words(&other.to_string())),
            ),
            Err(e) => unparsed(out, kind, name, None, raw, e),
        },
        ObjectKind::Index => match parse_one(&raw.text, d) {
            Ok(Statement::CreateIndex(ci)) => {
                let table = qname(&ci.table_name);
                let iname = ci
                    .name
                    .as_ref()
                    .map(|n| qname(n).name)
                    .unwrap_or_else(|| format!("{}_idx", table.name));
                let index = Index {
                    name: iname.clone(),
                    unique: ci.unique,
                    method: ci
                        .using
                        .as_ref()
                        .map(|m| m.to_string().to_ascii_lowercase())
                        .or_else(|| {
                            let w = words(&raw.text, 4);
                            w.iter()
                                .find(|x| *x == "FULLTEXT" || *x == "SPATIAL")
                                .map(|x| x.to_ascii_lowercase())
                        }),
                    parts: ci.columns.iter().map(index_part).collect(),
                    predicate: ci.predicate.as_ref().map(|p| p.to_string()),
                    ignore_dup_key: ignore_dup_key(&raw.text),
                };
                let qn = QualifiedName {
                    schema: table.schema.clone(),
                    name: iname,
                };
                match find_table(out, &table, &fb) {
                    Some(t) => {
                        // The same index made again (a migration chain drops and re-creates
                        // it): the later definition stands, as on the engine.
                        let again = t
                            .indexes
                            .iter()
                            .position(|x| x.name.eq_ignore_ascii_case(&index.name));
                        match again {
                            Some(_) if ci.if_not_exists => {
                                return Outcome::Skipped {
                                    reason: format!("index {} exists already", index.name),
                                };
                            }
                            Some(i) => t.indexes[i] = index,
                            None => t.indexes.push(index),
                        }
                        if again.is_some() {
                            let earlier: Vec<usize> = out
                                .objects
                                .iter()
                                .filter(|o| {
                                    o.kind == ObjectKind::Index
                                        && o.name.name.eq_ignore_ascii_case(&qn.name)
                                })
                                .map(|o| o.line)
                                .collect();
                            for r in out.statements.iter_mut().filter(|r| {
                                earlier.contains(&r.line) && r.outcome == Outcome::Parsed
                            }) {
                                r.outcome = Outcome::Skipped {
                                    reason: format!(
                                        "index {} is made again at line {}, which stands",
                                        qn.name, raw.line
                                    ),
                                };
                            }
                        }
                        push_object(out, kind, qn, Some(table), raw, None);
                        Outcome::Parsed
                    }
                    None => unparsed(
                        out,
                        kind,
                        qn,
                        Some(table.clone()),
                        raw,
                        format!("index on unknown table {table}"),
                    ),
                }
            }
            Ok(_) => unparsed(out, kind, name, c.table.clone(), raw, "not an index".into()),
            Err(e) => unparsed(out, kind, name, c.table.clone(), raw, e),
        },
        ObjectKind::Sequence => {
            let text = normalise(&raw.text, d)
                .to_ascii_uppercase()
                .replace(['(', ')'], " ");
            let seq = Sequence {
                name: name.name.clone(),
                data_type: None,
                ..sequence_options(&text)
            };
            push_object(out, kind, name.clone(), None, raw, None);
            schema_mut(&mut out.catalog, &name, &fb).sequences.push(seq);
            Outcome::Parsed
        }
        ObjectKind::View | ObjectKind::MaterializedView => {
            let (definition, columns, err) = match parse_one(&raw.text, d) {
                Ok(Statement::CreateView(v)) => (
                    v.query.to_string(),
                    v.columns.iter().map(|c| c.name.value.clone()).collect(),
                    None,
                ),
                Ok(_) => (view_body(&raw.text), vec![], Some("not a view".to_string())),
                Err(e) => (view_body(&raw.text), vec![], Some(e)),
            };
            let outcome = match &err {
                None => Outcome::Parsed,
                Some(e) => Outcome::Unparsed { error: e.clone() },
            };
            push_object(out, kind, name.clone(), None, raw, err);
            schema_mut(&mut out.catalog, &name, &fb).views.push(View {
                name: name.name.clone(),
                definition,
                materialized: kind == ObjectKind::MaterializedView,
                columns,
                comment: None,
            });
            outcome
        }
        // SQL Server alias type: CREATE TYPE [Name] FROM nvarchar(50) [NOT] NULL
        ObjectKind::Type
            if d == Dialect::MsSql && {
                let w = words(&raw.text, 6);
                w.get(3).is_some_and(|x| x == "FROM") || w.get(5).is_some_and(|x| x == "FROM")
            } =>
        {
            let upper = raw.text.to_ascii_uppercase();
            let Some(from) = crate::sqltext::find_keyword(&upper, "FROM", 0) else {
                return Outcome::Unparsed {
                    error: "alias type without FROM".into(),
                };
            };
            let mut base = raw.text[from + 4..]
                .trim()
                .trim_end_matches(';')
                .to_string();
            let bu = base.to_ascii_uppercase();
            let not_null = bu.ends_with("NOT NULL");
            for suffix in ["NOT NULL", "NULL"] {
                if base.to_ascii_uppercase().ends_with(suffix) {
                    base.truncate(base.len() - suffix.len());
                    break;
                }
            }
            let base = base.trim().to_string();
            let base = crate::sqltext::parse_declared_type(&base).declared;
            out.alias_types
                .insert(name.name.to_lowercase(), (base.clone(), not_null));
            push_object(out, kind, name.clone(), None, raw, None);
            schema_mut(&mut out.catalog, &name, &fb)
                .types
                .push(UserType {
                    name: name.name.clone(),
                    kind: UserTypeKind::Domain {
                        base,
                        nullable: !not_null,
                        default: None,
                        checks: vec![],
                    },
                    comment: None,
                });
            Outcome::Parsed
        }
        ObjectKind::Domain if d == Dialect::Postgres => match pg_domain(&raw.text) {
            Ok(kind_model) => push_type(out, kind, &name, raw, &fb, kind_model),
            Err(e) => unparsed(out, kind, name, None, raw, e),
        },
        ObjectKind::Type | ObjectKind::Domain => match parse_one(&raw.text, d) {
            Ok(st) => {
                let text = st.to_string();
                let upper = text.to_ascii_uppercase();
                let kind_model = if upper.contains("AS ENUM") {
                    let p = upper.find("AS ENUM").unwrap_or(0);
                    UserTypeKind::Enum {
                        values: crate::sqltext::parse_quoted_list(&text[p..]),
                    }
                } else if kind == ObjectKind::Domain {
                    let base = text
                        .split_whitespace()
                        .skip_while(|w| !w.eq_ignore_ascii_case("AS"))
                        .nth(1)
                        .unwrap_or_default()
                        .to_string();
                    UserTypeKind::Domain {
                        base,
                        nullable: !upper.contains("NOT NULL"),
                        default: None,
                        checks: vec![],
                    }
                } else {
                    return unparsed(
                        out,
                        kind,
                        name,
                        None,
                        raw,
                        "only enum types and domains are read".into(),
                    );
                };
                push_type(out, kind, &name, raw, &fb, kind_model)
            }
            Err(e) => unparsed(out, kind, name, None, raw, e),
        },
        ObjectKind::Procedure | ObjectKind::Function => {
            // Bodies are converted by the code converters from their text.
            push_object(out, kind, name.clone(), None, raw, None);
            schema_mut(&mut out.catalog, &name, &fb)
                .routines
                .push(Routine {
                    name: name.name.clone(),
                    kind: if kind == ObjectKind::Procedure {
                        RoutineKind::Procedure
                    } else {
                        RoutineKind::Function
                    },
                    parameters: vec![],
                    return_type: None,
                    language: None,
                    deterministic: None,
                    body: raw.text.clone(),
                    definition: Some(raw.text.clone()),
                    comment: None,
                });
            Outcome::Parsed
        }
        ObjectKind::Trigger => {
            let table = c.table.clone().map(|t| t.name).unwrap_or_default();
            push_object(out, kind, name.clone(), c.table.clone(), raw, None);
            let h = trigger_header(&raw.text, d);
            // A trigger lives with its table: `CREATE TRIGGER t ... ON app.items` is app's.
            let home = match (&name.schema, &c.table) {
                (None, Some(t)) if t.schema.is_some() => QualifiedName {
                    schema: t.schema.clone(),
                    name: name.name.clone(),
                },
                _ => name.clone(),
            };
            schema_mut(&mut out.catalog, &home, &fb)
                .triggers
                .push(Trigger {
                    name: name.name.clone(),
                    table,
                    timing: h.timing,
                    events: h.events,
                    for_each_row: h.for_each_row,
                    condition: None,
                    body: raw.text.clone(),
                    definition: Some(raw.text.clone()),
                    disabled: false,
                });
            Outcome::Parsed
        }
        ObjectKind::Other => {
            let what = words(&raw.text, 8)
                .into_iter()
                .skip(1)
                .find(|w| !matches!(w.as_str(), "OR" | "REPLACE" | "PUBLIC"))
                .unwrap_or_default();
            if matches!(
                what.as_str(),
                "USER"
                    | "ROLE"
                    | "LOGIN"
                    | "TABLESPACE"
                    | "DIRECTORY"
                    | "CONTEXT"
                    | "SERVER"
                    | "PUBLICATION"
                    | "ASSEMBLY"
                    | "PARTITION"
            ) {
                return skipped(&format!(
                    "CREATE {what}: server-level objects are not part of a schema conversion"
                ));
            }
            let error = format!("CREATE {what} is not converted");
            push_object(out, ObjectKind::Other, name, None, raw, Some(error.clone()));
            Outcome::Unparsed { error }
        }
        other => {
            push_object(out, other, name, None, raw, None);
            Outcome::Parsed
        }
    }
}

pub(super) fn first_words(s: &str) -> String {
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

pub(super) fn unparsed(
    out: &mut ParsedScript,
    kind: ObjectKind,
    name: QualifiedName,
    table: Option<QualifiedName>,
    raw: &RawStatement,
    error: String,
) -> Outcome {
    push_object(out, kind, name, table, raw, Some(error.clone()));
    Outcome::Unparsed { error }
}

/// A PostgreSQL `CREATE DOMAIN`: its base type, NOT NULL, default and checks (as
/// `CHECK (expression)`, the way the catalog shows them). sqlparser reads no NOT NULL there:
/// it is taken out first (with its constraint name).
fn pg_domain(text: &str) -> Result<UserTypeKind, String> {
    let mut t = text.trim().trim_end_matches(';').to_string();
    let mut not_null = false;
    while let Some(p) = crate::sqltext::find_keyword(&t.to_ascii_uppercase(), "NOT NULL", 0) {
        not_null = true;
        let mut start = p;
        // `CONSTRAINT name NOT NULL`
        let before: Vec<&str> = t[..p].split_whitespace().collect();
        if before.len() >= 2 && before[before.len() - 2].eq_ignore_ascii_case("CONSTRAINT") {
            let name = before[before.len() - 1];
            if let Some(q) = t[..p].rfind(name)
                && let Some(c) = t[..q].to_ascii_uppercase().rfind("CONSTRAINT")
            {
                start = c;
            }
        }
        t.replace_range(start..p + "NOT NULL".len(), " ");
    }
    match parse_one(&t, Dialect::Postgres)? {
        Statement::CreateDomain(cd) => Ok(UserTypeKind::Domain {
            base: cd.data_type.to_string(),
            nullable: !not_null,
            default: cd.default.as_ref().map(|e| e.to_string()),
            checks: cd
                .constraints
                .iter()
                .filter_map(|c| match c {
                    sqlparser::ast::TableConstraint::Check(ch) => {
                        Some(format!("CHECK ({})", ch.expr))
                    }
                    _ => None,
                })
                .collect(),
        }),
        other => Err(format!(
            "parsed as {}",
            other
                .to_string()
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        )),
    }
}

/// SQL Server's `WITH (IGNORE_DUP_KEY = ON)` in a statement's text.
pub(super) fn ignore_dup_key(text: &str) -> bool {
    let flat: String = text
        .to_ascii_uppercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    flat.contains("IGNORE_DUP_KEY=ON")
}

/// A user type (enum, domain) the script defines, into its schema.
fn push_type(
    out: &mut ParsedScript,
    kind: ObjectKind,
    name: &QualifiedName,
    raw: &RawStatement,
    fb: &str,
    kind_model: UserTypeKind,
) -> Outcome {
    push_object(out, kind, name.clone(), None, raw, None);
    schema_mut(&mut out.catalog, name, fb).types.push(UserType {
        name: name.name.clone(),
        kind: kind_model,
        comment: None,
    });
    Outcome::Parsed
}
