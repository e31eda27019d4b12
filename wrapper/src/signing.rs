//! Enterprise-secret (AK/SK) request signing: a pure function of the request parts and the
//! credentials, with no I/O.
//!
//! The transport calls [`sign`] on the request exactly as it is about to be sent, and the
//! simulator's verifier calls the very same function, so client and server cannot disagree.
//!
//! ```
//! use tencent_meeting::signing::{sign, SigningParams};
//!
//! let signed = sign(&SigningParams {
//!     method: "POST",
//!     uri: "/v1/meetings/7567173273889276131/dismiss",
//!     body: br#"{"userid":"test1","instanceid":1,"reason_code":3}"#,
//!     secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
//!     timestamp: 1716000000,
//!     nonce: 1716000000000000001,
//! }, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLEKEY");
//! assert_eq!(signed.signature.len(), 88);
//! assert!(signed.string_to_sign.starts_with(b"POST\nX-TC-Key=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&"));
//! ```

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The parts of a request that the signature covers. Exhaustive on purpose: these are exactly
/// what the service's algorithm signs, so a new field would be a new algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningParams<'a> {
    /// The HTTP method in upper case, e.g. `POST`.
    pub method: &'a str,
    /// The path and query exactly as sent, e.g. `/v1/meetings/1?operator_id=a&operator_id_type=1`.
    /// No canonicalisation of any kind: the query keeps its order and percent-encoding.
    pub uri: &'a str,
    /// The body bytes exactly as sent; empty for a request without a body.
    pub body: &'a [u8],
    /// The SecretId, sent as `X-TC-Key`.
    pub secret_id: &'a str,
    /// Unix seconds, sent as `X-TC-Timestamp`.
    pub timestamp: u64,
    /// The nonce, sent as `X-TC-Nonce`.
    pub nonce: u64,
}

/// The outcome of [`sign`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Signed {
    /// The exact bytes that were signed (UTF-8 when the body is).
    pub string_to_sign: Vec<u8>,
    /// `base64(lowercase_hex(HMAC-SHA256(secret_key, string_to_sign)))`: 88 characters.
    pub signature: String,
}

impl Signed {
    /// The string to sign as text, with any invalid UTF-8 in the body replaced (for display).
    pub fn string_to_sign_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.string_to_sign)
    }
}

/// The string the service signs:
/// `{METHOD}\nX-TC-Key={SecretId}&X-TC-Nonce={Nonce}&X-TC-Timestamp={Timestamp}\n{uri}\n{body}`.
pub fn string_to_sign(params: &SigningParams<'_>) -> Vec<u8> {
    // Built by copying rather than through `core::fmt`: this runs for every request.
    let mut nonce = itoa::Buffer::new();
    let mut timestamp = itoa::Buffer::new();
    let parts: [&[u8]; 11] = [
        params.method.as_bytes(),
        b"\nX-TC-Key=",
        params.secret_id.as_bytes(),
        b"&X-TC-Nonce=",
        nonce.format(params.nonce).as_bytes(),
        b"&X-TC-Timestamp=",
        timestamp.format(params.timestamp).as_bytes(),
        b"\n",
        params.uri.as_bytes(),
        b"\n",
        params.body,
    ];
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// A SecretKey prepared for signing: the HMAC state after absorbing the key, computed once per
/// key instead of once per request. It can sign as the key can, so it is as secret as the key:
/// its `Debug` is redacted.
#[derive(Clone)]
pub struct SigningKey(Hmac<Sha256>);

impl SigningKey {
    /// Prepares `secret_key`.
    pub fn new(secret_key: &str) -> Self {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        match Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()) {
            Ok(mac) => Self(mac),
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([REDACTED])")
    }
}

/// Signs a request: builds the string to sign and returns it with its signature.
pub fn sign(params: &SigningParams<'_>, secret_key: &str) -> Signed {
    sign_with(params, &SigningKey::new(secret_key))
}

/// [`sign`] with a key prepared once ([`SigningKey::new`]), as the client does for every request.
pub fn sign_with(params: &SigningParams<'_>, key: &SigningKey) -> Signed {
    let string_to_sign = string_to_sign(params);
    let mut mac = key.0.clone();
    mac.update(&string_to_sign);
    let digest = mac.finalize().into_bytes();
    let mut hex_digest = [0u8; 64];
    // 32 bytes always encode into 64 hex digits.
    if hex::encode_to_slice(digest, &mut hex_digest).is_err() {
        unreachable!("a SHA-256 digest is 32 bytes");
    }
    Signed {
        string_to_sign,
        signature: base64::engine::general_purpose::STANDARD.encode(hex_digest),
    }
}

/// Checks `signature` against the one [`sign`] computes, in constant time. The service's side
/// (feature `service-side`): a client signs and never verifies; the simulator verifies with this
/// very function, so there is one implementation of the algorithm.
#[cfg(any(test, feature = "service-side"))]
#[cfg_attr(docsrs, doc(cfg(feature = "service-side")))]
pub fn verify(params: &SigningParams<'_>, secret_key: &str, signature: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    let expected = sign(params, secret_key);
    expected
        .signature
        .as_bytes()
        .ct_eq(signature.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct VectorFile {
        vectors: Vec<Vector>,
    }

    #[derive(serde::Deserialize)]
    struct Vector {
        name: String,
        secret_id: String,
        secret_key: String,
        timestamp: u64,
        nonce: u64,
        method: String,
        uri: String,
        body: String,
        string_to_sign: String,
        signature: String,
    }

    /// The official Python SDK's vectors, vendored from shared/vectors/signatures.json.
    fn vectors() -> Vec<Vector> {
        let text = include_str!("../tests/data/signatures.json");
        match serde_json::from_str::<VectorFile>(text) {
            Ok(file) => file.vectors,
            Err(e) => panic!("signatures.json does not parse: {e}"),
        }
    }

    #[test]
    fn reproduces_every_official_vector() {
        let vectors = vectors();
        assert!(!vectors.is_empty());
        for v in vectors {
            let params = SigningParams {
                method: &v.method,
                uri: &v.uri,
                body: v.body.as_bytes(),
                secret_id: &v.secret_id,
                timestamp: v.timestamp,
                nonce: v.nonce,
            };
            let signed = sign(&params, &v.secret_key);
            assert_eq!(
                signed.string_to_sign_lossy(),
                v.string_to_sign,
                "string to sign, vector {}",
                v.name
            );
            assert_eq!(
                signed.signature, v.signature,
                "signature, vector {}",
                v.name
            );
            assert!(verify(&params, &v.secret_key, &v.signature), "{}", v.name);
        }
    }

    /// The vendored copy must be the shared one, so that every shared vector is reproduced.
    #[test]
    fn vendored_vectors_match_the_shared_ones() {
        crate::vendored::assert_matches_shared(
            "signatures.json",
            include_str!("../tests/data/signatures.json"),
        );
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let params = SigningParams {
            method: "POST",
            uri: "/v1/meetings/1/dismiss",
            body: b"{}",
            secret_id: "id",
            timestamp: 1,
            nonce: 2,
        };
        let good = sign(&params, "key").signature;
        assert!(verify(&params, "key", &good));
        assert!(!verify(&params, "other", &good));
        assert!(!verify(&SigningParams { nonce: 3, ..params }, "key", &good));
        assert!(!verify(
            &SigningParams {
                body: b"{ }",
                ..params
            },
            "key",
            &good
        ));
        assert!(!verify(
            &SigningParams {
                uri: "/v1/meetings/1/dismiss?",
                ..params
            },
            "key",
            &good
        ));
        assert!(!verify(&params, "key", &good[..87]));
    }

    #[test]
    fn empty_body_signs_as_empty_string() {
        let params = SigningParams {
            method: "GET",
            uri: "/v1/meetings/1",
            body: b"",
            secret_id: "id",
            timestamp: 1,
            nonce: 2,
        };
        assert_eq!(
            string_to_sign(&params),
            b"GET\nX-TC-Key=id&X-TC-Nonce=2&X-TC-Timestamp=1\n/v1/meetings/1\n"
        );
    }
}
