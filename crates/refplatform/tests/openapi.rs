//! The platform's description of its own API (`GET /openapi.json`) against the platform itself,
//! over real HTTP on loopback: it loads as OpenAPI 3.1, every operation it describes is routed,
//! every answer the platform gives conforms to it and every status it declares is really given,
//! the versions differ where the platform does, operations name catalog features, and the
//! `api-drift` fault breaks exactly one promise.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use certify_openapi::{Check, Description, Response};
use certify_refplatform::{FAULTS, PlatformError, VERSIONS, openapi_description};
use common::{Fixture, OPERATOR_TOKEN, Tenant};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// A random-looking UUID that names nothing on a fresh platform.
const NOBODY: &str = "00000000-0000-4000-8000-000000000000";

fn load(version: &str) -> Description {
    let text = openapi_description(version).unwrap().to_string();
    Description::parse(&format!("openapi-{version}.json"), &text).unwrap()
}

/// What one exchange was, for checking against the description.
struct Answer {
    method: String,
    path: String,
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The violations of an answer against the description, as certify checks a response (one
/// home for the rules): an undocumented operation or status, a missing or malformed declared
/// header, a body of an undeclared media type or against its schema. Returns the operation's
/// name with them.
fn violations(api: &Description, answer: &Answer) -> (String, Vec<String>) {
    let headers: Vec<(String, String)> = answer
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
        .collect();
    let response = Response { status: answer.status.as_u16(), headers: &headers, body: &answer.body };
    match api.check(&answer.method, &answer.path, &response) {
        Check::Conforms { operation } => (operation, Vec::new()),
        Check::Violations { operation, violations, .. } => {
            (operation, violations.iter().map(ToString::to_string).collect())
        }
        Check::Undocumented { method, path } | Check::Absent { method, path, .. } => {
            (format!("{method} {path}"), vec!["no operation describes this request".to_owned()])
        }
    }
}

/// A platform, its description, and every (operation, status) seen so far.
struct Walk {
    fx: Fixture,
    api: Description,
    seen: BTreeSet<(String, String)>,
}

impl Walk {
    async fn start(version: &str, faults: &[&str]) -> Walk {
        let fx = Fixture::start(version, faults).await;
        let text = fx.request(Method::GET, "/openapi.json").send().await.unwrap().text().await.unwrap();
        let api = Description::parse("/openapi.json", &text).unwrap();
        Walk { fx, api, seen: BTreeSet::new() }
    }

    /// Sends the request, asserts the answer conforms and has `status`, and returns the body.
    async fn expect(&mut self, request: RequestBuilder, status: StatusCode) -> Value {
        let answer = self.send(request).await;
        assert_eq!(answer.status, status, "{} {}: {}", answer.method, answer.path, answer.json());
        answer.json()
    }

    async fn send(&mut self, request: RequestBuilder) -> Answer {
        let request = request.build().unwrap();
        let (method, path) = (request.method().to_string(), request.url().path().to_owned());
        let response = self.fx.client.execute(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap().to_vec();
        let answer = Answer { method, path, status, headers, body };
        let (name, found) = violations(&self.api, &answer);
        assert!(found.is_empty(), "{name} answered {status} against its description: {found:#?}\n{}", answer.json());
        self.seen.insert((name, status.as_str().to_owned()));
        answer
    }

    fn at(&self, method: Method, path: &str) -> RequestBuilder {
        self.fx.request(method, path)
    }

    fn with_key(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.fx.request(method, path).bearer_auth(key)
    }

    async fn sign_up(&mut self, name: &str) -> Tenant {
        let body = json!({"name": name, "plan": "free", "admin_email": format!("admin@{name}.test")});
        let body = self.expect(self.at(Method::POST, "/v1/tenants").json(&body), StatusCode::CREATED).await;
        Tenant {
            id: body["id"].as_str().unwrap().to_owned(),
            name: name.to_owned(),
            key: body["api_key"].as_str().unwrap().to_owned(),
            body,
        }
    }
}

/// Every (operation, status) the description declares.
fn declared(api: &Description) -> BTreeSet<(String, String)> {
    let mut all = BTreeSet::new();
    for op in api.operations() {
        let responses = api.at(&format!("{}/responses", op.pointer)).unwrap().as_object().unwrap();
        for status in responses.keys() {
            all.insert((op.name(), status.clone()));
        }
    }
    all
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_served_description_is_openapi_3_1_at_the_platform_version() {
    for version in VERSIONS {
        let fx = Fixture::start(version, &[]).await;
        let response = fx.request(Method::GET, "/openapi.json").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let text = response.text().await.unwrap();
        let served: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(served, openapi_description(version).unwrap(), "at {version}");
        // Loads: an OpenAPI 3.1 shape with every `$ref` internal and resolvable.
        let api = Description::parse("/openapi.json", &text).unwrap();
        assert_eq!(api.openapi(), "3.1.0");
        assert_eq!(api.at("/info/version"), Some(&json!(version)));
        assert!(api.operations().len() >= 16, "{} operations", api.operations().len());
        fx.stop().await;
    }
    let err = openapi_description("3.0.0").unwrap_err();
    assert!(matches!(err, PlatformError::UnknownVersion { .. }), "{err}");
    assert!(err.to_string().contains("1.4.0, 2.0.0"), "{err}");
}

#[tokio::test]
async fn faults_do_not_change_the_description() {
    for version in VERSIONS {
        let faults: Vec<&str> = FAULTS.iter().map(|f| f.name).filter(|f| *f != "slow").collect();
        let fx = Fixture::start(version, &faults).await;
        let served: Value = fx.request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap();
        assert_eq!(served, openapi_description(version).unwrap(), "at {version} with {faults:?}");
        fx.stop().await;
    }
}

#[tokio::test]
async fn every_described_operation_is_routed() {
    for version in VERSIONS {
        let fx = Fixture::start(version, &[]).await;
        let api = load(version);
        for op in api.operations() {
            let path = op.path.replace("{id}", NOBODY);
            assert!(!path.contains('{'), "{}: a parameter this test does not fill", op.name());
            let method = Method::from_bytes(op.method.as_bytes()).unwrap();
            let response = fx.request(method, &path).send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let unrouted = status == StatusCode::METHOD_NOT_ALLOWED
                || (status == StatusCode::NOT_FOUND
                    && body["error"]["message"].as_str().is_some_and(|m| m.starts_with("no route for")));
            assert!(!unrouted, "{} is described at {version} but not routed: {status} {body}", op.name());
        }
        // And what is not routed is not described: the probe above can tell the two apart.
        let response = fx.request(Method::GET, "/v1/nowhere").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(api.find("GET", "/v1/nowhere").is_none());
        fx.stop().await;
    }
}

/// Exercises every operation at `version` into every status the platform gives without faults,
/// checking each answer against the description.
async fn walk_without_faults(version: &str) -> Walk {
    let mut w = Walk::start(version, &[]).await;
    let v2 = version == "2.0.0";
    for path in ["/health", "/version", "/openapi.json"] {
        w.expect(w.at(Method::GET, path), StatusCode::OK).await;
    }

    // Sign-up.
    let t = w.sign_up("walker").await;
    let dup = json!({"name": "walker", "plan": "team", "admin_email": "b@c.test"});
    w.expect(w.at(Method::POST, "/v1/tenants").json(&dup), StatusCode::CONFLICT).await;
    w.expect(w.at(Method::POST, "/v1/tenants").body("name=x"), StatusCode::BAD_REQUEST).await;
    let bad = json!({"name": "Not A Label", "plan": "free", "admin_email": "a@b.test"});
    w.expect(w.at(Method::POST, "/v1/tenants").json(&bad), StatusCode::UNPROCESSABLE_ENTITY).await;
    w.expect(w.at(Method::GET, &format!("/v1/tenants/{}/status", t.id)), StatusCode::OK).await;
    w.expect(w.at(Method::GET, &format!("/v1/tenants/{NOBODY}/status")), StatusCode::NOT_FOUND).await;
    w.expect(w.at(Method::GET, "/v1/tenants/not-a-uuid/status"), StatusCode::NOT_FOUND).await;

    // A suspended tenant, for the 403s.
    let s = w.sign_up("suspended").await;
    let suspend = format!("/v1/admin/tenants/{}/suspend", s.id);
    let body = w.expect(w.with_key(Method::POST, &suspend, OPERATOR_TOKEN), StatusCode::OK).await;
    assert_eq!(body["status"], "suspended");

    // Every API-key operation: its success, 401 without a key, 401 with an unknown key, 403
    // suspended.
    let key_body = json!({"name": "ci"});
    let usage_body = json!({"metric": "api_calls", "units": 5});
    let mut tenant_ops: Vec<(Method, String, Option<Value>, StatusCode)> = vec![
        (Method::GET, "/v1/tenant".into(), None, StatusCode::OK),
        (Method::GET, "/v1/keys".into(), None, StatusCode::OK),
        (Method::POST, "/v1/keys".into(), Some(key_body.clone()), StatusCode::CREATED),
        (Method::GET, "/v1/quota".into(), None, StatusCode::OK),
        (Method::POST, "/v1/usage".into(), Some(usage_body.clone()), StatusCode::ACCEPTED),
        (Method::GET, "/v1/usage".into(), None, StatusCode::OK),
    ];
    if v2 {
        tenant_ops.push((Method::GET, "/v1/usage/export".into(), None, StatusCode::OK));
        tenant_ops.push((Method::GET, "/v1/usage/export?format=csv".into(), None, StatusCode::OK));
    }
    for (method, path, body, ok) in &tenant_ops {
        let with = |r: RequestBuilder| if let Some(b) = body { r.json(b) } else { r };
        w.expect(with(w.with_key(method.clone(), path, &t.key)), *ok).await;
        w.expect(with(w.at(method.clone(), path)), StatusCode::UNAUTHORIZED).await;
        let unknown = "ck_live_00000000000000000000000000000000";
        w.expect(with(w.with_key(method.clone(), path, unknown)), StatusCode::UNAUTHORIZED).await;
        w.expect(with(w.with_key(method.clone(), path, &s.key)), StatusCode::FORBIDDEN).await;
    }
    // The legacy header; from 2.0 its answers carry Deprecation and Sunset, as declared.
    let legacy = w.send(w.at(Method::GET, "/v1/quota").header("X-Api-Key", &t.key)).await;
    assert_eq!(legacy.status, StatusCode::OK);
    assert_eq!(legacy.headers.contains_key("deprecation"), v2);
    assert_eq!(legacy.headers.contains_key("sunset"), v2);

    // Keys: validation and revocation.
    w.expect(w.with_key(Method::POST, "/v1/keys", &t.key).body("[]"), StatusCode::BAD_REQUEST).await;
    let unnamed = json!({"name": "  "});
    w.expect(w.with_key(Method::POST, "/v1/keys", &t.key).json(&unnamed), StatusCode::UNPROCESSABLE_ENTITY).await;
    let created = w.expect(w.with_key(Method::POST, "/v1/keys", &t.key).json(&key_body), StatusCode::CREATED).await;
    let revoke = format!("/v1/keys/{}", created["id"].as_str().unwrap());
    w.expect(w.with_key(Method::DELETE, &revoke, &t.key), StatusCode::NO_CONTENT).await;
    w.expect(w.with_key(Method::DELETE, &format!("/v1/keys/{NOBODY}"), &t.key), StatusCode::NOT_FOUND).await;
    w.expect(w.at(Method::DELETE, &revoke), StatusCode::UNAUTHORIZED).await;
    w.expect(w.with_key(Method::DELETE, &revoke, &s.key), StatusCode::FORBIDDEN).await;
    let listed = w.expect(w.with_key(Method::GET, "/v1/keys", &t.key), StatusCode::OK).await;
    assert!(listed["keys"].as_array().unwrap().iter().any(|k| k["status"] == "revoked" && k["revoked_at"].is_string()));

    // Usage: validation and the quota overrun, answered as this version does.
    w.expect(w.with_key(Method::POST, "/v1/usage", &t.key).body("{"), StatusCode::BAD_REQUEST).await;
    let zero = json!({"metric": "api_calls", "units": 0});
    w.expect(w.with_key(Method::POST, "/v1/usage", &t.key).json(&zero), StatusCode::UNPROCESSABLE_ENTITY).await;
    let overrun = json!({"metric": "api_calls", "units": 1000});
    let refused = if v2 { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::FORBIDDEN };
    let body = w.expect(w.with_key(Method::POST, "/v1/usage", &t.key).json(&overrun), refused).await;
    assert_eq!(body["error"]["code"], "quota_exceeded");
    if v2 {
        let xml = "/v1/usage/export?format=xml";
        w.expect(w.with_key(Method::GET, xml, &t.key), StatusCode::BAD_REQUEST).await;
        let body = w.expect(w.at(Method::GET, "/v1/plans"), StatusCode::OK).await;
        assert_eq!(body["plans"].as_array().unwrap().len(), 3);
    }

    // Operators.
    let detail = format!("/v1/admin/tenants/{}", t.id);
    let resume = format!("/v1/admin/tenants/{}/resume", s.id);
    let operator_ops = ["/v1/admin/tenants?plan=free", &detail, &suspend, &resume];
    for path in operator_ops {
        let method = if path.ends_with("suspend") || path.ends_with("resume") { Method::POST } else { Method::GET };
        w.expect(w.with_key(method.clone(), path, OPERATOR_TOKEN), StatusCode::OK).await;
        w.expect(w.at(method.clone(), path), StatusCode::UNAUTHORIZED).await;
        w.expect(w.with_key(method.clone(), path, "not-the-token"), StatusCode::UNAUTHORIZED).await;
        w.expect(w.with_key(method.clone(), path, &t.key), StatusCode::FORBIDDEN).await;
        if path != operator_ops[0] {
            let unknown = path.replace(&t.id, NOBODY).replace(&s.id, NOBODY);
            w.expect(w.with_key(method, &unknown, OPERATOR_TOKEN), StatusCode::NOT_FOUND).await;
        }
    }
    let bad_filter = "/v1/admin/tenants?status=gone";
    w.expect(w.with_key(Method::GET, bad_filter, OPERATOR_TOKEN), StatusCode::BAD_REQUEST).await;
    w
}

#[tokio::test]
async fn the_platform_answers_as_described_and_gives_every_declared_status() {
    for version in VERSIONS {
        let walk = walk_without_faults(version).await;
        let mut seen = walk.seen.clone();
        let api = walk.api;
        walk.fx.stop().await;

        // 500: only a failing sign-up.
        let mut broken = Walk::start(version, &["signup-broken"]).await;
        let body = json!({"name": "broken", "plan": "free", "admin_email": "a@b.test"});
        broken.expect(broken.at(Method::POST, "/v1/tenants").json(&body), StatusCode::INTERNAL_SERVER_ERROR).await;
        seen.extend(broken.seen);
        broken.fx.stop().await;

        // 503: any /v1/ operation, every third request; three requests each meet one.
        let mut flaky = Walk::start(version, &["flaky"]).await;
        for op in api.operations().iter().filter(|op| op.path.starts_with("/v1/")) {
            let method = Method::from_bytes(op.method.as_bytes()).unwrap();
            let path = op.path.replace("{id}", NOBODY);
            let mut statuses = Vec::new();
            for _ in 0..3 {
                statuses.push(flaky.send(flaky.at(method.clone(), &path)).await.status);
            }
            assert!(statuses.contains(&StatusCode::SERVICE_UNAVAILABLE), "{}: {statuses:?}", op.name());
        }
        seen.extend(flaky.seen);
        flaky.fx.stop().await;

        // Every status the description declares is one the platform really gives.
        let declared = declared(&api);
        let never: Vec<_> = declared.difference(&seen).collect();
        assert!(never.is_empty(), "declared at {version} but never answered: {never:#?}");
        assert!(seen.is_subset(&declared));
    }
}

#[tokio::test]
async fn versions_differ_where_the_platform_does() {
    let (old, new) = (load("1.4.0"), load("2.0.0"));
    let names = |api: &Description| api.operations().iter().map(|op| op.name()).collect::<BTreeSet<_>>();
    let added: Vec<String> = names(&new).difference(&names(&old)).cloned().collect();
    assert_eq!(added, ["GET /v1/plans", "GET /v1/usage/export"]);
    assert!(names(&old).is_subset(&names(&new)));

    let overrun = |api: &Description, status: &str| {
        let op = api.find("POST", "/v1/usage").unwrap();
        api.at(&format!("{}/responses/{status}", op.pointer)).cloned()
    };
    let codes = |response: &Value| response["content"]["application/json"]["schema"]["allOf"][1].to_string();
    assert!(codes(&overrun(&old, "403").unwrap()).contains("quota_exceeded"));
    assert!(overrun(&old, "429").is_none());
    assert!(!codes(&overrun(&new, "403").unwrap()).contains("quota_exceeded"));
    let throttled = overrun(&new, "429").unwrap();
    assert!(codes(&throttled).contains("quota_exceeded"));
    let retry_after = new.resolve(&throttled["headers"]["Retry-After"]);
    assert_eq!(retry_after["required"], true);

    // Deprecation and Sunset are declared on /v1/ answers from 2.0 only.
    for (api, deprecated) in [(&old, false), (&new, true)] {
        for op in api.operations() {
            let responses = api.at(&format!("{}/responses", op.pointer)).unwrap().as_object().unwrap();
            for (status, response) in responses {
                let headers = &response["headers"];
                assert!(headers.get("X-Request-Id").is_some(), "{} {status}", op.name());
                let expected = deprecated && op.path.starts_with("/v1/");
                assert_eq!(headers.get("Deprecation").is_some(), expected, "{} {status}", op.name());
                assert_eq!(headers.get("Sunset").is_some(), expected, "{} {status}", op.name());
            }
        }
    }

    // /version's promise is the version's own.
    for (api, version) in [(&old, "1.4.0"), (&new, "2.0.0")] {
        let info = api.at("/components/schemas/VersionInfo/properties").unwrap();
        assert_eq!(info["version"]["const"], version);
        // Feature ids grow from version to version: an open list of slugs, not an enum, so
        // that a new version's features do not break the previous version's clients.
        assert_eq!(info["features"]["items"], json!({"type": "string", "pattern": "^[a-z][a-z0-9-]*$"}));
    }
}

fn catalog_ids() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../features/catalog.toml");
    let catalog: toml::Table = fs::read_to_string(&path).unwrap().parse().unwrap();
    catalog["feature"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_operation_names_a_feature_the_version_serves() {
    let ids = catalog_ids();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    for version in VERSIONS {
        let fx = Fixture::start(version, &[]).await;
        let body: Value = fx.request(Method::GET, "/version").send().await.unwrap().json().await.unwrap();
        let served: BTreeSet<&str> = body["features"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        fx.stop().await;

        let api = load(version);
        let mut by_feature: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for op in api.operations() {
            let feature = op.feature(&ids).unwrap_or_else(|| panic!("{} names no catalog feature", op.name()));
            assert!(ids.contains(&feature), "{}: {feature} is not in the catalog", op.name());
            assert!(served.contains(feature), "{}: {feature} is not served at {version}", op.name());
            by_feature.entry(feature).or_default().push(op.name());
        }
        // Both ways of naming a feature are used.
        assert!(api.operations().iter().any(|op| op.x_feature.is_some()));
        assert!(api.operations().iter().any(|op| op.x_feature.is_none() && op.feature(&ids).is_some()));
        // Every served feature has operations, but the legacy header, which is a security scheme.
        let mut without: Vec<&str> = served.iter().filter(|f| !by_feature.contains_key(*f)).copied().collect();
        without.sort_unstable();
        assert_eq!(without, ["legacy-key-header"], "at {version}");
        assert_eq!(api.at("/components/securitySchemes/legacyApiKeyHeader/name"), Some(&json!("X-Api-Key")));
    }
}

#[tokio::test]
async fn api_drift_renames_a_field_only_the_description_promises() {
    let fault = FAULTS.iter().find(|f| f.name == "api-drift").unwrap();
    assert!(fault.description.contains("`tier`") && fault.description.contains("`plan`"));
    for version in VERSIONS {
        let mut drifted = Walk::start(version, &["api-drift"]).await;
        assert_eq!(drifted.api.document(), &openapi_description(version).unwrap());
        let t = drifted.sign_up("drifter").await;
        assert_eq!(t.body["plan"], "free");

        let request = drifted.fx.request(Method::GET, "/v1/tenant").bearer_auth(&t.key).build().unwrap();
        let response = drifted.fx.client.execute(request).await.unwrap();
        let answer = Answer {
            method: "GET".into(),
            path: "/v1/tenant".into(),
            status: response.status(),
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap().to_vec(),
        };
        assert_eq!(answer.status, StatusCode::OK);
        let body = answer.json();
        assert_eq!(body["tier"], "free", "{body}");
        assert!(body.get("plan").is_none(), "{body}");
        // What the shipped scenarios assert of this answer still holds.
        assert_eq!(body["id"], t.id.as_str());
        assert_eq!(body["name"], t.name.as_str());
        assert!(body.get("api_key").is_none());
        // The description catches it: `plan` is required and `tier` is not allowed.
        let (name, found) = violations(&drifted.api, &answer);
        assert_eq!(name, "GET /v1/tenant");
        assert!(found.iter().any(|v| v.contains("\"plan\"")), "{found:#?}");
        assert!(found.iter().any(|v| v.contains("tier")), "{found:#?}");

        // Other answers naming the plan are unchanged and conform.
        let detail = format!("/v1/admin/tenants/{}", t.id);
        let body = drifted.expect(drifted.with_key(Method::GET, &detail, OPERATOR_TOKEN), StatusCode::OK).await;
        assert_eq!(body["plan"], "free");
        drifted.expect(drifted.with_key(Method::GET, "/v1/quota", &t.key), StatusCode::OK).await;
        drifted.fx.stop().await;

        // Without the fault the same request conforms.
        let mut honest = Walk::start(version, &[]).await;
        let t = honest.sign_up("drifter").await;
        let body = honest.expect(honest.with_key(Method::GET, "/v1/tenant", &t.key), StatusCode::OK).await;
        assert_eq!(body["plan"], "free");
        honest.fx.stop().await;
    }
}

/// The assertions the shipped scenarios make on answers to `GET /v1/tenant`: the `the response`
/// steps (with their doc strings) between such a request and the next one.
fn shipped_assertions_on_the_current_tenant() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../features");
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "feature") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let mut on_tenant = false;
        let mut in_doc_string = false;
        for line in text.lines().map(str::trim) {
            if line == "\"\"\"" {
                in_doc_string = !in_doc_string;
            }
            if in_doc_string || line == "\"\"\"" {
                if on_tenant {
                    found.push(line.to_owned());
                }
                continue;
            }
            let step = line.split_once(' ').map_or("", |(_, rest)| rest);
            if step.contains(" request to \"") {
                on_tenant = step.contains("GET request to \"/v1/tenant\"");
                if on_tenant && step.starts_with("within") {
                    found.push(step.to_owned());
                }
            } else if on_tenant && step.starts_with("the response") {
                found.push(step.to_owned());
            }
        }
    }
    found
}

#[test]
fn the_shipped_scenarios_cannot_see_the_api_drift() {
    let assertions = shipped_assertions_on_the_current_tenant();
    assert!(assertions.iter().any(|a| a.contains("\"$.id\"")), "{assertions:#?}");
    assert!(assertions.iter().any(|a| a.contains("\"$.name\"")), "{assertions:#?}");
    // Nothing they check of GET /v1/tenant names the plan, and nothing checks the whole body.
    for assertion in &assertions {
        assert!(!assertion.contains("plan") && !assertion.contains("tier"), "{assertion}");
        for whole in ["conforms to the schema", "matches the snapshot", "JSON matches", "JSON is:"] {
            assert!(!assertion.contains(whole), "{assertion}");
        }
    }
}

/// Runs openapi-spec-validator (Python, `CERTIFY_PYTHON`; installed by `.ci/run` with
/// `moto[server]`, which requires it) on a document: `Err` with its complaint when it rejects it.
fn outside_validation(document: &Value) -> Result<(), String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    let python = std::env::var("CERTIFY_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = "import json, sys\n\
                  from openapi_spec_validator import validate\n\
                  from openapi_spec_validator.validation.exceptions import OpenAPIValidationError\n\
                  try:\n    validate(json.load(sys.stdin))\n\
                  except OpenAPIValidationError as e:\n    sys.exit(f'rejected: {e}')\n";
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python} (CERTIFY_PYTHON, with openapi-spec-validator): {e}"));
    child.stdin.take().unwrap().write_all(document.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success() || said.starts_with("rejected: "),
        "openapi-spec-validator did not run (CERTIFY_PYTHON={python} needs openapi-spec-validator): {said}"
    );
    if output.status.success() { Ok(()) } else { Err(said) }
}

#[test]
fn openapi_spec_validator_accepts_the_description_at_every_version() {
    for version in VERSIONS {
        let description = openapi_description(version).unwrap();
        if let Err(said) = outside_validation(&description) {
            panic!("openapi-spec-validator rejects the description at {version}: {said}");
        }
        // It is a real check: a description with a malformed response or security requirement
        // is rejected.
        let mut broken = description.clone();
        broken["paths"]["/health"]["get"]["responses"]["200"] = json!({"content": "text"});
        assert!(outside_validation(&broken).is_err(), "a broken response passed at {version}");
        let mut broken = description;
        broken["components"]["securitySchemes"]["bearerApiKey"] = json!({"type": "bearer"});
        assert!(outside_validation(&broken).is_err(), "a broken security scheme passed at {version}");
    }
}
