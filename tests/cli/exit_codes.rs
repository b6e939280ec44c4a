//! Exit codes: 2 for usage and configuration errors (naming file, line and
//! key), 3 for a target that is unreachable before any scenario, 1 when
//! scenarios could not be checked; never a panic.

use crate::support::{Outcome, Project, Server, refused_port};

const CATALOG: &str =
    "[[feature]]\nid = \"probe\"\ntitle = \"Probe\"\nowner = \"qa\"\nlifecycle = { ga = \"1.0.0\" }\n";

const FEATURE: &str = "@feature:probe
Feature: One request

  Scenario: The target answers
    When I send a GET request to \"/ok\"
    Then the response status is 200

  Scenario: The target answers again
    When I send a GET request to \"/ok\"
    Then the response JSON at \"$.ok\" is true
";

/// A project with `config` as its certify.toml and a two-scenario suite.
fn project(config: &str) -> Project {
    Project::empty()
        .file("certify.toml", config)
        .file("features/catalog.toml", CATALOG)
        .file("features/one.feature", FEATURE)
}

/// Fails unless the run exited with `code` without panicking and said each
/// of `texts` on stderr.
fn expect(run: &Outcome, code: i32, texts: &[&str]) {
    run.expect_code(code);
    assert!(!run.stderr.contains("panicked"), "a panic:\n{run}");
    for text in texts {
        assert!(run.stderr.contains(text), "stderr does not say {text:?}:\n{run}");
    }
}

const TWO_TARGETS: &str = r#"[suite]
features = "features"

[targets.staging]
base_url = "http://127.0.0.1:9"

[targets.production]
base_url = "http://127.0.0.1:9"
"#;

#[test]
fn an_unknown_target_is_a_usage_error_listing_the_known_ones() {
    let p = project(TWO_TARGETS);
    let run = p.certify().args(["run", "--no-sign", "--target", "qa", "--out"]).arg(p.out("out")).run();
    expect(&run, 2, &["qa", "staging", "production"]);
    assert!(!p.out("out").exists(), "nothing is written for a usage error");
}

#[test]
fn an_unknown_config_key_names_file_line_and_key() {
    let p = project(
        r#"[suite]
features = "features"

[targets.staging]
base_url = "http://127.0.0.1:9"
timeout = "1s"
retries = 3
"#,
    );
    for args in [&["run", "--no-sign"][..], &["lint"][..]] {
        let run = p.certify().args(args).run();
        expect(&run, 2, &["certify.toml:7", "targets.staging.retries", "unknown key"]);
    }
}

#[test]
fn a_missing_environment_variable_names_file_line_key_and_variable() {
    let p = project(
        r#"[suite]
features = "features"

[targets.staging]
base_url = "https://${E2E_STAGING_HOST}.example.test"
"#,
    );
    for args in [&["run", "--no-sign"][..], &["lint"][..]] {
        let run = p.certify().args(args).run();
        expect(&run, 2, &["certify.toml:5", "targets.staging.base_url", "E2E_STAGING_HOST"]);
    }
    // With the variable set, the same file is fine.
    let lint = p.certify().args(["lint"]).env("E2E_STAGING_HOST", "staging").run();
    lint.expect_code(0);
}

#[test]
fn a_malformed_value_names_file_line_key_and_what_was_expected() {
    let p = project(
        r#"[suite]
features = "features"

[targets.staging]
base_url = "http://127.0.0.1:9"
concurrency = "many"
"#,
    );
    let run = p.certify().args(["run", "--no-sign"]).run();
    expect(&run, 2, &["certify.toml:6", "targets.staging.concurrency"]);
}

#[test]
fn no_certify_toml_is_a_usage_error() {
    let p = Project::empty();
    let run = p.certify().args(["run", "--no-sign"]).run();
    expect(&run, 2, &["certify.toml"]);
    let lint = p.certify().args(["lint"]).run();
    expect(&lint, 2, &["certify.toml"]);
}

fn probed(base_url: &str, probe: bool) -> Project {
    let version = if probe { "version = { path = \"/version\", json = \"$.version\" }\n" } else { "" };
    project(&format!(
        "[suite]\nfeatures = \"features\"\n\n[targets.staging]\nbase_url = \"{base_url}\"\n{version}timeout = \"1s\"\n"
    ))
}

#[test]
fn a_refused_connection_with_a_version_probe_is_a_runtime_error() {
    let p = probed(&format!("http://127.0.0.1:{}", refused_port()), true);
    let run = p.certify().args(["run", "--no-sign", "--format", "json", "--out"]).arg(p.out("out")).run();
    expect(&run, 3, &["unreachable", "staging"]);
}

#[test]
fn a_refused_connection_without_a_probe_errors_every_scenario() {
    let p = probed(&format!("http://127.0.0.1:{}", refused_port()), false);
    let run = p.certify().args(["run", "--no-sign", "--format", "json", "--out"]).arg(p.out("out")).run();
    run.expect_code(1);
    let summary = run.json();
    assert_eq!(summary["counts"]["errored"], 2, "{run}");
    for entry in summary["not_ok"].as_array().cloned().unwrap_or_default() {
        assert_eq!(entry["status"], "errored", "{entry}");
        assert!(
            entry["message"].as_str().is_some_and(|m| m.contains("connect")),
            "the message says the connection failed: {entry}"
        );
    }
    assert!(p.out("out").join("junit.xml").is_file());
}

#[test]
fn a_version_probe_answering_500_is_a_runtime_error_not_a_usage_error() {
    let server = Server::start();
    let p = project(&format!(
        "[suite]\nfeatures = \"features\"\n\n[targets.staging]\nbase_url = \"{}\"\n\
         version = {{ path = \"/500\", json = \"$.version\" }}\ntimeout = \"1s\"\n",
        server.url()
    ));
    let run = p.certify().args(["run", "--no-sign", "--out"]).arg(p.out("out")).run();
    // Nothing is wrong with the configuration: the target is failing.
    expect(&run, 3, &["500"]);
}

#[test]
fn a_bad_selection_or_version_is_a_usage_error() {
    let server = Server::start();
    let p = probed(&server.url(), true);
    let cases: [(&[&str], &str); 6] = [
        (&["--tags", "@smoke and ("], "@smoke and ("),
        (&["--tags", "@smoke @slow"], "@smoke @slow"),
        (&["--shard", "3/2"], "3/2"),
        (&["--shard", "0/2"], "0/2"),
        (&["--shard", "half"], "half"),
        (&["--platform-version", "two"], "two"),
    ];
    for (i, (args, named)) in cases.iter().enumerate() {
        let out = p.out(&format!("out-{i}"));
        let run = p.certify().args(["run", "--no-sign", "--out"]).arg(&out).args(*args).run();
        expect(&run, 2, &[named]);
        assert!(!out.join("junit.xml").exists(), "a usage error runs nothing: {args:?}");
    }
}

#[test]
fn a_non_empty_output_directory_is_refused() {
    let server = Server::start();
    let p = probed(&server.url(), true).file("out/keep.txt", "earlier results");
    let run = p.certify().args(["run", "--no-sign", "--out"]).arg(p.out("out")).run();
    expect(&run, 2, &["out"]);
    assert_eq!(std::fs::read_to_string(p.out("out").join("keep.txt")).ok().as_deref(), Some("earlier results"));
}

#[test]
fn an_unknown_demo_fault_or_version_is_a_usage_error() {
    let p = Project::empty();
    let run = p.certify().args(["demo", "--fault", "explode"]).run();
    expect(&run, 2, &["explode", "signup-broken"]);
    let run = p.certify().args(["demo", "--platform-version", "9.9.9"]).run();
    expect(&run, 2, &["9.9.9", "2.0.0"]);
}

/// Nothing but the `.partial-*` build directories and the out dir itself.
fn leftovers(p: &Project) -> Vec<String> {
    std::fs::read_dir(p.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial") || n == "out")
        .collect()
}

#[test]
fn a_catalog_that_certify_toml_names_must_exist() {
    let server = Server::start();
    let config = format!(
        "[suite]\nfeatures = \"features\"\ncatalog = \"features/catalgo.toml\"\n\n[targets.t]\nbase_url = \"{}\"\n",
        server.url()
    );
    let p = project(&config);
    let run = p.certify().args(["run", "--no-sign", "--platform-version", "1.0.0", "--out"]).arg(p.out("out")).run();
    expect(&run, 2, &["certify.toml:3: suite.catalog", "features/catalgo.toml", "does not exist"]);
    assert!(leftovers(&p).is_empty(), "{:?}", leftovers(&p));
    let lint = p.certify().arg("lint").run();
    expect(&lint, 2, &["certify.toml:3: suite.catalog"]);

    // Unparsable: the catalog's own file:line, and where certify.toml names it.
    let p = p.file("features/catalgo.toml", "[[feature]]\nid = \"probe\"\ntitle = \n");
    let run = p.certify().args(["run", "--no-sign", "--platform-version", "1.0.0", "--out"]).arg(p.out("out")).run();
    expect(&run, 2, &["features/catalgo.toml:3", "certify.toml:3: suite.catalog"]);

    // Not configured and absent: optional, as before.
    let config = format!("[suite]\nfeatures = \"features\"\n\n[targets.t]\nbase_url = \"{}\"\n", server.url());
    let p = Project::empty().file("certify.toml", &config).file("features/one.feature", FEATURE);
    let run = p.certify().args(["run", "--no-sign", "--platform-version", "1.0.0", "--out"]).arg(p.out("out")).run();
    run.expect_code(0);
}

#[test]
fn an_invalid_redaction_jsonpath_is_a_configuration_error_and_writes_nothing() {
    let server = Server::start();
    for (config, key) in [
        ("[evidence]\nredact = { json = [\"$..token\", \"$.items[\"] }\n", "certify.toml:2: evidence.redact.json[1]"),
        ("[snapshots]\nredact = [\"$[?@.x ==]\"]\n", "certify.toml:2: snapshots.redact[0]"),
    ] {
        let config = format!("{config}\n[targets.t]\nbase_url = \"{}\"\n", server.url());
        let p = project(&config);
        let run =
            p.certify().args(["run", "--no-sign", "--platform-version", "1.0.0", "--out"]).arg(p.out("out")).run();
        expect(&run, 2, &[key, "JSONPath"]);
        assert!(leftovers(&p).is_empty(), "a partial bundle was left behind: {:?}", leftovers(&p));
    }
}
