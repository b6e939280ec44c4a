//! The platform's OpenAPI 3.1 description of itself, served at `GET /openapi.json`: every route
//! of [`crate::api`] at one version, its request bodies and parameters, every status it really
//! answers (errors included, with the error body's schema and codes), the headers the middleware
//! and the handlers add, the security schemes, and response schemas whose `required` lists and
//! `additionalProperties: false` make a renamed or added field a violation.
//!
//! The document is built from shared component schemas plus the differences between versions,
//! each read from the [`Version`] predicate the handlers use. Faults never change it.
//! Operations name their catalog feature (`features/catalog.toml`) with a tag equal to the
//! feature id or, for the platform and operator endpoints, with `x-certify-feature`.

use serde_json::{Map, Value, json};

use crate::api::{KEY_HEADER_SUNSET, MAX_UNITS, is_v1};
use crate::settings::Version;
use crate::store::{KEY_PREFIX, Metric, Plan, TenantStatus};

/// The description at `version`.
pub(crate) fn description(version: Version) -> Value {
    let mut paths = Map::new();
    for (method, path, mut operation) in operations(version) {
        stamp_responses(version, path, &mut operation);
        let item = paths.entry(path).or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(method.to_owned(), operation);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "certify reference platform",
            "version": version.as_str(),
            "description": "A small managed-service API: tenant sign-up, API keys, quotas, usage metering and \
                export, operator administration. Every response carries `X-Request-Id`; errors are \
                `{\"error\": {\"code\", \"message\", \"field\"}}`.",
        },
        "tags": tags(version),
        "paths": paths,
        "components": {
            "schemas": schemas(version),
            "headers": headers(),
            "parameters": {
                "Id": {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "description": "A UUID; anything else names nothing and is answered 404.",
                    "schema": {"type": "string", "format": "uuid"},
                },
            },
            "securitySchemes": security_schemes(version),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Features and tags

const PLATFORM_STATUS: &str = "platform-status";
const TENANT_SIGNUP: &str = "tenant-signup";
const API_KEYS: &str = "api-keys";
const QUOTAS: &str = "quotas";
const USAGE_METERING: &str = "usage-metering";
const USAGE_EXPORT: &str = "usage-export";
const PLAN_CATALOG: &str = "plan-catalog";
const OPERATOR_ADMIN: &str = "operator-admin";

/// Tags equal to a feature id link their operations to it; `platform` and `operator` only
/// group, those operations name their feature with `x-certify-feature`.
fn tags(version: Version) -> Value {
    let mut tags = vec![
        json!({"name": "platform", "description": "Health, version and this description; no credentials."}),
        json!({"name": TENANT_SIGNUP, "description": "Self-service tenant sign-up."}),
        json!({"name": API_KEYS, "description": "API keys and bearer authentication."}),
        json!({"name": QUOTAS, "description": "Per-plan daily quotas."}),
        json!({"name": USAGE_METERING, "description": "Usage reports and daily totals."}),
    ];
    if version.has_usage_export() {
        tags.push(json!({"name": USAGE_EXPORT, "description": "The day's usage records as JSON or CSV."}));
    }
    if version.has_plan_catalog() {
        tags.push(json!({"name": PLAN_CATALOG, "description": "The public plan catalog."}));
    }
    tags.push(json!({"name": "operator", "description": "Operator administration, with the operator token."}));
    Value::Array(tags)
}

// ---------------------------------------------------------------------------------------------
// Operations

/// Every operation at `version`: method (lower case), path template, Operation Object.
fn operations(version: Version) -> Vec<(&'static str, &'static str, Value)> {
    let public = json!([]);
    let tenant = json!([{"bearerApiKey": []}, {"legacyApiKeyHeader": []}]);
    let operator = json!([{"operatorToken": []}]);
    let id = json!([{"$ref": "#/components/parameters/Id"}]);

    let mut ops = vec![
        (
            "get",
            "/health",
            json!({
                "operationId": "health",
                "summary": "Whether the platform is up",
                "tags": ["platform"],
                "x-certify-feature": PLATFORM_STATUS,
                "security": public,
                "responses": {"200": ok("It is up.", "Health")},
            }),
        ),
        (
            "get",
            "/version",
            json!({
                "operationId": "version",
                "summary": "The release, its build and the feature ids it serves",
                "tags": ["platform"],
                "x-certify-feature": PLATFORM_STATUS,
                "security": public,
                "responses": {"200": ok("The release.", "VersionInfo")},
            }),
        ),
        (
            "get",
            "/openapi.json",
            json!({
                "operationId": "openapi",
                "summary": "This description of the API at the release",
                "tags": ["platform"],
                "x-certify-feature": PLATFORM_STATUS,
                "security": public,
                "responses": {"200": ok("The OpenAPI 3.1 description.", "Description")},
            }),
        ),
        (
            "post",
            "/v1/tenants",
            json!({
                "operationId": "signUp",
                "summary": "Sign up a tenant; its first API key is shown only here",
                "tags": [TENANT_SIGNUP],
                "security": public,
                "requestBody": request_body("SignUpRequest"),
                "responses": {
                    "201": ok("The tenant, provisioning, with its first API key.", "SignedUpTenant"),
                    "400": malformed_json(),
                    "409": error("The name is taken.", &["name_taken"]),
                    "422": unprocessable(),
                    "500": error("Provisioning failed.", &["internal"]),
                },
            }),
        ),
        (
            "get",
            "/v1/tenants/{id}/status",
            json!({
                "operationId": "signUpStatus",
                "summary": "The provisioning status of a sign-up",
                "tags": [TENANT_SIGNUP],
                "security": public,
                "parameters": id,
                "responses": {
                    "200": ok("Its status.", "TenantStatusView"),
                    "404": not_found("No such tenant."),
                },
            }),
        ),
        (
            "get",
            "/v1/tenant",
            json!({
                "operationId": "currentTenant",
                "summary": "The caller's tenant",
                "tags": [API_KEYS],
                "security": tenant,
                "responses": with_tenant_auth(json!({"200": ok("The tenant.", "Tenant")})),
            }),
        ),
        (
            "get",
            "/v1/keys",
            json!({
                "operationId": "listKeys",
                "summary": "The tenant's API keys, revoked ones included, oldest first, masked",
                "tags": [API_KEYS],
                "security": tenant,
                "responses": with_tenant_auth(json!({"200": ok("The keys.", "KeyList")})),
            }),
        ),
        (
            "post",
            "/v1/keys",
            json!({
                "operationId": "createKey",
                "summary": "Create an API key; its secret is shown only here",
                "tags": [API_KEYS],
                "security": tenant,
                "requestBody": request_body("NewKeyRequest"),
                "responses": with_tenant_auth(json!({
                    "201": ok("The new key with its secret.", "NewKey"),
                    "400": malformed_json(),
                    "422": unprocessable(),
                })),
            }),
        ),
        (
            "delete",
            "/v1/keys/{id}",
            json!({
                "operationId": "revokeKey",
                "summary": "Revoke one of the tenant's API keys (again is accepted)",
                "tags": [API_KEYS],
                "security": tenant,
                "parameters": id,
                "responses": with_tenant_auth(json!({
                    "204": {"description": "Revoked."},
                    "404": not_found("The tenant has no such key."),
                })),
            }),
        ),
        (
            "get",
            "/v1/quota",
            json!({
                "operationId": "quota",
                "summary": "Per-plan limits, used and remaining units for the current UTC day",
                "tags": [QUOTAS],
                "security": tenant,
                "responses": with_tenant_auth(json!({"200": ok("The quotas.", "Quota")})),
            }),
        ),
        (
            "get",
            "/v1/usage",
            json!({
                "operationId": "usage",
                "summary": "The day's usage totals",
                "tags": [USAGE_METERING],
                "security": tenant,
                "responses": with_tenant_auth(json!({"200": ok("The totals.", "Usage")})),
            }),
        ),
        ("post", "/v1/usage", record_usage(version, &tenant)),
        (
            "get",
            "/v1/admin/tenants",
            json!({
                "operationId": "adminListTenants",
                "summary": "Tenants in sign-up order, filtered",
                "tags": ["operator"],
                "x-certify-feature": OPERATOR_ADMIN,
                "security": operator,
                "parameters": [
                    {"name": "name", "in": "query", "description": "Exactly this name.", "schema": {"type": "string"}},
                    {"name": "plan", "in": "query", "schema": {"$ref": "#/components/schemas/PlanName"}},
                    {"name": "status", "in": "query", "schema": {"$ref": "#/components/schemas/TenantStatus"}},
                ],
                "responses": with_operator_auth(json!({
                    "200": ok("The tenants.", "TenantList"),
                    "400": error("A filter has a value the endpoint does not accept.", &["invalid_parameter"]),
                })),
            }),
        ),
        (
            "get",
            "/v1/admin/tenants/{id}",
            json!({
                "operationId": "adminTenant",
                "summary": "A tenant with its live key count and the day's usage",
                "tags": ["operator"],
                "x-certify-feature": OPERATOR_ADMIN,
                "security": operator,
                "parameters": id,
                "responses": with_operator_auth(json!({
                    "200": ok("The tenant.", "TenantDetail"),
                    "404": not_found("No such tenant."),
                })),
            }),
        ),
    ];
    for (action, operation_id, summary) in [
        ("suspend", "adminSuspend", "Suspend a tenant: its API keys are refused with 403 (again is accepted)"),
        ("resume", "adminResume", "Resume a suspended tenant (again is accepted)"),
    ] {
        let path = if action == "suspend" { "/v1/admin/tenants/{id}/suspend" } else { "/v1/admin/tenants/{id}/resume" };
        ops.push((
            "post",
            path,
            json!({
                "operationId": operation_id,
                "summary": summary,
                "tags": ["operator"],
                "x-certify-feature": OPERATOR_ADMIN,
                "security": operator,
                "parameters": id,
                "responses": with_operator_auth(json!({
                    "200": ok("The tenant as it is now.", "Tenant"),
                    "404": not_found("No such tenant."),
                })),
            }),
        ));
    }
    if version.has_usage_export() {
        ops.push((
            "get",
            "/v1/usage/export",
            json!({
                "operationId": "exportUsage",
                "summary": "The day's usage records, oldest first",
                "tags": [USAGE_EXPORT],
                "security": tenant,
                "parameters": [{
                    "name": "format",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
                }],
                "responses": with_tenant_auth(json!({
                    "200": {
                        "description": "The records, as JSON or (`format=csv`) as a CSV attachment.",
                        "headers": {
                            "Content-Disposition": {
                                "description": "With CSV: `attachment; filename=\"usage-<tenant id>.csv\"`.",
                                "schema": {"type": "string", "pattern": "^attachment; filename=\"usage-[0-9a-f-]{36}\\.csv\"$"},
                            },
                        },
                        "content": {
                            "application/json": {"schema": schema_ref("UsageExport")},
                            "text/csv": {
                                "schema": {
                                    "type": "string",
                                    "description": "A `recorded_at,metric,units` header line, then one line per record.",
                                },
                            },
                        },
                    },
                    "400": error("The format is neither csv nor json.", &["invalid_parameter"]),
                })),
            }),
        ));
    }
    if version.has_plan_catalog() {
        ops.push((
            "get",
            "/v1/plans",
            json!({
                "operationId": "plans",
                "summary": "The plans a tenant can sign up for and their daily limits",
                "tags": [PLAN_CATALOG],
                "security": public,
                "responses": {"200": ok("The plans.", "PlanCatalog")},
            }),
        ));
    }
    ops
}

/// `POST /v1/usage`: a quota overrun is 403 before 2.0 and 429 with `Retry-After` from 2.0.
fn record_usage(version: Version, security: &Value) -> Value {
    let mut responses = json!({
        "202": ok("The report, recorded.", "UsageRecord"),
        "400": malformed_json(),
        "422": unprocessable(),
    });
    let overrun = "The report would take the tenant over its plan's daily limit; nothing is recorded.";
    let forbidden = if version.throttles_quota_overrun() {
        responses["429"] = json!({
            "description": format!("{overrun} Try again when the quota resets."),
            "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
            "content": error_content(&["quota_exceeded"]),
        });
        error("The tenant is suspended.", &["tenant_suspended"])
    } else {
        error(&format!("The tenant is suspended, or: {overrun}"), &["tenant_suspended", "quota_exceeded"])
    };
    let mut responses = with_tenant_auth(responses);
    responses["403"] = forbidden;
    json!({
        "operationId": "recordUsage",
        "summary": "Record metered units against the day's quota",
        "tags": [USAGE_METERING],
        "security": security,
        "requestBody": request_body("UsageReport"),
        "responses": responses,
    })
}

/// Adds what the middleware adds to every response of `path`: `X-Request-Id` always; on `/v1/`
/// the 503 of an unavailable platform and, where `X-Api-Key` is deprecated, `Deprecation` and
/// `Sunset` (sent when the request authenticated with that header alone).
fn stamp_responses(version: Version, path: &str, operation: &mut Value) {
    let v1 = is_v1(path);
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    if v1 {
        responses.insert(
            "503".into(),
            json!({
                "description": "Temporarily unavailable; try again after `Retry-After` seconds.",
                "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
                "content": error_content(&["unavailable"]),
            }),
        );
    }
    // Listed in status order (every key is a three-digit code).
    let mut sorted: Vec<(String, Value)> = std::mem::take(responses).into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    responses.extend(sorted);
    for response in responses.values_mut() {
        let Some(response) = response.as_object_mut() else { continue };
        let headers = response.entry("headers").or_insert_with(|| json!({}));
        let Some(headers) = headers.as_object_mut() else { continue };
        headers.insert("X-Request-Id".into(), json!({"$ref": "#/components/headers/X-Request-Id"}));
        if v1 && version.deprecates_key_header() {
            headers.insert("Deprecation".into(), json!({"$ref": "#/components/headers/Deprecation"}));
            headers.insert("Sunset".into(), json!({"$ref": "#/components/headers/Sunset"}));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Responses and request bodies

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn ok(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema_ref(schema)}}})
}

fn request_body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema_ref(schema)}}})
}

/// The error body, its `code` one of `codes`.
fn error_content(codes: &[&str]) -> Value {
    json!({
        "application/json": {
            "schema": {
                "allOf": [
                    schema_ref("Error"),
                    {"properties": {"error": {"properties": {"code": {"enum": codes}}}}},
                ],
            },
        },
    })
}

fn error(description: &str, codes: &[&str]) -> Value {
    json!({"description": description, "content": error_content(codes)})
}

fn malformed_json() -> Value {
    error("The body is not a JSON object.", &["malformed_json"])
}

fn unprocessable() -> Value {
    error(
        "A field is missing or has a value that is not accepted; `field` names it.",
        &["missing_field", "invalid_value"],
    )
}

fn not_found(description: &str) -> Value {
    error(description, &["not_found"])
}

fn unauthorized(codes: &[&str]) -> Value {
    json!({
        "description": "No credentials, or credentials that are not valid.",
        "headers": {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}},
        "content": error_content(codes),
    })
}

/// The answers of an API-key-authenticated operation that come from authentication.
fn with_tenant_auth(mut responses: Value) -> Value {
    responses["401"] = unauthorized(&["unauthenticated", "invalid_api_key"]);
    if responses.get("403").is_none() {
        responses["403"] = error("The tenant is suspended.", &["tenant_suspended"]);
    }
    responses
}

/// The answers of an operator operation that come from authentication.
fn with_operator_auth(mut responses: Value) -> Value {
    responses["401"] = unauthorized(&["unauthenticated", "invalid_token"]);
    responses["403"] = error("A tenant API key was sent instead of the operator token.", &["operator_only"]);
    responses
}

// ---------------------------------------------------------------------------------------------
// Components

fn headers() -> Value {
    json!({
        "X-Request-Id": {
            "description": "A fresh id for every response.",
            "required": true,
            "schema": {"type": "string", "format": "uuid"},
        },
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": true,
            "schema": {"type": "integer", "minimum": 1},
        },
        "WWW-Authenticate": {
            "description": "The Bearer challenge.",
            "required": true,
            "schema": {"type": "string", "pattern": "^Bearer realm=\"refplatform\""},
        },
        "Deprecation": {
            "description": "Sent when the request authenticated with `X-Api-Key` and no `Authorization`: that header is deprecated.",
            "schema": {"type": "string", "const": "true"},
        },
        "Sunset": {
            "description": "With `Deprecation`: when `X-Api-Key` authentication stops working.",
            "schema": {"type": "string", "const": KEY_HEADER_SUNSET},
        },
    })
}

fn security_schemes(version: Version) -> Value {
    let legacy = if version.deprecates_key_header() {
        "A tenant API key in the legacy `X-Api-Key` header (used only without `Authorization`). Deprecated: \
         responses carry `Deprecation` and `Sunset`."
    } else {
        "A tenant API key in the legacy `X-Api-Key` header (used only without `Authorization`)."
    };
    json!({
        "bearerApiKey": {
            "type": "http",
            "scheme": "bearer",
            "description": format!("A tenant API key (`{KEY_PREFIX}` and 32 hex digits) as a bearer token."),
        },
        "legacyApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key", "description": legacy},
        "operatorToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "The operator token as a bearer token; tenant API keys are refused with 403.",
        },
    })
}

/// An object schema whose members are all required and no other member is allowed.
fn fixed(properties: Value) -> Value {
    let required: Vec<&String> = properties.as_object().map(|p| p.keys().collect()).unwrap_or_default();
    json!({"type": "object", "required": required, "properties": properties, "additionalProperties": false})
}

/// Adds members to a [`fixed`] schema's properties (all required).
fn extended(base: &Value, more: Value) -> Value {
    let mut properties = base["properties"].clone();
    if let (Some(all), Some(more)) = (properties.as_object_mut(), more.as_object()) {
        all.extend(more.clone());
    }
    fixed(properties)
}

fn timestamp() -> Value {
    json!({"type": "string", "format": "date-time", "description": "RFC 3339, UTC, whole seconds."})
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Value {
    json!(all.iter().map(|v| name(*v)).collect::<Vec<_>>())
}

fn schemas(version: Version) -> Value {
    let tenant = fixed(json!({
        "id": uuid(),
        "name": {
            "type": "string",
            "description": "3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit.",
            "pattern": "^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$",
        },
        "plan": schema_ref("PlanName"),
        "admin_email": {"type": "string"},
        "status": schema_ref("TenantStatus"),
        "created_at": timestamp(),
    }));
    let key = fixed(json!({
        "id": uuid(),
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        "masked_key": {"type": "string", "pattern": format!("^{KEY_PREFIX}\\*{{4}}[0-9a-f]{{4}}$")},
        "status": {"type": "string", "enum": ["active", "revoked"]},
        "created_at": timestamp(),
        "last_used_at": {"type": ["string", "null"], "format": "date-time"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"},
    }));
    let secret = json!({"type": "string", "pattern": format!("^{KEY_PREFIX}[0-9a-f]{{32}}$")});
    let units = json!({"type": "integer", "minimum": 1, "maximum": MAX_UNITS});
    let per_metric = |value: Value| {
        fixed(Value::Object(Metric::ALL.iter().map(|m| (m.as_str().to_owned(), value.clone())).collect()))
    };
    let quota_line = fixed(json!({
        "limit": {"type": "integer", "minimum": 0},
        "used": {"type": "integer", "minimum": 0},
        "remaining": {"type": "integer", "minimum": 0},
    }));
    let mut schemas = json!({
        "Error": fixed(json!({
            "error": fixed(json!({
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"], "description": "The one input field to blame, if any."},
            })),
        })),
        "Health": fixed(json!({"status": {"type": "string", "const": "ok"}})),
        "VersionInfo": fixed(json!({
            "version": {"type": "string", "const": version.as_str()},
            "build": {"type": "string", "const": format!("refplatform-{}", version.as_str())},
            "api": {"type": "string", "const": "v1"},
            "features": {
                "type": "array",
                "uniqueItems": true,
                // Feature ids: the list grows from version to version, so it is not an enum
                // (a client must accept ids it does not know yet).
                "items": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
            },
        })),
        "Description": {
            "type": "object",
            "required": ["openapi", "info", "paths"],
            "properties": {
                "openapi": {"type": "string", "pattern": "^3\\.1\\."},
                "info": {
                    "type": "object",
                    "required": ["version"],
                    "properties": {"version": {"type": "string", "const": version.as_str()}},
                },
                "paths": {"type": "object"},
            },
        },
        "PlanName": {"type": "string", "enum": names(&Plan::ALL, Plan::as_str)},
        "TenantStatus": {"type": "string", "enum": names(&TenantStatus::ALL, TenantStatus::as_str)},
        "MetricName": {"type": "string", "enum": names(&Metric::ALL, Metric::as_str)},
        "SignUpRequest": {
            "type": "object",
            "required": ["name", "plan", "admin_email"],
            "properties": {
                "name": tenant["properties"]["name"].clone(),
                "plan": schema_ref("PlanName"),
                "admin_email": {"type": "string", "format": "email", "maxLength": 254},
            },
        },
        "SignedUpTenant": extended(&tenant, json!({
            "status_url": {"type": "string", "pattern": "^/v1/tenants/[0-9a-f-]{36}/status$"},
            "api_key": secret.clone(),
            "api_key_id": uuid(),
        })),
        "TenantStatusView": fixed(json!({"id": uuid(), "status": schema_ref("TenantStatus")})),
        "TenantList": fixed(json!({
            "tenants": {"type": "array", "items": schema_ref("Tenant")},
            "count": {"type": "integer", "minimum": 0},
        })),
        "TenantDetail": extended(&tenant, json!({
            "active_keys": {"type": "integer", "minimum": 0},
            "usage": schema_ref("MetricCounts"),
        })),
        "NewKeyRequest": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 64, "description": "Trimmed; printable."},
            },
        },
        "KeyList": fixed(json!({"keys": {"type": "array", "items": schema_ref("Key")}})),
        "NewKey": extended(&key, json!({"key": secret})),
        "Quota": fixed(json!({
            "plan": schema_ref("PlanName"),
            "period_start": timestamp(),
            "resets_at": timestamp(),
            "quotas": per_metric(schema_ref("QuotaLine")),
        })),
        "QuotaLine": quota_line,
        "MetricCounts": per_metric(json!({"type": "integer", "minimum": 0})),
        "Usage": fixed(json!({
            "period_start": timestamp(),
            "resets_at": timestamp(),
            "totals": schema_ref("MetricCounts"),
        })),
        "UsageReport": {
            "type": "object",
            "required": ["metric", "units"],
            "properties": {"metric": schema_ref("MetricName"), "units": units.clone()},
        },
        "UsageRecord": fixed(json!({
            "recorded_at": timestamp(),
            "metric": schema_ref("MetricName"),
            "units": units,
        })),
        "Tenant": tenant,
        "Key": key,
    });
    if version.has_usage_export() {
        schemas["UsageExport"] = fixed(json!({
            "tenant_id": uuid(),
            "period_start": timestamp(),
            "resets_at": timestamp(),
            "records": {"type": "array", "items": schema_ref("UsageRecord")},
        }));
    }
    if version.has_plan_catalog() {
        schemas["PlanCatalog"] = fixed(json!({"plans": {"type": "array", "items": schema_ref("Plan")}}));
        schemas["Plan"] = fixed(json!({"name": schema_ref("PlanName"), "limits": schema_ref("MetricCounts")}));
    }
    schemas
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::api::routes;

    fn operations_of(version: Version) -> BTreeSet<(String, String)> {
        let text = description(version).to_string();
        let api = certify_openapi::Description::parse("openapi.json", &text).unwrap();
        api.operations().iter().map(|op| (op.method.clone(), op.path.clone())).collect()
    }

    #[test]
    fn every_route_is_described_and_every_operation_routed() {
        for version in [Version::V1_4, Version::V2_0] {
            let routed: BTreeSet<(String, String)> =
                routes(version).iter().map(|r| (r.verb.as_str().to_owned(), r.path.to_owned())).collect();
            assert_eq!(operations_of(version), routed, "at {}", version.as_str());
        }
    }

    #[test]
    fn responses_are_listed_in_status_order() {
        let document = description(Version::V2_0);
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let statuses: Vec<&String> = operation["responses"].as_object().unwrap().keys().collect();
                let mut sorted = statuses.clone();
                sorted.sort();
                assert_eq!(statuses, sorted, "{method} {path}");
            }
        }
    }
}
