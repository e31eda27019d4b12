//! The operator rules: exactly one identity per request, the OAuth2.0 open id, the device type,
//! and the meeting ID, all checked before anything is sent.

use tencent_meeting_openapi::meeting_id::{MeetingId, MeetingIdError};

use crate::error::ValidationError;
use crate::instance::Instance;
use crate::operator::Operator;

/// The longest operator ID accepted. The service documents none; IDs are short tokens.
const OPERATOR_ID_MAX: usize = 256;

/// The operator and device as the caller set them, checked when the call is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Identity {
    operator: Option<Operator>,
    second_operator: Option<Operator>,
    instance: Option<Result<Instance, ValidationError>>,
}

impl Identity {
    pub fn set_operator(&mut self, operator: Operator) {
        match &self.operator {
            Some(first) if *first != operator => self.second_operator = Some(operator),
            _ => self.operator = Some(operator),
        }
    }

    pub fn set_instance(&mut self, instance: Result<Instance, ValidationError>) {
        self.instance = Some(instance);
    }
}

/// The validated parts every call sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    /// Checked once here; the generated builder takes it as it is.
    pub meeting_id: MeetingId,
    pub operator: Operator,
    pub instance: Instance,
}

impl Call {
    /// Validates the meeting ID, the operator (against the credentials) and the device type. Takes
    /// the caller's values rather than copying them: a call sends what its builder was given.
    pub fn new(
        open_id: Option<&str>,
        meeting_id: String,
        identity: Identity,
    ) -> Result<Self, ValidationError> {
        let meeting_id = check_meeting_id(meeting_id)?;
        if let (Some(a), Some(b)) = (&identity.operator, &identity.second_operator) {
            return Err(ValidationError::new(
                "operator",
                format!(
                    "exactly one identity per request, but two were given ({} {:?} and {} {:?})",
                    a.field(),
                    a.id(),
                    b.field(),
                    b.id()
                ),
            ));
        }
        let operator = match (identity.operator, open_id) {
            (Some(op), _) => op,
            (None, Some(open_id)) => Operator::open_id(open_id),
            (None, None) => {
                return Err(ValidationError::new(
                    "operator",
                    "is required: .operator(Operator::user_id(..)) or another Operator",
                ));
            }
        };
        check_operator_id(&operator)?;
        if let Some(open_id) = open_id {
            let acts_as_open_id =
                matches!(&operator, Operator::UserId(id) | Operator::OpenId(id) if id == open_id);
            if !acts_as_open_id {
                return Err(ValidationError::new(
                    operator.field(),
                    "with OAuth2.0 credentials the operator must be the credentials' open id (as Operator::open_id or Operator::user_id)",
                ));
            }
        }
        let instance = match identity.instance {
            Some(Ok(instance)) => instance,
            Some(Err(e)) => return Err(e),
            None => {
                return Err(ValidationError::new(
                    "instanceid",
                    "is required: .instance(Instance::Pc) or another device type",
                ));
            }
        };
        Ok(Self {
            meeting_id,
            operator,
            instance,
        })
    }
}

/// Takes the meeting ID as the generated client's `MeetingId` (so the builder does not check it
/// again), or says which of the spec's rules it breaks under the `meeting_id` field.
fn check_meeting_id(id: String) -> Result<MeetingId, ValidationError> {
    MeetingId::take(id).map_err(|(rule, id)| match rule {
        MeetingIdError::NotDigits => {
            ValidationError::new("meeting_id", format!("{rule}, got {id:?}"))
        }
        MeetingIdError::Empty | MeetingIdError::TooLong => {
            ValidationError::new("meeting_id", rule.to_string())
        }
    })
}

fn check_operator_id(operator: &Operator) -> Result<(), ValidationError> {
    let field = operator.field();
    let id = operator.id();
    if id.trim().is_empty() {
        return Err(ValidationError::new(
            field,
            "must not be empty or whitespace only",
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    if id.chars().count() > OPERATOR_ID_MAX {
        return Err(ValidationError::new(
            field,
            format!("must be at most {OPERATOR_ID_MAX} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(operator: Option<Operator>, instance: Option<Instance>) -> Identity {
        let mut identity = Identity::default();
        if let Some(operator) = operator {
            identity.set_operator(operator);
        }
        if let Some(instance) = instance {
            identity.set_instance(Ok(instance));
        }
        identity
    }

    fn field_of(result: Result<Call, ValidationError>) -> &'static str {
        match result {
            Ok(call) => panic!("accepted: {call:?}"),
            Err(e) => e.field(),
        }
    }

    #[test]
    fn a_complete_identity_is_accepted_as_given() {
        let call = Call::new(
            None,
            "123".into(),
            identity(Some(Operator::user_id("ops")), Some(Instance::Pc)),
        )
        .expect("valid");
        assert_eq!(call.operator, Operator::user_id("ops"));
        assert_eq!(call.instance, Instance::Pc);
    }

    #[test]
    fn two_different_identities_are_refused_and_the_same_one_twice_is_not() {
        let mut two = identity(Some(Operator::user_id("a")), Some(Instance::Pc));
        two.set_operator(Operator::open_id("b"));
        let err = Call::new(None, "1".into(), two).expect_err("two identities");
        assert_eq!(err.field(), "operator");
        assert!(err.rule().contains("exactly one identity"), "{err}");

        let mut same = identity(Some(Operator::user_id("a")), Some(Instance::Pc));
        same.set_operator(Operator::user_id("a"));
        assert!(Call::new(None, "1".into(), same).is_ok());
    }

    #[test]
    fn each_missing_or_bad_part_names_its_field() {
        assert_eq!(
            field_of(Call::new(
                None,
                "1".into(),
                identity(None, Some(Instance::Pc))
            )),
            "operator"
        );
        assert_eq!(
            field_of(Call::new(
                None,
                "1".into(),
                identity(Some(Operator::user_id("a")), None)
            )),
            "instanceid"
        );
        assert_eq!(
            field_of(Call::new(
                None,
                "12a".into(),
                identity(Some(Operator::user_id("a")), Some(Instance::Pc))
            )),
            "meeting_id"
        );
        for bad in ["  ", "a\nb", &"x".repeat(OPERATOR_ID_MAX + 1)] {
            assert_eq!(
                field_of(Call::new(
                    None,
                    "1".into(),
                    identity(Some(Operator::user_id(bad)), Some(Instance::Pc))
                )),
                "userid",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn oauth2_acts_as_its_open_id_only() {
        // No operator given: the credentials' open id is the operator.
        let call = Call::new(Some("oid"), "1".into(), identity(None, Some(Instance::Pc)))
            .expect("the open id is the default operator");
        assert_eq!(call.operator, Operator::open_id("oid"));
        // The open id given as a user id is the same person.
        assert!(
            Call::new(
                Some("oid"),
                "1".into(),
                identity(Some(Operator::user_id("oid")), Some(Instance::Pc))
            )
            .is_ok()
        );
        let err = Call::new(
            Some("oid"),
            "1".into(),
            identity(Some(Operator::user_id("someone-else")), Some(Instance::Pc)),
        )
        .expect_err("someone else");
        assert!(err.rule().contains("open id"), "{err}");
    }
}
