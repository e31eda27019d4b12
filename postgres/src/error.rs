//! The crate's one error type.

use std::sync::Arc;
use std::time::Duration;

/// What can go wrong with the database. Cheap to clone: every delivery of a group committed
/// together gets the group's error.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not a PostgreSQL connection string.
    #[error("invalid database URL: {0}")]
    Url(#[source] Arc<tokio_postgres::Error>),

    /// The database could not be reached, or the connection was lost: the server is down, a
    /// network fault, or it refused the login.
    #[error("could not reach the database: {message}")]
    Unavailable {
        /// What failed, in words.
        message: String,
        /// The driver's error, when there is one.
        #[source]
        source: Option<Arc<tokio_postgres::Error>>,
    },

    /// The database did not answer within the time allowed.
    #[error("the database did not answer within {0:?}")]
    Timeout(Duration),

    /// The database's schema was written by a newer version of this crate.
    #[error(
        "the database's schema is version {found}, newer than this build knows ({known}): \
         upgrade tencent-meeting-postgres"
    )]
    SchemaTooNew {
        /// The version the database holds.
        found: i32,
        /// The newest version this build knows.
        known: i32,
    },

    /// A statement failed on a reachable database (a permission, a constraint, …).
    #[error("database error: {0}")]
    Query(#[source] Arc<tokio_postgres::Error>),
}

impl Error {
    /// Whether the same operation could succeed later without any change: the database was
    /// unreachable or slow.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Unavailable { .. } | Error::Timeout(_))
    }

    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Error::Unavailable {
            message: message.into(),
            source: None,
        }
    }
}

impl From<tokio_postgres::Error> for Error {
    /// A closed connection or an I/O failure is [`Error::Unavailable`]; so is a server shutting
    /// down or starting up (SQLSTATE class 57, 08); anything else is [`Error::Query`].
    fn from(e: tokio_postgres::Error) -> Self {
        let unavailable = e.is_closed()
            || e.code().is_none_or(|code| {
                let class = &code.code()[..2];
                class == "08" || class == "57" || class == "53"
            });
        if unavailable {
            Error::Unavailable {
                message: e.to_string(),
                source: Some(Arc::new(e)),
            }
        } else {
            Error::Query(Arc::new(e))
        }
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            deadpool_postgres::PoolError::Timeout(_) => {
                Error::unavailable("no connection to the database could be had in time")
            }
            other => Error::unavailable(other.to_string()),
        }
    }
}
