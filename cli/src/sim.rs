//! `tencent-meeting sim`: the simulator as a process, for your own integration tests.

use std::io::Write as _;

use tencent_meeting_sim::{RateLimits, SimCredentials, Simulator, WebhookSubscription};

use crate::args::SimArgs;
use crate::outcome::Exit;

pub async fn run(args: SimArgs) -> Exit {
    let mut credentials = SimCredentials::demo();
    if let Some(v) = args.app_id {
        credentials.app_id = v;
    }
    if let Some(v) = args.secret_id {
        credentials.secret_id = v;
    }
    // A key of the user's own (given to keep it out of `ps`) is not printed either.
    let own_secret_key = args.secret_key.is_some();
    if let Some(v) = args.secret_key {
        credentials.secret_key = v;
    }
    credentials.sdk_id = args.sdk_id;
    if !args.oauth_tokens.is_empty() {
        credentials.oauth_tokens = args.oauth_tokens.into_iter().collect();
    }
    let rate_limits = RateLimits {
        per_window: args.rate_limit.0,
        window_secs: args.rate_limit_window,
        per_day: args.daily_limit.0,
    };
    let mut builder = Simulator::builder()
        .bind(args.addr)
        .credentials(credentials)
        .rate_limits(rate_limits)
        .empty_object_success(args.empty_object_success);
    if let Some(seed) = args.seed {
        builder = builder.seed_file(seed);
    }
    let webhook = match (&args.webhook_url, args.webhook_token) {
        (Some(url), Some(token)) => {
            let subscription = WebhookSubscription::new(url, token);
            Some(match args.webhook_aes_key.filter(|k| !k.is_empty()) {
                Some(key) => subscription.aes_key(key),
                None => subscription,
            })
        }
        (Some(_), None) => {
            eprintln!(
                "error: --webhook-url needs the subscription's Token: --webhook-token or $TENCENT_MEETING_WEBHOOK_TOKEN"
            );
            return Exit::Usage;
        }
        (None, _) => None,
    };
    let webhook_line = webhook.as_ref().map(|s| {
        format!(
            "webhooks: meeting.end to {} ({} mode)",
            s.url,
            if s.aes_key.is_some() { "AES" } else { "plain" }
        )
    });
    if let Some(subscription) = webhook {
        builder = builder.webhook(subscription);
    }
    let sim = match builder.start().await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("error: the simulator could not start: {e}");
            return Exit::Usage;
        }
    };
    // The base URL goes first, alone on its line, so scripts can read it. Written, not
    // `println!`ed: a reader that stops after the first line (closing the pipe) must not bring
    // the server down.
    let mut shown = sim.credentials().clone();
    if own_secret_key {
        shown.secret_key =
            "(yours: from --secret-key or $TENCENT_MEETING_SIM_SECRET_KEY)".to_string();
    }
    let mut banner = vec![sim.base_url().to_string(), shown.to_string()];
    banner.push(format!(
        "rate limits: {} (--rate-limit, --rate-limit-window, --daily-limit)",
        sim.rate_limits().describe()
    ));
    banner.push(format!(
        "admin API: {0}/_sim/meetings (POST to create, GET to list), {0}/_sim/meetings/{{id}}/start, {0}/_sim/stats, {0}/_sim/faults, {0}/_sim/rate-limits, {0}/_sim/webhooks",
        sim.base_url()
    ));
    banner.extend(webhook_line);
    banner.push("serving until Ctrl-C".to_string());
    let mut stdout = std::io::stdout().lock();
    for line in banner {
        if writeln!(stdout, "{line}").is_err() {
            break;
        }
    }
    let _ = stdout.flush();
    drop(stdout);
    match sim.run_until_ctrl_c().await {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Transport
        }
    }
}
