//! The cost of receiving one `meeting.end` delivery: what a receiver spends before it can
//! answer (the 3-second rule leaves room; this says how much). Cases, all over one sealed
//! AES-mode delivery of a realistic `meeting.end`, `MeetingEndNotice::sample` (546 bytes of
//! JSON, as the group's name prints):
//! - `verify_and_parse`: the whole entry point (headers, body JSON, signature, AES, event);
//! - `verify_and_parse_plain`: the same in plain mode (base64 only);
//! - `signature`: the SHA-1 signature check alone;
//! - `decrypt`: base64 + AES-256-CBC + unpadding alone;
//! - `parse`: the plaintext to typed events alone.
//!
//! Run: `cargo bench -p tencent-meeting --features webhook --bench webhook`; prefix
//! `TM_BENCH_CLOCK=cpu` on a busy machine (see `common/mod.rs`).

mod common;

use std::hint::black_box;

use criterion::Criterion;
use criterion::measurement::Measurement;
use tencent_meeting::webhook::event::parse_event;
use tencent_meeting::webhook::sender::MeetingEndNotice;
use tencent_meeting::webhook::{Webhook, signature};

const TOKEN: &str = "Ab3dEf6hIj9kLm2nOp5qRs8tU";
const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

fn receiving<M: Measurement>(c: &mut Criterion<M>) {
    // The perf guard counts the same delivery (`MeetingEndNotice::sample`).
    let plaintext = MeetingEndNotice::sample().to_json();
    let aes = Webhook::new(TOKEN, Some(KEY)).expect("valid");
    let plain = Webhook::new(TOKEN, None).expect("valid");
    let sealed = aes.seal_event(&plaintext, "1700000000123", "58209741");
    let sealed_plain = plain.seal_event(&plaintext, "1700000000123", "58209741");
    let headers = sealed.header_map();
    let headers_plain = sealed_plain.header_map();
    // Every case does the real work, or the bench would measure the wrong thing.
    let events = aes
        .verify_and_parse(&headers, &sealed.body)
        .expect("verifies");
    assert_eq!(
        events[0].as_meeting_end().map(|e| e.meeting().meeting_id()),
        Some("13339451618278424869")
    );
    assert!(
        plain
            .verify_and_parse(&headers_plain, &sealed_plain.body)
            .is_ok()
    );
    assert_eq!(
        aes.cipher().decode(&sealed.data).as_deref(),
        Ok(&plaintext[..])
    );

    let mut group = c.benchmark_group(format!(
        "{}webhook/meeting.end ({} bytes of JSON)",
        common::clock_prefix(),
        plaintext.len()
    ));
    group.bench_function("verify_and_parse", |b| {
        b.iter(|| aes.verify_and_parse(black_box(&headers), black_box(&sealed.body)))
    });
    group.bench_function("verify_and_parse_plain", |b| {
        b.iter(|| plain.verify_and_parse(black_box(&headers_plain), black_box(&sealed_plain.body)))
    });
    group.bench_function("signature", |b| {
        b.iter(|| {
            signature::verify(
                black_box(TOKEN),
                black_box("1700000000123"),
                black_box("58209741"),
                black_box(&sealed.data),
                black_box(&sealed.headers.signature),
            )
        })
    });
    group.bench_function("decrypt", |b| {
        b.iter(|| aes.cipher().decode(black_box(&sealed.data)))
    });
    group.bench_function("parse", |b| b.iter(|| parse_event(black_box(&plaintext))));
    group.finish();
}

fn main() {
    if common::cpu_clock() {
        let mut c = common::config(Criterion::default().with_measurement(common::ThreadCpuTime))
            .configure_from_args();
        receiving(&mut c);
    } else {
        let mut c = common::config(Criterion::default()).configure_from_args();
        receiving(&mut c);
    }
    Criterion::default().configure_from_args().final_summary();
}
