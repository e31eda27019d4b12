//! The meeting ID the generated builders take, written by hand in place of the type typify would
//! generate from the spec's `MeetingId` schema (`cargo xtask codegen` asks for the replacement).
//!
//! The rule is the schema's: 1 to 32 characters matching `^[0-9]+$`. typify would check the
//! pattern with a regex engine on every call; this checks the bytes. `tests/meeting_id.rs` reads
//! the schema from the spec and fails if the two ever disagree, so the spec stays the source of
//! the rule.

use std::fmt;

/// The fewest characters a meeting ID has (the schema's `minLength`).
pub const MIN_LEN: usize = 1;
/// The most characters a meeting ID has (the schema's `maxLength`).
pub const MAX_LEN: usize = 32;
/// The schema's `pattern`, which [`MeetingId::check`] implements.
pub const PATTERN: &str = "^[0-9]+$";

/// A meeting ID: a decimal string that can exceed a 64-bit integer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct MeetingId(String);

/// Which of the schema's rules a meeting ID breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeetingIdError {
    /// Shorter than [`MIN_LEN`].
    Empty,
    /// A character other than an ASCII digit (the pattern).
    NotDigits,
    /// Longer than [`MAX_LEN`].
    TooLong,
}

impl fmt::Display for MeetingIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::NotDigits => f.write_str("must be decimal digits only"),
            Self::TooLong => write!(f, "must be at most {MAX_LEN} digits"),
        }
    }
}

impl std::error::Error for MeetingIdError {}

impl MeetingId {
    /// Checks `id` against the schema's rules. The order of the checks decides which rule an ID
    /// that breaks several is reported under: empty, then not digits, then too long.
    pub fn check(id: &str) -> Result<(), MeetingIdError> {
        if id.len() < MIN_LEN {
            return Err(MeetingIdError::Empty);
        }
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MeetingIdError::NotDigits);
        }
        // All ASCII from here, so bytes are characters.
        if id.len() > MAX_LEN {
            return Err(MeetingIdError::TooLong);
        }
        Ok(())
    }

    /// Takes `id` without copying it if it keeps the rule; otherwise hands it back with the rule
    /// it breaks, so the caller can say which ID was refused.
    pub fn take(id: String) -> Result<Self, (MeetingIdError, String)> {
        match Self::check(&id) {
            Ok(()) => Ok(Self(id)),
            Err(rule) => Err((rule, id)),
        }
    }

    /// The ID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for MeetingId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MeetingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<MeetingId> for String {
    fn from(id: MeetingId) -> Self {
        id.0
    }
}

impl TryFrom<String> for MeetingId {
    type Error = MeetingIdError;
    /// Takes the string without copying it.
    fn try_from(id: String) -> Result<Self, MeetingIdError> {
        Self::take(id).map_err(|(rule, _)| rule)
    }
}

impl TryFrom<&str> for MeetingId {
    type Error = MeetingIdError;
    fn try_from(id: &str) -> Result<Self, MeetingIdError> {
        Self::check(id)?;
        Ok(Self(id.to_string()))
    }
}

impl std::str::FromStr for MeetingId {
    type Err = MeetingIdError;
    fn from_str(id: &str) -> Result<Self, MeetingIdError> {
        Self::try_from(id)
    }
}

impl<'de> serde::Deserialize<'de> for MeetingId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        Self::try_from(id).map_err(serde::de::Error::custom)
    }
}
