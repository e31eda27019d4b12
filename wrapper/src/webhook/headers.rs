//! The three signature headers every GET and POST carries: `timestamp`, `nonce`, `signature`.

use http::HeaderMap;

use super::error::WebhookError;

/// The header holding the time the platform signed at (13-digit unix milliseconds in the
/// documentation's example).
pub const TIMESTAMP: &str = "timestamp";
/// The header holding the random nonce.
pub const NONCE: &str = "nonce";
/// The header holding the signature.
pub const SIGNATURE: &str = "signature";

/// The signature headers of one request, as sent (they are signed as strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureHeaders<'a> {
    /// `timestamp`.
    pub timestamp: &'a str,
    /// `nonce`.
    pub nonce: &'a str,
    /// `signature`.
    pub signature: &'a str,
}

impl<'a> SignatureHeaders<'a> {
    /// Reads the three headers (names are case-insensitive). Each must be present once, not
    /// empty, and visible ASCII.
    pub fn from_headers(headers: &'a HeaderMap) -> Result<Self, WebhookError> {
        Ok(Self {
            timestamp: one(headers, TIMESTAMP)?,
            nonce: one(headers, NONCE)?,
            signature: one(headers, SIGNATURE)?,
        })
    }
}

fn one<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, WebhookError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Err(WebhookError::MissingHeader(name));
    };
    if values.next().is_some() {
        return Err(WebhookError::InvalidHeader {
            name,
            reason: "is sent more than once",
        });
    }
    let text = value.to_str().map_err(|_| WebhookError::InvalidHeader {
        name,
        reason: "is not visible ASCII",
    })?;
    if text.is_empty() {
        return Err(WebhookError::MissingHeader(name));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                *name,
                HeaderValue::from_bytes(value).expect("a header value"),
            );
        }
        map
    }

    #[test]
    fn reads_the_three_headers_case_insensitively() {
        let mut map = HeaderMap::new();
        map.insert("Timestamp", HeaderValue::from_static("1"));
        map.insert("NONCE", HeaderValue::from_static("2"));
        map.insert("signature", HeaderValue::from_static("abc"));
        assert_eq!(
            SignatureHeaders::from_headers(&map),
            Ok(SignatureHeaders {
                timestamp: "1",
                nonce: "2",
                signature: "abc"
            })
        );
    }

    #[test]
    fn missing_empty_repeated_or_binary_headers_are_refused() {
        let ok: [(&'static str, &[u8]); 3] =
            [("timestamp", b"1"), ("nonce", b"2"), ("signature", b"3")];
        for skip in 0..3 {
            let pairs: Vec<_> = ok
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, p)| *p)
                .collect();
            assert_eq!(
                SignatureHeaders::from_headers(&headers(&pairs)),
                Err(WebhookError::MissingHeader(ok[skip].0))
            );
        }
        let empty = headers(&[("timestamp", b""), ("nonce", b"2"), ("signature", b"3")]);
        assert_eq!(
            SignatureHeaders::from_headers(&empty),
            Err(WebhookError::MissingHeader("timestamp"))
        );
        let twice = headers(&[
            ("timestamp", b"1"),
            ("nonce", b"2"),
            ("nonce", b"3"),
            ("signature", b"3"),
        ]);
        assert!(matches!(
            SignatureHeaders::from_headers(&twice),
            Err(WebhookError::InvalidHeader { name: "nonce", .. })
        ));
        let binary = headers(&[("timestamp", b"1"), ("nonce", b"\xff"), ("signature", b"3")]);
        assert!(matches!(
            SignatureHeaders::from_headers(&binary),
            Err(WebhookError::InvalidHeader { name: "nonce", .. })
        ));
    }
}
