//! `certify run` against the tests' own server: fixture projects under
//! `tests/fixtures/run/<case>/` whose `expected.txt` gives the exit code and
//! each scenario's outcome and message, plus tag selection, shards, retries
//! and `@serial`.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use serde_json::Value;

use crate::support::{
    Certify, KeyPair, Outcome, Project, Server, assert_valid_junit, expectations, read_junit, testcase_ids,
};

/// A fixture project run with `--format json` and again with text output,
/// against `server`.
struct FixtureRun {
    name: String,
    project: Project,
    key: KeyPair,
    json: Outcome,
    text: Outcome,
    junit: PathBuf,
}

/// `certify run` in `project`, signed by `key`, against `server`.
fn run_in(project: &Project, key: &KeyPair, server: &Server) -> Certify {
    project.certify().arg("run").signed_by(key).env("TARGET_URL", server.url())
}

fn run_fixture(case: &str, server: &Server) -> FixtureRun {
    let name = format!("run/{case}");
    let project = Project::fixture(&name);
    let key = project.keygen();
    let run = |format: &str, out: &str| {
        run_in(&project, &key, server).args(["--format", format, "--out"]).arg(project.out(out)).run()
    };
    let json = run("json", "out-json");
    let text = run("text", "out-text");
    let junit = project.out("out-json").join("junit.xml");
    FixtureRun { name, project, key, json, text, junit }
}

/// Checks a run against its fixture's `expected.txt`: the exit code, every
/// scenario's status and message (and nothing else not passing), the broken
/// files, the counts, the same messages in the text summary, and a JUnit
/// report that validates.
fn check_expected(r: &FixtureRun) {
    let expected = expectations(&r.name);
    let summary = r.json.json();
    let not_ok = summary["not_ok"].as_array().cloned().unwrap_or_default();
    let broken: Vec<String> = summary["broken_files"]
        .as_array()
        .map(|l| l.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut problems = Vec::new();
    let mut scenarios: BTreeMap<&str, &str> = BTreeMap::new();
    for e in &expected {
        match e.status.as_str() {
            _ if e.place == "exit" => {
                for (what, run) in [("json", &r.json), ("text", &r.text)] {
                    if run.code.to_string() != e.status {
                        problems.push(format!("{what} run: exit code {}, expected {}", run.code, e.status));
                    }
                }
            }
            "broken" => {
                let prefix = format!("{}: ", e.place);
                if !broken.iter().any(|b| b.starts_with(&prefix) && b.contains(&e.text)) {
                    problems
                        .push(format!("no broken file reported as {prefix}...{}...; broken_files: {broken:?}", e.text));
                }
                if !r.text.stdout.contains(&prefix) && !r.text.stderr.contains(&prefix) {
                    problems.push(format!("the text output does not show {prefix}"));
                }
            }
            status => {
                scenarios.insert(&e.place, status);
                let entry = not_ok.iter().find(|n| n["id"] == e.place.as_str());
                match (status, entry) {
                    ("passed", None) => {}
                    ("passed", Some(entry)) => {
                        problems.push(format!("{} should pass: {entry}", e.place));
                    }
                    (_, None) => {
                        problems.push(format!("{} should be {status} ({:?}) but is not reported", e.place, e.text))
                    }
                    (_, Some(entry)) => {
                        let message = entry["message"].as_str().unwrap_or_default();
                        if entry["status"] != status || !message.contains(&e.text) {
                            problems.push(format!(
                                "{} should be {status} saying {:?}; got {} saying {message:?}",
                                e.place, e.text, entry["status"]
                            ));
                        }
                        if !r.text.stdout.contains(&e.place) || !r.text.stdout.contains(&e.text) {
                            problems.push(format!("the text summary does not show {} with {:?}", e.place, e.text));
                        }
                    }
                }
            }
        }
    }
    for entry in &not_ok {
        let id = entry["id"].as_str().unwrap_or_default();
        if !scenarios.contains_key(id) {
            problems.push(format!("unexpected: {entry}"));
        }
    }
    let counts = &summary["counts"];
    let passed = scenarios.values().filter(|s| **s == "passed").count() as u64;
    if counts["selected"].as_u64() != Some(scenarios.len() as u64) || counts["passed"].as_u64() != Some(passed) {
        problems.push(format!("counts {counts}: expected {} selected, {passed} passed", scenarios.len()));
    }
    assert!(problems.is_empty(), "tests/fixtures/{}:\n  {}\n\n{}\n\n{}", r.name, problems.join("\n  "), r.json, r.text);
    assert_valid_junit(&r.junit);
    assert_valid_junit(&r.project.out("out-text").join("junit.xml"));
    // A run whose scenarios failed still leaves evidence that verifies.
    r.key.assert_verifies(&r.project.out("out-json"));
    r.key.assert_verifies(&r.project.out("out-text"));
}

#[test]
fn each_misbehaving_route_fails_its_scenario_with_a_clear_message() {
    let server = Server::start();
    let started = std::time::Instant::now();
    let r = run_fixture("bad-target", &server);
    check_expected(&r);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "the 1 s timeout and the body limit keep the run short: {:?}",
        started.elapsed()
    );
}

#[test]
fn run_time_mistakes_error_their_scenario_and_the_rest_still_runs() {
    let server = Server::start();
    let r = run_fixture("broken-suite", &server);
    check_expected(&r);
    assert!(
        r.text.stderr.contains("features/malformed.feature:7:3"),
        "the parse error is reported on stderr as it happens:\n{}",
        r.text
    );
}

#[test]
fn a_pass_after_a_retry_is_flaky_not_clean() {
    let server = Server::start();
    let r = run_fixture("flaky", &server);
    let summary = r.json.json();
    assert_eq!(summary["status"], "flaky", "{}", r.json);
    assert_eq!(summary["counts"]["flaky"], 1, "{}", r.json);
    let entry = summary["not_ok"].as_array().and_then(|l| l.first()).cloned().unwrap_or_default();
    assert_eq!(entry["attempts"], 2, "{entry}");
    assert!(r.text.stdout.contains("flaky"), "the text summary says flaky:\n{}", r.text);
    let junit = read_junit(&r.junit);
    let flaky: Vec<_> = junit.descendants("flakyFailure");
    assert_eq!(flaky.len(), 1, "one <flakyFailure> for the failed attempt");
    let case = junit
        .descendants("testcase")
        .into_iter()
        .find(|c| c.child("flakyFailure").is_some())
        .unwrap_or_else(|| panic!("no testcase holds the <flakyFailure>"));
    assert_eq!(case.attr("name"), Some("Fails once, then passes"));
    assert!(case.child("failure").is_none() && case.child("error").is_none(), "a flaky pass is not a failure in JUnit");
    assert!(
        flaky[0].attr("message").is_some_and(|m| m.contains("expected 200, got 500")),
        "the <flakyFailure> says what failed: {:?}",
        flaky[0].attr("message")
    );
    // Exit code, status and the first attempt's message, in JSON and text.
    check_expected(&r);
}

#[test]
fn serial_scenarios_never_overlap_with_any_other() {
    let server = Server::start();
    let project = Project::fixture("run/serial");
    let key = project.keygen();
    let run = run_in(&project, &key, &server).args(["--format", "json", "--out"]).arg(project.out("out")).run();
    run.expect_code(0);
    assert_eq!(run.json()["counts"]["passed"], 10, "{run}");
    assert_eq!(server.state.serial_served(), 4);
    assert!(
        server.state.max_parallel_in_flight() > 1,
        "the other scenarios run concurrently (else this test proves nothing): max {}",
        server.state.max_parallel_in_flight()
    );
    assert_eq!(
        server.state.max_in_flight_during_serial(),
        1,
        "a @serial scenario ran while another request was in flight"
    );
    // Where the time went, phase by phase, in order.
    let phases = run.json()["phases_ms"].as_object().cloned().unwrap_or_default();
    let names: Vec<&str> = phases.keys().map(String::as_str).collect();
    assert_eq!(names, ["load", "prepare", "scenarios", "bundle", "verify"], "{run}");
    assert!(phases.values().all(|ms| ms.as_f64().is_some_and(|ms| ms >= 0.0)), "{run}");
}

/// Runs the selection fixture with extra arguments; returns the JSON summary
/// and the testcase ids of its JUnit.
fn select(project: &Project, server: &Server, out: &str, args: &[&str]) -> (Value, BTreeMap<String, usize>) {
    let key = project.keygen();
    let run = run_in(project, &key, server).args(["--format", "json", "--out"]).arg(project.out(out)).args(args).run();
    run.expect_code(0);
    let junit = project.out(out).join("junit.xml");
    assert_valid_junit(&junit);
    (run.json(), testcase_ids(&read_junit(&junit)))
}

/// Testcases that ran (no `<skipped>`), as `file::name`.
fn ran(junit: &Path) -> BTreeSet<String> {
    let root = read_junit(junit);
    let mut out = BTreeSet::new();
    for suite in root.children_named("testsuite") {
        for case in suite.children_named("testcase") {
            if case.child("skipped").is_none() {
                out.insert(format!(
                    "{}::{}",
                    suite.attr("file").unwrap_or_default(),
                    case.attr("name").unwrap_or_default()
                ));
            }
        }
    }
    out
}

#[test]
fn a_tag_expression_selects_scenarios() {
    let server = Server::start();
    let project = Project::fixture("run/selection");
    let (summary, _) = select(&project, &server, "smoke", &["--tags", "@smoke and not @slow"]);
    assert_eq!(summary["counts"]["selected"], 3, "{summary}");
    assert_eq!(summary["counts"]["passed"], 3, "{summary}");
    let expected: BTreeSet<String> = [
        "features/first.feature::First smoke test",
        "features/first.feature::Second smoke test",
        "features/second.feature::Smoke test in the second file",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(ran(&project.out("smoke").join("junit.xml")), expected);

    // A Feature's tags are inherited by its scenarios.
    let (summary, _) = select(&project, &server, "second", &["--tags", "@second or @slow"]);
    assert_eq!(summary["counts"]["selected"], 5, "{summary}");
}

#[test]
fn two_shards_cover_every_scenario_exactly_once() {
    let server = Server::start();
    let project = Project::fixture("run/selection");
    let (all, _) = select(&project, &server, "all", &[]);
    let (one, _) = select(&project, &server, "one", &["--shard", "1/2"]);
    let (two, _) = select(&project, &server, "two", &["--shard", "2/2"]);
    let everything = ran(&project.out("all").join("junit.xml"));
    let first = ran(&project.out("one").join("junit.xml"));
    let second = ran(&project.out("two").join("junit.xml"));
    assert_eq!(everything.len(), 8, "{all}");
    assert!(!first.is_empty() && !second.is_empty(), "each shard runs something");
    assert!(first.is_disjoint(&second), "run in both shards: {:?}", first.intersection(&second).collect::<Vec<_>>());
    let union: BTreeSet<String> = first.union(&second).cloned().collect();
    assert_eq!(union, everything, "the shards together run the whole suite");
    let selected = |v: &Value| v["counts"]["selected"].as_u64().unwrap_or(0);
    assert_eq!(selected(&one) + selected(&two), selected(&all));
}

/// A demo run with extra arguments in `dir/out`; its bundle (`dir/out/bundle`).
fn demo(dir: &Project, out: &str, args: &[&str]) -> PathBuf {
    let run = dir.certify().args(["demo", "--out"]).arg(dir.out(out)).args(args).run();
    run.expect_code(0);
    let bundle = dir.out(out).join("bundle");
    assert_valid_junit(&bundle.join("junit.xml"));
    bundle
}

/// The ids (`path:line`) of the scenarios a bundle records as run.
fn bundle_ids(bundle: &Path) -> BTreeSet<String> {
    let path = bundle.join("bundle.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let manifest: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    manifest["scenarios"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no scenarios", path.display()))
        .iter()
        .filter(|s| s["status"] != "not-applicable")
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn demo_shards_cover_the_shipped_suite_exactly_once() {
    let dir = Project::empty();
    let all = bundle_ids(&demo(&dir, "all", &[]));
    let one = bundle_ids(&demo(&dir, "one", &["--shard", "1/2"]));
    let two = bundle_ids(&demo(&dir, "two", &["--shard", "2/2"]));
    assert!(all.len() >= 25, "{all:?}");
    assert!(one.is_disjoint(&two), "run in both shards: {:?}", one.intersection(&two).collect::<Vec<_>>());
    let union: BTreeSet<String> = one.union(&two).cloned().collect();
    assert_eq!(union, all, "shard 1/2 + shard 2/2 != the whole suite");
}

/// A CI's test history and `certify merge` key testcases on their JUnit
/// name: a scenario must have the same name whichever shard runs it.
#[test]
fn a_scenario_has_the_same_junit_name_in_a_shard_as_in_the_whole_run() {
    let dir = Project::empty();
    let all = ran(&demo(&dir, "all", &[]).join("junit.xml"));
    let mut shards = ran(&demo(&dir, "one", &["--shard", "1/2"]).join("junit.xml"));
    shards.extend(ran(&demo(&dir, "two", &["--shard", "2/2"]).join("junit.xml")));
    let only_in_shards: Vec<&String> = shards.difference(&all).collect();
    let only_in_all: Vec<&String> = all.difference(&shards).collect();
    assert!(
        only_in_shards.is_empty() && only_in_all.is_empty(),
        "JUnit testcase names depend on the shard:\n  only in the shards: {only_in_shards:#?}\n  only in the whole run: {only_in_all:#?}"
    );
}

/// The text summary stays readable: a long scenario name, step or URL is cut
/// to one line with an ellipsis (the JSON keeps it whole), and counts of one
/// are singular.
#[test]
fn the_text_summary_bounds_long_names_and_urls_and_counts_in_the_singular() {
    let server = Server::start();
    let name = format!("A scenario whose name goes on {}", "and on ".repeat(40)).trim_end().to_owned();
    let query = "x".repeat(300);
    let feature = format!(
        "@feature:long @critical\nFeature: Long\n\n  Scenario: {name}\n    When I send a GET request to \"/500?q={query}\"\n    Then the response status is 200\n"
    );
    let project = Project::empty()
        .file(
            "certify.toml",
            "[suite]\nfeatures = \"features\"\n\n[targets.test]\nbase_url = \"${TARGET_URL}\"\n\
             version = { path = \"/version\", json = \"$.version\" }\ntimeout = \"2s\"\n",
        )
        .file("features/long.feature", &feature);
    let key = project.keygen();
    let json = run_in(&project, &key, &server).args(["--format", "json", "--out"]).arg(project.out("j")).run();
    json.expect_code(1);
    let entry = json.json()["not_ok"][0].clone();
    assert_eq!(entry["name"], name.as_str(), "the JSON keeps the whole name: {json}");
    assert!(entry["message"].as_str().is_some_and(|m| m.contains(&query)), "the JSON keeps the whole URL: {json}");

    let text = run_in(&project, &key, &server).args(["--out"]).arg(project.out("t")).run();
    text.expect_code(1);
    for line in text.stdout.lines() {
        assert!(line.chars().count() <= 200, "an unbounded line in the summary ({} chars): {line}", line.len());
    }
    let shown = text
        .stdout
        .lines()
        .find(|l| l.contains("features/long.feature:4"))
        .unwrap_or_else(|| panic!("the failed scenario is not listed:\n{text}"));
    assert!(shown.contains("A scenario whose name goes on") && shown.ends_with('…'), "{shown}");
    let message = text
        .stdout
        .lines()
        .find(|l| l.contains("/500?q=xxx"))
        .unwrap_or_else(|| panic!("the failure message is not shown:\n{text}"));
    assert!(message.ends_with('…'), "{message}");
    assert!(text.stdout.contains("  features   1 file, 1 customer-facing feature\n"), "{text}");
    for wrong in ["1 files", "1 scenarios", "all 1 ", "(critical) (critical)"] {
        assert!(!text.stdout.contains(wrong), "the summary says {wrong:?}:\n{text}");
    }
}
