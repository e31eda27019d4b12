//! Property tests (error-body parsing has its own, in `src/response/properties.rs`):
//! - whatever goes into the dismiss builder, the result is a request that passes validation and
//!   is sent exactly once, or a `Validation`/`Refused` error with nothing sent, checked against a
//!   real httpmock server and an oracle that restates the rules independently;
//! - `sign` → `verify` round-trips for any request parts, and any single change breaks it.

mod common;

use std::collections::BTreeSet;

use base64::Engine as _;
use common::{Log, Received, received, recorder};
use hmac::{Hmac, Mac};
use httpmock::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tencent_meeting::signing::{SigningParams, sign, string_to_sign, verify};
use tencent_meeting::{
    Client, Credentials, Error, Evidence, Instance, MeetingKind, Operator, Refusal, RetryPolicy,
};

const CASES: u32 = 256;

fn config() -> Config {
    Config {
        cases: CASES,
        // Failures are reported with their minimal input; no regression files are written into
        // the source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The dismiss builder against a real server
// ---------------------------------------------------------------------------------------------

const APP_ID: &str = "200000001";
const SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLEKEY";
const OPEN_ID: &str = "oauth-open-id-EXAMPLE";
const DOCUMENTED_INSTANCES: [i32; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 21, 22, 30, 32, 33];

/// The four identity forms: `userid`, and `operator_id` with type 1, 2 and 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    LegacyUserid,
    OperatorUserid,
    OperatorOpenid,
    OperatorMsOpenid,
}

impl Form {
    fn operator(self, id: &str) -> Operator {
        match self {
            Form::LegacyUserid => Operator::user_id(id),
            Form::OperatorUserid => Operator::operator_user_id(id),
            Form::OperatorOpenid => Operator::open_id(id),
            Form::OperatorMsOpenid => Operator::ms_open_id(id),
        }
    }

    fn operator_id_type(self) -> Option<i64> {
        match self {
            Form::LegacyUserid => None,
            Form::OperatorUserid => Some(1),
            Form::OperatorOpenid => Some(2),
            Form::OperatorMsOpenid => Some(4),
        }
    }

    fn field(self) -> &'static str {
        match self {
            Form::LegacyUserid => "userid",
            _ => "operator_id",
        }
    }
}

/// How the device type is given.
#[derive(Debug, Clone, Copy)]
enum InstanceInput {
    Unset,
    Typed(Instance),
    Raw(i32),
}

/// Everything a caller can put into a dismiss call.
#[derive(Debug, Clone)]
struct DismissCase {
    oauth: bool,
    meeting_id: String,
    operator: Option<(Form, String)>,
    second_operator: Option<(Form, String)>,
    instance: InstanceInput,
    reason_code: Option<i32>,
    reason_detail: Option<String>,
    force: Option<bool>,
    retrieve_code: Option<bool>,
    force_retrieve_code: bool,
    kind: Option<MeetingKind>,
}

fn meeting_id() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[0-9]{1,32}",
        1 => "[0-9]{33,40}",
        1 => Just(String::new()),
        1 => "[ \t]?[0-9]{1,10}[ \t\n]?",
        1 => "[0-9]{1,5}[ \u{a0}\u{3000}][0-9]{1,5}",
        1 => "[0-9٠-٩０-９]{1,10}",
        1 => "[+-][0-9]{1,10}",
        1 => "\\s{1,4}",
        2 => "\\PC{0,40}",
        1 => any::<String>(),
    ]
}

fn operator_id() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9_.@-]{1,64}",
        2 => Just(OPEN_ID.to_string()),
        1 => Just(String::new()),
        // Whitespace beyond ASCII only (no control characters), then any whitespace.
        2 => "[ \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]{1,4}",
        1 => "\\s{1,6}",
        1 => "[ \u{3000}]{0,2}[a-z]{1,8}[ \u{2028}]{0,2}",
        // C0 and DEL, then C1 control characters.
        2 => "[a-z]{0,5}[\\x00-\\x1f\\x7f][a-z]{0,5}",
        2 => "[a-z]{0,3}[\\x{80}-\\x{9f}][a-z]{0,3}",
        1 => "[a-z]{250,262}",
        1 => "[腾讯会议]{250,262}",
        2 => "\\PC{0,300}",
        1 => any::<String>(),
    ]
}

fn form() -> impl Strategy<Value = Form> {
    prop_oneof![
        Just(Form::LegacyUserid),
        Just(Form::OperatorUserid),
        Just(Form::OperatorOpenid),
        Just(Form::OperatorMsOpenid),
    ]
}

fn instance() -> impl Strategy<Value = InstanceInput> {
    prop_oneof![
        4 => prop::sample::select(Instance::ALL).prop_map(InstanceInput::Typed),
        3 => (-3i32..40).prop_map(InstanceInput::Raw),
        2 => any::<i32>().prop_map(InstanceInput::Raw),
        1 => Just(InstanceInput::Unset),
    ]
}

fn reason_detail() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        3 => any::<String>().prop_map(Some),
        2 => "\\PC{0,1500}".prop_map(Some),
        2 => prop::collection::vec(any::<char>(), 1015..1035)
            .prop_map(|chars| Some(chars.into_iter().collect())),
        1 => "[结束会议]{1020,1030}".prop_map(Some),
    ]
}

fn kind() -> impl Strategy<Value = Option<MeetingKind>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(MeetingKind::OneTime)),
        1 => Just(Some(MeetingKind::Quick)),
        2 => prop::option::of(prop_oneof![0u32..3, any::<u32>()])
            .prop_map(|remaining| Some(MeetingKind::recurring(remaining))),
    ]
}

/// An operator the oracle accepts for the credentials' mode (`None`: not given).
fn valid_operator(oauth: bool) -> BoxedStrategy<Option<(Form, String)>> {
    if oauth {
        prop_oneof![
            1 => Just(None),
            3 => prop_oneof![Just(Form::LegacyUserid), Just(Form::OperatorOpenid)]
                .prop_map(|form| Some((form, OPEN_ID.to_string()))),
        ]
        .boxed()
    } else {
        let id = prop_oneof![
            4 => "[A-Za-z0-9_.@-]{1,64}",
            1 => "[\\p{L}\\p{N}]{1,40}",
            1 => "[a-z]{256}",
            1 => "[腾讯会议]{256}",
            1 => " [a-z]{1,8} ",
        ];
        (form(), id).prop_map(Some).boxed()
    }
}

fn valid_instance() -> impl Strategy<Value = InstanceInput> {
    prop_oneof![
        prop::sample::select(Instance::ALL).prop_map(InstanceInput::Typed),
        prop::sample::select(DOCUMENTED_INSTANCES.to_vec()).prop_map(InstanceInput::Raw),
    ]
}

fn valid_reason_detail() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "\\PC{0,200}".prop_map(Some),
        prop::collection::vec(any::<char>(), 1024)
            .prop_map(|chars| Some(chars.into_iter().collect())),
    ]
}

/// Each part is drawn valid four times in five and from anything in one, so that about a third
/// of the cases pass validation and every rule is broken alone as well as together.
fn dismiss_case() -> impl Strategy<Value = DismissCase> {
    any::<bool>().prop_flat_map(|oauth| {
        (
            (
                Just(oauth),
                prop_oneof![
                    3 => "[0-9]{1,31}",
                    1 => "[0-9]{32}",
                    1 => meeting_id(),
                ],
                prop_oneof![
                    4 => valid_operator(oauth),
                    2 => prop::option::weighted(0.9, (form(), operator_id())),
                ],
                prop::option::weighted(0.1, (form(), operator_id())),
                prop_oneof![4 => valid_instance(), 1 => instance()],
            ),
            (
                prop::option::weighted(0.95, any::<i32>()),
                prop_oneof![4 => valid_reason_detail(), 1 => reason_detail()],
                prop::option::of(any::<bool>()),
                prop::option::of(any::<bool>()),
                prop::bool::weighted(0.2),
                kind(),
            ),
        )
            .prop_map(
                |(
                    (oauth, meeting_id, operator, second_operator, instance),
                    (reason_code, reason_detail, force, retrieve_code, force_retrieve_code, kind),
                )| DismissCase {
                    oauth,
                    meeting_id,
                    operator,
                    second_operator,
                    instance,
                    reason_code,
                    reason_detail,
                    force,
                    retrieve_code,
                    force_retrieve_code,
                    kind,
                },
            )
    })
}

impl DismissCase {
    fn builder(&self, client: &Client) -> tencent_meeting::DismissMeeting {
        let mut call = client.dismiss_meeting(self.meeting_id.clone());
        if let Some((form, id)) = &self.operator {
            call = call.operator(form.operator(id));
        }
        if let Some((form, id)) = &self.second_operator {
            call = call.operator(form.operator(id));
        }
        call = match self.instance {
            InstanceInput::Unset => call,
            InstanceInput::Typed(i) => call.instance(i),
            InstanceInput::Raw(code) => call.instance_id(code),
        };
        if let Some(code) = self.reason_code {
            call = call.reason_code(code);
        }
        if let Some(detail) = &self.reason_detail {
            call = call.reason_detail(detail.clone());
        }
        if let Some(force) = self.force {
            call = call.force(force);
        }
        if let Some(retrieve) = self.retrieve_code {
            call = call.retrieve_code(retrieve);
        }
        if self.force_retrieve_code {
            call = call.force_retrieve_code();
        }
        if let Some(kind) = self.kind {
            call = call.kind(kind);
        }
        call
    }
}

/// What the oracle expects of a case.
#[derive(Debug, PartialEq, Eq)]
enum Expected {
    /// Refused before sending; the fields named are those whose rules the input breaks (the
    /// error must name one of them).
    Invalid(BTreeSet<&'static str>),
    /// Valid, but the dismiss page's rule for recurring meetings refuses it.
    Refused,
    /// Valid: sent once, with this body.
    Sent(ExpectedBody),
}

#[derive(Debug, PartialEq, Eq)]
struct ExpectedBody {
    form: Form,
    operator_id: String,
    instanceid: i32,
    reason_code: i32,
    reason_detail: Option<String>,
    force: bool,
    retrieve_code: bool,
    retrieve_code_overridden: bool,
}

/// The rules, restated from the documentation rather than from the wrapper's code.
fn oracle(case: &DismissCase) -> Expected {
    let mut broken = BTreeSet::new();

    // Meeting ID: 1 to 32 ASCII decimal digits.
    let id = &case.meeting_id;
    if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_digit()) {
        broken.insert("meeting_id");
    }

    // Exactly one identity (the same one given twice is one); with OAuth2.0 credentials it
    // defaults to the open id.
    let given: Vec<&(Form, String)> = [&case.operator, &case.second_operator]
        .into_iter()
        .flatten()
        .collect();
    let operator = match given.as_slice() {
        [a, b] if a != b => {
            broken.insert("operator");
            None
        }
        [a, ..] => Some((*a).clone()),
        [] if case.oauth => Some((Form::OperatorOpenid, OPEN_ID.to_string())),
        [] => {
            broken.insert("operator");
            None
        }
    };

    // Operator ID: not blank, no control characters, at most 256 characters; with OAuth2.0
    // credentials, the open id itself (in the userid or open_id form).
    if let Some((form, op_id)) = &operator {
        let blank = op_id.chars().all(char::is_whitespace);
        let control = op_id
            .chars()
            .any(|c| matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'));
        if blank || control || op_id.chars().count() > 256 {
            broken.insert(form.field());
        }
        if case.oauth
            && !(matches!(form, Form::LegacyUserid | Form::OperatorOpenid) && op_id == OPEN_ID)
        {
            broken.insert(form.field());
        }
    }

    // Device type: set, and one of the 16 documented codes.
    let instanceid = match case.instance {
        InstanceInput::Unset => None,
        InstanceInput::Typed(i) => Some(i32::from(i)),
        InstanceInput::Raw(code) => Some(code),
    };
    let instanceid = instanceid.filter(|code| DOCUMENTED_INSTANCES.contains(code));
    if instanceid.is_none() {
        broken.insert("instanceid");
    }

    // Reason: a code is required; the detail is at most 1024 characters.
    if case.reason_code.is_none() {
        broken.insert("reason_code");
    }
    if case
        .reason_detail
        .as_ref()
        .is_some_and(|d| d.chars().count() > 1024)
    {
        broken.insert("reason_detail");
    }

    if !broken.is_empty() {
        return Expected::Invalid(broken);
    }
    let (Some((form, operator_id)), Some(instanceid), Some(reason_code)) =
        (operator, instanceid, case.reason_code)
    else {
        unreachable!("every missing part is a broken rule");
    };

    // force_retrieve_code() is called after retrieve_code(), so it wins.
    let retrieve = case.force_retrieve_code || case.retrieve_code.unwrap_or(false);
    let (retrieve_code, retrieve_code_overridden) = match case.kind {
        // A quick meeting's code is always reclaimed.
        Some(MeetingKind::Quick) => (true, !retrieve),
        // Reclaiming a recurring meeting's code with sub-meetings to come (or an unknown number
        // of them) needs the explicit force.
        Some(MeetingKind::Recurring {
            remaining_sub_meetings,
            ..
        }) if remaining_sub_meetings != Some(0) && retrieve && !case.force_retrieve_code => {
            return Expected::Refused;
        }
        _ => (retrieve, false),
    };
    Expected::Sent(ExpectedBody {
        form,
        operator_id,
        instanceid,
        reason_code,
        reason_detail: case.reason_detail.clone(),
        force: case.force.unwrap_or(true),
        retrieve_code,
        retrieve_code_overridden,
    })
}

fn last_received(log: &Log) -> Option<Received> {
    received(log).pop()
}

/// Checks the request the server received against the oracle's body.
fn check_sent(
    case: &DismissCase,
    expected: &ExpectedBody,
    received: &Received,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(received.method.as_str(), "POST");
    prop_assert_eq!(
        &received.uri,
        &format!("/v1/meetings/{}/dismiss", case.meeting_id)
    );
    let body: Value = match serde_json::from_slice(&received.body) {
        Ok(body) => body,
        Err(e) => return Err(TestCaseError::fail(format!("body is not JSON: {e}"))),
    };
    let mut want = json!({
        "instanceid": expected.instanceid,
        "reason_code": expected.reason_code,
        "force_dismiss_meeting": i32::from(expected.force),
        "retrieve_code": i32::from(expected.retrieve_code),
    });
    let fields = want.as_object_mut().expect("an object");
    match expected.form.operator_id_type() {
        None => {
            fields.insert("userid".into(), json!(expected.operator_id));
        }
        Some(t) => {
            fields.insert("operator_id".into(), json!(expected.operator_id));
            fields.insert("operator_id_type".into(), json!(t));
        }
    }
    if let Some(detail) = &expected.reason_detail {
        fields.insert("reason_detail".into(), json!(detail));
    }
    prop_assert_eq!(body, want);
    if case.oauth {
        prop_assert_eq!(received.header("openid"), Some(OPEN_ID));
        prop_assert!(received.header("accesstoken").is_some());
        prop_assert!(received.header("x-tc-signature").is_none());
    } else {
        prop_assert_eq!(received.header("appid"), Some(APP_ID));
        prop_assert!(
            received.signature_verifies(SECRET_KEY),
            "the signature does not verify over what arrived"
        );
    }
    Ok(())
}

fn field_of(error: &Error) -> Option<&'static str> {
    match error {
        Error::Validation(v) => Some(v.field()),
        _ => None,
    }
}

#[test]
fn dismiss_builder_sends_exactly_the_valid_requests() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let log = Log::default();
    let server = runtime.block_on(MockServer::start_async());
    let mock = runtime.block_on(server.mock_async(|when, then| {
        when.any_request().is_true(recorder(&log));
        then.status(200);
    }));
    let client = |credentials: Credentials| {
        Client::builder()
            .base_url(server.base_url())
            .credentials(credentials)
            .retry(RetryPolicy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .expect("client")
    };
    let enterprise =
        client(Credentials::enterprise(APP_ID, SECRET_ID, SECRET_KEY).expect("credentials"));
    let oauth = client(Credentials::oauth2("ACCESS-TOKEN-EXAMPLE", OPEN_ID).expect("credentials"));

    let mut runner = TestRunner::new(config());
    let outcome = runner.run(&dismiss_case(), |case| {
        let client = if case.oauth { &oauth } else { &enterprise };
        let expected = oracle(&case);
        runtime.block_on(async {
            // A dry run validates the same way and never sends.
            let before = mock.calls_async().await;
            let prepared = case.builder(client).prepare().await;
            prop_assert_eq!(mock.calls_async().await, before, "prepare() sent a request");
            prop_assert_eq!(
                prepared.is_ok(),
                matches!(expected, Expected::Sent(_)),
                "prepare: {:?}",
                prepared
            );

            let result = case.builder(client).send().await;
            let after = mock.calls_async().await;
            match (&expected, &result) {
                (Expected::Invalid(fields), Err(error @ Error::Validation(_))) => {
                    prop_assert_eq!(after, before, "an invalid request was sent");
                    let field = field_of(error).unwrap_or_default();
                    prop_assert!(
                        fields.contains(field),
                        "error names {field}, oracle found {fields:?}"
                    );
                }
                (
                    Expected::Refused,
                    Err(Error::Refused(Refusal::SubMeetingsRemain { remaining, .. })),
                ) => {
                    prop_assert_eq!(after, before, "a refused request was sent");
                    let expected_remaining = match case.kind {
                        Some(MeetingKind::Recurring {
                            remaining_sub_meetings,
                            ..
                        }) => remaining_sub_meetings,
                        _ => Some(0),
                    };
                    prop_assert_eq!(*remaining, expected_remaining);
                }
                (Expected::Sent(body), Ok(dismissed)) => {
                    prop_assert_eq!(
                        after,
                        before + 1,
                        "a valid request must arrive exactly once"
                    );
                    prop_assert_eq!(dismissed.meeting_id(), case.meeting_id.as_str());
                    prop_assert_eq!(dismissed.kind(), case.kind);
                    prop_assert_eq!(dismissed.retrieve_code(), body.retrieve_code);
                    prop_assert_eq!(
                        dismissed.retrieve_code_overridden(),
                        body.retrieve_code_overridden
                    );
                    prop_assert_eq!(dismissed.attempts(), 1);
                    prop_assert!(
                        matches!(dismissed.evidence(), Evidence::Answered { status: 200, .. }),
                        "{:?}",
                        dismissed.evidence()
                    );
                    let Some(received) = last_received(&log) else {
                        return Err(TestCaseError::fail("the server recorded nothing"));
                    };
                    check_sent(&case, body, &received)?;
                }
                (expected, result) => {
                    prop_assert!(
                        false,
                        "oracle expects {expected:?}, got {result:?} ({before} -> {after} calls)"
                    );
                }
            }
            Ok(())
        })
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

/// Percent-encodes everything but RFC 3986's unreserved characters and `=`/`&`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'=' | b'&') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]).prop_map(String::from),
        "[A-Z]{1,10}",
    ]
}

fn uri() -> impl Strategy<Value = String> {
    let path = prop_oneof![
        "/v1/meetings/[0-9]{1,32}(/dismiss)?",
        "/[!-~]{0,40}",
        "\\PC{0,40}",
    ];
    let query = prop_oneof![
        Just(None),
        any::<String>().prop_map(|q| Some(percent_encode(&q))),
        any::<String>().prop_map(Some),
        "operator_id=[a-z]{1,10}&operator_id_type=[124]&instanceid=[0-9]{1,2}".prop_map(Some),
    ];
    (path, query).prop_map(|(path, query)| match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9]{32,40}", any::<String>(), "\\PC{60,80}",]
}

/// The 64-byte block HMAC-SHA256 actually keys with: the key zero-padded, or its SHA-256 when
/// longer than a block. Two keys with the same block are the same HMAC key (e.g. `k` and
/// `k\0`), so "a different key" means a different block.
fn hmac_key_block(key: &str) -> [u8; 64] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key.as_bytes()));
    } else {
        block[..key.len()].copy_from_slice(key.as_bytes());
    }
    block
}

/// `base64(lowercase_hex(HMAC-SHA256(key, message)))`, from the crates directly.
fn reference_signature(key: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(message);
    let hex_digest = hex::encode(mac.finalize().into_bytes());
    base64::engine::general_purpose::STANDARD.encode(hex_digest)
}

#[derive(Debug, Clone)]
struct SignCase {
    method: String,
    uri: String,
    body: Vec<u8>,
    secret_id: String,
    timestamp: u64,
    nonce: u64,
    key: String,
}

impl SignCase {
    fn params(&self) -> SigningParams<'_> {
        SigningParams {
            method: &self.method,
            uri: &self.uri,
            body: &self.body,
            secret_id: &self.secret_id,
            timestamp: self.timestamp,
            nonce: self.nonce,
        }
    }
}

fn sign_case() -> impl Strategy<Value = SignCase> {
    (
        method(),
        uri(),
        prop::collection::vec(any::<u8>(), 0..2048),
        prop_oneof!["[!-~]{1,40}", any::<String>()],
        any::<u64>(),
        any::<u64>(),
        key(),
    )
        .prop_map(
            |(method, uri, body, secret_id, timestamp, nonce, key)| SignCase {
                method,
                uri,
                body,
                secret_id,
                timestamp,
                nonce,
                key,
            },
        )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sign_then_verify_round_trips(case in sign_case()) {
        let params = case.params();
        let signed = sign(&params, &case.key);
        prop_assert!(verify(&params, &case.key, &signed.signature));

        // The string to sign and the signature, recomputed independently.
        let mut expected = format!(
            "{}\nX-TC-Key={}&X-TC-Nonce={}&X-TC-Timestamp={}\n{}\n",
            case.method, case.secret_id, case.nonce, case.timestamp, case.uri
        )
        .into_bytes();
        expected.extend_from_slice(&case.body);
        prop_assert_eq!(&signed.string_to_sign, &expected);
        prop_assert_eq!(string_to_sign(&params), expected);
        prop_assert_eq!(signed.signature.len(), 88);
        prop_assert_eq!(&signed.signature, &reference_signature(&case.key, &signed.string_to_sign));
        // Signing is a pure function.
        prop_assert_eq!(sign(&params, &case.key), signed);
    }

    #[test]
    fn verify_fails_when_any_single_input_changes(
        case in sign_case(),
        flip_at in any::<prop::sample::Index>(),
        flip_bits in 1u8..=255,
        extra in "[!-~]",
        other_key in key(),
        sig_at in any::<prop::sample::Index>(),
    ) {
        let params = case.params();
        let signature = sign(&params, &case.key).signature;

        // A body byte flipped (or, for an empty body, one byte added).
        let mut body = case.body.clone();
        if body.is_empty() {
            body.push(flip_bits);
        } else {
            let i = flip_at.index(body.len());
            body[i] ^= flip_bits;
        }
        prop_assert!(!verify(&SigningParams { body: &body, ..params }, &case.key, &signature), "body changed");

        prop_assert!(!verify(&SigningParams { nonce: case.nonce.wrapping_add(1), ..params }, &case.key, &signature), "nonce + 1");
        prop_assert!(!verify(&SigningParams { timestamp: case.timestamp.wrapping_add(1), ..params }, &case.key, &signature), "timestamp + 1");

        let uri = format!("{}{extra}", case.uri);
        prop_assert!(!verify(&SigningParams { uri: &uri, ..params }, &case.key, &signature), "uri changed");
        let method = format!("{}{extra}", case.method);
        prop_assert!(!verify(&SigningParams { method: &method, ..params }, &case.key, &signature), "method changed");
        let secret_id = format!("{}{extra}", case.secret_id);
        prop_assert!(!verify(&SigningParams { secret_id: &secret_id, ..params }, &case.key, &signature), "secret_id changed");

        // A different key: one more visible character, or any key HMAC tells apart.
        let longer_key = format!("{}{extra}", case.key);
        prop_assert!(!verify(&params, &longer_key, &signature), "key with a character appended");
        if hmac_key_block(&other_key) != hmac_key_block(&case.key) {
            prop_assert!(!verify(&params, &other_key, &signature), "a different key");
        }

        // The signature itself changed in one place, or cut short.
        let mut tampered = signature.clone().into_bytes();
        let i = sig_at.index(tampered.len());
        tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("base64 is ASCII");
        prop_assert!(!verify(&params, &case.key, &tampered), "signature changed");
        prop_assert!(!verify(&params, &case.key, &signature[..87]), "signature cut short");
        prop_assert!(!verify(&params, &case.key, ""), "empty signature");
    }
}
