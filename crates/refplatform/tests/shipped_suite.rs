//! Consistency of the shipped suite (`features/`, `certify.toml`) with the platform: the JSON
//! Schemas accept what the platform answers and reject what it must not, the approved snapshots
//! equal the platform's responses after the configured redactions, and the catalog's lifecycles
//! agree with the features each version serves.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use certify_refplatform::VERSIONS;
use common::Fixture;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(relative: &str) -> String {
    let path = project_root().join(relative);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Errors of `instance` against `features/schemas/<name>`, formats checked.
fn schema_errors(name: &str, instance: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(&read(&format!("features/schemas/{name}"))).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    validator.iter_errors(instance).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

fn assert_conforms(name: &str, instance: &Value) {
    let errors = schema_errors(name, instance);
    assert!(errors.is_empty(), "{name} rejects {instance}: {errors:#?}");
}

#[tokio::test]
async fn schemas_accept_the_platform_responses_and_reject_leaks() {
    let fx = Fixture::start("2.0.0", &[]).await;
    let tenant = fx.sign_up("schema-check", "free").await;
    assert_conforms("tenant-signup.json", &tenant.body);

    let created: Value = fx.post("/v1/keys", &tenant.key, json!({"name": "ci"})).await.json().await.unwrap();
    let revoke = fx
        .request(Method::DELETE, &format!("/v1/keys/{}", created["id"].as_str().unwrap()))
        .bearer_auth(&tenant.key)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    let keys: Value = fx.get("/v1/keys", &tenant.key).await.json().await.unwrap();
    assert_conforms("key-list.json", &keys);

    fx.post("/v1/usage", &tenant.key, json!({"metric": "api_calls", "units": 1000})).await;
    let export: Value = fx.get("/v1/usage/export", &tenant.key).await.json().await.unwrap();
    assert_conforms("usage-export.json", &export);

    let errors = [
        fx.request(Method::GET, "/v1/keys").send().await.unwrap(),
        fx.try_sign_up("schema-check", "free").await,
        fx.try_sign_up("x", "free").await,
        fx.post("/v1/usage", &tenant.key, json!({"metric": "api_calls", "units": 1})).await,
        fx.request(Method::GET, "/nowhere").send().await.unwrap(),
    ];
    for response in errors {
        assert!(response.status().is_client_error());
        let body: Value = response.json().await.unwrap();
        assert_conforms("error.json", &body);
    }

    // The schemas are strict: a secret in a listing or an unexpected field is caught.
    let mut leaky = keys.clone();
    leaky["keys"][0]["key"] = json!(tenant.key);
    assert!(!schema_errors("key-list.json", &leaky).is_empty());
    let mut extra = tenant.body.clone();
    extra["password"] = json!("hunter2");
    assert!(!schema_errors("tenant-signup.json", &extra).is_empty());
    assert!(!schema_errors("error.json", &json!({"error": "flat"})).is_empty());
    fx.stop().await;
}

/// The `[snapshots] redact` paths of certify.toml (this suite only needs top-level members).
fn snapshot_redactions() -> Vec<String> {
    let config: toml::Table = read("certify.toml").parse().unwrap();
    let redact = config["snapshots"]["redact"].as_array().unwrap();
    redact
        .iter()
        .map(|path| {
            let path = path.as_str().unwrap();
            let member = path.strip_prefix("$.").unwrap();
            assert!(member.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{path}");
            member.to_owned()
        })
        .collect()
}

/// The snapshot text for a JSON body: redacted, pretty-printed with keys as received.
fn snapshot_of(mut body: Value, redactions: &[String]) -> String {
    if let Some(object) = body.as_object_mut() {
        for member in redactions {
            if let Some(value) = object.get_mut(member) {
                *value = json!("[redacted]");
            }
        }
    }
    serde_json::to_string_pretty(&body).unwrap()
}

/// Splits an insta `.snap` file into its `source`, `expression` and content.
fn parse_snap(text: &str) -> (String, String, String) {
    let rest = text.strip_prefix("---\n").expect("snapshot header start");
    let (header, content) = rest.split_once("\n---\n").expect("snapshot header end");
    let field = |name: &str| {
        header
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in the snapshot header"))
            .to_owned()
    };
    (field("source"), field("expression"), content.trim_end().to_owned())
}

#[tokio::test]
async fn snapshots_equal_the_redacted_platform_responses() {
    let redactions = snapshot_redactions();
    let fx = Fixture::start("2.0.0", &[]).await;
    let tenant = fx.sign_up("snapshot-check", "free").await;
    let responses = [
        ("version-v2", fx.request(Method::GET, "/version").send().await.unwrap()),
        ("error-unauthenticated", fx.request(Method::GET, "/v1/keys").send().await.unwrap()),
        ("quota-free-plan", fx.get("/v1/quota", &tenant.key).await),
    ];
    let mut checked = BTreeSet::new();
    for (name, response) in responses {
        let body: Value = response.json().await.unwrap();
        let (source, expression, content) = parse_snap(&read(&format!("features/snapshots/{name}.snap")));
        assert_eq!(expression, name);
        let feature = read(&source);
        assert!(
            feature.contains(&format!("the response body matches the snapshot \"{name}\"")),
            "{source} does not use the snapshot {name}"
        );
        assert_eq!(snapshot_of(body, &redactions), content, "snapshot {name}");
        checked.insert(format!("{name}.snap"));
    }
    let on_disk: BTreeSet<String> = fs::read_dir(project_root().join("features/snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(on_disk, checked, "every shipped snapshot is checked here");
    fx.stop().await;
    // A redaction that is missing shows up as a difference.
    let unredacted = snapshot_of(json!({"resets_at": "2030-01-01T00:00:00Z"}), &[]);
    assert!(unredacted.contains("2030"));
}

fn semver(text: &str) -> (u64, u64, u64) {
    let parts: Vec<u64> = text.split('.').map(|p| p.parse().unwrap()).collect();
    assert_eq!(parts.len(), 3, "{text} is not x.y.z");
    (parts[0], parts[1], parts[2])
}

#[tokio::test]
async fn catalog_lifecycles_agree_with_the_features_each_version_serves() {
    let catalog: toml::Table = read("features/catalog.toml").parse().unwrap();
    let features = catalog["feature"].as_array().unwrap();
    for version in VERSIONS {
        let at = semver(version);
        let expected: BTreeSet<String> = features
            .iter()
            .filter(|f| {
                let lifecycle = f["lifecycle"].as_table().unwrap();
                let reached = |stage: &str| lifecycle.get(stage).is_some_and(|v| semver(v.as_str().unwrap()) <= at);
                ["alpha", "beta", "ga"].iter().any(|s| reached(s)) && !reached("removed")
            })
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect();
        let fx = Fixture::start(version, &[]).await;
        let body: Value = fx.request(Method::GET, "/version").send().await.unwrap().json().await.unwrap();
        let served: BTreeSet<String> =
            body["features"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_owned()).collect();
        assert_eq!(served, expected, "at {version}");
        fx.stop().await;
    }
}

#[test]
fn every_catalog_feature_has_one_feature_file_and_the_suite_is_complete() {
    let catalog: toml::Table = read("features/catalog.toml").parse().unwrap();
    let ids: BTreeSet<String> =
        catalog["feature"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();
    let mut tagged = BTreeSet::new();
    let mut scenarios = 0;
    let mut files = 0;
    for entry in fs::read_dir(project_root().join("features")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "feature") {
            continue;
        }
        files += 1;
        let text = fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let id = first
            .split_whitespace()
            .find_map(|tag| tag.strip_prefix("@feature:"))
            .unwrap_or_else(|| panic!("{} has no @feature tag on its first line", path.display()));
        assert!(ids.contains(id), "{}: unknown feature {id}", path.display());
        assert!(tagged.insert(id.to_owned()), "two files for {id}");
        let critical = first.split_whitespace().any(|t| t == "@critical");
        assert_eq!(critical, id == "tenant-signup" || id == "api-keys", "{id}");
        scenarios += text.lines().filter(|l| l.trim_start().starts_with("Scenario")).count();
    }
    // plan-catalog is served but deliberately has no scenario: the shipped
    // catalog keeps one coverage gap, which runs report as `untested`.
    let mut expected = ids.clone();
    assert!(expected.remove("plan-catalog"), "the catalog lists plan-catalog");
    assert_eq!(tagged, expected);
    assert!(files >= 7 && scenarios >= 30, "{files} files, {scenarios} scenarios");
    // The version-dependent expectations are tagged.
    let metering = read("features/usage-metering.feature");
    assert!(metering.contains("@until:1.99.99") && metering.contains("@since:2.0.0"));
}
