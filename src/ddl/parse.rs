//! Reading a DDL script into the neutral model: split, classify, normalise each dialect's
//! storage clauses away, parse with sqlparser, and map the AST onto [`crate::model`].
//!
//! Every statement is accounted for in [`ParsedScript::statements`] with its outcome; objects the
//! parser cannot read are still listed in [`ParsedScript::objects`] by kind and name, with the
//! parser's error, so conversion can report them instead of dropping them.

use serde::{Deserialize, Serialize};
use sqlparser::ast::{
    ColumnOption, CreateTable, Expr, IndexColumn, ObjectName, ObjectNamePart, Statement,
    TableConstraint,
};
use sqlparser::dialect::{self as sp};
use sqlparser::parser::Parser;

use super::classify::{Classified, ObjectKind, QualifiedName, StatementKind, classify};
use super::split::{Dialect, Piece, RawStatement, split, words};
use crate::discovery::parse_declared_type;
use crate::model::*;

/// What became of one statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// Parsed and added to the model.
    Parsed,
    /// Recognised by kind and name, but the parser could not read it (its text is kept).
    Unparsed { error: String },
    /// A data statement (INSERT, COPY), kept for the data path.
    Data,
    /// Understood and deliberately not part of the schema (session settings, transactions,
    /// client commands, DROPs...), with the reason.
    Skipped { reason: String },
}

/// One statement of the script and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementRecord {
    pub line: usize,
    pub end_line: usize,
    pub classified: Classified,
    pub outcome: Outcome,
}

/// A schema object defined by the script, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptObject {
    pub kind: ObjectKind,
    pub name: QualifiedName,
    /// The table of an index, trigger or constraint.
    pub table: Option<QualifiedName>,
    pub line: usize,
    pub end_line: usize,
    /// The statement text as written.
    pub sql: String,
    /// The parser's error when the statement could not be parsed.
    pub parse_error: Option<String>,
}

/// A whole script read into the model.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ParsedScript {
    pub dialect: Option<Dialect>,
    /// The file name shown in reports.
    pub file: String,
    pub catalog: Catalog,
    pub objects: Vec<ScriptObject>,
    pub statements: Vec<StatementRecord>,
    /// Data statements in script order (INSERT text, or COPY with its data).
    pub data: Vec<RawStatement>,
    /// MySQL `USE db`: the schema of unqualified names from here on.
    #[serde(skip)]
    current_schema: Option<String>,
    /// Lower-case table name → (lower-case schema, schema index, table index), for ALTER TABLE,
    /// CREATE INDEX and COMMENT lookups.
    #[serde(skip)]
    tables_by_name: std::collections::HashMap<String, Vec<(String, usize, usize)>>,
    /// SQL Server alias types (`CREATE TYPE Name FROM nvarchar(50) NOT NULL`): lower-case name
    /// → (base type, NOT NULL).
    #[serde(skip)]
    alias_types: std::collections::HashMap<String, (String, bool)>,
}

impl ParsedScript {
    /// The schema unqualified names belong to at this point of the script.
    fn fallback_schema(&self, d: Dialect) -> String {
        self.current_schema
            .clone()
            .unwrap_or_else(|| default_schema(d).to_string())
    }
}

/// Counts for the report header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementCounts {
    pub read: usize,
    pub parsed: usize,
    pub unparsed: usize,
    pub data: usize,
    pub skipped: usize,
    pub client_commands: usize,
}

impl ParsedScript {
    pub fn counts(&self) -> StatementCounts {
        let mut c = StatementCounts::default();
        for s in &self.statements {
            c.read += 1;
            match &s.outcome {
                Outcome::Parsed => c.parsed += 1,
                Outcome::Unparsed { .. } => c.unparsed += 1,
                Outcome::Data => c.data += 1,
                Outcome::Skipped { .. } if s.classified.kind == StatementKind::ClientCommand => {
                    c.client_commands += 1
                }
                Outcome::Skipped { .. } => c.skipped += 1,
            }
        }
        c
    }
}

/// Guesses a script's dialect: from its file name when that names an engine
/// (`Chinook_SqlServer.sql`, `mysql-schema.sql`), else from telling constructs.
pub fn detect_dialect_for(file: &str, script: &str) -> Dialect {
    // The file name first, then its folders: `oracle-sample-schemas/.../oe_p_us.sql`.
    const HINTS: [(&str, Dialect); 12] = [
        ("sqlserver", Dialect::MsSql),
        ("sql-server", Dialect::MsSql),
        ("mssql", Dialect::MsSql),
        ("tsql", Dialect::MsSql),
        ("mysql", Dialect::MySql),
        ("mariadb", Dialect::MySql),
        ("postgres", Dialect::Postgres),
        ("pgsql", Dialect::Postgres),
        ("pagila", Dialect::Postgres),
        ("oracle", Dialect::Oracle),
        ("plsql", Dialect::Oracle),
        ("sqlite", Dialect::Sqlite),
    ];
    let path = file.to_ascii_lowercase().replace('\\', "/");
    let file_name = path.rsplit('/').next().unwrap_or_default();
    for text in [file_name, path.as_str()] {
        if let Some((_, d)) = HINTS.iter().find(|(hint, _)| text.contains(hint)) {
            return *d;
        }
    }
    detect_dialect(script)
}

/// Guesses a script's dialect from telling constructs (PostgreSQL when nothing tells).
pub fn detect_dialect(script: &str) -> Dialect {
    let sample: String = script.chars().take(200_000).collect();
    let upper = sample.to_ascii_uppercase();
    let lines: Vec<&str> = upper.lines().map(str::trim).collect();
    let score = |needles: &[&str]| needles.iter().filter(|n| upper.contains(*n)).count();
    let go = lines.iter().filter(|l| **l == "GO").count();
    let slash = lines.iter().filter(|l| **l == "/").count();
    let mut scores = [
        (
            Dialect::MsSql,
            go * 3
                + score(&[
                    "NVARCHAR",
                    "[DBO]",
                    "IDENTITY(",
                    "ON [PRIMARY]",
                    "GETDATE()",
                    "SET ANSI_NULLS",
                ]),
        ),
        (
            Dialect::Oracle,
            slash * 3
                + score(&[
                    "VARCHAR2", "NUMBER(", "SYSDATE", "PROMPT ", "NOCACHE", "PL/SQL", "NVL(",
                ]),
        ),
        (
            Dialect::MySql,
            score(&[
                "ENGINE=",
                "AUTO_INCREMENT",
                "DELIMITER ",
                "/*!4",
                "UNSIGNED",
                "`",
            ]) * 2,
        ),
        (
            Dialect::Postgres,
            score(&[
                "$$",
                "SERIAL",
                "::",
                "COPY ",
                "PL/PGSQL",
                "PLPGSQL",
                "OWNER TO",
                "BIGSERIAL",
            ]) * 2,
        ),
        (
            Dialect::Sqlite,
            score(&["AUTOINCREMENT", "PRAGMA ", "WITHOUT ROWID", "SQLITE_"]) * 2,
        ),
    ];
    scores.sort_by_key(|s| std::cmp::Reverse(s.1));
    if scores[0].1 == 0 {
        Dialect::Postgres
    } else {
        scores[0].0
    }
}

/// Reads a script. `file` names it in reports.
pub fn parse_script(script: &str, dialect: Dialect, file: &str) -> ParsedScript {
    let mut out = ParsedScript {
        dialect: Some(dialect),
        file: file.to_string(),
        ..Default::default()
    };
    let mut pieces = split(script, dialect);
    // A T-SQL batch may hold several statements without `;` (CREATE TABLE then INSERTs):
    // each becomes its own statement.
    if dialect == Dialect::MsSql {
        pieces = pieces
            .into_iter()
            .flat_map(|raw| {
                let split_up = (raw.piece == Piece::Sql
                    && matches!(
                        classify(&raw.text).kind,
                        StatementKind::Create(ObjectKind::Table)
                            | StatementKind::Insert
                            | StatementKind::Alter(_)
                    )
                    && parse_one(&raw.text, dialect).is_err())
                .then(|| parse_batch(&raw.text, dialect).ok())
                .flatten()
                .filter(|v| v.len() > 1);
                let split_up = split_up.or_else(|| tsql_guarded(&raw));
                match split_up {
                    Some(statements) => statements
                        .into_iter()
                        .map(|st| RawStatement {
                            text: st.to_string(),
                            ..raw.clone()
                        })
                        .collect::<Vec<_>>(),
                    None => vec![raw],
                }
            })
            .collect();
    }
    for raw in pieces {
        let classified = classify(&raw.text);
        let outcome = if raw.piece == Piece::ClientCommand {
            Outcome::Skipped {
                reason: "client command".into(),
            }
        } else if let Some(inserts) = (classified.kind == StatementKind::Block)
            .then(|| data_block(&raw, dialect))
            .flatten()
        {
            // An anonymous block that only inserts rows (Oracle sample data): its INSERTs.
            out.data.extend(inserts);
            Outcome::Data
        } else {
            handle(&mut out, &raw, &classified, dialect)
        };
        out.statements.push(StatementRecord {
            line: raw.line,
            end_line: raw.end_line,
            classified,
            outcome,
        });
    }
    for s in &mut out.catalog.schemas {
        s.tables.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if dialect == Dialect::Postgres {
        resolve_user_types(&mut out.catalog);
    }
    out
}

/// Columns of a PostgreSQL script whose type is one the script creates (an enum, a domain, a
/// composite): marked with the type's schema, and an enum's values copied, as discovery does
/// for a live database, so the converter knows what the type is.
fn resolve_user_types(catalog: &mut Catalog) {
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

/// A T-SQL batch that starts with an `IF` guard: `IF OBJECT_ID(...) IS NOT NULL DROP TABLE x`
/// followed by `CREATE TABLE x`, or `IF NOT EXISTS (...) BEGIN CREATE TABLE x ... END`. Its
/// statements one by one: a guard that only drops stays a guard (left out as such), an IF
/// whose branch creates is replaced by what that branch creates (the object exists once the
/// script ran), the rest as they are. None when the batch is something else.
fn tsql_guarded(raw: &RawStatement) -> Option<Vec<Statement>> {
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
fn alter_trigger(out: &mut ParsedScript, raw: &RawStatement, c: &Classified) -> bool {
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
fn data_block(raw: &RawStatement, dialect: Dialect) -> Option<Vec<RawStatement>> {
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

fn skipped(reason: &str) -> Outcome {
    Outcome::Skipped {
        reason: reason.into(),
    }
}

fn handle(out: &mut ParsedScript, raw: &RawStatement, c: &Classified, dialect: Dialect) -> Outcome {
    match &c.kind {
        StatementKind::Insert | StatementKind::Copy => {
            out.data.push(raw.clone());
            Outcome::Data
        }
        StatementKind::Create(kind) => create(out, raw, c, *kind, dialect),
        StatementKind::Alter(ObjectKind::Table)
            if {
                let w = words(&raw.text, 8);
                w.iter()
                    .any(|x| matches!(x.as_str(), "DISABLE" | "ENABLE" | "NOCHECK" | "CHECK"))
                    && w.iter().any(|x| x == "CONSTRAINT")
                    && !w.iter().any(|x| x == "ADD")
            } =>
        {
            skipped("disabling or enabling a constraint around a load is not part of the schema")
        }
        StatementKind::Alter(ObjectKind::Table) => alter_table(out, raw, c, dialect),
        StatementKind::Alter(ObjectKind::Trigger) if alter_trigger(out, raw, c) => Outcome::Parsed,
        StatementKind::Alter(k) => skipped(&format!(
            "ALTER {} is not part of the converted schema",
            k.label().to_uppercase()
        )),
        StatementKind::Drop(_) => {
            skipped("DROP statements are not converted (the target is prepared separately)")
        }
        StatementKind::Comment => comment(out, raw, dialect),
        StatementKind::Session => {
            let w = words(&raw.text, 3);
            if dialect == Dialect::MySql && w.first().is_some_and(|x| x == "USE") {
                out.current_schema = crate::ddl::classify::first_name_after(&raw.text, 1);
                return skipped("USE: later objects go to this schema");
            }
            skipped("session setting")
        }
        StatementKind::Transaction => skipped("transaction control"),
        StatementKind::Grant => skipped("privileges are not migrated"),
        // pg_dump's sequence positions are data: the next number after the rows loaded.
        StatementKind::Select if raw.text.to_ascii_lowercase().contains("setval(") => {
            out.data.push(raw.clone());
            Outcome::Data
        }
        StatementKind::Select => skipped("a query: it changes nothing"),
        // Data changes after the INSERTs are part of the data.
        StatementKind::Update | StatementKind::Delete => {
            out.data.push(raw.clone());
            Outcome::Data
        }
        StatementKind::ClientCommand => skipped("client command"),
        // `IF EXISTS (SELECT * FROM sysobjects ...) DROP ...` / `IF OBJECT_ID(...) IS NOT NULL
        // DROP ...`: a guard before re-creating an object.
        StatementKind::Block
            if {
                let w = words(&raw.text, 60);
                w.first().is_some_and(|f| f == "IF")
                    && w.iter().any(|x| x == "DROP")
                    && !w.iter().any(|x| {
                        matches!(
                            x.as_str(),
                            "INSERT" | "UPDATE" | "DELETE" | "CREATE" | "EXEC"
                        )
                    })
            } =>
        {
            skipped("a guard that drops an existing object (the target is prepared separately)")
        }
        StatementKind::Block => Outcome::Unparsed {
            error: "anonymous procedural blocks are not converted".into(),
        },
        StatementKind::Other(w) => Outcome::Unparsed {
            error: format!("statement '{w}' is not recognised"),
        },
    }
}

fn sp_dialect(d: Dialect) -> Box<dyn sp::Dialect> {
    match d {
        Dialect::MySql => Box::new(sp::MySqlDialect {}),
        Dialect::Postgres => Box::new(sp::PostgreSqlDialect {}),
        Dialect::MsSql => Box::new(sp::MsSqlDialect {}),
        Dialect::Oracle => Box::new(sp::OracleDialect {}),
        Dialect::Sqlite => Box::new(sp::SQLiteDialect {}),
    }
}

/// Parses one statement with the dialect's parser.
pub fn parse_one(text: &str, dialect: Dialect) -> Result<Statement, String> {
    let text = normalise(text, dialect);
    let d = sp_dialect(dialect);
    let mut v = Parser::parse_sql(d.as_ref(), &text).map_err(|e| e.to_string())?;
    match v.len() {
        1 => Ok(v.remove(0)),
        0 => Err("empty statement".into()),
        n => Err(format!("{n} statements where one was expected")),
    }
}

/// Oracle's `ALTER TABLE t ADD ( CONSTRAINT a ..., CONSTRAINT b ... )` as one ADD per item.
fn oracle_add_list(s: &str) -> String {
    let up = s.to_ascii_uppercase();
    if !up.trim_start().starts_with("ALTER TABLE") {
        return s.to_string();
    }
    let Some(add) = crate::discovery::find_keyword(&up, "ADD", 0) else {
        return s.to_string();
    };
    let rest = &s[add + 3..];
    let open = add + 3 + (rest.len() - rest.trim_start().len());
    if !s[open..].starts_with('(') {
        return s.to_string();
    }
    let Some(close) = crate::discovery::matching_paren(s, open) else {
        return s.to_string();
    };
    let items: Vec<String> = crate::sqltext::split_top_level(&s[open + 1..close])
        .into_iter()
        .map(|i| format!("ADD {}", i.trim()))
        .collect();
    format!("{}{}{}", &s[..add], items.join(", "), &s[close + 1..])
}

/// Parses a batch of statements that need no `;` between them (a T-SQL batch between GOs).
pub fn parse_batch(text: &str, dialect: Dialect) -> Result<Vec<Statement>, String> {
    let text = normalise(text, dialect);
    let d = sp_dialect(dialect);
    let mut p = Parser::new(d.as_ref())
        .try_with_sql(&text)
        .map_err(|e| e.to_string())?;
    let mut out = vec![];
    loop {
        while p.consume_token(&sqlparser::tokenizer::Token::SemiColon) {}
        if p.peek_token().token == sqlparser::tokenizer::Token::EOF {
            return Ok(out);
        }
        out.push(p.parse_statement().map_err(|e| e.to_string())?);
    }
}

/// Removes what sqlparser cannot read and what does not carry over anyway: MySQL version
/// comments (their content is kept), SQL Server filegroups and index options, Oracle storage.
pub fn normalise(text: &str, dialect: Dialect) -> String {
    let mut s = text.to_string();
    match dialect {
        Dialect::MySql => {
            // `/*!40101 X */` → `X`
            while let Some(p) = s.find("/*!") {
                let digits = s[p + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                let Some(end) = s[p..].find("*/").map(|e| p + e) else {
                    break;
                };
                let inner = s[p + 3 + digits..end].to_string();
                s.replace_range(p..end + 2, &inner);
            }
            s = mysql_binary_attribute(&s);
            // MariaDB's synonym for STORED generated columns.
            while let Some(p) =
                crate::discovery::find_keyword(&s.to_ascii_uppercase(), "PERSISTENT", 0)
            {
                s.replace_range(p..p + "PERSISTENT".len(), "STORED");
            }
        }
        Dialect::MsSql => {
            s = remove_phrases(
                &s,
                &[
                    "NOT FOR REPLICATION",
                    "ROWGUIDCOL",
                    "WITH NOCHECK ADD",
                    "WITH CHECK ADD",
                ],
            );
            s = remove_clauses(&s, &["TEXTIMAGE_ON", "FILESTREAM_ON"], Arg::Word);
            s = tsql_add_list(&s);
            // XML(schema collection): typed XML is XML.
            for pat in ["[XML](", "XML("] {
                while let Some(p) = s.to_ascii_uppercase().find(pat) {
                    let open = p + pat.len() - 1;
                    match crate::discovery::matching_paren(&s, open) {
                        Some(close) => s.replace_range(open..close + 1, ""),
                        None => break,
                    }
                }
            }
            s = remove_on_filegroup(&s);
            s = remove_clauses(&s, &["WITH"], Arg::ParensWithEquals);
            s = remove_words(&s, &["NONCLUSTERED", "CLUSTERED"]);
        }
        Dialect::Oracle => {
            s = oracle_add_list(&s);
            s = oracle_star_precision(&s);
            // Index-organized tables are tables with a primary key elsewhere.
            s = remove_clauses(&s, &["ORGANIZATION"], Arg::Word);
            let up = s.to_ascii_uppercase();
            if up.trim_end().ends_with("WITH READ ONLY") {
                let cut = up.trim_end().len() - "WITH READ ONLY".len();
                s.truncate(cut);
            }
            s = remove_clauses(&s, &["STORAGE"], Arg::Parens);
            s = remove_clauses(
                &s,
                &["TABLESPACE", "PCTFREE", "PCTUSED", "INITRANS", "MAXTRANS"],
                Arg::Word,
            );
            s = remove_words(
                &s,
                &[
                    "LOGGING",
                    "NOLOGGING",
                    "ENABLE",
                    "NOCOMPRESS",
                    "NOPARALLEL",
                    "NOCACHE",
                    "NOORDER",
                    "NOCYCLE",
                    "NOMONITORING",
                ],
            );
            s = remove_using_index(&s);
        }
        Dialect::Postgres => s = pg_fold_unquoted(&s),
        Dialect::Sqlite => {}
    }
    s
}

/// The query of a `CREATE [MATERIALIZED] VIEW name [(columns)] [WITH (...)] AS query` the
/// parser could not read: what follows the first AS after VIEW (the whole text if none).
fn view_body(text: &str) -> String {
    let up = text.to_ascii_uppercase();
    crate::discovery::find_keyword(&up, "VIEW", 0)
        .and_then(|v| crate::discovery::find_keyword(&up, "AS", v))
        .map(|p| text[p + 2..].trim().to_string())
        .unwrap_or_else(|| text.to_string())
}

/// Oracle's `NUMBER(*, s)` (the largest precision, 38, with scale s) and `NUMBER(*)` (plain
/// NUMBER), which sqlparser does not read.
fn oracle_star_precision(text: &str) -> String {
    let mut s = text.to_string();
    let mut from = 0;
    while let Some(p) = crate::sqltext::find_keyword(&s.to_ascii_uppercase(), "NUMBER", from) {
        from = p + 6;
        let rest = &s[from..];
        let open = rest.len() - rest.trim_start().len();
        if !rest[open..].starts_with('(') {
            continue;
        }
        let inner_start = from + open + 1;
        let Some(close) = s[inner_start..].find(')').map(|c| inner_start + c) else {
            continue;
        };
        let inner = s[inner_start..close].trim().to_string();
        if let Some(scale) = inner.strip_prefix('*') {
            let scale = scale.trim().trim_start_matches(',').trim();
            let replacement = if scale.is_empty() {
                String::new()
            } else {
                format!("(38, {scale})")
            };
            s.replace_range(from..close + 1, &replacement);
        }
    }
    s
}

/// PostgreSQL folds unquoted identifiers to lower case: `(UserName)` names the column
/// `username`. Done on the tokens, so strings, quoted names and dollar-quoted bodies stay as
/// written (text the tokenizer cannot read is left as it is, for the parser to report).
fn pg_fold_unquoted(text: &str) -> String {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let d = sp::PostgreSqlDialect {};
    let Ok(tokens) = Tokenizer::new(&d, text).tokenize_with_location() else {
        return text.to_string();
    };
    // Byte offset of each line's start; spans count lines from 1 and columns in characters.
    let mut line_starts = vec![0usize];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let offset = |line: u64, column: u64| -> Option<usize> {
        let start = *line_starts.get(usize::try_from(line).ok()?.checked_sub(1)?)?;
        let col = usize::try_from(column).ok()?.checked_sub(1)?;
        let rest = &text[start..];
        Some(
            start
                + rest
                    .char_indices()
                    .nth(col)
                    .map(|(i, _)| i)
                    .unwrap_or(rest.len()),
        )
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for t in &tokens {
        let Token::Word(w) = &t.token else {
            continue;
        };
        if w.quote_style.is_some() || !w.value.chars().any(char::is_uppercase) {
            continue;
        }
        let (Some(a), Some(b)) = (
            offset(t.span.start.line, t.span.start.column),
            offset(t.span.end.line, t.span.end.column),
        ) else {
            return text.to_string();
        };
        if a < copied || b > text.len() || !text[a..b].eq_ignore_ascii_case(&w.value) {
            return text.to_string();
        }
        out.push_str(&text[copied..a]);
        out.push_str(&text[a..b].to_lowercase());
        copied = b;
    }
    out.push_str(&text[copied..]);
    out
}

/// MySQL's `varchar(128) BINARY` column attribute: the binary collation of the column's
/// character set (case- and accent-sensitive), written as that collation.
fn mysql_binary_attribute(text: &str) -> String {
    const TEXT_TYPES: [&str; 6] = [
        "CHAR",
        "VARCHAR",
        "TEXT",
        "TINYTEXT",
        "MEDIUMTEXT",
        "LONGTEXT",
    ];
    let mut s = text.to_string();
    let mut from = 0;
    while let Some(p) = crate::discovery::find_keyword(&s.to_ascii_uppercase(), "BINARY", from) {
        let up = s.to_ascii_uppercase();
        let before = up[..p].trim_end();
        let after = up[p + 6..].trim_start();
        let attribute = (before.ends_with(')')
            || TEXT_TYPES.iter().any(|t| {
                before.ends_with(t)
                    && !before[..before.len() - t.len()]
                        .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            }))
            && !after.starts_with('(')
            && !before.ends_with(" AS");
        if attribute {
            s.replace_range(p..p + 6, "COLLATE utf8mb4_bin");
            from = p + "COLLATE utf8mb4_bin".len();
        } else {
            from = p + 6;
        }
    }
    s
}

#[derive(Clone, Copy, PartialEq)]
enum Arg {
    Word,
    Parens,
    /// `WITH (PAD_INDEX = OFF, ...)`, but not `WITH CHECK` or a CTE.
    ParensWithEquals,
}

fn remove_words(s: &str, kws: &[&str]) -> String {
    let mut out = s.to_string();
    for kw in kws {
        while let Some(p) = crate::discovery::find_keyword(&out.to_ascii_uppercase(), kw, 0) {
            out.replace_range(p..p + kw.len(), "");
        }
    }
    out
}

fn remove_clauses(s: &str, kws: &[&str], arg: Arg) -> String {
    let mut out = s.to_string();
    for kw in kws {
        let mut from = 0;
        while let Some(p) = crate::discovery::find_keyword(&out.to_ascii_uppercase(), kw, from) {
            let after = p + kw.len();
            let rest = &out[after..];
            let ws = rest.len() - rest.trim_start().len();
            let start = after + ws;
            let end = match arg {
                Arg::Word => {
                    let r = &out[start..];
                    let len = if r.starts_with('[') || r.starts_with('"') {
                        r[1..].find([']', '"']).map(|e| e + 2).unwrap_or(r.len())
                    } else {
                        r.find(|c: char| c.is_whitespace() || c == ',' || c == ')' || c == ';')
                            .unwrap_or(r.len())
                    };
                    Some(start + len)
                }
                Arg::Parens | Arg::ParensWithEquals if out[start..].starts_with('(') => {
                    crate::discovery::matching_paren(&out, start).and_then(|close| {
                        let inner = &out[start..close];
                        (arg == Arg::Parens || inner.contains('=')).then_some(close + 1)
                    })
                }
                _ => None,
            };
            match end {
                Some(e) => out.replace_range(p..e, ""),
                None => from = after,
            }
        }
    }
    out
}

/// `ON [PRIMARY]` / `ON "fg"` after a closing parenthesis (filegroups), not `ON table (...)`.
/// T-SQL `ALTER TABLE t ADD CONSTRAINT a ..., CONSTRAINT b ...`: one ADD per constraint.
fn tsql_add_list(s: &str) -> String {
    let up = s.to_ascii_uppercase();
    if !up.trim_start().starts_with("ALTER TABLE") {
        return s.to_string();
    }
    let Some(add) = crate::discovery::find_keyword(&up, "ADD", 0) else {
        return s.to_string();
    };
    let items = crate::sqltext::split_top_level(&s[add + 3..]);
    if items.len() < 2 {
        return s.to_string();
    }
    let items: Vec<String> = items
        .into_iter()
        .map(|i| {
            let i = i.trim();
            if i.to_ascii_uppercase().starts_with("ADD ") {
                i.to_string()
            } else {
                format!("ADD {i}")
            }
        })
        .collect();
    format!("{}{}", &s[..add], items.join(", "))
}

/// Removes phrases (word sequences, any spacing and case) outside quotes; `... ADD` phrases
/// keep their ADD.
fn remove_phrases(s: &str, phrases: &[&str]) -> String {
    let mut out = s.to_string();
    for ph in phrases {
        let words: Vec<&str> = ph.split(' ').collect();
        let mut from = 0;
        while let Some(p) =
            crate::discovery::find_keyword(&out.to_ascii_uppercase(), words[0], from)
        {
            // Match the following words with any whitespace between them.
            let mut end = p + words[0].len();
            let mut ok = true;
            for w in &words[1..] {
                let rest = &out[end..];
                let skip = rest.len() - rest.trim_start().len();
                if skip == 0 || !rest[skip..].to_ascii_uppercase().starts_with(w) {
                    ok = false;
                    break;
                }
                let after = rest[skip + w.len()..].chars().next();
                if after.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    ok = false;
                    break;
                }
                end += skip + w.len();
            }
            if !ok {
                from = p + words[0].len();
                continue;
            }
            let keep = if words.last() == Some(&"ADD") {
                " ADD"
            } else {
                ""
            };
            out.replace_range(p..end, keep);
            from = p + keep.len();
        }
    }
    out
}

fn remove_on_filegroup(s: &str) -> String {
    let mut out = s.to_string();
    // Filegroups only follow DDL; `(a JOIN b ON ...) ON x.id = y.id` is a join.
    let head = out.trim_start().to_ascii_uppercase();
    if !(head.starts_with("CREATE") || head.starts_with("ALTER")) {
        return out;
    }
    let mut from = 0;
    while let Some(p) = crate::discovery::find_keyword(&out.to_ascii_uppercase(), "ON", from) {
        let before = out[..p].trim_end();
        let rest = out[p + 2..].trim_start();
        let word_len = if rest.starts_with('[') {
            rest.find(']').map(|e| e + 1)
        } else {
            rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
        };
        let after_word = word_len.map(|l| rest[l..].trim_start()).unwrap_or("");
        let word = word_len
            .map(|l| rest[..l].to_ascii_uppercase())
            .unwrap_or_default();
        let action = matches!(word.as_str(), "DELETE" | "UPDATE");
        if before.ends_with(')')
            && !after_word.starts_with('(')
            && !after_word.starts_with('.')
            && word_len.is_some()
            && !action
        {
            let end = out.len() - rest.len() + word_len.unwrap_or(0);
            out.replace_range(p..end, "");
        } else {
            from = p + 2;
        }
    }
    out
}

/// Oracle `USING INDEX [TABLESPACE x | (CREATE INDEX ...)]` after a constraint.
fn remove_using_index(s: &str) -> String {
    let mut out = s.to_string();
    while let Some(p) = out.to_ascii_uppercase().find("USING INDEX") {
        let after = p + "USING INDEX".len();
        let rest = out[after..].trim_start();
        let start = out.len() - rest.len();
        let end = if rest.starts_with('(') {
            crate::discovery::matching_paren(&out, start)
                .map(|c| c + 1)
                .unwrap_or(start)
        } else {
            after
        };
        out.replace_range(p..end, "");
    }
    out
}

fn ident_parts(n: &ObjectName) -> Vec<String> {
    n.0.iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.clone(),
            other => other.to_string(),
        })
        .collect()
}

fn qname(n: &ObjectName) -> QualifiedName {
    let mut parts = ident_parts(n);
    let name = parts.pop().unwrap_or_default();
    QualifiedName {
        schema: parts.pop(),
        name,
    }
}

fn default_schema(d: Dialect) -> &'static str {
    match d {
        Dialect::MsSql => "dbo",
        Dialect::Postgres => "public",
        Dialect::Sqlite => "main",
        Dialect::MySql | Dialect::Oracle => "",
    }
}

/// The schema (created on demand) an object of `name` belongs to.
fn schema_mut<'a>(cat: &'a mut Catalog, name: &QualifiedName, fallback: &str) -> &'a mut Schema {
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
fn find_table<'a>(
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

fn unquote(s: &str) -> String {
    crate::discovery::unquote_ident(s)
}

fn index_part(ic: &IndexColumn) -> IndexPart {
    IndexPart {
        operator_class: ic.operator_class.as_ref().map(|o| o.to_string()),
        ..index_part_of(ic)
    }
}

fn index_part_of(ic: &IndexColumn) -> IndexPart {
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
fn foreign_key(
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

fn columns_of(v: &[IndexColumn]) -> Vec<String> {
    v.iter()
        .map(|c| {
            index_part(c)
                .column
                .unwrap_or_else(|| c.column.expr.to_string())
        })
        .collect()
}

fn apply_constraint(t: &mut Table, c: &TableConstraint) -> Result<(), String> {
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
        }),
        other => return Err(format!("constraint not supported: {other}")),
    }
    Ok(())
}

fn table_from_ast(ct: &CreateTable, dialect: Dialect) -> Table {
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
    if let Some(p) = crate::discovery::find_keyword(&upper, "ENGINE", 0) {
        t.storage = options[p..]
            .split(['=', ' '])
            .filter(|w| !w.is_empty())
            .nth(1)
            .map(|s| s.trim_matches(',').to_string());
    }
    if let Some(p) = crate::discovery::find_keyword(&upper, "COMMENT", 0)
        && let Some(q) = options[p..].find('\'')
    {
        let v = crate::discovery::parse_quoted_list(&options[p + q..]);
        t.comment = v.into_iter().next();
    }
    if let Some(p) = crate::discovery::find_keyword(&upper, "COLLATE", 0) {
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
        let _ = apply_constraint(&mut t, c);
    }
    // MySQL's table option AUTO_INCREMENT=n: where the numbering continues.
    if let Some(p) = crate::discovery::find_keyword(&upper, "AUTO_INCREMENT", 0)
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

/// The options of `CREATE SEQUENCE` (upper case, parentheses blanked): `START [WITH] n`,
/// `INCREMENT [BY] n`, `MINVALUE n` / `NO MINVALUE` / `NOMINVALUE`, the same for MAXVALUE,
/// `CYCLE` / `NO CYCLE` / `NOCYCLE`. A value beyond 64 bits (Oracle's default maximum) is no
/// bound.
fn sequence_options(text: &str) -> Sequence {
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

fn number_after(text: &str, kw: &str) -> Option<i64> {
    let w: Vec<&str> = text.split_whitespace().collect();
    let i = w.iter().position(|x| x.eq_ignore_ascii_case(kw))?;
    w[i + 1..]
        .iter()
        .take(2)
        .find_map(|x| x.trim_matches(['(', ')', ',']).parse().ok())
}

fn push_object(
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

fn create(
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
                let q = qname(&ct.name);
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
                };
                let qn = QualifiedName {
                    schema: table.schema.clone(),
                    name: iname,
                };
                match find_table(out, &table, &fb) {
                    Some(t) => {
                        t.indexes.push(index);
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
            let Some(from) = crate::discovery::find_keyword(&upper, "FROM", 0) else {
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
        ObjectKind::Type | ObjectKind::Domain => match parse_one(&raw.text, d) {
            Ok(st) => {
                let text = st.to_string();
                let upper = text.to_ascii_uppercase();
                let kind_model = if upper.contains("AS ENUM") {
                    let p = upper.find("AS ENUM").unwrap_or(0);
                    UserTypeKind::Enum {
                        values: crate::discovery::parse_quoted_list(&text[p..]),
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
                push_object(out, kind, name.clone(), None, raw, None);
                schema_mut(&mut out.catalog, &name, &fb)
                    .types
                    .push(UserType {
                        name: name.name.clone(),
                        kind: kind_model,
                        comment: None,
                    });
                Outcome::Parsed
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
            schema_mut(&mut out.catalog, &name, &fb)
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

/// What a `CREATE TRIGGER` header says, read from the header alone (never from the body).
#[derive(Debug, PartialEq)]
pub(crate) struct TriggerHeader {
    pub timing: TriggerTiming,
    pub events: Vec<TriggerEvent>,
    pub for_each_row: bool,
}

/// Reads timing, events and level from the words that follow `TRIGGER name`:
/// `{BEFORE | AFTER | INSTEAD OF} event [OR event ...] ON table [FOR EACH ROW]` (MySQL,
/// PostgreSQL, SQLite, Oracle, where `UPDATE OF a, b` names columns), and T-SQL's
/// `ON table {FOR | AFTER | INSTEAD OF} event [, event ...] AS`. MySQL and SQLite triggers are
/// row-level whatever is written; T-SQL's are statement-level; others are row-level only with
/// FOR EACH ROW. SQLite's timing defaults to BEFORE.
pub(crate) fn trigger_header(text: &str, d: Dialect) -> TriggerHeader {
    let t = super::classify::tokens(text, 200);
    let w = |i: usize| t.get(i).map(|x| x.upper.as_str()).unwrap_or("");
    let mut i = t
        .iter()
        .position(|x| !x.punct && x.upper == "TRIGGER")
        .map(|p| p + 1)
        .unwrap_or(t.len());
    if w(i) == "IF" && w(i + 1) == "NOT" && w(i + 2) == "EXISTS" {
        i += 3;
    }
    let skip_name = |mut i: usize| {
        i += 1;
        while w(i) == "." {
            i += 2;
        }
        i
    };
    i = skip_name(i);
    if w(i) == "ON" {
        i = skip_name(i + 1);
    }
    let timing = match w(i) {
        "BEFORE" => TriggerTiming::Before,
        "AFTER" | "FOR" => TriggerTiming::After,
        "INSTEAD" if w(i + 1) == "OF" => TriggerTiming::InsteadOf,
        _ if d == Dialect::Sqlite => TriggerTiming::Before,
        _ => TriggerTiming::After,
    };
    i += match timing {
        _ if !matches!(w(i), "BEFORE" | "AFTER" | "FOR" | "INSTEAD") => 0,
        TriggerTiming::InsteadOf => 2,
        _ => 1,
    };
    let mut events = vec![];
    let mut in_columns = false;
    while i < t.len() {
        match w(i) {
            "INSERT" => events.push(TriggerEvent::Insert),
            "UPDATE" => events.push(TriggerEvent::Update),
            "DELETE" => events.push(TriggerEvent::Delete),
            "TRUNCATE" => events.push(TriggerEvent::Truncate),
            "OF" => in_columns = true,
            "OR" => in_columns = false,
            "ON" | "AS" | "FOR" | "WHEN" | "BEGIN" | "REFERENCING" => break,
            "," => {}
            _ if in_columns => {}
            _ => break,
        }
        i += 1;
    }
    events.dedup();
    let row = t
        .windows(3)
        .take(i + 40)
        .skip(i)
        .any(|x| x[0].upper == "FOR" && x[1].upper == "EACH" && x[2].upper == "ROW");
    let for_each_row = match d {
        Dialect::MySql | Dialect::Sqlite => true,
        Dialect::MsSql => false,
        _ => row,
    };
    TriggerHeader {
        timing,
        events,
        for_each_row,
    }
}

fn first_words(s: &str) -> String {
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn unparsed(
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

fn alter_table(out: &mut ParsedScript, raw: &RawStatement, c: &Classified, d: Dialect) -> Outcome {
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
            } => {
                if let Some(col) = table
                    .columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(&old_column_name.value))
                {
                    col.name = new_column_name.value.clone();
                }
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

fn comment(out: &mut ParsedScript, raw: &RawStatement, d: Dialect) -> Outcome {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_table_with_keys_and_options() {
        let s = "CREATE TABLE `film` (\n  `film_id` smallint unsigned NOT NULL AUTO_INCREMENT,\n  `title` varchar(128) NOT NULL,\n  `rating` enum('G','PG') DEFAULT 'G',\n  `language_id` tinyint unsigned NOT NULL,\n  PRIMARY KEY (`film_id`),\n  KEY `idx_title` (`title`(10)),\n  FULLTEXT KEY `ft` (`title`),\n  CONSTRAINT `fk_lang` FOREIGN KEY (`language_id`) REFERENCES `language` (`language_id`) ON DELETE RESTRICT ON UPDATE CASCADE\n) /*!50100 ENGINE=InnoDB */ DEFAULT CHARSET=utf8mb4 COMMENT='films';";
        let p = parse_script(s, Dialect::MySql, "t.sql");
        assert_eq!(p.counts().parsed, 1, "{:?}", p.statements);
        let t = &p.catalog.schemas[0].tables[0];
        assert_eq!(t.name, "film");
        assert_eq!(t.comment.as_deref(), Some("films"));
        let id = &t.columns[0];
        assert_eq!(
            (
                id.data_type.name.as_str(),
                id.data_type.unsigned,
                id.nullable
            ),
            ("smallint", true, false)
        );
        assert_eq!(
            id.identity,
            Some(Identity::AutoIncrement { next_value: None })
        );
        assert_eq!(t.columns[2].data_type.values, ["G", "PG"]);
        assert_eq!(t.primary_key.as_ref().unwrap().columns, ["film_id"]);
        assert_eq!(t.indexes[0].parts[0].prefix_length, Some(10));
        assert_eq!(t.indexes[1].method.as_deref(), Some("fulltext"));
        let fk = &t.foreign_keys[0];
        assert_eq!(
            (fk.on_delete, fk.on_update),
            (ReferentialAction::Restrict, ReferentialAction::Cascade)
        );
    }

    #[test]
    fn sql_server_table_with_filegroups_and_alter_constraints() {
        let s = "CREATE TABLE [dbo].[Album]\n(\n    [AlbumId] INT NOT NULL IDENTITY(1,1),\n    [Title] NVARCHAR(160) NOT NULL,\n    [ArtistId] INT NOT NULL,\n    CONSTRAINT [PK_Album] PRIMARY KEY CLUSTERED ([AlbumId]) WITH (PAD_INDEX = OFF) ON [PRIMARY]\n) ON [PRIMARY] TEXTIMAGE_ON [PRIMARY];\nGO\nCREATE TABLE [dbo].[Artist] ([ArtistId] INT NOT NULL, CONSTRAINT [PK_Artist] PRIMARY KEY ([ArtistId]));\nGO\nALTER TABLE [dbo].[Album] ADD CONSTRAINT [FK_AlbumArtistId]\n    FOREIGN KEY ([ArtistId]) REFERENCES [dbo].[Artist] ([ArtistId]) ON DELETE NO ACTION ON UPDATE NO ACTION;\nGO\nCREATE NONCLUSTERED INDEX [IFK_AlbumArtistId] ON [dbo].[Album] ([ArtistId]);\nGO";
        let p = parse_script(s, Dialect::MsSql, "t.sql");
        let c = p.counts();
        assert_eq!(
            (c.parsed, c.unparsed, c.client_commands),
            (4, 0, 4),
            "{:#?}",
            p.statements
        );
        let album = p.catalog.table("Album").unwrap();
        assert_eq!(
            album.columns[0].identity,
            Some(Identity::Identity {
                always: false,
                start: Some(1),
                increment: Some(1)
            })
        );
        assert_eq!(
            album.primary_key.as_ref().unwrap().name.as_deref(),
            Some("PK_Album")
        );
        assert_eq!(album.foreign_keys[0].referenced_table, "Artist");
        assert_eq!(album.indexes[0].name, "IFK_AlbumArtistId");
        assert_eq!(p.catalog.schemas[0].name, "dbo");
    }

    #[test]
    fn oracle_storage_clauses_and_sequences() {
        let s = "CREATE TABLE regions\n    ( region_id      NUMBER \n       CONSTRAINT  region_id_nn NOT NULL \n    , region_name    VARCHAR2(25) \n    ) TABLESPACE users STORAGE (INITIAL 64K);\nCREATE UNIQUE INDEX reg_id_pk ON regions (region_id) TABLESPACE users;\nALTER TABLE regions ADD ( CONSTRAINT reg_id_pk PRIMARY KEY (region_id) USING INDEX reg_id_pk ENABLE );\nCREATE SEQUENCE locations_seq START WITH 3300 INCREMENT BY 100 MAXVALUE 9900 NOCACHE NOCYCLE;\n";
        let p = parse_script(s, Dialect::Oracle, "hr.sql");
        let t = p.catalog.table("regions").unwrap();
        assert_eq!(t.columns.len(), 2);
        assert!(!t.columns[0].nullable);
        assert_eq!(t.columns[1].data_type.name, "varchar2");
        let q = &p.catalog.schemas[0].sequences[0];
        assert_eq!(
            (q.start, q.increment, q.max_value, q.cycle),
            (Some(3300), Some(100), Some(9900), false)
        );
        assert!(p.counts().parsed >= 3, "{:#?}", p.statements);
    }

    #[test]
    fn unparseable_statements_are_kept_with_their_name() {
        let s = "CREATE TABLE t (a int);\nCREATE TABLE broken (a int,, b);\nDELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END;;\nDELIMITER ;\nINSERT INTO t VALUES (1);\nFOO BAR;";
        let p = parse_script(s, Dialect::MySql, "x.sql");
        let c = p.counts();
        assert_eq!(
            (c.read, c.parsed, c.unparsed, c.data, c.client_commands),
            (7, 2, 2, 1, 2),
            "{:#?}",
            p.statements
        );
        let broken = p.objects.iter().find(|o| o.name.name == "broken").unwrap();
        assert_eq!(broken.line, 2);
        assert!(broken.parse_error.is_some());
        assert_eq!(p.catalog.schemas[0].routines[0].name, "p");
    }

    #[test]
    fn sequence_options_read_no_bounds_as_no_bounds() {
        let p = parse_script(
            "CREATE SEQUENCE public.a_id_seq\n    AS integer\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\nCREATE SEQUENCE b START 5 INCREMENT -1 MINVALUE -10 MAXVALUE 5 NO CYCLE;\nCREATE SEQUENCE c MAXVALUE 9999999999999999999999999999 CYCLE;\n",
            Dialect::Postgres,
            "s.sql",
        );
        let q: Vec<_> = p
            .catalog
            .schemas
            .iter()
            .flat_map(|s| &s.sequences)
            .collect();
        assert_eq!(q.len(), 3);
        assert_eq!(
            (
                q[0].start,
                q[0].increment,
                q[0].min_value,
                q[0].max_value,
                q[0].cycle
            ),
            (Some(1), Some(1), None, None, false)
        );
        assert_eq!(
            (
                q[1].start,
                q[1].increment,
                q[1].min_value,
                q[1].max_value,
                q[1].cycle
            ),
            (Some(5), Some(-1), Some(-10), Some(5), false)
        );
        assert_eq!((q[2].max_value, q[2].cycle), (None, true));
    }

    #[test]
    fn postgres_unquoted_names_fold_and_mysql_binary_is_a_collation() {
        assert_eq!(
            pg_fold_unquoted("create index Ix on T (UserName, \"Keep\") where x = 'AbC'"),
            "create index ix on t (username, \"Keep\") where x = 'AbC'"
        );
        assert_eq!(
            pg_fold_unquoted("INSERT INTO Artist (Name) VALUES\n  (N'It''s Ünïcode'), (E'a\\'B');"),
            "insert into artist (name) values\n  (N'It''s Ünïcode'), (E'a\\'B');"
        );
        assert_eq!(
            mysql_binary_attribute(
                "`a` varchar(128) BINARY NOT NULL, `b` BINARY(16), `c` char BINARY, d text CHARACTER SET binary"
            ),
            "`a` varchar(128) COLLATE utf8mb4_bin NOT NULL, `b` BINARY(16), `c` char COLLATE utf8mb4_bin, d text CHARACTER SET binary"
        );
    }

    #[test]
    fn trigger_header_comes_from_the_header_not_the_body() {
        let h = |t: &str, d| trigger_header(t, d);
        assert_eq!(
            h(
                "CREATE TRIGGER `del_log` BEFORE DELETE ON `film` FOR EACH ROW BEGIN INSERT INTO log (id) VALUES (OLD.id); UPDATE x SET y = 1; END",
                Dialect::MySql
            ),
            TriggerHeader {
                timing: TriggerTiming::Before,
                events: vec![TriggerEvent::Delete],
                for_each_row: true
            }
        );
        assert_eq!(
            h(
                "CREATE TRIGGER t AFTER DELETE ON a BEGIN INSERT INTO b VALUES (old.x); END",
                Dialect::Sqlite
            ),
            TriggerHeader {
                timing: TriggerTiming::After,
                events: vec![TriggerEvent::Delete],
                for_each_row: true
            }
        );
        assert_eq!(
            h(
                "CREATE TRIGGER t UPDATE OF a, b ON tab BEGIN DELETE FROM c; END",
                Dialect::Sqlite
            ),
            TriggerHeader {
                timing: TriggerTiming::Before,
                events: vec![TriggerEvent::Update],
                for_each_row: true
            }
        );
        assert_eq!(
            h(
                "CREATE OR REPLACE TRIGGER s.t BEFORE INSERT OR UPDATE OF x, z ON s.tab FOR EACH ROW WHEN (new.x > 0) BEGIN :new.y := 1; END;",
                Dialect::Oracle
            ),
            TriggerHeader {
                timing: TriggerTiming::Before,
                events: vec![TriggerEvent::Insert, TriggerEvent::Update],
                for_each_row: true
            }
        );
        assert_eq!(
            h(
                "CREATE TRIGGER dbo.trg ON dbo.orders AFTER INSERT, UPDATE AS BEGIN DELETE FROM x END",
                Dialect::MsSql
            ),
            TriggerHeader {
                timing: TriggerTiming::After,
                events: vec![TriggerEvent::Insert, TriggerEvent::Update],
                for_each_row: false
            }
        );
        assert_eq!(
            h(
                "CREATE TRIGGER trg INSTEAD OF DELETE ON v FOR EACH ROW EXECUTE FUNCTION f()",
                Dialect::Postgres
            ),
            TriggerHeader {
                timing: TriggerTiming::InsteadOf,
                events: vec![TriggerEvent::Delete],
                for_each_row: true
            }
        );
        assert!(
            !h(
                "CREATE TRIGGER trg AFTER TRUNCATE ON t EXECUTE FUNCTION f()",
                Dialect::Postgres
            )
            .for_each_row
        );
    }

    #[test]
    fn oracle_star_precision_reads() {
        assert_eq!(
            oracle_star_precision("a NUMBER(*,10), b NUMBER(*), c NUMBER(5), d number ( * , 2 )"),
            "a NUMBER(38, 10), b NUMBER, c NUMBER(5), d number(38, 2)"
        );
    }

    #[test]
    fn tsql_guards_keep_the_tables_they_guard() {
        let script = "IF OBJECT_ID('dbo.Orders', 'U') IS NOT NULL\nBEGIN\n    DROP TABLE dbo.Orders\nEND\nCREATE TABLE dbo.Orders (id int PRIMARY KEY)\nGO\nIF EXISTS (SELECT * FROM sys.objects WHERE name = 'Lines') DROP TABLE dbo.Lines\nCREATE TABLE dbo.Lines (id int PRIMARY KEY, order_id int REFERENCES dbo.Orders(id))\nGO\nIF NOT EXISTS (SELECT * FROM sys.tables WHERE name = 'Audit')\nBEGIN\n    CREATE TABLE dbo.Audit (id int IDENTITY(1,1) PRIMARY KEY)\nEND\nGO\n";
        let p = parse_script(script, Dialect::MsSql, "g.sql");
        let tables: Vec<&str> = p
            .catalog
            .schemas
            .iter()
            .flat_map(|s| &s.tables)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(tables, ["Audit", "Lines", "Orders"], "{:#?}", p.statements);
        let guards = p
            .statements
            .iter()
            .filter(
                |s| matches!(&s.outcome, Outcome::Skipped { reason } if reason.contains("guard")),
            )
            .count();
        assert_eq!(guards, 2);
    }

    #[test]
    fn detects_dialects() {
        assert_eq!(
            detect_dialect("CREATE TABLE [dbo].[x] (a NVARCHAR(10))\nGO\n"),
            Dialect::MsSql
        );
        assert_eq!(
            detect_dialect("CREATE TABLE x (a VARCHAR2(10), b NUMBER(5));\n/\n"),
            Dialect::Oracle
        );
        assert_eq!(
            detect_dialect("CREATE TABLE `x` (a int unsigned AUTO_INCREMENT) ENGINE=InnoDB;"),
            Dialect::MySql
        );
        assert_eq!(
            detect_dialect("CREATE TABLE x (a serial); COPY x FROM stdin;"),
            Dialect::Postgres
        );
    }
}
