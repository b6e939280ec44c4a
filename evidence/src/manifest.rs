//! `bundle.json`, the bundle's manifest (schema `certify.bundle/v1`).
//!
//! The manifest is written once, at the end of a run, from parts streamed to
//! disk while it ran (scenario entries are never all held in memory). These
//! types are the format's single owner: the writer serializes them and
//! `certify verify` reads them back.

use std::collections::BTreeMap;

use certify_catalog::{Catalog, FeatureVerdict, Tally, Verdict};
use certify_runner::{LoadFailure, Status};
use semver::Version;
use serde::{Deserialize, Serialize};

pub const SCHEMA: &str = "certify.bundle/v1";

/// Everything in `bundle.json` except the per-scenario entries and the file
/// list, which are streamed around it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub schema: String,
    pub run_id: String,
    /// passed, flaky, failed, errored or interrupted.
    pub status: String,
    /// False when the run was interrupted: the bundle holds the results so far.
    pub complete: bool,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub tool: Tool,
    pub target: Target,
    pub platform: Platform,
    pub git: Git,
    pub selection: Selection,
    pub signature: SignatureInfo,
    pub counts: serde_json::Value,
    /// Per catalog feature: its maturity at the platform version, how its
    /// scenarios went, and the verdict (certified, failed, flaky, untested, not-applicable).
    pub features: Vec<FeatureVerdict>,
    /// `@feature:` ids of scenarios that the catalog does not know.
    #[serde(default)]
    pub unknown_features: Vec<String>,
    /// Scenarios linked to no catalog feature.
    #[serde(default)]
    pub unlinked_scenarios: usize,
    /// Selected feature files that failed to load (file, line, column,
    /// message, the catalog features the file names). A run with any is FAILED.
    #[serde(default, deserialize_with = "broken_files")]
    pub broken_files: Vec<LoadFailure>,
    /// The shard bundles a merged run was made from (`certify merge`), in
    /// shard order; empty (and absent from bundle.json) for a run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardRecord>,
    /// The target's API description and what the run did with it (PRODUCT section 11);
    /// absent when the target names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<ApiRecord>,
}

impl Default for Header {
    /// A header of this schema and this tool with nothing of a run in it yet: what a run
    /// starts from before it fills in its target, platform, revision and selection.
    fn default() -> Header {
        Header {
            schema: SCHEMA.to_owned(),
            run_id: String::new(),
            status: String::new(),
            complete: false,
            started_at: String::new(),
            finished_at: String::new(),
            duration_ms: 0,
            tool: Tool { name: "certify".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() },
            target: Target::default(),
            platform: Platform::default(),
            git: Git::default(),
            selection: Selection::default(),
            signature: SignatureInfo::default(),
            counts: serde_json::Value::Null,
            features: Vec::new(),
            unknown_features: Vec::new(),
            unlinked_scenarios: 0,
            broken_files: Vec::new(),
            shards: Vec::new(),
            api: None,
        }
    }
}

/// The API description a run used: where it came from, the file `suite/` keeps of it, and,
/// for every operation, whether the run exercised it and the feature it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiRecord {
    /// Where it was read: `GET <url>` (fetched from the target) or the project file.
    pub source: String,
    /// Its copy in the bundle (`suite/...`).
    pub file: String,
    /// The transcript of the request that fetched it, when it was fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// Its `openapi` version (`3.1.0`).
    pub openapi: String,
    /// Its `info.version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `every` (every response was checked) or `step` (only where a scenario asked).
    pub checked: String,
    /// Responses that broke the description, undocumented endpoints included under `every`.
    pub findings: u32,
    /// Every operation of the description, in its order.
    pub operations: Vec<ApiOperation>,
    /// Requests no operation matched (`METHOD /path`), with how many there were.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undocumented: Vec<Undocumented>,
}

impl ApiRecord {
    /// The record of a run made of shards that used one description (`certify merge`): per
    /// operation and per undocumented request, the shards' counts added up; an operation is
    /// exercised when any shard exercised it. `None` when no shard used a description.
    pub fn merged<'a>(shards: impl IntoIterator<Item = &'a ApiRecord>) -> Option<ApiRecord> {
        let mut shards = shards.into_iter();
        let mut out = shards.next()?.clone();
        for shard in shards {
            out.findings += shard.findings;
            for op in &shard.operations {
                match out.operations.iter_mut().find(|o| o.pointer == op.pointer && o.operation == op.operation) {
                    Some(o) => {
                        o.exercised |= op.exercised;
                        o.requests += op.requests;
                        o.findings += op.findings;
                    }
                    None => out.operations.push(op.clone()),
                }
            }
            for u in &shard.undocumented {
                match out.undocumented.iter_mut().find(|o| o.request == u.request) {
                    Some(o) => {
                        o.count += u.count;
                        o.answered += u.answered;
                    }
                    None => out.undocumented.push(u.clone()),
                }
            }
        }
        out.undocumented.sort_by(|a, b| a.request.cmp(&b.request));
        Some(out)
    }

    /// Operations no request of the run exercised: the API coverage gaps.
    pub fn gaps(&self) -> impl Iterator<Item = &ApiOperation> {
        self.operations.iter().filter(|op| !op.exercised)
    }
}

/// One operation of the description, as a run used it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiOperation {
    /// `METHOD /path/template`.
    pub operation: String,
    /// RFC 6901 pointer to it in the description.
    pub pointer: String,
    /// The catalog feature it belongs to (`x-certify-feature`, or a tag equal to a feature id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// Whether any request of the run was for it.
    pub exercised: bool,
    /// Responses to it.
    pub requests: u32,
    /// Responses to it that broke the description.
    pub findings: u32,
}

/// Requests to an endpoint the description does not have.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Undocumented {
    /// `METHOD /path` as requested (relative to the base URL).
    pub request: String,
    pub count: u32,
    /// How many the target answered as if the endpoint existed (not 404 or 405): findings
    /// when every response is checked.
    #[serde(default)]
    pub answered: u32,
}

/// One shard bundle a merged run was made from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardRecord {
    /// `K/N`, as the shard's selection named it.
    pub shard: String,
    pub run_id: String,
    /// sha256 (hex) of the shard's `attestation.intoto.jsonl`.
    pub envelope_sha256: String,
}

/// `broken_files` entries: typed, or the `file:line:col: message` strings
/// of bundles written before the type (they still verify).
fn broken_files<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<LoadFailure>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Entry {
        Typed(LoadFailure),
        Text(String),
    }
    let entries = Vec::<Entry>::deserialize(d)?;
    Ok(entries
        .into_iter()
        .map(|e| match e {
            Entry::Typed(f) => f,
            Entry::Text(text) => {
                let mut parts = text.splitn(4, ':');
                let (file, line, column, message) = (parts.next(), parts.next(), parts.next(), parts.next());
                match (file, line.and_then(|l| l.parse().ok()), column.and_then(|c| c.parse().ok()), message) {
                    (Some(file), Some(line), Some(column), Some(message)) => LoadFailure {
                        file: file.to_owned(),
                        line,
                        column,
                        message: message.trim().to_owned(),
                        features: Vec::new(),
                        critical: false,
                    },
                    _ => LoadFailure {
                        file: String::new(),
                        line: 0,
                        column: 0,
                        message: text,
                        features: Vec::new(),
                        critical: false,
                    },
                }
            }
        })
        .collect())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Target {
    pub name: String,
    pub base_url: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Platform {
    /// The version the run was made at (semver), or `unknown`.
    pub version: String,
    /// `probe`, `flag` or `unknown`.
    pub source: String,
    /// The semver the version probe's answer parsed as, when it answered one.
    pub probed: Option<String>,
    /// What the target reported, verbatim (`v1.19.2-ds1`, `1.6.7~rc0`), when
    /// the probe answered a version. Absent in bundles written before it.
    #[serde(default)]
    pub reported: Option<String>,
    pub note: Option<String>,
    /// The probe's exchange in the bundle ([`crate::bundle::PROBE_TRANSCRIPT`]),
    /// when a probe request was sent. Absent in bundles written before it.
    #[serde(default)]
    pub transcript: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Git {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub tags: Vec<String>,
    pub dirty: bool,
    pub remote: Option<String>,
    /// `repository`, `build` or `none`.
    pub source: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Selection {
    pub tags: Option<String>,
    pub shard: Option<String>,
    pub concurrency: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SignatureInfo {
    pub signed: bool,
    /// `SHA256:<hex of the SPKI DER>` of the signer's public key.
    pub key_fingerprint: Option<String>,
}

/// One file of the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// `bundle.json` read back whole (for `certify verify`).
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    #[serde(flatten)]
    pub header: Header,
    pub scenarios: Vec<ScenarioEntry>,
    pub files: Vec<FileEntry>,
}

/// The scenario entries of a run, in suite order, read as many times as a
/// reader needs: from a manifest in memory, or streamed from the bundle
/// writer's spool, so that a reader (the run report) never needs them all
/// at once.
pub trait Entries {
    fn each(&self, f: &mut dyn FnMut(&ScenarioEntry)) -> std::io::Result<()>;
}

impl Entries for Vec<ScenarioEntry> {
    fn each(&self, f: &mut dyn FnMut(&ScenarioEntry)) -> std::io::Result<()> {
        self.iter().for_each(f);
        Ok(())
    }
}

/// Finds one attempt's transcript: `(transcript path, scenario id, attempt
/// number)` to the text holding it (the attempt's line of a grouped
/// transcript, or a whole per-scenario transcript file of an older bundle);
/// see [`crate::transcripts::TranscriptIndex`].
pub type TranscriptLookup<'a> = &'a dyn Fn(&str, &str, usize) -> Option<String>;

/// One scenario of `bundle.json`: where it is, how it went, every attempt
/// with its steps, and its transcript file. The writer serializes it as each
/// scenario ends; every reader (verify, the report, the gate, the archive)
/// reads it back as this type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioEntry {
    /// `path:line`.
    pub id: String,
    pub name: String,
    pub feature_file: String,
    pub line: usize,
    #[serde(default)]
    pub rule: Option<String>,
    /// The catalog feature (`@feature:<id>`).
    #[serde(default)]
    pub feature: Option<String>,
    #[serde(default)]
    pub critical: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    /// An outline row's values by column.
    #[serde(default)]
    pub outline: BTreeMap<String, String>,
    pub status: Outcome,
    /// Why it did not run (not applicable at the version under test).
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default)]
    pub attempts: Vec<AttemptEntry>,
    /// The transcript file holding its attempts' exchanges: one line per
    /// attempt in `transcripts/<feature path>.ndjson` (bundles written before
    /// that have one JSON file per scenario, with every attempt).
    #[serde(default)]
    pub transcript: Option<String>,
}

impl ScenarioEntry {
    /// The entry of a finished scenario, whose texts are already redacted.
    pub fn of(r: &certify_runner::ScenarioResult, transcript: Option<String>) -> ScenarioEntry {
        let s = &r.scenario;
        ScenarioEntry {
            id: s.id.clone(),
            name: s.name.clone(),
            feature_file: s.feature_path.to_string(),
            line: s.line,
            rule: s.rule.clone(),
            feature: s.catalog_feature.as_deref().map(str::to_owned),
            critical: s.critical,
            tags: s.tags.to_vec(),
            outline: s.outline_values.iter().cloned().collect(),
            status: r.status,
            reason: s.excluded.as_ref().map(|e| e.reason.clone()),
            duration_ms: r.duration().as_millis() as u64,
            attempts: r
                .attempts
                .iter()
                .map(|a| AttemptEntry {
                    number: a.number,
                    status: a.status,
                    started_at: certify_runner::event::rfc3339::format(a.started_at),
                    duration_ms: (a.duration.as_micros() as f64) / 1000.0,
                    steps: a.steps.iter().map(StepEntry::of).collect(),
                })
                .collect(),
            transcript,
        }
    }

    /// The attempt that explains the outcome: the last one that did not pass.
    pub fn failing_attempt(&self) -> Option<&AttemptEntry> {
        self.attempts.iter().rev().find(|a| a.status != Outcome::Passed)
    }
}

/// A scenario's (or an attempt's) outcome, as bundle.json spells it: the runner's status.
pub use certify_runner::Status as Outcome;

/// One attempt of a scenario.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttemptEntry {
    /// 1-based.
    pub number: usize,
    pub status: Outcome,
    /// RFC 3339 UTC, milliseconds.
    #[serde(default)]
    pub started_at: String,
    #[serde(default)]
    pub duration_ms: f64,
    #[serde(default)]
    pub steps: Vec<StepEntry>,
}

impl AttemptEntry {
    /// The first step that did not pass, with its failure.
    pub fn first_failure(&self) -> Option<(&StepEntry, &FailureEntry)> {
        self.steps.iter().find_map(|s| s.failure.as_ref().map(|f| (s, f)))
    }
}

/// One step of an attempt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepEntry {
    pub keyword: String,
    pub text: String,
    pub line: usize,
    #[serde(default)]
    pub background: bool,
    pub status: StepOutcome,
    #[serde(default)]
    pub duration_ms: f64,
    #[serde(default)]
    pub failure: Option<FailureEntry>,
}

impl StepEntry {
    fn of(s: &certify_runner::event::StepRecord) -> StepEntry {
        use certify_runner::event::{FailureKind, StepStatus};
        StepEntry {
            keyword: s.keyword.clone(),
            text: s.text.clone(),
            line: s.line,
            background: s.background,
            status: match s.status {
                StepStatus::Passed => StepOutcome::Passed,
                StepStatus::Failed => StepOutcome::Failed,
                StepStatus::Errored => StepOutcome::Errored,
                StepStatus::Undefined => StepOutcome::Undefined,
                StepStatus::Ambiguous => StepOutcome::Ambiguous,
                StepStatus::Skipped => StepOutcome::Skipped,
            },
            duration_ms: (s.duration.as_micros() as f64) / 1000.0,
            failure: s.failure.as_ref().map(|f| FailureEntry {
                kind: match f.kind {
                    FailureKind::Assertion => FailureKindEntry::Assertion,
                    FailureKind::Error => FailureKindEntry::Error,
                },
                message: f.message.clone(),
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepOutcome {
    Passed,
    Failed,
    Errored,
    Undefined,
    Ambiguous,
    Skipped,
}

impl StepOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Passed => "passed",
            StepOutcome::Failed => "failed",
            StepOutcome::Errored => "errored",
            StepOutcome::Undefined => "undefined",
            StepOutcome::Ambiguous => "ambiguous",
            StepOutcome::Skipped => "skipped",
        }
    }
}

/// Why a step did not pass.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FailureEntry {
    pub kind: FailureKindEntry,
    pub message: String,
}

/// `assertion` (the target answered otherwise) or `error` (it could not be checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKindEntry {
    Assertion,
    Error,
}

/// Tallies scenario outcomes per catalog feature as they arrive.
#[derive(Debug, Default)]
pub struct Tallies {
    by_feature: BTreeMap<String, Tally>,
    unlinked: usize,
    /// Catalog feature id -> the load failures of files that name it, and
    /// whether any of them is tagged `@critical`.
    unloaded: BTreeMap<String, (Vec<String>, bool)>,
    /// Catalog feature id -> (interrupted, not run): counted as errored in
    /// its tally, named as what they are in its verdict's reason.
    stopped: BTreeMap<String, (usize, usize)>,
}

impl Tallies {
    pub fn add(&mut self, feature: Option<&str>, status: Status, critical: bool) {
        let Some(id) = feature else {
            self.unlinked += 1;
            return;
        };
        let t = self.by_feature.entry(id.to_owned()).or_default();
        t.critical |= critical;
        match status {
            Status::Passed => t.passed += 1,
            Status::Flaky => t.flaky += 1,
            Status::Failed => t.failed += 1,
            Status::Errored => t.errored += 1,
            Status::Interrupted | Status::NotRun => {
                t.errored += 1;
                let stopped = self.stopped.entry(id.to_owned()).or_default();
                if status == Status::Interrupted {
                    stopped.0 += 1;
                } else {
                    stopped.1 += 1;
                }
            }
            Status::NotApplicable => t.not_applicable += 1,
        }
    }

    /// A feature file that failed to load: every catalog feature it names
    /// is not certified, whatever its other scenarios did.
    pub fn load_failed(&mut self, failure: &LoadFailure) {
        for id in &failure.features {
            let entry = self.unloaded.entry(id.clone()).or_default();
            entry.0.push(format!("{}:{}", failure.file, failure.line));
            entry.1 |= failure.critical;
        }
    }

    /// Scenarios linked to no catalog feature.
    pub fn unlinked(&self) -> usize {
        self.unlinked
    }

    /// Each feature's verdict. With the catalog and the platform version,
    /// every catalog feature gets one (untested when none of its scenarios
    /// ran: a coverage gap), with its maturity; without them, each tagged
    /// feature gets the verdict of its scenarios alone. Returns the verdicts
    /// and the ids the catalog does not know.
    pub fn verdicts(&self, catalog: Option<&Catalog>, version: Option<&Version>) -> (Vec<FeatureVerdict>, Vec<String>) {
        let (mut list, unknown) = self.scenario_verdicts(catalog, version);
        // Scenarios of an interrupted run are counted as what they are.
        for f in list.iter_mut().filter(|f| f.verdict == Verdict::Failed) {
            let Some(&(interrupted, not_run)) = self.stopped.get(&f.id) else { continue };
            let t = &f.tally;
            let parts: Vec<String> = [
                (t.failed, "failed"),
                (t.errored - interrupted - not_run, "errored"),
                (interrupted, "interrupted"),
                (not_run, "not run"),
            ]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
            let critical = if t.critical { " (critical)" } else { "" };
            f.reason = format!(
                "the run was interrupted: {} of {}{critical}",
                parts.join(", "),
                certify_catalog::scenarios(t.ran())
            );
        }
        // A feature named by a file that failed to load is failed, unless
        // the catalog says it does not exist at the version under test (or
        // does not have it: then it is no catalog feature).
        let absent = |id: &str| match (catalog, version) {
            (Some(c), Some(v)) => c.get(id).is_none_or(|f| !f.lifecycle.exists_at(v)),
            _ => false,
        };
        for (id, (places, critical)) in self.unloaded.iter().filter(|(id, _)| !absent(id)) {
            let reason = format!(
                "not certified: its feature file {} did not load, so scenarios that should have run were never seen",
                places.join(", ")
            );
            match list.iter_mut().find(|f| &f.id == id) {
                Some(f) => {
                    f.verdict = Verdict::Failed;
                    f.reason = reason;
                    f.tally.critical |= critical;
                }
                None => list.push(FeatureVerdict {
                    id: id.clone(),
                    title: String::new(),
                    owner: String::new(),
                    maturity: None,
                    verdict: Verdict::Failed,
                    reason,
                    tally: Tally { critical: *critical, ..Tally::default() },
                }),
            }
        }
        (list, unknown)
    }

    fn scenario_verdicts(
        &self,
        catalog: Option<&Catalog>,
        version: Option<&Version>,
    ) -> (Vec<FeatureVerdict>, Vec<String>) {
        if let (Some(c), Some(v)) = (catalog, version) {
            return certify_catalog::verdicts(c, v, &self.by_feature);
        }
        let list = self
            .by_feature
            .iter()
            .map(|(id, t)| {
                let (verdict, reason) = if t.failed + t.errored > 0 {
                    (
                        Verdict::Failed,
                        format!("{} of {} failed", t.failed + t.errored, certify_catalog::scenarios(t.ran())),
                    )
                } else if t.flaky > 0 {
                    (
                        Verdict::Flaky,
                        format!("{} of {} passed only after a retry", t.flaky, certify_catalog::scenarios(t.ran())),
                    )
                } else if t.passed == 1 {
                    (Verdict::Certified, "its one scenario passed".to_owned())
                } else if t.passed > 0 {
                    (Verdict::Certified, format!("all {} scenarios passed", t.passed))
                } else {
                    (Verdict::NotApplicable, "no scenario applied".to_owned())
                };
                FeatureVerdict {
                    id: id.clone(),
                    title: String::new(),
                    owner: String::new(),
                    maturity: None,
                    verdict,
                    reason: format!("{reason} (no catalog or platform version: maturity unknown)"),
                    tally: t.clone(),
                }
            })
            .collect();
        (list, Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_catalog_verdicts_follow_the_worst_outcome() {
        let mut t = Tallies::default();
        t.add(Some("a"), Status::Passed, false);
        t.add(Some("a"), Status::Flaky, false);
        t.add(Some("b"), Status::Passed, true);
        t.add(Some("b"), Status::Failed, false);
        t.add(Some("c"), Status::NotApplicable, false);
        t.add(Some("d"), Status::Passed, false);
        t.add(None, Status::Passed, false);
        let (list, unknown) = t.verdicts(None, None);
        let got: Vec<(String, Verdict)> = list.into_iter().map(|f| (f.id, f.verdict)).collect();
        assert_eq!(
            got,
            [
                ("a".into(), Verdict::Flaky),
                ("b".into(), Verdict::Failed),
                ("c".into(), Verdict::NotApplicable),
                ("d".into(), Verdict::Certified)
            ]
        );
        assert!(unknown.is_empty());
        assert_eq!(t.unlinked(), 1);
    }

    #[test]
    fn reasons_count_one_scenario_in_the_singular() {
        let mut t = Tallies::default();
        t.add(Some("one"), Status::Passed, false);
        t.add(Some("failed"), Status::Failed, false);
        t.add(Some("flaky"), Status::Flaky, false);
        t.add(Some("two"), Status::Passed, false);
        t.add(Some("two"), Status::Passed, false);
        let (list, _) = t.verdicts(None, None);
        let reason = |id: &str| list.iter().find(|f| f.id == id).map(|f| f.reason.clone()).unwrap_or_default();
        assert!(reason("one").starts_with("its one scenario passed"), "{}", reason("one"));
        assert!(reason("failed").starts_with("1 of 1 scenario failed"), "{}", reason("failed"));
        assert!(reason("flaky").starts_with("1 of 1 scenario passed only after a retry"), "{}", reason("flaky"));
        assert!(reason("two").starts_with("all 2 scenarios passed"), "{}", reason("two"));
    }

    #[test]
    fn broken_files_read_back_typed_and_in_the_earlier_text_form() {
        #[derive(Deserialize)]
        struct Only {
            #[serde(default, deserialize_with = "broken_files")]
            broken_files: Vec<LoadFailure>,
        }
        let typed = load_failure(&["signup"]);
        let text = serde_json::json!({ "broken_files": [typed, "features/a.feature:3:5: unexpected `x`"] });
        let read: Only = serde_json::from_value(text).unwrap();
        assert_eq!(read.broken_files[0], typed);
        assert_eq!(
            (read.broken_files[1].file.as_str(), read.broken_files[1].line, read.broken_files[1].column),
            ("features/a.feature", 3, 5)
        );
        assert_eq!(read.broken_files[1].message, "unexpected `x`");
        let none: Only = serde_json::from_str("{}").unwrap();
        assert!(none.broken_files.is_empty());
    }

    #[test]
    fn interrupted_and_not_run_scenarios_are_named_in_the_reason() {
        let mut t = Tallies::default();
        t.add(Some("a"), Status::Passed, false);
        t.add(Some("a"), Status::Interrupted, true);
        t.add(Some("a"), Status::NotRun, false);
        t.add(Some("a"), Status::NotRun, false);
        t.add(Some("b"), Status::Errored, false);
        let (list, _) = t.verdicts(None, None);
        assert_eq!(list[0].verdict, Verdict::Failed);
        assert_eq!(list[0].reason, "the run was interrupted: 1 interrupted, 2 not run of 4 scenarios (critical)");
        assert!(list[1].reason.starts_with("1 of 1 scenario failed"), "{}", list[1].reason);
    }

    fn load_failure(features: &[&str]) -> LoadFailure {
        LoadFailure {
            file: "features/signup.feature".into(),
            line: 7,
            column: 3,
            message: "unexpected `oops`".into(),
            features: features.iter().map(|f| (*f).to_owned()).collect(),
            critical: true,
        }
    }

    #[test]
    fn a_feature_named_by_a_file_that_did_not_load_is_never_certified() {
        let catalog = certify_catalog::load_str(
            "[[feature]]\nid = \"signup\"\ntitle = \"S\"\nowner = \"o\"\nlifecycle = { ga = \"1.0.0\" }\n\n\
             [[feature]]\nid = \"later\"\ntitle = \"L\"\nowner = \"o\"\nlifecycle = { alpha = \"9.0.0\" }\n\n\
             [[feature]]\nid = \"quotas\"\ntitle = \"Q\"\nowner = \"o\"\nlifecycle = { ga = \"1.0.0\" }\n",
            std::path::Path::new("catalog.toml"),
        )
        .unwrap();
        let v = Version::new(1, 4, 0);
        let mut t = Tallies::default();
        // Another file's scenario for the same feature passed: still not certified.
        t.add(Some("signup"), Status::Passed, true);
        t.add(Some("quotas"), Status::Passed, false);
        t.load_failed(&load_failure(&["signup", "later", "not-in-catalog"]));
        let (list, _) = t.verdicts(Some(&catalog), Some(&v));
        let got: Vec<(&str, Verdict)> = list.iter().map(|f| (f.id.as_str(), f.verdict)).collect();
        assert_eq!(
            got,
            [("signup", Verdict::Failed), ("later", Verdict::NotApplicable), ("quotas", Verdict::Certified)]
        );
        assert!(list[0].reason.contains("features/signup.feature:7"), "{}", list[0].reason);
        assert!(list[0].tally.critical, "the file is tagged @critical");

        // Without a catalog, the feature is listed from the file's tags alone.
        let mut t = Tallies::default();
        t.load_failed(&load_failure(&["signup"]));
        let (list, _) = t.verdicts(None, None);
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].id.as_str(), list[0].verdict), ("signup", Verdict::Failed));
    }
}
