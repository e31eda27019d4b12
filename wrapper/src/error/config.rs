//! Configuration that cannot make a client: the error of the builders, not of calls.

use super::{Error, TransportError, ValidationError};

/// [`Credentials`](crate::Credentials) or a [`Client`](crate::Client) that cannot be made.
///
/// Building sends nothing, so none of the per-call [`Error`]'s outcomes (an API error, a timeout,
/// an unknown outcome, …) can happen here: a `match` on a builder's result has only these kinds.
/// `?` turns it into an [`Error`] (as [`Error::Validation`] or [`Error::Transport`]) in code that
/// returns one.
///
/// ```
/// use tencent_meeting::{Client, ConfigError, Credentials};
///
/// match Credentials::enterprise("200000001", "AKID EXAMPLE", "secret-key") {
///     Err(ConfigError::Invalid(e)) => assert_eq!(e.field(), "secret_id"), // a space
///     other => panic!("{other:?}"),
/// }
/// let missing = Client::builder().build().unwrap_err();
/// assert_eq!(missing.setting(), Some("credentials"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A setting breaks its rule: [`ValidationError::field`] names it (`app_id`, `base_url`,
    /// `timeout`, …), [`ValidationError::rule`] says why.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The HTTP client could not be built from the builder's settings (its TLS stack could not
    /// start, e.g. no root certificates could be loaded). Not with
    /// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client), which takes one built.
    #[error("could not build the HTTP client: {0}")]
    HttpClient(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ConfigError {
    /// The setting at fault, when one is.
    pub fn setting(&self) -> Option<&'static str> {
        match self {
            ConfigError::Invalid(e) => Some(e.field()),
            ConfigError::HttpClient(_) => None,
        }
    }
}

impl From<ConfigError> for Error {
    /// A setting's refusal as [`Error::Validation`]; an HTTP client that could not be built as
    /// [`Error::Transport`] (nothing sent).
    fn from(e: ConfigError) -> Error {
        match e {
            ConfigError::Invalid(v) => Error::Validation(v),
            ConfigError::HttpClient(source) => {
                let message = format!("could not build the HTTP client: {source}");
                let mut transport = TransportError::new(message, false);
                transport.source = Some(source);
                Error::Transport(transport)
            }
        }
    }
}
