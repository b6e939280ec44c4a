//! The Cucumber Messages writer, driven by the real runner against a loopback
//! server: every line validates against the Cucumber Messages schema, ids
//! refer to messages written before them, and retries, undefined steps,
//! outlines and scenarios that do not apply come out as Cucumber reports them.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Router, http::StatusCode, routing::get};
use certify_evidence::messages::MessagesWriter;
use certify_runner::{Plan, RunOptions, event::PlannedScenario};
use certify_steps::{RunContext, SnapshotSettings, TargetSettings};
use certify_suite::{ParsedFeature, Selection, SourceFile};
use serde_json::Value;

const FEATURE: &str = r#"# language: en
@feature:messages
Feature: Messages output
  What a run looks like to Cucumber's reporters.

  Background:
    Given the request header "X-Test" is "yes"

  @retry(1) @flaky
  Scenario: fails once, then passes
    When I send a GET request to "/flaky"
    Then the response status is 200

  Scenario: has an undefined step
    When I send a GET request to "/ok"
    Then the moon is made of cheese
    And the response status is 200

  Scenario Outline: answers <code> with a body
    Given the request body is:
      """json
      {"code": <code>}
      """
    When I send a POST request to "/ok"
    Then the response status is <code>

    @rows
    Examples: codes
      | code |
      | 200  |
      | 200  |

  Rule: old behaviour
    Scenario: does not apply
      When I send a GET request to "/ok"
      Then the response status is 200
"#;

/// Validates one Envelope per line against the Cucumber Messages schemas,
/// registered by their `$id` so the relative `$ref`s between them resolve.
fn envelope_validator() -> jsonschema::Validator {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/cucumber-messages");
    let mut registry = jsonschema::Registry::new();
    let mut envelope = None;
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".schema.json") {
            continue;
        }
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let id = schema["$id"].as_str().unwrap_or_else(|| panic!("{} has no $id", path.display())).to_owned();
        if path.file_name().is_some_and(|n| n == "Envelope.schema.json") {
            envelope = Some(schema.clone());
        }
        registry = registry.add(id, schema).unwrap();
    }
    let registry = registry.prepare().unwrap();
    let envelope = envelope.expect("Envelope.schema.json");
    jsonschema::options().with_registry(&registry).build(&envelope).unwrap()
}

fn parse(text: &str) -> ParsedFeature {
    let file = SourceFile { path: "features/messages.feature".into(), abs_path: None, text: text.into() };
    certify_suite::parse_file(file).unwrap().unwrap()
}

/// A target whose `/flaky` answers 500 the first time and 200 after.
async fn start_server() -> url::Url {
    let hits = Arc::new(AtomicUsize::new(0));
    let app = Router::new().route("/ok", get(|| async { StatusCode::OK }).post(|| async { StatusCode::OK })).route(
        "/flaky",
        get(move || {
            let hits = hits.clone();
            async move {
                if hits.fetch_add(1, Ordering::SeqCst) == 0 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    url::Url::parse(&format!("http://{addr}/")).unwrap()
}

fn context(base_url: url::Url) -> Arc<RunContext> {
    let target = TargetSettings {
        name: "test".into(),
        base_url,
        headers: Vec::new(),
        default_auth: None,
        timeout: Duration::from_secs(10),
        max_rps: None,
        max_body_bytes: 1 << 20,
    };
    Arc::new(RunContext::new(target, Vec::new(), SnapshotSettings::default()).unwrap())
}

/// Runs the features with the messages writer and returns the parsed lines.
async fn run(
    features: &[ParsedFeature],
    selection: &Selection,
    exclude: &dyn Fn(&PlannedScenario) -> Option<String>,
    interrupt: impl Future<Output = ()>,
    out: &Path,
) -> Vec<Value> {
    let plan: Arc<Plan> = Arc::new(certify_runner::plan_features(features, selection, exclude));
    let ctx = context(start_server().await);
    let mut writer = MessagesWriter::create(out, features, "1.2.3").unwrap();
    certify_runner::run(features, plan, &RunOptions { concurrency: 1 }, ctx, &mut writer, interrupt).await;
    writer.finish().unwrap();
    let text = std::fs::read_to_string(out).unwrap();
    let validator = envelope_validator();
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", i + 1));
            let errors: Vec<String> =
                validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
            assert!(errors.is_empty(), "line {} does not validate: {errors:?}\n{line}", i + 1);
            value
        })
        .collect()
}

fn of<'a>(messages: &'a [Value], kind: &str) -> Vec<&'a Value> {
    messages.iter().filter_map(|m| m.get(kind)).collect()
}

fn kind(message: &Value) -> &str {
    message.as_object().and_then(|o| o.keys().next()).map(String::as_str).unwrap_or("")
}

/// Every id in the gherkin document, recursively (`id` fields of any object).
fn ast_ids(value: &Value, out: &mut HashSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("id") {
                out.insert(id.clone());
            }
            map.values().for_each(|v| ast_ids(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| ast_ids(v, out)),
        _ => {}
    }
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

fn pickle_named<'a>(messages: &'a [Value], prefix: &str) -> Vec<&'a Value> {
    of(messages, "pickle").into_iter().filter(|p| p["name"].as_str().is_some_and(|n| n.starts_with(prefix))).collect()
}

/// testCaseStarted of the test case of `pickle`.
fn attempts_of<'a>(messages: &'a [Value], pickle: &Value) -> Vec<&'a Value> {
    let case = of(messages, "testCase").into_iter().find(|c| c["pickleId"] == pickle["id"]).expect("a test case");
    of(messages, "testCaseStarted").into_iter().filter(|s| s["testCaseId"] == case["id"]).collect()
}

fn finished_of<'a>(messages: &'a [Value], started: &Value) -> &'a Value {
    of(messages, "testCaseFinished").into_iter().find(|f| f["testCaseStartedId"] == started["id"]).expect("finished")
}

fn step_statuses(messages: &[Value], started: &Value) -> Vec<String> {
    of(messages, "testStepFinished")
        .into_iter()
        .filter(|f| f["testCaseStartedId"] == started["id"])
        .map(|f| f["testStepResult"]["status"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_written_as_valid_cucumber_messages() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("messages.ndjson");
    let features = vec![parse(FEATURE)];
    let exclude = |s: &PlannedScenario| (s.name == "does not apply").then(|| "removed in 2.0.0".to_owned());
    let messages = run(&features, &Selection::default(), &exclude, std::future::pending(), &out).await;

    // Order: meta, source, document, pickles, definitions, run start, test cases, ..., run end.
    let kinds: Vec<&str> = messages.iter().map(kind).collect();
    assert_eq!(&kinds[..3], ["meta", "source", "gherkinDocument"]);
    assert_eq!(kinds.last(), Some(&"testRunFinished"));
    let first = |k: &str| kinds.iter().position(|x| *x == k).unwrap_or_else(|| panic!("no {k}"));
    let last = |k: &str| kinds.iter().rposition(|x| *x == k).unwrap_or_else(|| panic!("no {k}"));
    assert!(last("pickle") < first("stepDefinition"));
    assert!(last("stepDefinition") < first("testRunStarted"));
    assert!(first("testRunStarted") < first("testCase"));
    assert!(last("testCase") < first("testCaseStarted"));
    assert_eq!(messages[0]["meta"]["implementation"], serde_json::json!({"name": "certify", "version": "1.2.3"}));
    assert_eq!(messages[1]["source"]["data"], FEATURE);
    assert_eq!(messages[1]["source"]["uri"], "features/messages.feature");

    // The outline is written once in the document, with its template text and both rows.
    let document = &messages[2]["gherkinDocument"];
    let outline = &document["feature"]["children"][3]["scenario"];
    assert_eq!(outline["keyword"], "Scenario Outline");
    assert_eq!(outline["name"], "answers <code> with a body");
    assert_eq!(outline["steps"][2]["text"], "the response status is <code>");
    assert_eq!(outline["steps"][0]["docString"]["mediaType"], "json");
    assert_eq!(outline["examples"][0]["tableBody"].as_array().map(Vec::len), Some(2));
    assert_eq!(outline["examples"][0]["tags"][0]["name"], "@rows");
    let flaky = &document["feature"]["children"][1]["scenario"];
    let tag_locations: Vec<&Value> = flaky["tags"].as_array().unwrap().iter().map(|t| &t["location"]).collect();
    assert_eq!(
        tag_locations,
        [&serde_json::json!({"line": 9, "column": 3}), &serde_json::json!({"line": 9, "column": 13})]
    );
    assert_eq!(document["feature"]["children"][2]["scenario"]["steps"][2]["keywordType"], "Conjunction");

    // Every AST id a pickle names is in the document; every reference points at a written message.
    let mut ids = HashSet::new();
    ast_ids(document, &mut ids);
    let pickles = of(&messages, "pickle");
    assert_eq!(pickles.len(), 5, "one pickle per concrete scenario");
    for pickle in &pickles {
        for id in strings(&pickle["astNodeIds"]) {
            assert!(ids.contains(&id), "pickle names unknown AST node {id}");
        }
        for step in pickle["steps"].as_array().unwrap() {
            for id in strings(&step["astNodeIds"]) {
                assert!(ids.contains(&id), "pickle step names unknown AST node {id}");
            }
        }
        for tag in pickle["tags"].as_array().unwrap() {
            assert!(ids.contains(tag["astNodeId"].as_str().unwrap()), "unknown tag node {tag}");
        }
    }
    let pickle_ids: HashSet<&Value> = pickles.iter().map(|p| &p["id"]).collect();
    let pickle_step_ids: HashSet<&Value> =
        pickles.iter().flat_map(|p| p["steps"].as_array().unwrap()).map(|s| &s["id"]).collect();
    let definition_ids: HashSet<&Value> = of(&messages, "stepDefinition").into_iter().map(|d| &d["id"]).collect();
    assert_eq!(definition_ids.len(), certify_steps::vocabulary().len());
    let cases = of(&messages, "testCase");
    assert_eq!(cases.len(), 5);
    for case in &cases {
        assert!(pickle_ids.contains(&case["pickleId"]));
        for step in case["testSteps"].as_array().unwrap() {
            assert!(pickle_step_ids.contains(&step["pickleStepId"]));
            for d in step["stepDefinitionIds"].as_array().unwrap() {
                assert!(definition_ids.contains(d));
            }
        }
    }
    let test_step_ids: HashSet<&Value> =
        cases.iter().flat_map(|c| c["testSteps"].as_array().unwrap()).map(|s| &s["id"]).collect();
    for step in of(&messages, "testStepStarted").into_iter().chain(of(&messages, "testStepFinished")) {
        assert!(test_step_ids.contains(&step["testStepId"]), "unknown test step in {step}");
    }

    // The retried scenario: attempt 0 fails and will be retried, attempt 1 passes.
    let retried = pickle_named(&messages, "fails once");
    assert_eq!(retried.len(), 1);
    let tags: Vec<&Value> = retried[0]["tags"].as_array().unwrap().iter().map(|t| &t["name"]).collect();
    assert_eq!(tags, ["@feature:messages", "@retry(1)", "@flaky"]);
    let attempts = attempts_of(&messages, retried[0]);
    let numbers: Vec<&Value> = attempts.iter().map(|a| &a["attempt"]).collect();
    assert_eq!(numbers, [0, 1]);
    assert_eq!(finished_of(&messages, attempts[0])["willBeRetried"], true);
    assert_eq!(finished_of(&messages, attempts[1])["willBeRetried"], false);
    assert_eq!(step_statuses(&messages, attempts[0]), ["PASSED", "PASSED", "FAILED"]);
    assert_eq!(step_statuses(&messages, attempts[1]), ["PASSED", "PASSED", "PASSED"]);
    let failure = of(&messages, "testStepFinished")
        .into_iter()
        .find(|f| f["testCaseStartedId"] == attempts[0]["id"] && f["testStepResult"]["status"] == "FAILED")
        .unwrap();
    assert!(failure["testStepResult"]["message"].as_str().is_some_and(|m| m.contains("500")), "{failure}");

    // The undefined step: no step definition, UNDEFINED, the step after it SKIPPED.
    let undefined = pickle_named(&messages, "has an undefined step");
    let case = cases.iter().find(|c| c["pickleId"] == undefined[0]["id"]).unwrap();
    let definitions: Vec<usize> = case["testSteps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stepDefinitionIds"].as_array().unwrap().len())
        .collect();
    assert_eq!(definitions, [1, 1, 0, 1]);
    let attempts = attempts_of(&messages, undefined[0]);
    assert_eq!(attempts.len(), 1);
    assert_eq!(step_statuses(&messages, attempts[0]), ["PASSED", "PASSED", "UNDEFINED", "SKIPPED"]);

    // The outline: two pickles, one per row, with the row's values and its AST row id.
    let rows = pickle_named(&messages, "answers 200 with a body");
    assert_eq!(rows.len(), 2);
    let body_rows = strings(&serde_json::json!(
        outline["examples"][0]["tableBody"].as_array().unwrap().iter().map(|r| r["id"].clone()).collect::<Vec<_>>()
    ));
    for (pickle, row_id) in rows.iter().zip(&body_rows) {
        assert_eq!(strings(&pickle["astNodeIds"]), [outline["id"].as_str().unwrap().to_owned(), row_id.clone()]);
        assert_eq!(pickle["steps"][3]["text"], "the response status is 200");
        assert_eq!(pickle["steps"][1]["argument"]["docString"]["content"], "{\"code\": 200}");
        assert!(pickle["tags"].as_array().unwrap().iter().any(|t| t["name"] == "@rows"));
        let attempts = attempts_of(&messages, pickle);
        assert_eq!(attempts.len(), 1);
        assert_eq!(step_statuses(&messages, attempts[0]), ["PASSED"; 4]);
    }

    // A scenario that does not apply: one attempt, every step skipped, with the reason.
    let na = pickle_named(&messages, "does not apply");
    let attempts = attempts_of(&messages, na[0]);
    assert_eq!(attempts.len(), 1);
    assert_eq!(step_statuses(&messages, attempts[0]), ["SKIPPED"; 3]);

    // Timestamps are when things happened: every attempt lies inside the
    // run, its steps inside it, one after the other, each as long as its result says.
    let seconds = |t: &Value| t["seconds"].as_u64().unwrap() as f64 + t["nanos"].as_u64().unwrap() as f64 / 1e9;
    let run_start = seconds(&of(&messages, "testRunStarted")[0]["timestamp"]);
    let run_end = seconds(&of(&messages, "testRunFinished")[0]["timestamp"]);
    assert!(run_start < run_end);
    for started in of(&messages, "testCaseStarted") {
        let start = seconds(&started["timestamp"]);
        let end = seconds(&finished_of(&messages, started)["timestamp"]);
        assert!(run_start <= start && start <= end && end <= run_end, "{started}");
        let mut previous_end = start;
        for finished in
            of(&messages, "testStepFinished").into_iter().filter(|f| f["testCaseStartedId"] == started["id"])
        {
            let step_start = of(&messages, "testStepStarted")
                .into_iter()
                .find(|s| s["testCaseStartedId"] == started["id"] && s["testStepId"] == finished["testStepId"])
                .map(|s| seconds(&s["timestamp"]))
                .expect("a testStepStarted");
            let step_end = seconds(&finished["timestamp"]);
            let took = seconds(&finished["testStepResult"]["duration"]);
            assert!(previous_end <= step_start && step_start <= step_end && step_end <= end, "{finished}");
            assert!((step_end - step_start - took).abs() < 1e-6, "{finished}");
            previous_end = step_end;
        }
    }

    // Steps with arguments carry them: where each capture group starts and what it holds.
    let arguments: Vec<&Value> = cases
        .iter()
        .flat_map(|c| c["testSteps"].as_array().unwrap())
        .filter(|s| s["pickleStepId"] == rows[0]["steps"][2]["id"])
        .map(|s| &s["stepMatchArgumentsLists"][0]["stepMatchArguments"])
        .collect();
    assert_eq!(rows[0]["steps"][2]["text"], "I send a POST request to \"/ok\"");
    assert_eq!(
        arguments,
        [&serde_json::json!([
            {"group": {"start": 9, "value": "POST"}, "parameterTypeName": "word"},
            {"group": {"start": 26, "value": "/ok"}, "parameterTypeName": "url"},
        ])]
    );

    // Every attempt started is finished; the run failed (undefined step).
    assert_eq!(of(&messages, "testCaseStarted").len(), of(&messages, "testCaseFinished").len());
    let finished = of(&messages, "testRunFinished");
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0]["success"], false);
    assert_eq!(finished[0]["testRunStartedId"], of(&messages, "testRunStarted")[0]["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_run_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("messages.ndjson");
    let features = vec![parse(
        "Feature: green\n  Scenario: ok\n    When I send a GET request to \"/ok\"\n    Then the response status is 200\n",
    )];
    let messages = run(&features, &Selection::default(), &|_| None, std::future::pending(), &out).await;
    let finished = of(&messages, "testRunFinished");
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0]["success"], true);
    let started = of(&messages, "testCaseStarted");
    assert_eq!(started.len(), 1);
    assert_eq!(step_statuses(&messages, started[0]), ["PASSED", "PASSED"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_still_ends_with_test_run_finished() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("messages.ndjson");
    let features = vec![parse(FEATURE)];
    let messages = run(&features, &Selection::default(), &|_| None, std::future::ready(()), &out).await;
    let kinds: Vec<&str> = messages.iter().map(kind).collect();
    assert_eq!(kinds.last(), Some(&"testRunFinished"));
    assert_eq!(kinds.iter().filter(|k| **k == "testRunFinished").count(), 1);
    assert_eq!(of(&messages, "testRunFinished")[0]["success"], false);
    assert_eq!(of(&messages, "testCaseStarted").len(), of(&messages, "testCaseFinished").len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_left_out_by_the_selection_have_no_pickle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("messages.ndjson");
    let features = vec![parse(FEATURE)];
    let selection = Selection { tags: Some("@flaky".parse().unwrap()), shard: None };
    let messages = run(&features, &selection, &|_| None, std::future::pending(), &out).await;
    let names: Vec<&Value> = of(&messages, "pickle").into_iter().map(|p| &p["name"]).collect();
    assert_eq!(names, ["fails once, then passes"]);
    assert_eq!(of(&messages, "testCase").len(), 1);
    assert_eq!(of(&messages, "testCaseStarted").len(), 2);
    assert_eq!(of(&messages, "testRunFinished")[0]["success"], true);
}

#[test]
fn a_writer_finished_without_a_run_is_still_a_complete_stream() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("messages.ndjson");
    let features = vec![parse(FEATURE)];
    MessagesWriter::create(&out, &features, "1.2.3").unwrap().finish().unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let validator = envelope_validator();
    let kinds: Vec<String> = text
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            assert!(validator.is_valid(&value), "does not validate: {line}");
            kind(&value).to_owned()
        })
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "pickle").count(), 5);
    assert_eq!(kinds.first().map(String::as_str), Some("meta"));
    assert_eq!(kinds.last().map(String::as_str), Some("testRunFinished"));
}

/// Outlines are shown as written in the document, read with the parser that loaded the file:
/// a file with an escaped pipe in a cell and a step with both a table and a doc string (which
/// gherkin 0.16 could not read) gives its document and one pickle per row.
#[test]
fn a_file_with_outlines_and_newer_syntax_is_written_with_its_document() {
    let text = "Feature: newer syntax\n\n  Scenario Outline: cell <v>\n    Given the variable \"a\" is \"<v>\"\n      | x | y \\| z |\n      \"\"\"\n      body\n      \"\"\"\n\n    Examples:\n      | v |\n      | 1 |\n      | a \\| b |\n";
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("messages.ndjson");
    let features = vec![parse(text)];
    MessagesWriter::create(&out, &features, "1.2.3").unwrap().finish().unwrap();
    let messages: Vec<Value> =
        std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let validator = envelope_validator();
    assert!(messages.iter().all(|m| validator.is_valid(m)));
    let docs = of(&messages, "gherkinDocument");
    assert_eq!(docs.len(), 1);
    let examples = &docs[0]["feature"]["children"][0]["scenario"]["examples"][0];
    assert_eq!(examples["tableBody"][1]["cells"][0]["value"], "a | b", "{examples}");
    let names: Vec<&str> = of(&messages, "pickle").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["cell 1", "cell a | b"]);
}

#[test]
fn the_schema_check_rejects_an_invalid_envelope() {
    let validator = envelope_validator();
    let bad = serde_json::json!({"testStepFinished": {"testCaseStartedId": "1", "testStepId": "2",
        "testStepResult": {"status": "GREEN", "duration": {"seconds": 0, "nanos": 0}},
        "timestamp": {"seconds": 0, "nanos": 0}}});
    assert!(!validator.is_valid(&bad));
    let good = serde_json::json!({"testRunStarted": {"timestamp": {"seconds": 1, "nanos": 2}}});
    assert!(validator.is_valid(&good));
}

/// A feature file that did not load is a `parseError` envelope (its uri, line
/// and column, and the message), valid against the schema, and the run is
/// not a success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feature_file_that_did_not_load_is_a_parse_error() {
    let good = SourceFile {
        path: "features/good.feature".into(),
        abs_path: None,
        text: "Feature: g\n  Scenario: s\n    When I send a GET request to \"/ok\"\n".into(),
    };
    let broken = SourceFile {
        path: "features/broken.feature".into(),
        abs_path: None,
        text: "@feature:signup\nFeature: b\n  Scenario: s\n    Given x\n  not gherkin\n".into(),
    };
    let suite = certify_suite::Suite::parse(vec![good, broken]);
    assert_eq!(suite.issues.len(), 1);
    let plan = Arc::new(certify_runner::plan(&suite, &Selection::default(), &|_| None));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("messages.ndjson");
    let mut writer = MessagesWriter::create(&out, &suite.features, "1.2.3").unwrap();
    let ctx = context(start_server().await);
    let summary = certify_runner::run(
        &suite.features,
        plan,
        &RunOptions { concurrency: 1 },
        ctx,
        &mut writer,
        std::future::pending(),
    )
    .await;
    writer.finish().unwrap();
    assert_eq!(summary.status, certify_runner::Status::Failed);
    let validator = envelope_validator();
    let messages: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "does not validate: {errors:?}\n{line}");
            value
        })
        .collect();
    let errors = of(&messages, "parseError");
    assert_eq!(errors.len(), 1, "{messages:?}");
    assert_eq!(errors[0]["source"]["uri"], "features/broken.feature");
    assert_eq!(errors[0]["source"]["location"]["line"], 5);
    assert!(errors[0]["message"].as_str().unwrap().starts_with("features/broken.feature:5:"), "{}", errors[0]);
    assert_eq!(of(&messages, "testRunFinished")[0]["success"], false);
}

/// Upstream's ids moved by `base`: the writer numbers ids across files.
fn shift_ids(value: &Value, base: usize) -> Value {
    let shift = |v: &Value| match v.as_str().and_then(|s| s.parse::<usize>().ok()) {
        Some(n) => Value::String((n + base).to_string()),
        None => v.clone(),
    };
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "id" | "astNodeId" => shift(v),
                        "astNodeIds" => Value::Array(v.as_array().into_iter().flatten().map(shift).collect()),
                        _ => shift_ids(v, base),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| shift_ids(v, base)).collect()),
        other => other.clone(),
    }
}

/// The `gherkinDocument` and the pickles the writer writes for every `good/`
/// file of the upstream Gherkin corpus (`tests/data/gherkin`) are upstream's,
/// ids included (moved past the ids of a file written before it): the
/// document is written child by child from the parser's own nodes (rules,
/// their backgrounds, empty rules, comments), never as one tree.
#[test]
fn every_corpus_document_and_its_pickles_are_written_as_upstream_writes_them() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/gherkin/good");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "feature"))
        .collect();
    files.sort();
    let lines = |path: &Path| -> Vec<Value> {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    // A file written first: its document takes ids 0 and 1 (the step, the
    // scenario), its pickle 2 and 3 (the pickle's step, the pickle).
    let first = parse("Feature: first\n  Scenario: s\n    Given x\n");
    let base = 4;
    let out = tempfile::tempdir().unwrap();
    let (mut compared, mut wrong) = (0, Vec::new());
    for path in &files {
        let expected = lines(&path.with_extension("feature.ast.ndjson"));
        let uri = expected[0]["gherkinDocument"]["uri"].as_str().unwrap().to_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let file = SourceFile { path: uri.clone().into(), abs_path: None, text: text.into() };
        // A document without a Feature holds nothing to run.
        let Some(parsed) = certify_suite::parse_file(file).unwrap_or_else(|e| panic!("{uri}: {e}")) else { continue };
        let written = out.path().join("messages.ndjson");
        MessagesWriter::create(&written, &[first.clone(), parsed], "1.2.3").unwrap().finish().unwrap();
        let messages = lines(&written);
        let documents = of(&messages, "gherkinDocument");
        let want_document = shift_ids(&expected[0]["gherkinDocument"], base);
        if documents.get(1).copied() != Some(&want_document) {
            wrong.push(format!("{uri}: the gherkinDocument differs:\n  {want_document}\n  {:?}", documents.get(1)));
        }
        let pickles: Vec<&Value> = of(&messages, "pickle").into_iter().skip(1).collect();
        let want = lines(&path.with_extension("feature.pickles.ndjson"));
        let differs = |(got, want): (&&Value, &Value)| **got != shift_ids(&want["pickle"], base);
        if pickles.len() != want.len() || pickles.iter().zip(&want).any(differs) {
            wrong.push(format!("{uri}: the pickles differ"));
        }
        compared += 1;
    }
    assert!(compared > 30, "only {compared} corpus files compared");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Rules without children, between others and last, against the
    // parser's whole document (which the corpus holds to upstream's).
    let text = "@f\nFeature: rules\n  Background:\n    Given b\n  Rule: empty first\n  @r\n  Rule: full\n    Background:\n      Given rb\n    Scenario: s\n      Given x\n  Rule: empty between\n  Rule: empty last\n  # the end\n";
    let parsed = parse(text);
    let written = out.path().join("messages.ndjson");
    MessagesWriter::create(&written, &[first, parsed], "1.2.3").unwrap().finish().unwrap();
    let messages = lines(&written);
    let mut document = certify_suite::syntax::parse(text).unwrap();
    document.uri = Some("features/messages.feature".into());
    let want = shift_ids(&serde_json::to_value(&document).unwrap(), base);
    assert_eq!(of(&messages, "gherkinDocument")[1], &want);
    let rules: Vec<&str> =
        want["feature"]["children"].as_array().unwrap().iter().filter_map(|c| c["rule"]["name"].as_str()).collect();
    assert_eq!(rules, ["empty first", "full", "empty between", "empty last"]);
}
