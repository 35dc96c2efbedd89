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
use crate::model::*;
use crate::sqltext::parse_declared_type;

mod detect;
mod normalise;
mod objects;
mod tables;
mod tsql;

pub use detect::*;
pub use normalise::*;
use objects::*;
use tables::*;

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

/// Reads a script. `file` names it in reports.
pub fn parse_script(script: &str, dialect: Dialect, file: &str) -> ParsedScript {
    let mut out = ParsedScript {
        dialect: Some(dialect),
        file: file.to_string(),
        ..Default::default()
    };
    let script = if dialect == Dialect::MsSql {
        tsql::sqlcmd_variables(script)
    } else {
        std::borrow::Cow::Borrowed(script)
    };
    let mut pieces = split(&script, dialect);
    // A T-SQL batch may hold several statements without `;` (CREATE TABLE then INSERTs):
    // each becomes its own statement.
    if dialect == Dialect::MsSql {
        pieces = pieces
            .into_iter()
            .flat_map(|raw| {
                let split_up = (raw.piece == Piece::Sql
                    && matches!(
                        classify(&raw.text).kind,
                        StatementKind::Create(ObjectKind::Table | ObjectKind::Index)
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
                    // A piece of a block split at its `;`s: the statement under the control
                    // words it starts with.
                    None => tsql::without_control_flow(raw),
                }
            })
            .collect();
    }
    for raw in pieces {
        // PostgreSQL folds unquoted names: `CREATE SEQUENCE ELMAH_Error_SEQUENCE` is
        // elmah_error_sequence, as the parser reads the same statement.
        let classified = if dialect == Dialect::Postgres {
            classify(&pg_fold_unquoted(&raw.text))
        } else {
            classify(&raw.text)
        };
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
        StatementKind::Alter(ObjectKind::Table)
            if dialect == Dialect::MsSql
                && ignore_dup_key(&raw.text)
                && words(&raw.text, 12).iter().any(|w| w == "REBUILD") =>
        {
            Outcome::Unparsed {
                error: "IGNORE_DUP_KEY = ON: SQL Server skips an inserted row whose key is already in the table (with a warning) where the other engines refuse the insert; use INSERT ... ON CONFLICT DO NOTHING (PostgreSQL), INSERT IGNORE (MySQL) or INSERT OR IGNORE (SQLite) where the application relies on it".into(),
            }
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
        // A T-SQL script's own variables (`DECLARE @version int`) and its early exit: the
        // script's control flow, which creates nothing.
        StatementKind::Block
            if dialect == Dialect::MsSql && {
                let w = words(&raw.text, 40);
                w.first().is_some_and(|f| f == "DECLARE")
                    && raw
                        .text
                        .split_whitespace()
                        .nth(1)
                        .is_some_and(|v| v.starts_with('@'))
                    && !w.iter().any(|x| x == "BEGIN")
            } =>
        {
            skipped("a variable of the script's own control flow")
        }
        StatementKind::Other(w) if dialect == Dialect::MsSql && w == "RETURN" => {
            skipped("the script's own control flow")
        }
        StatementKind::Block => Outcome::Unparsed {
            error: "anonymous procedural blocks are not converted".into(),
        },
        StatementKind::Other(w) => Outcome::Unparsed {
            error: format!("statement '{w}' is not recognised"),
        },
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Arg {
    Word,
    Parens,
    /// `WITH (PAD_INDEX = OFF, ...)`, but not `WITH CHECK` or a CTE.
    ParensWithEquals,
}

fn default_schema(d: Dialect) -> &'static str {
    match d {
        Dialect::MsSql => "dbo",
        Dialect::Postgres => "public",
        Dialect::Sqlite => "main",
        Dialect::MySql | Dialect::Oracle => "",
    }
}

/// What a `CREATE TRIGGER` header says, read from the header alone (never from the body).
#[derive(Debug, PartialEq)]
pub(crate) struct TriggerHeader {
    pub timing: TriggerTiming,
    pub events: Vec<TriggerEvent>,
    pub for_each_row: bool,
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

    /// Oracle's `VARCHAR2(40 CHAR)` is a varchar of 40; `MODIFY` changes what it names, and
    /// `RENAME COLUMN` carries the new name into the table's checks and keys.
    #[test]
    fn oracle_lengths_modify_and_rename_apply() {
        let script = "CREATE TABLE t (id VARCHAR2(40 CHAR) NOT NULL, flag VARCHAR(3 BYTE), CONSTRAINT yn CHECK (flag IN ('yes', 'no')), CONSTRAINT pk PRIMARY KEY (id))\n/\nALTER TABLE t MODIFY flag VARCHAR(5 CHAR)\n/\nALTER TABLE t RENAME COLUMN flag TO flags\n/\nALTER TABLE t ADD note VARCHAR2(10 CHAR)\n/\n";
        let p = parse_script(script, Dialect::Oracle, "o.sql");
        let t = &p.catalog.schemas[0].tables[0];
        let cols: Vec<(&str, Option<u64>)> = t
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.length))
            .collect();
        assert_eq!(
            cols,
            [("id", Some(40)), ("flags", Some(5)), ("note", Some(10))],
            "{:#?}",
            p.statements
        );
        assert!(!t.columns[0].nullable && t.columns[1].nullable);
        assert_eq!(t.check_constraints[0].expression, "flags IN ('yes', 'no')");
        assert!(
            p.statements
                .iter()
                .all(|r| !matches!(r.outcome, Outcome::Unparsed { .. })),
            "{:#?}",
            p.statements
        );
    }

    /// MySQL's MODIFY and CHANGE replace the whole column definition (what is not written
    /// again is gone: NOT NULL, the default).
    #[test]
    fn mysql_modify_and_change_replace_the_column() {
        let script = "CREATE TABLE t (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, a varchar(10) NOT NULL DEFAULT 'x', b int);\nALTER TABLE t MODIFY a varchar(20);\nALTER TABLE t CHANGE b c bigint NOT NULL DEFAULT 7;\n";
        let p = parse_script(script, Dialect::MySql, "m.sql");
        let t = &p.catalog.schemas[0].tables[0];
        let a = &t.columns[1];
        assert_eq!(
            (a.name.as_str(), a.data_type.length, a.nullable),
            ("a", Some(20), true)
        );
        assert_eq!(a.default, None);
        let c = &t.columns[2];
        assert_eq!(
            (c.name.as_str(), c.data_type.name.as_str(), c.nullable),
            ("c", "bigint", false)
        );
        assert_eq!(c.default.as_deref(), Some("7"));
        assert!(
            t.columns[0].identity.is_some(),
            "the key keeps its AUTO_INCREMENT"
        );
    }

    /// What the engines take and sqlparser did not: SQL Server's comma after the last column,
    /// Oracle's SEGMENT CREATION and OVERFLOW storage clauses; and a PostgreSQL sequence named
    /// without quotes is the lower-case one its default's nextval() finds.
    #[test]
    fn engine_leniencies_read() {
        let p = parse_script(
            "CREATE TABLE [dbo].[f] (\n\t[id] [int] NOT NULL ,\n\t[data] [text] NULL ,\n) ON [PRIMARY]\nGO\n",
            Dialect::MsSql,
            "f.sql",
        );
        assert_eq!(
            p.catalog.schemas[0].tables[0].columns.len(),
            2,
            "{:#?}",
            p.statements
        );
        let p = parse_script(
            "CREATE TABLE t (id NUMBER(10) NOT NULL, CONSTRAINT pk PRIMARY KEY (id)) organization index nologging\n  overflow nologging initrans 100 SEGMENT CREATION IMMEDIATE;\n",
            Dialect::Oracle,
            "o.sql",
        );
        assert_eq!(p.catalog.schemas[0].tables.len(), 1, "{:#?}", p.statements);
        let p = parse_script(
            "CREATE SEQUENCE ELMAH_Error_SEQUENCE;\nCREATE TABLE e (s INT DEFAULT NEXTVAL('ELMAH_Error_SEQUENCE'));\n",
            Dialect::Postgres,
            "p.sql",
        );
        assert_eq!(
            p.catalog.schemas[0].sequences[0].name,
            "elmah_error_sequence"
        );
        let p = parse_script(
            "create table c (id integer generated by default on null as identity, n varchar2(9 char) default on null 'x');\n",
            Dialect::Oracle,
            "o.sql",
        );
        let t = &p.catalog.schemas[0].tables[0];
        assert!(t.columns[0].identity.is_some(), "{:#?}", p.statements);
        assert_eq!(t.columns[1].default.as_deref(), Some("'x'"));
    }

    #[test]
    fn create_table_like_copies_the_columns() {
        let p = parse_script(
            "CREATE TABLE job (id integer NOT NULL, name text DEFAULT 'x');\nCREATE TABLE jobhisto (LIKE job);\n",
            Dialect::Postgres,
            "l.sql",
        );
        let h = &p.catalog.schemas[0].tables[1];
        assert_eq!(h.columns.len(), 2);
        assert!(!h.columns[0].nullable);
        assert_eq!(
            h.columns[1].default, None,
            "defaults only INCLUDING DEFAULTS"
        );
        let p = parse_script(
            "CREATE TABLE job (id int NOT NULL PRIMARY KEY, name varchar(9) DEFAULT 'x');\nCREATE TABLE jobhisto LIKE job;\n",
            Dialect::MySql,
            "l.sql",
        );
        let h = &p.catalog.schemas[0].tables[1];
        assert_eq!((h.name.as_str(), h.columns.len()), ("jobhisto", 2));
        assert!(h.primary_key.is_some());
        assert_eq!(h.columns[1].default.as_deref(), Some("'x'"));
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
    fn detects_mysql_scripts_without_backticks_or_engine() {
        // MySQL's employees sample: plain names, no ENGINE=, but USE, ENUM columns, UNIQUE KEY.
        assert_eq!(
            detect_dialect(
                "USE employees;\nCREATE TABLE e (g ENUM ('M','F') NOT NULL, d VARCHAR(9), UNIQUE  KEY (d));\nsource load.dump ;\n"
            ),
            Dialect::MySql
        );
        assert_eq!(
            detect_dialect("CREATE TYPE mood AS ENUM ('a', 'b');\nCREATE TABLE t (m mood);\n"),
            Dialect::Postgres
        );
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
