//! `tencent-meeting demo`: the main job on the embedded default. Starts an in-process simulator,
//! dismisses a one-time, a quick and a recurring meeting through the client, showing each rule
//! at work, then two calls the service refuses, then what the client reports when answers are
//! lost: done only with evidence, otherwise unknown; and last, the simulator delivers the
//! `meeting.end` event to a receiver in this process and the client confirms the end by it. Exits
//! 0 only if everything happened as shown.

use std::time::Duration;

use tencent_meeting::webhook::{ConfirmationRules, MeetingEndFilter, Webhook};
use tencent_meeting::{
    ApiErrorKind, Client, Credentials, Dismissed, Error, Evidence, Instance, MeetingKind, Operator,
    Refusal, RetryPolicy,
};
use tencent_meeting_sim::{Faults, MeetingSpec, SimCredentials, Simulator, WebhookSubscription};

use crate::dismiss::{confirm, render, terms};
use crate::outcome::Exit;

const CREATOR: &str = "alice";
/// The event subscription's Token and EncodingAESKey (the demo's own; the console makes real ones).
const WEBHOOK_TOKEN: &str = "DemoToken0123456789abcdef";
const WEBHOOK_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

pub async fn run() -> Exit {
    match demo().await {
        Ok(()) => {
            println!("\ndemo finished: every rule behaved as shown");
            Exit::Ok
        }
        Err(message) => {
            eprintln!("\ndemo failed: {message}");
            Exit::Api
        }
    }
}

async fn demo() -> Result<(), String> {
    let sim = Simulator::builder()
        .start()
        .await
        .map_err(|e| format!("the simulator could not start: {e}"))?;
    let creds = sim.credentials().clone();
    println!(
        "simulator listening on {} (demo credentials, nothing leaves this machine)",
        sim.base_url()
    );

    let one_time = create(&sim, MeetingSpec::new(CREATOR).subject("Design review"))?;
    let quick = create(
        &sim,
        MeetingSpec::new(CREATOR).quick().subject("Quick call"),
    )?;
    let recurring = create(
        &sim,
        MeetingSpec::new(CREATOR)
            .recurring(["1700000001", "1700000002", "1700000003"], 2)
            .subject("Weekly sync"),
    )?;
    let client = client_for(&sim, &creds, &creds.secret_key)?;
    let base = |id: &str| {
        client
            .dismiss_meeting(id)
            .operator(Operator::user_id(CREATOR))
            .instance(Instance::Pc)
            .reason_code(1)
            .reason_detail("demo")
    };

    section("1. A one-time meeting, looked up first");
    let d = base(&one_time)
        .lookup()
        .send()
        .await
        .map_err(|e| unexpected(&e))?;
    show(&d);
    expect(
        !sim_view(&sim, &one_time)?.code_reclaimed,
        "the one-time meeting keeps its code",
    )?;

    section("2. A quick meeting: the service always reclaims its code");
    println!("asked for retrieve_code = 0 ...");
    let d = base(&quick)
        .kind(MeetingKind::Quick)
        .send()
        .await
        .map_err(|e| unexpected(&e))?;
    show(&d);
    expect(
        d.retrieve_code_overridden(),
        "the client raised retrieve_code to 1",
    )?;
    expect(
        sim_view(&sim, &quick)?.code_reclaimed,
        "the simulator reclaimed the quick meeting's code",
    )?;

    section("3. A recurring meeting: by master ID, keeping its code while sub-meetings remain");
    println!("dismissing by the sub-meeting ID 1700000002 ...");
    match base("1700000002").lookup().send().await {
        Err(e @ Error::Refused(Refusal::SubMeetingId { .. })) => {
            println!("refused: {}", terms::error_text(&e));
        }
        other => {
            return Err(format!(
                "expected the sub-meeting ID to be refused, got {other:?}"
            ));
        }
    }
    println!("dismissing by the master ID {recurring} with retrieve_code = 1 ...");
    match base(&recurring).retrieve_code(true).lookup().send().await {
        Err(e @ Error::Refused(Refusal::SubMeetingsRemain { .. })) => {
            println!("refused: {}", terms::error_text(&e));
        }
        other => {
            return Err(format!(
                "expected retrieve_code = 1 to be refused, got {other:?}"
            ));
        }
    }
    println!("the fix: the master ID, retrieve_code = 0 ...");
    let d = base(&recurring)
        .lookup()
        .send()
        .await
        .map_err(|e| unexpected(&e))?;
    show(&d);
    let view = sim_view(&sim, &recurring)?;
    expect(
        !view.code_reclaimed && !view.sub_meetings_blocked,
        "the later sub-meetings can still run",
    )?;

    section("4. Calls the service refuses");
    let target = create(&sim, MeetingSpec::new(CREATOR).subject("Still running"))?;
    println!("signed with the wrong secret key ...");
    let wrong_key = client_for(&sim, &creds, "not-the-secret-key")?;
    let err = wrong_key
        .dismiss_meeting(&target)
        .operator(Operator::user_id(CREATOR))
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await
        .err();
    show_refusal(err, 200003)?;
    println!("dismissed by someone who did not create it ...");
    let err = client
        .dismiss_meeting(&target)
        .operator(Operator::user_id("mallory"))
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await
        .err();
    show_refusal(err, 9042)?;
    expect(
        sim_view(&sim, &target)?.dismiss_count == 0,
        "the meeting is still running",
    )?;

    outcomes(&sim).await?;
    confirmed_by_event(&sim, &client).await?;

    let stats = sim.stats();
    println!(
        "\nsimulator: {} requests, {} dismissals, errors by code {:?}",
        stats.requests, stats.dismissals, stats.errors_by_code
    );
    sim.shutdown().await;
    Ok(())
}

/// Section 5: answers that are lost. The simulator ends each meeting, then answers only after
/// the client's timeout.
async fn outcomes(sim: &Simulator) -> Result<(), String> {
    section("5. When the answer is lost: done only with evidence, else unknown");
    let timeout = Duration::from_millis(200);
    sim.set_faults(Faults::none().latency_after_dismiss(Duration::from_millis(600)))
        .map_err(|e| e.to_string())?;
    let lossy = |retry: RetryPolicy| {
        sim.client_builder()
            .timeout(timeout)
            .retry(retry)
            .build()
            .map_err(|e| e.to_string())
    };
    let dismiss = |client: &Client, id: &str| {
        client
            .dismiss_meeting(id)
            .operator(Operator::user_id(CREATOR))
            .instance(Instance::Pc)
            .reason_code(1)
    };

    let id = create(
        sim,
        MeetingSpec::new(CREATOR).subject("Slow answer, one attempt"),
    )?;
    println!("one attempt, its answer later than the 200 ms timeout ...");
    let single = lossy(RetryPolicy::none())?;
    match dismiss(&single, &id).send().await {
        Err(e) if e.maybe_applied() => {
            println!(
                "unknown (the CLI exits 4 and says how to find out): {}",
                terms::error_text(&e)
            );
        }
        other => return Err(format!("expected an unknown outcome, got {other:?}")),
    }
    let meeting = single
        .get_meeting(&id)
        .operator(Operator::user_id(CREATOR))
        .instance(Instance::Pc)
        .send()
        .await
        .map_err(|e| unexpected(&e))?;
    println!(
        "a look-up finds out: {}",
        meeting.status().map_or("no status", |s| s.as_str())
    );
    expect(meeting.has_ended(), "the meeting had ended after all")?;

    let id = create(
        sim,
        MeetingSpec::new(CREATOR).subject("Slow answer, a retry"),
    )?;
    println!("\nthe same with a retry: the retry is told \"already ended\" (13603) ...");
    let retrying = lossy(
        RetryPolicy::default()
            .max_attempts(2)
            .base_delay(Duration::from_millis(20)),
    )?;
    let d = dismiss(&retrying, &id)
        .send()
        .await
        .map_err(|e| unexpected(&e))?;
    show(&d);
    expect(
        matches!(d.evidence(), Evidence::LookedUp { .. }),
        "reported done only because a look-up confirmed it, not on the 13603 alone",
    )?;
    sim.set_faults(Faults::none()).map_err(|e| e.to_string())?;

    println!("\ndismissing it again, with no unknown attempt before ...");
    match dismiss(&retrying, &id).send().await {
        Err(e) if e.api_kind() == Some(ApiErrorKind::AlreadyEnded) && !e.maybe_applied() => {
            println!("already ended, and not by this call (the CLI reports already_ended): {e}");
        }
        other => return Err(format!("expected 13603, got {other:?}")),
    }
    expect(
        sim_view(sim, &id)?.dismiss_count == 1,
        "each meeting was ended exactly once",
    )
}

/// Section 6: the simulator delivers each dismissed meeting's `meeting.end` to a receiver in this
/// process (the library's, as a user would mount it), and the client upgrades its result with it.
async fn confirmed_by_event(sim: &Simulator, client: &Client) -> Result<(), String> {
    section("6. The meeting.end event: the meeting seen to end, not only the dismiss accepted");
    sim.set_faults(Faults::none()).map_err(|e| e.to_string())?;
    let webhook = Webhook::new(WEBHOOK_TOKEN, Some(WEBHOOK_AES_KEY)).map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/events",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let (waiter, server) = confirm::serve_receiver(webhook, listener, "/events");
    sim.subscribe_webhook(WebhookSubscription::new(&url, WEBHOOK_TOKEN).aes_key(WEBHOOK_AES_KEY))
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "an event receiver on {url}, subscribed: the simulator checked the URL as the platform does"
    );
    let id = create(sim, MeetingSpec::new(CREATOR).subject("All hands"))?;
    // Watch before dismissing: the event may come before the dismiss's answer.
    let watch = waiter.watch(MeetingEndFilter::meeting(&id));
    let dismissed = client
        .dismiss_meeting(&id)
        .operator(Operator::user_id(CREATOR))
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await
        .map_err(|e| unexpected(&e))?;
    println!("the service answered HTTP 200; waiting for its meeting.end ...");
    // Only this dismiss's own end confirms it: end type 0, not before the request left.
    let confirmed = watch
        .confirm(
            &dismissed,
            &ConfirmationRules::default(),
            Duration::from_secs(10),
        )
        .await
        .map_err(|e| format!("{e}"))?;
    show(&confirmed);
    server.abort();
    expect(
        confirmed
            .event()
            .is_some_and(|e| e.end_type_code() == Some(0)),
        "its meeting.end (ended by a dismiss, signed and encrypted) confirms the end",
    )
}

fn client_for(sim: &Simulator, creds: &SimCredentials, secret_key: &str) -> Result<Client, String> {
    Client::builder()
        .base_url(sim.base_url())
        .credentials(
            Credentials::enterprise(&creds.app_id, &creds.secret_id, secret_key)
                .map_err(|e| e.to_string())?,
        )
        .retry(RetryPolicy::none())
        .build()
        .map_err(|e| e.to_string())
}

fn create(sim: &Simulator, spec: MeetingSpec) -> Result<String, String> {
    sim.create_meeting(spec).map_err(|e| e.to_string())
}

fn sim_view(sim: &Simulator, id: &str) -> Result<tencent_meeting_sim::MeetingView, String> {
    sim.meeting(id)
        .ok_or_else(|| format!("the simulator lost meeting {id}"))
}

fn section(title: &str) {
    println!("\n== {title}");
}

fn show(d: &Dismissed) {
    println!("{}", render::dismissed_text(d));
}

fn show_refusal(err: Option<Error>, code: i64) -> Result<(), String> {
    match err {
        Some(e @ Error::Api(_)) if e.api().is_some_and(|a| a.code() == code) => {
            println!("refused as expected: {e}");
            Ok(())
        }
        other => Err(format!("expected API error {code}, got {other:?}")),
    }
}

fn expect(condition: bool, what: &str) -> Result<(), String> {
    if condition {
        println!("  ✓ {what}");
        Ok(())
    } else {
        Err(format!("expected: {what}"))
    }
}

fn unexpected(e: &Error) -> String {
    format!("unexpected error: {e}")
}
