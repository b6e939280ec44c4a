//! Run integrity: a signed PASSED means every selected feature file loaded
//! and every selected, applicable scenario ran and passed. A critical feature
//! file with a syntax error must make the run FAILED in every report, leave
//! its catalog features uncertified, and make a gate that requires them BLOCK.

use std::fs;

use serde_json::Value;

use crate::support::{Project, Server, assert_valid_junit, read_junit};

const CATALOG: &str = r#"
[[feature]]
id = "tenant-signup"
title = "Self-service tenant sign-up"
owner = "onboarding"
lifecycle = { ga = "1.0.0" }

[[feature]]
id = "status"
title = "Platform status"
owner = "sre"
lifecycle = { ga = "1.0.0" }
"#;

const CONFIG: &str = r#"
[suite]
features = "features"
catalog = "features/catalog.toml"

[targets.staging]
base_url = "${TARGET_URL}"
timeout = "2s"
"#;

/// The syntax error is on line 7: a step outside any scenario keyword.
const BROKEN: &str = "@critical @feature:tenant-signup
Feature: Self-service tenant sign-up

  Scenario: Sign-up answers
    When I send a GET request to \"/ok\"
    Then the response status is 200
  this line is not Gherkin
";

const POLICY: &str = r#"
[stage.production]
from_target  = "staging"
require      = "ga"
max_age      = "72h"
trusted_keys = ["../keys/release.pub.pem"]
require_signed = true
allow_flaky  = false
min_runs     = 1
"#;

fn project() -> Project {
    Project::empty()
        .file("certify.toml", CONFIG)
        .file("features/catalog.toml", CATALOG)
        .file(
            "features/status.feature",
            "@feature:status\nFeature: Status\n\n  Scenario: It answers\n    When I send a GET request to \"/ok\"\n    Then the response status is 200\n",
        )
        .file("features/signup.feature", BROKEN)
        .file("ci/promotion.toml", POLICY)
}

#[test]
fn a_critical_feature_file_that_does_not_load_fails_the_run_and_blocks_the_gate() {
    let server = Server::start();
    let p = project();
    let key = p.keygen();
    let out = p.out("bundle");
    let run = p
        .certify()
        .args(["run", "--format", "json", "--platform-version", "1.4.0", "--out"])
        .arg(&out)
        .signed_by(&key)
        .env("TARGET_URL", server.url())
        .run();
    run.expect_code(1);
    let summary = run.json();
    assert_eq!(summary["status"], "failed", "{run}");
    assert_eq!(summary["counts"]["load_errors"], 1, "{run}");
    assert_eq!(summary["counts"]["passed"], 1, "the other file still ran: {run}");
    let error = &summary["load_errors"][0];
    assert_eq!((error["file"].as_str(), error["line"].as_u64()), (Some("features/signup.feature"), Some(7)), "{run}");

    // The bundle verifies and says FAILED.
    key.assert_verifies(&out);
    let manifest: Value = serde_json::from_str(&fs::read_to_string(out.join("bundle.json")).unwrap()).unwrap();
    assert_eq!(manifest["status"], "failed");
    let broken = &manifest["broken_files"][0];
    assert_eq!(broken["file"], "features/signup.feature", "{manifest:#}");
    assert_eq!((broken["line"].as_u64(), broken["column"].as_u64()), (Some(7), Some(3)), "{broken}");
    assert!(broken["message"].as_str().unwrap_or_default().contains("this line is not Gherkin"), "{broken}");
    assert_eq!(broken["features"], serde_json::json!(["tenant-signup"]));
    let verdict = manifest["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "tenant-signup")
        .cloned()
        .unwrap_or_default();
    assert_eq!(verdict["verdict"], "failed", "{verdict}");
    assert!(verdict["reason"].as_str().unwrap_or_default().contains("features/signup.feature:7"), "{verdict}");

    // The statement: FAILED, the file in failedTests.
    let envelope: Value =
        serde_json::from_str(fs::read_to_string(out.join("attestation.intoto.jsonl")).unwrap().trim()).unwrap();
    let payload = base64_decode(envelope["payload"].as_str().unwrap());
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(statement["predicate"]["result"], "FAILED");
    let failed: Vec<&str> =
        statement["predicate"]["failedTests"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(failed.contains(&"features/signup.feature:7"), "{failed:?}");

    // JUnit: a testsuite for the file with an <error> naming file:line, and still valid.
    let junit_path = out.join("junit.xml");
    assert_valid_junit(&junit_path);
    let junit = read_junit(&junit_path);
    let suite = junit
        .children_named("testsuite")
        .find(|s| s.attr("file") == Some("features/signup.feature"))
        .unwrap_or_else(|| panic!("no testsuite for the broken file:\n{}", fs::read_to_string(&junit_path).unwrap()));
    let errors = suite.descendants("error");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].attr("type"), Some("load-error"));
    assert!(errors[0].attr("message").is_some_and(|m| m.starts_with("features/signup.feature:7:")), "{errors:?}");
    assert_eq!(junit.attr("errors"), Some("1"));

    // Cucumber Messages: a parseError envelope with the location.
    let messages = fs::read_to_string(out.join("messages.ndjson")).unwrap();
    let parse_error = messages
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v.get("parseError").cloned())
        .unwrap_or_else(|| panic!("no parseError in messages.ndjson"));
    assert_eq!(parse_error["source"]["uri"], "features/signup.feature");
    assert_eq!(parse_error["source"]["location"], serde_json::json!({"line": 7, "column": 3}));
    let finished = messages
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v.get("testRunFinished").cloned());
    assert_eq!(finished.map(|f| f["success"].clone()), Some(Value::Bool(false)));

    // The report shows it.
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("features/signup.feature:7:3"), "report.html does not show the load error");

    // Archived and gated: a policy requiring GA blocks on the uncertified feature.
    let archive = p.out("archive");
    p.archive_add(&out, &key, &archive).expect_code(0);
    let gate = p
        .certify()
        .args([
            "gate",
            "--policy",
            "ci/promotion.toml",
            "--stage",
            "production",
            "--candidate",
            "1.4.0",
            "--no-sign",
            "--archive",
        ])
        .arg(&archive)
        .run();
    gate.expect_code(1);
    assert!(gate.stdout.contains("BLOCK"), "{gate}");
    assert!(gate.stdout.lines().any(|l| l.contains("BLOCK") && l.contains("tenant-signup")), "{gate}");
    // The file is tagged @critical: its feature's failure blocks whatever the thresholds.
    assert!(
        gate.stdout.lines().any(|l| l.contains("BLOCK  critical") && l.contains("feature=tenant-signup")),
        "{gate}"
    );
    // And its reason names the file that did not load, where.
    assert!(
        gate.stdout.lines().any(|l| l.contains("BLOCK  critical") && l.contains("features/signup.feature:7")),
        "the gate does not name the broken file:\n{gate}"
    );
}

#[test]
fn the_text_summary_names_the_file_and_the_features_it_leaves_uncertified() {
    let server = Server::start();
    let p = project();
    let run = p
        .certify()
        .args(["run", "--no-sign", "--platform-version", "1.4.0", "--out"])
        .arg(p.out("b"))
        .env("TARGET_URL", server.url())
        .run();
    run.expect_code(1);
    assert!(run.stdout.contains("certify run") && run.stdout.contains("FAILED"), "{run}");
    assert!(run.stdout.contains("1 feature file did not load"), "{run}");
    assert!(run.stdout.contains("features/signup.feature:7:3"), "{run}");
    assert!(run.stdout.contains("@feature:tenant-signup (not certified)"), "{run}");
}

#[test]
fn a_feature_file_that_is_not_utf8_is_a_load_error_not_a_configuration_error() {
    let server = Server::start();
    let p = project();
    fs::write(p.path().join("features/signup.feature"), b"@feature:tenant-signup\nFeature: caf\xe9\n").unwrap();
    let run = p
        .certify()
        .args(["run", "--no-sign", "--format", "json", "--platform-version", "1.4.0", "--out"])
        .arg(p.out("b"))
        .env("TARGET_URL", server.url())
        .run();
    run.expect_code(1);
    let summary = run.json();
    assert_eq!(summary["status"], "failed", "{run}");
    let error = &summary["load_errors"][0];
    assert_eq!((error["line"].as_u64(), error["column"].as_u64()), (Some(2), Some(13)), "{run}");
    assert!(error["message"].as_str().unwrap_or_default().contains("not UTF-8"), "{run}");
    let verdict = summary["features"].as_array().unwrap().iter().find(|f| f["id"] == "tenant-signup").cloned();
    assert_eq!(verdict.map(|v| v["verdict"].clone()), Some(Value::from("failed")), "{run}");
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).expect("base64 payload")
}

/// Six scenarios that hang, two at a time: when the run is stopped, two are
/// in flight and four never started, and every summary says so.
#[test]
fn an_interrupted_run_counts_interrupted_and_not_run_scenarios_as_such() {
    let server = Server::start();
    let scenarios: String = (1..=6)
        .map(|i| format!("  Scenario: hangs {i}\n    When I send a GET request to \"/hang\"\n    Then the response status is 200\n\n"))
        .collect();
    let config = "[suite]\nfeatures = \"features\"\n\n[targets.t]\nbase_url = \"${TARGET_URL}\"\ntimeout = \"60s\"\nconcurrency = 2\n";
    for format in ["json", "text"] {
        let p = Project::empty()
            .file("certify.toml", config)
            .file("features/hang.feature", &format!("@feature:status\nFeature: Hangs\n\n{scenarios}"));
        let out = p.out("out");
        let running = p
            .certify()
            .args(["run", "--no-sign", "--platform-version", "1.0.0", "--format", format, "--out"])
            .arg(&out)
            .env("TARGET_URL", server.url())
            .spawn();
        crate::support::wait_until_running(&out);
        running.signal("INT");
        let run = running.wait();
        run.expect_code(1);
        if format == "json" {
            let summary = run.json();
            assert_eq!(summary["status"], "interrupted", "{run}");
            let counts = &summary["counts"];
            let (interrupted, not_run) = (counts["interrupted"].as_u64().unwrap(), counts["not_run"].as_u64().unwrap());
            // Two in flight at once (concurrency 2), unless the signal came before they started.
            assert!(interrupted <= 2 && interrupted + not_run == 6, "{run}");
            assert_eq!((counts["passed"].as_u64(), counts["errored"].as_u64()), (Some(0), Some(0)), "{run}");
            let parts: Vec<String> = [(interrupted, "interrupted"), (not_run, "not run")]
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{n} {what}"))
                .collect();
            let status = &summary["features"][0];
            assert_eq!(
                status["reason"].as_str(),
                Some(format!("the run was interrupted: {} of 6 scenarios", parts.join(", ")).as_str()),
                "{run}"
            );
        } else {
            assert!(run.stdout.contains("scenarios  6 selected: 0 passed, "), "{run}");
            assert!(run.stdout.contains(" not run") && !run.stdout.contains("6 run"), "{run}");
            assert!(!run.stdout.contains("errored"), "nothing errored:\n{run}");
        }
        let manifest: Value = serde_json::from_str(&fs::read_to_string(out.join("bundle.json")).unwrap()).unwrap();
        assert_eq!((manifest["status"].as_str(), manifest["complete"].as_bool()), (Some("interrupted"), Some(false)));
    }
}

/// Files steps read lie inside the project: a schema that resolves outside it
/// (by `..` or a symbolic link) errors its scenario without being read; a
/// schema elsewhere in the project is used and kept in the bundle's `suite/`
/// and the statement's configuration.
#[test]
fn files_steps_read_lie_inside_the_project_and_are_kept_in_the_bundle() {
    let server = Server::start();
    let scenario = |name: &str, schema: &str| {
        format!(
            "  Scenario: {name}\n    When I send a GET request to \"/ok\"\n    Then the response JSON conforms to the schema \"{schema}\"\n\n"
        )
    };
    let feature = format!(
        "@feature:status\nFeature: Schemas\n\n{}{}{}",
        scenario("inside", "../schemas/ok.json"),
        scenario("dot-dot", "../../outside.json"),
        scenario("symlink", "linked.json"),
    );
    let p = Project::empty()
        .file("project/certify.toml", "[suite]\nfeatures = \"features\"\n\n[targets.t]\nbase_url = \"${TARGET_URL}\"\n")
        .file("project/features/schemas.feature", &feature)
        .file("project/schemas/ok.json", r#"{"type": "object", "required": ["ok"]}"#)
        // Valid, and would pass: only the path rule can make these scenarios error.
        .file("outside.json", r#"{"type": "object"}"#);
    std::os::unix::fs::symlink(p.path().join("outside.json"), p.path().join("project/features/linked.json")).unwrap();
    let project = p.path().join("project");
    let key = p.keygen();
    let out = p.out("bundle");
    let run = crate::support::certify(&project)
        .args(["run", "--format", "json", "--platform-version", "1.0.0", "--out"])
        .arg(&out)
        .signed_by(&key)
        .env("TARGET_URL", server.url())
        .run();
    run.expect_code(1);
    let summary = run.json();
    assert_eq!(summary["counts"]["passed"], 1, "{run}");
    assert_eq!(summary["counts"]["errored"], 2, "{run}");
    for entry in summary["not_ok"].as_array().unwrap() {
        assert_eq!(entry["status"], "errored", "{entry}");
        assert!(entry["message"].as_str().unwrap_or_default().contains("outside the project"), "{entry}");
    }
    key.assert_verifies(&out);
    let kept = fs::read_to_string(out.join("suite/schemas/ok.json")).expect("the schema the run used is in suite/");
    assert!(kept.contains("required"));
    assert!(!out.join("suite/outside.json").exists());
    let envelope: Value =
        serde_json::from_str(fs::read_to_string(out.join("attestation.intoto.jsonl")).unwrap().trim()).unwrap();
    let statement: Value = serde_json::from_slice(&base64_decode(envelope["payload"].as_str().unwrap())).unwrap();
    let configuration: Vec<&str> =
        statement["predicate"]["configuration"].as_array().unwrap().iter().filter_map(|d| d["name"].as_str()).collect();
    assert!(configuration.contains(&"suite/schemas/ok.json"), "{configuration:?}");
}

#[test]
fn a_snapshot_directory_outside_the_project_errors_the_scenario() {
    let server = Server::start();
    let p = Project::empty()
        .file(
            "project/certify.toml",
            "[suite]\nfeatures = \"features\"\n\n[snapshots]\ndir = \"../snaps\"\n\n[targets.t]\nbase_url = \"${TARGET_URL}\"\n",
        )
        .file(
            "project/features/snap.feature",
            "@feature:status\nFeature: Snap\n\n  Scenario: snap\n    When I send a GET request to \"/ok\"\n    Then the response body matches the snapshot \"ok\"\n",
        );
    let run = crate::support::certify(&p.path().join("project"))
        .args(["run", "--no-sign", "--update-snapshots", "--format", "json", "--platform-version", "1.0.0", "--out"])
        .arg(p.out("b"))
        .env("TARGET_URL", server.url())
        .run();
    run.expect_code(1);
    let entry = &run.json()["not_ok"][0];
    assert_eq!(entry["status"], "errored", "{run}");
    assert!(entry["message"].as_str().unwrap_or_default().contains("outside the project"), "{run}");
    assert!(!p.path().join("snaps").exists(), "nothing was written outside the project");
    let lint = crate::support::certify(&p.path().join("project")).args(["lint"]).env("TARGET_URL", server.url()).run();
    lint.expect_code(1);
    assert!(
        lint.stdout.contains("features/snap.feature:6:5: ") && lint.stdout.contains("outside the project"),
        "{lint}"
    );
}

/// The bundle's directory breaks while the run writes it (its transcripts
/// directory becomes a file): the writer thread's error ends the run with
/// exit 3, naming what could not be written, and no bundle appears.
#[test]
fn an_output_directory_that_breaks_mid_run_ends_the_run_with_exit_3_and_no_bundle() {
    let server = Server::start();
    let slow: String = (1..=30)
        .map(|i| format!("  Scenario: slow {i}\n    When I send a GET request to \"/slow/x\"\n    Then the response status is 200\n\n"))
        .collect();
    let config = "[suite]\nfeatures = \"features\"\n\n[targets.t]\nbase_url = \"${TARGET_URL}\"\nconcurrency = 1\n";
    let p = Project::empty()
        .file("certify.toml", config)
        .file("features/a.feature", &format!("Feature: Slow\n\n{slow}"))
        .file(
            "features/b.feature",
            "Feature: Later\n\n  Scenario: after\n    When I send a GET request to \"/ok\"\n    Then the response status is 200\n",
        );
    let out = p.out("out");
    let running = p
        .certify()
        .args(["run", "--no-sign", "--platform-version", "1.0.0", "--out"])
        .arg(&out)
        .env("TARGET_URL", server.url())
        .spawn();
    crate::support::wait_until_running(&out);
    let partial = fs::read_dir(p.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|e| e.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".out.partial-")))
        .expect("the partial bundle");
    fs::remove_dir_all(partial.join("transcripts")).unwrap();
    fs::write(partial.join("transcripts"), "not a directory").unwrap();
    let run = running.wait();
    run.expect_code(3);
    assert!(run.stderr.contains("could not be completed") && run.stderr.contains("transcripts"), "{run}");
    assert!(!out.exists(), "a bundle appeared at {}:\n{run}", out.display());
    let verify = p.certify().arg("verify").arg(&partial).run();
    assert_ne!(verify.code, 0, "the partial directory verifies:\n{verify}");
}

/// A bundle written before scenario entries were typed and transcripts
/// grouped (one JSON file per scenario) still verifies, and its report still
/// shows a failed scenario's exchanges from its own transcript file.
#[test]
fn a_bundle_of_the_earlier_format_verifies_and_reports() {
    let p = Project::fixture("old-bundle");
    let (bundle, key) = (p.path().join("bundle"), p.path().join("bundle.pub.pem"));
    let verify = p.certify().arg("verify").arg(&bundle).arg("--key").arg(&key).run();
    verify.expect_code(0);
    assert!(verify.stdout.contains("VALID"), "{verify}");
    let page = p.path().join("report.html");
    let report = p.certify().arg("report").arg(&bundle).arg("--key").arg(&key).arg("--out").arg(&page).run();
    report.expect_code(0);
    let html = fs::read_to_string(&page).unwrap();
    let start = html.find("id=\"data\">").expect("the data blob") + "id=\"data\">".len();
    let end = start + html[start..].find("</script>").expect("its end");
    let data: Value = serde_json::from_str(&html[start..end]).expect("JSON");
    let failed = data["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "features/quotas.feature:35")
        .cloned()
        .expect("the failed scenario");
    assert_eq!(failed["status"], "failed");
    let exchanges = failed["exchanges"].as_array().cloned().unwrap_or_default();
    let failing = exchanges.iter().find(|x| x["status"] == 503).expect("the exchange that failed it");
    assert!(failing["url"].as_str().is_some_and(|u| u.ends_with("/v1/tenants")), "{failed}");
}
