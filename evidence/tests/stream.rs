//! The bundle's writers fed through the writer thread: scenarios that end
//! out of suite order are listed in suite order, transcripts are grouped per
//! feature file (one line per attempt, redacted once), and a writer's error
//! leaves no bundle.

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, SystemTime},
};

use certify_evidence::{
    bundle::{BundleError, BundleSpec, BundleWriter},
    manifest::Manifest,
    stream,
};
use certify_runner::{
    EventSink, Plan, RunEvent, ScenarioResult, Status,
    event::{Attempt, Counts, PlannedFeature, PlannedScenario, RunSummary, StepRecord, StepStatus},
};
use certify_steps::{Body, Exchange, RecordedRequest, RecordedResponse};
use serde_json::Value;

const SECRET: &str = "tok_live_4f9a8b7c6d5e";

fn spec(dir: &Path) -> BundleSpec {
    BundleSpec { redact_json: vec!["$..token".into()], ..certify_evidence::synthetic::blank_spec(dir) }
}

fn scenario(file: &str, line: usize) -> Arc<PlannedScenario> {
    Arc::new(PlannedScenario {
        id: format!("{file}:{line}"),
        feature_path: file.into(),
        feature_name: file.into(),
        name: format!("scenario at {line}"),
        line,
        ..PlannedScenario::default()
    })
}

/// An exchange whose response carries a secret in a redacted JSON field,
/// and whose failure message echoes it.
fn exchange(path: &str) -> Exchange {
    Exchange {
        step_line: 4,
        step: format!("I send a GET request to \"{path}\""),
        request: RecordedRequest { method: "GET".into(), url: format!("http://h{path}"), headers: vec![], body: None },
        response: Some(RecordedResponse {
            status: 200,
            headers: vec![],
            body: Body::new(format!("{{\"token\":\"{SECRET}\",\"path\":\"{path}\"}}").into_bytes()),
        }),
        error: None,
        api: None,
        started_at: SystemTime::UNIX_EPOCH,
        duration: Duration::from_millis(1),
    }
}

/// Every event of one scenario's single failed attempt.
fn scenario_events(s: &Arc<PlannedScenario>, at: SystemTime) -> Vec<RunEvent> {
    let step = StepRecord {
        keyword: "Then".into(),
        text: "the response status is 201".into(),
        line: 5,
        background: false,
        status: StepStatus::Failed,
        started_at: at,
        duration: Duration::from_millis(1),
        failure: Some(certify_runner::event::StepFailure {
            kind: certify_runner::event::FailureKind::Assertion,
            message: format!("expected 201, got 200 with token {SECRET}"),
        }),
    };
    let attempt = Attempt {
        number: 1,
        status: Status::Failed,
        started_at: at,
        duration: Duration::from_millis(2),
        steps: vec![step.clone()],
        exchanges: vec![exchange(&format!("/line-{}", s.line))],
    };
    vec![
        RunEvent::AttemptStarted { scenario: s.clone(), attempt: 1, at },
        RunEvent::StepFinished { scenario: s.clone(), attempt: 1, step },
        RunEvent::AttemptFinished { scenario: s.clone(), attempt: attempt.clone(), will_retry: false },
        RunEvent::ScenarioFinished {
            result: Arc::new(ScenarioResult { scenario: s.clone(), status: Status::Failed, attempts: vec![attempt] }),
        },
    ]
}

/// Runs scenarios `a.feature:3`, `a.feature:7` and `b.feature:2`, ending in
/// the reverse of suite order, through the writer thread. `between` runs
/// once the run has started, before any scenario's events are sent.
fn run(out: &Path, between: impl FnOnce(&Path)) -> Result<(), BundleError> {
    let (a3, a7, b2) = (scenario("a.feature", 3), scenario("a.feature", 7), scenario("b.feature", 2));
    let feature = |path: &str, list: &[&Arc<PlannedScenario>]| PlannedFeature {
        path: path.into(),
        name: path.into(),
        tags: vec![],
        scenarios: list.iter().map(|s| PlannedScenario::clone(s)).collect(),
    };
    let plan =
        Plan { features: vec![feature("a.feature", &[&a3, &a7]), feature("b.feature", &[&b2])], load_errors: vec![] };
    let (mut bundle, writers) = BundleWriter::create(spec(out), &[]).expect("a bundle writer");
    let partial = bundle.partial_dir().to_path_buf();
    let redact = bundle.redact(writers);
    let (mut sender, thread) = stream::spawn(redact, 1 << 20).expect("the writer thread");
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    sender.on_event(&RunEvent::Started { plan: Arc::new(plan), at: t0 });
    between(&partial);
    for ev in scenario_events(&b2, t0) {
        sender.on_event(&ev);
    }
    sender.on_event(&RunEvent::FeatureFinished { path: "b.feature".into() });
    for s in [&a7, &a3] {
        for ev in scenario_events(s, t0) {
            sender.on_event(&ev);
        }
    }
    sender.on_event(&RunEvent::FeatureFinished { path: "a.feature".into() });
    let mut counts = Counts { planned: 3, selected: 3, ..Counts::default() };
    (0..3).for_each(|_| counts.add(Status::Failed));
    sender.on_event(&RunEvent::Finished {
        summary: RunSummary {
            status: Status::Failed,
            counts,
            interrupted: false,
            started_at: t0,
            finished_at: t0 + Duration::from_secs(1),
            duration: Duration::from_secs(1),
        },
    });
    drop(sender);
    let redact = thread.join()?;
    bundle.finish_redacted(redact).map(|_| ())
}

#[test]
fn scenarios_ending_out_of_order_are_listed_in_suite_order_with_grouped_transcripts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bundle");
    run(&out, |_| {}).expect("the bundle is written");

    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(out.join("bundle.json")).unwrap()).expect("a typed manifest");
    let ids: Vec<&str> = manifest.scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["a.feature:3", "a.feature:7", "b.feature:2"]);
    let transcripts: Vec<Option<&str>> = manifest.scenarios.iter().map(|s| s.transcript.as_deref()).collect();
    assert_eq!(
        transcripts,
        [
            Some("transcripts/a.feature.ndjson"),
            Some("transcripts/a.feature.ndjson"),
            Some("transcripts/b.feature.ndjson")
        ]
    );
    // The failure message was redacted once, by the adapter.
    let message = &manifest.scenarios[0].attempts[0].steps[0].failure.as_ref().unwrap().message;
    assert!(message.contains("got 200") && !message.contains(SECRET), "{message}");

    // One file per feature file, one line per attempt, in the order the attempts ended.
    let grouped = std::fs::read_to_string(out.join("transcripts/a.feature.ndjson")).unwrap();
    let lines: Vec<Value> = grouped.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let heads: Vec<(&str, u64)> =
        lines.iter().map(|l| (l["scenario"].as_str().unwrap(), l["attempt"].as_u64().unwrap())).collect();
    assert_eq!(heads, [("a.feature:7", 1), ("a.feature:3", 1)]);
    assert_eq!(lines[0]["exchanges"][0]["request"]["url"], "http://h/line-7");
    let files: Vec<String> = manifest.files.iter().map(|f| f.path.clone()).collect();
    assert!(files.iter().filter(|f| f.starts_with("transcripts/")).count() == 2, "{files:?}");

    // No secret anywhere.
    for f in &files {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(!text.contains(SECRET), "{f} holds the secret");
    }
    // (That the Messages attachments are the transcript's exchanges, byte
    // for byte, is checked on a real run: tests/junit.rs.)
}

#[test]
fn a_directory_that_breaks_mid_run_leaves_no_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bundle");
    // Once the run has started, the bundle's transcripts directory becomes
    // a file: no transcript can be created.
    let err = run(&out, |partial| {
        std::fs::remove_dir_all(partial.join("transcripts")).unwrap();
        std::fs::write(partial.join("transcripts"), b"not a directory").unwrap();
    })
    .expect_err("the bundle must not be completed");
    let shown = err.to_string();
    assert!(shown.contains("transcripts"), "the error names the path: {shown}");
    assert!(!out.exists(), "no bundle at {}", out.display());
}

/// A sink that records what reaches the writer thread and holds each
/// `ScenarioFinished` until the test lets it go.
struct Gated {
    gate: std::sync::mpsc::Receiver<()>,
    seen: Arc<std::sync::Mutex<Vec<String>>>,
}

impl EventSink for Gated {
    fn on_event(&mut self, event: &RunEvent) {
        let what = match event {
            RunEvent::AttemptFinished { attempt, .. } => format!("attempt with {} exchanges", attempt.exchanges.len()),
            RunEvent::ScenarioFinished { result } => {
                let _ = self.gate.recv();
                format!("result with {} exchanges", result.attempts.iter().map(|a| a.exchanges.len()).sum::<usize>())
            }
            _ => return,
        };
        self.seen.lock().unwrap().push(what);
    }
}

/// The exchanges travel to the writer thread once, with the scenario's
/// result (an `AttemptFinished` goes without them), and their bodies count
/// against the budget there: a scenario whose bodies would take the bodies
/// waiting beyond the budget is sent only once the writers have let go of
/// the earlier ones.
#[test]
fn bodies_waiting_for_the_writers_stay_within_the_budget() {
    let (open, gate) = std::sync::mpsc::channel();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Gated { gate, seen: seen.clone() };
    let body = exchange("/x").response.map_or(0, |r| r.body.bytes.len());
    // Room for one scenario's bodies, not two.
    let (mut sender, thread) = stream::spawn(sink, body + body / 2).expect("the writer thread");
    let t0 = SystemTime::UNIX_EPOCH;
    for ev in scenario_events(&scenario("a.feature", 3), t0) {
        sender.on_event(&ev);
    }
    let second_sent = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sending = {
        let second_sent = second_sent.clone();
        std::thread::spawn(move || {
            for ev in scenario_events(&scenario("a.feature", 7), t0) {
                sender.on_event(&ev);
            }
            second_sent.store(true, std::sync::atomic::Ordering::SeqCst);
            sender
        })
    };
    // The writer thread holds the first result: the second waits for it.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !second_sent.load(std::sync::atomic::Ordering::SeqCst),
        "the second scenario's bodies were sent beyond the budget"
    );
    open.send(()).unwrap();
    let sender = sending.join().expect("the sending thread");
    assert!(second_sent.load(std::sync::atomic::Ordering::SeqCst));
    open.send(()).unwrap();
    drop(sender);
    thread.join().expect("the writer thread");
    assert_eq!(
        *seen.lock().unwrap(),
        ["attempt with 0 exchanges", "result with 1 exchanges", "attempt with 0 exchanges", "result with 1 exchanges"]
    );
}
