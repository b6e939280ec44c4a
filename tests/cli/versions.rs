//! Customer-facing features linked to platform versions: the catalog,
//! version-aware selection, per-feature verdicts and maturities (in the
//! summary, JUnit and the bundle), coverage gaps, `certify features` and its
//! release notes, and every way the catalog or the version probe can be wrong.

use axum::{
    Json,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use serde_json::{Value, json};

use crate::support::{Outcome, Project, Served, Server, assert_valid_junit, read_junit, repo_root};

fn demo_json(p: &Project, version: &str, out: &str) -> Value {
    let run =
        p.certify().args(["demo", "--format", "json", "--platform-version", version, "--out"]).arg(p.out(out)).run();
    run.expect_code(0);
    run.json()
}

fn feature<'a>(summary: &'a Value, id: &str) -> &'a Value {
    summary["features"]
        .as_array()
        .and_then(|list| list.iter().find(|f| f["id"] == id))
        .unwrap_or_else(|| panic!("no feature {id} in {summary:#}"))
}

#[test]
fn two_platform_versions_give_different_verdicts_and_maturities_from_the_catalog() {
    let p = Project::empty();
    let old = demo_json(&p, "1.4.0", "v14");
    let new = demo_json(&p, "2.0.0", "v20");
    let cases = [
        // (feature, verdict at 1.4.0, maturity at 1.4.0, verdict at 2.0.0, maturity at 2.0.0)
        ("usage-metering", "certified", "beta", "certified", "ga"),
        ("usage-export", "not-applicable", "null", "certified", "alpha"),
        ("legacy-key-header", "certified", "ga", "certified", "deprecated"),
        ("plan-catalog", "not-applicable", "null", "untested", "beta"),
        ("tenant-signup", "certified", "ga", "certified", "ga"),
    ];
    for (id, v14, m14, v20, m20) in cases {
        let (a, b) = (feature(&old, id), feature(&new, id));
        assert_eq!(
            (a["verdict"].as_str(), a["maturity"].to_string().trim_matches('"')),
            (Some(v14), m14),
            "{id} at 1.4.0: {a:#}"
        );
        assert_eq!(
            (b["verdict"].as_str(), b["maturity"].to_string().trim_matches('"')),
            (Some(v20), m20),
            "{id} at 2.0.0: {b:#}"
        );
    }
    // The coverage gap says why.
    assert!(feature(&new, "plan-catalog")["reason"].as_str().unwrap_or_default().contains("coverage gap"), "{new:#}");

    // The same verdicts are in the bundle's manifest and in JUnit.
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(p.out("v20").join("bundle/bundle.json")).expect("bundle.json"))
            .expect("json");
    let m = manifest["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["id"] == "usage-metering")
        .expect("usage-metering");
    assert_eq!((m["verdict"].as_str(), m["maturity"].as_str()), (Some("certified"), Some("ga")));
    let junit_path = p.out("v20").join("bundle/junit.xml");
    assert_valid_junit(&junit_path);
    let junit = read_junit(&junit_path);
    let suite = junit
        .descendants("testsuite")
        .into_iter()
        .find(|s| s.attr("file") == Some("features/usage-metering.feature"))
        .expect("the usage-metering testsuite");
    let props = suite.properties();
    assert_eq!(props.get("feature.id").map(String::as_str), Some("usage-metering"));
    assert_eq!(props.get("feature.verdict").map(String::as_str), Some("certified"));
    assert_eq!(props.get("feature.maturity").map(String::as_str), Some("ga"));
}

#[test]
fn the_text_summary_lists_each_feature_with_its_verdict_and_maturity() {
    let p = Project::empty();
    let run = p.certify().args(["demo", "--out"]).arg(p.out("b")).run();
    run.expect_code(0);
    assert!(run.stdout.contains("Customer-facing features at 2.0.0:"), "{run}");
    let line = run.stdout.lines().find(|l| l.contains("plan-catalog")).unwrap_or_else(|| panic!("{run}"));
    assert!(line.contains("untested") && line.contains("beta") && line.contains("coverage gap"), "{line}");
}

#[test]
fn certify_features_shows_maturity_latest_verdict_and_gaps() {
    let p = Project::empty();
    p.certify().args(["demo", "--out"]).arg(p.out("runs/one")).run().expect_code(0);
    let config = repo_root().join("certify.toml");
    let json = p
        .certify()
        .args(["features", "--version", "2.0.0", "--format", "json", "--config"])
        .arg(&config)
        .arg("--evidence")
        .arg(p.out("runs"))
        .run();
    json.expect_code(0);
    let doc = json.json();
    assert_eq!(doc["version"], "2.0.0");
    assert_eq!(doc["previous"], "1.4.0");
    assert_eq!(doc["coverage_gaps"], serde_json::json!(["plan-catalog"]));
    let rows = doc["features"].as_array().expect("features");
    let keys: Vec<&str> = rows[0].as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["id", "title", "owner", "maturity", "since", "scenarios", "latest", "coverage_gap", "api_gaps"],
        "the documented shape"
    );
    // API coverage gaps, next to the feature coverage gaps: the operations the latest run with
    // an API description did not exercise, with their features.
    let plans = rows.iter().find(|r| r["id"] == "plan-catalog").expect("plan-catalog");
    assert_eq!(plans["api_gaps"], serde_json::json!(["GET /v1/plans"]));
    let api_gaps: Vec<&str> =
        doc["api"]["gaps"].as_array().expect("api gaps").iter().filter_map(|g| g["operation"].as_str()).collect();
    assert!(api_gaps.contains(&"GET /v1/plans"), "{doc:#}");
    assert_eq!(doc["api"]["findings"], 0);
    let signup = rows.iter().find(|r| r["id"] == "tenant-signup").expect("tenant-signup");
    assert_eq!(signup["latest"]["verdict"], "certified");
    assert_eq!(signup["maturity"], "ga");
    let gap = rows.iter().find(|r| r["id"] == "plan-catalog").expect("plan-catalog");
    assert_eq!(
        (gap["scenarios"].as_u64(), gap["latest"]["verdict"].as_str(), gap["coverage_gap"].as_bool()),
        (Some(0), Some("untested"), Some(true))
    );

    let table = p
        .certify()
        .args(["features", "--version", "2.0.0", "--config"])
        .arg(&config)
        .arg("--evidence")
        .arg(p.out("runs"))
        .run();
    table.expect_code(0);
    assert!(table.stdout.contains("API coverage gap: GET /v1/plans  [plan-catalog]"), "{table}");

    // Release notes carry each feature's API changes since the previous version, from the
    // descriptions the bundles of both versions kept.
    p.certify().args(["demo", "--platform-version", "1.4.0", "--out"]).arg(p.out("runs/old")).run().expect_code(0);
    let md = p
        .certify()
        .args(["features", "--version", "2.0.0", "--format", "markdown", "--config"])
        .arg(&config)
        .arg("--evidence")
        .arg(p.out("runs"))
        .run();
    md.expect_code(0);
    let notes = md.stdout.split("## API changes since 1.4.0").nth(1).unwrap_or_else(|| panic!("{md}"));
    assert!(notes.contains("(`plan-catalog`)") && notes.contains("operation GET /v1/plans added"), "{md}");
    assert!(notes.contains("(`usage-export`)") && notes.contains("GET /v1/usage/export"), "{md}");

    // Without evidence for the version: "no evidence".
    let table = p
        .certify()
        .args(["features", "--version", "1.2.0", "--config"])
        .arg(&config)
        .arg("--evidence")
        .arg(p.out("runs"))
        .run();
    table.expect_code(0);
    assert!(table.stdout.contains("no evidence"), "{table}");
}

#[test]
fn markdown_reads_as_release_notes() {
    let p = Project::empty();
    let md = p
        .certify()
        .args(["features", "--version", "2.0.0", "--format", "markdown", "--config"])
        .arg(repo_root().join("certify.toml"))
        .run();
    md.expect_code(0);
    for want in [
        "# Platform 2.0.0",
        "Changes since 1.4.0",
        "## New",
        "**Usage export**",
        "**Public plan catalog**",
        "## Now generally available",
        "**Usage metering**",
        "## Deprecated",
        "to be removed in 3.0.0",
        "| Feature |",
    ] {
        assert!(md.stdout.contains(want), "release notes lack {want:?}:\n{md}");
    }
}

fn expect(run: &Outcome, code: i32, texts: &[&str]) {
    run.expect_code(code);
    assert!(!run.stderr.contains("panicked"), "{run}");
    for t in texts {
        assert!(run.stderr.contains(t), "stderr does not say {t:?}:\n{run}");
    }
}

const FEATURE: &str = "@feature:probe\nFeature: One\n  Scenario: ok\n    When I send a GET request to \"/ok\"\n    Then the response status is 200\n";

fn project(base: &str, probe_path: &str, catalog: &str) -> Project {
    Project::empty()
        .file(
            "certify.toml",
            &format!("[suite]\nfeatures = \"features\"\n\n[targets.t]\nbase_url = \"{base}\"\nversion = {{ path = \"{probe_path}\", json = \"$.version\" }}\ntimeout = \"2s\"\n"),
        )
        .file("features/catalog.toml", catalog)
        .file("features/one.feature", FEATURE)
}

const GOOD: &str = "[[feature]]\nid = \"probe\"\ntitle = \"Probe\"\nowner = \"qa\"\nlifecycle = { ga = \"1.0.0\" }\n";

#[test]
fn a_bad_catalog_is_a_configuration_error_with_its_line() {
    let server = Server::start();
    let cases = [
        ("duplicate", format!("{GOOD}\n{GOOD}"), "catalog.toml:8: feature[1].id: duplicate id"),
        ("out of order", "[[feature]]\nid = \"probe\"\ntitle = \"P\"\nowner = \"qa\"\nlifecycle = { ga = \"1.0.0\", beta = \"2.0.0\" }\n".to_owned(), "catalog.toml:5"),
        ("malformed version", "[[feature]]\nid = \"probe\"\ntitle = \"P\"\nowner = \"qa\"\nlifecycle = { ga = \"1.0\" }\n".to_owned(), "catalog.toml:5"),
    ];
    for (what, catalog, at) in cases {
        let p = project(&server.url(), "/version", &catalog);
        for cmd in [&["run", "--no-sign", "--out", "o"][..], &["lint"][..], &["features"][..]] {
            let run = p.certify().args(cmd).run();
            expect(&run, 2, &[at]);
            assert!(!p.out("o").exists(), "{what}: nothing runs");
        }
    }
}

#[test]
fn a_scenario_linked_to_an_unknown_feature_stops_the_run_before_any_request() {
    let server = Server::start();
    let catalog = "[[feature]]\nid = \"prob\"\ntitle = \"P\"\nowner = \"qa\"\nlifecycle = { ga = \"1.0.0\" }\n";
    let p = project(&server.url(), "/version", catalog);
    let run = p.certify().args(["run", "--no-sign", "--out", "o"]).run();
    expect(&run, 2, &["features/one.feature:3", "@feature:probe is not in the catalog", "did you mean @feature:prob?"]);
}

#[test]
fn a_version_probe_that_cannot_give_a_version_is_a_configuration_error() {
    let server = Server::start();
    let cases = [
        ("/nowhere", "404"),
        ("/html", "not JSON"),
        ("/version-elsewhere", "nothing at $.version"),
        ("/version-banana", "not a version"),
    ];
    for (path, says) in cases {
        let p = project(&server.url(), path, GOOD);
        let run = p.certify().args(["run", "--no-sign", "--out", "o"]).run();
        expect(&run, 2, &[says, &format!("{}{path}", server.url())]);
    }
}

// ---------------------------------------------------------------------------
// Version probes as real platforms need them.

/// A small target of one test's own on 127.0.0.1.
struct Target {
    served: Served,
}

impl Target {
    /// Serves `routes`, plus `/ok` for the scenario.
    fn start(routes: axum::Router) -> Target {
        let app = routes.route("/ok", get(|| async { Json(json!({"ok": true})) }));
        let served = Served::start(app, 1);
        Target { served }
    }

    fn url(&self) -> String {
        self.served.url()
    }
}

/// A project whose target `t` at `base` has `target_lines` (the version
/// probe, auth, headers...) and one scenario linked to a GA feature.
fn probing(base: &str, target_lines: &str) -> Project {
    Project::empty()
        .file(
            "certify.toml",
            &format!(
                "[suite]\nfeatures = \"features\"\n\n[targets.t]\nbase_url = \"{base}\"\ntimeout = \"5s\"\n{target_lines}\n"
            ),
        )
        .file("features/catalog.toml", GOOD)
        .file("features/one.feature", FEATURE)
}

fn manifest(bundle: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(bundle.join("bundle.json")).unwrap_or_else(|e| panic!("bundle.json: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bundle.json: {e}"))
}

const TOKEN: &str = "probe-s3cr3t-7f3a9c";

#[test]
fn a_version_endpoint_that_needs_the_targets_credential_is_probed_with_it_and_recorded_redacted() {
    use base64::Engine as _;
    // Like a platform behind an API gateway: no key, no version. The answer
    // echoes the key back, in the body and in a header.
    let target = Target::start(axum::Router::new().route(
        "/version",
        get(|headers: HeaderMap| async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let client = headers.get("x-client").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            if auth != format!("Bearer {TOKEN}") || client != "certify" {
                return (StatusCode::FORBIDDEN, Json(json!({"error": "an API key is required"}))).into_response();
            }
            ([("x-seen-authorization", auth.clone())], Json(json!({"version": "3.4", "seen": auth}))).into_response()
        }),
    ));
    let p = probing(
        &target.url(),
        "version = { path = \"/version\", json = \"$.version\" }\nauth = { bearer_env = \"PROBE_TOKEN\" }\nheaders = { \"X-Client\" = \"certify\" }",
    );
    let key = p.keygen();
    let run = p
        .certify()
        .args(["run", "--format", "json", "--out"])
        .arg(p.out("b"))
        .env("PROBE_TOKEN", TOKEN)
        .signed_by(&key)
        .run();
    run.expect_code(0);
    // Two parts, read as three; what the target said is kept verbatim.
    let summary = run.json();
    assert_eq!(summary["platform"]["version"], "3.4.0", "{run}");
    assert_eq!(summary["platform"]["reported"], "3.4", "{run}");
    let platform = &manifest(&p.out("b"))["platform"];
    assert_eq!(
        platform,
        &json!({
            "version": "3.4.0", "source": "probe", "probed": "3.4.0", "reported": "3.4", "note": null,
            "transcript": "transcripts/version-probe.json"
        })
    );

    // The probe's exchange is in the bundle, listed, signed, and redacted.
    let transcript =
        std::fs::read_to_string(p.out("b").join("transcripts/version-probe.json")).expect("the probe's transcript");
    let doc: Value = serde_json::from_str(&transcript).expect("JSON");
    let exchange = &doc["exchanges"][0];
    assert_eq!(exchange["request"]["url"], format!("{}/version", target.url()), "{transcript}");
    assert_eq!(exchange["response"]["status"], 200, "{transcript}");
    assert!(transcript.contains("X-Client"), "the target's headers were sent and recorded: {transcript}");
    assert!(transcript.contains("Authorization"), "the credential was sent: {transcript}");
    for form in [
        TOKEN.to_owned(),
        base64::engine::general_purpose::STANDARD.encode(TOKEN),
        base64::engine::general_purpose::STANDARD.encode(format!("Bearer {TOKEN}")),
    ] {
        assert!(!transcript.contains(&form), "the transcript shows the credential ({form}):\n{transcript}");
        assert!(!run.stdout.contains(&form) && !run.stderr.contains(&form), "{run}");
    }
    let listed = manifest(&p.out("b"))["files"]
        .as_array()
        .expect("files")
        .iter()
        .any(|f| f["path"] == "transcripts/version-probe.json");
    assert!(listed, "bundle.json lists the probe's transcript");
    key.assert_verifies(&p.out("b"));
    // Tampering with the probe's record is caught like any other file's.
    std::fs::write(p.out("b").join("transcripts/version-probe.json"), transcript.replace("3.4", "9.9"))
        .expect("tamper");
    let verify = p.certify().arg("verify").arg(p.out("b")).arg("--key").arg(&key.public).run();
    verify.expect_code(1);
    assert!(verify.stdout.contains("version-probe.json") || verify.stderr.contains("version-probe.json"), "{verify}");

    // Without the credential's variable nothing is sent: a configuration
    // error naming the credential and the variable.
    let unset = p.certify().args(["run", "--no-sign", "--out"]).arg(p.out("c")).run();
    expect(&unset, 2, &["version probe GET", "PROBE_TOKEN is not set"]);
    // A key the endpoint refuses: the answer and what to check.
    let refused = p.certify().args(["run", "--no-sign", "--out"]).arg(p.out("d")).env("PROBE_TOKEN", "wrong").run();
    expect(&refused, 2, &[&format!("{}/version", target.url()), "403 Forbidden", "targets.t.auth was sent"]);
}

#[test]
fn a_regex_probe_reads_a_distribution_version_from_a_page() {
    let target = Target::start(axum::Router::new().route(
        "/about",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "text/html")],
                "<html><footer>Server Version: v1.19.2-ds1 (debian)</footer></html>",
            )
        }),
    ));
    let cases = [
        // (regex, reported, version)
        (r"Version: (\S+) ", "v1.19.2-ds1", "1.19.2-ds1"),
        (r"Version: v(\d+\.\d+\.\d+)", "1.19.2", "1.19.2"),
        (r"v\d+\.\d+\.\d+-\w+", "v1.19.2-ds1", "1.19.2-ds1"),
    ];
    for (i, (regex, reported, version)) in cases.into_iter().enumerate() {
        let p = probing(&target.url(), &format!("version = {{ path = \"/about\", regex = '{regex}' }}"));
        let out = p.out(&format!("b{i}"));
        let run = p.certify().args(["run", "--no-sign", "--format", "json", "--out"]).arg(&out).run();
        run.expect_code(0);
        let platform = &manifest(&out)["platform"];
        assert_eq!(
            (platform["reported"].as_str(), platform["version"].as_str()),
            (Some(reported), Some(version)),
            "{regex}: {platform}"
        );
    }
}

#[test]
fn a_header_probe_reads_a_204_without_a_body() {
    // InfluxDB's /ping: 204, the version only in a header, a Debian tilde in it.
    let target = Target::start(
        axum::Router::new()
            .route("/ping", get(|| async { (StatusCode::NO_CONTENT, [("X-Influxdb-Version", "1.6.7~rc0")]) })),
    );
    let p = probing(&target.url(), "version = { path = \"/ping\", header = \"X-Influxdb-Version\" }");
    let run = p.certify().args(["run", "--no-sign", "--format", "json", "--out"]).arg(p.out("b")).run();
    run.expect_code(0);
    let platform = &manifest(&p.out("b"))["platform"];
    assert_eq!(
        (platform["reported"].as_str(), platform["version"].as_str()),
        (Some("1.6.7~rc0"), Some("1.6.7-rc0")),
        "{platform}"
    );
    assert_eq!(run.json()["platform"]["version"], "1.6.7-rc0");
    let transcript: Value = serde_json::from_str(
        &std::fs::read_to_string(p.out("b").join("transcripts/version-probe.json")).expect("the probe's transcript"),
    )
    .expect("JSON");
    assert_eq!(transcript["exchanges"][0]["response"]["status"], 204);

    let text = p.certify().args(["run", "--no-sign", "--out"]).arg(p.out("t")).run();
    text.expect_code(0);
    assert!(text.stdout.contains("platform   1.6.7-rc0 (reported by the target as \"1.6.7~rc0\")"), "{text}");

    // The flag wins; what the probe said is kept next to it.
    let flagged = p.certify().args(["run", "--no-sign", "--platform-version", "1.6.7", "--out"]).arg(p.out("f")).run();
    flagged.expect_code(0);
    let platform = &manifest(&p.out("f"))["platform"];
    assert_eq!(
        (
            platform["version"].as_str(),
            platform["source"].as_str(),
            platform["reported"].as_str(),
            platform["probed"].as_str()
        ),
        (Some("1.6.7"), Some("flag"), Some("1.6.7~rc0"), Some("1.6.7-rc0")),
        "{platform}"
    );
    assert!(platform["note"].as_str().is_some_and(|n| n.contains("1.6.7~rc0")), "{platform}");
}

#[test]
fn a_probe_that_finds_no_version_names_the_probe_and_what_came_back() {
    let target = Target::start(
        axum::Router::new()
            .route("/ping", get(|| async { (StatusCode::NO_CONTENT, [("X-Build", "abc")]) }))
            .route("/about", get(|| async { "<p>Maintenance until 14:00</p>" }))
            .route("/nightly", get(|| async { Json(json!({"version": "nightly-2026-11-29"})) }))
            .route("/down", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance") })),
    );
    let url = target.url();
    let cases: [(&str, i32, Vec<String>); 4] = [
        (
            "version = { path = \"/ping\", header = \"X-Version\" }",
            2,
            vec![format!("{url}/ping"), "header X-Version".into(), "204 No Content".into(), "x-build".into()],
        ),
        (
            r#"version = { path = "/about", regex = 'Version: (\d+\.\d+)' }"#,
            2,
            vec![format!("{url}/about"), r"regex 'Version: (\d+\.\d+)'".into(), "Maintenance until 14:00".into()],
        ),
        (
            "version = { path = \"/nightly\", json = \"$.version\" }",
            2,
            vec![
                format!("{url}/nightly"),
                "JSONPath $.version".into(),
                "\"nightly-2026-11-29\"".into(),
                "not a version".into(),
            ],
        ),
        ("version = { path = \"/down\", json = \"$.version\" }", 3, vec![format!("{url}/down"), "503".into()]),
    ];
    for (i, (probe, code, says)) in cases.iter().enumerate() {
        let p = probing(&url, probe);
        let run = p.certify().args(["run", "--no-sign", "--out"]).arg(p.out("o")).run();
        let says: Vec<&str> = says.iter().map(String::as_str).collect();
        expect(&run, *code, &says);
        assert!(!p.out("o").exists(), "case {i}: nothing runs");
    }
}

#[test]
fn a_bad_version_probe_in_certify_toml_is_a_configuration_error_with_its_line() {
    let cases = [
        (
            "version = { path = \"/v\", json = \"$.version\", regex = 'v(.*)' }",
            "certify.toml:7: targets.t.version: expected exactly one of json, header or regex; got json and regex",
        ),
        (
            "version = { path = \"/v\", regex = 'v(\\d+' }",
            "certify.toml:7: targets.t.version.regex: expected a regular expression that compiles",
        ),
        (
            "version = { path = \"/v\", json = \"$.version[\" }",
            "certify.toml:7: targets.t.version.json: expected an RFC 9535 JSONPath",
        ),
        (
            "version = { path = \"/v\" }",
            "certify.toml:7: targets.t.version: expected exactly one of json, header or regex",
        ),
    ];
    for (line, says) in cases {
        let p = probing("http://127.0.0.1:9", line);
        for cmd in [&["run", "--no-sign", "--out", "o"][..], &["lint"][..]] {
            let run = p.certify().args(cmd).run();
            expect(&run, 2, &[says]);
        }
    }
}

#[test]
fn ctrl_c_while_the_probe_waits_stops_the_run() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let asked = std::sync::Arc::new(AtomicBool::new(false));
    let seen = asked.clone();
    // A version endpoint that never answers (the probe's timeout is longer than the test).
    let target = Target::start(axum::Router::new().route(
        "/version",
        get(move || {
            let seen = seen.clone();
            async move {
                seen.store(true, Ordering::SeqCst);
                std::future::pending::<()>().await;
                "never"
            }
        }),
    ));
    let p = probing(&target.url(), "version = { path = \"/version\", json = \"$.version\" }")
        .file("certify.toml", &format!(
            "[suite]\nfeatures = \"features\"\n\n[targets.t]\nbase_url = \"{}\"\ntimeout = \"1h\"\nversion = {{ path = \"/version\", json = \"$.version\" }}\n",
            target.url()
        ));
    let running = p.certify().args(["run", "--no-sign", "--out"]).arg(p.out("o")).spawn();
    let started = std::time::Instant::now();
    while !asked.load(Ordering::SeqCst) {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the probe was never sent");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    running.signal("INT");
    let run = running.wait();
    expect(&run, 3, &["interrupted", "version"]);
    assert!(!p.out("o").exists(), "no bundle is written when no scenario ran");
}

#[test]
fn what_a_failed_probe_shows_of_the_answer_carries_no_secret() {
    use base64::Engine as _;
    // A target that echoes the credential it got and hands out a password,
    // but no version: the error quotes the start of the answer.
    let target = Target::start(axum::Router::new().route(
        "/about",
        get(|headers: HeaderMap| async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            Json(json!({"seen": auth, "password": "pw-s3cr3t-1b2c", "motd": "maintenance"}))
        }),
    ));
    let p = probing(
        &target.url(),
        "version = { path = \"/about\", regex = 'Version: (\\d+)' }\nauth = { bearer_env = \"PROBE_TOKEN\" }",
    );
    for format in ["text", "json"] {
        let run = p
            .certify()
            .args(["run", "--no-sign", "--format", format, "--out"])
            .arg(p.out("o"))
            .env("PROBE_TOKEN", TOKEN)
            .run();
        expect(&run, 2, &["does not match", "maintenance", "[redacted]"]);
        for secret in [TOKEN, "pw-s3cr3t-1b2c"] {
            for form in [secret.to_owned(), base64::engine::general_purpose::STANDARD.encode(secret)] {
                assert!(!run.stderr.contains(&form) && !run.stdout.contains(&form), "{form} shown:\n{run}");
            }
        }
    }
}
