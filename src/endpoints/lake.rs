//! Where a data lake is (a Parquet target): a folder (`file:///data/lake/`) or an S3 bucket and
//! prefix (`s3://bucket/prefix`), told apart from a SQLite file's `file:` URL.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// A data lake's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local folder.
    Folder(PathBuf),
    /// An S3 bucket, and the prefix the task's folders go under.
    S3 { bucket: String, prefix: String },
}

impl Location {
    /// The lake `url` names: `s3://bucket/prefix`, or `file:///path/` where the path ends in
    /// `/` or is a folder already (a `file:` URL of a file is a SQLite database). None when
    /// `url` is not a data lake's.
    pub fn parse(url: &str) -> Option<Result<Location>> {
        Self::parse_with(url, |path| std::path::Path::new(path).is_dir())
    }

    /// The location of a Parquet endpoint, whose `url` is a lake's already: a `file:` path is
    /// its folder (nothing is asked of the file system, so the app's form checks it each frame).
    pub fn of_lake(url: &str) -> Result<Location> {
        Self::parse_with(url, |_| true).unwrap_or_else(|| {
            Err(Error::InvalidUrl {
                url: url.to_string(),
                reason: "give the folder as file:///absolute/folder/ or an S3 prefix as s3://bucket/prefix".into(),
            })
        })
    }

    /// [`Self::parse`], `is_folder` telling whether a path without a final `/` is a folder.
    fn parse_with(url: &str, is_folder: impl Fn(&str) -> bool) -> Option<Result<Location>> {
        let url = url.trim();
        let bad = |reason: &str| Error::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Some(Err(bad("no bucket: write s3://bucket/prefix")));
            }
            return Some(Ok(Location::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
            }));
        }
        let path = url
            .strip_prefix("file://")
            .or_else(|| url.strip_prefix("parquet://"))?;
        let path = percent_encoding::percent_decode_str(path)
            .decode_utf8_lossy()
            .to_string();
        if path.is_empty() {
            return Some(Err(bad("no folder: write file:///absolute/folder/")));
        }
        let folder = path.ends_with('/') || is_folder(&path);
        (folder || url.starts_with("parquet://")).then(|| {
            let p = PathBuf::from(&path);
            if p.is_relative() {
                Err(bad(
                    "the folder must be an absolute path: file:///absolute/folder/",
                ))
            } else {
                Ok(Location::Folder(p))
            }
        })
    }

    /// As a URL (what a Parquet endpoint keeps as its database).
    pub fn url(&self) -> String {
        match self {
            Location::Folder(p) => {
                let p = p.display().to_string();
                let slash = if p.ends_with('/') { "" } else { "/" };
                format!("file://{p}{slash}")
            }
            Location::S3 { bucket, prefix } if prefix.is_empty() => format!("s3://{bucket}"),
            Location::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// As the log and reports say it.
    pub fn label(&self) -> String {
        match self {
            Location::Folder(p) => format!("Parquet folder {}", p.display()),
            Location::S3 { bucket, prefix } => format!("Parquet on s3://{bucket}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lake_urls_are_told_from_sqlite_files() {
        assert_eq!(
            Location::parse("s3://bucket/raw/shop/").unwrap().unwrap(),
            Location::S3 {
                bucket: "bucket".into(),
                prefix: "raw/shop".into()
            }
        );
        assert_eq!(
            Location::parse("file:///data/lake/").unwrap().unwrap(),
            Location::Folder("/data/lake/".into())
        );
        assert!(Location::parse("file:///data/shop.db").is_none());
        assert!(Location::parse("postgres://u@h/db").is_none());
        assert!(Location::parse("file://relative/").unwrap().is_err());
        assert!(Location::parse("s3:///x").unwrap().is_err());
        // A Parquet endpoint's own URL: a path is its folder, slash or not.
        assert_eq!(
            Location::of_lake("file:///data/lake").unwrap(),
            Location::Folder("/data/lake".into())
        );
        assert!(Location::of_lake("/data/lake").is_err());
    }
}
