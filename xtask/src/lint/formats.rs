//! `format` as the code generator reads it: which formats typify 0.8.0 (progenitor-impl 0.15.1's
//! type generator) turns into a Rust type of their own, the ranges of its integer types, and the
//! `format-unknown` rule for the formats it silently generates as something else.
//!
//! The tables mirror typify's `convert_string`, `convert_integer` and `convert_number`; the tests
//! at the end ask typify (through progenitor) for each entry, so an upgrade that changes them
//! fails there.

use super::rules::Rule;
use super::yaml::join;
use super::{Ctx, Findings};

/// Integer formats typify knows: (format, Rust type, least value, greatest value).
pub const INTEGER_FORMATS: &[(&str, &str, i128, i128)] = &[
    ("int8", "i8", i8::MIN as i128, i8::MAX as i128),
    ("uint8", "u8", 0, u8::MAX as i128),
    ("int16", "i16", i16::MIN as i128, i16::MAX as i128),
    ("uint16", "u16", 0, u16::MAX as i128),
    ("int", "i32", i32::MIN as i128, i32::MAX as i128),
    ("int32", "i32", i32::MIN as i128, i32::MAX as i128),
    ("uint", "u32", 0, u32::MAX as i128),
    ("uint32", "u32", 0, u32::MAX as i128),
    ("int64", "i64", i64::MIN as i128, i64::MAX as i128),
    ("uint64", "u64", 0, u64::MAX as i128),
];

/// String formats typify generates a type of their own for.
const STRING_FORMATS: &[(&str, &str)] = &[
    ("uuid", "uuid::Uuid"),
    ("date", "chrono::naive::NaiveDate"),
    ("date-time", "chrono::DateTime<::chrono::offset::Utc>"),
    ("ip", "std::net::IpAddr"),
    ("ipv4", "std::net::Ipv4Addr"),
    ("ipv6", "std::net::Ipv6Addr"),
];

/// Standard string formats that only validate or annotate text, for which typify's `String`
/// is the faithful type: OpenAPI 3.0's own, JSON Schema's, and numbers carried as text.
const TEXT_FORMATS: &[&str] = &[
    "byte",
    "binary",
    "password",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
    "time",
    "duration",
    "int32",
    "int64",
    "decimal",
];

/// The range typify's Rust type for an integer `format` holds, if it knows the format.
pub fn integer_range(format: &str) -> Option<(&'static str, i128, i128)> {
    INTEGER_FORMATS
        .iter()
        .find(|(f, ..)| *f == format)
        .map(|&(_, ty, lo, hi)| (ty, lo, hi))
}

/// What typify generates for `type: ty, format: format` when it ignores the format, or `None`
/// when it knows the format (or the format is the faithful one for `ty`).
fn ignored(ty: &str, format: &str) -> Option<&'static str> {
    match ty {
        "string" if STRING_FORMATS.iter().any(|(f, _)| *f == format) => None,
        "string" if TEXT_FORMATS.contains(&format) => None,
        "string" => Some("String"),
        "integer" if integer_range(format).is_some() => None,
        "integer" => Some("i64 (or a type its bounds pick)"),
        // f32 for `float`; `double` is f64 by design.
        "number" if matches!(format, "float" | "double") => None,
        "number" => Some("f64"),
        "boolean" => Some("bool"),
        _ => None,
    }
}

/// `format-unknown`.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    for site in &ctx.index.schemas {
        let (Some(ty), Some(format)) = (site.node.str_at("type"), site.node.str_at("format"))
        else {
            continue;
        };
        // A standard format on a type it does not fit is `keyword-type-mismatch`.
        if super::schemas::format_misfits(ty, format) {
            continue;
        }
        if let Some(generated) = ignored(ty, format) {
            let hint = match ty {
                "number" if integer_range(format).is_some() => {
                    " (for whole numbers use `type: integer`)".to_string()
                }
                "integer" => format!(
                    " (known: {})",
                    INTEGER_FORMATS
                        .iter()
                        .map(|(f, ..)| *f)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "string" => format!(
                    " (known: {})",
                    STRING_FORMATS
                        .iter()
                        .map(|(f, _)| *f)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => String::new(),
            };
            out.add(
                Rule::FormatUnknown,
                join(&site.ptr, "format"),
                format!(
                    "typify does not know `format: {format}` for `type: {ty}` and generates {generated} as if it were absent: use a format it knows or drop it{hint}"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fires, schema_doc};
    use super::*;

    #[test]
    fn unknown_formats_warn() {
        for bad in [
            "{type: string, format: datetime}",
            "{type: integer, format: timestamp}",
            "{type: number, format: decimal}",
            "{type: number, format: int32}",
            "{type: boolean, format: flag}",
        ] {
            assert_eq!(
                fires(&schema_doc(bad), Rule::FormatUnknown),
                vec!["/components/schemas/S/format"],
                "{bad}"
            );
        }
        for good in [
            "{type: string, format: date-time}",
            "{type: string, format: email}",
            "{type: string, format: int64}",
            "{type: integer, format: int32}",
            "{type: integer, format: uint8}",
            "{type: number, format: double}",
            // keyword-type-mismatch's finding, not this one.
            "{type: integer, format: date}",
        ] {
            assert!(
                fires(&schema_doc(good), Rule::FormatUnknown).is_empty(),
                "{good}"
            );
        }
    }

    /// The Rust type progenitor (through typify) gives a property of each `(type, format)`.
    fn generated_types(cases: &[(&str, &str)]) -> Vec<String> {
        let mut properties = serde_json::Map::new();
        for (i, (ty, format)) in cases.iter().enumerate() {
            properties.insert(
                format!("p{i}"),
                serde_json::json!({"type": ty, "format": format}),
            );
        }
        let spec = serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"Holder": {
                "type": "object",
                "required": properties.keys().collect::<Vec<_>>(),
                "properties": properties,
            }}}
        });
        let spec: openapiv3::OpenAPI = serde_json::from_value(spec).expect("a valid spec");
        let mut generator =
            progenitor_impl::Generator::new(&progenitor_impl::GenerationSettings::default());
        let tokens = generator
            .generate_tokens(&spec)
            .expect("progenitor generates");
        let file: syn::File = syn::parse2(tokens).expect("generated code parses");
        let holder = file
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Mod(m) => m.content.as_ref(),
                _ => None,
            })
            .flat_map(|(_, items)| items)
            .find_map(|item| match item {
                syn::Item::Struct(s) if s.ident == "Holder" => Some(s),
                _ => None,
            })
            .expect("struct Holder");
        let mut fields: Vec<(usize, String)> = holder
            .fields
            .iter()
            .map(|f| {
                let name = f.ident.as_ref().expect("named").to_string();
                let i: usize = name[1..].parse().expect("p<i>");
                let ty = &f.ty;
                (i, quote::quote!(#ty).to_string().replace(' ', ""))
            })
            .collect();
        fields.sort();
        fields.into_iter().map(|(_, ty)| ty).collect()
    }

    #[test]
    fn tables_match_what_typify_generates() {
        let mut cases: Vec<(&str, &str)> = Vec::new();
        let mut expected: Vec<String> = Vec::new();
        for (format, ty, ..) in INTEGER_FORMATS {
            cases.push(("integer", format));
            expected.push((*ty).to_string());
        }
        for (format, ty) in STRING_FORMATS {
            cases.push(("string", format));
            expected.push(format!("::{ty}"));
        }
        for format in TEXT_FORMATS {
            cases.push(("string", format));
            expected.push("::std::string::String".to_string());
        }
        for (ty, format, rust) in [
            ("number", "float", "f32"),
            ("number", "double", "f64"),
            ("number", "decimal", "f64"),
            ("integer", "timestamp", "i64"),
            ("string", "datetime", "::std::string::String"),
        ] {
            cases.push((ty, format));
            expected.push(rust.to_string());
        }
        let generated = generated_types(&cases);
        for ((case, want), got) in cases.iter().zip(&expected).zip(&generated) {
            assert_eq!(got, want, "{case:?}");
        }
        assert_eq!(generated.len(), cases.len());
    }
}
