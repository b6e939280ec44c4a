//! Cucumber Messages output: a run written as NDJSON, one `Envelope` per
//! line, so that the Cucumber ecosystem's reporters (the HTML formatter,
//! Allure and others) can read certify's runs. [`MessagesWriter::create`]
//! writes `meta`, then `source` and `gherkinDocument` for every feature file
//! and prepares one `pickle` per concrete scenario; when the run starts, the
//! pickles of scenarios that are part of the run, the built-in
//! `stepDefinition`s, `testRunStarted` and the `testCase`s follow; then every
//! attempt is written as its events arrive (`testCaseStarted`, the test steps,
//! `testCaseFinished` with `willBeRetried`), and `testRunFinished` last, also
//! after an interruption. Scenarios that do not apply to the platform version
//! under test are written as one attempt whose steps are all `SKIPPED`.
//!
//! Timestamps are the times things happened: `testRunStarted` and
//! `testRunFinished` the run's start and end, each attempt and step its own
//! start and end (attempts of concurrent scenarios overlap, and since the
//! bundle writer hands over a scenario's events when it ends, the stream is
//! not in time order). Test steps carry `stepMatchArguments`: the capture
//! groups of the step definition's regex, `start` counted in UTF-16 code
//! units as Cucumber's JavaScript and Java implementations count them. The
//! HTTP exchanges of a step are `attachment`s, given by the bundle writer
//! (which redacts them) through [`MessagesWriter::attach`].

use std::{
    collections::{HashMap, HashSet},
    fs::File,
    io::{self, BufWriter, Write},
    path::Path,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use certify_runner::{
    EventSink,
    event::{ExclusionKind, PlannedScenario, RunEvent, RunSummary, StepRecord, StepStatus},
};
use certify_suite::{DocumentChild, ParsedFeature, syntax::ast};

use crate::spool::Spool;
use serde::Serialize;
use serde_json::{Value, json};

/// The version of the Cucumber Messages protocol the output follows.
pub const PROTOCOL_VERSION: &str = "33.0.4";

/// The media type of a Gherkin source in plain text.
const GHERKIN_MEDIA_TYPE: &str = "text/x.cucumber.gherkin+plain";

/// The `sourceReference` URI of the built-in step definitions.
const STEPS_URI: &str = "certify:steps";

/// Writes a run as Cucumber Messages NDJSON while it happens.
///
/// Write errors do not interrupt the run: the first one stops the output and
/// is returned by [`MessagesWriter::finish`].
pub struct MessagesWriter {
    out: BufWriter<File>,
    error: Option<io::Error>,
    next_id: u64,
    /// Pickles spooled so far.
    pending: u64,
    /// Pickles waiting for the plan, which says which scenarios take part:
    /// each spooled as what its test case needs (a [`PendingPickle`] line)
    /// and its envelope, so none is held in memory until the run starts.
    pickles: Option<Spool>,
    test_run_started_id: Option<String>,
    /// Test cases of scenarios that have not finished, by scenario id.
    /// Keyed by the scenario's place (see [`MessagesWriter::place`]), not its id.
    cases: HashMap<u64, TestCaseIds>,
    /// Each feature file's rank, by path: a scenario's place is its file's rank and its line.
    files: HashMap<String, u64>,
    /// Attempts in flight, by scenario id (attempts of one scenario never overlap).
    running: HashMap<String, RunningAttempt>,
    run_finished: bool,
    /// When the run started, for scenarios that do not apply.
    run_started: Option<SystemTime>,
}

/// What a pickle's test case needs, spooled before the pickle's envelope.
#[derive(Serialize, serde::Deserialize)]
struct PendingPickle {
    scenario_id: String,
    /// The scenario's place: its file's rank and its line.
    place: u64,
    pickle_id: String,
    steps: Vec<PendingStep>,
}

#[derive(Serialize, serde::Deserialize)]
struct PendingStep {
    pickle_step_id: String,
    /// The step's text: its definitions (and their arguments) are matched
    /// when its test case is written, so a pending pickle holds no JSON tree.
    text: String,
}

/// A test case's id and its test steps' ids, which follow it: `id + 1` to `id + steps`.
#[derive(Clone, Copy)]
struct TestCaseIds {
    id: u64,
    steps: u64,
}

impl TestCaseIds {
    fn step(self, index: usize) -> Option<String> {
        ((index as u64) < self.steps).then(|| (self.id + 1 + index as u64).to_string())
    }
}

struct RunningAttempt {
    started_id: String,
    /// Test steps written so far.
    next_step: usize,
    /// Attachments not yet written, each with the index of its test step.
    attachments: Vec<(usize, Attachment)>,
}

/// Something a test step produced, shown by Cucumber's reporters with the
/// step: certify attaches each HTTP exchange as its transcript records it.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The line of the step that produced it (the step's line in its feature file).
    pub step_line: usize,
    pub media_type: String,
    /// Already redacted: the writer writes it as it is.
    pub body: String,
    pub file_name: Option<String>,
    pub at: SystemTime,
}

impl MessagesWriter {
    /// Creates `path` and writes `meta`, then `source` and `gherkinDocument`
    /// for every feature of the suite as parsed (outlines expanded).
    pub fn create(path: &Path, features: &[ParsedFeature], tool_version: &str) -> io::Result<MessagesWriter> {
        let mut writer = MessagesWriter {
            out: BufWriter::new(File::create(path)?),
            error: None,
            next_id: 0,
            pending: 0,
            pickles: Some(Spool::create(&path.with_extension("pickles.part"))?),
            test_run_started_id: None,
            cases: HashMap::new(),
            files: HashMap::new(),
            running: HashMap::new(),
            run_finished: false,
            run_started: None,
        };
        writer.write(&json!({ "meta": meta(tool_version) }))?;
        for parsed in features {
            writer.feature(parsed)?;
        }
        Ok(writer)
    }

    /// Ends the output (with `testRunFinished` when the run's end was not
    /// seen) and flushes it; returns the first write error, if any.
    pub fn finish(mut self) -> io::Result<()> {
        if !self.run_finished {
            if self.test_run_started_id.is_none() {
                self.start_run(None, SystemTime::now());
            }
            let envelope = self.run_finished_envelope(SystemTime::now(), false);
            self.emit(&envelope);
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }

    fn id(&mut self) -> String {
        let id = self.next_id.to_string();
        self.next_id += 1;
        id
    }

    fn write<T: Serialize + ?Sized>(&mut self, envelope: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, envelope)?;
        self.out.write_all(b"\n")
    }

    /// Writes unless an earlier write failed; keeps the first error.
    fn emit<T: Serialize + ?Sized>(&mut self, envelope: &T) {
        if self.error.is_none()
            && let Err(e) = self.write(envelope)
        {
            self.error = Some(e);
        }
    }

    fn emit_line(&mut self, line: &str) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(line.as_bytes()).and_then(|()| self.out.write_all(b"\n"))
        {
            self.error = Some(e);
        }
    }

    /// `source` and `gherkinDocument` of one feature file; its pickles are kept for the plan.
    /// The document is written as its children are read again from the
    /// text, one at a time (a file of 10,000 scenarios never exists as one
    /// tree), with the parser's own nodes and ids, moved past the ids
    /// written before; each scenario's pickles are compiled from its nodes
    /// as it is written, and spooled.
    fn feature(&mut self, parsed: &ParsedFeature) -> io::Result<()> {
        let uri = parsed.file.path.to_string_lossy().replace('\\', "/");
        let rank = self.files.len() as u64;
        self.files.entry(uri.clone()).or_insert(rank);
        let text: &str = &parsed.file.text;
        // Borrowed: the text is not copied into a JSON tree to be written.
        self.write(&SourceEnvelope { source: Source { uri: &uri, data: text, media_type: GHERKIN_MEDIA_TYPE } })?;

        let document = parsed.document();
        let Some(feature) = &document.feature else { return Ok(()) };
        let base = self.next_id as usize;
        let mut next_pickle_id = base + parsed.ids();
        let feature_tags = shifted(&feature.tags, base);
        self.out.write_all(b"{\"gherkinDocument\":{\"uri\":")?;
        serde_json::to_writer(&mut self.out, &uri)?;
        self.out.write_all(b",\"feature\":")?;
        let head = FeatureHead {
            location: feature.location,
            tags: &feature_tags,
            language: &feature.language,
            keyword: &feature.keyword,
            name: &feature.name,
            description: &feature.description,
        };
        let mut children = Children::open(&mut self.out, &head)?;
        let rules = parsed.rules();
        let mut rule_tags: Vec<ast::Tag> = Vec::new();
        // The rule whose children are being written, and the rules opened so far.
        let (mut open_rule, mut opened) = (None::<usize>, 0);
        let mut feature_background: Vec<ast::Step> = Vec::new();
        let mut rule_background: Vec<ast::Step> = Vec::new();
        let mut pickles = Vec::new();
        let invalid = |e: certify_suite::ParseIssue| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
        for child in parsed.document_children(base) {
            let (rule, child) = child.map_err(invalid)?;
            // Rules open in order, empty ones included, as their children come.
            if let Some(r) = rule {
                while open_rule != Some(r) {
                    if let Some(open) = open_rule.take() {
                        close_rule(&mut children, &mut self.out, &rules[open], base)?;
                    }
                    let Some(next) = rules.get(opened) else { break };
                    open_rule_head(&mut children, &mut self.out, next, base)?;
                    rule_tags = feature_tags.iter().cloned().chain(shifted(&next.tags, base)).collect();
                    rule_background.clear();
                    open_rule = Some(opened);
                    opened += 1;
                }
            }
            let tags = if rule.is_some() { &rule_tags } else { &feature_tags };
            match child {
                DocumentChild::Background(b) => {
                    children.push(&mut self.out, &ast::RuleChild::Background(b.clone()))?;
                    match rule {
                        Some(_) => rule_background.extend(b.steps),
                        None => feature_background = b.steps,
                    }
                }
                DocumentChild::Scenario(s) => {
                    // The feature's background, then the rule's.
                    let rule_steps = rule.and(Some(&rule_background)).into_iter().flatten();
                    let steps: Vec<&ast::Step> = feature_background.iter().chain(rule_steps).collect();
                    pickles.extend(certify_suite::syntax::scenario_pickles(
                        &uri,
                        &feature.language,
                        tags,
                        &steps,
                        &s,
                        &mut next_pickle_id,
                    ));
                    children.push(&mut self.out, &ast::RuleChild::Scenario(s))?;
                    for pickle in pickles.drain(..) {
                        self.spool_pickle(&uri, &pickle);
                    }
                }
            }
        }
        if let Some(open) = open_rule {
            close_rule(&mut children, &mut self.out, &rules[open], base)?;
        }
        for rule in rules.iter().skip(opened) {
            open_rule_head(&mut children, &mut self.out, rule, base)?;
            close_rule(&mut children, &mut self.out, rule, base)?;
        }
        children.close(&mut self.out)?;
        self.out.write_all(b",\"comments\":")?;
        serde_json::to_writer(&mut self.out, &document.comments)?;
        self.out.write_all(b"}}\n")?;
        self.next_id = next_pickle_id as u64;
        Ok(())
    }

    /// Spools a pickle with what its test case will need.
    fn spool_pickle(&mut self, uri: &str, pickle: &certify_suite::syntax::Pickle) {
        let line = pickle.location.map_or(0, |l| l.line);
        let steps =
            pickle.steps.iter().map(|s| PendingStep { pickle_step_id: s.id.clone(), text: s.text.clone() }).collect();
        let pending = PendingPickle {
            scenario_id: format!("{uri}:{line}"),
            place: self.place(uri, line).unwrap_or(u64::MAX),
            pickle_id: pickle.id.clone(),
            steps,
        };
        let envelope = serde_json::to_vec(&PickleEnvelope { pickle }).unwrap_or_default();
        if let Some(spool) = self.pickles.as_mut() {
            let mut record = serde_json::to_vec(&pending).unwrap_or_default();
            record.push(b'\n');
            record.extend_from_slice(&envelope);
            record.push(b'\n');
            if let Err(e) = spool.append(self.pending, &record) {
                self.error.get_or_insert(e);
            }
        }
        self.pending += 1;
    }

    /// Pickles of the scenarios that take part, step definitions,
    /// `testRunStarted` and the test cases. Without a plan, every pickle takes part.
    /// The spooled pickles are read twice, one at a time: their envelopes,
    /// then (after the step definitions) their test cases.
    fn start_run(&mut self, taking_part: Option<&HashSet<&str>>, at: SystemTime) {
        let takes_part = |p: &PendingPickle| taking_part.is_none_or(|ids| ids.contains(p.scenario_id.as_str()));
        let spooled = self.pickles.take().map(|spool| {
            let path = spool.path().to_path_buf();
            (spool.finish(), path)
        });
        let reader = match spooled {
            Some((Ok(reader), path)) => Some((reader, path)),
            Some((Err(e), _)) => {
                self.error.get_or_insert(e);
                None
            }
            None => None,
        };
        if let Some((reader, _)) = &reader {
            let read = reader.each(&mut |record| {
                let (pending, envelope) = pending_pickle(record)?;
                if takes_part(&pending) {
                    self.emit_line(&String::from_utf8_lossy(envelope));
                }
                Ok(())
            });
            if let Err(e) = read {
                self.error.get_or_insert(e);
            }
        }
        let mut definition_ids = Vec::new();
        for def in certify_steps::vocabulary() {
            let id = self.id();
            let envelope = json!({ "stepDefinition": {
                "id": id,
                "pattern": { "source": def.regex, "type": "REGULAR_EXPRESSION" },
                "sourceReference": { "uri": STEPS_URI },
            }});
            self.emit(&envelope);
            definition_ids.push(id);
        }
        let run_id = self.id();
        self.run_started = Some(at);
        self.emit(&json!({ "testRunStarted": { "id": run_id, "timestamp": timestamp(at) } }));
        self.test_run_started_id = Some(run_id.clone());
        let Some((reader, path)) = reader else { return };
        if taking_part.is_some() {
            let read = reader.each(&mut |record| {
                let (pending, _) = pending_pickle(record)?;
                if takes_part(&pending) {
                    self.test_case(pending, &definition_ids, &run_id);
                }
                Ok(())
            });
            if let Err(e) = read {
                self.error.get_or_insert(e);
            }
        }
        if let Err(e) = std::fs::remove_file(&path) {
            self.error.get_or_insert(e);
        }
    }

    /// Writes the test case of a pickle that takes part and keeps its ids.
    fn test_case(&mut self, p: PendingPickle, definition_ids: &[String], run_id: &str) {
        let case_id = self.next_id;
        let case = self.id();
        let mut step_ids = Vec::with_capacity(p.steps.len());
        let mut matches = Vec::with_capacity(p.steps.len());
        for step in &p.steps {
            step_ids.push(self.id());
            matches.push(definitions(&step.text));
        }
        let test_steps: Vec<TestStep<'_>> = p
            .steps
            .iter()
            .zip(&step_ids)
            .zip(&matches)
            .map(|((step, id), matched)| {
                let (defs, arguments) = matched
                    .iter()
                    .filter_map(|(i, arguments)| Some((definition_ids.get(*i)?.as_str(), arguments)))
                    .unzip();
                TestStep {
                    id,
                    pickle_step_id: &step.pickle_step_id,
                    step_definition_ids: defs,
                    step_match_arguments_lists: arguments,
                }
            })
            .collect();
        self.emit(&Envelope::TestCase(TestCase {
            id: &case,
            pickle_id: &p.pickle_id,
            test_steps,
            test_run_started_id: run_id,
        }));
        self.cases.insert(p.place, TestCaseIds { id: case_id, steps: step_ids.len() as u64 });
    }

    /// A scenario's place: its feature file's rank and its line (its id,
    /// `path:line`, as two numbers).
    fn place(&self, path: &str, line: usize) -> Option<u64> {
        self.files.get(path).map(|rank| (rank << 32) | line as u64)
    }

    /// The test case of a scenario that takes part.
    fn case(&self, scenario: &PlannedScenario) -> Option<TestCaseIds> {
        self.cases.get(&self.place(&scenario.feature_path, scenario.line)?).copied()
    }

    fn attempt_started(&mut self, scenario: &PlannedScenario, attempt: usize, at: SystemTime) {
        let Some(case_id) = self.case(scenario).map(|c| c.id.to_string()) else {
            return;
        };
        let started_id = self.id();
        self.emit(&Envelope::TestCaseStarted(TestCaseStarted {
            id: &started_id,
            test_case_id: &case_id,
            attempt: attempt.saturating_sub(1),
            timestamp: timestamp(at),
        }));
        self.running.insert(scenario.id.clone(), RunningAttempt { started_id, next_step: 0, attachments: Vec::new() });
    }

    /// Attachments of the attempt of `scenario` in flight (call after its
    /// `AttemptStarted`): each is written with the test step of its line,
    /// between that step's `testStepStarted` and `testStepFinished`. An
    /// attachment whose line is no step of the scenario is not written.
    pub fn attach(&mut self, scenario: &PlannedScenario, attachments: Vec<Attachment>) {
        let Some(running) = self.running.get_mut(&scenario.id) else {
            return;
        };
        for a in attachments {
            if let Some(index) = scenario.steps.iter().position(|s| s.line == a.step_line) {
                running.attachments.push((index, a));
            }
        }
    }

    /// The attachments of test step `index` of the attempt `started_id`.
    fn attachments(&mut self, scenario_id: &str, index: usize, started_id: &str, step_id: &str) {
        let Some(running) = self.running.get_mut(scenario_id) else {
            return;
        };
        let (mine, rest): (Vec<_>, Vec<_>) =
            std::mem::take(&mut running.attachments).into_iter().partition(|(i, _)| *i == index);
        running.attachments = rest;
        for (_, a) in mine {
            self.emit(&Envelope::Attachment(AttachmentMessage {
                body: &a.body,
                content_encoding: "IDENTITY",
                media_type: &a.media_type,
                test_case_started_id: started_id,
                test_step_id: step_id,
                timestamp: timestamp(a.at),
                file_name: a.file_name.as_deref(),
            }));
        }
    }

    fn step_finished(&mut self, scenario: &PlannedScenario, step: &StepRecord) {
        let case = self.case(scenario);
        let Some(running) = self.running.get_mut(&scenario.id) else {
            return;
        };
        let Some(step_id) = case.and_then(|c| c.step(running.next_step)) else {
            return;
        };
        let started_id = running.started_id.clone();
        let index = running.next_step;
        running.next_step += 1;
        let start = step.started_at;
        let end = start + step.duration;
        let message = step.failure.as_ref().map(|f| f.message.as_str());
        let result = step_result(step.status, step.duration, message);
        self.test_step(&scenario.id, index, &started_id, &step_id, (start, end), result);
    }

    fn test_step(
        &mut self,
        scenario_id: &str,
        index: usize,
        started_id: &str,
        step_id: &str,
        (start, end): (SystemTime, SystemTime),
        result: StepResult<'_>,
    ) {
        self.emit(&Envelope::TestStepStarted(TestStepStarted {
            test_case_started_id: started_id,
            test_step_id: step_id,
            timestamp: timestamp(start),
        }));
        self.attachments(scenario_id, index, started_id, step_id);
        self.emit(&Envelope::TestStepFinished(TestStepFinished {
            test_case_started_id: started_id,
            test_step_id: step_id,
            test_step_result: result,
            timestamp: timestamp(end),
        }));
    }

    /// Steps that did not run are written as skipped at the attempt's end,
    /// then `testCaseFinished`.
    fn attempt_finished(&mut self, scenario: &PlannedScenario, will_retry: bool, end: SystemTime) {
        let Some((started_id, next_step)) = self.running.get(&scenario.id).map(|r| (r.started_id.clone(), r.next_step))
        else {
            return;
        };
        let remaining: Vec<String> = self
            .case(scenario)
            .map(|c| (next_step..c.steps as usize).filter_map(|i| c.step(i)).collect())
            .unwrap_or_default();
        for (i, step_id) in remaining.iter().enumerate() {
            let result = step_result(StepStatus::Skipped, Duration::ZERO, None);
            self.test_step(&scenario.id, next_step + i, &started_id, step_id, (end, end), result);
        }
        self.running.remove(&scenario.id);
        self.emit(&Envelope::TestCaseFinished(TestCaseFinished {
            test_case_started_id: &started_id,
            timestamp: timestamp(end),
            will_be_retried: will_retry,
        }));
    }

    /// A scenario that does not apply is written as one attempt with every step skipped.
    fn not_applicable(&mut self, scenario: &PlannedScenario, at: SystemTime) {
        let Some(case) = self.case(scenario) else {
            return;
        };
        let case_id = case.id.to_string();
        let steps: Vec<String> = (0..case.steps as usize).filter_map(|i| case.step(i)).collect();
        let started_id = self.id();
        self.emit(&Envelope::TestCaseStarted(TestCaseStarted {
            id: &started_id,
            test_case_id: &case_id,
            attempt: 0,
            timestamp: timestamp(at),
        }));
        let reason = scenario.excluded.as_ref().map(|e| format!("not applicable: {}", e.reason));
        for (i, step_id) in steps.iter().enumerate() {
            let message = if i == 0 { reason.as_deref() } else { None };
            let result = step_result(StepStatus::Skipped, Duration::ZERO, message);
            self.test_step(&scenario.id, i, &started_id, step_id, (at, at), result);
        }
        self.emit(&Envelope::TestCaseFinished(TestCaseFinished {
            test_case_started_id: &started_id,
            timestamp: timestamp(at),
            will_be_retried: false,
        }));
    }

    fn run_finished_envelope(&self, at: SystemTime, success: bool) -> Value {
        let mut finished = json!({ "timestamp": timestamp(at), "success": success });
        if let Some(id) = &self.test_run_started_id {
            finished["testRunStartedId"] = json!(id);
        }
        json!({ "testRunFinished": finished })
    }

    fn run_finished(&mut self, summary: &RunSummary) {
        let success = !summary.interrupted && summary.status.is_pass();
        let envelope = self.run_finished_envelope(summary.finished_at, success);
        self.emit(&envelope);
        self.run_finished = true;
        self.flush();
    }

    fn flush(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.out.flush()
        {
            self.error = Some(e);
        }
    }
}

impl EventSink for MessagesWriter {
    fn on_event(&mut self, event: &RunEvent) {
        match event {
            RunEvent::Started { plan, at } => {
                let taking_part: HashSet<&str> = plan
                    .scenarios()
                    .filter(|s| s.excluded.as_ref().is_none_or(|e| e.kind != ExclusionKind::Filtered))
                    .map(|s| s.id.as_str())
                    .collect();
                self.start_run(Some(&taking_part), *at);
            }
            RunEvent::AttemptStarted { scenario, attempt, at } => {
                self.attempt_started(scenario, *attempt, *at);
            }
            RunEvent::StepFinished { scenario, step, .. } => self.step_finished(scenario, step),
            RunEvent::AttemptFinished { scenario, will_retry, attempt } => {
                self.attempt_finished(scenario, *will_retry, attempt.started_at + attempt.duration);
            }
            RunEvent::ScenarioFinished { result } => {
                if result.attempts.is_empty()
                    && result.scenario.excluded.as_ref().is_some_and(|e| e.kind == ExclusionKind::NotApplicable)
                {
                    let at = self.run_started.unwrap_or_else(SystemTime::now);
                    self.not_applicable(&result.scenario, at);
                }
                if let Some(place) = self.place(&result.scenario.feature_path, result.scenario.line) {
                    self.cases.remove(&place);
                }
            }
            RunEvent::FeatureFinished { .. } => self.flush(),
            RunEvent::LoadFailed { failure } => {
                let envelope = json!({ "parseError": {
                    "source": { "uri": failure.file, "location": ast::Location { line: failure.line, column: Some(failure.column) } },
                    "message": failure.to_string(),
                }});
                self.emit(&envelope);
            }
            RunEvent::Finished { summary } => self.run_finished(summary),
        }
    }
}

/// A spooled pickle: what its test case needs, and its envelope's line.
fn pending_pickle(record: &[u8]) -> io::Result<(PendingPickle, &[u8])> {
    let record = record.strip_suffix(b"\n").unwrap_or(record);
    let at = record.iter().position(|b| *b == b'\n').unwrap_or(record.len());
    let pending = serde_json::from_slice(&record[..at]).map_err(io::Error::other)?;
    Ok((pending, record.get(at + 1..).unwrap_or_default()))
}

fn meta(tool_version: &str) -> Value {
    json!({
        "protocolVersion": PROTOCOL_VERSION,
        "implementation": { "name": "certify", "version": tool_version },
        "runtime": { "name": "rust" },
        "os": { "name": std::env::consts::OS },
        "cpu": { "name": std::env::consts::ARCH },
    })
}

/// The envelopes written once or more per scenario, as typed values: each is
/// serialized straight to the output, its members in the order the JSON
/// trees of the other envelopes keep.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Envelope<'a> {
    TestCase(TestCase<'a>),
    TestCaseStarted(TestCaseStarted<'a>),
    TestStepStarted(TestStepStarted<'a>),
    Attachment(AttachmentMessage<'a>),
    TestStepFinished(TestStepFinished<'a>),
    TestCaseFinished(TestCaseFinished<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestCase<'a> {
    id: &'a str,
    pickle_id: &'a str,
    test_steps: Vec<TestStep<'a>>,
    test_run_started_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestStep<'a> {
    id: &'a str,
    pickle_step_id: &'a str,
    step_definition_ids: Vec<&'a str>,
    step_match_arguments_lists: Vec<&'a StepMatchArgumentsList>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestCaseStarted<'a> {
    id: &'a str,
    test_case_id: &'a str,
    attempt: usize,
    timestamp: Timestamp,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestStepStarted<'a> {
    test_case_started_id: &'a str,
    test_step_id: &'a str,
    timestamp: Timestamp,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AttachmentMessage<'a> {
    body: &'a str,
    content_encoding: &'static str,
    media_type: &'a str,
    test_case_started_id: &'a str,
    test_step_id: &'a str,
    timestamp: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestStepFinished<'a> {
    test_case_started_id: &'a str,
    test_step_id: &'a str,
    test_step_result: StepResult<'a>,
    timestamp: Timestamp,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestCaseFinished<'a> {
    test_case_started_id: &'a str,
    timestamp: Timestamp,
    will_be_retried: bool,
}

#[derive(Serialize)]
struct Timestamp {
    seconds: u64,
    nanos: u32,
}

#[derive(Serialize)]
struct StepResult<'a> {
    status: &'static str,
    duration: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StepMatchArgumentsList {
    step_match_arguments: Vec<StepMatchArgument>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StepMatchArgument {
    group: Group,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter_type_name: Option<&'static str>,
}

/// A capture group: both members, or neither for a group that took no part.
#[derive(Debug, Serialize)]
struct Group {
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
}

fn timestamp(t: SystemTime) -> Timestamp {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    duration(d)
}

fn duration(d: Duration) -> Timestamp {
    Timestamp { seconds: d.as_secs(), nanos: d.subsec_nanos() }
}

fn step_result(status: StepStatus, took: Duration, message: Option<&str>) -> StepResult<'_> {
    let status = match status {
        StepStatus::Passed => "PASSED",
        StepStatus::Failed | StepStatus::Errored => "FAILED",
        StepStatus::Undefined => "UNDEFINED",
        StepStatus::Ambiguous => "AMBIGUOUS",
        StepStatus::Skipped => "SKIPPED",
    };
    StepResult { status, duration: duration(took), message }
}

/// Indices of the built-in step definitions whose regex matches `text`,
/// each with the `StepMatchArgumentsList` of the match.
fn definitions(text: &str) -> Vec<(usize, StepMatchArgumentsList)> {
    let with_arguments = |def: &certify_steps::StepDef| {
        let index = certify_steps::vocabulary().iter().position(|d| d.id == def.id)?;
        Some((index, step_match_arguments(def, text)))
    };
    match certify_steps::resolve(text) {
        certify_steps::Resolution::Matched(def) => with_arguments(def).into_iter().collect(),
        certify_steps::Resolution::Ambiguous(defs) => defs.into_iter().filter_map(with_arguments).collect(),
        certify_steps::Resolution::Undefined { .. } => Vec::new(),
    }
}

/// One `StepMatchArgument` per capture group: its `group` (`start` in UTF-16
/// code units, as Cucumber's implementations index a step's text, and the
/// captured `value`; a group that took no part has neither) and the kind of
/// argument as `parameterTypeName`.
fn step_match_arguments(def: &certify_steps::StepDef, text: &str) -> StepMatchArgumentsList {
    let step_match_arguments = def
        .arguments(text)
        .unwrap_or_default()
        .into_iter()
        .map(|argument| match argument {
            Some(a) => StepMatchArgument {
                group: Group { start: Some(text[..a.start].encode_utf16().count()), value: Some(a.value) },
                parameter_type_name: Some(a.kind),
            },
            None => StepMatchArgument { group: Group { start: None, value: None }, parameter_type_name: None },
        })
        .collect();
    StepMatchArgumentsList { step_match_arguments }
}

#[derive(Serialize)]
struct SourceEnvelope<'a> {
    source: Source<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Source<'a> {
    uri: &'a str,
    data: &'a str,
    media_type: &'a str,
}

/// A pickle as it is written.
#[derive(Serialize)]
struct PickleEnvelope<'a> {
    pickle: &'a certify_suite::syntax::Pickle,
}

/// The tags with their ids moved past `base`.
fn shifted(tags: &[ast::Tag], base: usize) -> Vec<ast::Tag> {
    tags.iter().map(|t| ast::Tag { id: shift(&t.id, base), ..t.clone() }).collect()
}

/// An id of a document parsed on its own (from 0), moved past `base`.
fn shift(id: &str, base: usize) -> String {
    id.parse::<usize>().map_or_else(|_| id.to_owned(), |n| (n + base).to_string())
}

/// A feature's members before its children, in the order of its `ast` type.
#[derive(Serialize)]
struct FeatureHead<'a> {
    location: ast::Location,
    tags: &'a [ast::Tag],
    language: &'a str,
    keyword: &'a str,
    name: &'a str,
    description: &'a str,
}

/// A rule's members before its children (its `id` comes after them).
#[derive(Serialize)]
struct RuleHead<'a> {
    location: ast::Location,
    tags: &'a [ast::Tag],
    keyword: &'a str,
    name: &'a str,
    description: &'a str,
}

/// Starts a rule among the feature's children: `{"rule":{…,"children":[`.
fn open_rule_head(children: &mut Children, out: &mut impl Write, rule: &ast::Rule, base: usize) -> io::Result<()> {
    let tags = shifted(&rule.tags, base);
    let head = RuleHead {
        location: rule.location,
        tags: &tags,
        keyword: &rule.keyword,
        name: &rule.name,
        description: &rule.description,
    };
    let mut bytes = b"{\"rule\":".to_vec();
    serde_json::to_writer(&mut bytes, &head)?;
    bytes.pop(); // the closing brace
    bytes.extend_from_slice(b",\"children\":[");
    children.push_raw(out, &bytes)?;
    children.rule = Some(true);
    Ok(())
}

/// Ends a rule opened by [`open_rule_head`]: `],"id":…}}`.
fn close_rule(children: &mut Children, out: &mut impl Write, rule: &ast::Rule, base: usize) -> io::Result<()> {
    out.write_all(b"],\"id\":")?;
    serde_json::to_writer(&mut *out, &shift(&rule.id, base))?;
    out.write_all(b"}}")?;
    children.rule = None;
    Ok(())
}

/// A JSON object's `"children"` array written element by element: `open`
/// writes the object's other members (`head`, an object, as serde_json
/// writes it) and `"children":[`, `close` the closing `]}`. Inside a rule
/// (between [`open_rule_head`] and [`close_rule`]) children are the rule's.
struct Children {
    first: bool,
    /// In a rule: whether its next child is its first.
    rule: Option<bool>,
}

impl Children {
    fn open(out: &mut impl Write, head: &impl Serialize) -> io::Result<Children> {
        let mut bytes = serde_json::to_vec(head)?;
        bytes.pop(); // the closing brace
        out.write_all(&bytes)?;
        out.write_all(if bytes.len() > 1 { b",\"children\":[" } else { b"\"children\":[" })?;
        Ok(Children { first: true, rule: None })
    }

    fn push(&mut self, out: &mut impl Write, child: &impl Serialize) -> io::Result<()> {
        self.separator(out)?;
        serde_json::to_writer(out, child)?;
        Ok(())
    }

    /// Starts a child the caller writes itself.
    fn push_raw(&mut self, out: &mut impl Write, start: &[u8]) -> io::Result<()> {
        self.separator(out)?;
        out.write_all(start)
    }

    fn separator(&mut self, out: &mut impl Write) -> io::Result<()> {
        let first = match &mut self.rule {
            Some(first) => std::mem::take(first),
            None => std::mem::take(&mut self.first),
        };
        if !first {
            out.write_all(b",")?;
        }
        Ok(())
    }

    fn close(self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(b"]}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed envelopes are written with the members in the order the
    /// stream has always had them, optional members only when present.
    #[test]
    fn typed_envelopes_keep_their_bytes() {
        let at = UNIX_EPOCH + Duration::new(5, 6);
        let finished = Envelope::TestStepFinished(TestStepFinished {
            test_case_started_id: "1",
            test_step_id: "2",
            test_step_result: step_result(StepStatus::Errored, Duration::new(0, 7), Some("boom")),
            timestamp: timestamp(at),
        });
        assert_eq!(
            serde_json::to_string(&finished).unwrap(),
            r#"{"testStepFinished":{"testCaseStartedId":"1","testStepId":"2","testStepResult":{"status":"FAILED","duration":{"seconds":0,"nanos":7},"message":"boom"},"timestamp":{"seconds":5,"nanos":6}}}"#
        );
        let attachment = |file_name| {
            serde_json::to_string(&Envelope::Attachment(AttachmentMessage {
                body: "{}",
                content_encoding: "IDENTITY",
                media_type: "application/json",
                test_case_started_id: "1",
                test_step_id: "2",
                timestamp: timestamp(at),
                file_name,
            }))
            .unwrap()
        };
        assert_eq!(
            attachment(Some("x.json")),
            r#"{"attachment":{"body":"{}","contentEncoding":"IDENTITY","mediaType":"application/json","testCaseStartedId":"1","testStepId":"2","timestamp":{"seconds":5,"nanos":6},"fileName":"x.json"}}"#
        );
        assert!(!attachment(None).contains("fileName"));
        let absent = StepMatchArgument { group: Group { start: None, value: None }, parameter_type_name: None };
        assert_eq!(serde_json::to_string(&absent).unwrap(), r#"{"group":{}}"#);
    }

    /// Offsets count UTF-16 code units, as Cucumber's reporters index the
    /// step's text (`ü` is one unit and two bytes).
    #[test]
    fn argument_offsets_count_utf16_code_units() {
        let text = "the variable \"ünïcode\" is \"𝄞x\"";
        let certify_steps::Resolution::Matched(def) = certify_steps::resolve(text) else {
            panic!("{text} does not resolve")
        };
        let arguments = serde_json::to_value(step_match_arguments(def, text)).unwrap();
        assert_eq!(
            arguments,
            json!({ "stepMatchArguments": [
                { "group": { "start": 14, "value": "ünïcode" }, "parameterTypeName": "string" },
                { "group": { "start": 27, "value": "𝄞x" }, "parameterTypeName": "string" },
            ]})
        );
        let units: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(String::from_utf16_lossy(&units[27..30]), "𝄞x");
    }
}
