//! T-SQL install and migration scripts: control flow around the DDL, and SQLCMD variables.
//!
//! Such scripts (Hangfire's, SSDT's) wrap their statements in `IF NOT EXISTS (...) BEGIN ...
//! END ELSE ...` and `IF @version = 3 BEGIN ... END`, with `;` inside the blocks, so the
//! statements reach the parser as pieces that start with `END`, `ELSE` or `IF cond BEGIN`.
//! Those leading control words are taken off (what a fresh install runs is every branch's
//! DDL); the statement under them is read as any other. Names written with SQLCMD variables
//! (`[$(HangFireSchema)].[Job]`) take the variable's `:setvar` value, or its name when the
//! script sets none.

use std::borrow::Cow;

use super::{RawStatement, words};

/// `$(Name)` replaced by the value a `:setvar Name value` line gives it, or by `Name`.
pub(super) fn sqlcmd_variables(script: &str) -> Cow<'_, str> {
    if !script.contains("$(") {
        return Cow::Borrowed(script);
    }
    let mut values = std::collections::HashMap::new();
    for line in script.lines() {
        let mut w = line.split_whitespace();
        if w.next().is_some_and(|x| x.eq_ignore_ascii_case(":setvar"))
            && let Some(name) = w.next()
        {
            let value = w.collect::<Vec<_>>().join(" ");
            values.insert(
                name.to_ascii_lowercase(),
                value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(&value)
                    .to_string(),
            );
        }
    }
    let mut out = String::with_capacity(script.len());
    let mut rest = script;
    while let Some(p) = rest.find("$(") {
        let Some(end) = rest[p..].find(')') else {
            break;
        };
        let name = &rest[p + 2..p + end];
        out.push_str(&rest[..p]);
        if name.chars().all(|c| c.is_alphanumeric() || c == '_') && !name.is_empty() {
            out.push_str(
                values
                    .get(&name.to_ascii_lowercase())
                    .map(String::as_str)
                    .unwrap_or(name),
            );
        } else {
            out.push_str(&rest[p..p + end + 1]);
        }
        rest = &rest[p + end + 1..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Words that start a statement (where an IF's condition ends when no BEGIN follows).
const STATEMENTS: [&str; 16] = [
    "CREATE",
    "ALTER",
    "DROP",
    "INSERT",
    "UPDATE",
    "DELETE",
    "EXEC",
    "EXECUTE",
    "PRINT",
    "SET",
    "DECLARE",
    "RETURN",
    "ROLLBACK",
    "COMMIT",
    "TRUNCATE",
    "RAISERROR",
];

/// The piece without the control words it starts with (`END`, `ELSE`, `IF condition`,
/// `BEGIN`): the statement under them, or nothing when there is none. Other pieces as they
/// are.
pub(super) fn without_control_flow(raw: RawStatement) -> Vec<RawStatement> {
    let first = words(&raw.text, 1);
    if !matches!(
        first.first().map(String::as_str),
        Some("END" | "ELSE" | "IF" | "BEGIN")
    ) {
        return vec![raw];
    }
    let text = raw.text.as_str();
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let skipped = rest.len() - skip_space(rest).len();
        let w = words(&rest[skipped..], 2);
        let word_len = |w: &str| skipped + w.len();
        match w.first().map(String::as_str) {
            Some("END")
                if w.get(1)
                    .is_none_or(|x| !matches!(x.as_str(), "TRY" | "CATCH")) =>
            {
                at += word_len("END");
            }
            Some("ELSE") => at += word_len("ELSE"),
            Some("BEGIN")
                if w.get(1).is_none_or(|x| {
                    !matches!(x.as_str(), "TRAN" | "TRANSACTION" | "DISTRIBUTED")
                }) =>
            {
                at += word_len("BEGIN");
            }
            Some("IF") => match condition_end(&rest[skipped + 2..]) {
                Some(n) => at += skipped + 2 + n,
                // A condition that never ends: the piece is left to the parser as it is.
                None => return vec![raw],
            },
            _ => break,
        }
        // Words glued to what follows (`END;`) cannot happen: pieces end at `;`.
        if at >= text.len() {
            break;
        }
    }
    if at == 0 {
        return vec![raw];
    }
    let rest = &text[at.min(text.len())..];
    let body = skip_space(rest);
    if body.trim().is_empty() {
        // Control flow only: read as the block it is (and reported as such).
        return vec![raw];
    }
    let prefix = &text[..text.len() - body.len()];
    without_control_flow(RawStatement {
        text: body.to_string(),
        line: raw.line + prefix.matches('\n').count(),
        ..raw
    })
}

/// Whitespace and comments at the start of `s` skipped.
fn skip_space(mut s: &str) -> &str {
    loop {
        let t = s.trim_start();
        if let Some(r) = t.strip_prefix("--") {
            s = r.find('\n').map(|i| &r[i..]).unwrap_or("");
        } else if let Some(r) = t.strip_prefix("/*") {
            s = r.find("*/").map(|i| &r[i + 2..]).unwrap_or("");
        } else {
            return t;
        }
    }
}

/// Where an IF's condition ends in `s` (the text after IF): before `BEGIN` or the first
/// statement word outside parentheses and quotes.
fn condition_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0i32;
    let mut i = 0;
    let mut seen = false;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
            }
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            c if depth == 0 && c.is_ascii_alphabetic() && (i == 0 || !is_word(b[i - 1])) => {
                let end = (i..b.len()).find(|&j| !is_word(b[j])).unwrap_or(b.len());
                let w = s[i..end].to_ascii_uppercase();
                if seen && (w == "BEGIN" || STATEMENTS.contains(&w.as_str())) {
                    return Some(i);
                }
                seen = true;
                i = end;
                continue;
            }
            _ => seen = true,
        }
        i += 1;
    }
    None
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'@' || c == b'#'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddl::Dialect;
    use crate::ddl::split::{Piece, split};

    fn stripped(text: &str) -> Vec<(usize, String)> {
        split(text, Dialect::MsSql)
            .into_iter()
            .flat_map(without_control_flow)
            .filter(|r| r.piece == Piece::Sql)
            .map(|r| {
                (
                    r.line,
                    r.text.split_whitespace().collect::<Vec<_>>().join(" "),
                )
            })
            .collect()
    }

    #[test]
    fn statements_under_if_blocks_are_read_with_their_lines() {
        let got = stripped(
            "IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = 'T')\nBEGIN\n  CREATE TABLE [$(S)].[T] (id int);\n  PRINT 'made';\nEND\nELSE\n  PRINT 'there';\nIF @v = 1\nBEGIN\n  ALTER TABLE t ADD x int;\nEND",
        );
        assert_eq!(got[0], (3, "CREATE TABLE [$(S)].[T] (id int)".to_string()));
        assert_eq!(got[1], (4, "PRINT 'made'".to_string()));
        assert_eq!(got[2].1, "PRINT 'there'");
        assert_eq!(got[3], (10, "ALTER TABLE t ADD x int".to_string()));
    }

    /// A migration chain as install scripts write it: version blocks, a table dropped and made
    /// anew, an index re-created, a column altered the T-SQL way. The model is the end state.
    #[test]
    fn migration_chains_end_in_the_last_definitions() {
        let script = "DECLARE @v int;\nSELECT @v = 1;\nIF @v IS NULL\nBEGIN\n    CREATE TABLE [$(S)].[Hash] ([Id] int NOT NULL, [Name] nvarchar(40) NOT NULL);\n    CREATE INDEX [IX_Hash] ON [$(S)].[Hash] ([Name]);\n    SET @v = 1;\nEND\nIF @v = 1\nBEGIN\n    DROP TABLE [$(S)].[Hash];\n    CREATE TABLE [$(S)].[Hash] ([Key] nvarchar(100) NOT NULL, [Field] nvarchar(100) NOT NULL);\n    ALTER TABLE [$(S)].[Hash] ALTER COLUMN [Field] nvarchar(200) NULL;\n    DROP INDEX [IX_Hash] ON [$(S)].[Hash];\n    CREATE INDEX [IX_Hash] ON [$(S)].[Hash] ([Key]);\n    RETURN;\nEND\n";
        let p = crate::ddl::parse_script(script, Dialect::MsSql, "m.sql");
        let tables: Vec<_> = p.catalog.schemas.iter().flat_map(|s| &s.tables).collect();
        assert_eq!(tables.len(), 1, "{:#?}", p.statements);
        let t = tables[0];
        assert_eq!(p.catalog.schemas[0].name, "S");
        let cols: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cols, ["Key", "Field"]);
        assert!(t.columns[1].nullable);
        assert_eq!(t.columns[1].data_type.length, Some(200));
        assert_eq!(t.indexes.len(), 1);
        assert_eq!(t.indexes[0].parts[0].column.as_deref(), Some("Key"));
        // Nothing unread: control flow and the first definitions are accounted as such.
        let unparsed: Vec<_> = p
            .statements
            .iter()
            .filter(|r| matches!(r.outcome, super::super::Outcome::Unparsed { .. }))
            .collect();
        assert!(unparsed.is_empty(), "{unparsed:#?}");
    }

    /// IGNORE_DUP_KEY changes what an insert does: kept on the index, and a REBUILD that
    /// turns it on is an action, never silently dropped with the other index options.
    #[test]
    fn ignore_dup_key_is_kept_for_the_report() {
        let script = "CREATE TABLE s ([Key] nvarchar(100) NOT NULL)\nGO\nCREATE UNIQUE INDEX ux ON s ([Key]) WITH (PAD_INDEX = OFF, IGNORE_DUP_KEY = ON)\nGO\nCREATE INDEX ix ON s ([Key]) WITH (IGNORE_DUP_KEY = OFF)\nGO\nALTER TABLE s REBUILD WITH (IGNORE_DUP_KEY = ON)\nGO\n";
        let p = crate::ddl::parse_script(script, Dialect::MsSql, "i.sql");
        let ix = &p.catalog.schemas[0].tables[0].indexes;
        assert_eq!(
            ix.iter()
                .map(|i| (i.name.as_str(), i.ignore_dup_key))
                .collect::<Vec<_>>(),
            [("ux", true), ("ix", false)]
        );
        let last = p
            .statements
            .iter()
            .rev()
            .find(|r| matches!(r.classified.kind, crate::ddl::StatementKind::Alter(_)))
            .expect("the ALTER");
        assert!(
            matches!(&last.outcome, super::super::Outcome::Unparsed { error } if error.contains("IGNORE_DUP_KEY")),
            "{last:?}"
        );
    }

    #[test]
    fn sqlcmd_variables_take_their_values() {
        assert_eq!(
            sqlcmd_variables(":setvar S \"app\"\nCREATE TABLE [$(S)].[$(T)] (id int)"),
            ":setvar S \"app\"\nCREATE TABLE [app].[T] (id int)"
        );
    }
}
