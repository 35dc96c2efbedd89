//! Recognising what a statement is (kind of object, name, table) from its first words, without a
//! full parse, so that statements the parser cannot read are still accounted for by kind and name.

use serde::{Deserialize, Serialize};

/// A kind of schema object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ObjectKind {
    Database,
    Schema,
    Table,
    View,
    MaterializedView,
    Index,
    /// A primary, unique, foreign-key or check constraint.
    Constraint,
    Sequence,
    Type,
    Domain,
    Procedure,
    Function,
    Trigger,
    Package,
    PackageBody,
    Synonym,
    Extension,
    Event,
    Other,
}

impl ObjectKind {
    pub fn label(self) -> &'static str {
        match self {
            ObjectKind::Database => "database",
            ObjectKind::Schema => "schema",
            ObjectKind::Table => "table",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Index => "index",
            ObjectKind::Constraint => "constraint",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Type => "type",
            ObjectKind::Domain => "domain",
            ObjectKind::Procedure => "procedure",
            ObjectKind::Function => "function",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Package => "package",
            ObjectKind::PackageBody => "package body",
            ObjectKind::Synonym => "synonym",
            ObjectKind::Extension => "extension",
            ObjectKind::Event => "event",
            ObjectKind::Other => "other statement",
        }
    }

    /// Storage objects (tables, indexes, sequences, types) versus code objects, as SCT groups them.
    pub fn is_code(self) -> bool {
        matches!(
            self,
            ObjectKind::View
                | ObjectKind::MaterializedView
                | ObjectKind::Procedure
                | ObjectKind::Function
                | ObjectKind::Trigger
                | ObjectKind::Package
                | ObjectKind::PackageBody
                | ObjectKind::Event
        )
    }
}

/// What a statement does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatementKind {
    Create(ObjectKind),
    Alter(ObjectKind),
    Drop(ObjectKind),
    /// COMMENT ON ...
    Comment,
    Insert,
    Copy,
    Update,
    Delete,
    Select,
    /// SET, USE, session settings.
    Session,
    /// BEGIN, COMMIT, START TRANSACTION...
    Transaction,
    Grant,
    /// An anonymous procedural block (Oracle/T-SQL `BEGIN ... END`, `DECLARE`, T-SQL `IF`).
    Block,
    /// `DELIMITER`, `GO`, `PROMPT`, psql `\` commands...
    ClientCommand,
    /// Anything else, named by its first word.
    Other(String),
}

/// A possibly schema-qualified name, as written (unquoted).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QualifiedName {
    pub schema: Option<String>,
    pub name: String,
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classified {
    pub kind: StatementKind,
    /// The object created, altered or dropped (or the table written to).
    pub name: Option<QualifiedName>,
    /// The table an index or trigger is on.
    pub table: Option<QualifiedName>,
}

/// A token of SQL text: a word (quoted identifiers unquoted) or one punctuation character
/// (string literals count as punctuation).
#[derive(Debug, Clone)]
pub(crate) struct Tok {
    pub upper: String,
    pub raw: String,
    /// A single punctuation character (`.`, `(`, `=`...) or a string literal.
    pub punct: bool,
}

/// Tokens of SQL text up to the `max_words`-th word, skipping comments (MySQL executable
/// comments count as SQL).
pub(crate) fn tokens(text: &str, max_words: usize) -> Vec<Tok> {
    let mut out: Vec<Tok> = vec![];
    let mut words = 0;
    let b = text.as_bytes();
    let mut i = 0;
    let is_word = |c: u8| {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c == b'#' || c == b'@' || c >= 0x80
    };
    while i < b.len() && words < max_words {
        let c = b[i];
        if text[i..].starts_with("--") {
            i += text[i..].find('\n').unwrap_or(text.len() - i);
        } else if text[i..].starts_with("/*!") {
            // MySQL executable comment: its content is SQL.
            i += 3;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        } else if text[i..].starts_with("*/") {
            i += 2;
        } else if text[i..].starts_with("/*") {
            i += text[i..]
                .find("*/")
                .map(|p| p + 2)
                .unwrap_or(text.len() - i);
        } else if c == b'\'' {
            let end = text[i + 1..]
                .find('\'')
                .map(|p| i + p + 2)
                .unwrap_or(text.len());
            out.push(Tok {
                upper: "'".into(),
                raw: text[i..end].to_string(),
                punct: true,
            });
            i = end;
        } else if matches!(c, b'"' | b'`' | b'[') {
            let close = if c == b'[' { ']' } else { c as char };
            let end = text[i + 1..]
                .find(close)
                .map(|p| i + 1 + p)
                .unwrap_or(text.len());
            let raw = text[i + 1..end].to_string();
            out.push(Tok {
                upper: raw.to_ascii_uppercase(),
                raw,
                punct: false,
            });
            words += 1;
            i = (end + 1).min(text.len());
        } else if is_word(c) {
            let start = i;
            while i < b.len() && is_word(b[i]) {
                i += 1;
            }
            let raw = text[start..i].to_string();
            out.push(Tok {
                upper: raw.to_ascii_uppercase(),
                raw,
                punct: false,
            });
            words += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(Tok {
                upper: ch.to_string(),
                raw: ch.to_string(),
                punct: true,
            });
            i += ch.len_utf8();
        }
    }
    out
}

/// Reads a qualified name at `i` (`a`, `a.b`, `a.b.c` keeping the last two parts).
fn qualified(t: &[Tok], mut i: usize) -> (Option<QualifiedName>, usize) {
    let mut parts = vec![];
    while let Some(tok) = t.get(i) {
        if tok.punct {
            break;
        }
        parts.push(tok.raw.clone());
        i += 1;
        if t.get(i).is_some_and(|x| x.upper == ".") {
            i += 1;
        } else {
            break;
        }
    }
    match parts.len() {
        0 => (None, i),
        1 => (
            Some(QualifiedName {
                schema: None,
                name: parts.remove(0),
            }),
            i,
        ),
        n => {
            let name = parts.pop().unwrap_or_default();
            (
                Some(QualifiedName {
                    schema: Some(parts.remove(n - 2)),
                    name,
                }),
                i,
            )
        }
    }
}

fn object_kind(t: &[Tok], i: usize) -> Option<(ObjectKind, usize)> {
    let w = |k: usize| t.get(i + k).map(|x| x.upper.as_str()).unwrap_or("");
    Some(match w(0) {
        "TABLE" => (ObjectKind::Table, 1),
        "VIEW" => (ObjectKind::View, 1),
        "MATERIALIZED" if w(1) == "VIEW" => (ObjectKind::MaterializedView, 2),
        "INDEX" => (ObjectKind::Index, 1),
        "SEQUENCE" => (ObjectKind::Sequence, 1),
        "TYPE" if w(1) == "BODY" => (ObjectKind::PackageBody, 2),
        "TYPE" => (ObjectKind::Type, 1),
        "DOMAIN" => (ObjectKind::Domain, 1),
        "PROCEDURE" | "PROC" => (ObjectKind::Procedure, 1),
        "FUNCTION" => (ObjectKind::Function, 1),
        "TRIGGER" => (ObjectKind::Trigger, 1),
        "PACKAGE" if w(1) == "BODY" => (ObjectKind::PackageBody, 2),
        "PACKAGE" => (ObjectKind::Package, 1),
        "SCHEMA" => (ObjectKind::Schema, 1),
        "DATABASE" => (ObjectKind::Database, 1),
        "SYNONYM" => (ObjectKind::Synonym, 1),
        "EXTENSION" => (ObjectKind::Extension, 1),
        "EVENT" => (ObjectKind::Event, 1),
        "USER" | "ROLE" | "LOGIN" | "TABLESPACE" | "DIRECTORY" | "CAST" | "OPERATOR"
        | "AGGREGATE" | "COLLATION" | "RULE" | "POLICY" | "PUBLICATION" | "SERVER"
        | "STATISTICS" | "ASSEMBLY" | "FULLTEXT" | "XML" | "PARTITION" | "CONTEXT" => {
            (ObjectKind::Other, 1)
        }
        _ => return None,
    })
}

/// Words that may stand between CREATE and the object kind.
const MODIFIERS: [&str; 23] = [
    "VIRTUAL",
    "OR",
    "REPLACE",
    "ALTER",
    "TEMP",
    "TEMPORARY",
    "GLOBAL",
    "LOCAL",
    "UNIQUE",
    "CLUSTERED",
    "NONCLUSTERED",
    "FULLTEXT",
    "SPATIAL",
    "EDITIONABLE",
    "NONEDITIONABLE",
    "UNLOGGED",
    "RECURSIVE",
    "FORCE",
    "NO",
    "BITMAP",
    "PUBLIC",
    "SECURE",
    "CONSTRAINT",
];

/// The (last part of the) name at token `i` of `text`: `USE sakila` → `sakila`.
pub fn first_name_after(text: &str, i: usize) -> Option<String> {
    let t = tokens(text, i + 6);
    qualified(&t, i).0.map(|q| q.name)
}

/// Classifies one statement.
pub fn classify(text: &str) -> Classified {
    let t = tokens(text, 48);
    let none = |kind| Classified {
        kind,
        name: None,
        table: None,
    };
    let Some(first) = t.first() else {
        return none(StatementKind::Other(String::new()));
    };
    let w = |i: usize| t.get(i).map(|x| x.upper.as_str()).unwrap_or("");
    let skip_if_exists = |mut i: usize| {
        if w(i) == "IF" && w(i + 1) == "NOT" && w(i + 2) == "EXISTS" {
            i += 3;
        } else if w(i) == "IF" && w(i + 1) == "EXISTS" {
            i += 2;
        }
        i
    };
    match first.upper.as_str() {
        "ALTER" if matches!(w(1), "SESSION" | "SYSTEM") => none(StatementKind::Session),
        "CREATE" | "ALTER" | "DROP" => {
            let verb = first.upper.clone();
            let mut i = 1;
            // Modifiers, and MySQL's DEFINER = user@host / ALGORITHM = x / SQL SECURITY x.
            loop {
                let u = w(i);
                if MODIFIERS.contains(&u) && !(u == "FULLTEXT" && w(i + 1) != "INDEX") {
                    i += 1;
                } else if matches!(u, "DEFINER" | "ALGORITHM") && w(i + 1) == "=" {
                    i += 3;
                    while t
                        .get(i)
                        .is_some_and(|x| x.upper == "@" || x.raw.starts_with('@'))
                        || w(i).starts_with('@')
                    {
                        i += if w(i) == "@" { 2 } else { 1 };
                    }
                } else if u == "SQL" && w(i + 1) == "SECURITY" {
                    i += 3;
                } else {
                    break;
                }
            }
            let Some((kind, used)) = object_kind(&t, i) else {
                return none(StatementKind::Other(verb));
            };
            i = skip_if_exists(i + used);
            if verb == "ALTER" && kind == ObjectKind::Table && w(i) == "ONLY" {
                i += 1;
            }
            let (mut name, mut next) = qualified(&t, i);
            if kind == ObjectKind::Index && w(i) == "ON" {
                name = None; // PostgreSQL: CREATE INDEX ON t (...)
                next = i;
            }
            if kind == ObjectKind::Index && w(next) == "CONCURRENTLY" {
                let (n, after) = qualified(&t, next + 1);
                name = n;
                next = after;
            }
            let table = if matches!(kind, ObjectKind::Index | ObjectKind::Trigger) {
                (next..t.len()).find(|&k| w(k) == "ON").and_then(|k| {
                    let k = if w(k + 1) == "ONLY" { k + 1 } else { k };
                    qualified(&t, k + 1).0
                })
            } else {
                None
            };
            let kind = match verb.as_str() {
                "CREATE" => StatementKind::Create(kind),
                "ALTER" => StatementKind::Alter(kind),
                _ => StatementKind::Drop(kind),
            };
            Classified { kind, name, table }
        }
        "INSERT" | "REPLACE" => {
            let i = (1..4).find(|&k| w(k) == "INTO").map(|k| k + 1).unwrap_or(1);
            Classified {
                kind: StatementKind::Insert,
                name: qualified(&t, i).0,
                table: None,
            }
        }
        "COPY" => Classified {
            kind: StatementKind::Copy,
            name: qualified(&t, 1).0,
            table: None,
        },
        "UPDATE" => Classified {
            kind: StatementKind::Update,
            name: qualified(&t, 1).0,
            table: None,
        },
        "DELETE" => {
            let i = if w(1) == "FROM" { 2 } else { 1 };
            Classified {
                kind: StatementKind::Delete,
                name: qualified(&t, i).0,
                table: None,
            }
        }
        // COMMENT ON TABLE t / COLUMN t.c: named by the table it is about.
        "COMMENT" if w(1) == "ON" && matches!(w(2), "TABLE" | "COLUMN") => {
            let (q, _) = qualified(&t, 3);
            // qualified() keeps the last two parts: of `t.c`, the table is the first.
            let name = q.map(|q| match (w(2), q.schema) {
                ("COLUMN", table) => QualifiedName {
                    schema: None,
                    name: table.unwrap_or_default(),
                },
                (_, schema) => QualifiedName {
                    schema,
                    name: q.name,
                },
            });
            Classified {
                kind: StatementKind::Comment,
                name,
                table: None,
            }
        }
        "COMMENT" => none(StatementKind::Comment),
        "SELECT" | "WITH" | "VALUES" => none(StatementKind::Select),
        "SET" | "USE" | "PRAGMA" | "SHOW" | "LOCK" | "UNLOCK" | "ANALYZE" | "VACUUM"
        | "CHECKPOINT" | "EXEC" | "EXECUTE" | "CALL" | "PRINT" | "RAISERROR" | "DBCC" => {
            none(StatementKind::Session)
        }
        "BEGIN" if matches!(w(1), "TRANSACTION" | "TRAN" | "WORK" | "") && t.len() <= 3 => {
            none(StatementKind::Transaction)
        }
        "START" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "END" => {
            none(StatementKind::Transaction)
        }
        "GRANT" | "REVOKE" | "DENY" => none(StatementKind::Grant),
        "BEGIN" | "DECLARE" | "IF" | "WHILE" | "DO" => none(StatementKind::Block),
        "DELIMITER" | "GO" | "PROMPT" | "SPOOL" | "WHENEVER" | "CONNECT" | "DEFINE" | "@" => {
            none(StatementKind::ClientCommand)
        }
        other if first.punct && (other == "\\" || other == "." || other == "@") => {
            none(StatementKind::ClientCommand)
        }
        other => none(StatementKind::Other(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(schema: Option<&str>, name: &str) -> Option<QualifiedName> {
        Some(QualifiedName {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        })
    }

    #[test]
    fn recognises_objects_and_names() {
        let c = classify("CREATE TABLE [dbo].[Album] (x int)");
        assert_eq!(
            (c.kind, c.name),
            (
                StatementKind::Create(ObjectKind::Table),
                q(Some("dbo"), "Album")
            )
        );
        let c = classify("CREATE DEFINER=`root`@`localhost` PROCEDURE `film_in_stock`(IN p INT)");
        assert_eq!(
            (c.kind, c.name),
            (
                StatementKind::Create(ObjectKind::Procedure),
                q(None, "film_in_stock")
            )
        );
        let c = classify("create or replace package body hr.emp_mgmt as ...");
        assert_eq!(
            (c.kind, c.name),
            (
                StatementKind::Create(ObjectKind::PackageBody),
                q(Some("hr"), "emp_mgmt")
            )
        );
        let c = classify("CREATE UNIQUE NONCLUSTERED INDEX [IX_a] ON [dbo].[t] ([a])");
        assert_eq!(
            (c.kind, c.name, c.table),
            (
                StatementKind::Create(ObjectKind::Index),
                q(None, "IX_a"),
                q(Some("dbo"), "t")
            )
        );
        let c = classify("CREATE INDEX ON public.t (a)");
        assert_eq!((c.name, c.table), (None, q(Some("public"), "t")));
        let c = classify(
            "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `ins_film` AFTER INSERT ON `film` FOR EACH ROW BEGIN END */",
        );
        assert_eq!(
            (c.kind, c.name, c.table),
            (
                StatementKind::Create(ObjectKind::Trigger),
                q(None, "ins_film"),
                q(None, "film")
            )
        );
        let c =
            classify("ALTER TABLE ONLY public.film ADD CONSTRAINT film_pkey PRIMARY KEY (film_id)");
        assert_eq!(
            (c.kind, c.name),
            (
                StatementKind::Alter(ObjectKind::Table),
                q(Some("public"), "film")
            )
        );
        let c = classify("INSERT INTO `actor` VALUES (1,'PENELOPE')");
        assert_eq!((c.kind, c.name), (StatementKind::Insert, q(None, "actor")));
        assert_eq!(classify("SET NAMES utf8mb4").kind, StatementKind::Session);
        assert_eq!(
            classify("CREATE MATERIALIZED VIEW mv AS SELECT 1").kind,
            StatementKind::Create(ObjectKind::MaterializedView)
        );
    }
}
