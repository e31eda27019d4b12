//! `cargo xtask lint [SPEC...]`: the project's OpenAPI linter.
//!
//! Each spec is parsed into a position-keeping YAML tree ([`yaml`]; a JSON spec by [`json`], which
//! builds the same tree faster), walked once ([`walk`]), and
//! checked by the rule families: [`structure`], [`paths`], [`schemas`], [`contradictions`],
//! [`examples`], [`formats`], [`collisions`] (with Rust names from [`naming`]), [`docs`],
//! [`project`] and [`bodies`]; with `--progenitor`, [`progenitor`] runs the generator itself.
//! Every rule is declared in [`rules`] with its name and severity (an error is evidence that the
//! document is invalid or that progenitor cannot generate from it; the rest are warnings);
//! findings carry a JSON pointer, from which [`report`] derives the line. Exit code: 0 without error findings,
//! 1 with any, 2 when a file cannot be read or parsed.

mod bodies;
mod collisions;
mod contradictions;
mod docs;
mod examples;
mod formats;
mod json;
mod naming;
mod paths;
mod progenitor;
mod project;
mod report;
mod rules;
mod schema_errors;
mod schemas;
mod structure;
mod walk;
mod yaml;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

pub use report::Format;
use rules::{Rule, Severity};
use walk::Index;
use yaml::{Node, Pos};

/// Arguments of `cargo xtask lint`.
#[derive(clap::Args)]
pub struct LintArgs {
    /// Spec files to lint (default: openapi/*.yaml, openapi/*.yml, openapi/*.json).
    pub specs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print the rule table (name, severity, family, description) and exit.
    #[arg(long)]
    pub rules: bool,
    /// Also run progenitor-impl 0.15.1 itself on the spec, with panics caught, and report every
    /// operation or schema it fails on (rule `progenitor-generate`). Off by default: it costs
    /// more than the static rules (BENCHMARKS.md); `cargo xtask ci` turns it on.
    #[arg(long)]
    pub progenitor: bool,
}

/// Runs the linter and maps the outcome to the exit code.
pub fn run(args: LintArgs) -> ExitCode {
    if args.rules {
        print!("{}", rules::table());
        return ExitCode::SUCCESS;
    }
    let specs = if args.specs.is_empty() {
        match default_specs() {
            Ok(specs) => specs,
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::from(2);
            }
        }
    } else {
        args.specs
    };

    let mut reported = Vec::new();
    let mut unreadable = false;
    for spec in &specs {
        let file = spec.display().to_string();
        let src = match std::fs::read_to_string(spec) {
            Ok(src) => src,
            Err(err) => {
                eprintln!("{file}: error: cannot read: {err}");
                unreadable = true;
                continue;
            }
        };
        let passes = Passes {
            progenitor: args.progenitor,
        };
        match lint_source_with(&src, spec.parent(), passes) {
            Ok(findings) => reported.extend(report::locate(&file, findings)),
            Err(err) => {
                eprintln!(
                    "{file}:{}:{}: error: cannot parse: {}",
                    err.pos.line, err.pos.col, err.message
                );
                unreadable = true;
            }
        }
    }

    print!("{}", report::render(&reported, args.format));
    let errors = reported
        .iter()
        .filter(|f| f.rule.severity() == Severity::Error)
        .count();
    let warnings = reported.len() - errors;
    eprintln!(
        "lint: {errors} error(s), {warnings} warning(s) in {} file(s)",
        specs.len()
    );
    if unreadable {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `openapi/*.{yaml,yml,json}` under the workspace root, sorted, shown relative to the current
/// directory when possible.
fn default_specs() -> Result<Vec<PathBuf>, String> {
    let dir = crate::workspace_root().join("openapi");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let cwd = std::env::current_dir().ok();
    let mut specs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        })
        .map(|p| match &cwd {
            Some(cwd) => p.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(p),
            None => p,
        })
        .collect();
    specs.sort();
    Ok(specs)
}

/// One finding, before its position is looked up.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The rule that fired.
    pub rule: Rule,
    /// JSON pointer of the offending node (`""` is the document).
    pub pointer: String,
    /// What is wrong, for a person.
    pub message: String,
    /// Where the pointer leads in the source (filled in last).
    pub pos: Option<Pos>,
}

/// The findings of one document.
#[derive(Default)]
pub struct Findings(Vec<Finding>);

impl Findings {
    /// Records a finding of `rule` at `pointer`.
    pub fn add(&mut self, rule: Rule, pointer: impl Into<String>, message: impl Into<String>) {
        self.0.push(Finding {
            rule,
            pointer: pointer.into(),
            message: message.into(),
            pos: None,
        });
    }

    /// Whether `rule` fired.
    pub fn has(&self, rule: Rule) -> bool {
        self.0.iter().any(|f| f.rule == rule)
    }
}

/// What the rules share: the tree, its JSON form, and the walk's index.
pub struct Ctx<'a> {
    /// The document.
    pub root: &'a Node,
    /// The document as JSON (for schema validation).
    pub json: &'a Value,
    /// Operations, schemas, parameters... with their pointers.
    pub index: Index<'a>,
    /// The directory of the spec, to check relative file references.
    pub base_dir: Option<&'a Path>,
    /// Local references already looked up, by their fragment as written: the rules resolve
    /// the same few thousand references again and again, and a look-up scans the mappings on
    /// the way (GitHub's spec has 900 component schemas).
    /// Filled once from the walk's `$ref`s, before the rules run.
    pub resolved: HashMap<&'a str, (String, &'a Node)>,
}

/// Where a `$ref` leads.
pub enum Target<'a> {
    /// A node of this document, with its pointer.
    Local(String, &'a Node),
    /// Another document (a URL, or a file that exists): not followed.
    External,
    /// Nowhere: why.
    Unresolved(String),
}

impl<'a> Ctx<'a> {
    /// Resolves one reference string (without following further `$ref`s).
    pub fn resolve(&self, reference: &str) -> Target<'a> {
        let (file, fragment) = match reference.split_once('#') {
            Some((file, fragment)) => (file, Some(fragment)),
            None => (reference, None),
        };
        if !file.is_empty() {
            if file.contains("://") {
                return Target::External;
            }
            return match self.base_dir {
                Some(dir) if !dir.join(percent_decode(file)).is_file() => {
                    Target::Unresolved(format!("file `{file}` not found"))
                }
                _ => Target::External,
            };
        }
        let fragment = fragment.unwrap_or("");
        if let Some((pointer, node)) = self.resolved.get(fragment) {
            return Target::Local(pointer.clone(), node);
        }
        let pointer = percent_decode(fragment);
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Target::Unresolved("the fragment is not a JSON pointer".to_string());
        }
        match self.root.at(&pointer) {
            Some(node) => Target::Local(pointer, node),
            None => Target::Unresolved(format!("nothing at `{pointer}`")),
        }
    }

    /// Where each local `$ref` the walk met leads, by its fragment.
    fn local_references(&self) -> HashMap<&'a str, (String, &'a Node)> {
        let mut resolved = HashMap::new();
        for r in &self.index.refs {
            if let Some(fragment) = r.target.strip_prefix('#')
                && !resolved.contains_key(fragment)
                && let Target::Local(pointer, node) = self.resolve(r.target)
            {
                resolved.insert(fragment, (pointer, node));
            }
        }
        resolved
    }

    /// Follows local `$ref`s from `node` (at `ptr`) to a node that is not a reference. `None`
    /// when a reference is external, unresolved or circular.
    pub fn deref(&self, node: &'a Node, ptr: &str) -> Option<(&'a Node, String)> {
        let mut node = node;
        let mut ptr = ptr.to_string();
        // A chain longer than this is a cycle (or absurd); ref-unresolved reports cycles.
        for _ in 0..32 {
            let Some(reference) = node.get("$ref") else {
                return Some((node, ptr));
            };
            match self.resolve(reference.as_str()?) {
                Target::Local(p, n) => {
                    node = n;
                    ptr = p;
                }
                _ => return None,
            }
        }
        None
    }
}

/// Decodes `%XX` escapes (a `$ref` is a URI); leaves malformed escapes as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Which optional passes a lint runs.
#[derive(Clone, Copy, Debug)]
pub struct Passes {
    /// Run progenitor-impl itself on the spec (`progenitor-generate`).
    pub progenitor: bool,
}

/// Lints one document with every pass. `base_dir` is where relative `$ref` files are looked for.
#[cfg(test)]
pub fn lint_source(src: &str, base_dir: Option<&Path>) -> Result<Vec<Finding>, yaml::ParseError> {
    lint_source_with(src, base_dir, Passes { progenitor: true })
}

/// Lints one document. `base_dir` is where relative `$ref` files are looked for.
pub fn lint_source_with(
    src: &str,
    base_dir: Option<&Path>,
    passes: Passes,
) -> Result<Vec<Finding>, yaml::ParseError> {
    // YAML allows a byte order mark; the parser does not expect one.
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    // A JSON spec takes the fast path; whatever it refuses, YAML reads (and reports).
    let doc = match json::parse(src) {
        Some(doc) => doc,
        None => yaml::parse(src)?,
    };
    let json = doc.root.to_json();
    let mut ctx = Ctx {
        root: &doc.root,
        json: &json,
        index: Index::build(&doc.root),
        base_dir,
        resolved: HashMap::new(),
    };
    ctx.resolved = ctx.local_references();
    let mut out = Findings::default();
    for pointer in &doc.duplicate_keys {
        out.add(
            Rule::YamlDuplicateKey,
            pointer.clone(),
            "duplicate key: only the last value is kept",
        );
    }

    let version = project::check_version(&ctx, &mut out);
    if version == project::Version::NotOpenApi3 {
        // A Swagger 2.0 (or unknown) document: the other rules would only add noise.
        return Ok(finish(&doc.root, out));
    }
    if version == project::Version::V30 {
        structure::check_schema(&ctx, &mut out);
    }
    structure::check(&ctx, &mut out);
    paths::check(&ctx, &mut out);
    schemas::check(&ctx, &mut out);
    contradictions::check(&ctx, &mut out);
    examples::check(&ctx, &mut out);
    formats::check(&ctx, &mut out);
    collisions::check(&ctx, &mut out);
    docs::check(&ctx, &mut out);
    project::check(&ctx, &mut out);
    bodies::check(&ctx, &mut out);
    if version == project::Version::V30 {
        let spec = if !out.has(Rule::Oas3Schema) && !out.has(Rule::YamlDuplicateKey) {
            // Anything openapiv3 rejects that the JSON Schema let through.
            project::check_openapiv3(&ctx, &mut out)
        } else {
            // Already reported; progenitor may still read it (and generate from it).
            serde::Deserialize::deserialize(ctx.json).ok()
        };
        if let Some(spec) = spec
            && passes.progenitor
        {
            progenitor::check(&ctx, &spec, &mut out);
        }
    }
    Ok(finish(&doc.root, out))
}

/// Drops duplicates and the schema findings that a dedicated rule already reports better at
/// the same place (the version pattern, an empty path key, an empty enum), then fills in
/// positions.
fn finish(root: &Node, out: Findings) -> Vec<Finding> {
    let specific: HashSet<&str> = out
        .0
        .iter()
        .filter(|f| {
            matches!(
                f.rule,
                Rule::OpenapiVersion | Rule::PathEmpty | Rule::EnumEmpty
            )
        })
        .map(|f| f.pointer.as_str())
        .collect();
    // Which findings stay, decided on borrowed keys so that none is copied (GitHub's spec has
    // 5,000 findings).
    let mut seen = HashSet::new();
    let keep: Vec<bool> = out
        .0
        .iter()
        .map(|f| {
            (f.rule != Rule::Oas3Schema || !specific.contains(f.pointer.as_str()))
                && seen.insert((f.rule, f.pointer.as_str(), f.message.as_str()))
        })
        .collect();
    let mut findings: Vec<Finding> = out
        .0
        .into_iter()
        .zip(keep)
        .filter_map(|(f, keep)| keep.then_some(f))
        .collect();
    for f in &mut findings {
        if f.pos.is_none() {
            f.pos = Some(root.pos_of(&f.pointer));
        }
    }
    findings
}

/// Helpers for the rule families' unit tests.
#[cfg(test)]
pub mod test_support {
    use super::{Rule, lint_source};

    /// A minimal document whose operation returns the component schema `S`, written as
    /// `schema` (YAML flow style).
    pub fn schema_doc(schema: &str) -> String {
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /s:\n    get:\n      operationId: getS\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/S'}}\ncomponents:\n  schemas:\n    S: {schema}\n"
        )
    }

    /// The pointers at which `rule` fires on `src`.
    pub fn fires(src: &str, rule: Rule) -> Vec<String> {
        lint_source(src, None)
            .expect("the test document parses")
            .into_iter()
            .filter(|f| f.rule == rule)
            .map(|f| f.pointer)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_order_mark_is_accepted() {
        assert!(lint_source("\u{feff}openapi: 3.0.3\n", None).is_ok());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%7Bb%7D"), "/a{b}");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn garbage_does_not_panic() {
        for src in [
            "",
            "- a\n- b\n",
            "42",
            "paths: 3",
            "openapi: 3.0.3\npaths: 3\ncomponents: []\n",
            "openapi: 3.0.3\ninfo: x\npaths:\n  /a/{b}:\n    get: 3\n    parameters: {x: 1}\n",
            "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      responses:\n        200: {$ref: 3}\n",
            "openapi: 3.0.3\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/A'}\n    B: {type: array, items: {$ref: '#/components/schemas/B'}, example: [[[]]]}\n",
            "openapi: 3.0.3\ncomponents:\n  schemas:\n    A: {type: [1], enum: 3, required: 5, properties: [], example: 1, default: {}}\n",
            "openapi: 3.0.3\ncomponents:\n  schemas:\n    A: {type: string, pattern: '(', example: x, minLength: -1}\n",
            "openapi: 3.0.3\npaths:\n  '{a}/{':\n    get: {}\n  '':\n    get: {}\n  /x?y#z/:\n    get: {}\n",
            "swagger: '2.0'\n",
            "openapi: 3.1.0\npaths: {}\n",
            "openapi: 3\n",
        ] {
            let _ = lint_source(src, None);
        }
    }
}
