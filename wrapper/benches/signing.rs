//! Signing one dismiss request against its floor, a bare HMAC-SHA256 over the same string to sign.
//!
//! The goal: `signing::sign` within 1.2× the bare HMAC. Cases, all over the official
//! vector "dismiss-seed-example":
//! - `sign`: the crate's function, as the transport calls it (builds the string to sign, then
//!   HMAC, hex, base64);
//! - `hmac`: the floor: keyed HMAC-SHA256 over the precomputed string to sign, digest only;
//! - `hmac_hex_base64`: the floor plus the encoding the service wants, still over the
//!   precomputed string (so `sign` minus this is the cost of building the string to sign);
//! - `string_to_sign`: building the string to sign alone;
//! - `hmac_prekeyed`: HMAC from a keyed state computed once and cloned, to show what caching the
//!   key's inner/outer pads per client would save;
//! - `verify`: the server-side check (a `sign` plus a constant-time compare);
//! - `proposed_string_to_sign`, `proposed_sign`, `proposed_sign_prekeyed`: prototypes, in this
//!   file and not in the crate, of the change to `signing.rs` these figures suggest: the string
//!   to sign built by copying instead of through `core::fmt`, the same HMAC, then hex and base64
//!   fused over fixed-size arrays; the last also keys the HMAC once (per client) instead of once
//!   per request. All are checked against the official signature before measuring.
//!
//! Run: `cargo bench -p tencent-meeting --bench signing`; on a busy machine, prefix
//! `TM_BENCH_CLOCK=cpu` to count only this thread's CPU time (see `common/mod.rs`).

mod common;

use std::hint::black_box;

use base64::Engine as _;
use criterion::Criterion;
use criterion::measurement::Measurement;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tencent_meeting::signing::{SigningParams, sign, string_to_sign, verify};

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

fn seed_vector() -> Vector {
    let file: VectorFile = serde_json::from_str(include_str!("../tests/data/signatures.json"))
        .expect("signatures.json parses");
    file.vectors
        .into_iter()
        .find(|v| v.name == "dismiss-seed-example")
        .expect("vector dismiss-seed-example")
}

fn hmac_digest(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn hmac_hex_base64(key: &[u8], message: &[u8]) -> String {
    let digest = hmac_digest(key, message);
    let mut hex_digest = [0u8; 64];
    hex::encode_to_slice(digest, &mut hex_digest).expect("32 bytes make 64 hex digits");
    base64::engine::general_purpose::STANDARD.encode(hex_digest)
}

/// Prototypes of a faster `signing::sign`, producing the same bytes.
mod proposed {
    use super::*;

    /// Appends `n` in decimal without going through `core::fmt`.
    fn push_u64(out: &mut Vec<u8>, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[start..]);
    }

    /// The same bytes as `signing::string_to_sign`, assembled by copying.
    pub fn string_to_sign(p: &SigningParams<'_>) -> Vec<u8> {
        // 40 bytes of fixed text and at most 2 × 20 digits.
        let mut out = Vec::with_capacity(
            p.method.len() + p.secret_id.len() + p.uri.len() + p.body.len() + 80,
        );
        out.extend_from_slice(p.method.as_bytes());
        out.extend_from_slice(b"\nX-TC-Key=");
        out.extend_from_slice(p.secret_id.as_bytes());
        out.extend_from_slice(b"&X-TC-Nonce=");
        push_u64(&mut out, p.nonce);
        out.extend_from_slice(b"&X-TC-Timestamp=");
        push_u64(&mut out, p.timestamp);
        out.push(b'\n');
        out.extend_from_slice(p.uri.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(p.body);
        out
    }

    const HEX: &[u8; 16] = b"0123456789abcdef";
    const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// `base64(lowercase_hex(mac))` in one pass over fixed-size arrays, one allocation for the
    /// result. 64 hex digits are 21 groups of 3 bytes and one byte left over (`==` padding).
    fn encode(mac: Hmac<Sha256>) -> String {
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        let mut hex = [0u8; 64];
        for (i, byte) in digest.iter().enumerate() {
            hex[2 * i] = HEX[usize::from(byte >> 4)];
            hex[2 * i + 1] = HEX[usize::from(byte & 0x0f)];
        }
        let mut out = [0u8; 88];
        for g in 0..21 {
            let n = u32::from(hex[3 * g]) << 16
                | u32::from(hex[3 * g + 1]) << 8
                | u32::from(hex[3 * g + 2]);
            out[4 * g] = BASE64[(n >> 18) as usize & 63];
            out[4 * g + 1] = BASE64[(n >> 12) as usize & 63];
            out[4 * g + 2] = BASE64[(n >> 6) as usize & 63];
            out[4 * g + 3] = BASE64[n as usize & 63];
        }
        let last = hex[63];
        out[84] = BASE64[usize::from(last >> 2)];
        out[85] = BASE64[usize::from(last & 0x03) << 4];
        out[86] = b'=';
        out[87] = b'=';
        std::str::from_utf8(&out)
            .expect("base64 is ASCII")
            .to_owned()
    }

    /// `sign` with the string to sign built by copying.
    pub fn sign(p: &SigningParams<'_>, secret_key: &str) -> (Vec<u8>, String) {
        let sts = string_to_sign(p);
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("any key length");
        mac.update(&sts);
        let signature = encode(mac);
        (sts, signature)
    }

    /// The same, from an HMAC state keyed once (what the client would keep in its credentials).
    pub fn sign_prekeyed(p: &SigningParams<'_>, keyed: &Hmac<Sha256>) -> (Vec<u8>, String) {
        let sts = string_to_sign(p);
        let mut mac = keyed.clone();
        mac.update(&sts);
        let signature = encode(mac);
        (sts, signature)
    }
}

fn signing<M: Measurement>(c: &mut Criterion<M>) {
    let v = seed_vector();
    let params = SigningParams {
        method: &v.method,
        uri: &v.uri,
        body: v.body.as_bytes(),
        secret_id: &v.secret_id,
        timestamp: v.timestamp,
        nonce: v.nonce,
    };
    // Every case computes the official signature, or the bench would measure the wrong thing.
    let sts = string_to_sign(&params);
    assert_eq!(sts, v.string_to_sign.as_bytes());
    assert_eq!(sign(&params, &v.secret_key).signature, v.signature);
    assert_eq!(hmac_hex_base64(v.secret_key.as_bytes(), &sts), v.signature);
    let prekeyed = Hmac::<Sha256>::new_from_slice(v.secret_key.as_bytes()).expect("any key length");
    let prekeyed_digest: [u8; 32] = {
        let mut mac = prekeyed.clone();
        mac.update(&sts);
        mac.finalize().into_bytes().into()
    };
    assert_eq!(prekeyed_digest, hmac_digest(v.secret_key.as_bytes(), &sts));
    let official = (sts.clone(), v.signature.clone());
    assert_eq!(proposed::sign(&params, &v.secret_key), official);
    assert_eq!(proposed::sign_prekeyed(&params, &prekeyed), official);

    let mut group = c.benchmark_group(format!(
        "{}signing/dismiss-seed-example",
        common::clock_prefix()
    ));
    group.bench_function("sign", |b| {
        b.iter(|| sign(black_box(&params), black_box(&v.secret_key)))
    });
    group.bench_function("hmac", |b| {
        b.iter(|| hmac_digest(black_box(v.secret_key.as_bytes()), black_box(&sts)))
    });
    group.bench_function("hmac_hex_base64", |b| {
        b.iter(|| hmac_hex_base64(black_box(v.secret_key.as_bytes()), black_box(&sts)))
    });
    group.bench_function("string_to_sign", |b| {
        b.iter(|| string_to_sign(black_box(&params)))
    });
    group.bench_function("hmac_prekeyed", |b| {
        b.iter(|| {
            let mut mac = black_box(&prekeyed).clone();
            mac.update(black_box(&sts));
            let digest: [u8; 32] = mac.finalize().into_bytes().into();
            digest
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            verify(
                black_box(&params),
                black_box(&v.secret_key),
                black_box(&v.signature),
            )
        })
    });
    group.bench_function("proposed_string_to_sign", |b| {
        b.iter(|| proposed::string_to_sign(black_box(&params)))
    });
    group.bench_function("proposed_sign", |b| {
        b.iter(|| proposed::sign(black_box(&params), black_box(&v.secret_key)))
    });
    group.bench_function("proposed_sign_prekeyed", |b| {
        b.iter(|| proposed::sign_prekeyed(black_box(&params), black_box(&prekeyed)))
    });
    group.finish();
}

fn main() {
    if common::cpu_clock() {
        let mut c = common::config(Criterion::default().with_measurement(common::ThreadCpuTime))
            .configure_from_args();
        signing(&mut c);
    } else {
        let mut c = common::config(Criterion::default()).configure_from_args();
        signing(&mut c);
    }
    Criterion::default().configure_from_args().final_summary();
}
