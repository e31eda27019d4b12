//! Fault tolerance of the `tencent-meeting` client against the simulator, on real sockets on
//! 127.0.0.1: every fault knob with its asserted outcome.
//!
//! Each case asserts
//! - the final result (success, or the error a caller sees);
//! - the attempt count, from `Dismissed::attempts` and from the simulator's `stats()`;
//! - that every attempt carried its own nonce: the simulator does not expose the nonces it saw,
//!   so the client talks to the simulator through a small TCP relay ([`NonceTap`]) that reads
//!   the `X-TC-Nonce` header of every request on the wire;
//! - the backoff: the policy's `delay_bounds`, and that consecutive attempts were at least the
//!   lower bound apart (lower bounds only: nothing here asserts that something was fast);
//! - that no meeting was dismissed twice (`dismiss_count`, `stats().dismissals`).

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tencent_meeting::MeetingStatus;
use tencent_meeting::clock::{Clock, SystemClock};
use tencent_meeting::{
    ApiErrorKind, Client, Dismissed, Error, Evidence, Instance, MeetingStatus as Status, Operator,
    RetryPolicy,
};
use tencent_meeting_sim::{
    FailureKind, Faults, MeetingSpec, MeetingView, RateLimits, Simulator, SimulatorBuilder, Stats,
    codes,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const ALICE: &str = "alice";

/// The policy of every retrying client here: 3 attempts, waits in [20, 40] ms then [40, 80] ms.
fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::from_millis(40))
        .max_delay(Duration::from_secs(1))
}

/// One request the relay saw: its nonce and when its header went by.
#[derive(Debug, Clone, Copy)]
struct Seen {
    nonce: u64,
    at: Instant,
}

/// A TCP relay on 127.0.0.1 in front of the simulator that records the `X-TC-Nonce` of every
/// request passing through, and otherwise forwards bytes untouched both ways. When the
/// simulator closes a connection (a dropped or truncated answer), the relay closes it toward the
/// client too, so the client sees what it would see directly.
struct NonceTap {
    base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl NonceTap {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the relay binds");
        let addr = listener.local_addr().expect("a local address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let seen = Arc::clone(&seen);
            async move {
                while let Ok((inbound, _)) = listener.accept().await {
                    tokio::spawn(relay(inbound, upstream, Arc::clone(&seen)));
                }
            }
        });
        Self {
            base_url: format!("http://{addr}"),
            seen,
            task,
        }
    }

    /// Every request seen so far, in order.
    fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets what was seen (between the parts of a test).
    fn clear(&self) {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Drop for NonceTap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Relays one connection; the client-to-server direction is scanned for nonces.
async fn relay(inbound: TcpStream, upstream: SocketAddr, seen: Arc<Mutex<Vec<Seen>>>) {
    let Ok(outbound) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    let (mut client_read, mut client_write) = inbound.into_split();
    let (mut server_read, mut server_write) = outbound.into_split();
    let answers = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });
    let mut buf = vec![0u8; 16 * 1024];
    let mut line = Vec::new();
    loop {
        let n = match client_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' {
                if let Some(nonce) = nonce_of(&line) {
                    seen.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(Seen {
                            nonce,
                            at: Instant::now(),
                        });
                }
                line.clear();
            } else if line.len() < 256 {
                line.push(b);
            }
        }
        if server_write.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    // Half-close toward the server, as the client did: the simulator may still answer.
    let _ = server_write.shutdown().await;
    let _ = answers.await;
}

/// The value of an `X-TC-Nonce` header line.
fn nonce_of(line: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(line).ok()?;
    let (name, value) = text.split_once(':')?;
    if !name.trim().eq_ignore_ascii_case("x-tc-nonce") {
        return None;
    }
    value.trim().parse().ok()
}

/// A simulator, the relay in front of it, and a client pointed at the relay.
struct Rig {
    sim: Simulator,
    tap: NonceTap,
    client: Client,
    policy: RetryPolicy,
}

impl Rig {
    async fn new(builder: SimulatorBuilder, policy: RetryPolicy, timeout: Duration) -> Self {
        Self::with_clock(builder, policy, timeout, Arc::new(SystemClock)).await
    }

    async fn with_clock(
        builder: SimulatorBuilder,
        policy: RetryPolicy,
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let sim = builder.start().await.expect("the simulator starts");
        let tap = NonceTap::start(sim.addr()).await;
        // Through the tap, which records every attempt's nonce.
        let client = sim
            .client_builder()
            .base_url(&tap.base_url)
            .retry(policy)
            .timeout(timeout)
            .clock(clock)
            .build()
            .expect("the client builds");
        Self {
            sim,
            tap,
            client,
            policy,
        }
    }

    fn meeting(&self) -> String {
        self.sim
            .create_meeting(MeetingSpec::new(ALICE))
            .expect("the meeting is created")
    }

    fn view(&self, id: &str) -> MeetingView {
        self.sim.meeting(id).expect("the meeting exists")
    }

    async fn dismiss(&self, id: &str) -> Result<Dismissed, Error> {
        self.client
            .dismiss_meeting(id)
            .operator(Operator::user_id(ALICE))
            .instance(Instance::Pc)
            .reason_code(1)
            .send()
            .await
    }

    fn faults(&self, faults: Faults) {
        self.sim.set_faults(faults).expect("valid faults");
    }

    /// Asserts that the relay saw exactly `attempts` requests, each with its own nonce, and that
    /// each retry came at least the policy's lower bound after the attempt before it.
    fn assert_attempts_on_the_wire(&self, attempts: u32) {
        self.assert_attempts_then_a_look_up(attempts, 0);
    }

    /// [`Self::assert_attempts_on_the_wire`], where `look_ups` look-ups (at once, with their own
    /// nonces) followed the attempts.
    fn assert_attempts_then_a_look_up(&self, attempts: u32, look_ups: u32) {
        let seen = self.tap.seen();
        assert_eq!(
            seen.len(),
            (attempts + look_ups) as usize,
            "requests on the wire: {seen:?}"
        );
        let distinct: HashSet<u64> = seen.iter().map(|s| s.nonce).collect();
        assert_eq!(distinct.len(), seen.len(), "a nonce was reused: {seen:?}");
        for (i, pair) in seen[..attempts as usize].windows(2).enumerate() {
            let failed_attempt = i as u32 + 1;
            let (low, _) = self.policy.delay_bounds(failed_attempt);
            let gap = pair[1].at.duration_since(pair[0].at);
            assert!(
                gap >= low,
                "attempt {} came {gap:?} after attempt {failed_attempt}, less than the policy's {low:?}",
                failed_attempt + 1
            );
        }
    }
}

/// The error counts of `stats` without the codes that mean an authentication failure, which
/// must never appear: a replayed nonce (190301) or a bad signature (200003).
fn assert_no_auth_errors(stats: &Stats) {
    for code in [codes::REPLAY, codes::SIGNATURE] {
        assert!(
            !stats.errors_by_code.contains_key(&code),
            "{code} in {:?}",
            stats.errors_by_code
        );
    }
}

fn counts<const N: usize>(pairs: [(i64, u64); N]) -> BTreeMap<i64, u64> {
    pairs.into_iter().collect()
}

fn fault_counts<const N: usize>(pairs: [(&str, u64); N]) -> BTreeMap<String, u64> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Polls (boundedly: 10 s at most) until `done` holds of the simulator's stats. Used where the
/// simulator finishes work after the client gave up; a lower bound on patience, not a timing
/// assertion.
async fn settle(sim: &Simulator, done: impl Fn(&Stats) -> bool) -> Stats {
    for _ in 0..400 {
        let stats = sim.stats();
        if done(&stats) {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    sim.stats()
}

#[test]
fn the_policy_bounds_every_wait() {
    let p = policy();
    assert_eq!(p.attempts(), 3);
    assert_eq!(
        p.delay_bounds(1),
        (Duration::from_millis(20), Duration::from_millis(40))
    );
    assert_eq!(
        p.delay_bounds(2),
        (Duration::from_millis(40), Duration::from_millis(80))
    );
    // The cap holds however late the attempt.
    assert_eq!(
        p.delay_bounds(12),
        (Duration::from_millis(500), Duration::from_secs(1))
    );
    for attempt in 1..=12 {
        let (low, high) = p.delay_bounds(attempt);
        for _ in 0..50 {
            let d = p.delay(attempt);
            assert!(low <= d && d <= high, "{d:?} outside [{low:?}, {high:?}]");
        }
    }
}

#[tokio::test]
async fn a_connection_closed_before_the_answer_is_retried_and_the_meeting_ends_once() {
    let rig = Rig::new(
        Simulator::builder().faults(Faults::none().fail_next(1, FailureKind::Drop)),
        policy(),
        Duration::from_secs(10),
    )
    .await;
    let id = rig.meeting();
    let started = Instant::now();
    let done = rig.dismiss(&id).await.expect("dismissed on the retry");
    let elapsed = started.elapsed();
    assert_eq!(done.attempts(), 2);
    // The connection closed before anything was handled: the retry did the dismiss itself, and
    // its answer shows it.
    assert_answered(&done);
    assert!(elapsed >= policy().delay_bounds(1).0, "{elapsed:?}");
    rig.assert_attempts_on_the_wire(2);
    let stats = rig.sim.stats();
    assert_eq!(stats.dismiss_requests, 2);
    assert_eq!(stats.dismissals, 1);
    assert_eq!(stats.faults, fault_counts([("drop", 1)]));
    assert!(
        stats.errors_by_code.is_empty(),
        "{:?}",
        stats.errors_by_code
    );
    assert_eq!(rig.view(&id).dismiss_count, 1);

    // Closed on every attempt after the request was written: the client cannot know whether the
    // meeting ended, and says so (here nothing was dismissed).
    rig.tap.clear();
    rig.faults(Faults::none().fail_next(3, FailureKind::Drop));
    let other = rig.meeting();
    match rig.dismiss(&other).await {
        Err(Error::OutcomeUnknown(u)) => {
            assert_eq!(u.attempts(), 3);
            assert!(
                matches!(u.last(), Error::Transport(t) if t.maybe_sent()),
                "{u:?}"
            );
        }
        result => panic!("expected an unknown outcome, got {result:?}"),
    }
    rig.assert_attempts_on_the_wire(3);
    let stats = rig.sim.stats();
    assert_eq!(stats.dismiss_requests, 2 + 3);
    assert_eq!(stats.faults, fault_counts([("drop", 4)]));
    assert_eq!(stats.dismissals, 1);
    let m = rig.view(&other);
    assert_eq!((m.status, m.dismiss_count), (MeetingStatus::Started, 0));
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_times_out_every_attempt_and_ends_the_meeting_once() {
    let timeout = Duration::from_millis(200);
    let rig = Rig::new(
        Simulator::builder().faults(Faults::none().latency(Duration::from_millis(800))),
        policy(),
        timeout,
    )
    .await;
    let id = rig.meeting();
    let started = Instant::now();
    let result = rig.dismiss(&id).await;
    let elapsed = started.elapsed();
    match &result {
        Err(e @ Error::OutcomeUnknown(u)) => {
            assert!(e.maybe_applied());
            assert!(
                matches!(u.last(), Error::Timeout(t) if t.after() == timeout && t.maybe_sent()),
                "{u:?}"
            );
        }
        other => panic!("expected an unknown outcome, got {other:?}"),
    }
    // Three attempts, each waited out, and the two waits between them.
    let floor = timeout * 3 + policy().delay_bounds(1).0 + policy().delay_bounds(2).0;
    assert!(elapsed >= floor, "{elapsed:?} < {floor:?}");
    rig.assert_attempts_on_the_wire(3);
    assert_eq!(rig.sim.stats().dismiss_requests, 3);

    // The simulator still handles each attempt once its latency is over, although the client
    // has gone: the first ends the meeting, the two later ones find it ended (13603). So the
    // client's "timeout" hid a dismiss that happened, and it happened exactly once.
    let stats = settle(&rig.sim, |s| {
        s.dismissals + s.errors_by_code.values().sum::<u64>() >= 3
    })
    .await;
    assert_eq!(stats.dismissals, 1, "{stats:?}");
    assert_eq!(
        stats.errors_by_code,
        counts([(codes::ALREADY_ENDED, 2)]),
        "the later attempts were refused, not replayed"
    );
    assert_no_auth_errors(&stats);
    let m = rig.view(&id);
    assert_eq!((m.status, m.dismiss_count), (MeetingStatus::Ended, 1));
}

#[tokio::test]
async fn a_truncated_answer_to_a_dismiss_is_confirmed_by_a_look_up_and_the_meeting_ends_once() {
    for empty_object_success in [false, true] {
        let rig = Rig::new(
            Simulator::builder()
                .empty_object_success(empty_object_success)
                .faults(Faults::none().fail_next(1, FailureKind::Truncated)),
            policy(),
            Duration::from_secs(10),
        )
        .await;
        let id = rig.meeting();
        let done = rig.dismiss(&id).await.expect("dismissed");
        // The answer was cut short, so the first attempt's outcome is unknown; the retry finds
        // the meeting already ended (13603) and a look-up shows it ended: done, and said how.
        assert_eq!(
            done.attempts(),
            2,
            "empty_object_success {empty_object_success}"
        );
        assert!(
            matches!(
                done.evidence(),
                Evidence::LookedUp {
                    status: 400,
                    looked_up: Status::Ended,
                    ..
                }
            ),
            "{:?}",
            done.evidence()
        );
        rig.assert_attempts_then_a_look_up(2, 1);
        let stats = rig.sim.stats();
        assert_eq!(stats.faults, fault_counts([("truncated", 1)]));
        assert_eq!(
            (
                stats.dismiss_requests,
                stats.lookup_requests,
                stats.dismissals
            ),
            (2, 1, 1)
        );
        assert_eq!(stats.errors_by_code, counts([(codes::ALREADY_ENDED, 1)]));
        let m = rig.view(&id);
        assert_eq!((m.status, m.dismiss_count), (MeetingStatus::Ended, 1));
    }
}

#[tokio::test]
async fn a_truncated_look_up_is_retried_before_the_dismiss() {
    let rig = Rig::new(
        Simulator::builder().faults(Faults::none().fail_next(1, FailureKind::Truncated)),
        policy(),
        Duration::from_secs(10),
    )
    .await;
    let id = rig.meeting();
    let done = rig
        .client
        .dismiss_meeting(&id)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .reason_code(1)
        .lookup()
        .send()
        .await
        .expect("looked up on the retry, then dismissed");
    // `attempts` counts the dismiss's own attempts; the look-up's retry shows in the stats.
    assert_eq!(done.attempts(), 1);
    assert_answered(&done);
    // Two look-ups (the first cut short, read-only so retried after a wait) and one dismiss,
    // each with its own nonce.
    let seen = rig.tap.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    let distinct: HashSet<u64> = seen.iter().map(|s| s.nonce).collect();
    assert_eq!(distinct.len(), 3, "a nonce was reused: {seen:?}");
    let retry_gap = seen[1].at.duration_since(seen[0].at);
    assert!(retry_gap >= policy().delay_bounds(1).0, "{retry_gap:?}");
    let stats = rig.sim.stats();
    assert_eq!(
        (
            stats.lookup_requests,
            stats.dismiss_requests,
            stats.dismissals
        ),
        (2, 1, 1)
    );
    assert_eq!(stats.faults, fault_counts([("truncated", 1)]));
    assert_eq!(rig.view(&id).dismiss_count, 1);
}

#[tokio::test]
async fn an_html_502_is_retried_and_a_lasting_one_leaves_the_outcome_unknown() {
    let rig = Rig::new(
        Simulator::builder().faults(Faults::none().fail_next(1, FailureKind::Html502)),
        policy(),
        Duration::from_secs(10),
    )
    .await;
    let id = rig.meeting();
    let done = rig.dismiss(&id).await.expect("dismissed on the retry");
    assert_eq!(done.attempts(), 2);
    assert_answered(&done);
    rig.assert_attempts_on_the_wire(2);
    assert_eq!(rig.view(&id).dismiss_count, 1);

    rig.tap.clear();
    rig.faults(Faults::none().fail_next(3, FailureKind::Html502));
    let other = rig.meeting();
    match rig.dismiss(&other).await {
        // A gateway's page is not the service's answer: the service may have acted behind it
        // (here it did not), so the outcome is unknown, and the error says what came last.
        Err(Error::OutcomeUnknown(u)) => {
            assert_eq!(u.attempts(), 3);
            let Error::Decode(d) = u.last() else {
                panic!("expected a decode error last, got {:?}", u.last())
            };
            assert_eq!((d.status(), d.not_json(), d.attempts()), (502, true, 3));
        }
        result => panic!("expected an unknown outcome, got {result:?}"),
    }
    rig.assert_attempts_on_the_wire(3);
    let stats = rig.sim.stats();
    assert_eq!(stats.dismiss_requests, 2 + 3);
    assert_eq!(stats.faults, fault_counts([("html_502", 4)]));
    assert_eq!(stats.dismissals, 1);
    assert_eq!(rig.view(&other).status, MeetingStatus::Started);
}

#[tokio::test]
async fn codes_41_and_960000_are_retried_until_the_attempts_run_out() {
    let rig = Rig::new(
        Simulator::builder().faults(
            Faults::none()
                .fail_next(1, FailureKind::Code41)
                .fail_next(1, FailureKind::Code960000),
        ),
        policy(),
        Duration::from_secs(10),
    )
    .await;
    let id = rig.meeting();
    let started = Instant::now();
    let done = rig
        .dismiss(&id)
        .await
        .expect("dismissed on the third attempt");
    let elapsed = started.elapsed();
    assert_eq!(done.attempts(), 3);
    assert_answered(&done);
    let floor = policy().delay_bounds(1).0 + policy().delay_bounds(2).0;
    assert!(elapsed >= floor, "{elapsed:?} < {floor:?}");
    rig.assert_attempts_on_the_wire(3);
    let stats = rig.sim.stats();
    assert_eq!(
        stats.errors_by_code,
        counts([(codes::NETWORK_41, 1), (codes::NETWORK_960000, 1)])
    );
    assert_eq!((stats.dismiss_requests, stats.dismissals), (3, 1));
    assert_eq!(rig.view(&id).dismiss_count, 1);

    // 960000 on every attempt: the last answer is the error, and the meeting is untouched.
    rig.tap.clear();
    rig.faults(Faults::none().fail_next(3, FailureKind::Code960000));
    let other = rig.meeting();
    match rig.dismiss(&other).await {
        Err(Error::Api(a)) => assert_eq!(
            (a.status(), a.code(), a.kind(), a.attempts()),
            (500, codes::NETWORK_960000, ApiErrorKind::Internal, 3)
        ),
        result => panic!("expected 960000, got {result:?}"),
    }
    rig.assert_attempts_on_the_wire(3);
    assert_eq!(rig.view(&other).status, MeetingStatus::Started);
    // Once the service recovers, the same call goes through at once.
    rig.tap.clear();
    let done = rig.dismiss(&other).await.expect("dismissed");
    assert_eq!(done.attempts(), 1);
    rig.assert_attempts_on_the_wire(1);
    let stats = rig.sim.stats();
    assert_eq!(
        stats.errors_by_code,
        counts([(codes::NETWORK_41, 1), (codes::NETWORK_960000, 4)])
    );
    assert_eq!((stats.dismiss_requests, stats.dismissals), (3 + 3 + 1, 2));
    assert_eq!(rig.view(&other).dismiss_count, 1);
}

/// The system clock moved by a fixed offset, shared by the simulator and the client: real time
/// flows, from a chosen point in a minute.
#[derive(Debug)]
struct OffsetClock(i64);

impl OffsetClock {
    /// A clock that reads `into_minute` into the current minute now.
    fn at(into_minute: Duration) -> Self {
        let now = SystemClock.now_unix_millis();
        let target = now / 60_000 * 60_000 + into_minute.as_millis() as u64;
        Self(target as i64 - now as i64)
    }
}

impl Clock for OffsetClock {
    fn now_unix_millis(&self) -> u64 {
        (SystemClock.now_unix_millis() as i64 + self.0) as u64
    }
}

#[tokio::test]
async fn the_per_minute_quota_is_retried_in_the_next_minute_or_reported_when_the_deadline_is_near()
{
    // The simulator's own per-minute limit (one request a minute), on a clock both sides share,
    // 57 s into a minute. Its limiter runs after authentication, so every attempt here was
    // verified and checked for replay: a reused nonce would have answered 190301, not 190310.
    let clock = Arc::new(OffsetClock::at(Duration::from_secs(57)));
    let rig = Rig::with_clock(
        Simulator::builder()
            .clock(clock.clone())
            .rate_limits(RateLimits::unlimited().per_minute(1)),
        policy(),
        Duration::from_secs(10),
        clock.clone(),
    )
    .await;
    let first = rig.meeting();
    let second = rig.meeting();
    rig.dismiss(&first).await.expect("the minute's one request");
    rig.tap.clear();
    // 190310: a retry within the minute cannot succeed, so the client waits for the next one.
    let started = Instant::now();
    let done = rig
        .dismiss(&second)
        .await
        .expect("dismissed in the next minute");
    assert_eq!(done.attempts(), 2);
    assert_answered(&done);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited a window, not more"
    );
    let seen = rig.tap.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let stats = rig.sim.stats();
    assert_eq!(stats.errors_by_code, counts([(codes::RATE_LIMITED, 1)]));
    assert_eq!((stats.dismiss_requests, stats.dismissals), (3, 2));
    assert_no_auth_errors(&stats);

    // Early in a minute with a deadline of 2 s: waiting ~55 s for the next minute would pass the
    // deadline, so the call ends with the 190310 answer at once, and says it is per minute.
    let clock = Arc::new(OffsetClock::at(Duration::from_secs(5)));
    let rig = Rig::with_clock(
        Simulator::builder()
            .clock(clock.clone())
            .rate_limits(RateLimits::unlimited().per_minute(1)),
        policy(),
        Duration::from_secs(10),
        clock.clone(),
    )
    .await;
    let first = rig.meeting();
    let second = rig.meeting();
    rig.dismiss(&first).await.expect("the minute's one request");
    rig.tap.clear();
    let result = rig
        .client
        .dismiss_meeting(&second)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .reason_code(1)
        .deadline(Duration::from_secs(2))
        .send()
        .await;
    match &result {
        Err(e @ Error::Api(a)) => {
            assert_eq!(a.kind(), ApiErrorKind::RateLimitedPerMinute);
            assert_eq!(
                (a.status(), a.code(), a.attempts()),
                (400, codes::RATE_LIMITED, 1)
            );
            assert!(!e.maybe_applied());
        }
        other => panic!("expected 190310, got {other:?}"),
    }
    rig.assert_attempts_on_the_wire(1);
    assert_eq!(rig.view(&second).status, MeetingStatus::Started);
}

#[tokio::test]
async fn a_timeout_after_the_server_dismissed_is_confirmed_by_a_look_up() {
    let timeout = Duration::from_millis(300);
    let rig = Rig::new(
        Simulator::builder().faults(Faults::none().latency_after_dismiss(Duration::from_secs(3))),
        policy(),
        timeout,
    )
    .await;
    let id = rig.meeting();
    let started = Instant::now();
    let done = rig.dismiss(&id).await.expect("confirmed by a look-up");
    let elapsed = started.elapsed();
    // Attempt 1 ended the meeting but its answer came too late; attempt 2 found it ended
    // (13603, answered at once), and a look-up showed it ended: done, confirmed by look-up.
    assert_eq!(done.attempts(), 2);
    assert!(
        matches!(
            done.evidence(),
            Evidence::LookedUp {
                status: 400,
                looked_up: Status::Ended,
                ..
            }
        ),
        "{:?}",
        done.evidence()
    );
    let floor = timeout + policy().delay_bounds(1).0;
    assert!(elapsed >= floor, "{elapsed:?} < {floor:?}");
    rig.assert_attempts_then_a_look_up(2, 1);
    let stats = rig.sim.stats();
    assert_eq!(
        (
            stats.dismiss_requests,
            stats.lookup_requests,
            stats.dismissals
        ),
        (2, 1, 1)
    );
    assert_eq!(stats.errors_by_code, counts([(codes::ALREADY_ENDED, 1)]));
    assert_no_auth_errors(&stats);
    let m = rig.view(&id);
    assert_eq!((m.status, m.dismiss_count), (MeetingStatus::Ended, 1));

    // Without retries the caller learns the outcome is unknown, and the meeting still ended
    // exactly once.
    let single = Rig::new(
        Simulator::builder().faults(Faults::none().latency_after_dismiss(Duration::from_secs(3))),
        RetryPolicy::none(),
        timeout,
    )
    .await;
    let id = single.meeting();
    let result = single.dismiss(&id).await;
    assert!(
        matches!(&result, Err(e @ Error::OutcomeUnknown(_)) if e.maybe_applied()),
        "{result:?}"
    );
    single.assert_attempts_on_the_wire(1);
    let m = single.view(&id);
    assert_eq!((m.status, m.dismiss_count), (MeetingStatus::Ended, 1));
}

/// The dismiss was shown done by the service's own success answer.
fn assert_answered(done: &Dismissed) {
    assert!(
        matches!(done.evidence(), Evidence::Answered { status: 200, .. }),
        "{:?}",
        done.evidence()
    );
}

#[tokio::test]
async fn a_gateways_page_after_the_service_acted_is_never_a_failure_or_already_ended() {
    // The service commits the dismiss; a gateway answers in its place.
    for (kind, name) in [
        (FailureKind::Html504AfterCommit, "html_504_after_commit"),
        (FailureKind::Proxy200AfterCommit, "proxy_200_after_commit"),
    ] {
        // First attempt only: a 504 is retried, the retry finds the meeting ended, and a look-up
        // settles it; a 200 page is not retried, so the outcome stays unknown.
        let rig = Rig::new(
            Simulator::builder().faults(Faults::none().fail_next(1, kind.clone())),
            policy(),
            Duration::from_secs(10),
        )
        .await;
        let id = rig.meeting();
        match (rig.dismiss(&id).await, &kind) {
            (Ok(done), FailureKind::Html504AfterCommit) => assert!(
                matches!(
                    done.evidence(),
                    Evidence::LookedUp {
                        looked_up: Status::Ended,
                        ..
                    }
                ),
                "{done:?}"
            ),
            (Err(Error::OutcomeUnknown(u)), FailureKind::Proxy200AfterCommit) => {
                assert!(
                    matches!(u.last(), Error::Decode(d) if d.status() == 200),
                    "{u:?}"
                )
            }
            (other, _) => panic!("{name}, first attempt: {other:?}"),
        }
        let m = rig.view(&id);
        assert_eq!(
            (m.status, m.dismiss_count),
            (MeetingStatus::Ended, 1),
            "{name}"
        );
        assert_eq!(rig.sim.stats().faults, fault_counts([(name, 1)]));

        // Every attempt: unknown, never "failed" nor "already ended".
        let rig = Rig::new(
            Simulator::builder().faults(Faults::none().fail_next(10, kind.clone())),
            policy(),
            Duration::from_secs(10),
        )
        .await;
        let id = rig.meeting();
        let e = rig.dismiss(&id).await.expect_err("unknown");
        assert!(
            matches!(&e, Error::OutcomeUnknown(u) if matches!(u.last(), Error::Decode(_))),
            "{name}, every attempt: {e:?}"
        );
        assert!(e.maybe_applied());
        let m = rig.view(&id);
        assert_eq!(
            (m.status, m.dismiss_count),
            (MeetingStatus::Ended, 1),
            "{name}"
        );
    }
}
