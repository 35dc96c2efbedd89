//! Table mappings with DMS's vocabulary: selection rules (include / exclude / explicit, by schema
//! and table name with `%` and `_` wildcards, applied in order) and transformation rules
//! (rename, prefixes and suffixes, lower and upper case, remove-column) on schemas, tables and
//! columns. [`plan`] resolves them against the source catalog into the list of tables to move,
//! each column with its target name; invalid rules (a rule that matches nothing, two tables
//! that would get the same target name) are errors before anything is written.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Catalog, Table};

/// What a selection rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SelectionAction {
    Include,
    Exclude,
    /// Like include, but the names are exact (no wildcards).
    Explicit,
}

/// A selection rule: which tables (and which rows of them) the task moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub action: SelectionAction,
    /// Schema name pattern (`%` any run of characters, `_` one character).
    pub schema: String,
    /// Table name pattern.
    pub table: String,
    /// Source filters: `column op value`, combined with AND.
    #[serde(default)]
    pub filters: Vec<Filter>,
}

/// A source filter on a column (DMS's filter operators).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub column: String,
    pub op: FilterOp,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FilterOp {
    Eq,
    Noteq,
    Gte,
    Lte,
    Between,
    Notbetween,
    Null,
    Notnull,
}

/// What a transformation rule changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    Schema,
    Table,
    Column,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransformAction {
    Rename(String),
    AddPrefix(String),
    RemovePrefix(String),
    AddSuffix(String),
    RemoveSuffix(String),
    ConvertLowercase,
    ConvertUppercase,
    RemoveColumn,
    /// A new column on the target table (the rule's `column` is its name), computed for each
    /// row by `expression`, in the source database's SQL (a constant, or an expression over
    /// the row's columns), of type `data_type` as the source spells types.
    AddColumn {
        data_type: String,
        expression: String,
    },
    /// The column gets this type on the target, as the source spells types (`varchar(100)`,
    /// `bigint`...), converted like the others; values that do not fit go to the error policy.
    ChangeDataType(String),
}

/// A transformation rule on the schemas, tables or columns its patterns match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transformation {
    pub target: Target,
    pub schema: String,
    #[serde(default = "any")]
    pub table: String,
    #[serde(default = "any")]
    pub column: String,
    pub action: TransformAction,
}

fn any() -> String {
    "%".into()
}

/// The rules of a task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableMappings {
    pub selection: Vec<Selection>,
    pub transformations: Vec<Transformation>,
}

impl TableMappings {
    /// Every table of every schema.
    pub fn all() -> Self {
        TableMappings {
            selection: vec![Selection {
                action: SelectionAction::Include,
                schema: "%".into(),
                table: "%".into(),
                filters: vec![],
            }],
            transformations: vec![],
        }
    }
}

impl TableMappings {
    /// Reads table mappings in AWS DMS's JSON (`{"rules": [...]}` with `rule-type` selection
    /// or transformation, `object-locator`, `rule-action`, `filters`, `value`, `expression`,
    /// `data-type`), so mappings written for DMS work as they are. `file` names the source of
    /// the text in errors, which also name the rule.
    pub fn from_dms_json(text: &str, file: &str) -> Result<TableMappings> {
        use serde_json::Value;
        let bad = |reason: String| Error::Invalid {
            what: format!("table mappings {file}"),
            reason,
        };
        let v: Value = serde_json::from_str(text)
            .map_err(|e| bad(format!("line {}, column {}: {e}", e.line(), e.column())))?;
        let rules = v
            .get("rules")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no \"rules\" array".into()))?;
        let mut m = TableMappings::default();
        for (n, r) in rules.iter().enumerate() {
            let id = r
                .get("rule-id")
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .unwrap_or_else(|| (n + 1).to_string());
            let s = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
            let loc = r.get("object-locator").cloned().unwrap_or(Value::Null);
            let schema = s(&loc, "schema-name").unwrap_or_else(any);
            let table = s(&loc, "table-name").unwrap_or_else(any);
            let action = s(r, "rule-action").unwrap_or_default();
            let rule_err = |what: String| bad(format!("rule {id}: {what}"));
            match s(r, "rule-type").as_deref() {
                Some("selection") => {
                    let action = match action.as_str() {
                        "include" => SelectionAction::Include,
                        "exclude" => SelectionAction::Exclude,
                        "explicit" => SelectionAction::Explicit,
                        o => return Err(rule_err(format!("unknown selection action '{o}'"))),
                    };
                    let mut filters = vec![];
                    for f in r
                        .get("filters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let column = s(f, "column-name")
                            .ok_or_else(|| rule_err("a filter without column-name".into()))?;
                        for c in f
                            .get("filter-conditions")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            let op = match s(c, "filter-operator").as_deref() {
                                Some("eq") => FilterOp::Eq,
                                Some("noteq") => FilterOp::Noteq,
                                Some("gte") => FilterOp::Gte,
                                Some("lte") => FilterOp::Lte,
                                Some("between") => FilterOp::Between,
                                Some("notbetween") => FilterOp::Notbetween,
                                Some("null") => FilterOp::Null,
                                Some("notnull") => FilterOp::Notnull,
                                o => {
                                    return Err(rule_err(format!(
                                        "unknown filter operator {o:?} on {column}"
                                    )));
                                }
                            };
                            let val = |k: &str| {
                                c.get(k).and_then(|x| match x {
                                    Value::String(s) => Some(s.clone()),
                                    Value::Null => None,
                                    o => Some(o.to_string()),
                                })
                            };
                            filters.push(Filter {
                                column: column.clone(),
                                op,
                                value: val("value").or_else(|| val("start-value")),
                                end: val("end-value"),
                            });
                        }
                    }
                    m.selection.push(Selection {
                        action,
                        schema,
                        table,
                        filters,
                    });
                }
                Some("transformation") => {
                    let target = match s(r, "rule-target").as_deref() {
                        Some("schema") => Target::Schema,
                        Some("table") => Target::Table,
                        Some("column") => Target::Column,
                        o => return Err(rule_err(format!("unknown rule-target {o:?}"))),
                    };
                    let value =
                        || s(r, "value").ok_or_else(|| rule_err(format!("{action} needs a value")));
                    let data_type = || -> Result<String> {
                        let d = r
                            .get("data-type")
                            .ok_or_else(|| rule_err(format!("{action} needs a data-type")))?;
                        let num = |k: &str| d.get(k).and_then(Value::as_u64);
                        let t = s(d, "type").unwrap_or_default();
                        Ok(match t.as_str() {
                            "string" | "wstring" => {
                                format!("varchar({})", num("length").unwrap_or(255))
                            }
                            "int1" | "int2" | "uint1" => "smallint".into(),
                            "int4" | "uint2" => "integer".into(),
                            "int8" | "uint4" => "bigint".into(),
                            "uint8" => "numeric(20,0)".into(),
                            "numeric" => format!(
                                "numeric({},{})",
                                num("precision").unwrap_or(38),
                                num("scale").unwrap_or(0)
                            ),
                            "real4" => "real".into(),
                            "real8" => "double precision".into(),
                            "date" => "date".into(),
                            "time" => "time".into(),
                            "datetime" => "timestamp".into(),
                            "boolean" => "boolean".into(),
                            "clob" | "nclob" => "text".into(),
                            "blob" | "bytes" => "blob".into(),
                            o => return Err(rule_err(format!("unknown data-type '{o}'"))),
                        })
                    };
                    let mut column = s(&loc, "column-name").unwrap_or_else(any);
                    let action = match action.as_str() {
                        "rename" => TransformAction::Rename(value()?),
                        "add-prefix" => TransformAction::AddPrefix(value()?),
                        "remove-prefix" => TransformAction::RemovePrefix(value()?),
                        "add-suffix" => TransformAction::AddSuffix(value()?),
                        "remove-suffix" => TransformAction::RemoveSuffix(value()?),
                        "convert-lowercase" => TransformAction::ConvertLowercase,
                        "convert-uppercase" => TransformAction::ConvertUppercase,
                        "remove-column" => TransformAction::RemoveColumn,
                        "change-data-type" => TransformAction::ChangeDataType(data_type()?),
                        "add-column" => {
                            column = value()?;
                            TransformAction::AddColumn {
                                data_type: data_type()?,
                                expression: s(r, "expression").ok_or_else(|| {
                                    rule_err("add-column needs an expression".into())
                                })?,
                            }
                        }
                        o => {
                            return Err(rule_err(format!(
                                "rule-action '{o}' is not supported by Tugboat"
                            )));
                        }
                    };
                    m.transformations.push(Transformation {
                        target,
                        schema,
                        table,
                        column,
                        action,
                    });
                }
                o => return Err(rule_err(format!("unknown rule-type {o:?}"))),
            }
        }
        Ok(m)
    }
}

/// Whether `name` matches a DMS pattern (`%`: any run, `_`: one character), ignoring case.
pub fn like(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('%') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('_') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some(c) => {
                n.first()
                    .is_some_and(|x| x.to_lowercase().eq(c.to_lowercase()))
                    && go(&p[1..], &n[1..])
            }
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// One column to move.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPlan {
    /// The source column (for an added column, its name).
    pub source: String,
    pub target: String,
    /// An added column: the source SQL that computes it.
    pub expression: Option<String>,
    /// A type changed or given by a rule, as the source spells types.
    pub data_type: Option<String>,
}

/// One table to move: where from, where to, which columns, which rows.
#[derive(Debug, Clone, PartialEq)]
pub struct TablePlan {
    pub source_schema: String,
    pub source_table: String,
    pub target_schema: String,
    pub target_table: String,
    pub columns: Vec<ColumnPlan>,
    pub filters: Vec<Filter>,
    /// The source table as discovered.
    pub table: Table,
}

fn apply_name(action: &TransformAction, name: &str) -> Option<String> {
    Some(match action {
        TransformAction::Rename(n) => n.clone(),
        TransformAction::AddPrefix(p) => format!("{p}{name}"),
        TransformAction::RemovePrefix(p) => name
            .strip_prefix(p.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| name.to_string()),
        TransformAction::AddSuffix(p) => format!("{name}{p}"),
        TransformAction::RemoveSuffix(p) => name
            .strip_suffix(p.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| name.to_string()),
        TransformAction::ConvertLowercase => name.to_lowercase(),
        TransformAction::ConvertUppercase => name.to_uppercase(),
        TransformAction::RemoveColumn => return None,
        TransformAction::AddColumn { .. } | TransformAction::ChangeDataType(_) => name.to_string(),
    })
}

/// Resolves the rules against `catalog`. `name` maps a source name to the target's spelling
/// before transformations (the conversion's case folding), `schema` a source schema to its
/// target schema.
pub fn plan(
    m: &TableMappings,
    catalog: &Catalog,
    name: impl Fn(&str) -> String,
    schema: impl Fn(&str) -> String,
) -> Result<Vec<TablePlan>> {
    let invalid = |reason: String| Error::Invalid {
        what: "table mappings".into(),
        reason,
    };
    if m.selection.is_empty() {
        return Err(invalid(
            "no selection rule: add one, e.g. include % . %".into(),
        ));
    }
    let mut out: Vec<TablePlan> = vec![];
    for (i, rule) in m.selection.iter().enumerate() {
        let mut matched = 0;
        for s in &catalog.schemas {
            for t in &s.tables {
                let hit = match rule.action {
                    SelectionAction::Explicit => {
                        s.name.eq_ignore_ascii_case(&rule.schema)
                            && t.name.eq_ignore_ascii_case(&rule.table)
                    }
                    _ => like(&rule.schema, &s.name) && like(&rule.table, &t.name),
                };
                if !hit {
                    continue;
                }
                matched += 1;
                let pos = out
                    .iter()
                    .position(|p| p.source_schema == s.name && p.source_table == t.name);
                match (rule.action, pos) {
                    (SelectionAction::Exclude, Some(p)) => {
                        out.remove(p);
                    }
                    (SelectionAction::Exclude, None) => {}
                    (_, Some(p)) => out[p].filters.extend(rule.filters.iter().cloned()),
                    (_, None) => {
                        for f in &rule.filters {
                            if !t
                                .columns
                                .iter()
                                .any(|c| c.name.eq_ignore_ascii_case(&f.column))
                            {
                                return Err(invalid(format!(
                                    "selection rule {}: table {}.{} has no column {} to filter on",
                                    i + 1,
                                    s.name,
                                    t.name,
                                    f.column
                                )));
                            }
                        }
                        out.push(TablePlan {
                            source_schema: s.name.clone(),
                            source_table: t.name.clone(),
                            target_schema: schema(&s.name),
                            target_table: name(&t.name),
                            columns: t
                                .columns
                                .iter()
                                .filter(|c| c.generated.is_none())
                                .map(|c| ColumnPlan {
                                    source: c.name.clone(),
                                    target: name(&c.name),
                                    expression: None,
                                    data_type: None,
                                })
                                .collect(),
                            filters: rule.filters.clone(),
                            table: t.clone(),
                        });
                    }
                }
            }
        }
        if matched == 0 && rule.action != SelectionAction::Exclude {
            return Err(invalid(format!(
                "selection rule {} ({} {}.{}) matches no table of the source",
                i + 1,
                match rule.action {
                    SelectionAction::Explicit => "explicit",
                    _ => "include",
                },
                rule.schema,
                rule.table
            )));
        }
    }
    for (i, tr) in m.transformations.iter().enumerate() {
        let mut matched = 0;
        for p in &mut out {
            if !like(&tr.schema, &p.source_schema) {
                continue;
            }
            match tr.target {
                Target::Schema => {
                    matched += 1;
                    if let Some(n) = apply_name(&tr.action, &p.target_schema) {
                        p.target_schema = n;
                    }
                }
                Target::Table if like(&tr.table, &p.source_table) => {
                    matched += 1;
                    if let Some(n) = apply_name(&tr.action, &p.target_table) {
                        p.target_table = n;
                    }
                }
                Target::Column
                    if like(&tr.table, &p.source_table)
                        && matches!(tr.action, TransformAction::AddColumn { .. }) =>
                {
                    let TransformAction::AddColumn {
                        data_type,
                        expression,
                    } = &tr.action
                    else {
                        continue;
                    };
                    if tr.column.contains('%') || tr.column.trim().is_empty() {
                        return Err(invalid(format!(
                            "transformation rule {}: add-column needs the new column's name, not a pattern ({})",
                            i + 1,
                            tr.column
                        )));
                    }
                    if expression.trim().is_empty() || data_type.trim().is_empty() {
                        return Err(invalid(format!(
                            "transformation rule {}: add-column {} needs an expression and a data type",
                            i + 1,
                            tr.column
                        )));
                    }
                    matched += 1;
                    p.columns.push(ColumnPlan {
                        source: tr.column.clone(),
                        target: name(&tr.column),
                        expression: Some(expression.clone()),
                        data_type: Some(data_type.clone()),
                    });
                }
                Target::Column
                    if like(&tr.table, &p.source_table)
                        && matches!(tr.action, TransformAction::ChangeDataType(_)) =>
                {
                    let TransformAction::ChangeDataType(t) = &tr.action else {
                        continue;
                    };
                    for c in &mut p.columns {
                        if like(&tr.column, &c.source) {
                            matched += 1;
                            c.data_type = Some(t.clone());
                        }
                    }
                }
                Target::Column if like(&tr.table, &p.source_table) => {
                    let before = p.columns.len();
                    let mut keep = vec![];
                    for mut c in std::mem::take(&mut p.columns) {
                        if like(&tr.column, &c.source) {
                            matched += 1;
                            match apply_name(&tr.action, &c.target) {
                                Some(n) => c.target = n,
                                None => continue,
                            }
                        }
                        keep.push(c);
                    }
                    p.columns = keep;
                    if p.columns.is_empty() && before > 0 {
                        return Err(invalid(format!(
                            "transformation rule {}: table {}.{} would have no columns left",
                            i + 1,
                            p.source_schema,
                            p.source_table
                        )));
                    }
                }
                _ => {}
            }
        }
        if matched == 0 {
            return Err(invalid(format!(
                "transformation rule {} matches nothing among the selected tables",
                i + 1
            )));
        }
    }
    // Two source tables into one target table, or two columns into one: refused.
    for (i, a) in out.iter().enumerate() {
        for b in &out[i + 1..] {
            if a.target_schema.eq_ignore_ascii_case(&b.target_schema)
                && a.target_table.eq_ignore_ascii_case(&b.target_table)
            {
                return Err(invalid(format!(
                    "{}.{} and {}.{} would both be loaded into {}.{}",
                    a.source_schema,
                    a.source_table,
                    b.source_schema,
                    b.source_table,
                    a.target_schema,
                    a.target_table
                )));
            }
        }
        let mut names: Vec<String> = a.columns.iter().map(|c| c.target.to_lowercase()).collect();
        names.sort();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid(format!(
                "two columns of {}.{} would both be named {}",
                a.source_schema, a.source_table, w[0]
            )));
        }
    }
    Ok(out)
}

/// The source catalog as the target should have it, for the schema converter: only the
/// selected tables, named as the transformations say, without removed columns, with added
/// columns and changed types. Keys, indexes and foreign keys follow the renames (a foreign key
/// to a table not selected is left out); an index, key or check on a removed column, and checks,
/// expression indexes and triggers of tables whose columns were renamed are left out, each
/// named in the returned notes.
pub fn rewrite_catalog(
    catalog: &Catalog,
    plans: &[TablePlan],
    rename_schemas: bool,
) -> (Catalog, Vec<String>) {
    use crate::model::{Column, Schema};
    let mut notes = vec![];
    let mut out = Catalog {
        schemas: vec![],
        ..catalog.clone()
    };
    let find_plan = |schema: &str, table: &str| {
        plans.iter().find(|p| {
            p.source_schema.eq_ignore_ascii_case(schema)
                && p.source_table.eq_ignore_ascii_case(table)
        })
    };
    for sc in &catalog.schemas {
        let mut tables = vec![];
        let mut triggers = vec![];
        for p in plans.iter().filter(|p| p.source_schema == sc.name) {
            let t = &p.table;
            let map: std::collections::HashMap<String, String> = p
                .columns
                .iter()
                .filter(|c| c.expression.is_none())
                .map(|c| (c.source.to_lowercase(), c.target.clone()))
                .collect();
            let renamed = p
                .columns
                .iter()
                .any(|c| c.expression.is_none() && !c.source.eq_ignore_ascii_case(&c.target))
                || t.columns
                    .iter()
                    .any(|c| c.generated.is_none() && !map.contains_key(&c.name.to_lowercase()));
            let col = |c: &str| map.get(&c.to_lowercase()).cloned();
            let all = |cs: &[String]| cs.iter().map(|c| col(c)).collect::<Option<Vec<String>>>();
            let label = format!("{}.{}", p.source_schema, p.source_table);
            let mut nt = t.clone();
            nt.name = p.target_table.clone();
            nt.columns = vec![];
            for (n, c) in p.columns.iter().enumerate() {
                let mut column = match &c.expression {
                    Some(_) => Column {
                        nullable: true,
                        ..Default::default()
                    },
                    None => match t.columns.iter().find(|x| x.name == c.source) {
                        Some(x) => x.clone(),
                        None => continue,
                    },
                };
                column.name = c.target.clone();
                column.ordinal = n as u32 + 1;
                if let Some(dt) = &c.data_type {
                    column.data_type = crate::sqltext::parse_declared_type(dt);
                    if c.expression.is_none() {
                        column.default = None;
                        column.identity = None;
                    }
                }
                nt.columns.push(column);
            }
            if !renamed {
                // Generated columns are computed from the others: kept when no name changed.
                for g in t.columns.iter().filter(|c| c.generated.is_some()) {
                    nt.columns.push(g.clone());
                }
            }
            nt.primary_key = t.primary_key.as_ref().and_then(|k| {
                let cols = all(&k.columns);
                if cols.is_none() {
                    notes.push(format!(
                        "{label}: primary key left out (a column of it is removed)"
                    ));
                }
                cols.map(|columns| crate::model::PrimaryKey {
                    name: k.name.clone(),
                    columns,
                })
            });
            nt.unique_constraints = t
                .unique_constraints
                .iter()
                .filter_map(|u| {
                    all(&u.columns).map(|columns| crate::model::UniqueConstraint {
                        name: u.name.clone(),
                        columns,
                    })
                })
                .collect();
            if renamed && !t.check_constraints.is_empty() {
                notes.push(format!(
                    "{label}: {} check constraints left out (columns renamed or removed)",
                    t.check_constraints.len()
                ));
                nt.check_constraints.clear();
            }
            nt.indexes = t
                .indexes
                .iter()
                .filter_map(|ix| {
                    let mut ix = ix.clone();
                    for part in &mut ix.parts {
                        match &part.column {
                            Some(c) => part.column = Some(col(c)?),
                            None if renamed => return None,
                            None => {}
                        }
                    }
                    if renamed && ix.predicate.is_some() {
                        return None;
                    }
                    Some(ix)
                })
                .collect();
            if nt.indexes.len() < t.indexes.len() {
                notes.push(format!(
                    "{label}: {} indexes left out (on removed or renamed columns)",
                    t.indexes.len() - nt.indexes.len()
                ));
            }
            nt.foreign_keys = t
                .foreign_keys
                .iter()
                .filter_map(|fk| {
                    let parent = find_plan(
                        fk.referenced_schema.as_deref().unwrap_or(&sc.name),
                        &fk.referenced_table,
                    )?;
                    let pmap = |c: &String| {
                        parent
                            .columns
                            .iter()
                            .find(|x| x.expression.is_none() && x.source.eq_ignore_ascii_case(c))
                            .map(|x| x.target.clone())
                    };
                    let mut fk = fk.clone();
                    fk.columns = all(&fk.columns)?;
                    fk.referenced_columns = fk
                        .referenced_columns
                        .iter()
                        .map(pmap)
                        .collect::<Option<_>>()?;
                    fk.referenced_table = parent.target_table.clone();
                    if rename_schemas {
                        fk.referenced_schema = Some(parent.target_schema.clone());
                    }
                    Some(fk)
                })
                .collect();
            if nt.foreign_keys.len() < t.foreign_keys.len() {
                notes.push(format!(
                    "{label}: {} foreign keys left out (parent not selected, or a column removed)",
                    t.foreign_keys.len() - nt.foreign_keys.len()
                ));
            }
            for tr in sc.triggers.iter().filter(|x| x.table == t.name) {
                if renamed || !p.target_table.eq_ignore_ascii_case(&t.name) {
                    notes.push(format!(
                        "{label}: trigger {} left out (the table or its columns are renamed)",
                        tr.name
                    ));
                } else {
                    triggers.push(tr.clone());
                }
            }
            let schema = if rename_schemas {
                p.target_schema.clone()
            } else {
                sc.name.clone()
            };
            tables.push((schema, nt));
        }
        let mut base = Schema {
            name: sc.name.clone(),
            tables: vec![],
            views: vec![],
            routines: vec![],
            triggers,
            sequences: sc.sequences.clone(),
            types: sc.types.clone(),
        };
        for (schema, t) in tables {
            if schema == base.name {
                base.tables.push(t);
            } else {
                match out.schemas.iter_mut().find(|s| s.name == schema) {
                    Some(s) => s.tables.push(t),
                    None => out.schemas.push(Schema {
                        name: schema,
                        tables: vec![t],
                        ..Default::default()
                    }),
                }
            }
        }
        out.schemas.push(base);
    }
    (out, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Schema};

    fn catalog() -> Catalog {
        let t = |n: &str, cols: &[&str]| Table {
            name: n.into(),
            columns: cols
                .iter()
                .map(|c| Column {
                    name: c.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        Catalog {
            schemas: vec![Schema {
                name: "sakila".into(),
                tables: vec![
                    t("actor", &["actor_id", "first_name"]),
                    t("film", &["film_id", "title"]),
                    t("film_actor", &["actor_id", "film_id"]),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn dms_json_mappings_are_read_as_dms_writes_them() {
        let m = TableMappings::from_dms_json(
            r#"{"rules": [
              {"rule-type": "selection", "rule-id": "1", "rule-name": "1",
               "object-locator": {"schema-name": "sakila", "table-name": "%"}, "rule-action": "include",
               "filters": [{"filter-type": "source", "column-name": "rental_id",
                 "filter-conditions": [{"filter-operator": "between", "start-value": "10", "end-value": 20}]}]},
              {"rule-type": "selection", "rule-id": "2", "object-locator": {"schema-name": "sakila", "table-name": "film_text"}, "rule-action": "exclude"},
              {"rule-type": "transformation", "rule-id": "3", "rule-target": "table",
               "object-locator": {"schema-name": "sakila", "table-name": "customer"}, "rule-action": "rename", "value": "client"},
              {"rule-type": "transformation", "rule-id": "4", "rule-target": "column",
               "object-locator": {"schema-name": "%", "table-name": "%"}, "rule-action": "add-column",
               "value": "migrated_by", "expression": "'tugboat'", "data-type": {"type": "string", "length": 20}},
              {"rule-type": "transformation", "rule-id": "5", "rule-target": "column",
               "object-locator": {"schema-name": "%", "table-name": "payment", "column-name": "amount"},
               "rule-action": "change-data-type", "data-type": {"type": "numeric", "precision": 12, "scale": 2}}
            ]}"#,
            "m.json",
        )
        .unwrap();
        assert_eq!(m.selection.len(), 2);
        assert_eq!(m.selection[0].filters[0].op, FilterOp::Between);
        assert_eq!(m.selection[0].filters[0].end.as_deref(), Some("20"));
        assert_eq!(m.selection[1].action, SelectionAction::Exclude);
        assert_eq!(
            m.transformations[0].action,
            TransformAction::Rename("client".into())
        );
        assert_eq!(m.transformations[1].column, "migrated_by");
        assert_eq!(
            m.transformations[2].action,
            TransformAction::ChangeDataType("numeric(12,2)".into())
        );
        let e = TableMappings::from_dms_json(
            r#"{"rules": [{"rule-type": "transformation", "rule-id": "7", "rule-target": "table", "rule-action": "define-primary-key"}]}"#,
            "m.json",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("m.json") && e.contains("rule 7") && e.contains("define-primary-key"),
            "{e}"
        );
        let e = TableMappings::from_dms_json("{\n \"rules\": [,]}", "m.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn wildcards_match_like_dms() {
        assert!(like("film%", "film_actor"));
        assert!(like("f_lm", "FILM"));
        assert!(!like("film_", "film"));
        assert!(like("%", ""));
    }

    #[test]
    fn selection_and_transformations_in_order() {
        let m = TableMappings {
            selection: vec![
                Selection {
                    action: SelectionAction::Include,
                    schema: "sakila".into(),
                    table: "%".into(),
                    filters: vec![],
                },
                Selection {
                    action: SelectionAction::Exclude,
                    schema: "%".into(),
                    table: "film_%".into(),
                    filters: vec![],
                },
            ],
            transformations: vec![
                Transformation {
                    target: Target::Table,
                    schema: "%".into(),
                    table: "%".into(),
                    column: "%".into(),
                    action: TransformAction::AddPrefix("old_".into()),
                },
                Transformation {
                    target: Target::Column,
                    schema: "%".into(),
                    table: "actor".into(),
                    column: "first_name".into(),
                    action: TransformAction::RemoveColumn,
                },
            ],
        };
        let p = plan(&m, &catalog(), |n| n.to_string(), |_| "public".into()).unwrap();
        let names: Vec<&str> = p.iter().map(|t| t.target_table.as_str()).collect();
        assert_eq!(names, ["old_actor", "old_film"]);
        assert_eq!(p[0].columns.len(), 1);
    }

    #[test]
    fn bad_rules_are_refused_before_anything_runs() {
        let mut m = TableMappings::all();
        m.transformations.push(Transformation {
            target: Target::Table,
            schema: "%".into(),
            table: "%".into(),
            column: "%".into(),
            action: TransformAction::Rename("same".into()),
        });
        let e = plan(&m, &catalog(), |n| n.to_string(), |s| s.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains("would both be loaded into sakila.same"), "{e}");
        let m = TableMappings {
            selection: vec![Selection {
                action: SelectionAction::Explicit,
                schema: "sakila".into(),
                table: "nope".into(),
                filters: vec![],
            }],
            transformations: vec![],
        };
        let e = plan(&m, &catalog(), |n| n.to_string(), |s| s.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains("matches no table"), "{e}");
    }
}
