//! Request authentication: tenants present an API key (`Authorization: Bearer <key>`, or the
//! legacy `X-Api-Key: <key>` header), operators present the operator token as a bearer token.
//! Both are axum extractors whose rejection is the platform's JSON error response.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use std::time::SystemTime;

use crate::api::AppState;
use crate::error::ApiError;
use crate::store::{AuthFailure, Caller};

/// The legacy API key header.
pub(crate) const API_KEY_HEADER: &str = "x-api-key";

/// A request authenticated with a live API key of an unsuspended tenant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TenantAuth(pub(crate) Caller);

/// A request authenticated with the operator token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OperatorAuth;

/// The bearer token of the `Authorization` header, if that header is present.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ApiError>> {
    let value = headers.get(AUTHORIZATION)?;
    let malformed = || ApiError::unauthenticated("the Authorization header must be `Bearer <token>`");
    let parsed = value.to_str().ok().and_then(|text| {
        let (scheme, token) = text.trim().split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    });
    Some(parsed.ok_or_else(malformed))
}

/// The API key a tenant request presents: the bearer token, else the `X-Api-Key` header.
fn presented_key(headers: &HeaderMap) -> Result<&str, ApiError> {
    if let Some(token) = bearer(headers) {
        return token;
    }
    match headers.get(API_KEY_HEADER).map(|v| v.to_str().map(str::trim)) {
        Some(Ok(key)) if !key.is_empty() => Ok(key),
        Some(_) => {
            Err(ApiError::invalid_credentials("invalid_api_key", "the X-Api-Key header is empty or not valid text"))
        }
        None => Err(ApiError::unauthenticated("missing API key: send `Authorization: Bearer <api key>`")),
    }
}

/// Compares two secrets without stopping at the first differing byte.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for TenantAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = presented_key(&parts.headers)?;
        match state.store().authenticate(key, SystemTime::now()) {
            Ok(caller) => Ok(TenantAuth(caller)),
            Err(AuthFailure::UnknownKey) => Err(ApiError::invalid_credentials(
                "invalid_api_key",
                "the API key is not valid: it is unknown or has been revoked",
            )),
            Err(AuthFailure::Suspended) => Err(ApiError::forbidden(
                "tenant_suspended",
                "the tenant is suspended: its API keys are refused until an operator resumes it",
            )),
        }
    }
}

impl FromRequestParts<AppState> for OperatorAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).unwrap_or_else(|| {
            Err(ApiError::unauthenticated("missing operator token: send `Authorization: Bearer <operator token>`"))
        })?;
        if same_secret(token, &state.settings().operator_token) {
            Ok(OperatorAuth)
        } else if state.store().is_api_key(token) {
            Err(ApiError::forbidden(
                "operator_only",
                "this endpoint requires the operator token; tenant API keys are not accepted",
            ))
        } else {
            Err(ApiError::invalid_credentials("invalid_token", "the operator token is not valid"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn bearer_wins_over_the_legacy_header() {
        let h = headers(&[("authorization", "Bearer abc"), ("x-api-key", "def")]);
        assert_eq!(presented_key(&h).unwrap(), "abc");
        let h = headers(&[("authorization", "bearer   abc ")]);
        assert_eq!(presented_key(&h).unwrap(), "abc");
        let h = headers(&[("x-api-key", " def ")]);
        assert_eq!(presented_key(&h).unwrap(), "def");
    }

    #[test]
    fn malformed_or_missing_credentials_are_rejected() {
        for h in [
            headers(&[("authorization", "Basic dXNlcjpwYXNz")]),
            headers(&[("authorization", "Bearer")]),
            headers(&[("x-api-key", "  ")]),
            HeaderMap::new(),
        ] {
            assert!(presented_key(&h).is_err(), "{h:?}");
        }
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3creT"));
        assert!(!same_secret("s3cret", "s3cret!"));
    }
}
