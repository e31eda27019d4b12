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
    /// The configured credentials are not ones a client can send (e.g. an empty SecretKey, or
    /// a header value that is not visible ASCII).
    #[error("the simulator's credentials cannot be sent by a client: {0}")]
    InvalidCredentials(#[source] tencent_meeting::ConfigError),
    /// The simulator accepts no OAuth2.0 access token, so no OAuth2.0 client can be built for it.
    #[error(
        "the simulator accepts no OAuth2.0 access token: add one with SimulatorBuilder::oauth_token"
    )]
    NoOAuthToken,
    /// A meeting spec breaks a rule (the message names the field).
    #[error("invalid meeting: {0}")]
    InvalidMeeting(String),
    /// The fault knobs are inconsistent (a share outside [0, 1], or shares adding up past 1).
    #[error("invalid faults: {0}")]
    InvalidFaults(String),
    /// The rate limits are inconsistent (a zero window or limit).
    #[error("invalid rate limits: {0}")]
    InvalidRateLimits(String),
    /// No meeting has this ID.
    #[error("no meeting {0}")]
    UnknownMeeting(String),
    /// Only a scheduled meeting (`MEETING_STATE_INIT`) can be started, and not one whose code
    /// was reclaimed while sub-meetings remained.
    #[error("meeting {meeting_id} cannot be started: it is {status}")]
    NotStartable {
        /// The meeting.
        meeting_id: String,
        /// Its state.
        status: tencent_meeting::MeetingStatus,
    },
    /// A webhook subscription or its fault knobs are invalid (the message names the field).
    #[error("invalid webhook subscription: {0}")]
    InvalidWebhook(String),
    /// The subscriber's URL did not pass the verification GET.
    #[error("the URL verification of {url} failed: {reason}")]
    WebhookVerification {
        /// The subscriber's URL.
        url: String,
        /// What the URL answered, or why it did not.
        reason: String,
    },
    /// A meeting or sub-meeting with this ID already exists.
    #[error("a meeting or sub-meeting with ID {0} already exists")]
    DuplicateMeeting(String),
}
