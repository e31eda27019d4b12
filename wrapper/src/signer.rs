//! The signing hook, for calling endpoints this crate does not wrap through the generated client.

use std::fmt;
use std::sync::Arc;

use tencent_meeting_openapi::hooks::{Hooks, RequestHooks};

use crate::clock::{Clock, NonceSource, SystemClock};
use crate::credentials::{Credentials, ProvideCredentials};
use crate::transport::Stamper;

/// Stamps and signs every request of a generated `tencent_meeting_openapi::Client` exactly as
/// this crate's [`crate::Client`] does (fresh timestamp and nonce per request, the credentials'
/// headers, the signature over the bytes sent), for the endpoints this crate does not wrap.
///
/// ```no_run
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_meeting::{Credentials, RequestSigner};
///
/// let signer = RequestSigner::new(Credentials::enterprise("200000001", "AKIDEXAMPLE", "key")?);
/// let http = reqwest::Client::builder()
///     .redirect(reqwest::redirect::Policy::none())
///     .build()?;
/// let api = tencent_meeting_openapi::Client::new_with_client(
///     "https://api.meeting.qq.com",
///     http,
///     signer.hooks(),
/// );
/// // api.get_meeting()...send().await: signed like the wrapper's own calls.
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RequestSigner {
    pub(crate) stamper: Arc<Stamper>,
}

impl RequestSigner {
    /// A signer for `credentials`, on the system clock.
    pub fn new(credentials: Credentials) -> Self {
        Self::with_provider(Arc::new(credentials), Arc::new(SystemClock))
    }

    /// A signer taking each request's credentials from `provider`, timestamps from `clock`.
    pub fn with_provider(provider: Arc<dyn ProvideCredentials>, clock: Arc<dyn Clock>) -> Self {
        Self {
            stamper: Arc::new(Stamper {
                credentials: provider,
                clock,
                nonces: NonceSource::new(),
            }),
        }
    }

    /// The hooks to build a generated client with (`Client::new_with_client(url, http, hooks)`).
    pub fn hooks(&self) -> Hooks {
        Hooks::new(self.stamper.clone() as Arc<dyn RequestHooks>)
    }
}

impl fmt::Debug for RequestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSigner")
            .field("credentials", &self.stamper.credentials)
            .finish_non_exhaustive()
    }
}
