//! The client: configuration, the shared connection pool, and the entry points of each call.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use tencent_meeting_openapi::ClientInfo as _;

use crate::clock::{Clock, SystemClock};
use crate::credentials::{Credentials, ProvideCredentials};
use crate::dismiss::DismissMeeting;
use crate::error::{ConfigError, ValidationError};
use crate::lookup::GetMeeting;
use crate::rate_limit::{Pacer, RateLimiter};
use crate::retry::RetryPolicy;
use crate::signer::RequestSigner;
use crate::transport::Stamper;

/// The production endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.meeting.qq.com";
/// The default timeout of one attempt (connect, send and read the answer).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The window the service counts its per-app quota in: a minute.
pub const DEFAULT_RATE_LIMIT_WINDOW: Duration = Duration::from_secs(60);

/// A Tencent Meeting client. Cheap to clone: clones share one connection pool, nonce source and
/// rate limiter.
///
/// ```no_run
/// # async fn run() -> Result<(), tencent_meeting::Error> {
/// use tencent_meeting::{Client, Credentials, Instance, Operator};
///
/// let client = Client::builder()
///     .credentials(Credentials::enterprise("200000001", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "secret-key")?)
///     .build()?;
/// let dismissed = client
///     .dismiss_meeting("7567173273889276131")
///     .operator(Operator::user_id("test1"))
///     .instance(Instance::Pc)
///     .reason_code(3)
///     .reason_detail("结束会议")
///     .send()
///     .await?;
/// println!("dismissed after {} attempt(s)", dismissed.attempts());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    /// The generated client, built once; its hooks are the stamper. It holds the base URL.
    pub api: tencent_meeting_openapi::Client,
    pub stamper: Arc<Stamper>,
    pub retry: RetryPolicy,
    pub rate_limiter: Option<Arc<dyn RateLimiter>>,
    /// The service's quota window: what `rate_limit` counts in, and what a request refused for
    /// the quota (190310) waits for the next of.
    pub rate_limit_window: Duration,
    pub timeout: Duration,
    /// The timeout the reqwest client applies to every request by itself: `timeout` when this
    /// crate built that client, none known for one the caller gave (`http_client`).
    pub http_timeout: Option<Duration>,
    pub deadline: Option<Duration>,
}

impl Client {
    /// A builder; `credentials` is the one required setting.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Starts a dismiss call for the meeting `meeting_id` (for a recurring meeting, its master
    /// meeting ID). Nothing is sent before [`DismissMeeting::send`].
    pub fn dismiss_meeting(&self, meeting_id: impl Into<String>) -> DismissMeeting {
        DismissMeeting::new(self.clone(), meeting_id)
    }

    /// Starts a look-up of the meeting `meeting_id`.
    pub fn get_meeting(&self, meeting_id: impl Into<String>) -> GetMeeting {
        GetMeeting::new(self.clone(), meeting_id.into())
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.inner.api.baseurl()
    }

    /// The credentials the next request will be authenticated with.
    pub fn credentials(&self) -> Credentials {
        self.inner.stamper.credentials.credentials()
    }

    /// The generated client every call goes through.
    pub(crate) fn api(&self) -> &tencent_meeting_openapi::Client {
        &self.inner.api
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("credentials", &self.inner.stamper.credentials)
            .field("retry", &self.inner.retry)
            .field("timeout", &self.inner.timeout)
            .field("deadline", &self.inner.deadline)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    credentials: Option<Arc<dyn ProvideCredentials>>,
    retry: RetryPolicy,
    rate_limit: Option<Limit>,
    rate_limit_window: Duration,
    deadline: Option<Duration>,
    clock: Arc<dyn Clock>,
    http_client: Option<reqwest::Client>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: concat!("tencent-meeting-rs/", env!("CARGO_PKG_VERSION")).to_string(),
            credentials: None,
            retry: RetryPolicy::default(),
            rate_limit: None,
            rate_limit_window: DEFAULT_RATE_LIMIT_WINDOW,
            deadline: None,
            clock: Arc::new(SystemClock),
            http_client: None,
        }
    }
}

impl ClientBuilder {
    /// The service's base URL (default `https://api.meeting.qq.com`). Plain `http://` is refused
    /// unless the host is loopback (a local simulator).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The timeout of one attempt, from connecting to reading the whole answer (default 10 s).
    /// Calls can override it (`.timeout()` on a call).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connect timeout (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `tencent-meeting-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How requests are authenticated. Required (or [`Self::credentials_provider`]).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(Arc::new(credentials));
        self
    }

    /// Where each request's credentials come from, e.g. a [`crate::SharedCredentials`] whose
    /// OAuth2.0 access token you refresh while the client (and its connection pool) lives on.
    pub fn credentials_provider(mut self, provider: Arc<dyn ProvideCredentials>) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// The most any one call may take, look-ups, attempts and waits included (default: no
    /// deadline; attempts are still bounded by the timeout and the retry policy). Calls can
    /// override it (`.deadline()` on a call). An attempt in flight when it passes ends as a
    /// timeout rather than being dropped, so its outcome is never lost.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sends through your own `reqwest::Client` (proxies, root certificates, …) instead of one
    /// built from this builder's settings. The client's per-attempt timeout is still applied to
    /// each request; `connect_timeout` and `user_agent` are then yours to set. Build it with
    /// redirects off (`reqwest::redirect::Policy::none()`): a signed request must not be replayed
    /// elsewhere.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// How failed attempts are retried (default: 3 attempts, exponential backoff with jitter).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Limits this client (and its clones) to `requests` per rate-limit window (a minute, as the
    /// service counts, unless [`Self::rate_limit_window`] says otherwise): one request every
    /// `window / requests`, every attempt counted (look-ups and retries too), with no burst (a
    /// [`Pacer`]). The service allows 300 a minute per app and counts in fixed windows, so a
    /// burst on top of the steady rate could put more than a window's share into one window
    /// (190310); evenly spaced, no window of that length sees more than `requests`. Replaces a
    /// [`rate_limiter`](Self::rate_limiter) set before.
    pub fn rate_limit(mut self, requests: NonZeroU32) -> Self {
        self.rate_limit = Some(Limit::Pace(requests));
        self
    }

    /// The window the service counts its quota in (default a minute, as the service does; a
    /// simulator's may be shorter: `tencent-meeting sim --rate-limit-window`). The client's one
    /// setting for it: [`Self::rate_limit`] counts in it, and a request refused for the quota
    /// (190310) is retried when the next window begins (by the client's clock, with up to a
    /// tenth of a window, at most 1 s, of jitter), if the call's deadline allows. A
    /// [`rate_limiter`](Self::rate_limiter) of your own keeps its own schedule: build it for the
    /// same window.
    pub fn rate_limit_window(mut self, window: Duration) -> Self {
        self.rate_limit_window = window;
        self
    }

    /// Waits on `limiter` before every attempt (look-ups and retries too): a [`Pacer`] shared
    /// with other clients, or a limiter shared with other processes, such as
    /// `tencent-meeting-postgres`'s, since the service's quota is per app. Replaces a
    /// [`rate_limit`](Self::rate_limit) set before.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.rate_limit = Some(Limit::Shared(limiter));
        self
    }

    /// The clock timestamps and nonces are made from (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the client, or says which setting is wrong. Sends nothing.
    pub fn build(self) -> Result<Client, ConfigError> {
        let credentials = self.credentials.ok_or_else(|| {
            ValidationError::new(
                "credentials",
                "are required: Credentials::enterprise or ::oauth2",
            )
        })?;
        let base_url = check_base_url(&self.base_url)?;
        if reqwest::header::HeaderValue::from_str(&self.user_agent).is_err() {
            return Err(ValidationError::new(
                "user_agent",
                "must be a valid HTTP header value (visible ASCII, spaces and tabs)",
            )
            .into());
        }
        if self.timeout.is_zero() {
            return Err(ValidationError::new("timeout", "must be greater than zero").into());
        }
        if self.deadline.is_some_and(|d| d.is_zero()) {
            return Err(ValidationError::new("deadline", "must be greater than zero").into());
        }
        if self.rate_limit_window < Duration::from_millis(1) {
            return Err(ValidationError::new(
                "rate_limit_window",
                "must be at least a millisecond",
            )
            .into());
        }
        let http_timeout = self.http_client.is_none().then_some(self.timeout);
        let http = match self.http_client {
            Some(http) => http,
            None => reqwest::Client::builder()
                // Every request's total timeout (a call's own or a deadline's shorter one is set
                // on the request instead, see `AttemptSettings::timeout_on_request`).
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .user_agent(self.user_agent)
                // The service documents its header names as case-sensitive: send them
                // title-cased (`X-Tc-Key`, `Appid`), as the official Go SDK does.
                .http1_title_case_headers()
                // A signed request must not be replayed elsewhere, and a redirected POST
                // changes meaning.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| ConfigError::HttpClient(Box::new(e)))?,
        };
        let signer = RequestSigner::with_provider(credentials, self.clock);
        let api = tencent_meeting_openapi::Client::new_with_client(&base_url, http, signer.hooks());
        let stamper = signer.stamper;
        Ok(Client {
            inner: Arc::new(ClientInner {
                api,
                stamper,
                retry: self.retry,
                rate_limiter: self.rate_limit.map(|limit| match limit {
                    Limit::Pace(requests) => Arc::new(Pacer::per(requests, self.rate_limit_window))
                        as Arc<dyn RateLimiter>,
                    Limit::Shared(limiter) => limiter,
                }),
                rate_limit_window: self.rate_limit_window,
                timeout: self.timeout,
                http_timeout,
                deadline: self.deadline,
            }),
        })
    }
}

/// The rate limit a builder was given.
#[derive(Debug)]
enum Limit {
    /// `rate_limit`: a [`Pacer`] of the client's own, made by `build`, counting in the
    /// rate-limit window.
    Pace(NonZeroU32),
    /// `rate_limiter`.
    Shared(Arc<dyn RateLimiter>),
}

/// Accepts `https://host[:port][/stem]`, or `http://` on a loopback host; returns it without a
/// trailing slash.
fn check_base_url(raw: &str) -> Result<String, ValidationError> {
    let url = reqwest::Url::parse(raw)
        .map_err(|e| ValidationError::new("base_url", format!("{raw:?} is not a URL: {e}")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ValidationError::new(
            "base_url",
            "must not carry a query or fragment",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ValidationError::new(
                "base_url",
                "plain http is only allowed to a loopback host (127.0.0.0/8, ::1, localhost); use https",
            ));
        }
        other => {
            return Err(ValidationError::new(
                "base_url",
                format!("scheme {other:?} is not http(s)"),
            ));
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal of `build` is a [`ConfigError`] naming its setting: nothing a call can
    /// answer (the type has no such kinds to match).
    #[test]
    fn build_refuses_with_a_config_error_naming_the_setting() {
        let credentials = || Credentials::oauth2("token", "open-id").expect("valid");
        let with_credentials = || Client::builder().credentials(credentials());
        let cases: [(ClientBuilder, &str); 5] = [
            (Client::builder(), "credentials"),
            (
                with_credentials().base_url("http://example.com"),
                "base_url",
            ),
            (with_credentials().timeout(Duration::ZERO), "timeout"),
            (with_credentials().deadline(Duration::ZERO), "deadline"),
            (with_credentials().user_agent("line\nbreak"), "user_agent"),
        ];
        for (builder, setting) in cases {
            match builder.build() {
                Err(ConfigError::Invalid(e)) => assert_eq!(e.field(), setting),
                other => panic!("{setting}: {other:?}"),
            }
        }
        assert!(with_credentials().build().is_ok());
        match with_credentials().rate_limit_window(Duration::ZERO).build() {
            Err(ConfigError::Invalid(e)) => assert_eq!(e.field(), "rate_limit_window"),
            other => panic!("{other:?}"),
        }
    }

    /// One setting for the quota window: the pacing counts in it and a 190310 waits for it.
    #[test]
    fn one_window_serves_the_rate_limit_and_the_quota_wait() {
        let builder = || {
            Client::builder().credentials(Credentials::oauth2("token", "open-id").expect("valid"))
        };
        let client = builder()
            .rate_limit(NonZeroU32::new(5).expect("not zero"))
            .rate_limit_window(Duration::from_secs(2))
            .build()
            .expect("client");
        assert_eq!(client.inner.rate_limit_window, Duration::from_secs(2));
        let period = client
            .inner
            .rate_limiter
            .as_ref()
            .map(|limiter| format!("{limiter:?}"));
        // 2 s / 5.
        assert!(
            period
                .as_deref()
                .is_some_and(|p| p.contains("period: 400ms")),
            "{period:?}"
        );
        // By default, the service's minute, and no pacing.
        let client = builder().build().expect("client");
        assert_eq!(client.inner.rate_limit_window, Duration::from_secs(60));
        assert!(client.inner.rate_limiter.is_none());
    }

    #[test]
    fn base_url_rules() {
        for ok in [
            "https://api.meeting.qq.com",
            "https://api.meeting.qq.com/",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:1/",
            "http://localhost:3000",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            check_base_url("https://api.meeting.qq.com/")
                .ok()
                .as_deref(),
            Some("https://api.meeting.qq.com")
        );
        for bad in [
            "http://api.meeting.qq.com",
            "http://10.0.0.1",
            "ftp://x",
            "not a url",
            "https://x/?a=1",
        ] {
            assert_eq!(
                check_base_url(bad).err().map(|e| e.field()),
                Some("base_url"),
                "{bad}"
            );
        }
    }
}
