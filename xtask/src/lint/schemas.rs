//! Schema rules: `enum` against `type`, duplicate enum values, `required` against `properties`,
//! arrays without `items`, keywords that do not fit the type, and `nullable` without `type`.

use std::collections::HashSet;

use serde_json::Value;

use super::rules::Rule;
use super::walk::SchemaSite;
use super::yaml::{Kind, Node, join, join_index};
use super::{Ctx, Findings};

/// All schema rules, on every schema defined in place.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    for (i, site) in ctx.index.schemas.iter().enumerate() {
        let node = site.node;
        let ty = node.str_at("type");
        let nullable = node.get("nullable").and_then(Node::as_bool) == Some(true);
        enum_values(site, ty, out);
        required(ctx, i, out);
        if ty == Some("array") && node.get("items").is_none() {
            out.add(
                Rule::ArrayItemsMissing,
                site.ptr.clone(),
                "a `type: array` schema needs `items` in OpenAPI 3.0",
            );
        }
        if let Some(ty) = ty {
            keywords_fit(site, ty, out);
        }
        if nullable && node.get("type").is_none() {
            out.add(
                Rule::NullableWithoutType,
                join(&site.ptr, "nullable"),
                "`nullable: true` without `type`: OpenAPI 3.0.3 says it has no effect, but typify (so progenitor) makes the type optional and other tools may not; add `type` or say it with `anyOf` and a null schema",
            );
        }
    }
}

/// Whether a value fits an OAS `type`.
pub fn fits_type(value: &Node, ty: &str) -> bool {
    match (&value.kind, ty) {
        (Kind::Number(n), "integer") => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        (Kind::Number(_), "number") => true,
        (Kind::Str(_), "string") => true,
        (Kind::Bool(_), "boolean") => true,
        (Kind::Seq(_), "array") => true,
        (Kind::Map(_), "object") => true,
        // An unknown type is an `oas3-schema` finding, not a mismatch.
        (_, other) => !matches!(
            other,
            "integer" | "number" | "string" | "boolean" | "array" | "object"
        ),
    }
}

/// `enum-type-mismatch`, `enum-duplicate`.
fn enum_values(site: &SchemaSite, ty: Option<&str>, out: &mut Findings) {
    let Some(values) = site.node.get("enum").and_then(Node::as_seq) else {
        return;
    };
    let enum_ptr = join(&site.ptr, "enum");
    let mut seen: Vec<Value> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let ptr = join_index(&enum_ptr, i);
        if let Some(ty) = ty {
            // A `null` member typify takes even without `nullable` (progenitor generates
            // propolis-server's spec, which has one): only other mismatches break generation.
            let null_ok = matches!(v.kind, Kind::Null);
            if !null_ok && !fits_type(v, ty) {
                out.add(
                    Rule::EnumTypeMismatch,
                    ptr.clone(),
                    format!(
                        "enum value {} is {}, not {ty}",
                        short(v),
                        article(v.type_name())
                    ),
                );
            }
        }
        let json = v.to_json();
        if seen.iter().any(|s| same_value(s, &json)) {
            out.add(
                Rule::EnumDuplicate,
                ptr,
                format!("enum value {} is listed twice", short(v)),
            );
        } else {
            seen.push(json);
        }
    }
}

/// JSON equality, with numbers compared by value (`1` equals `1.0`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

/// `required-undefined`.
fn required(ctx: &Ctx, i: usize, out: &mut Findings) {
    let site = &ctx.index.schemas[i];
    let Some(names) = site.node.get("required").and_then(Node::as_seq) else {
        return;
    };
    // A map-like object may require keys it does not list as properties.
    if let Some(extra) = site.node.get("additionalProperties")
        && extra.as_bool() != Some(false)
    {
        return;
    }
    // `additionalProperties: false` rejects every property but its own schema's `properties`,
    // even one a composition defines: requiring such a property makes the schema unsatisfiable.
    let closed = site
        .node
        .get("additionalProperties")
        .and_then(Node::as_bool)
        == Some(false);
    let mut defined = HashSet::new();
    if closed {
        for e in site
            .node
            .get("properties")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            defined.insert(e.key.clone());
        }
    } else {
        collect_properties(ctx, site.node, &site.ptr, &mut defined, 0);
        // A member of `allOf` may require what its parent or a sibling defines.
        if let Some(parent) = site
            .composition_parent
            .and_then(|p| ctx.index.schemas.get(p))
        {
            collect_properties(ctx, parent.node, &parent.ptr, &mut defined, 0);
        }
    }
    let required_ptr = join(&site.ptr, "required");
    for (j, name) in names.iter().enumerate() {
        if let Some(name) = name.as_str()
            && !defined.contains(name)
        {
            let message = if closed {
                format!(
                    "required property `{name}` is not in this schema's `properties`, and `additionalProperties: false` forbids it: no object satisfies this schema; add it to `properties` here"
                )
            } else {
                format!("required property `{name}` is not defined in `properties`")
            };
            out.add(
                Rule::RequiredUndefined,
                join_index(&required_ptr, j),
                message,
            );
        }
    }
}

/// The property names a schema defines itself or through its compositions.
fn collect_properties<'a>(
    ctx: &Ctx<'a>,
    node: &'a Node,
    ptr: &str,
    out: &mut HashSet<String>,
    depth: usize,
) {
    // Deep enough for any real composition; also stops reference cycles.
    if depth > 16 {
        return;
    }
    let Some((node, ptr)) = ctx.deref(node, ptr) else {
        return;
    };
    for e in node
        .get("properties")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        out.insert(e.key.clone());
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        let list_ptr = join(&ptr, key);
        for (i, member) in node
            .get(key)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            collect_properties(ctx, member, &join_index(&list_ptr, i), out, depth + 1);
        }
    }
}

/// The types each type-specific keyword applies to.
const KEYWORD_TYPES: &[(&str, &[&str])] = &[
    ("minLength", &["string"]),
    ("maxLength", &["string"]),
    ("pattern", &["string"]),
    ("minimum", &["integer", "number"]),
    ("maximum", &["integer", "number"]),
    ("exclusiveMinimum", &["integer", "number"]),
    ("exclusiveMaximum", &["integer", "number"]),
    ("multipleOf", &["integer", "number"]),
    ("items", &["array"]),
    ("minItems", &["array"]),
    ("maxItems", &["array"]),
    ("uniqueItems", &["array"]),
    ("properties", &["object"]),
    ("additionalProperties", &["object"]),
    ("minProperties", &["object"]),
    ("maxProperties", &["object"]),
    ("discriminator", &["object"]),
];

/// Formats that only make sense for one family of types. Numeric formats on strings are left
/// alone: `type: string, format: int64` is a common way to carry big numbers.
const FORMAT_TYPES: &[(&str, &[&str])] = &[
    ("int32", &["integer", "number", "string"]),
    ("int64", &["integer", "number", "string"]),
    ("float", &["number", "string"]),
    ("double", &["number", "string"]),
    ("date", &["string"]),
    ("date-time", &["string"]),
    ("byte", &["string"]),
    ("binary", &["string"]),
    ("password", &["string"]),
    ("email", &["string"]),
    ("uuid", &["string"]),
    ("uri", &["string"]),
];

/// Whether `format` is a standard format that does not fit `type: ty` (a `keyword-type-mismatch`).
pub fn format_misfits(ty: &str, format: &str) -> bool {
    FORMAT_TYPES
        .iter()
        .find(|(f, _)| *f == format)
        .is_some_and(|(_, types)| !types.contains(&ty))
}

/// `keyword-type-mismatch`.
fn keywords_fit(site: &SchemaSite, ty: &str, out: &mut Findings) {
    if !matches!(
        ty,
        "integer" | "number" | "string" | "boolean" | "array" | "object"
    ) {
        return;
    }
    for e in site.node.as_map().unwrap_or_default() {
        let allowed = KEYWORD_TYPES
            .iter()
            .find(|(k, _)| *k == e.key)
            .map(|(_, types)| *types)
            .or_else(|| {
                // `required: [..]` belongs to objects; a boolean `required` is an
                // `oas3-schema` finding (a parameter's flag put on a property).
                (e.key == "required" && e.value.as_seq().is_some()).then_some(&["object"][..])
            });
        if let Some(types) = allowed
            && !types.contains(&ty)
        {
            out.add(
                Rule::KeywordTypeMismatch,
                join(&site.ptr, &e.key),
                format!(
                    "`{}` applies to {}, not to `type: {ty}`",
                    e.key,
                    types.join("/")
                ),
            );
        }
    }
    if let Some(format) = site.node.str_at("format")
        && format_misfits(ty, format)
    {
        out.add(
            Rule::KeywordTypeMismatch,
            join(&site.ptr, "format"),
            format!("`format: {format}` does not fit `type: {ty}`"),
        );
    }
}

/// A short rendering of a node's value.
fn short(v: &Node) -> String {
    super::schema_errors::preview(&v.to_json())
}

fn article(type_name: &str) -> String {
    match type_name {
        "integer" | "array" | "object" => format!("an {type_name}"),
        "null" => "null".to_string(),
        _ => format!("a {type_name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fires, schema_doc};
    use super::*;

    #[test]
    fn required_in_a_closed_object() {
        // A closed member cannot require what only its sibling defines.
        let bad = "{allOf: [{type: object, properties: {a: {type: string}}}, {type: object, additionalProperties: false, required: [a], properties: {b: {type: string}}}]}";
        assert_eq!(
            fires(&schema_doc(bad), Rule::RequiredUndefined),
            vec!["/components/schemas/S/allOf/1/required/0"]
        );
        let open = "{allOf: [{type: object, properties: {a: {type: string}}}, {type: object, required: [a], properties: {b: {type: string}}}]}";
        assert!(fires(&schema_doc(open), Rule::RequiredUndefined).is_empty());
        let closed = "{type: object, additionalProperties: false, required: [a], properties: {a: {type: string}}}";
        assert!(fires(&schema_doc(closed), Rule::RequiredUndefined).is_empty());
    }
}
