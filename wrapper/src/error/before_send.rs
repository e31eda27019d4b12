//! A call stopped by its own before-send hook.

use std::fmt;

/// The call's before-send hook failed (see `DismissMeeting::before_send`), so no request was
/// sent: the call took no effect.
#[derive(Debug)]
pub struct BeforeSendError {
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl BeforeSendError {
    /// The hook's failure. For tests of code that handles this crate's errors; the client makes
    /// its own.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: source.into(),
        }
    }

    /// What the hook returned.
    pub fn hook_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.source.as_ref()
    }
}

impl fmt::Display for BeforeSendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not sent: the call's before-send hook failed: {}",
            self.source
        )
    }
}

impl std::error::Error for BeforeSendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}
