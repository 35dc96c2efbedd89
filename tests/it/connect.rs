//! Connection tests and every kind of bad connection input a user can give.

use std::time::{Duration, Instant};

use tugboat::endpoints::{Endpoint, Password, Role, test_connection};
use tugboat::error::ConnectFailure;

use crate::support;

#[tokio::test]
async fn postgres_connection_test_reports_server_user_latency_and_catalog_access() {
    let url = support::pg_database("tug_conn").await;
    let p = Endpoint::parse_url(&url).unwrap();
    let info = test_connection(&p.endpoint, p.password)
        .await
        .expect("connects");
    assert_eq!(info.product, "PostgreSQL");
    assert!(
        info.version.starts_with(|c: char| c.is_ascii_digit()),
        "{info:?}"
    );
    assert_eq!(info.current_user, support::pg().user);
    assert_eq!(info.database, "tug_conn");
    assert!(
        info.latency_ms > 0.0 && info.latency_ms < 1000.0,
        "{info:?}"
    );
    assert!(info.catalog_readable, "{info:?}");
}

#[tokio::test]
async fn mariadb_connection_test_reports_server_user_latency_and_catalog_access() {
    let url = support::mysql_database("tug_conn").await;
    let p = Endpoint::parse_url(&url).unwrap();
    let info = test_connection(&p.endpoint, p.password)
        .await
        .expect("connects");
    assert!(
        info.product == "MariaDB" || info.product == "MySQL",
        "{info:?}"
    );
    assert!(
        info.current_user.starts_with(&support::mysql().user),
        "{info:?}"
    );
    assert_eq!(info.database, "tug_conn");
    assert!(info.catalog_readable, "{info:?}");
}

#[tokio::test]
async fn wrong_password_is_an_authentication_error_without_the_password() {
    for server in [support::pg(), support::mysql()] {
        let (ep, _) = server.endpoint(if server.url.starts_with("postgres") {
            "postgres"
        } else {
            ""
        });
        let err = test_connection(&ep, Some(Password::new("definitely-wrong-pw")))
            .await
            .unwrap_err();
        assert_eq!(
            err.connect_failure(),
            Some(ConnectFailure::Authentication),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("authentication failed"), "{msg}");
        assert!(
            !msg.contains("definitely-wrong-pw"),
            "password leaked: {msg}"
        );
    }
}

#[tokio::test]
async fn password_from_the_named_environment_variable_is_used() {
    let server = support::pg();
    let (mut ep, _) = server.endpoint("postgres");
    ep.password_env = Some("TUGBOAT_IT_PG_PW".into());
    // SAFETY: no other test reads or writes this variable.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("TUGBOAT_IT_PG_PW", &server.password)
    };
    let info = test_connection(&ep, None)
        .await
        .expect("password found in the variable");
    assert_eq!(info.current_user, server.user);
}

#[tokio::test]
async fn unknown_database_is_named() {
    for server in [support::pg(), support::mysql()] {
        let (ep, pw) = server.endpoint("no_such_db_here");
        let err = test_connection(&ep, pw).await.unwrap_err();
        assert_eq!(
            err.connect_failure(),
            Some(ConnectFailure::UnknownDatabase),
            "{err}"
        );
        assert!(err.to_string().contains("no_such_db_here"), "{err}");
    }
}

#[tokio::test]
async fn refused_connection_says_so_quickly() {
    let port = support::free_port();
    let ep = Endpoint::parse_url(&format!("postgres://u@127.0.0.1:{port}/db"))
        .unwrap()
        .endpoint;
    let t = Instant::now();
    let err = test_connection(&ep, None).await.unwrap_err();
    assert_eq!(
        err.connect_failure(),
        Some(ConnectFailure::Refused),
        "{err}"
    );
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn host_that_never_answers_times_out_within_the_configured_limit() {
    // A listener that accepts but never speaks: the server "does not answer".
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for scheme in ["postgres", "mysql"] {
        let mut ep = Endpoint::parse_url(&format!("{scheme}://u@127.0.0.1:{port}/db"))
            .unwrap()
            .endpoint;
        ep.connect_timeout_secs = 2;
        let t = Instant::now();
        let err = test_connection(&ep, None).await.unwrap_err();
        assert_eq!(
            err.connect_failure(),
            Some(ConnectFailure::Timeout),
            "{err}"
        );
        assert!(err.to_string().contains("within 2 s"), "{err}");
        assert!(
            t.elapsed() < Duration::from_secs(6),
            "took {:?}",
            t.elapsed()
        );
    }
    drop(listener);
}

#[tokio::test]
async fn missing_sqlite_source_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.sqlite");
    let ep = Endpoint::parse_url(&format!("sqlite://{}", path.display()))
        .unwrap()
        .endpoint;
    let err = test_connection(&ep, None).await.unwrap_err();
    assert_eq!(
        err.connect_failure(),
        Some(ConnectFailure::MissingFile),
        "{err}"
    );
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!path.exists(), "a source file must never be created");

    let mut target = ep.clone();
    target.role = Role::Target;
    let info = test_connection(&target, None)
        .await
        .expect("a target file is created");
    assert_eq!(info.product, "SQLite");
    assert!(path.exists());
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "this is not a database, just some text that is long enough to look like a header",
    )
    .unwrap();
    let ep = Endpoint::parse_url(&format!("sqlite://{}", path.display()))
        .unwrap()
        .endpoint;
    let err = test_connection(&ep, None).await.unwrap_err().to_string();
    assert!(err.contains("not a readable SQLite database"), "{err}");
}

#[tokio::test]
async fn unknown_host_is_named() {
    // `.invalid` never resolves (RFC 2606).
    let mut ep = Endpoint::parse_url("mysql://u@no-such-host.invalid:3306/db")
        .unwrap()
        .endpoint;
    ep.connect_timeout_secs = 5;
    let err = test_connection(&ep, None).await.unwrap_err();
    assert_eq!(
        err.connect_failure(),
        Some(ConnectFailure::UnknownHost),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("'no-such-host.invalid' does not resolve"),
        "{err}"
    );
}
