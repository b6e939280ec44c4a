//! Errors: [`PlatformError`] for starting the platform, and the HTTP error responses it sends,
//! always `{"error": {"code", "message", "field"}}` (`field` is `null` unless one input field is
//! to blame).

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::{HeaderName, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why the platform could not be configured or started.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The requested version is not one the platform can impersonate.
    #[error("unknown platform version {given:?}: supported versions are {supported}")]
    UnknownVersion {
        /// The version asked for.
        given: String,
        /// The supported versions, comma-separated.
        supported: String,
    },
    /// A fault name is not in [`crate::FAULTS`].
    #[error("unknown fault {given:?}: known faults are {known}")]
    UnknownFault {
        /// The fault asked for.
        given: String,
        /// The known fault names, comma-separated.
        known: String,
    },
    /// The operator token is empty, which would leave the operator endpoints unprotected.
    #[error("the operator token must not be empty")]
    EmptyOperatorToken,
    /// The listening socket could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for (0 = any free port).
        port: u16,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bound socket's address could not be read.
    #[error("cannot read the address of the listening socket: {0}")]
    LocalAddr(#[source] std::io::Error),
}

/// The `WWW-Authenticate` challenge sent with every 401.
const CHALLENGE: &str = r#"Bearer realm="refplatform""#;
const CHALLENGE_INVALID: &str = r#"Bearer realm="refplatform", error="invalid_token""#;

/// An HTTP error response.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<&'static str>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), field: None, headers: Vec::new() }
    }

    /// Blames one input field.
    pub(crate) fn field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// 400: the body is not a JSON object.
    pub(crate) fn malformed_json(detail: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_json", format!("request body must be a JSON object: {detail}"))
    }

    /// 400: a query parameter has a value the endpoint does not accept.
    pub(crate) fn invalid_parameter(name: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_parameter", message).field(name)
    }

    /// 422: a required field is absent.
    pub(crate) fn missing_field(name: &'static str) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "missing_field", format!("{name} is required")).field(name)
    }

    /// 422: a field is present but its value is not acceptable.
    pub(crate) fn invalid_value(name: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", message).field(name)
    }

    /// 401: no credentials were sent.
    pub(crate) fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
            .header(WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE))
    }

    /// 401: the credentials sent are not valid (unknown, revoked, wrong token).
    pub(crate) fn invalid_credentials(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
            .header(WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE_INVALID))
    }

    /// 403: authenticated, but not allowed.
    pub(crate) fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404: no such resource.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409: the resource conflicts with an existing one.
    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 429: try again after `secs` seconds.
    pub(crate) fn too_many_requests(code: &'static str, message: impl Into<String>, secs: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, code, message).header(RETRY_AFTER, HeaderValue::from(secs))
    }

    /// 500: the platform failed.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// 503: temporarily unavailable, try again after `secs` seconds.
    pub(crate) fn unavailable(message: impl Into<String>, secs: u64) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message).header(RETRY_AFTER, HeaderValue::from(secs))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "field": self.field,
            }
        });
        let mut response = (self.status, Json(body)).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}
