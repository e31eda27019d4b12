//! The hand-written `MeetingId` (which `cargo xtask codegen` puts in place of typify's) against
//! the spec's `MeetingId` schema: the same keywords and bounds, and, for any string, the same
//! verdict as the schema's pattern run through a regex engine with its length bounds.

use std::path::Path;
use std::sync::LazyLock;

use proptest::prelude::*;
use serde_yaml::Value;
use tencent_meeting_openapi::meeting_id::{MAX_LEN, MIN_LEN, MeetingId, MeetingIdError, PATTERN};

/// The spec's `components.schemas.MeetingId`.
fn schema() -> serde_yaml::Mapping {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/tencent-meeting.yaml");
    let text = std::fs::read_to_string(&path).expect("the spec is readable");
    let spec: Value = serde_yaml::from_str(&text).expect("the spec is YAML");
    spec["components"]["schemas"]["MeetingId"]
        .as_mapping()
        .cloned()
        .expect("the spec defines components.schemas.MeetingId")
}

/// The schema's rule, read once.
static SPEC_RULE: LazyLock<SpecRule> = LazyLock::new(SpecRule::from_spec);

/// What the schema accepts, decided the way a JSON Schema validator does: lengths in characters,
/// the pattern as an ECMAScript regex found anywhere in the string.
struct SpecRule {
    pattern: regress::Regex,
    min: usize,
    max: usize,
}

impl SpecRule {
    fn from_spec() -> Self {
        let schema = schema();
        let text = |k: &str| schema[k].as_str().map(str::to_string);
        let number = |k: &str| {
            schema[k]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or_else(|| panic!("MeetingId.{k} is a number"))
        };
        let pattern = text("pattern").expect("MeetingId has a pattern");
        Self {
            pattern: regress::Regex::new(&pattern).expect("the pattern compiles"),
            min: number("minLength"),
            max: number("maxLength"),
        }
    }

    fn accepts(&self, id: &str) -> bool {
        let chars = id.chars().count();
        chars >= self.min && chars <= self.max && self.pattern.find(id).is_some()
    }
}

#[test]
fn the_schema_has_the_rule_the_type_implements() {
    let schema = schema();
    let keys: Vec<&str> = schema.keys().filter_map(Value::as_str).collect();
    for key in &keys {
        assert!(
            [
                "type",
                "pattern",
                "minLength",
                "maxLength",
                "description",
                "example"
            ]
            .contains(key),
            "MeetingId gained the keyword {key:?}: implement it in generated/src/meeting_id.rs"
        );
    }
    assert_eq!(schema["type"].as_str(), Some("string"));
    assert_eq!(
        schema["pattern"].as_str(),
        Some(PATTERN),
        "the spec's pattern changed: update MeetingId::check and PATTERN"
    );
    assert_eq!(schema["minLength"].as_u64(), Some(MIN_LEN as u64));
    assert_eq!(schema["maxLength"].as_u64(), Some(MAX_LEN as u64));
    let example = schema["example"]
        .as_str()
        .expect("MeetingId has an example");
    assert!(MeetingId::try_from(example).is_ok(), "the spec's example");
}

#[test]
fn each_rule_is_reported() {
    assert_eq!(MeetingId::check(""), Err(MeetingIdError::Empty));
    assert_eq!(MeetingId::check("12a"), Err(MeetingIdError::NotDigits));
    assert_eq!(MeetingId::check("１２"), Err(MeetingIdError::NotDigits));
    assert_eq!(
        MeetingId::check(&"1".repeat(MAX_LEN + 1)),
        Err(MeetingIdError::TooLong)
    );
    assert_eq!(MeetingId::check(&"9".repeat(MAX_LEN)), Ok(()));
    assert_eq!(MeetingId::check("0"), Ok(()));
}

#[test]
fn owned_strings_are_taken_as_they_are() {
    let id = String::from("7567173273889276131");
    let meeting_id = MeetingId::try_from(id.clone()).expect("valid");
    assert_eq!(meeting_id.as_str(), id);
    assert_eq!(meeting_id.to_string(), id);
    assert_eq!(String::from(meeting_id), id);
}

#[test]
fn serde_applies_the_rule() {
    let ok: MeetingId = serde_json::from_str("\"123\"").expect("digits");
    assert_eq!(serde_json::to_string(&ok).ok().as_deref(), Some("\"123\""));
    assert!(serde_json::from_str::<MeetingId>("\"12 3\"").is_err());
    assert!(serde_json::from_str::<MeetingId>("\"\"").is_err());
}

/// Strings near the rule's edges: digits of every length around the bounds, digits with one
/// character swapped for something else (ASCII, other scripts' digits, line breaks), and anything.
fn candidate() -> impl Strategy<Value = String> {
    let digits = proptest::string::string_regex("[0-9]{0,40}").expect("strategy");
    let near = (
        proptest::string::string_regex("[0-9]{0,34}").expect("strategy"),
        prop_oneof![
            Just('\n'),
            Just(' '),
            Just('a'),
            Just('٣'),
            Just('１'),
            Just('-'),
            Just('+'),
            any::<char>()
        ],
        any::<prop::sample::Index>(),
    )
        .prop_map(|(s, c, at)| {
            let mut chars: Vec<char> = s.chars().collect();
            chars.insert(at.index(chars.len() + 1), c);
            chars.into_iter().collect()
        });
    prop_oneof![digits, near, any::<String>()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_type_agrees_with_the_schema(id in candidate()) {
        let spec = &*SPEC_RULE;
        prop_assert_eq!(
            MeetingId::check(&id).is_ok(),
            spec.accepts(&id),
            "{:?}", id
        );
        prop_assert_eq!(MeetingId::try_from(id.as_str()).is_ok(), spec.accepts(&id));
    }
}
