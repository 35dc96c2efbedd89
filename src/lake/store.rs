//! Where a data lake is: a folder (`file:///data/lake/`) or an S3 bucket and prefix
//! (`s3://bucket/prefix`), both behind one object store, so that the S3 path runs the same code
//! as the folder. An object is visible whole or not at all (a file is written aside and
//! renamed; an S3 upload is completed at once). S3 credentials come from the usual AWS
//! environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `AWS_REGION`, `AWS_ENDPOINT` for S3-compatible stores), then the profile of the AWS shared
//! files (`AWS_PROFILE`, else `default`: [`super::aws_profile`]), or the instance's role; never
//! from a project file.

use std::path::PathBuf;

pub use crate::endpoints::Location;
use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::error::{Error, Result};

/// An open data lake: its store and the prefix everything is written under.
#[derive(Clone)]
pub struct Lake {
    store: Arc<dyn ObjectStore>,
    root: Path,
    label: String,
}

impl std::fmt::Debug for Lake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

impl Lake {
    /// Opens `loc` (a folder is created if missing).
    pub async fn open(loc: &Location) -> Result<Lake> {
        let label = loc.label();
        let failed = |e: String| Error::InvalidEndpoint {
            endpoint: label.clone(),
            reason: e,
        };
        let (store, root): (Arc<dyn ObjectStore>, Path) = match loc {
            Location::Folder(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| failed(format!("cannot create the folder: {e}")))?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| failed(e.to_string()))?
                    .with_fsync(true);
                (Arc::new(fs), Path::default())
            }
            Location::S3 { bucket, prefix } => {
                let env = object_store::aws::AmazonS3Builder::from_env();
                let home = std::env::home_dir();
                let s3 = super::aws_profile::apply(env, |k| std::env::var(k).ok(), home)
                    .map_err(failed)?
                    .with_bucket_name(bucket)
                    .build()
                    .map_err(|e| failed(e.to_string()))?;
                let root = Path::parse(prefix).map_err(|e| failed(e.to_string()))?;
                (Arc::new(s3), root)
            }
        };
        Ok(Lake { store, root, label })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// The path of `parts` under the lake's prefix.
    pub fn path(&self, parts: &[&str]) -> Path {
        let mut p = self.root.clone();
        for part in parts {
            p = p.join(*part);
        }
        p
    }

    fn failed(&self, what: &str, e: object_store::Error) -> Error {
        Error::Query {
            endpoint: self.label.clone(),
            context: what.to_string(),
            message: e.to_string(),
            cause: match e {
                object_store::Error::NotFound { .. } => crate::error::Cause::Statement,
                _ => crate::error::Cause::Connection,
            },
        }
    }

    /// The objects under `dir`, by name.
    pub async fn list(&self, dir: &Path) -> Result<Vec<object_store::ObjectMeta>> {
        let mut out: Vec<_> = self
            .store
            .list(Some(dir))
            .try_collect()
            .await
            .map_err(|e| self.failed(&format!("listing {dir}"), e))?;
        out.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(out)
    }

    /// Deletes the object at `path`.
    pub async fn delete(&self, path: &Path) -> Result<()> {
        self.store
            .delete(path)
            .await
            .map_err(|e| self.failed(&format!("deleting {path}"), e))
    }

    /// Deletes every object under `dir`; how many.
    pub async fn clear(&self, dir: &Path) -> Result<usize> {
        let objects = self.list(dir).await?;
        for o in &objects {
            self.delete(&o.location).await?;
        }
        Ok(objects.len())
    }

    /// Writes `value` as JSON to `path`, whole.
    pub async fn put_json<T: serde::Serialize>(&self, path: &Path, value: &T) -> Result<()> {
        let text = serde_json::to_vec_pretty(value).map_err(|e| Error::Invalid {
            what: path.to_string(),
            reason: e.to_string(),
        })?;
        self.store
            .put(path, PutPayload::from(text))
            .await
            .map_err(|e| self.failed(&format!("writing {path}"), e))?;
        Ok(())
    }

    /// The JSON object at `path`; None when there is none.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &Path) -> Result<Option<T>> {
        let got = match self.store.get(path).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.failed(&format!("reading {path}"), e)),
        };
        let bytes = got
            .bytes()
            .await
            .map_err(|e| self.failed(&format!("reading {path}"), e))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::FileFormat {
                path: PathBuf::from(format!("{}/{path}", self.label)),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })
    }
}
