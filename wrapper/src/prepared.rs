//! A request built, stamped and signed exactly as it would be sent, but not sent (dry runs).

use std::fmt::Write as _;

use crate::signing::Signed;

/// One header of a [`PreparedRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PreparedHeader {
    /// The header name (lower case, as `http` stores it).
    pub name: String,
    /// The value; `None` for a sensitive header (the OAuth2.0 access token), which is never shown.
    pub value: Option<String>,
}

/// The exact request a call would send: method, URL, headers, body and, in enterprise mode, the
/// string to sign and the signature. Secrets never appear in it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PreparedRequest {
    /// The HTTP method.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// The headers, in the order they would be sent.
    pub headers: Vec<PreparedHeader>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The string to sign (enterprise mode).
    pub string_to_sign: Option<String>,
    /// The signature (enterprise mode).
    pub signature: Option<String>,
}

impl PreparedRequest {
    pub(crate) fn from_request(request: &reqwest::Request, signed: Option<Signed>) -> Self {
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| PreparedHeader {
                name: name.as_str().to_string(),
                value: if value.is_sensitive() {
                    None
                } else {
                    Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
                },
            })
            .collect();
        Self {
            method: request.method().as_str().to_string(),
            url: request.url().as_str().to_string(),
            headers,
            body: request
                .body()
                .and_then(|b| b.as_bytes())
                .unwrap_or_default()
                .to_vec(),
            string_to_sign: signed
                .as_ref()
                .map(|s| s.string_to_sign_lossy().into_owned()),
            signature: signed.map(|s| s.signature),
        }
    }

    /// A `curl` command line that sends this request. A sensitive header's value is written as
    /// `redacted(header_name)` inside double quotes, so a shell variable reference such as
    /// `$ACCESS_TOKEN` expands when the command is run.
    ///
    /// Not behind a feature, unlike what only a stand-in of the service needs: replaying a dry
    /// run by hand is what a client's user does with it (the CLI's `dismiss --dry-run` prints it).
    pub fn to_curl(&self, redacted: impl Fn(&str) -> String) -> String {
        let mut out = format!("curl -X {} {}", self.method, shell_quote(&self.url));
        for h in &self.headers {
            let value = match &h.value {
                Some(v) => shell_quote(&format!("{}: {v}", h.name)),
                None => format!("\"{}: {}\"", h.name, redacted(&h.name)),
            };
            let _ = write!(out, " \\\n  -H {value}");
        }
        if !self.body.is_empty() {
            let _ = write!(
                out,
                " \\\n  --data-binary {}",
                shell_quote(&String::from_utf8_lossy(&self.body))
            );
        }
        out
    }
}

/// Single-quotes `s` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
