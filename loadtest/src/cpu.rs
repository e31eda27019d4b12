//! CPU time of this process's threads, grouped by thread name, from `/proc/self/task/*`.
//!
//! The load test names the simulator's runtime threads and the clients' runtime threads apart,
//! so the CPU each side spends in a run is the difference of two snapshots. `schedstat` gives
//! nanoseconds (user and system time together); where the kernel lacks it, `stat`'s clock ticks
//! (10 ms) are used.

use std::collections::HashMap;
use std::fs;
use std::time::Duration;

/// The thread-name prefix of the simulator's runtime.
pub const SIM_THREADS: &str = "lt-sim";
/// The thread-name prefix of the clients' runtime.
pub const CLIENT_THREADS: &str = "lt-client";

/// Nanoseconds per clock tick of `/proc/*/stat` (USER_HZ is 100 on Linux).
const NS_PER_TICK: u64 = 10_000_000;

/// Each thread's name and CPU time so far, by thread id.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    threads: HashMap<u32, (String, u64)>,
}

/// CPU time spent between two snapshots, by group.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spent {
    /// The simulator's runtime threads.
    pub sim: Duration,
    /// The clients' runtime threads.
    pub client: Duration,
    /// Every other thread (the main thread, which only waits).
    pub other: Duration,
}

impl Spent {
    pub fn total(&self) -> Duration {
        self.sim + self.client + self.other
    }
}

impl std::ops::AddAssign for Spent {
    fn add_assign(&mut self, rhs: Self) {
        self.sim += rhs.sim;
        self.client += rhs.client;
        self.other += rhs.other;
    }
}

/// What this process and the rest of the machine spent over a window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// This process's threads, by group.
    pub own: Spent,
    /// Busy CPU time of every other process on the machine (builds of other work, say), at
    /// clock-tick resolution.
    pub others: Duration,
}

impl std::ops::AddAssign for Window {
    fn add_assign(&mut self, rhs: Self) {
        self.own += rhs.own;
        self.others += rhs.others;
    }
}

/// A point to measure a [`Window`] from.
#[derive(Debug, Clone)]
pub struct Mark {
    threads: Snapshot,
    machine: Duration,
}

impl Mark {
    pub fn now() -> Self {
        Self {
            threads: snapshot(),
            machine: machine_busy(),
        }
    }

    /// The CPU spent from this mark until now.
    pub fn window(&self) -> Window {
        let own = spent(&self.threads, &snapshot());
        let machine = machine_busy().saturating_sub(self.machine);
        Window {
            own,
            others: machine.saturating_sub(own.total()),
        }
    }
}

/// CPU time the whole machine spent busy (all processes, all cores) since boot, from the first
/// line of `/proc/stat`: user, nice, system, irq, softirq and steal ticks. Steal counts as busy:
/// a core the hypervisor gave to someone else was not ours either.
pub fn machine_busy() -> Duration {
    let Ok(text) = fs::read_to_string("/proc/stat") else {
        return Duration::ZERO;
    };
    let Some(line) = text.lines().find(|l| l.starts_with("cpu ")) else {
        return Duration::ZERO;
    };
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| ticks.get(i))
        .sum();
    Duration::from_nanos(busy * NS_PER_TICK)
}

/// Reads every thread's CPU time. Threads that vanish while being read are skipped.
pub fn snapshot() -> Snapshot {
    let mut threads = HashMap::new();
    let Ok(entries) = fs::read_dir("/proc/self/task") else {
        return Snapshot::default();
    };
    for entry in entries.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = entry.path();
        let name = fs::read_to_string(dir.join("comm"))
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        if let Some(ns) = schedstat_ns(&dir).or_else(|| stat_ns(&dir)) {
            threads.insert(tid, (name, ns));
        }
    }
    Snapshot { threads }
}

/// The CPU time spent from `before` to `after`, grouped by thread name. A thread born in
/// between counts from zero.
pub fn spent(before: &Snapshot, after: &Snapshot) -> Spent {
    let mut spent = Spent::default();
    for (tid, (name, ns)) in &after.threads {
        let start = before.threads.get(tid).map_or(0, |(_, ns)| *ns);
        let delta = Duration::from_nanos(ns.saturating_sub(start));
        if name.starts_with(SIM_THREADS) {
            spent.sim += delta;
        } else if name.starts_with(CLIENT_THREADS) {
            spent.client += delta;
        } else {
            spent.other += delta;
        }
    }
    spent
}

/// `schedstat`'s first field: nanoseconds on a CPU.
fn schedstat_ns(dir: &std::path::Path) -> Option<u64> {
    fs::read_to_string(dir.join("schedstat"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `stat`'s utime + stime, in nanoseconds. The name field may hold spaces and parentheses, so
/// fields are counted from the last `)`.
fn stat_ns(dir: &std::path::Path) -> Option<u64> {
    let text = fs::read_to_string(dir.join("stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    // After the name: state is field 3; utime and stime are fields 14 and 15.
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) * NS_PER_TICK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_thread_is_seen_and_spends_time() {
        let before = snapshot();
        // Burn a little CPU so the delta is visible even at tick resolution.
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(30) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let after = snapshot();
        assert!(!after.threads.is_empty());
        assert!(spent(&before, &after).total() > Duration::ZERO);
    }
}
