//! Credentials for the two authentication modes. Secrets live in [`secrecy`] types and never
//! appear in `Debug` output, errors or traces.

use std::fmt;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{ConfigError, ValidationError};
use crate::signing::SigningKey;

/// How requests are authenticated. Cheap to clone.
#[derive(Clone)]
pub struct Credentials(pub(crate) Arc<Mode>);

#[derive(Clone)]
pub(crate) enum Mode {
    // Boxed: the prepared HMAC state makes it several times larger than OAuth2.
    Enterprise(Box<Enterprise>),
    OAuth2(OAuth2),
}

/// Enterprise-secret (AK/SK) credentials: every request is signed.
#[derive(Clone)]
pub(crate) struct Enterprise {
    pub app_id: HeaderValue,
    pub sdk_id: Option<HeaderValue>,
    pub secret_id: String,
    pub secret_id_header: HeaderValue,
    pub secret_key: SecretString,
    /// The key's HMAC state, prepared on first use: keying HMAC is a third of signing's cost.
    pub signing_key: OnceLock<SigningKey>,
}

/// OAuth2.0 credentials: no signature; the access token and open id go in headers.
#[derive(Clone)]
pub(crate) struct OAuth2 {
    pub access_token: SecretString,
    pub open_id: String,
    pub open_id_header: HeaderValue,
}

impl Credentials {
    /// Enterprise-secret credentials: the enterprise `app_id` (sent as `AppId`), the application's
    /// `secret_id` (sent as `X-TC-Key`) and `secret_key` (signs, never sent).
    ///
    /// Every value must be non-empty visible ASCII, as HTTP headers require.
    pub fn enterprise(
        app_id: impl Into<String>,
        secret_id: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let app_id = header_value("app_id", &app_id.into())?;
        let secret_id = secret_id.into();
        let secret_id_header = header_value("secret_id", &secret_id)?;
        let secret_key = secret_key.into();
        if secret_key.is_empty() {
            return Err(ValidationError::new("secret_key", "must not be empty").into());
        }
        Ok(Self(Arc::new(Mode::Enterprise(Box::new(Enterprise {
            app_id,
            sdk_id: None,
            secret_id,
            secret_id_header,
            secret_key: SecretString::from(secret_key),
            signing_key: OnceLock::new(),
        })))))
    }

    /// Adds the `SdkId` (application ID) for applications that were assigned one. Without it the
    /// header is omitted: the service refuses a wrong or empty one with 190303. Has no effect on
    /// OAuth2.0 credentials.
    pub fn with_sdk_id(mut self, sdk_id: impl Into<String>) -> Result<Self, ConfigError> {
        if let Mode::Enterprise(e) = Arc::make_mut(&mut self.0) {
            e.sdk_id = Some(header_value("sdk_id", &sdk_id.into())?);
        }
        Ok(self)
    }

    /// OAuth2.0 credentials: the user's `access_token` (sent as `AccessToken`) and `open_id`
    /// (sent as `OpenId`, and the identity requests act as).
    pub fn oauth2(
        access_token: impl Into<String>,
        open_id: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let access_token = access_token.into();
        // The error names the field and the rule, never the value.
        header_value("access_token", &access_token)?;
        let open_id = open_id.into();
        let open_id_header = header_value("open_id", &open_id)?;
        Ok(Self(Arc::new(Mode::OAuth2(OAuth2 {
            access_token: SecretString::from(access_token),
            open_id,
            open_id_header,
        }))))
    }

    /// The OAuth2.0 open id, when these are OAuth2.0 credentials.
    pub fn open_id(&self) -> Option<&str> {
        match self.0.as_ref() {
            Mode::OAuth2(o) => Some(&o.open_id),
            Mode::Enterprise(_) => None,
        }
    }

    /// The enterprise SecretId (not a secret: it is sent in every request), when these are
    /// enterprise credentials.
    pub fn secret_id(&self) -> Option<&str> {
        match self.0.as_ref() {
            Mode::Enterprise(e) => Some(&e.secret_id),
            Mode::OAuth2(_) => None,
        }
    }

    /// Whether requests are signed (enterprise mode) rather than carrying an OAuth2.0 token.
    pub fn is_enterprise(&self) -> bool {
        matches!(self.0.as_ref(), Mode::Enterprise(_))
    }
}

impl OAuth2 {
    /// The `AccessToken` header value, marked sensitive so `http` redacts it in `Debug`.
    pub(crate) fn access_token_header(&self) -> Option<HeaderValue> {
        let mut value = HeaderValue::from_str(self.access_token.expose_secret()).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl Enterprise {
    /// The SecretKey, prepared for signing.
    pub(crate) fn signing_key(&self) -> &SigningKey {
        self.signing_key
            .get_or_init(|| SigningKey::new(self.secret_key.expose_secret()))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_ref() {
            Mode::Enterprise(e) => f
                .debug_struct("Credentials::Enterprise")
                .field("app_id", &e.app_id)
                .field("sdk_id", &e.sdk_id)
                .field("secret_id", &e.secret_id)
                .field("secret_key", &"[REDACTED]")
                .finish(),
            Mode::OAuth2(o) => f
                .debug_struct("Credentials::OAuth2")
                .field("access_token", &"[REDACTED]")
                .field("open_id", &o.open_id)
                .finish(),
        }
    }
}

/// Where a client gets the credentials of each request: fixed [`Credentials`], a
/// [`SharedCredentials`] you update (say, with a refreshed OAuth2.0 access token), or your own.
///
/// Called once per attempt, so a new token applies from the next attempt, on the same client
/// and connection pool.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// The credentials for the next request.
    fn credentials(&self) -> Credentials;
}

impl ProvideCredentials for Credentials {
    fn credentials(&self) -> Credentials {
        self.clone()
    }
}

/// Credentials that can be replaced while clients use them.
///
/// ```
/// # fn run() -> Result<(), tencent_meeting::ConfigError> {
/// use std::sync::Arc;
/// use tencent_meeting::{Client, Credentials, SharedCredentials};
///
/// let shared = SharedCredentials::new(Credentials::oauth2("first-token", "open-id-1")?);
/// let client = Client::builder()
///     .credentials_provider(Arc::new(shared.clone()))
///     .build()?;
/// // Later, when the token is refreshed: the client sends the new one from its next request.
/// shared.set(Credentials::oauth2("refreshed-token", "open-id-1")?);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SharedCredentials(Arc<RwLock<Credentials>>);

impl SharedCredentials {
    /// Starts with `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        Self(Arc::new(RwLock::new(credentials)))
    }

    /// Replaces the credentials for every request from now on.
    pub fn set(&self, credentials: Credentials) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = credentials;
    }
}

impl ProvideCredentials for SharedCredentials {
    fn credentials(&self) -> Credentials {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Checks that `value` can go in an HTTP header, naming `field` when it cannot.
fn header_value(field: &'static str, value: &str) -> Result<HeaderValue, ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ValidationError::new(
            field,
            "must be visible ASCII (no spaces or control characters), as HTTP headers require",
        ));
    }
    HeaderValue::from_str(value)
        .map_err(|_| ValidationError::new(field, "is not a valid HTTP header value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let e = Credentials::enterprise("app", "sid", "TOPSECRETKEY")
            .and_then(|c| c.with_sdk_id("sdk"));
        let o = Credentials::oauth2("TOPSECRETTOKEN", "openid");
        let text = format!("{e:?} {o:?} {e:#?} {o:#?}");
        assert!(!text.contains("TOPSECRET"), "{text}");
        assert!(text.contains("[REDACTED]"));
    }

    #[test]
    fn refuses_values_that_cannot_be_headers() {
        for (app, sid, key, field) in [
            ("", "s", "k", "app_id"),
            ("a b", "s", "k", "app_id"),
            ("a", "s\n", "k", "secret_id"),
            ("a", "s", "", "secret_key"),
        ] {
            match Credentials::enterprise(app, sid, key) {
                Err(ConfigError::Invalid(v)) => assert_eq!(v.field(), field),
                other => panic!("expected a validation error on {field}, got {other:?}"),
            }
        }
        assert!(Credentials::oauth2("tok\u{7f}", "o").is_err());
        let err = Credentials::oauth2("TOPSECRET\r\n", "o")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| !e.contains("TOPSECRET")));
    }
}
