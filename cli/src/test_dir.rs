//! A directory of its own for one test, under the system temp dir, removed when the test ends.
//!
//! Used by the unit tests and, included by path, by the process tests in `tests/`. A test that
//! fails keeps its directory and prints where it is, to look at the files it left.

use std::ffi::OsStr;
use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A test's directory; removed on drop unless the test is failing.
#[derive(Debug)]
pub struct TestDir(Option<tempfile::TempDir>);

impl TestDir {
    /// A fresh empty directory whose name starts with `tencent-meeting-{name}-`.
    pub fn new(name: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("tencent-meeting-{name}-"))
            .tempdir()
            .expect("a directory under the system temp dir");
        Self(Some(dir))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.0
            .as_ref()
            .map_or_else(|| Path::new(""), tempfile::TempDir::path)
    }
}

impl Deref for TestDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.path()
    }
}

impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        self.path()
    }
}

impl AsRef<OsStr> for TestDir {
    fn as_ref(&self) -> &OsStr {
        self.path().as_os_str()
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(dir) = self.0.take()
        {
            eprintln!(
                "the failed test's files are kept in {}",
                dir.keep().display()
            );
        }
    }
}

/// A file path in a [`TestDir`] of its own, which lives as long as it does.
#[derive(Debug)]
pub struct TestFile {
    // Declared first, dropped first: only a path.
    path: PathBuf,
    _dir: TestDir,
}

impl TestFile {
    /// `file_name` in a fresh [`TestDir`] named after `name`.
    pub fn new(name: &str, file_name: &str) -> Self {
        let dir = TestDir::new(name);
        Self {
            path: dir.join(file_name),
            _dir: dir,
        }
    }
}

impl Deref for TestFile {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TestFile {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<OsStr> for TestFile {
    fn as_ref(&self) -> &OsStr {
        self.path.as_os_str()
    }
}
