//! View queries rewritten for PostgreSQL through the sqlparser AST: identifier quoting and case,
//! relations qualified with the target schema, MySQL charset introducers dropped, and function
//! mappings (IFNULL / ISNULL / NVL → COALESCE, IF → CASE, GROUP_CONCAT → string_agg, UCASE /
//! LCASE, CURDATE, GETDATE, LEN, DECODE → CASE, SYSDATE...). Functions with no known equivalent
//! are kept and reported.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArgumentClause, FunctionArguments,
    Ident, ObjectName, ObjectNamePart, Query, Statement, VisitMut, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::names::Names;
use crate::ddl::Dialect;
use crate::ddl::parse::parse_one;
mod exprs;
use exprs::*;

/// A converted view query and what could not be carried over.
pub struct ConvertedView {
    pub query: String,
    /// Messages for functions without a known equivalent and other semantic differences.
    pub warnings: Vec<String>,
}

/// Functions that exist with the same meaning on PostgreSQL (lower case).
const SAME: &[&str] = &[
    "coalesce",
    "upper",
    "lower",
    "length",
    "substr",
    "substring",
    "trim",
    "ltrim",
    "rtrim",
    "replace",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "abs",
    "sum",
    "count",
    "avg",
    "min",
    "max",
    "now",
    "concat",
    "concat_ws",
    "lpad",
    "rpad",
    "mod",
    "power",
    "sqrt",
    "greatest",
    "least",
    "nullif",
    "exists",
    "cast",
    "left",
    "right",
    "reverse",
    "position",
    "repeat",
    "exp",
    "ln",
    "sign",
    "md5",
    "char_length",
    "extract",
    "string_agg",
    "to_char",
    "to_date",
    "to_timestamp",
];

struct Rewriter<'a> {
    names: &'a Names,
    /// Target schema for unqualified relations.
    schema: String,
    ctes: BTreeSet<String>,
    warnings: Vec<String>,
    fold: bool,
    /// Columns (lower case) that became boolean: `col = 1` is rewritten `col = true`.
    booleans: BTreeSet<String>,
    /// Columns (lower case, `table.column`, or `column` when it is text in every table) of
    /// SQLite's text affinity: `col = 1` compares text there (the number is made text first),
    /// so it is written `col = '1'`.
    texts: BTreeSet<String>,
    /// Aliases (lower case) of the statement's tables: `cu` → `customer`.
    aliases: std::collections::HashMap<String, String>,
    /// The source dialect, where a function's meaning depends on it (Oracle CURRENT_DATE).
    dialect: Option<Dialect>,
    /// Map functions to the neutral (PostgreSQL) form: off when the source already is
    /// PostgreSQL or the same engine as the target.
    translate: bool,
}

impl<'a> Rewriter<'a> {
    fn new(names: &'a Names, target_schema: &str) -> Self {
        Rewriter {
            names,
            schema: target_schema.to_string(),
            ctes: BTreeSet::new(),
            warnings: vec![],
            fold: names.fold,
            booleans: BTreeSet::new(),
            texts: BTreeSet::new(),
            aliases: Default::default(),
            dialect: None,
            translate: names.target == Dialect::Postgres,
        }
    }

    fn for_dialect(names: &'a Names, target_schema: &str, dialect: Dialect) -> Self {
        Rewriter {
            dialect: Some(dialect),
            translate: dialect != Dialect::Postgres && dialect != names.target,
            ..Rewriter::new(names, target_schema)
        }
    }

    /// An identifier with the target's quotes where it needs them.
    fn ident(&self, v: String) -> Ident {
        let q = self.names.quote(&v);
        match q.chars().next() {
            Some(c @ ('"' | '`')) => Ident::with_quote(c, v),
            _ => Ident::new(v),
        }
    }
}

fn expr(sql: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .ok()?
        .parse_expr()
        .ok()
}

fn args(f: &sqlparser::ast::Function) -> (Vec<String>, Vec<FunctionArgumentClause>, bool) {
    match &f.args {
        FunctionArguments::List(l) => (
            l.args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => e.to_string(),
                    other => other.to_string(),
                })
                .collect(),
            l.clauses.clone(),
            l.duplicate_treatment
                .is_some_and(|d| d.to_string().eq_ignore_ascii_case("DISTINCT")),
        ),
        _ => (vec![], vec![], false),
    }
}

impl VisitorMut for Rewriter<'_> {
    type Break = std::convert::Infallible;

    fn post_visit_select(&mut self, sel: &mut sqlparser::ast::Select) -> ControlFlow<Self::Break> {
        // Oracle's one-row table: PostgreSQL needs no FROM.
        sel.from.retain(|t| match &t.relation {
            sqlparser::ast::TableFactor::Table { name, .. } => !name
                .0
                .last()
                .is_some_and(|p| p.to_string().eq_ignore_ascii_case("dual")),
            _ => true,
        });
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<Self::Break> {
        if let Some(with) = &q.with {
            for c in &with.cte_tables {
                self.ctes.insert(c.alias.name.value.to_lowercase());
            }
        }
        ControlFlow::Continue(())
    }

    /// SQLite has one namespace: a table of another schema becomes `schema_table`, so
    /// without an alias it keeps its own name as one, for the `table.column` references.
    fn pre_visit_table_factor(
        &mut self,
        t: &mut sqlparser::ast::TableFactor,
    ) -> ControlFlow<Self::Break> {
        if self.names.target != Dialect::Sqlite {
            return ControlFlow::Continue(());
        }
        if let sqlparser::ast::TableFactor::Table {
            name,
            alias: alias @ None,
            ..
        } = t
        {
            let parts: Vec<&Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
            let (schema, table) = match parts.as_slice() {
                [n] if self.ctes.contains(&n.value.to_lowercase()) => {
                    return ControlFlow::Continue(());
                }
                [n] => (self.schema.clone(), *n),
                [.., s, n] => (self.names.schema(&s.value), *n),
                [] => return ControlFlow::Continue(()),
            };
            if !schema.is_empty() {
                *alias = Some(sqlparser::ast::TableAlias {
                    explicit: true,
                    name: self.ident(self.names.name(&table.value)),
                    columns: vec![],
                    at: None,
                });
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_relation(&mut self, r: &mut ObjectName) -> ControlFlow<Self::Break> {
        let parts: Vec<String> =
            r.0.iter()
                .map(|p| match p {
                    ObjectNamePart::Identifier(i) => i.value.clone(),
                    other => other.to_string(),
                })
                .collect();
        let (schema, name) = match parts.as_slice() {
            [n] if self.ctes.contains(&n.to_lowercase()) => return ControlFlow::Continue(()),
            [n] => (self.schema.clone(), n.clone()),
            [.., s, n] => (self.names.schema(s), n.clone()),
            [] => return ControlFlow::Continue(()),
        };
        *r = match self.names.target {
            Dialect::Postgres => ObjectName(vec![
                ObjectNamePart::Identifier(self.ident(schema)),
                ObjectNamePart::Identifier(self.ident(self.names.name(&name))),
            ]),
            _ if schema.is_empty() => ObjectName(vec![ObjectNamePart::Identifier(
                self.ident(self.names.name(&name)),
            )]),
            // SQLite: one namespace, other schemas' tables carry the schema as a prefix.
            Dialect::Sqlite => ObjectName(vec![ObjectNamePart::Identifier(
                self.ident(self.names.name(&format!("{schema}_{name}"))),
            )]),
            _ => ObjectName(vec![
                ObjectNamePart::Identifier(self.ident(schema)),
                ObjectNamePart::Identifier(self.ident(self.names.name(&name))),
            ]),
        };
        ControlFlow::Continue(())
    }

    fn pre_visit_ident(&mut self, i: &mut Ident) -> ControlFlow<Self::Break> {
        if i.quote_style.is_some() {
            let v = if self.fold {
                i.value.to_lowercase()
            } else {
                i.value.clone()
            };
            *i = self.ident(v);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<Self::Break> {
        if let Expr::BinaryOp { left, op, right } = e {
            let mut x_left: &Expr = left;
            while let Expr::Nested(i) = x_left {
                x_left = i;
            }
            let mut x_right: &Expr = right;
            while let Expr::Nested(i) = x_right {
                x_right = i;
            }
            let is_bool_col = |x: &Expr| match x {
                Expr::Identifier(i) => self.booleans.contains(&i.value.to_lowercase()),
                Expr::CompoundIdentifier(v) => v
                    .last()
                    .is_some_and(|i| self.booleans.contains(&i.value.to_lowercase())),
                _ => false,
            };
            let (left_bool, right_bool) = (is_bool_col(x_left), is_bool_col(x_right));
            let is_text_col = |x: &Expr| match x {
                Expr::Identifier(i) => self.texts.contains(&i.value.to_lowercase()),
                Expr::CompoundIdentifier(v) if v.len() >= 2 => {
                    let q = v[v.len() - 2].value.to_lowercase();
                    let table = self.aliases.get(&q).unwrap_or(&q);
                    let col = v[v.len() - 1].value.to_lowercase();
                    self.texts.contains(&format!("{table}.{col}")) || self.texts.contains(&col)
                }
                _ => false,
            };
            let (left_text, right_text) = (is_text_col(x_left), is_text_col(x_right));
            let as_bool = |x: &mut Expr| {
                if let Expr::Value(v) = x
                    && let sqlparser::ast::Value::Number(n, _) = &v.value
                    && (n == "0" || n == "1")
                {
                    v.value = sqlparser::ast::Value::Boolean(n == "1");
                }
            };
            if left_bool {
                as_bool(innermost(right));
            } else if right_bool {
                as_bool(innermost(left));
            }
            let as_text = |x: &mut Expr| {
                if let Expr::Value(v) = x
                    && let sqlparser::ast::Value::Number(n, _) = &v.value
                {
                    v.value = sqlparser::ast::Value::SingleQuotedString(n.clone());
                }
            };
            if matches!(
                op,
                BinaryOperator::Eq
                    | BinaryOperator::NotEq
                    | BinaryOperator::Lt
                    | BinaryOperator::LtEq
                    | BinaryOperator::Gt
                    | BinaryOperator::GtEq
            ) {
                if left_text {
                    as_text(innermost(right));
                } else if right_text {
                    as_text(innermost(left));
                }
            }
        }
        // schema.table.column: the schema as the target names it (none for the default).
        if let Expr::CompoundIdentifier(parts) = e
            && parts.len() == 3
        {
            let schema = self.names.schema(&parts[0].value);
            let table = parts[1].value.clone();
            let column = parts[2].clone();
            *e = match self.names.target {
                Dialect::Postgres => Expr::CompoundIdentifier(vec![
                    self.ident(schema),
                    self.ident(self.names.name(&table)),
                    column,
                ]),
                _ if schema.is_empty() => {
                    Expr::CompoundIdentifier(vec![self.ident(self.names.name(&table)), column])
                }
                // The table carries its own name as an alias there (see
                // pre_visit_table_factor).
                Dialect::Sqlite => {
                    Expr::CompoundIdentifier(vec![self.ident(self.names.name(&table)), column])
                }
                _ => Expr::CompoundIdentifier(vec![
                    self.ident(schema),
                    self.ident(self.names.name(&table)),
                    column,
                ]),
            };
        }
        if !self.translate {
            return ControlFlow::Continue(());
        }
        // T-SQL `+` on strings: concatenation when an operand is a string.
        if self.dialect == Some(Dialect::MsSql)
            && let Expr::BinaryOp { left, op, right } = e
            && *op == sqlparser::ast::BinaryOperator::Plus
            && (is_string(left) || is_string(right))
        {
            *op = sqlparser::ast::BinaryOperator::StringConcat;
        }
        let replacement = match e {
            // CONVERT(type, x [, style]) (T-SQL) / CONVERT(x, type) (MySQL) / CONVERT(x USING cs)
            Expr::Convert {
                expr: inner,
                data_type,
                styles,
                ..
            } => match data_type {
                None => Some((**inner).clone()),
                Some(dt) => {
                    if !styles.is_empty() {
                        self.warnings.push(format!(
                            "CONVERT style {} is not carried over: check the value's format",
                            styles
                                .iter()
                                .map(|s| s.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    expr(&format!("CAST({inner} AS {})", cast_type(&dt.to_string())))
                }
            },
            Expr::CompoundIdentifier(parts)
                if parts.len() >= 2
                    && matches!(
                        parts[parts.len() - 1].value.to_ascii_lowercase().as_str(),
                        "nextval" | "currval"
                    ) =>
            {
                let func = parts[parts.len() - 1].value.to_ascii_lowercase();
                let seq = &parts[parts.len() - 2].value;
                let schema = if parts.len() >= 3 {
                    self.names.schema(&parts[parts.len() - 3].value)
                } else {
                    self.schema.clone()
                };
                let q = self.names.qualified(&schema, seq);
                expr(&format!(
                    "{func}({})",
                    super::names::literal(self.names.target, &q)
                ))
            }
            // MySQL charset introducers: _utf8mb4'x' → 'x'
            Expr::Prefixed { prefix, value } if prefix.value.starts_with('_') => {
                Some((**value).clone())
            }
            // MySQL binary strings X'..' / 0x.. are bytes; PostgreSQL's X'..' is a bit string.
            Expr::Value(v) if matches!(&v.value, sqlparser::ast::Value::HexStringLiteral(_)) => {
                let hex = v.value.to_string();
                let hex = hex.trim_start_matches(['X', 'x']).trim_matches('\'');
                expr(&format!("decode('{hex}', 'hex')"))
            }
            // MySQL `INTERVAL expr DAY` with a computed amount.
            Expr::Interval(iv)
                if !matches!(iv.value.as_ref(), Expr::Value(_)) && iv.last_field.is_none() =>
            {
                let unit = iv
                    .leading_field
                    .as_ref()
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| "SECOND".into());
                expr(&format!("(({}) * INTERVAL '1 {unit}')", iv.value))
            }
            Expr::Identifier(i)
                if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("sysdate") =>
            {
                expr("LOCALTIMESTAMP(0)")
            }
            Expr::Identifier(i)
                if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("systimestamp") =>
            {
                expr("CURRENT_TIMESTAMP")
            }
            Expr::Function(f) => {
                let name = f.name.to_string().to_lowercase();
                let (a, clauses, distinct) = args(f);
                let sqlite_time = if self.dialect == Some(Dialect::Sqlite) {
                    super::sqlite_time::convert(&name, &a, self.names.target)
                } else {
                    None
                };
                match (name.as_str(), a.len()) {
                    _ if sqlite_time.is_some() => sqlite_time.as_deref().and_then(expr),
                    ("ifnull" | "nvl" | "isnull", 2) => {
                        expr(&format!("coalesce({}, {})", a[0], a[1]))
                    }
                    ("if" | "iif", 3) => expr(&format!(
                        "CASE WHEN {} THEN {} ELSE {} END",
                        a[0], a[1], a[2]
                    )),
                    ("ucase", 1) => expr(&format!("upper({})", a[0])),
                    ("lcase", 1) => expr(&format!("lower({})", a[0])),
                    ("len", 1) => expr(&format!("length({})", a[0])),
                    // Oracle's CURRENT_DATE is a DATE with a time of day (a timestamp here).
                    ("current_date", 0) if self.dialect == Some(Dialect::Oracle) => {
                        expr("LOCALTIMESTAMP(0)")
                    }
                    ("curdate" | "current_date", 0) => expr("CURRENT_DATE"),
                    ("curtime", 0) => expr("LOCALTIME"),
                    ("getdate" | "sysdatetime", 0) => expr("LOCALTIMESTAMP"),
                    ("getutcdate", 0) => expr("(now() AT TIME ZONE 'utc')"),
                    ("newid", 0) | ("uuid", 0) => expr("gen_random_uuid()"),
                    ("rand", 0) => expr("random()"),
                    ("to_days", 1) => {
                        expr(&format!("(({})::date - DATE '0001-01-01' + 366)", a[0]))
                    }
                    ("datediff", 2) => expr(&format!("(({})::date - ({})::date)", a[0], a[1])),
                    ("julianday", 1) => expr(&format!(
                        "(extract(epoch FROM ({})::timestamp) / 86400.0 + 2440587.5)",
                        a[0]
                    )),
                    ("nvl2", 3) => expr(&format!(
                        "CASE WHEN {} IS NOT NULL THEN {} ELSE {} END",
                        a[0], a[1], a[2]
                    )),
                    ("decode", n) if n >= 3 => {
                        let mut s = format!("CASE {}", a[0]);
                        let mut i = 1;
                        while i + 1 < n {
                            s.push_str(&format!(" WHEN {} THEN {}", a[i], a[i + 1]));
                            i += 2;
                        }
                        if i < n {
                            s.push_str(&format!(" ELSE {}", a[i]));
                        }
                        s.push_str(" END");
                        expr(&s)
                    }
                    ("group_concat", n) if n >= 1 => {
                        let mut sep = "','".to_string();
                        let mut order = String::new();
                        for c in &clauses {
                            match c {
                                FunctionArgumentClause::Separator(v) => sep = v.to_string(),
                                FunctionArgumentClause::OrderBy(o) => {
                                    order = format!(
                                        " ORDER BY {}",
                                        o.iter()
                                            .map(|x| x.to_string())
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )
                                }
                                _ => {}
                            }
                        }
                        let value = if n == 1 {
                            a[0].clone()
                        } else {
                            format!("concat({})", a.join(", "))
                        };
                        // With DISTINCT, PostgreSQL wants the ORDER BY expression to be the argument.
                        if distinct && !order.is_empty() {
                            let desc = order.to_ascii_uppercase().ends_with(" DESC");
                            order = format!(
                                " ORDER BY ({value})::text{}",
                                if desc { " DESC" } else { "" }
                            );
                        }
                        expr(&format!(
                            "string_agg({}({value})::text, {sep}{order})",
                            if distinct { "DISTINCT " } else { "" }
                        ))
                    }
                    (n, _) if SAME.contains(&n) => {
                        if n == "concat" {
                            self.warnings.push("CONCAT returns NULL when an argument is NULL in MySQL; PostgreSQL's concat() ignores NULL arguments".into());
                        }
                        None
                    }
                    (other, _) => {
                        self.warnings.push(format!(
                            "function {other}() has no known PostgreSQL equivalent; kept as written"
                        ));
                        None
                    }
                }
            }
            _ => None,
        };
        if let Some(r) = replacement {
            *e = r;
        }
        ControlFlow::Continue(())
    }
}

/// Converts the query of a view defined by `create_view_sql` (or a bare query).
pub fn convert_view(
    sql: &str,
    dialect: Dialect,
    names: &Names,
    target_schema: &str,
) -> Result<ConvertedView, String> {
    convert_view_with_booleans(sql, dialect, names, target_schema, &[], &[])
}

/// [`convert_view`], knowing which columns became boolean (`Discontinued <> 0` → `<> false`).
pub fn convert_view_with_booleans(
    sql: &str,
    dialect: Dialect,
    names: &Names,
    target_schema: &str,
    booleans: &[String],
    texts: &[String],
) -> Result<ConvertedView, String> {
    let st = match parse_one(sql, dialect) {
        Ok(st) => st,
        Err(e) => {
            // Catalog definitions are bare queries.
            match parse_one(&format!("CREATE VIEW v AS {sql}"), dialect) {
                Ok(st) => st,
                Err(_) => return Err(e),
            }
        }
    };
    let mut query = match st {
        Statement::CreateView(v) => v.query,
        Statement::Query(q) => q,
        _ => return Err("not a view".into()),
    };
    let mut r = Rewriter {
        booleans: booleans.iter().map(|b| b.to_lowercase()).collect(),
        texts: texts.iter().map(|b| b.to_lowercase()).collect(),
        aliases: if texts.is_empty() {
            Default::default()
        } else {
            table_aliases(&query)
        },
        ..Rewriter::for_dialect(names, target_schema, dialect)
    };
    let loose = if dialect == Dialect::MySql && names.target == Dialect::Postgres {
        super::group_by::loose_group_by(&query)
    } else {
        vec![]
    };
    let ControlFlow::Continue(()) = query.visit(&mut r);
    let mut warnings = r.warnings;
    if dialect != names.target {
        warnings.extend(super::finish::finish(&mut query, names.target));
    }
    if dialect == Dialect::MySql && names.target != Dialect::MySql {
        super::finish::standard_joins(&mut query);
    }
    if !loose.is_empty() {
        warnings.push(format!(
            "GROUP BY without {}: MySQL accepts such columns, PostgreSQL only when they depend on a grouped primary key",
            loose.join(", ")
        ));
    }
    warnings.sort();
    warnings.dedup();
    Ok(ConvertedView {
        query: query.to_string(),
        warnings,
    })
}

/// Rewrites one SQL statement (INSERT, UPDATE, DELETE, SELECT) of `dialect` for the target the
/// way view queries are rewritten. Returns the statement and any warnings.
pub fn convert_statement(
    sql: &str,
    dialect: Dialect,
    names: &Names,
    target_schema: &str,
) -> Result<(String, Vec<String>), String> {
    convert_statement_with_locals(sql, dialect, names, target_schema, &[])
}

/// [`convert_statement`], with relation names that are not in any schema and stay as they are
/// (a trigger's transition tables `inserted` and `deleted`).
pub fn convert_statement_with_locals(
    sql: &str,
    dialect: Dialect,
    names: &Names,
    target_schema: &str,
    locals: &[&str],
) -> Result<(String, Vec<String>), String> {
    let mut st = parse_one(sql, dialect)?;
    let mut r = Rewriter::for_dialect(names, target_schema, dialect);
    r.ctes.extend(locals.iter().map(|l| l.to_lowercase()));
    let ControlFlow::Continue(()) = st.visit(&mut r);
    let mut warnings = r.warnings;
    if dialect != names.target {
        warnings.extend(super::finish::finish(&mut st, names.target));
    }
    Ok((st.to_string(), warnings))
}

/// Rewrites an expression (a condition, a value) for the target.
pub fn convert_expression(
    sql: &str,
    dialect: Dialect,
    names: &Names,
    target_schema: &str,
) -> Result<(String, Vec<String>), String> {
    let (st, w) = convert_statement(&format!("SELECT {sql}"), dialect, names, target_schema)?;
    Ok((st.trim_start_matches("SELECT ").to_string(), w))
}

/// The aliases of a query's tables (lower case), wherever they are; an alias given to two
/// different tables is left out.
fn table_aliases(q: &Query) -> std::collections::HashMap<String, String> {
    use sqlparser::ast::{TableFactor, Visit, Visitor};
    #[derive(Default)]
    struct Aliases(std::collections::HashMap<String, Option<String>>);
    impl Visitor for Aliases {
        type Break = std::convert::Infallible;
        fn pre_visit_table_factor(&mut self, t: &TableFactor) -> ControlFlow<Self::Break> {
            if let TableFactor::Table {
                name,
                alias: Some(a),
                ..
            } = t
                && let Some(table) = name.0.last().and_then(|p| p.as_ident())
            {
                let table = table.value.to_lowercase();
                let e = self
                    .0
                    .entry(a.name.value.to_lowercase())
                    .or_insert_with(|| Some(table.clone()));
                if e.as_deref() != Some(table.as_str()) {
                    *e = None;
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = Aliases::default();
    let ControlFlow::Continue(()) = q.visit(&mut v);
    v.0.into_iter()
        .filter_map(|(a, t)| t.map(|t| (a, t)))
        .collect()
}

/// Rewrites a query in place (the VALUES or SELECT of an INSERT) and returns the warnings.
pub fn rewrite_query(
    q: &mut Query,
    dialect: Dialect,
    names: &Names,
    target_schema: &str,
) -> Vec<String> {
    let mut r = Rewriter::new(names, target_schema);
    r.translate = dialect != names.target && dialect != Dialect::Postgres;
    let ControlFlow::Continue(()) = q.visit(&mut r);
    let mut warnings = r.warnings;
    if dialect != names.target {
        warnings.extend(super::finish::finish(q, names.target));
    }
    if dialect == Dialect::MySql && names.target != Dialect::MySql {
        super::finish::standard_joins(q);
    }
    warnings
}

/// [`convert_expression`], knowing which columns became boolean (`paid = 0` → `paid = false`).
pub fn convert_expression_with_booleans(
    sql: &str,
    dialect: Dialect,
    names: &Names,
    target_schema: &str,
    booleans: &[String],
) -> Result<String, String> {
    let mut st = parse_one(&format!("SELECT {sql}"), dialect)?;
    let mut r = Rewriter {
        booleans: booleans.iter().map(|b| b.to_lowercase()).collect(),
        ..Rewriter::for_dialect(names, target_schema, dialect)
    };
    let ControlFlow::Continue(()) = st.visit(&mut r);
    if dialect != names.target {
        super::finish::finish(&mut st, names.target);
    }
    Ok(st.to_string().trim_start_matches("SELECT ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_mysql_loose_group_by_and_oracle_dates() {
        let names = Names::new(true, &Default::default());
        let v = convert_view(
            "CREATE VIEW v AS SELECT CONCAT(c.city, ',', cy.country) AS store, s.store_id, SUM(p.amount) AS total FROM payment p JOIN store s ON 1=1 JOIN city c ON 1=1 JOIN country cy ON 1=1 GROUP BY s.store_id",
            Dialect::MySql,
            &names,
            "sakila",
        )
        .unwrap();
        assert!(
            v.warnings
                .iter()
                .any(|w| w.contains("GROUP BY without c.city, cy.country")),
            "{:?}",
            v.warnings
        );
        let ok = convert_view(
            "CREATE VIEW v AS SELECT f.title, COUNT(*) FROM film f GROUP BY f.film_id",
            Dialect::MySql,
            &names,
            "s",
        )
        .unwrap();
        assert!(
            !ok.warnings.iter().any(|w| w.contains("GROUP BY")),
            "same table as the grouped key: {:?}",
            ok.warnings
        );
        let (e, _) = convert_expression("current_date", Dialect::Oracle, &names, "s").unwrap();
        assert_eq!(e, "LOCALTIMESTAMP(0)");
    }
}
