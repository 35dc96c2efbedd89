//! What a reload sets aside on a target table and puts back after: the foreign keys of other
//! tables that reference it, and its own triggers. Each engine reads them from its catalog and
//! says how (its `Backend::keys_referencing` and `Backend::triggers_of`); the task records them
//! and acts on them (`tasks/keys.rs`).

/// A target table as the catalog queries need it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetTable {
    /// Quoted and qualified, as statements name it.
    pub sql: String,
    /// Its schema (empty: the connected database's).
    pub schema: String,
    /// Its name in the catalog, unquoted.
    pub name: String,
}

/// A key that references the table, or a trigger of the table, as it is recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct SetAside {
    /// The referencing table (for a trigger, the table itself), quoted and qualified.
    pub child: String,
    pub name: String,
    /// What sets it aside while the table loads (empty: nothing, it is only checked after).
    pub set_aside: String,
    /// The statement that puts it back. Empty for keys that are only checked.
    pub restore: String,
    /// Keys left in place: a query counting the referencing rows that point nowhere.
    pub check: String,
}
