//! `tencent-meeting events listen` facing strangers, as processes over real sockets: a stdout
//! nobody reads never blocks a delivery, and the server's timeouts and limits (idle, slow
//! header, missing body, a connection flood at a low descriptor limit, Ctrl-C with a slow
//! client) close what must be closed while honest deliveries are still answered.
//!
//! No assertion here is on time: ceilings only catch a hang (the old receiver hung forever).

mod common;

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use common::receiver::{
    Listener, Mode, connect, meeting_end, post_head, read_until_closed, records, runtime,
    store_path,
};

/// Every delivery here is in AES mode.
const MODE: Mode = Mode::Aes;

/// `events listen` with `extra` flags and a stdout this test holds open and never reads, under
/// `ulimit -n` when `nofile` is given.
fn start(store: &Path, extra: &[&str], nofile: Option<u32>) -> Listener {
    let builder = Listener::builder(store)
        .mode(MODE)
        .args(extra)
        .stdout_unread();
    match nofile {
        Some(files) => builder.max_open_files(files).start(),
        None => builder.start(),
    }
}

/// A client whose every request gives up after a minute: that catches a hang, it measures
/// nothing.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Posts delivery `i`; the status, or the error as text.
async fn post(http: &reqwest::Client, url: &str, i: usize) -> Result<u16, String> {
    common::receiver::post(http, url, &meeting_end(MODE, i)).await
}

/// The signed URL check; its status and body.
async fn url_check(http: &reqwest::Client, url: &str) -> Result<(u16, String), String> {
    let check = MODE
        .webhook()
        .seal_url_check("still-here", "1700000000123", "9");
    let answer = http
        .get(format!("{url}?{}", check.query))
        .headers(check.header_map())
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = answer.status().as_u16();
    Ok((status, answer.text().await.unwrap_or_default()))
}

/// Waits until stderr has `words` (the reader thread may be a line behind); a minute is a hang.
fn wait_for(listener: &Listener, words: &str) {
    assert!(
        listener.wait_for_stderr(words),
        "never said {words:?}: {}",
        listener.stderr()
    );
}

/// How many records the store holds.
fn stored_lines(path: &Path) -> usize {
    records(path).len()
}

/// Bullet 1 of issue 20: with stdout a pipe nobody reads (it holds 64 KiB, about 250 events;
/// the listener queues 1,024 more), 2,000 deliveries are all stored and answered 200, the URL check still answers, the events
/// that could not be printed are said once on stderr, and counted at exit.
#[test]
fn a_stdout_nobody_reads_blocks_no_delivery() {
    const DELIVERIES: usize = 2_000;
    let store = store_path("stalled-stdout");
    let mut listener = start(&store, &[], None);
    let http = client();
    runtime().block_on(async {
        // 16 senders at a time, as a platform delivering a burst might; the first batch not
        // all answered 200 fails the test.
        for chunk in (0..DELIVERIES).collect::<Vec<_>>().chunks(16) {
            let sends = chunk.iter().map(|i| post(&http, &listener.url, *i));
            let answers = futures::future::join_all(sends).await;
            let failed: Vec<_> = chunk
                .iter()
                .zip(&answers)
                .filter(|(_, a)| **a != Ok(200))
                .collect();
            assert!(
                failed.is_empty(),
                "deliveries not answered 200 after {} were: {failed:?}",
                chunk[0]
            );
        }
        let check = url_check(&http, &listener.url).await;
        assert_eq!(
            check,
            Ok((200, "still-here".to_string())),
            "the URL check answers"
        );
    });
    assert_eq!(stored_lines(&store), DELIVERIES, "every delivery is stored");
    wait_for(&listener, "not being read");
    let stderr = listener.stderr();
    assert_eq!(
        stderr.matches("not being read").count(),
        1,
        "the stall is said once: {stderr}"
    );
    let (status, _) =
        listener.signal_and_wait(nix::sys::signal::Signal::SIGTERM, Duration::from_secs(60));
    assert!(status.success(), "{status:?}");
    wait_for(&listener, "stored but not printed");
    let stderr = listener.stderr();
    let unprinted = stderr
        .lines()
        .find(|l| l.contains("stored but not printed"))
        .unwrap_or_else(|| panic!("no count at exit: {stderr}"));
    let count: usize = unprinted
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number in {unprinted:?}"));
    assert!(
        count > 0 && count < DELIVERIES,
        "some, not all, could not be printed: {unprinted}"
    );
}

/// Bullet 2: an idle connection, a header sent a byte at a time, a kept-alive connection that
/// goes quiet, a body that never comes and a declared body over the limit are each closed by
/// the listener (here with 1 s timeouts), and it still takes an honest delivery.
#[test]
fn idle_slow_and_bodiless_connections_are_closed() {
    let store = store_path("timeouts");
    let listener = start(
        &store,
        &[
            "--header-timeout",
            "1",
            "--body-timeout",
            "1",
            "--idle-timeout",
            "1",
        ],
        None,
    );
    let addr = listener.addr.clone();

    // Opened and never used.
    let mut idle = connect(&addr);
    // A header a byte every 100 ms: whole only after minutes.
    let mut slow = connect(&addr);
    let mut slow_writer = slow.try_clone().expect("clone");
    let dribble = std::thread::spawn(move || {
        let head = post_head(MODE, 1, 10);
        for byte in head.as_bytes().iter().cycle().take(600) {
            if slow_writer.write_all(&[*byte]).is_err() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    });
    // A head declaring 1,000 bytes, then nothing.
    let mut bodiless = connect(&addr);
    bodiless
        .write_all(post_head(MODE, 2, 1000).as_bytes())
        .expect("sent");
    // A head declaring 100,000,000,000 bytes: over the 1 MiB limit.
    let mut huge = connect(&addr);
    huge.write_all(post_head(MODE, 3, 100_000_000_000).as_bytes())
        .expect("sent");
    // One answered request (the URL check), then quiet.
    let mut kept_alive = connect(&addr);
    let check = MODE.webhook().seal_url_check("hi", "1700000000123", "7");
    let mut get = format!("GET /hook?{} HTTP/1.1\r\nhost: localhost\r\n", check.query);
    for (name, value) in &check.header_map() {
        get.push_str(&format!("{name}: {}\r\n", value.to_str().expect("ASCII")));
    }
    get.push_str("\r\n");
    kept_alive.write_all(get.as_bytes()).expect("sent");

    let idle_got = read_until_closed(&mut idle).expect("the idle connection is closed");
    assert_eq!(idle_got, "", "closed without an answer");
    let slow_got = read_until_closed(&mut slow).expect("the slow header is closed");
    assert!(
        !slow_got.starts_with("HTTP/1.1 2"),
        "never answered as a request: {slow_got:?}"
    );
    assert!(
        dribble.join().expect("the writer"),
        "the writer saw its connection closed"
    );
    let bodiless_got = read_until_closed(&mut bodiless).expect("the bodiless post is closed");
    assert!(bodiless_got.starts_with("HTTP/1.1 408"), "{bodiless_got:?}");
    let huge_got = read_until_closed(&mut huge).expect("the huge post is closed");
    assert!(huge_got.starts_with("HTTP/1.1 413"), "{huge_got:?}");
    let kept_got = read_until_closed(&mut kept_alive).expect("the quiet keep-alive is closed");
    assert!(
        kept_got.starts_with("HTTP/1.1 200") && kept_got.ends_with("hi"),
        "answered, then closed: {kept_got:?}"
    );

    assert_eq!(stored_lines(&store), 0, "nothing half-received was stored");
    let status = runtime().block_on(post(&client(), &listener.url, 4));
    assert_eq!(status, Ok(200));
    assert_eq!(stored_lines(&store), 1);
}

/// Bullet 2: under `ulimit -n 1024`, 1,100 connections opened and held idle (with timeouts
/// long enough that only the connection cap can help) do not starve honest senders: every
/// delivery is answered 200, the oldest idle connections being closed to make room. The
/// latencies are printed (`--nocapture`) for BENCHMARKS.md, not asserted.
#[test]
fn a_flood_of_idle_connections_at_a_low_descriptor_limit_starves_no_honest_delivery() {
    const FLOOD: usize = 1_100;
    const HONEST: usize = 30;
    let store = store_path("flood");
    let listener = start(
        &store,
        &["--header-timeout", "120", "--idle-timeout", "120"],
        Some(1024),
    );
    let mut flood = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        match TcpStream::connect(&listener.addr) {
            Ok(stream) => flood.push(stream),
            // The kernel's backlog is full: the flood is as big as it gets.
            Err(e) => panic!("the flood's connection {} failed: {e}", flood.len()),
        }
    }
    // Each honest delivery on a new connection, as the platform's would be.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let mut latencies = Vec::with_capacity(HONEST);
    runtime().block_on(async {
        for i in 0..HONEST {
            let started = Instant::now();
            let status = post(&http, &listener.url, 10_000 + i).await;
            latencies.push(started.elapsed());
            assert_eq!(status, Ok(200), "honest delivery {i} under the flood");
        }
    });
    assert_eq!(stored_lines(&store), HONEST);
    latencies.sort();
    eprintln!(
        "honest deliveries under {FLOOD} idle connections at ulimit -n 1024: p50 {:?}, p99 {:?}, max {:?} (n = {HONEST})",
        latencies[HONEST / 2],
        latencies[(HONEST * 99).div_ceil(100) - 1],
        latencies[HONEST - 1]
    );
    // The excess was closed to make room (at 1,024 descriptors the cap is 960), not left to
    // pile up until accept fails.
    let closed = flood
        .iter_mut()
        .filter(|stream: &&mut TcpStream| {
            stream.set_nonblocking(true).expect("non-blocking");
            match (&**stream).read(&mut [0u8; 1]) {
                Ok(0) => true,
                Err(e) => e.kind() != ErrorKind::WouldBlock,
                Ok(_) => false,
            }
        })
        .count();
    assert!(closed >= FLOOD - 960, "only {closed} of the flood closed");
    let stderr = listener.stderr();
    assert!(!stderr.contains("could not accept"), "{stderr}");
}

/// Bullet 2: Ctrl-C with a client sending its body a byte at a time (a request in progress)
/// and an idle connection ends the listener within --shutdown-timeout (2 s here) plus its
/// second for stdout; asserted only against a one-minute ceiling, the time printed.
#[test]
fn ctrl_c_with_a_slow_client_connected_ends_the_listener() {
    let store = store_path("shutdown");
    let mut listener = start(
        &store,
        &[
            "--header-timeout",
            "120",
            "--body-timeout",
            "120",
            "--idle-timeout",
            "120",
            "--shutdown-timeout",
            "2",
        ],
        None,
    );
    let _idle = connect(&listener.addr);
    let mut slow = connect(&listener.addr);
    slow.write_all(post_head(MODE, 1, 1000).as_bytes())
        .expect("sent");
    let mut slow_writer = slow.try_clone().expect("clone");
    std::thread::spawn(move || {
        for _ in 0..1000 {
            if slow_writer.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    // Let the head be read and the body start.
    std::thread::sleep(Duration::from_millis(300));
    let (status, took) =
        listener.signal_and_wait(nix::sys::signal::Signal::SIGINT, Duration::from_secs(60));
    eprintln!("exited {took:?} after Ctrl-C with --shutdown-timeout 2");
    assert!(status.success(), "{status:?}: {}", listener.stderr());
    read_until_closed(&mut slow).expect("the slow client's connection is closed");
}

/// Bullet 2, the cap against slow bodies: with `--max-connections 1` taken by a connection
/// sending its body a byte at a time (nothing of it stored yet), a newcomer's delivery makes it
/// close and is answered 200. (Only a request whose body is whole is never cut short; a
/// newcomer then gets 503: see the server's unit test.)
#[test]
fn over_the_cap_a_slow_body_makes_room_for_a_whole_delivery() {
    let store = store_path("cap");
    let listener = start(
        &store,
        &["--max-connections", "1", "--body-timeout", "120"],
        None,
    );
    let mut slow = connect(&listener.addr);
    slow.write_all(post_head(MODE, 1, 1000).as_bytes())
        .expect("sent");
    std::thread::sleep(Duration::from_millis(200));
    let status = runtime().block_on(post(&client(), &listener.url, 2));
    assert_eq!(status, Ok(200));
    let got = read_until_closed(&mut slow).expect("the slow body's connection is closed");
    assert_eq!(got, "", "closed without an answer");
    assert_eq!(stored_lines(&store), 1);
}
