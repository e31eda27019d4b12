//! The dry run: one request built, stamped and signed exactly as an attempt would send it, and
//! returned unsent.

use std::future::Future;

use crate::client::Client;
use crate::error::{Error, TransportError};
use crate::prepared::PreparedRequest;
use crate::response::{Answer, Failure, GeneratedError, map_error};
use crate::transport::{AttemptSettings, run_attempt};

impl Client {
    /// Builds, stamps and signs one request exactly as an attempt would, and returns it unsent.
    pub(crate) async fn prepare<T, F, Fut>(&self, send: F) -> Result<PreparedRequest, Error>
    where
        T: Answer,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, GeneratedError>>,
    {
        let settings = AttemptSettings {
            dry_run: true,
            ..AttemptSettings::default()
        };
        let (result, mut record) = run_attempt(settings, send()).await;
        if let Some(prepared) = record.prepared.take() {
            return Ok(*prepared);
        }
        // The dry-run hook stops every request it prepares, so only a failure before the hook
        // ran (the generated client refusing a value) ends up here.
        if let Err(e) = result
            && let Failure::Error(e) = map_error::<T>(e, &record).await
        {
            return Err(e);
        }
        Err(TransportError::new("the request was not prepared", false).into())
    }
}
