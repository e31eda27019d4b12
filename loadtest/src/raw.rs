//! The checks that the raw baseline (`raw_client.rs`) really sends the wrapper's request.

use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use tencent_meeting::signing::{SigningParams, sign};
use tencent_meeting::{Client, Credentials};
use tencent_meeting_sim::SimCredentials;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use super::raw_client::{RawClient, RawOutcome};
use super::{OPERATOR, dismiss_call};

/// The headers whose values differ from request to request by design.
const PER_REQUEST: [&str; 3] = ["x-tc-timestamp", "x-tc-nonce", "x-tc-signature"];

/// Checks that the raw baseline sends what the wrapper sends, and returns a one-line account:
///
/// 1. the wrapper's dry run (`prepare`) has the raw body bytes, and its signature is what
///    `signing::sign` computes from its own timestamp and nonce;
/// 2. on the wire (each side sends one dismiss to a listener on 127.0.0.1 that records the
///    bytes and answers 200), the request line, every header name and value in order, and the
///    body are identical, but for the timestamp, nonce and signature values.
pub async fn check_same_request(
    wrapper: &Client,
    creds: &SimCredentials,
    meeting_id: &str,
) -> Result<String> {
    // 1. The dry run.
    let prepared = dismiss_call(wrapper, meeting_id)
        .prepare()
        .await
        .context("the wrapper's dry run")?;
    let body = RawClient::body(OPERATOR).map_err(anyhow::Error::msg)?;
    ensure!(
        prepared.body == body,
        "the raw body {:?} differs from the wrapper's {:?}",
        String::from_utf8_lossy(&body),
        String::from_utf8_lossy(&prepared.body)
    );
    let header = |name: &str| {
        prepared
            .headers
            .iter()
            .find(|h| h.name == name)
            .and_then(|h| h.value.clone())
            .with_context(|| format!("the dry run has no {name} header"))
    };
    let timestamp: u64 = header("x-tc-timestamp")?.parse()?;
    let nonce: u64 = header("x-tc-nonce")?.parse()?;
    let uri = format!("/v1/meetings/{meeting_id}/dismiss");
    let resigned = sign(
        &SigningParams {
            method: "POST",
            uri: &uri,
            body: &body,
            secret_id: &creds.secret_id,
            timestamp,
            nonce,
        },
        &creds.secret_key,
    );
    ensure!(
        prepared.signature.as_deref() == Some(resigned.signature.as_str()),
        "signing::sign does not reproduce the wrapper's signature"
    );

    // 2. The wire.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let capture = tokio::spawn(async move {
        let mut requests = Vec::new();
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().await?;
            let request = read_request(&mut stream).await?;
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await?;
            requests.push(request);
        }
        anyhow::Ok(requests)
    });
    let wrapper_to_capture = Client::builder()
        .base_url(&base_url)
        .credentials(Credentials::enterprise(
            &creds.app_id,
            &creds.secret_id,
            &creds.secret_key,
        )?)
        .build()?;
    dismiss_call(&wrapper_to_capture, meeting_id)
        .send()
        .await
        .context("the wrapper's request to the capture listener")?;
    let raw = raw_client(&base_url, creds)?;
    match raw.dismiss(meeting_id, OPERATOR).await {
        RawOutcome::Ok => {}
        RawOutcome::Status(s, _) => bail!("the capture listener answered {s} to the raw client"),
        RawOutcome::Transport(e) => bail!("the raw request to the capture listener: {e}"),
    }
    let requests = tokio::time::timeout(Duration::from_secs(10), capture)
        .await
        .context("the capture listener did not see both requests")???;
    let [wrapper_bytes, raw_bytes] = <[Vec<u8>; 2]>::try_from(requests)
        .map_err(|_| anyhow::anyhow!("the capture listener saw other than two requests"))?;
    let wrapper_masked = masked(&wrapper_bytes)?;
    let raw_masked = masked(&raw_bytes)?;
    if wrapper_masked != raw_masked {
        bail!(
            "the raw request differs from the wrapper's on the wire:\n--- wrapper\n{}\n--- raw\n{}",
            String::from_utf8_lossy(&wrapper_masked),
            String::from_utf8_lossy(&raw_masked)
        );
    }
    let head = String::from_utf8_lossy(&wrapper_masked);
    let names: Vec<&str> = head
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':').map(|(n, _)| n))
        .collect();
    Ok(format!(
        "same request: body {} bytes identical to the dry run's, signature reproduced by signing::sign; on the wire the request line, {} headers in the same order ({}) and the body are byte-identical, but for the values of {}",
        body.len(),
        names.len(),
        names.join(", "),
        PER_REQUEST.join(", ")
    ))
}

/// Reads one HTTP/1.1 request with a `Content-Length` body (all these have one).
async fn read_request(stream: &mut tokio::net::TcpStream) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        ensure!(n > 0, "the connection closed mid-request");
        bytes.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&bytes, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse())
                .transpose()?
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return Ok(bytes);
            }
        }
        ensure!(bytes.len() < 1 << 20, "the request is too large");
    }
}

/// The request with the per-request header values replaced by `*` (and the capture port, which
/// is the same for both, left as it is).
fn masked(request: &[u8]) -> Result<Vec<u8>> {
    let end = find(request, b"\r\n\r\n").context("no end of head")?;
    let head = std::str::from_utf8(&request[..end]).context("the head is not UTF-8")?;
    let mut out = Vec::with_capacity(request.len());
    for line in head.split("\r\n") {
        let per_request = line.split_once(':').is_some_and(|(name, _)| {
            PER_REQUEST.contains(&name.trim().to_ascii_lowercase().as_str())
        });
        match line.split_once(':') {
            Some((name, _)) if per_request => {
                out.extend_from_slice(format!("{name}: *").as_bytes())
            }
            _ => out.extend_from_slice(line.as_bytes()),
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&request[end + 4..]);
    Ok(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The raw baseline client for `base_url` with the simulator's credentials.
pub fn raw_client(base_url: &str, creds: &SimCredentials) -> Result<RawClient> {
    RawClient::new(base_url, &creds.app_id, &creds.secret_id, &creds.secret_key)
        .map_err(anyhow::Error::msg)
}
