//! The scheduler against a real HTTP server on 127.0.0.1 that records what
//! it is asked and how many requests are in flight: event ordering, the
//! concurrency limit, `@serial`, `@retry(N)`, undefined steps, interruption.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use certify_runner::{
    EventSink, Plan, RunEvent, RunOptions, RunSummary, Status,
    event::{Attempt, StepStatus},
};
use certify_steps::{RunContext, SnapshotSettings, TargetSettings};
use certify_suite::{Selection, SourceFile, Suite};
use tokio::sync::Notify;

/// What the server saw.
#[derive(Default)]
struct Seen {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Requests that arrived while a `/serial` request was in flight, or a
    /// `/serial` request that arrived while another was in flight.
    overlaps: AtomicUsize,
    serial_active: AtomicUsize,
    /// The first `/work` requests are held until this many are in flight
    /// (or ten seconds have passed), so that a scheduler that reaches its
    /// limit is seen reaching it.
    gather: AtomicUsize,
    gathered: Notify,
    /// Requests per `/flaky/{key}`.
    flaky: Mutex<HashMap<String, usize>>,
    /// `/hang` requests received.
    hanging: AtomicUsize,
    hang_arrived: Notify,
}

struct Server {
    url: String,
    seen: Arc<Seen>,
}

impl Seen {
    fn enter(&self, serial: bool) {
        if self.serial_active.load(Ordering::SeqCst) > 0 {
            self.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        if serial {
            if now > 1 {
                self.overlaps.fetch_add(1, Ordering::SeqCst);
            }
            self.serial_active.fetch_add(1, Ordering::SeqCst);
        }
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
    }
    fn leave(&self, serial: bool) {
        if serial {
            self.serial_active.fetch_sub(1, Ordering::SeqCst);
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn work(State(seen): State<Arc<Seen>>) -> &'static str {
    // Created before the count is read, so a notification in between is not missed.
    let gathered = seen.gathered.notified();
    seen.enter(false);
    let wanted = seen.gather.load(Ordering::SeqCst);
    if seen.in_flight.load(Ordering::SeqCst) >= wanted {
        // Reached once: from now on nothing is held.
        seen.gather.store(0, Ordering::SeqCst);
        seen.gathered.notify_waiters();
    } else {
        let _ = tokio::time::timeout(Duration::from_secs(10), gathered).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    seen.leave(false);
    "{\"ok\": true}"
}

async fn serial(State(seen): State<Arc<Seen>>) -> &'static str {
    seen.enter(true);
    tokio::time::sleep(Duration::from_millis(20)).await;
    seen.leave(true);
    "{\"ok\": true}"
}

async fn flaky(State(seen): State<Arc<Seen>>, Path(key): Path<String>) -> StatusCode {
    let mut counts = seen.flaky.lock().unwrap();
    let n = counts.entry(key).or_default();
    *n += 1;
    if *n == 1 { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
}

async fn hang(State(seen): State<Arc<Seen>>) -> &'static str {
    seen.enter(false);
    seen.hanging.fetch_add(1, Ordering::SeqCst);
    seen.hang_arrived.notify_waiters();
    std::future::pending::<()>().await;
    "never"
}

async fn start_server(gather: usize) -> Server {
    let seen = Arc::new(Seen::default());
    seen.gather.store(gather, Ordering::SeqCst);
    let app = Router::new()
        .route("/work", get(work))
        .route("/serial", get(serial))
        .route("/flaky/{key}", get(flaky))
        .route("/hang", get(hang))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { url, seen }
}

fn context(url: &str) -> Arc<RunContext> {
    let target = TargetSettings {
        name: "test".to_owned(),
        base_url: url::Url::parse(url).unwrap(),
        headers: Vec::new(),
        default_auth: None,
        timeout: Duration::from_secs(60),
        max_rps: None,
        max_body_bytes: 1 << 20,
    };
    Arc::new(RunContext::new(target, Vec::new(), SnapshotSettings::default()).unwrap())
}

/// Every event, in order.
#[derive(Default)]
struct Recorder(Vec<RunEvent>);

impl EventSink for Recorder {
    fn on_event(&mut self, event: &RunEvent) {
        self.0.push(event.clone());
    }
}

fn suite(files: &[(&str, &str)]) -> Suite {
    Suite::parse(
        files
            .iter()
            .map(|(path, text)| SourceFile { path: (*path).into(), abs_path: None, text: Arc::from(*text) })
            .collect(),
    )
}

struct Outcome {
    events: Vec<RunEvent>,
    summary: RunSummary,
    plan: Arc<Plan>,
}

async fn run(
    files: &[(&str, &str)],
    server: &Server,
    concurrency: usize,
    interrupt: impl std::future::Future<Output = ()>,
) -> Outcome {
    let suite = suite(files);
    assert!(suite.issues.is_empty(), "{:?}", suite.issues);
    let plan = Arc::new(certify_runner::plan(&suite, &Selection::default(), &|_| None));
    let mut recorder = Recorder::default();
    let summary = certify_runner::run(
        &suite.features,
        plan.clone(),
        &RunOptions { concurrency },
        context(&server.url),
        &mut recorder,
        interrupt,
    )
    .await;
    Outcome { events: recorder.0, summary, plan }
}

fn scenario_id(event: &RunEvent) -> Option<&str> {
    match event {
        RunEvent::AttemptStarted { scenario, .. }
        | RunEvent::StepFinished { scenario, .. }
        | RunEvent::AttemptFinished { scenario, .. } => Some(&scenario.id),
        RunEvent::ScenarioFinished { result } => Some(&result.scenario.id),
        _ => None,
    }
}

/// Checks the ordering every run guarantees and returns the final result
/// of each scenario by id; also the most scenarios open at once.
fn check_order(outcome: &Outcome) -> (BTreeMap<String, (Status, Vec<Attempt>)>, usize) {
    let events = &outcome.events;
    assert!(matches!(events.first(), Some(RunEvent::Started { .. })), "Started comes first");
    assert!(matches!(events.last(), Some(RunEvent::Finished { .. })), "Finished comes last");
    let finished = events.iter().filter(|e| matches!(e, RunEvent::Finished { .. })).count();
    assert_eq!(finished, 1, "Finished comes once");

    // Per scenario: AttemptStarted < StepFinished* < AttemptFinished, repeated per attempt, < ScenarioFinished.
    #[derive(Default)]
    struct Track {
        attempt: Option<usize>,
        attempts_done: usize,
        steps: usize,
        finished: bool,
    }
    let mut tracks: HashMap<String, Track> = HashMap::new();
    let mut results = BTreeMap::new();
    let mut open = HashSet::new();
    let mut max_open = 0;
    let mut feature_done: HashSet<String> = HashSet::new();
    for event in events {
        if let Some(id) = scenario_id(event) {
            let track = tracks.entry(id.to_owned()).or_default();
            assert!(!track.finished, "{id}: an event after its ScenarioFinished");
            if let RunEvent::ScenarioFinished { result } = event {
                assert!(!feature_done.contains(&*result.scenario.feature_path), "{id} after its FeatureFinished");
            }
            match event {
                RunEvent::AttemptStarted { attempt, .. } => {
                    assert_eq!(track.attempt, None, "{id}: attempts overlap");
                    assert_eq!(*attempt, track.attempts_done + 1, "{id}: attempts are numbered from 1 in order");
                    track.attempt = Some(*attempt);
                    track.steps = 0;
                    open.insert(id.to_owned());
                    max_open = max_open.max(open.len());
                }
                RunEvent::StepFinished { attempt, step, .. } => {
                    assert_eq!(track.attempt, Some(*attempt), "{id}: a step outside its attempt");
                    assert_ne!(step.status, StepStatus::Skipped, "{id}: skipped steps are not reported as finished");
                    track.steps += 1;
                }
                RunEvent::AttemptFinished { attempt, will_retry, .. } => {
                    assert_eq!(track.attempt, Some(attempt.number), "{id}: AttemptFinished without AttemptStarted");
                    assert!(attempt.steps.len() >= track.steps, "{id}: the attempt has every step that finished");
                    track.attempt = None;
                    track.attempts_done += 1;
                    if !will_retry {
                        open.remove(id);
                    }
                }
                RunEvent::ScenarioFinished { result } => {
                    assert_eq!(track.attempt, None, "{id}: ScenarioFinished while an attempt is open");
                    assert_eq!(result.attempts.len(), track.attempts_done, "{id}: every attempt is in the result");
                    track.finished = true;
                    open.remove(id);
                    results.insert(id.to_owned(), (result.status, result.attempts.clone()));
                }
                _ => {}
            }
        }
        if let RunEvent::FeatureFinished { path } = event {
            assert!(feature_done.insert(path.clone()), "{path}: FeatureFinished twice");
            let unfinished: Vec<&str> = outcome
                .plan
                .scenarios()
                .filter(|s| &*s.feature_path == path.as_str() && !tracks.get(&s.id).is_some_and(|t| t.finished))
                .map(|s| s.id.as_str())
                .collect();
            assert!(unfinished.is_empty(), "{path}: FeatureFinished before {unfinished:?}");
        }
    }
    let selected: HashSet<&str> = outcome.plan.scenarios().map(|s| s.id.as_str()).collect();
    let got: HashSet<&str> = results.keys().map(String::as_str).collect();
    assert_eq!(got, selected, "every selected scenario gets exactly one ScenarioFinished");
    let files: HashSet<&str> = outcome.plan.features.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        feature_done.iter().map(String::as_str).collect::<HashSet<_>>(),
        files,
        "every file gets its FeatureFinished"
    );
    (results, max_open)
}

fn scenarios(n: usize, tags: &str, steps: &str) -> String {
    (0..n).map(|i| format!("  {tags}\n  Scenario: number {i}\n{steps}\n")).collect()
}

const WORK: &str = "    When I send a GET request to \"/work\"\n    Then the response status is 200\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_ordered_and_concurrency_reaches_its_limit_and_never_passes_it() {
    let server = start_server(4).await;
    let first = format!(
        "Feature: first\n  Background:\n    Given the variable \"x\" is \"1\"\n\n{}\n  Rule: a rule\n    Background:\n      Given the variable \"y\" is \"2\"\n\n    Scenario: in the rule\n{WORK}",
        scenarios(12, "", WORK)
    );
    let second = format!("Feature: second\n{}", scenarios(13, "", WORK));
    let outcome =
        run(&[("features/a.feature", &first), ("features/b.feature", &second)], &server, 4, std::future::pending())
            .await;
    let (results, max_open) = check_order(&outcome);
    assert_eq!(results.len(), 26);
    assert!(results.values().all(|(s, a)| *s == Status::Passed && a.len() == 1), "{results:?}");
    assert_eq!(server.seen.max_in_flight.load(Ordering::SeqCst), 4, "requests in flight reach the limit, never more");
    assert_eq!(max_open, 4, "scenarios in flight reach the limit, never more");
    assert_eq!(outcome.summary.counts.passed, 26);
    assert!(!outcome.summary.interrupted);

    // Background steps first (feature, then rule), flagged as such; every exchange attached.
    let in_rule = outcome.plan.scenarios().find(|s| s.name == "in the rule").unwrap();
    assert_eq!(in_rule.rule.as_deref(), Some("a rule"));
    let (_, attempts) = &results[&in_rule.id];
    let steps: Vec<(&str, bool)> = attempts[0].steps.iter().map(|s| (s.text.as_str(), s.background)).collect();
    assert_eq!(
        steps,
        [
            ("the variable \"x\" is \"1\"", true),
            ("the variable \"y\" is \"2\"", true),
            ("I send a GET request to \"/work\"", false),
            ("the response status is 200", false)
        ]
    );
    assert_eq!(attempts[0].exchanges.len(), 1);
    assert_eq!(attempts[0].exchanges[0].step_line, in_rule.line + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serial_scenario_runs_alone() {
    let server = start_server(3).await;
    let serial_steps = "    When I send a GET request to \"/serial\"\n    Then the response status is 200\n";
    let text = format!(
        "Feature: mixed\n{}{}{}{}",
        scenarios(6, "", WORK),
        scenarios(2, "@serial", serial_steps),
        scenarios(6, "", WORK),
        scenarios(1, "@serial", serial_steps)
    );
    let outcome = run(&[("features/mixed.feature", &text)], &server, 3, std::future::pending()).await;
    let (results, max_open) = check_order(&outcome);
    assert!(results.values().all(|(s, _)| *s == Status::Passed), "{results:?}");
    assert_eq!(max_open, 3, "the other scenarios run concurrently (else this test proves nothing)");
    assert_eq!(server.seen.overlaps.load(Ordering::SeqCst), 0, "a @serial request overlapped another");

    // In the events: nothing else is open while a serial scenario is.
    let serial: HashSet<String> =
        outcome.plan.scenarios().filter(|s| s.tags.iter().any(|t| t == "serial")).map(|s| s.id.clone()).collect();
    assert_eq!(serial.len(), 3);
    let mut open: HashSet<String> = HashSet::new();
    for event in &outcome.events {
        match event {
            RunEvent::AttemptStarted { scenario, .. } => {
                open.insert(scenario.id.clone());
            }
            RunEvent::ScenarioFinished { result } => {
                open.remove(&result.scenario.id);
            }
            _ => {}
        }
        if open.iter().any(|id| serial.contains(id)) {
            assert_eq!(open.len(), 1, "a @serial scenario was in flight with another: {open:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_make_a_later_pass_flaky_and_stop_at_the_limit() {
    let server = start_server(1).await;
    let text = "Feature: retries\n\
        \n  @retry(2)\n  Scenario: fails once\n    When I send a GET request to \"/flaky/a\"\n    Then the response status is 200\n\
        \n  @retry(2)\n  Scenario: always fails\n    When I send a GET request to \"/work\"\n    Then the response status is 201\n    And the response status is 200\n\
        \n  @retry(2)\n  Scenario: undefined\n    When I make a cup of tea\n    Then the response status is 200\n\
        \n  Scenario: no retry\n    When I send a GET request to \"/flaky/b\"\n    Then the response status is 200\n\
        \n  Scenario: near miss\n    Given the variable \"x\" is \"1\"\n    Then the response status was 200\n    And the response status is 200\n";
    let outcome = run(&[("features/retry.feature", text)], &server, 4, std::future::pending()).await;
    let (results, _) = check_order(&outcome);

    let (status, attempts) = &results["features/retry.feature:4"];
    assert_eq!(*status, Status::Flaky);
    let statuses: Vec<(usize, Status)> = attempts.iter().map(|a| (a.number, a.status)).collect();
    assert_eq!(statuses, [(1, Status::Failed), (2, Status::Passed)]);

    let (status, attempts) = &results["features/retry.feature:9"];
    assert_eq!(*status, Status::Failed);
    assert_eq!(attempts.len(), 3, "one attempt and two retries");
    for attempt in attempts {
        let steps: Vec<StepStatus> = attempt.steps.iter().map(|s| s.status).collect();
        assert_eq!(
            steps,
            [StepStatus::Passed, StepStatus::Failed, StepStatus::Skipped],
            "steps after a failed one are skipped"
        );
    }

    let (status, attempts) = &results["features/retry.feature:15"];
    assert_eq!(*status, Status::Errored);
    assert_eq!(attempts.len(), 1, "an undefined step is not retried");
    let (step, failure) = attempts[0].first_failure().unwrap();
    assert_eq!(step.status, StepStatus::Undefined);
    assert_eq!(failure.message, "undefined step: no built-in step matches `I make a cup of tea` (see `certify steps`)");

    let (status, attempts) = &results["features/retry.feature:19"];
    assert_eq!((*status, attempts.len()), (Status::Failed, 1));

    let (status, attempts) = &results["features/retry.feature:23"];
    assert_eq!(*status, Status::Errored);
    let steps: Vec<StepStatus> = attempts[0].steps.iter().map(|s| s.status).collect();
    assert_eq!(steps, [StepStatus::Passed, StepStatus::Undefined, StepStatus::Skipped]);
    let (step, failure) = attempts[0].first_failure().unwrap();
    assert_eq!(step.line, 25);
    assert_eq!(
        failure.message,
        "undefined step: no built-in step matches `the response status was 200`; \
         the closest known step is `the response status is CODE` (see `certify steps`)"
    );

    let will_retry: BTreeMap<(String, usize), bool> = outcome
        .events
        .iter()
        .filter_map(|e| match e {
            RunEvent::AttemptFinished { scenario, attempt, will_retry } => {
                Some(((scenario.id.clone(), attempt.number), *will_retry))
            }
            _ => None,
        })
        .collect();
    let expected: BTreeMap<(String, usize), bool> = [
        ("features/retry.feature:4", 1, true),
        ("features/retry.feature:4", 2, false),
        ("features/retry.feature:9", 1, true),
        ("features/retry.feature:9", 2, true),
        ("features/retry.feature:9", 3, false),
        ("features/retry.feature:15", 1, false),
        ("features/retry.feature:19", 1, false),
        ("features/retry.feature:23", 1, false),
    ]
    .into_iter()
    .map(|(id, n, w)| ((id.to_owned(), n), w))
    .collect();
    assert_eq!(will_retry, expected);
    let counts = &outcome.summary.counts;
    assert_eq!((counts.flaky, counts.failed, counts.errored), (1, 2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interruption_ends_attempts_in_flight_and_reports_the_rest_as_not_run() {
    let server = start_server(1).await;
    let hang = "    Given the variable \"x\" is \"1\"\n    When I send a GET request to \"/hang\"\n    Then the response status is 200\n";
    let text = format!("Feature: hangs\n{}", scenarios(10, "", hang));
    let seen = server.seen.clone();
    let interrupt = async move {
        loop {
            let arrived = seen.hang_arrived.notified();
            if seen.hanging.load(Ordering::SeqCst) >= 3 {
                break;
            }
            arrived.await;
        }
    };
    let outcome = run(&[("features/hang.feature", &text)], &server, 3, interrupt).await;
    let (results, _) = check_order(&outcome);
    let interrupted: Vec<&Vec<Attempt>> =
        results.values().filter(|(s, _)| *s == Status::Interrupted).map(|(_, a)| a).collect();
    assert_eq!(interrupted.len(), 3, "{results:?}");
    for attempts in interrupted {
        assert_eq!(attempts.len(), 1);
        let steps: Vec<StepStatus> = attempts[0].steps.iter().map(|s| s.status).collect();
        assert_eq!(steps, [StepStatus::Passed, StepStatus::Skipped, StepStatus::Skipped], "what ran is kept");
    }
    let not_run = results.values().filter(|(s, a)| *s == Status::NotRun && a.is_empty()).count();
    assert_eq!(not_run, 7, "{results:?}");
    assert!(outcome.summary.interrupted);
    assert_eq!(outcome.summary.status, Status::Interrupted);
    assert_eq!((outcome.summary.counts.interrupted, outcome.summary.counts.not_run), (3, 7));
    assert_eq!(server.seen.hanging.load(Ordering::SeqCst), 3, "nothing starts after the interruption");
}
