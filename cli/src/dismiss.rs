//! `tencent-meeting dismiss`: one meeting, or a batch with `--from`.

use std::num::NonZeroU32;

use tencent_meeting::{Client, DEFAULT_BASE_URL, DismissMeeting, PreparedRequest, RetryPolicy};

use crate::args::{DismissArgs, OutputFormat};
use crate::outcome::{self, Exit};
use crate::{batch, credentials};

/// Runs `dismiss`.
pub async fn run(args: DismissArgs) -> Exit {
    let rate_limit = args
        .rate_limit
        .unwrap_or(if args.from.is_some() { 300 } else { 0 });
    let client = match client(&args, rate_limit) {
        Ok(client) => client,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    match (&args.from, &args.meeting_id) {
        (Some(path), _) => batch::run(&client, &args, path).await,
        (None, Some(id)) => one(&client, &args, id).await,
        // clap requires one of the two.
        (None, None) => Exit::Usage,
    }
}

fn client(args: &DismissArgs, rate_limit: u32) -> Result<Client, String> {
    let mut builder = Client::builder()
        .base_url(
            args.base_url
                .clone()
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        )
        .credentials(credentials::from_env()?)
        .timeout(args.timeout())
        .retry(RetryPolicy::default().max_attempts(args.attempts));
    if let Some(per_minute) = NonZeroU32::new(rate_limit) {
        builder = builder.rate_limit(per_minute);
    }
    builder.build().map_err(|e| e.to_string())
}

/// The dismiss call the arguments describe, for `meeting_id`.
pub fn call(client: &Client, args: &DismissArgs, meeting_id: &str) -> DismissMeeting {
    let mut call = client
        .dismiss_meeting(meeting_id)
        .instance(args.instance)
        .reason_code(args.reason_code)
        .force(!args.no_force)
        .retrieve_code(args.retrieve_code);
    if let Some(operator) = args.operator() {
        call = call.operator(operator);
    }
    if let Some(detail) = &args.reason_detail {
        call = call.reason_detail(detail.clone());
    }
    if args.force_retrieve_code {
        call = call.force_retrieve_code();
    }
    if let Some(kind) = args.kind() {
        call = call.kind(kind);
    }
    if args.lookup {
        call = call.lookup();
    }
    call
}

/// Dismisses (or, with --dry-run, prints) one meeting, printing the outcome on stdout (success)
/// or stderr (failure, in text mode).
pub async fn one(client: &Client, args: &DismissArgs, meeting_id: &str) -> Exit {
    let call = call(client, args, meeting_id);
    if args.dry_run {
        return match call.prepare().await {
            Ok(prepared) => {
                print_prepared(&prepared, args.output);
                Exit::Ok
            }
            Err(e) => report_error(meeting_id, &e, args.output),
        };
    }
    match call.send().await {
        Ok(d) => {
            match args.output {
                OutputFormat::Text => println!("{}", outcome::dismissed_text(&d)),
                OutputFormat::Json => println!("{}", outcome::dismissed_json(&d)),
            }
            Exit::Ok
        }
        Err(e) => report_error(meeting_id, &e, args.output),
    }
}

fn report_error(meeting_id: &str, e: &tencent_meeting::Error, output: OutputFormat) -> Exit {
    match output {
        OutputFormat::Text => eprintln!("error: {}", outcome::error_text(meeting_id, e)),
        OutputFormat::Json => println!("{}", outcome::error_json(meeting_id, e)),
    }
    Exit::of(e)
}

/// Shows a request that was not sent. The access token is written as a shell variable reference.
pub fn print_prepared(prepared: &PreparedRequest, output: OutputFormat) {
    let token_ref = |_: &str| format!("${}", credentials::ACCESS_TOKEN);
    match output {
        OutputFormat::Text => {
            println!("# dry run: nothing was sent");
            if let Some(sts) = &prepared.string_to_sign {
                println!("# string to sign (between the lines):\n# ---\n{sts}\n# ---");
            }
            println!("{}", prepared.to_curl(token_ref));
        }
        OutputFormat::Json => {
            let headers: serde_json::Map<String, serde_json::Value> = prepared
                .headers
                .iter()
                .map(|h| {
                    let value = h
                        .value
                        .clone()
                        .unwrap_or_else(|| format!("${}", credentials::ACCESS_TOKEN));
                    (h.name.clone(), serde_json::Value::String(value))
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({
                    "dry_run": true,
                    "method": prepared.method,
                    "url": prepared.url,
                    "headers": headers,
                    "body": String::from_utf8_lossy(&prepared.body),
                    "string_to_sign": prepared.string_to_sign,
                    "signature": prepared.signature,
                    "curl": prepared.to_curl(token_ref),
                })
            );
        }
    }
}
