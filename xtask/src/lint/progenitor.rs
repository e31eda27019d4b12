//! `progenitor-generate`: the generator itself, run on the spec.
//!
//! The static rules guess what progenitor-impl 0.15.1 cannot take; this pass asks it. It runs
//! `Generator::generate_tokens` (the builder interface, as `cargo xtask codegen` does) with
//! panics caught, since several of progenitor's unsupported cases are `todo!()`s. progenitor
//! stops at the first failure, so a failure is narrowed: the component schemas alone, then the
//! operations split in halves (each half with only the component schemas it reaches) until each
//! failing operation stands alone, within a bounded number of attempts. Every failing place is
//! reported at its pointer with progenitor's own message.

use std::collections::{BTreeSet, HashSet};
use std::panic::{self, AssertUnwindSafe};

use openapiv3::{Components, OpenAPI, PathItem, Paths, ReferenceOr};
use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle};
use serde_json::Value;

use super::rules::Rule;
use super::yaml::join;
use super::{Ctx, Findings};

/// At most this many generator runs narrow one spec's failures (a run on a subset is cheap: it
/// carries only the schemas the subset reaches). GitHub's 3.7 MB spec, with 188 failing
/// operations out of 767, is narrowed completely within it (`tests/real_specs.rs`).
const MAX_ATTEMPTS: usize = 4096;

/// A unit progenitor processes on its own: an operation, or a path item that is a `$ref`
/// (which progenitor refuses as a whole).
#[derive(Clone, Debug)]
struct Unit {
    /// The path template (the key under `paths`).
    path: String,
    /// The method key, or `None` for a referenced path item.
    method: Option<&'static str>,
}

impl Unit {
    fn pointer(&self) -> String {
        let path = join("/paths", &self.path);
        match self.method {
            Some(method) => join(&path, method),
            None => path,
        }
    }
}

/// The methods of a path item, in progenitor's order.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Runs progenitor on `spec` (already read by openapiv3 from `ctx.json`) and reports where it
/// fails.
pub fn check(ctx: &Ctx, spec: &OpenAPI, out: &mut Findings) {
    let silenced = Silenced::install();
    let mut run = Runs {
        spec,
        json: ctx.json,
        attempts: 0,
    };
    let Err(message) = run.attempt_all() else {
        return;
    };
    let units = units(spec);

    // The component schemas alone: if typify cannot take one, every subset fails too.
    if let Err(message) = run.attempt(&[]) {
        let pointer = schema_named_in(&message, spec)
            .map(|name| join("/components/schemas", name))
            .unwrap_or_else(|| "/components/schemas".to_string());
        out.add(Rule::ProgenitorGenerate, pointer, generator_says(&message));
        drop(silenced);
        return;
    }

    let mut failing = Vec::new();
    let all: Vec<usize> = (0..units.len()).collect();
    run.narrow(&units, &all, Some(message.clone()), &mut failing);
    failing.sort_by_key(|(i, _)| *i);
    for (i, message) in &failing {
        out.add(
            Rule::ProgenitorGenerate,
            units[*i].pointer(),
            generator_says(message),
        );
    }

    // What the failing units explain: the rest must generate, or something else fails too (two
    // operations together, or the budget ran out before narrowing finished).
    let failing: HashSet<usize> = failing.iter().map(|(i, _)| *i).collect();
    let rest: Vec<usize> = all.into_iter().filter(|i| !failing.contains(i)).collect();
    if let Err(message) = run.attempt(&rest.iter().map(|&i| &units[i]).collect::<Vec<_>>()) {
        let why = if run.attempts >= MAX_ATTEMPTS {
            format!(
                "{} (narrowing stopped after {MAX_ATTEMPTS} generator runs)",
                generator_says(&message)
            )
        } else {
            format!(
                "{} (only with several operations together)",
                generator_says(&message)
            )
        };
        out.add(Rule::ProgenitorGenerate, "/paths", why);
    }
    drop(silenced);
}

fn generator_says(message: &str) -> String {
    format!("progenitor-impl 0.15.1 cannot generate a client from this: {message}")
}

/// The generator runs on one spec.
struct Runs<'a> {
    spec: &'a OpenAPI,
    json: &'a Value,
    attempts: usize,
}

impl Runs<'_> {
    /// The whole spec.
    fn attempt_all(&mut self) -> Result<(), String> {
        self.attempts += 1;
        generate(self.spec)
    }

    /// Only `units`, with the component schemas they reach (all of them when `units` is empty:
    /// that run checks the schemas).
    fn attempt(&mut self, units: &[&Unit]) -> Result<(), String> {
        self.attempts += 1;
        generate(&self.subset(units))
    }

    /// Finds the units of `set` that fail on their own, adding them with their message to
    /// `failing`. `known` is the message of a run of `set` that already failed.
    fn narrow(
        &mut self,
        units: &[Unit],
        set: &[usize],
        known: Option<String>,
        failing: &mut Vec<(usize, String)>,
    ) {
        if set.is_empty() || self.attempts >= MAX_ATTEMPTS {
            return;
        }
        let message = match known {
            Some(message) => message,
            None => {
                let members: Vec<&Unit> = set.iter().map(|&i| &units[i]).collect();
                match self.attempt(&members) {
                    Ok(()) => return,
                    Err(message) => message,
                }
            }
        };
        if let [only] = set {
            failing.push((*only, message));
            return;
        }
        let (left, right) = set.split_at(set.len() / 2);
        let before = failing.len();
        self.narrow(units, left, None, failing);
        self.narrow(units, right, None, failing);
        if failing.len() == before && self.attempts < MAX_ATTEMPTS {
            // Neither half fails alone: the failure needs units of both. Name the first; the
            // caller's final run reports what remains.
            failing.push((
                set[0],
                format!("{message} (together with other operations)"),
            ));
        }
    }

    /// A copy of the spec with only `units` under `paths`, and only the component schemas
    /// they reach (every schema when `units` is empty).
    fn subset(&self, units: &[&Unit]) -> OpenAPI {
        let spec = self.spec;
        let mut paths = Paths::default();
        for unit in units {
            let Some(item) = spec.paths.paths.get(&unit.path) else {
                continue;
            };
            let entry = paths
                .paths
                .entry(unit.path.clone())
                .or_insert_with(|| match item {
                    ReferenceOr::Reference { reference } => ReferenceOr::Reference {
                        reference: reference.clone(),
                    },
                    ReferenceOr::Item(item) => ReferenceOr::Item(PathItem {
                        parameters: item.parameters.clone(),
                        ..PathItem::default()
                    }),
                });
            if let (Some(method), ReferenceOr::Item(from), ReferenceOr::Item(to)) =
                (unit.method, item, entry)
            {
                *operation_mut(to, method) = operation(from, method).cloned();
            }
        }
        let components = spec.components.as_ref().map(|c| {
            let schemas = if units.is_empty() {
                c.schemas.clone()
            } else {
                let reached = self.reached_schemas(units);
                c.schemas
                    .iter()
                    .filter(|(name, _)| reached.contains(name.as_str()))
                    .map(|(name, schema)| (name.clone(), schema.clone()))
                    .collect()
            };
            Components {
                schemas,
                responses: c.responses.clone(),
                parameters: c.parameters.clone(),
                request_bodies: c.request_bodies.clone(),
                headers: c.headers.clone(),
                security_schemes: c.security_schemes.clone(),
                ..Components::default()
            }
        });
        OpenAPI {
            openapi: spec.openapi.clone(),
            info: spec.info.clone(),
            paths,
            components,
            tags: spec.tags.clone(),
            ..OpenAPI::default()
        }
    }

    /// The names of the component schemas `units` reach through `$ref`s (through other
    /// components too: parameters, request bodies, responses, headers).
    fn reached_schemas(&self, units: &[&Unit]) -> BTreeSet<String> {
        let mut stack: Vec<&Value> = Vec::new();
        for unit in units {
            let path = self.json.pointer(&join("/paths", &unit.path));
            match unit.method {
                Some(method) => {
                    stack.extend(path.and_then(|p| p.get(method)));
                    stack.extend(path.and_then(|p| p.get("parameters")));
                }
                None => stack.extend(path),
            }
        }
        let mut seen_refs: HashSet<&str> = HashSet::new();
        let mut schemas = BTreeSet::new();
        while let Some(value) = stack.pop() {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(reference)) = map.get("$ref")
                        && seen_refs.insert(reference)
                        && let Some(pointer) = reference.strip_prefix('#')
                    {
                        if let Some(name) = pointer.strip_prefix("/components/schemas/") {
                            let name = name.split('/').next().unwrap_or_default();
                            schemas.insert(name.replace("~1", "/").replace("~0", "~"));
                        }
                        stack.extend(self.json.pointer(pointer));
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        schemas
    }
}

/// Every operation and referenced path item, in document order.
fn units(spec: &OpenAPI) -> Vec<Unit> {
    let mut out = Vec::new();
    for (path, item) in &spec.paths.paths {
        match item {
            ReferenceOr::Reference { .. } => out.push(Unit {
                path: path.clone(),
                method: None,
            }),
            ReferenceOr::Item(item) => {
                for method in METHODS {
                    if operation(item, method).is_some() {
                        out.push(Unit {
                            path: path.clone(),
                            method: Some(method),
                        });
                    }
                }
            }
        }
    }
    out
}

fn operation<'a>(item: &'a PathItem, method: &str) -> Option<&'a openapiv3::Operation> {
    match method {
        "get" => item.get.as_ref(),
        "put" => item.put.as_ref(),
        "post" => item.post.as_ref(),
        "delete" => item.delete.as_ref(),
        "options" => item.options.as_ref(),
        "head" => item.head.as_ref(),
        "patch" => item.patch.as_ref(),
        "trace" => item.trace.as_ref(),
        _ => None,
    }
}

fn operation_mut<'a>(item: &'a mut PathItem, method: &str) -> &'a mut Option<openapiv3::Operation> {
    match method {
        "get" => &mut item.get,
        "put" => &mut item.put,
        "post" => &mut item.post,
        "delete" => &mut item.delete,
        "options" => &mut item.options,
        "head" => &mut item.head,
        "patch" => &mut item.patch,
        _ => &mut item.trace,
    }
}

/// A component schema whose name the message quotes (typify names the type it fails on).
fn schema_named_in<'a>(message: &str, spec: &'a OpenAPI) -> Option<&'a str> {
    let components = spec.components.as_ref()?;
    components
        .schemas
        .keys()
        .filter(|name| {
            message.contains(&format!("\"{name}\""))
                || message.contains(&format!("`{name}`"))
                || message.contains(&format!("/components/schemas/{name}"))
        })
        .max_by_key(|name| name.len())
        .map(String::as_str)
}

/// One generator run, with a panic turned into its message.
fn generate(spec: &OpenAPI) -> Result<(), String> {
    let mut settings = GenerationSettings::new();
    settings.with_interface(InterfaceStyle::Builder);
    let run = panic::catch_unwind(AssertUnwindSafe(|| {
        Generator::new(&settings).generate_tokens(spec)
    }));
    match run {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string());
            Err(format!("it panics: {}", text.trim_end()))
        }
    }
}

/// The panic hook, silenced while the generator runs (its panics are findings, not crashes)
/// and restored on drop.
struct Silenced;

impl Silenced {
    fn install() -> Self {
        panic::set_hook(Box::new(|_| {}));
        Silenced
    }
}

impl Drop for Silenced {
    fn drop(&mut self) {
        // Back to the default hook (the one xtask runs with).
        let _ = panic::take_hook();
    }
}
