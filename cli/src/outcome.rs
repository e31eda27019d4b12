//! Exit codes, and how outcomes are shown in text and JSON.

use std::process::ExitCode;

use serde_json::{Value, json};
use tencent_meeting::{Dismissed, Error, MeetingKind};

/// The process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Ok = 0,
    /// 1: the service answered with an error.
    Api = 1,
    /// 2: bad usage or input; nothing was sent.
    Usage = 2,
    /// 3: the request could not be sent or no answer came.
    Transport = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

impl Exit {
    /// The exit code an error calls for.
    pub fn of(error: &Error) -> Exit {
        match error {
            Error::Validation(_) | Error::Refused(_) => Exit::Usage,
            Error::Api { .. } | Error::Decode { .. } => Exit::Api,
            Error::Transport { .. } | Error::Timeout { .. } => Exit::Transport,
            _ => Exit::Api,
        }
    }
}

fn kind_name(kind: Option<MeetingKind>) -> Option<&'static str> {
    kind.map(|k| match k {
        MeetingKind::OneTime => "one-time",
        MeetingKind::Quick => "quick",
        MeetingKind::Recurring { .. } => "recurring",
    })
}

/// One success, in plain words.
pub fn dismissed_text(d: &Dismissed) -> String {
    let mut line = format!("dismissed meeting {}", d.meeting_id);
    if let Some(kind) = kind_name(d.kind) {
        line.push_str(&format!(" ({kind})"));
    }
    line.push_str(if d.retrieve_code {
        "; meeting code reclaimed"
    } else {
        "; meeting code kept"
    });
    if d.retrieve_code_overridden {
        line.push_str(
            " (retrieve_code raised to 1: the service always reclaims a quick meeting's code)",
        );
    }
    if d.confirmed_on_retry {
        line.push_str("; an attempt's answer was lost and a retry found the meeting already ended");
    }
    line.push_str(&format!("; {} attempt(s)", d.attempts));
    if let Some(t) = &d.trace_id {
        line.push_str(&format!("; trace id {t}"));
    }
    line
}

/// One success, as JSON.
pub fn dismissed_json(d: &Dismissed) -> Value {
    json!({
        "meeting_id": d.meeting_id,
        "ok": true,
        "kind": kind_name(d.kind),
        "retrieve_code": d.retrieve_code,
        "retrieve_code_overridden": d.retrieve_code_overridden,
        "confirmed_on_retry": d.confirmed_on_retry,
        "attempts": d.attempts,
        "status": d.status,
        "trace_id": d.trace_id,
    })
}

/// One failure, in plain words (the error's own message names the API code and trace id).
pub fn error_text(meeting_id: &str, e: &Error) -> String {
    let hint = match e {
        Error::Validation(_) => " (nothing was sent)",
        Error::Refused(_) => " (the dismiss was not sent)",
        _ => "",
    };
    format!("meeting {meeting_id}: {e}{hint}")
}

/// One failure, as JSON.
pub fn error_json(meeting_id: &str, e: &Error) -> Value {
    let mut error = json!({
        "message": e.to_string(),
        "exit_code": Exit::of(e) as u8,
        "retryable": e.is_retryable(),
    });
    let kind = match e {
        Error::Validation(v) => {
            error["field"] = json!(v.field);
            error["rule"] = json!(v.rule);
            "validation"
        }
        Error::Refused(_) => "refused",
        Error::Api {
            status,
            code,
            new_code,
            trace_id,
            kind,
            message,
        } => {
            error["status"] = json!(status);
            error["code"] = json!(code);
            error["new_code"] = json!(new_code);
            error["api_message"] = json!(message);
            error["api_kind"] = json!(kind.to_string());
            error["trace_id"] = json!(trace_id);
            "api"
        }
        Error::Decode {
            status,
            snippet,
            trace_id,
            ..
        } => {
            error["status"] = json!(status);
            error["snippet"] = json!(snippet);
            error["trace_id"] = json!(trace_id);
            "decode"
        }
        Error::Transport { .. } => "transport",
        Error::Timeout { .. } => "timeout",
        _ => "other",
    };
    error["kind"] = json!(kind);
    json!({ "meeting_id": meeting_id, "ok": false, "error": error })
}
