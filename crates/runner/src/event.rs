//! The one typed event stream between running and recording.
//!
//! Ordering guarantees, for every run:
//! 1. [`RunEvent::Started`] first, once, with the whole [`Plan`] (every
//!    scenario, including those left out and why, and every feature file
//!    that failed to load), then one `LoadFailed` per such file, then one
//!    `ScenarioFinished` with status `not-applicable` for each scenario that
//!    does not apply to the platform version under test.
//! 2. For each scenario attempt: `AttemptStarted`, then one `StepFinished` per
//!    step that ran, in order, then `AttemptFinished`. Attempts of one
//!    scenario never overlap; attempts of different scenarios interleave.
//! 3. `ScenarioFinished` after the scenario's last attempt, with every attempt.
//! 4. `FeatureFinished` after the last scenario of that feature file (also
//!    after an interruption), once per file with selected scenarios.
//! 5. [`RunEvent::Finished`] last, once, also after an interruption.
//!
//! Writers (progress, JUnit, evidence) implement [`EventSink`].

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use certify_steps::Exchange;
use serde::{Deserialize, Serialize};

/// What a run will do, fixed before the first request.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub features: Vec<PlannedFeature>,
    /// Selected feature files that failed to load. They are part of the run:
    /// a run with any is never PASSED.
    pub load_errors: Vec<LoadFailure>,
}

/// A feature file that failed to load (a syntax error, text that is not
/// UTF-8, a file that cannot be read), as every report records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadFailure {
    /// Path relative to the suite root, `/`-separated.
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The catalog features the file names (`@feature:<id>` tokens of its raw text).
    pub features: Vec<String>,
    /// Its raw text has a `@critical` tag: the features it names are critical.
    #[serde(default)]
    pub critical: bool,
}

impl LoadFailure {
    /// `file:line`, the failure's id wherever a test id is expected.
    pub fn id(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

impl std::fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

impl From<&certify_suite::ParseIssue> for LoadFailure {
    fn from(issue: &certify_suite::ParseIssue) -> LoadFailure {
        LoadFailure {
            file: issue.path.to_string_lossy().replace('\\', "/"),
            line: issue.line,
            column: issue.col,
            message: issue.message.clone(),
            features: issue.features.clone(),
            critical: issue.critical,
        }
    }
}

impl Plan {
    pub fn scenarios(&self) -> impl Iterator<Item = &PlannedScenario> {
        self.features.iter().flat_map(|f| &f.scenarios)
    }
    /// Scenarios that will run.
    pub fn selected(&self) -> usize {
        self.scenarios().filter(|s| s.excluded.is_none()).count()
    }
    /// Scenarios that do not apply to the platform version under test.
    pub fn not_applicable(&self) -> impl Iterator<Item = &PlannedScenario> {
        self.scenarios().filter(|s| s.excluded.as_ref().is_some_and(|e| e.kind == ExclusionKind::NotApplicable))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedFeature {
    /// Path relative to the suite root, `/`-separated.
    pub path: String,
    pub name: String,
    pub tags: Vec<String>,
    pub scenarios: Vec<PlannedScenario>,
}

/// `Default` is an empty record, for building one field by field.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlannedScenario {
    /// `path:line`, stable across runs of the same suite.
    pub id: String,
    /// Shared by the file's scenarios (as `feature_name`, and `tags` and
    /// `catalog_feature` between neighbours that have the same): the plan
    /// keeps a small record per scenario.
    pub feature_path: Arc<str>,
    pub feature_name: Arc<str>,
    pub rule: Option<String>,
    pub name: String,
    pub line: usize,
    /// Every tag that applies (Feature, Rule, Scenario), without `@`.
    pub tags: Arc<[String]>,
    /// The catalog feature from `@feature:<id>`.
    pub catalog_feature: Option<Arc<str>>,
    pub critical: bool,
    /// For an outline row: its Examples values.
    pub outline_values: Vec<(String, String)>,
    /// Background steps first, then the scenario's. Empty in the [`Plan`]
    /// (which keeps no copy of the suite's steps, so its size per scenario
    /// stays small); filled in the events of a scenario that started.
    pub steps: Vec<PlannedStep>,
    /// Why it does not run, or `None` when it runs (boxed: most scenarios run).
    pub excluded: Option<Box<Exclusion>>,
}

/// Why a scenario does not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    pub kind: ExclusionKind,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExclusionKind {
    /// Left out by the user's selection (`--tags`, `--shard`): not part of this run.
    Filtered,
    /// Part of this run's report but not applicable to the platform version
    /// under test (`@since`/`@until`, or the catalog feature does not exist there).
    NotApplicable,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub background: bool,
}

/// Outcome of a scenario, of one attempt, or of a run (as bundle.json spells it, too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every step passed on the first attempt.
    Passed,
    /// Passed, but only after a failed attempt: never a clean pass.
    Flaky,
    /// An expectation broke: the target answered differently.
    Failed,
    /// The scenario could not be checked: the target was unreachable, a step
    /// is undefined or ambiguous, an argument is invalid, certify broke.
    Errored,
    /// The run was interrupted while this scenario was in flight.
    Interrupted,
    /// Selected but never started: the run was interrupted first.
    NotRun,
    /// Does not apply to the platform version under test (the plan says why).
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Flaky => "flaky",
            Status::Failed => "failed",
            Status::Errored => "errored",
            Status::Interrupted => "interrupted",
            Status::NotRun => "not-run",
            Status::NotApplicable => "not-applicable",
        }
    }
    /// The status `as_str` names `name`, as bundles record it.
    pub fn from_name(name: &str) -> Option<Status> {
        [
            Status::Passed,
            Status::Flaky,
            Status::Failed,
            Status::Errored,
            Status::Interrupted,
            Status::NotRun,
            Status::NotApplicable,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
    /// Failed, errored or interrupted: did not pass and did not stand aside.
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Failed | Status::Errored | Status::Interrupted)
    }
    /// Passed or flaky.
    pub fn is_pass(self) -> bool {
        matches!(self, Status::Passed | Status::Flaky)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Passed,
    Failed,
    Errored,
    Undefined,
    Ambiguous,
    /// Not run because an earlier step of the attempt did not pass.
    Skipped,
}

/// Why a step did not pass.
#[derive(Debug, Clone, Serialize)]
pub struct StepFailure {
    /// `assertion` (failure) or `error`.
    pub kind: FailureKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    Assertion,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub background: bool,
    pub status: StepStatus,
    /// When the step started (for a step that never ran, when its attempt
    /// ended). Not part of bundle.json, whose steps carry durations only.
    #[serde(skip)]
    pub started_at: SystemTime,
    #[serde(rename = "duration_ms", with = "duration_ms")]
    pub duration: Duration,
    pub failure: Option<StepFailure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// 1-based.
    pub number: usize,
    pub status: Status,
    #[serde(with = "rfc3339")]
    pub started_at: SystemTime,
    #[serde(rename = "duration_ms", with = "duration_ms")]
    pub duration: Duration,
    pub steps: Vec<StepRecord>,
    /// Every HTTP exchange of the attempt, in order.
    #[serde(skip)]
    pub exchanges: Vec<Exchange>,
}

impl Attempt {
    /// The first step that did not pass, with its failure.
    pub fn first_failure(&self) -> Option<(&StepRecord, &StepFailure)> {
        self.steps.iter().find_map(|s| s.failure.as_ref().map(|f| (s, f)))
    }
}

/// The final result of one scenario, with every attempt.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub scenario: Arc<PlannedScenario>,
    pub status: Status,
    pub attempts: Vec<Attempt>,
}

impl ScenarioResult {
    /// Sum of the attempts' durations.
    pub fn duration(&self) -> Duration {
        self.attempts.iter().map(|a| a.duration).sum()
    }
    /// The last attempt.
    pub fn last(&self) -> Option<&Attempt> {
        self.attempts.last()
    }
}

/// Counts over a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub planned: usize,
    pub selected: usize,
    pub passed: usize,
    pub flaky: usize,
    pub failed: usize,
    pub errored: usize,
    pub interrupted: usize,
    pub not_run: usize,
    pub not_applicable: usize,
    /// Selected feature files that failed to load.
    pub load_errors: usize,
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Passed => self.passed += 1,
            Status::Flaky => self.flaky += 1,
            Status::Failed => self.failed += 1,
            Status::Errored => self.errored += 1,
            Status::Interrupted => self.interrupted += 1,
            Status::NotRun => self.not_run += 1,
            Status::NotApplicable => self.not_applicable += 1,
        }
    }
    /// Scenarios that ran to an outcome (any but not-run and not-applicable).
    pub fn done(&self) -> usize {
        self.passed + self.flaky + self.failed + self.errored + self.interrupted
    }
    /// The run's overall status.
    pub fn status(&self, interrupted: bool) -> Status {
        if interrupted {
            Status::Interrupted
        } else if self.errored > 0 {
            Status::Errored
        } else if self.failed > 0 || self.load_errors > 0 {
            Status::Failed
        } else if self.flaky > 0 {
            Status::Flaky
        } else {
            Status::Passed
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub status: Status,
    pub counts: Counts,
    pub interrupted: bool,
    #[serde(with = "rfc3339")]
    pub started_at: SystemTime,
    #[serde(with = "rfc3339")]
    pub finished_at: SystemTime,
    #[serde(rename = "duration_ms", with = "duration_ms")]
    pub duration: Duration,
}

/// One event of a run (see the module docs for ordering).
#[derive(Debug, Clone)]
pub enum RunEvent {
    Started {
        plan: Arc<Plan>,
        at: SystemTime,
    },
    /// A selected feature file that failed to load (also in the plan).
    LoadFailed {
        failure: Arc<LoadFailure>,
    },
    AttemptStarted {
        scenario: Arc<PlannedScenario>,
        attempt: usize,
        at: SystemTime,
    },
    StepFinished {
        scenario: Arc<PlannedScenario>,
        attempt: usize,
        step: StepRecord,
    },
    AttemptFinished {
        scenario: Arc<PlannedScenario>,
        attempt: Attempt,
        will_retry: bool,
    },
    ScenarioFinished {
        result: Arc<ScenarioResult>,
    },
    FeatureFinished {
        path: String,
    },
    Finished {
        summary: RunSummary,
    },
}

/// A writer composed over the event stream.
pub trait EventSink {
    fn on_event(&mut self, event: &RunEvent);

    /// The same event, shared: a sink that keeps events (rather than
    /// reading them as they pass) keeps the `Arc` instead of a copy.
    fn on_shared(&mut self, event: &std::sync::Arc<RunEvent>) {
        self.on_event(event);
    }
}

/// Several sinks fed in order.
impl EventSink for Vec<&mut dyn EventSink> {
    fn on_event(&mut self, event: &RunEvent) {
        for sink in self.iter_mut() {
            sink.on_event(event);
        }
    }
}

/// Durations are recorded in milliseconds with microsecond precision.
pub mod duration_ms {
    use std::time::Duration;

    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((d.as_micros() as f64) / 1000.0)
    }
}

/// Instants are RFC 3339 UTC with millisecond precision.
pub mod rfc3339 {
    use std::time::SystemTime;

    use serde::Serializer;

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*t))
    }

    pub fn format(t: SystemTime) -> String {
        humantime::format_rfc3339_millis(t).to_string()
    }
}

#[cfg(test)]
mod status_names {
    use super::Status;

    #[test]
    fn every_status_is_read_back_from_its_name_and_nothing_else_is() {
        for s in [
            Status::Passed,
            Status::Flaky,
            Status::Failed,
            Status::Errored,
            Status::Interrupted,
            Status::NotRun,
            Status::NotApplicable,
        ] {
            assert_eq!(Status::from_name(s.as_str()), Some(s));
        }
        for bad in ["", "PASSED", "pass", "not_run"] {
            assert_eq!(Status::from_name(bad), None, "{bad}");
        }
    }
}
