//! An input refused before anything was sent.

/// An input refused before sending: which field, and which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {rule}")]
pub struct ValidationError {
    field: &'static str,
    rule: String,
}

impl ValidationError {
    /// A validation error for `field` breaking `rule`.
    pub fn new(field: &'static str, rule: impl Into<String>) -> Self {
        Self {
            field,
            rule: rule.into(),
        }
    }

    /// The field, as named in the request (`meeting_id`, `operator_id`, `instanceid`, …) or the
    /// builder setting (`base_url`, `timeout`, …).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The rule it broke, in words.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}
