//! The data-lake target: Apache Parquet files in a folder or under an S3 prefix, the analytics
//! pipeline's input (what AWS DMS's S3 target is chosen for). Not a database: no schema to
//! create, no control tables; a task's tables become folders of Parquet files
//! (`<schema>/<table>/LOAD00000001.parquet`, with `_schema.json` beside them) and its state
//! is kept beside the data (`_tugboat/<task>/`).
//!
//! [`store`] says where the lake is (one object store for both), [`types`] which Parquet type
//! each column takes (the rules in `conversion-rules/*-to-parquet.ron`), [`encode`] turns the
//! source's canonical values into Arrow arrays exactly or refuses them, [`files`] writes and
//! reads back a table's files, [`plan`] and [`load`] run a task's full load (a big table
//! in [`parts`] side by side), [`changes`] and
//! [`cdc`] its replication (change files in DMS's layout), until [`stop`] if it has one.

pub mod aws_process;
pub mod aws_profile;
pub mod cdc;
pub mod changes;
pub mod checkpoint;
pub mod emptied;
pub mod encode;
pub mod files;
pub mod load;
pub mod parts;
pub mod pending;
pub mod plan;
pub mod shaping;
pub mod stop;
pub mod store;
pub mod types;
pub mod verify;

pub use store::{Lake, Location};
