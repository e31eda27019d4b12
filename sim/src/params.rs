//! Parsing and validating what a caller sends: the dismiss body and the look-up query. Strict,
//! as the service's parameter checks are: unknown fields and wrong types are 190004, with a
//! message naming the field.

use serde_json::{Map, Value};

use crate::api_error::ApiError;

/// The documented device types (`instanceid`).
const INSTANCE_IDS: [i64; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 21, 22, 30, 32, 33];

/// Who the caller says performs the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operator {
    /// The ID.
    pub id: String,
    /// `operator_id_type` (1 userid, 2 open_id, 4 ms_open_id), or `None` for the `userid` form.
    pub id_type: Option<i32>,
}

/// A valid dismiss body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DismissParams {
    pub operator: Operator,
    pub instanceid: i32,
    pub reason_code: i32,
    pub reason_detail: Option<String>,
    /// 1 when absent.
    pub force_dismiss_meeting: i32,
    /// 0 when absent.
    pub retrieve_code: i32,
}

/// A valid look-up query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LookupParams {
    pub operator: Operator,
    pub instanceid: i32,
}

impl DismissParams {
    /// Parses the raw body of a dismiss request.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid("body", "is required: a JSON object"));
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::invalid("body", format!("is not valid JSON ({e})")))?;
        let Value::Object(mut fields) = value else {
            return Err(ApiError::invalid("body", "must be a JSON object"));
        };
        // JSON null counts as absent, as the service's decoder treats it.
        fields.retain(|_, v| !v.is_null());
        const KNOWN: [&str; 8] = [
            "userid",
            "operator_id",
            "operator_id_type",
            "instanceid",
            "reason_code",
            "reason_detail",
            "force_dismiss_meeting",
            "retrieve_code",
        ];
        if let Some(unknown) = fields.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(ApiError::invalid(unknown, "is not a field of this request"));
        }
        let userid = string_field(&fields, "userid")?;
        let operator_id = string_field(&fields, "operator_id")?;
        let operator_id_type = int_field(&fields, "operator_id_type")?;
        let operator = operator(userid, operator_id, operator_id_type)?;
        let instanceid = instance(int_field(&fields, "instanceid")?)?;
        let reason_code = int_field(&fields, "reason_code")?
            .ok_or_else(|| ApiError::invalid("reason_code", "is required (an integer)"))?;
        let reason_code = i32::try_from(reason_code)
            .map_err(|_| ApiError::invalid("reason_code", "must fit in 32 bits"))?;
        let reason_detail = string_field(&fields, "reason_detail")?;
        let force_dismiss_meeting = flag(&fields, "force_dismiss_meeting", 1)?;
        let retrieve_code = flag(&fields, "retrieve_code", 0)?;
        Ok(Self {
            operator,
            instanceid,
            reason_code,
            reason_detail,
            force_dismiss_meeting,
            retrieve_code,
        })
    }
}

impl LookupParams {
    /// Parses the raw (percent-encoded) query of a look-up request.
    pub fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut userid = None;
        let mut operator_id = None;
        let mut operator_id_type = None;
        let mut instanceid = None;
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match key.as_ref() {
                "userid" => &mut userid,
                "operator_id" => &mut operator_id,
                "operator_id_type" => &mut operator_id_type,
                "instanceid" => &mut instanceid,
                other => {
                    return Err(ApiError::invalid(
                        other,
                        "is not a parameter of this request",
                    ));
                }
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(ApiError::invalid(key.as_ref(), "is given more than once"));
            }
        }
        let int = |field: &str, value: Option<String>| -> Result<Option<i64>, ApiError> {
            value
                .map(|v| {
                    v.parse::<i64>().map_err(|_| {
                        ApiError::invalid(field, format!("must be an integer, got {v:?}"))
                    })
                })
                .transpose()
        };
        let operator_id_type = int("operator_id_type", operator_id_type)?;
        let operator = operator(userid, operator_id, operator_id_type)?;
        let instanceid = instance(int("instanceid", instanceid)?)?;
        Ok(Self {
            operator,
            instanceid,
        })
    }
}

/// Exactly one identity: `userid`, or `operator_id` with `operator_id_type` in {1, 2, 4}.
fn operator(
    userid: Option<String>,
    operator_id: Option<String>,
    operator_id_type: Option<i64>,
) -> Result<Operator, ApiError> {
    match (userid, operator_id, operator_id_type) {
        (Some(_), Some(_), _) | (Some(_), None, Some(_)) => Err(ApiError::invalid(
            "userid",
            "give exactly one identity: userid, or operator_id with operator_id_type",
        )),
        (Some(id), None, None) => Ok(Operator {
            id: non_empty("userid", id)?,
            id_type: None,
        }),
        (None, Some(id), Some(kind)) => {
            let kind = match kind {
                1 | 2 | 4 => kind as i32,
                other => {
                    return Err(ApiError::invalid(
                        "operator_id_type",
                        format!("must be 1 (userid), 2 (open_id) or 4 (ms_open_id), got {other}"),
                    ));
                }
            };
            Ok(Operator {
                id: non_empty("operator_id", id)?,
                id_type: Some(kind),
            })
        }
        (None, Some(_), None) => Err(ApiError::invalid(
            "operator_id_type",
            "is required with operator_id",
        )),
        (None, None, Some(_)) => Err(ApiError::invalid(
            "operator_id",
            "is required with operator_id_type",
        )),
        (None, None, None) => Err(ApiError::invalid(
            "userid",
            "an operator is required: userid, or operator_id with operator_id_type",
        )),
    }
}

fn non_empty(field: &str, id: String) -> Result<String, ApiError> {
    if id.trim().is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    Ok(id)
}

fn instance(value: Option<i64>) -> Result<i32, ApiError> {
    match value {
        None => Err(ApiError::invalid(
            "instanceid",
            "is required (a device type)",
        )),
        Some(v) if INSTANCE_IDS.contains(&v) => Ok(v as i32),
        Some(v) => Err(ApiError::invalid(
            "instanceid",
            format!("{v} is not a device type (1-10, 20, 21, 22, 30, 32, 33)"),
        )),
    }
}

fn string_field(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::invalid(
            name,
            format!("must be a string, got {}", type_name(other)),
        )),
    }
}

fn int_field(fields: &Map<String, Value>, name: &str) -> Result<Option<i64>, ApiError> {
    match fields.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) => Ok(Some(v)),
            None => Err(ApiError::invalid(
                name,
                format!("must be an integer, got {n}"),
            )),
        },
        Some(other) => Err(ApiError::invalid(
            name,
            format!("must be an integer, got {}", type_name(other)),
        )),
    }
}

fn flag(fields: &Map<String, Value>, name: &str, default: i32) -> Result<i32, ApiError> {
    match int_field(fields, name)? {
        None => Ok(default),
        Some(v @ (0 | 1)) => Ok(v as i32),
        Some(v) => Err(ApiError::invalid(name, format!("must be 0 or 1, got {v}"))),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_error::codes;

    fn refused(body: &str) -> String {
        match DismissParams::parse(body.as_bytes()) {
            Err(e) => {
                assert_eq!(e.code, codes::INVALID_PARAMETER, "{body}");
                assert_eq!(e.status, 400);
                e.message
            }
            Ok(p) => panic!("{body} was accepted as {p:?}"),
        }
    }

    #[test]
    fn accepts_both_identity_forms_with_defaults() {
        let p = DismissParams::parse(br#"{"userid":"u","instanceid":1,"reason_code":3}"#);
        let p = p.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            p.operator,
            Operator {
                id: "u".into(),
                id_type: None
            }
        );
        assert_eq!((p.force_dismiss_meeting, p.retrieve_code), (1, 0));
        let p = DismissParams::parse(
            br#"{"operator_id":"o","operator_id_type":2,"instanceid":33,"reason_code":-1,"reason_detail":null,"retrieve_code":1,"force_dismiss_meeting":0}"#,
        );
        let p = p.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            p.operator,
            Operator {
                id: "o".into(),
                id_type: Some(2)
            }
        );
        assert_eq!(
            (
                p.instanceid,
                p.reason_code,
                p.retrieve_code,
                p.force_dismiss_meeting
            ),
            (33, -1, 1, 0)
        );
    }

    #[test]
    fn refuses_bad_bodies_naming_the_field() {
        for (body, field) in [
            ("", "body"),
            ("not json", "body"),
            ("[1]", "body"),
            (
                r#"{"userid":"u","instanceid":1,"reason_code":3,"extra":1}"#,
                "extra",
            ),
            (r#"{"instanceid":1,"reason_code":3}"#, "userid"),
            (
                r#"{"userid":"u","operator_id":"o","operator_id_type":1,"instanceid":1,"reason_code":3}"#,
                "userid",
            ),
            (
                r#"{"operator_id":"o","instanceid":1,"reason_code":3}"#,
                "operator_id_type",
            ),
            (
                r#"{"operator_id":"o","operator_id_type":3,"instanceid":1,"reason_code":3}"#,
                "operator_id_type",
            ),
            (
                r#"{"operator_id_type":1,"instanceid":1,"reason_code":3}"#,
                "operator_id",
            ),
            (r#"{"userid":"","instanceid":1,"reason_code":3}"#, "userid"),
            (r#"{"userid":1,"instanceid":1,"reason_code":3}"#, "userid"),
            (
                r#"{"userid":"u","instanceid":11,"reason_code":3}"#,
                "instanceid",
            ),
            (
                r#"{"userid":"u","instanceid":"1","reason_code":3}"#,
                "instanceid",
            ),
            (r#"{"userid":"u","reason_code":3}"#, "instanceid"),
            (r#"{"userid":"u","instanceid":1}"#, "reason_code"),
            (
                r#"{"userid":"u","instanceid":1,"reason_code":1.5}"#,
                "reason_code",
            ),
            (
                r#"{"userid":"u","instanceid":1,"reason_code":99999999999}"#,
                "reason_code",
            ),
            (
                r#"{"userid":"u","instanceid":1,"reason_code":3,"retrieve_code":2}"#,
                "retrieve_code",
            ),
            (
                r#"{"userid":"u","instanceid":1,"reason_code":3,"force_dismiss_meeting":true}"#,
                "force_dismiss_meeting",
            ),
            (
                r#"{"userid":"u","instanceid":1,"reason_code":3,"reason_detail":5}"#,
                "reason_detail",
            ),
        ] {
            let message = refused(body);
            assert!(message.contains(field), "{body}: {message}");
        }
    }

    #[test]
    fn parses_lookup_queries() {
        let p = LookupParams::parse(Some("operator_id=a%2Bb&operator_id_type=1&instanceid=1"));
        let p = p.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            p.operator,
            Operator {
                id: "a+b".into(),
                id_type: Some(1)
            }
        );
        let p = LookupParams::parse(Some("userid=u&instanceid=5"));
        assert_eq!(p.map(|p| p.instanceid).ok(), Some(5));
        for (query, field) in [
            (None, "userid"),
            (Some("userid=u"), "instanceid"),
            (Some("userid=u&instanceid=x"), "instanceid"),
            (Some("userid=u&userid=v&instanceid=1"), "userid"),
            (Some("userid=u&instanceid=1&page=2"), "page"),
            (Some("operator_id=o&instanceid=1"), "operator_id_type"),
        ] {
            match LookupParams::parse(query) {
                Err(e) => assert!(e.message.contains(field), "{query:?}: {}", e.message),
                Ok(p) => panic!("{query:?} accepted as {p:?}"),
            }
        }
    }
}
