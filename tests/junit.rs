//! What the tools people use make of a run's reports. The demo with a broken
//! feature (so that there are failures, and scenarios that do not apply to
//! the platform version) is read as CI tools read it: its junit.xml by
//! junitparser (Python, `CERTIFY_PYTHON`, mandatory), its messages.ndjson by
//! Cucumber's own HTML formatter (`@cucumber/html-formatter` from npm, in the
//! folder `CERTIFY_NPM` names, mandatory; `.ci/run` installs both), whose
//! page is then opened in headless Chromium.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::OnceLock,
};

use serde_json::Value;

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Demo {
    _dir: tempfile::TempDir,
    bundle: PathBuf,
    manifest: Value,
}

/// One demo run with `--fault signup-broken`, shared by the tests here.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let bundle = dir.path().join("bundle");
        let out = Command::new(env!("CARGO_BIN_EXE_certify"))
            .args(["demo", "--fault", "signup-broken", "--out"])
            .arg(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .current_dir(dir.path())
            .output()
            .expect("run certify");
        assert_eq!(out.status.code(), Some(1), "the broken demo did not fail as expected:\n{}", text(&out));
        let manifest = serde_json::from_str(&std::fs::read_to_string(bundle.join("bundle.json")).expect("bundle.json"))
            .expect("bundle.json is JSON");
        Demo { _dir: dir, bundle, manifest }
    })
}

fn count(manifest: &Value, key: &str) -> u64 {
    manifest["counts"][key].as_u64().unwrap_or_else(|| panic!("bundle.json has no counts.{key}"))
}

/// junit.xml as junitparser reads it (tests/tools/junit_summary.py).
fn junitparser(junit: &Path) -> Value {
    let python = std::env::var("CERTIFY_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = Command::new(&python)
        .arg(repo().join("tests/tools/junit_summary.py"))
        .arg(junit)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (CERTIFY_PYTHON, with junitparser): {e}"));
    assert!(
        out.status.success(),
        "junitparser could not read {} (CERTIFY_PYTHON={python}):\n{}",
        junit.display(),
        text(&out)
    );
    serde_json::from_slice(&out.stdout).expect("junit_summary.py prints JSON")
}

#[test]
fn junitparser_counts_what_the_run_summary_counts() {
    let demo = demo();
    let report = junitparser(&demo.bundle.join("junit.xml"));
    let m = &demo.manifest;
    let (failed, skipped) = (count(m, "failed"), count(m, "not_applicable") + count(m, "not_run"));
    let errors = count(m, "errored") + count(m, "interrupted") + count(m, "load_errors");
    let tests = count(m, "passed") + count(m, "flaky") + failed + errors + skipped;
    assert!(failed > 0 && skipped > 0, "the broken demo should fail and skip some scenarios: {}", m["counts"]);

    let suites = report["suites"].as_array().expect("suites");
    let cases: Vec<&Value> = suites.iter().flat_map(|s| s["cases"].as_array().expect("cases")).collect();
    let outcomes = |kind: &str| cases.iter().filter(|c| c["outcome"] == kind).count() as u64;
    assert_eq!(
        (cases.len() as u64, outcomes("failure"), outcomes("error"), outcomes("skipped")),
        (tests, failed, errors, skipped),
        "junitparser's (tests, failures, errors, skipped) against bundle.json's counts {}",
        m["counts"]
    );
    let attribute = |key: &str| suites.iter().map(|s| s[key].as_u64().expect(key)).sum::<u64>();
    assert_eq!(
        (attribute("tests"), attribute("failures"), attribute("errors"), attribute("skipped")),
        (tests, failed, errors, skipped),
        "the testsuites' own attributes"
    );
    assert_eq!(report["tests"].as_u64(), Some(tests), "the root's tests attribute");

    // Every testcase is told apart from every other, as CI tools key them.
    let mut seen = HashSet::new();
    for c in &cases {
        let key = (c["classname"].as_str().unwrap_or_default(), c["name"].as_str().unwrap_or_default());
        assert!(seen.insert(key), "two testcases are named {key:?}");
    }

    // Times: the root is the run's wall time; a testsuite (its scenarios ran
    // concurrently) lasts no longer than the run.
    let duration = m["duration_ms"].as_f64().expect("duration_ms") / 1000.0;
    let root = report["time"].as_f64().expect("root time");
    assert!((root - duration).abs() <= 0.002, "junit.xml says the run took {root} s, bundle.json {duration} s");
    for s in suites {
        let time = s["time"].as_f64().expect("suite time");
        assert!(time <= root + 0.001, "testsuite {} lasts {time} s, longer than the run ({root} s)", s["name"]);
    }
}

/// xunit-viewer (npm, in `CERTIFY_NPM`) renders junit.xml as the page CI
/// users browse; in Chromium it counts every testcase once, by outcome,
/// as the run summary does (outline rows are not folded into one test).
#[test]
fn xunit_viewer_counts_what_the_run_summary_counts() {
    let demo = demo();
    let npm = std::env::var("CERTIFY_NPM").unwrap_or_else(|_| {
        panic!("CERTIFY_NPM is not set: it names the folder where npm installed xunit-viewer (.ci/run does)")
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("xunit.html");
    let out = Command::new(Path::new(&npm).join("node_modules/.bin/xunit-viewer"))
        .arg(format!("--results={}", demo.bundle.join("junit.xml").display()))
        .arg(format!("--output={}", page.display()))
        .arg("--console=false")
        .output()
        .unwrap_or_else(|e| panic!("cannot run xunit-viewer from CERTIFY_NPM={npm} ({e}); .ci/run installs it"));
    assert!(out.status.success() && page.is_file(), "xunit-viewer failed:\n{}", text(&out));
    let dom = dump_dom(&page);
    // The "Tests" card: the total, then one count per outcome, each after its icon.
    let card = dom
        .split_once("placeholder=\"Tests\"")
        .and_then(|(_, rest)| rest.split_once("placeholder=\"Properties\""))
        .map(|(card, _)| card)
        .unwrap_or_else(|| panic!("xunit-viewer's page has no Tests card"));
    let total = regex::Regex::new(r"<b>(\d+)</b>").expect("regex").captures(card).map(|c| c[1].to_owned());
    let mut by_icon: HashMap<String, u64> = HashMap::new();
    for c in
        regex::Regex::new(r#"fa-([a-z-]+)" aria-hidden="true"></i>.*?<b>(\d+)</b>"#).expect("regex").captures_iter(card)
    {
        by_icon.insert(c[1].to_owned(), c[2].parse().expect("count"));
    }
    let m = &demo.manifest;
    let tests = ["passed", "flaky", "failed", "errored", "interrupted", "not_run", "not_applicable", "load_errors"]
        .iter()
        .map(|k| count(m, k))
        .sum::<u64>();
    assert_eq!(total, Some(tests.to_string()), "xunit-viewer's total; bundle.json counts {}", m["counts"]);
    let take = |icon: &str, by_icon: &mut HashMap<String, u64>| by_icon.remove(icon).unwrap_or(0);
    assert_eq!(take("check", &mut by_icon), count(m, "passed") + count(m, "flaky"), "passed");
    assert_eq!(take("times", &mut by_icon), count(m, "failed"), "failed");
    assert_eq!(take("ban", &mut by_icon), count(m, "not_applicable") + count(m, "not_run"), "skipped");
    let errors = count(m, "errored") + count(m, "interrupted") + count(m, "load_errors");
    assert_eq!(by_icon.values().sum::<u64>(), errors, "errors (any other outcome): {by_icon:?}");
}

/// Validates one Envelope per line against the Cucumber Messages schemas.
fn envelope_validator() -> jsonschema::Validator {
    let dir = repo().join("tests/data/cucumber-messages");
    let mut registry = jsonschema::Registry::new();
    let mut envelope = None;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().ends_with(".schema.json") {
            continue;
        }
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        let id = schema["$id"].as_str().expect("$id").to_owned();
        if path.file_name().is_some_and(|n| n == "Envelope.schema.json") {
            envelope = Some(schema.clone());
        }
        registry = registry.add(id, schema).expect("schema");
    }
    let registry = registry.prepare().expect("registry");
    jsonschema::options().with_registry(&registry).build(&envelope.expect("Envelope.schema.json")).expect("validator")
}

fn seconds(t: &Value) -> f64 {
    t["seconds"].as_f64().expect("seconds") + t["nanos"].as_f64().expect("nanos") / 1e9
}

fn of<'a>(messages: &'a [Value], kind: &str) -> Vec<&'a Value> {
    messages.iter().filter_map(|m| m.get(kind)).collect()
}

/// Every exchange of every transcript, as JSON text.
fn transcript_exchanges(bundle: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![bundle.join("transcripts")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("transcripts").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            // The version probe's exchange and the API description's fetch belong to no step,
            // so they have no attachment.
            if path.extension().is_some_and(|e| e == "json") {
                let doc: Value = serde_json::from_str(&text).expect("JSON");
                assert!(
                    doc["probe"] == "version" || doc["probe"] == "api-description",
                    "{} is neither the probe's nor the description's fetch",
                    path.display()
                );
                continue;
            }
            // One line per attempt.
            for line in text.lines() {
                let attempt: Value = serde_json::from_str(line).expect("JSON");
                out.extend(attempt["exchanges"].as_array().expect("exchanges").iter().map(Value::to_string));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn cucumbers_html_formatter_renders_the_messages() {
    let demo = demo();
    let ndjson = std::fs::read_to_string(demo.bundle.join("messages.ndjson")).expect("messages.ndjson");
    let validator = envelope_validator();
    let messages: Vec<Value> = ndjson
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
            let errors: Vec<String> =
                validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
            assert!(errors.is_empty(), "line {} does not validate: {errors:?}", i + 1);
            value
        })
        .collect();

    // The run's duration is the one bundle.json records.
    let started = seconds(&of(&messages, "testRunStarted")[0]["timestamp"]);
    let finished = seconds(&of(&messages, "testRunFinished")[0]["timestamp"]);
    let duration = demo.manifest["duration_ms"].as_f64().expect("duration_ms") / 1000.0;
    assert!(
        ((finished - started) - duration).abs() <= 0.003,
        "messages.ndjson says the run took {} s, bundle.json {duration} s",
        finished - started
    );
    for s in of(&messages, "testCaseStarted") {
        let at = seconds(&s["timestamp"]);
        assert!(started <= at && at <= finished, "an attempt starts outside the run: {s}");
    }

    // Steps with arguments carry them, at the offsets where the text holds them.
    let pickle_steps: HashMap<&str, &str> = of(&messages, "pickle")
        .into_iter()
        .flat_map(|p| p["steps"].as_array().expect("steps"))
        .map(|s| (s["id"].as_str().expect("id"), s["text"].as_str().expect("text")))
        .collect();
    let mut with_arguments = 0;
    for step in of(&messages, "testCase").into_iter().flat_map(|c| c["testSteps"].as_array().expect("testSteps")) {
        let text = pickle_steps[step["pickleStepId"].as_str().expect("pickleStepId")];
        let lists = step["stepMatchArgumentsLists"].as_array().expect("lists");
        let Some(list) = lists.first() else { continue };
        let arguments = list["stepMatchArguments"].as_array().expect("arguments");
        assert!(!text.contains('"') || !arguments.is_empty(), "{text}: no arguments");
        for a in arguments {
            let units: Vec<u16> = text.encode_utf16().collect();
            let start = a["group"]["start"].as_u64().expect("start") as usize;
            let value = a["group"]["value"].as_str().expect("value");
            let len = value.encode_utf16().count();
            assert_eq!(String::from_utf16_lossy(&units[start..start + len]), value, "{text}: {a}");
        }
        with_arguments += usize::from(!arguments.is_empty());
    }
    assert!(with_arguments > 50, "only {with_arguments} steps with arguments");

    // One attachment per HTTP exchange, each exactly the exchange its transcript records.
    let started_ids: HashSet<&Value> = of(&messages, "testCaseStarted").into_iter().map(|s| &s["id"]).collect();
    let step_ids: HashSet<&Value> = of(&messages, "testCase")
        .into_iter()
        .flat_map(|c| c["testSteps"].as_array().expect("testSteps"))
        .map(|s| &s["id"])
        .collect();
    let attachments = of(&messages, "attachment");
    let mut bodies: Vec<String> = attachments
        .iter()
        .map(|a| {
            assert_eq!(a["mediaType"], "application/json", "{a}");
            assert!(started_ids.contains(&a["testCaseStartedId"]) && step_ids.contains(&a["testStepId"]), "{a}");
            let body: Value = serde_json::from_str(a["body"].as_str().expect("body")).expect("the body is JSON");
            body.to_string()
        })
        .collect();
    bodies.sort();
    assert!(!bodies.is_empty(), "no attachments");
    assert_eq!(bodies, transcript_exchanges(&demo.bundle), "attachments differ from the transcripts' exchanges");

    // Cucumber's HTML formatter renders it, and the page shows the run.
    let page = render(&ndjson);
    let dom = chromium_dom(&page);
    for want in ["Self-service tenant sign-up", "http-1-GET-200.json", "/v1/tenants"] {
        assert!(dom.contains(want), "the rendered page does not show {want:?}");
    }
    let shown = regex::Regex::new(r"in ([0-9]+(?:\.[0-9]+)?) seconds")
        .expect("regex")
        .captures(&dom)
        .and_then(|c| c[1].parse::<f64>().ok())
        .unwrap_or_else(|| panic!("the page does not say how long the run took"));
    assert!((shown - duration).abs() < 0.01, "the page says the run took {shown} s, bundle.json {duration} s");
}

/// The page `@cucumber/html-formatter` makes of `ndjson` (tests/tools/html_formatter.mjs).
fn render(ndjson: &str) -> PathBuf {
    let npm = std::env::var("CERTIFY_NPM").unwrap_or_else(|_| {
        panic!(
            "CERTIFY_NPM is not set: it names the folder where npm installed @cucumber/html-formatter (.ci/run does)"
        )
    });
    let mut child = Command::new("node")
        .arg(repo().join("tests/tools/html_formatter.mjs"))
        .env("CERTIFY_NPM", &npm)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node ({e}): install Node.js (.ci/run expects it)"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input = ndjson.to_owned();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, input.as_bytes()));
    let out = child.wait_with_output().expect("node");
    writer.join().expect("writer").expect("write to node");
    assert!(out.status.success(), "the HTML formatter failed (CERTIFY_NPM={npm}):\n{}", text(&out));
    let html = String::from_utf8(out.stdout).expect("UTF-8 page");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("CUCUMBER_MESSAGES"), "not the formatter's page");
    let dir = repo().join("ci-artifacts");
    std::fs::create_dir_all(&dir).expect("ci-artifacts");
    let path = dir.join("cucumber-report.html");
    std::fs::write(&path, html).expect("write the page");
    path
}

/// The DOM of the page after its scripts ran in headless Chromium.
fn dump_dom(page: &Path) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync", "--no-first-run", "--virtual-time-budget=10000"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot start chromium ({e}): install Debian's `chromium` package (.ci/run does)"));
    assert!(out.status.success(), "chromium failed: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of the page after its scripts ran in headless Chromium.
fn chromium_dom(page: &Path) -> String {
    let dom = dump_dom(page);
    let no_scripts =
        regex::Regex::new(r"(?s)<(script|style)\b.*?</(script|style)>").expect("regex").replace_all(&dom, " ");
    let tags = regex::Regex::new(r"<[^>]+>").expect("regex").replace_all(&no_scripts, " ");
    let text = tags.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    let words: Vec<&str> = text.split_whitespace().collect();
    words.join(" ")
}
