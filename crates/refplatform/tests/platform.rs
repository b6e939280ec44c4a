//! End-to-end tests of the reference platform over real HTTP on loopback: every endpoint, the
//! version-dependent behaviour, authentication failures, each fault, concurrency and lifecycle.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use certify_refplatform::{DEFAULT_VERSION, FAULTS, PlatformError, VERSIONS, router, start};
use common::{Fixture, OPERATOR_TOKEN, eventually, expect_error, options};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// platform-status

#[tokio::test]
async fn health_and_version_need_no_credentials() {
    for version in VERSIONS {
        let fx = Fixture::start(version, &[]).await;
        assert_eq!(fx.platform.version(), *version);

        let health = fx.request(Method::GET, "/health").send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        assert_eq!(health.json::<Value>().await.unwrap(), json!({"status": "ok"}));

        let response = fx.request(Method::GET, "/version").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["version"], *version);
        assert_eq!(body["build"], format!("refplatform-{version}"));
        let features: Vec<&str> = body["features"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        assert!(features.contains(&"tenant-signup"));
        assert_eq!(features.contains(&"usage-export"), *version == "2.0.0");
        fx.stop().await;
    }
}

#[tokio::test]
async fn every_response_has_a_fresh_request_id() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let mut ids = HashSet::new();
    for path in ["/health", "/health", "/v1/tenant", "/nowhere"] {
        let response = fx.request(Method::GET, path).send().await.unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 36, "{id}");
        ids.insert(id);
    }
    assert_eq!(ids.len(), 4);
    fx.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_errors() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let response = fx.request(Method::GET, "/v2/tenants").send().await.unwrap();
    let error = expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(error["message"], "no route for GET /v2/tenants");
    let response = fx.request(Method::PUT, "/v1/tenants").send().await.unwrap();
    expect_error(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// tenant-signup

#[tokio::test]
async fn sign_up_returns_the_tenant_and_its_first_key_then_activates() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let response = fx
        .request(Method::POST, "/v1/tenants")
        .json(&json!({"name": "acme", "plan": "team", "admin_email": "ops@acme.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(body["name"], "acme");
    assert_eq!(body["plan"], "team");
    assert_eq!(body["admin_email"], "ops@acme.test");
    assert_eq!(body["status"], "provisioning");
    let created = body["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");
    assert_eq!(body["status_url"], format!("/v1/tenants/{id}/status"));
    let key = body["api_key"].as_str().unwrap();
    assert!(key.starts_with("ck_live_") && key.len() == 40, "{key}");
    assert!(body["api_key_id"].is_string());

    let status_url = body["status_url"].as_str().unwrap().to_owned();
    let status: Value = fx.request(Method::GET, &status_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(status, json!({"id": id, "status": "provisioning"}));
    let active = eventually(Duration::from_secs(3), || async {
        let body: Value = fx.request(Method::GET, &status_url).send().await.unwrap().json().await.unwrap();
        body["status"] == "active"
    })
    .await;
    assert!(active, "the tenant never became active");

    let response = fx.get("/v1/tenant", key).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tenant: Value = response.json().await.unwrap();
    assert_eq!(tenant["id"], id);
    assert_eq!(tenant["status"], "active");
    assert!(tenant.get("api_key").is_none());
    fx.stop().await;
}

#[tokio::test]
async fn sign_up_validates_its_input() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let cases = [
        (
            json!({"plan": "free", "admin_email": "a@b.test"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            json!("name"),
        ),
        (
            json!({"name": "Bad Name", "plan": "free", "admin_email": "a@b.test"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            json!("name"),
        ),
        (
            json!({"name": 42, "plan": "free", "admin_email": "a@b.test"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            json!("name"),
        ),
        (
            json!({"name": "valid-name", "plan": "platinum", "admin_email": "a@b.test"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            json!("plan"),
        ),
        (
            json!({"name": "valid-name", "plan": "free"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            json!("admin_email"),
        ),
        (
            json!({"name": "valid-name", "plan": "free", "admin_email": "nobody"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            json!("admin_email"),
        ),
        (json!(["not", "an", "object"]), StatusCode::BAD_REQUEST, "malformed_json", Value::Null),
    ];
    for (body, status, code, field) in cases {
        let response = fx.request(Method::POST, "/v1/tenants").json(&body).send().await.unwrap();
        let error = expect_error(response, status, code).await;
        assert_eq!(error["field"], field, "for {body}");
    }
    for raw in ["", "{\"name\": ", "plain text"] {
        let response = fx
            .request(Method::POST, "/v1/tenants")
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "malformed_json").await;
    }
    fx.stop().await;
}

#[tokio::test]
async fn a_taken_name_conflicts() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    fx.sign_up("acme", "free").await;
    let response = fx.try_sign_up("acme", "team").await;
    let error = expect_error(response, StatusCode::CONFLICT, "name_taken").await;
    assert_eq!(error["field"], "name");
    fx.stop().await;
}

#[tokio::test]
async fn status_of_an_unknown_sign_up_is_not_found() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    for path in ["/v1/tenants/00000000-0000-4000-8000-000000000000/status", "/v1/tenants/not-a-uuid/status"] {
        let response = fx.request(Method::GET, path).send().await.unwrap();
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// api-keys

#[tokio::test]
async fn keys_are_created_listed_masked_and_revoked() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let tenant = fx.sign_up("acme", "team").await;

    let response = fx.post("/v1/keys", &tenant.key, json!({"name": "ci"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let new_key = created["key"].as_str().unwrap().to_owned();
    let new_id = created["id"].as_str().unwrap().to_owned();
    assert_ne!(new_key, tenant.key);
    assert_eq!(created["name"], "ci");
    assert_eq!(created["status"], "active");
    assert_eq!(created["masked_key"], format!("ck_live_****{}", &new_key[36..]));

    let response = fx.get("/v1/tenant", &new_key).await;
    assert_eq!(response.status(), StatusCode::OK);

    let list: Value = fx.get("/v1/keys", &tenant.key).await.json().await.unwrap();
    let keys = list["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["name"], "default");
    assert_eq!(keys[0]["id"], tenant.body["api_key_id"]);
    assert_eq!(keys[1]["id"], new_id.as_str());
    for key in keys {
        assert!(key.get("key").is_none(), "a listed key shows its secret: {key}");
        let masked = key["masked_key"].as_str().unwrap();
        assert!(masked.starts_with("ck_live_****") && masked.len() == 16, "{masked}");
        assert!(!list.to_string().contains(&new_key));
    }
    assert!(keys[1]["last_used_at"].is_string());

    let response =
        fx.request(Method::DELETE, &format!("/v1/keys/{new_id}")).bearer_auth(&tenant.key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = fx.get("/v1/tenant", &new_key).await;
    assert!(response.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_api_key").await;

    let list: Value = fx.get("/v1/keys", &tenant.key).await.json().await.unwrap();
    assert_eq!(list["keys"][1]["status"], "revoked");
    assert!(list["keys"][1]["revoked_at"].is_string());
    fx.stop().await;
}

#[tokio::test]
async fn key_creation_validates_and_revocation_is_scoped_to_the_tenant() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let a = fx.sign_up("tenant-a", "free").await;
    let b = fx.sign_up("tenant-b", "free").await;
    let response = fx.post("/v1/keys", &a.key, json!({})).await;
    let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "missing_field").await;
    assert_eq!(error["field"], "name");
    let response = fx.post("/v1/keys", &a.key, json!({"name": "   "})).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_value").await;

    let b_key_id = b.body["api_key_id"].as_str().unwrap();
    for id in [b_key_id, "00000000-0000-4000-8000-000000000000", "nope"] {
        let response = fx.request(Method::DELETE, &format!("/v1/keys/{id}")).bearer_auth(&a.key).send().await.unwrap();
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_eq!(fx.get("/v1/tenant", &b.key).await.status(), StatusCode::OK);
    fx.stop().await;
}

#[tokio::test]
async fn missing_unknown_and_malformed_credentials_are_401_with_a_bearer_challenge() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let no_credentials = fx.request(Method::GET, "/v1/tenant").send().await.unwrap();
    let wrong_key = fx.get("/v1/quota", "ck_live_00000000000000000000000000000000").await;
    let operator_as_tenant = fx.get("/v1/usage", OPERATOR_TOKEN).await;
    let basic = fx.request(Method::GET, "/v1/keys").header("authorization", "Basic dXNlcjpwYXNz").send().await.unwrap();
    for (response, code) in [
        (no_credentials, "unauthenticated"),
        (wrong_key, "invalid_api_key"),
        (operator_as_tenant, "invalid_api_key"),
        (basic, "unauthenticated"),
    ] {
        let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        expect_error(response, StatusCode::UNAUTHORIZED, code).await;
    }
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// legacy-key-header

#[tokio::test]
async fn the_legacy_key_header_works_and_is_deprecated_from_2_0() {
    for version in VERSIONS {
        let fx = Fixture::start(version, &[]).await;
        let tenant = fx.sign_up("legacy", "free").await;
        let response = fx.request(Method::GET, "/v1/tenant").header("x-api-key", &tenant.key).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["id"], tenant.id.as_str());
        if *version == "2.0.0" {
            assert_eq!(headers["deprecation"], "true");
            assert_eq!(headers["sunset"], "Fri, 01 Jan 2027 00:00:00 GMT");
        } else {
            assert!(headers.get("deprecation").is_none());
            assert!(headers.get("sunset").is_none());
        }
        // Bearer authentication is never marked deprecated.
        let response = fx.get("/v1/tenant", &tenant.key).await;
        assert!(response.headers().get("deprecation").is_none());
        // A bad legacy key is refused like a bad bearer key.
        let response = fx.request(Method::GET, "/v1/tenant").header("x-api-key", "ck_live_nope").send().await.unwrap();
        assert!(response.headers().contains_key("www-authenticate"));
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_api_key").await;
        fx.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// quotas and usage-metering

#[tokio::test]
async fn quotas_follow_the_plan() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    for (plan, api_calls, compute) in
        [("free", 1_000, 60), ("team", 100_000, 6_000), ("enterprise", 10_000_000, 600_000)]
    {
        let tenant = fx.sign_up(&format!("quota-{plan}"), plan).await;
        let response = fx.get("/v1/quota", &tenant.key).await;
        assert_eq!(response.status(), StatusCode::OK);
        let quota: Value = response.json().await.unwrap();
        assert_eq!(quota["plan"], plan);
        assert_eq!(quota["quotas"]["api_calls"], json!({"limit": api_calls, "used": 0, "remaining": api_calls}));
        assert_eq!(quota["quotas"]["compute_minutes"]["limit"], compute);
        let start = quota["period_start"].as_str().unwrap();
        let resets = quota["resets_at"].as_str().unwrap();
        assert!(start.ends_with("T00:00:00Z") && resets.ends_with("T00:00:00Z"));
        assert!(start < resets);
    }
    fx.stop().await;
}

#[tokio::test]
async fn usage_is_recorded_and_counted_against_the_quota() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let tenant = fx.sign_up("metered", "free").await;
    let response = fx.post("/v1/usage", &tenant.key, json!({"metric": "api_calls", "units": 5})).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let record: Value = response.json().await.unwrap();
    assert_eq!(record["metric"], "api_calls");
    assert_eq!(record["units"], 5);
    assert!(record["recorded_at"].is_string());
    fx.post("/v1/usage", &tenant.key, json!({"metric": "api_calls", "units": 7})).await;
    fx.post("/v1/usage", &tenant.key, json!({"metric": "compute_minutes", "units": 3})).await;

    let usage: Value = fx.get("/v1/usage", &tenant.key).await.json().await.unwrap();
    assert_eq!(usage["totals"], json!({"api_calls": 12, "compute_minutes": 3}));
    let quota: Value = fx.get("/v1/quota", &tenant.key).await.json().await.unwrap();
    assert_eq!(quota["quotas"]["api_calls"], json!({"limit": 1000, "used": 12, "remaining": 988}));
    fx.stop().await;
}

#[tokio::test]
async fn usage_reports_are_validated() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let tenant = fx.sign_up("validated", "free").await;
    for (body, code, field) in [
        (json!({"units": 1}), "missing_field", "metric"),
        (json!({"metric": "bytes", "units": 1}), "invalid_value", "metric"),
        (json!({"metric": "api_calls"}), "missing_field", "units"),
        (json!({"metric": "api_calls", "units": 0}), "invalid_value", "units"),
        (json!({"metric": "api_calls", "units": -3}), "invalid_value", "units"),
        (json!({"metric": "api_calls", "units": "5"}), "invalid_value", "units"),
    ] {
        let response = fx.post("/v1/usage", &tenant.key, body.clone()).await;
        let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
        assert_eq!(error["field"], field, "for {body}");
    }
    let usage: Value = fx.get("/v1/usage", &tenant.key).await.json().await.unwrap();
    assert_eq!(usage["totals"]["api_calls"], 0);
    fx.stop().await;
}

#[tokio::test]
async fn exceeding_the_quota_is_403_in_1_4_and_429_with_retry_after_in_2_0() {
    for version in VERSIONS {
        let fx = Fixture::start(version, &[]).await;
        let tenant = fx.sign_up("overrun", "free").await;
        let ok = fx.post("/v1/usage", &tenant.key, json!({"metric": "api_calls", "units": 1000})).await;
        assert_eq!(ok.status(), StatusCode::ACCEPTED);
        let response = fx.post("/v1/usage", &tenant.key, json!({"metric": "api_calls", "units": 1})).await;
        let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        let expected = if *version == "1.4.0" {
            assert_eq!(retry_after, None);
            StatusCode::FORBIDDEN
        } else {
            let secs = retry_after.expect("a Retry-After header");
            assert!((1..=86_400).contains(&secs), "{secs}");
            StatusCode::TOO_MANY_REQUESTS
        };
        let error = expect_error(response, expected, "quota_exceeded").await;
        assert_eq!(error["field"], "units");
        assert!(error["message"].as_str().unwrap().contains("1000 used"), "{error}");
        let quota: Value = fx.get("/v1/quota", &tenant.key).await.json().await.unwrap();
        assert_eq!(quota["quotas"]["api_calls"]["remaining"], 0);
        fx.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// usage-export

#[tokio::test]
async fn usage_exports_as_json_and_csv_in_2_0() {
    let fx = Fixture::start("2.0.0", &[]).await;
    let tenant = fx.sign_up("exporter", "team").await;
    fx.post("/v1/usage", &tenant.key, json!({"metric": "api_calls", "units": 5})).await;
    fx.post("/v1/usage", &tenant.key, json!({"metric": "compute_minutes", "units": 2})).await;

    for path in ["/v1/usage/export", "/v1/usage/export?format=json"] {
        let response = fx.get(path, &tenant.key).await;
        assert_eq!(response.status(), StatusCode::OK);
        let export: Value = response.json().await.unwrap();
        assert_eq!(export["tenant_id"], tenant.id.as_str());
        let records = export["records"].as_array().unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0]["metric"], "api_calls");
        assert_eq!(records[0]["units"], 5);
        assert_eq!(records[1]["metric"], "compute_minutes");
    }

    let response = fx.get("/v1/usage/export?format=csv", &tenant.key).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains(&format!("usage-{}.csv", tenant.id)));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert_eq!(lines[0], "recorded_at,metric,units");
    assert!(lines[1].ends_with("Z,api_calls,5"), "{csv}");
    assert!(lines[2].ends_with("Z,compute_minutes,2"), "{csv}");

    let response = fx.get("/v1/usage/export?format=xml", &tenant.key).await;
    let error = expect_error(response, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    assert_eq!(error["field"], "format");
    let response = fx.request(Method::GET, "/v1/usage/export").send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    fx.stop().await;
}

#[tokio::test]
async fn usage_export_does_not_exist_in_1_4() {
    let fx = Fixture::start("1.4.0", &[]).await;
    let tenant = fx.sign_up("exporter", "team").await;
    for path in ["/v1/usage/export", "/v1/usage/export?format=csv"] {
        let response = fx.get(path, &tenant.key).await;
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// operator-admin

#[tokio::test]
async fn operators_list_inspect_suspend_and_resume_tenants() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let first = fx.sign_up("first", "free").await;
    let second = fx.sign_up("second", "team").await;
    fx.post("/v1/usage", &second.key, json!({"metric": "api_calls", "units": 9})).await;

    let response = fx.operator_get("/v1/admin/tenants").await;
    assert_eq!(response.status(), StatusCode::OK);
    let list: Value = response.json().await.unwrap();
    assert_eq!(list["count"], 2);
    assert_eq!(list["tenants"][0]["name"], "first");
    assert_eq!(list["tenants"][1]["name"], "second");
    let list: Value = fx.operator_get("/v1/admin/tenants?name=second").await.json().await.unwrap();
    assert_eq!(list["count"], 1);
    assert_eq!(list["tenants"][0]["id"], second.id.as_str());
    let list: Value = fx.operator_get("/v1/admin/tenants?plan=free").await.json().await.unwrap();
    assert_eq!(list["tenants"][0]["id"], first.id.as_str());
    assert_eq!(list["count"], 1);
    let response = fx.operator_get("/v1/admin/tenants?status=gone").await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_parameter").await;

    let detail: Value = fx.operator_get(&format!("/v1/admin/tenants/{}", second.id)).await.json().await.unwrap();
    assert_eq!(detail["name"], "second");
    assert_eq!(detail["active_keys"], 1);
    assert_eq!(detail["usage"], json!({"api_calls": 9, "compute_minutes": 0}));

    let response = fx.operator_post(&format!("/v1/admin/tenants/{}/suspend", first.id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let suspended: Value = response.json().await.unwrap();
    assert_eq!(suspended["status"], "suspended");
    let response = fx.get("/v1/tenant", &first.key).await;
    expect_error(response, StatusCode::FORBIDDEN, "tenant_suspended").await;
    let response = fx.request(Method::GET, "/v1/quota").header("x-api-key", &first.key).send().await.unwrap();
    expect_error(response, StatusCode::FORBIDDEN, "tenant_suspended").await;
    let status: Value = fx
        .request(Method::GET, &format!("/v1/tenants/{}/status", first.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "suspended");
    assert_eq!(fx.get("/v1/tenant", &second.key).await.status(), StatusCode::OK);

    let response = fx.operator_post(&format!("/v1/admin/tenants/{}/resume", first.id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(fx.get("/v1/tenant", &first.key).await.status(), StatusCode::OK);
    fx.stop().await;
}

#[tokio::test]
async fn operator_endpoints_refuse_everyone_else() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let tenant = fx.sign_up("curious", "free").await;
    let response = fx.get("/v1/admin/tenants", &tenant.key).await;
    expect_error(response, StatusCode::FORBIDDEN, "operator_only").await;
    let response = fx.get("/v1/admin/tenants", "not-the-token").await;
    assert!(response.headers().contains_key("www-authenticate"));
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let response = fx.request(Method::GET, "/v1/admin/tenants").send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let response =
        fx.request(Method::GET, "/v1/admin/tenants").header("x-api-key", OPERATOR_TOKEN).send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let response = fx
        .request(Method::POST, &format!("/v1/admin/tenants/{}/suspend", tenant.id))
        .bearer_auth(&tenant.key)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN, "operator_only").await;
    let response = fx.operator_post("/v1/admin/tenants/00000000-0000-4000-8000-000000000000/suspend").await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(fx.get("/v1/tenant", &tenant.key).await.status(), StatusCode::OK);
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn fault_signup_broken_fails_sign_up_only() {
    let fx = Fixture::start(DEFAULT_VERSION, &["signup-broken"]).await;
    let response = fx.try_sign_up("broken", "free").await;
    expect_error(response, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
    let response = fx.request(Method::GET, "/health").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = fx.operator_get("/v1/admin/tenants").await;
    assert_eq!(response.status(), StatusCode::OK);
    fx.stop().await;
}

#[tokio::test]
async fn fault_slow_delays_v1_requests_only() {
    let fx = Fixture::start(DEFAULT_VERSION, &["slow"]).await;
    let started = Instant::now();
    let response = fx.request(Method::GET, "/health").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_millis(1_000));

    let started = Instant::now();
    let tenant = fx.sign_up("sluggish", "free").await;
    assert!(started.elapsed() >= Duration::from_millis(1_500));
    let started = Instant::now();
    assert_eq!(fx.get("/v1/tenant", &tenant.key).await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(1_500));
    fx.stop().await;
}

#[tokio::test]
async fn fault_flaky_fails_exactly_every_third_v1_request() {
    let fx = Fixture::start(DEFAULT_VERSION, &["flaky"]).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let health = fx.request(Method::GET, "/health").send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK, "/health is never flaky");
        let response = fx.operator_get("/v1/admin/tenants").await;
        statuses.push(response.status().as_u16());
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(response.headers()["retry-after"], "1");
            expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
        }
    }
    assert_eq!(statuses, [200, 200, 503, 200, 200, 503]);
    fx.stop().await;
}

#[tokio::test]
async fn fault_metering_stuck_accepts_usage_but_never_counts_it() {
    let fx = Fixture::start(DEFAULT_VERSION, &["metering-stuck"]).await;
    let tenant = fx.sign_up("stuck", "free").await;
    for _ in 0..3 {
        let response = fx.post("/v1/usage", &tenant.key, json!({"metric": "api_calls", "units": 600})).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let usage: Value = fx.get("/v1/usage", &tenant.key).await.json().await.unwrap();
    assert_eq!(usage["totals"]["api_calls"], 0);
    let export: Value = fx.get("/v1/usage/export", &tenant.key).await.json().await.unwrap();
    assert_eq!(export["records"], json!([]));
    fx.stop().await;
}

#[tokio::test]
async fn faults_combine() {
    let fx = Fixture::start("1.4.0", &["signup-broken", "flaky"]).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(fx.try_sign_up("combo", "free").await.status().as_u16());
    }
    assert_eq!(statuses, [500, 500, 503]);
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Concurrency and lifecycle

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_sign_ups_all_succeed_with_distinct_ids() {
    let fx = Fixture::start(DEFAULT_VERSION, &[]).await;
    let sign_ups = (0..50).map(|i| {
        let fx = &fx;
        async move { fx.sign_up(&format!("tenant-{i}"), "free").await }
    });
    let tenants = futures::future::join_all(sign_ups).await;
    let ids: HashSet<_> = tenants.iter().map(|t| t.id.clone()).collect();
    let keys: HashSet<_> = tenants.iter().map(|t| t.key.clone()).collect();
    assert_eq!(ids.len(), 50);
    assert_eq!(keys.len(), 50);

    let checks = tenants.iter().map(|t| {
        let fx = &fx;
        async move {
            let body: Value = fx.get("/v1/tenant", &t.key).await.json().await.unwrap();
            body["name"] == t.name.as_str()
        }
    });
    assert!(futures::future::join_all(checks).await.into_iter().all(|ok| ok));
    let list: Value = fx.operator_get("/v1/admin/tenants").await.json().await.unwrap();
    assert_eq!(list["count"], 50);
    fx.stop().await;
}

#[tokio::test]
async fn invalid_options_are_refused_with_the_valid_choices() {
    let err = start(options("9.9.9", &[])).await.unwrap_err();
    assert!(matches!(err, PlatformError::UnknownVersion { .. }));
    assert!(err.to_string().contains("1.4.0, 2.0.0"), "{err}");

    let err = router(&options(DEFAULT_VERSION, &["meltdown"])).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("meltdown"), "{text}");
    for fault in FAULTS {
        assert!(text.contains(fault.name), "{text}");
    }

    let mut no_token = options(DEFAULT_VERSION, &[]);
    no_token.operator_token.clear();
    assert!(matches!(start(no_token).await.unwrap_err(), PlatformError::EmptyOperatorToken));
    assert!(router(&options("1.4.0", &["slow", "flaky"])).is_ok());
}

#[tokio::test]
async fn a_busy_port_is_a_bind_error() {
    let first = start(options(DEFAULT_VERSION, &[])).await.unwrap();
    let mut same_port = options(DEFAULT_VERSION, &[]);
    same_port.port = first.addr().port();
    let err = start(same_port).await.unwrap_err();
    assert!(matches!(err, PlatformError::Bind { .. }), "{err}");
    assert!(err.to_string().contains(&first.addr().port().to_string()));
    first.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let platform = start(options(DEFAULT_VERSION, &[])).await.unwrap();
    let base = platform.base_url();
    assert!(base.starts_with("http://127.0.0.1:"));
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    platform.shutdown().await;
    assert!(client.get(format!("{base}/health")).send().await.is_err());
}

#[tokio::test]
async fn shutdown_waits_for_requests_in_flight() {
    let fx = Fixture::start(DEFAULT_VERSION, &["slow"]).await;
    let request = fx.request(Method::GET, "/v1/admin/tenants").bearer_auth(OPERATOR_TOKEN);
    let in_flight = tokio::spawn(async move { request.send().await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    fx.platform.shutdown().await;
    let status = in_flight.await.unwrap().unwrap();
    assert_eq!(status, StatusCode::OK);
}
