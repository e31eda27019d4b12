//! The crate's tables, created and migrated by the crate itself: each version's SQL applied once,
//! in order, in one transaction, under an advisory lock (several replicas may start at once).

use tokio_postgres::Client;

use crate::Error;

/// Each version's SQL, version 1 first. Never edit one that has shipped: add the next.
const MIGRATIONS: [&str; 1] = [include_str!("schema/v1.sql")];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Brings the database's schema to [`SCHEMA_VERSION`]. Returns the version found before.
pub(crate) async fn migrate(client: &mut Client) -> Result<i32, Error> {
    let tx = client.transaction().await?;
    // Serialises concurrent migrations (held until commit), before anything is read.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('tencent_meeting_schema'))",
        &[],
    )
    .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS tencent_meeting_schema (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let found: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM tencent_meeting_schema",
            &[],
        )
        .await?
        .get(0);
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (version, sql) in (1..).zip(MIGRATIONS).skip(found as usize) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO tencent_meeting_schema (version) VALUES ($1)",
            &[&version],
        )
        .await?;
        tracing::info!(version, "database schema migrated");
    }
    tx.commit().await?;
    Ok(found)
}
