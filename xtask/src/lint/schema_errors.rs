//! Turns `jsonschema` validation errors into readable (pointer, message) pairs.
//!
//! Shared by the OAS structure check and the example checks. The goal is one finding per
//! mistake, at the node that is wrong: an unknown field is reported at that field, and a failed
//! `oneOf`/`anyOf` is replaced by the errors of the alternative that came closest.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, paths::Location};
use serde_json::Value;

use super::formats::INTEGER_FORMATS;
use super::yaml::join;

/// One readable problem: the instance pointer (relative to the validated value) and a message.
pub struct Problem {
    /// JSON pointer inside the validated value.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// Whether the value has the wrong JSON type (other errors at the same place are noise).
    pub is_type: bool,
    /// Whether the value is outside the range of its integer format's Rust type (the bounds
    /// the example checks put under `then`).
    pub outside_format: bool,
}

/// Explains one error (several problems for an unknown-fields error).
pub fn explain(err: &ValidationError<'_>) -> Vec<Problem> {
    explain_under(err, "")
}

/// [`explain`] for a value validated at `prefix` of the instance (its pointers relative to it).
pub fn explain_under(err: &ValidationError<'_>, prefix: &str) -> Vec<Problem> {
    let path = err.instance_path().as_str();
    let pointer = path.strip_prefix(prefix).unwrap_or(path).to_string();
    let is_type = matches!(err.kind(), ValidationErrorKind::Type { .. });
    let schema_path = err.schema_path().as_str();
    let outside_format =
        schema_path.ends_with("/then/minimum") || schema_path.ends_with("/then/maximum");
    let problem = |pointer: String, message: String| Problem {
        pointer,
        message,
        is_type,
        outside_format,
    };
    let instance = err.instance();
    let message = match err.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            return unexpected
                .iter()
                .map(|key| problem(join(&pointer, key), unknown_field(&pointer, key)))
                .collect();
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            if let Some(best) = best_branch(context, err.instance_path()) {
                return best.iter().flat_map(|e| explain_under(e, prefix)).collect();
            }
            "matches none of the allowed forms".to_string()
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "matches more than one of the allowed forms".to_string()
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!(
                "expected {expected}, found {} {}",
                json_type(instance),
                preview(instance)
            )
        }
        ValidationErrorKind::Required { property } => {
            format!("missing required field `{}`", plain(property))
        }
        ValidationErrorKind::Enum { options } => {
            let options = match options.as_ref() {
                Value::Array(items) => items.iter().map(preview).collect::<Vec<_>>().join(", "),
                other => preview(other),
            };
            format!("{} is not one of {options}", preview(instance))
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!(
                "{} is not the expected {}",
                preview(instance),
                preview(expected_value)
            )
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!("{} does not match `{pattern}`", preview(instance))
        }
        ValidationErrorKind::Format { format } => {
            format!("{} is not a valid `{format}`", preview(instance))
        }
        ValidationErrorKind::MinProperties { limit } => {
            format!("needs at least {limit} entr{}", plural_y(*limit))
        }
        ValidationErrorKind::MaxProperties { limit } => {
            format!("allows at most {limit} entr{}", plural_y(*limit))
        }
        ValidationErrorKind::MinItems { limit } => format!("needs at least {limit} item(s)"),
        ValidationErrorKind::MaxItems { limit } => format!("allows at most {limit} item(s)"),
        ValidationErrorKind::MinLength { limit } => {
            format!("{} is shorter than {limit} character(s)", preview(instance))
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("{} is longer than {limit} character(s)", preview(instance))
        }
        ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit }
            if outside_format =>
        {
            format!(
                "{} does not fit {}",
                preview(instance),
                format_type(
                    limit,
                    matches!(err.kind(), ValidationErrorKind::Minimum { .. })
                )
            )
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("{} is less than the minimum {limit}", preview(instance))
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("{} is greater than the maximum {limit}", preview(instance))
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("{} is not greater than {limit}", preview(instance))
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("{} is not less than {limit}", preview(instance))
        }
        ValidationErrorKind::UniqueItems => "items must be unique".to_string(),
        ValidationErrorKind::FalseSchema => "is not allowed here".to_string(),
        ValidationErrorKind::Not { schema } => {
            // `not: {required: [a, b]}` is how the OAS schema says "a and b exclude each other".
            let names: Vec<String> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().map(plain).collect())
                .unwrap_or_default();
            match names.as_slice() {
                [one] => {
                    return vec![problem(
                        join(&pointer, one),
                        format!("`{one}` is not allowed here"),
                    )];
                }
                [] => format!("{} is not allowed here", preview(instance)),
                many => format!(
                    "{} are mutually exclusive",
                    many.iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            }
        }
        _ => err.to_string(),
    };
    vec![problem(pointer, message)]
}

/// The Rust type(s) of the integer formats whose range ends at `limit`, for messages.
fn format_type(limit: &Value, is_minimum: bool) -> String {
    let limit = limit
        .as_i64()
        .map(i128::from)
        .or_else(|| limit.as_u64().map(i128::from));
    let mut types: Vec<&str> = INTEGER_FORMATS
        .iter()
        .filter(|(_, _, lo, hi)| Some(if is_minimum { *lo } else { *hi }) == limit)
        .map(|(_, ty, ..)| *ty)
        .collect();
    types.dedup();
    let bound = if is_minimum { "least" } else { "greatest" };
    match limit {
        Some(limit) => format!(
            "`{}`, the Rust type of its `format` (its {bound} value is {limit})",
            types.join("`/`")
        ),
        None => "the Rust type of its `format`".to_string(),
    }
}

/// The alternative of a failed `oneOf`/`anyOf` that came closest: not rejected for its type
/// at the same place, then with the deepest and fewest errors.
fn best_branch<'e>(
    context: &'e [Vec<ValidationError<'static>>],
    at: &Location,
) -> Option<&'e Vec<ValidationError<'static>>> {
    let wrong_type_here = |branch: &Vec<ValidationError<'static>>| {
        branch.iter().any(|e| {
            matches!(e.kind(), ValidationErrorKind::Type { .. })
                && e.instance_path().as_str() == at.as_str()
        })
    };
    let depth = |branch: &Vec<ValidationError<'static>>| {
        branch
            .iter()
            .map(|e| e.instance_path().as_str().matches('/').count())
            .max()
            .unwrap_or(0)
    };
    context
        .iter()
        .filter(|b| !b.is_empty() && !wrong_type_here(b))
        .max_by(|a, b| depth(a).cmp(&depth(b)).then_with(|| b.len().cmp(&a.len())))
}

/// "unknown field" with a hint for the two maps whose keys have a fixed form.
fn unknown_field(parent: &str, key: &str) -> String {
    let hint = if parent == "/paths" {
        " (path keys start with `/`; extensions with `x-`)"
    } else if parent.ends_with("/responses") {
        " (response keys are status codes such as `200` or `4XX`, or `default`)"
    } else {
        ""
    };
    format!("unknown field `{key}`{hint}")
}

/// The JSON type of a value, for messages.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A short rendering of a value for messages.
pub fn preview(v: &Value) -> String {
    let text = match v {
        Value::Array(_) => "[...]".to_string(),
        Value::Object(_) => "{...}".to_string(),
        other => other.to_string(),
    };
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(37).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// A string value without quotes, anything else as JSON.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn plural_y(n: u64) -> &'static str {
    if n == 1 { "y" } else { "ies" }
}
