//! The HTTP API: routes, handlers, JSON shapes, and the middleware that stamps every response
//! and injects the configured faults.
//!
//! Routes (all JSON; errors are `{"error": {"code", "message", "field"}}`):
//!
//! | route | auth | does |
//! |---|---|---|
//! | `GET /health` | none | `{"status": "ok"}` |
//! | `GET /version` | none | version, build and the feature ids served |
//! | `GET /openapi.json` | none | the OpenAPI 3.1 description of this API at this version (module `openapi`) |
//! | `POST /v1/tenants` | none | self-service sign-up; 201 with the first API key |
//! | `GET /v1/tenants/{id}/status` | none | provisioning status of a sign-up |
//! | `GET /v1/tenant` | key | the caller's tenant |
//! | `GET, POST /v1/keys` | key | list (masked) / create API keys |
//! | `DELETE /v1/keys/{id}` | key | revoke an API key |
//! | `GET /v1/quota` | key | per-plan limits, used and remaining for the current UTC day |
//! | `GET, POST /v1/usage` | key | usage totals / record usage (202) |
//! | `GET /v1/usage/export?format=csv\|json` | key | usage records (2.0.0 and later) |
//! | `GET /v1/plans` | none | the plans and their daily limits (2.0.0 and later) |
//! | `GET /v1/admin/tenants` | operator | list tenants, filters `name`, `plan`, `status` |
//! | `GET /v1/admin/tenants/{id}` | operator | a tenant with its live key count and usage |
//! | `POST /v1/admin/tenants/{id}/suspend`, `.../resume` | operator | suspend / resume a tenant |
//!
//! Every response carries a fresh `X-Request-Id`. In 2.0.0, `/v1/` requests authenticated with
//! `X-Api-Key` get `Deprecation: true` and a `Sunset` date. The routes are listed once, in
//! `endpoints`: the router is built from that list, and the description is tested against it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::handler::Handler;
use axum::http::header::{AUTHORIZATION, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::{API_KEY_HEADER, OperatorAuth, TenantAuth};
use crate::clock::{rfc3339, secs_until_next_period};
use crate::error::ApiError;
use crate::settings::{Settings, Version};
use crate::store::{
    IssuedKey, KeyView, Metric, NewTenant, Plan, Store, StoreError, TenantFilter, TenantStatus, TenantView,
    UsageRecord, UsageView,
};

/// Latency added to every `/v1/` request by the `slow` fault.
pub(crate) const SLOW_DELAY: Duration = Duration::from_millis(1_500);

/// The date after which `X-Api-Key` authentication stops working (announced from 2.0.0).
pub(crate) const KEY_HEADER_SUNSET: &str = "Fri, 01 Jan 2027 00:00:00 GMT";

/// Largest number of units one usage report may carry.
pub(crate) const MAX_UNITS: u64 = 1_000_000_000;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
const SUNSET: HeaderName = HeaderName::from_static("sunset");

/// Shared state of one platform instance.
#[derive(Debug, Clone)]
pub(crate) struct AppState(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    settings: Settings,
    /// The OpenAPI description served at `/openapi.json`, built once.
    openapi: Value,
    store: Mutex<Store>,
    /// `/v1/` requests seen so far; the `flaky` fault fails every third one.
    v1_requests: AtomicU64,
}

impl AppState {
    fn new(settings: Settings) -> AppState {
        let store = Store::new(settings.faults.metering_stuck);
        let openapi = crate::openapi::description(settings.version);
        AppState(Arc::new(Shared { settings, openapi, store: Mutex::new(store), v1_requests: AtomicU64::new(0) }))
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// Locks the store. A panic elsewhere while it was held cannot leave it half-updated (every
    /// mutation is completed before any fallible step), so a poisoned lock is used as is.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.0.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The HTTP methods the platform routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Get,
    Post,
    Delete,
}

impl Verb {
    /// The method's name, upper case.
    #[cfg(test)]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Delete => "DELETE",
        }
    }

    fn to<H, T>(self, handler: H) -> MethodRouter<AppState>
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        match self {
            Verb::Get => get(handler),
            Verb::Post => post(handler),
            Verb::Delete => delete(handler),
        }
    }
}

/// One route: a method on a path template (axum's `{param}` syntax, which is OpenAPI's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) verb: Verb,
    pub(crate) path: &'static str,
}

/// Every route served at `version` with its handler: the one list the router is built from.
fn endpoints(version: Version) -> Vec<(Route, MethodRouter<AppState>)> {
    fn at<H, T>(verb: Verb, path: &'static str, handler: H) -> (Route, MethodRouter<AppState>)
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        (Route { verb, path }, verb.to(handler))
    }
    use Verb::{Delete, Get, Post};
    let mut endpoints = vec![
        at(Get, "/health", health),
        at(Get, "/version", version_info),
        at(Get, "/openapi.json", openapi),
        at(Post, "/v1/tenants", sign_up),
        at(Get, "/v1/tenants/{id}/status", tenant_status),
        at(Get, "/v1/tenant", current_tenant),
        at(Get, "/v1/keys", list_keys),
        at(Post, "/v1/keys", create_key),
        at(Delete, "/v1/keys/{id}", revoke_key),
        at(Get, "/v1/quota", quota),
        at(Get, "/v1/usage", usage),
        at(Post, "/v1/usage", record_usage),
        at(Get, "/v1/admin/tenants", admin_list_tenants),
        at(Get, "/v1/admin/tenants/{id}", admin_tenant),
        at(Post, "/v1/admin/tenants/{id}/suspend", admin_suspend),
        at(Post, "/v1/admin/tenants/{id}/resume", admin_resume),
    ];
    if version.has_usage_export() {
        endpoints.push(at(Get, "/v1/usage/export", export_usage));
    }
    if version.has_plan_catalog() {
        endpoints.push(at(Get, "/v1/plans", plans));
    }
    endpoints
}

/// Every route served at `version`, in the order the router adds them.
#[cfg(test)]
pub(crate) fn routes(version: Version) -> Vec<Route> {
    endpoints(version).into_iter().map(|(route, _)| route).collect()
}

/// Builds the router for validated settings.
pub(crate) fn router(settings: Settings) -> Router {
    let version = settings.version;
    let state = AppState::new(settings);
    let mut routes = Router::new();
    for (route, handler) in endpoints(version) {
        // Two methods on one path merge into one method router.
        routes = routes.route(route.path, handler);
    }
    routes
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .layer(middleware::from_fn_with_state(state.clone(), stamp_response))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// Middleware

/// Whether a request path is under `/v1/`, where the faults apply and `X-Api-Key` is
/// deprecated (the description declares the same).
pub(crate) fn is_v1(path: &str) -> bool {
    path.starts_with("/v1/")
}

/// Adds `X-Request-Id` to every response, and the deprecation headers to `/v1/` requests that
/// authenticate with `X-Api-Key` on versions that deprecate it.
async fn stamp_response(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let legacy_key = state.settings().version.deprecates_key_header()
        && is_v1(request.uri().path())
        && request.headers().contains_key(API_KEY_HEADER)
        && !request.headers().contains_key(AUTHORIZATION);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(id) = HeaderValue::from_str(&Uuid::new_v4().to_string()) {
        headers.insert(REQUEST_ID, id);
    }
    if legacy_key {
        headers.insert(DEPRECATION, HeaderValue::from_static("true"));
        headers.insert(SUNSET, HeaderValue::from_static(KEY_HEADER_SUNSET));
    }
    response
}

/// Applies the `slow` and `flaky` faults to `/v1/` requests.
async fn inject_faults(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_v1(request.uri().path()) {
        return next.run(request).await;
    }
    let faults = state.settings().faults;
    if faults.slow {
        tokio::time::sleep(SLOW_DELAY).await;
    }
    if faults.flaky {
        let n = state.0.v1_requests.fetch_add(1, Ordering::Relaxed);
        if n % 3 == 2 {
            return ApiError::unavailable("the service is temporarily unavailable", 1).into_response();
        }
    }
    next.run(request).await
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

// ---------------------------------------------------------------------------------------------
// Request parsing

/// The fields of a JSON object request body.
struct Fields(Map<String, Value>);

impl Fields {
    fn parse(body: &[u8]) -> Result<Fields, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::malformed_json("the body is empty"));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Fields(map)),
            Ok(other) => Err(ApiError::malformed_json(format!("got {}", json_type(&other)))),
            Err(err) => Err(ApiError::malformed_json(err)),
        }
    }

    fn string(&self, name: &'static str) -> Result<&str, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Err(ApiError::missing_field(name)),
            Some(Value::String(s)) => Ok(s),
            Some(other) => {
                Err(ApiError::invalid_value(name, format!("{name} must be a string, got {}", json_type(other))))
            }
        }
    }

    fn units(&self, name: &'static str) -> Result<u64, ApiError> {
        let invalid = || ApiError::invalid_value(name, format!("{name} must be an integer from 1 to {MAX_UNITS}"));
        match self.0.get(name) {
            None | Some(Value::Null) => Err(ApiError::missing_field(name)),
            Some(Value::Number(n)) => n.as_u64().filter(|u| (1..=MAX_UNITS).contains(u)).ok_or_else(invalid),
            Some(_) => Err(invalid()),
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A tenant name: 3 to 63 lowercase letters, digits and hyphens, starting and ending with a
/// letter or digit (it becomes a DNS label).
fn valid_tenant_name(name: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    (3..=63).contains(&name.len())
        && name.chars().all(|c| alnum(c) || c == '-')
        && name.starts_with(alnum)
        && name.ends_with(alnum)
}

/// A plausible email address: `local@domain.tld`, no whitespace, at most 254 characters.
fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !local.is_empty()
        && !domain.contains('@')
        && domain.split_once('.').is_some_and(|(host, tld)| !host.is_empty() && !tld.is_empty() && !tld.ends_with('.'))
}

/// An id from the path; anything that is not a UUID cannot name an existing resource.
fn parse_id(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(format!("no {what} {raw}")))
}

type Params = HashMap<String, String>;

fn query_params(query: Result<Query<Params>, QueryRejection>) -> Result<Params, ApiError> {
    query
        .map(|Query(p)| p)
        .map_err(|rejection| ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", rejection.body_text()))
}

fn tenant_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("no tenant {id}"))
}

// ---------------------------------------------------------------------------------------------
// JSON shapes

fn tenant_json(tenant: &TenantView) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("id".into(), json!(tenant.id.to_string()));
    map.insert("name".into(), json!(tenant.name));
    map.insert("plan".into(), json!(tenant.plan.as_str()));
    map.insert("admin_email".into(), json!(tenant.admin_email));
    map.insert("status".into(), json!(tenant.status.as_str()));
    map.insert("created_at".into(), json!(rfc3339(tenant.created_at)));
    map
}

fn key_json(key: &KeyView, secret: Option<&str>) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(key.id.to_string()));
    map.insert("name".into(), json!(key.name));
    if let Some(secret) = secret {
        map.insert("key".into(), json!(secret));
    }
    map.insert("masked_key".into(), json!(key.masked_key));
    let status = if key.revoked_at.is_some() { "revoked" } else { "active" };
    map.insert("status".into(), json!(status));
    map.insert("created_at".into(), json!(rfc3339(key.created_at)));
    map.insert("last_used_at".into(), json!(key.last_used_at.map(rfc3339)));
    map.insert("revoked_at".into(), json!(key.revoked_at.map(rfc3339)));
    Value::Object(map)
}

fn totals_json(usage: &UsageView) -> Value {
    let totals: Map<String, Value> =
        usage.totals.iter().map(|(metric, used)| (metric.as_str().to_owned(), json!(used))).collect();
    Value::Object(totals)
}

fn record_json(record: &UsageRecord) -> Value {
    json!({
        "recorded_at": rfc3339(record.recorded_at),
        "metric": record.metric.as_str(),
        "units": record.units,
    })
}

// ---------------------------------------------------------------------------------------------
// Handlers: platform status

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn version_info(State(state): State<AppState>) -> Json<Value> {
    let version = state.settings().version;
    Json(json!({
        "version": version.as_str(),
        "build": format!("refplatform-{}", version.as_str()),
        "api": "v1",
        "features": version.features(),
    }))
}

/// `GET /openapi.json`: the description of this API at this version (faults do not change it:
/// it is the promise, which a fault breaks).
async fn openapi(State(state): State<AppState>) -> Response {
    Json(&state.0.openapi).into_response()
}

// ---------------------------------------------------------------------------------------------
// Handlers: sign-up and tenant

async fn sign_up(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    if state.settings().faults.signup_broken {
        return Err(ApiError::internal("tenant sign-up failed: the provisioning backend did not answer"));
    }
    let fields = Fields::parse(&body)?;
    let name = fields.string("name")?;
    if !valid_tenant_name(name) {
        return Err(ApiError::invalid_value(
            "name",
            "name must be 3 to 63 lowercase letters, digits or hyphens, \
             starting and ending with a letter or digit",
        ));
    }
    let plan = fields.string("plan")?;
    let plan = Plan::parse(plan)
        .ok_or_else(|| ApiError::invalid_value("plan", format!("plan must be one of {}, got {plan:?}", Plan::NAMES)))?;
    let admin_email = fields.string("admin_email")?;
    if !valid_email(admin_email) {
        return Err(ApiError::invalid_value("admin_email", "admin_email must be an email address"));
    }
    let new = NewTenant { name: name.to_owned(), plan, admin_email: admin_email.to_owned() };
    let (tenant, key) = state.store().sign_up(new, SystemTime::now()).map_err(|err| match err {
        StoreError::NameTaken => {
            ApiError::conflict("name_taken", format!("a tenant named {name:?} already exists")).field("name")
        }
        other => ApiError::internal(format!("sign-up failed: {other:?}")),
    })?;
    Ok((StatusCode::CREATED, Json(sign_up_json(&tenant, &key))).into_response())
}

fn sign_up_json(tenant: &TenantView, key: &IssuedKey) -> Value {
    let mut map = tenant_json(tenant);
    map.insert("status_url".into(), json!(format!("/v1/tenants/{}/status", tenant.id)));
    map.insert("api_key".into(), json!(key.secret));
    map.insert("api_key_id".into(), json!(key.view.id.to_string()));
    Value::Object(map)
}

async fn tenant_status(State(state): State<AppState>, Path(raw): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&raw, "tenant")?;
    let tenant = state.store().tenant(id, SystemTime::now()).map_err(|_| tenant_not_found(id))?;
    Ok(Json(json!({ "id": tenant.id.to_string(), "status": tenant.status.as_str() })))
}

async fn current_tenant(
    State(state): State<AppState>,
    TenantAuth(caller): TenantAuth,
) -> Result<Json<Value>, ApiError> {
    let tenant = state.store().tenant(caller.tenant, SystemTime::now()).map_err(|_| tenant_not_found(caller.tenant))?;
    let mut body = tenant_json(&tenant);
    if state.settings().faults.api_drift {
        body = body
            .into_iter()
            .map(|(name, value)| if name == "plan" { ("tier".to_owned(), value) } else { (name, value) })
            .collect();
    }
    Ok(Json(Value::Object(body)))
}

// ---------------------------------------------------------------------------------------------
// Handlers: API keys

async fn list_keys(State(state): State<AppState>, TenantAuth(caller): TenantAuth) -> Result<Json<Value>, ApiError> {
    let keys = state.store().keys(caller.tenant).map_err(|_| tenant_not_found(caller.tenant))?;
    let keys: Vec<Value> = keys.iter().map(|k| key_json(k, None)).collect();
    Ok(Json(json!({ "keys": keys })))
}

async fn create_key(
    State(state): State<AppState>,
    TenantAuth(caller): TenantAuth,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = Fields::parse(&body)?;
    let name = fields.string("name")?.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_value("name", "name must be 1 to 64 printable characters"));
    }
    let issued = state
        .store()
        .create_key(caller.tenant, name.to_owned(), SystemTime::now())
        .map_err(|_| tenant_not_found(caller.tenant))?;
    let body = key_json(&issued.view, Some(&issued.secret));
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn revoke_key(
    State(state): State<AppState>,
    TenantAuth(caller): TenantAuth,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let key_id = parse_id(&raw, "API key")?;
    state
        .store()
        .revoke_key(caller.tenant, key_id, SystemTime::now())
        .map_err(|_| ApiError::not_found(format!("no API key {key_id} for this tenant")))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// Handlers: quotas and usage

async fn quota(State(state): State<AppState>, TenantAuth(caller): TenantAuth) -> Result<Json<Value>, ApiError> {
    let usage = state.store().usage(caller.tenant, SystemTime::now()).map_err(|_| tenant_not_found(caller.tenant))?;
    let quotas: Map<String, Value> = usage
        .totals
        .iter()
        .map(|&(metric, used)| {
            let limit = usage.plan.limit(metric);
            let line = json!({
                "limit": limit,
                "used": used,
                "remaining": limit.saturating_sub(used),
            });
            (metric.as_str().to_owned(), line)
        })
        .collect();
    Ok(Json(json!({
        "plan": usage.plan.as_str(),
        "period_start": rfc3339(usage.period_start),
        "resets_at": rfc3339(usage.resets_at),
        "quotas": quotas,
    })))
}

async fn usage(State(state): State<AppState>, TenantAuth(caller): TenantAuth) -> Result<Json<Value>, ApiError> {
    let usage = state.store().usage(caller.tenant, SystemTime::now()).map_err(|_| tenant_not_found(caller.tenant))?;
    Ok(Json(json!({
        "period_start": rfc3339(usage.period_start),
        "resets_at": rfc3339(usage.resets_at),
        "totals": totals_json(&usage),
    })))
}

async fn record_usage(
    State(state): State<AppState>,
    TenantAuth(caller): TenantAuth,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = Fields::parse(&body)?;
    let metric = fields.string("metric")?;
    let metric = Metric::parse(metric).ok_or_else(|| {
        ApiError::invalid_value("metric", format!("metric must be one of {}, got {metric:?}", Metric::NAMES))
    })?;
    let units = fields.units("units")?;
    let now = SystemTime::now();
    let result = state.store().record_usage(caller.tenant, metric, units, now);
    match result {
        Ok(record) => Ok((StatusCode::ACCEPTED, Json(record_json(&record))).into_response()),
        Err(StoreError::QuotaExceeded { metric, limit, used, requested }) => {
            let message = format!(
                "the {} quota of {limit} units per day would be exceeded: \
                 {used} used, {requested} requested",
                metric.as_str()
            );
            let error = if state.settings().version.throttles_quota_overrun() {
                ApiError::too_many_requests("quota_exceeded", message, secs_until_next_period(now))
            } else {
                ApiError::forbidden("quota_exceeded", message)
            };
            Err(error.field("units"))
        }
        Err(_) => Err(tenant_not_found(caller.tenant)),
    }
}

/// `GET /v1/plans` (2.0): the plans a tenant can sign up for and their daily limits. Public.
async fn plans() -> Json<Value> {
    let plans: Vec<Value> = Plan::ALL
        .into_iter()
        .map(|p| {
            let limits: Map<String, Value> =
                Metric::ALL.iter().map(|m| (m.as_str().to_owned(), json!(p.limit(*m)))).collect();
            json!({ "name": p.as_str(), "limits": limits })
        })
        .collect();
    Json(json!({ "plans": plans }))
}

async fn export_usage(
    State(state): State<AppState>,
    TenantAuth(caller): TenantAuth,
    query: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = query_params(query)?;
    let format = params.get("format").map(String::as_str).unwrap_or("json");
    if format != "json" && format != "csv" {
        return Err(ApiError::invalid_parameter("format", format!("format must be csv or json, got {format:?}")));
    }
    let (usage, records) =
        state.store().usage_records(caller.tenant, SystemTime::now()).map_err(|_| tenant_not_found(caller.tenant))?;
    if format == "json" {
        let records: Vec<Value> = records.iter().map(record_json).collect();
        let body = json!({
            "tenant_id": caller.tenant.to_string(),
            "period_start": rfc3339(usage.period_start),
            "resets_at": rfc3339(usage.resets_at),
            "records": records,
        });
        return Ok(Json(body).into_response());
    }
    let mut csv = String::from("recorded_at,metric,units\n");
    for record in &records {
        // Writing to a String cannot fail.
        let _ = writeln!(csv, "{},{},{}", rfc3339(record.recorded_at), record.metric.as_str(), record.units);
    }
    let disposition = format!("attachment; filename=\"usage-{}.csv\"", caller.tenant);
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Handlers: operator

async fn admin_list_tenants(
    State(state): State<AppState>,
    _: OperatorAuth,
    query: Result<Query<Params>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let params = query_params(query)?;
    let mut filter = TenantFilter { name: params.get("name").cloned(), ..TenantFilter::default() };
    if let Some(plan) = params.get("plan") {
        filter.plan = Some(Plan::parse(plan).ok_or_else(|| {
            ApiError::invalid_parameter("plan", format!("plan must be one of {}, got {plan:?}", Plan::NAMES))
        })?);
    }
    if let Some(status) = params.get("status") {
        filter.status = Some(TenantStatus::parse(status).ok_or_else(|| {
            ApiError::invalid_parameter(
                "status",
                format!("status must be one of {}, got {status:?}", TenantStatus::NAMES),
            )
        })?);
    }
    let tenants = state.store().list_tenants(&filter, SystemTime::now());
    let count = tenants.len();
    let tenants: Vec<Value> = tenants.iter().map(|t| Value::Object(tenant_json(t))).collect();
    Ok(Json(json!({ "tenants": tenants, "count": count })))
}

async fn admin_tenant(
    State(state): State<AppState>,
    _: OperatorAuth,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&raw, "tenant")?;
    let (tenant, live_keys, usage) =
        state.store().tenant_detail(id, SystemTime::now()).map_err(|_| tenant_not_found(id))?;
    let mut map = tenant_json(&tenant);
    map.insert("active_keys".into(), json!(live_keys));
    map.insert("usage".into(), totals_json(&usage));
    Ok(Json(Value::Object(map)))
}

async fn admin_suspend(
    state: State<AppState>,
    auth: OperatorAuth,
    path: Path<String>,
) -> Result<Json<Value>, ApiError> {
    set_suspended(state, auth, path, true)
}

async fn admin_resume(state: State<AppState>, auth: OperatorAuth, path: Path<String>) -> Result<Json<Value>, ApiError> {
    set_suspended(state, auth, path, false)
}

fn set_suspended(
    State(state): State<AppState>,
    _: OperatorAuth,
    Path(raw): Path<String>,
    suspended: bool,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&raw, "tenant")?;
    let tenant = state.store().set_suspended(id, suspended, SystemTime::now()).map_err(|_| tenant_not_found(id))?;
    Ok(Json(Value::Object(tenant_json(&tenant))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_names_are_dns_labels() {
        for ok in ["abc", "acme-2", "a1b", &"x".repeat(63)] {
            assert!(valid_tenant_name(ok), "{ok}");
        }
        for bad in ["ab", "Acme", "-acme", "acme-", "ac me", "acmé", &"x".repeat(64)] {
            assert!(!valid_tenant_name(bad), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        for ok in ["ops@acme.test", "a.b+c@x.y.z"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in ["", "ops", "@acme.test", "ops@acme", "ops@.test", "o ps@acme.test", "a@b@c.d"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn request_bodies_must_be_json_objects() {
        assert!(Fields::parse(b"").is_err());
        assert!(Fields::parse(b"[1]").is_err());
        assert!(Fields::parse(b"{oops").is_err());
        let fields = Fields::parse(br#"{"n": "x", "u": 3, "z": 0, "f": 1.5}"#).unwrap();
        assert_eq!(fields.string("n").unwrap(), "x");
        assert!(fields.string("u").is_err());
        assert!(fields.string("missing").is_err());
        assert_eq!(fields.units("u").unwrap(), 3);
        assert!(fields.units("z").is_err());
        assert!(fields.units("f").is_err());
    }
}
