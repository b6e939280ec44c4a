//! API descriptions end to end (PRODUCT.md section 11) against a small shop server of the
//! tests' own whose behaviour and description disagree on purpose: item 2's `id` is a string
//! where the description says integer, item 3 answers an undeclared 500, and `/internal/debug`
//! is not described at all. Items 1 and the list conform (item 1's `note` is `null`, which
//! the 3.0 description allows with `nullable`).

use axum::{
    Json, Router,
    extract::Path as UrlPath,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use crate::support::{Project, Served, files_under};

/// The shop's description, in OpenAPI 3.0's dialect (YAML).
const DESCRIPTION: &str = r##"openapi: 3.0.3
info: {title: shop, version: "1.0.0"}
paths:
  /items:
    get:
      tags: [Catalog]
      responses:
        "200":
          description: all items
          headers:
            X-Total-Count:
              required: true
              schema: {type: integer}
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Item"}}
  /items/{id}:
    get:
      x-certify-feature: catalog
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        "200":
          description: one item
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
        "404": {description: no such item}
    delete:
      tags: [catalog]
      responses:
        "204": {description: deleted}
components:
  schemas:
    Item:
      type: object
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string}
        note: {type: string, nullable: true}
"##;

const CATALOG: &str = r#"[[feature]]
id = "catalog"
title = "The item catalog"
owner = "shop"
lifecycle = { ga = "1.0.0" }
"#;

struct Shop {
    served: Served,
}

impl Shop {
    /// Serves the shop, at the root and under `/gateway/shop`; `/openapi.json` answers
    /// `description` as it is. `/items/echo`
    /// answers the caller's bearer token as the item's `id`.
    fn start(description: &'static str) -> Shop {
        let app = Router::new()
            .route("/version", get(|| async { Json(json!({"version": "1.0.0"})) }))
            .route("/openapi.json", get(move || async move { description }))
            .route(
                "/items",
                get(|| async { ([("X-Total-Count", "1")], Json(json!([{"id": 1, "name": "one", "note": null}]))) }),
            )
            .route("/items/{id}", get(item))
            .route("/internal/debug", get(|| async { Json(json!({"debug": true})) }));
        // The same shop behind a path prefix, as a deployment behind a gateway serves it.
        let app = app.clone().nest("/gateway/shop", app);
        let served = Served::start(app, 1);
        Shop { served }
    }

    fn url(&self) -> String {
        self.served.url()
    }
}

async fn item(UrlPath(id): UrlPath<String>, headers: axum::http::HeaderMap) -> Response {
    match id.as_str() {
        // Echoes the caller's credential where an integer belongs: the violation quotes it.
        "echo" => {
            let token = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
            Json(json!({"id": token.trim_start_matches("Bearer "), "name": "echo"})).into_response()
        }
        "1" => Json(json!({"id": 1, "name": "one", "note": null})).into_response(),
        "2" => Json(json!({"id": "2", "name": "two"})).into_response(),
        "3" => (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "application/json")], r#"{"error":"boom"}"#)
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn project(shop: &Shop, api: &str, features: &str) -> Project {
    Project::empty()
        .file(
            "certify.toml",
            &format!(
                "[suite]\nfeatures = \"features\"\ncatalog = \"features/catalog.toml\"\n\n[targets.shop]\nbase_url = \"{}\"\n\
                 version = {{ path = \"/version\", json = \"$.version\" }}\n{api}\n",
                shop.url()
            ),
        )
        .file("features/catalog.toml", CATALOG)
        .file("api/openapi.yaml", DESCRIPTION)
        .file("features/shop.feature", features)
}

const STEP_SCENARIOS: &str = r#"@feature:catalog
Feature: The shop's items

  Scenario: the item list
    When I send a GET request to "/items"
    Then the response status is 200
    And the response conforms to the API description

  Scenario: item one
    When I send a GET request to "/items/1"
    Then the response conforms to the API description

  Scenario: item two
    When I send a GET request to "/items/2"
    Then the response status is 200
    And the response conforms to the API description

  Scenario: item three
    When I send a GET request to "/items/3"
    Then the response conforms to the API description
"#;

fn manifest(bundle: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(bundle.join("bundle.json")).unwrap_or_else(|e| panic!("bundle.json: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bundle.json: {e}"))
}

fn scenario<'a>(m: &'a Value, name: &str) -> &'a Value {
    m["scenarios"].as_array().into_iter().flatten().find(|s| s["name"] == name).unwrap_or_else(|| panic!("{name}"))
}

fn failure_message(s: &Value) -> String {
    s["attempts"][0]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|step| step["failure"]["message"].as_str().or_else(|| step["error"].as_str()))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_step_fails_a_response_that_breaks_the_description_naming_operation_status_and_pointer() {
    let shop = Shop::start("");
    let p = project(&shop, "api = { file = \"api/openapi.yaml\" }", STEP_SCENARIOS);
    let out = p.out("bundle");
    let run = p.certify().args(["run", "--no-sign", "--out"]).arg(&out).run();
    run.expect_code(1);
    let m = manifest(&out);
    assert_eq!(scenario(&m, "the item list")["status"], "passed", "{run}");
    assert_eq!(scenario(&m, "item one")["status"], "passed", "{run}");
    let two = failure_message(scenario(&m, "item two"));
    assert!(two.contains("GET /items/{id} answered 200"), "{two}\n{m:#}");
    assert!(two.contains("body /id"), "{two}");
    assert!(two.contains("/components/schemas/Item/properties/id"), "{two}");
    let three = failure_message(scenario(&m, "item three"));
    assert!(three.contains("GET /items/{id} answered 500"), "{three}");
    assert!(three.contains("500 is not declared"), "{three}");

    // API coverage: every operation, exercised or not, with its feature.
    let api = &m["api"];
    assert_eq!(api["source"], "api/openapi.yaml");
    assert_eq!(api["file"], "suite/api/openapi.yaml");
    assert_eq!(api["checked"], "step");
    assert_eq!(api["findings"], 2);
    let ops: Vec<(String, bool, String, u64)> = api["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|op| {
            (
                op["operation"].as_str().unwrap_or_default().to_owned(),
                op["exercised"].as_bool().unwrap_or_default(),
                op["feature"].as_str().unwrap_or("-").to_owned(),
                op["findings"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("GET /items".to_owned(), true, "catalog".to_owned(), 0),
            ("GET /items/{id}".to_owned(), true, "catalog".to_owned(), 2),
            ("DELETE /items/{id}".to_owned(), false, "catalog".to_owned(), 0),
        ]
    );
    // The summary, JUnit and the transcripts say it too.
    assert!(run.stdout.contains("2 of 3 operations exercised"), "{run}");
    assert!(run.stdout.contains("DELETE /items/{id}  [catalog]"), "{run}");
    let junit = std::fs::read_to_string(out.join("junit.xml")).expect("junit.xml");
    assert!(junit.contains("GET /items/{id} answered 200"), "{junit}");
    let transcripts: String =
        files_under(&out.join("transcripts")).iter().map(|f| std::fs::read_to_string(f).unwrap_or_default()).collect();
    assert!(transcripts.contains(r#""outcome":"violations""#), "the transcript records the check");
    assert!(transcripts.contains(r#""outcome":"conforms""#), "the transcript records the check");
    // The description that ran is kept.
    assert_eq!(std::fs::read_to_string(out.join("suite/api/openapi.yaml")).expect("kept"), DESCRIPTION);
    let report = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(report.contains("id=\"api-operations\"") && report.contains("DELETE /items/{id}"), "report.html");
}

#[test]
fn with_api_check_every_each_response_is_checked_and_an_undocumented_endpoint_is_a_finding() {
    let shop = Shop::start(DESCRIPTION);
    let features = r#"@feature:catalog
Feature: every response

  Scenario: item one
    When I send a GET request to "/items/1"
    Then the response status is 200

  Scenario: item two
    When I send a GET request to "/items/2"
    Then the response status is 200

  Scenario: the debug page
    When I send a GET request to "/internal/debug"
    Then the response status is 200
"#;
    let p = project(&shop, "api = { path = \"/openapi.json\" }\napi_check = \"every\"", features);
    let key = p.keygen();
    let out = p.out("bundle");
    let run = p.certify().signed_by(&key).args(["run", "--out"]).arg(&out).run();
    run.expect_code(1);
    let m = manifest(&out);
    assert_eq!(scenario(&m, "item one")["status"], "passed", "{run}");
    let two = failure_message(scenario(&m, "item two"));
    assert!(two.contains("GET /items/{id} answered 200") && two.contains("body /id"), "{two}");
    let debug = failure_message(scenario(&m, "the debug page"));
    assert!(debug.contains("GET /internal/debug is not in the API description"), "{debug}");
    let api = &m["api"];
    assert_eq!(api["checked"], "every");
    assert_eq!(api["findings"], 2, "{api:#}");
    assert_eq!(api["undocumented"], json!([{"request": "GET /internal/debug", "count": 1, "answered": 1}]));
    assert!(api["source"].as_str().unwrap_or_default().starts_with("GET http://127.0.0.1:"), "{api:#}");
    assert_eq!(api["transcript"], "transcripts/api-description.json");
    // The fetched description is kept as served, and the bundle (with it) verifies.
    assert_eq!(std::fs::read_to_string(out.join("suite/api-description.yaml")).expect("kept"), DESCRIPTION);
    assert!(out.join("transcripts/api-description.json").is_file());
    key.assert_verifies(&out);
    assert!(run.stdout.contains("undocumented  GET /internal/debug"), "{run}");
}

#[test]
fn a_description_that_does_not_parse_stops_the_run_naming_source_and_line() {
    let shop = Shop::start("openapi: 3.1.0\ninfo: {title: shop, version: '1'}\npaths:\n  /items: [\n");
    let p = project(&shop, "api = { path = \"/openapi.json\" }", STEP_SCENARIOS);
    let out = p.out("bundle");
    let run = p.certify().args(["run", "--no-sign", "--out"]).arg(&out).run();
    run.expect_code(2);
    assert!(run.stderr.contains(&format!("GET {}/openapi.json:", shop.url())), "{run}");
    assert!(run.stderr.contains("not valid YAML"), "{run}");
    assert!(!out.exists(), "no bundle for a run that did not start");

    let missing = project(&shop, "api = { file = \"api/missing.yaml\" }", STEP_SCENARIOS);
    let run = missing.certify().args(["run", "--no-sign"]).run();
    run.expect_code(2);
    assert!(run.stderr.contains("targets.shop.api.file"), "{run}");

    // A description outside the project is refused, as every file a run reads outside it is.
    // (a sibling of the project's directory, named after it so that no other test shares it)
    let name = format!("{}-outside.yaml", missing.path().file_name().and_then(|n| n.to_str()).unwrap_or("p"));
    let outside = project(&shop, &format!("api = {{ file = \"../{name}\" }}"), STEP_SCENARIOS);
    let sibling = outside.path().join("..").join(&name);
    std::fs::write(&sibling, DESCRIPTION).expect("write");
    let run = outside.certify().args(["run", "--no-sign"]).run();
    let _ = std::fs::remove_file(&sibling);
    run.expect_code(2);
    assert!(run.stderr.contains("targets.shop.api.file") && run.stderr.contains("inside the project"), "{run}");
}

#[test]
fn the_step_without_a_description_says_how_to_name_one() {
    let shop = Shop::start("");
    let p = project(&shop, "", STEP_SCENARIOS);
    let out = p.out("bundle");
    let run = p.certify().args(["run", "--no-sign", "--out"]).arg(&out).run();
    run.expect_code(1);
    let m = manifest(&out);
    let message = failure_message(scenario(&m, "item one"));
    assert!(message.contains("has no API description: add api = "), "{message}");
    assert!(m.get("api").is_none(), "no api record without a description");
    // Lint says so before any request, at the step's line.
    let lint = p.certify().arg("lint").run();
    lint.expect_code(1);
    assert!(lint.stdout.contains("features/shop.feature:7:"), "{lint}");
    assert!(lint.stdout.contains("no target names an API description"), "{lint}");
    let described = project(&shop, "api = { file = \"api/openapi.yaml\" }", STEP_SCENARIOS);
    described.certify().arg("lint").run().expect_code(0);
}

#[test]
fn a_secret_the_target_echoes_into_a_violation_never_reaches_the_evidence() {
    let shop = Shop::start(DESCRIPTION);
    let secret = "tok_s3cr3t_echoed_0123456789";
    let features = r#"@feature:catalog
Feature: echo

  Scenario: the echo item
    When I send a GET request to "/items/echo"
    Then the response conforms to the API description
"#;
    let p = project(&shop, "api = { path = \"/openapi.json\" }\nauth = { bearer_env = \"SHOP_TOKEN\" }", features);
    let out = p.out("bundle");
    let run = p.certify().env("SHOP_TOKEN", secret).args(["run", "--no-sign", "--out"]).arg(&out).run();
    run.expect_code(1);
    assert!(run.stdout.contains("body /id"), "the violation is reported:\n{run}");
    assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the console shows the secret:\n{run}");
    let transcripts = files_under(&out.join("transcripts"));
    assert!(transcripts.iter().any(|f| std::fs::read_to_string(f).unwrap_or_default().contains(r#""api":"#)));
    for file in files_under(&out) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{} holds the secret the target echoed",
            file.display()
        );
    }
}

/// A release's description, with the item's `name` gone: a response field removed.
fn without_name() -> String {
    DESCRIPTION
        .replace("      required: [id, name]\n", "      required: [id]\n")
        .replace("        name: {type: string}\n", "")
}

#[test]
fn the_gate_blocks_a_breaking_api_change_to_a_ga_feature_and_responses_that_broke_the_description() {
    let shop = Shop::start("");
    let features = r#"@feature:catalog
Feature: items

  Scenario: item one
    When I send a GET request to "/items/1"
    Then the response conforms to the API description
"#;
    let p = project(&shop, "api = { file = \"api/openapi.yaml\" }", features).file(
        "ci/promotion.toml",
        "[stage.production]\nfrom_target = \"shop\"\nrequire = \"ga\"\ntrusted_keys = [\"../keys/release.pub.pem\"]\n\
         require_api_conformance = true\nblock_breaking_api = true\n",
    );
    let key = p.keygen();
    let archive = p.out("archive");
    let certify_version = |version: &str, out: &str| {
        let out = p.out(out);
        let run = p.certify().signed_by(&key).args(["run", "--platform-version", version, "--out"]).arg(&out).run();
        p.archive_add(&out, &key, &archive).expect_code(0);
        (run, out)
    };
    let gate = |version: &str| {
        p.certify()
            .args(["gate", "--policy", "ci/promotion.toml", "--stage", "production", "--candidate", version])
            .args(["--format", "json", "--archive"])
            .arg(&archive)
            .signed_by(&key)
            .run()
    };
    let reasons = |decision: &Value| -> Vec<String> {
        decision["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["rule"].as_str().is_some_and(|rule| rule.contains("api")))
            .map(|r| format!("{} {} {}", r["severity"], r["rule"], r["feature"]))
            .collect()
    };

    // 1.0.0 conforms and there is nothing before it: PROMOTE.
    let (run, _) = certify_version("1.0.0", "v1");
    run.expect_code(0);
    let first = gate("1.0.0");
    first.expect_code(0);
    assert_eq!(reasons(&first.json()), [r#""info" "breaking-api" null"#], "{first}");

    // 1.1.0's description drops the item's name, a GA feature's response field: BLOCK.
    std::fs::write(p.path().join("api/openapi.yaml"), without_name()).expect("write");
    let (run, _) = certify_version("1.1.0", "v2");
    run.expect_code(0);
    let second = gate("1.1.0");
    second.expect_code(1);
    let decision = second.json();
    assert_eq!(decision["verdict"], "BLOCK");
    assert_eq!(reasons(&decision), [r#""block" "breaking-api" "catalog""#], "{second}");
    let message = decision["reasons"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("GET /items/{id}") && message.contains("/components/schemas/Item"), "{message}");
    assert!(message.contains("GA at 1.0.0 and not deprecated first"), "{message}");
    // The signed decision record carries the reason.
    let record = decision["record"].as_str().expect("a decision record");
    let shown = p.certify().args(["verify", record, "--key"]).arg(&key.public).run();
    assert!(shown.stdout.contains("breaking-api"), "{shown}");

    // 1.2.0 answers responses that break its description: BLOCK on conformance too.
    let broken = features.replace("/items/1", "/items/2");
    std::fs::write(p.path().join("features/shop.feature"), broken).expect("write");
    let (run, _) = certify_version("1.2.0", "v3");
    run.expect_code(1);
    let third = gate("1.2.0");
    third.expect_code(1);
    let decision = third.json();
    assert!(reasons(&decision).contains(&r#""block" "api-conformance" null"#.to_owned()), "{third}");
}

#[test]
fn the_reference_platform_conforms_at_both_versions_and_api_drift_blocks_on_conformance() {
    let p = Project::empty();
    for version in ["1.4.0", "2.0.0"] {
        let run = p
            .certify()
            .args(["demo", "--format", "json", "--platform-version", version, "--out"])
            .arg(p.out(&format!("v{version}")))
            .run();
        run.expect_code(0);
        let doc = run.json();
        let api = &doc["api"];
        assert_eq!(api["checked"], "every", "{doc:#}");
        assert_eq!(api["findings"], 0, "{version}: {api:#}");
        assert_eq!(api["version"], version, "the description served is the version's own");
        let exercised = api["operations"].as_array().expect("operations").iter().filter(|op| op["exercised"] == true);
        assert!(exercised.count() >= 15, "{version}: {api:#}");
    }
    let run = p.certify().args(["demo", "--format", "json", "--fault", "api-drift", "--out"]).arg(p.out("drift")).run();
    run.expect_code(1);
    let doc = run.json();
    assert!(doc["api"]["findings"].as_u64().unwrap_or_default() > 0, "{doc:#}");
    let reasons = doc["gate"]["reasons"].as_array().expect("reasons");
    let conformance = reasons
        .iter()
        .find(|r| r["rule"] == "api-conformance" && r["severity"] == "block")
        .unwrap_or_else(|| panic!("no api-conformance blocker: {reasons:#?}"));
    assert!(conformance["message"].as_str().unwrap_or_default().contains("GET /v1/tenant"), "{conformance}");
    assert_eq!(doc["gate"]["verdict"], "BLOCK");
}

#[test]
fn api_diff_names_a_removed_operation_and_a_removed_response_field_and_exits_1() {
    let shop = Shop::start("");
    let p = project(&shop, "", STEP_SCENARIOS).file("api/old.yaml", DESCRIPTION).file(
        "api/new.yaml",
        // Without DELETE /items/{id} and without the item's name.
        &without_name().replace(
            "    delete:\n      tags: [catalog]\n      responses:\n        \"204\": {description: deleted}\n",
            "",
        ),
    );
    let diff = p.certify().args(["api", "diff", "api/old.yaml", "api/new.yaml"]).run();
    diff.expect_code(1);
    let text = &diff.stdout;
    assert!(text.contains("Breaking changes:"), "{diff}");
    assert!(text.contains("operation DELETE /items/{id} removed"), "{diff}");
    assert!(text.contains("/components/schemas/Item/properties/name"), "{diff}");
    assert!(text.contains("features: catalog"), "the catalog links the operations:\n{diff}");
    let breaking = text.find("Breaking changes:").unwrap_or(usize::MAX);
    assert!(text.find("Compatible changes:").is_none_or(|c| c > breaking), "breaking first:\n{diff}");

    let json = p.certify().args(["api", "diff", "api/old.yaml", "api/new.yaml", "--format", "json"]).run();
    json.expect_code(1);
    let doc = json.json();
    let kinds: Vec<&str> =
        doc["changes"].as_array().expect("changes").iter().filter_map(|c| c["kind"].as_str()).collect();
    assert!(kinds.contains(&"operation-removed") && kinds.contains(&"response-field-removed"), "{doc:#}");
    assert_eq!(doc["breaking"].as_u64(), Some(kinds.len() as u64), "{doc:#}");
    let md = p.certify().args(["api", "diff", "api/old.yaml", "api/new.yaml", "--format", "markdown"]).run();
    md.expect_code(1);
    assert!(md.stdout.contains("**Breaking**"), "{md}");

    // The same description: nothing changed.
    let same = p.certify().args(["api", "diff", "api/old.yaml", "api/old.yaml"]).run();
    same.expect_code(0);
    assert!(same.stdout.contains("0 breaking, 0 compatible"), "{same}");

    // A description that does not parse: exit 2, naming the file and the line.
    let p = p.file("api/broken.yaml", "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /x: [\n");
    let bad = p.certify().args(["api", "diff", "api/old.yaml", "api/broken.yaml"]).run();
    bad.expect_code(2);
    assert!(bad.stderr.contains("api/broken.yaml:"), "{bad}");
}

#[test]
fn api_diff_reads_the_descriptions_bundles_kept() {
    let shop = Shop::start("");
    let features = "@feature:catalog\nFeature: f\n\n  Scenario: one\n    When I send a GET request to \"/items/1\"\n";
    let p = project(&shop, "api = { file = \"api/openapi.yaml\" }", features);
    let first = p.out("first");
    p.certify().args(["run", "--no-sign", "--out"]).arg(&first).run().expect_code(0);
    std::fs::write(p.path().join("api/openapi.yaml"), without_name()).expect("write");
    let second = p.out("second");
    p.certify().args(["run", "--no-sign", "--out"]).arg(&second).run().expect_code(0);
    let diff = p.certify().args(["api", "diff"]).arg(&first).arg(&second).run();
    diff.expect_code(1);
    assert!(diff.stdout.contains("/components/schemas/Item/properties/name"), "{diff}");
    // A bundle whose run used no description says so.
    let plain = project(&shop, "", features);
    let none = plain.out("none");
    plain.certify().args(["run", "--no-sign", "--out"]).arg(&none).run().expect_code(0);
    let refused = plain.certify().args(["api", "diff"]).arg(&none).arg(&second).run();
    refused.expect_code(2);
    assert!(refused.stderr.contains("used no API description"), "{refused}");
}

#[test]
fn requests_are_matched_relative_to_the_base_url_whatever_the_servers_say() {
    let shop = Shop::start("");
    // The description's servers name another host and path: they are ignored.
    let description = DESCRIPTION.replace(
        "info: {title: shop, version: \"1.0.0\"}\n",
        "info: {title: shop, version: \"1.0.0\"}\nservers: [{url: \"https://shop.example.com/v9\"}]\n",
    );
    let features = "@feature:catalog\nFeature: f\n\n  Scenario: one\n    When I send a GET request to \"/items/1\"\n";
    let p = Project::empty()
        .file(
            "certify.toml",
            &format!(
                "[suite]\nfeatures = \"features\"\ncatalog = \"features/catalog.toml\"\n\n[targets.shop]\n\
                 base_url = \"{}/gateway/shop\"\napi = {{ file = \"api/openapi.yaml\" }}\napi_check = \"every\"\n",
                shop.url()
            ),
        )
        .file("features/catalog.toml", CATALOG)
        .file("api/openapi.yaml", &description)
        .file("features/shop.feature", features);
    let out = p.out("bundle");
    let run = p.certify().args(["run", "--no-sign", "--platform-version", "1.0.0", "--out"]).arg(&out).run();
    run.expect_code(0);
    let m = manifest(&out);
    let item = m["api"]["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .find(|op| op["operation"] == "GET /items/{id}")
        .cloned()
        .unwrap_or_default();
    assert_eq!((item["exercised"].as_bool(), item["requests"].as_u64()), (Some(true), Some(1)), "{m:#}");
    assert_eq!(m["api"]["undocumented"], Value::Null, "{m:#}");
}
