//! Value rules: every example (media type, parameter, header, schema), every schema `default`
//! and every `enum` member is validated against its schema with the `jsonschema` crate; a value
//! that the Rust type of its integer `format` cannot hold is `value-outside-format`.
//!
//! OAS 3.0 schemas are not JSON Schema, so each is converted first: component references become
//! references to the `$defs` entries of one registry resource holding every converted component
//! (recursive schemas stay recursive), other local references are inlined,
//! `nullable: true` adds `null` to `type` and `enum` (and, without `type`, allows `null` as typify
//! does), draft-04 boolean `exclusiveMinimum` becomes
//! the numeric form, integer formats become the bounds of the Rust type typify makes of them, properties marked `readOnly`/`writeOnly` are
//! not required (an example may be a request or a response), and OAS-only keywords (`example`,
//! `xml`, `discriminator`, ...) are dropped. The schemas are compiled together, once the walk
//! has recorded every value to check ([`Checker::run`]).

use std::collections::{HashMap, HashSet};

use jsonschema::{Draft, Registry, Validator};
use serde_json::{Map, Value, json};

use super::formats::integer_range;
use super::rules::Rule;
use super::schema_errors::explain_under;
use super::yaml::{Node, join, join_index, pointer_tokens};
use super::{Ctx, Findings, Target};

/// At most this many problems are reported for one example.
const MAX_PROBLEMS: usize = 10;
/// Inlined (non-component) references deeper than this are left unchecked.
const MAX_INLINE_DEPTH: usize = 32;

/// All example rules.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    let mut checker = Checker {
        ctx,
        roots: Vec::new(),
        by_pointer: HashMap::new(),
        by_schema: HashMap::new(),
        jobs: Vec::new(),
    };
    for site in &ctx.index.schemas {
        if let Some(example) = site.node.get("example") {
            checker.validate(
                site.node,
                &site.ptr,
                example,
                &join(&site.ptr, "example"),
                Use::Example,
            );
        }
        if let Some(default) = site.node.get("default") {
            checker.validate(
                site.node,
                &site.ptr,
                default,
                &join(&site.ptr, "default"),
                Use::Default,
            );
        }
        let enum_ptr = join(&site.ptr, "enum");
        for (i, member) in site
            .node
            .get("enum")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            checker.validate(
                site.node,
                &site.ptr,
                member,
                &join_index(&enum_ptr, i),
                Use::EnumMember,
            );
        }
    }
    for site in ctx.index.parameters.iter().chain(&ctx.index.headers) {
        let schema = match site.node.get("schema") {
            Some(schema) => Some((schema, join(&site.ptr, "schema"))),
            // With `content`, the single media type's schema describes the value.
            None => site
                .node
                .get("content")
                .and_then(Node::as_map)
                .and_then(|c| c.first())
                .and_then(|mt| {
                    let ptr = join(&join(&join(&site.ptr, "content"), &mt.key), "schema");
                    mt.value.get("schema").map(|s| (s, ptr))
                }),
        };
        if let Some((schema, schema_ptr)) = schema {
            checker.examples_of(site.node, &site.ptr, schema, &schema_ptr);
        }
    }
    for site in &ctx.index.media_types {
        if let Some(schema) = site.node.get("schema") {
            let schema_ptr = join(&site.ptr, "schema");
            checker.examples_of(site.node, &site.ptr, schema, &schema_ptr);
        }
    }
    checker.run(out);
}

/// What a validated value is to its schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    /// An example (of a schema, parameter, header or media type).
    Example,
    /// A schema's `default`.
    Default,
    /// A member of the schema's `enum`.
    EnumMember,
}

impl Use {
    fn noun(self) -> &'static str {
        match self {
            Use::Example => "example",
            Use::Default => "default",
            Use::EnumMember => "enum value",
        }
    }

    /// The rule for a value that does not match its schema.
    fn rule(self) -> Rule {
        match self {
            Use::Example => Rule::ExampleInvalid,
            Use::Default => Rule::DefaultInvalid,
            Use::EnumMember => Rule::EnumValueInvalid,
        }
    }
}

/// Converts schemas and collects the values to check against them; [`Checker::run`] compiles
/// and checks them all at once.
struct Checker<'c, 'a> {
    ctx: &'c Ctx<'a>,
    /// The distinct converted schemas the values are checked against.
    roots: Vec<Value>,
    /// Index in `roots` by schema pointer and whether `enum` was left out (`None` when nothing
    /// is there).
    by_pointer: HashMap<(String, bool), Option<usize>>,
    /// Index in `roots` by converted schema: many properties convert to the same schema
    /// (`{"type": "string"}`).
    by_schema: HashMap<String, usize>,
    /// The values to check, in document order.
    jobs: Vec<Job>,
}

/// One value to check against one schema.
struct Job {
    /// Index in [`Checker::roots`].
    root: usize,
    /// Where the schema is (for messages).
    schema_ptr: String,
    /// The value, as JSON.
    instance: Value,
    /// Where the value is.
    value_ptr: String,
    used_as: Use,
}

impl<'a> Checker<'_, 'a> {
    /// Records `example` and `examples.*.value` of a parameter, header or media type.
    fn examples_of(
        &mut self,
        owner: &'a Node,
        owner_ptr: &str,
        schema: &'a Node,
        schema_ptr: &str,
    ) {
        if let Some(example) = owner.get("example") {
            let ptr = join(owner_ptr, "example");
            self.validate(schema, schema_ptr, example, &ptr, Use::Example);
        }
        let examples_ptr = join(owner_ptr, "examples");
        for e in owner
            .get("examples")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            // A referenced example is reported where its value is written.
            let Some((example, ptr)) = self.ctx.deref(&e.value, &join(&examples_ptr, &e.key))
            else {
                continue;
            };
            if let Some(value) = example.get("value") {
                self.validate(
                    schema,
                    schema_ptr,
                    value,
                    &join(&ptr, "value"),
                    Use::Example,
                );
            }
        }
    }

    /// Records that `value` (at `value_ptr`) is to be checked against `schema` (at
    /// `schema_ptr`).
    fn validate(
        &mut self,
        schema: &'a Node,
        schema_ptr: &str,
        value: &Node,
        value_ptr: &str,
        used_as: Use,
    ) {
        let Some((_, resolved_ptr)) = self.ctx.deref(schema, schema_ptr) else {
            return;
        };
        // An enum member is checked against the rest of its schema.
        let without_enum = used_as == Use::EnumMember;
        let key = (resolved_ptr.clone(), without_enum);
        let root = match self.by_pointer.get(&key) {
            Some(root) => *root,
            None => {
                let root = self.convert_root(&resolved_ptr, without_enum);
                self.by_pointer.insert(key, root);
                root
            }
        };
        let Some(root) = root else {
            return;
        };
        self.jobs.push(Job {
            root,
            schema_ptr: resolved_ptr,
            instance: value.to_json(),
            value_ptr: value_ptr.to_string(),
            used_as,
        });
    }

    /// Converts the schema at `ptr` (once for each distinct result).
    fn convert_root(&mut self, ptr: &str, without_enum: bool) -> Option<usize> {
        let source = self.ctx.json.pointer(ptr)?;
        let component = match pointer_tokens(ptr).collect::<Vec<_>>().as_slice() {
            [c, s, name] if c == "components" && s == "schemas" => Some(name.clone()),
            _ => None,
        };
        let root = if let Some(name) = component.filter(|_| !without_enum) {
            // A component is already in the registry: referring to it keeps the schema that
            // is compiled and checked against the meta-schema small, and lets jsonschema
            // compile it once for all the values checked against it.
            json!({ "$ref": def_ref(COMPONENTS_URI, &name) })
        } else if without_enum {
            let mut source = source.clone();
            if let Some(obj) = source.as_object_mut() {
                obj.remove("enum");
            }
            convert(self.ctx, &source, COMPONENTS_URI, 0)
        } else {
            convert(self.ctx, source, COMPONENTS_URI, 0)
        };
        let key = root.to_string();
        if let Some(index) = self.by_schema.get(&key) {
            return Some(*index);
        }
        self.roots.push(root);
        self.by_schema.insert(key, self.roots.len() - 1);
        Some(self.roots.len() - 1)
    }

    /// Compiles the schemas and checks every recorded value.
    fn run(self, out: &mut Findings) {
        if self.jobs.is_empty() {
            return;
        }
        let Some(components) = components_registry(self.ctx) else {
            return;
        };
        let validators = Validators::build(self.roots, &components);
        for job in self.jobs {
            report(job, &validators, out);
        }
    }
}

/// The compiled schemas.
enum Validators {
    /// All of them in one validator, each under `properties` by its index: jsonschema compiles
    /// a component once per build, and most schemas reach the same components. Compiled one by
    /// one, the 466 schemas of GitHub's 3.7 MB spec took 1.05 G instructions (BENCHMARKS.md,
    /// issue 21).
    Together(Validator),
    /// One by one (`None` for a schema that does not compile), when they do not compile
    /// together: one bad schema must not hide the findings of the others.
    Apart(Vec<Option<Validator>>),
}

impl Validators {
    fn build(roots: Vec<Value>, components: &Registry<'static>) -> Self {
        let options = || {
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .should_validate_formats(true)
                // The components live in the shared registry, not in each schema's `$defs`:
                // jsonschema checks a schema against the meta-schema and indexes it at every
                // build.
                .with_registry(components)
        };
        let together: Map<String, Value> = roots
            .iter()
            .enumerate()
            .map(|(i, root)| (i.to_string(), root.clone()))
            .collect();
        if let Ok(validator) = options().build(&object("properties", Value::Object(together))) {
            return Validators::Together(validator);
        }
        Validators::Apart(
            roots
                .iter()
                .map(|root| options().build(root).ok())
                .collect(),
        )
    }
}

/// Checks one value and reports what is wrong with it.
fn report(job: Job, validators: &Validators, out: &mut Findings) {
    let (validator, wrapped, prefix);
    let instance = match validators {
        Validators::Together(v) => {
            validator = v;
            prefix = format!("/{}", job.root);
            wrapped = object(&job.root.to_string(), job.instance);
            &wrapped
        }
        Validators::Apart(each) => {
            let Some(Some(v)) = each.get(job.root) else {
                return;
            };
            validator = v;
            prefix = String::new();
            &job.instance
        }
    };
    let (used_as, resolved_ptr, value_ptr) = (job.used_as, &job.schema_ptr, &job.value_ptr);
    let mut seen = HashSet::new();
    for err in validator.iter_errors(instance) {
        for problem in explain_under(&err, &prefix) {
            if seen.len() == MAX_PROBLEMS {
                return;
            }
            let (rule, message) = if problem.outside_format {
                (
                    // typify writes a default or an enum member as a value of the Rust type
                    // (so generation fails); an example it never reads.
                    if used_as == Use::Example {
                        Rule::ExampleInvalid
                    } else {
                        Rule::ValueOutsideFormat
                    },
                    format!(
                        "{} {}: change the value or the format ({resolved_ptr})",
                        used_as.noun(),
                        problem.message
                    ),
                )
            } else {
                match used_as {
                    // A member of the wrong type is `enum-type-mismatch`.
                    Use::EnumMember if problem.is_type => continue,
                    Use::EnumMember => (
                        used_as.rule(),
                        format!(
                            "enum value is not allowed by its own schema: {}; drop the value or fix the schema",
                            problem.message
                        ),
                    ),
                    Use::Example | Use::Default => (
                        used_as.rule(),
                        format!(
                            "{} does not match its schema ({resolved_ptr}): {}",
                            used_as.noun(),
                            problem.message
                        ),
                    ),
                }
            };
            let ptr = format!("{value_ptr}{}", problem.pointer);
            if seen.insert((ptr.clone(), message.clone())) {
                out.add(rule, ptr, message);
            }
        }
    }
}

/// Where the converted component schemas are, in the validators' registry.
const COMPONENTS_URI: &str = "urn:xtask-lint:components";

/// A registry holding every component schema, converted, as `$defs` of [`COMPONENTS_URI`].
fn components_registry(ctx: &Ctx) -> Option<Registry<'static>> {
    let defs: Map<String, Value> = ctx
        .json
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, schema)| (name.clone(), convert(ctx, schema, "", 0)))
        .collect();
    Registry::new()
        .draft(Draft::Draft202012)
        .add(COMPONENTS_URI, object("$defs", Value::Object(defs)))
        .ok()?
        .prepare()
        .ok()
}

/// A `$ref` to `<base>#/$defs/<name>` (components keep their names there), escaped as a JSON
/// pointer inside a URI fragment.
fn def_ref(base: &str, name: &str) -> String {
    let mut out = format!("{base}#/$defs/");
    for b in name.replace('~', "~0").replace('/', "~1").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Converts one OAS 3.0 schema to JSON Schema 2020-12; a reference to a component becomes one
/// to its `$defs` entry in the document at `base` (`""`: the one the schema is in).
fn convert(ctx: &Ctx, schema: &Value, base: &str, depth: usize) -> Value {
    let Some(obj) = schema.as_object() else {
        // Not a schema object (an `oas3-schema` finding): accept anything.
        return json!({});
    };
    if let Some(reference) = obj.get("$ref") {
        let Some(reference) = reference.as_str() else {
            return json!({});
        };
        return match ctx.resolve(reference) {
            Target::Local(ptr, _) => {
                let tokens: Vec<String> = pointer_tokens(&ptr).collect();
                if let [c, s, name] = tokens.as_slice()
                    && c == "components"
                    && s == "schemas"
                {
                    json!({ "$ref": def_ref(base, name) })
                } else if depth < MAX_INLINE_DEPTH
                    && let Some(target) = ctx.json.pointer(&ptr)
                {
                    convert(ctx, target, base, depth + 1)
                } else {
                    json!({})
                }
            }
            // Unchecked here; `ref-unresolved` reports what does not resolve.
            _ => json!({}),
        };
    }

    let nullable = obj.get("nullable") == Some(&Value::Bool(true));
    let mut out = Map::new();
    let ty = obj.get("type").and_then(Value::as_str);
    if let Some(ty) = ty {
        out.insert(
            "type".into(),
            if nullable {
                json!([ty, "null"])
            } else {
                json!(ty)
            },
        );
    }
    if let Some(Value::Array(values)) = obj.get("enum") {
        let mut values = values.clone();
        if nullable && !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
        out.insert("enum".into(), Value::Array(values));
    }
    for key in ["maximum", "minimum"] {
        if let Some(n) = obj.get(key).filter(|v| v.is_number()) {
            out.insert(key.into(), n.clone());
        }
    }
    for (flag, bound) in [
        ("exclusiveMaximum", "maximum"),
        ("exclusiveMinimum", "minimum"),
    ] {
        if obj.get(flag) == Some(&Value::Bool(true))
            && let Some(n) = out.remove(bound)
        {
            out.insert(flag.into(), n);
        }
    }
    if let Some(n) = obj
        .get("multipleOf")
        .filter(|v| v.as_f64().is_some_and(|f| f > 0.0))
    {
        out.insert("multipleOf".into(), n.clone());
    }
    for key in [
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "maxProperties",
        "minProperties",
    ] {
        if let Some(n) = obj.get(key).filter(|v| v.is_u64()) {
            out.insert(key.into(), n.clone());
        }
    }
    if let Some(b) = obj.get("uniqueItems").filter(|v| v.is_boolean()) {
        out.insert("uniqueItems".into(), b.clone());
    }
    for key in ["pattern", "format"] {
        if let Some(s) = obj.get(key).filter(|v| v.is_string()) {
            out.insert(key.into(), s.clone());
        }
    }
    if ty == Some("integer")
        && let Some((_, lo, hi)) = obj
            .get("format")
            .and_then(Value::as_str)
            .and_then(integer_range)
    {
        // The range of the Rust type the format becomes, kept apart under `then` (which OAS 3.0
        // schemas never have) so that `value-outside-format` can tell it from the schema's own
        // bounds.
        out.insert("if".into(), Value::Bool(true));
        out.insert(
            "then".into(),
            json!({"minimum": integer_value(lo), "maximum": integer_value(hi)}),
        );
    }

    let properties = obj.get("properties").and_then(Value::as_object);
    if let Some(properties) = properties {
        let converted: Map<String, Value> = properties
            .iter()
            .map(|(k, v)| (k.clone(), convert(ctx, v, base, depth)))
            .collect();
        out.insert("properties".into(), Value::Object(converted));
    }
    if let Some(Value::Array(required)) = obj.get("required") {
        // readOnly properties are absent from requests, writeOnly ones from responses.
        let one_sided = |name: &str| {
            properties
                .and_then(|p| p.get(name))
                .and_then(|p| resolve_json(ctx, p))
                .is_some_and(|p| {
                    p.get("readOnly") == Some(&Value::Bool(true))
                        || p.get("writeOnly") == Some(&Value::Bool(true))
                })
        };
        let kept: Vec<Value> = required
            .iter()
            .filter(|r| r.as_str().is_some_and(|n| !one_sided(n)))
            .cloned()
            .collect();
        out.insert("required".into(), Value::Array(kept));
    }
    match obj.get("additionalProperties") {
        Some(Value::Bool(b)) => {
            out.insert("additionalProperties".into(), Value::Bool(*b));
        }
        Some(sub @ Value::Object(_)) => {
            out.insert(
                "additionalProperties".into(),
                convert(ctx, sub, base, depth),
            );
        }
        _ => {}
    }
    for key in ["items", "not"] {
        if let Some(sub @ Value::Object(_)) = obj.get(key) {
            out.insert(key.into(), convert(ctx, sub, base, depth));
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = obj.get(key) {
            let converted = members
                .iter()
                .map(|m| convert(ctx, m, base, depth))
                .collect();
            out.insert(key.into(), Value::Array(converted));
        }
    }
    if nullable && ty.is_none() {
        // `nullable: true` without `type` (beside `allOf`, typically): OAS 3.0.3 says it has no
        // effect, but typify, and so progenitor, makes the type an `Option` and takes `null`;
        // values are checked as the generated client reads them (`nullable-without-type` warns).
        return object(
            "anyOf",
            Value::Array(vec![json!({"type": "null"}), Value::Object(out)]),
        );
    }
    Value::Object(out)
}

/// `{key: value}`, moving `value` in (`json!` would serialise a copy of it).
fn object(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_string(), value);
    Value::Object(map)
}

/// An integer bound as a JSON number (every format's range fits in i64 or u64).
fn integer_value(v: i128) -> Value {
    match (i64::try_from(v), u64::try_from(v)) {
        (Ok(v), _) => json!(v),
        (_, Ok(v)) => json!(v),
        _ => Value::Null,
    }
}

/// Follows local references from a JSON schema value (for `readOnly` look-ups).
fn resolve_json<'v>(ctx: &'v Ctx, mut v: &'v Value) -> Option<&'v Value> {
    for _ in 0..8 {
        let Some(reference) = v.get("$ref") else {
            return Some(v);
        };
        match ctx.resolve(reference.as_str()?) {
            Target::Local(ptr, _) => v = ctx.json.pointer(&ptr)?,
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fires, schema_doc};
    use super::*;

    #[test]
    fn enum_values_against_their_schema() {
        let rule = Rule::EnumValueInvalid;
        for bad in [
            "{type: string, maxLength: 3, enum: [abc, abcd]}",
            "{type: string, pattern: '^[a-z]+$', enum: [abc, A1]}",
            "{type: integer, minimum: 1, enum: [1, 0]}",
        ] {
            assert_eq!(
                fires(&schema_doc(bad), rule),
                vec!["/components/schemas/S/enum/1"],
                "{bad}"
            );
        }
        for good in [
            "{type: string, maxLength: 3, enum: [abc, ab]}",
            "{type: string, nullable: true, minLength: 1, enum: [a, null]}",
            // A member of the wrong type is `enum-type-mismatch`'s.
            "{type: integer, minimum: 1, enum: [1, x]}",
        ] {
            assert!(fires(&schema_doc(good), rule).is_empty(), "{good}");
        }
    }

    #[test]
    fn values_outside_their_format() {
        let rule = Rule::ValueOutsideFormat;
        for (bad, at) in [
            (
                "{type: integer, format: int32, enum: [1, 3000000000]}",
                "enum/1",
            ),
            ("{type: integer, format: uint8, default: 256}", "default"),
            ("{type: integer, format: uint32, example: -1}", "example"),
            (
                "{type: object, properties: {n: {type: integer, format: int16}}, example: {n: 40000}}",
                "example/n",
            ),
        ] {
            // An example outside the format is an invalid example (a warning): typify never
            // reads it.
            let expected = if at.starts_with("example") {
                Rule::ExampleInvalid
            } else {
                rule
            };
            assert_eq!(
                fires(&schema_doc(bad), expected),
                vec![format!("/components/schemas/S/{at}")],
                "{bad}"
            );
            for other in [
                Rule::ValueOutsideFormat,
                Rule::DefaultInvalid,
                Rule::ExampleInvalid,
                Rule::EnumValueInvalid,
            ] {
                assert!(
                    other == expected || fires(&schema_doc(bad), other).is_empty(),
                    "{bad}: reported twice"
                );
            }
        }
        for good in [
            "{type: integer, format: int32, enum: [1, 2147483647], default: -2147483648}",
            "{type: integer, format: int64, example: 9223372036854775807}",
            "{type: integer, format: uint64, example: 18446744073709551615}",
            "{type: string, format: int32, example: '3000000000'}",
        ] {
            assert!(fires(&schema_doc(good), rule).is_empty(), "{good}");
        }
    }

    #[test]
    fn a_schema_that_does_not_compile_hides_no_other_finding() {
        // The schemas are compiled together; a bad pattern fails that build, and the others
        // are then compiled one by one.
        let doc = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Bad: {type: string, pattern: '(', example: x}\n    Good: {type: integer, example: x}\n";
        assert_eq!(
            fires(doc, Rule::ExampleInvalid),
            vec!["/components/schemas/Good/example"]
        );
        let without_bad = doc.replace("pattern: '(', ", "");
        assert_eq!(
            fires(&without_bad, Rule::ExampleInvalid),
            vec!["/components/schemas/Good/example"]
        );
    }

    #[test]
    fn def_refs_are_escaped() {
        assert_eq!(def_ref("", "Pet"), "#/$defs/Pet");
        assert_eq!(def_ref("", "a/b c"), "#/$defs/a~1b%20c");
        assert_eq!(def_ref("urn:x", "Pet"), "urn:x#/$defs/Pet");
    }
}
