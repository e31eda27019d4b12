//! Errors of starting and administering the simulator (not the service's error answers, which
//! live in `api_error`).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// What can go wrong when starting the simulator or creating meetings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The listening socket could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The seed file could not be read.
    #[error("could not read the seed file {}: {source}", path.display())]
    SeedRead {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The seed file is not a JSON array of meetings.
    #[error("the seed file {} is not a JSON array of meetings: {source}", path.display())]
    SeedParse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A meeting spec breaks a rule (the message names the field).
    #[error("invalid meeting: {0}")]
    InvalidMeeting(String),
    /// The fault knobs are inconsistent (a share outside [0, 1], or shares adding up past 1).
    #[error("invalid faults: {0}")]
    InvalidFaults(String),
    /// A meeting or sub-meeting with this ID already exists.
    #[error("a meeting or sub-meeting with ID {0} already exists")]
    DuplicateMeeting(String),
}
