//! A typed event's `payload` entry as received, kept as its JSON text and read into a
//! `serde_json::Value` only when asked for.
//!
//! Why: building the `Value` (a map and a string for every key, a string for every value) costs
//! more than verifying, decrypting and typing the delivery together, and most receivers only read
//! the typed accessors. The text is checked, when the entry is taken, to be JSON a `Value` accepts
//! (numbers within `f64`, escapes that decode), so reading it later cannot fail and an entry is
//! taken or refused exactly as if its `Value` had been built at once.

use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// A payload entry: its text (from the direct path) or its `Value` (from the tolerant path).
#[derive(Clone)]
pub(super) struct RawEntry {
    text: Option<Box<RawValue>>,
    value: OnceLock<Value>,
}

impl RawEntry {
    /// The entry's text, if a `Value` would accept it (`None` otherwise).
    pub(super) fn from_text(text: &RawValue) -> Option<Self> {
        serde_json::from_str::<ValueGrammar>(text.get()).ok()?;
        Some(Self {
            text: Some(text.to_owned()),
            value: OnceLock::new(),
        })
    }

    /// An entry already read into its `Value`.
    pub(super) fn from_value(value: Value) -> Self {
        Self {
            text: None,
            value: OnceLock::from(value),
        }
    }

    /// The entry as a `Value`, read from its text the first time.
    pub(super) fn value(&self) -> &Value {
        self.value.get_or_init(|| {
            self.text
                .as_ref()
                // `from_text` checked that the text reads as a `Value`; and an entry without text
                // was made with its value, so this closure never runs for it.
                .and_then(|text| serde_json::from_str(text.get()).ok())
                .unwrap_or(Value::Null)
        })
    }
}

/// Equal when the JSON is, whichever way each entry was read.
impl PartialEq for RawEntry {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl fmt::Debug for RawEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value().fmt(f)
    }
}

/// Accepts exactly the JSON a `serde_json::Value` accepts, building nothing: every value is read
/// by `deserialize_any`, as `Value`'s own `Deserialize` reads it (the skipping that `RawValue` and
/// ignored fields use checks less: it takes `1e400` and lone surrogates, which a `Value` refuses).
struct ValueGrammar;

impl<'de> Deserialize<'de> for ValueGrammar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueGrammar)
    }
}

impl<'de> Visitor<'de> for ValueGrammar {
    type Value = ValueGrammar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<ValueGrammar>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<ValueGrammar, ValueGrammar>()?.is_some() {}
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_what_a_value_takes_and_nothing_else() {
        for text in [
            r#"{"a":[1,-2,3.5,1e300,18446744073709551615,true,null,"x\u00e9\ud83d\ude00"],"b":{}}"#,
            "{}",
            "[]",
            "123456789012345678901234567890",
        ] {
            let raw = RawValue::from_string(text.to_string()).expect("JSON");
            let entry = RawEntry::from_text(&raw).expect(text);
            let value: Value = serde_json::from_str(text).expect(text);
            assert_eq!(entry.value(), &value);
            assert_eq!(entry, RawEntry::from_value(value));
        }
        for text in [r#"{"big":1e400}"#, r#"{"odd":"\ud800"}"#, r#"[-1e999]"#] {
            // What `RawValue` lets through and a `Value` refuses.
            let raw = RawValue::from_string(text.to_string()).expect("RawValue takes it");
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
            assert!(RawEntry::from_text(&raw).is_none(), "{text}");
        }
    }
}
