//! S3 keys from a profile's `credential_process`, the AWS CLI's way of getting keys from another
//! program (SSO through `aws configure export-credentials --profile p --format process`, a
//! role assumed by a helper, a vault): the command run without a shell, its JSON read
//! (`Version` 1, `AccessKeyId`, `SecretAccessKey`, `SessionToken`, `Expiration`), and run
//! again 5 minutes before the keys expire, so that a replication running for days keeps
//! writing. What the program prints is never logged nor put in a message.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use object_store::CredentialProvider;
use object_store::aws::AwsCredential;

/// Keys are fetched again this long before they expire.
const EARLY: Duration = Duration::from_secs(300);
/// The program is stopped after this long.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Keys as the program gave them.
struct Fetched {
    credential: Arc<AwsCredential>,
    expires: Option<jiff::Timestamp>,
}

/// The keys of a profile whose `credential_process` gives them.
pub struct ProcessCredentials {
    profile: String,
    /// The program and its arguments.
    command: Vec<String>,
    cached: tokio::sync::Mutex<Option<Fetched>>,
}

impl std::fmt::Debug for ProcessCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessCredentials")
            .field("profile", &self.profile)
            .field("program", &self.command.first())
            .finish()
    }
}

impl ProcessCredentials {
    /// The keys of `profile`, whose `credential_process` is `line` (split as a POSIX shell
    /// would split it, run without one).
    pub fn new(profile: &str, line: &str) -> Result<ProcessCredentials, String> {
        let command = shlex::split(line)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                format!(
                    "AWS profile '{profile}': its credential_process cannot be read as a program and its arguments (an unclosed quote?)"
                )
            })?;
        Ok(ProcessCredentials {
            profile: profile.to_string(),
            command,
            cached: tokio::sync::Mutex::new(None),
        })
    }

    fn program(&self) -> &str {
        self.command.first().map_or("", String::as_str)
    }

    /// Runs the program (on a thread of its own: it may take seconds); its keys.
    async fn fetch(&self) -> Result<Fetched, String> {
        let command = self.command.clone();
        let what = format!(
            "AWS profile '{}': credential_process {}",
            self.profile,
            self.program()
        );
        let out = tokio::task::spawn_blocking(move || run(&command))
            .await
            .map_err(|e| format!("{what}: {e}"))?
            .map_err(|e| format!("{what}: {e}"))?;
        parse(&out).map_err(|e| format!("{what}: {e}"))
    }
}

/// Runs `command` until it exits (at most [`TIMEOUT`]); what it printed.
fn run(command: &[String]) -> Result<Vec<u8>, String> {
    let (program, args) = command.split_first().ok_or("no program")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot be started: {e}"))?;
    // Both read while it runs (a full pipe would hold it up).
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = vec![];
            if let Some(mut p) = pipe {
                p.read_to_end(&mut out)?;
            }
            Ok::<_, std::io::Error>(out)
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if started.elapsed() > TIMEOUT {
            crate::error::logged("stopping a credential_process", child.kill());
            crate::error::logged("waiting for a credential_process", child.wait());
            return Err(format!("did not answer in {} s", TIMEOUT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let joined = |h: std::thread::JoinHandle<std::io::Result<Vec<u8>>>| {
        h.join()
            .map_err(|_| "its output could not be read".to_string())?
            .map_err(|e| e.to_string())
    };
    let (out, err) = (joined(stdout)?, joined(stderr)?);
    if !status.success() {
        let err = String::from_utf8_lossy(&err);
        let err: String = err.trim().chars().take(300).collect();
        return Err(format!(
            "failed ({status}){}",
            if err.is_empty() {
                String::new()
            } else {
                format!(": {err}")
            }
        ));
    }
    Ok(out)
}

/// The keys of a `credential_process`'s output.
fn parse(out: &[u8]) -> Result<Fetched, String> {
    let v: serde_json::Value = serde_json::from_slice(out).map_err(|_| {
        "its output is not the JSON of keys (Version, AccessKeyId, SecretAccessKey)".to_string()
    })?;
    if v["Version"].as_u64() != Some(1) {
        return Err("its output's Version is not 1".into());
    }
    let text = |k: &str| v[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let (Some(key_id), Some(secret_key)) = (text("AccessKeyId"), text("SecretAccessKey")) else {
        return Err("its output has no AccessKeyId or no SecretAccessKey".into());
    };
    let expires = match text("Expiration") {
        None => None,
        Some(e) => Some(
            e.parse::<jiff::Timestamp>()
                .map_err(|_| format!("its Expiration {e:?} is not an RFC 3339 time"))?,
        ),
    };
    Ok(Fetched {
        credential: Arc::new(AwsCredential {
            key_id,
            secret_key,
            token: text("SessionToken"),
        }),
        expires,
    })
}

#[async_trait::async_trait]
impl CredentialProvider for ProcessCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let mut cached = self.cached.lock().await;
        let now = jiff::Timestamp::now();
        let fresh = |f: &Fetched| {
            f.expires
                .is_none_or(|e| now.checked_add(EARLY).is_ok_and(|soon| e > soon))
        };
        if let Some(f) = cached.as_ref().filter(|f| fresh(f)) {
            return Ok(f.credential.clone());
        }
        let f = self
            .fetch()
            .await
            .map_err(|e| object_store::Error::Generic {
                store: "S3",
                source: e.into(),
            })?;
        let credential = f.credential.clone();
        *cached = Some(f);
        Ok(credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Outcome = Result<(), Box<dyn std::error::Error>>;

    /// An executable shell script `name` in `dir` running `body`; its path.
    fn script(dir: &std::path::Path, name: &str, body: &str) -> std::io::Result<String> {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        Ok(path.display().to_string())
    }

    fn runs(path: &std::path::Path) -> usize {
        std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
    }

    #[tokio::test]
    async fn keys_come_from_the_program_and_again_before_they_expire() -> Outcome {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("runs");
        let soon = jiff::Timestamp::now().checked_add(Duration::from_secs(60))?;
        // Keys that expire within 5 minutes: fetched again on each use.
        let p = script(
            dir.path(),
            "soon.sh",
            &format!(
                "echo x >> '{}'; echo '{{\"Version\": 1, \"AccessKeyId\": \"AKIA'\"$1\"'\", \"SecretAccessKey\": \"s3cr3t\", \"SessionToken\": \"tok\", \"Expiration\": \"{soon}\"}}'",
                log.display()
            ),
        )?;
        let c = ProcessCredentials::new("lake", &format!("'{p}' 'ONE TWO'"))?;
        let k = c.get_credential().await?;
        assert_eq!(k.key_id, "AKIAONE TWO");
        assert_eq!(k.token.as_deref(), Some("tok"));
        c.get_credential().await?;
        assert_eq!(runs(&log), 2);
        // Keys without an expiry: fetched once.
        let p = script(
            dir.path(),
            "static.sh",
            &format!(
                "echo x >> '{}'; echo '{{\"Version\": 1, \"AccessKeyId\": \"AKIA\", \"SecretAccessKey\": \"s3cr3t\"}}'",
                log.display()
            ),
        )?;
        let c = ProcessCredentials::new("lake", &p)?;
        c.get_credential().await?;
        c.get_credential().await?;
        assert_eq!(runs(&log), 3);
        Ok(())
    }

    /// The error of the first use of `line`'s keys.
    async fn failure(line: &str) -> Result<String, Box<dyn std::error::Error>> {
        match ProcessCredentials::new("sso", line)?.get_credential().await {
            Ok(_) => Err(format!("{line} gave keys").into()),
            Err(e) => Ok(e.to_string()),
        }
    }

    #[tokio::test]
    async fn a_failing_program_is_named_without_its_output() -> Outcome {
        let dir = tempfile::tempdir()?;
        let p = script(
            dir.path(),
            "fails.sh",
            "echo 'SECRETKEY'; echo 'token expired' >&2; exit 3",
        )?;
        let e = failure(&p).await?;
        assert!(
            e.contains("AWS profile 'sso'") && e.contains("fails.sh"),
            "{e}"
        );
        assert!(
            e.contains("token expired") && e.contains("exit status: 3"),
            "{e}"
        );
        assert!(!e.contains("SECRETKEY"), "{e}");
        let p = script(
            dir.path(),
            "bad.sh",
            "echo '{\"Version\": 1, \"AccessKeyId\": \"SECRETKEY\"}'",
        )?;
        let e = failure(&p).await?;
        assert!(
            e.contains("no SecretAccessKey") && !e.contains("SECRETKEY"),
            "{e}"
        );
        assert!(ProcessCredentials::new("sso", "'unclosed").is_err());
        let e = failure("/nonexistent/helper").await?;
        assert!(e.contains("cannot be started"), "{e}");
        Ok(())
    }
}
