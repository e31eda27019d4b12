//! Example rules: every example (media type, parameter, header, schema) and every schema
//! `default` is validated against its schema with the `jsonschema` crate.
//!
//! OAS 3.0 schemas are not JSON Schema, so each is converted first: component references become
//! `$defs` entries (recursive schemas stay recursive), other local references are inlined,
//! `nullable: true` adds `null` to `type` and `enum`, draft-04 boolean `exclusiveMinimum` becomes
//! the numeric form, `int32`/`int64` become bounds, properties marked `readOnly`/`writeOnly` are
//! not required (an example may be a request or a response), and OAS-only keywords (`example`,
//! `xml`, `discriminator`, ...) are dropped.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use jsonschema::{Draft, Validator};
use serde_json::{Map, Value, json};

use super::rules::Rule;
use super::schema_errors::explain;
use super::yaml::{Node, join, pointer_tokens};
use super::{Ctx, Findings, Target};

/// At most this many problems are reported for one example.
const MAX_PROBLEMS: usize = 10;
/// Inlined (non-component) references deeper than this are left unchecked.
const MAX_INLINE_DEPTH: usize = 32;

/// All example rules.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    let mut checker = Checker {
        ctx,
        converted: HashMap::new(),
        by_pointer: HashMap::new(),
        by_schema: HashMap::new(),
    };
    for site in &ctx.index.schemas {
        if let Some(example) = site.node.get("example") {
            checker.validate(
                site.node,
                &site.ptr,
                example,
                &join(&site.ptr, "example"),
                Rule::ExampleInvalid,
                out,
            );
        }
        if let Some(default) = site.node.get("default") {
            checker.validate(
                site.node,
                &site.ptr,
                default,
                &join(&site.ptr, "default"),
                Rule::DefaultInvalid,
                out,
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
            checker.examples_of(site.node, &site.ptr, schema, &schema_ptr, out);
        }
    }
    for site in &ctx.index.media_types {
        if let Some(schema) = site.node.get("schema") {
            let schema_ptr = join(&site.ptr, "schema");
            checker.examples_of(site.node, &site.ptr, schema, &schema_ptr, out);
        }
    }
}

/// Converts schemas and compiles validators, each once per document.
struct Checker<'c, 'a> {
    ctx: &'c Ctx<'a>,
    /// Converted component schemas by name, with the component names they refer to.
    converted: HashMap<String, (Value, Vec<String>)>,
    /// Compiled validators by schema pointer (`None` when the schema cannot be compiled).
    by_pointer: HashMap<String, Rc<Option<Validator>>>,
    /// The same validators by converted schema: many properties convert to the same schema
    /// (`{"type": "string"}`), and compiling is the expensive part.
    by_schema: HashMap<String, Rc<Option<Validator>>>,
}

impl<'a> Checker<'_, 'a> {
    /// Validates `example` and `examples.*.value` of a parameter, header or media type.
    fn examples_of(
        &mut self,
        owner: &'a Node,
        owner_ptr: &str,
        schema: &'a Node,
        schema_ptr: &str,
        out: &mut Findings,
    ) {
        if let Some(example) = owner.get("example") {
            let ptr = join(owner_ptr, "example");
            self.validate(schema, schema_ptr, example, &ptr, Rule::ExampleInvalid, out);
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
                    Rule::ExampleInvalid,
                    out,
                );
            }
        }
    }

    /// Validates `value` (at `value_ptr`) against `schema` (at `schema_ptr`).
    fn validate(
        &mut self,
        schema: &'a Node,
        schema_ptr: &str,
        value: &Node,
        value_ptr: &str,
        rule: Rule,
        out: &mut Findings,
    ) {
        let Some((_, resolved_ptr)) = self.ctx.deref(schema, schema_ptr) else {
            return;
        };
        let validator = match self.by_pointer.get(&resolved_ptr) {
            Some(v) => Rc::clone(v),
            None => {
                let v = self.compile(&resolved_ptr);
                self.by_pointer.insert(resolved_ptr.clone(), Rc::clone(&v));
                v
            }
        };
        let Some(validator) = validator.as_ref() else {
            return;
        };
        let what = if rule == Rule::DefaultInvalid {
            "default"
        } else {
            "example"
        };
        let instance = value.to_json();
        let mut seen = HashSet::new();
        for err in validator.iter_errors(&instance) {
            for problem in explain(&err) {
                if seen.len() == MAX_PROBLEMS {
                    return;
                }
                let ptr = format!("{value_ptr}{}", problem.pointer);
                if seen.insert((ptr.clone(), problem.message.clone())) {
                    out.add(
                        rule,
                        ptr,
                        format!(
                            "{what} does not match its schema ({resolved_ptr}): {}",
                            problem.message
                        ),
                    );
                }
            }
        }
    }

    /// Builds (or finds) the validator of the schema at `ptr`.
    fn compile(&mut self, ptr: &str) -> Rc<Option<Validator>> {
        let Some(source) = self.ctx.json.pointer(ptr) else {
            return Rc::new(None);
        };
        let mut names = Vec::new();
        let mut root = convert(self.ctx, source, &mut names, 0);
        // Bring in every component the schema reaches, directly or not.
        let mut defs = Map::new();
        let mut queue = names;
        let mut done = HashSet::new();
        while let Some(name) = queue.pop() {
            if !done.insert(name.clone()) {
                continue;
            }
            let (schema, deps) = self.component(&name);
            defs.insert(name.clone(), schema);
            queue.extend(deps);
        }
        if let Value::Object(obj) = &mut root {
            obj.insert("$defs".into(), Value::Object(defs));
        }
        let key = root.to_string();
        if let Some(v) = self.by_schema.get(&key) {
            return Rc::clone(v);
        }
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .ok();
        let validator = Rc::new(validator);
        self.by_schema.insert(key, Rc::clone(&validator));
        validator
    }

    /// The converted component schema `name`, and the components it refers to.
    fn component(&mut self, name: &str) -> (Value, Vec<String>) {
        if let Some(done) = self.converted.get(name) {
            return done.clone();
        }
        let ptr = join("/components/schemas", name);
        let mut deps = Vec::new();
        let schema = match self.ctx.json.pointer(&ptr) {
            Some(source) => convert(self.ctx, source, &mut deps, 0),
            None => json!({}),
        };
        self.converted
            .insert(name.to_string(), (schema.clone(), deps.clone()));
        (schema, deps)
    }
}

/// A `$ref` to `#/$defs/<name>` (components keep their names there), escaped as a JSON
/// pointer inside a URI fragment.
fn def_ref(name: &str) -> String {
    let mut out = String::from("#/$defs/");
    for b in name.replace('~', "~0").replace('/', "~1").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Converts one OAS 3.0 schema to JSON Schema 2020-12; component names it refers to are pushed
/// to `names`.
fn convert(ctx: &Ctx, schema: &Value, names: &mut Vec<String>, depth: usize) -> Value {
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
                    names.push(name.clone());
                    json!({ "$ref": def_ref(name) })
                } else if depth < MAX_INLINE_DEPTH
                    && let Some(target) = ctx.json.pointer(&ptr)
                {
                    convert(ctx, target, names, depth + 1)
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
    if ty == Some("integer") {
        let (lo, hi) = match obj.get("format").and_then(Value::as_str) {
            Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
            Some("int64") => (i64::MIN, i64::MAX),
            _ => (0, -1),
        };
        if lo <= hi {
            out.entry("minimum").or_insert(json!(lo));
            out.entry("maximum").or_insert(json!(hi));
        }
    }

    let properties = obj.get("properties").and_then(Value::as_object);
    if let Some(properties) = properties {
        let converted: Map<String, Value> = properties
            .iter()
            .map(|(k, v)| (k.clone(), convert(ctx, v, names, depth)))
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
                convert(ctx, sub, names, depth),
            );
        }
        _ => {}
    }
    for key in ["items", "not"] {
        if let Some(sub @ Value::Object(_)) = obj.get(key) {
            out.insert(key.into(), convert(ctx, sub, names, depth));
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = obj.get(key) {
            let converted = members
                .iter()
                .map(|m| convert(ctx, m, names, depth))
                .collect();
            out.insert(key.into(), Value::Array(converted));
        }
    }
    Value::Object(out)
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
    use super::*;

    #[test]
    fn def_refs_are_escaped() {
        assert_eq!(def_ref("Pet"), "#/$defs/Pet");
        assert_eq!(def_ref("a/b c"), "#/$defs/a~1b%20c");
    }
}
