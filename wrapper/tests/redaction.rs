//! Secrets never appear in Debug, Display, errors or tracing output.

use std::io::Write;
use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use tencent_meeting::{Client, Credentials, Instance, Operator, RetryPolicy};

const SECRET_KEY: &str = "SECRETKEY-must-never-be-printed";
const TOKEN: &str = "ACCESSTOKEN-must-never-be-printed";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_stay_out_of_traces_errors_and_debug() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500)
                .body(r#"{"error_info":{"error_code":960000,"message":"retry me"}}"#);
        })
        .await;
    let mut seen = Vec::new();
    for credentials in [
        Credentials::enterprise("app", "AKIDpublic", SECRET_KEY).expect("enterprise"),
        Credentials::oauth2(TOKEN, "open-id").expect("oauth"),
    ] {
        let client = Client::builder()
            .base_url(server.base_url())
            .credentials(credentials)
            .retry(RetryPolicy::default().base_delay(std::time::Duration::from_millis(1)))
            .build()
            .expect("client");
        let call = client
            .dismiss_meeting("1")
            .operator(Operator::user_id("open-id"))
            .instance(Instance::Pc)
            .reason_code(1);
        seen.push(format!("{call:?}"));
        let err = call.clone().send().await.expect_err("always 500");
        seen.push(format!(
            "{err} {err:?} {client:?} {:?}",
            client.credentials()
        ));
        let prepared = call.prepare().await.expect("prepared");
        seen.push(format!(
            "{prepared:?} {}",
            prepared.to_curl(|_| "<redacted>".into())
        ));
    }
    let traces = String::from_utf8_lossy(&buffer.0.lock().map(|b| b.clone()).unwrap_or_default())
        .into_owned();
    assert!(
        traces.contains("retrying"),
        "tracing was captured: {traces}"
    );
    assert!(
        traces.contains("api_code=960000") || traces.contains("960000"),
        "{traces}"
    );
    seen.push(traces);
    for text in seen {
        assert!(!text.contains(SECRET_KEY), "secret key leaked: {text}");
        assert!(!text.contains(TOKEN), "access token leaked: {text}");
    }
}
