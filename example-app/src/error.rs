//! Every failed request answers with a JSON body:
//! `{"error": "<code>", "message": "<what went wrong; how to fix it>"}`,
//! plus `"fields"` for validation failures.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a request failed; each variant has one status code.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not JSON, or a query parameter does not parse.
    BadRequest(String),
    /// 400: fields (or the path) hold a control character such as NUL.
    Malformed {
        message: String,
        fields: BTreeMap<&'static str, String>,
    },
    /// 404: no such row, or no such route.
    NotFound(String),
    /// 405: the route exists, the method does not.
    MethodNotAllowed,
    /// 409: a unique column already holds the value.
    Conflict(String),
    /// 413/415 and other rejections of the request as a whole.
    Rejected(StatusCode, String),
    /// 422: well-formed JSON with missing, mistyped or invalid fields.
    Invalid {
        message: String,
        fields: BTreeMap<&'static str, String>,
    },
    /// 500: the database failed; details go to the log, not to the client.
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::NotFound(format!("{what} `{id}` does not exist"))
    }

    /// Maps a database error: unique violations become 409 with `conflict`
    /// as the message, anything else 500.
    pub fn from_db(err: sqlx::Error, conflict: impl FnOnce() -> String) -> ApiError {
        match &err {
            sqlx::Error::Database(e) if e.is_unique_violation() => ApiError::Conflict(conflict()),
            _ => ApiError::Internal(err.into()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> ApiError {
        ApiError::Internal(err.into())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        let text = rejection.body_text();
        match rejection {
            // serde's message names the field: "missing field `name`",
            // "invalid type: string \"x\", expected i64", "unknown field …".
            JsonRejection::JsonDataError(_) => ApiError::Invalid {
                message: text,
                fields: BTreeMap::new(),
            },
            JsonRejection::JsonSyntaxError(_) => ApiError::BadRequest(text),
            other => ApiError::Rejected(other.status(), text),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, fields) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m, None),
            ApiError::Malformed { message, fields } => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                message,
                Some(fields),
            ),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m, None),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not accept that method".to_owned(),
                None,
            ),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m, None),
            ApiError::Rejected(status, m) => {
                let code = match status {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                    StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                    StatusCode::REQUEST_TIMEOUT => "request_timeout",
                    _ => "bad_request",
                };
                (status, code, m, None)
            }
            ApiError::Invalid { message, fields } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
                Some(fields),
            ),
            ApiError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the database request failed; see the server log".to_owned(),
                    None,
                )
            }
        };
        let mut body = json!({ "error": code, "message": message });
        if let Some(fields) = fields.filter(|f| !f.is_empty()) {
            body["fields"] = json!(fields);
        }
        (status, Json(body)).into_response()
    }
}
