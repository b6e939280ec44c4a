//! The scheduler: runs the plan's selected scenarios with the built-in step
//! vocabulary and reports every step, attempt and scenario as a
//! [`RunEvent`] as it happens.
//!
//! - **Queues.** The selected scenarios are two FIFO queues in suite order,
//!   `@serial` ones and the others; starting the next scenario is a
//!   `pop_front`, whatever the suite's size. Serial scenarios run first, one
//!   at a time with nothing else in flight (as cucumber's runner ordered
//!   them), then the others, up to `concurrency` at once.
//! - **In flight.** Each started scenario is one future in a
//!   `FuturesUnordered` polled by the run's own task (step futures are not
//!   `Send`); it runs its attempts one after another (`@retry(N)`: up to N
//!   more after one that failed or errored, never after an undefined step),
//!   each attempt with a fresh [`World`] and [`Journal`], its steps
//!   (Feature background, Rule background, Scenario) in order, skipping
//!   the rest once one does not pass.
//! - **Events** are fed to the sink as they happen, from the scenario's
//!   future: `AttemptStarted`, `StepFinished`..., `AttemptFinished`, then
//!   `ScenarioFinished` and, after a file's last scenario, `FeatureFinished`.
//! - **Interruption** (the `interrupt` future completing) drops the futures
//!   in flight; what each had done is kept outside it (its [`Progress`]), so
//!   its attempt ends as `interrupted` with the steps and exchanges it had,
//!   and every scenario never started ends as `not-run`; `Finished` follows.

use std::{
    cell::RefCell,
    collections::{BTreeMap, VecDeque},
    future::Future,
    panic::{self, AssertUnwindSafe},
    path::Path,
    pin::pin,
    rc::Rc,
    sync::{Arc, PoisonError},
    time::{Duration, Instant, SystemTime},
};

use certify_steps::{Dispatch, Journal, RunContext, World};
use certify_suite::{LastOutline, ParseIssue, ParsedFeature, certify_tags};
use futures::{FutureExt as _, StreamExt as _, future::Either, stream::FuturesUnordered};

use crate::event::{
    Attempt, Counts, EventSink, FailureKind, Plan, PlannedScenario, RunEvent, RunSummary, ScenarioResult, Status,
    StepFailure, StepRecord, StepStatus,
};
use crate::plan::planned_steps;

/// Settings of one run that are not the HTTP context.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenarios in flight at once.
    pub concurrency: usize,
}

/// A selected scenario waiting to run: references into the plan and the
/// parsed suite (its events' `Arc<PlannedScenario>` is made when it starts).
/// 32 bytes: the queues hold one per selected scenario.
#[derive(Clone, Copy)]
struct Job<'a> {
    planned: &'a PlannedScenario,
    parsed: &'a ParsedFeature,
    /// Its place in the suite, for reporting never-started ones in order.
    ordinal: u32,
    /// Index of its feature file among those with selected scenarios.
    feature: u32,
    /// Its place among its file's concrete scenarios.
    index: u32,
    /// Attempts allowed: 1 + the `@retry(N)` retries.
    attempts: u32,
}

/// A count or index of a job as it is kept (a suite has fewer than 2^32 scenarios).
fn narrow(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A scenario as it starts: its steps are read from the suite's text then
/// (the suite holds no steps), or the reason they could not be.
struct Started<'a> {
    job: Job<'a>,
    scenario: Result<(Option<&'a gherkin::Rule>, gherkin::Scenario), ParseIssue>,
}

impl<'a> Started<'a> {
    fn new(job: Job<'a>, last: &mut LastOutline) -> Started<'a> {
        let scenario = job.parsed.scenario(job.index as usize, last).map(|c| (c.rule, c.scenario));
        Started { job, scenario }
    }

    /// The steps an attempt runs, in order, each with whether it is a background step.
    fn steps(&self) -> impl Iterator<Item = (&gherkin::Step, bool)> {
        let (rule, scenario) = match &self.scenario {
            Ok((rule, scenario)) => (*rule, Some(scenario)),
            Err(_) => (None, None),
        };
        let feature_bg = scenario.and(self.job.parsed.header.background.as_ref()).into_iter().flat_map(|b| &b.steps);
        let rule_bg = rule.and_then(|r| r.background.as_ref()).into_iter().flat_map(|b| &b.steps);
        let own = scenario.into_iter().flat_map(|s| &s.steps);
        feature_bg.chain(rule_bg).map(|s| (s, true)).chain(own.map(|s| (s, false)))
    }

    /// Where the feature file is on disk (schema paths are relative to it).
    fn disk_path(&self) -> Option<&Path> {
        self.job.parsed.file.abs_path.as_deref().or(self.job.parsed.header.path.as_deref())
    }
}

/// A scenario in flight, as the scheduler holds it.
struct Running<'a> {
    job: Job<'a>,
    planned: Arc<PlannedScenario>,
    progress: Rc<RefCell<Progress>>,
}

/// What a scenario in flight has done so far, kept outside its future so
/// that an interruption (which drops the future) can still report it.
#[derive(Default)]
struct Progress {
    attempts: Vec<Attempt>,
    current: Option<Current>,
}

/// The attempt in flight.
struct Current {
    number: usize,
    started_at: SystemTime,
    steps: Vec<StepRecord>,
    journal: Journal,
}

/// What the scenarios in flight share with the scheduler: the writers, the
/// counts, and how many scenarios each feature file still has to finish.
/// Borrowed only between awaits, never across one.
struct Shared<'s> {
    sink: &'s mut dyn EventSink,
    counts: Counts,
    features_left: Vec<usize>,
}

impl Shared<'_> {
    /// Emits `ScenarioFinished` (and `FeatureFinished` after the file's last scenario).
    fn finish_scenario(&mut self, scenario: Arc<PlannedScenario>, feature: usize, attempts: Vec<Attempt>) {
        let status = match attempts.last().map(|a| a.status) {
            Some(Status::Passed) if attempts.len() > 1 => Status::Flaky,
            Some(s) => s,
            None => Status::NotRun,
        };
        self.counts.add(status);
        let path = scenario.feature_path.clone();
        self.sink
            .on_event(&RunEvent::ScenarioFinished { result: Arc::new(ScenarioResult { scenario, status, attempts }) });
        if let Some(left) = self.features_left.get_mut(feature) {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.sink.on_event(&RunEvent::FeatureFinished { path: path.to_string() });
            }
        }
    }
}

/// Silences the panic hook while steps run (a step's failure unwinds; an
/// internal error is reported as the step's failure, not printed) and puts
/// the previous hook back when dropped, however the run ends.
struct QuietPanics(Option<PanicHook>);

type PanicHook = Box<dyn Fn(&panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

impl QuietPanics {
    fn install() -> QuietPanics {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        QuietPanics(Some(previous))
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            panic::set_hook(previous);
        }
    }
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
    let clock = Instant::now();
    sink.on_event(&RunEvent::Started { plan: plan.clone(), at: started_at });
    for failure in &plan.load_errors {
        sink.on_event(&RunEvent::LoadFailed { failure: Arc::new(failure.clone()) });
    }
    for s in plan.not_applicable() {
        let result =
            ScenarioResult { scenario: Arc::new(s.clone()), status: Status::NotApplicable, attempts: Vec::new() };
        sink.on_event(&RunEvent::ScenarioFinished { result: Arc::new(result) });
    }

    let (mut serial, mut concurrent, features_left) = queues(features, &plan);
    let shared = RefCell::new(Shared { sink, counts: Counts::default(), features_left });
    let quiet = QuietPanics::install();
    let limit = options.concurrency.max(1);
    let mut in_flight = FuturesUnordered::new();
    // Scenarios in flight by start order, with what they have done so far.
    let mut running: BTreeMap<usize, Running<'_>> = BTreeMap::new();
    let mut serial_running = false;
    let mut started = 0usize;
    let mut interrupt = pin!(interrupt.fuse());
    let mut interrupted = false;
    let mut last_outline = LastOutline::default();
    loop {
        // Start what may start: a serial scenario only when nothing is in
        // flight, the others only once no serial one waits.
        while !serial_running && in_flight.len() < limit {
            let next = if !serial.is_empty() {
                if !in_flight.is_empty() {
                    break;
                }
                serial_running = true;
                serial.pop_front()
            } else {
                concurrent.pop_front()
            };
            let Some(job) = next else { break };
            let progress = Rc::new(RefCell::new(Progress::default()));
            let seq = started;
            started += 1;
            let start = Started::new(job, &mut last_outline);
            let planned = Arc::new(PlannedScenario { steps: planned_steps(start.steps()), ..job.planned.clone() });
            let future = run_scenario(seq, start, planned.clone(), &shared, ctx.clone(), progress.clone());
            in_flight.push(future.boxed_local());
            running.insert(seq, Running { job, planned, progress });
        }
        if in_flight.is_empty() {
            break;
        }
        match futures::future::select(in_flight.next(), interrupt.as_mut()).await {
            Either::Left((Some(seq), _)) => {
                running.remove(&seq);
                serial_running = false;
            }
            Either::Left((None, _)) => break,
            Either::Right(((), _)) => {
                interrupted = true;
                break;
            }
        }
    }
    // Dropping the futures cancels every attempt in flight.
    drop(in_flight);
    drop(quiet);

    let mut shared = shared.into_inner();
    let now = SystemTime::now();
    for (_, Running { job, planned, progress }) in running {
        let Progress { mut attempts, current } = Rc::try_unwrap(progress)
            .map_or_else(|shared| std::mem::take(&mut *shared.borrow_mut()), RefCell::into_inner);
        if let Some(current) = current {
            let attempt = close_attempt(&planned, current, now, Some(Status::Interrupted));
            let event = RunEvent::AttemptFinished { scenario: planned.clone(), attempt, will_retry: false };
            shared.sink.on_event(&event);
            if let RunEvent::AttemptFinished { attempt, .. } = event {
                attempts.push(attempt);
            }
        }
        shared.finish_scenario(planned, job.feature as usize, attempts);
    }
    let mut rest: Vec<Job<'_>> = serial.into_iter().chain(concurrent).collect();
    rest.sort_by_key(|job| job.ordinal);
    for job in rest {
        shared.finish_scenario(Arc::new(job.planned.clone()), job.feature as usize, Vec::new());
    }

    let mut counts = shared.counts;
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
    shared.sink.on_event(&RunEvent::Finished { summary: summary.clone() });
    summary
}

/// The selected scenarios as the serial and the other queue, in suite order,
/// and how many selected scenarios each feature file has. The plan lists
/// each file's scenarios in the order of the file ([`crate::plan`]).
fn queues<'a>(features: &'a [ParsedFeature], plan: &'a Plan) -> (VecDeque<Job<'a>>, VecDeque<Job<'a>>, Vec<usize>) {
    // Sized once (a queue grown by doubling holds up to twice its jobs);
    // `@serial` scenarios are few.
    let mut serial = VecDeque::new();
    let mut concurrent = VecDeque::with_capacity(plan.selected());
    let mut features_left = Vec::new();
    let mut ordinal = 0;
    for (parsed, planned_feature) in features.iter().zip(&plan.features) {
        let mut selected = 0;
        for (index, planned) in planned_feature.scenarios.iter().enumerate() {
            ordinal += 1;
            if planned.excluded.is_some() {
                continue;
            }
            let (tags, _) = certify_tags([&planned.tags[..]]);
            let job = Job {
                planned,
                parsed,
                ordinal: narrow(ordinal),
                feature: narrow(features_left.len()),
                index: narrow(index),
                attempts: narrow(1 + tags.retry.unwrap_or(0)),
            };
            if tags.serial {
                serial.push_back(job)
            } else {
                concurrent.push_back(job)
            }
            selected += 1;
        }
        features_left.push(selected);
    }
    (serial, concurrent, features_left)
}

/// Runs one scenario's attempts and reports them; returns `seq`.
async fn run_scenario(
    seq: usize,
    start: Started<'_>,
    planned: Arc<PlannedScenario>,
    shared: &RefCell<Shared<'_>>,
    ctx: Arc<RunContext>,
    progress: Rc<RefCell<Progress>>,
) -> usize {
    let job = start.job;
    let allowed = job.attempts as usize;
    for number in 1..=allowed {
        let retryable = run_attempt(&start, &planned, number, shared, &ctx, &progress).await;
        let Some(current) = progress.borrow_mut().current.take() else { break };
        let attempt = close_attempt(&planned, current, SystemTime::now(), None);
        let will_retry = !attempt.status.is_pass() && retryable && number < allowed;
        let event = RunEvent::AttemptFinished { scenario: planned.clone(), attempt, will_retry };
        shared.borrow_mut().sink.on_event(&event);
        if let RunEvent::AttemptFinished { attempt, .. } = event {
            progress.borrow_mut().attempts.push(attempt);
        }
        if !will_retry {
            break;
        }
    }
    let attempts = std::mem::take(&mut progress.borrow_mut().attempts);
    shared.borrow_mut().finish_scenario(planned, job.feature as usize, attempts);
    seq
}

/// Runs one attempt's steps, recording them in `progress.current`, until
/// one does not pass. Returns whether another attempt could change the
/// outcome (not after an undefined step, as cucumber's runner did).
async fn run_attempt(
    start: &Started<'_>,
    planned: &Arc<PlannedScenario>,
    number: usize,
    shared: &RefCell<Shared<'_>>,
    ctx: &Arc<RunContext>,
    progress: &RefCell<Progress>,
) -> bool {
    let at = SystemTime::now();
    let journal = Journal::default();
    progress.borrow_mut().current = Some(Current {
        number,
        started_at: at,
        steps: Vec::with_capacity(planned.steps.len()),
        journal: journal.clone(),
    });
    shared.borrow_mut().sink.on_event(&RunEvent::AttemptStarted { scenario: planned.clone(), attempt: number, at });
    if let Err(issue) = &start.scenario {
        let failure = StepFailure { kind: FailureKind::Error, message: issue.to_string() };
        let step = StepRecord {
            keyword: String::new(),
            text: String::new(),
            line: planned.line,
            background: false,
            status: StepStatus::Errored,
            started_at: at,
            duration: Duration::ZERO,
            failure: Some(failure),
        };
        let event = RunEvent::StepFinished { scenario: planned.clone(), attempt: number, step };
        shared.borrow_mut().sink.on_event(&event);
        if let RunEvent::StepFinished { step, .. } = event
            && let Some(current) = progress.borrow_mut().current.as_mut()
        {
            current.steps.push(step);
        }
        return false;
    }
    let mut world = World::default();
    world.prepare(ctx.clone(), start.disk_path(), start.job.planned.outline_values.clone(), journal);
    for (step, background) in start.steps() {
        let started_at = SystemTime::now();
        let (status, failure) = match certify_steps::dispatch(step) {
            Dispatch::Run { def, context } => {
                match AssertUnwindSafe((def.handler)(&mut world, context)).catch_unwind().await {
                    Ok(()) => (StepStatus::Passed, None),
                    Err(payload) => panic_failure(payload.as_ref()),
                }
            }
            Dispatch::Undefined { closest } => (StepStatus::Undefined, Some(undefined(&step.value, closest))),
            Dispatch::Ambiguous(defs) => (StepStatus::Ambiguous, Some(ambiguous(&defs))),
        };
        let record = StepRecord {
            keyword: step.keyword.trim().to_owned(),
            text: step.value.clone(),
            line: step.position.line,
            background,
            status,
            started_at,
            duration: SystemTime::now().duration_since(started_at).unwrap_or_default(),
            failure,
        };
        let event = RunEvent::StepFinished { scenario: planned.clone(), attempt: number, step: record };
        shared.borrow_mut().sink.on_event(&event);
        if let RunEvent::StepFinished { step: record, .. } = event
            && let Some(current) = progress.borrow_mut().current.as_mut()
        {
            current.steps.push(record);
        }
        match status {
            StepStatus::Passed => {}
            StepStatus::Undefined => return false,
            _ => return true,
        }
    }
    true
}

/// Completes an attempt: steps that never ran are skipped, its exchanges
/// are taken from its journal, its status derived (or `forced`).
fn close_attempt(scenario: &PlannedScenario, cur: Current, at: SystemTime, forced: Option<Status>) -> Attempt {
    let mut steps = cur.steps;
    for p in scenario.steps.iter().skip(steps.len()) {
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
        if steps.iter().any(|s| matches!(s.status, StepStatus::Errored | StepStatus::Undefined | StepStatus::Ambiguous))
        {
            Status::Errored
        } else if steps.iter().any(|s| s.status == StepStatus::Failed) {
            Status::Failed
        } else {
            Status::Passed
        }
    });
    let exchanges = std::mem::take(&mut *cur.journal.lock().unwrap_or_else(PoisonError::into_inner));
    Attempt {
        number: cur.number,
        status,
        started_at: cur.started_at,
        duration: at.duration_since(cur.started_at).unwrap_or_default(),
        steps,
        exchanges,
    }
}

fn undefined(text: &str, closest: Option<&certify_steps::StepDef>) -> StepFailure {
    let hint = closest.map(|def| format!("; the closest known step is `{}`", def.pattern)).unwrap_or_default();
    StepFailure {
        kind: FailureKind::Error,
        message: format!("undefined step: no built-in step matches `{text}`{hint} (see `certify steps`)"),
    }
}

/// The message cucumber gave an ambiguous step: the patterns that match, sorted.
fn ambiguous(defs: &[&certify_steps::StepDef]) -> StepFailure {
    let mut regexes: Vec<&str> = defs.iter().map(|d| d.regex).collect();
    regexes.sort_unstable();
    StepFailure {
        kind: FailureKind::Error,
        message: format!(
            "ambiguous step: more than one built-in pattern matches it. Possible matches:\n{}",
            regexes.join("\n")
        ),
    }
}

/// A step signals its failure by unwinding with a `certify_steps::StepFailure`;
/// anything else that unwound is a defect in certify and is reported as an error.
fn panic_failure(payload: &(dyn std::any::Any + Send)) -> (StepStatus, Option<StepFailure>) {
    if let Some(f) = payload.downcast_ref::<certify_steps::StepFailure>() {
        return match f.kind {
            certify_steps::FailureKind::Assertion => {
                (StepStatus::Failed, Some(StepFailure { kind: FailureKind::Assertion, message: f.message.clone() }))
            }
            certify_steps::FailureKind::Error => {
                (StepStatus::Errored, Some(StepFailure { kind: FailureKind::Error, message: f.message.clone() }))
            }
        };
    }
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic payload".to_owned());
    (
        StepStatus::Errored,
        Some(StepFailure { kind: FailureKind::Error, message: format!("internal error in certify: {text}") }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_failure_payload_is_the_step_outcome_anything_else_an_internal_error() {
        let assertion = certify_steps::StepFailure::assertion("expected 200, got 500");
        let (status, failure) = panic_failure(&assertion);
        assert_eq!(status, StepStatus::Failed);
        let failure = failure.unwrap();
        assert_eq!((failure.kind, failure.message.as_str()), (FailureKind::Assertion, "expected 200, got 500"));

        let (status, failure) = panic_failure(&certify_steps::StepFailure::error("connection refused"));
        assert_eq!((status, failure.map(|f| f.kind)), (StepStatus::Errored, Some(FailureKind::Error)));

        for payload in [Box::new("boom".to_owned()) as Box<dyn std::any::Any + Send>, Box::new("boom")] {
            let (status, failure) = panic_failure(payload.as_ref());
            assert_eq!(status, StepStatus::Errored);
            assert_eq!(failure.unwrap().message, "internal error in certify: boom");
        }
        let (_, failure) = panic_failure(&42_u8);
        assert_eq!(failure.unwrap().message, "internal error in certify: unknown panic payload");
    }

    /// A step that panics for real, through `catch_unwind` as the scheduler
    /// runs handlers: the payload is reported, the run goes on.
    #[test]
    fn a_real_panic_is_caught_and_reported() {
        let _quiet = QuietPanics::install();
        let outcome = AssertUnwindSafe(async { panic!("index out of bounds") }).catch_unwind();
        let payload = futures::executor::block_on(outcome).unwrap_err();
        let (status, failure) = panic_failure(payload.as_ref());
        assert_eq!(status, StepStatus::Errored);
        assert_eq!(failure.unwrap().message, "internal error in certify: index out of bounds");
    }
}
