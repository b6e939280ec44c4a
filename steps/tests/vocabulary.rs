//! Every step family driven through the real `dispatch()` against a real
//! HTTP server on 127.0.0.1: passing and failing checks, and the ways an
//! exchange can break (connection refused, timeout, body too large).

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use certify_steps::{
    FailureKind, Resolution, RunContext, SecretSource, SnapshotSettings, StepFailure, World, resolve, vocabulary,
};
use serde_json::json;
use support::{Harness, assert_assertion, assert_error, closed_port_url, credential, run_step};

// ---------------------------------------------------------------- request state

#[tokio::test]
async fn request_state_goes_with_the_next_request_only() {
    let mut h = Harness::new().await;
    h.ok(r#"the request header "X-Trace" is "t-1""#).await;
    h.ok(r#"the query parameter "page" is "2""#).await;
    h.step_doc("the request body is:", r#"{"plan": "free"}"#).await.unwrap();
    h.ok(r#"I send a POST request to "/echo?sort=name""#).await;
    let echoed = h.last_json();
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["query"], "sort=name&page=2");
    assert_eq!(echoed["headers"]["x-trace"], "t-1");
    assert_eq!(echoed["headers"]["x-client"], "certify", "target default header");
    assert_eq!(echoed["headers"]["content-type"], "application/json");
    assert_eq!(echoed["body"], r#"{"plan": "free"}"#);

    h.ok(r#"I send a GET request to "/echo""#).await;
    let echoed = h.last_json();
    assert_eq!(echoed["query"], json!(null));
    assert_eq!(echoed["headers"].get("x-trace"), None);
    assert_eq!(echoed["body"], "");
}

#[tokio::test]
async fn tables_set_headers_and_query_parameters() {
    let mut h = Harness::new().await;
    h.step_table("the request headers are:", &[["name", "value"], ["X-A", "1"], ["x-client", "override"]])
        .await
        .unwrap();
    h.step_table("the query parameters are:", &[["q", "a b"], ["n", "2"]]).await.unwrap();
    h.ok(r#"I send a GET request to "/echo""#).await;
    let echoed = h.last_json();
    assert_eq!(echoed["headers"]["x-a"], "1");
    assert_eq!(echoed["headers"]["x-client"], "override");
    assert_eq!(echoed["query"], "q=a+b&n=2");

    let err = h.step("the request headers are:").await;
    assert_error(err, &["needs a data table"]);
    let err = h.run_table_raw("the query parameters are:", vec![vec!["a".into(), "b".into(), "c".into()]]).await;
    assert_error(err, &["exactly 2 cells"]);
}

#[tokio::test]
async fn body_override_and_content_types() {
    let mut h = Harness::new().await;
    h.step_doc("the request body is:", "ignored").await.unwrap();
    h.step_doc(r#"I send a PUT request to "/echo" with body:"#, "plain words").await.unwrap();
    let echoed = h.last_json();
    assert_eq!(echoed["body"], "plain words");
    assert_eq!(echoed["headers"]["content-type"], "text/plain; charset=utf-8");

    h.ok(r#"the request header "Content-Type" is "application/merge-patch+json""#).await;
    h.step_doc(r#"I send a PATCH request to "/echo" with body:"#, r#"{"a": 1}"#).await.unwrap();
    assert_eq!(h.last_json()["headers"]["content-type"], "application/merge-patch+json");
    assert_error(h.step(r#"I send a POST request to "/echo" with body:"#).await, &["needs a doc string"]);
}

#[tokio::test]
async fn base_path_of_the_target_is_kept() {
    let (base, state) = support::start_server().await;
    let api = base.join("api/").unwrap();
    let mut h = Harness::against(api, state, |_| {});
    h.ok(r#"I send a GET request to "/echo""#).await;
    assert_eq!(h.last_json()["path"], "/api/echo");
    let err = h.step(r#"I send a GET request to "http://example.com/x""#).await;
    assert_error(err, &["must be a path relative to the target's base URL"]);
}

// ---------------------------------------------------------------- variables

#[tokio::test]
async fn variables_are_saved_and_interpolated() {
    let mut h = Harness::with(|s| s.outline = vec![("plan".to_owned(), "pro".to_owned())]).await;
    h.step_doc(r#"I send a POST request to "/v1/tenants" with body:"#, r#"{"plan": "{{plan}}"}"#).await.unwrap();
    h.ok("the response status is 201").await;
    h.ok(r#"I save the response JSON at "$.id" as "tenant_id""#).await;
    h.ok(r#"I save the response header "Location" as "where""#).await;
    h.ok(r#"the response JSON at "$.plan" is "{{plan}}""#).await;
    h.ok(r#"the variable "quote" is "say \"hi\"""#).await;
    h.step_doc(
        r#"I send a POST request to "/echo?t={{tenant_id}}" with body:"#,
        r#"{"where": "{{where}}", "quote": "{{quote}}"}"#,
    )
    .await
    .unwrap();
    assert_eq!(h.last_json()["query"], "t=t-42");
    let sent: serde_json::Value = serde_json::from_str(h.last_json()["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent, json!({"where": "/v1/tenants/t-42", "quote": "say \"hi\""}));

    let message = assert_error(
        h.step(r#"I send a GET request to "/x/{{nope}}""#).await,
        &["unknown variable \"nope\"", "plan", "quote", "tenant_id", "where"],
    );
    assert!(message.contains("known variables"), "{message}");
}

#[tokio::test]
async fn saved_numbers_compare_as_numbers() {
    let mut h = Harness::new().await;
    h.ok(r#"I send a GET request to "/v1/tenants/t-1""#).await;
    h.ok(r#"I save the response JSON at "$.limits.requests" as "requests""#).await;
    h.ok(r#"the response JSON at "$.limits.requests" is {{requests}}"#).await;
    let err = h.step(r#"I save the response JSON at "$.nothing" as "x""#).await;
    assert_assertion(err, &["found nothing at that path"]);
    let err = h.step(r#"I save the response header "X-Missing" as "x""#).await;
    assert_assertion(err, &["header \"X-Missing\"", "response headers were"]);
}

// ---------------------------------------------------------------- authentication

#[tokio::test]
async fn credentials_default_named_and_none() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("admin.token");
    std::fs::write(&token, "admin-secret-777\n").unwrap();
    let mut h = Harness::with(|s| {
        s.target.default_auth = Some(credential("default", SecretSource::Value("default-secret-555".into())));
        s.credentials.push(credential("admin", SecretSource::File(token.clone())));
        let mut key = credential("key", SecretSource::Value("key-secret-999".into()));
        key.header = "X-Api-Key".to_owned();
        key.bearer = false;
        s.credentials.push(key);
    })
    .await;
    h.ok(r#"I send a GET request to "/echo""#).await;
    assert_eq!(h.last_json()["headers"]["authorization"], "Bearer default-secret-555");

    h.ok(r#"I am authenticated as "admin""#).await;
    h.ok(r#"I send a GET request to "/echo""#).await;
    h.ok(r#"I send a GET request to "/echo""#).await;
    assert_eq!(h.last_json()["headers"]["authorization"], "Bearer admin-secret-777", "auth stays");

    h.ok(r#"I am authenticated as "key""#).await;
    h.ok(r#"I send a GET request to "/echo""#).await;
    assert_eq!(h.last_json()["headers"]["x-api-key"], "key-secret-999");
    assert_eq!(h.last_json()["headers"].get("authorization"), None);

    h.ok("I am not authenticated").await;
    h.ok(r#"I send a GET request to "/echo""#).await;
    assert_eq!(h.last_json()["headers"].get("authorization"), None);

    assert_eq!(h.ctx.secrets(), vec!["admin-secret-777", "default-secret-555", "key-secret-999"]);

    // A failure message that would quote a secret has it redacted.
    h.ok(r#"I am authenticated as "admin""#).await;
    h.ok(r#"I send a GET request to "/echo""#).await;
    let message = assert_assertion(h.step(r#"the response body contains "nothing like this""#).await, &["[redacted]"]);
    assert!(!message.contains("admin-secret-777"), "{message}");
}

#[tokio::test]
async fn credential_problems_are_errors_that_never_show_the_secret() {
    let mut h = Harness::with(|s| {
        s.credentials.push(credential("ci", SecretSource::Env("CERTIFY_STEPS_TEST_UNSET_TOKEN".into())));
        s.credentials.push(credential("file", SecretSource::File("/nonexistent/certify/token".into())));
    })
    .await;
    assert_error(
        h.step(r#"I am authenticated as "ci""#).await,
        &[
            "credential \"ci\"",
            "certify.toml [credentials.ci]",
            "environment variable CERTIFY_STEPS_TEST_UNSET_TOKEN is not set",
        ],
    );
    assert_error(
        h.step(r#"I am authenticated as "file""#).await,
        &["credential \"file\"", "cannot read secret file /nonexistent/certify/token"],
    );
    assert_error(
        h.step(r#"I am authenticated as "root""#).await,
        &["unknown credential \"root\"", "declared credentials: ci, file"],
    );

    let mut h = Harness::with(|s| {
        s.target.default_auth = Some(credential("default", SecretSource::Env("CERTIFY_STEPS_TEST_UNSET_2".into())));
    })
    .await;
    assert_error(h.step(r#"I send a GET request to "/echo""#).await, &["CERTIFY_STEPS_TEST_UNSET_2"]);
    assert!(h.exchanges().is_empty(), "nothing was sent");
}

// ---------------------------------------------------------------- status and headers

#[tokio::test]
async fn status_checks() {
    let mut h = Harness::new().await;
    assert_error(h.step("the response status is 200").await, &["no request has been sent in this scenario yet"]);
    h.ok(r#"I send a GET request to "/error""#).await;
    h.ok("the response status is 500").await;
    h.ok("the response status is one of 500, 503").await;
    let url = format!("{}error", h.base);
    assert_assertion(
        h.step("the response status is 201").await,
        &[&format!("response status: expected 201, got 500 (GET {url})\nresponse body: {{\"error\":\"boom\"}}")],
    );
    assert_assertion(
        h.step("the response status is one of 200, 201 or 204").await,
        &["expected one of 200, 201, 204, got 500"],
    );
    assert_error(h.step("the response status is 999").await, &["999 is not an HTTP status code"]);
}

#[tokio::test]
async fn header_checks() {
    let mut h = Harness::new().await;
    h.ok(r#"I send a GET request to "/headers""#).await;
    h.ok(r#"the response header "Retry-After" is "30""#).await;
    h.ok(r#"the response header "retry-after" exists"#).await;
    h.ok(r#"the response header "X-Trace" contains "abc""#).await;
    h.ok(r#"the response header "Set-Cookie" is "b=2""#).await;
    h.ok(r#"the response header "Location" does not exist"#).await;
    h.step_table("the response headers include:", &[["name", "value"], ["x-trace", "abc-123"], ["retry-after", "30"]])
        .await
        .unwrap();

    assert_assertion(
        h.step(r#"the response header "Retry-After" is "60""#).await,
        &["header \"Retry-After\": expected \"60\", got \"30\""],
    );
    assert_assertion(h.step(r#"the response header "X-Trace" contains "zzz""#).await, &["expected to contain \"zzz\""]);
    assert_assertion(
        h.step(r#"the response header "ETag" exists"#).await,
        &["header \"ETag\": expected to exist, response headers were: ", "retry-after: 30"],
    );
    assert_assertion(h.step(r#"the response header "X-Trace" does not exist"#).await, &["expected not to exist"]);
    let message = assert_assertion(
        h.step_table("the response headers include:", &[["x-trace", "nope"], ["etag", "1"], ["retry-after", "30"]])
            .await,
        &[
            "header \"x-trace\": expected \"nope\"",
            "header \"etag\": expected \"1\", but the response has no such header",
        ],
    );
    assert_eq!(message.lines().count(), 2, "{message}");
}

// ---------------------------------------------------------------- JSON body

#[tokio::test]
async fn jsonpath_checks_pass() {
    let mut h = Harness::new().await;
    h.ok(r#"I send a GET request to "/v1/tenants/t-1""#).await;
    for step in [
        r#"the response JSON at "$.plan" is "free""#,
        r#"the response JSON at "$.limits" is {"burst": 2.5, "requests": 100.0}"#,
        r#"the response JSON at "$.deleted_at" is null"#,
        r#"the response JSON at "$.id" exists"#,
        r#"the response JSON at "$.password" does not exist"#,
        r#"the response JSON at "$.items" has 3 items"#,
        r#"the response JSON at "$.items[*].id" has 3 items"#,
        r#"the response JSON at "$.roles" contains "admin""#,
        r#"the response JSON at "$.items" contains {"id": 2}"#,
        r#"the response JSON at "$.name" contains "cm""#,
        r#"the response JSON at "$.items[*].id" contains 3"#,
        r#"the response JSON at "$.id" matches "^[0-9a-f-]{36}$""#,
        r#"the response JSON at "$.limits.requests" matches "^1""#,
        r#"the response JSON at "$.name" is a string"#,
        r#"the response JSON at "$.limits.requests" is an integer"#,
        r#"the response JSON at "$.limits.requests" is a number"#,
        r#"the response JSON at "$.limits" is an object"#,
        r#"the response JSON at "$.deleted_at" is a null"#,
        r#"the response body contains "Acme""#,
    ] {
        h.ok(step).await;
    }
}

#[tokio::test]
async fn jsonpath_checks_fail_with_expected_actual_and_where() {
    let mut h = Harness::new().await;
    h.ok(r#"I send a GET request to "/v1/tenants/t-1""#).await;
    let cases: Vec<(&str, &str)> = vec![
        (r#"the response JSON at "$.plan" is "pro""#, r#"JSON at $.plan: expected "pro", got "free""#),
        (r#"the response JSON at "$.nope" is 3"#, "JSON at $.nope: expected 3, found nothing at that path"),
        (r#"the response JSON at "$.items[*].id" is 1"#, "the path selects 3 nodes and this step needs exactly one"),
        (r#"the response JSON at "$.nope" exists"#, "JSON at $.nope: expected to exist, found nothing at that path"),
        (
            r#"the response JSON at "$.plan" does not exist"#,
            r#"JSON at $.plan: expected nothing at that path, got "free""#,
        ),
        (r#"the response JSON at "$.roles" has 3 items"#, "JSON at $.roles: expected 3 items, got 2"),
        (r#"the response JSON at "$.plan" has 1 item"#, "expected an array of 1 items, got a string"),
        (
            r#"the response JSON at "$.roles" contains "owner""#,
            r#"JSON at $.roles: expected to contain "owner", got ["admin","viewer"]"#,
        ),
        (r#"the response JSON at "$.name" contains 3"#, "a string can only contain a string"),
        (r#"the response JSON at "$.name" matches "^B""#, r#"JSON at $.name: expected to match "^B", got "Acme""#),
        (r#"the response JSON at "$.limits" matches "x""#, "expected a string to match"),
        (
            r#"the response JSON at "$.limits.burst" is an integer"#,
            "JSON at $.limits.burst: expected an integer, got 2.5 (a number)",
        ),
        (r#"the response body contains "Globex""#, r#"response body: expected to contain "Globex""#),
    ];
    for (step, needle) in cases {
        let result = h.step(step).await;
        let failure = result.expect_err(step);
        assert_eq!(failure.kind, FailureKind::Assertion, "{step}: {failure:?}");
        assert!(failure.message.contains(needle), "{step}:\n{}\nshould contain\n{needle}", failure.message);
    }
}

#[tokio::test]
async fn bad_arguments_are_errors() {
    let mut h = Harness::new().await;
    h.ok(r#"I send a GET request to "/v1/tenants/t-1""#).await;
    assert_error(h.step(r#"the response JSON at "$.items[" exists"#).await, &["invalid JSONPath \"$.items[\": "]);
    assert_error(h.step(r#"the response JSON at "plan" is "free""#).await, &["invalid JSONPath \"plan\""]);
    assert_error(h.step(r#"the response JSON at "$.plan" is "free"#).await, &["is not a JSON literal"]);
    assert_error(h.step(r#"the response JSON at "$.plan" matches "(""#).await, &["invalid regular expression"]);
    assert_error(h.step(r#"the response JSON at "$.plan" is {{plan}}"#).await, &["unknown variable \"plan\""]);
}

#[tokio::test]
async fn non_json_bodies_and_missing_responses() {
    let mut h = Harness::new().await;
    assert_error(
        h.step(r#"the response JSON at "$.a" exists"#).await,
        &["no request has been sent in this scenario yet"],
    );
    h.ok(r#"I send a GET request to "/html""#).await;
    assert_assertion(
        h.step(r#"the response JSON at "$.a" exists"#).await,
        &["response body is not JSON (Content-Type text/html): <html><body>Oops</body></html>"],
    );
    h.ok(r#"I send a GET request to "/empty""#).await;
    assert_assertion(h.step_doc("the response JSON matches:", "{}").await, &["not JSON (no Content-Type): (empty)"]);
}

#[tokio::test]
async fn fuzzy_matching() {
    let mut h = Harness::new().await;
    h.ok(r#"I send a GET request to "/v1/tenants/t-1""#).await;
    h.ok(r#"the variable "plan" is "free""#).await;
    let doc = r##"{
        "id": "#uuid",
        "name": "#regex [A-Z][a-z]+",
        "plan": "{{plan}}",
        "roles": ["admin", "#string"],
        "limits": {"requests": "#integer", "burst": "#number"},
        "items": "#array",
        "created_at": "#date-time",
        "deleted_at": "#null",
        "password": "#notpresent",
        "anything": "#ignore"
    }"##;
    h.step_doc("the response JSON matches:", doc).await.unwrap();

    assert_assertion(
        h.step_doc("the response JSON matches:", r##"{"limits": {"requests": "#string"}}"##).await,
        &["JSON at $.limits.requests: expected #string, got 100"],
    );
    assert_assertion(
        h.step_doc("the response JSON matches:", r#"{"roles": ["admin"]}"#).await,
        &["JSON at $.roles: expected 1 items, got 2"],
    );
    assert_error(
        h.step_doc("the response JSON matches:", r##"{"name": "#strin"}"##).await,
        &["unknown fuzzy marker \"#strin\" at $.name", "#string #number"],
    );
    assert_error(h.step_doc("the response JSON matches:", "{not json").await, &["is not JSON"]);
}

#[tokio::test]
async fn json_table() {
    let mut h = Harness::new().await;
    h.ok(r#"I send a GET request to "/v1/tenants/t-1""#).await;
    h.step_table("the response JSON has:", &[["path", "value"], ["$.plan", r#""free""#], ["$.limits.requests", "100"]])
        .await
        .unwrap();
    let message = assert_assertion(
        h.step_table("the response JSON has:", &[["$.plan", r#""pro""#], ["$.name", r#""Acme""#], ["$.x", "1"]]).await,
        &[r#"JSON at $.plan: expected "pro", got "free""#, "JSON at $.x: expected 1, found nothing"],
    );
    assert_eq!(message.lines().count(), 2, "{message}");
    assert_error(h.step_table("the response JSON has:", &[["$.plan", "free"]]).await, &["not a JSON literal"]);
}

// ---------------------------------------------------------------- schema

#[tokio::test]
async fn json_schema_conformance() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
    std::fs::write(
        dir.path().join("schemas/tenant.json"),
        r#"{
            "type": "object",
            "required": ["id", "plan"],
            "properties": {
                "plan": {"$ref": "common.json#/$defs/plan"},
                "limits": {"type": "object", "properties": {"requests": {"type": "integer"}}}
            }
        }"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("schemas/common.json"), r#"{"$defs": {"plan": {"enum": ["free", "pro"]}}}"#)
        .unwrap();
    std::fs::write(
        dir.path().join("schemas/strict.json"),
        r#"{"type": "object", "properties": {"plan": {"enum": ["pro"]}, "name": {"type": "integer"}}}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("schemas/broken.json"), "{not json").unwrap();
    let feature = dir.path().join("tenants.feature");
    let mut h = Harness::with(|s| s.feature_path = Some(feature.clone())).await;
    h.ok(r#"I send a GET request to "/v1/tenants/t-1""#).await;
    h.ok(r#"the response JSON conforms to the schema "schemas/tenant.json""#).await;
    let message = assert_assertion(
        h.step(r#"the response JSON conforms to the schema "schemas/strict.json""#).await,
        &[
            "response JSON does not conform to the schema \"schemas/strict.json\" (2 violations):",
            "at /plan:",
            "at /name:",
        ],
    );
    assert_eq!(message.lines().count(), 3, "{message}");
    assert_error(
        h.step(r#"the response JSON conforms to the schema "schemas/missing.json""#).await,
        &["cannot read JSON Schema"],
    );
    assert_error(
        h.step(r#"the response JSON conforms to the schema "schemas/broken.json""#).await,
        &["is not valid JSON"],
    );
}

// ---------------------------------------------------------------- snapshots

#[tokio::test]
async fn snapshots_missing_pending_accepted_and_changed() {
    let dir = tempfile::tempdir().unwrap();
    let snapshots = |update| SnapshotSettings {
        dir: dir.path().to_path_buf(),
        redact: vec!["$.id".to_owned(), "$.created_at".to_owned()],
        update,
    };
    let (base, state) = support::start_server().await;

    let mut h = Harness::against(base.clone(), state.clone(), |s| s.snapshots = snapshots(false));
    h.ok(r#"I send a GET request to "/v1/tenants/t-1""#).await;
    assert_assertion(
        h.step(r#"the response body matches the snapshot "tenant""#).await,
        &["snapshot \"tenant\" does not exist", "--update-snapshots"],
    );
    assert!(!dir.path().join("tenant.snap.new").exists());

    let mut h = Harness::against(base.clone(), state.clone(), |s| s.snapshots = snapshots(true));
    h.ok(r#"I send a GET request to "/v1/tenants/t-1""#).await;
    assert_assertion(h.step(r#"the response body matches the snapshot "tenant""#).await, &["for review"]);
    let pending = std::fs::read_to_string(dir.path().join("tenant.snap.new")).unwrap();
    assert!(pending.contains("\"id\": \"[redacted]\""), "{pending}");
    assert!(pending.contains("\"created_at\": \"[redacted]\""), "{pending}");
    assert!(pending.contains("\"plan\": \"free\""), "{pending}");
    let name_at = pending.find("\"name\"").unwrap();
    let plan_at = pending.find("\"plan\"").unwrap();
    assert!(name_at < plan_at, "keys stay in received order");
    std::fs::rename(dir.path().join("tenant.snap.new"), dir.path().join("tenant.snap")).unwrap();

    let mut h = Harness::against(base.clone(), state.clone(), |s| s.snapshots = snapshots(true));
    h.ok(r#"I send a GET request to "/v1/tenants/t-1""#).await;
    h.ok(r#"the response body matches the snapshot "tenant""#).await;
    assert!(!dir.path().join("tenant.snap.new").exists(), "a match writes nothing");

    let mut h = Harness::against(base, state, |s| s.snapshots = snapshots(false));
    h.ok(r#"I send a GET request to "/html""#).await;
    assert_assertion(
        h.step(r#"the response body matches the snapshot "tenant""#).await,
        &["does not match snapshot \"tenant\"", "+<html><body>Oops</body></html>", "-  \"plan\": \"free\","],
    );
}

// ---------------------------------------------------------------- time

#[tokio::test]
async fn response_time() {
    let mut h = Harness::new().await;
    h.ok(r#"I send a GET request to "/echo""#).await;
    h.ok("the response time is under 5000 ms").await;
    assert_assertion(h.step("the response time is under 0 ms").await, &["response time: expected under 0 ms, got "]);
}

#[tokio::test]
async fn eventually_polls_until_it_holds() {
    let mut h = Harness::new().await;
    h.ok(r#"within 5 seconds a GET request to "/counter" returns status 200"#).await;
    assert_eq!(h.state.counter.load(Ordering::SeqCst), 3);
    assert_eq!(h.exchanges().len(), 3, "every poll is recorded");
    h.ok(r#"the response JSON at "$.state" is "ready""#).await;

    h.state.counter.store(0, Ordering::SeqCst);
    h.ok(r#"within 5 seconds a GET request to "/counter" returns JSON at "$.state" equal to "ready""#).await;
    assert_eq!(h.state.counter.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn eventually_fails_with_attempts_and_last_value() {
    let mut h = Harness::new().await;
    let started = Instant::now();
    let message = assert_assertion(
        h.step(r#"within 1 second a GET request to "/error" returns status 200"#).await,
        &["within 1s GET ", "did not return status 200", "last status 500"],
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(started.elapsed() < Duration::from_secs(3));
    let attempts = h.exchanges().len();
    assert!(attempts >= 3, "{attempts}");
    assert!(message.contains(&format!("{attempts} attempts")), "{message}");

    let message = assert_assertion(
        h.step(r#"within 0 seconds a GET request to "/v1/tenants/t-1" returns JSON at "$.plan" equal to "pro""#).await,
        &["did not return JSON at $.plan equal to \"pro\"", "1 attempt,", "last value \"free\""],
    );
    assert!(!message.contains("attempts"), "{message}");

    let mut h = Harness::against(closed_port_url().await, support::ServerState::default(), |_| {});
    assert_error(
        h.step(r#"within 0 seconds a GET request to "/x" returns status 200"#).await,
        &["last attempt failed: could not connect to GET"],
    );
}

// ---------------------------------------------------------------- broken exchanges

#[tokio::test]
async fn connection_refused_is_an_error_and_recorded() {
    let base = closed_port_url().await;
    let mut h = Harness::against(base.clone(), support::ServerState::default(), |_| {});
    let url = format!("{base}v1/x");
    let message = assert_error(
        h.step(r#"I send a GET request to "/v1/x""#).await,
        &[&format!("could not connect to GET {url}: ")],
    );
    assert!(message.to_lowercase().contains("connect"), "{message}");
    let exchanges = h.exchanges();
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0].error.as_deref(), Some(message.as_str()));
    assert!(exchanges[0].response.is_none());
    assert_error(h.step("the response status is 200").await, &["no request has been sent"]);
}

#[tokio::test]
async fn timeout_is_an_error_and_recorded() {
    let mut h = Harness::with(|s| s.target.timeout = Duration::from_millis(300)).await;
    let started = Instant::now();
    let url = format!("{}slow", h.base);
    let message = assert_error(
        h.step(r#"I send a GET request to "/slow""#).await,
        &[&format!("no response from GET {url} within 300ms")],
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(h.exchanges()[0].error.as_deref(), Some(message.as_str()));
}

#[tokio::test]
async fn a_head_response_keeps_its_content_length() {
    let mut h = Harness::with(|s| s.target.max_body_bytes = 1000).await;
    h.ok(r#"I send a HEAD request to "/big""#).await;
    h.ok("the response status is 200").await;
    h.ok(r#"the response header "Content-Length" is "5000""#).await;
}

#[tokio::test]
async fn server_errors_are_responses_not_errors() {
    let mut h = Harness::new().await;
    h.ok(r#"I send a GET request to "/error""#).await;
    h.ok(r#"the response JSON at "$.error" is "boom""#).await;
}

// ---------------------------------------------------------------- journal and context

#[tokio::test]
async fn the_journal_records_every_exchange_with_its_step() {
    let mut h = Harness::new().await;
    h.ok(r#"the request header "X-Trace" is "t-9""#).await;
    h.step_doc(r#"I send a POST request to "/v1/tenants" with body:"#, r#"{"plan": "pro"}"#).await.unwrap();
    let exchanges = h.exchanges();
    assert_eq!(exchanges.len(), 1);
    let exchange = &exchanges[0];
    assert_eq!(exchange.step_line, 2);
    assert_eq!(exchange.step, r#"I send a POST request to "/v1/tenants" with body:"#);
    assert_eq!(exchange.request.method, "POST");
    assert_eq!(exchange.request.url, format!("{}v1/tenants", h.base));
    assert!(exchange.request.headers.contains(&("X-Trace".to_owned(), "t-9".to_owned())));
    assert_eq!(exchange.request.body.as_ref().unwrap().bytes, &br#"{"plan": "pro"}"#[..]);
    let response = exchange.response.as_ref().unwrap();
    assert_eq!(response.status, 201);
    assert!(response.headers.contains(&("location".to_owned(), "/v1/tenants/t-42".to_owned())));
    assert!(exchange.error.is_none());
    let serialized = serde_json::to_value(exchange).unwrap();
    assert_eq!(serialized["response"]["body"]["text"], r#"{"plan":"pro","id":"t-42"}"#);
}

#[tokio::test]
async fn rate_limit_spaces_requests() {
    let mut h = Harness::with(|s| s.target.max_rps = Some(20.0)).await;
    let started = Instant::now();
    for _ in 0..5 {
        h.ok(r#"I send a GET request to "/echo""#).await;
    }
    assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
}

#[tokio::test]
async fn steps_need_a_prepared_world() {
    let mut world = World::default();
    let result = run_step(&mut world, r#"I send a GET request to "/""#, None, None, 1).await;
    let failure: StepFailure = result.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Error);
    assert!(failure.message.contains("World::prepare"), "{}", failure.message);
}

#[tokio::test]
async fn one_context_serves_many_scenarios() {
    let (base, _state) = support::start_server().await;
    let ctx = std::sync::Arc::new(
        RunContext::new(
            certify_steps::TargetSettings {
                name: "t".to_owned(),
                base_url: base,
                headers: vec![],
                default_auth: None,
                timeout: Duration::from_secs(5),
                max_rps: None,
                max_body_bytes: 1 << 20,
            },
            vec![],
            SnapshotSettings::default(),
        )
        .unwrap(),
    );
    for i in 0..3 {
        let journal = certify_steps::Journal::default();
        let mut world = World::default();
        world.prepare(
            std::sync::Arc::clone(&ctx),
            None,
            vec![("n".to_owned(), i.to_string())],
            std::sync::Arc::clone(&journal),
        );
        run_step(&mut world, r#"I send a GET request to "/echo?n={{n}}""#, None, None, 1).await.unwrap();
        assert_eq!(journal.lock().unwrap().len(), 1);
        assert!(std::ptr::eq(world.journal().as_ref(), journal.as_ref()));
    }
}

// ---------------------------------------------------------------- registry

#[test]
fn every_example_resolves_to_itself() {
    for def in vocabulary() {
        assert!(matches!(resolve(def.example), Resolution::Matched(found) if found.id == def.id), "{}", def.example);
    }
}
