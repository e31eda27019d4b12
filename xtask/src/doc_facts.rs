//! Facts the repository's Markdown states about the tree, checked against the tree (unit tests,
//! so `cargo nextest run --workspace` in CI runs them): ARCHITECTURE.md's test table names every
//! test file, every repository path a document names exists, and the wrapper's README lists
//! every feature of its manifest.

#![cfg(test)]

use std::path::Path;

use crate::workspace_root;

/// The documents checked: the map, the project's README and each crate's (its crates.io page).
const DOCUMENTS: [&str; 6] = [
    "ARCHITECTURE.md",
    "README.md",
    "wrapper/README.md",
    "generated/README.md",
    "sim/README.md",
    "cli/README.md",
];

/// The repository's top-level directories: a code span starting with one of these names a path.
const TOP_LEVEL: [&str; 9] = [
    "openapi/",
    "generated/",
    "wrapper/",
    "sim/",
    "cli/",
    "loadtest/",
    "xtask/",
    "postgres/",
    ".ci/",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path))
        .unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The inline code spans of a Markdown text, fenced blocks left out.
fn code_spans(markdown: &str) -> Vec<String> {
    let mut prose = String::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    prose
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Every `.rs` file under a `tests/` directory that is a test of its own: helpers (`common`) and
/// a directory test's `main.rs` aside.
fn test_files(dir: &Path, relative: &str, inside_tests: bool, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if matches!(name.as_str(), "target" | "node_modules" | ".git" | "common") {
            continue;
        }
        let path = if relative.is_empty() {
            name.clone()
        } else {
            format!("{relative}/{name}")
        };
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            test_files(&entry.path(), &path, inside_tests || name == "tests", found);
        } else if inside_tests
            && name.ends_with(".rs")
            && !matches!(name.as_str(), "main.rs" | "common.rs" | "mod.rs")
        {
            found.push(path);
        }
    }
}

#[test]
fn architecture_names_every_test_file() {
    let architecture = read("ARCHITECTURE.md");
    let named = code_spans(&architecture);
    let mut files = Vec::new();
    test_files(&workspace_root(), "", false, &mut files);
    files.sort();
    assert!(
        files.iter().any(|f| f == "wrapper/tests/wire.rs"),
        "the walk finds the tests: {files:?}"
    );
    let missing: Vec<&String> = files.iter().filter(|f| !named.contains(f)).collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's \"Where things are tested\" does not name {missing:?}: add a row (or \
         the file to a row) saying what each tests"
    );
}

#[test]
fn every_path_a_document_names_exists_in_the_repository() {
    let root = workspace_root();
    let mut wrong = Vec::new();
    for document in DOCUMENTS {
        for span in code_spans(&read(document)) {
            let outside = span.starts_with("shared/") || span.starts_with("/work/");
            let path = TOP_LEVEL.iter().any(|top| span.starts_with(top))
                && !span.contains(|c: char| "{}*… <>$".contains(c));
            if outside {
                wrong.push(format!("{document}: `{span}` is outside the repository"));
            } else if path && !root.join(&span).exists() {
                wrong.push(format!("{document}: `{span}` does not exist"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_wrapper_readme_lists_every_feature() {
    let manifest = read("wrapper/Cargo.toml");
    let features: Vec<&str> = manifest
        .split("\n[features]\n")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("wrapper/Cargo.toml has [features]")
        .lines()
        .filter_map(|line| line.split_once(" = ").map(|(name, _)| name.trim()))
        .filter(|name| !name.starts_with('#') && *name != "default")
        .collect();
    assert!(features.contains(&"rustls"), "{features:?}");
    for (document, heading) in [
        ("wrapper/README.md", "## Features"),
        ("README.md", "### Features"),
    ] {
        let text = read(document);
        let section = text
            .split(heading)
            .nth(1)
            .map(|rest| {
                // To the next heading of this level or above.
                let end = [rest.find("\n## "), rest.find("\n### ")]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(rest.len());
                &rest[..end]
            })
            .unwrap_or_else(|| panic!("{document} has no {heading:?} section"));
        let named = code_spans(section);
        for feature in &features {
            assert!(
                named.iter().any(|n| n == feature),
                "{document}'s {heading:?} does not list the feature `{feature}`"
            );
        }
    }
}

/// `MeetingKind::Recurring` is `#[non_exhaustive]`, so the struct literal rustc suggests does not
/// compile outside the crate (E0639): the README shows the constructor (and compiles it).
#[test]
fn the_readme_shows_how_to_build_a_recurring_kind() {
    let readme = read("README.md");
    assert!(
        readme.contains("MeetingKind::recurring("),
        "README.md does not show MeetingKind::recurring(..)"
    );
}
