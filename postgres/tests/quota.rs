//! The shared quota: several processes' limiters (each its own pool here) share one schedule
//! and never grant faster than it; with the database away they wait, then fail, and grant
//! nothing without a slot; when it is back they carry on from the same row.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use tencent_meeting::RateLimiter as _;
use tencent_meeting_postgres::testing::{Cluster, StopMode, TestDatabase};
use tencent_meeting_postgres::{Database, PgRateLimiter};
use tokio::time::Instant;

const APP: &str = "200000001";

fn per(requests: u32, window: Duration) -> (NonZeroU32, Duration) {
    (NonZeroU32::new(requests).expect("non-zero"), window)
}

/// Runs `each` acquisitions on every limiter at once; returns the moments they were granted,
/// sorted.
async fn grants(limiters: &[PgRateLimiter], each: usize) -> Vec<Instant> {
    let mut tasks = Vec::new();
    for limiter in limiters {
        for _ in 0..each {
            let limiter = limiter.clone();
            tasks.push(tokio::spawn(async move {
                limiter.acquire().await.expect("a turn");
                Instant::now()
            }));
        }
    }
    let mut granted = Vec::new();
    for task in tasks {
        granted.push(task.await.expect("the task"));
    }
    granted.sort();
    granted
}

/// The k-th grant (from 0) is no earlier than k periods after `start`: no window of the
/// quota's length sees more than its share, however the grants are spread over the senders.
fn assert_never_faster(start: Instant, granted: &[Instant], period: Duration) {
    for (k, at) in granted.iter().enumerate() {
        let earliest = start + period * k as u32;
        assert!(
            *at >= earliest,
            "grant {k} came {:?} before its slot",
            earliest - *at
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_senders_share_one_schedule() {
    let Some(test_db) = TestDatabase::create("three_senders_share_one_schedule") else {
        return;
    };
    let (requests, window) = per(50, Duration::from_secs(1)); // one every 20 ms
    let mut limiters = Vec::new();
    for _ in 0..3 {
        let db = Database::connect(test_db.url()).await.expect("connects");
        limiters.push(PgRateLimiter::new(&db, APP, requests, window));
    }
    // Another app has a row (and a schedule) of its own.
    let other_db = Database::connect(test_db.url()).await.expect("connects");
    let other = PgRateLimiter::new(&other_db, "200000002", requests, window);
    assert_eq!(other.reserve().await.expect("reserves"), Duration::ZERO);

    let start = Instant::now();
    let granted = grants(&limiters, 10).await;
    assert_eq!(granted.len(), 30);
    assert_never_faster(start, &granted, limiters[0].period());
    // Asked together, they were granted as one schedule: the last no earlier than 29 periods on.
    assert!(granted[29] - start >= limiters[0].period() * 29);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_away_senders_wait_then_fail_and_carry_on_when_it_is_back() {
    let mut cluster = match Cluster::start() {
        Ok(cluster) => cluster,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: no PostgreSQL to start a private cluster with: {e}");
            return;
        }
        Err(e) => panic!("a private cluster: {e}"),
    };
    let (requests, window) = per(20, Duration::from_secs(1)); // one every 50 ms
    let db = Database::builder(cluster.url())
        .timeout(Duration::from_secs(1))
        .connect()
        .await
        .expect("connects");
    let limiter =
        PgRateLimiter::new(&db, APP, requests, window).patience(Duration::from_millis(600));
    let start = Instant::now();
    let before = grants(std::slice::from_ref(&limiter), 5).await;

    cluster.stop(StopMode::Immediate).expect("stops");
    // Away: a request waits its patience, then fails; it is not granted.
    let asked = Instant::now();
    let refused = limiter
        .acquire()
        .await
        .expect_err("no turn without the database");
    assert!(
        asked.elapsed() >= Duration::from_millis(500),
        "it waited first: {refused} ({:?})",
        std::error::Error::source(&refused)
    );
    assert!(
        refused.message().contains("could not be reached"),
        "{refused}"
    );

    // Requests that ask while it is away, and wait long enough, get their turn once it is back.
    let patient = Arc::new(limiter.clone().patience(Duration::from_secs(30)));
    let waiting = {
        let patient = patient.clone();
        tokio::spawn(async move {
            patient
                .acquire()
                .await
                .expect("a turn once the database is back");
            Instant::now()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "no turn while the database is away");
    cluster.restart().expect("starts again");
    let after_restart = waiting.await.expect("the task");
    let after = grants(std::slice::from_ref(&limiter), 5).await;

    // One schedule across the outage: the row survived the crash-like stop.
    let mut granted = before;
    granted.push(after_restart);
    granted.extend(after);
    granted.sort();
    assert_never_faster(start, &granted, limiter.period());
}
