//! Credentials from the environment, so they never sit in shell history or `ps` output.

use std::env;

use tencent_meeting::{ConfigError, Credentials};

/// The enterprise ID (enterprise-secret credentials).
pub const APP_ID: &str = "TENCENT_MEETING_APP_ID";
/// Optional: the SdkId, only when one was assigned.
pub const SDK_ID: &str = "TENCENT_MEETING_SDK_ID";
/// The SecretId.
pub const SECRET_ID: &str = "TENCENT_MEETING_SECRET_ID";
/// The SecretKey.
pub const SECRET_KEY: &str = "TENCENT_MEETING_SECRET_KEY";
/// The OAuth2.0 access token.
pub const ACCESS_TOKEN: &str = "TENCENT_MEETING_ACCESS_TOKEN";
/// The OAuth2.0 open id.
pub const OPEN_ID: &str = "TENCENT_MEETING_OPEN_ID";

const ENTERPRISE: [&str; 3] = [APP_ID, SECRET_ID, SECRET_KEY];
const OAUTH2: [&str; 2] = [ACCESS_TOKEN, OPEN_ID];

/// Enterprise-secret credentials when their variables are set, OAuth2.0 when the token's are.
/// Both sets at once is refused: which identity a dismiss acts as must not be a guess. A
/// missing variable is named.
pub fn from_env() -> Result<Credentials, String> {
    from_lookup(|name| env::var(name).ok().filter(|v| !v.is_empty()))
}

fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Credentials, String> {
    let set = |names: &[&'static str]| -> Vec<&'static str> {
        names.iter().copied().filter(|n| var(n).is_some()).collect()
    };
    let (enterprise, oauth2) = (set(&ENTERPRISE), set(&OAUTH2));
    match (enterprise.is_empty(), oauth2.is_empty()) {
        (false, false) => Err(format!(
            "both enterprise ({}) and OAuth2.0 ({}) credentials are set; unset one set: the tool will not guess which identity to act as",
            enterprise.join(", "),
            oauth2.join(", ")
        )),
        (true, true) => Err(format!(
            "no credentials: set {APP_ID}, {SECRET_ID} and {SECRET_KEY} (and {SDK_ID} if one was assigned), or {ACCESS_TOKEN} and {OPEN_ID}"
        )),
        (false, true) => {
            let missing = missing(&ENTERPRISE, &enterprise);
            let [Some(app_id), Some(secret_id), Some(secret_key)] = ENTERPRISE.map(&var) else {
                return Err(format!(
                    "{} not set (enterprise credentials need {APP_ID}, {SECRET_ID} and {SECRET_KEY})",
                    is_or_are(&missing)
                ));
            };
            let credentials =
                Credentials::enterprise(app_id, secret_id, secret_key).map_err(in_env_terms)?;
            match var(SDK_ID) {
                Some(sdk_id) => credentials.with_sdk_id(sdk_id).map_err(in_env_terms),
                None => Ok(credentials),
            }
        }
        (true, false) => {
            let missing = missing(&OAUTH2, &oauth2);
            let [Some(token), Some(open_id)] = OAUTH2.map(&var) else {
                return Err(format!(
                    "{} not set (OAuth2.0 credentials need {ACCESS_TOKEN} and {OPEN_ID})",
                    is_or_are(&missing)
                ));
            };
            Credentials::oauth2(token, open_id).map_err(in_env_terms)
        }
    }
}

fn missing(all: &[&'static str], set: &[&'static str]) -> Vec<&'static str> {
    all.iter().copied().filter(|n| !set.contains(n)).collect()
}

fn is_or_are(names: &[&str]) -> String {
    match names {
        [one] => format!("{one} is"),
        many => format!("{} are", many.join(" and ")),
    }
}

/// A refused credential value, named by its variable.
fn in_env_terms(e: ConfigError) -> String {
    match &e {
        ConfigError::Invalid(v) => {
            let var = match v.field() {
                "app_id" => APP_ID,
                "secret_id" => SECRET_ID,
                "secret_key" => SECRET_KEY,
                "sdk_id" => SDK_ID,
                "access_token" => ACCESS_TOKEN,
                "open_id" => OPEN_ID,
                other => other,
            };
            format!("{var}: {}", v.rule())
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Credentials, String> {
        from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn names_what_is_missing_and_refuses_both_sets() {
        let err = from(&[(APP_ID, "1"), (SECRET_ID, "id")])
            .err()
            .unwrap_or_default();
        assert!(
            err.starts_with("TENCENT_MEETING_SECRET_KEY is not set"),
            "{err}"
        );
        let err = from(&[(SECRET_KEY, "k")]).err().unwrap_or_default();
        assert!(
            err.starts_with("TENCENT_MEETING_APP_ID and TENCENT_MEETING_SECRET_ID are not set"),
            "{err}"
        );
        let err = from(&[(OPEN_ID, "o")]).err().unwrap_or_default();
        assert!(
            err.starts_with("TENCENT_MEETING_ACCESS_TOKEN is not set"),
            "{err}"
        );
        let err = from(&[(SECRET_KEY, "k"), (ACCESS_TOKEN, "t")])
            .err()
            .unwrap_or_default();
        assert!(
            err.contains("both enterprise (TENCENT_MEETING_SECRET_KEY) and OAuth2.0 (TENCENT_MEETING_ACCESS_TOKEN)"),
            "{err}"
        );
        let err = from(&[(APP_ID, "1"), (SECRET_ID, "an id"), (SECRET_KEY, "k")])
            .err()
            .unwrap_or_default();
        assert!(err.starts_with("TENCENT_MEETING_SECRET_ID: "), "{err}");
        assert!(from(&[(ACCESS_TOKEN, "t"), (OPEN_ID, "o")]).is_ok());
        assert!(
            from(&[
                (APP_ID, "1"),
                (SECRET_ID, "i"),
                (SECRET_KEY, "k"),
                (SDK_ID, "s")
            ])
            .is_ok()
        );
    }
}
