//! Each outcome in words and as JSON: pure functions, shared by stdout and the journal.

use serde_json::{Value, json};
use tencent_meeting::webhook::NotSeen;
use tencent_meeting::{Dismissed, Error, Evidence, MeetingKind, PreparedRequest};

use crate::args::{DismissArgs, OperatorIdType};
use crate::credentials;
use crate::dismiss::outcome::{Done, Ended, Failure, Outcome, Skip, Unknown};
use crate::dismiss::source::Entry;
use crate::dismiss::terms;
use crate::outcome::Exit;

/// How to settle an unknown outcome, in commands a user can run.
#[derive(Debug, Clone)]
pub struct Resolve {
    /// The journal, when the run keeps one: running again settles it.
    pub journal: Option<String>,
    /// The flags that name the operator and device, to repeat in a `--lookup` command.
    pub identity: String,
}

impl Resolve {
    /// From the run's flags.
    pub fn of(args: &DismissArgs) -> Self {
        let mut identity = String::new();
        if let Some(userid) = &args.userid {
            identity.push_str(&format!(" --userid {}", shell_word(userid)));
        }
        if let (Some(id), Some(kind)) = (&args.operator_id, args.operator_id_type) {
            let kind = match kind {
                OperatorIdType::Userid => "userid",
                OperatorIdType::OpenId => "open-id",
                OperatorIdType::MsOpenId => "ms-open-id",
            };
            identity.push_str(&format!(
                " --operator-id {} --operator-id-type {kind}",
                shell_word(id)
            ));
        }
        identity.push_str(&format!(
            " --instance {} --reason-code {}",
            args.instance, args.reason_code
        ));
        Self {
            journal: args.journal.as_ref().map(|p| p.display().to_string()),
            identity,
        }
    }

    /// What to do about `meeting_id`'s unknown outcome.
    pub fn hint(&self, meeting_id: &str) -> String {
        match &self.journal {
            Some(journal) => format!(
                "run the same command again with --journal {}: it looks the meeting up, and dismisses it only if it still runs",
                shell_word(journal)
            ),
            None => format!(
                "tencent-meeting dismiss {}{} --lookup (it dismisses the meeting if it still runs, and says so if it has ended)",
                shell_word(meeting_id),
                self.identity
            ),
        }
    }
}

/// A value as one shell word: as it is when it is plain, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// One outcome in words, without the `line N: ` prefix.
pub fn text(entry: &Entry, outcome: &Outcome, resolve: &Resolve) -> String {
    let id = &entry.meeting_id;
    match outcome {
        Outcome::Done(Done::Dismissed(d)) => dismissed_text(d),
        Outcome::NotConfirmed(d, not_seen) => format!(
            "{}; but its own meeting.end event was not seen within {}s (--wait){}",
            dismissed_text(d),
            not_seen.waited().as_secs_f64(),
            not_seen_text(not_seen)
        ),
        Outcome::Done(Done::LookedUp(status)) => format!(
            "meeting {id} has ended (a look-up says {status}); an earlier run's dismiss of it was in doubt, so perhaps that dismiss ended it"
        ),
        Outcome::AlreadyEnded(Ended::Answered(e)) => format!(
            "meeting {id} had already ended ({}): this call did not end it",
            terms::error_text(e)
        ),
        Outcome::AlreadyEnded(Ended::LookedUp(status)) => format!(
            "meeting {id} had already ended (the look-up says {status}): the dismiss was not sent"
        ),
        Outcome::Failed(Failure::Call(e)) => {
            let note = match e.as_ref() {
                Error::Validation(_) => " (nothing was sent)",
                Error::Refused(_) => " (the dismiss was not sent)",
                _ => "",
            };
            format!("meeting {id}: {}{note}", terms::error_text(e))
        }
        Outcome::Failed(Failure::Journal(e)) => {
            format!("meeting {id}: not sent: the journal could not record it ({e})")
        }
        Outcome::Unknown(why) => {
            let why = match why {
                Unknown::Call(e) => terms::error_text(e),
                Unknown::LookUp(e) => format!(
                    "an earlier dismiss's outcome was unknown, and the look-up to settle it failed: {}",
                    terms::error_text(e)
                ),
                Unknown::NotConfirmed(e) => format!(
                    "an earlier dismiss's outcome was unknown; the service now says the meeting ended ({}), but no look-up confirmed it",
                    terms::error_text(e)
                ),
                Unknown::Aborted => {
                    "stopped by a second Ctrl-C while the call was in flight: the meeting may or may not have ended".to_string()
                }
            };
            format!("meeting {id}: {why}. To find out: {}", resolve.hint(id))
        }
        Outcome::Skipped(Skip::Duplicate(first)) => match first {
            Some(line) => format!("meeting {id} repeats line {line}: skipped"),
            None => format!("meeting {id} repeats an earlier ID: skipped"),
        },
        Outcome::Skipped(Skip::Journal(prior)) => {
            format!("meeting {id} is {} in the journal: skipped", prior.as_str())
        }
        Outcome::Prepared(p) => prepared_text(p),
    }
}

/// One outcome as a JSON object: the record `--output json` prints and the journal keeps.
pub fn json(entry: &Entry, outcome: &Outcome, resolve: &Resolve) -> Value {
    let mut record = match outcome {
        Outcome::Done(Done::Dismissed(d)) => dismissed_json(d),
        Outcome::NotConfirmed(d, not_seen) => {
            let mut record = dismissed_json(d);
            record["event_not_seen_within_s"] = json!(not_seen.waited().as_secs_f64());
            let ignored = not_seen.ignored();
            record["events_ignored"] = json!({
                "redelivered": ignored.redelivered(),
                "end_type": ignored.end_type(),
                "before_send": ignored.before_send(),
                "other_sub_meeting": ignored.other_sub_meeting(),
            });
            let refused = not_seen.refused();
            record["deliveries_refused"] = json!({
                "signature": refused.signature(),
                "undecryptable": refused.undecryptable(),
                "other": refused.other(),
            });
            record
        }
        Outcome::Done(Done::LookedUp(status)) => json!({
            "confirmed_by": "look-up",
            "looked_up_status": status.as_str(),
            "earlier_outcome": "unknown",
        }),
        Outcome::AlreadyEnded(Ended::Answered(e)) => {
            // The service's answer, not a failure of this run: no exit code of its own.
            let mut answer = error_json(e);
            if let Value::Object(fields) = &mut answer {
                fields.remove("exit_code");
                fields.remove("retryable");
            }
            json!({"confirmed_by": "answer", "answer": answer})
        }
        Outcome::AlreadyEnded(Ended::LookedUp(status)) => json!({
            "confirmed_by": "look-up",
            "looked_up_status": status,
        }),
        Outcome::Failed(Failure::Call(e)) => json!({"error": error_json(e)}),
        Outcome::Failed(Failure::Journal(e)) => json!({"error": {
            "kind": "journal",
            "message": format!("not sent: the journal could not record it ({e})"),
            "exit_code": Exit::Incomplete as u8,
            "maybe_applied": false,
        }}),
        Outcome::Unknown(why) => {
            let error = match why {
                Unknown::Call(e) | Unknown::LookUp(e) | Unknown::NotConfirmed(e) => error_json(e),
                Unknown::Aborted => json!({
                    "kind": "aborted",
                    "message": "stopped by a second Ctrl-C while the call was in flight",
                    "exit_code": Exit::Unknown as u8,
                    "maybe_applied": true,
                }),
            };
            let step = match why {
                Unknown::Call(_) | Unknown::Aborted => "dismiss",
                Unknown::LookUp(_) => "look-up after an earlier unknown outcome",
                Unknown::NotConfirmed(_) => "already ended after an earlier unknown outcome",
            };
            json!({
                "error": error,
                "unknown_after": step,
                "to_find_out": resolve.hint(&entry.meeting_id),
            })
        }
        Outcome::Skipped(Skip::Duplicate(first)) => json!({
            "reason": "duplicate",
            "first_line": first,
        }),
        Outcome::Skipped(Skip::Journal(prior)) => json!({
            "reason": "journal",
            "journal_status": prior.as_str(),
        }),
        Outcome::Prepared(p) => prepared_json(p),
    };
    if let Value::Object(fields) = &mut record {
        fields.insert("meeting_id".into(), json!(entry.meeting_id));
        fields.insert("line".into(), json!(entry.line));
        fields.insert("status".into(), json!(outcome.status()));
        fields.insert(
            "ok".into(),
            json!(!matches!(outcome, Outcome::Failed(_) | Outcome::Unknown(_))),
        );
    }
    record
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

/// A dismissed meeting, in plain words: what was sent, and what shows it ended.
pub fn dismissed_text(d: &Dismissed) -> String {
    let mut line = format!("dismissed meeting {}", d.meeting_id());
    if let Some(kind) = kind_name(d.kind()) {
        line.push_str(&format!(" ({kind})"));
    }
    line.push_str(match (d.retrieve_code(), d.kind()) {
        (true, _) => "; meeting code reclaimed",
        // Without a kind nobody knows which it was; say what was sent.
        (false, None) => {
            "; sent retrieve_code 0 (the code is kept, unless it is a quick meeting: the service reclaims those anyway)"
        }
        (false, Some(_)) => "; meeting code kept",
    });
    if d.retrieve_code_overridden() {
        line.push_str(
            " (retrieve_code raised to 1: the service always reclaims a quick meeting's code)",
        );
    }
    line.push_str(&format!("; {}", evidence_text(d.evidence())));
    if let Some(event) = d.event() {
        line.push_str("; confirmed by its meeting.end event");
        if let Some(t) = event.trace_id() {
            line.push_str(&format!(" (event {t})"));
        }
    }
    line.push_str(&format!("; {} attempt(s)", d.attempts()));
    if let Some(t) = d.trace_id() {
        line.push_str(&format!("; trace id {t}"));
    }
    line
}

/// Why a dismiss's own event was not seen, in words that lead to the cause: deliveries refused
/// (the receiver's token or key), ends that were not this dismiss's, or nothing at all.
fn not_seen_text(not_seen: &NotSeen) -> String {
    let mut text = String::new();
    let refused = not_seen.refused();
    if refused.total() > 0 {
        let mut why = Vec::new();
        if refused.signature() > 0 {
            why.push(format!(
                "{} with a signature that did not match (check {} against the event subscription's Token)",
                refused.signature(),
                crate::events::TOKEN_VAR
            ));
        }
        if refused.undecryptable() > 0 {
            why.push(format!(
                "{} that did not decrypt (check {} against the subscription's EncodingAESKey)",
                refused.undecryptable(),
                crate::events::AES_KEY_VAR
            ));
        }
        if refused.other() > 0 {
            why.push(format!(
                "{} malformed or unsigned (-v shows each)",
                refused.other()
            ));
        }
        text.push_str(&format!(
            ": {} delivery(ies) to --listen were refused while it waited: {}",
            refused.total(),
            why.join("; ")
        ));
    }
    let ignored = not_seen.ignored();
    if ignored.total() > 0 {
        text.push_str(&format!(
            "{} {} meeting.end event(s) of this meeting were not this dismiss's ({ignored}; -v shows each)",
            if text.is_empty() { ":" } else { ";" },
            ignored.total()
        ));
    }
    if text.is_empty() {
        text.push_str(": no event reached --listen; check the event subscription's URL reaches it");
    }
    text
}

/// A dismissed meeting's fields, as JSON.
fn dismissed_json(d: &Dismissed) -> Value {
    let (evidence, status, looked_up) = match d.evidence() {
        Evidence::Answered { status, .. } => ("answer", Some(*status), None),
        Evidence::LookedUp {
            status, looked_up, ..
        } => ("look-up", Some(*status), Some(looked_up.as_str())),
        _ => ("other", None, None),
    };
    // The event, when one confirmed it: the meeting was seen to end, not only the dismiss
    // accepted. (`evidence` keeps what the dismiss call itself showed.)
    let confirmed_by = if d.event().is_some() {
        "event"
    } else {
        evidence
    };
    json!({
        "kind": kind_name(d.kind()),
        "retrieve_code": d.retrieve_code(),
        "retrieve_code_overridden": d.retrieve_code_overridden(),
        "confirmed_by": confirmed_by,
        "evidence": evidence,
        "looked_up_status": looked_up,
        "attempts": d.attempts(),
        "http_status": status,
        "trace_id": d.trace_id(),
        "event": d.event().map(|e| json!({
            "trace_id": e.trace_id(),
            "meeting_end_type": e.end_type_code(),
            "operate_time_ms": e.operate_time_ms(),
            "sub_meeting_id": e.sub_meeting_id(),
        })),
    })
}

/// An error's fields, as JSON; the message in the CLI's terms.
fn error_json(e: &Error) -> Value {
    let mut error = json!({
        "message": terms::error_text(e),
        "exit_code": Exit::of(e) as u8,
        "retryable": e.is_retryable(),
    });
    let kind = match e {
        Error::Validation(v) => {
            error["field"] = json!(v.field());
            error["flag"] = json!(terms::flag_of(v.field()));
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
        Error::OutcomeUnknown(u) => {
            error["last"] = error_json(u.last());
            "unknown"
        }
        _ => "other",
    };
    error["attempts"] = json!(e.attempts());
    error["maybe_applied"] = json!(e.maybe_applied());
    error["kind"] = json!(kind);
    error
}

/// A request that was not sent: the string to sign and a curl command line. The access token
/// is written as a shell variable reference.
fn prepared_text(prepared: &PreparedRequest) -> String {
    let token_ref = |_: &str| format!("${}", credentials::ACCESS_TOKEN);
    let mut out = String::from("# dry run: nothing was sent\n");
    if let Some(sts) = &prepared.string_to_sign {
        out.push_str(&format!(
            "# string to sign (between the lines):\n# ---\n{sts}\n# ---\n"
        ));
    }
    out.push_str(&prepared.to_curl(token_ref));
    out
}

fn prepared_json(prepared: &PreparedRequest) -> Value {
    let token_ref = |_: &str| format!("${}", credentials::ACCESS_TOKEN);
    let headers: serde_json::Map<String, Value> = prepared
        .headers
        .iter()
        .map(|h| {
            let value = h
                .value
                .clone()
                .unwrap_or_else(|| format!("${}", credentials::ACCESS_TOKEN));
            (h.name.clone(), Value::String(value))
        })
        .collect();
    json!({
        "dry_run": true,
        "method": prepared.method,
        "url": prepared.url,
        "headers": headers,
        "body": String::from_utf8_lossy(&prepared.body),
        "string_to_sign": prepared.string_to_sign,
        "signature": prepared.signature,
        "curl": prepared.to_curl(token_ref),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("alice"), "alice");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn without_a_kind_the_text_says_what_was_sent() {
        let text = dismissed_text(&Dismissed::answered("1"));
        assert!(text.contains("sent retrieve_code 0"), "{text}");
        assert!(!text.contains("meeting code kept"), "{text}");
    }
}
