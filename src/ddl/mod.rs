//! DDL scripts: splitting them into statements ([`split`]), recognising each statement's kind
//! and name ([`classify`]), and reading them into the neutral model ([`parse`]).

pub mod classify;
pub mod parse;
pub mod split;

pub use classify::{ObjectKind, QualifiedName, StatementKind};
pub use parse::{ParsedScript, detect_dialect, detect_dialect_for, parse_script};
pub use split::Dialect;
