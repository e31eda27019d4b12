//! Load: many dismisses at once through the `tencent-meeting` client against the simulator on
//! 127.0.0.1. Every meeting must end exactly once, with no replayed nonce (190301) and no bad
//! signature (200003), and no dismiss may be lost: each one is accounted for by the client and
//! by the simulator.
//!
//! The 20,000-meeting run takes 4 s in the debug test profile on an idle 2-core machine (15 s
//! with builds running beside it); the throughput figures are measured in release by
//! `cargo xtask loadtest` (see BENCHMARKS.md).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tencent_meeting::MeetingStatus;
use tencent_meeting::{Dismissed, Error, Evidence, Instance, Operator, RetryPolicy};
use tencent_meeting_sim::{Faults, MeetingSpec, RateLimits, Simulator, Stats, codes};
use tokio::task::JoinSet;

const ALICE: &str = "alice";

/// Starts a simulator with `faults`, seeds `count` meetings, and dismisses them all with at most
/// `concurrency` calls in flight (that many tasks, each taking the next meeting). Returns the
/// simulator, the seeded IDs and every call's outcome.
async fn dismiss_all(
    count: usize,
    concurrency: usize,
    faults: Faults,
    retry: RetryPolicy,
) -> (
    Simulator,
    Vec<String>,
    Vec<(String, Result<Dismissed, Error>)>,
) {
    let sim = Simulator::builder()
        // Thousands of dismisses a second: far beyond the service's 300 a minute, on purpose.
        .rate_limits(RateLimits::unlimited())
        .faults(faults)
        .start()
        .await
        .expect("the simulator starts");
    let ids: Arc<Vec<String>> = Arc::new(
        (0..count)
            .map(|_| {
                sim.create_meeting(MeetingSpec::new(ALICE))
                    .expect("the meeting is created")
            })
            .collect(),
    );
    let client = sim
        .client_builder()
        .retry(retry)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("the client builds");
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let (client, ids, next) = (client.clone(), Arc::clone(&ids), Arc::clone(&next));
        workers.spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(id) = ids.get(i) else { break };
                let result = client
                    .dismiss_meeting(id)
                    .operator(Operator::user_id(ALICE))
                    .instance(Instance::Pc)
                    .reason_code(1)
                    .send()
                    .await;
                outcomes.push((id.clone(), result));
            }
            outcomes
        });
    }
    let mut outcomes = Vec::with_capacity(count);
    while let Some(joined) = workers.join_next().await {
        outcomes.extend(joined.expect("a worker finishes"));
    }
    let ids = Arc::try_unwrap(ids).unwrap_or_else(|shared| (*shared).clone());
    (sim, ids, outcomes)
}

/// Every seeded meeting was called once, succeeded, and ended exactly once; the simulator
/// counted exactly those dismissals, and no authentication error.
fn assert_exactly_once(
    sim: &Simulator,
    ids: &[String],
    outcomes: &[(String, Result<Dismissed, Error>)],
) -> Stats {
    assert_eq!(outcomes.len(), ids.len(), "every meeting was called once");
    let called: HashSet<&str> = outcomes.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(called.len(), ids.len(), "no meeting was called twice");
    let failures: Vec<_> = outcomes
        .iter()
        .filter_map(|(id, r)| r.as_ref().err().map(|e| format!("{id}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} lost dismisses, e.g. {:?}",
        failures.len(),
        failures.first()
    );
    for id in ids {
        let m = sim.meeting(id).expect("the meeting exists");
        assert_eq!(
            (m.status, m.dismiss_count),
            (MeetingStatus::Ended, 1),
            "meeting {id}"
        );
    }
    let stats = sim.stats();
    assert_eq!(stats.dismissals, ids.len() as u64);
    for code in [codes::REPLAY, codes::SIGNATURE] {
        assert!(
            !stats.errors_by_code.contains_key(&code),
            "{code}: {:?}",
            stats.errors_by_code
        );
    }
    stats
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_dismisses_at_concurrency_100_end_exactly_once() {
    let (sim, ids, outcomes) =
        dismiss_all(20_000, 100, Faults::none(), RetryPolicy::default()).await;
    let stats = assert_exactly_once(&sim, &ids, &outcomes);
    // Nothing failed, so nothing was retried: one request per meeting, no error answer at all.
    assert!(outcomes.iter().all(|(_, r)| {
        r.as_ref().is_ok_and(|d| {
            d.attempts() == 1 && matches!(d.evidence(), Evidence::Answered { status: 200, .. })
        })
    }));
    assert_eq!(stats.dismiss_requests, 20_000);
    assert!(
        stats.errors_by_code.is_empty(),
        "{:?}",
        stats.errors_by_code
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_dismisses_through_random_faults_end_exactly_once() {
    // 8 % of requests fail (dropped, 41 or 960000, HTML 502, or answered with a truncated body
    // after the dismiss was done); with 8 attempts the chance that some meeting fails every
    // attempt is about 2,000 * 0.08^8, or 3 in a million. A truncated answer leaves its attempt's
    // outcome unknown: the retry finds the meeting already ended (13603), and a look-up confirms.
    let faults = Faults {
        drop_share: 0.02,
        error_5xx_share: 0.02,
        html_502_share: 0.02,
        truncated_share: 0.02,
        seed: Some(7),
        ..Faults::none()
    };
    let retry = RetryPolicy::default()
        .max_attempts(8)
        .base_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(100));
    let (sim, ids, outcomes) = dismiss_all(2_000, 100, faults, retry).await;
    let stats = assert_exactly_once(&sim, &ids, &outcomes);
    // Every attempt the client made reached the simulator, and nothing else did.
    let attempts: u64 = outcomes
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(|d| u64::from(d.attempts()))
        .sum();
    assert_eq!(stats.dismiss_requests, attempts);
    assert!(attempts > 2_000, "some attempts failed and were retried");
    assert!(!stats.faults.is_empty(), "{stats:?}");
    // Only the injected 5xx codes and "already ended" after a truncated answer: no retry ever
    // reused a nonce.
    assert!(
        stats.errors_by_code.keys().all(|code| [
            codes::NETWORK_41,
            codes::NETWORK_960000,
            codes::ALREADY_ENDED
        ]
        .contains(code)),
        "{:?}",
        stats.errors_by_code
    );
    // Each success is shown by the service's answer, or (after an unknown attempt) by a look-up.
    let looked_up = outcomes
        .iter()
        .filter(|(_, r)| {
            r.as_ref()
                .is_ok_and(|d| matches!(d.evidence(), Evidence::LookedUp { .. }))
        })
        .count() as u64;
    assert!(looked_up > 0, "a truncated answer was confirmed by look-up");
    assert!(stats.lookup_requests >= looked_up, "{stats:?}");
}
