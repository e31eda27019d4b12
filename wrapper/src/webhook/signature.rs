//! The event signature (签名校验): `lowercase_hex(SHA1(a + b + c + d))`, where `a..d` are the
//! Token, the `timestamp` and `nonce` headers and the data, sorted as strings (by value, not by
//! name). Plain SHA-1, not HMAC. A pure function; the simulator signs with it too.
//!
//! ```
//! use tencent_meeting::webhook::signature;
//!
//! // The signature page's own worked example (cloud.tencent.com/document/product/1095/51612).
//! let data = "eyJldmVudCI6Im1lZXRpbmcuY3JlYXRlZCIsInVuaXF1ZV9zZXF1ZW5jZSI6ImYyMDA5NmVlLThhYzgtNGRmMi1hN2RlLTA1NzQ2NDlmMjExYiIsInBheWxvYWQiOlt7Im9wZXJhdGVfdGltZSI6IjIwMjAtMTItMjkgMTc6NDE6MDYiLCJvcGVyYXRvciI6eyJ1c2VyaWQiOiJ0ZXN0ZXIwMDAwNmJhNWJhYjMzOTg1OGMxM2M5MzBjY2E5NTY4NCJ9LCJtZWV0aW5nX2luZm8iOnsibWVldGluZ19pZCI6IjYwNTg4OTAzODU0ODA5MjEwNTIiLCJtZWV0aW5nX2NvZGUiOiI1MzA4MTI0NTIiLCJzdWJqZWN0IjoibWVkaWEgdGVzdGVyIG1lZXRpbmciLCJjcmVhdG9yX2lkIjoidGVzdGVyMDAwMDZiYTViYWIzMzk4NThjMTNjOTMwY2NhOTU2ODQiLCJob3N0cyI6WyJ0ZXN0ZXIwMDAwNmJhNWJhYjMzOTg1OGMxM2M5MzBjY2E5NTY4NCJdLCJtZWV0aW5nX3R5cGUiOjAsInN0YXJ0X3RpbWUiOiIyMDIwLTEyLTI5IDE3OjQxOjA0IiwiZW5kX3RpbWUiOiIyMDIwLTEyLTI5IDE4OjAxOjA0In19XX0";
//! let signed = signature::sign("bVPU6F8Htxl5XkAbp3jGV2xWp", "1609239040864", "14964161", data);
//! assert_eq!(signed, "b11e507817336a91d7df0c8536ee2aca18bbbae8");
//! assert!(signature::verify("bVPU6F8Htxl5XkAbp3jGV2xWp", "1609239040864", "14964161", data, &signed));
//! ```

use sha1::{Digest as _, Sha1};
use subtle::ConstantTimeEq as _;

/// The length of a signature: 20 bytes of SHA-1 as hex digits.
pub const SIGNATURE_LEN: usize = 40;

/// The four values in the order they are hashed: sorted byte-wise (all are ASCII in practice,
/// where byte order is the documented 字典序).
pub fn sorted_parts<'a>(
    token: &'a str,
    timestamp: &'a str,
    nonce: &'a str,
    data: &'a str,
) -> [&'a str; 4] {
    let mut parts = [token, timestamp, nonce, data];
    parts.sort_unstable();
    parts
}

/// The signature of a delivery or URL check: 40 lower-case hex digits.
pub fn sign(token: &str, timestamp: &str, nonce: &str, data: &str) -> String {
    hex::encode(digest(token, timestamp, nonce, data))
}

fn digest(token: &str, timestamp: &str, nonce: &str, data: &str) -> [u8; 20] {
    let mut hasher = Sha1::new();
    // Hashing the parts one after the other is hashing their concatenation, without a copy.
    for part in sorted_parts(token, timestamp, nonce, data) {
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

/// Whether `signature` is the one [`sign`] computes, compared in constant time. Upper-case hex
/// digits are accepted too (one known receiver compares case-insensitively; the service's
/// example is lower case).
pub fn verify(token: &str, timestamp: &str, nonce: &str, data: &str, signature: &str) -> bool {
    let mut given = [0u8; SIGNATURE_LEN];
    if signature.len() != SIGNATURE_LEN {
        return false;
    }
    for (slot, byte) in given.iter_mut().zip(signature.bytes()) {
        *slot = byte.to_ascii_lowercase();
    }
    let mut expected = [0u8; SIGNATURE_LEN];
    // 20 bytes always encode into 40 hex digits.
    if hex::encode_to_slice(digest(token, timestamp, nonce, data), &mut expected).is_err() {
        return false;
    }
    expected.ct_eq(&given).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_value_not_by_name() {
        assert_eq!(sorted_parts("b", "a", "d", "c"), ["a", "b", "c", "d"]);
        // Digits sort before letters: the example's nonce and timestamp come first.
        assert_eq!(
            sorted_parts("bVPU", "1609239040864", "14964161", "eyJ"),
            ["14964161", "1609239040864", "bVPU", "eyJ"]
        );
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let good = sign("token", "1", "2", "data");
        assert_eq!(good.len(), SIGNATURE_LEN);
        assert!(verify("token", "1", "2", "data", &good));
        assert!(verify("token", "1", "2", "data", &good.to_uppercase()));
        assert!(!verify("token", "1", "2", "data=", &good));
        assert!(!verify("tokem", "1", "2", "data", &good));
        assert!(!verify("token", "1", "3", "data", &good));
        assert!(!verify("token", "1", "2", "data", &good[..39]));
        assert!(!verify("token", "1", "2", "data", &format!("{good}0")));
        assert!(!verify("token", "1", "2", "data", ""));
        // A multi-byte character in place of two hex digits is not a match, nor a panic.
        let odd = format!("é{}", &good[2..]);
        assert!(!verify("token", "1", "2", "data", &odd));
    }
}
