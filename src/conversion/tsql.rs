//! T-SQL procedures, scalar functions and triggers into PL/pgSQL. The body is read statement by
//! statement with sqlparser's SQL Server dialect (T-SQL needs no `;` between statements) and
//! written again: `@variables` become `_variables` (so they never clash with column names),
//! DECLARE / SET / `SELECT @v = ...` / IF-ELSE / WHILE / RETURN / PRINT / RAISERROR and the
//! DML statements carry over; a SELECT that returns rows to the caller becomes a cursor opened
//! on an INOUT refcursor parameter (`result1`, `result2`...), as AWS SCT does; `SET ROWCOUNT n`
//! limits the next query. Triggers become statement-level PostgreSQL triggers whose transition
//! tables are named `inserted` and `deleted`, so their queries read as they did, one trigger
//! per event (PostgreSQL allows transition tables for one event only). Anything else is
//! refused with the reason.

use sqlparser::ast::{
    ConditionalStatements, Expr, ReturnStatementValue, SelectItem, SetExpr, Statement,
};
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::names::Names;
use super::rules::RuleSet;
use super::view::{convert_expression, convert_statement_with_locals};
use crate::ddl::Dialect;

/// What the body is for: RETURN means different things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Procedure,
    Function,
    Trigger,
}

/// A converted body.
#[derive(Debug, Default)]
pub struct Body {
    pub declare: Vec<String>,
    pub statements: Vec<String>,
    pub warnings: Vec<String>,
    /// Result sets returned to the caller: refcursor parameters to add.
    pub result_sets: usize,
}

/// `@name` → `_name` outside quotes (`@@ROWCOUNT` and friends are left alone).
pub fn variables(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '[' => {
                quote = Some(']');
                out.push(c);
            }
            None if c == '@' && chars.get(i + 1) == Some(&'@') => {
                out.push_str("@@");
                i += 1;
            }
            None if c == '@' => {
                out.push('_');
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    out.extend(chars[i].to_lowercase());
                    i += 1;
                }
                continue;
            }
            None => out.push(c),
        }
        i += 1;
    }
    out
}

/// Reads the statements of a T-SQL body.
fn parse(body: &str) -> Result<Vec<Statement>, String> {
    // A bare RETURN at the end of a line ends its statement (sqlparser would take the next
    // statement's first word as the value).
    let body: String = body
        .lines()
        .map(|l| {
            let up = l.trim_end().to_ascii_uppercase();
            if up.ends_with(" RETURN") || up.trim() == "RETURN" {
                format!("{};", l.trim_end())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let d = MsSqlDialect {};
    let mut p = Parser::new(&d)
        .try_with_sql(&body)
        .map_err(|e| e.to_string())?;
    let mut out = vec![];
    loop {
        while p.consume_token(&Token::SemiColon) {}
        if p.peek_token().token == Token::EOF {
            break;
        }
        // SET NOCOUNT / SET ROWCOUNT n / SET ANSI_... are session settings.
        if p.peek_token().token.to_string().eq_ignore_ascii_case("SET")
            && let Some(w) = p
                .peek_nth_token(1)
                .token
                .to_string()
                .to_ascii_uppercase()
                .into()
            && matches!(
                w.as_str(),
                "NOCOUNT" | "ROWCOUNT" | "XACT_ABORT" | "ANSI_NULLS" | "QUOTED_IDENTIFIER"
            )
        {
            p.next_token();
            p.next_token();
            let arg = p.next_token().token.to_string();
            if w == "ROWCOUNT" {
                out.push(Statement::Comment {
                    object_type: sqlparser::ast::CommentObject::Table,
                    object_name: sqlparser::ast::ObjectName(vec![]),
                    comment: Some(format!("ROWCOUNT {arg}")),
                    if_exists: false,
                });
            }
            continue;
        }
        out.push(p.parse_statement().map_err(|e| e.to_string())?);
    }
    Ok(out)
}

struct Cx<'a> {
    names: &'a Names,
    schema: &'a str,
    rules: &'a RuleSet,
    context: Context,
    out: Body,
    /// SET ROWCOUNT n in effect.
    rowcount: Option<String>,
    /// A RAISERROR was just written: the ROLLBACK after it is implied.
    raised: bool,
}

impl Cx<'_> {
    fn expr(&mut self, e: &str) -> Result<String, String> {
        let (e, w) = convert_expression(&variables(e), Dialect::MsSql, self.names, self.schema)?;
        self.out.warnings.extend(w);
        Ok(e)
    }

    fn statement(&mut self, s: &str) -> Result<String, String> {
        // A trigger's transition tables are not in a schema.
        let locals: &[&str] = if self.context == Context::Trigger {
            &["inserted", "deleted"]
        } else {
            &[]
        };
        let (s, w) = convert_statement_with_locals(
            &variables(s),
            Dialect::MsSql,
            self.names,
            self.schema,
            locals,
        )?;
        self.out.warnings.extend(w);
        Ok(s)
    }

    fn block(&mut self, c: &ConditionalStatements, pad: usize) -> Result<Vec<String>, String> {
        let statements = match c {
            ConditionalStatements::Sequence { statements } => statements.clone(),
            ConditionalStatements::BeginEnd(b) => b.statements.clone(),
        };
        let mut out = vec![];
        for s in &statements {
            out.extend(self.convert(s, pad)?);
        }
        Ok(out)
    }

    fn convert(&mut self, st: &Statement, pad: usize) -> Result<Vec<String>, String> {
        let ind = " ".repeat(pad);
        let raised = std::mem::take(&mut self.raised);
        Ok(match st {
            Statement::Comment {
                comment: Some(c), ..
            } if c.starts_with("ROWCOUNT ") => {
                let n = c[9..].trim().to_string();
                self.rowcount = (n != "0").then_some(n);
                vec![]
            }
            Statement::Declare { stmts } => {
                for d in stmts {
                    let ty = d
                        .data_type
                        .as_ref()
                        .ok_or("DECLARE without a type (cursors and table variables are not converted yet)")?;
                    let t = self
                        .rules
                        .map_type(&crate::sqltext::parse_declared_type(&ty.to_string()))
                        .map(|x| x.0)
                        .ok_or_else(|| format!("no mapping for the variable type {ty}"))?;
                    let init = match &d.assignment {
                        Some(a) => {
                            let text = a.to_string();
                            let text = text.trim_start_matches('=').trim_start_matches("DEFAULT");
                            format!(" := {}", self.expr(text.trim())?)
                        }
                        None => String::new(),
                    };
                    for n in &d.names {
                        self.out
                            .declare
                            .push(format!("{} {t}{init};", variables(&n.value)));
                    }
                }
                vec![]
            }
            Statement::Set(set) => {
                let text = variables(&set.to_string());
                let text = text.trim_start_matches("SET ").trim();
                let (lhs, rhs) = text
                    .split_once('=')
                    .ok_or_else(|| format!("unreadable SET: {set}"))?;
                if !lhs.trim().starts_with('_') {
                    return Err(format!("SET {lhs} (a session option) is not converted"));
                }
                let rhs = self.expr(rhs.trim())?;
                vec![format!("{ind}{} := {rhs};", lhs.trim())]
            }
            Statement::Query(q) => {
                // SELECT @a = x, @b = y FROM ...: an assignment.
                if let SetExpr::Select(sel) = q.body.as_ref() {
                    let targets: Vec<Option<(String, String)>> = sel
                        .projection
                        .iter()
                        .map(|p| match p {
                            SelectItem::ExprWithAlias { expr, alias }
                                if alias.value.starts_with('@') =>
                            {
                                Some((variables(&alias.value), expr.to_string()))
                            }
                            _ => None,
                        })
                        .collect();
                    if !targets.is_empty() && targets.iter().all(Option::is_some) {
                        let (vars, exprs): (Vec<String>, Vec<String>) =
                            targets.into_iter().flatten().unzip();
                        let mut q2 = q.clone();
                        if let SetExpr::Select(s2) = q2.body.as_mut() {
                            s2.projection = exprs
                                .iter()
                                .map(|e| {
                                    SelectItem::UnnamedExpr(Expr::Identifier(
                                        sqlparser::ast::Ident::new(e.clone()),
                                    ))
                                })
                                .collect();
                        }
                        let sql = self.statement(&q2.to_string())?;
                        let sql =
                            sql.replacen(" FROM ", &format!(" INTO {} FROM ", vars.join(", ")), 1);
                        let sql = if sql.contains(" INTO ") {
                            sql
                        } else {
                            format!("{sql} INTO {}", vars.join(", "))
                        };
                        return Ok(vec![format!("{ind}{sql};")]);
                    }
                }
                if self.context != Context::Procedure {
                    return Err("a SELECT that returns rows is not converted here".into());
                }
                self.out.result_sets += 1;
                let mut sql = self.statement(&st.to_string())?;
                if let Some(n) = &self.rowcount
                    && !sql.to_ascii_uppercase().contains(" LIMIT ")
                {
                    sql.push_str(&format!(" LIMIT {n}"));
                }
                vec![format!(
                    "{ind}OPEN result{} FOR {sql};",
                    self.out.result_sets
                )]
            }
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
                vec![format!("{ind}{};", self.statement(&st.to_string())?)]
            }
            Statement::If(i) => {
                let mut out = vec![];
                let cond = self.expr(
                    &i.if_block
                        .condition
                        .as_ref()
                        .ok_or("IF without a condition")?
                        .to_string(),
                )?;
                out.push(format!("{ind}IF {cond} THEN"));
                out.extend(self.block(&i.if_block.conditional_statements, pad + 4)?);
                for b in &i.elseif_blocks {
                    let c = self.expr(
                        &b.condition
                            .as_ref()
                            .ok_or("ELSE IF without a condition")?
                            .to_string(),
                    )?;
                    out.push(format!("{ind}ELSIF {c} THEN"));
                    out.extend(self.block(&b.conditional_statements, pad + 4)?);
                }
                if let Some(b) = &i.else_block {
                    // ELSE IF ...: sqlparser keeps it as a nested IF inside ELSE.
                    out.push(format!("{ind}ELSE"));
                    out.extend(self.block(&b.conditional_statements, pad + 4)?);
                }
                out.push(format!("{ind}END IF;"));
                out
            }
            Statement::While(w) => {
                let b = &w.while_block;
                let cond = self.expr(
                    &b.condition
                        .as_ref()
                        .ok_or("WHILE without a condition")?
                        .to_string(),
                )?;
                let mut out = vec![format!("{ind}WHILE {cond} LOOP")];
                out.extend(self.block(&b.conditional_statements, pad + 4)?);
                out.push(format!("{ind}END LOOP;"));
                out
            }
            Statement::RaisError {
                message,
                severity,
                arguments,
                ..
            } => {
                let msg = message.to_string();
                let pg = msg
                    .replace("%d", "%")
                    .replace("%s", "%")
                    .replace("%i", "%")
                    .replace("%u", "%");
                let mut args = vec![];
                for a in arguments {
                    args.push(self.expr(&a.to_string())?);
                }
                let level = if severity.to_string().parse::<i64>().unwrap_or(16) > 10 {
                    self.raised = true;
                    "EXCEPTION"
                } else {
                    "NOTICE"
                };
                let args = if args.is_empty() {
                    String::new()
                } else {
                    format!(", {}", args.join(", "))
                };
                vec![format!("{ind}RAISE {level} {pg}{args};")]
            }
            Statement::Rollback { .. } if self.context == Context::Trigger => {
                if raised {
                    // The exception just raised already undoes the statement.
                    vec![]
                } else {
                    vec![format!(
                        "{ind}RAISE EXCEPTION 'the trigger rolled the change back';"
                    )]
                }
            }
            Statement::Return(r) => match (&r.value, self.context) {
                (None, Context::Trigger) => vec![format!("{ind}RETURN NULL;")],
                (None, _) => vec![format!("{ind}RETURN;")],
                (Some(ReturnStatementValue::Expr(e)), Context::Function) => {
                    vec![format!("{ind}RETURN {};", self.expr(&e.to_string())?)]
                }
                (Some(_), _) => {
                    return Err("RETURN with a status code is not converted".into());
                }
            },
            Statement::Print(p) => {
                vec![format!(
                    "{ind}RAISE NOTICE '%', {};",
                    self.expr(&p.message.to_string())?
                )]
            }
            other => {
                let text = other.to_string();
                let first = text.split_whitespace().next().unwrap_or("statement");
                return Err(format!("{first} is not converted yet"));
            }
        })
    }
}

/// Converts a T-SQL body (the text after AS).
pub fn convert_body(
    body: &str,
    context: Context,
    names: &Names,
    schema: &str,
    rules: &RuleSet,
) -> Result<Body, String> {
    let mut statements = parse(body)?;
    let mut cx = Cx {
        names,
        schema,
        rules,
        context,
        out: Body::default(),
        rowcount: None,
        raised: false,
    };
    // `IF @@ROWCOUNT = 0 RETURN` at the top of a trigger: no rows, nothing to do; the
    // statement-level trigger simply finds empty transition tables.
    if context == Context::Trigger
        && let Some(Statement::If(i)) = statements.first()
        && i.if_block.condition.as_ref().is_some_and(|c| {
            c.to_string()
                .replace(' ', "")
                .eq_ignore_ascii_case("@@ROWCOUNT=0")
        })
    {
        statements.remove(0);
    }
    for st in &statements {
        let lines = match st {
            Statement::StartTransaction { .. } | Statement::Commit { .. }
                if context == Context::Procedure =>
            {
                vec![]
            }
            _ => cx.convert(st, 0)?,
        };
        cx.out.statements.extend(lines);
    }
    for st in &cx.out.statements {
        if st.contains("@@") {
            return Err(format!("system variable in: {st}"));
        }
    }
    Ok(cx.out)
}

/// `CREATE PROCEDURE name @a int = 0, @b varchar(10) OUTPUT AS body` → parameters (mode, name,
/// type, default) and the body.
pub type Parameter = (String, String, String, Option<String>);

/// Reads a T-SQL procedure or function header.
pub fn header(text: &str) -> Result<(Vec<Parameter>, Option<String>, String), String> {
    let text = super::procedural::strip_comments(text);
    let upper = text.to_ascii_uppercase();
    let kw = crate::sqltext::find_keyword(&upper, "PROCEDURE", 0)
        .map(|p| p + 9)
        .or_else(|| crate::sqltext::find_keyword(&upper, "PROC", 0).map(|p| p + 4))
        .or_else(|| crate::sqltext::find_keyword(&upper, "FUNCTION", 0).map(|p| p + 8))
        .ok_or("not a procedure or function")?;
    let as_pos = crate::sqltext::find_keyword(&upper, "AS", kw).ok_or("no AS before the body")?;
    let head = &text[kw..as_pos];
    // The name: first token (quoted or not), then the parameters.
    let head = head.trim_start();
    let name_end = if head.starts_with('"') || head.starts_with('[') {
        let close = if head.starts_with('[') { ']' } else { '"' };
        head[1..].find(close).map(|p| p + 2).unwrap_or(head.len())
    } else {
        head.find(|c: char| c.is_whitespace() || c == '(' || c == '@')
            .unwrap_or(head.len())
    };
    let mut rest = head[name_end..].trim().to_string();
    let returns = crate::sqltext::find_keyword(&rest.to_ascii_uppercase(), "RETURNS", 0).map(|r| {
        let t = rest[r + 7..].trim().to_string();
        rest.truncate(r);
        t
    });
    // WITH RECOMPILE / ENCRYPTION / EXECUTE AS ...
    if let Some(w) = crate::sqltext::find_keyword(&rest.to_ascii_uppercase(), "WITH", 0) {
        rest.truncate(w);
    }
    let rest = rest.trim();
    let rest = if rest.starts_with('(') && rest.ends_with(')') {
        &rest[1..rest.len() - 1]
    } else {
        rest
    };
    let mut params = vec![];
    for p in crate::sqltext::split_top_level(rest) {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let (decl, default) = match p.find('=') {
            Some(e) => (p[..e].trim(), Some(p[e + 1..].trim().to_string())),
            None => (p, None),
        };
        let mut words: Vec<&str> = decl.split_whitespace().collect();
        let mut mode = "IN".to_string();
        if let Some(last) = words.last()
            && matches!(last.to_ascii_uppercase().as_str(), "OUTPUT" | "OUT")
        {
            mode = "INOUT".into();
            words.pop();
        }
        if words.len() < 2 || !words[0].starts_with('@') {
            return Err(format!("unreadable parameter: {p}"));
        }
        let name = variables(words[0]);
        let ty = words[1..]
            .iter()
            .filter(|w| !w.eq_ignore_ascii_case("AS"))
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        params.push((mode, name, ty, default));
    }
    Ok((
        params,
        returns.map(|r| r.trim().to_string()),
        text[as_pos + 2..].to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pubs_trigger_body_converts() {
        let names = Names::new(true, &Default::default());
        let rules = RuleSet::shipped(Dialect::MsSql, Dialect::Postgres).unwrap();
        let body = "--comment\ndeclare @min_lvl tinyint,\n   @max_lvl tinyint,\n   @emp_lvl tinyint,\n   @job_id smallint\nselect @min_lvl = min_lvl,\n   @max_lvl = max_lvl,\n   @emp_lvl = i.job_lvl,\n   @job_id = i.job_id\nfrom employee e, jobs j, inserted i\nwhere e.emp_id = i.emp_id AND i.job_id = j.job_id\nIF (@job_id = 1) and (@emp_lvl <> 10)\nbegin\n   raiserror ('Job id 1 expects the default level of 10.',16,1)\n   ROLLBACK TRANSACTION\nend\nELSE\nIF NOT (@emp_lvl BETWEEN @min_lvl AND @max_lvl)\nbegin\n   raiserror ('The level for job_id:%d should be between %d and %d.',\n      16, 1, @job_id, @min_lvl, @max_lvl)\n   ROLLBACK TRANSACTION\nend";
        let b = convert_body(body, Context::Trigger, &names, "public", &rules).unwrap();
        assert_eq!(b.declare.len(), 4);
        assert_eq!(b.declare[0], "_min_lvl smallint;");
        assert!(
            b.statements[0].starts_with("SELECT min_lvl, max_lvl, i.job_lvl, i.job_id INTO _min_lvl, _max_lvl, _emp_lvl, _job_id FROM public.employee"),
            "{:?}",
            b.statements
        );
        assert!(b.statements.iter().any(|s| s.contains("RAISE EXCEPTION 'The level for job_id:% should be between % and %.', _job_id, _min_lvl, _max_lvl;")), "{:?}", b.statements);
        assert!(!b.statements.iter().any(|s| s.contains("ROLLBACK")));
        assert!(
            b.statements[0].contains("public.jobs j, inserted i"),
            "the transition table stays unqualified: {}",
            b.statements[0]
        );
    }

    #[test]
    fn result_set_procedures_open_cursors() {
        let (params, returns, body) = header(
            "create procedure \"Employee Sales by Country\" \n@Beginning_Date DateTime, @Ending_Date DateTime AS\nSELECT Employees.Country FROM Employees WHERE Employees.HireDate Between @Beginning_Date And @Ending_Date",
        )
        .unwrap();
        assert_eq!(params.len(), 2);
        assert_eq!(params[0].1, "_beginning_date");
        assert!(returns.is_none());
        let names = Names::new(true, &Default::default());
        let rules = RuleSet::shipped(Dialect::MsSql, Dialect::Postgres).unwrap();
        let b = convert_body(&body, Context::Procedure, &names, "public", &rules).unwrap();
        assert_eq!(b.result_sets, 1);
        assert_eq!(
            b.statements,
            [
                "OPEN result1 FOR SELECT Employees.Country FROM public.employees WHERE Employees.HireDate BETWEEN _beginning_date AND _ending_date;"
            ]
        );
        let b = convert_body(
            "SET ROWCOUNT 10\nSELECT ProductName FROM Products ORDER BY UnitPrice DESC",
            Context::Procedure,
            &names,
            "public",
            &rules,
        )
        .unwrap();
        assert!(
            b.statements[0].ends_with("ORDER BY UnitPrice DESC LIMIT 10;"),
            "{:?}",
            b.statements
        );
    }
}
