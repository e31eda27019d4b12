//! Structure rules: the OAS 3.0 JSON Schema, references, operation ids, parameters (and the
//! header parameters OpenAPI ignores), responses, servers and their variables, security
//! requirements and unused components.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

use super::rules::Rule;
use super::schema_errors::explain;
use super::yaml::{Node, join, join_index, pointer_tokens};
use super::{Ctx, Findings, Target};

/// The OAS 3.0 JSON Schema, as published (draft-04), in JSON: the same document as
/// `data/oas-3.0-schema.yaml` (a test checks), since parsing the YAML took a sixth of a lint.
const OAS_SCHEMA_JSON: &str = include_str!("../../data/oas-3.0-schema.json");

/// At most this many `oas3-schema` findings per document: past that, the rest is noise.
const MAX_SCHEMA_FINDINGS: usize = 200;

/// The compiled OAS validator, built once per process.
fn oas_validator() -> Result<&'static Validator, &'static str> {
    static VALIDATOR: OnceLock<Result<Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let mut schema: Value =
                serde_json::from_str(OAS_SCHEMA_JSON).map_err(|e| e.to_string())?;
            adapt_oas_schema(&mut schema);
            jsonschema::options()
                .with_draft(Draft::Draft7)
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(String::as_str)
}

/// Rewrites the draft-04 OAS schema into an equivalent draft-07 one whose errors point at the
/// real mistake.
///
/// The published schema says "a Response or a Reference" with `oneOf`, so a response missing its
/// `description` fails both alternatives and the validator can only say "matches none". Here each
/// such `oneOf` becomes `if it has $ref then Reference else Response`, and the `oneOf`s keyed on
/// a field (`in` for parameters, `type` for security schemes) become `if`/`then` chains on it,
/// so the errors come from the one alternative the author meant.
fn adapt_oas_schema(schema: &mut Value) {
    let Some(root) = schema.as_object_mut() else {
        return;
    };
    root.remove("id");
    root.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    let definitions = root.get("definitions").cloned().unwrap_or(Value::Null);
    if let Some(defs) = root.get_mut("definitions").and_then(Value::as_object_mut) {
        // `required: true` on path parameters is the job of `path-param-not-required`.
        if let Some(path_param) = defs.get_mut("PathParameter").and_then(Value::as_object_mut) {
            path_param.remove("required");
            if let Some(props) = path_param
                .get_mut("properties")
                .and_then(Value::as_object_mut)
            {
                props.remove("required");
            }
        }
        // Bearer or not: only the bearer scheme may have `bearerFormat`.
        if let Some(http) = defs
            .get_mut("HTTPSecurityScheme")
            .and_then(Value::as_object_mut)
            && http.remove("oneOf").is_some()
        {
            http.insert(
                "if".into(),
                json!({"properties": {"scheme": {"pattern": "^[Bb][Ee][Aa][Rr][Ee][Rr]$"}}}),
            );
            http.insert("then".into(), json!({}));
            http.insert(
                "else".into(),
                json!({"not": {"required": ["bearerFormat"]}}),
            );
        }
        // Exactly one of `schema` and `content`, and no serialization fields beside `content`.
        if let Some(xor) = defs
            .get_mut("SchemaXORContent")
            .and_then(Value::as_object_mut)
            && let Some(Value::Array(alternatives)) = xor.remove("oneOf")
        {
            let with_content = alternatives
                .get(1)
                .and_then(|a| a.get("allOf"))
                .cloned()
                .unwrap_or(json!([]));
            xor.insert("if".into(), json!({"required": ["content"]}));
            xor.insert("then".into(), json!({ "allOf": with_content }));
            xor.insert("else".into(), json!({"required": ["schema"]}));
        }
    }
    rewrite_one_ofs(schema, &definitions);
}

/// Applies the `oneOf` rewrites everywhere, and draft-04's boolean `exclusiveMinimum`.
fn rewrite_one_ofs(node: &mut Value, definitions: &Value) {
    match node {
        Value::Object(obj) => {
            for (bound, limit) in [
                ("exclusiveMinimum", "minimum"),
                ("exclusiveMaximum", "maximum"),
            ] {
                if let Some(Value::Bool(exclusive)) = obj.get(bound).cloned() {
                    obj.remove(bound);
                    if exclusive && let Some(n) = obj.remove(limit) {
                        obj.insert(bound.into(), n);
                    }
                }
            }
            let replacement = match obj.get("oneOf") {
                Some(Value::Array(alternatives)) => reference_switch(alternatives)
                    .or_else(|| discriminated_chain(alternatives, definitions)),
                _ => None,
            };
            if let Some(Value::Object(replacement)) = replacement {
                obj.remove("oneOf");
                obj.extend(replacement);
            }
            for v in obj.values_mut() {
                rewrite_one_ofs(v, definitions);
            }
        }
        Value::Array(items) => {
            for v in items {
                rewrite_one_ofs(v, definitions);
            }
        }
        _ => {}
    }
}

/// `oneOf: [X, Reference]` → `if $ref then Reference else X`.
fn reference_switch(alternatives: &[Value]) -> Option<Value> {
    let reference = json!({"$ref": "#/definitions/Reference"});
    if !alternatives.contains(&reference) {
        return None;
    }
    let mut others: Vec<Value> = alternatives
        .iter()
        .filter(|a| **a != reference)
        .cloned()
        .collect();
    // `additionalProperties` may also be a boolean: test plain `{type: T}` alternatives first.
    let simple: Vec<Value> = others
        .iter()
        .filter(|a| {
            a.as_object()
                .is_some_and(|o| o.len() == 1 && o.contains_key("type"))
        })
        .cloned()
        .collect();
    others.retain(|a| !simple.contains(a));
    let mut rest = match others.len() {
        0 => json!({}),
        1 => others.remove(0),
        _ => json!({ "anyOf": others }),
    };
    for s in simple.into_iter().rev() {
        rest = json!({"if": s, "then": {}, "else": rest});
    }
    Some(json!({
        "if": {"type": "object", "required": ["$ref"]},
        "then": reference,
        "else": rest,
    }))
}

/// `oneOf` of definitions told apart by a one-value `enum` on a common field (`in`, `type`)
/// → an `if`/`then` chain on that field.
fn discriminated_chain(alternatives: &[Value], definitions: &Value) -> Option<Value> {
    let resolved: Vec<&Value> = alternatives
        .iter()
        .map(|a| {
            let name = a.get("$ref")?.as_str()?.strip_prefix("#/definitions/")?;
            definitions.get(name)
        })
        .collect::<Option<_>>()?;
    let single_value = |def: &Value, field: &str| -> Option<Value> {
        match def
            .get("properties")?
            .get(field)?
            .get("enum")?
            .as_array()?
            .as_slice()
        {
            [one] => Some(one.clone()),
            _ => None,
        }
    };
    let first = resolved.first()?.get("properties")?.as_object()?;
    let field = first
        .keys()
        .find(|f| resolved.iter().all(|d| single_value(d, f).is_some()))?
        .clone();
    let values: Vec<Value> = resolved
        .iter()
        .filter_map(|d| single_value(d, &field))
        .collect();
    let mut chain = json!({"properties": {field.clone(): {"enum": values.clone()}}});
    for (alternative, value) in alternatives.iter().zip(values).rev() {
        chain = json!({
            "if": {"required": [field.clone()], "properties": {field.clone(): {"const": value}}},
            "then": alternative,
            "else": chain,
        });
    }
    Some(chain)
}

/// `oas3-schema`: validates the document against the (adapted) OAS 3.0 JSON Schema.
pub fn check_schema(ctx: &Ctx, out: &mut Findings) {
    let validator = match oas_validator() {
        Ok(v) => v,
        Err(e) => {
            out.add(
                Rule::Oas3Schema,
                "",
                format!("internal: the OAS schema does not compile: {e}"),
            );
            return;
        }
    };
    let mut problems = Vec::new();
    for err in validator.iter_errors(ctx.json) {
        // `parameter-duplicate` reports repeated parameters one by one, by (name, in).
        if matches!(err.kind(), ValidationErrorKind::UniqueItems)
            && err.instance_path().as_str().ends_with("/parameters")
        {
            continue;
        }
        problems.extend(explain(&err));
    }
    // A value of the wrong type also fails its `enum`, `pattern`...: the type error says it all.
    let mistyped: HashSet<String> = problems
        .iter()
        .filter(|p| p.is_type)
        .map(|p| p.pointer.clone())
        .collect();
    let mut count = 0;
    for problem in problems {
        if !problem.is_type && mistyped.contains(&problem.pointer) {
            continue;
        }
        if count == MAX_SCHEMA_FINDINGS {
            out.add(
                Rule::Oas3Schema,
                "",
                format!("more than {MAX_SCHEMA_FINDINGS} schema errors; the rest are not shown"),
            );
            return;
        }
        count += 1;
        let mut message = problem.message;
        if problem.is_type
            && problem.pointer.ends_with("/required")
            && ctx
                .root
                .at(&problem.pointer)
                .and_then(Node::as_bool)
                .is_some()
        {
            // A parameter's `required: true` put on a schema property.
            message.push_str(
                " (a schema lists its required properties in `required: [...]` of the object)",
            );
        }
        out.add(Rule::Oas3Schema, problem.pointer, message);
    }
}

/// The other structure rules.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    references(ctx, out);
    operation_ids(ctx, out);
    duplicate_parameters(ctx, out);
    responses(ctx, out);
    servers(ctx, out);
    ignored_headers(ctx, out);
    security(ctx, out);
    unused_components(ctx, out);
}

/// `ref-unresolved` and `ref-siblings`.
fn references(ctx: &Ctx, out: &mut Findings) {
    for r in &ctx.index.refs {
        let ref_ptr = join(&r.ptr, "$ref");
        match ctx.resolve(r.target) {
            Target::Unresolved(why) => {
                out.add(
                    Rule::RefUnresolved,
                    ref_ptr,
                    format!("`{}` does not resolve: {why}", r.target),
                );
            }
            Target::External => {}
            Target::Local(mut ptr, mut node) => {
                // A chain of bare references that comes back to itself resolves to nothing.
                let mut seen = HashSet::from([r.ptr.clone()]);
                while let Some(next) = node.get("$ref").and_then(Node::as_str) {
                    if !seen.insert(ptr.clone()) {
                        out.add(
                            Rule::RefUnresolved,
                            ref_ptr.clone(),
                            format!("`{}` is a circular chain of references", r.target),
                        );
                        break;
                    }
                    match ctx.resolve(next) {
                        Target::Local(p, n) => {
                            ptr = p;
                            node = n;
                        }
                        // Reported where that reference is written.
                        _ => break,
                    }
                }
            }
        }
        if !r.path_item {
            for e in r.node.as_map().unwrap_or_default() {
                if e.key != "$ref" {
                    out.add(
                        Rule::RefSiblings,
                        join(&r.ptr, &e.key),
                        format!("`{}` beside `$ref` is ignored in OpenAPI 3.0", e.key),
                    );
                }
            }
        }
    }
}

/// The characters RFC 3986 leaves unreserved: an id made of them is safe in a URL.
fn url_safe(id: &str) -> bool {
    id.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `operation-id-missing`, `operation-id-duplicate`, `operation-id-url-safe`.
fn operation_ids(ctx: &Ctx, out: &mut Findings) {
    let mut seen: HashMap<&str, String> = HashMap::new();
    for op in &ctx.index.operations {
        let label = format!("{} {}", op.method.to_uppercase(), op.path);
        // A non-string operationId is an `oas3-schema` finding.
        if op
            .node
            .get("operationId")
            .is_some_and(|id| id.as_str().is_none())
        {
            continue;
        }
        match op.node.str_at("operationId") {
            None | Some("") => out.add(
                Rule::OperationIdMissing,
                op.ptr.clone(),
                format!("{label} has no operationId"),
            ),
            Some(id) => {
                let id_ptr = join(&op.ptr, "operationId");
                if !url_safe(id) {
                    out.add(
                        Rule::OperationIdUrlSafe,
                        id_ptr.clone(),
                        format!("operationId `{id}` has characters outside A-Za-z0-9-._~"),
                    );
                }
                match seen.get(id) {
                    Some(first) => out.add(
                        Rule::OperationIdDuplicate,
                        id_ptr,
                        format!("operationId `{id}` is also used by {first}"),
                    ),
                    None => {
                        seen.insert(id, label);
                    }
                }
            }
        }
    }
}

/// `parameter-duplicate`: within one `parameters` list (a path item's or an operation's).
fn duplicate_parameters(ctx: &Ctx, out: &mut Findings) {
    let mut lists: Vec<(String, &Node)> = Vec::new();
    if let Some(paths) = ctx.root.get("paths").and_then(Node::as_map) {
        for e in paths {
            let item_ptr = join("/paths", &e.key);
            if let Some(list) = e.value.get("parameters") {
                lists.push((join(&item_ptr, "parameters"), list));
            }
        }
    }
    for op in &ctx.index.operations {
        if let Some(list) = op.node.get("parameters") {
            lists.push((join(&op.ptr, "parameters"), list));
        }
    }
    for (list_ptr, list) in lists {
        let mut seen = HashSet::new();
        for (i, p) in list.as_seq().unwrap_or_default().iter().enumerate() {
            let ptr = join_index(&list_ptr, i);
            if let Some(key) = parameter_key(ctx, p, &ptr)
                && !seen.insert(key.clone())
            {
                out.add(
                    Rule::ParameterDuplicate,
                    ptr,
                    format!("parameter `{}` in {} is listed twice", key.0, key.1),
                );
            }
        }
    }
}

/// (name, in) of a parameter, following references; header names are case-insensitive.
pub fn parameter_key(ctx: &Ctx, p: &Node, ptr: &str) -> Option<(String, String)> {
    let (p, _) = ctx.deref(p, ptr)?;
    let name = p.str_at("name")?;
    let location = p.str_at("in")?;
    let name = if location == "header" {
        name.to_ascii_lowercase()
    } else {
        name.to_string()
    };
    Some((name, location.to_string()))
}

/// `response-2xx-missing`, `response-4xx-missing`.
fn responses(ctx: &Ctx, out: &mut Findings) {
    for op in &ctx.index.operations {
        let Some(responses) = op.node.get("responses").and_then(Node::as_map) else {
            continue;
        };
        let ptr = join(&op.ptr, "responses");
        let label = format!("{} {}", op.method.to_uppercase(), op.path);
        let has_class = |class: u8| {
            responses
                .iter()
                .any(|e| status_class(&e.key) == Some(class))
        };
        if !has_class(2) {
            out.add(
                Rule::Response2xxMissing,
                ptr.clone(),
                format!("{label} declares no 2xx response"),
            );
        }
        if !has_class(4) {
            out.add(
                Rule::Response4xxMissing,
                ptr,
                format!("{label} declares no 4xx response"),
            );
        }
    }
}

/// The class (first digit) of a response key: `200` and `2XX` are 2, `default` or a malformed
/// key (`2xx`, `600`) has none.
pub fn status_class(key: &str) -> Option<u8> {
    let bytes = key.as_bytes();
    let valid = bytes.len() == 3
        && (b'1'..=b'5').contains(&bytes[0])
        && (bytes[1..].iter().all(u8::is_ascii_digit) || &bytes[1..] == b"XX");
    valid.then(|| bytes[0] - b'0')
}

/// `servers-empty`, `server-trailing-slash`.
fn servers(ctx: &Ctx, out: &mut Findings) {
    if ctx.root.is_map() && ctx.root.get("servers").is_none() {
        out.add(
            Rule::ServersEmpty,
            "",
            "no `servers`: clients fall back to `/` on the document's own host",
        );
    }
    let mut lists: Vec<(String, &Node)> = Vec::new();
    if let Some(list) = ctx.root.get("servers") {
        lists.push(("/servers".to_string(), list));
    }
    if let Some(paths) = ctx.root.get("paths").and_then(Node::as_map) {
        for e in paths {
            if let Some(list) = e.value.get("servers") {
                lists.push((join(&join("/paths", &e.key), "servers"), list));
            }
        }
    }
    for op in &ctx.index.operations {
        if let Some(list) = op.node.get("servers") {
            lists.push((join(&op.ptr, "servers"), list));
        }
    }
    for (ptr, list) in lists {
        let Some(items) = list.as_seq() else { continue };
        if items.is_empty() {
            out.add(
                Rule::ServersEmpty,
                ptr.clone(),
                "`servers` is an empty list",
            );
        }
        for (i, server) in items.iter().enumerate() {
            let server_ptr = join_index(&ptr, i);
            if let Some(url) = server.str_at("url")
                && url.len() > 1
                && url.ends_with('/')
            {
                out.add(
                    Rule::ServerTrailingSlash,
                    join(&server_ptr, "url"),
                    format!("server URL `{url}` ends with `/`"),
                );
            }
            server_variables(server, &server_ptr, out);
        }
    }
}

/// The `{name}`s of a server URL template.
fn url_variables(url: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start + 1..].find('}') else {
            break;
        };
        names.push(&rest[start + 1..start + 1 + len]);
        rest = &rest[start + 1 + len + 1..];
    }
    names
}

/// `server-variable-undefined`, `server-variable-unused`.
fn server_variables(server: &Node, server_ptr: &str, out: &mut Findings) {
    let Some(url) = server.str_at("url") else {
        return;
    };
    let used = url_variables(url);
    let variables = server
        .get("variables")
        .and_then(Node::as_map)
        .unwrap_or_default();
    for name in &used {
        if !variables.iter().any(|v| v.key == *name) {
            out.add(
                Rule::ServerVariableUndefined,
                join(server_ptr, "url"),
                format!(
                    "server URL `{url}` uses `{{{name}}}`, which `variables` does not define: add `variables: {{{name}: {{default: ...}}}}` or write the value in the URL"
                ),
            );
        }
    }
    let variables_ptr = join(server_ptr, "variables");
    for v in variables {
        if !used.contains(&v.key.as_str()) {
            out.add(
                Rule::ServerVariableUnused,
                join(&variables_ptr, &v.key),
                format!(
                    "server variable `{}` is not used in the URL `{url}`: add `{{{}}}` to the URL or drop the variable",
                    v.key, v.key
                ),
            );
        }
    }
}

/// `header-parameter-ignored`: header parameters (and headers) that OpenAPI 3.0 says are ignored,
/// because other fields describe them.
fn ignored_headers(ctx: &Ctx, out: &mut Findings) {
    for p in &ctx.index.parameters {
        let (Some("header"), Some(name)) = (p.node.str_at("in"), p.node.str_at("name")) else {
            continue;
        };
        let instead = match name.to_ascii_lowercase().as_str() {
            "accept" => "the responses' `content` media types",
            "content-type" => "`requestBody.content`",
            "authorization" => "`components.securitySchemes` and `security`",
            _ => continue,
        };
        out.add(
            Rule::HeaderParameterIgnored,
            join(&p.ptr, "name"),
            format!(
                "OpenAPI 3.0 ignores a header parameter named `{name}`: describe it with {instead} and drop the parameter"
            ),
        );
    }
    for h in &ctx.index.headers {
        let Some(name) = pointer_tokens(&h.ptr).last() else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-type") {
            out.add(
                Rule::HeaderParameterIgnored,
                h.ptr.clone(),
                format!(
                    "OpenAPI 3.0 ignores a header named `{name}` here: the media type key of `content` is the Content-Type; drop the header"
                ),
            );
        }
    }
}

/// Every security requirement list: (pointer, node).
fn security_lists<'a>(ctx: &Ctx<'a>) -> Vec<(String, &'a Node)> {
    let mut lists = Vec::new();
    if let Some(list) = ctx.root.get("security") {
        lists.push(("/security".to_string(), list));
    }
    for op in &ctx.index.operations {
        if let Some(list) = op.node.get("security") {
            lists.push((join(&op.ptr, "security"), list));
        }
    }
    lists
}

/// `security-scheme-undefined`.
fn security(ctx: &Ctx, out: &mut Findings) {
    let schemes = ctx
        .root
        .get("components")
        .and_then(|c| c.get("securitySchemes"));
    for (ptr, list) in security_lists(ctx) {
        for (i, requirement) in list.as_seq().unwrap_or_default().iter().enumerate() {
            for e in requirement.as_map().unwrap_or_default() {
                if schemes.and_then(|s| s.get(&e.key)).is_none() {
                    out.add(
                        Rule::SecuritySchemeUndefined,
                        join(&join_index(&ptr, i), &e.key),
                        format!(
                            "security scheme `{}` is not defined in components.securitySchemes",
                            e.key
                        ),
                    );
                }
            }
        }
    }
}

/// `/components/<section>/<name>` of a pointer inside a component.
fn component_of(ptr: &str) -> Option<String> {
    let mut tokens = pointer_tokens(ptr);
    if tokens.next()? != "components" {
        return None;
    }
    let section = tokens.next()?;
    let name = tokens.next()?;
    Some(join(&join("/components", &section), &name))
}

/// `component-unused`: components not reachable from outside `components`.
fn unused_components(ctx: &Ctx, out: &mut Findings) {
    let Some(components) = ctx.root.get("components").and_then(Node::as_map) else {
        return;
    };
    // Edges from the place a reference is written to the component it names.
    let mut edges: Vec<(Option<String>, String)> = Vec::new();
    for r in &ctx.index.refs {
        if let Target::Local(target, _) = ctx.resolve(r.target)
            && let Some(to) = component_of(&target)
        {
            edges.push((component_of(&r.ptr), to));
        }
    }
    // Discriminator mappings name schemas too, by reference or by bare name.
    for s in &ctx.index.schemas {
        let mapping = s.node.get("discriminator").and_then(|d| d.get("mapping"));
        for e in mapping.and_then(Node::as_map).unwrap_or_default() {
            let Some(value) = e.value.as_str() else {
                continue;
            };
            let target = match ctx.resolve(value) {
                Target::Local(target, _) => component_of(&target),
                _ if !value.contains(['#', '/']) => Some(join("/components/schemas", value)),
                _ => None,
            };
            if let Some(to) = target {
                edges.push((component_of(&s.ptr), to));
            }
        }
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<String> = edges
        .iter()
        .filter(|(from, _)| from.is_none())
        .map(|(_, to)| to.clone())
        .collect();
    let mut outgoing: HashMap<&str, Vec<&str>> = HashMap::new();
    for (from, to) in &edges {
        if let Some(from) = from {
            outgoing.entry(from).or_default().push(to);
        }
    }
    while let Some(c) = queue.pop_front() {
        if used.insert(c.clone()) {
            for next in outgoing.get(c.as_str()).into_iter().flatten() {
                queue.push_back((*next).to_string());
            }
        }
    }
    let mut used_schemes: HashSet<&str> = HashSet::new();
    for (_, list) in security_lists(ctx) {
        for requirement in list.as_seq().unwrap_or_default() {
            for e in requirement.as_map().unwrap_or_default() {
                used_schemes.insert(&e.key);
            }
        }
    }
    for section in components {
        let kind = section.key.as_str();
        if !matches!(
            kind,
            "schemas"
                | "responses"
                | "parameters"
                | "examples"
                | "requestBodies"
                | "headers"
                | "securitySchemes"
                | "links"
                | "callbacks"
        ) {
            continue;
        }
        let section_ptr = join("/components", kind);
        for e in section.value.as_map().unwrap_or_default() {
            let ptr = join(&section_ptr, &e.key);
            let is_used = if kind == "securitySchemes" {
                used_schemes.contains(e.key.as_str())
            } else {
                used.contains(&ptr)
            };
            if !is_used {
                out.add(
                    Rule::ComponentUnused,
                    ptr,
                    format!("components.{kind}.{} is never used", e.key),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::fires;
    use super::*;

    fn server_doc(server: &str) -> String {
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\nservers:\n  - {server}\npaths: {{}}\n"
        )
    }

    #[test]
    fn server_variables() {
        let undefined = server_doc(
            "{url: 'https://{region}.example.com/{version}', variables: {region: {default: eu}}}",
        );
        assert_eq!(
            fires(&undefined, Rule::ServerVariableUndefined),
            vec!["/servers/0/url"]
        );
        assert!(fires(&undefined, Rule::ServerVariableUnused).is_empty());
        let unused = server_doc("{url: 'https://example.com', variables: {region: {default: eu}}}");
        assert_eq!(
            fires(&unused, Rule::ServerVariableUnused),
            vec!["/servers/0/variables/region"]
        );
        let good =
            server_doc("{url: 'https://{region}.example.com', variables: {region: {default: eu}}}");
        assert!(fires(&good, Rule::ServerVariableUndefined).is_empty());
        assert!(fires(&good, Rule::ServerVariableUnused).is_empty());
    }

    #[test]
    fn ignored_header_parameters() {
        let doc = |name: &str| {
            format!(
                "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n      operationId: a\n      parameters:\n        - {{name: {name}, in: header, schema: {{type: string}}}}\n      responses:\n        '204':\n          description: ok\n          headers:\n            X-Trace: {{schema: {{type: string}}}}\n"
            )
        };
        for name in ["Accept", "content-type", "Authorization"] {
            assert_eq!(
                fires(&doc(name), Rule::HeaderParameterIgnored),
                vec!["/paths/~1a/get/parameters/0/name"],
                "{name}"
            );
        }
        assert!(fires(&doc("X-Request-Id"), Rule::HeaderParameterIgnored).is_empty());
        let response_header = doc("X-Request-Id").replace("X-Trace", "Content-Type");
        assert_eq!(
            fires(&response_header, Rule::HeaderParameterIgnored),
            vec!["/paths/~1a/get/responses/204/headers/Content-Type"]
        );
    }

    /// The embedded JSON is the published YAML, converted and nothing else. After updating the
    /// YAML: `XTASK_WRITE_OAS_JSON=1 cargo test -p xtask oas_schema_json`.
    #[test]
    fn oas_schema_json_is_the_published_yaml() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let yaml = std::fs::read_to_string(dir.join("oas-3.0-schema.yaml")).expect("read");
        let published: Value = serde_yaml::from_str(&yaml).expect("the YAML parses");
        if std::env::var_os("XTASK_WRITE_OAS_JSON").is_some() {
            let mut text = serde_json::to_string_pretty(&published).expect("serializes");
            text.push('\n');
            std::fs::write(dir.join("oas-3.0-schema.json"), text).expect("write");
        }
        let embedded: Value = serde_json::from_str(OAS_SCHEMA_JSON).expect("the JSON parses");
        assert!(
            embedded == published,
            "data/oas-3.0-schema.json differs from data/oas-3.0-schema.yaml: run \
             `XTASK_WRITE_OAS_JSON=1 cargo test -p xtask oas_schema_json` and commit the result"
        );
    }

    #[test]
    fn oas_schema_compiles() {
        assert!(oas_validator().is_ok());
    }

    #[test]
    fn one_of_reference_becomes_a_switch() {
        let mut schema: Value = serde_json::from_str(OAS_SCHEMA_JSON).expect("schema parses");
        adapt_oas_schema(&mut schema);
        let text = serde_json::to_string(&schema).expect("serializes");
        // `"oneOf":{` is the Schema object's own `oneOf` property, not the keyword.
        assert!(!text.contains("\"oneOf\":["), "a oneOf keyword is left");
    }
}
