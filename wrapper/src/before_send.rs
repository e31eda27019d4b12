//! A call's before-send hook: user code run once, right before the first request of a dismiss
//! leaves (after the rate limiter's slot is taken), so that a caller can record durably that the
//! request is about to leave — and, when it cannot, keep it from leaving.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a hook returns.
pub(crate) type HookResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

type HookFuture = Pin<Box<dyn Future<Output = HookResult> + Send>>;

/// The hook, shared by the clones of the builder that holds it.
#[derive(Clone)]
pub(crate) struct BeforeSend(Arc<dyn Fn() -> HookFuture + Send + Sync>);

impl BeforeSend {
    pub fn new<F, Fut, E>(hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Self(Arc::new(move || {
            let run = hook();
            Box::pin(async move { run.await.map_err(Into::into) })
        }))
    }

    pub async fn run(&self) -> HookResult {
        (self.0)().await
    }
}

impl fmt::Debug for BeforeSend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BeforeSend(..)")
    }
}
