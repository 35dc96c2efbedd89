//! Integration tests against real databases: private PostgreSQL and MariaDB servers started by
//! [`support`] (shared by every test of this binary), SQLite files, the CLI binary and the GUI.

// A panic in a test is the test failing.
#![allow(clippy::unwrap_used)]

mod binary_rows;
mod cdc;
mod cli;
mod connect;
mod consolidation;
mod conversion;
mod conversion_targets;
mod corpora;
mod cutover;
mod differential;
mod discovery_mysql;
mod discovery_pg;
mod discovery_sqlite;
mod gui;
mod gui_layout;
mod gui_walkthrough;
mod lake;
mod lake_cdc;
mod layers;
mod load_data;
mod raw_lines;
mod slices;
mod support;
mod task_values;
mod tasks;
mod validation;
mod verify;
