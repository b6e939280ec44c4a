//! `certify demo`: the shipped suite against the embedded reference platform,
//! green, with each injected fault, at each platform version, and
//! interrupted half-way.

use std::{collections::BTreeSet, process::Command};

use regex::Regex;

use crate::support::{Project, assert_valid_junit, expectations, read_junit, repo_root};

/// The properties every testsuite of a JUnit report carries.
const PROPERTIES: [&str; 6] = ["git.commit", "git.branch", "git.dirty", "platform.version", "target", "certify.run_id"];

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(repo_root()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn demo_passes_and_writes_a_valid_junit_tagged_with_the_revision() {
    let dir = Project::empty();
    let out = dir.out("demo-out");
    let run = dir.certify().args(["demo", "--format", "json", "--out"]).arg(&out).run();
    run.expect_code(0);
    let summary = run.json();
    assert_eq!(summary["status"], "passed", "{run}");
    let counts = &summary["counts"];
    assert!(counts["passed"].as_u64().unwrap_or(0) >= 25, "at least 25 scenarios must run and pass: {counts}");
    assert_eq!(counts["passed"], counts["selected"], "{counts}");
    assert_eq!(summary["not_ok"].as_array().map(Vec::len), Some(0), "{run}");

    let junit_path = out.join("bundle/junit.xml");
    assert_valid_junit(&junit_path);
    let junit = read_junit(&junit_path);
    let suites: Vec<_> = junit.children_named("testsuite").collect();
    let files: BTreeSet<&str> = suites.iter().filter_map(|s| s.attr("file")).collect();
    assert!(files.len() >= 6, "the demo must cover at least 6 feature files, JUnit has {files:?}");
    let ran = junit.descendants("testcase").into_iter().filter(|c| c.child("skipped").is_none()).count();
    assert!(ran >= 25, "only {ran} testcases ran");
    assert!(junit.descendants("failure").is_empty() && junit.descendants("error").is_empty());

    let run_id = summary["run_id"].as_str().unwrap_or_default();
    let full_commit = Regex::new("^[0-9a-f]{40}$").unwrap_or_else(|e| panic!("{e}"));
    for suite in &suites {
        let props = suite.properties();
        for name in PROPERTIES {
            assert!(
                props.get(name).is_some_and(|v| !v.is_empty()),
                "testsuite {:?} lacks property {name}: {props:?}",
                suite.attr("file")
            );
        }
        assert_eq!(props["certify.run_id"], run_id);
        assert_eq!(props["platform.version"], "2.0.0");
        assert_eq!(props["target"], "local");
        assert!(matches!(props["git.dirty"].as_str(), "true" | "false"), "git.dirty = {:?}", props["git.dirty"]);
        let commit = &props["git.commit"];
        assert!(full_commit.is_match(commit), "git.commit {commit:?} is not a full commit id");
        assert_eq!(summary["git"]["commit"].as_str(), Some(commit.as_str()));
    }

    // The recorded revision is the checkout the binary was built from: a
    // commit of this repository, HEAD unless HEAD moved since the build.
    let commit = suites[0].properties()["git.commit"].clone();
    if let Some(head) = git(&["rev-parse", "HEAD"]) {
        assert_eq!(
            git(&["cat-file", "-t", &commit]).as_deref(),
            Some("commit"),
            "git.commit {commit} is not a commit of this repository"
        );
        if commit != head {
            assert!(
                git(&["merge-base", "--is-ancestor", &commit, &head]).is_some(),
                "git.commit {commit} is neither HEAD ({head}) nor an ancestor of it"
            );
        }
    }

    let time = Regex::new(r"^\d+(\.\d{1,3})?$").unwrap_or_else(|e| panic!("{e}"));
    let mut timed = 0;
    for element in junit.descendants("testsuite").into_iter().chain(junit.descendants("testcase")).chain([&junit]) {
        if let Some(t) = element.attr("time") {
            timed += 1;
            assert!(time.is_match(t), "{} time={t:?}: at most 3 decimals", element.name);
        }
    }
    assert!(timed > ran, "testsuites and testcases carry a time");
}

/// The faults `certify demo --help` lists.
fn documented_faults() -> Vec<String> {
    let dir = Project::empty();
    let help = dir.certify().args(["demo", "--help"]).run();
    help.expect_code(0);
    let section = help
        .stdout
        .split("Faults")
        .nth(1)
        .unwrap_or_else(|| panic!("`certify demo --help` has no Faults section:\n{help}"));
    let faults: Vec<String> = section
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert!(!faults.is_empty(), "no fault listed:\n{help}");
    faults
}

#[test]
fn every_documented_fault_fails_the_demo_and_names_the_broken_expectation() {
    let faults = documented_faults();
    let expected = expectations("demo-faults");
    for fault in &faults {
        assert!(
            expected.iter().any(|e| &e.place == fault),
            "fault {fault} is documented but tests/fixtures/demo-faults/expected.txt says nothing about it"
        );
    }
    std::thread::scope(|scope| {
        let checks: Vec<_> = expected
            .iter()
            .flat_map(|e| [(e, "json"), (e, "text")])
            .map(|(e, format)| scope.spawn(move || check_fault(&e.place, format, &e.text)))
            .collect();
        for check in checks {
            if let Err(panic) = check.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

fn check_fault(fault: &str, format: &str, text: &str) {
    let dir = Project::empty();
    let out = dir.out("out");
    let run = dir.certify().args(["demo", "--fault", fault, "--format", format, "--out"]).arg(&out).run();
    run.expect_code(1);
    match format {
        "json" => {
            let summary = run.json();
            assert_eq!(summary["status"], "failed", "--fault {fault}:\n{run}");
            let not_ok = summary["not_ok"].as_array().cloned().unwrap_or_default();
            assert!(!not_ok.is_empty(), "--fault {fault}: nothing failed\n{run}");
            for entry in &not_ok {
                assert!(
                    entry["message"].as_str().is_some_and(|m| !m.is_empty())
                        && entry["step"].as_str().is_some_and(|s| !s.is_empty())
                        && entry["line"].as_u64().is_some(),
                    "--fault {fault}: a scenario that did not pass says neither step nor why: {entry}"
                );
            }
            assert!(
                not_ok
                    .iter()
                    .any(|e| e["status"] == "failed" && e["message"].as_str().is_some_and(|m| m.contains(text))),
                "--fault {fault}: no failed scenario says {text:?}:\n{run}"
            );
        }
        _ => {
            assert!(run.stdout.contains("FAILED"), "--fault {fault}: the text summary does not say FAILED:\n{run}");
            assert!(run.stdout.contains(text), "--fault {fault}: the text summary does not say {text:?}:\n{run}");
            for wrong in ["(critical) (critical)", "1 files", "1 scenarios", "all 1 "] {
                assert!(!run.stdout.contains(wrong), "--fault {fault}: the summary says {wrong:?}:\n{run}");
            }
        }
    }
    let junit_path = out.join("bundle/junit.xml");
    assert_valid_junit(&junit_path);
    let junit = read_junit(&junit_path);
    assert!(
        junit.descendants("failure").iter().any(|f| f.attr("message").is_some_and(|m| m.contains(text))),
        "--fault {fault}: no JUnit <failure> message says {text:?}"
    );
}

#[test]
fn platform_versions_change_which_scenarios_apply() {
    let at = |version: &str| {
        let dir = Project::empty();
        let out = dir.out("out");
        let run =
            dir.certify().args(["demo", "--format", "json", "--platform-version", version, "--out"]).arg(&out).run();
        run.expect_code(0);
        let summary = run.json();
        assert_eq!(summary["status"], "passed", "{run}");
        assert_eq!(summary["platform"]["version"], version, "{run}");
        let junit_path = out.join("bundle/junit.xml");
        assert_valid_junit(&junit_path);
        let junit = read_junit(&junit_path);
        let skipped: Vec<_> =
            junit.descendants("skipped").into_iter().filter(|s| s.attr("type") == Some("not-applicable")).collect();
        let prefix = format!("not applicable at {version}");
        for s in &skipped {
            assert!(
                s.attr("message").is_some_and(|m| m.starts_with(&prefix)),
                "skipped message {:?} does not start with {prefix:?}",
                s.attr("message")
            );
        }
        for suite in junit.children_named("testsuite") {
            assert_eq!(suite.properties()["platform.version"], version);
        }
        let counted = summary["counts"]["not_applicable"].as_u64().unwrap_or(0);
        assert_eq!(counted as usize, skipped.len(), "{run}");
        (counted, summary["counts"]["passed"].as_u64().unwrap_or(0))
    };
    let (old_na, old_passed) = at("1.4.0");
    let (new_na, new_passed) = at("2.0.0");
    assert!(old_na > 0 && new_na > 0, "each version leaves something out");
    assert_ne!(old_na, new_na, "1.4.0 and 2.0.0 must differ in what applies");
    assert!(old_passed > 0 && new_passed > 0);
}

#[test]
fn an_interrupted_demo_exits_1_with_a_complete_junit() {
    let dir = Project::empty();
    let out = dir.out("out");
    let running = dir.certify().args(["demo", "--fault", "slow", "--out"]).arg(&out).spawn();
    crate::support::wait_until_running(&out.join("bundle"));
    running.signal("INT");
    let run = running.wait();
    run.expect_code(1);
    assert!(run.stdout.contains("INTERRUPTED"), "the summary says the run was interrupted:\n{run}");
    let junit_path = out.join("bundle/junit.xml");
    assert!(junit_path.is_file(), "no junit.xml after SIGINT:\n{run}");
    assert_valid_junit(&junit_path);
    let junit = read_junit(&junit_path);
    let interrupted = junit.descendants("error").into_iter().filter(|e| e.attr("type") == Some("interrupted")).count();
    let not_run = junit
        .descendants("skipped")
        .into_iter()
        .filter(|s| s.attr("message").is_some_and(|m| m.starts_with("not run")))
        .count();
    assert!(interrupted + not_run > 0, "the JUnit shows no interrupted or not-run scenario");
    let passed =
        junit.descendants("testcase").into_iter().filter(|c| c.children.iter().all(|x| x.name == "system-out")).count();
    let total = junit.descendants("testcase").len();
    assert!(passed < total, "an interrupted run must not look all green");
}

/// The scenario names written in the shipped feature files (outlines left
/// out: their names are filled in per example row).
fn shipped_scenario_names() -> Vec<String> {
    let dir = repo_root().join("features");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "feature") {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            names.extend(text.lines().filter_map(|l| l.trim().strip_prefix("Scenario:")).map(|n| n.trim().to_owned()));
        }
    }
    assert!(names.len() >= 25, "{names:?}");
    names
}

/// Redaction masks secret values; a scenario name is not one, even when it
/// contains a word (`Bearer`) that also starts an Authorization header.
#[test]
fn the_evidence_names_every_scenario_as_written() {
    let dir = Project::empty();
    let out = dir.out("out");
    dir.certify().args(["demo", "--out"]).arg(&out).run().expect_code(0);
    let junit = read_junit(&out.join("bundle/junit.xml"));
    let junit_names: Vec<String> =
        junit.descendants("testcase").iter().filter_map(|c| c.attr("name")).map(str::to_owned).collect();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("bundle/bundle.json")).unwrap_or_else(|e| panic!("bundle.json: {e}")),
    )
    .unwrap_or_else(|e| panic!("bundle.json: {e}"));
    let bundle_names: Vec<String> = manifest["scenarios"]
        .as_array()
        .map(|l| l.iter().filter_map(|s| s["name"].as_str()).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut missing = Vec::new();
    for name in shipped_scenario_names() {
        if !junit_names.iter().any(|n| n == &name || n.starts_with(&format!("{name} ("))) {
            missing.push(format!("JUnit: {name}"));
        }
        if !bundle_names.contains(&name) {
            missing.push(format!("bundle.json: {name}"));
        }
    }
    assert!(
        missing.is_empty(),
        "scenarios missing or renamed in the evidence:\n  {}\nJUnit names: {junit_names:#?}",
        missing.join("\n  ")
    );
}

/// `--out DIR` is a folder of everything the demo makes: the bundle, its
/// public key and the archive, and nothing lands beside DIR.
#[test]
fn demo_out_keeps_every_output_under_the_directory() {
    let dir = Project::empty();
    let out = dir.out("demo-out");
    let run = dir.certify().args(["demo", "--out"]).arg(&out).run();
    run.expect_code(0);
    let beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.path().display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside, ["demo-out"], "the demo wrote outside --out:\n{run}");
    let mut inside: Vec<String> = std::fs::read_dir(&out)
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    inside.sort();
    assert_eq!(inside, ["archive", "bundle", "bundle.pub.pem"], "{run}");
    assert_valid_junit(&out.join("bundle/junit.xml"));
    assert!(out.join("archive/index.jsonl").is_file(), "no archive index under --out:\n{run}");
    // The summary points at those places, and its verify command works as printed.
    let bundle = out.join("bundle");
    let key = out.join("bundle.pub.pem");
    for said in [
        format!("Evidence bundle: {}", bundle.display()),
        format!("public key: {}", key.display()),
        format!("Archived in {} as ", out.join("archive").display()),
    ] {
        assert!(run.stdout.contains(&said), "the summary does not say {said:?}:\n{run}");
    }
    let verify = dir.certify().arg("verify").arg(&bundle).arg("--key").arg(&key).run();
    verify.expect_code(0);
}

/// `demo --format json` carries the archive entry and the gate's decision:
/// the verdict, every reason, the decision record and the checkpoint used.
#[test]
fn demo_json_has_the_archive_entry_and_the_gate_decision() {
    let dir = Project::empty();
    let out = dir.out("o");
    let run = dir.certify().args(["demo", "--fault", "signup-broken", "--format", "json", "--out"]).arg(&out).run();
    run.expect_code(1);
    let summary = run.json();
    let archive = &summary["archive"];
    let id = archive["id"].as_str().unwrap_or_else(|| panic!("no archive id:\n{run}"));
    assert_eq!(id.len(), 64, "{run}");
    let path = std::path::PathBuf::from(archive["path"].as_str().unwrap_or_default());
    assert!(path.is_dir() && path.starts_with(out.join("archive")), "archive path {path:?}:\n{run}");
    assert_eq!(archive["dir"].as_str().map(std::path::PathBuf::from), Some(out.join("archive")), "{run}");
    let index = std::fs::read_to_string(out.join("archive/index.jsonl")).unwrap_or_default();
    assert!(index.lines().next().is_some_and(|l| l.contains(id)), "the first index line is the bundle {id}");

    let gate = &summary["gate"];
    assert_eq!(gate["verdict"], "BLOCK", "{run}");
    let reasons = gate["reasons"].as_array().cloned().unwrap_or_default();
    assert!(reasons.len() >= 2, "{run}");
    for r in &reasons {
        for key in ["rule", "severity", "message"] {
            assert!(r[key].as_str().is_some_and(|v| !v.is_empty()), "reason without {key}: {r}");
        }
        assert!(r.get("feature").is_some() && r.get("bundle").is_some(), "{r}");
    }
    assert!(
        reasons.iter().any(|r| r["rule"] == "critical"
            && r["severity"] == "block"
            && r["feature"] == "tenant-signup"
            && r["bundle"] == id),
        "no blocking critical reason for tenant-signup on bundle {id}:\n{run}"
    );
    let record = std::path::PathBuf::from(gate["record"].as_str().unwrap_or_default());
    assert!(record.is_file() && record.starts_with(out.join("archive/decisions")), "record {record:?}:\n{run}");
    let checkpoint = &gate["archive_checkpoint"];
    assert_eq!(checkpoint["size"], 1, "decided on the bundle's line: {run}");
    assert!(checkpoint["origin"].as_str().is_some_and(|o| o.starts_with("certify-archive ")), "{run}");
    assert!(checkpoint["root"].as_str().is_some_and(|r| !r.is_empty()), "{run}");
    // The record cites that same checkpoint.
    let verify = dir.certify().arg("verify").arg(&record).arg("--key").arg(out.join("bundle.pub.pem")).run();
    verify.expect_code(0);

    let green = dir.out("green");
    let run = dir.certify().args(["demo", "--format", "json", "--out"]).arg(&green).run();
    run.expect_code(0);
    assert_eq!(run.json()["gate"]["verdict"], "PROMOTE", "{run}");
}

/// Scenario ids (`path:line`) in the order `text` first names them.
fn ids_in_order(text: &str) -> Vec<String> {
    let id = Regex::new(r"features/[A-Za-z0-9_./-]+\.feature:\d+").unwrap_or_else(|e| panic!("{e}"));
    let mut seen = Vec::new();
    for m in id.find_iter(text) {
        if !seen.iter().any(|s| s == m.as_str()) {
            seen.push(m.as_str().to_owned());
        }
    }
    seen
}

/// Suite order: by feature file, then by line.
fn in_suite_order(ids: &[String]) -> bool {
    let key = |id: &String| {
        let (file, line) = id.rsplit_once(':').unwrap_or((id.as_str(), "0"));
        (file.to_owned(), line.parse::<u64>().unwrap_or(0))
    };
    ids.windows(2).all(|w| key(&w[0]) <= key(&w[1]))
}

/// bundle.json, report.html and the console list scenarios in suite order,
/// the same on every run, whatever order they finished in.
#[test]
fn scenarios_are_listed_in_suite_order_on_every_run() {
    let dir = Project::empty();
    let orders: Vec<[Vec<String>; 3]> = ["one", "two"]
        .iter()
        .map(|name| {
            let out = dir.out(name);
            let run = dir
                .certify()
                .args(["demo", "--fault", "signup-broken", "--concurrency", "16", "--out"])
                .arg(&out)
                .run();
            run.expect_code(1);
            let manifest: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(out.join("bundle/bundle.json")).unwrap_or_else(|e| panic!("bundle.json: {e}")),
            )
            .unwrap_or_else(|e| panic!("bundle.json: {e}"));
            let bundle: Vec<String> = manifest["scenarios"]
                .as_array()
                .map(|l| l.iter().filter_map(|s| s["id"].as_str()).map(str::to_owned).collect())
                .unwrap_or_default();
            let report = std::fs::read_to_string(out.join("bundle/report.html")).unwrap_or_default();
            let report: Vec<String> = ids_in_order(report.split("\"scenarios\":[").nth(1).unwrap_or_default());
            let listed = run.stdout.split("Scenarios that did not pass cleanly:").nth(1).unwrap_or_default();
            let console = ids_in_order(listed.split("Evidence bundle:").next().unwrap_or_default());
            assert!(bundle.len() >= 25 && console.len() >= 10, "{run}");
            for (what, ids) in [("bundle.json", &bundle), ("report.html", &report), ("the console", &console)] {
                assert!(in_suite_order(ids), "{what} of run {name} is not in suite order: {ids:#?}");
            }
            assert_eq!(report, bundle, "report.html lists the scenarios as bundle.json does");
            [bundle, report, console]
        })
        .collect();
    assert_eq!(orders[0], orders[1], "two runs list the scenarios in different orders");
}
