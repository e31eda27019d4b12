//! A meeting's state as the look-up reports it: an open set, since the service may add states.

use std::fmt;
use std::str::FromStr;

/// A meeting's state, as the service spells it (`MEETING_STATE_STARTED`, …). States this crate
/// does not know are kept as [`MeetingStatus::Unknown`], never refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MeetingStatus {
    /// `MEETING_STATE_INVALID`.
    Invalid,
    /// `MEETING_STATE_INIT`: scheduled, not started (for a recurring meeting: between
    /// sub-meetings).
    Init,
    /// `MEETING_STATE_CANCELLED`.
    Cancelled,
    /// `MEETING_STATE_STARTED`: in progress, the only state a meeting can be dismissed in.
    Started,
    /// `MEETING_STATE_ENDED`.
    Ended,
    /// `MEETING_STATE_NULL`: the simulator's (and this crate's) reading is "never started" —
    /// not over, and a dismiss is answered 9003. (One SDK's docs say "past its end and empty";
    /// either way nothing shows a dismiss ended it.)
    Null,
    /// `MEETING_STATE_RECYCLED`.
    Recycled,
    /// A state this crate does not know, as the service spelled it.
    Unknown(String),
}

impl MeetingStatus {
    /// Whether a meeting in this state is over: `MEETING_STATE_ENDED` or `_RECYCLED` (ended,
    /// its code reclaimed). The one meaning of "ended" in this workspace: the client's look-ups
    /// ([`crate::Meeting::has_ended`]), the simulator's answers (13603 for exactly these) and
    /// the CLI all use it. `_NULL` (never started: 9003), `_INIT` (not started), `_CANCELLED`
    /// (9007), `_STARTED` and states this crate does not know are not over.
    pub fn is_over(&self) -> bool {
        matches!(self, Self::Ended | Self::Recycled)
    }

    /// The service's name, e.g. `MEETING_STATE_STARTED`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Invalid => "MEETING_STATE_INVALID",
            Self::Init => "MEETING_STATE_INIT",
            Self::Cancelled => "MEETING_STATE_CANCELLED",
            Self::Started => "MEETING_STATE_STARTED",
            Self::Ended => "MEETING_STATE_ENDED",
            Self::Null => "MEETING_STATE_NULL",
            Self::Recycled => "MEETING_STATE_RECYCLED",
            Self::Unknown(other) => other,
        }
    }

    /// The state the service's name stands for; an unknown name is kept as it is.
    pub fn from_service(name: &str) -> Self {
        match name {
            "MEETING_STATE_INVALID" => Self::Invalid,
            "MEETING_STATE_INIT" => Self::Init,
            "MEETING_STATE_CANCELLED" => Self::Cancelled,
            "MEETING_STATE_STARTED" => Self::Started,
            "MEETING_STATE_ENDED" => Self::Ended,
            "MEETING_STATE_NULL" => Self::Null,
            "MEETING_STATE_RECYCLED" => Self::Recycled,
            other => Self::Unknown(other.to_string()),
        }
    }
}

impl FromStr for MeetingStatus {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_service(name))
    }
}

impl fmt::Display for MeetingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for MeetingStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for MeetingStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::from_service(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ended_and_recycled_are_over() {
        let over: Vec<_> = [
            "MEETING_STATE_INVALID",
            "MEETING_STATE_INIT",
            "MEETING_STATE_CANCELLED",
            "MEETING_STATE_STARTED",
            "MEETING_STATE_ENDED",
            "MEETING_STATE_NULL",
            "MEETING_STATE_RECYCLED",
            "MEETING_STATE_SOMETHING_NEW",
        ]
        .into_iter()
        .filter(|name| MeetingStatus::from_service(name).is_over())
        .collect();
        assert_eq!(over, ["MEETING_STATE_ENDED", "MEETING_STATE_RECYCLED"]);
    }

    #[test]
    fn names_round_trip_and_unknown_ones_are_kept() {
        for name in [
            "MEETING_STATE_INVALID",
            "MEETING_STATE_INIT",
            "MEETING_STATE_CANCELLED",
            "MEETING_STATE_STARTED",
            "MEETING_STATE_ENDED",
            "MEETING_STATE_NULL",
            "MEETING_STATE_RECYCLED",
            "MEETING_STATE_SOMETHING_NEW",
        ] {
            let status = MeetingStatus::from_service(name);
            assert_eq!(status.as_str(), name);
            let json = serde_json::to_string(&status).unwrap_or_default();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<MeetingStatus>(&json).ok(),
                Some(status)
            );
        }
        assert_eq!(
            MeetingStatus::from_service("MEETING_STATE_SOMETHING_NEW"),
            MeetingStatus::Unknown("MEETING_STATE_SOMETHING_NEW".to_string())
        );
    }
}
