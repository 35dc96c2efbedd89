//! Splitting SQL scripts into statements, the way each dialect's own client does.
//!
//! - MySQL/MariaDB: `;` or the current `DELIMITER`; `#` and `-- ` comments; backslash escapes;
//!   `/*!40101 ... */` executable comments are kept as text.
//! - PostgreSQL: `;`; dollar-quoted bodies; `COPY ... FROM stdin` data blocks up to `\.`;
//!   psql meta-commands (`\connect`) as client commands.
//! - SQL Server: `GO` batches; a batch that creates a procedure, function, trigger or view is one
//!   statement; other batches split at `;`.
//! - Oracle (SQL*Plus): `;`, and PL/SQL blocks (procedures, packages, triggers, types, anonymous
//!   blocks) end at a `/` line; `PROMPT`, `SET`, `SPOOL`... lines are client commands; `REM` lines
//!   are comments.
//! - SQLite: `;`, with `CREATE TRIGGER ... BEGIN ... END;` kept whole; `.commands` are client commands.
//!
//! Nothing is dropped: every piece of text that is not whitespace or a comment ends up in a
//! statement (or a client command), with the line it starts on.

use serde::{Deserialize, Serialize};

/// A source SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dialect {
    MySql,
    Postgres,
    MsSql,
    Oracle,
    Sqlite,
}

impl Dialect {
    /// The dialect a live engine speaks (MariaDB speaks MySQL's).
    pub fn of_engine(e: crate::endpoints::Engine) -> Dialect {
        match e {
            crate::endpoints::Engine::Postgres => Dialect::Postgres,
            crate::endpoints::Engine::Sqlite => Dialect::Sqlite,
            crate::endpoints::Engine::MySql | crate::endpoints::Engine::MariaDb => Dialect::MySql,
            // A data lake takes no DDL: the clients offer only databases for conversion and
            // apply; its tasks' sources are databases.
            crate::endpoints::Engine::Parquet => Dialect::Postgres,
        }
    }

    pub const ALL: [Dialect; 5] = [
        Dialect::MySql,
        Dialect::Postgres,
        Dialect::MsSql,
        Dialect::Oracle,
        Dialect::Sqlite,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Dialect::MySql => "MySQL/MariaDB",
            Dialect::Postgres => "PostgreSQL",
            Dialect::MsSql => "SQL Server",
            Dialect::Oracle => "Oracle",
            Dialect::Sqlite => "SQLite",
        }
    }
}

/// Whether a piece of a script is SQL for the server or a command for the client tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Piece {
    Sql,
    /// `DELIMITER`, `GO`, `PROMPT`, `SET ECHO`, `\connect`, `.mode`...: understood by the client.
    ClientCommand,
}

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawStatement {
    /// The statement text, without its terminator.
    pub text: String,
    /// 1-based line where it starts.
    pub line: usize,
    /// 1-based line where it ends.
    pub end_line: usize,
    pub piece: Piece,
    /// The data lines of a PostgreSQL `COPY ... FROM stdin`.
    pub copy_data: Option<String>,
}

const PLSQL_CREATORS: [&str; 7] = [
    "PROCEDURE",
    "FUNCTION",
    "PACKAGE",
    "TRIGGER",
    "TYPE",
    "LIBRARY",
    "JAVA",
];
const SQLPLUS_COMMANDS: [&str; 26] = [
    "EXIT", "QUIT", "PROMPT", "SET", "SPOOL", "WHENEVER", "EXEC", "EXECUTE", "CONNECT", "CONN",
    "DEFINE", "UNDEFINE", "COLUMN", "COL", "TTITLE", "BTITLE", "BREAK", "COMPUTE", "ACCEPT",
    "PAUSE", "SHOW", "DESC", "DESCRIBE", "CLEAR", "HOST", "VARIABLE",
];

/// Splits `script` into statements.
pub fn split(script: &str, dialect: Dialect) -> Vec<RawStatement> {
    Splitter::new(script, dialect).run()
}

struct Splitter<'a> {
    src: &'a str,
    bytes: &'a [u8],
    dialect: Dialect,
    pos: usize,
    line: usize,
    out: Vec<RawStatement>,
    /// Start byte and line of the statement being read.
    start: Option<(usize, usize)>,
    delimiter: String,
}

impl<'a> Splitter<'a> {
    fn new(src: &'a str, dialect: Dialect) -> Self {
        Splitter {
            src,
            bytes: src.as_bytes(),
            dialect,
            pos: 0,
            line: 1,
            out: vec![],
            start: None,
            delimiter: ";".into(),
        }
    }

    fn at_line_start(&self) -> bool {
        self.pos == 0 || self.bytes[self.pos - 1] == b'\n'
    }

    /// The rest of the current line (without the newline).
    fn rest_of_line(&self) -> &'a str {
        let end = self.src[self.pos..]
            .find('\n')
            .map(|p| self.pos + p)
            .unwrap_or(self.src.len());
        &self.src[self.pos..end]
    }

    /// Moves past the current line, newline included.
    fn skip_line(&mut self) {
        let l = self.rest_of_line().len();
        self.pos += l;
        if self.pos < self.bytes.len() {
            self.pos += 1;
            self.line += 1;
        }
    }

    /// Moves `n` bytes on (and on to the next character boundary).
    fn advance(&mut self, n: usize) {
        let target = (self.pos + n).min(self.bytes.len());
        while self.pos < target
            || (self.pos < self.bytes.len() && !self.src.is_char_boundary(self.pos))
        {
            if self.bytes[self.pos] == b'\n' {
                self.line += 1;
            }
            self.pos += 1;
        }
    }

    fn emit(&mut self, end: usize, piece: Piece) {
        if let Some((s, line)) = self.start.take() {
            let text = self.src[s..end].trim_end().to_string();
            if !text.trim().is_empty() {
                let end_line = line + text.matches('\n').count();
                self.out.push(RawStatement {
                    text,
                    line,
                    end_line,
                    piece,
                    copy_data: None,
                });
            }
        }
    }

    fn client_command(&mut self) {
        let text = self.rest_of_line().trim_end().to_string();
        let line = self.line;
        self.out.push(RawStatement {
            text,
            line,
            end_line: line,
            piece: Piece::ClientCommand,
            copy_data: None,
        });
        self.skip_line();
    }

    /// The first words of the current statement, upper-cased, comments skipped.
    fn head_words(&self, n: usize) -> Vec<String> {
        let Some((s, _)) = self.start else {
            return vec![];
        };
        words(&self.src[s..self.pos], n)
    }

    fn run(mut self) -> Vec<RawStatement> {
        while self.pos < self.bytes.len() {
            if self.at_line_start() && self.line_directive() {
                continue;
            }
            let b = self.bytes[self.pos];
            // Whitespace and comments between statements are not part of any statement.
            if self.start.is_none() {
                if b.is_ascii_whitespace() {
                    self.advance(1);
                    continue;
                }
                if let Some(len) = self.comment_len() {
                    self.advance(len);
                    continue;
                }
                self.start = Some((self.pos, self.line));
            }
            if let Some(len) = self.comment_len() {
                self.advance(len);
                continue;
            }
            if let Some(len) = self.quoted_len() {
                self.advance(len);
                continue;
            }
            if self.src[self.pos..].starts_with(self.delimiter.as_str()) && self.ends_here() {
                let end = self.pos;
                self.advance(self.delimiter.len());
                self.finish_statement(end);
                continue;
            }
            self.advance(1);
        }
        let end = self.src.len();
        self.emit(end, Piece::Sql);
        self.out
    }

    /// Ends the statement at `end` (its terminator already consumed).
    fn finish_statement(&mut self, end: usize) {
        let is_copy_stdin = self.dialect == Dialect::Postgres && {
            let head = self.head_words(12);
            head.first().is_some_and(|w| w == "COPY") && head.iter().any(|w| w == "STDIN")
        };
        self.emit(end, Piece::Sql);
        if is_copy_stdin {
            // Data lines follow, up to a line `\.`.
            self.skip_line();
            let data_start = self.pos;
            let mut data_end = self.src.len();
            while self.pos < self.bytes.len() {
                if self.rest_of_line().trim_end() == "\\." {
                    data_end = self.pos;
                    self.skip_line();
                    break;
                }
                self.skip_line();
            }
            if let Some(last) = self.out.last_mut() {
                last.copy_data = Some(self.src[data_start..data_end].to_string());
            }
        }
    }

    /// Whether a terminator here ends the statement (not inside a PL/SQL block, a SQLite trigger
    /// body, or a SQL Server routine batch).
    fn ends_here(&self) -> bool {
        let Some((s, _)) = self.start else {
            return true;
        };
        let head = self.head_words(8);
        let creates = |kinds: &[&str]| -> bool {
            let mut it = head
                .iter()
                .map(String::as_str)
                .skip_while(|w| *w == "CREATE" || *w == "OR" || *w == "REPLACE" || *w == "ALTER");
            let mut w = it.next();
            while matches!(
                w,
                Some("EDITIONABLE" | "NONEDITIONABLE" | "TEMP" | "TEMPORARY" | "DEFINER" | "AND")
            ) {
                w = it.next();
            }
            head.first().is_some_and(|f| f == "CREATE" || f == "ALTER")
                && w.is_some_and(|w| kinds.contains(&w))
        };
        match self.dialect {
            Dialect::Oracle => {
                let anonymous = head.first().is_some_and(|w| w == "DECLARE" || w == "BEGIN");
                // `CREATE TYPE t AS OBJECT (...);` is plain SQL when it has no body; bodies need `/`.
                let type_spec = creates(&["TYPE"]) && !head.iter().any(|w| w == "BODY");
                // `ALTER TRIGGER t DISABLE;` and `ALTER PROCEDURE p COMPILE;` are plain SQL.
                let plsql = creates(&PLSQL_CREATORS)
                    && !type_spec
                    && head.first().is_some_and(|f| f == "CREATE");
                !(anonymous || plsql)
            }
            Dialect::Sqlite => {
                if !creates(&["TRIGGER"]) {
                    return true;
                }
                let w = words(&self.src[s..self.pos], usize::MAX);
                let count = |k: &str| w.iter().filter(|x| *x == k).count();
                w.last().is_some_and(|l| l == "END")
                    && count("END") >= count("BEGIN") + count("CASE")
            }
            Dialect::MsSql => !creates(&["PROCEDURE", "PROC", "FUNCTION", "TRIGGER", "VIEW"]),
            Dialect::MySql | Dialect::Postgres => {
                // PostgreSQL 14 SQL-standard bodies: BEGIN ATOMIC ... END.
                if self.dialect == Dialect::Postgres && creates(&["FUNCTION", "PROCEDURE"]) {
                    let w = words(&self.src[s..self.pos], usize::MAX);
                    if w.windows(2).any(|p| p[0] == "BEGIN" && p[1] == "ATOMIC") {
                        return w.last().is_some_and(|l| l == "END");
                    }
                }
                true
            }
        }
    }

    /// Handles line-level client syntax at the start of a line. Returns true if it consumed input.
    fn line_directive(&mut self) -> bool {
        let line = self.rest_of_line();
        let trimmed = line.trim();
        let upper = trimmed.to_ascii_uppercase();
        let first = upper.split_whitespace().next().unwrap_or("");
        match self.dialect {
            Dialect::MySql if self.start.is_none() && first == "DELIMITER" => {
                if let Some(d) = trimmed.split_whitespace().nth(1) {
                    self.delimiter = d.to_string();
                }
                self.client_command();
                true
            }
            Dialect::MsSql
                if first == "GO"
                    && upper
                        .split_whitespace()
                        .nth(1)
                        .is_none_or(|w| w.parse::<u32>().is_ok() || w.starts_with("--")) =>
            {
                let end = self.pos;
                self.emit(end, Piece::Sql);
                self.client_command();
                true
            }
            Dialect::Oracle if trimmed == "/" => {
                let end = self.pos;
                self.emit(end, Piece::Sql);
                self.skip_line();
                true
            }
            Dialect::Oracle if self.start.is_none() && (first == "REM" || first == "REMARK") => {
                self.skip_line();
                true
            }
            Dialect::Oracle
                if self.start.is_none()
                    && (SQLPLUS_COMMANDS.contains(&first) || trimmed.starts_with('@'))
                    && !(first == "SET" && upper.starts_with("SET TRANSACTION")) =>
            {
                self.client_command();
                true
            }
            Dialect::Postgres if self.start.is_none() && trimmed.starts_with('\\') => {
                self.client_command();
                true
            }
            Dialect::Sqlite if self.start.is_none() && trimmed.starts_with('.') => {
                self.client_command();
                true
            }
            _ => false,
        }
    }

    /// Length of a comment starting here (kept MySQL executable comments are not comments).
    fn comment_len(&self) -> Option<usize> {
        let rest = &self.bytes[self.pos..];
        let line_comment =
            rest.starts_with(b"--") || (self.dialect == Dialect::MySql && rest.starts_with(b"#"));
        if line_comment {
            return Some(self.rest_of_line().len());
        }
        if rest.starts_with(b"/*") && !(self.dialect == Dialect::MySql && rest.starts_with(b"/*!"))
        {
            // PostgreSQL nests block comments; others do not.
            let mut depth = 0;
            let mut i = 0;
            while i < rest.len() {
                if rest[i..].starts_with(b"/*") && (depth == 0 || self.dialect == Dialect::Postgres)
                {
                    depth += 1;
                    i += 2;
                } else if rest[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return Some(i);
                    }
                } else {
                    i += 1;
                }
            }
            return Some(rest.len());
        }
        None
    }

    /// Length of a quoted string or identifier starting here.
    fn quoted_len(&self) -> Option<usize> {
        let rest = &self.bytes[self.pos..];
        let b = rest[0];
        let backslash = self.dialect == Dialect::MySql
            || (self.dialect == Dialect::Postgres
                && (b == b'E' || b == b'e')
                && rest.get(1) == Some(&b'\'')
                && (self.pos == 0 || !is_word(self.bytes[self.pos - 1])));
        let (open_len, close) = match b {
            b'\'' => (1, b'\''),
            b'"' => (1, b'"'),
            b'`' if self.dialect == Dialect::MySql => (1, b'`'),
            b'[' if matches!(self.dialect, Dialect::MsSql | Dialect::Sqlite) => (1, b']'),
            b'E' | b'e' if backslash && self.dialect == Dialect::Postgres => (2, b'\''),
            b'$' if self.dialect == Dialect::Postgres => return self.dollar_len(),
            _ => return None,
        };
        let mut i = open_len;
        while i < rest.len() {
            let c = rest[i];
            if backslash && c == b'\\' && close != b'`' {
                i += 2;
                continue;
            }
            if c == close {
                if close != b']' && rest.get(i + 1) == Some(&close) {
                    i += 2;
                    continue;
                }
                return Some(i + 1);
            }
            i += 1;
        }
        Some(rest.len())
    }

    /// `$tag$ ... $tag$`.
    fn dollar_len(&self) -> Option<usize> {
        let rest = &self.src[self.pos..];
        if self.pos > 0 && is_word(self.bytes[self.pos - 1]) {
            return None; // `a$b` is an identifier
        }
        let tag_end = rest[1..].find('$')? + 1;
        let tag = &rest[..=tag_end];
        if !tag[1..tag.len() - 1].bytes().all(is_word)
            || tag[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            return None; // `$1` is a parameter
        }
        let close = rest[tag.len()..]
            .find(tag)
            .map(|p| p + 2 * tag.len())
            .unwrap_or(rest.len());
        Some(close)
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The first `n` words of SQL text, upper-cased, outside comments and quotes (quoted identifiers
/// count as one word, unquoted).
pub fn words(text: &str, n: usize) -> Vec<String> {
    super::classify::tokens(text, n)
        .into_iter()
        .filter(|t| !t.punct)
        .map(|t| t.upper)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &[RawStatement]) -> Vec<&str> {
        v.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn mysql_delimiters_comments_and_quotes() {
        let s = "-- header\n/*!40101 SET NAMES utf8 */;\nCREATE TABLE t (a varchar(5) DEFAULT 'x;y', b text COMMENT 'it''s \\'ok\\';');\n# hash comment\nDELIMITER ;;\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND;;\nDELIMITER ;\nINSERT INTO t VALUES ('a');";
        let v = split(s, Dialect::MySql);
        assert_eq!(
            texts(&v),
            [
                "/*!40101 SET NAMES utf8 */",
                "CREATE TABLE t (a varchar(5) DEFAULT 'x;y', b text COMMENT 'it''s \\'ok\\';')",
                "DELIMITER ;;",
                "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND",
                "DELIMITER ;",
                "INSERT INTO t VALUES ('a')"
            ]
        );
        assert_eq!(v[3].line, 6);
        assert_eq!(v[3].end_line, 10);
        assert_eq!(v[2].piece, Piece::ClientCommand);
    }

    #[test]
    fn postgres_dollar_quotes_copy_and_meta_commands() {
        let s = "\\connect db\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\nCOPY t (a, b) FROM stdin;\n1\tx;y\n2\t\\N\n\\.\nSELECT E'a\\';b';\n/* outer /* nested */ still */ SELECT $1;";
        let v = split(s, Dialect::Postgres);
        assert_eq!(v[0].piece, Piece::ClientCommand);
        assert_eq!(
            v[1].text,
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql"
        );
        assert_eq!(v[2].text, "COPY t (a, b) FROM stdin");
        assert_eq!(v[2].copy_data.as_deref(), Some("1\tx;y\n2\t\\N\n"));
        assert_eq!(v[3].text, "SELECT E'a\\';b'");
        assert_eq!(v[4].text, "SELECT $1");
        assert_eq!(v.len(), 5);
    }

    #[test]
    fn sql_server_batches() {
        let s = "SET ANSI_NULLS ON\nGO\nCREATE TABLE [dbo].[a;b] ([x] INT) ON [PRIMARY];\nCREATE INDEX i ON a (x);\nGO\nCREATE PROCEDURE p AS\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND\ngo\n";
        let v = split(s, Dialect::MsSql);
        assert_eq!(
            texts(&v),
            [
                "SET ANSI_NULLS ON",
                "GO",
                "CREATE TABLE [dbo].[a;b] ([x] INT) ON [PRIMARY]",
                "CREATE INDEX i ON a (x)",
                "GO",
                "CREATE PROCEDURE p AS\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND",
                "go"
            ]
        );
    }

    #[test]
    fn oracle_plsql_blocks_and_sqlplus_commands() {
        let s = "REM a remark\nALTER TRIGGER t DISABLE;\nPROMPT creating;\nSET ECHO ON\nCREATE SEQUENCE s START WITH 1;\nCREATE OR REPLACE PACKAGE BODY pkg AS\n  PROCEDURE p IS BEGIN NULL; END;\nEND pkg;\n/\nCREATE TYPE t AS OBJECT (a NUMBER);\n/\nBEGIN\n  dbms_output.put_line('x;');\nEND;\n/\n@other_script.sql\n";
        let v = split(s, Dialect::Oracle);
        assert_eq!(
            texts(&v),
            [
                "ALTER TRIGGER t DISABLE",
                "PROMPT creating;",
                "SET ECHO ON",
                "CREATE SEQUENCE s START WITH 1",
                "CREATE OR REPLACE PACKAGE BODY pkg AS\n  PROCEDURE p IS BEGIN NULL; END;\nEND pkg;",
                "CREATE TYPE t AS OBJECT (a NUMBER)",
                "BEGIN\n  dbms_output.put_line('x;');\nEND;",
                "@other_script.sql"
            ]
        );
    }

    #[test]
    fn sqlite_triggers_stay_whole() {
        let s = "CREATE TABLE t (a);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET a = CASE WHEN a > 1 THEN 1 ELSE 0 END;\n  SELECT 1;\nEND;\n.mode csv\nINSERT INTO t VALUES (1);";
        let v = split(s, Dialect::Sqlite);
        assert_eq!(v.len(), 4);
        assert!(v[1].text.starts_with("CREATE TRIGGER") && v[1].text.ends_with("END"));
        assert_eq!(v[2].piece, Piece::ClientCommand);
    }

    #[test]
    fn unterminated_input_is_kept() {
        let v = split("CREATE TABLE t (a int", Dialect::Postgres);
        assert_eq!(texts(&v), ["CREATE TABLE t (a int"]);
        let v = split("SELECT 'never closed", Dialect::MySql);
        assert_eq!(v.len(), 1);
    }
}
