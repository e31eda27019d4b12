//! The credentials the simulator accepts: one enterprise application and any number of OAuth2.0
//! access tokens.

use std::collections::BTreeMap;
use std::fmt;

use tencent_meeting::Credentials;

/// The demo enterprise ID ([`SimCredentials::demo`]).
pub const DEMO_APP_ID: &str = "200000001";
/// A demo SdkId for runs that want one (not part of [`SimCredentials::demo`]; the official
/// Python SDK needs one, see `sim/tests/python_sdk/README.md`).
pub const DEMO_SDK_ID: &str = "200000002";
/// The demo SecretId ([`SimCredentials::demo`]).
pub const DEMO_SECRET_ID: &str = "AKIDsimDEMO0000000000000000000000000";
/// The demo SecretKey ([`SimCredentials::demo`]).
pub const DEMO_SECRET_KEY: &str = "simDEMOsecretKEYdoNotUseInProduction";
/// The demo OAuth2.0 access token ([`SimCredentials::demo`]).
pub const DEMO_ACCESS_TOKEN: &str = "sim-demo-access-token";
/// The open id the demo access token belongs to ([`SimCredentials::demo`]).
pub const DEMO_OPEN_ID: &str = "sim-demo-open-id";

/// What the simulator accepts.
///
/// Enterprise requests must carry exactly this `AppId` and `X-TC-Key` and be signed with
/// `secret_key`. When `sdk_id` is set they must carry exactly that `SdkId`; when it is not, any
/// `SdkId` header is wrong (190303), as with the service.
///
/// These are simulator credentials, printed by [`fmt::Display`] for the CLI to show at start:
/// never configure real ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCredentials {
    /// The enterprise ID (`AppId` header).
    pub app_id: String,
    /// The application ID (`SdkId` header), when one is assigned.
    pub sdk_id: Option<String>,
    /// The SecretId (`X-TC-Key` header).
    pub secret_id: String,
    /// The SecretKey requests are signed with.
    pub secret_key: String,
    /// OAuth2.0 access tokens and the open id each belongs to.
    pub oauth_tokens: BTreeMap<String, String>,
}

impl SimCredentials {
    /// Fixed, clearly fake demo values: app id [`DEMO_APP_ID`], no SdkId, secret id
    /// [`DEMO_SECRET_ID`], secret key [`DEMO_SECRET_KEY`], and the OAuth2.0 token
    /// [`DEMO_ACCESS_TOKEN`] for the open id [`DEMO_OPEN_ID`].
    pub fn demo() -> Self {
        Self {
            app_id: DEMO_APP_ID.to_string(),
            sdk_id: None,
            secret_id: DEMO_SECRET_ID.to_string(),
            secret_key: DEMO_SECRET_KEY.to_string(),
            oauth_tokens: BTreeMap::from([(
                DEMO_ACCESS_TOKEN.to_string(),
                DEMO_OPEN_ID.to_string(),
            )]),
        }
    }

    /// Enterprise credentials without OAuth2.0 tokens.
    pub fn enterprise(
        app_id: impl Into<String>,
        secret_id: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        Self {
            app_id: app_id.into(),
            sdk_id: None,
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            oauth_tokens: BTreeMap::new(),
        }
    }

    /// Requires this `SdkId` on enterprise requests.
    pub fn with_sdk_id(mut self, sdk_id: impl Into<String>) -> Self {
        self.sdk_id = Some(sdk_id.into());
        self
    }

    /// Accepts the OAuth2.0 `access_token` for the user `open_id`.
    pub fn with_oauth_token(
        mut self,
        access_token: impl Into<String>,
        open_id: impl Into<String>,
    ) -> Self {
        self.oauth_tokens
            .insert(access_token.into(), open_id.into());
        self
    }

    /// The enterprise credentials a client signs with to be accepted, with the `SdkId` when one
    /// is required. Fails as [`Credentials::enterprise`] does on values no client can send.
    ///
    /// ```
    /// use tencent_meeting::Credentials;
    /// use tencent_meeting_sim::SimCredentials;
    ///
    /// let creds = SimCredentials::demo().enterprise_credentials()?;
    /// assert!(creds.is_enterprise());
    /// let same = Credentials::try_from(&SimCredentials::demo())?;
    /// assert_eq!(same.secret_id(), creds.secret_id());
    /// # Ok::<(), tencent_meeting::ConfigError>(())
    /// ```
    pub fn enterprise_credentials(&self) -> Result<Credentials, tencent_meeting::ConfigError> {
        let credentials = Credentials::enterprise(&self.app_id, &self.secret_id, &self.secret_key)?;
        match &self.sdk_id {
            Some(sdk_id) => credentials.with_sdk_id(sdk_id),
            None => Ok(credentials),
        }
    }

    /// OAuth2.0 credentials for the first accepted access token (in token order) and the open
    /// id it belongs to; `None` when no token is accepted.
    ///
    /// ```
    /// use tencent_meeting_sim::{DEMO_OPEN_ID, SimCredentials};
    ///
    /// let creds = SimCredentials::demo().oauth2_credentials()?.expect("the demo token");
    /// assert_eq!(creds.open_id(), Some(DEMO_OPEN_ID));
    /// # Ok::<(), tencent_meeting::ConfigError>(())
    /// ```
    pub fn oauth2_credentials(&self) -> Result<Option<Credentials>, tencent_meeting::ConfigError> {
        self.oauth_tokens
            .iter()
            .next()
            .map(|(token, open_id)| Credentials::oauth2(token, open_id))
            .transpose()
    }

    /// The lines [`fmt::Display`] prints, e.g. for a CLI banner.
    pub fn describe(&self) -> String {
        self.to_string()
    }
}

impl TryFrom<&SimCredentials> for Credentials {
    type Error = tencent_meeting::ConfigError;

    /// [`SimCredentials::enterprise_credentials`].
    fn try_from(credentials: &SimCredentials) -> Result<Self, Self::Error> {
        credentials.enterprise_credentials()
    }
}

impl Default for SimCredentials {
    /// [`SimCredentials::demo`].
    fn default() -> Self {
        Self::demo()
    }
}

impl fmt::Display for SimCredentials {
    /// Every value, secrets included: these are simulator credentials, shown so a user can
    /// configure a client against the simulator.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "enterprise (AK/SK) credentials:")?;
        writeln!(f, "  AppId      {}", self.app_id)?;
        match &self.sdk_id {
            Some(sdk_id) => writeln!(f, "  SdkId      {sdk_id}")?,
            None => writeln!(f, "  SdkId      (none: send no SdkId header)")?,
        }
        writeln!(f, "  SecretId   {}", self.secret_id)?;
        write!(f, "  SecretKey  {}", self.secret_key)?;
        if !self.oauth_tokens.is_empty() {
            write!(f, "\nOAuth2.0 access tokens:")?;
            for (token, open_id) in &self.oauth_tokens {
                write!(f, "\n  AccessToken {token}  OpenId {open_id}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_described_in_full() {
        let text = SimCredentials::demo().describe();
        for value in [
            DEMO_APP_ID,
            DEMO_SECRET_ID,
            DEMO_SECRET_KEY,
            DEMO_ACCESS_TOKEN,
            DEMO_OPEN_ID,
        ] {
            assert!(text.contains(value), "{text}");
        }
        assert!(text.contains("none"));
        let with_sdk = SimCredentials::demo().with_sdk_id(DEMO_SDK_ID).describe();
        assert!(with_sdk.contains(DEMO_SDK_ID));
    }
}
