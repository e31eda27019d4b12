//! Rust identifiers as the code generator makes them from spec names.
//!
//! typify 0.8.0 names types, struct fields and enum variants; progenitor-impl 0.15.1 names client
//! methods, builder structs and method parameters. Both pass the name through `heck` (the crate
//! this module calls too: one `heck` in Cargo.lock) after replacing what cannot continue an
//! identifier, and both refuse keywords with `typify::accept_as_ident`. Their private `sanitize`
//! functions differ in one point only: what goes in front of a name that cannot start an
//! identifier. The tests at the end hold these functions to the identifiers progenitor actually
//! generates, so an upgrade that changes the naming fails them.

use std::cell::RefCell;
use std::collections::HashMap;

use heck::{ToPascalCase, ToSnakeCase};
use unicode_ident::{is_xid_continue, is_xid_start};

/// The case an identifier is made in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Case {
    /// `UpperCamelCase`: types and enum variants.
    Pascal,
    /// `snake_case`: fields, methods and parameters.
    Snake,
}

/// Which generator's naming: they differ only for names that cannot start an identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Generator {
    /// typify (types, fields, variants): prefixes `x` / `X`.
    Typify,
    /// progenitor (methods, parameters, builders): prefixes `_`.
    Progenitor,
}

fn to_case(s: &str, case: Case) -> String {
    match case {
        Case::Pascal => s.to_pascal_case(),
        Case::Snake => s.to_snake_case(),
    }
}

/// The identifier `generator` makes of `name` in `case`.
pub fn ident(generator: Generator, name: &str, case: Case) -> String {
    thread_local! {
        /// Identifiers already made: specs repeat the same property and parameter names, and
        /// heck, unoptimised as `cargo xtask lint` runs, took 35 k instructions a name (0.36 G
        /// on GitHub's 3.7 MB spec).
        static MADE: RefCell<HashMap<(Generator, Case, String), String>> =
            RefCell::new(HashMap::new());
    }
    let key = (generator, case, name.to_string());
    if let Some(made) = MADE.with_borrow(|made| made.get(&key).cloned()) {
        return made;
    }
    let made = make_ident(generator, name, case);
    MADE.with_borrow_mut(|made_| made_.insert(key, made.clone()));
    made
}

/// [`ident`], without the cache.
fn make_ident(generator: Generator, name: &str, case: Case) -> String {
    let out = match name {
        "+1" => "plus1".to_string(),
        "-1" => "minus1".to_string(),
        _ => to_case(
            &name
                .replace('\'', "")
                .replace(|c: char| !is_xid_continue(c), "-"),
            case,
        ),
    };
    let out = match out.chars().next() {
        None => to_case("x", case),
        Some(c) if is_xid_start(c) => out,
        Some(_) => match generator {
            Generator::Typify => format!("{}{out}", to_case("x", case)),
            Generator::Progenitor => format!("_{out}"),
        },
    };
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}_")
    }
}

/// The variant names typify gives a string enum, or `None` when it cannot make them unique (it
/// then panics: the code is not generated).
///
/// typify first names each value plainly; when two names clash it names them all again with `_`
/// and every non-identifier character turned into `X`.
pub fn enum_variants(values: &[&str]) -> Result<Vec<String>, Vec<String>> {
    let plain: Vec<String> = values
        .iter()
        .map(|v| ident(Generator::Typify, v, Case::Pascal))
        .collect();
    if all_unique(&plain) {
        return Ok(plain);
    }
    let spelled: Vec<String> = values
        .iter()
        .map(|v| {
            let v = v.replace(|c: char| c == '_' || !is_xid_continue(c), "X");
            ident(Generator::Typify, &v, Case::Pascal)
        })
        .collect();
    if all_unique(&spelled) {
        Ok(spelled)
    } else {
        Err(spelled)
    }
}

fn all_unique(names: &[String]) -> bool {
    let mut seen = std::collections::HashSet::new();
    names.iter().all(|n| seen.insert(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The cases typify's own tests pin for its `sanitize`.
    #[test]
    fn typify_sanitize_cases() {
        let t = |s, c| ident(Generator::Typify, s, c);
        assert_eq!(t("type", Case::Snake), "type_");
        assert_eq!(t("ref", Case::Snake), "ref_");
        assert_eq!(t("gen", Case::Snake), "gen_");
        assert_eq!(t("gen", Case::Pascal), "Gen");
        assert_eq!(t("+1", Case::Snake), "plus1");
        assert_eq!(t("-1", Case::Snake), "minus1");
        assert_eq!(t("@timestamp", Case::Pascal), "Timestamp");
        assert_eq!(t("won't and can't", Case::Pascal), "WontAndCant");
        assert_eq!(t("Ipv6Net", Case::Snake), "ipv6_net");
        assert_eq!(t("V6", Case::Pascal), "V6");
        assert_eq!(t("1st", Case::Snake), "x1st");
        assert_eq!(ident(Generator::Progenitor, "1st", Case::Snake), "_1st");
    }

    #[test]
    fn enum_variants_fall_back_then_give_up() {
        assert_eq!(
            enum_variants(&["a", "b"]).ok(),
            Some(vec!["A".into(), "B".into()])
        );
        // `foo bar` and `FooBar` clash plainly; spelled out they differ.
        assert_eq!(
            enum_variants(&["foo bar", "FooBar"]).ok(),
            Some(vec!["FooXbar".into(), "FooBar".into()])
        );
        assert!(enum_variants(&["a-b", "a_b"]).is_err());
        assert!(enum_variants(&["", "x"]).is_err());
    }

    /// Names that exercise every branch: separators, case changes, digits in front, keywords,
    /// apostrophes, non-ASCII, the two special cases and the empty name.
    const TRICKY: &[&str] = &[
        "meetingId",
        "meeting_id",
        "MeetingID",
        "meeting-id",
        "meeting.id",
        "X-Request-ID",
        "1st",
        "type",
        "self",
        "won't",
        "café",
        "@timestamp",
        "+1",
        "-1",
        "a__b",
        "HTTPServer",
        "v2",
    ];

    /// Generates a client with progenitor for `spec` and parses it.
    fn generate(spec: serde_json::Value) -> syn::File {
        let spec: openapiv3::OpenAPI = serde_json::from_value(spec).expect("a valid spec");
        let mut generator =
            progenitor_impl::Generator::new(&progenitor_impl::GenerationSettings::default());
        let tokens = generator
            .generate_tokens(&spec)
            .expect("progenitor generates");
        syn::parse2(tokens).expect("generated code parses")
    }

    fn items_named<'f>(file: &'f syn::File, module: &str) -> Vec<&'f syn::Item> {
        file.items
            .iter()
            .find_map(|item| match item {
                syn::Item::Mod(m) if m.ident == module => {
                    m.content.as_ref().map(|(_, items)| items.iter().collect())
                }
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Struct fields and enum variants of the `types` module, type names, and the client's
    /// methods and their parameters, as progenitor (through typify) generates them.
    #[test]
    fn idents_match_what_progenitor_generates() {
        let mut properties = serde_json::Map::new();
        for name in TRICKY {
            properties.insert((*name).into(), serde_json::json!({"type": "string"}));
        }
        let mut schemas = serde_json::Map::new();
        schemas.insert(
            "Holder".into(),
            serde_json::json!({"type": "object", "properties": properties}),
        );
        // Variants: each value once, in an enum of its own (so typify never falls back).
        for (i, name) in TRICKY.iter().enumerate() {
            schemas.insert(
                format!("Choice{i}"),
                serde_json::json!({"type": "string", "enum": [name, "zzz"]}),
            );
        }
        // Type names (with a letter first: typify prefixes the others only as fields).
        for name in ["meeting-id", "won't do", "café au lait", "HTTPServer", "v2"] {
            schemas.insert(
                name.into(),
                serde_json::json!({"type": "object", "properties": {"a": {"type": "string"}}}),
            );
        }
        let mut paths = serde_json::Map::new();
        for (i, name) in TRICKY.iter().enumerate() {
            paths.insert(
                format!("/op{i}"),
                serde_json::json!({"get": {
                    "operationId": name,
                    "parameters": [{"name": name, "in": "query", "schema": {"type": "string"}}],
                    "responses": {"204": {"description": "ok"}}
                }}),
            );
        }
        let file = generate(serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": paths,
            "components": {"schemas": schemas}
        }));
        let types = items_named(&file, "types");

        let fields: BTreeSet<String> = types
            .iter()
            .find_map(|item| match item {
                syn::Item::Struct(s) if s.ident == "Holder" => Some(
                    s.fields
                        .iter()
                        .filter_map(|f| f.ident.as_ref().map(|i| i.to_string()))
                        .collect(),
                ),
                _ => None,
            })
            .expect("struct Holder");
        let expected: BTreeSet<String> = TRICKY
            .iter()
            .map(|n| ident(Generator::Typify, n, Case::Snake))
            .collect();
        assert_eq!(fields, expected, "struct fields");

        for (i, name) in TRICKY.iter().enumerate() {
            let variants: Vec<String> = types
                .iter()
                .find_map(|item| match item {
                    syn::Item::Enum(e) if e.ident == format!("Choice{i}") => {
                        Some(e.variants.iter().map(|v| v.ident.to_string()).collect())
                    }
                    _ => None,
                })
                .unwrap_or_else(|| panic!("enum Choice{i}"));
            assert_eq!(
                variants.first().map(String::as_str),
                Some(ident(Generator::Typify, name, Case::Pascal).as_str()),
                "variant of {name:?}"
            );
        }

        let type_names: BTreeSet<String> = types
            .iter()
            .filter_map(|item| match item {
                syn::Item::Struct(s) => Some(s.ident.to_string()),
                _ => None,
            })
            .collect();
        for name in ["meeting-id", "won't do", "café au lait", "HTTPServer", "v2"] {
            let expected = ident(Generator::Typify, name, Case::Pascal);
            assert!(type_names.contains(&expected), "type {name:?} → {expected}");
        }

        // `impl Client { pub async fn <operation>(&self, <parameters>) }`.
        let mut methods: BTreeSet<String> = BTreeSet::new();
        let mut params: BTreeSet<String> = BTreeSet::new();
        for item in &file.items {
            let syn::Item::Impl(imp) = item else { continue };
            for it in &imp.items {
                let syn::ImplItem::Fn(f) = it else { continue };
                if f.sig.asyncness.is_none() {
                    continue;
                }
                methods.insert(f.sig.ident.to_string());
                for input in &f.sig.inputs {
                    if let syn::FnArg::Typed(t) = input
                        && let syn::Pat::Ident(p) = &*t.pat
                    {
                        params.insert(p.ident.to_string());
                    }
                }
            }
        }
        for name in TRICKY {
            let method = ident(Generator::Progenitor, name, Case::Snake);
            assert!(methods.contains(&method), "method of {name:?}: {method}");
            let param = ident(Generator::Progenitor, name, Case::Snake);
            assert!(params.contains(&param), "parameter {name:?}: {param}");
        }
    }
}
