//! Shared by the httpmock tests: a recorder of what the mock server received.
//!
//! Each test binary compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, PoisonError};

pub mod scripted;

use httpmock::HttpMockRequest;
use tencent_meeting::signing::{SigningParams, verify};

/// A request as the mock server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    /// A header's value, its name compared case-insensitively as HTTP does.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `X-TC-Nonce`, or 0 when absent.
    pub fn nonce(&self) -> u64 {
        self.header("x-tc-nonce")
            .and_then(|n| n.parse().ok())
            .unwrap_or_default()
    }

    /// Whether the received signature verifies, with `secret_key`, over what was received.
    pub fn signature_verifies(&self, secret_key: &str) -> bool {
        let (Some(key), Some(ts), Some(nonce), Some(sig)) = (
            self.header("x-tc-key"),
            self.header("x-tc-timestamp").and_then(|t| t.parse().ok()),
            self.header("x-tc-nonce").and_then(|n| n.parse().ok()),
            self.header("x-tc-signature"),
        ) else {
            return false;
        };
        verify(
            &SigningParams {
                method: &self.method,
                uri: &self.uri,
                body: &self.body,
                secret_id: key,
                timestamp: ts,
                nonce,
            },
            secret_key,
            sig,
        )
    }
}

/// Every request a recorder saw.
pub type Log = Arc<Mutex<Vec<Received>>>;

/// A matcher that records every request it sees and matches them all.
pub fn recorder(log: &Log) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    let log = Arc::clone(log);
    move |req: &HttpMockRequest| {
        let received = Received {
            method: req.method().to_string(),
            uri: req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_string())
                .unwrap_or_default(),
            headers: req.headers_vec().clone(),
            body: req.body_vec(),
        };
        log.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(received);
        true
    }
}

/// What the recorder saw so far.
pub fn received(log: &Log) -> Vec<Received> {
    log.lock().unwrap_or_else(PoisonError::into_inner).clone()
}
