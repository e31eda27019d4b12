//! Request bodies as progenitor-impl 0.15.1 takes them (`Method::get_body_param`): exactly one
//! media type, one of `application/json`, `application/x-www-form-urlencoded` (each without an
//! `encoding`), `application/octet-stream` with a `type: string, format: binary` schema, or
//! `text/plain` / `text/x-markdown` with a plain `type: string` schema; and always a schema.
//! Anything else fails generation (an error) or panics in a `todo!()` (two media types, an
//! `encoding`). A response's JSON content needs a schema too (progenitor panics without one).
//! These rules say why; `progenitor-generate` confirms it by running progenitor.

use super::rules::Rule;
use super::yaml::{Node, join};
use super::{Ctx, Findings};

/// `request-body-media-types`, `request-body-media-type`, `response-json-schema-missing`.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    request_bodies(ctx, out);
    responses(ctx, out);
}

/// `response-json-schema-missing`: progenitor types the first `application/json` content of a
/// response and `todo!()`s when it has no schema.
fn responses(ctx: &Ctx, out: &mut Findings) {
    for op in &ctx.index.operations {
        let Some(responses) = op.node.get("responses").and_then(Node::as_map) else {
            continue;
        };
        let responses_ptr = join(&op.ptr, "responses");
        for e in responses {
            let Some((response, ptr)) = ctx.deref(&e.value, &join(&responses_ptr, &e.key)) else {
                continue;
            };
            let json = response
                .get("content")
                .and_then(Node::as_map)
                .and_then(|c| {
                    c.iter().find(|m| {
                        m.key == "application/json" || m.key.starts_with("application/json;")
                    })
                });
            if let Some(json) = json
                && json.value.get("schema").is_none()
            {
                out.add(
                    Rule::ResponseJsonSchemaMissing,
                    join(&join(&ptr, "content"), &json.key),
                    format!(
                        "{} {}: response {} has `{}` content without a `schema`; progenitor needs one to type it (it panics)",
                        op.method.to_uppercase(),
                        op.path,
                        e.key,
                        json.key
                    ),
                );
            }
        }
    }
}

/// `request-body-media-types`, `request-body-media-type`.
fn request_bodies(ctx: &Ctx, out: &mut Findings) {
    for op in &ctx.index.operations {
        let Some(body) = op.node.get("requestBody") else {
            continue;
        };
        let Some((body, body_ptr)) = ctx.deref(body, &join(&op.ptr, "requestBody")) else {
            continue;
        };
        let Some(content) = body.get("content").and_then(Node::as_map) else {
            continue;
        };
        let content_ptr = join(&body_ptr, "content");
        let label = format!("{} {}", op.method.to_uppercase(), op.path);
        if content.len() > 1 {
            let types: Vec<&str> = content.iter().map(|e| e.key.as_str()).collect();
            out.add(
                Rule::RequestBodyMediaTypes,
                content_ptr.clone(),
                format!(
                    "{label}: the request body has {} media types ({}); progenitor takes exactly one (it panics: \"more media types than expected\")",
                    types.len(),
                    types.join(", ")
                ),
            );
            // progenitor panics before looking at any of them.
            continue;
        }
        let Some(entry) = content.first() else {
            continue;
        };
        let media_ptr = join(&content_ptr, &entry.key);
        if let Some(why) = unsupported(ctx, &entry.key, &entry.value, &media_ptr) {
            out.add(
                Rule::RequestBodyMediaType,
                media_ptr,
                format!("{label}: request body `{}`: {why}", entry.key),
            );
        }
    }
}

/// Why progenitor cannot take a request body of media type `media` (the `MediaType` object
/// `value` at `ptr`), or `None` when it can.
fn unsupported(ctx: &Ctx, media: &str, value: &Node, ptr: &str) -> Option<String> {
    // progenitor ignores parameters after `;` (`application/json; charset=utf-8`).
    let essence = media.split(';').next().unwrap_or_default().trim();
    let Some(schema) = value.get("schema") else {
        return Some("no `schema`: progenitor needs one to type the body".to_string());
    };
    let string_schema = |binary: bool| {
        let (schema, _) = ctx.deref(schema, &join(ptr, "schema"))?;
        let plain = schema.str_at("type") == Some("string")
            && schema.get("nullable").and_then(Node::as_bool) != Some(true)
            && [
                "pattern",
                "minLength",
                "maxLength",
                "enum",
                "default",
                "discriminator",
            ]
            .iter()
            .all(|k| schema.get(k).is_none());
        let format = schema.str_at("format");
        Some(
            plain
                && if binary {
                    format == Some("binary")
                } else {
                    format.is_none()
                },
        )
    };
    match essence {
        "application/json" | "application/x-www-form-urlencoded" => value
            .get("encoding")
            .and_then(Node::as_map)
            .is_some_and(|e| !e.is_empty())
            .then(|| "an `encoding` progenitor does not implement (it panics)".to_string()),
        "application/octet-stream" => (string_schema(true) == Some(false)).then(|| {
            "progenitor takes an octet stream only as `type: string, format: binary` (no other keywords)".to_string()
        }),
        "text/plain" | "text/x-markdown" => (string_schema(false) == Some(false)).then(|| {
            "progenitor takes a text body only as a plain `type: string` (no format, pattern, length or enum)".to_string()
        }),
        _ => Some(
            "progenitor-impl 0.15.1 does not know this media type (\"unexpected content type\"); it takes application/json, application/x-www-form-urlencoded, application/octet-stream, text/plain and text/x-markdown".to_string(),
        ),
    }
}
