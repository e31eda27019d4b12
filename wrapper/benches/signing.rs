//! Signing one dismiss request against its floor, a bare HMAC-SHA256 over the same string to sign.
//!
//! The goal: `signing::sign` within 1.2× the bare HMAC. Cases, all over the official
//! vector "dismiss-seed-example":
//! - `sign`: the crate's one-shot function (keys the HMAC, builds the string to sign, then HMAC,
//!   hex, base64);
//! - `hmac`: the floor: keyed HMAC-SHA256 over the precomputed string to sign, digest only;
//! - `hmac_hex_base64`: the floor plus the encoding the service wants, still over the
//!   precomputed string (so `sign` minus this is the cost of building the string to sign);
//! - `string_to_sign`: building the string to sign alone;
//! - `hmac_prekeyed`: HMAC from a keyed state computed once and cloned, to show what caching the
//!   key's inner/outer pads per client would save;
//! - `verify`: the server-side check (a `sign` plus a constant-time compare);
//! - `sign_with`: what the client runs per request: `sign` with the key's HMAC state prepared
//!   once per client ([`SigningKey`]), compared with `hmac_prekeyed`, the floor it can reach.
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
use tencent_meeting::signing::{
    SigningKey, SigningParams, sign, sign_with, string_to_sign, verify,
};

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
    let signing_key = SigningKey::new(&v.secret_key);
    assert_eq!(sign_with(&params, &signing_key).signature, v.signature);

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
    group.bench_function("sign_with", |b| {
        b.iter(|| sign_with(black_box(&params), black_box(&signing_key)))
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
