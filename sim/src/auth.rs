//! Authentication of API requests in both modes: enterprise secret (AK/SK, signed) and
//! OAuth2.0 (access token, unsigned), with the timestamp window and replay checks both share.
//!
//! The signature is checked with the wrapper's own `tencent_meeting::signing::verify` over the
//! method, the path and query exactly as received, and the raw body bytes.

use std::collections::HashMap;

use http::HeaderMap;
use tencent_meeting::signing::{SigningParams, verify};

use crate::api_error::{ApiError, codes};
use crate::credentials::SimCredentials;
use crate::replay::{ReplayCache, ReplayKey};

/// The replay index of the enterprise application; OAuth2.0 tokens count up from 1.
const ENTERPRISE_CALLER: u32 = 0;

/// Who an authenticated request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The enterprise application, by its AppId.
    Enterprise { app_id: String },
    /// An OAuth2.0 user, by the token's open id.
    OAuth {
        open_id: String,
        access_token: String,
    },
}

impl Caller {
    /// What the per-minute rate limit counts by: the AppId, or the OAuth2.0 token.
    pub fn rate_key(&self) -> &str {
        match self {
            Caller::Enterprise { app_id } => app_id,
            Caller::OAuth { access_token, .. } => access_token,
        }
    }
}

/// The request parts authentication looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestParts<'a> {
    pub method: &'a str,
    /// The path and query exactly as received (undecoded).
    pub uri: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Checks requests against the configured credentials.
#[derive(Debug)]
pub(crate) struct Authenticator {
    credentials: SimCredentials,
    /// Access token → (replay index, open id).
    tokens: HashMap<String, (u32, String)>,
    /// How far a timestamp may be from the clock, and how long a nonce is remembered.
    window_ms: u64,
}

impl Authenticator {
    pub fn new(credentials: SimCredentials, window_ms: u64) -> Self {
        let tokens = credentials
            .oauth_tokens
            .iter()
            .zip(1u32..)
            .map(|((token, open_id), index)| (token.clone(), (index, open_id.clone())))
            .collect();
        Self {
            credentials,
            tokens,
            window_ms,
        }
    }

    /// Authenticates one request at `now_ms` (simulator clock), recording its nonce in `replay`.
    pub fn authenticate(
        &self,
        request: &RequestParts<'_>,
        now_ms: u64,
        replay: &ReplayCache,
    ) -> Result<Caller, ApiError> {
        let headers = request.headers;
        let has_token = headers.contains_key("accesstoken");
        let has_key = headers.contains_key("x-tc-key");
        match (has_token, has_key) {
            (true, true) => Err(credentials_error(
                "send either enterprise (X-TC-Key, AppId, X-TC-Signature) or OAuth2.0 (AccessToken, OpenId) credentials, not both",
            )),
            (true, false) => self.oauth(headers, now_ms, replay),
            (false, _) => self.enterprise(request, now_ms, replay),
        }
    }

    fn enterprise(
        &self,
        request: &RequestParts<'_>,
        now_ms: u64,
        replay: &ReplayCache,
    ) -> Result<Caller, ApiError> {
        let headers = request.headers;
        let creds = &self.credentials;
        let app_id = credential_header(headers, "AppId")?;
        let secret_id = credential_header(headers, "X-TC-Key")?;
        if app_id != creds.app_id {
            return Err(credentials_error(format!("unknown AppId {app_id:?}")));
        }
        if secret_id != creds.secret_id {
            return Err(credentials_error("unknown X-TC-Key (SecretId)"));
        }
        let sdk_id = optional_header(headers, "SdkId")
            .map_err(|_| credentials_error("SdkId is not a valid header value"))?;
        match (&creds.sdk_id, sdk_id) {
            (Some(expected), Some(sent)) if *expected == sent => {}
            (None, None) => {}
            (Some(_), Some(sent)) => {
                return Err(credentials_error(format!("wrong SdkId {sent:?}")));
            }
            (Some(_), None) => {
                return Err(credentials_error("SdkId is required for this application"));
            }
            (None, Some(sent)) => {
                return Err(credentials_error(format!(
                    "SdkId {sent:?} sent, but this application has no SdkId"
                )));
            }
        }
        let (timestamp, nonce) = self.timestamp_and_nonce(headers, now_ms)?;
        let signature = optional_header(headers, "X-TC-Signature")
            .ok()
            .flatten()
            .ok_or_else(|| ApiError::new(codes::SIGNATURE, "X-TC-Signature is missing"))?;
        let params = SigningParams {
            method: request.method,
            uri: request.uri,
            body: request.body,
            secret_id,
            timestamp,
            nonce,
        };
        if !verify(&params, &creds.secret_key, signature) {
            return Err(ApiError::new(
                codes::SIGNATURE,
                "signature verification failed",
            ));
        }
        // Only verified requests are remembered, so forged ones cannot poison the cache.
        self.check_replay(ENTERPRISE_CALLER, timestamp, nonce, now_ms, replay)?;
        Ok(Caller::Enterprise {
            app_id: app_id.to_string(),
        })
    }

    fn oauth(
        &self,
        headers: &HeaderMap,
        now_ms: u64,
        replay: &ReplayCache,
    ) -> Result<Caller, ApiError> {
        let token = credential_header(headers, "AccessToken")?;
        let open_id = credential_header(headers, "OpenId")?;
        let Some((index, token_open_id)) = self.tokens.get(token) else {
            return Err(credentials_error("invalid or expired AccessToken"));
        };
        if token_open_id != open_id {
            return Err(credentials_error(
                "OpenId does not belong to this AccessToken",
            ));
        }
        let (timestamp, nonce) = self.timestamp_and_nonce(headers, now_ms)?;
        self.check_replay(*index, timestamp, nonce, now_ms, replay)?;
        Ok(Caller::OAuth {
            open_id: open_id.to_string(),
            access_token: token.to_string(),
        })
    }

    /// Parses `X-TC-Timestamp` and `X-TC-Nonce` and checks the timestamp against the clock.
    fn timestamp_and_nonce(
        &self,
        headers: &HeaderMap,
        now_ms: u64,
    ) -> Result<(u64, u64), ApiError> {
        let timestamp = integer_header(headers, "X-TC-Timestamp")?;
        let nonce = integer_header(headers, "X-TC-Nonce")?;
        let skew = (i128::from(timestamp) * 1000 - i128::from(now_ms)).unsigned_abs();
        if skew > u128::from(self.window_ms) {
            return Err(ApiError::new(
                codes::TIMESTAMP_SKEW,
                format!(
                    "X-TC-Timestamp {timestamp} is more than {} s off the server time {}",
                    self.window_ms / 1000,
                    now_ms / 1000
                ),
            ));
        }
        Ok((timestamp, nonce))
    }

    fn check_replay(
        &self,
        caller: u32,
        timestamp: u64,
        nonce: u64,
        now_ms: u64,
        replay: &ReplayCache,
    ) -> Result<(), ApiError> {
        let key = ReplayKey {
            caller,
            timestamp,
            nonce,
        };
        if replay.check_and_insert(key, now_ms) {
            Ok(())
        } else {
            Err(ApiError::new(
                codes::REPLAY,
                "replayed request: this X-TC-Timestamp and X-TC-Nonce were already used",
            ))
        }
    }
}

fn credentials_error(message: impl Into<String>) -> ApiError {
    ApiError::new(codes::CREDENTIALS, message)
}

/// A header's value, `None` when absent; `Err` when it is not visible ASCII.
fn optional_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ()> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| ()),
    }
}

/// A credential header that must be present (190303 otherwise).
fn credential_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, ApiError> {
    match optional_header(headers, name) {
        Ok(Some(v)) if !v.is_empty() => Ok(v),
        Ok(_) => Err(credentials_error(format!("the {name} header is missing"))),
        Err(()) => Err(credentials_error(format!(
            "the {name} header is not valid text"
        ))),
    }
}

/// A header holding a non-negative integer (190004 otherwise).
fn integer_header(headers: &HeaderMap, name: &str) -> Result<u64, ApiError> {
    match optional_header(headers, name) {
        Ok(Some(v)) => v.parse::<u64>().map_err(|_| {
            ApiError::invalid(name, format!("must be a non-negative integer, got {v:?}"))
        }),
        Ok(None) => Err(ApiError::invalid(name, "is required")),
        Err(()) => Err(ApiError::invalid(name, "is not valid text")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use tencent_meeting::signing::sign;

    const NOW: u64 = 1_700_000_000_000;

    fn auth() -> Authenticator {
        Authenticator::new(SimCredentials::demo().with_oauth_token("t2", "o2"), 300_000)
    }

    fn signed(
        creds: &SimCredentials,
        method: &str,
        uri: &str,
        body: &[u8],
        ts: u64,
        nonce: u64,
    ) -> HeaderMap {
        let signature = sign(
            &SigningParams {
                method,
                uri,
                body,
                secret_id: &creds.secret_id,
                timestamp: ts,
                nonce,
            },
            &creds.secret_key,
        )
        .signature;
        let mut h = HeaderMap::new();
        let mut put = |k: &'static str, v: &str| {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(k, v);
            }
        };
        put("X-TC-Key", &creds.secret_id);
        put("AppId", &creds.app_id);
        put("X-TC-Timestamp", &ts.to_string());
        put("X-TC-Nonce", &nonce.to_string());
        put("X-TC-Signature", &signature);
        put("X-TC-Registered", "1");
        h
    }

    fn code_of(r: Result<Caller, ApiError>) -> i64 {
        match r {
            Ok(_) => 0,
            Err(e) => e.code,
        }
    }

    #[test]
    fn enterprise_rules() {
        let a = auth();
        let replay = ReplayCache::new(300_000, 1000);
        let creds = SimCredentials::demo();
        let body = br#"{"userid":"u"}"#;
        let uri = "/v1/meetings/1/dismiss";
        let ts = NOW / 1000;
        let run = |h: &HeaderMap, body: &[u8]| {
            code_of(a.authenticate(
                &RequestParts {
                    method: "POST",
                    uri,
                    headers: h,
                    body,
                },
                NOW,
                &replay,
            ))
        };
        let h = signed(&creds, "POST", uri, body, ts, 1);
        assert_eq!(run(&h, body), 0);
        assert_eq!(run(&h, body), codes::REPLAY);
        assert_eq!(
            run(&signed(&creds, "POST", uri, body, ts, 2), b"{}"),
            codes::SIGNATURE
        );
        let mut wrong_key = creds.clone();
        wrong_key.secret_key = "nope".into();
        assert_eq!(
            run(&signed(&wrong_key, "POST", uri, body, ts, 3), body),
            codes::SIGNATURE
        );
        assert_eq!(
            run(&signed(&creds, "POST", uri, body, ts - 301, 4), body),
            codes::TIMESTAMP_SKEW
        );
        assert_eq!(
            run(&signed(&creds, "POST", uri, body, ts + 300, 5), body),
            0
        );
        let mut wrong_app = creds.clone();
        wrong_app.app_id = "1".into();
        assert_eq!(
            run(&signed(&wrong_app, "POST", uri, body, ts, 6), body),
            codes::CREDENTIALS
        );
        let mut with_sdk = signed(&creds, "POST", uri, body, ts, 7);
        with_sdk.insert("sdkid", HeaderValue::from_static("200000002"));
        assert_eq!(
            run(&with_sdk, body),
            codes::CREDENTIALS,
            "no SdkId is configured"
        );
        let mut no_sig = signed(&creds, "POST", uri, body, ts, 8);
        no_sig.remove("x-tc-signature");
        assert_eq!(run(&no_sig, body), codes::SIGNATURE);
        let mut bad_nonce = signed(&creds, "POST", uri, body, ts, 9);
        bad_nonce.insert("x-tc-nonce", HeaderValue::from_static("abc"));
        assert_eq!(run(&bad_nonce, body), codes::INVALID_PARAMETER);
        let mut no_app = signed(&creds, "POST", uri, body, ts, 10);
        no_app.remove("appid");
        assert_eq!(run(&no_app, body), codes::CREDENTIALS);
        let mut binary = signed(&creds, "POST", uri, body, ts, 11);
        if let Ok(v) = HeaderValue::from_bytes(b"\xff\xfe") {
            binary.insert("x-tc-key", v);
        }
        assert_eq!(run(&binary, body), codes::CREDENTIALS);
        assert_eq!(run(&HeaderMap::new(), body), codes::CREDENTIALS);
    }

    #[test]
    fn sdk_id_must_match_when_configured() {
        let a = Authenticator::new(SimCredentials::demo().with_sdk_id("42"), 300_000);
        let replay = ReplayCache::new(300_000, 1000);
        let creds = SimCredentials::demo();
        let mut h = signed(&creds, "GET", "/v1/meetings/1", b"", NOW / 1000, 1);
        let req = |h: &HeaderMap| {
            code_of(a.authenticate(
                &RequestParts {
                    method: "GET",
                    uri: "/v1/meetings/1",
                    headers: h,
                    body: b"",
                },
                NOW,
                &replay,
            ))
        };
        assert_eq!(req(&h), codes::CREDENTIALS, "missing");
        h.insert("sdkid", HeaderValue::from_static("43"));
        assert_eq!(req(&h), codes::CREDENTIALS, "wrong");
        h.insert("sdkid", HeaderValue::from_static(""));
        assert_eq!(req(&h), codes::CREDENTIALS, "empty");
        h.insert("sdkid", HeaderValue::from_static("42"));
        assert_eq!(req(&h), 0);
    }

    #[test]
    fn oauth_rules() {
        let a = auth();
        let replay = ReplayCache::new(300_000, 1000);
        let headers = |token: &'static str, open_id: &'static str, ts: u64, nonce: u64| {
            let mut h = HeaderMap::new();
            h.insert("accesstoken", HeaderValue::from_static(token));
            h.insert("openid", HeaderValue::from_static(open_id));
            h.insert("x-tc-timestamp", HeaderValue::from(ts));
            h.insert("x-tc-nonce", HeaderValue::from(nonce));
            h
        };
        let run = |h: HeaderMap| {
            code_of(a.authenticate(
                &RequestParts {
                    method: "POST",
                    uri: "/",
                    headers: &h,
                    body: b"",
                },
                NOW,
                &replay,
            ))
        };
        let ts = NOW / 1000;
        assert_eq!(
            run(headers("sim-demo-access-token", "sim-demo-open-id", ts, 1)),
            0
        );
        assert_eq!(
            run(headers("sim-demo-access-token", "sim-demo-open-id", ts, 1)),
            codes::REPLAY
        );
        // Another token's replay index is its own.
        assert_eq!(run(headers("t2", "o2", ts, 1)), 0);
        assert_eq!(
            run(headers("t2", "sim-demo-open-id", ts, 2)),
            codes::CREDENTIALS
        );
        assert_eq!(run(headers("nope", "o2", ts, 3)), codes::CREDENTIALS);
        assert_eq!(run(headers("t2", "o2", ts + 400, 4)), codes::TIMESTAMP_SKEW);
    }
}
