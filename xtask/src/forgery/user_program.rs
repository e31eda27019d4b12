//! A user's program that makes a `Dismissed` no call showed, each way the crate's test doubles
//! offer. `cargo xtask forgery` compiles it against the wrapper: without the `test-util` feature
//! every line marked `forges` must fail to compile, and with it the whole program must compile
//! (so what fails is the forging, not a typo here).

use tencent_meeting::{ApiError, Dismissed, Dismisser, Error, Instance, MeetingStatus, Operator};
use tencent_meeting::{MeetingKind, PlannedDismiss};

fn invented() -> Dismissed {
    Dismissed::answered("1") // forges
}

fn with_a_trace_id(dismissed: Dismissed) -> Dismissed {
    dismissed.with_trace_id("made-up") // forges
}

fn with_attempts(dismissed: Dismissed) -> Dismissed {
    dismissed.with_attempts(1) // forges
}

fn with_a_kind(dismissed: Dismissed) -> Dismissed {
    dismissed.with_kind(MeetingKind::Quick) // forges
}

fn looked_up(dismissed: Dismissed) -> Dismissed {
    let already_ended = ApiError::new(400, 13603, "meeting already ended");
    dismissed.with_looked_up(&already_ended, MeetingStatus::Ended) // forges
}

fn from_a_plan(planned: &PlannedDismiss) -> Dismissed {
    planned.answered() // forges
}

async fn from_the_test_double() -> Result<Dismissed, Error> {
    tencent_meeting::testing::FakeDismisser::new() // forges
        .dismiss_meeting("1")
        .operator(Operator::user_id("someone"))
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await
}

fn main() {
    let _ = (
        invented,
        with_a_trace_id,
        with_attempts,
        with_a_kind,
        looked_up,
        from_a_plan,
        from_the_test_double,
    );
}
