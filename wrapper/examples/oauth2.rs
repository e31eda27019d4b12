//! Dismiss a meeting with OAuth2.0 credentials (only meetings created through OAuth2.0).
//!
//! ```sh
//! export TENCENT_MEETING_ACCESS_TOKEN=... TENCENT_MEETING_OPEN_ID=...
//! # optional: TENCENT_MEETING_BASE_URL=http://127.0.0.1:PORT (a simulator)
//! cargo run -p tencent-meeting --example oauth2 -- MEETING_ID
//! ```

use std::env;
use std::process::ExitCode;

use tencent_meeting::{Client, Credentials, DEFAULT_BASE_URL, Instance};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let Some(meeting_id) = env::args().nth(1) else {
        return Err("usage: oauth2 MEETING_ID".into());
    };
    let var = |name: &str| env::var(name).map_err(|_| format!("{name} is not set"));
    let client = Client::builder()
        .base_url(env::var("TENCENT_MEETING_BASE_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.into()))
        .credentials(Credentials::oauth2(
            var("TENCENT_MEETING_ACCESS_TOKEN")?,
            var("TENCENT_MEETING_OPEN_ID")?,
        )?)
        .build()?;
    // With OAuth2.0 the operator is the open id: no .operator() needed.
    let dismissed = client
        .dismiss_meeting(meeting_id)
        .instance(Instance::Web)
        .reason_code(1)
        .lookup()
        .send()
        .await?;
    println!(
        "dismissed {} in {} attempt(s)",
        dismissed.meeting_id(),
        dismissed.attempts()
    );
    Ok(())
}
