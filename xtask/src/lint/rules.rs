//! The rule table: every rule's stable name, severity, family and one-line description.
//!
//! This is the only place rules are declared; `cargo xtask lint --rules` prints it, the report
//! takes severities from it, and the fixture test checks that every rule has a fixture.

use std::fmt;

/// How bad a finding is. Errors fail the lint (exit 1); warnings are reported only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Style, portability, documentation, project conventions, values that do not fit their
    /// schema, and semantic doubts tools disagree on: reported, does not fail.
    Warning,
    /// Evidence that the document cannot be used: a violation of the OpenAPI 3.0 schema or of
    /// a MUST of the specification, a document `openapiv3` cannot read, or a place where
    /// progenitor-impl 0.15.1 fails or panics. Fails the lint.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

macro_rules! rules {
    ($($variant:ident => $name:literal, $severity:ident, $family:literal, $description:literal;)*) => {
        /// A lint rule.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $(#[doc = $description] $variant,)*
        }

        impl Rule {
            /// Every rule, in table order.
            pub const ALL: &[Rule] = &[$(Rule::$variant,)*];

            /// The stable kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            /// The severity of the rule's findings.
            pub fn severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity,)* }
            }

            /// The rule family (the module that implements it).
            pub fn family(self) -> &'static str {
                match self { $(Rule::$variant => $family,)* }
            }

            /// What the rule checks, in one line.
            pub fn description(self) -> &'static str {
                match self { $(Rule::$variant => $description,)* }
            }
        }
    };
}

rules! {
    YamlDuplicateKey => "yaml-duplicate-key", Error, "structure", "A mapping repeats a key (JSON parsers keep only the last one).";
    Oas3Schema => "oas3-schema", Error, "structure", "The document is invalid against the OpenAPI 3.0 JSON Schema (unknown fields, missing or mistyped fields).";
    RefUnresolved => "ref-unresolved", Error, "structure", "A `$ref` does not resolve (missing target, bad pointer, missing file, or a cycle of references).";
    RefSiblings => "ref-siblings", Warning, "structure", "A `$ref` object has other fields, which OpenAPI 3.0 ignores.";
    OperationIdMissing => "operation-id-missing", Error, "structure", "An operation has no `operationId` (progenitor names methods after it).";
    OperationIdDuplicate => "operation-id-duplicate", Error, "structure", "Two operations share an `operationId`.";
    OperationIdUrlSafe => "operation-id-url-safe", Warning, "structure", "An `operationId` has characters outside the URL-unreserved set `A-Za-z0-9-._~`.";
    ParameterDuplicate => "parameter-duplicate", Error, "structure", "A parameter list repeats a (name, in) pair.";
    Response2xxMissing => "response-2xx-missing", Warning, "structure", "An operation declares no 2xx response (progenitor generates it: an upgrade, or a `default`-only operation).";
    Response4xxMissing => "response-4xx-missing", Warning, "structure", "An operation declares no 4xx response.";
    ServersEmpty => "servers-empty", Warning, "structure", "`servers` is missing at the top level or is an empty list.";
    ServerTrailingSlash => "server-trailing-slash", Warning, "structure", "A server URL ends with `/` (paths start with one).";
    SecuritySchemeUndefined => "security-scheme-undefined", Error, "structure", "A security requirement names a scheme missing from `components.securitySchemes`.";
    ComponentUnused => "component-unused", Warning, "structure", "A component is never referenced from the paths or `x-webhooks` (directly or through other components).";
    ServerVariableUndefined => "server-variable-undefined", Warning, "structure", "A server URL uses a `{variable}` that its `variables` do not define (the URL cannot be built).";
    ServerVariableUnused => "server-variable-unused", Warning, "structure", "A server variable is defined but not used in the server URL.";
    HeaderParameterIgnored => "header-parameter-ignored", Warning, "structure", "A header parameter named `Accept`, `Content-Type` or `Authorization` (or a `Content-Type` header), which OpenAPI 3.0 ignores.";
    PathTemplateInvalid => "path-template-invalid", Error, "paths", "A path template has unbalanced or empty braces.";
    PathParamsUndeclared => "path-params-undeclared", Error, "paths", "A `{param}` of the path template has no `in: path` parameter in the operation.";
    PathParamNotRequired => "path-param-not-required", Error, "paths", "A path parameter is not `required: true`.";
    PathParamDuplicate => "path-param-duplicate", Error, "paths", "A path template uses the same `{param}` twice.";
    PathParamUnused => "path-param-unused", Error, "paths", "An `in: path` parameter does not appear in the path template.";
    PathEmpty => "path-empty", Warning, "paths", "A path is empty or has an empty segment (`//`).";
    PathTrailingSlash => "path-trailing-slash", Warning, "paths", "A path ends with `/`.";
    PathQuery => "path-query", Error, "paths", "A path carries a query string or fragment (use `in: query` parameters).";
    PathsIdentical => "paths-identical", Error, "paths", "Two paths are the same template but for parameter names or a trailing slash.";
    PathsAmbiguous => "paths-ambiguous", Warning, "paths", "Two paths can match the same request and neither is more specific (OAS 3.0 leaves it to the tooling).";
    EnumTypeMismatch => "enum-type-mismatch", Error, "schemas", "An `enum` value (other than `null`) does not match the schema's `type` (typify cannot generate the type).";
    EnumDuplicate => "enum-duplicate", Error, "schemas", "An `enum` lists the same value twice (typify cannot generate the type).";
    RequiredUndefined => "required-undefined", Warning, "schemas", "`required` names a property the schema does not define (for `additionalProperties: false`, in its own `properties`).";
    ArrayItemsMissing => "array-items-missing", Error, "schemas", "A `type: array` schema has no `items` (required in OpenAPI 3.0).";
    KeywordTypeMismatch => "keyword-type-mismatch", Warning, "schemas", "A keyword does not apply to the schema's `type` (e.g. `maxLength` on an integer).";
    NullableWithoutType => "nullable-without-type", Warning, "schemas", "`nullable: true` without `type`: OAS 3.0.3 says it has no effect, typify (so progenitor) honours it; tools disagree.";
    NumericRangeEmpty => "numeric-range-empty", Warning, "contradictions", "`minimum`/`maximum` (with `exclusiveMinimum`/`exclusiveMaximum`) leave no number, or no integer for `type: integer`.";
    LengthRangeEmpty => "length-range-empty", Warning, "contradictions", "`minLength` is above `maxLength`.";
    ItemsRangeEmpty => "items-range-empty", Warning, "contradictions", "`minItems` is above `maxItems`.";
    PropertiesRangeEmpty => "properties-range-empty", Warning, "contradictions", "`minProperties` is above `maxProperties`, more properties are required than `maxProperties` allows, or a closed object cannot reach `minProperties`.";
    ReadWriteOnly => "read-write-only", Error, "contradictions", "A schema is both `readOnly` and `writeOnly`.";
    EnumEmpty => "enum-empty", Error, "contradictions", "`enum` is an empty list: no value is allowed.";
    AllOfTypesConflict => "all-of-types-conflict", Warning, "contradictions", "`allOf` members (or the schema holding them) declare types no value has at once.";
    FormatUnknown => "format-unknown", Warning, "formats", "A `format` typify does not know for the `type`: it generates the type as if the format were absent.";
    PropertyNamesCollide => "property-names-collide", Error, "collisions", "Two properties of one object become the same Rust field name.";
    ParameterNamesCollide => "parameter-names-collide", Error, "collisions", "Two parameters of one operation (or a parameter and the body) become the same Rust parameter name.";
    OperationIdsCollide => "operation-ids-collide", Error, "collisions", "Two operationIds become the same Rust method or builder name.";
    SchemaNamesCollide => "schema-names-collide", Error, "collisions", "Two component schemas become the same Rust type name.";
    EnumVariantsCollide => "enum-variants-collide", Error, "collisions", "String enum values typify cannot give distinct Rust variant names (it refuses to generate the enum).";
    DefaultInvalid => "default-invalid", Warning, "examples", "A schema's `default` is invalid against the schema.";
    ExampleInvalid => "example-invalid", Warning, "examples", "An example (media type, parameter, header or schema) is invalid against its schema.";
    EnumValueInvalid => "enum-value-invalid", Warning, "examples", "An `enum` value is invalid against the rest of its schema (bounds, length, pattern, format).";
    ValueOutsideFormat => "value-outside-format", Error, "examples", "An `enum` value or `default` does not fit the Rust type of its integer `format` (e.g. above 2147483647 for `int32`): typify cannot write it, generation fails. (An example outside it is `example-invalid`.)";
    OperationSummary => "operation-summary", Warning, "docs", "An operation has no `summary`.";
    OperationDescription => "operation-description", Warning, "docs", "An operation has no `description`.";
    OperationTags => "operation-tags", Warning, "docs", "An operation has no `tags`.";
    ParameterDescription => "parameter-description", Warning, "docs", "A parameter has no `description`.";
    PropertyDescription => "property-description", Warning, "docs", "A schema property has no `description`.";
    InfoContact => "info-contact", Warning, "docs", "`info` has no `contact`.";
    InfoLicense => "info-license", Warning, "docs", "`info` has no `license`.";
    TagUndefined => "tag-undefined", Warning, "docs", "An operation uses a tag not declared in the top-level `tags`.";
    TagDescription => "tag-description", Warning, "docs", "A declared tag has no `description`.";
    OpenapiVersion => "openapi-version", Error, "project", "`openapi` is not 3.0.x (progenitor 0.15 reads OpenAPI 3.0 only).";
    ProgenitorDefaultResponse => "progenitor-default-response", Warning, "project", "An operation has a `default` response: progenitor counts it among the successes and the errors, so its body must match theirs (see `progenitor-mixed-bodies`).";
    ProgenitorMixedBodies => "progenitor-mixed-bodies", Error, "project", "Success (or error) responses mix body kinds: none, JSON of different schemas, or non-JSON.";
    ProgenitorParse => "progenitor-parse", Error, "project", "The document does not deserialize with `openapiv3`, which progenitor uses.";
    RequestBodyMediaTypes => "request-body-media-types", Error, "bodies", "A request body has more than one media type (progenitor-impl 0.15.1 panics).";
    RequestBodyMediaType => "request-body-media-type", Error, "bodies", "A request body's media type progenitor-impl 0.15.1 cannot take (`*/*`, XML, multipart..., an `encoding`, a non-string octet-stream or text schema, no schema).";
    ResponseJsonSchemaMissing => "response-json-schema-missing", Error, "bodies", "A response's `application/json` content has no `schema` (progenitor-impl 0.15.1 panics).";
    ProgenitorGenerate => "progenitor-generate", Error, "project", "progenitor-impl 0.15.1, run on the spec with panics caught, fails or panics on this operation or schema (each failing place found by narrowing).";
    PathIdString => "path-id-string", Warning, "project", "A path parameter named `*id` is not `type: string` (IDs can exceed i64).";
}

impl Rule {
    /// Looks a rule up by its name.
    #[cfg(test)]
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.name() == name)
    }
}

/// The rule table as text, for `--rules`.
pub fn table() -> String {
    let width = Rule::ALL.iter().map(|r| r.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in Rule::ALL {
        out.push_str(&format!(
            "{:<width$}  {:<7}  {:<9}  {}\n",
            rule.name(),
            rule.severity().to_string(),
            rule.family(),
            rule.description(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case() {
        let mut names: Vec<_> = Rule::ALL.iter().map(|r| r.name()).collect();
        for name in &names {
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name}"
            );
            assert_eq!(Rule::from_name(name).map(Rule::name), Some(*name));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
    }
}
