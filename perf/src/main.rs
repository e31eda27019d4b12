//! The driver `cargo xtask perf-guard` counts instructions in, under `valgrind --tool=callgrind`.
//!
//! `tencent-meeting-perf PATH ITERATIONS` checks once that PATH does the real work, runs it a
//! few times untimed (lazy initialisation, first allocations), then runs it ITERATIONS times
//! inside one function named `measured_<path>`. The guard starts callgrind with collection off
//! and toggles it on in that function only, so the count divided by ITERATIONS is the path's
//! cost per call, without process start-up or set-up. PATH is:
//! - `prepare`: `DismissMeeting::prepare` of the seed example (enterprise credentials: validated,
//!   built by the generated client, stamped and signed, nothing sent);
//! - `dismiss`: `DismissMeeting::send`, the whole call, against a loopback server that answers
//!   200 with an empty body (`answerer.rs`): validation, the attempt, signing, reqwest and hyper
//!   on one keep-alive connection, the answer's check;
//! - `raw`: the same dismiss by hand on `reqwest` (the load test's baseline client itself,
//!   `loadtest/src/raw_client.rs`, included below), so that
//!   the wrapper's cost over a raw call is a count, not a noisy ratio of two timings;
//! - `generated`: the same dismiss through the generated client alone, signed by a hook that
//!   does what the raw client does (`generated_client.rs`): what of the wrapper's cost over raw
//!   is the generated client's, and what the wrapper adds;
//! - `event`: `Webhook::verify_and_parse` of one sealed AES-mode `meeting.end` (headers,
//!   signature, base64, AES-256-CBC, typed event), as the webhook bench measures it.
//!
//! The inputs are the benches' (`wrapper/benches/dismiss.rs`, `wrapper/benches/webhook.rs`) and
//! the load test's. The runtime is current-thread, so the client's work, hyper's connection task
//! included, is all on the counted thread; the server's threads are not counted.

mod answerer;
mod generated_client;
// The load test's raw baseline, compiled here from the same file, so that the guard's
// raw/wrapper and the load test's measure the same raw code (the load test's crate itself would
// bring the simulator and a TLS stack into the guard's build).
#[path = "../../loadtest/src/raw_client.rs"]
mod raw_client;

use std::hint::black_box;
use std::process::ExitCode;

use http::HeaderMap;
use tencent_meeting::webhook::Webhook;
use tencent_meeting::webhook::sender::{MeetingEndNotice, SealedDelivery};
use tencent_meeting::{Client, Credentials, Instance, Operator};

use generated_client::GeneratedClient;
use raw_client::{RawClient, RawOutcome};

/// Untimed runs before the measured ones.
const WARM_UP: u32 = 20;

const BASE_URL: &str = "http://127.0.0.1:9";
const MEETING_ID: &str = "7567173273889276131";
const APP_ID: &str = "200000001";
const SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLEKEY";
/// The operator of the `dismiss` and `raw` paths.
const USERID: &str = "test1";
const TOKEN: &str = "Ab3dEf6hIj9kLm2nOp5qRs8tU";
const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, iterations) = match args.as_slice() {
        [path, n] => match n.parse::<u32>() {
            Ok(n) if n > 0 => (path.as_str(), n),
            _ => return usage(&format!("ITERATIONS must be a positive integer, not {n:?}")),
        },
        _ => return usage("expected two arguments"),
    };
    let checked = match path {
        "prepare" => prepare_path(iterations),
        "dismiss" => dismiss_path(iterations, Sender::Wrapper),
        "raw" => dismiss_path(iterations, Sender::Raw),
        "generated" => dismiss_path(iterations, Sender::Generated),
        "event" => event_path(iterations),
        other => return usage(&format!("unknown PATH {other:?}")),
    };
    match checked {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tencent-meeting-perf: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "tencent-meeting-perf: {problem}\nusage: tencent-meeting-perf prepare|dismiss|raw|generated|event ITERATIONS"
    );
    ExitCode::from(2)
}

fn prepare_path(iterations: u32) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let client = client(BASE_URL)?;
    let prepared = runtime.block_on(prepare_once(&client))?;
    if prepared.url != format!("{BASE_URL}/v1/meetings/{MEETING_ID}/dismiss")
        || prepared.signature.as_ref().map(String::len) != Some(88)
    {
        return Err(format!("not the signed seed example: {prepared:?}"));
    }
    runtime.block_on(async {
        for _ in 0..WARM_UP {
            prepare_once(&client).await?;
        }
        Ok::<_, String>(())
    })?;
    measured_prepare(&runtime, &client, iterations)
}

/// The function callgrind counts in (the name is the guard's `--toggle-collect` pattern). Not
/// async: an async function's body is polled from its caller's future and inlined there, so its
/// name would not be on the stack while it runs.
#[inline(never)]
fn measured_prepare(
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    iterations: u32,
) -> Result<(), String> {
    runtime.block_on(async {
        for _ in 0..iterations {
            black_box(prepare_once(client).await?);
        }
        Ok(())
    })
}

/// One dry run, as the dismiss bench builds it (the call's `Client` clone included).
async fn prepare_once(client: &Client) -> Result<tencent_meeting::PreparedRequest, String> {
    client
        .clone()
        .dismiss_meeting(black_box(MEETING_ID))
        .operator(Operator::user_id(black_box("test1")))
        .instance(Instance::Pc)
        .reason_code(black_box(3))
        .reason_detail(black_box("结束会议"))
        .prepare()
        .await
        .map_err(|e| e.to_string())
}

fn client(base_url: &str) -> Result<Client, String> {
    let credentials = Credentials::enterprise(APP_ID, SECRET_ID, SECRET_KEY)
        .map_err(|e| format!("credentials: {e}"))?;
    Client::builder()
        .base_url(base_url)
        .credentials(credentials)
        .build()
        .map_err(|e| format!("client: {e}"))
}

/// The whole dismiss through the wrapper, by hand (`raw`) or through the generated client alone
/// (`generated`), against the loopback answerer.
fn dismiss_path(iterations: u32, sender: Sender) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let addr = answerer::start().map_err(|e| format!("loopback server: {e}"))?;
    let base_url = format!("http://{addr}");
    let client = client(&base_url)?;
    let raw_client = RawClient::new(&base_url, APP_ID, SECRET_ID, SECRET_KEY)?;
    let generated_client = GeneratedClient::new(&base_url, APP_ID, SECRET_ID, SECRET_KEY)?;
    // The three send the same body, or the comparison would be off.
    let prepared = runtime.block_on(dismiss_call(&client).prepare());
    let wrapper_body = prepared.map_err(|e| e.to_string())?.body;
    for (name, body) in [
        ("raw", RawClient::body(USERID)?),
        ("generated", GeneratedClient::body(USERID)?),
    ] {
        if wrapper_body != body {
            return Err(format!(
                "the {name} body {:?} differs from the wrapper's {:?}",
                String::from_utf8_lossy(&body),
                String::from_utf8_lossy(&wrapper_body)
            ));
        }
    }
    let side = match sender {
        Sender::Wrapper => Side::Wrapper(&client),
        Sender::Raw => Side::Raw(&raw_client),
        Sender::Generated => Side::Generated(&generated_client),
    };
    runtime.block_on(async {
        for _ in 0..WARM_UP {
            side.dismiss_once().await?;
        }
        Ok::<_, String>(())
    })?;
    measured_dismiss(&runtime, &side, iterations)
}

/// The function callgrind counts in for `dismiss`, `raw` and `generated` alike (functions with
/// the same body would be merged into one by the compiler; see [`measured_prepare`]).
#[inline(never)]
fn measured_dismiss(
    runtime: &tokio::runtime::Runtime,
    side: &Side<'_>,
    iterations: u32,
) -> Result<(), String> {
    runtime.block_on(async {
        for _ in 0..iterations {
            side.dismiss_once().await?;
        }
        Ok(())
    })
}

/// Which client a dismiss path sends with.
#[derive(Clone, Copy)]
enum Sender {
    Wrapper,
    Raw,
    Generated,
}

/// The client that sends.
enum Side<'a> {
    Wrapper(&'a Client),
    Raw(&'a RawClient),
    Generated(&'a GeneratedClient),
}

impl Side<'_> {
    async fn dismiss_once(&self) -> Result<(), String> {
        match self {
            Side::Wrapper(client) => {
                let dismissed = dismiss_call(client)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                black_box(dismissed);
                Ok(())
            }
            Side::Raw(raw) => match raw.dismiss(black_box(MEETING_ID), USERID).await {
                RawOutcome::Ok => Ok(()),
                RawOutcome::Status(status, code) => Err(format!(
                    "the raw dismiss was answered {status} (API error code {code:?})"
                )),
                RawOutcome::Transport(e) => Err(format!("the raw dismiss: {e}")),
            },
            Side::Generated(generated) => generated
                .dismiss(black_box(MEETING_ID), USERID)
                .await
                .map_err(|e| format!("the generated client's dismiss: {e}")),
        }
    }
}

/// The load test's dismiss: as the raw body has it.
fn dismiss_call(client: &Client) -> tencent_meeting::DismissMeeting {
    client
        .dismiss_meeting(black_box(MEETING_ID))
        .operator(Operator::user_id(USERID))
        .instance(Instance::Pc)
        .reason_code(1)
}

fn event_path(iterations: u32) -> Result<(), String> {
    let webhook = Webhook::new(TOKEN, Some(KEY)).map_err(|e| format!("webhook: {e}"))?;
    let sealed = webhook.seal_event(
        &MeetingEndNotice::sample().to_json(),
        "1700000000123",
        "58209741",
    );
    let headers = sealed.header_map();
    let events = webhook
        .verify_and_parse(&headers, &sealed.body)
        .map_err(|e| format!("the sealed delivery does not verify: {e}"))?;
    let meeting_id = events
        .first()
        .and_then(|e| e.as_meeting_end())
        .map(|e| e.meeting().meeting_id());
    if meeting_id != Some("13339451618278424869") {
        return Err(format!("not the sealed meeting.end: {events:?}"));
    }
    for _ in 0..WARM_UP {
        receive_once(&webhook, &headers, &sealed)?;
    }
    measured_event(&webhook, &headers, &sealed, iterations)
}

/// The function callgrind counts in (the name is the guard's `--toggle-collect` pattern).
#[inline(never)]
fn measured_event(
    webhook: &Webhook,
    headers: &HeaderMap,
    sealed: &SealedDelivery,
    iterations: u32,
) -> Result<(), String> {
    for _ in 0..iterations {
        receive_once(webhook, headers, sealed)?;
    }
    Ok(())
}

fn receive_once(
    webhook: &Webhook,
    headers: &HeaderMap,
    sealed: &SealedDelivery,
) -> Result<(), String> {
    let events = webhook
        .verify_and_parse(black_box(headers), black_box(&sealed.body))
        .map_err(|e| e.to_string())?;
    black_box(events);
    Ok(())
}
