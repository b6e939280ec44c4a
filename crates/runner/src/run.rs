//! Planning a run and driving cucumber's runner.
//!
//! The plan is computed from the parsed suite and the selection before
//! anything is sent. The scenarios it selects are handed to
//! `cucumber::runner::Basic` (concurrency, `@serial`, `@retry(N)`), with the
//! built-in step vocabulary; cucumber's events are translated, as they
//! arrive, into [`RunEvent`]s for the writers. An interruption (the future
//! passed to [`run`] completing) stops the run where it is: scenarios in
//! flight end as `interrupted`, the others as `not-run`, and the writers
//! still get every scenario and a final `Finished`.

use std::{
    collections::{HashMap, VecDeque},
    future::Future,
    panic,
    path::PathBuf,
    pin::pin,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use certify_steps::{Journal, RunContext, World};
use certify_suite::{ParsedFeature, Selection, Suite, certify_tags, scenario_id};
use cucumber::{Runner as _, event as cev};
use futures::{FutureExt as _, StreamExt as _, future::Either};

use crate::event::{
    Attempt, Counts, EventSink, Exclusion, ExclusionKind, FailureKind, LoadFailure, Plan, PlannedFeature,
    PlannedScenario, PlannedStep, RunEvent, RunSummary, ScenarioResult, Status, StepFailure, StepRecord, StepStatus,
};

/// Computes what a run will do: every scenario of `suite` that loaded, and
/// every file that did not (a file that failed to load cannot be filtered
/// by tags or shards, whose tags it hides, so it is part of every run).
pub fn plan(suite: &Suite, selection: &Selection, exclude: &dyn Fn(&PlannedScenario) -> Option<String>) -> Plan {
    let mut plan = plan_features(&suite.features, selection, exclude);
    plan.load_errors = suite.issues.iter().map(LoadFailure::from).collect();
    plan
}

/// The plan of parsed features alone. The selection filters scenarios out of the
/// run; `exclude` then marks scenarios that are part of the run's report but
/// do not apply (the platform version), with the reason.
pub fn plan_features(
    features: &[ParsedFeature],
    selection: &Selection,
    exclude: &dyn Fn(&PlannedScenario) -> Option<String>,
) -> Plan {
    let mut ordinal = 0;
    let mut out = Vec::with_capacity(features.len());
    for parsed in features {
        let f = &parsed.feature;
        let path = parsed.file.path.to_string_lossy().replace('\\', "/");
        let background: Vec<PlannedStep> = f.background.iter().flat_map(|b| &b.steps).map(|s| step(s, true)).collect();
        let mut scenarios = Vec::new();
        let groups = std::iter::once((None, &f.scenarios, None))
            .chain(f.rules.iter().map(|r| (Some(r), &r.scenarios, r.background.as_ref())));
        for (rule, list, rule_bg) in groups {
            for s in list {
                let levels = [Some(f.tags.as_slice()), rule.map(|r| r.tags.as_slice()), Some(s.tags.as_slice())];
                let (tags, _) = certify_tags(levels.into_iter().flatten());
                let all_tags: Vec<String> =
                    f.tags.iter().chain(rule.iter().flat_map(|r| &r.tags)).chain(&s.tags).cloned().collect();
                let steps = background
                    .iter()
                    .cloned()
                    .chain(rule_bg.iter().flat_map(|b| &b.steps).map(|st| step(st, true)))
                    .chain(s.steps.iter().map(|st| step(st, false)))
                    .collect();
                let mut planned = PlannedScenario {
                    id: scenario_id(&path, s),
                    feature_path: path.clone(),
                    feature_name: f.name.clone(),
                    rule: rule.map(|r| r.name.clone()),
                    name: s.name.clone(),
                    line: s.position.line,
                    tags: all_tags.clone(),
                    catalog_feature: tags.feature,
                    critical: tags.critical,
                    outline_values: outline_values(s),
                    steps,
                    excluded: selection
                        .excludes(ordinal, all_tags.iter())
                        .map(|reason| Exclusion { kind: ExclusionKind::Filtered, reason }),
                };
                if planned.excluded.is_none() {
                    planned.excluded =
                        exclude(&planned).map(|reason| Exclusion { kind: ExclusionKind::NotApplicable, reason });
                }
                ordinal += 1;
                scenarios.push(planned);
            }
        }
        out.push(PlannedFeature { path, name: f.name.clone(), tags: f.tags.clone(), scenarios });
    }
    Plan { features: out, load_errors: Vec::new() }
}

fn step(s: &gherkin::Step, background: bool) -> PlannedStep {
    PlannedStep { keyword: s.keyword.trim().to_owned(), text: s.value.clone(), line: s.position.line, background }
}

/// The Examples values of an expanded outline row.
fn outline_values(s: &gherkin::Scenario) -> Vec<(String, String)> {
    let Some(table) = s.examples.first().and_then(|e| e.table.as_ref()) else {
        return Vec::new();
    };
    match (table.rows.first(), table.rows.get(1)) {
        (Some(header), Some(row)) => header.iter().cloned().zip(row.iter().cloned()).collect(),
        _ => Vec::new(),
    }
}

/// Settings of one run that are not the HTTP context.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenarios in flight at once.
    pub concurrency: usize,
}

/// Journals of attempts that have started but whose `Finished` event has not
/// been processed yet, by scenario id, oldest first.
#[derive(Default)]
struct Journals(Mutex<HashMap<String, VecDeque<Journal>>>);

impl Journals {
    fn push(&self, id: String, journal: Journal) {
        if let Ok(mut map) = self.0.lock() {
            map.entry(id).or_default().push_back(journal);
        }
    }
    fn take(&self, id: &str) -> Vec<certify_steps::Exchange> {
        let journal = self.0.lock().ok().and_then(|mut map| map.get_mut(id).and_then(VecDeque::pop_front));
        journal.and_then(|j| j.lock().ok().map(|mut v| std::mem::take(&mut *v))).unwrap_or_default()
    }
}

/// An attempt in flight.
struct Current {
    number: usize,
    started_at: SystemTime,
    step_started: Option<SystemTime>,
    steps: Vec<StepRecord>,
}

/// Runs the plan's selected scenarios against `ctx`'s target and feeds every
/// event to `sink`. Returns when the run is complete or `interrupt` fires.
pub async fn run(
    features: &[ParsedFeature],
    plan: Arc<Plan>,
    options: &RunOptions,
    ctx: Arc<RunContext>,
    sink: &mut dyn EventSink,
    interrupt: impl Future<Output = ()>,
) -> RunSummary {
    let started_at = SystemTime::now();
    let clock = std::time::Instant::now();
    sink.on_event(&RunEvent::Started { plan: plan.clone(), at: started_at });

    let mut planned: HashMap<String, Arc<PlannedScenario>> = HashMap::new();
    for s in plan.scenarios() {
        planned.insert(s.id.clone(), Arc::new(s.clone()));
    }
    let disk_paths: HashMap<String, PathBuf> = features
        .iter()
        .filter_map(|f| Some((f.file.path.to_string_lossy().replace('\\', "/"), f.file.abs_path.clone()?)))
        .collect();
    let selected = selected_features(features, &planned);

    let journals = Arc::new(Journals::default());
    let before_journals = journals.clone();
    let before_ctx = ctx.clone();
    let runner = cucumber::runner::Basic::<World>::default()
        .steps(certify_steps::collection())
        .max_concurrent_scenarios(options.concurrency.max(1))
        .before(move |feature, _rule, scenario, world| {
            let path = feature_path(feature);
            let id = scenario_id(&path, scenario);
            let journal = Journal::default();
            before_journals.push(id, journal.clone());
            let disk = disk_paths.get(&path).map(PathBuf::as_path);
            world.prepare(before_ctx.clone(), disk.or(feature.path.as_deref()), outline_values(scenario), journal);
            futures::future::ready(()).boxed_local()
        });

    let previous_hook = panic::take_hook();
    // A boxed stream: dropping it cancels every scenario in flight.
    let mut events =
        runner.run(futures::stream::iter(selected.into_iter().map(Ok)), cucumber::runner::basic::Cli::default());
    let mut interrupt = pin!(interrupt.fuse());

    for failure in &plan.load_errors {
        sink.on_event(&RunEvent::LoadFailed { failure: Arc::new(failure.clone()) });
    }
    for s in plan.not_applicable() {
        let scenario = Arc::new(s.clone());
        let result = ScenarioResult { scenario, status: Status::NotApplicable, attempts: Vec::new() };
        sink.on_event(&RunEvent::ScenarioFinished { result: Arc::new(result) });
    }
    let mut state =
        Translator { planned, journals, current: HashMap::new(), attempts: HashMap::new(), counts: Counts::default() };
    let mut interrupted = false;
    loop {
        let next = futures::future::select(events.next(), interrupt.as_mut()).await;
        match next {
            Either::Left((Some(Ok(ev)), _)) => state.translate(ev, sink),
            Either::Left((Some(Err(_)), _)) => {} // features are parsed before the run; nothing to report
            Either::Left((None, _)) => break,
            Either::Right(((), _)) => {
                interrupted = true;
                break;
            }
        }
    }
    drop(events);
    panic::set_hook(previous_hook);
    state.finish_unfinished(sink);

    let mut counts = state.counts;
    counts.planned = plan.scenarios().count();
    counts.selected = plan.selected();
    counts.not_applicable = plan.not_applicable().count();
    counts.load_errors = plan.load_errors.len();
    let summary = RunSummary {
        status: counts.status(interrupted),
        counts,
        interrupted,
        started_at,
        finished_at: started_at + clock.elapsed(),
        duration: clock.elapsed(),
    };
    sink.on_event(&RunEvent::Finished { summary: summary.clone() });
    summary
}

fn feature_path(feature: &gherkin::Feature) -> String {
    feature.path.as_deref().map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default()
}

/// The features with only their selected scenarios; features left empty are dropped.
fn selected_features(
    features: &[ParsedFeature],
    planned: &HashMap<String, Arc<PlannedScenario>>,
) -> Vec<gherkin::Feature> {
    let runs =
        |path: &str, s: &gherkin::Scenario| planned.get(&scenario_id(path, s)).is_some_and(|p| p.excluded.is_none());
    features
        .iter()
        .filter_map(|parsed| {
            let mut f = parsed.feature.clone();
            let path = feature_path(&f);
            f.scenarios.retain(|s| runs(&path, s));
            for rule in &mut f.rules {
                rule.scenarios.retain(|s| runs(&path, s));
            }
            f.rules.retain(|r| !r.scenarios.is_empty());
            (!f.scenarios.is_empty() || !f.rules.is_empty()).then_some(f)
        })
        .collect()
}

struct Translator {
    planned: HashMap<String, Arc<PlannedScenario>>,
    journals: Arc<Journals>,
    current: HashMap<String, Current>,
    attempts: HashMap<String, Vec<Attempt>>,
    counts: Counts,
}

impl Translator {
    fn translate(&mut self, ev: cev::Event<cev::Cucumber<World>>, sink: &mut dyn EventSink) {
        let at = ev.at;
        match ev.value {
            cev::Cucumber::Feature(feature, cev::Feature::Scenario(scenario, retryable))
            | cev::Cucumber::Feature(feature, cev::Feature::Rule(_, cev::Rule::Scenario(scenario, retryable))) => {
                let id = scenario_id(&feature_path(&feature), &scenario);
                self.scenario_event(&id, retryable, at, sink);
            }
            cev::Cucumber::Feature(feature, cev::Feature::Finished) => {
                sink.on_event(&RunEvent::FeatureFinished { path: feature_path(&feature) });
            }
            _ => {}
        }
    }

    fn scenario_event(
        &mut self,
        id: &str,
        ev: cev::RetryableScenario<World>,
        at: SystemTime,
        sink: &mut dyn EventSink,
    ) {
        let Some(scenario) = self.planned.get(id).cloned() else {
            return;
        };
        let number = ev.retries.map_or(1, |r| r.current + 1);
        match ev.event {
            cev::Scenario::Started => {
                self.current
                    .insert(id.to_owned(), Current { number, started_at: at, step_started: None, steps: Vec::new() });
                sink.on_event(&RunEvent::AttemptStarted { scenario, attempt: number, at });
            }
            cev::Scenario::Step(step, ev) | cev::Scenario::Background(step, ev) => {
                let Some(cur) = self.current.get_mut(id) else {
                    return;
                };
                let (status, failure) = match ev {
                    cev::Step::Started => {
                        cur.step_started = Some(at);
                        return;
                    }
                    cev::Step::Passed(..) => (StepStatus::Passed, None),
                    cev::Step::Skipped => (StepStatus::Undefined, Some(undefined(&step.value))),
                    cev::Step::Failed(_, _, _, err) => step_error(err),
                };
                let planned_step = scenario.steps.get(cur.steps.len());
                let started_at = cur.step_started.take().unwrap_or(at);
                let record = StepRecord {
                    keyword: step.keyword.trim().to_owned(),
                    text: step.value.clone(),
                    line: step.position.line,
                    background: planned_step.is_some_and(|p| p.background),
                    status,
                    started_at,
                    duration: at.duration_since(started_at).unwrap_or_default(),
                    failure,
                };
                cur.steps.push(record.clone());
                sink.on_event(&RunEvent::StepFinished { scenario, attempt: cur.number, step: record });
            }
            cev::Scenario::Hook(_, cev::Hook::Failed(_, info)) => {
                if let Some(cur) = self.current.get_mut(id) {
                    let (status, failure) = panic_failure(&info);
                    cur.steps.push(StepRecord {
                        keyword: String::new(),
                        text: "(scenario hook)".to_owned(),
                        line: scenario.line,
                        background: false,
                        status,
                        started_at: at,
                        duration: Duration::ZERO,
                        failure,
                    });
                }
            }
            cev::Scenario::Finished => {
                let Some(cur) = self.current.remove(id) else {
                    return;
                };
                let mut attempt = self.close_attempt(&scenario, cur, at, None);
                let will_retry = !attempt.status.is_pass() && ev.retries.is_some_and(|r| r.left > 0);
                attempt.exchanges = self.journals.take(id);
                sink.on_event(&RunEvent::AttemptFinished {
                    scenario: scenario.clone(),
                    attempt: attempt.clone(),
                    will_retry,
                });
                self.attempts.entry(id.to_owned()).or_default().push(attempt);
                if !will_retry {
                    let attempts = self.attempts.remove(id).unwrap_or_default();
                    self.finish_scenario(scenario, attempts, sink);
                }
            }
            _ => {}
        }
    }

    /// Completes an attempt's step list (steps that never ran are skipped)
    /// and derives its status.
    fn close_attempt(
        &self,
        scenario: &PlannedScenario,
        cur: Current,
        at: SystemTime,
        forced: Option<Status>,
    ) -> Attempt {
        let mut steps = cur.steps;
        let ran = steps.iter().filter(|s| s.text != "(scenario hook)").count();
        for p in scenario.steps.iter().skip(ran) {
            steps.push(StepRecord {
                keyword: p.keyword.clone(),
                text: p.text.clone(),
                line: p.line,
                background: p.background,
                status: StepStatus::Skipped,
                started_at: at,
                duration: Duration::ZERO,
                failure: None,
            });
        }
        let status = forced.unwrap_or_else(|| {
            if steps
                .iter()
                .any(|s| matches!(s.status, StepStatus::Errored | StepStatus::Undefined | StepStatus::Ambiguous))
            {
                Status::Errored
            } else if steps.iter().any(|s| s.status == StepStatus::Failed) {
                Status::Failed
            } else {
                Status::Passed
            }
        });
        Attempt {
            number: cur.number,
            status,
            started_at: cur.started_at,
            duration: at.duration_since(cur.started_at).unwrap_or_default(),
            steps,
            exchanges: Vec::new(),
        }
    }

    fn finish_scenario(&mut self, scenario: Arc<PlannedScenario>, attempts: Vec<Attempt>, sink: &mut dyn EventSink) {
        let status = match attempts.last().map(|a| a.status) {
            Some(Status::Passed) if attempts.len() > 1 => Status::Flaky,
            Some(s) => s,
            None => Status::NotRun,
        };
        self.counts.add(status);
        self.planned.remove(&scenario.id);
        sink.on_event(&RunEvent::ScenarioFinished { result: Arc::new(ScenarioResult { scenario, status, attempts }) });
    }

    /// After an interruption: attempts in flight end as interrupted, selected
    /// scenarios that never started as not-run.
    fn finish_unfinished(&mut self, sink: &mut dyn EventSink) {
        let now = SystemTime::now();
        let in_flight: Vec<(String, Current)> = self.current.drain().collect();
        for (id, cur) in in_flight {
            let Some(scenario) = self.planned.get(&id).cloned() else {
                continue;
            };
            let mut attempt = self.close_attempt(&scenario, cur, now, Some(Status::Interrupted));
            attempt.exchanges = self.journals.take(&id);
            sink.on_event(&RunEvent::AttemptFinished {
                scenario: scenario.clone(),
                attempt: attempt.clone(),
                will_retry: false,
            });
            let mut attempts = self.attempts.remove(&id).unwrap_or_default();
            attempts.push(attempt);
            self.finish_scenario(scenario, attempts, sink);
        }
        let mut rest: Vec<Arc<PlannedScenario>> =
            self.planned.values().filter(|s| s.excluded.is_none()).cloned().collect();
        rest.sort_by(|a, b| (&a.feature_path, a.line).cmp(&(&b.feature_path, b.line)));
        for scenario in rest {
            let attempts = self.attempts.remove(&scenario.id).unwrap_or_default();
            self.finish_scenario(scenario, attempts, sink);
        }
    }
}

fn undefined(text: &str) -> StepFailure {
    let hint = match certify_steps::resolve(text) {
        certify_steps::Resolution::Undefined { closest: Some(def) } => {
            format!("; the closest known step is `{}`", def.pattern)
        }
        _ => String::new(),
    };
    StepFailure {
        kind: FailureKind::Error,
        message: format!("undefined step: no built-in step matches `{text}`{hint} (see `certify steps`)"),
    }
}

fn step_error(err: cev::StepError) -> (StepStatus, Option<StepFailure>) {
    match err {
        cev::StepError::NotFound => (
            StepStatus::Undefined,
            Some(StepFailure { kind: FailureKind::Error, message: "undefined step".to_owned() }),
        ),
        cev::StepError::AmbiguousMatch(e) => (
            StepStatus::Ambiguous,
            Some(StepFailure {
                kind: FailureKind::Error,
                message: format!("ambiguous step: more than one built-in pattern matches it. {e}"),
            }),
        ),
        cev::StepError::Panic(info) => panic_failure(&info),
    }
}

/// A step signals its failure by unwinding with a `certify_steps::StepFailure`;
/// anything else that unwound is a defect in certify and is reported as an error.
fn panic_failure(info: &cev::Info) -> (StepStatus, Option<StepFailure>) {
    if let Some(f) = info.downcast_ref::<certify_steps::StepFailure>() {
        return match f.kind {
            certify_steps::FailureKind::Assertion => {
                (StepStatus::Failed, Some(StepFailure { kind: FailureKind::Assertion, message: f.message.clone() }))
            }
            certify_steps::FailureKind::Error => {
                (StepStatus::Errored, Some(StepFailure { kind: FailureKind::Error, message: f.message.clone() }))
            }
        };
    }
    let text = info
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic payload".to_owned());
    (
        StepStatus::Errored,
        Some(StepFailure { kind: FailureKind::Error, message: format!("internal error in certify: {text}") }),
    )
}
