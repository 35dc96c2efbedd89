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
    let Some(add) = crate::sqltext::find_keyword(&up, "ADD", 0) else {
        return s.to_string();
    };
    let rest = &s[add + 3..];
    let open = add + 3 + (rest.len() - rest.trim_start().len());
    if !s[open..].starts_with('(') {
        return s.to_string();
    }
    let Some(close) = crate::sqltext::matching_paren(s, open) else {
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
                crate::sqltext::find_keyword(&s.to_ascii_uppercase(), "PERSISTENT", 0)
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
                    match crate::sqltext::matching_paren(&s, open) {
                        Some(close) => s.replace_range(open..close + 1, ""),
                        None => break,
                    }
                }
            }
            s = remove_on_filegroup(&s);
            s = tsql_alter_column(&s);
            s = trailing_comma(&s);
            s = remove_clauses(&s, &["WITH"], Arg::ParensWithEquals);
            s = remove_words(&s, &["NONCLUSTERED", "CLUSTERED"]);
        }
        Dialect::Oracle => {
            s = oracle_add_list(&s);
            s = oracle_star_precision(&s);
            s = oracle_length_semantics(&s);
            // `GENERATED BY DEFAULT ON NULL AS IDENTITY`, `DEFAULT ON NULL expr`: an explicit
            // NULL takes the identity or default too; the rest reads as the standard form.
            let mut from = 0;
            while let Some(p) =
                crate::sqltext::find_keyword(&s.to_ascii_uppercase(), "ON NULL", from)
            {
                if s[..p].trim_end().to_ascii_uppercase().ends_with("DEFAULT") {
                    s.replace_range(p..p + "ON NULL".len(), "");
                    from = p;
                } else {
                    from = p + "ON NULL".len();
                }
            }
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
            s = remove_phrases(
                &s,
                &["SEGMENT CREATION IMMEDIATE", "SEGMENT CREATION DEFERRED"],
            );
            s = remove_words(
                &s,
                &[
                    "OVERFLOW",
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
        Dialect::Postgres => s = pg_identity_options(&pg_fold_unquoted(&s)),
        Dialect::Sqlite => s = sqlite_type_words(&s),
    }
    s
}

/// The query of a `CREATE [MATERIALIZED] VIEW name [(columns)] [WITH (...)] AS query` the
/// parser could not read: what follows the first AS after VIEW (the whole text if none).
pub(super) fn view_body(text: &str) -> String {
    let up = text.to_ascii_uppercase();
    crate::sqltext::find_keyword(&up, "VIEW", 0)
        .and_then(|v| crate::sqltext::find_keyword(&up, "AS", v))
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

/// PostgreSQL takes an identity column's sequence options in any order
/// (`AS IDENTITY (START WITH 1000 INCREMENT BY 10)`); sqlparser only in the order of the
/// CREATE SEQUENCE synopsis, and not `SEQUENCE NAME`, `AS type` or `RESTART`. The options are
/// put in that order; those three, which say nothing a target keeps, are left out.
pub(super) fn pg_identity_options(text: &str) -> String {
    let mut s = text.to_string();
    let mut from = 0;
    while let Some(p) = crate::sqltext::find_keyword(&s.to_ascii_uppercase(), "IDENTITY", from) {
        from = p + "IDENTITY".len();
        let rest = &s[from..];
        let open = from + (rest.len() - rest.trim_start().len());
        if !s[open..].starts_with('(') {
            continue;
        }
        let Some(close) = crate::sqltext::matching_paren(&s, open) else {
            break;
        };
        let words: Vec<String> = s[open + 1..close]
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let up: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
        // (rank, text) per option, in the order sqlparser reads them.
        let mut options: Vec<(u8, String)> = vec![];
        let mut i = 0;
        let word = |i: usize| up.get(i).map(String::as_str).unwrap_or_default();
        while i < words.len() {
            let (rank, len) = match (word(i), word(i + 1)) {
                ("INCREMENT", "BY") => (0, 3),
                ("INCREMENT", _) => (0, 2),
                ("MINVALUE", _) => (1, 2),
                ("NO", "MINVALUE") => (1, 2),
                ("MAXVALUE", _) => (2, 2),
                ("NO", "MAXVALUE") => (2, 2),
                ("START", "WITH") => (3, 3),
                ("START", _) => (3, 2),
                ("CACHE", _) => (4, 2),
                ("NO", "CYCLE") => (5, 2),
                ("CYCLE", _) => (5, 1),
                ("SEQUENCE", "NAME") => (9, 3),
                ("RESTART", "WITH") => (9, 3),
                ("RESTART", _) => (9, 2),
                ("AS", _) => (9, 2),
                _ => (9, 1),
            };
            let end = (i + len).min(words.len());
            if rank < 9 {
                options.push((rank, words[i..end].join(" ")));
            }
            i = end;
        }
        options.sort_by_key(|(r, _)| *r);
        let inner = options
            .into_iter()
            .map(|(_, t)| t)
            .collect::<Vec<_>>()
            .join(" ");
        let replacement = if inner.is_empty() {
            String::new()
        } else {
            format!("({inner})")
        };
        s.replace_range(open..close + 1, &replacement);
    }
    s
}

/// T-SQL's `ALTER TABLE t ALTER COLUMN c type [NULL | NOT NULL]` in the standard form
/// sqlparser reads: `ALTER COLUMN c SET DATA TYPE type, ALTER COLUMN c {SET | DROP} NOT NULL`
/// (without NOT NULL, SQL Server makes the column nullable).
pub(super) fn tsql_alter_column(text: &str) -> String {
    let up = text.to_ascii_uppercase();
    if !up.trim_start().starts_with("ALTER TABLE") {
        return text.to_string();
    }
    let Some(p) = crate::sqltext::find_keyword(&up, "ALTER COLUMN", 0) else {
        return text.to_string();
    };
    let rest = text[p + "ALTER COLUMN".len()..].trim();
    let (column, after) = if let Some(r) = rest.strip_prefix('[') {
        match r.find(']') {
            Some(e) => (&rest[..e + 2], &r[e + 1..]),
            None => return text.to_string(),
        }
    } else {
        match rest.find(char::is_whitespace) {
            Some(e) => (&rest[..e], &rest[e..]),
            None => return text.to_string(),
        }
    };
    let mut ty = after.trim().trim_end_matches(';').trim().to_string();
    let tu = ty.to_ascii_uppercase();
    if ["SET", "DROP", "ADD", "TYPE"]
        .iter()
        .any(|k| tu.starts_with(k) && tu[k.len()..].starts_with(char::is_whitespace))
        || ty.is_empty()
    {
        return text.to_string();
    }
    let not_null = tu.ends_with("NOT NULL");
    for suffix in ["NOT NULL", "NULL"] {
        if ty.to_ascii_uppercase().ends_with(suffix) {
            ty.truncate(ty.len() - suffix.len());
            break;
        }
    }
    format!(
        "{}ALTER COLUMN {column} SET DATA TYPE {}, ALTER COLUMN {column} {} NOT NULL",
        &text[..p],
        ty.trim(),
        if not_null { "SET" } else { "DROP" }
    )
}

/// Oracle's length semantics, `VARCHAR2(40 CHAR)` / `VARCHAR2(40 BYTE)`: the length alone.
/// Characters are what the other engines count; a value of 40 bytes has at most 40
/// characters, so either way every value fits.
pub(super) fn oracle_length_semantics(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(p) = rest.find('(') {
        out.push_str(&rest[..=p]);
        rest = &rest[p + 1..];
        let digits = rest.trim_start();
        let n = digits.chars().take_while(char::is_ascii_digit).count();
        if n == 0 {
            continue;
        }
        let after = digits[n..].trim_start();
        let unit = after
            .get(..4)
            .filter(|u| u.eq_ignore_ascii_case("CHAR") || u.eq_ignore_ascii_case("BYTE"));
        if unit.is_some() && after[4..].trim_start().starts_with(')') {
            out.push_str(&digits[..n]);
            rest = after[4..].trim_start();
        }
    }
    out.push_str(rest);
    out
}

/// SQL Server takes a comma after a CREATE TABLE's last column (`[data] text NULL ,\n)`).
pub(super) fn trailing_comma(text: &str) -> String {
    if !text
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("CREATE TABLE")
    {
        return text.to_string();
    }
    let Some(open) = text.find('(') else {
        return text.to_string();
    };
    let Some(close) = crate::sqltext::matching_paren(text, open) else {
        return text.to_string();
    };
    let before = text[..close].trim_end();
    match before.strip_suffix(',') {
        Some(kept) => format!("{kept}{}", &text[close..]),
        None => text.to_string(),
    }
}

/// Byte offsets in `text` of tokenizer locations (lines from 1, columns in characters).
fn span_offsets(text: &str) -> impl Fn(u64, u64) -> Option<usize> + '_ {
    let mut line_starts = vec![0usize];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    move |line: u64, column: u64| -> Option<usize> {
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
    }
}

/// SQLite takes any words as a column's type name (`BLOB SUB_TYPE TEXT`, a Firebird habit):
/// only the words decide its affinity. Names of several words that are not the usual ones
/// (`DOUBLE PRECISION`, `UNSIGNED BIG INT`, `VARYING CHARACTER` ...) are joined by `_` into
/// one word the parser reads; the type mapping then sees the whole name.
pub(super) fn sqlite_type_words(text: &str) -> String {
    use sqlparser::tokenizer::{Token, Tokenizer};
    const USUAL: [&str; 14] = [
        "DOUBLE",
        "PRECISION",
        "UNSIGNED",
        "BIG",
        "INT",
        "INTEGER",
        "VARYING",
        "CHARACTER",
        "NATIVE",
        "VARCHAR",
        "CHAR",
        "SIGNED",
        "LONG",
        "TEXT",
    ];
    const ENDS: [&str; 13] = [
        "CONSTRAINT",
        "PRIMARY",
        "NOT",
        "NULL",
        "UNIQUE",
        "CHECK",
        "DEFAULT",
        "COLLATE",
        "REFERENCES",
        "GENERATED",
        "AS",
        "AUTOINCREMENT",
        "ON",
    ];
    let d = sp::SQLiteDialect {};
    let Ok(tokens) = Tokenizer::new(&d, text).tokenize_with_location() else {
        return text.to_string();
    };
    let offset = span_offsets(text);
    let words: Vec<_> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let kw = |t: &Token| match t {
        Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
        _ => String::new(),
    };
    // Only `CREATE [TEMP] TABLE name (columns)`.
    let lead: Vec<String> = words.iter().take(3).map(|t| kw(&t.token)).collect();
    let is_table = lead.first().is_some_and(|w| w == "CREATE")
        && (lead.get(1).is_some_and(|w| w == "TABLE")
            || lead.get(1).is_some_and(|w| w == "TEMP" || w == "TEMPORARY")
                && lead.get(2).is_some_and(|w| w == "TABLE"));
    if !is_table {
        return text.to_string();
    }
    let mut depth = 0;
    let mut spans = vec![];
    let mut i = 0;
    while i < words.len() {
        match &words[i].token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Token::Comma | Token::Word(_) if depth == 1 => {
                // An element starts after `(` or `,`: its name, then the type's words.
                let start = i + usize::from(words[i].token == Token::Comma);
                let starts_element =
                    start > 0 && matches!(words[start - 1].token, Token::LParen | Token::Comma);
                if starts_element
                    && let Some(first) = words.get(start)
                    && !["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
                        .contains(&kw(&first.token).as_str())
                {
                    let mut j = start + 1;
                    let mut ty = vec![];
                    while let Some(t) = words.get(j)
                        && let Token::Word(w) = &t.token
                        && w.quote_style.is_none()
                        && !ENDS.contains(&w.value.to_ascii_uppercase().as_str())
                    {
                        ty.push(*t);
                        j += 1;
                    }
                    let unusual = ty.iter().any(|t| !USUAL.contains(&kw(&t.token).as_str()));
                    if ty.len() > 1 && unusual {
                        spans.push((ty[0].span.start, ty[ty.len() - 1].span.end));
                    }
                    i = j;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut out = text.to_string();
    for (a, b) in spans.iter().rev() {
        let (Some(a), Some(b)) = (offset(a.line, a.column), offset(b.line, b.column)) else {
            return text.to_string();
        };
        let joined = text[a..b].split_whitespace().collect::<Vec<_>>().join("_");
        out.replace_range(a..b, &joined);
    }
    out
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
    let offset = span_offsets(text);
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
    while let Some(p) = crate::sqltext::find_keyword(&s.to_ascii_uppercase(), "BINARY", from) {
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
        while let Some(p) = crate::sqltext::find_keyword(&out.to_ascii_uppercase(), kw, 0) {
            out.replace_range(p..p + kw.len(), "");
        }
    }
    out
}

pub(super) fn remove_clauses(s: &str, kws: &[&str], arg: Arg) -> String {
    let mut out = s.to_string();
    for kw in kws {
        let mut from = 0;
        while let Some(p) = crate::sqltext::find_keyword(&out.to_ascii_uppercase(), kw, from) {
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
                    crate::sqltext::matching_paren(&out, start).and_then(|close| {
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
    let Some(add) = crate::sqltext::find_keyword(&up, "ADD", 0) else {
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
        while let Some(p) = crate::sqltext::find_keyword(&out.to_ascii_uppercase(), words[0], from)
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
    while let Some(p) = crate::sqltext::find_keyword(&out.to_ascii_uppercase(), "ON", from) {
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
            crate::sqltext::matching_paren(&out, start)
                .map(|c| c + 1)
                .unwrap_or(start)
        } else {
            after
        };
        out.replace_range(p..end, "");
    }
    out
}
