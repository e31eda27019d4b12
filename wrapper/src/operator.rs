//! Who performs the call: the identity sent in the body (dismiss) or query (look-up).

/// The operator of a call. [`Operator::user_id`] is sent in the page's original `userid` form;
/// the others in the current `operator_id` + `operator_id_type` form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operator {
    /// An enterprise user ID, sent as `userid` (OAuth2.0 callers pass their open id here).
    UserId(String),
    /// An enterprise user ID in the current form (`operator_id_type` 1).
    OperatorUserId(String),
    /// An OAuth2.0 open id (`operator_id_type` 2).
    OpenId(String),
    /// A ms_open_id (`operator_id_type` 4).
    MsOpenId(String),
}

impl Operator {
    /// The page's original form: `"userid": id`.
    pub fn user_id(id: impl Into<String>) -> Self {
        Self::UserId(id.into())
    }

    /// The current form with an enterprise user ID: `"operator_id": id, "operator_id_type": 1`.
    pub fn operator_user_id(id: impl Into<String>) -> Self {
        Self::OperatorUserId(id.into())
    }

    /// An OAuth2.0 open id: `"operator_id": id, "operator_id_type": 2`.
    pub fn open_id(id: impl Into<String>) -> Self {
        Self::OpenId(id.into())
    }

    /// A ms_open_id: `"operator_id": id, "operator_id_type": 4`.
    pub fn ms_open_id(id: impl Into<String>) -> Self {
        Self::MsOpenId(id.into())
    }

    /// The ID, whatever its form.
    pub fn id(&self) -> &str {
        match self {
            Self::UserId(id) | Self::OperatorUserId(id) | Self::OpenId(id) | Self::MsOpenId(id) => {
                id
            }
        }
    }

    /// `operator_id_type` for the current form; `None` for the `userid` form.
    pub fn operator_id_type(&self) -> Option<i32> {
        match self {
            Self::UserId(_) => None,
            Self::OperatorUserId(_) => Some(1),
            Self::OpenId(_) => Some(2),
            Self::MsOpenId(_) => Some(4),
        }
    }

    /// The field name the ID goes in, for error messages.
    pub(crate) fn field(&self) -> &'static str {
        match self {
            Self::UserId(_) => "userid",
            _ => "operator_id",
        }
    }
}
