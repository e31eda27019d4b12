//! The request hooks through which the hand-written layer signs every request.
//!
//! progenitor calls [`before_send`] on each fully built `reqwest::Request` (body already
//! serialised) and [`after_send`] on each outcome. The generated `Client` carries a [`Hooks`] as
//! its inner value; the `tencent-meeting` crate installs its signer through it.

use std::fmt;
use std::sync::Arc;

/// What the hand-written layer plugs into the generated client.
pub trait RequestHooks: Send + Sync {
    /// Called once per request after the body is serialised and before it is sent; may add
    /// headers (the signature covers `request.body()` exactly as it will be sent).
    fn before_send(&self, request: &mut reqwest::Request) -> Result<(), HookError>;

    /// Called once per request with the transport outcome, before the body is read.
    fn after_send(&self, _outcome: &reqwest::Result<reqwest::Response>) {}
}

/// An error raised by a hook; progenitor reports it as `Error::Custom`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookError(pub String);

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HookError {}

/// The generated client's inner value: an optional set of hooks (none: requests go unsigned).
#[derive(Clone, Default)]
pub struct Hooks(Option<Arc<dyn RequestHooks>>);

impl Hooks {
    /// Hooks that call `hooks` for every request.
    pub fn new(hooks: Arc<dyn RequestHooks>) -> Self {
        Self(Some(hooks))
    }

    /// No hooks: requests are sent as built.
    pub fn none() -> Self {
        Self(None)
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Hooks")
            .field(&self.0.as_ref().map(|_| "RequestHooks"))
            .finish()
    }
}

/// progenitor's async pre-hook.
pub async fn before_send(hooks: &Hooks, request: &mut reqwest::Request) -> Result<(), HookError> {
    match &hooks.0 {
        Some(h) => h.before_send(request),
        None => Ok(()),
    }
}

/// progenitor's post-hook.
pub fn after_send(hooks: &Hooks, outcome: &reqwest::Result<reqwest::Response>) {
    if let Some(h) = &hooks.0 {
        h.after_send(outcome);
    }
}
