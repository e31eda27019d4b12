//! Collision rules: names that differ in the spec but become the same Rust identifier, so the
//! generated code does not compile (or typify refuses to generate it).
//!
//! The identifiers come from [`naming`](super::naming), which names things as typify and
//! progenitor do: properties (struct fields), parameters of one operation (method
//! parameters), operationIds (methods and builder structs), component schemas (types) and
//! string enum values (variants).

use std::collections::HashMap;

use super::naming::{Case, Generator, enum_variants, ident};
use super::rules::Rule;
use super::yaml::{Kind, Node, join, join_index};
use super::{Ctx, Findings};

/// All collision rules.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    properties(ctx, out);
    parameters(ctx, out);
    operation_ids(ctx, out);
    schema_names(ctx, out);
    variants(ctx, out);
}

/// Names with their pointers; reports every name whose identifier an earlier one already took.
struct Taken<'n> {
    by_ident: HashMap<String, &'n str>,
}

impl<'n> Taken<'n> {
    fn new() -> Self {
        Taken {
            by_ident: HashMap::new(),
        }
    }

    /// Records `name` as `rust`; the earlier name that already became `rust`, if any.
    fn clash(&mut self, name: &'n str, rust: String) -> Option<&'n str> {
        match self.by_ident.get(&rust) {
            Some(first) if *first != name => Some(first),
            Some(_) => None,
            None => {
                self.by_ident.insert(rust, name);
                None
            }
        }
    }
}

/// `property-names-collide`: two properties of one object become one struct field.
fn properties(ctx: &Ctx, out: &mut Findings) {
    for site in &ctx.index.schemas {
        let Some(props) = site.node.get("properties").and_then(Node::as_map) else {
            continue;
        };
        let props_ptr = join(&site.ptr, "properties");
        let mut taken = Taken::new();
        // typify adds a flattened `extra` field for `additionalProperties` with a schema.
        if site
            .node
            .get("additionalProperties")
            .is_some_and(Node::is_map)
        {
            taken.clash("additionalProperties", "extra".to_string());
        }
        for e in props {
            let field = ident(Generator::Typify, &e.key, Case::Snake);
            if let Some(first) = taken.clash(&e.key, field.clone()) {
                let first = if first == "additionalProperties" {
                    "the field typify makes for `additionalProperties`".to_string()
                } else {
                    format!("property `{first}`")
                };
                out.add(
                    Rule::PropertyNamesCollide,
                    join(&props_ptr, &e.key),
                    format!(
                        "property `{}` and {first} both become the Rust field `{field}`, which does not compile: rename one",
                        e.key
                    ),
                );
            }
        }
    }
}

/// `parameter-names-collide`: two parameters of one operation (the path item's and its own, or
/// a parameter and the request body) become one method parameter.
fn parameters(ctx: &Ctx, out: &mut Findings) {
    for op in &ctx.index.operations {
        // (name, in) → (pointer, name): an operation's parameter replaces the path item's.
        let mut params: Vec<((String, String), String, String)> = Vec::new();
        let lists = [
            (
                join(&op.path_ptr, "parameters"),
                ctx.root.at(&op.path_ptr).and_then(|p| p.get("parameters")),
            ),
            (join(&op.ptr, "parameters"), op.node.get("parameters")),
        ];
        for (list_ptr, list) in lists {
            for (i, p) in list
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let ptr = join_index(&list_ptr, i);
                let Some((p, _)) = ctx.deref(p, &ptr) else {
                    continue;
                };
                let (Some(name), Some(location)) = (p.str_at("name"), p.str_at("in")) else {
                    continue;
                };
                let key = (name.to_string(), location.to_string());
                params.retain(|(k, ..)| *k != key);
                params.push((key, ptr, name.to_string()));
            }
        }
        let mut taken = Taken::new();
        // progenitor passes the request body as the parameter `body`.
        if op.node.get("requestBody").is_some() {
            taken.clash("requestBody", "body".to_string());
        }
        for ((_, location), ptr, name) in &params {
            let rust = ident(Generator::Progenitor, name, Case::Snake);
            if let Some(first) = taken.clash(name, rust.clone()) {
                let first = if first == "requestBody" {
                    "the request body".to_string()
                } else {
                    format!("parameter `{first}`")
                };
                out.add(
                    Rule::ParameterNamesCollide,
                    ptr.clone(),
                    format!(
                        "{} {} parameter `{name}` and {first} both become the method parameter `{rust}`, which does not compile: rename one",
                        op.method.to_uppercase(),
                        location
                    ),
                );
            }
        }
    }
}

/// `operation-ids-collide`: two operationIds become one client method or builder struct.
fn operation_ids(ctx: &Ctx, out: &mut Findings) {
    let mut methods = Taken::new();
    let mut builders = Taken::new();
    for op in &ctx.index.operations {
        let Some(id) = op.node.str_at("operationId").filter(|id| !id.is_empty()) else {
            continue;
        };
        let method = ident(Generator::Progenitor, id, Case::Snake);
        let builder = ident(Generator::Progenitor, &method, Case::Pascal);
        let clash = match (
            methods.clash(id, method.clone()),
            builders.clash(id, builder.clone()),
        ) {
            (Some(first), _) => Some((first, format!("the client method `{method}`"))),
            (None, Some(first)) => Some((first, format!("the builder struct `{builder}`"))),
            (None, None) => None,
        };
        if let Some((first, what)) = clash {
            out.add(
                Rule::OperationIdsCollide,
                join(&op.ptr, "operationId"),
                format!(
                    "operationIds `{id}` and `{first}` both become {what}, which does not compile: rename one"
                ),
            );
        }
    }
}

/// `schema-names-collide`: two component schemas become one Rust type.
fn schema_names(ctx: &Ctx, out: &mut Findings) {
    let Some(schemas) = ctx
        .root
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Node::as_map)
    else {
        return;
    };
    let mut taken = Taken::new();
    for e in schemas {
        let rust = ident(Generator::Typify, &e.key, Case::Pascal);
        if let Some(first) = taken.clash(&e.key, rust.clone()) {
            out.add(
                Rule::SchemaNamesCollide,
                join("/components/schemas", &e.key),
                format!(
                    "schemas `{}` and `{first}` both become the Rust type `{rust}`, which does not compile: rename one",
                    e.key
                ),
            );
        }
    }
}

/// `enum-variants-collide`: string enum values typify cannot give distinct variant names.
fn variants(ctx: &Ctx, out: &mut Findings) {
    for site in &ctx.index.schemas {
        let Some(members) = site.node.get("enum").and_then(Node::as_seq) else {
            continue;
        };
        if !matches!(site.node.str_at("type"), None | Some("string")) {
            continue;
        }
        // typify makes a Rust enum of string values (`null` makes it optional).
        let mut values: Vec<(usize, &str)> = Vec::new();
        let mut all_strings = true;
        for (i, m) in members.iter().enumerate() {
            match &m.kind {
                Kind::Str(s) if !values.iter().any(|(_, v)| v == s) => values.push((i, s)),
                Kind::Str(_) | Kind::Null => {}
                _ => all_strings = false,
            }
        }
        if !all_strings || values.len() < 2 {
            continue;
        }
        let names: Vec<&str> = values.iter().map(|(_, v)| *v).collect();
        let Err(spelled) = enum_variants(&names) else {
            continue;
        };
        let enum_ptr = join(&site.ptr, "enum");
        let mut taken = Taken::new();
        for ((i, value), rust) in values.iter().zip(spelled) {
            if let Some(first) = taken.clash(value, rust.clone()) {
                out.add(
                    Rule::EnumVariantsCollide,
                    join_index(&enum_ptr, *i),
                    format!(
                        "enum values `{value}` and `{first}` both become the variant `{rust}`, even spelled out: typify cannot generate this enum; change one"
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fires, schema_doc};
    use super::*;

    #[test]
    fn property_names() {
        let bad =
            "{type: object, properties: {meetingId: {type: string}, meeting_id: {type: string}}}";
        let good =
            "{type: object, properties: {meetingId: {type: string}, meeting_ids: {type: string}}}";
        assert_eq!(
            fires(&schema_doc(bad), Rule::PropertyNamesCollide),
            vec!["/components/schemas/S/properties/meeting_id"]
        );
        assert!(fires(&schema_doc(good), Rule::PropertyNamesCollide).is_empty());
        let extra = "{type: object, properties: {Extra: {type: string}}, additionalProperties: {type: string}}";
        assert_eq!(
            fires(&schema_doc(extra), Rule::PropertyNamesCollide),
            vec!["/components/schemas/S/properties/Extra"]
        );
        let open =
            "{type: object, properties: {Extra: {type: string}}, additionalProperties: true}";
        assert!(fires(&schema_doc(open), Rule::PropertyNamesCollide).is_empty());
    }

    fn operation_doc(operation: &str) -> String {
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a/{{id}}:\n    parameters:\n      - {{name: id, in: path, required: true, schema: {{type: string}}}}\n    post:\n{operation}"
        )
    }

    #[test]
    fn parameter_names() {
        let bad = operation_doc(
            "      operationId: a\n      parameters:\n        - {name: ID, in: query, schema: {type: string}}\n      responses: {'204': {description: ok}}\n",
        );
        assert_eq!(
            fires(&bad, Rule::ParameterNamesCollide),
            vec!["/paths/~1a~1{id}/post/parameters/0"]
        );
        let body = operation_doc(
            "      operationId: a\n      parameters:\n        - {name: body, in: query, schema: {type: string}}\n      requestBody: {content: {application/json: {schema: {type: string}}}}\n      responses: {'204': {description: ok}}\n",
        );
        assert_eq!(
            fires(&body, Rule::ParameterNamesCollide),
            vec!["/paths/~1a~1{id}/post/parameters/0"]
        );
        // The operation's own `id` (path) replaces the path item's.
        let good = operation_doc(
            "      operationId: a\n      parameters:\n        - {name: id, in: path, required: true, schema: {type: string}}\n        - {name: idx, in: query, schema: {type: string}}\n      responses: {'204': {description: ok}}\n",
        );
        assert!(fires(&good, Rule::ParameterNamesCollide).is_empty());
    }

    #[test]
    fn operation_ids() {
        let doc = |a: &str, b: &str| {
            format!(
                "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get: {{operationId: {a}, responses: {{'204': {{description: ok}}}}}}\n    put: {{operationId: {b}, responses: {{'204': {{description: ok}}}}}}\n"
            )
        };
        assert_eq!(
            fires(&doc("getItem", "get_item"), Rule::OperationIdsCollide),
            vec!["/paths/~1a/put/operationId"]
        );
        assert!(fires(&doc("getItem", "getItems"), Rule::OperationIdsCollide).is_empty());
        // The same id twice is `operation-id-duplicate`'s.
        assert!(fires(&doc("getItem", "getItem"), Rule::OperationIdsCollide).is_empty());
    }

    #[test]
    fn schema_names() {
        let doc = |a: &str, b: &str| {
            format!(
                "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n    {a}: {{type: string}}\n    {b}: {{type: string}}\n"
            )
        };
        assert_eq!(
            fires(
                &doc("meeting-info", "MeetingInfo"),
                Rule::SchemaNamesCollide
            ),
            vec!["/components/schemas/MeetingInfo"]
        );
        assert!(
            fires(
                &doc("MeetingInfo", "MeetingInfos"),
                Rule::SchemaNamesCollide
            )
            .is_empty()
        );
    }

    #[test]
    fn enum_variant_names() {
        assert_eq!(
            fires(
                &schema_doc("{type: string, enum: [a-b, a_b]}"),
                Rule::EnumVariantsCollide
            ),
            vec!["/components/schemas/S/enum/1"]
        );
        // typify tells these apart on its second try.
        assert!(
            fires(
                &schema_doc("{type: string, enum: [foo bar, FooBar, null]}"),
                Rule::EnumVariantsCollide
            )
            .is_empty()
        );
    }
}
