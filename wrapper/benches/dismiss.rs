//! Building, validating, serialising and signing a dismiss request end to end, without the
//! network: `DismissMeeting::prepare` stops the request in the transport hook, before sending.
//!
//! Cases:
//! - `prepare_enterprise`: the seed example (`userid` form, PC, reason 3, "结束会议"), signed;
//! - `prepare_oauth2`: the same request with OAuth2.0 credentials (no signature), so the
//!   difference from the enterprise case is what signing costs inside the whole pipeline.
//!
//! The client points at `http://127.0.0.1:9`, which is never contacted.
//!
//! Run: `cargo bench -p tencent-meeting --bench dismiss`; on a busy machine, prefix
//! `TM_BENCH_CLOCK=cpu` to count only this thread's CPU time (see `common/mod.rs`). The runtime
//! is current-thread, so all the work is on the measured thread.

mod common;

use std::hint::black_box;

use criterion::Criterion;
use criterion::measurement::Measurement;
use tencent_meeting::{Client, Credentials, Instance, Operator};

const BASE_URL: &str = "http://127.0.0.1:9";
const MEETING_ID: &str = "7567173273889276131";

fn client(credentials: Credentials) -> Client {
    Client::builder()
        .base_url(BASE_URL)
        .credentials(credentials)
        .build()
        .expect("client")
}

fn dismiss<M: Measurement>(c: &mut Criterion<M>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let enterprise = client(
        Credentials::enterprise(
            "200000001",
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLEKEY",
        )
        .expect("credentials"),
    );
    let oauth2 = client(Credentials::oauth2("access-token-EXAMPLE", "test1").expect("credentials"));

    let prepare = |client: &Client| {
        let client = client.clone();
        async move {
            client
                .dismiss_meeting(black_box(MEETING_ID))
                .operator(Operator::user_id(black_box("test1")))
                .instance(Instance::Pc)
                .reason_code(black_box(3))
                .reason_detail(black_box("结束会议"))
                .prepare()
                .await
        }
    };

    // Check once that each case prepares what it should.
    let signed = runtime
        .block_on(prepare(&enterprise))
        .expect("enterprise prepare");
    assert_eq!(
        signed.url,
        format!("{BASE_URL}/v1/meetings/{MEETING_ID}/dismiss")
    );
    assert_eq!(signed.signature.as_ref().map(String::len), Some(88));
    let unsigned = runtime.block_on(prepare(&oauth2)).expect("oauth2 prepare");
    assert!(unsigned.signature.is_none());

    let mut group = c.benchmark_group(format!("{}dismiss", common::clock_prefix()));
    group.bench_function("prepare_enterprise", |b| {
        b.to_async(&runtime).iter(|| prepare(&enterprise))
    });
    group.bench_function("prepare_oauth2", |b| {
        b.to_async(&runtime).iter(|| prepare(&oauth2))
    });
    group.finish();
}

fn main() {
    if common::cpu_clock() {
        let mut c = common::config(Criterion::default().with_measurement(common::ThreadCpuTime))
            .configure_from_args();
        dismiss(&mut c);
    } else {
        let mut c = common::config(Criterion::default()).configure_from_args();
        dismiss(&mut c);
    }
    Criterion::default().configure_from_args().final_summary();
}
