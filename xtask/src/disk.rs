//! Free disk space, checked before `cargo xtask ci` starts building: a clean clone's checks
//! write several gigabytes (the workspace's build, the regenerate test's copy, release builds for
//! the perf guard and the packaging), and a disk that fills up mid-run fails with an LLVM
//! "IO failure on output stream" deep inside some test, minutes in. Said up front, the cause is
//! plain.

use std::path::Path;

/// Bytes a user (not root's reserve) can still write on the file system holding `path`, or
/// `None` when the system cannot say.
pub fn available(path: &Path) -> Option<u64> {
    let stats = rustix::fs::statvfs(path).ok()?;
    Some(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// `bytes` in gigabytes (10⁹), one decimal.
pub fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_directory_has_a_size() {
        // A real file system always reports its block size; zero free bytes would be possible,
        // `None` is not.
        assert!(available(Path::new(".")).is_some());
    }

    #[test]
    fn gigabytes_are_decimal_with_one_place() {
        assert_eq!(gigabytes(12_345_678_901), "12.3 GB");
        assert_eq!(gigabytes(0), "0.0 GB");
    }
}
