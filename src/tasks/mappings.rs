//! Table mappings with DMS's vocabulary: selection rules (include / exclude / explicit, by schema
//! and table name with `%` and `_` wildcards, applied in order) and transformation rules
//! (rename, prefixes and suffixes, lower and upper case, remove-column, add-column,
//! change-data-type, and source-column for consolidation) on schemas, tables and
//! columns. [`plan`] resolves them against the source catalog into the list of tables to move,
//! each column with its target name; invalid rules (a rule that matches nothing, two tables
//! that would get the same target name) are errors before anything is written.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Catalog, Table};
mod catalog;
mod dms_json;
pub use catalog::*;

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
    /// Consolidation: a column (the rule's `column` is its name) holding `value` on every row
    /// the task writes, which tells this source's rows from other sources' in a table several
    /// tasks load. It comes first in the table, in the primary key and the unique keys the task
    /// creates; the task empties, counts, validates, updates and deletes only the rows holding
    /// its value.
    SourceColumn {
        value: String,
    },
}

/// The longest value of a source column (its type is `varchar` of this length).
pub const SOURCE_VALUE_MAX: usize = 64;

/// A source column's value: letters, digits and `_ - . :`, at most [`SOURCE_VALUE_MAX`]
/// characters, so that it is the same literal in every SQL dialect.
pub fn check_source_value(value: &str) -> std::result::Result<(), String> {
    if value.is_empty() || value.chars().count() > SOURCE_VALUE_MAX {
        return Err(format!(
            "a source column's value has 1 to {SOURCE_VALUE_MAX} characters, not {}",
            value.chars().count()
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')))
    {
        return Err(format!(
            "a source column's value is made of letters, digits and _ - . : ({value:?} has {c:?})"
        ));
    }
    Ok(())
}

/// The rows a task owns in a table several tasks load: those whose `column` (the target's
/// name) holds `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub column: String,
    pub value: String,
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
    /// Consolidation: the rows of the target table this task owns (a source column rule).
    pub owner: Option<Owner>,
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
        TransformAction::AddColumn { .. }
        | TransformAction::ChangeDataType(_)
        | TransformAction::SourceColumn { .. } => name.to_string(),
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
                            owner: None,
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
        let adds = matches!(
            tr.action,
            TransformAction::AddColumn { .. } | TransformAction::SourceColumn { .. }
        );
        if adds && tr.target != Target::Column {
            return Err(invalid(format!(
                "transformation rule {}: a column is added by a rule on columns, not on {}",
                i + 1,
                if tr.target == Target::Schema {
                    "schemas"
                } else {
                    "tables"
                }
            )));
        }
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
                Target::Column if like(&tr.table, &p.source_table) => {
                    if let TransformAction::SourceColumn { value } = &tr.action {
                        source_column(p, tr, value, &name)
                            .map_err(|e| invalid(format!("transformation rule {}: {e}", i + 1)))?;
                        matched += 1;
                        continue;
                    }
                    if let TransformAction::ChangeDataType(t) = &tr.action {
                        for c in &mut p.columns {
                            if like(&tr.column, &c.source) {
                                matched += 1;
                                c.data_type = Some(t.clone());
                            }
                        }
                        continue;
                    }
                    rename_columns(p, tr, &mut matched)
                        .map_err(|e| invalid(format!("transformation rule {}: {e}", i + 1)))?;
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
    distinct_targets(&out).map_err(invalid)?;
    Ok(out)
}

/// A source column rule on table `p`: the column first, holding `value` (a literal every
/// dialect reads alike), and the rows of `p` the task owns.
fn source_column(
    p: &mut TablePlan,
    tr: &Transformation,
    value: &str,
    name: &impl Fn(&str) -> String,
) -> std::result::Result<(), String> {
    if tr.column.contains('%') || tr.column.trim().is_empty() {
        return Err(format!(
            "source-column needs the new column's name, not a pattern ({})",
            tr.column
        ));
    }
    check_source_value(value)?;
    if let Some(o) = &p.owner {
        return Err(format!(
            "{}.{} has a source column already ({} = {})",
            p.source_schema, p.source_table, o.column, o.value
        ));
    }
    let target = name(&tr.column);
    p.columns.insert(
        0,
        ColumnPlan {
            source: tr.column.clone(),
            target: target.clone(),
            expression: Some(format!("'{value}'")),
            data_type: Some(format!("varchar({SOURCE_VALUE_MAX})")),
        },
    );
    p.owner = Some(Owner {
        column: target,
        value: value.to_string(),
    });
    Ok(())
}

/// A column rule that renames or removes the columns of `p` it matches (counted in `matched`).
fn rename_columns(
    p: &mut TablePlan,
    tr: &Transformation,
    matched: &mut usize,
) -> std::result::Result<(), String> {
    let before = p.columns.len();
    let mut keep = vec![];
    for mut c in std::mem::take(&mut p.columns) {
        let owner = p.owner.as_ref().is_some_and(|o| o.column == c.target);
        if !owner && like(&tr.column, &c.source) {
            *matched += 1;
            match apply_name(&tr.action, &c.target) {
                Some(n) => c.target = n,
                None => continue,
            }
        }
        keep.push(c);
    }
    p.columns = keep;
    if p.columns.len() <= usize::from(p.owner.is_some()) && before > 0 {
        return Err(format!(
            "table {}.{} would have no columns left",
            p.source_schema, p.source_table
        ));
    }
    Ok(())
}

/// Two source tables into one target table, or two columns into one: refused.
fn distinct_targets(out: &[TablePlan]) -> std::result::Result<(), String> {
    for (i, a) in out.iter().enumerate() {
        for b in &out[i + 1..] {
            if a.target_schema.eq_ignore_ascii_case(&b.target_schema)
                && a.target_table.eq_ignore_ascii_case(&b.target_table)
            {
                return Err(format!(
                    "{}.{} and {}.{} would both be loaded into {}.{}",
                    a.source_schema,
                    a.source_table,
                    b.source_schema,
                    b.source_table,
                    a.target_schema,
                    a.target_table
                ));
            }
        }
        let mut names: Vec<String> = a.columns.iter().map(|c| c.target.to_lowercase()).collect();
        names.sort();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!(
                "two columns of {}.{} would both be named {}",
                a.source_schema, a.source_table, w[0]
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
