//! The values of the command line's options, as clap value enums: a wrong value is a usage
//! error (exit 2) that lists the right ones; each turns into the engine's own type here.

/// `--phase`: which statements of a conversion.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PhaseArg {
    /// Schemas, types, sequences and tables (before the data).
    PreData,
    /// Keys, indexes, triggers, views, routines, sequence values (after the data).
    PostData,
    #[default]
    All,
}

impl PhaseArg {
    pub fn phase(self) -> Option<crate::assessment::Phase> {
        match self {
            PhaseArg::PreData => Some(crate::assessment::Phase::PreData),
            PhaseArg::PostData => Some(crate::assessment::Phase::PostData),
            PhaseArg::All => None,
        }
    }
}

/// `--target` of a conversion: the engine the DDL is written for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetArg {
    #[value(alias = "postgresql", alias = "pg")]
    Postgres,
    /// MySQL and MariaDB.
    #[value(alias = "mariadb")]
    Mysql,
    #[value(alias = "sqlite3")]
    Sqlite,
}

impl TargetArg {
    pub fn dialect(self) -> crate::ddl::Dialect {
        match self {
            TargetArg::Postgres => crate::ddl::Dialect::Postgres,
            TargetArg::Mysql => crate::ddl::Dialect::MySql,
            TargetArg::Sqlite => crate::ddl::Dialect::Sqlite,
        }
    }

    /// The target for the DDL of an endpoint of `engine`.
    pub fn of_engine(engine: crate::endpoints::Engine) -> TargetArg {
        use crate::endpoints::Engine;
        match engine {
            Engine::Postgres => TargetArg::Postgres,
            Engine::MySql | Engine::MariaDb => TargetArg::Mysql,
            Engine::Sqlite => TargetArg::Sqlite,
            // A data lake takes no DDL (refused before this is asked).
            Engine::Parquet => TargetArg::Postgres,
        }
    }
}

/// `--source-dialect` of a script.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialectArg {
    #[value(alias = "mariadb")]
    Mysql,
    #[value(alias = "postgresql", alias = "pg")]
    Postgres,
    /// SQL Server (T-SQL).
    #[value(
        alias = "sqlserver",
        alias = "sql-server",
        alias = "tsql",
        alias = "t-sql"
    )]
    Mssql,
    #[value(alias = "plsql")]
    Oracle,
    #[value(alias = "sqlite3")]
    Sqlite,
}

impl DialectArg {
    /// Reads `--source-dialect` (any alias, any case); a wrong value is a usage error that
    /// names it and the dialects there are.
    pub fn parse(s: &str) -> Result<DialectArg, String> {
        <DialectArg as clap::ValueEnum>::from_str(s, true).map_err(|_| {
            format!("unknown dialect '{s}': use mysql, postgres, mssql, oracle or sqlite")
        })
    }

    pub fn dialect(self) -> crate::ddl::Dialect {
        use crate::ddl::Dialect;
        match self {
            DialectArg::Mysql => Dialect::MySql,
            DialectArg::Postgres => Dialect::Postgres,
            DialectArg::Mssql => Dialect::MsSql,
            DialectArg::Oracle => Dialect::Oracle,
            DialectArg::Sqlite => Dialect::Sqlite,
        }
    }
}

/// `validate --method`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MethodArg {
    #[default]
    Rows,
    Counts,
}

/// `migrate --type` (DMS's migration types).
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TaskTypeArg {
    /// Copy the tables once.
    #[default]
    FullLoad,
    /// Copy the tables, then replicate the changes made since the copy began.
    FullLoadAndCdc,
    /// Replicate changes from now (or --start-position).
    Cdc,
}

impl From<TaskTypeArg> for crate::cdc::TaskType {
    fn from(a: TaskTypeArg) -> Self {
        match a {
            TaskTypeArg::FullLoad => crate::cdc::TaskType::FullLoad,
            TaskTypeArg::FullLoadAndCdc => crate::cdc::TaskType::FullLoadAndCdc,
            TaskTypeArg::Cdc => crate::cdc::TaskType::Cdc,
        }
    }
}

/// `--prepare`: what happens to target tables that exist.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PrepareArg {
    DoNothing,
    #[default]
    Truncate,
    DropAndCreate,
}

/// `--zero-dates`: MySQL's zero dates.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ZeroDatesArg {
    #[default]
    Null,
    Error,
}

/// `--nul-chars`: NUL characters in text for a PostgreSQL target.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NulCharsArg {
    #[default]
    Error,
    Remove,
}

/// `--validate` (and `validate --method`): how the load is checked.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ValidateArg {
    None,
    Counts,
    #[default]
    Rows,
}

/// `--error-policy`: rows the target refuses.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorPolicyArg {
    #[default]
    SuspendTable,
    StopTask,
    Log,
}
