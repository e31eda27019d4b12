//! The event encryption (事件加解密): AES-256-CBC with the key from the 43-character
//! EncodingAESKey and the key's first 16 bytes as IV, PKCS#7 padding, then standard base64. In
//! plain mode (no EncodingAESKey configured) the data is base64 only.
//!
//! Leniency where the documentation is silent or implementations differ:
//! - base64 is decoded with `=` padding optional and non-zero trailing bits allowed (a random
//!   43-character key usually has them; the signature page's example data has no `=`);
//! - PKCS#7 padding of 1 to 32 bytes is removed, every pad byte checked: the page does not say
//!   whether the block is 16 (AES, what known receivers expect) or 32 (WeCom's choice), and
//!   both are accepted. The platform's side (`encrypt`, feature `service-side`) pads to 16.
//!
//! ```
//! use tencent_meeting::webhook::cipher::{decrypt, AesKey};
//!
//! let key = AesKey::from_encoding_aes_key("abcdefghijklmnopqrstuvwxyzABCDEFG1234567890")?;
//! // A URL check's `check_str` as the platform encrypts it (the vectors' `check_str_decoded`).
//! let data = "zDfLuEaKhr+RXkTOT7gtV4MWk5JSqIuTjF28/qanE3c=";
//! assert_eq!(decrypt(&key, data)?, b"cfBAepfJBd0Kh8oO");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use aes::Aes256;
use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut as _, KeyIvInit as _};

/// The AES block size, and the padding the platform uses (`encrypt`, feature `service-side`).
pub const BLOCK: usize = 16;
/// The largest PKCS#7 pad accepted on decryption (a 32-byte block, as WeCom pads).
pub const MAX_PAD: usize = 32;
/// The length of an EncodingAESKey.
pub const ENCODING_AES_KEY_LEN: usize = 43;

/// Standard alphabet; `=` optional; trailing bits allowed. Encodes with `=` padding.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes standard base64, `=` padding optional, trailing bits allowed.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, DecryptError> {
    LENIENT.decode(text).map_err(|_| DecryptError::Base64)
}

/// Encodes standard base64 with `=` padding (the platform's side: feature `service-side`).
#[cfg(any(test, feature = "service-side"))]
#[cfg_attr(docsrs, doc(cfg(feature = "service-side")))]
pub fn base64_encode(bytes: &[u8]) -> String {
    LENIENT.encode(bytes)
}

/// Why data could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// The data is not standard base64.
    #[error("the data is not base64")]
    Base64,
    /// The ciphertext is empty or not a whole number of 16-byte blocks.
    #[error("the ciphertext is {0} bytes, not a whole number of 16-byte blocks")]
    Length(usize),
    /// The PKCS#7 padding is wrong: the wrong key, or tampered data.
    #[error("the padding is invalid (wrong EncodingAESKey, or tampered data)")]
    Padding,
}

/// An EncodingAESKey that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("EncodingAESKey: {0}")]
pub struct InvalidKey(pub(crate) String);

/// The AES-256 key and IV derived from an EncodingAESKey. As secret as the EncodingAESKey: its
/// `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey([u8; 32]);

impl AesKey {
    /// `base64_decode(encoding_aes_key + "=")`: 32 bytes. The key must be 43 characters of the
    /// standard base64 alphabet (the console makes them of letters and digits); a trailing `=`
    /// is accepted.
    pub fn from_encoding_aes_key(encoding_aes_key: &str) -> Result<Self, InvalidKey> {
        let key = encoding_aes_key
            .strip_suffix('=')
            .unwrap_or(encoding_aes_key);
        if key.len() != ENCODING_AES_KEY_LEN {
            return Err(InvalidKey(format!(
                "must be {ENCODING_AES_KEY_LEN} characters (letters and digits), got {}",
                key.chars().count()
            )));
        }
        if let Some(bad) = key
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '+' || *c == '/'))
        {
            return Err(InvalidKey(format!(
                "must be letters and digits only, found {bad:?}"
            )));
        }
        let bytes = LENIENT
            .decode(key)
            .map_err(|e| InvalidKey(format!("is not base64: {e}")))?;
        match <[u8; 32]>::try_from(bytes.as_slice()) {
            Ok(key) => Ok(Self(key)),
            // 43 characters of the alphabet always decode to 32 bytes.
            Err(_) => Err(InvalidKey(format!(
                "decodes to {} bytes, not 32",
                bytes.len()
            ))),
        }
    }

    /// A key from its 32 bytes.
    pub fn from_bytes(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// The 32 key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The IV: the key's first 16 bytes, fixed (never sent).
    pub fn iv(&self) -> [u8; BLOCK] {
        let mut iv = [0u8; BLOCK];
        iv.copy_from_slice(&self.0[..BLOCK]);
        iv
    }
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey([REDACTED])")
    }
}

/// `base64(AES-256-CBC(key, iv, PKCS#7-16(plaintext)))`: how the platform encodes `data` and
/// `check_str` when an EncodingAESKey is configured (the platform's side: feature
/// `service-side`).
#[cfg(any(test, feature = "service-side"))]
#[cfg_attr(docsrs, doc(cfg(feature = "service-side")))]
pub fn encrypt(key: &AesKey, plaintext: &[u8]) -> String {
    use cbc::cipher::BlockEncryptMut as _;
    use cbc::cipher::block_padding::Pkcs7;

    let encryptor = cbc::Encryptor::<Aes256>::new(key.as_bytes().into(), &key.iv().into());
    base64_encode(&encryptor.encrypt_padded_vec_mut::<Pkcs7>(plaintext))
}

/// The inverse of `encrypt` (the platform's side, feature `service-side`), lenient as the module
/// says.
pub fn decrypt(key: &AesKey, data: &str) -> Result<Vec<u8>, DecryptError> {
    let mut buffer = base64_decode(data)?;
    if buffer.is_empty() || buffer.len() % BLOCK != 0 {
        return Err(DecryptError::Length(buffer.len()));
    }
    let length = buffer.len();
    let decryptor = cbc::Decryptor::<Aes256>::new(key.as_bytes().into(), &key.iv().into());
    let plain_len = decryptor
        .decrypt_padded_mut::<NoPadding>(&mut buffer)
        .map_err(|_| DecryptError::Length(length))?
        .len();
    let unpadded = pkcs7_unpad(&buffer[..plain_len])?.len();
    buffer.truncate(unpadded);
    Ok(buffer)
}

/// Removes PKCS#7 padding of 1 to [`MAX_PAD`] bytes, checking that every pad byte equals the pad
/// length. Not constant time: the data's signature is checked before it is decrypted.
pub fn pkcs7_unpad(padded: &[u8]) -> Result<&[u8], DecryptError> {
    let Some(&last) = padded.last() else {
        return Err(DecryptError::Padding);
    };
    let pad = usize::from(last);
    if pad == 0 || pad > MAX_PAD || pad > padded.len() {
        return Err(DecryptError::Padding);
    }
    let (text, padding) = padded.split_at(padded.len() - pad);
    if padding.iter().any(|&b| b != last) {
        return Err(DecryptError::Padding);
    }
    Ok(text)
}

/// How `data` and `check_str` are encoded: AES when an EncodingAESKey is configured, base64
/// only otherwise (the mode is the subscriber's choice in the console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cipher {
    /// No EncodingAESKey: base64 only.
    Plain,
    /// AES-256-CBC, then base64.
    Aes(AesKey),
}

impl Cipher {
    /// AES with the key from `encoding_aes_key`, or plain mode for `None`.
    pub fn new(encoding_aes_key: Option<&str>) -> Result<Self, InvalidKey> {
        match encoding_aes_key {
            Some(key) => Ok(Self::Aes(AesKey::from_encoding_aes_key(key)?)),
            None => Ok(Self::Plain),
        }
    }

    /// Encodes `plaintext` as the platform does (the platform's side: feature `service-side`).
    #[cfg(any(test, feature = "service-side"))]
    #[cfg_attr(docsrs, doc(cfg(feature = "service-side")))]
    pub fn encode(&self, plaintext: &[u8]) -> String {
        match self {
            Self::Plain => base64_encode(plaintext),
            Self::Aes(key) => encrypt(key, plaintext),
        }
    }

    /// Decodes `data` as the platform encodes it.
    pub fn decode(&self, data: &str) -> Result<Vec<u8>, DecryptError> {
        match self {
            Self::Plain => base64_decode(data),
            Self::Aes(key) => decrypt(key, data),
        }
    }
}

#[cfg(test)]
mod tests {
    use cbc::cipher::BlockEncryptMut as _;

    use super::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

    fn key() -> AesKey {
        AesKey::from_encoding_aes_key(KEY).expect("the vector's key")
    }

    #[test]
    fn the_key_is_base64_of_the_43_characters() {
        let key = key();
        assert_eq!(
            hex::encode(key.as_bytes()),
            "69b71d79f8218a39259a7a29aabb2dbafc31cb30010831051b5db7e39ebbf3dd"
        );
        assert_eq!(hex::encode(key.iv()), "69b71d79f8218a39259a7a29aabb2dba");
        // With the `=` the documentation appends, the same key.
        assert_eq!(AesKey::from_encoding_aes_key(&format!("{KEY}=")), Ok(key));
        assert_eq!(
            format!("{:?}", AesKey::from_bytes([7; 32])),
            "AesKey([REDACTED])"
        );
    }

    #[test]
    fn trailing_bits_are_allowed_in_the_key() {
        // The last character `z` leaves non-zero trailing bits, which strict decoders refuse.
        let key = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPz";
        assert!(
            base64::engine::general_purpose::STANDARD
                .decode(format!("{key}="))
                .is_err()
        );
        assert!(AesKey::from_encoding_aes_key(key).is_ok());
    }

    #[test]
    fn bad_keys_say_why() {
        for (bad, words) in [
            ("", "43 characters"),
            ("abc", "43 characters"),
            (&KEY[..42], "43 characters"),
            (&format!("{KEY}a"), "43 characters"),
            (&format!("{}-", &KEY[..42]), "letters and digits"),
            (&format!("{} ", &KEY[..42]), "letters and digits"),
        ] {
            let e = AesKey::from_encoding_aes_key(bad).expect_err(bad);
            assert!(e.to_string().contains(words), "{bad:?}: {e}");
            assert!(e.to_string().starts_with("EncodingAESKey"), "{e}");
        }
        // A multi-byte character is counted as one.
        let e = AesKey::from_encoding_aes_key(&format!("{}é", &KEY[..41])).expect_err("é");
        assert!(e.to_string().contains("letters and digits"), "{e}");
    }

    #[test]
    fn decrypts_the_shared_vector_and_encrypts_back() {
        let data = "zDfLuEaKhr+RXkTOT7gtV4MWk5JSqIuTjF28/qanE3c=";
        assert_eq!(
            decrypt(&key(), data).as_deref(),
            Ok(&b"cfBAepfJBd0Kh8oO"[..])
        );
        // Without `=` too.
        assert_eq!(
            decrypt(&key(), data.trim_end_matches('=')).as_deref(),
            Ok(&b"cfBAepfJBd0Kh8oO"[..])
        );
        assert_eq!(encrypt(&key(), b"cfBAepfJBd0Kh8oO"), data);
    }

    #[test]
    fn encryption_pads_to_16() {
        for len in [0, 1, 15, 16, 17, 31, 32, 33] {
            let data = encrypt(&key(), &vec![b'x'; len]);
            let bytes = base64_decode(&data).expect("base64");
            assert_eq!(bytes.len(), (len / 16 + 1) * 16, "len {len}");
        }
    }

    /// A 32-byte pad (what WeCom sends) decodes as well as a 16-byte one.
    #[test]
    fn a_pad_of_up_to_32_is_accepted() {
        let key = key();
        let plaintext = b"{\"event\":\"meeting.end\"}";
        for block in [16usize, 32] {
            let pad = block - plaintext.len() % block;
            let mut padded = plaintext.to_vec();
            padded.extend(std::iter::repeat_n(pad as u8, pad));
            let encryptor = cbc::Encryptor::<Aes256>::new(key.as_bytes().into(), &key.iv().into());
            let data = base64_encode(&encryptor.encrypt_padded_vec_mut::<NoPadding>(&padded));
            assert_eq!(
                decrypt(&key, &data).as_deref(),
                Ok(&plaintext[..]),
                "block {block}"
            );
        }
    }

    #[test]
    fn unpadding_checks_every_pad_byte() {
        assert_eq!(pkcs7_unpad(b"abc\x01"), Ok(&b"abc"[..]));
        assert_eq!(pkcs7_unpad(b"a\x03\x03\x03"), Ok(&b"a"[..]));
        assert_eq!(pkcs7_unpad(&[4; 4]), Ok(&b""[..]));
        let mut full = vec![b'x'; 8];
        full.extend([32; 32]);
        assert_eq!(pkcs7_unpad(&full), Ok(&b"xxxxxxxx"[..]));
        assert_eq!(pkcs7_unpad(b""), Err(DecryptError::Padding));
        assert_eq!(pkcs7_unpad(b"abc\x00"), Err(DecryptError::Padding));
        assert_eq!(pkcs7_unpad(b"a\x02\x03\x03"), Err(DecryptError::Padding));
        assert_eq!(pkcs7_unpad(b"\x05\x05\x05\x05"), Err(DecryptError::Padding));
        assert_eq!(pkcs7_unpad(&[33; 48]), Err(DecryptError::Padding));
    }

    #[test]
    fn bad_data_is_an_error_not_a_panic() {
        let key = key();
        assert_eq!(decrypt(&key, "not base64!"), Err(DecryptError::Base64));
        assert_eq!(decrypt(&key, ""), Err(DecryptError::Length(0)));
        assert_eq!(decrypt(&key, "AAAA"), Err(DecryptError::Length(3)));
        // The right length, the wrong key: the padding does not check out (or, 1 time in about
        // 256, happens to; the plaintext is then garbage, which the JSON parser refuses).
        let other = AesKey::from_bytes([1; 32]);
        let data = encrypt(&other, b"{\"event\":\"meeting.end\",\"trace_id\":\"x\"}");
        match decrypt(&key, &data) {
            Err(e) => assert_eq!(e, DecryptError::Padding),
            Ok(garbage) => assert!(serde_json::from_slice::<serde_json::Value>(&garbage).is_err()),
        }
    }

    #[test]
    fn plain_mode_is_base64_only() {
        let plain = Cipher::new(None).expect("plain");
        assert_eq!(plain.encode(b"{}"), "e30=");
        assert_eq!(plain.decode("e30").as_deref(), Ok(&b"{}"[..]));
        assert_eq!(plain.decode("e30="), Ok(b"{}".to_vec()));
        let aes = Cipher::new(Some(KEY)).expect("aes");
        assert_eq!(aes.decode(&aes.encode(b"{}")), Ok(b"{}".to_vec()));
    }
}
