//! [`Webhook`]: a subscriber's Token and EncodingAESKey, and the one entry point any server
//! calls — verify a request, decode it, parse it — with no I/O.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use secrecy::{ExposeSecret as _, SecretString};
use tencent_meeting_openapi::types;

use super::cipher::Cipher;
use super::error::WebhookError;
use super::event::{Event, parse_event};
use super::headers::SignatureHeaders;
use super::signature;
use super::url_check::check_str_from_query;
use crate::clock::{Clock, SystemClock};

/// A subscription's secrets, set in the console (事件订阅): the Token (signature) and, when
/// configured, the EncodingAESKey (encryption). Without a key, data is base64 only.
///
/// ```
/// use http::HeaderMap;
/// use tencent_meeting::webhook::Webhook;
///
/// let webhook = Webhook::new("Ab3dEf6hIj9kLm2nOp5qRs8tU", Some("abcdefghijklmnopqrstuvwxyzABCDEFG1234567890"))?;
/// // A URL check (the shared vector `get-check-str`):
/// let mut headers = HeaderMap::new();
/// headers.insert("timestamp", "1700000000123".parse()?);
/// headers.insert("nonce", "58209741".parse()?);
/// headers.insert("signature", "63cc90212de2cc9d07172fbe62e2e9a2b7c5ee6e".parse()?);
/// let answer = webhook.verify_url(&headers, "check_str=zDfLuEaKhr%2BRXkTOT7gtV4MWk5JSqIuTjF28%2FqanE3c%3D")?;
/// assert_eq!(answer, "cfBAepfJBd0Kh8oO");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Webhook {
    token: SecretString,
    cipher: Cipher,
    max_age: Option<Duration>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("token", &"[REDACTED]")
            .field(
                "mode",
                &match self.cipher {
                    Cipher::Plain => "plain",
                    Cipher::Aes(_) => "aes",
                },
            )
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl Webhook {
    /// The Token (letters and digits; the console makes 25) and the EncodingAESKey, if one is
    /// configured (43 letters and digits). Errors name the field and the rule.
    pub fn new(
        token: impl Into<String>,
        encoding_aes_key: Option<&str>,
    ) -> Result<Self, WebhookError> {
        let token = token.into();
        if token.is_empty() {
            return Err(WebhookError::Config("Token: must not be empty".to_string()));
        }
        if let Some(bad) = token.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(WebhookError::Config(format!(
                "Token: must be letters and digits only, found {bad:?}"
            )));
        }
        Ok(Self {
            token: SecretString::from(token),
            cipher: Cipher::new(encoding_aes_key)?,
            max_age: None,
            clock: Arc::new(SystemClock),
        })
    }

    /// Refuses requests whose `timestamp` is further than `max_age` from now (as
    /// [`WebhookError::Stale`]). Off by default: the platform documents no window and no retry
    /// schedule, so a late redelivery could be refused forever. The timestamp is read as
    /// milliseconds when it has 12 digits or more (the documented form), else as seconds.
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// The clock [`Webhook::max_age`] compares with (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Whether an EncodingAESKey is configured (else plain mode, base64 only).
    pub fn is_encrypted(&self) -> bool {
        matches!(self.cipher, Cipher::Aes(_))
    }

    /// The encoding in force.
    pub fn cipher(&self) -> &Cipher {
        &self.cipher
    }

    /// An event delivery (a POST): checks the signature over the body's `data`, decodes it and
    /// returns its events, one per `payload` entry (at least one). Answer 200 only once they are
    /// handled; on an error, [`WebhookError::http_status`].
    pub fn verify_and_parse(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Vec<Event>, WebhookError> {
        let headers = SignatureHeaders::from_headers(headers)?;
        let delivery: types::WebhookDelivery = serde_json::from_slice(body).map_err(|e| {
            WebhookError::Malformed(format!(
                "the body is not a JSON object with a string `data`: {e}"
            ))
        })?;
        let plaintext = self.verify_and_decode(&headers, &delivery.data)?;
        parse_event(&plaintext)
    }

    /// A URL check (a GET, at set-up and as a heartbeat): checks the signature over the query's
    /// `check_str` and returns the plaintext to answer with HTTP 200, exactly (no quotes, no
    /// newline). `query` is the raw query string, without `?`.
    pub fn verify_url(&self, headers: &HeaderMap, query: &str) -> Result<String, WebhookError> {
        let headers = SignatureHeaders::from_headers(headers)?;
        let check_str = check_str_from_query(query)?;
        let plaintext = self.verify_and_decode(&headers, &check_str)?;
        String::from_utf8(plaintext).map_err(|_| {
            WebhookError::Malformed("the decoded check_str is not UTF-8 text".to_string())
        })
    }

    /// The step both share, for servers with their own framing: checks the signature over `data`
    /// (and the freshness window, if set), then decodes it.
    pub fn verify_and_decode(
        &self,
        headers: &SignatureHeaders<'_>,
        data: &str,
    ) -> Result<Vec<u8>, WebhookError> {
        if !signature::verify(
            self.token.expose_secret(),
            headers.timestamp,
            headers.nonce,
            data,
            headers.signature,
        ) {
            return Err(WebhookError::BadSignature);
        }
        if let Some(max_age) = self.max_age {
            check_fresh(headers.timestamp, max_age, self.clock.now_unix_millis())?;
        }
        Ok(self.cipher.decode(data)?)
    }

    /// The signature of `data` under this Token (what the platform sends in `signature`).
    pub fn sign(&self, timestamp: &str, nonce: &str, data: &str) -> String {
        signature::sign(self.token.expose_secret(), timestamp, nonce, data)
    }
}

/// Milliseconds from 12 digits on (13 in the documentation), seconds below.
const MILLIS_FROM: u64 = 100_000_000_000;

fn check_fresh(timestamp: &str, max_age: Duration, now_ms: u64) -> Result<(), WebhookError> {
    let invalid = WebhookError::InvalidHeader {
        name: super::headers::TIMESTAMP,
        reason: "is not a unix time in digits",
    };
    if !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid);
    }
    let value: u64 = timestamp.parse().map_err(|_| invalid)?;
    let ms = if value >= MILLIS_FROM {
        value
    } else {
        value.saturating_mul(1000)
    };
    let age_ms = now_ms.abs_diff(ms);
    if u128::from(age_ms) > max_age.as_millis() {
        return Err(WebhookError::Stale {
            timestamp: timestamp.to_string(),
            age_secs: age_ms / 1000,
            max_age_secs: max_age.as_secs(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_configuration_names_the_field() {
        let e = Webhook::new("", None).expect_err("empty");
        assert_eq!(
            e.to_string(),
            "invalid webhook configuration: Token: must not be empty"
        );
        let e = Webhook::new("abc\n", None).expect_err("newline");
        assert!(
            e.to_string().contains("Token: must be letters and digits"),
            "{e}"
        );
        let e = Webhook::new("abc", Some("short")).expect_err("key");
        assert!(e.to_string().contains("EncodingAESKey: must be 43"), "{e}");
        assert_eq!(e.http_status(), 500);
    }

    #[test]
    fn debug_shows_no_secret() {
        let w = Webhook::new(
            "Ab3dEf6hIj9kLm2nOp5qRs8tU",
            Some("abcdefghijklmnopqrstuvwxyzABCDEFG1234567890"),
        )
        .expect("valid");
        let text = format!("{w:?}");
        assert!(!text.contains("Ab3d"), "{text}");
        assert!(!text.contains("abcdefgh"), "{text}");
        assert!(text.contains("aes"), "{text}");
    }

    #[test]
    fn freshness_reads_millis_and_seconds() {
        let window = Duration::from_secs(300);
        let now = 1_700_000_000_000;
        assert!(check_fresh("1700000000123", window, now).is_ok());
        assert!(check_fresh("1700000299000", window, now).is_ok());
        assert!(check_fresh("1700000000", window, now).is_ok());
        assert!(matches!(
            check_fresh("1699999000000", window, now),
            Err(WebhookError::Stale {
                age_secs: 1000,
                max_age_secs: 300,
                ..
            })
        ));
        assert!(matches!(
            check_fresh("1699999000", window, now),
            Err(WebhookError::Stale { .. })
        ));
        for bad in ["-1", "1.5", "99999999999999999999999", "abc"] {
            assert!(
                matches!(
                    check_fresh(bad, window, now),
                    Err(WebhookError::InvalidHeader {
                        name: "timestamp",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }
}
