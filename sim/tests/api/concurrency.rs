//! Many dismisses at once: every meeting ends exactly once, with no replay or signature error.

use std::sync::Arc;
use std::time::Duration;

use tencent_meeting::MeetingStatus;
use tencent_meeting::clock::SystemClock;
use tencent_meeting::{Error, Operator, RetryPolicy};
use tencent_meeting_sim::{MeetingSpec, RateLimits, Simulator, codes};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::common::*;

/// Dismisses `count` fresh meetings with at most `concurrency` in flight; checks every one.
async fn dismiss_many(count: usize, concurrency: usize) {
    // More than the service's 300 a minute, on purpose.
    let sim = start(Simulator::builder().rate_limits(RateLimits::unlimited())).await;
    let ids: Vec<String> = (0..count)
        .map(|_| create(&sim, MeetingSpec::new(ALICE)))
        .collect();
    let client = client_with(
        &sim,
        enterprise(&sim),
        Arc::new(SystemClock),
        RetryPolicy::none(),
        Duration::from_secs(60),
    );
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for id in ids.clone() {
        let client = client.clone();
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("open semaphore");
            dismiss_as(&client, &id, Operator::user_id(ALICE)).await
        });
    }
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined.expect("the task finishes") {
            failures.push(e.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, e.g. {:?}",
        failures.len(),
        failures.first()
    );
    for id in &ids {
        let m = view(&sim, id);
        assert_eq!(
            (m.status, m.dismiss_count),
            (MeetingStatus::Ended, 1),
            "{id}"
        );
    }
    let stats = sim.stats();
    assert_eq!(stats.dismissals, count as u64);
    assert_eq!(stats.dismiss_requests, count as u64);
    assert!(
        stats.errors_by_code.is_empty(),
        "{:?}",
        stats.errors_by_code
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_dismisses_each_end_once() {
    dismiss_many(500, 500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_dismisses_of_one_meeting_end_it_once() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let client = client.clone();
        let id = id.clone();
        tasks.spawn(async move { dismiss_as(&client, &id, Operator::user_id(ALICE)).await });
    }
    let (mut ok, mut ended) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("the task finishes") {
            Ok(_) => ok += 1,
            Err(Error::Api(e)) if e.code() == codes::ALREADY_ENDED => ended += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, ended), (1, 49));
    assert_eq!(view(&sim, &id).dismiss_count, 1);
}
