//! Dismiss a meeting with enterprise-secret (AK/SK) credentials.
//!
//! ```sh
//! export TENCENT_MEETING_APP_ID=... TENCENT_MEETING_SECRET_ID=... TENCENT_MEETING_SECRET_KEY=...
//! # optional: TENCENT_MEETING_SDK_ID=..., TENCENT_MEETING_BASE_URL=http://127.0.0.1:PORT (a simulator)
//! cargo run -p tencent-meeting --example enterprise -- MEETING_ID USERID
//! ```

use std::env;
use std::process::ExitCode;

use tencent_meeting::{Client, Credentials, DEFAULT_BASE_URL, Error, Instance, Operator};

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
    let mut args = env::args().skip(1);
    let (Some(meeting_id), Some(userid)) = (args.next(), args.next()) else {
        return Err("usage: enterprise MEETING_ID USERID".into());
    };
    let var = |name: &str| env::var(name).map_err(|_| format!("{name} is not set"));
    let mut credentials = Credentials::enterprise(
        var("TENCENT_MEETING_APP_ID")?,
        var("TENCENT_MEETING_SECRET_ID")?,
        var("TENCENT_MEETING_SECRET_KEY")?,
    )?;
    if let Ok(sdk_id) = env::var("TENCENT_MEETING_SDK_ID") {
        credentials = credentials.with_sdk_id(sdk_id)?;
    }
    let client = Client::builder()
        .base_url(env::var("TENCENT_MEETING_BASE_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.into()))
        .credentials(credentials)
        .build()?;
    let outcome = client
        .dismiss_meeting(meeting_id)
        .operator(Operator::user_id(userid))
        .instance(Instance::Pc)
        .reason_code(1)
        .reason_detail("ended from the tencent-meeting example")
        .lookup()
        .send()
        .await;
    match outcome {
        Ok(d) => println!(
            "dismissed {} ({:?}) in {} attempt(s); evidence: {:?}",
            d.meeting_id(),
            d.kind(),
            d.attempts(),
            d.evidence()
        ),
        Err(Error::Api(e)) => {
            return Err(format!(
                "the service refused: {} {} (trace {:?})",
                e.code(),
                e.message(),
                e.trace_id()
            )
            .into());
        }
        Err(e) if e.maybe_applied() => {
            return Err(format!("the meeting may or may not have ended: {e}").into());
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
