//! `--quota-from`: the app's quota shared, through PostgreSQL, by every process sending with its
//! credentials; `--rate-limit` is then the app's total.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use tencent_meeting::RateLimiter;
use tencent_meeting_postgres::PgRateLimiter;

use crate::args::DismissArgs;
use crate::credentials::{APP_ID, SDK_ID};
use crate::dismiss::call::PACING_MARGIN;
use crate::shared_db;

/// The shared limiter, when `--quota-from` is given: connected now, so that a database that
/// cannot be reached stops the run before anything is sent.
pub async fn connect(args: &DismissArgs) -> Result<Option<Arc<dyn RateLimiter>>, String> {
    let Some(url) = &args.quota_from else {
        return Ok(None);
    };
    // `DismissArgs::check` refused --quota-from without a number.
    let Some(requests) = args.rate_limit.0.and_then(NonZeroU32::new) else {
        return Err("--quota-from needs --rate-limit N".to_string());
    };
    let key = match &args.quota_key {
        Some(key) => key.clone(),
        None => default_key()?,
    };
    let db = shared_db::connect("--quota-from", url).await?;
    // Spaced as a process alone would be (2 % wider than the quota), in one schedule for all.
    let window = Duration::from_secs(args.rate_limit_window).mul_f64(1.0 + PACING_MARGIN);
    eprintln!(
        "sharing --rate-limit {requests} per {}s with every sender of {key} (--quota-from)",
        args.rate_limit_window
    );
    Ok(Some(Arc::new(PgRateLimiter::new(
        &db, key, requests, window,
    ))))
}

/// `AppId`, or `AppId/SdkId` when an SdkId is set: the app the quota belongs to.
fn default_key() -> Result<String, String> {
    let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    match (var(APP_ID), var(SDK_ID)) {
        (Some(app), Some(sdk)) => Ok(format!("{app}/{sdk}")),
        (Some(app), None) => Ok(app),
        (None, _) => Err(format!(
            "--quota-from names the app's quota by {APP_ID}, which is not set (OAuth2.0 \
             credentials: give --quota-key, the app the token was issued to)"
        )),
    }
}
