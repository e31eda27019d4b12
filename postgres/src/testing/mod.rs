//! Throwaway databases for tests (feature `testing`): a fresh database per test on the server
//! that [`DATABASE_URL_VAR`] names, or a [`Cluster`] of the test's own when it must stop and
//! restart the server.
//!
//! `cargo xtask ci` starts one throwaway cluster for the whole run and sets the variable;
//! `cargo xtask postgres -- COMMAND` does the same around any command, e.g.
//! `cargo xtask postgres -- cargo nextest run -p tencent-meeting-postgres`. Without the
//! variable a test that needs the server is skipped with a message on standard error, except on
//! CI (`CI` set), where its absence fails the test.

mod cluster;

use std::sync::atomic::{AtomicU32, Ordering};

pub use cluster::{Cluster, DATABASE_URL_VAR, StopMode};

/// A database of its own for one test, created empty on the test server and dropped (with any
/// connection still open to it) when this value is.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    server_url: String,
}

impl TestDatabase {
    /// A new, empty database named after `test`; `None` when [`DATABASE_URL_VAR`] is not set
    /// and this is not CI (the test should return: it is reported on standard error as
    /// skipped).
    ///
    /// Blocking (it runs its statements on a thread of its own), so it can be called from
    /// synchronous and asynchronous tests alike.
    ///
    /// # Panics
    ///
    /// When the variable is unset on CI, or the database cannot be created: a test that cannot
    /// get its database fails.
    pub fn create(test: &str) -> Option<TestDatabase> {
        let server_url = server_url(test)?;
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let short: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(32)
            .collect();
        let name = format!(
            "tm_{short}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let statement = format!("CREATE DATABASE \"{name}\"");
        if let Err(e) = on_server(&server_url, &statement) {
            panic!("could not create the test database {name} on {server_url}: {e}");
        }
        Some(TestDatabase {
            url: with_dbname(&server_url, &name),
            name,
            server_url,
        })
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL of the server's database the test database was created from (to administer
    /// the test database from outside it).
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let statement = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        if let Err(e) = on_server(&self.server_url, &statement) {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

/// The test server's URL; `None` (after saying the test is skipped) when unset outside CI.
fn server_url(test: &str) -> Option<String> {
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{test}: {DATABASE_URL_VAR} is not set on CI: `cargo xtask ci` starts a throwaway \
             PostgreSQL and sets it"
        ),
        _ => {
            eprintln!(
                "SKIPPED {test}: it needs a PostgreSQL server and {DATABASE_URL_VAR} is not set; \
                 `cargo xtask postgres -- cargo nextest run …` runs the tests with a throwaway one"
            );
            None
        }
    }
}

/// Runs one statement on the server's maintenance database, on a thread of its own.
fn on_server(server_url: &str, statement: &str) -> Result<(), String> {
    let server_url = server_url.to_string();
    let statement = statement.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&server_url, tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            let driver = tokio::spawn(connection);
            let done = client
                .batch_execute(&statement)
                .await
                .map_err(|e| e.to_string());
            drop(client);
            let _ = driver.await;
            done
        })
    })
    .join()
    .map_err(|_| "the thread panicked".to_string())?
}

/// `url` with its database name replaced by `name`: the path of a `postgres://` URL, or a
/// `dbname=` appended to the `key=value` form (the last one counts).
fn with_dbname(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return format!("{url} dbname={name}");
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_end = rest
        .find(['/', '?'])
        .map_or(url.len(), |i| authority_start + i);
    let query = url[authority_end..]
        .find('?')
        .map_or("", |i| &url[authority_end + i..]);
    format!("{}/{name}{query}", &url[..authority_end])
}

#[cfg(test)]
mod tests {
    use super::with_dbname;

    #[test]
    fn the_database_name_is_replaced_in_either_form() {
        assert_eq!(
            with_dbname("postgres://u@h:5/postgres", "t1"),
            "postgres://u@h:5/t1"
        );
        assert_eq!(
            with_dbname("postgresql://u@h:5/postgres?connect_timeout=3", "t1"),
            "postgresql://u@h:5/t1?connect_timeout=3"
        );
        assert_eq!(with_dbname("postgres://u@h", "t1"), "postgres://u@h/t1");
        assert_eq!(
            with_dbname("postgres://u@h?x=1", "t1"),
            "postgres://u@h/t1?x=1"
        );
        assert_eq!(
            with_dbname("host=h user=u dbname=postgres", "t1"),
            "host=h user=u dbname=postgres dbname=t1"
        );
    }
}
