//! The `generated` path's client: the generated client alone, with a request hook that signs
//! and stamps each request as the raw baseline does (the same key prepared once, the same
//! headers), and nothing of the wrapper (no validation, plan, attempt record, task-local, span
//! or retry). Between `raw` and `dismiss`, it splits the wrapper's cost over a raw call into
//! what the generated client costs and what the wrapper adds to it.

use std::sync::Arc;

use tencent_meeting_openapi::hooks::{HookError, Hooks, RequestHooks};
use tencent_meeting_openapi::meeting_id::MeetingId;
use tencent_meeting_openapi::{Client, Error, types};

use crate::raw_client::{RawSigner, http_client};

/// Signs as `raw_client::RawClient::dismiss` does (the same code), from inside the generated
/// client's hook.
struct Signer(RawSigner);

impl RequestHooks for Signer {
    fn before_send(&self, request: &mut reqwest::Request) -> Result<(), HookError> {
        let body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .unwrap_or_default();
        // The dismiss has no query: the path is what is signed.
        let stamp = self
            .0
            .sign(request.method().as_str(), request.url().path(), body)
            .map_err(HookError)?;
        self.0.put(stamp, request.headers_mut());
        Ok(())
    }
}

/// The generated client with the raw baseline's signer.
pub struct GeneratedClient(Client);

impl GeneratedClient {
    pub fn new(
        base_url: &str,
        app_id: &str,
        secret_id: &str,
        secret_key: &str,
    ) -> Result<Self, String> {
        let signer = Signer(RawSigner::new(app_id, secret_id, secret_key)?);
        Ok(Self(Client::new_with_client(
            base_url,
            http_client()?,
            Hooks::new(Arc::new(signer)),
        )))
    }

    /// The body [`Self::dismiss`] sends, serialised as the generated client does.
    pub fn body(userid: &str) -> Result<Vec<u8>, String> {
        let userid =
            types::DismissMeetingRequestUserid::try_from(userid).map_err(|e| e.to_string())?;
        let body = types::DismissMeetingRequest::try_from(fill(
            types::DismissMeetingRequest::builder(),
            userid,
        ))
        .map_err(|e| e.to_string())?;
        serde_json::to_vec(&body).map_err(|e| e.to_string())
    }

    /// One dismiss through the generated builders, its body filled in place (`body_map`), the
    /// raw baseline's body; an empty 200 (which the generated client fails to decode as JSON)
    /// or `{}` is success, as for the other two paths.
    pub async fn dismiss(&self, meeting_id: &str, userid: &str) -> Result<(), String> {
        let meeting_id = MeetingId::try_from(meeting_id).map_err(|e| e.to_string())?;
        let userid =
            types::DismissMeetingRequestUserid::try_from(userid).map_err(|e| e.to_string())?;
        let sent = self
            .0
            .dismiss_meeting()
            .meeting_id(meeting_id)
            .body_map(|body| fill(body, userid))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(Error::InvalidResponsePayload(bytes, _)) if bytes.trim_ascii().is_empty() => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The raw baseline's body (`force_dismiss_meeting` is the spec's default, 1).
fn fill(
    body: types::builder::DismissMeetingRequest,
    userid: types::DismissMeetingRequestUserid,
) -> types::builder::DismissMeetingRequest {
    body.userid(Some(userid))
        .instanceid(1)
        .reason_code(1)
        .retrieve_code(0)
}
