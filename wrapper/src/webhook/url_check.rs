//! The URL verification GET (验证 URL), also sent later as a heartbeat: `check_str` from the
//! query, percent-decoded **without** turning `+` into a space (a form decoder would, and break
//! the base64).

use percent_encoding::percent_decode_str;

use super::error::WebhookError;

/// The query parameter holding the challenge.
pub const CHECK_STR: &str = "check_str";

/// `check_str` from a raw query string (the part after `?`, as received), percent-decoded
/// without the plus-to-space rule. Refuses a query with no `check_str`, with two of them, or
/// whose value does not decode to UTF-8.
pub fn check_str_from_query(query: &str) -> Result<String, WebhookError> {
    let mut found = None;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if decode(name).as_deref() != Some(CHECK_STR) {
            continue;
        }
        if found.is_some() {
            return Err(WebhookError::Malformed(format!(
                "`{CHECK_STR}` appears more than once in the query"
            )));
        }
        found = Some(decode(value).ok_or_else(|| {
            WebhookError::Malformed(format!("`{CHECK_STR}` does not percent-decode to UTF-8"))
        })?);
    }
    match found {
        Some(value) if !value.is_empty() => Ok(value),
        Some(_) => Err(WebhookError::Malformed(format!("`{CHECK_STR}` is empty"))),
        None => Err(WebhookError::MissingParameter(CHECK_STR)),
    }
}

fn decode(text: &str) -> Option<String> {
    percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// The query the platform sends for `check_str` (`check_str=` and the value percent-encoded;
/// the platform's side: feature `service-side`).
#[cfg(any(test, feature = "service-side"))]
#[cfg_attr(docsrs, doc(cfg(feature = "service-side")))]
pub fn query_for(check_str: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

    /// Everything but the unreserved characters is escaped, `+`, `/` and `=` included.
    const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');

    format!(
        "{CHECK_STR}={}",
        utf8_percent_encode(check_str, QUERY_VALUE)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes_and_keeps_plus() {
        assert_eq!(
            check_str_from_query("check_str=zDfLuEaKhr%2BRXkTOT7gtV4MWk5JSqIuTjF28%2FqanE3c%3D"),
            Ok("zDfLuEaKhr+RXkTOT7gtV4MWk5JSqIuTjF28/qanE3c=".to_string())
        );
        // A `+` left unescaped is a `+`, not a space.
        assert_eq!(
            check_str_from_query("a=1&check_str=ab+c/d=&b=2"),
            Ok("ab+c/d=".to_string())
        );
    }

    #[test]
    fn round_trips_through_query_for() {
        let value = "zDfLuEaKhr+RXkTOT7gtV4MWk5JSqIuTjF28/qanE3c=";
        let query = query_for(value);
        assert_eq!(
            query,
            "check_str=zDfLuEaKhr%2BRXkTOT7gtV4MWk5JSqIuTjF28%2FqanE3c%3D"
        );
        assert_eq!(check_str_from_query(&query), Ok(value.to_string()));
    }

    #[test]
    fn refuses_missing_repeated_empty_and_undecodable() {
        assert_eq!(
            check_str_from_query(""),
            Err(WebhookError::MissingParameter("check_str"))
        );
        assert_eq!(
            check_str_from_query("check=1"),
            Err(WebhookError::MissingParameter("check_str"))
        );
        assert!(matches!(
            check_str_from_query("check_str=a&check_str=b"),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            check_str_from_query("check_str="),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            check_str_from_query("check_str"),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            check_str_from_query("check_str=%ff"),
            Err(WebhookError::Malformed(_))
        ));
    }
}
