//! The linter on real public specs, vendored unchanged under `tests/real-specs/` with their
//! licences and the commits they came from (its README). progenitor-impl 0.15.1 generates a
//! client from each of progenitor's sample specs and from oxide.rs's `oxide.json`, so every
//! error the linter reports on them must be a genuine violation of the OpenAPI 3.0 schema,
//! listed here; on GitHub's spec, which progenitor cannot generate, every operation it fails on
//! must be named.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The errors on the specs progenitor generates from: (file, rule, pointer), each a violation
/// of the OpenAPI 3.0 JSON Schema that progenitor happens to tolerate.
const GENUINE_ERRORS: &[(&str, &str, &str)] = &[
    // `responses` must have at least one entry.
    (
        "progenitor/buildomat.json",
        "oas3-schema",
        "/paths/~1v1~1tasks~1{task}~1outputs~1{output}/get/responses",
    ),
    (
        "progenitor/cli-gen.json",
        "oas3-schema",
        "/paths/~1uno/get/responses",
    ),
    // A Response object has no `type` field.
    (
        "progenitor/param-collision.json",
        "oas3-schema",
        "/paths/~1key~1{query}/get/responses/200/type",
    ),
    (
        "progenitor/param-overrides.json",
        "oas3-schema",
        "/paths/~1key/get/responses/200/type",
    ),
    (
        "progenitor/param-overrides.yaml",
        "oas3-schema",
        "/paths/~1key/get/responses/200/type",
    ),
];

/// The specs progenitor-impl 0.15.1 generates a client from.
const GENERATED_FROM: &[&str] = &[
    "progenitor/buildomat.json",
    "progenitor/cli-gen.json",
    "progenitor/keeper.json",
    "progenitor/nexus.json",
    "progenitor/param-collision.json",
    "progenitor/param-overrides.json",
    "progenitor/param-overrides.yaml",
    "progenitor/propolis-server.json",
    "oxide/oxide.json",
];

fn spec(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/real-specs")
        .join(name)
}

/// `cargo xtask lint --progenitor --format json SPEC`: (exit code, findings).
fn lint(path: &Path) -> (i32, Vec<Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["lint", "--progenitor", "--format", "json"])
        .arg(path)
        .output()
        .expect("xtask runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{}: {stderr}", path.display());
    let findings: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: stdout is not JSON ({e})", path.display()));
    let findings = findings.as_array().expect("a JSON array").clone();
    (out.status.code().unwrap_or(-1), findings)
}

fn text<'v>(finding: &'v Value, key: &str) -> &'v str {
    finding[key].as_str().unwrap_or_default()
}

/// The progenitor pass included: no `progenitor-generate` (progenitor does generate these), and
/// no error but the listed schema violations.
#[test]
fn specs_progenitor_generates_from_have_only_genuine_errors() {
    let mut failures = Vec::new();
    for name in GENERATED_FROM {
        let path = spec(name);
        assert!(path.is_file(), "{name}: {} is missing", path.display());
        let (code, findings) = lint(&path);
        let got: BTreeSet<(String, String)> = findings
            .iter()
            .filter(|f| text(f, "severity") == "error")
            .map(|f| (text(f, "rule").to_string(), text(f, "pointer").to_string()))
            .collect();
        let expected: BTreeSet<(String, String)> = GENUINE_ERRORS
            .iter()
            .filter(|(file, ..)| file == name)
            .map(|(_, rule, pointer)| (rule.to_string(), pointer.to_string()))
            .collect();
        for unexpected in got.difference(&expected) {
            let message = findings
                .iter()
                .find(|f| text(f, "rule") == unexpected.0 && text(f, "pointer") == unexpected.1)
                .map(|f| text(f, "message"))
                .unwrap_or_default();
            failures.push(format!(
                "{name}: unexpected error {unexpected:?}: {message}"
            ));
        }
        for missing in expected.difference(&got) {
            failures.push(format!("{name}: expected error {missing:?} not reported"));
        }
        let expected_code = if expected.is_empty() { 0 } else { 1 };
        if code != expected_code {
            failures.push(format!(
                "{name}: exit code {code}, expected {expected_code}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// GitHub's REST API spec (3.7 MB), which progenitor-impl 0.15.1 cannot generate: the progenitor
/// pass names every operation it fails on, and the spec without them generates (no finding at
/// `/paths`, which the pass reports when what is left still fails). The static rules explain
/// each one: the generator's and the rules' operations are the same.
#[test]
fn every_place_progenitor_fails_on_in_a_large_spec_is_named() {
    let (code, findings) = lint(&spec("progenitor/api.github.com.json"));
    assert_eq!(code, 1);
    let operation = |pointer: &str| pointer.splitn(5, '/').take(4).collect::<Vec<_>>().join("/");
    let generator: BTreeSet<String> = findings
        .iter()
        .filter(|f| text(f, "rule") == "progenitor-generate")
        .map(|f| text(f, "pointer").to_string())
        .collect();
    assert!(
        !generator.contains("/paths"),
        "the spec without the named operations still fails: {:?}",
        findings.iter().find(|f| text(f, "pointer") == "/paths")
    );
    // Each is an operation, and each has a static rule's explanation within it.
    let explained: BTreeSet<String> = findings
        .iter()
        .filter(|f| {
            matches!(
                text(f, "rule"),
                "progenitor-mixed-bodies"
                    | "request-body-media-types"
                    | "request-body-media-type"
                    | "enum-variants-collide"
            ) && text(f, "pointer").starts_with("/paths/")
        })
        .map(|f| operation(text(f, "pointer")))
        .collect();
    assert_eq!(generator, explained);
    assert_eq!(generator.len(), 188, "{generator:#?}");
    // The places beside the 184 operations whose success or error responses mix body kinds
    // (progenitor's `assert!(response_types.len() <= 1)`):
    for (pointer, says) in [
        // Two request media types: `todo!("more media types than expected")`.
        (
            "/paths/~1markdown~1raw/post",
            "more media types than expected",
        ),
        // `*/*`: "unexpected content type".
        (
            "/paths/~1repos~1{owner}~1{repo}~1releases~1{release_id}~1assets/post",
            "unexpected content type: */*",
        ),
        // Enum values typify cannot name apart: it panics.
        (
            "/paths/~1scim~1v2~1enterprises~1{enterprise}~1Groups~1{scim_group_id}/patch",
            "Failed to make unique variant names",
        ),
        (
            "/paths/~1search~1issues/get",
            "Failed to make unique variant names",
        ),
    ] {
        let found = findings
            .iter()
            .find(|f| text(f, "rule") == "progenitor-generate" && text(f, "pointer") == pointer);
        assert!(
            found.is_some_and(|f| text(f, "message").contains(says)),
            "{pointer}: {found:?}"
        );
    }
}
