//! The last pass of expression conversion for MySQL/MariaDB and SQLite targets. Expressions are
//! first brought to one neutral, PostgreSQL-flavoured form (by [`super::view`], or as they come
//! from a PostgreSQL source); this pass rewrites what that form spells differently on the
//! target: `::` casts, `||` (OR on MySQL), ILIKE, IS [NOT] DISTINCT FROM, string_agg, LENGTH
//! (bytes on MySQL), concat's NULL handling, EXTRACT on SQLite, UUID and random functions.
//! Functions not known to exist on the target are kept and reported.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CastKind, Expr, FunctionArgumentClause, VisitMut, VisitorMut,
};
use sqlparser::dialect::{MySqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::ddl::Dialect;
mod dates;
use dates::*;

/// Functions that exist with the same meaning on MySQL/MariaDB (lower case).
const MYSQL_SAME: &[&str] = &[
    "coalesce",
    "upper",
    "lower",
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
    "left",
    "right",
    "reverse",
    "repeat",
    "exp",
    "ln",
    "sign",
    "md5",
    "char_length",
    "extract",
    "group_concat",
    "char_length",
    "localtimestamp",
    "localtime",
    "current_timestamp",
    "current_date",
    "current_time",
    "date",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "position",
    "cast",
    "if",
    "ifnull",
    "json_extract",
    "rand",
    "uuid",
    "unhex",
    "hex",
    "utc_timestamp",
    "timestampadd",
    "timestampdiff",
    "date_format",
];

/// Functions that exist with the same meaning on SQLite (lower case).
const SQLITE_SAME: &[&str] = &[
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
    "abs",
    "sum",
    "count",
    "avg",
    "min",
    "max",
    "nullif",
    "ifnull",
    "group_concat",
    "date",
    "time",
    "datetime",
    "julianday",
    "strftime",
    "instr",
    "printf",
    "format",
    "hex",
    "unhex",
    "typeof",
    "json_extract",
    "iif",
    "cast",
    "current_timestamp",
    "current_date",
    "current_time",
    "ceil",
    "ceiling",
    "floor",
    "sqrt",
    "power",
    "exp",
    "ln",
    "mod",
    "sign",
    "char",
];

fn parse(target: Dialect, sql: &str) -> Option<Expr> {
    let r = if target == Dialect::MySql {
        Parser::new(&MySqlDialect {})
            .try_with_sql(sql)
            .ok()?
            .parse_expr()
    } else {
        Parser::new(&SQLiteDialect {})
            .try_with_sql(sql)
            .ok()?
            .parse_expr()
    };
    r.ok()
}

/// The target's spelling of a cast to `ty` (a PostgreSQL type name), as a format with `{}`
/// for the value.
fn cast(target: Dialect, ty: &str) -> String {
    let t = ty.to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or_default().trim();
    let params = t.find('(').map(|p| &ty[p..]).unwrap_or("");
    if target == Dialect::MySql {
        match base {
            "text" | "varchar" | "character varying" | "char" | "character" | "bpchar" | "uuid"
            | "interval" | "name" | "citext" => "CAST({} AS CHAR)".into(),
            "smallint" | "integer" | "int" | "int2" | "int4" | "int8" | "bigint" => {
                "CAST({} AS SIGNED)".into()
            }
            "numeric" | "decimal" => format!("CAST({{}} AS DECIMAL{params})"),
            "date" => "CAST({} AS DATE)".into(),
            "time" | "time without time zone" | "time with time zone" => "CAST({} AS TIME)".into(),
            b if b.starts_with("timestamp") => "CAST({} AS DATETIME(6))".into(),
            "datetime" => format!("CAST({{}} AS DATETIME{params})"),
            "real" | "float4" | "double precision" | "float8" | "float" => {
                "CAST({} AS DOUBLE)".into()
            }
            "boolean" | "bool" => "({} <> 0)".into(),
            // MariaDB has no CAST(... AS JSON); JSON_EXTRACT(x, '$') reads the same JSON on
            // both (and refuses what is not JSON, as PostgreSQL's cast does).
            "json" | "jsonb" => "JSON_EXTRACT({}, '$')".into(),
            "bytea" => "CAST({} AS BINARY)".into(),
            _ => "{}".into(),
        }
    } else {
        match base {
            "text" | "varchar" | "character varying" | "char" | "character" | "bpchar" | "uuid"
            | "interval" | "name" | "citext" | "json" | "jsonb" => "CAST({} AS TEXT)".into(),
            "smallint" | "integer" | "int" | "int2" | "int4" | "int8" | "bigint" | "boolean"
            | "bool" => "CAST({} AS INTEGER)".into(),
            "numeric" | "decimal" => "CAST({} AS NUMERIC)".into(),
            "date" => "date({})".into(),
            "time" | "time without time zone" | "time with time zone" => "time({})".into(),
            b if b.starts_with("timestamp") || b == "datetime" => "datetime({})".into(),
            "real" | "float4" | "double precision" | "float8" | "float" => {
                "CAST({} AS REAL)".into()
            }
            "bytea" => "CAST({} AS BLOB)".into(),
            _ => "{}".into(),
        }
    }
}

struct Finisher {
    target: Dialect,
    warnings: Vec<String>,
}

impl Finisher {
    fn replacement(&mut self, e: &Expr) -> Option<String> {
        let target = self.target;
        let my = target == Dialect::MySql;
        Some(match e {
            Expr::Cast {
                kind: kind @ (CastKind::DoubleColon | CastKind::Cast),
                expr,
                data_type,
                ..
            } => {
                let f = cast(target, &data_type.to_string());
                let ty = data_type.to_string().to_ascii_lowercase();
                let base = ty.split('(').next().unwrap_or_default().trim();
                // CAST(x AS name) the target reads as it is: any name on SQLite (its affinity
                // rules), MySQL's own cast types on MySQL.
                let readable = *kind == CastKind::Cast
                    && (!my
                        || [
                            "signed", "unsigned", "binary", "char", "nchar", "double", "float",
                        ]
                        .contains(&base));
                if f == "{}" && readable {
                    return None;
                }
                if f == "{}" {
                    // A type the target does not have (an enum or domain of the source's, a
                    // reg* type): the value as it is, which the target compares as text.
                    self.warnings.push(format!(
                        "cast to {data_type} left out: {} has no such type",
                        target.label()
                    ));
                    return Some(match expr.as_ref() {
                        Expr::Value(_)
                        | Expr::Identifier(_)
                        | Expr::CompoundIdentifier(_)
                        | Expr::Function(_)
                        | Expr::Nested(_) => expr.to_string(),
                        _ => format!("({expr})"),
                    });
                }
                let text_cast = f.ends_with("AS CHAR)") || f.ends_with("AS TEXT)");
                match expr.as_ref() {
                    // A string literal is text already.
                    Expr::Value(v)
                        if text_cast
                            && matches!(v.value, sqlparser::ast::Value::SingleQuotedString(_)) =>
                    {
                        expr.to_string()
                    }
                    Expr::Value(_)
                    | Expr::Identifier(_)
                    | Expr::CompoundIdentifier(_)
                    | Expr::Function(_)
                    | Expr::Nested(_) => f.replace("{}", &expr.to_string()),
                    _ => f.replace("{}", &format!("({expr})")),
                }
            }
            Expr::BinaryOp {
                left,
                op: BinaryOperator::StringConcat,
                right,
            } if my => {
                let mut parts = vec![];
                concat_operands(left, &mut parts);
                concat_operands(right, &mut parts);
                format!("CONCAT({})", parts.join(", "))
            }
            // PostgreSQL arrays are JSON arrays on the other targets (how columns of array
            // types are stored there).
            Expr::Array(a) => format!(
                "{}({})",
                if my { "JSON_ARRAY" } else { "json_array" },
                a.elem
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            // PostgreSQL's regular expression matches: MySQL's REGEXP (PCRE on MariaDB, ICU on
            // MySQL 8), case-sensitive as `~` is by the `(?-i)` flag both read.
            Expr::BinaryOp { left, op, right }
                if my
                    && matches!(
                        op,
                        BinaryOperator::PGRegexMatch
                            | BinaryOperator::PGRegexIMatch
                            | BinaryOperator::PGRegexNotMatch
                            | BinaryOperator::PGRegexNotIMatch
                    ) =>
            {
                let flag = if matches!(
                    op,
                    BinaryOperator::PGRegexMatch | BinaryOperator::PGRegexNotMatch
                ) {
                    "(?-i)"
                } else {
                    "(?i)"
                };
                let not = if matches!(
                    op,
                    BinaryOperator::PGRegexNotMatch | BinaryOperator::PGRegexNotIMatch
                ) {
                    "NOT "
                } else {
                    ""
                };
                let pattern = match right.as_ref() {
                    Expr::Value(v) => match &v.value {
                        sqlparser::ast::Value::SingleQuotedString(p) => {
                            // Printed by sqlparser, which owns the quoting of literals.
                            Expr::value(sqlparser::ast::Value::SingleQuotedString(format!(
                                "{flag}{p}"
                            )))
                            .to_string()
                        }
                        _ => format!("CONCAT('{flag}', {right})"),
                    },
                    _ => format!("CONCAT('{flag}', {right})"),
                };
                format!("({left} {not}REGEXP {pattern})")
            }
            Expr::ILike {
                negated,
                expr,
                pattern,
                ..
            } => format!(
                "lower({expr}) {}LIKE lower({pattern})",
                if *negated { "NOT " } else { "" }
            ),
            // x = ANY (ARRAY[a, b]) (how PostgreSQL shows IN lists) → x IN (a, b)
            // x = ANY (ARRAY[a, b]) → x IN (a, b); x <> ALL (ARRAY[a, b]) → x NOT IN (a, b)
            Expr::AnyOp {
                left,
                compare_op: BinaryOperator::Eq,
                right,
                ..
            }
            | Expr::AllOp {
                left,
                compare_op: BinaryOperator::NotEq,
                right,
            } => {
                let not = if matches!(e, Expr::AllOp { .. }) {
                    "NOT "
                } else {
                    ""
                };
                let mut inner: &Expr = right;
                while let Expr::Nested(i) | Expr::Cast { expr: i, .. } = inner {
                    inner = i;
                }
                let Expr::Array(a) = inner else { return None };
                let mut l: &Expr = left;
                while let Expr::Nested(i) | Expr::Cast { expr: i, .. } = l {
                    l = i;
                }
                let items: Vec<String> = a
                    .elem
                    .iter()
                    .map(|e| {
                        let mut e: &Expr = e;
                        while let Expr::Cast { expr: i, .. } = e {
                            e = i;
                        }
                        e.to_string()
                    })
                    .collect();
                format!("{l} {not}IN ({})", items.join(", "))
            }
            Expr::IsNotDistinctFrom(a, b) if my => format!("({a} <=> {b})"),
            Expr::IsDistinctFrom(a, b) if my => format!("(NOT ({a} <=> {b}))"),
            Expr::IsNotDistinctFrom(a, b) => format!("({a} IS {b})"),
            Expr::IsDistinctFrom(a, b) => format!("({a} IS NOT {b})"),
            // Seconds since 1970 (TO_SECONDS is deterministic, so generated columns may use it).
            Expr::Extract { field, expr, .. }
                if my && field.to_string().eq_ignore_ascii_case("epoch") =>
            {
                format!("(TO_SECONDS({expr}) - 62167219200)")
            }
            Expr::Extract { field, expr, .. } if !my => {
                let f = match field.to_string().to_ascii_lowercase().as_str() {
                    "year" => "%Y",
                    "month" => "%m",
                    "day" => "%d",
                    "hour" => "%H",
                    "minute" => "%M",
                    "second" => "%S",
                    "dow" => "%w",
                    "doy" => "%j",
                    "epoch" => "%s",
                    other => {
                        self.warnings.push(format!(
                            "EXTRACT({other} ...) has no SQLite equivalent; kept as written"
                        ));
                        return None;
                    }
                };
                format!("CAST(strftime('{f}', {expr}) AS INTEGER)")
            }
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                special: false,
                ..
            } if !my => {
                let from = substring_from
                    .as_ref()
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| "1".into());
                match substring_for {
                    Some(n) => format!("substr({expr}, {from}, {n})"),
                    None => format!("substr({expr}, {from})"),
                }
            }
            Expr::Position { expr, r#in } if !my => format!("instr({in}, {expr})", in = r#in),
            Expr::Function(f) => {
                let name = f.name.to_string().to_lowercase();
                let (args, clauses, distinct) = function_args(f);
                let d = if distinct { "DISTINCT " } else { "" };
                match (name.as_str(), args.len()) {
                    ("string_agg", 2) => {
                        let order = clauses.iter().find_map(|c| match c {
                            FunctionArgumentClause::OrderBy(o) => Some(
                                o.iter()
                                    .map(|x| x.to_string())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            ),
                            _ => None,
                        });
                        let order = order.map(|o| format!(" ORDER BY {o}")).unwrap_or_default();
                        if my {
                            format!("GROUP_CONCAT({d}{}{order} SEPARATOR {})", args[0], args[1])
                        } else {
                            // ORDER BY inside an aggregate needs SQLite 3.44; older tools
                            // could not even open a file whose views use it.
                            if !order.is_empty() {
                                self.warnings.push("group_concat on SQLite (before 3.44) takes no ORDER BY: the order of the concatenated values is not guaranteed".into());
                            }
                            if distinct {
                                format!("group_concat(DISTINCT {})", args[0])
                            } else {
                                format!("group_concat({}, {})", args[0], args[1])
                            }
                        }
                    }
                    ("length", 1) if my => format!("CHAR_LENGTH({})", args[0]),
                    ("btrim", 1) => format!("trim({})", args[0]),
                    ("btrim", 2) if my => format!("TRIM(BOTH {} FROM {})", args[1], args[0]),
                    ("btrim", 2) => format!("trim({}, {})", args[0], args[1]),
                    ("concat", _) if my => format!("CONCAT_WS('', {})", args.join(", ")),
                    // concat() needs SQLite 3.44: || with NULLs read as '' means the same.
                    ("concat", n) if n > 0 => args
                        .iter()
                        .map(|a| {
                            if a.starts_with('\'') && a.ends_with('\'') {
                                a.clone()
                            } else {
                                format!("coalesce({a}, '')")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" || "),
                    ("now", 0) if !my => "CURRENT_TIMESTAMP".into(),
                    ("localtimestamp", 0) if !my => "datetime('now', 'localtime')".into(),
                    ("localtime", 0) if !my => "time('now', 'localtime')".into(),
                    ("gen_random_uuid" | "uuid_generate_v4", 0) if my => "UUID()".into(),
                    ("random", 0) if my => "RAND()".into(),
                    ("decode", 2) if args[1].eq_ignore_ascii_case("'hex'") => {
                        format!("unhex({})", args[0])
                    }
                    ("char_length" | "character_length", 1) if !my => {
                        format!("length({})", args[0])
                    }
                    // A MySQL point literal as the standard WKB bytes SQLite can keep.
                    ("point", 2) if !my => {
                        let (Ok(x), Ok(y)) = (args[0].parse::<f64>(), args[1].parse::<f64>())
                        else {
                            return None;
                        };
                        let mut wkb = vec![1u8, 1, 0, 0, 0];
                        wkb.extend(x.to_le_bytes());
                        wkb.extend(y.to_le_bytes());
                        format!(
                            "X'{}'",
                            wkb.iter().map(|b| format!("{b:02X}")).collect::<String>()
                        )
                    }
                    ("chr", 1) => match args[0].parse::<u32>().ok().and_then(char::from_u32) {
                        Some(c) => crate::conversion::names::literal(
                            if my {
                                Dialect::MySql
                            } else {
                                Dialect::Postgres
                            },
                            &c.to_string(),
                        ),
                        None if my => format!("CHAR({} USING utf8mb4)", args[0]),
                        None => format!("char({})", args[0]),
                    },
                    ("to_date" | "to_timestamp", 2) => {
                        if let Some(v) = fold_date(&args[0], &args[1]) {
                            format!("'{v}'")
                        } else if my {
                            format!("STR_TO_DATE({}, '{}')", args[0], mysql_format(&args[1]))
                        } else {
                            self.warnings.push(format!(
                                "{name}() with a computed value: read as an ISO date by datetime(); check the format {}",
                                args[1]
                            ));
                            format!("datetime({})", args[0])
                        }
                    }
                    (n, _) => {
                        let known = if my { MYSQL_SAME } else { SQLITE_SAME };
                        if !known.contains(&n) {
                            self.warnings.push(format!(
                                "function {n}() may not exist on {}; kept as written",
                                target.label()
                            ));
                        }
                        return None;
                    }
                }
            }
            _ => return None,
        })
    }
}

/// The operands of nested concatenations, flattened: `CONCAT(CONCAT(a, b), c)` → a, b, c.
fn concat_operands(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Nested(inner) => concat_operands(inner, out),
        Expr::Function(f) if f.name.to_string() == "CONCAT" => {
            out.extend(function_args(f).0);
        }
        other => out.push(other.to_string()),
    }
}

fn function_args(f: &sqlparser::ast::Function) -> (Vec<String>, Vec<FunctionArgumentClause>, bool) {
    use sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArguments};
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

impl VisitorMut for Finisher {
    type Break = std::convert::Infallible;

    /// `x = ANY (ARRAY[a, b])` becomes `x IN (a, b)` before its array is visited (which alone
    /// would become a JSON array).
    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<Self::Break> {
        if matches!(e, Expr::AnyOp { .. } | Expr::AllOp { .. })
            && let Some(text) = self.replacement(e)
            && let Some(new) = parse(self.target, &text)
        {
            *e = new;
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<Self::Break> {
        // Catalog definitions quote some built-in function names ("substring"): a quoted name
        // is a user function on MySQL.
        if let Expr::Function(f) = e
            && let [sqlparser::ast::ObjectNamePart::Identifier(i)] = f.name.0.as_mut_slice()
            && i.quote_style.is_some()
            && (MYSQL_SAME.contains(&i.value.to_lowercase().as_str())
                || SQLITE_SAME.contains(&i.value.to_lowercase().as_str()))
        {
            i.quote_style = None;
        }
        if let Some(text) = self.replacement(e) {
            match parse(self.target, &text) {
                Some(new) => *e = new,
                None => self.warnings.push(format!(
                    "{e} could not be rewritten for {}; kept as written",
                    self.target.label()
                )),
            }
        }
        ControlFlow::Continue(())
    }
}

/// Rewrites a neutral (PostgreSQL-flavoured) statement or query for `target` in place; returns
/// the warnings. Does nothing for a PostgreSQL target.
pub fn finish<V: VisitMut>(node: &mut V, target: Dialect) -> Vec<String> {
    if !matches!(target, Dialect::MySql | Dialect::Sqlite) {
        return vec![];
    }
    let mut f = Finisher {
        target,
        warnings: vec![],
    };
    let ControlFlow::Continue(()) = node.visit(&mut f);
    f.warnings
}

/// MySQL's `STRAIGHT_JOIN` (an inner join that fixes the join order) as a plain inner join,
/// for targets that do not know it.
pub fn standard_joins<V: VisitMut>(node: &mut V) {
    use sqlparser::ast::{JoinOperator, Query, SetExpr, TableFactor, TableWithJoins, VisitorMut};
    fn tables(t: &mut TableWithJoins) {
        if let TableFactor::NestedJoin {
            table_with_joins, ..
        } = &mut t.relation
        {
            tables(table_with_joins);
        }
        for j in &mut t.joins {
            if let JoinOperator::StraightJoin(c) = &j.join_operator {
                j.join_operator = JoinOperator::Inner(c.clone());
            }
            if let TableFactor::NestedJoin {
                table_with_joins, ..
            } = &mut j.relation
            {
                tables(table_with_joins);
            }
        }
    }
    fn set(e: &mut SetExpr) {
        match e {
            SetExpr::Select(s) => s.from.iter_mut().for_each(tables),
            SetExpr::SetOperation { left, right, .. } => {
                set(left);
                set(right);
            }
            _ => {}
        }
    }
    struct Joins;
    impl VisitorMut for Joins {
        type Break = std::convert::Infallible;
        fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<Self::Break> {
            set(&mut q.body);
            ControlFlow::Continue(())
        }
    }
    let ControlFlow::Continue(()) = node.visit(&mut Joins);
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;

    fn fin(sql: &str, target: Dialect) -> String {
        let mut st = Parser::parse_sql(&PostgreSqlDialect {}, &format!("SELECT {sql}"))
            .unwrap()
            .remove(0);
        finish(&mut st, target);
        st.to_string().trim_start_matches("SELECT ").to_string()
    }

    #[test]
    fn postgres_expressions_for_mysql() {
        assert_eq!(
            fin("first_name || ' ' || last_name", Dialect::MySql),
            "CONCAT(first_name, ' ', last_name)"
        );
        assert_eq!(fin("amount::text", Dialect::MySql), "CAST(amount AS CHAR)");
        assert_eq!(fin("'x'::text", Dialect::MySql), "'x'");
        assert_eq!(
            fin(
                "(rating)::text = ANY ((ARRAY['G'::character varying, 'PG'::character varying])::text[])",
                Dialect::Sqlite
            ),
            "rating IN ('G', 'PG')"
        );
        assert_eq!(
            fin("string_agg(name, ', ' ORDER BY name)", Dialect::MySql),
            "GROUP_CONCAT(name ORDER BY name SEPARATOR ', ')"
        );
        assert_eq!(fin("length(title)", Dialect::MySql), "CHAR_LENGTH(title)");
        assert_eq!(
            fin(
                "to_date('1962-2-18 00:00:00', 'yyyy-mm-dd hh24:mi:ss')",
                Dialect::Sqlite
            ),
            "'1962-02-18 00:00:00'"
        );
        assert_eq!(
            fin("'AC' || chr(47) || 'DC'", Dialect::Sqlite),
            "'AC' || '/' || 'DC'"
        );
        assert_eq!(
            fin("title ILIKE '%x%'", Dialect::MySql),
            "lower(title) LIKE lower('%x%')"
        );
    }

    #[test]
    fn postgres_casts_to_types_the_target_lacks_and_regex_matches() {
        assert_eq!(
            fin("(status)::public.quote_status = 'x'", Dialect::MySql),
            "(status) = 'x'"
        );
        assert_eq!(
            fin("code ~ '^[a-z]{1,3}$'", Dialect::MySql),
            "(code REGEXP '(?-i)^[a-z]{1,3}$')"
        );
        assert_eq!(
            fin("code !~* p", Dialect::MySql),
            "(code NOT REGEXP CONCAT('(?i)', p))"
        );
    }

    #[test]
    fn postgres_arrays_become_json_arrays_or_in_lists() {
        assert_eq!(fin("ARRAY['a', x]", Dialect::Sqlite), "json_array('a', x)");
        assert_eq!(fin("ARRAY[1, 2]", Dialect::MySql), "JSON_ARRAY(1, 2)");
        assert_eq!(fin("s = ANY (ARRAY[1, 2])", Dialect::Sqlite), "s IN (1, 2)");
        assert_eq!(
            fin("s <> ALL (ARRAY[101, 300])", Dialect::MySql),
            "s NOT IN (101, 300)"
        );
    }

    #[test]
    fn postgres_expressions_for_sqlite() {
        assert_eq!(
            fin("a || b", Dialect::Sqlite),
            "a || b",
            "|| is concatenation in SQLite"
        );
        assert_eq!(
            fin("EXTRACT(YEAR FROM rental_date)", Dialect::Sqlite),
            "CAST(strftime('%Y', rental_date) AS INTEGER)"
        );
        assert_eq!(fin("d::date", Dialect::Sqlite), "date(d)");
        assert_eq!(
            fin("string_agg(x, ',')", Dialect::Sqlite),
            "group_concat(x, ',')"
        );
    }
}
