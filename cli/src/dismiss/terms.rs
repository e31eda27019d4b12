//! The client's errors in the CLI's own terms: flags and environment variables, not the
//! library's methods.

use tencent_meeting::{Error, Refusal, ValidationError};

use crate::credentials;

/// An error as a user at a shell should read it.
pub fn error_text(error: &Error) -> String {
    match error {
        Error::Validation(v) => validation_text(v),
        Error::Refused(r) => refusal_text(r),
        Error::OutcomeUnknown(u) => format!(
            "outcome unknown after {} attempt(s): a request may have reached the service, and no answer showed whether the meeting ended (last: {})",
            u.attempts(),
            error_text(u.last())
        ),
        other => other.to_string(),
    }
}

/// What the flag or variable behind a client field is called.
pub fn flag_of(field: &str) -> &str {
    match field {
        "meeting_id" => "meeting ID",
        "userid" => "--userid",
        "operator_id" => "--operator-id",
        "operator_id_type" => "--operator-id-type",
        "operator" => "operator (--userid or --operator-id)",
        "instanceid" => "--instance",
        "reason_code" => "--reason-code",
        "reason_detail" => "--reason-detail",
        "retrieve_code" => "--retrieve-code",
        "force_dismiss_meeting" => "--no-force",
        "timeout" => "--timeout",
        "rate_limit" => "--rate-limit-window",
        "base_url" => "--base-url (or TENCENT_MEETING_BASE_URL)",
        "lookup" => "--lookup",
        "app_id" => credentials::APP_ID,
        "secret_id" => credentials::SECRET_ID,
        "secret_key" => credentials::SECRET_KEY,
        "sdk_id" => credentials::SDK_ID,
        "access_token" => credentials::ACCESS_TOKEN,
        "open_id" => credentials::OPEN_ID,
        other => other,
    }
}

fn validation_text(v: &ValidationError) -> String {
    let rule = v.rule();
    // Rules that tell a library user which method to call say it in flags here.
    let rule = if rule.starts_with("is required") {
        match v.field() {
            "operator" => "is required: --userid ID, or --operator-id ID with --operator-id-type (with OAuth2.0 credentials the open id is the default)".to_string(),
            "instanceid" => "is required: --instance pc (or another device type)".to_string(),
            "reason_code" => "is required: --reason-code N, a code of your choosing".to_string(),
            _ => "is required".to_string(),
        }
    } else if rule.starts_with("with OAuth2.0 credentials") {
        format!(
            "with OAuth2.0 credentials the operator must be the open id in {}: leave out --userid/--operator-id, or give that open id",
            credentials::OPEN_ID
        )
    } else if v.field() == "lookup" {
        "a dry run sends nothing, so it cannot look the meeting up: give --kind instead of --lookup"
            .to_string()
    } else {
        rule.to_string()
    };
    format!("invalid {}: {rule}", flag_of(v.field()))
}

fn refusal_text(refusal: &Refusal) -> String {
    match refusal {
        Refusal::SubMeetingId {
            given, master_id, ..
        } => match master_id {
            Some(master) => format!(
                "{given} is a sub-meeting of a recurring meeting: dismiss it by its master meeting ID, {master}"
            ),
            None => format!(
                "{given} is a sub-meeting of a recurring meeting: dismiss it by its master meeting ID (the look-up did not name it)"
            ),
        },
        Refusal::SubMeetingsRemain { remaining, .. } => {
            let remaining = match remaining {
                Some(n) => format!("{n} sub-meeting(s)"),
                None => "sub-meetings (how many, the service did not say)".to_string(),
            };
            format!(
                "--retrieve-code would reclaim the code of a recurring meeting with {remaining} still to come, and they could not run: leave out --retrieve-code, or add --force-retrieve-code if that is what you want"
            )
        }
        Refusal::NotInProgress {
            meeting_id, status, ..
        } => format!(
            "meeting {meeting_id} is not in progress (the look-up says {}); only a meeting in progress can be dismissed",
            status.as_ref().map_or("no status", |s| s.as_str())
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library's method names never reach a user of the CLI.
    fn no_rust(text: &str) {
        for rust in [
            "()",
            "::",
            ".operator",
            ".kind",
            ".force_retrieve_code",
            ".instance",
        ] {
            assert!(!text.contains(rust), "{rust:?} in {text:?}");
        }
    }

    #[test]
    fn refusals_name_flags() {
        let text = error_text(&Refusal::sub_meetings_remain(None).into());
        assert!(text.contains("--force-retrieve-code"), "{text}");
        no_rust(&text);
        let text = error_text(&Refusal::sub_meeting_id("2", Some("1".to_string())).into());
        assert!(text.ends_with("master meeting ID, 1"), "{text}");
        no_rust(&text);
    }

    #[test]
    fn validation_errors_name_flags() {
        for (field, rule, flag) in [
            (
                "operator",
                "is required: .operator(Operator::user_id(..)) or another Operator",
                "--userid",
            ),
            (
                "instanceid",
                "is required: .instance(Instance::Pc) or another device type",
                "--instance",
            ),
            (
                "reason_code",
                "is required: .reason_code(n), a code of your choosing",
                "--reason-code",
            ),
            (
                "userid",
                "with OAuth2.0 credentials the operator must be the credentials' open id (as Operator::open_id or Operator::user_id)",
                "TENCENT_MEETING_OPEN_ID",
            ),
            (
                "lookup",
                "a dry run sends nothing, so it cannot look the meeting up; give .kind() instead",
                "--kind",
            ),
            (
                "reason_detail",
                "must be at most 1024 characters",
                "--reason-detail",
            ),
            (
                "secret_id",
                "must be visible ASCII",
                "TENCENT_MEETING_SECRET_ID",
            ),
        ] {
            let text = error_text(&ValidationError::new(field, rule).into());
            assert!(text.contains(flag), "{field}: {text}");
            no_rust(&text);
        }
    }
}
