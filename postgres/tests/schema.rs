//! The schema is the crate's: created on first connect, left alone after, migrated once when
//! replicas start together, and a newer one is refused rather than misread.

use std::time::{Duration, Instant};

use tencent_meeting_postgres::testing::TestDatabase;
use tencent_meeting_postgres::{Database, Error, SCHEMA_VERSION};

async fn versions(url: &str) -> Vec<i32> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connects");
    tokio::spawn(connection);
    client
        .query(
            "SELECT version FROM tencent_meeting_schema ORDER BY version",
            &[],
        )
        .await
        .expect("the schema table")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn replicas_starting_together_migrate_once() {
    let Some(test_db) = TestDatabase::create("replicas_starting_together_migrate_once") else {
        return;
    };
    let connects: Vec<_> = (0..6)
        .map(|_| {
            let url = test_db.url().to_string();
            tokio::spawn(async move { Database::connect(&url).await })
        })
        .collect();
    for connect in connects {
        connect
            .await
            .expect("the task")
            .expect("every replica connects");
    }
    let expected: Vec<i32> = (1..=SCHEMA_VERSION).collect();
    assert_eq!(versions(test_db.url()).await, expected);
    // A later start finds the schema current and changes nothing.
    Database::connect(test_db.url())
        .await
        .expect("connects again");
    assert_eq!(versions(test_db.url()).await, expected);
}

#[tokio::test]
async fn a_schema_newer_than_this_build_is_refused() {
    let Some(test_db) = TestDatabase::create("a_schema_newer_than_this_build_is_refused") else {
        return;
    };
    Database::connect(test_db.url()).await.expect("connects");
    let (client, connection) = tokio_postgres::connect(test_db.url(), tokio_postgres::NoTls)
        .await
        .expect("connects");
    tokio::spawn(connection);
    client
        .execute(
            "INSERT INTO tencent_meeting_schema (version) VALUES ($1)",
            &[&(SCHEMA_VERSION + 1)],
        )
        .await
        .expect("inserts");
    match Database::connect(test_db.url()).await {
        Err(Error::SchemaTooNew { found, known }) => {
            assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[tokio::test]
async fn a_database_that_is_down_is_an_error_at_connect() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    let started = Instant::now();
    let result = Database::builder(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .timeout(Duration::from_secs(2))
        .connect()
        .await;
    match result {
        Err(e @ Error::Unavailable { .. }) => {
            assert!(e.is_transient());
            assert!(
                e.to_string().starts_with("could not reach the database"),
                "{e}"
            );
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it fails without hanging"
    );
}
