//! What can go wrong with a delivery or a URL check, and the HTTP status each deserves.

use super::cipher::{DecryptError, InvalidKey};

/// Why a delivery or a URL check was refused. Nothing in it is secret: no token, key or
/// signature is quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A signature header (`timestamp`, `nonce` or `signature`) is absent or empty.
    #[error("the `{0}` header is missing: the request is not signed")]
    MissingHeader(&'static str),
    /// A signature header is not visible ASCII, or is sent twice.
    #[error("the `{name}` header {reason}")]
    #[non_exhaustive]
    InvalidHeader {
        /// The header.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The signature does not match: the wrong token, or the request was changed.
    #[error("the signature does not match (wrong token, or the request was altered)")]
    BadSignature,
    /// The `timestamp` header is outside the freshness window configured with
    /// [`Webhook::max_age`](super::Webhook::max_age) (none by default).
    #[error(
        "the `timestamp` header {timestamp} is {age_secs} s away from now, more than the {max_age_secs} s allowed"
    )]
    #[non_exhaustive]
    Stale {
        /// The header's value.
        timestamp: String,
        /// How far from now it is, in seconds.
        age_secs: u64,
        /// The window, in seconds.
        max_age_secs: u64,
    },
    /// A query parameter the request needs is missing (`check_str` of a URL check).
    #[error("the `{0}` query parameter is missing")]
    MissingParameter(&'static str),
    /// The request or the decoded event is not what the protocol sends.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The data could not be decoded: not base64, or (with an EncodingAESKey) not something
    /// this key encrypted.
    #[error("could not decode the data: {0}")]
    Decrypt(#[from] DecryptError),
    /// The receiver's own configuration is invalid (raised by [`Webhook::new`](super::Webhook::new)).
    #[error("invalid webhook configuration: {0}")]
    Config(String),
}

impl From<InvalidKey> for WebhookError {
    fn from(e: InvalidKey) -> Self {
        Self::Config(e.to_string())
    }
}

impl WebhookError {
    /// The HTTP status a receiver should answer: 401 for anything about the signature, 400 for a
    /// signed request that does not decode, 500 for the receiver's own configuration.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::MissingHeader(_)
            | Self::InvalidHeader { .. }
            | Self::BadSignature
            | Self::Stale { .. } => 401,
            Self::MissingParameter(_) | Self::Malformed(_) | Self::Decrypt(_) => 400,
            Self::Config(_) => 500,
        }
    }

    /// Whether the request failed authentication (the status is 401).
    pub fn is_unauthenticated(&self) -> bool {
        self.http_status() == 401
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(WebhookError::BadSignature.http_status(), 401);
        assert_eq!(WebhookError::MissingHeader("nonce").http_status(), 401);
        assert_eq!(WebhookError::Malformed("x".into()).http_status(), 400);
        assert_eq!(
            WebhookError::Decrypt(DecryptError::Padding).http_status(),
            400
        );
        assert_eq!(
            WebhookError::MissingParameter("check_str").http_status(),
            400
        );
        assert_eq!(WebhookError::Config("x".into()).http_status(), 500);
        assert_eq!(
            WebhookError::MissingHeader("nonce").to_string(),
            "the `nonce` header is missing: the request is not signed"
        );
    }
}
