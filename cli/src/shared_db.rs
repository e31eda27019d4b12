//! The PostgreSQL database several replicas share (`--store postgres://…`, `--events-from`,
//! `--quota-from`): connected once at start, so that a database that cannot be reached is an
//! error before anything is received or sent.

use tencent_meeting_postgres::Database;

/// The variable holding the database password, as libpq reads it: a password in the URL would
/// show in `ps` to every user of the machine.
pub const PASSWORD_VAR: &str = "PGPASSWORD";

/// Whether `value` names a PostgreSQL database rather than a file.
pub fn is_url(value: &str) -> bool {
    value.starts_with("postgres://") || value.starts_with("postgresql://")
}

/// Connects to the database `url` given with `flag` (and migrates its schema); the password
/// from $PGPASSWORD when the URL has none. An error names the flag.
pub async fn connect(flag: &str, url: &str) -> Result<Database, String> {
    let mut builder = Database::builder(url);
    if let Some(password) = std::env::var(PASSWORD_VAR).ok().filter(|p| !p.is_empty()) {
        builder = builder.password(password);
    }
    builder.connect().await.map_err(|e| format!("{flag}: {e}"))
}
