//! Customer-facing features linked to platform versions: the catalog,
//! version-aware selection, per-feature verdicts and maturities (in the
//! summary, JUnit and the bundle), coverage gaps, `certify features` and its
//! release notes, and every way the catalog or the version probe can be wrong.

use serde_json::Value;

use crate::support::{Outcome, Project, Server, assert_valid_junit, read_junit, repo_root};

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
        serde_json::from_str(&std::fs::read_to_string(p.out("v20").join("bundle.json")).expect("bundle.json"))
            .expect("json");
    let m = manifest["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["id"] == "usage-metering")
        .expect("usage-metering");
    assert_eq!((m["verdict"].as_str(), m["maturity"].as_str()), (Some("certified"), Some("ga")));
    let junit_path = p.out("v20").join("junit.xml");
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
        ["id", "title", "owner", "maturity", "since", "scenarios", "latest", "coverage_gap"],
        "the documented shape"
    );
    let signup = rows.iter().find(|r| r["id"] == "tenant-signup").expect("tenant-signup");
    assert_eq!(signup["latest"]["verdict"], "certified");
    assert_eq!(signup["maturity"], "ga");
    let gap = rows.iter().find(|r| r["id"] == "plan-catalog").expect("plan-catalog");
    assert_eq!(
        (gap["scenarios"].as_u64(), gap["latest"]["verdict"].as_str(), gap["coverage_gap"].as_bool()),
        (Some(0), Some("untested"), Some(true))
    );

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
