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
use certify_suite::ParsedFeature;

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
    fn feature(&mut self, parsed: &ParsedFeature) -> io::Result<()> {
        let uri = parsed.file.path.to_string_lossy().replace('\\', "/");
        let rank = self.files.len() as u64;
        self.files.entry(uri.clone()).or_insert(rank);
        let text: &str = &parsed.file.text;
        self.write(&json!({ "source": { "uri": uri, "data": text, "mediaType": GHERKIN_MEDIA_TYPE } }))?;

        // The document shows outlines as written, so a file with outlines is
        // read again without expanding them. Files without outlines are used
        // as parsed (expanding changes nothing there).
        let has_outlines = all_scenarios(&parsed.feature).any(|s| !s.examples.is_empty());
        let reparsed;
        let written = if has_outlines {
            reparsed = certify_suite::syntax::written_feature(text)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("{uri}: does not parse again")))?;
            &reparsed
        } else {
            &parsed.feature
        };

        let source = Source::new(text);
        let mut doc = DocBuilder { ids: &mut self.next_id, source: &source };
        // Written as it is built, one child at a time: a file of 10,000
        // scenarios never exists as one JSON tree.
        self.out.write_all(b"{\"gherkinDocument\":{\"uri\":")?;
        serde_json::to_writer(&mut self.out, &uri)?;
        self.out.write_all(b",\"feature\":")?;
        let ids = doc.feature(written, &mut self.out)?;
        self.out.write_all(b",\"comments\":[]}}\n")?;

        let language = source.language();
        let context = PickleContext { uri: &uri, source: &source, language: &language };
        let feature_bg = background_steps(written.background.as_ref(), ids.background.as_deref());
        let groups = std::iter::once((&written.scenarios, &parsed.feature.scenarios, &ids.scenarios, None)).chain(
            written.rules.iter().zip(&parsed.feature.rules).zip(&ids.rules).map(|((rule, expanded), rule_ids)| {
                (&rule.scenarios, &expanded.scenarios, &rule_ids.scenarios, Some((rule, rule_ids)))
            }),
        );
        for (scenarios, expanded, scenario_ids, rule) in groups {
            let mut inherited = ids.tags.clone();
            let mut bg = feature_bg.clone();
            if let Some((rule, rule_ids)) = rule {
                inherited.extend(rule_ids.tags.iter().cloned());
                bg.extend(background_steps(rule.background.as_ref(), rule_ids.background.as_deref()));
            }
            let mut expanded = expanded.iter();
            for (scenario, sids) in scenarios.iter().zip(scenario_ids) {
                for row in rows_of(scenario, sids) {
                    let Some(concrete) = expanded.next() else {
                        break;
                    };
                    self.pickle(&context, concrete, sids, row, &inherited, &bg);
                }
            }
        }
        Ok(())
    }

    fn pickle(
        &mut self,
        context: &PickleContext<'_>,
        concrete: &gherkin::Scenario,
        ids: &ScenarioIds,
        row: Option<RowRef<'_>>,
        inherited_tags: &[(String, String)],
        background: &[(&gherkin::Step, String)],
    ) {
        let scenario_id = certify_suite::scenario_id(context.uri, concrete);
        let mut steps_json = Vec::new();
        let mut steps: Vec<PendingStep> = Vec::new();
        let outline_row = row.as_ref().map(|_| concrete);
        let scenario_steps = concrete.steps.iter().zip(&ids.steps).map(|(step, ast)| {
            let mut ast_ids = vec![ast.clone()];
            if let Some(row) = &row {
                ast_ids.push(row.id.to_owned());
            }
            (step, ast_ids, outline_row)
        });
        let all_steps = background.iter().map(|(step, ast)| (*step, vec![ast.clone()], None)).chain(scenario_steps);
        for (step, ast_ids, outline_row) in all_steps {
            let pickle_step_id = self.id();
            steps_json.push((step_type(step.ty), ast_ids, pickle_argument(step, context.source, outline_row)));
            steps.push(PendingStep { pickle_step_id, text: step.value.clone() });
        }
        let mut tags: Vec<PickleTag<'_>> = inherited_tags.iter().chain(&ids.tags).map(pickle_tag).collect();
        let mut ast_node_ids = vec![ids.id.as_str()];
        let location = match &row {
            Some(row) => {
                tags.extend(row.tags.iter().map(pickle_tag));
                ast_node_ids.push(row.id);
                row.location
            }
            None => &ids.location,
        };
        let pickle_id = self.id();
        let pickle = PickleEnvelope {
            pickle: Pickle {
                id: &pickle_id,
                uri: context.uri,
                location,
                name: &concrete.name,
                language: context.language,
                steps: steps_json
                    .iter()
                    .zip(&steps)
                    .map(|((ty, ast_ids, argument), pending)| PickleStep {
                        id: &pending.pickle_step_id,
                        text: &pending.text,
                        r#type: ty,
                        ast_node_ids: ast_ids,
                        argument: argument.as_ref(),
                    })
                    .collect(),
                tags,
                ast_node_ids,
            },
        };
        let envelope = serde_json::to_vec(&pickle).unwrap_or_default();
        drop(pickle);
        let place = self.place(context.uri, concrete.position.line).unwrap_or(u64::MAX);
        if let Some(spool) = self.pickles.as_mut() {
            let mut record =
                serde_json::to_vec(&PendingPickle { scenario_id, place, steps, pickle_id }).unwrap_or_default();
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
                    "source": { "uri": failure.file, "location": location(failure.line, failure.column) },
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
struct PickleEnvelope<'a> {
    pickle: Pickle<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pickle<'a> {
    id: &'a str,
    uri: &'a str,
    location: &'a Location,
    name: &'a str,
    language: &'a str,
    steps: Vec<PickleStep<'a>>,
    tags: Vec<PickleTag<'a>>,
    ast_node_ids: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PickleStep<'a> {
    id: &'a str,
    text: &'a str,
    r#type: &'static str,
    ast_node_ids: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    argument: Option<&'a Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PickleTag<'a> {
    name: &'a str,
    ast_node_id: &'a str,
}

fn pickle_tag((name, id): &(String, String)) -> PickleTag<'_> {
    PickleTag { name, ast_node_id: id }
}

/// A `Timestamp` or a `Duration`: seconds and nanoseconds.
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

fn step_type(ty: gherkin::StepType) -> &'static str {
    match ty {
        gherkin::StepType::Given => "Context",
        gherkin::StepType::When => "Action",
        gherkin::StepType::Then => "Outcome",
    }
}

/// A pickle step's doc string or data table. The doc string is taken as
/// written, with an outline row's values in place of its `<placeholders>`.
fn pickle_argument(step: &gherkin::Step, source: &Source<'_>, row: Option<&gherkin::Scenario>) -> Option<Value> {
    if let Some(raw) = &step.docstring {
        let Some(doc) = source.doc_string(step.position.line) else {
            return Some(json!({ "docString": { "content": raw } }));
        };
        let mut content = doc.content;
        if let Some(table) = row.and_then(|s| s.examples.first()).and_then(|e| e.table.as_ref())
            && let (Some(header), Some(values)) = (table.rows.first(), table.rows.get(1))
        {
            for (name, value) in header.iter().zip(values) {
                content = content.replace(&format!("<{name}>"), value);
            }
        }
        let mut json = json!({ "content": content });
        if let Some(media_type) = doc.media_type {
            json["mediaType"] = json!(media_type);
        }
        return Some(json!({ "docString": json }));
    }
    step.table.as_ref().map(|table| {
        let rows: Vec<Value> = table
            .rows
            .iter()
            .map(|row| json!({ "cells": row.iter().map(|v| json!({ "value": v })).collect::<Vec<_>>() }))
            .collect();
        json!({ "dataTable": { "rows": rows } })
    })
}

fn all_scenarios(feature: &gherkin::Feature) -> impl Iterator<Item = &gherkin::Scenario> {
    feature.scenarios.iter().chain(feature.rules.iter().flat_map(|r| &r.scenarios))
}

fn background_steps<'a>(
    background: Option<&'a gherkin::Background>,
    ids: Option<&[String]>,
) -> Vec<(&'a gherkin::Step, String)> {
    match (background, ids) {
        (Some(bg), Some(ids)) => bg.steps.iter().zip(ids).map(|(s, id)| (s, id.clone())).collect(),
        _ => Vec::new(),
    }
}

/// The concrete scenarios an AST scenario stands for: one per Examples body
/// row, or itself when it has no Examples (as the runner expands them).
fn rows_of<'a>(scenario: &gherkin::Scenario, ids: &'a ScenarioIds) -> Vec<Option<RowRef<'a>>> {
    if scenario.examples.is_empty() {
        return vec![None];
    }
    ids.examples
        .iter()
        .flat_map(|ex| ex.rows.iter().map(move |(id, location)| Some(RowRef { id, location, tags: &ex.tags })))
        .collect()
}

struct PickleContext<'a> {
    uri: &'a str,
    source: &'a Source<'a>,
    language: &'a str,
}

/// An Examples body row a pickle comes from.
struct RowRef<'a> {
    id: &'a str,
    location: &'a Location,
    tags: &'a [(String, String)],
}

/// The AST ids a feature's pickles refer to.
struct FeatureIds {
    tags: Vec<(String, String)>,
    background: Option<Vec<String>>,
    scenarios: Vec<ScenarioIds>,
    rules: Vec<RuleIds>,
}

struct RuleIds {
    tags: Vec<(String, String)>,
    background: Option<Vec<String>>,
    scenarios: Vec<ScenarioIds>,
}

struct ScenarioIds {
    id: String,
    location: Location,
    tags: Vec<(String, String)>,
    steps: Vec<String>,
    examples: Vec<ExamplesIds>,
}

struct ExamplesIds {
    tags: Vec<(String, String)>,
    /// Body rows: id and location.
    rows: Vec<(String, Location)>,
}

/// The text of a feature file by line, for what the parser does not keep
/// (tag and cell columns, doc string delimiters, the language header).
struct Source<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Self {
        Source { lines: text.lines().collect() }
    }

    /// 1-based.
    fn line(&self, n: usize) -> Option<&'a str> {
        n.checked_sub(1).and_then(|i| self.lines.get(i)).copied()
    }

    fn language(&self) -> String {
        for line in &self.lines {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            let Some(comment) = t.strip_prefix('#') else {
                break;
            };
            if let Some(lang) = comment.trim().strip_prefix("language")
                && let Some(lang) = lang.trim_start().strip_prefix(':')
            {
                return lang.trim().to_owned();
            }
        }
        "en".to_owned()
    }

    /// Where each tag of a node on `node_line` is: the tag lines just above it.
    fn tag_locations(&self, node_line: usize, tags: &[String], fallback: Location) -> Vec<Location> {
        let mut first = node_line;
        while first > 1 {
            let t = self.line(first - 1).map(str::trim).unwrap_or("");
            if t.starts_with('@') || t.starts_with('#') || t.is_empty() {
                first -= 1;
            } else {
                break;
            }
        }
        let mut cursor = (first, 0usize);
        tags.iter()
            .map(|tag| {
                let needle = format!("@{}", tag.trim_start_matches('@'));
                let mut line = cursor.0;
                while line < node_line {
                    let text = self.line(line).unwrap_or("");
                    let from = if line == cursor.0 { cursor.1 } else { 0 };
                    if let Some(pos) = text.get(from..).and_then(|rest| rest.find(&needle)) {
                        let col = from + pos;
                        cursor = (line, col + needle.len());
                        return location(line, text[..col].chars().count() + 1);
                    }
                    line += 1;
                }
                fallback
            })
            .collect()
    }

    /// The lines of a table's rows, starting at `first`, skipping comments and blank lines.
    fn table_lines(&self, first: usize, rows: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(rows);
        let mut n = first;
        while out.len() < rows {
            match self.line(n) {
                Some(text) if text.trim_start().starts_with('|') => out.push(n),
                Some(_) => {}
                None => break,
            }
            n += 1;
        }
        while out.len() < rows {
            out.push(first + out.len());
        }
        out
    }

    /// 1-based columns of a table row's first `|` and of each cell's content.
    fn cell_columns(&self, line: usize) -> (usize, Vec<usize>) {
        let text = self.line(line).unwrap_or("");
        let chars: Vec<char> = text.chars().collect();
        let mut cells = Vec::new();
        let mut row_col = 1;
        let mut i = 0;
        let mut seen_pipe = false;
        while i < chars.len() {
            match chars[i] {
                '\\' => i += 2,
                '|' => {
                    if !seen_pipe {
                        row_col = i + 1;
                        seen_pipe = true;
                    }
                    let mut j = i + 1;
                    while j < chars.len() && chars[j].is_whitespace() {
                        j += 1;
                    }
                    if j < chars.len() {
                        cells.push(j + 1);
                    }
                    i += 1;
                }
                _ => i += 1,
            }
        }
        (row_col, cells)
    }

    /// The doc string of the step on `step_line` as written: where it is,
    /// its delimiter, media type and content (lines de-indented by the
    /// delimiter's column, escaped delimiters restored).
    fn doc_string(&self, step_line: usize) -> Option<DocString> {
        let mut n = step_line + 1;
        let (indent, delimiter, media_type) = loop {
            let text = self.line(n)?;
            let t = text.trim_start();
            if let Some(delimiter) = ["\"\"\"", "```"].into_iter().find(|d| t.starts_with(*d)) {
                let media = t[delimiter.len()..].trim();
                break (text.len() - t.len(), delimiter, (!media.is_empty()).then(|| media.to_owned()));
            }
            if !(t.is_empty() || t.starts_with('#')) {
                return None;
            }
            n += 1;
        };
        let location = location(n, self.line(n).map_or(1, |l| l[..indent].chars().count() + 1));
        let escaped = delimiter.chars().flat_map(|c| ['\\', c]).collect::<String>();
        let mut lines = Vec::new();
        for line in self.lines.iter().skip(n) {
            if line.trim_start().starts_with(delimiter) {
                break;
            }
            let mut rest = *line;
            for _ in 0..indent {
                match rest.strip_prefix([' ', '\t']) {
                    Some(r) => rest = r,
                    None => break,
                }
            }
            lines.push(rest.replace(&escaped, delimiter));
        }
        Some(DocString { location, delimiter, media_type, content: lines.join("\n") })
    }
}

struct DocString {
    location: Location,
    delimiter: &'static str,
    media_type: Option<String>,
    content: String,
}

impl DocString {
    fn json(self) -> DocStringJson<'static> {
        DocStringJson {
            location: self.location,
            content: self.content.into(),
            delimiter: self.delimiter,
            media_type: self.media_type,
        }
    }
}

/// The members of a `gherkinDocument`, typed: each is serialized straight to
/// the output with its members in the order Cucumber's own implementations
/// write them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocStringJson<'a> {
    location: Location,
    content: std::borrow::Cow<'a, str>,
    delimiter: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
}

#[derive(Serialize)]
struct TagJson {
    location: Location,
    name: String,
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StepJson<'a> {
    location: Location,
    keyword: &'a str,
    keyword_type: &'static str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc_string: Option<DocStringJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_table: Option<DataTableJson<'a>>,
    id: String,
}

#[derive(Serialize)]
struct DataTableJson<'a> {
    location: Location,
    rows: Vec<TableRowJson<'a>>,
}

#[derive(Serialize)]
struct TableRowJson<'a> {
    id: String,
    location: Location,
    cells: Vec<CellJson<'a>>,
}

#[derive(Serialize)]
struct CellJson<'a> {
    location: Location,
    value: &'a str,
}

#[derive(Serialize)]
struct BackgroundJson<'a> {
    id: String,
    location: Location,
    keyword: &'a str,
    name: &'a str,
    description: &'a str,
    steps: Vec<StepJson<'a>>,
}

#[derive(Serialize)]
struct ScenarioJson<'a> {
    id: String,
    location: Location,
    tags: Vec<TagJson>,
    keyword: &'a str,
    name: &'a str,
    description: &'a str,
    steps: Vec<StepJson<'a>>,
    examples: Vec<ExamplesJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExamplesJson<'a> {
    id: String,
    location: Location,
    tags: Vec<TagJson>,
    keyword: &'a str,
    name: &'a str,
    description: &'a str,
    table_body: Vec<TableRowJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table_header: Option<TableRowJson<'a>>,
}

/// A feature's members before its children.
#[derive(Serialize)]
struct FeatureHead<'a> {
    location: Location,
    tags: Vec<TagJson>,
    language: String,
    keyword: &'a str,
    name: &'a str,
    description: &'a str,
}

/// A rule's members before its children.
#[derive(Serialize)]
struct RuleHead<'a> {
    id: String,
    location: Location,
    tags: Vec<TagJson>,
    keyword: &'a str,
    name: &'a str,
    description: &'a str,
}

/// A child of a feature or a rule (a rule is written by hand, children first).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum ChildJson<'a> {
    Background(BackgroundJson<'a>),
    Scenario(ScenarioJson<'a>),
}

/// A Cucumber Messages `Location`, written as `{"line":…,"column":…}`: a
/// pair of numbers, not a JSON tree, while the ids of a document are kept.
#[derive(Debug, Clone, Copy, Serialize)]
struct Location {
    line: usize,
    column: usize,
}

fn location(line: usize, column: usize) -> Location {
    Location { line, column }
}

fn loc(p: gherkin::LineCol) -> Location {
    location(p.line, p.col.max(1))
}

/// A JSON object's `"children"` array written element by element: `open`
/// writes the object's other members (`head`, an object, as serde_json
/// writes it) and `"children":[`, `close` the closing `]}`.
struct Children<'o, W: Write> {
    out: &'o mut W,
    first: bool,
}

impl<'o, W: Write> Children<'o, W> {
    fn open(out: &'o mut W, head: &impl Serialize) -> io::Result<Self> {
        let mut bytes = serde_json::to_vec(head)?;
        bytes.pop(); // the closing brace
        out.write_all(&bytes)?;
        out.write_all(if bytes.len() > 1 { b",\"children\":[" } else { b"\"children\":[" })?;
        Ok(Children { out, first: true })
    }

    fn push(&mut self, child: &impl Serialize) -> io::Result<()> {
        self.separator()?;
        serde_json::to_writer(&mut *self.out, child)?;
        Ok(())
    }

    /// Starts a child the caller writes itself.
    fn push_raw(&mut self, start: &[u8]) -> io::Result<()> {
        self.separator()?;
        self.out.write_all(start)
    }

    fn separator(&mut self) -> io::Result<()> {
        if !std::mem::take(&mut self.first) {
            self.out.write_all(b",")?;
        }
        Ok(())
    }

    fn close(self) -> io::Result<()> {
        self.out.write_all(b"]}")
    }
}

/// Builds `gherkinDocument` JSON and records the ids pickles refer to.
struct DocBuilder<'a, 's> {
    ids: &'a mut u64,
    source: &'a Source<'s>,
}

impl<'s> DocBuilder<'_, 's> {
    fn id(&mut self) -> String {
        let id = self.ids.to_string();
        *self.ids += 1;
        id
    }

    /// Writes the feature's JSON object to `out` (its children as they are
    /// built) and returns the ids its pickles refer to.
    fn feature(&mut self, f: &gherkin::Feature, out: &mut impl Write) -> io::Result<FeatureIds> {
        let location = loc(f.position);
        let (tags, tag_ids) = self.tags(&f.tags, f.position.line, location);
        let head = FeatureHead {
            location,
            tags,
            language: self.source.language(),
            keyword: &f.keyword,
            name: &f.name,
            description: f.description.as_deref().unwrap_or_default(),
        };
        let mut children = Children::open(out, &head)?;
        let background = match f.background.as_ref() {
            Some(bg) => {
                let (json, ids) = self.background(bg);
                children.push(&ChildJson::Background(json))?;
                Some(ids)
            }
            None => None,
        };
        let mut scenarios = Vec::with_capacity(f.scenarios.len());
        for s in &f.scenarios {
            let (json, ids) = self.scenario(s);
            children.push(&ChildJson::Scenario(json))?;
            scenarios.push(ids);
        }
        let mut rules = Vec::with_capacity(f.rules.len());
        for r in &f.rules {
            let mut rule = Vec::new();
            let ids = self.rule(r, &mut rule)?;
            children.push_raw(br#"{"rule":"#)?;
            children.out.write_all(&rule)?;
            children.out.write_all(b"}")?;
            rules.push(ids);
        }
        children.close()?;
        Ok(FeatureIds { tags: tag_ids, background, scenarios, rules })
    }

    /// Writes the rule's JSON object to `out`. Its id is allocated after its
    /// children's, and comes first: the children are serialized into a
    /// buffer (bytes, not a JSON tree) until the id is known.
    fn rule(&mut self, r: &gherkin::Rule, out: &mut Vec<u8>) -> io::Result<RuleIds> {
        let location = loc(r.position);
        let (tags, tag_ids) = self.tags(&r.tags, r.position.line, location);
        let mut body = Vec::new();
        let mut children = Children { out: &mut body, first: true };
        let background = match r.background.as_ref() {
            Some(bg) => {
                let (json, ids) = self.background(bg);
                children.push(&ChildJson::Background(json))?;
                Some(ids)
            }
            None => None,
        };
        let mut scenarios = Vec::with_capacity(r.scenarios.len());
        for s in &r.scenarios {
            let (json, ids) = self.scenario(s);
            children.push(&ChildJson::Scenario(json))?;
            scenarios.push(ids);
        }
        let head = RuleHead {
            id: self.id(),
            location,
            tags,
            keyword: &r.keyword,
            name: &r.name,
            description: r.description.as_deref().unwrap_or_default(),
        };
        let children = Children::open(out, &head)?;
        children.out.write_all(&body)?;
        children.close()?;
        Ok(RuleIds { tags: tag_ids, background, scenarios })
    }

    fn background<'f>(&mut self, bg: &'f gherkin::Background) -> (BackgroundJson<'f>, Vec<String>) {
        let (steps, ids) = self.steps(&bg.steps);
        let json = BackgroundJson {
            id: self.id(),
            location: loc(bg.position),
            keyword: &bg.keyword,
            name: &bg.name,
            description: bg.description.as_deref().unwrap_or_default(),
            steps,
        };
        (json, ids)
    }

    fn scenario<'f>(&mut self, s: &'f gherkin::Scenario) -> (ScenarioJson<'f>, ScenarioIds) {
        let location = loc(s.position);
        let (steps, step_ids) = self.steps(&s.steps);
        let mut examples = Vec::with_capacity(s.examples.len());
        let mut examples_ids = Vec::with_capacity(s.examples.len());
        for ex in &s.examples {
            let (json, ids) = self.examples(ex);
            examples.push(json);
            examples_ids.push(ids);
        }
        let (tags, tag_ids) = self.tags(&s.tags, s.position.line, location);
        let id = self.id();
        let ids = ScenarioIds { id: id.clone(), location, tags: tag_ids, steps: step_ids, examples: examples_ids };
        let json = ScenarioJson {
            id,
            location,
            tags,
            keyword: &s.keyword,
            name: &s.name,
            description: s.description.as_deref().unwrap_or_default(),
            steps,
            examples,
        };
        (json, ids)
    }

    fn examples<'f>(&mut self, ex: &'f gherkin::Examples) -> (ExamplesJson<'f>, ExamplesIds) {
        let location = loc(ex.position);
        let (tags, tag_ids) = self.tags(&ex.tags, ex.position.line, location);
        let mut header = None;
        let mut body = Vec::new();
        let mut rows = Vec::new();
        if let Some(table) = &ex.table {
            let mut table_rows = self.table_rows(table).into_iter();
            header = table_rows.next();
            for row in table_rows {
                rows.push((row.id.clone(), row.location));
                body.push(row);
            }
        }
        let json = ExamplesJson {
            id: self.id(),
            location,
            tags,
            keyword: &ex.keyword,
            name: ex.name.as_deref().unwrap_or_default(),
            description: ex.description.as_deref().unwrap_or_default(),
            table_body: body,
            table_header: header,
        };
        (json, ExamplesIds { tags: tag_ids, rows })
    }

    fn steps<'f>(&mut self, steps: &'f [gherkin::Step]) -> (Vec<StepJson<'f>>, Vec<String>) {
        let mut out = Vec::with_capacity(steps.len());
        let mut ids = Vec::with_capacity(steps.len());
        // The keyword that introduced the current step type: a later step of
        // the same type under another keyword (And, But) is a conjunction.
        let mut introduced: Option<(gherkin::StepType, &str)> = None;
        for step in steps {
            let keyword_type = match introduced {
                Some((ty, kw)) if ty == step.ty && kw != step.keyword => "Conjunction",
                _ => {
                    introduced = Some((step.ty, &step.keyword));
                    step_type(step.ty)
                }
            };
            let doc_string = step.docstring.as_ref().map(|raw| match self.source.doc_string(step.position.line) {
                Some(doc) => doc.json(),
                None => DocStringJson {
                    location: loc(step.position),
                    content: raw.clone().into(),
                    delimiter: "\"\"\"",
                    media_type: None,
                },
            });
            let data_table = step
                .table
                .as_ref()
                .map(|table| DataTableJson { location: loc(table.position), rows: self.table_rows(table) });
            let id = self.id();
            ids.push(id.clone());
            out.push(StepJson {
                location: loc(step.position),
                keyword: &step.keyword,
                keyword_type,
                text: &step.value,
                doc_string,
                data_table,
                id,
            });
        }
        (out, ids)
    }

    /// Every row of a table as a `TableRow`, with its id and location.
    fn table_rows<'f>(&mut self, table: &'f gherkin::Table) -> Vec<TableRowJson<'f>> {
        let lines = self.source.table_lines(table.position.line, table.rows.len());
        table
            .rows
            .iter()
            .zip(lines)
            .map(|(row, line)| {
                let (row_col, columns) = self.source.cell_columns(line);
                let cells = row
                    .iter()
                    .enumerate()
                    .map(|(i, value)| {
                        let column = columns.get(i).copied().unwrap_or(row_col);
                        CellJson { location: location(line, column), value }
                    })
                    .collect();
                TableRowJson { id: self.id(), location: location(line, row_col), cells }
            })
            .collect()
    }

    /// Tags as `Tag` JSON, and (name, id) pairs for pickles.
    fn tags(&mut self, tags: &[String], node_line: usize, fallback: Location) -> (Vec<TagJson>, Vec<(String, String)>) {
        let locations = self.source.tag_locations(node_line, tags, fallback);
        let mut json = Vec::with_capacity(tags.len());
        let mut ids = Vec::with_capacity(tags.len());
        for (tag, location) in tags.iter().zip(locations) {
            let name = format!("@{}", tag.trim_start_matches('@'));
            let id = self.id();
            ids.push((name.clone(), id.clone()));
            json.push(TagJson { location, name, id });
        }
        (json, ids)
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
