//! Which dialect a script is written in, from its file name and the words it uses.

use super::*;

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
            (score(&[
                "ENGINE=",
                "ENGINE =",
                "AUTO_INCREMENT",
                "DELIMITER ",
                "/*!4",
                "UNSIGNED",
                "`",
                "UNIQUE KEY",
            ]) + usize::from(lines.iter().any(|l| l.starts_with("USE ") && go == 0))
                + usize::from(lines.iter().any(|l| l.starts_with("SOURCE ")))
                // An ENUM column type (PostgreSQL's enums are `CREATE TYPE ... AS ENUM`).
                + usize::from(
                    upper.matches("ENUM (").count() + upper.matches("ENUM(").count()
                        > upper.matches("AS ENUM").count(),
                ))
                * 2,
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
