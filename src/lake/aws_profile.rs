//! S3 credentials, region and endpoint from the AWS shared files, as the AWS CLI and SDKs read
//! them: the profile `AWS_PROFILE` names (else `default`) in `~/.aws/credentials`
//! (`AWS_SHARED_CREDENTIALS_FILE`) and `~/.aws/config` (`AWS_CONFIG_FILE`, sections
//! `[profile name]`). The environment's own variables come first: a profile only fills what
//! they leave unset. Static keys, or a `credential_process` ([`super::aws_process`]: how SSO
//! and roles reach tools through the AWS CLI); a profile that assumes a role or uses SSO
//! itself is said in the log and not followed. Nothing read here is ever logged or written.

use std::path::{Path, PathBuf};

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};

/// What a profile says, as read from the files.
#[derive(Debug, Default, PartialEq)]
pub struct Profile {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// The program that gives its keys.
    pub credential_process: Option<String>,
    /// Keys it names that Tugboat does not follow (`role_arn`, `sso_session`...).
    pub not_followed: Vec<String>,
}

/// Ways of getting keys that a profile may name and Tugboat does not follow.
const NOT_FOLLOWED: &[&str] = &[
    "role_arn",
    "source_profile",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
];

/// Profile `name` from the texts of the credentials file and the config file (either may be
/// missing). None when neither has it.
pub fn read(
    name: &str,
    credentials: Option<&str>,
    config: Option<&str>,
) -> Result<Option<Profile>, String> {
    let parse = |what: &str, text: Option<&str>| -> Result<Option<ini::Ini>, String> {
        text.map(|t| ini::Ini::load_from_str_noescape(t).map_err(|e| format!("{what}: {e}")))
            .transpose()
    };
    let creds = parse("the AWS credentials file", credentials)?;
    let conf = parse("the AWS config file", config)?;
    let config_section = if name == "default" {
        "default".to_string()
    } else {
        format!("profile {name}")
    };
    let sections = [
        creds.as_ref().and_then(|i| i.section(Some(name))),
        conf.as_ref()
            .and_then(|i| i.section(Some(config_section.as_str()))),
    ];
    if sections.iter().all(Option::is_none) {
        return Ok(None);
    }
    let get = |key: &str| {
        sections
            .iter()
            .flatten()
            .find_map(|s| s.get(key))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Ok(Some(Profile {
        access_key_id: get("aws_access_key_id"),
        secret_access_key: get("aws_secret_access_key"),
        session_token: get("aws_session_token"),
        region: get("region"),
        endpoint_url: get("endpoint_url"),
        credential_process: get("credential_process"),
        not_followed: NOT_FOLLOWED
            .iter()
            .filter(|k| get(k).is_some())
            .map(|k| k.to_string())
            .collect(),
    }))
}

/// `builder` (from the environment) with what the profile adds: the profile's values only
/// where the environment set none. `env` reads a variable, `home` is the user's home folder.
/// An error when `AWS_PROFILE` names a profile neither file has, or a file cannot be parsed.
pub fn apply(
    mut builder: AmazonS3Builder,
    env: impl Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
) -> Result<AmazonS3Builder, String> {
    let named = env("AWS_PROFILE").filter(|p| !p.is_empty());
    let name = named.clone().unwrap_or_else(|| "default".into());
    let file = |var: &str, rel: &str| {
        env(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(rel)))
    };
    let text = |p: &Option<PathBuf>| {
        p.as_deref()
            .and_then(|p: &Path| std::fs::read_to_string(p).ok())
    };
    let (creds, conf) = (
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        file("AWS_CONFIG_FILE", "config"),
    );
    let Some(profile) = read(&name, text(&creds).as_deref(), text(&conf).as_deref())? else {
        return match named {
            Some(n) => Err(format!(
                "the AWS profile '{n}' (AWS_PROFILE) is in neither {} nor {}",
                shown(&creds),
                shown(&conf)
            )),
            None => Ok(builder),
        };
    };
    if !profile.not_followed.is_empty() {
        tracing::warn!(target: "tugboat::lake", "AWS profile '{name}' gets its keys through {}, which Tugboat does not follow: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), e.g. from `aws configure export-credentials`", profile.not_followed.join(", "));
    }
    let keys = [
        (AmazonS3ConfigKey::AccessKeyId, &profile.access_key_id),
        (
            AmazonS3ConfigKey::SecretAccessKey,
            &profile.secret_access_key,
        ),
        (AmazonS3ConfigKey::Token, &profile.session_token),
        (AmazonS3ConfigKey::Region, &profile.region),
        (AmazonS3ConfigKey::Endpoint, &profile.endpoint_url),
    ];
    // Keys come as a pair: a profile's secret never goes with the environment's key id.
    let env_has_keys = builder
        .get_config_value(&AmazonS3ConfigKey::AccessKeyId)
        .is_some();
    for (key, value) in keys {
        let credential = matches!(
            key,
            AmazonS3ConfigKey::AccessKeyId
                | AmazonS3ConfigKey::SecretAccessKey
                | AmazonS3ConfigKey::Token
        );
        if credential && env_has_keys {
            continue;
        }
        if let Some(v) = value
            && builder.get_config_value(&key).is_none()
        {
            builder = builder.with_config(key, v);
        }
    }
    let static_keys = profile.access_key_id.is_some() && profile.secret_access_key.is_some();
    if let Some(line) = profile.credential_process.as_deref()
        && !env_has_keys
        && !static_keys
    {
        let keys = super::aws_process::ProcessCredentials::new(&name, line)?;
        tracing::info!(target: "tugboat::lake", "S3 keys from AWS profile '{name}': its credential_process");
        builder = builder.with_credentials(std::sync::Arc::new(keys));
    }
    Ok(builder)
}

fn shown(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(no home folder)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIALS: &str = "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = secret/default+1\n\n[lake]\naws_access_key_id=AKIALAKE\naws_secret_access_key=secret/lake\naws_session_token = token==\n";
    const CONFIG: &str = "[default]\nregion = eu-west-1\n\n[profile lake]\nregion = us-east-2\nendpoint_url = http://127.0.0.1:9000\ns3 =\n  max_concurrent_requests = 20\n\n[profile sso]\nsso_session = corp\nregion = eu-central-1\n";

    const HELPER: &str = "[profile helper]\ncredential_process = aws configure export-credentials --profile corp --format process\n";

    type Outcome = Result<(), Box<dyn std::error::Error>>;

    fn files(dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir.join(".aws"))?;
        std::fs::write(dir.join(".aws/credentials"), CREDENTIALS)?;
        std::fs::write(dir.join(".aws/config"), CONFIG)?;
        Ok(dir.to_path_buf())
    }

    /// Asserts the builder's settings of `expected` (None: not set).
    fn settings(b: &AmazonS3Builder, expected: &[(AmazonS3ConfigKey, Option<&str>)]) {
        for (k, v) in expected {
            assert_eq!(b.get_config_value(k).as_deref(), *v, "{k:?}");
        }
    }

    #[test]
    fn a_named_profile_fills_what_the_environment_leaves_unset() -> Outcome {
        use AmazonS3ConfigKey::*;
        let dir = tempfile::tempdir()?;
        let home = files(dir.path())?;
        let env = |k: &str| (k == "AWS_PROFILE").then(|| "lake".to_string());
        let b = apply(AmazonS3Builder::new(), env, Some(home.clone()))?;
        settings(
            &b,
            &[
                (AccessKeyId, Some("AKIALAKE")),
                (SecretAccessKey, Some("secret/lake")),
                (Token, Some("token==")),
                (Region, Some("us-east-2")),
                (Endpoint, Some("http://127.0.0.1:9000")),
            ],
        );
        // The default profile, without AWS_PROFILE.
        let b = apply(AmazonS3Builder::new(), |_| None, Some(home.clone()))?;
        settings(
            &b,
            &[
                (AccessKeyId, Some("AKIADEFAULT")),
                (Region, Some("eu-west-1")),
            ],
        );
        // The environment's keys and region win, and a profile's secret never joins them.
        let set = AmazonS3Builder::new()
            .with_access_key_id("AKIAENV")
            .with_region("ap-south-1");
        let b = apply(set, env, Some(home))?;
        settings(
            &b,
            &[
                (AccessKeyId, Some("AKIAENV")),
                (SecretAccessKey, None),
                (Region, Some("ap-south-1")),
            ],
        );
        Ok(())
    }

    /// An S3 request made with the keys of a profile's credential_process: signed with them
    /// (read at a local listener that answers 404).
    #[tokio::test]
    async fn s3_requests_are_signed_with_the_keys_of_the_credential_process() -> Outcome {
        use std::io::{BufRead, Write};
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let helper = dir.path().join("keys.sh");
        std::fs::write(
            &helper,
            "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAFROMHELPER\", \"SecretAccessKey\": \"s\"}'\n",
        )?;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755))?;
        std::fs::create_dir_all(dir.path().join(".aws"))?;
        std::fs::write(
            dir.path().join(".aws/config"),
            format!(
                "[profile helper]\ncredential_process = {}\nregion = eu-west-1\n",
                helper.display()
            ),
        )?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let seen = std::thread::spawn(move || -> std::io::Result<String> {
            // (No request at all within 20 s: said, not waited for.)
            listener.set_nonblocking(true)?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            let stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(_) if std::time::Instant::now() < deadline => {
                        std::thread::sleep(std::time::Duration::from_millis(20))
                    }
                    Err(e) => return Err(e),
                }
            };
            stream.set_nonblocking(false)?;
            let mut lines = std::io::BufReader::new(stream.try_clone()?).lines();
            let mut auth = String::new();
            for line in lines.by_ref() {
                let line = line?;
                if line.is_empty() {
                    break;
                }
                if line.to_ascii_lowercase().starts_with("authorization:") {
                    auth = line;
                }
            }
            let mut out = stream;
            out.write_all(
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )?;
            Ok(auth)
        });
        let env = |k: &str| (k == "AWS_PROFILE").then(|| "helper".to_string());
        let store = apply(
            AmazonS3Builder::new()
                .with_bucket_name("lake")
                .with_endpoint(format!("http://127.0.0.1:{port}"))
                .with_allow_http(true)
                .with_retry(object_store::RetryConfig {
                    max_retries: 0,
                    ..Default::default()
                }),
            env,
            Some(dir.path().to_path_buf()),
        )?
        .build()?;
        let got = object_store::ObjectStoreExt::get(
            &store,
            &object_store::path::Path::from("x/y.parquet"),
        )
        .await;
        assert!(got.is_err(), "the listener has no object");
        let auth = seen.join().map_err(|_| "listener")??;
        assert!(auth.contains("Credential=AKIAFROMHELPER/"), "{auth}");
        Ok(())
    }

    #[test]
    fn a_profile_that_is_not_there_or_not_followed_is_said() -> Outcome {
        let dir = tempfile::tempdir()?;
        let home = files(dir.path())?;
        let env = |k: &str| (k == "AWS_PROFILE").then(|| "missing".to_string());
        let e = apply(AmazonS3Builder::new(), env, Some(home))
            .err()
            .ok_or("a profile in neither file is an error")?;
        assert!(
            e.contains("'missing'") && e.contains(".aws/credentials"),
            "{e}"
        );
        let sso = read("sso", Some(CREDENTIALS), Some(CONFIG))?.ok_or("profile sso")?;
        assert_eq!(sso.not_followed, vec!["sso_session".to_string()]);
        let helper = read("helper", None, Some(HELPER))?.ok_or("profile helper")?;
        assert_eq!(
            helper.credential_process.as_deref(),
            Some("aws configure export-credentials --profile corp --format process")
        );
        assert!(helper.not_followed.is_empty());
        assert_eq!(sso.access_key_id, None);
        assert_eq!(sso.region.as_deref(), Some("eu-central-1"));
        // No files and no profile named: nothing to add, no error.
        let empty = tempfile::tempdir()?;
        assert!(apply(AmazonS3Builder::new(), |_| None, Some(empty.path().into())).is_ok());
        assert!(read("x", Some("[x\nbroken"), None).is_err());
        Ok(())
    }
}
