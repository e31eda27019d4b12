//! What a dismiss call is configured with, and the rules that turn it into what is sent: the
//! validation of every field and the dismiss page's quick and recurring rules. No I/O: the
//! client and the test doubles apply the very same rules.

use tencent_meeting_openapi::types;

use crate::before_send::BeforeSend;
use crate::call::{Call, Identity, Overrides};
#[cfg(any(test, feature = "test-util"))]
use crate::dismissed::Dismissed;
use crate::error::{Error, Refusal, ValidationError};
use crate::instance::Instance;
use crate::kind::MeetingKind;
use crate::operator::Operator;

/// The longest `reason_detail` accepted, in characters. The service documents no bound; the spec
/// sets this one.
pub const REASON_DETAIL_MAX_CHARS: usize = 1024;

/// A dismiss as configured on a [`super::DismissMeeting`], not yet validated. A
/// [`crate::Dismisser`] receives it. Not nameable outside this crate (public in a private module,
/// as the sealed trait's method that takes it must be). No `Default`: its one constructor,
/// [`Self::new`], carries the dismiss page's defaults (`force_dismiss_meeting` 1).
#[derive(Debug, Clone)]
pub struct DismissRequest {
    pub(crate) meeting_id: String,
    pub(crate) identity: Identity,
    pub(crate) reason_code: Option<i32>,
    pub(crate) reason_detail: Option<String>,
    pub(crate) force: bool,
    pub(crate) retrieve_code: bool,
    pub(crate) force_retrieve_code: bool,
    pub(crate) kind: Option<MeetingKind>,
    pub(crate) lookup: bool,
    pub(crate) overrides: Overrides,
    pub(crate) before_send: Option<BeforeSend>,
}

/// A dismiss validated, with the kind's rules applied: exactly what goes out. Test doubles see
// The double exists only with `test-util`: a build without it names it without a link.
#[cfg_attr(
    feature = "test-util",
    doc = "it (see [`crate::testing::FakeDismisser`])."
)]
#[cfg_attr(
    not(feature = "test-util"),
    doc = "it (see `testing::FakeDismisser`, feature `test-util`)."
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDismiss {
    pub(crate) call: Call,
    pub(crate) reason_code: i32,
    pub(crate) reason_detail: Option<String>,
    pub(crate) force: bool,
    pub(crate) retrieve_code: bool,
    pub(crate) retrieve_code_overridden: bool,
    pub(crate) kind: Option<MeetingKind>,
    pub(crate) lookup: bool,
}

/// A request whose every field was checked; the kind's rules are still to apply.
pub(crate) struct Validated {
    pub call: Call,
    reason_code: i32,
    reason_detail: Option<String>,
    force: bool,
    retrieve_code: bool,
    force_retrieve_code: bool,
    pub kind: Option<MeetingKind>,
    pub lookup: bool,
    pub before_send: Option<BeforeSend>,
}

impl DismissRequest {
    /// A dismiss of `meeting_id` with the dismiss page's defaults: `force_dismiss_meeting` 1,
    /// `retrieve_code` 0, nothing else set.
    pub(crate) fn new(meeting_id: String) -> Self {
        Self {
            meeting_id,
            identity: Identity::default(),
            reason_code: None,
            reason_detail: None,
            force: true,
            retrieve_code: false,
            force_retrieve_code: false,
            kind: None,
            lookup: false,
            overrides: Overrides::default(),
            before_send: None,
        }
    }

    /// Checks every field, before anything is sent (a look-up included). `open_id`: the OAuth2.0
    /// credentials' open id, which is then the only operator allowed (and the default).
    pub(crate) fn validate(self, open_id: Option<&str>) -> Result<Validated, Error> {
        let call = Call::new(open_id, self.meeting_id, self.identity)?;
        let reason_code = self.reason_code.ok_or_else(|| {
            ValidationError::new(
                "reason_code",
                "is required: .reason_code(n), a code of your choosing",
            )
        })?;
        if let Some(detail) = &self.reason_detail
            && detail.chars().count() > REASON_DETAIL_MAX_CHARS
        {
            return Err(ValidationError::new(
                "reason_detail",
                format!("must be at most {REASON_DETAIL_MAX_CHARS} characters"),
            )
            .into());
        }
        Ok(Validated {
            call,
            reason_code,
            reason_detail: self.reason_detail,
            force: self.force,
            retrieve_code: self.retrieve_code,
            force_retrieve_code: self.force_retrieve_code,
            kind: self.kind,
            lookup: self.lookup,
            before_send: self.before_send,
        })
    }

    /// Validates and plans for a dismisser that cannot look meetings up (a test double): the
    /// kind given applies; with `.lookup()` none does.
    #[cfg(feature = "test-util")]
    pub(crate) fn plan_without_lookup(
        self,
        open_id: Option<&str>,
    ) -> Result<PlannedDismiss, Error> {
        let validated = self.validate(open_id)?;
        let kind = if validated.lookup {
            None
        } else {
            validated.kind
        };
        Ok(validated.plan(kind)?)
    }
}

impl Validated {
    /// Applies the rules of `kind` (given, or found by the look-up): a quick meeting always
    /// reclaims its code; a recurring meeting with sub-meetings to come, or an unknown number of
    /// them, keeps it unless forced.
    pub fn plan(self, kind: Option<MeetingKind>) -> Result<PlannedDismiss, Refusal> {
        let (retrieve_code, retrieve_code_overridden) = match kind {
            Some(MeetingKind::Quick) => (true, !self.retrieve_code),
            Some(MeetingKind::Recurring {
                remaining_sub_meetings,
                ..
            }) if self.retrieve_code
                && !self.force_retrieve_code
                && remaining_sub_meetings != Some(0) =>
            {
                return Err(Refusal::sub_meetings_remain(remaining_sub_meetings));
            }
            _ => (self.retrieve_code, false),
        };
        Ok(PlannedDismiss {
            call: self.call,
            reason_code: self.reason_code,
            reason_detail: self.reason_detail,
            force: self.force,
            retrieve_code,
            retrieve_code_overridden,
            kind,
            lookup: self.lookup,
        })
    }
}

impl PlannedDismiss {
    /// The meeting ID.
    pub fn meeting_id(&self) -> &str {
        self.call.meeting_id.as_str()
    }

    /// The operator (the credentials' open id when none was given with OAuth2.0 credentials).
    pub fn operator(&self) -> &Operator {
        &self.call.operator
    }

    /// The device type.
    pub fn instance(&self) -> Instance {
        self.call.instance
    }

    /// `reason_code`.
    pub fn reason_code(&self) -> i32 {
        self.reason_code
    }

    /// `reason_detail`, when given.
    pub fn reason_detail(&self) -> Option<&str> {
        self.reason_detail.as_deref()
    }

    /// `force_dismiss_meeting`.
    pub fn force(&self) -> bool {
        self.force
    }

    /// `retrieve_code` as it goes out, after the kind's rules.
    pub fn retrieve_code(&self) -> bool {
        self.retrieve_code
    }

    /// Whether the quick-meeting rule raised `retrieve_code` to 1.
    pub fn retrieve_code_overridden(&self) -> bool {
        self.retrieve_code_overridden
    }

    /// The kind the rules were applied for (given, or found by the look-up).
    pub fn kind(&self) -> Option<MeetingKind> {
        self.kind
    }

    /// Whether the call asked to look the meeting up first.
    pub fn lookup(&self) -> bool {
        self.lookup
    }

    /// What a success answer to this dismiss yields: [`Dismissed`] with this plan's fields and
    /// one attempt answered with HTTP 200. For test doubles: feature `test-util` only (see
    /// [`Dismissed::answered`]).
    #[cfg(any(test, feature = "test-util"))]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn answered(&self) -> Dismissed {
        let dismissed = Dismissed::answered(self.meeting_id())
            .with_retrieve_code(self.retrieve_code, self.retrieve_code_overridden);
        match self.kind {
            Some(kind) => dismissed.with_kind(kind),
            None => dismissed,
        }
    }

    /// The generated body type. Its own checks (the spec's constraints) cannot fail after ours,
    /// but are mapped rather than assumed.
    pub(crate) fn body(&self) -> Result<types::DismissMeetingRequest, Error> {
        let generated = |field: &'static str| {
            move |e: types::error::ConversionError| ValidationError::new(field, e.to_string())
        };
        let call = &self.call;
        let (userid, operator_id, operator_id_type) = match call.operator.operator_id_type() {
            None => (
                Some(
                    types::DismissMeetingRequestUserid::try_from(call.operator.id())
                        .map_err(generated("userid"))?,
                ),
                None,
                None,
            ),
            Some(kind) => (
                None,
                Some(
                    types::DismissMeetingRequestOperatorId::try_from(call.operator.id())
                        .map_err(generated("operator_id"))?,
                ),
                Some(types::OperatorIdType::try_from(kind).map_err(generated("operator_id_type"))?),
            ),
        };
        // Through the generated builder, not a struct literal: a property the spec adds as
        // optional is left unset here and regenerating needs no change to this code. A property
        // added as required is caught by `cargo xtask codegen` (it compares the required
        // properties of the client it replaces) and, should it get this far, ends here as a
        // validation error before anything is sent.
        let body = types::DismissMeetingRequest::builder()
            .userid(userid)
            .operator_id(operator_id)
            .operator_id_type(operator_id_type)
            .instanceid(
                types::InstanceId::try_from(i32::from(call.instance))
                    .map_err(generated("instanceid"))?,
            )
            .reason_code(self.reason_code)
            .reason_detail(
                self.reason_detail
                    .as_deref()
                    .map(types::DismissMeetingRequestReasonDetail::try_from)
                    .transpose()
                    .map_err(generated("reason_detail"))?,
            )
            .force_dismiss_meeting(
                types::DismissMeetingRequestForceDismissMeeting::try_from(i32::from(self.force))
                    .map_err(generated("force_dismiss_meeting"))?,
            )
            .retrieve_code(
                types::DismissMeetingRequestRetrieveCode::try_from(i32::from(self.retrieve_code))
                    .map_err(generated("retrieve_code"))?,
            )
            .try_into()
            .map_err(generated("body"))?;
        Ok(body)
    }
}
