//! Reading one statement with sqlparser: each dialect's text first made readable (MySQL version comments and BINARY, T-SQL filegroups and options, Oracle storage clauses and NUMBER(*), PostgreSQL's folding of unquoted names).

use super::*;

pub(super) fn sp_dialect(d: Dialect) -> Box<dyn sp::Dialect> {
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
pub(super) fn oracle_add_list(s: &str) -> String {
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
pub(super) fn view_body(text: &str) -> String {
    let up = text.to_ascii_uppercase();
    crate::discovery::find_keyword(&up, "VIEW", 0)
        .and_then(|v| crate::discovery::find_keyword(&up, "AS", v))
        .map(|p| text[p + 2..].trim().to_string())
        .unwrap_or_else(|| text.to_string())
}

/// Oracle's `NUMBER(*, s)` (the largest precision, 38, with scale s) and `NUMBER(*)` (plain
/// NUMBER), which sqlparser does not read.
pub(super) fn oracle_star_precision(text: &str) -> String {
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
pub(super) fn pg_fold_unquoted(text: &str) -> String {
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
pub(super) fn mysql_binary_attribute(text: &str) -> String {
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

pub(super) fn remove_words(s: &str, kws: &[&str]) -> String {
    let mut out = s.to_string();
    for kw in kws {
        while let Some(p) = crate::discovery::find_keyword(&out.to_ascii_uppercase(), kw, 0) {
            out.replace_range(p..p + kw.len(), "");
        }
    }
    out
}

pub(super) fn remove_clauses(s: &str, kws: &[&str], arg: Arg) -> String {
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
pub(super) fn tsql_add_list(s: &str) -> String {
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
pub(super) fn remove_phrases(s: &str, phrases: &[&str]) -> String {
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

pub(super) fn remove_on_filegroup(s: &str) -> String {
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
pub(super) fn remove_using_index(s: &str) -> String {
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
