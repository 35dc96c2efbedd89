//! Tugboat: a desktop database migration assistant.
//!
//! This crate is the engine; the GUI ([`gui`]) and the command line ([`cli`]) are thin clients of it.
//!
//! Map of the engine:
//! - [`endpoints`]: endpoint descriptions, URLs, passwords, connections and the connection test;
//! - [`model`]: the neutral schema model every engine's objects are described in;
//! - [`engines`]: PostgreSQL, MySQL/MariaDB and SQLite behind traits, a folder each: catalogs,
//!   change logs, values, COPY's binary format;
//! - [`ddl`]: DDL scripts of five dialects split, classified and read into the model;
//! - [`conversion`]: schema conversion to PostgreSQL, MySQL/MariaDB and SQLite, and apply;
//! - [`assessment`]: the assessment report and its exports;
//! - [`tasks`]: migration tasks: table mappings, the full-load data path, resume, validation;
//! - [`cdc`]: ongoing replication: change capture, apply, checkpoints, premigration checks;
//! - [`runner`]: the one way a task runs (load, validate, replicate), for the app and the CLI;
//! - [`project`]: project files (RON, versioned);
//! - [`runtime`]: the background runtime: commands in, events out, for clients that must not block;
//! - [`logging`]: tracing set-up and the in-memory log the GUI shows;
//! - [`demo`]: the embedded demo database and project.

// Unit tests may unwrap: a panic there is the test failing.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod endpoints;
pub mod error;

pub mod model;

pub use error::{Error, Result};
pub mod assessment;
pub mod cdc;
pub mod cli;
pub mod conversion;
pub mod cutover;
pub mod ddl;
pub mod demo;
pub mod engines;
pub mod gui;
pub mod lake;
pub mod logging;
pub mod project;
pub mod runner;
pub mod runtime;
pub mod sqltext;
pub mod tasks;
pub mod units;
