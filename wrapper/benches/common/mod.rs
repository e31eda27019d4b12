//! Shared by the benches: the configuration, and a clock that counts only the CPU time of the
//! benchmarking thread.
//!
//! Wall-clock figures on a 2-core machine that is also compiling are mostly the other jobs: a
//! run of `sign` read 455 ns and the next one 700 ns. With `TM_BENCH_CLOCK=cpu` the benches
//! measure the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`) instead, which excludes the time
//! the thread waits for a core; results go under a `cpu/` prefix so the two clocks' baselines
//! never mix. Wall time remains the default.

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput};

/// Modest times: a 2-core machine shared with other builds. Command-line flags still override.
pub fn config<M: Measurement>(criterion: Criterion<M>) -> Criterion<M> {
    criterion
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .sample_size(100)
}

/// Whether `TM_BENCH_CLOCK=cpu` asks for [`ThreadCpuTime`].
pub fn cpu_clock() -> bool {
    std::env::var("TM_BENCH_CLOCK").is_ok_and(|v| v == "cpu")
}

/// The prefix of group names for the clock in use.
pub fn clock_prefix() -> &'static str {
    if cpu_clock() { "cpu/" } else { "" }
}

/// The CPU time of the calling thread, in nanoseconds.
pub struct ThreadCpuTime;

#[cfg(unix)]
fn thread_cpu_nanos() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one `timespec` through a pointer to a live local.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(not(unix))]
fn thread_cpu_nanos() -> u64 {
    panic!("TM_BENCH_CLOCK=cpu needs a Unix thread CPU clock (CLOCK_THREAD_CPUTIME_ID)")
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_nanos()
    }

    fn end(&self, start: u64) -> u64 {
        thread_cpu_nanos().saturating_sub(start)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

/// Formats nanoseconds the way criterion's wall clock does.
struct NanosFormatter;

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else if typical < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (per, unit) = match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (*n as f64, "B/s"),
            Throughput::Elements(n) => (*n as f64, "elem/s"),
            Throughput::Bits(n) => (*n as f64, "bit/s"),
        };
        for v in values {
            *v = per * 1e9 / *v;
        }
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
