//! Contradiction rules: keywords of one schema that no value can satisfy together.
//!
//! A lower bound above its upper bound (numbers, lengths, item and property counts), an
//! exclusive range with nothing inside, an integer range without an integer, more required
//! properties than `maxProperties` allows, `readOnly` with `writeOnly`, `allOf` members of
//! different types, and an empty `enum`.

use std::collections::HashSet;

use super::rules::Rule;
use super::walk::SchemaSite;
use super::yaml::{Kind, Node, join};
use super::{Ctx, Findings};

/// All contradiction rules, on every schema defined in place.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    for site in &ctx.index.schemas {
        numeric_range(site, out);
        count_range(
            site,
            ("minLength", "maxLength"),
            Rule::LengthRangeEmpty,
            "character(s)",
            out,
        );
        count_range(
            site,
            ("minItems", "maxItems"),
            Rule::ItemsRangeEmpty,
            "item(s)",
            out,
        );
        count_range(
            site,
            ("minProperties", "maxProperties"),
            Rule::PropertiesRangeEmpty,
            "properties",
            out,
        );
        property_counts(ctx, site, out);
        read_write_only(site, out);
        all_of_types(ctx, site, out);
        if let Some(values) = site.node.get("enum").and_then(Node::as_seq)
            && values.is_empty()
        {
            out.add(
                Rule::EnumEmpty,
                join(&site.ptr, "enum"),
                "`enum: []` allows no value at all: list the allowed values or drop `enum`",
            );
        }
    }
}

/// A number of a node, if it is one.
fn number(node: &Node) -> Option<f64> {
    match &node.kind {
        Kind::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// A non-negative integer of a node, if it is one (what the count keywords take).
fn count(node: &Node) -> Option<u64> {
    match &node.kind {
        Kind::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn flag(node: &Node, key: &str) -> bool {
    node.get(key).and_then(Node::as_bool) == Some(true)
}

/// `numeric-range-empty`: `minimum`/`maximum` (OAS 3.0: `exclusiveMinimum`/`exclusiveMaximum`
/// are booleans that make them strict) leave no number, or for `type: integer` no integer.
fn numeric_range(site: &SchemaSite, out: &mut Findings) {
    let node = site.node;
    let (Some(min), Some(max)) = (
        node.get("minimum").and_then(number),
        node.get("maximum").and_then(number),
    ) else {
        return;
    };
    let (lo_strict, hi_strict) = (
        flag(node, "exclusiveMinimum"),
        flag(node, "exclusiveMaximum"),
    );
    let show = |bound: &str, strict: bool, v: f64| {
        if strict {
            format!("{bound} {v} (exclusive)")
        } else {
            format!("{bound} {v}")
        }
    };
    let range = format!(
        "{} and {}",
        show("minimum", lo_strict, min),
        show("maximum", hi_strict, max)
    );
    let empty_for_numbers = min > max || (min == max && (lo_strict || hi_strict));
    let message = if empty_for_numbers {
        format!("{range} leave no number: no value satisfies this schema; fix or swap the bounds")
    } else if node.str_at("type") == Some("integer") {
        // The smallest and largest integers inside the bounds.
        let lo = if lo_strict {
            min.floor() + 1.0
        } else {
            min.ceil()
        };
        let hi = if hi_strict {
            max.ceil() - 1.0
        } else {
            max.floor()
        };
        if lo <= hi {
            return;
        }
        format!(
            "{range} leave no integer: no value satisfies this `type: integer` schema; widen the bounds"
        )
    } else {
        return;
    };
    out.add(Rule::NumericRangeEmpty, join(&site.ptr, "minimum"), message);
}

/// `length-range-empty`, `items-range-empty`, `properties-range-empty`: a `min*` above its
/// `max*`.
fn count_range(
    site: &SchemaSite,
    (min_key, max_key): (&str, &str),
    rule: Rule,
    unit: &str,
    out: &mut Findings,
) {
    let (Some(min), Some(max)) = (
        site.node.get(min_key).and_then(count),
        site.node.get(max_key).and_then(count),
    ) else {
        return;
    };
    if min > max {
        out.add(
            rule,
            join(&site.ptr, min_key),
            format!(
                "`{min_key}: {min}` is above `{max_key}: {max}`: no value has at least {min} and at most {max} {unit}; fix or swap them"
            ),
        );
    }
}

/// `properties-range-empty` beyond the plain bounds: more required properties than
/// `maxProperties` allows, or a closed object (`additionalProperties: false`) that cannot reach
/// `minProperties`.
fn property_counts(ctx: &Ctx, site: &SchemaSite, out: &mut Findings) {
    let node = site.node;
    // A `readOnly` property is required only in responses, a `writeOnly` one only in requests.
    let props_ptr = join(&site.ptr, "properties");
    let one_sided = |name: &str| {
        node.get("properties")
            .and_then(|p| p.get(name))
            .and_then(|p| ctx.deref(p, &join(&props_ptr, name)))
            .is_some_and(|(p, _)| flag(p, "readOnly") || flag(p, "writeOnly"))
    };
    let required: HashSet<&str> = node
        .get("required")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .filter(|name| !one_sided(name))
        .collect();
    if let Some(max) = node.get("maxProperties").and_then(count)
        && required.len() as u64 > max
    {
        out.add(
            Rule::PropertiesRangeEmpty,
            join(&site.ptr, "maxProperties"),
            format!(
                "`maxProperties: {max}` is below the {} required properties: no object satisfies this schema; raise `maxProperties` or require fewer",
                required.len()
            ),
        );
    }
    let closed = node.get("additionalProperties").and_then(Node::as_bool) == Some(false);
    let defined = node
        .get("properties")
        .and_then(Node::as_map)
        .map_or(0, <[_]>::len) as u64;
    if closed
        && let Some(min) = node.get("minProperties").and_then(count)
        && min > defined
    {
        out.add(
            Rule::PropertiesRangeEmpty,
            join(&site.ptr, "minProperties"),
            format!(
                "`minProperties: {min}` but `additionalProperties: false` allows only the {defined} listed properties: no object satisfies this schema; lower `minProperties` or list more properties"
            ),
        );
    }
}

/// `all-of-types-conflict`: `allOf` members (or the schema holding them) declare types no
/// value has at once; `integer` is a `number`, and `null` satisfies members that are all
/// `nullable`.
fn all_of_types(ctx: &Ctx, site: &SchemaSite, out: &mut Findings) {
    let Some(members) = site.node.get("allOf").and_then(Node::as_seq) else {
        return;
    };
    let typed = |node: &Node| {
        node.str_at("type")
            .map(|ty| (ty.to_string(), flag(node, "nullable")))
    };
    // (where, type, nullable) of the holder and each member that declares a type.
    let mut types: Vec<(String, String, bool)> = Vec::new();
    if let Some((ty, nullable)) = typed(site.node) {
        types.push((join(&site.ptr, "type"), ty, nullable));
    }
    let list_ptr = join(&site.ptr, "allOf");
    for (i, member) in members.iter().enumerate() {
        let ptr = super::yaml::join_index(&list_ptr, i);
        if let Some((resolved, _)) = ctx.deref(member, &ptr)
            && let Some((ty, nullable)) = typed(resolved)
        {
            types.push((ptr, ty, nullable));
        }
    }
    if types.iter().all(|(_, _, nullable)| *nullable) {
        return;
    }
    let compatible = |a: &str, b: &str| {
        a == b || matches!((a, b), ("integer", "number") | ("number", "integer"))
    };
    let Some((first_ptr, first_ty, _)) = types.first() else {
        return;
    };
    if let Some((ptr, ty, _)) = types.iter().find(|(_, ty, _)| !compatible(first_ty, ty)) {
        out.add(
            Rule::AllOfTypesConflict,
            ptr.clone(),
            format!(
                "`allOf` needs a value that is both `{first_ty}` ({first_ptr}) and `{ty}`: no value satisfies this schema; make the types agree"
            ),
        );
    }
}

/// `read-write-only`: a property cannot be both (OAS 3.0: "MUST NOT").
fn read_write_only(site: &SchemaSite, out: &mut Findings) {
    if flag(site.node, "readOnly") && flag(site.node, "writeOnly") {
        out.add(
            Rule::ReadWriteOnly,
            join(&site.ptr, "writeOnly"),
            "`readOnly` and `writeOnly` together leave the value in neither requests nor responses: keep one",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fires, schema_doc};
    use super::*;

    #[test]
    fn numeric_range_empty() {
        let rule = Rule::NumericRangeEmpty;
        for bad in [
            "{type: number, minimum: 5, maximum: 1}",
            "{type: number, minimum: 1, maximum: 1, exclusiveMaximum: true}",
            "{type: integer, minimum: 1, maximum: 2, exclusiveMinimum: true, exclusiveMaximum: true}",
            "{type: integer, minimum: 1.2, maximum: 1.8}",
        ] {
            assert_eq!(
                fires(&schema_doc(bad), rule),
                vec!["/components/schemas/S/minimum"],
                "{bad}"
            );
        }
        for good in [
            "{type: number, minimum: 1, maximum: 1}",
            "{type: number, minimum: 1, maximum: 2, exclusiveMinimum: true, exclusiveMaximum: true}",
            "{type: number, minimum: 1.2, maximum: 1.8}",
            "{type: integer, minimum: 0, exclusiveMinimum: true}",
        ] {
            assert!(fires(&schema_doc(good), rule).is_empty(), "{good}");
        }
    }

    #[test]
    fn length_items_properties_ranges() {
        for (bad, good, rule, at) in [
            (
                "{type: string, minLength: 3, maxLength: 2}",
                "{type: string, minLength: 2, maxLength: 2}",
                Rule::LengthRangeEmpty,
                "minLength",
            ),
            (
                "{type: array, items: {type: string}, minItems: 3, maxItems: 2}",
                "{type: array, items: {type: string}, minItems: 0, maxItems: 0}",
                Rule::ItemsRangeEmpty,
                "minItems",
            ),
            (
                "{type: object, minProperties: 2, maxProperties: 1}",
                "{type: object, minProperties: 1, maxProperties: 1}",
                Rule::PropertiesRangeEmpty,
                "minProperties",
            ),
            (
                "{type: object, required: [a, b], properties: {a: {type: string}, b: {type: string}}, maxProperties: 1}",
                "{type: object, required: [a], properties: {a: {type: string}, b: {type: string}}, maxProperties: 1}",
                Rule::PropertiesRangeEmpty,
                "maxProperties",
            ),
            (
                "{type: object, required: [a, b], properties: {a: {type: string}, b: {type: string}}, maxProperties: 1}",
                "{type: object, required: [a, b], properties: {a: {type: string, readOnly: true}, b: {type: string}}, maxProperties: 1}",
                Rule::PropertiesRangeEmpty,
                "maxProperties",
            ),
            (
                "{type: object, additionalProperties: false, properties: {a: {type: string}}, minProperties: 2}",
                "{type: object, properties: {a: {type: string}}, minProperties: 2}",
                Rule::PropertiesRangeEmpty,
                "minProperties",
            ),
        ] {
            assert_eq!(
                fires(&schema_doc(bad), rule),
                vec![format!("/components/schemas/S/{at}")],
                "{bad}"
            );
            assert!(fires(&schema_doc(good), rule).is_empty(), "{good}");
        }
    }

    #[test]
    fn read_write_only() {
        let bad =
            "{type: object, properties: {a: {type: string, readOnly: true, writeOnly: true}}}";
        let good = "{type: object, properties: {a: {type: string, readOnly: true}}}";
        assert_eq!(
            fires(&schema_doc(bad), Rule::ReadWriteOnly),
            vec!["/components/schemas/S/properties/a/writeOnly"]
        );
        assert!(fires(&schema_doc(good), Rule::ReadWriteOnly).is_empty());
    }

    #[test]
    fn all_of_types_conflict() {
        let rule = Rule::AllOfTypesConflict;
        assert_eq!(
            fires(
                &schema_doc("{allOf: [{type: string}, {type: integer}]}"),
                rule
            ),
            vec!["/components/schemas/S/allOf/1"]
        );
        for good in [
            "{allOf: [{type: number}, {type: integer, minimum: 1}]}",
            "{type: object, allOf: [{type: object, properties: {a: {type: string}}}]}",
            "{allOf: [{type: string, nullable: true}, {type: integer, nullable: true}]}",
        ] {
            assert!(fires(&schema_doc(good), rule).is_empty(), "{good}");
        }
    }

    #[test]
    fn enum_empty() {
        assert_eq!(
            fires(&schema_doc("{type: string, enum: []}"), Rule::EnumEmpty),
            vec!["/components/schemas/S/enum"]
        );
        assert!(fires(&schema_doc("{type: string, enum: [a]}"), Rule::EnumEmpty).is_empty());
    }
}
