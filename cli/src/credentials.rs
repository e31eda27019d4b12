//! Credentials from the environment, so they never sit in shell history or `ps` output.

use std::env;

use tencent_meeting::Credentials;

/// The environment variables read.
pub const APP_ID: &str = "TENCENT_MEETING_APP_ID";
/// Optional: the SdkId, only when one was assigned.
pub const SDK_ID: &str = "TENCENT_MEETING_SDK_ID";
/// The SecretId.
pub const SECRET_ID: &str = "TENCENT_MEETING_SECRET_ID";
/// The SecretKey.
pub const SECRET_KEY: &str = "TENCENT_MEETING_SECRET_KEY";
/// The OAuth2.0 access token (selects OAuth2.0 mode).
pub const ACCESS_TOKEN: &str = "TENCENT_MEETING_ACCESS_TOKEN";
/// The OAuth2.0 open id.
pub const OPEN_ID: &str = "TENCENT_MEETING_OPEN_ID";

/// OAuth2.0 when `TENCENT_MEETING_ACCESS_TOKEN` is set, else enterprise-secret.
pub fn from_env() -> Result<Credentials, String> {
    let var = |name: &str| env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(token) = var(ACCESS_TOKEN) {
        let open_id = var(OPEN_ID)
            .ok_or_else(|| format!("{ACCESS_TOKEN} is set, so {OPEN_ID} is required too"))?;
        return Credentials::oauth2(token, open_id).map_err(|e| e.to_string());
    }
    match (var(APP_ID), var(SECRET_ID), var(SECRET_KEY)) {
        (Some(app_id), Some(secret_id), Some(secret_key)) => {
            let credentials = Credentials::enterprise(app_id, secret_id, secret_key)
                .map_err(|e| e.to_string())?;
            match var(SDK_ID) {
                Some(sdk_id) => credentials.with_sdk_id(sdk_id).map_err(|e| e.to_string()),
                None => Ok(credentials),
            }
        }
        _ => Err(format!(
            "no credentials: set {APP_ID}, {SECRET_ID} and {SECRET_KEY} (and {SDK_ID} if one was assigned), or {ACCESS_TOKEN} and {OPEN_ID}"
        )),
    }
}
