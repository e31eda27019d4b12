//! The figures of BENCHMARKS.md for several replicas on one PostgreSQL (run in release):
//!
//! - `load events URL[,URL…] [DELIVERIES] [CONCURRENCY]`: posts signed `meeting.end` deliveries
//!   (plain mode, Token from $TENCENT_MEETING_WEBHOOK_TOKEN) round-robin to the receivers at the
//!   URLs (`tencent-meeting events listen --store postgres://…`), as the platform behind a load
//!   balancer would, and prints deliveries per second and the latency of each answer (p50,
//!   p99). Every answer must be 200.
//! - `load confirm DATABASE_URL [EVENTS]`: stores one `meeting.end` at a time through a
//!   `PgEventStore` while a `PgEventFeed` (its own connection, as in another process) feeds a
//!   `MeetingEndWaiter` watching for it; prints the time from the commit (the store's `Ok`) to
//!   the waiter seeing the event (p50, p99).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tencent_meeting::webhook::event::parse_event;
use tencent_meeting::webhook::sender::MeetingEndNotice;
use tencent_meeting::webhook::store::EventStore as _;
use tencent_meeting::webhook::{MeetingEndFilter, MeetingEndWaiter, Webhook};
use tencent_meeting_postgres::{Database, PgEventFeed, PgEventStore};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: usize| -> Result<usize> {
        Ok(args
            .get(i)
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(default))
    };
    match args.first().map(String::as_str) {
        Some("events") => {
            let urls: Vec<String> = args
                .get(1)
                .ok_or("events: the receivers' URLs, comma-separated")?
                .split(',')
                .map(str::to_string)
                .collect();
            events(urls, arg(2, 20_000)?, arg(3, 32)?).await
        }
        Some("confirm") => {
            let url = args.get(1).ok_or("confirm: the database URL")?;
            confirm(url, arg(2, 1000)?).await
        }
        _ => Err("usage: load events URL[,URL…] [DELIVERIES] [CONCURRENCY] | load confirm DATABASE_URL [EVENTS]".into()),
    }
}

/// A unique meeting ID and time for this run's `n`-th event.
fn notice(run: u128, n: usize) -> MeetingEndNotice {
    MeetingEndNotice::new(
        format!("load-{run}-{n}"),
        format!("{}{n:08}", run % 1_000_000_000),
        1_700_000_000_000 + n as i64,
    )
}

fn run_id() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

async fn events(urls: Vec<String>, deliveries: usize, concurrency: usize) -> Result<()> {
    let token = std::env::var("TENCENT_MEETING_WEBHOOK_TOKEN")
        .map_err(|_| "set TENCENT_MEETING_WEBHOOK_TOKEN (the receivers' Token)")?;
    let webhook = Webhook::new(token, None)?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let run = run_id();
    let started = Instant::now();
    let lanes: Vec<_> = (0..concurrency)
        .map(|lane| {
            let (http, webhook, urls) = (http.clone(), webhook.clone(), urls.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for n in (lane..deliveries).step_by(concurrency) {
                    let sealed = webhook.seal_event(
                        &notice(run, n).to_json(),
                        "1700000000123",
                        &n.to_string(),
                    );
                    let sent = Instant::now();
                    let answer = http
                        .post(&urls[n % urls.len()])
                        .headers(sealed.header_map())
                        .header("content-type", "application/json")
                        .body(sealed.body)
                        .send()
                        .await?;
                    if answer.status() != 200 {
                        return Err(format!("delivery {n}: {}", answer.status()).into());
                    }
                    latencies.push(sent.elapsed());
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for lane in lanes {
        latencies.extend(lane.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{deliveries} deliveries to {} receiver(s), {concurrency} at a time: {:.0} deliveries/s; \
         answer latency {}",
        urls.len(),
        deliveries as f64 / elapsed,
        percentiles(&mut latencies)
    );
    Ok(())
}

async fn confirm(url: &str, n: usize) -> Result<()> {
    let receiver_db = Database::connect(url).await?;
    let store = PgEventStore::new(&receiver_db);
    let feed_db = Database::connect(url).await?;
    let waiter = MeetingEndWaiter::new();
    let _feed = PgEventFeed::start(&feed_db, waiter.clone()).await?;
    let run = run_id();
    let mut latencies = Vec::new();
    for i in 0..n {
        let notice = notice(run, i);
        let events = parse_event(&notice.to_json())?;
        let watch = waiter.watch(MeetingEndFilter::meeting(&notice.meeting_id));
        let seen = tokio::spawn(async move {
            let end = watch.wait(Duration::from_secs(10)).await;
            (end, Instant::now())
        });
        store.append(events).await?;
        let committed = Instant::now();
        let (end, at) = seen.await?;
        end?;
        latencies.push(at.saturating_duration_since(committed));
    }
    println!(
        "{n} events, one at a time: from the commit to the waiter (another connection's feed) {}",
        percentiles(&mut latencies)
    );
    Ok(())
}

fn percentiles(latencies: &mut [Duration]) -> String {
    latencies.sort();
    let at = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        at(0.50),
        at(0.99),
        at(1.0)
    )
}
