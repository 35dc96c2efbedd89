//! Tables into the model: CREATE TABLE from the AST, ALTER TABLE and COMMENT applied to what the script defined, user types resolved.

use super::*;

/// Columns of a PostgreSQL script whose type is one the script creates (an enum, a domain, a
/// composite): marked with the type's schema, and an enum's values copied, as discovery does
/// for a live database, so the converter knows what the type is.
pub(super) fn resolve_user_types(catalog: &mut Catalog) {
    let types: Vec<(String, String, Vec<String>)> = catalog
        .schemas
        .iter()
        .flat_map(|s| {
            s.types.iter().map(move |u| {
                let values = match &u.kind {
                    UserTypeKind::Enum { values } => values.clone(),
                    _ => vec![],
                };
                (s.name.clone(), u.name.to_lowercase(), values)
            })
        })
        .collect();
    if types.is_empty() {
        return;
    }
    for s in &mut catalog.schemas {
        let here = s.name.clone();
        for t in &mut s.tables {
            for c in &mut t.columns {
                let d = &mut c.data_type;
                // `schema.type`: the schema is the type's.
                if d.type_schema.is_none()
                    && let Some((ts, n)) = d.name.rsplit_once('.')
                {
                    let ts = unquote(ts).to_lowercase();
                    let n = unquote(n);
                    if types
                        .iter()
                        .any(|(s, t, _)| s.to_lowercase() == ts && *t == n.to_lowercase())
                    {
                        d.type_schema = types
                            .iter()
                            .find(|(s, _, _)| s.to_lowercase() == ts)
                            .map(|(s, _, _)| s.clone());
                        d.name = n;
                    }
                }
                let name = d.name.to_lowercase();
                let found = types
                    .iter()
                    .filter(|(ts, n, _)| {
                        *n == name && d.type_schema.as_deref().is_none_or(|x| x == ts)
                    })
                    .min_by_key(|(ts, _, _)| *ts != here);
                if let Some((ts, _, values)) = found {
                    d.type_schema = Some(ts.clone());
                    if d.values.is_empty() {
                        d.values = values.clone();
                    }
                }
            }
        }
    }
}

/// A column renamed, and every key, index and check of the table that names it.
fn rename_column(table: &mut Table, old: &str, new: &str) {
    let same = |c: &str| c.eq_ignore_ascii_case(old);
    for c in table.columns.iter_mut().filter(|c| same(&c.name)) {
        c.name = new.to_string();
    }
    let rename = |v: &mut Vec<String>| {
        for c in v.iter_mut().filter(|c| same(c)) {
            *c = new.to_string();
        }
    };
    if let Some(p) = &mut table.primary_key {
        rename(&mut p.columns);
    }
    table
        .unique_constraints
        .iter_mut()
        .for_each(|u| rename(&mut u.columns));
    table
        .foreign_keys
        .iter_mut()
        .for_each(|f| rename(&mut f.columns));
    for ix in &mut table.indexes {
        for p in ix.parts.iter_mut() {
            if p.column.as_deref().is_some_and(same) {
                p.column = Some(new.to_string());
            }
        }
    }
    // Checks name it as a word (unquoted: quoted names keep their case and are rare here).
    let word = old.to_ascii_uppercase();
    for c in &mut table.check_constraints {
        let mut from = 0;
        while let Some(p) =
            crate::sqltext::find_keyword(&c.expression.to_ascii_uppercase(), &word, from)
        {
            c.expression.replace_range(p..p + word.len(), new);
            from = p + new.len();
        }
    }
}

/// MySQL's `MODIFY col type ...` / `CHANGE old new type ...` (the whole definition replaced)
/// and Oracle's `MODIFY col type` (only what is written changes).
fn redefine_column(
    table: &mut Table,
    name: &str,
    new_name: &str,
    data_type: &sqlparser::ast::DataType,
    options: &[String],
    d: Dialect,
) {
    let engine = if d == Dialect::MySql {
        crate::endpoints::Engine::MySql
    } else {
        crate::endpoints::Engine::Postgres
    };
    let text = format!(
        "CREATE TABLE x ({} {data_type} {})",
        crate::engines::discover::quote_ident(engine, new_name),
        options.join(" ")
    );
    let Ok(Statement::CreateTable(ct)) = parse_one(&text, d) else {
        return;
    };
    let Some(mut col) = table_from_ast(&ct, d).columns.pop() else {
        return;
    };
    let Some(old) = table
        .columns
        .iter_mut()
        .find(|c| c.name.eq_ignore_ascii_case(name))
    else {
        return;
    };
    col.ordinal = old.ordinal;
    if d == Dialect::MySql {
        col.identity = col.identity.or(old.identity.take()).filter(|_| {
            options
                .iter()
                .any(|o| o.to_ascii_uppercase().contains("AUTO_INCREMENT"))
        });
        *old = col;
        return;
    }
    old.data_type = col.data_type;
    let upper: Vec<String> = options.iter().map(|o| o.to_ascii_uppercase()).collect();
    if upper.iter().any(|o| o == "NOT NULL") {
        old.nullable = false;
    } else if upper.iter().any(|o| o == "NULL") {
        old.nullable = true;
    }
    if col.default.is_some() {
        old.default = col.default;
    }
}

pub(super) fn ident_parts(n: &ObjectName) -> Vec<String> {
    n.0.iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.clone(),
            other => other.to_string(),
        })
        .collect()
}

pub(super) fn qname(n: &ObjectName) -> QualifiedName {
    let mut parts = ident_parts(n);
    let name = parts.pop().unwrap_or_default();
    QualifiedName {
        schema: parts.pop(),
        name,
    }
}

/// The schema (created on demand) an object of `name` belongs to.
pub(super) fn schema_mut<'a>(
    cat: &'a mut Catalog,
    name: &QualifiedName,
    fallback: &str,
) -> &'a mut Schema {
    let s = name.schema.clone().unwrap_or_else(|| fallback.to_string());
    if let Some(i) = cat.schemas.iter().position(|x| x.name == s) {
        return &mut cat.schemas[i];
    }
    cat.schemas.push(Schema {
        name: s,
        ..Default::default()
    });
    cat.schemas.last_mut().expect("pushed")
}

/// The table `name` defined so far (in `fallback` when unqualified, else in any schema).
pub(super) fn find_table<'a>(
    out: &'a mut ParsedScript,
    name: &QualifiedName,
    fallback: &str,
) -> Option<&'a mut Table> {
    let hits = out.tables_by_name.get(&name.name.to_lowercase())?;
    let wanted = name
        .schema
        .clone()
        .unwrap_or_else(|| fallback.to_string())
        .to_lowercase();
    let (&si, &ti) = hits
        .iter()
        .find(|(s, _, _)| *s == wanted)
        .or_else(|| {
            if name.schema.is_none() {
                hits.first()
            } else {
                None
            }
        })
        .map(|(_, si, ti)| (si, ti))?;
    out.catalog.schemas.get_mut(si)?.tables.get_mut(ti)
}

pub(super) fn unquote(s: &str) -> String {
    crate::sqltext::unquote_ident(s)
}

pub(super) fn index_part(ic: &IndexColumn) -> IndexPart {
    IndexPart {
        operator_class: ic.operator_class.as_ref().map(|o| o.to_string()),
        ..index_part_of(ic)
    }
}

pub(super) fn index_part_of(ic: &IndexColumn) -> IndexPart {
    let full = ic.column.to_string();
    let descending = full.trim_end().to_ascii_uppercase().ends_with(" DESC");
    match &ic.column.expr {
        Expr::Identifier(i) => IndexPart {
            column: Some(i.value.clone()),
            descending,
            ..Default::default()
        },
        Expr::CompoundIdentifier(v) => IndexPart {
            column: v.last().map(|i| i.value.clone()),
            descending,
            ..Default::default()
        },
        Expr::Function(f) => {
            // MySQL prefix key part `name(10)` parses as a call.
            let args = f.args.to_string();
            let n = args.trim_matches(['(', ')']).trim().parse::<u32>().ok();
            match n {
                Some(len) => IndexPart {
                    column: Some(unquote(&f.name.to_string())),
                    prefix_length: Some(len),
                    descending,
                    ..Default::default()
                },
                None => IndexPart {
                    expression: Some(ic.column.expr.to_string()),
                    descending,
                    ..Default::default()
                },
            }
        }
        e => IndexPart {
            expression: Some(e.to_string()),
            descending,
            ..Default::default()
        },
    }
}

/// A foreign key of the model from sqlparser's (table-level or column-level) constraint.
pub(super) fn foreign_key(
    f: &sqlparser::ast::ForeignKeyConstraint,
    name: Option<&sqlparser::ast::Ident>,
    columns: Vec<String>,
) -> ForeignKey {
    let target = qname(&f.foreign_table);
    let action = |a: Option<sqlparser::ast::ReferentialAction>| {
        a.map(|a| ReferentialAction::parse(&a.to_string()))
            .unwrap_or_default()
    };
    ForeignKey {
        name: name.map(|n| n.value.clone()),
        columns,
        referenced_schema: target.schema,
        referenced_table: target.name,
        referenced_columns: f.referred_columns.iter().map(|i| i.value.clone()).collect(),
        on_update: action(f.on_update),
        on_delete: action(f.on_delete),
    }
}

pub(super) fn columns_of(v: &[IndexColumn]) -> Vec<String> {
    v.iter()
        .map(|c| {
            index_part(c)
                .column
                .unwrap_or_else(|| c.column.expr.to_string())
        })
        .collect()
}

pub(super) fn apply_constraint(t: &mut Table, c: &TableConstraint) -> Result<(), String> {
    match c {
        TableConstraint::PrimaryKey(pk) => {
            t.primary_key = Some(PrimaryKey {
                name: pk.name.as_ref().map(|n| n.value.clone()),
                columns: columns_of(&pk.columns),
            });
            let cols = columns_of(&pk.columns);
            for col in t
                .columns
                .iter_mut()
                .filter(|c| cols.iter().any(|p| p.eq_ignore_ascii_case(&c.name)))
            {
                col.nullable = false;
            }
        }
        TableConstraint::Unique(u) => t.unique_constraints.push(UniqueConstraint {
            name: u.name.as_ref().map(|n| n.value.clone()),
            columns: columns_of(&u.columns),
        }),
        TableConstraint::ForeignKey(f) => {
            let columns = f.columns.iter().map(|i| i.value.clone()).collect();
            t.foreign_keys
                .push(foreign_key(f, f.name.as_ref(), columns))
        }
        TableConstraint::Check(ch) => t.check_constraints.push(CheckConstraint {
            name: ch.name.as_ref().map(|n| n.value.clone()),
            expression: ch.expr.to_string(),
        }),
        TableConstraint::Index(ix) => t.indexes.push(Index {
            name: ix
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_else(|| format!("{}_idx{}", t.name, t.indexes.len() + 1)),
            unique: false,
            method: ix
                .index_type
                .as_ref()
                .map(|m| m.to_string().to_ascii_lowercase()),
            parts: ix.columns.iter().map(index_part).collect(),
            predicate: None,
            ignore_dup_key: false,
        }),
        TableConstraint::FulltextOrSpatial(ix) => t.indexes.push(Index {
            name: ix
                .opt_index_name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_else(|| format!("{}_idx{}", t.name, t.indexes.len() + 1)),
            unique: false,
            method: Some(if ix.fulltext { "fulltext" } else { "spatial" }.into()),
            parts: ix.columns.iter().map(index_part).collect(),
            predicate: None,
            ignore_dup_key: false,
        }),
        other => return Err(format!("constraint not supported: {other}")),
    }
    Ok(())
}

pub(super) fn table_from_ast(ct: &CreateTable, dialect: Dialect) -> Table {
    let name = qname(&ct.name);
    let mut t = Table {
        name: name.name,
        ..Default::default()
    };
    if ct.without_rowid {
        t.storage = Some("WITHOUT ROWID".into());
    }
    let options = ct.table_options.to_string();
    let upper = options.to_ascii_uppercase();
    if let Some(p) = crate::sqltext::find_keyword(&upper, "ENGINE", 0) {
        t.storage = options[p..]
            .split(['=', ' '])
            .filter(|w| !w.is_empty())
            .nth(1)
            .map(|s| s.trim_matches(',').to_string());
    }
    if let Some(p) = crate::sqltext::find_keyword(&upper, "COMMENT", 0)
        && let Some(q) = options[p..].find('\'')
    {
        let v = crate::sqltext::parse_quoted_list(&options[p + q..]);
        t.comment = v.into_iter().next();
    }
    if let Some(p) = crate::sqltext::find_keyword(&upper, "COLLATE", 0) {
        t.default_collation = options[p + 7..]
            .split(['=', ' ', ','])
            .find(|w| !w.is_empty())
            .map(str::to_string);
    }
    for (pos, cd) in ct.columns.iter().enumerate() {
        let declared = cd.data_type.to_string();
        let mut col = Column {
            name: cd.name.value.clone(),
            ordinal: pos as u32 + 1,
            data_type: parse_declared_type(&declared),
            nullable: true,
            ..Default::default()
        };
        let mut pk_here = false;
        for opt in &cd.options {
            match &opt.option {
                ColumnOption::Null => col.nullable = true,
                ColumnOption::NotNull => col.nullable = false,
                ColumnOption::Default(e) => col.default = Some(e.to_string()),
                ColumnOption::PrimaryKey(_) => {
                    pk_here = true;
                    col.nullable = false;
                }
                ColumnOption::Unique(u) => t.unique_constraints.push(UniqueConstraint {
                    name: opt
                        .name
                        .as_ref()
                        .or(u.name.as_ref())
                        .map(|n| n.value.clone()),
                    columns: vec![col.name.clone()],
                }),
                ColumnOption::ForeignKey(f) => {
                    let name = opt.name.as_ref().or(f.name.as_ref());
                    t.foreign_keys
                        .push(foreign_key(f, name, vec![col.name.clone()]))
                }
                ColumnOption::Check(ch) => t.check_constraints.push(CheckConstraint {
                    name: opt
                        .name
                        .as_ref()
                        .or(ch.name.as_ref())
                        .map(|n| n.value.clone()),
                    expression: ch.expr.to_string(),
                }),
                ColumnOption::DialectSpecific(tokens) => {
                    let text: String = tokens
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_ascii_uppercase();
                    if text.contains("AUTO_INCREMENT") {
                        col.identity = Some(Identity::AutoIncrement { next_value: None });
                    } else if text.contains("AUTOINCREMENT") {
                        col.identity = Some(Identity::Rowid {
                            autoincrement: true,
                        });
                    }
                }
                ColumnOption::CharacterSet(cs) => col.charset = Some(cs.to_string()),
                ColumnOption::Collation(c) => col.collation = Some(unquote(&c.to_string())),
                ColumnOption::Comment(c) => col.comment = Some(c.clone()),
                ColumnOption::OnUpdate(e) => col.on_update = Some(e.to_string()),
                ColumnOption::Generated {
                    generated_as,
                    sequence_options,
                    generation_expr,
                    generation_expr_mode,
                    ..
                } => match generation_expr {
                    Some(e) => {
                        let stored = format!("{generation_expr_mode:?} {generated_as:?}")
                            .to_ascii_uppercase()
                            .contains("STORED");
                        col.generated = Some(GeneratedColumn {
                            expression: e.to_string(),
                            stored,
                        })
                    }
                    None => {
                        let opts = sequence_options
                            .as_ref()
                            .map(|v| {
                                v.iter()
                                    .map(|o| o.to_string())
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            })
                            .unwrap_or_default();
                        col.identity = Some(Identity::Identity {
                            always: format!("{generated_as:?}").contains("Always"),
                            start: number_after(&opts, "START"),
                            increment: number_after(&opts, "INCREMENT"),
                        });
                    }
                },
                ColumnOption::Identity(kind) => {
                    let text = kind.to_string();
                    let nums: Vec<i64> = text
                        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
                        .filter_map(|x| x.parse().ok())
                        .collect();
                    col.identity = Some(Identity::Identity {
                        always: false,
                        start: nums.first().copied(),
                        increment: nums.get(1).copied(),
                    });
                }
                _ => {}
            }
        }
        // SQLite: INTEGER PRIMARY KEY is the rowid.
        if dialect == Dialect::Sqlite
            && pk_here
            && declared.eq_ignore_ascii_case("INTEGER")
            && col.identity.is_none()
        {
            col.identity = Some(Identity::Rowid {
                autoincrement: false,
            });
        }
        if pk_here {
            t.primary_key = Some(PrimaryKey {
                name: None,
                columns: vec![col.name.clone()],
            });
        }
        t.columns.push(col);
    }
    for c in &ct.constraints {
        if let Err(e) = apply_constraint(&mut t, c) {
            t.unread.push(e);
        }
    }
    // MySQL's table option AUTO_INCREMENT=n: where the numbering continues.
    if let Some(p) = crate::sqltext::find_keyword(&upper, "AUTO_INCREMENT", 0)
        && let Some(n) = options[p + 14..]
            .split(['=', ' ', ','])
            .find(|w| !w.is_empty())
            .and_then(|w| w.parse::<i64>().ok())
    {
        for c in &mut t.columns {
            if let Some(Identity::AutoIncrement { next_value }) = &mut c.identity {
                *next_value = Some(n);
            }
        }
    }
    t
}

pub(super) fn alter_table(
    out: &mut ParsedScript,
    raw: &RawStatement,
    c: &Classified,
    d: Dialect,
) -> Outcome {
    let fb = out.fallback_schema(d);
    let Some(name) = c.name.clone() else {
        return Outcome::Unparsed {
            error: "ALTER TABLE without a table name".into(),
        };
    };
    let st = match parse_one(&raw.text, d) {
        Ok(st) => st,
        Err(e) => return Outcome::Unparsed { error: e },
    };
    let Statement::AlterTable(at) = st else {
        return Outcome::Unparsed {
            error: "not an ALTER TABLE".into(),
        };
    };
    let Some(table) = find_table(out, &name, &fb) else {
        return Outcome::Unparsed {
            error: format!("ALTER TABLE of unknown table {name}"),
        };
    };
    let mut notes = vec![];
    for op in &at.operations {
        use sqlparser::ast::AlterTableOperation as Op;
        match op {
            Op::AddConstraint { constraint, .. } => {
                if let Err(e) = apply_constraint(table, constraint) {
                    notes.push(e);
                }
            }
            Op::AddColumn {
                column_def,
                if_not_exists,
                ..
            } => {
                let ct_text = format!("CREATE TABLE x ({column_def})");
                if let Ok(Statement::CreateTable(ct)) = parse_one(&ct_text, d) {
                    let mut t = table_from_ast(&ct, d);
                    if let Some(mut col) = t.columns.pop() {
                        // A column added again (a migration script that dropped it between):
                        // the later definition holds.
                        match table
                            .columns
                            .iter()
                            .position(|c| c.name.eq_ignore_ascii_case(&col.name))
                        {
                            Some(_) if *if_not_exists => {}
                            Some(i) => {
                                col.ordinal = table.columns[i].ordinal;
                                table.columns[i] = col;
                            }
                            None => {
                                col.ordinal = table.columns.len() as u32 + 1;
                                table.columns.push(col);
                            }
                        }
                    }
                }
            }
            Op::DropColumn { column_names, .. } => {
                for n in column_names {
                    let gone = |c: &String| c.eq_ignore_ascii_case(&n.value);
                    table.columns.retain(|c| !gone(&c.name));
                    // What the engine drops with the column.
                    table
                        .indexes
                        .retain(|ix| !ix.parts.iter().any(|p| p.column.as_ref().is_some_and(gone)));
                    table
                        .unique_constraints
                        .retain(|u| !u.columns.iter().any(gone));
                    table.foreign_keys.retain(|f| !f.columns.iter().any(gone));
                    // A check that reads the column goes with it too.
                    let word = n.value.to_ascii_uppercase();
                    table.check_constraints.retain(|c| {
                        let e = c.expression.to_ascii_uppercase();
                        crate::sqltext::find_keyword(&e, &word, 0).is_none()
                            && !["\"", "`", "["].iter().any(|q| {
                                let close = if *q == "[" { "]" } else { q };
                                e.contains(&format!("{q}{word}{close}"))
                            })
                    });
                    if table
                        .primary_key
                        .as_ref()
                        .is_some_and(|p| p.columns.iter().any(gone))
                    {
                        table.primary_key = None;
                    }
                }
            }
            Op::DropConstraint { name, .. } => {
                let same = |x: &Option<String>| {
                    x.as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(&name.value))
                };
                table.unique_constraints.retain(|u| !same(&u.name));
                table.check_constraints.retain(|c| !same(&c.name));
                table.foreign_keys.retain(|f| !same(&f.name));
                if table.primary_key.as_ref().is_some_and(|p| same(&p.name)) {
                    table.primary_key = None;
                }
            }
            Op::RenameColumn {
                old_column_name,
                new_column_name,
            } => rename_column(table, &old_column_name.value, &new_column_name.value),
            Op::ModifyColumn {
                col_name,
                data_type,
                options,
                ..
            } => {
                let options: Vec<String> = options.iter().map(|o| o.to_string()).collect();
                redefine_column(
                    table,
                    &col_name.value,
                    &col_name.value,
                    data_type,
                    &options,
                    d,
                );
            }
            Op::ChangeColumn {
                old_name,
                new_name,
                data_type,
                options,
                ..
            } => {
                let options: Vec<String> = options.iter().map(|o| o.to_string()).collect();
                rename_column(table, &old_name.value, &new_name.value);
                redefine_column(
                    table,
                    &new_name.value,
                    &new_name.value,
                    data_type,
                    &options,
                    d,
                );
            }
            Op::AlterColumn { column_name, op } => {
                let s = op.to_string().to_ascii_uppercase();
                if let Some(col) = table
                    .columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(&column_name.value))
                {
                    use sqlparser::ast::AlterColumnOperation as A;
                    match op {
                        A::SetDataType { data_type, .. } => {
                            col.data_type = parse_declared_type(&data_type.to_string());
                        }
                        A::DropDefault => col.default = None,
                        A::DropNotNull => col.nullable = true,
                        _ if s.starts_with("SET DEFAULT") => {
                            col.default = Some(op.to_string()[12..].trim().to_string());
                        }
                        _ if s == "SET NOT NULL" => col.nullable = false,
                        _ => {}
                    }
                }
            }
            other => notes.push(format!("ALTER TABLE operation not applied: {other}")),
        }
    }
    if notes.is_empty() {
        Outcome::Parsed
    } else {
        Outcome::Unparsed {
            error: notes.join("; "),
        }
    }
}

pub(super) fn comment(out: &mut ParsedScript, raw: &RawStatement, d: Dialect) -> Outcome {
    let fb = out.fallback_schema(d);
    let st = match parse_one(&raw.text, d) {
        Ok(st) => st,
        Err(e) => return Outcome::Unparsed { error: e },
    };
    let Statement::Comment {
        object_type,
        object_name,
        comment,
        ..
    } = st
    else {
        return Outcome::Unparsed {
            error: "not a COMMENT".into(),
        };
    };
    let parts = ident_parts(&object_name);
    let kind = object_type.to_string().to_ascii_uppercase();
    match kind.as_str() {
        "TABLE" => {
            let n = qname(&object_name);
            if let Some(t) = find_table(out, &n, &fb) {
                t.comment = comment;
                return Outcome::Parsed;
            }
        }
        "COLUMN" if parts.len() >= 2 => {
            let col = parts[parts.len() - 1].clone();
            let table = QualifiedName {
                schema: (parts.len() >= 3).then(|| parts[parts.len() - 3].clone()),
                name: parts[parts.len() - 2].clone(),
            };
            if let Some(t) = find_table(out, &table, &fb)
                && let Some(c) = t
                    .columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(&col))
            {
                c.comment = comment;
                return Outcome::Parsed;
            }
        }
        _ => {}
    }
    Outcome::Unparsed {
        error: format!("COMMENT ON {kind} {object_name}: object not found in the script"),
    }
}
