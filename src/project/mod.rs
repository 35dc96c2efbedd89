//! Project files: a RON document holding a migration project's endpoints (never passwords) and,
//! as Tugboat grows, its tasks, table mappings and conversion settings.
//!
//! The format is versioned (`format_version`). Loading never writes anything; a malformed file or
//! one written by a newer Tugboat gives an error with the file, line and column. Saving writes a
//! temporary file beside the target and renames it, so a crash never leaves half a project.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::endpoints::Endpoint;
use crate::error::{Error, Result};

/// The format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Project {
    pub format_version: u32,
    pub name: String,
    pub endpoints: Vec<Endpoint>,
    /// Free text for the team.
    pub notes: String,
    /// Schema-conversion settings and the user's edits of converted SQL.
    pub conversion: ConversionSettings,
    /// Migration tasks.
    pub tasks: Vec<crate::tasks::Task>,
}

/// Schema-conversion settings kept with the project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversionSettings {
    /// Folder of conversion-rule override files.
    pub rules_dir: Option<PathBuf>,
    /// Converted SQL edited by hand; it replaces the converter's output for that object on every
    /// later conversion.
    pub edits: Vec<ObjectEdit>,
}

/// The user's SQL for one object of a conversion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectEdit {
    pub kind: crate::ddl::ObjectKind,
    pub schema: String,
    pub name: String,
    pub sql: String,
}

impl Default for Project {
    fn default() -> Self {
        Project {
            format_version: FORMAT_VERSION,
            name: "Untitled project".into(),
            endpoints: vec![],
            notes: String::new(),
            conversion: ConversionSettings::default(),
            tasks: vec![],
        }
    }
}

#[derive(Deserialize)]
#[serde(rename = "Project")]
struct Header {
    /// 0 when the field is missing.
    #[serde(default)]
    format_version: u32,
}

impl Project {
    /// Reads and checks a project file.
    pub fn load(path: &Path) -> Result<Project> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::File {
            path: path.to_path_buf(),
            message: format!("cannot read the project: {e}"),
        })?;
        Self::parse(&text, path)
    }

    /// Parses project text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Project> {
        let at = |line: usize, column: usize, message: String| Error::FileFormat {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        if let Ok(header) = ron::from_str::<Header>(text) {
            match header.format_version {
                v if v > FORMAT_VERSION => {
                    let (line, column) = position_of(text, "format_version").unwrap_or((1, 1));
                    return Err(at(
                        line,
                        column,
                        format!(
                            "this project was written by a newer Tugboat (format {v}); this build reads formats up to {FORMAT_VERSION}: upgrade Tugboat to open it"
                        ),
                    ));
                }
                0 => {
                    return Err(at(
                        1,
                        1,
                        "not a Tugboat project: no format_version field".into(),
                    ));
                }
                _ => {}
            }
        }
        let mut project: Project = ron::from_str(text).map_err(|e| {
            at(
                e.span.start.line,
                e.span.start.col,
                format!("malformed project file: {}", e.code),
            )
        })?;
        let mut seen = std::collections::HashSet::new();
        for ep in &project.endpoints {
            if ep.name.trim().is_empty() {
                let (line, column) = position_of(text, "endpoints").unwrap_or((1, 1));
                return Err(at(line, column, "an endpoint has no name".into()));
            }
            if !seen.insert(ep.name.as_str()) {
                let (line, column) =
                    position_of(text, &format!("\"{}\"", ep.name)).unwrap_or((1, 1));
                return Err(at(
                    line,
                    column,
                    format!("two endpoints are named '{}'", ep.name),
                ));
            }
        }
        project.ensure_ids();
        Ok(project)
    }

    /// Gives every endpoint without one (a project written before ids, a new or copied
    /// endpoint) an id no other endpoint of the project has. Returns whether any was given.
    pub fn ensure_ids(&mut self) -> bool {
        let mut taken: std::collections::HashSet<String> = Default::default();
        let mut given = false;
        let mut n = 0;
        for i in 0..self.endpoints.len() {
            let id = self.endpoints[i].id.clone();
            if !id.is_empty() && taken.insert(id) {
                continue;
            }
            let fresh = loop {
                n += 1;
                let candidate = format!("e{n}");
                if !self.endpoints.iter().any(|e| e.id == candidate) && !taken.contains(&candidate)
                {
                    break candidate;
                }
            };
            taken.insert(fresh.clone());
            self.endpoints[i].id = fresh;
            given = true;
        }
        given
    }

    /// The endpoint with this id.
    pub fn endpoint_by_id(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == id)
    }

    /// The project as RON text.
    pub fn to_ron(&self) -> Result<String> {
        let config = ron::ser::PrettyConfig::default().struct_names(true);
        ron::ser::to_string_pretty(self, config).map_err(|e| Error::File {
            path: PathBuf::from("(project)"),
            message: format!("cannot write the project: {e}"),
        })
    }

    /// Writes the project atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = self.to_ron()?;
        let io = |e: std::io::Error| Error::File {
            path: path.to_path_buf(),
            message: format!("cannot save the project: {e}"),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("ron.tmp");
        std::fs::write(&tmp, text.as_bytes()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        tracing::info!(target: "tugboat::project", "saved project '{}' to {}", self.name, path.display());
        Ok(())
    }

    /// Checks what a saved project must hold: every endpoint named, names unique.
    pub fn validate(&self) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for ep in &self.endpoints {
            let bad = |m: String| Error::InvalidEndpoint {
                endpoint: ep.name.clone(),
                reason: m,
            };
            if ep.name.trim().is_empty() {
                return Err(bad("an endpoint has no name".into()));
            }
            if !seen.insert(ep.name.as_str()) {
                return Err(bad(format!("two endpoints are named '{}'", ep.name)));
            }
        }
        Ok(())
    }

    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    /// A name not used by any endpoint yet, based on `base` ("pg", "pg (2)", ...).
    pub fn unique_endpoint_name(&self, base: &str) -> String {
        if self.endpoint(base).is_none() {
            return base.to_string();
        }
        (2..)
            .map(|i| format!("{base} ({i})"))
            .find(|n| self.endpoint(n).is_none())
            .expect("some name is free")
    }
}

/// 1-based line and column of the first occurrence of `needle`.
fn position_of(text: &str, needle: &str) -> Option<(usize, usize)> {
    let offset = text.find(needle)?;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map(|p| p + 1).unwrap_or(0) + 1;
    Some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::Engine;

    #[test]
    fn endpoint_ids_are_kept_given_and_unique() {
        let mut p = Project::default();
        let mut a = Endpoint::new(Engine::Postgres);
        a.name = "a".into();
        a.id = "e7".into();
        let mut b = a.clone();
        b.name = "b (a copy that kept the id)".into();
        let mut c = Endpoint::new(Engine::Sqlite);
        c.name = "c".into();
        p.endpoints = vec![a, b, c];
        assert!(p.ensure_ids());
        let ids: Vec<&str> = p.endpoints.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids[0], "e7", "an id is kept");
        assert!(ids[1] != "e7" && !ids[1].is_empty() && ids[2] != ids[1] && !ids[2].is_empty());
        assert!(!p.ensure_ids(), "nothing left to give");
        // Kept through a save and a load, renamed or not.
        p.endpoints[0].name = "renamed".into();
        let again = Project::parse(&p.to_ron().unwrap(), Path::new("p.ron")).unwrap();
        assert_eq!(again.endpoints[0].id, "e7");
        assert_eq!(
            again.endpoint_by_id("e7").map(|e| e.name.as_str()),
            Some("renamed")
        );
    }

    #[test]
    fn round_trips_and_never_holds_a_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.ron");
        let parsed = Endpoint::parse_url("postgres://alice:TopSecret@db:5432/sales").unwrap();
        let mut ep = parsed.endpoint;
        ep.name = "sales".into();
        let p = Project {
            name: "Move sales".into(),
            endpoints: vec![ep, Endpoint::new(Engine::Sqlite)],
            ..Default::default()
        };
        let mut p = p;
        p.endpoints[1].name = "file".into();
        p.ensure_ids();
        p.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("TopSecret"), "{text}");
        assert_eq!(Project::load(&path).unwrap(), p);
    }

    #[test]
    fn malformed_file_names_line_and_column() {
        let text = "Project(\n  format_version: 1,\n  name: \"x\",\n  endpoints: [ oops ],\n)";
        let e = Project::parse(text, Path::new("bad.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.ron:4:"), "{e}");
    }

    #[test]
    fn newer_format_is_refused_clearly() {
        let text = "Project(\n  format_version: 99,\n  name: \"x\",\n)";
        let e = Project::parse(text, Path::new("new.ron"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("new.ron:2:3:") && e.contains("newer Tugboat"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_endpoint_names_are_refused() {
        let mut p = Project::default();
        let mut a = Endpoint::new(Engine::Postgres);
        a.name = "db".into();
        p.endpoints = vec![a.clone(), a];
        let e = Project::parse(&p.to_ron().unwrap(), Path::new("d.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("two endpoints are named 'db'"), "{e}");
    }
}
