//! Exit codes, and how outcomes are shown in text and JSON.

use std::process::ExitCode;

use serde_json::{Value, json};
use tencent_meeting::{Dismissed, Error, Evidence, MeetingKind};

/// The process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Ok = 0,
    /// 1: the service answered with an error.
    Api = 1,
    /// 2: bad usage or input; nothing was sent.
    Usage = 2,
    /// 3: the request could not be sent or no answer came, and nothing was applied.
    Transport = 3,
    /// 4: the outcome is unknown: a request may have ended the meeting unanswered.
    Unknown = 4,
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
            Error::Api(_) | Error::Decode(_) => Exit::Api,
            Error::Transport(_) | Error::Timeout(_) => Exit::Transport,
            Error::OutcomeUnknown(_) => Exit::Unknown,
            _ => Exit::Api,
        }
    }
}

fn kind_name(kind: Option<MeetingKind>) -> Option<&'static str> {
    kind.map(|k| match k {
        MeetingKind::OneTime => "one-time",
        MeetingKind::Quick => "quick",
        MeetingKind::Recurring { .. } => "recurring",
        _ => "other",
    })
}

/// What shows the meeting ended, in words.
fn evidence_text(evidence: &Evidence) -> String {
    match evidence {
        Evidence::Answered { status, .. } => format!("the service answered HTTP {status}"),
        Evidence::LookedUp { looked_up, .. } => format!(
            "an attempt went unanswered, a retry found the meeting already ended, and a look-up shows it {looked_up}"
        ),
        _ => "confirmed".to_string(),
    }
}

/// One success, in plain words.
pub fn dismissed_text(d: &Dismissed) -> String {
    let mut line = format!("dismissed meeting {}", d.meeting_id());
    if let Some(kind) = kind_name(d.kind()) {
        line.push_str(&format!(" ({kind})"));
    }
    line.push_str(match (d.retrieve_code(), d.kind()) {
        (true, _) => "; meeting code reclaimed",
        (false, None) => {
            "; sent retrieve_code 0 (the code is kept, unless it is a quick meeting: the service always reclaims those)"
        }
        (false, Some(_)) => "; meeting code kept",
    });
    if d.retrieve_code_overridden() {
        line.push_str(
            " (retrieve_code raised to 1: the service always reclaims a quick meeting's code)",
        );
    }
    line.push_str(&format!("; {}", evidence_text(d.evidence())));
    line.push_str(&format!("; {} attempt(s)", d.attempts()));
    if let Some(t) = d.trace_id() {
        line.push_str(&format!("; trace id {t}"));
    }
    line
}

/// One success, as JSON.
pub fn dismissed_json(d: &Dismissed) -> Value {
    let (confirmed_by, status, looked_up) = match d.evidence() {
        Evidence::Answered { status, .. } => ("answer", Some(*status), None),
        Evidence::LookedUp {
            status, looked_up, ..
        } => ("look-up", Some(*status), Some(looked_up.as_str())),
        _ => ("other", None, None),
    };
    json!({
        "meeting_id": d.meeting_id(),
        "ok": true,
        "status": "done",
        "kind": kind_name(d.kind()),
        "retrieve_code": d.retrieve_code(),
        "retrieve_code_overridden": d.retrieve_code_overridden(),
        "confirmed_by": confirmed_by,
        "looked_up_status": looked_up,
        "attempts": d.attempts(),
        "http_status": status,
        "trace_id": d.trace_id(),
    })
}

/// One failure, in plain words (the error's own message names the API code and trace id).
pub fn error_text(meeting_id: &str, e: &Error) -> String {
    let hint = match e {
        Error::Validation(_) => " (nothing was sent)".to_string(),
        Error::Refused(_) => " (the dismiss was not sent)".to_string(),
        Error::OutcomeUnknown(_) => format!(
            " — to find out, run: tencent-meeting dismiss {meeting_id} --lookup (with the same operator flags)"
        ),
        _ => String::new(),
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
            error["field"] = json!(v.field());
            error["rule"] = json!(v.rule());
            "validation"
        }
        Error::Refused(_) => "refused",
        Error::Api(a) => {
            error["status"] = json!(a.status());
            error["code"] = json!(a.code());
            error["new_code"] = json!(a.new_code());
            error["api_message"] = json!(a.message());
            error["api_kind"] = json!(a.kind().to_string());
            error["trace_id"] = json!(a.trace_id());
            "api"
        }
        Error::Decode(d) => {
            error["status"] = json!(d.status());
            error["snippet"] = json!(d.snippet());
            error["trace_id"] = json!(d.trace_id());
            "decode"
        }
        Error::Transport(_) => "transport",
        Error::Timeout(_) => "timeout",
        Error::OutcomeUnknown(_) => "unknown",
        _ => "other",
    };
    error["attempts"] = json!(e.attempts());
    error["maybe_applied"] = json!(e.maybe_applied());
    error["kind"] = json!(kind);
    json!({
        "meeting_id": meeting_id,
        "ok": false,
        "status": if e.maybe_applied() { "unknown" } else { "failed" },
        "error": error,
    })
}
