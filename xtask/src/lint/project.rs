//! Project rules: what this workspace needs from a spec so that progenitor 0.15 can generate a
//! client from it, and IDs that must stay strings.

use std::collections::BTreeMap;

use super::rules::Rule;
use serde_path_to_error::Segment;

use serde::Deserialize;
use serde_json::Value;

use super::structure::status_class;
use super::walk::METHODS;
use super::yaml::{Kind, Node, join, join_index, pointer_tokens};
use super::{Ctx, Findings};

/// Which OpenAPI version the document declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// 3.0.x (or no usable `openapi` field, which `oas3-schema` reports): lint everything.
    V30,
    /// Another 3.x: lint, but not against the 3.0 JSON Schema.
    Other3,
    /// Swagger 2.0 or an unknown version: nothing else is linted.
    NotOpenApi3,
}

/// `openapi-version`; tells which rules apply.
pub fn check_version(ctx: &Ctx, out: &mut Findings) -> Version {
    let Some(openapi) = ctx.root.get("openapi") else {
        if let Some(swagger) = ctx.root.get("swagger") {
            let v = swagger.to_json();
            out.add(
                Rule::OpenapiVersion,
                "/swagger",
                format!("Swagger {v} is not supported: this project needs OpenAPI 3.0.x"),
            );
            return Version::NotOpenApi3;
        }
        // No version at all is an `oas3-schema` finding (a required field).
        return Version::V30;
    };
    let Some(version) = openapi.as_str() else {
        out.add(
            Rule::OpenapiVersion,
            "/openapi",
            format!(
                "`openapi` must be a string such as \"3.0.3\", found {} {}",
                openapi.type_name(),
                openapi.to_json()
            ),
        );
        return Version::V30;
    };
    if is_30(version) {
        return Version::V30;
    }
    out.add(
        Rule::OpenapiVersion,
        "/openapi",
        format!(
            "OpenAPI {version} is not supported: progenitor 0.15 reads OpenAPI 3.0.x (e.g. 3.0.3)"
        ),
    );
    if version.starts_with("3.") {
        Version::Other3
    } else {
        Version::NotOpenApi3
    }
}

/// `3.0.<digit>` with an optional `-suffix`, as the OAS 3.0 schema's pattern says.
fn is_30(version: &str) -> bool {
    let Some(rest) = version.strip_prefix("3.0.") else {
        return false;
    };
    let mut chars = rest.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_digit()) {
        return false;
    }
    let tail = chars.as_str();
    tail.is_empty() || tail.strip_prefix('-').is_some_and(|s| !s.is_empty())
}

/// The other project rules.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    responses(ctx, out);
    path_ids(ctx, out);
}

/// How progenitor sees a response body.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum BodyKind {
    /// No content.
    None,
    /// `application/json` with this schema (a reference's target, or the inline schema).
    Json(String),
    /// Any other media type.
    Raw(String),
}

impl BodyKind {
    fn describe(&self) -> String {
        match self {
            BodyKind::None => "no body".to_string(),
            BodyKind::Json(schema) if schema.starts_with("inline ") => {
                "JSON of an inline schema".to_string()
            }
            BodyKind::Json(schema) => format!("JSON {schema}"),
            BodyKind::Raw(media) => format!("non-JSON `{media}`"),
        }
    }
}

/// The body kind of one response (`None` when the response cannot be resolved).
fn body_kind(ctx: &Ctx, response: &Node, ptr: &str) -> Option<BodyKind> {
    let (response, ptr) = ctx.deref(response, ptr)?;
    let content = response.get("content").and_then(Node::as_map);
    let Some(first) = content.and_then(|c| c.first()) else {
        return Some(BodyKind::None);
    };
    // progenitor types `application/json` (with parameters) and treats the rest as raw bytes.
    let json = content
        .unwrap_or_default()
        .iter()
        .find(|e| e.key == "application/json" || e.key.starts_with("application/json;"));
    let Some(json) = json else {
        return Some(BodyKind::Raw(first.key.clone()));
    };
    let schema_ptr = join(&join(&join(&ptr, "content"), &json.key), "schema");
    Some(BodyKind::Json(match json.value.get("schema") {
        None => "without a schema".to_string(),
        Some(schema) => match ctx.deref(schema, &schema_ptr) {
            Some((_, resolved)) if resolved != schema_ptr => format!("#{resolved}"),
            Some((schema, _)) => format!("inline {}", schema.to_json()),
            None => format!("{schema_ptr} (unresolved)"),
        },
    }))
}

/// `progenitor-default-response`, `progenitor-mixed-bodies`.
fn responses(ctx: &Ctx, out: &mut Findings) {
    for op in &ctx.index.operations {
        let Some(responses) = op.node.get("responses").and_then(Node::as_map) else {
            continue;
        };
        let responses_ptr = join(&op.ptr, "responses");
        let label = format!("{} {}", op.method.to_uppercase(), op.path);
        let mut groups: BTreeMap<&str, Vec<(String, &str, BodyKind)>> = BTreeMap::new();
        // progenitor drops `default` from the successes when a `2XX` range catches them all.
        let success_range = responses.iter().any(|e| e.key == "2XX");
        for e in responses {
            let ptr = join(&responses_ptr, &e.key);
            // progenitor's groups (`is_success_or_default`, `is_error_or_default`): `default`
            // is in both; an invalid key is an `oas3-schema` finding.
            let in_groups: &[&str] = match status_class(&e.key) {
                _ if e.key == "default" => {
                    let others = responses.iter().any(|o| o.key != "default");
                    if others {
                        out.add(
                            Rule::ProgenitorDefaultResponse,
                            ptr.clone(),
                            format!("{label} has a `default` response beside others: progenitor counts it as a success and as an error, so its body must be the same kind as theirs"),
                        );
                    }
                    if success_range {
                        &["error"]
                    } else {
                        &["success", "error"]
                    }
                }
                _ if e.key == "101" => &["success"],
                Some(2) => &["success"],
                Some(4 | 5) => &["error"],
                _ => continue,
            };
            if let Some(kind) = body_kind(ctx, &e.value, &ptr) {
                for group in in_groups {
                    groups
                        .entry(group)
                        .or_default()
                        .push((ptr.clone(), &e.key, kind.clone()));
                }
            }
        }
        for (group, members) in groups {
            let Some((_, first_code, first_kind)) = members.first() else {
                continue;
            };
            if let Some((ptr, code, kind)) = members.iter().find(|(_, _, k)| k != first_kind) {
                out.add(
                    Rule::ProgenitorMixedBodies,
                    ptr.clone(),
                    format!(
                        "{label}: {group} responses must share one body kind for progenitor, but {first_code} has {} and {code} has {}",
                        first_kind.describe(),
                        kind.describe()
                    ),
                );
            }
        }
    }
}

/// Whether a parameter name denotes an ID (`id`, `meetingId`, `user_id`, `userid`...).
fn is_id_name(name: &str) -> bool {
    name.len() >= 2
        && name
            .get(name.len() - 2..)
            .is_some_and(|end| end.eq_ignore_ascii_case("id"))
}

/// `path-id-string`.
fn path_ids(ctx: &Ctx, out: &mut Findings) {
    for p in &ctx.index.parameters {
        let (Some("path"), Some(name)) = (p.node.str_at("in"), p.node.str_at("name")) else {
            continue;
        };
        if !is_id_name(name) {
            continue;
        }
        let Some(schema) = p.node.get("schema") else {
            continue;
        };
        let schema_ptr = join(&p.ptr, "schema");
        let Some((resolved, _)) = ctx.deref(schema, &schema_ptr) else {
            continue;
        };
        let ty = resolved.get("type");
        if ty.and_then(Node::as_str) == Some("string") {
            continue;
        }
        // Point at `type` when it is written right there.
        let ptr = match (ty, schema.get("$ref")) {
            (Some(_), None) => join(&schema_ptr, "type"),
            _ => schema_ptr,
        };
        let found = match ty.map(|t| &t.kind) {
            Some(Kind::Str(t)) => format!("`type: {t}`"),
            Some(_) => "a malformed `type`".to_string(),
            None => "no `type`".to_string(),
        };
        out.add(
            Rule::PathIdString,
            ptr,
            format!("path parameter `{name}` is an ID and must be `type: string` (IDs can exceed i64), found {found}"),
        );
    }
}

/// `progenitor-parse`: the document must deserialize as `openapiv3::OpenAPI`; returns it when
/// it does.
pub fn check_openapiv3(ctx: &Ctx, out: &mut Findings) -> Option<openapiv3::OpenAPI> {
    // From the JSON value already built: cheaper than parsing the YAML again. Without the
    // error's path first: serde_path_to_error's bookkeeping at every node cost 0.13 G
    // instructions of 0.81 G on GitHub's 3.7 MB spec, and most specs are read without error.
    if let Ok(spec) = openapiv3::OpenAPI::deserialize(ctx.json) {
        return Some(spec);
    }
    let (mut pointer, mut message) = match serde_path_to_error::deserialize(ctx.json) {
        Ok(spec) => return Some(spec),
        Err(err) => (error_pointer(&err, ""), err.inner().to_string()),
    };
    // openapiv3 flattens maps (paths, responses), where serde loses the error's path: retry
    // the children of the last known node one by one, as the types they are, to get closer.
    'refine: for _ in 0..8 {
        let Some(node) = ctx.json.pointer(&pointer) else {
            break;
        };
        let children: Vec<(String, &Value)> = match node {
            Value::Object(map) => map.iter().map(|(k, v)| (join(&pointer, k), v)).collect(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (join_index(&pointer, i), v))
                .collect(),
            _ => break,
        };
        for (child, value) in children {
            if let Some(found) = check_as_typed(&child, value)
                && found.0.len() > pointer.len()
            {
                (pointer, message) = found;
                continue 'refine;
            }
        }
        break;
    }
    out.add(
        Rule::ProgenitorParse,
        pointer,
        format!("openapiv3 (progenitor's reader) rejects this: {message}"),
    );
    None
}

/// Deserializes `value` as `T`; on failure, the pointer (under `base`) and the message.
fn first_error<T: serde::de::DeserializeOwned>(
    value: &Value,
    base: &str,
) -> Option<(String, String)> {
    let err = serde_path_to_error::deserialize::<_, T>(value).err()?;
    Some((error_pointer(&err, base), err.inner().to_string()))
}

/// The document pointer (under `base`) of a deserialization error, as far as serde knows it.
fn error_pointer<E>(err: &serde_path_to_error::Error<E>, base: &str) -> String {
    let mut pointer = base.to_string();
    for segment in err.path().iter() {
        match segment {
            Segment::Seq { index } => pointer = join_index(&pointer, *index),
            Segment::Map { key } => pointer = join(&pointer, key),
            // Flattened or untagged data: the path stops being a document path here.
            Segment::Enum { .. } | Segment::Unknown => break,
        }
    }
    pointer
}

/// Checks the node at `ptr` as the openapiv3 type its place in the document calls for.
fn check_as_typed(ptr: &str, value: &Value) -> Option<(String, String)> {
    use openapiv3::{Operation, Parameter, PathItem, ReferenceOr, RequestBody, Response, Schema};
    let tokens: Vec<String> = pointer_tokens(ptr).collect();
    let t: Vec<&str> = tokens.iter().map(String::as_str).collect();
    match t.as_slice() {
        ["paths", p] if !p.starts_with("x-") => first_error::<ReferenceOr<PathItem>>(value, ptr),
        ["paths", _, m] if METHODS.contains(m) => first_error::<Operation>(value, ptr),
        ["paths", _, _, "responses", code] if !code.starts_with("x-") => {
            first_error::<ReferenceOr<Response>>(value, ptr)
        }
        ["paths", _, _, "requestBody"] | ["components", "requestBodies", _] => {
            first_error::<ReferenceOr<RequestBody>>(value, ptr)
        }
        ["paths", _, .., "parameters", _] | ["components", "parameters", _] => {
            first_error::<ReferenceOr<Parameter>>(value, ptr)
        }
        ["components", "responses", _] => first_error::<ReferenceOr<Response>>(value, ptr),
        ["components", "schemas", _] => first_error::<ReferenceOr<Schema>>(value, ptr),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for v in ["3.0.0", "3.0.3", "3.0.4-rc1"] {
            assert!(is_30(v), "{v}");
        }
        for v in ["3.1.0", "3.0", "3.0.", "3.0.x", "3.0.10", "3.0.3-", "2.0"] {
            assert!(!is_30(v), "{v}");
        }
    }

    #[test]
    fn id_names() {
        for n in ["id", "meetingId", "user_id", "userid", "ID"] {
            assert!(is_id_name(n), "{n}");
        }
        for n in ["name", "i", "ids"] {
            assert!(!is_id_name(n), "{n}");
        }
    }
}
