//! Writing an evidence bundle from the event stream.
//!
//! ```text
//! <bundle>/
//!   bundle.json                 manifest (schema certify.bundle/v1)
//!   junit.xml                   the JUnit report
//!   transcripts/<feature>/<line>-<slug>.json   every HTTP exchange of a scenario, per attempt and step
//!   transcripts/version-probe.json             the version probe's exchange, when one was sent
//!   suite/                      the exact certify.toml, feature files, catalog, schemas and snapshots
//!   attestation.intoto.jsonl    DSSE envelope of an in-toto Statement v1 (test-result predicate)
//!   attestation.sigstore.json   the same envelope as a Sigstore bundle v0.3
//! ```
//!
//! The bundle is built in a hidden temporary directory next to its final
//! place (`.NAME.partial-PID`) and renamed into place only when complete and
//! signed; a crash leaves only the temporary directory, which `certify
//! verify` rejects. Transcripts and manifest entries are written as each
//! scenario ends; secrets are redacted before anything reaches the disk, and a
//! final pass over every written file redacts every secret the run showed.

use std::{
    collections::BTreeMap,
    fs::{self, File},
    io::{self, BufRead as _, BufReader, BufWriter, Write as _},
    path::{Path, PathBuf},
    sync::Arc,
};

use certify_runner::{EventSink, RunEvent, RunSummary, ScenarioResult, Status};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{
    attest::{
        Envelope, PAYLOAD_TYPE_INTOTO, ResourceDescriptor, STATEMENT_TYPE, SigningKey, Statement,
        TEST_RESULT_PREDICATE, TestResult, hex, to_sigstore_bundle,
    },
    junit::{JunitWriter, RunInfo},
    manifest::{self, FileEntry, Header, Tallies},
    messages::Attachment,
    redact::Redactor,
};

pub const MANIFEST: &str = "bundle.json";
pub const JUNIT: &str = "junit.xml";
pub const ENVELOPE: &str = "attestation.intoto.jsonl";
pub const SIGSTORE: &str = "attestation.sigstore.json";
pub const MESSAGES: &str = "messages.ndjson";
pub const REPORT: &str = "report.html";
/// The version probe's exchange. Scenario transcripts never take this name:
/// theirs are `transcripts/<feature file path>/...`.
pub const PROBE_TRANSCRIPT: &str = "transcripts/version-probe.json";

/// Renders the bundle's HTML report from its manifest (files not yet listed)
/// and the directory being built (for transcripts).
pub type ReportRenderer = Box<dyn Fn(&manifest::Manifest, &Path) -> String>;

/// Everything the writer needs besides the events.
pub struct BundleSpec {
    /// The bundle's final directory (must not exist, or be empty).
    pub dir: PathBuf,
    /// The manifest's run-level facts; status, times, counts and verdicts are filled in at the end.
    pub header: Header,
    pub junit: RunInfo,
    /// `suite/<path>` contents: the exact files that ran.
    pub suite_files: Vec<(String, Vec<u8>)>,
    pub redact_headers: Vec<String>,
    pub redact_json: Vec<String>,
    /// Transcript bodies above this many bytes are cut (full size and sha256 kept).
    pub body_cap: usize,
    /// `None` writes an unsigned bundle, which says so.
    pub signing_key: Option<SigningKey>,
    /// Secret values resolved so far by the run (credentials); asked as scenarios end.
    pub secrets: Box<dyn Fn() -> Vec<String>>,
    /// The feature catalog and the platform version under test, for the
    /// per-feature verdicts and maturities (without them, verdicts only).
    pub catalog: Option<certify_catalog::Catalog>,
    pub version: Option<semver::Version>,
    /// Writes `report.html` (a view of the manifest, signed with the rest).
    pub report: Option<ReportRenderer>,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: already exists and is not empty; a bundle never replaces another")]
    Exists { path: PathBuf },
    #[error("the run did not finish; the bundle was not completed")]
    Unfinished,
    #[error(transparent)]
    Redact(#[from] crate::redact::RedactError),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> BundleError + '_ {
    move |source| BundleError::Io { path: path.to_path_buf(), source }
}

/// What was written.
#[derive(Debug, Clone)]
pub struct BundleOutcome {
    pub dir: PathBuf,
    /// Per catalog feature, as written in the manifest.
    pub features: Vec<certify_catalog::FeatureVerdict>,
    pub signed: bool,
    pub status: String,
    pub files: usize,
}

/// An [`EventSink`] that builds a bundle.
pub struct BundleWriter {
    spec: BundleSpec,
    tmp: PathBuf,
    redactor: Redactor,
    junit: Option<JunitWriter>,
    messages: Option<crate::messages::MessagesWriter>,
    /// Attempt and step events of scenarios in flight, replayed (redacted)
    /// to the messages writer when the scenario ends and its secrets are known.
    pending: std::collections::HashMap<String, Vec<RunEvent>>,
    scenarios: BufWriter<File>,
    tallies: Tallies,
    tests: TestLists,
    /// Files written so far, for the final redaction pass.
    written: Vec<PathBuf>,
    summary: Option<RunSummary>,
    verdicts: Option<(Vec<certify_catalog::FeatureVerdict>, Vec<String>)>,
    /// Feature files that failed to load, as the run reported them.
    load_errors: Vec<certify_runner::LoadFailure>,
    /// The project files steps read (schemas, snapshots), asked when the run ends.
    read_files: Option<ReadFiles>,
    error: Option<BundleError>,
}

/// `(path relative to the project root, path on disk)` of every file the
/// run's steps read.
pub type ReadFiles = Box<dyn Fn() -> Vec<(String, PathBuf)>>;

/// The scenario ids (and `file:line` of feature files that did not load) the
/// statement lists as passed, warned (flaky) and failed tests.
#[derive(Debug, Default, Clone)]
pub struct TestLists {
    pub passed: Vec<String>,
    pub warned: Vec<String>,
    pub failed: Vec<String>,
}

impl BundleWriter {
    /// `features` is the parsed suite as it runs (for the Cucumber Messages'
    /// sources, documents and pickles).
    pub fn create(spec: BundleSpec, features: &[certify_suite::ParsedFeature]) -> Result<BundleWriter, BundleError> {
        if spec.dir.exists() && fs::read_dir(&spec.dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
            return Err(BundleError::Exists { path: spec.dir.clone() });
        }
        // Checked before anything is written: a bad redaction path leaves no partial directory.
        let redactor = Redactor::new(&spec.redact_headers, &spec.redact_json)?;
        let name = spec.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "bundle".into());
        let parent = spec.dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(io_err(parent))?;
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
        }
        fs::create_dir_all(tmp.join("transcripts")).map_err(io_err(&tmp))?;
        for (rel, bytes) in &spec.suite_files {
            let path = tmp.join("suite").join(rel);
            if let Some(p) = path.parent() {
                fs::create_dir_all(p).map_err(io_err(p))?;
            }
            fs::write(&path, bytes).map_err(io_err(&path))?;
        }
        let junit_path = tmp.join(JUNIT);
        let junit = JunitWriter::create(&junit_path, spec.junit.clone(), features).map_err(io_err(&junit_path))?;
        let part = tmp.join(".scenarios.part");
        let scenarios = BufWriter::new(File::create(&part).map_err(io_err(&part))?);
        let messages_path = tmp.join(MESSAGES);
        let messages = crate::messages::MessagesWriter::create(&messages_path, features, &spec.junit.tool_version)
            .map_err(io_err(&messages_path))?;
        Ok(BundleWriter {
            spec,
            tmp,
            redactor,
            junit: Some(junit),
            messages: Some(messages),
            pending: std::collections::HashMap::new(),
            scenarios,
            tallies: Tallies::default(),
            tests: TestLists::default(),
            written: Vec::new(),
            summary: None,
            verdicts: None,
            load_errors: Vec::new(),
            read_files: None,
            error: None,
        })
    }

    /// The files the run's steps read are kept in `suite/` too (and so in the
    /// statement's configuration), whether or not they were there already.
    pub fn with_read_files(mut self, files: ReadFiles) -> BundleWriter {
        self.read_files = Some(files);
        self
    }

    /// Records the version probe's exchange in [`PROBE_TRANSCRIPT`], redacted
    /// like every exchange (and again by the final pass), so it is listed,
    /// hashed and signed with the other files; bundle.json's `platform`
    /// names it.
    pub fn with_probe(mut self, exchange: &certify_steps::Exchange) -> Result<BundleWriter, BundleError> {
        for s in (self.spec.secrets)() {
            self.redactor.add_persistent(&s);
        }
        let learnt = self.redactor.learn(exchange);
        self.redactor.scope(learnt);
        let doc = json!({
            "probe": "version",
            "exchanges": [self.redactor.exchange(exchange, self.spec.body_cap)],
        });
        let path = self.tmp.join(PROBE_TRANSCRIPT);
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        fs::write(&path, self.redactor.text(&text).as_bytes()).map_err(io_err(&path))?;
        self.written.push(path);
        self.spec.header.platform.transcript = Some(PROBE_TRANSCRIPT.to_owned());
        Ok(self)
    }

    /// The temporary directory the bundle is being built in.
    pub fn partial_dir(&self) -> &Path {
        &self.tmp
    }

    /// Every secret the writer learns, as it learns it: what the console
    /// must redact with too.
    pub fn secret_log(&self) -> crate::redact::SecretLog {
        self.redactor.log()
    }

    fn scenario(&mut self, result: &Arc<ScenarioResult>) -> Result<(), BundleError> {
        for s in (self.spec.secrets)() {
            self.redactor.add_persistent(&s);
        }
        let learnt: Vec<String> =
            result.attempts.iter().flat_map(|a| &a.exchanges).flat_map(|x| self.redactor.learn(x)).collect();
        self.redactor.scope(learnt);
        let events = self.pending.remove(&result.scenario.id).unwrap_or_default();
        if let Some(m) = self.messages.as_mut() {
            for ev in events {
                let started = match &ev {
                    RunEvent::AttemptStarted { scenario, attempt, .. } => Some((scenario.clone(), *attempt)),
                    _ => None,
                };
                m.on_event(&redact_event(&self.redactor, ev));
                if let Some((scenario, number)) = started
                    && let Some(attempt) = result.attempts.iter().find(|a| a.number == number)
                {
                    m.attach(&scenario, attachments(&self.redactor, attempt, self.spec.body_cap));
                }
            }
        }
        let s = &result.scenario;
        self.tallies.add(s.catalog_feature.as_deref(), result.status, s.critical);
        match result.status {
            Status::Passed => self.tests.passed.push(s.id.clone()),
            Status::Flaky => self.tests.warned.push(s.id.clone()),
            Status::NotApplicable => {}
            _ => self.tests.failed.push(s.id.clone()),
        }

        let transcript = if result.attempts.is_empty() {
            None
        } else {
            let rel = transcript_path(&s.feature_path, s.line, &s.name);
            let attempts: Vec<Value> = result
                .attempts
                .iter()
                .map(|a| {
                    json!({
                        "number": a.number,
                        "status": a.status.as_str(),
                        "exchanges": a.exchanges.iter().map(|x| transcript_exchange(&self.redactor, x, self.spec.body_cap)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let doc = json!({ "scenario": s.id, "name": s.name, "feature_file": s.feature_path, "attempts": attempts });
            let path = self.tmp.join(&rel);
            if let Some(p) = path.parent() {
                fs::create_dir_all(p).map_err(io_err(p))?;
            }
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            fs::write(&path, self.redactor.text(&text).as_bytes()).map_err(io_err(&path))?;
            self.written.push(path);
            Some(rel)
        };

        let redacted = self.redacted(result);
        let entry = scenario_entry(&redacted, transcript.as_deref());
        let line = serde_json::to_string(&entry).unwrap_or_default();
        self.scenarios.write_all(self.redactor.text(&line).as_bytes()).map_err(io_err(&self.tmp))?;
        self.scenarios.write_all(b"\n").map_err(io_err(&self.tmp))?;
        let event = RunEvent::ScenarioFinished { result: Arc::new(redacted) };
        if let Some(m) = self.messages.as_mut() {
            m.on_event(&event);
        }
        if let Some(j) = self.junit.as_mut() {
            j.on_event(&event);
        }
        Ok(())
    }

    /// A copy of the result whose messages, step texts and URLs are redacted,
    /// without the exchanges' bodies.
    fn redacted(&self, result: &ScenarioResult) -> ScenarioResult {
        let mut r = result.clone();
        for a in &mut r.attempts {
            for step in &mut a.steps {
                step.text = self.redactor.text(&step.text).into_owned();
                if let Some(f) = &mut step.failure {
                    f.message = self.redactor.text(&f.message).into_owned();
                }
            }
            for x in &mut a.exchanges {
                x.request.url = self.redactor.text(&x.request.url).into_owned();
                // The transcript has been written: the writers this copy
                // goes to (JUnit holds it until its feature file ends) need
                // no bodies, which may be up to the target's max_body each.
                x.request.body = None;
                if let Some(r) = &mut x.response {
                    r.body = certify_steps::Body::default();
                }
            }
        }
        r
    }

    /// Completes the bundle: JUnit, the final redaction pass, the manifest,
    /// the attestation, and the rename into place.
    pub fn finish(mut self) -> Result<BundleOutcome, BundleError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let summary = self.summary.take().ok_or(BundleError::Unfinished)?;
        for (rel, from) in self.read_files.as_ref().map(|f| f()).unwrap_or_default() {
            let safe = !rel.is_empty() && !rel.starts_with('/') && !rel.split('/').any(|p| p == ".." || p.is_empty());
            let to = self.tmp.join("suite").join(&rel);
            if safe && !to.exists() {
                if let Some(p) = to.parent() {
                    fs::create_dir_all(p).map_err(io_err(p))?;
                }
                fs::copy(&from, &to).map_err(io_err(&from))?;
            }
        }
        let junit_path = self.tmp.join(JUNIT);
        if let Some(j) = self.junit.take() {
            j.finish().map_err(io_err(&junit_path))?;
        }
        self.written.push(junit_path);
        let messages_path = self.tmp.join(MESSAGES);
        if let Some(m) = self.messages.take() {
            m.finish().map_err(io_err(&messages_path))?;
        }
        self.written.push(messages_path);
        self.scenarios.flush().map_err(io_err(&self.tmp))?;
        let part = self.tmp.join(".scenarios.part");
        suite_order(&part)?;
        self.written.push(part.clone());
        // The final pass: every secret of the run, over every file written
        // with only some of them active.
        self.redactor.widen();
        for path in &self.written {
            let text = fs::read_to_string(path).map_err(io_err(path))?;
            if let std::borrow::Cow::Owned(clean) = self.redactor.text(&text) {
                fs::write(path, clean).map_err(io_err(path))?;
            }
        }

        let mut header = self.spec.header.clone();
        header.schema = manifest::SCHEMA.to_owned();
        header.status = summary.status.as_str().to_owned();
        header.complete = !summary.interrupted;
        header.started_at = certify_runner::event::rfc3339::format(summary.started_at);
        header.finished_at = certify_runner::event::rfc3339::format(summary.finished_at);
        header.duration_ms = summary.duration.as_millis() as u64;
        header.counts = serde_json::to_value(&summary.counts).unwrap_or(Value::Null);
        let (features, unknown) = self.verdicts.take().unwrap_or_default();
        header.features = features;
        header.unknown_features = unknown;
        header.unlinked_scenarios = self.tallies.unlinked();
        header.broken_files = std::mem::take(&mut self.load_errors);
        header.signature.signed = self.spec.signing_key.is_some();
        header.signature.key_fingerprint =
            self.spec.signing_key.as_ref().map(|k| format!("SHA256:{}", k.public().fingerprint()));

        if let Some(render) = &self.spec.report {
            let mut scenarios = Vec::new();
            for line in BufReader::new(File::open(&part).map_err(io_err(&part))?).lines() {
                let line = line.map_err(io_err(&part))?;
                if let Ok(v) = serde_json::from_str(&line) {
                    scenarios.push(v);
                }
            }
            let view = manifest::Manifest { header: header.clone(), scenarios, files: Vec::new() };
            let path = self.tmp.join(REPORT);
            fs::write(&path, render(&view, &self.tmp)).map_err(io_err(&path))?;
        }
        let files = list_files(&self.tmp, &[MANIFEST, ENVELOPE, SIGSTORE, ".scenarios.part"])?;
        let manifest_path = self.tmp.join(MANIFEST);
        write_manifest(&manifest_path, &header, &part, &files)?;
        fs::remove_file(&part).map_err(io_err(&part))?;

        let mut subjects = files.clone();
        subjects.push(file_entry(&self.tmp, MANIFEST)?);
        subjects.sort_by(|a, b| a.path.cmp(&b.path));
        let count = subjects.len();
        if let Some(key) = &self.spec.signing_key {
            let result = attestation_result(summary.status, summary.interrupted);
            sign(&self.tmp, &statement(&header, &subjects, &self.tests, result), key)?;
        }
        sync_dir(&self.tmp);
        if self.spec.dir.exists() {
            fs::remove_dir(&self.spec.dir).map_err(io_err(&self.spec.dir))?;
        }
        fs::rename(&self.tmp, &self.spec.dir).map_err(io_err(&self.spec.dir))?;
        if let Some(parent) = self.spec.dir.parent() {
            sync_dir(parent);
        }
        Ok(BundleOutcome {
            features: header.features.clone(),
            dir: self.spec.dir.clone(),
            signed: self.spec.signing_key.is_some(),
            status: header.status,
            files: count,
        })
    }
}

/// The statement's result for a run's status: PASSED, WARNED (flaky) or FAILED.
pub fn attestation_result(status: Status, interrupted: bool) -> &'static str {
    match status {
        Status::Passed if !interrupted => "PASSED",
        Status::Flaky if !interrupted => "WARNED",
        _ => "FAILED",
    }
}

/// The in-toto Statement of a bundle: every file of `files` by sha256 and the
/// suite's git commit as subjects, the test-result predicate with `result`,
/// the `suite/` files as its configuration and `tests` as its test lists.
pub fn statement(header: &Header, files: &[FileEntry], tests: &TestLists, result: &str) -> Statement {
    let mut subject: Vec<ResourceDescriptor> = files
        .iter()
        .map(|f| ResourceDescriptor {
            name: Some(f.path.clone()),
            digest: BTreeMap::from([("sha256".to_owned(), f.sha256.clone())]),
            ..ResourceDescriptor::default()
        })
        .collect();
    if let Some(commit) = &header.git.commit {
        subject.push(ResourceDescriptor {
            uri: header.git.remote.as_ref().map(|r| format!("git+{r}")),
            digest: BTreeMap::from([("gitCommit".to_owned(), commit.clone())]),
            ..ResourceDescriptor::default()
        });
    }
    let configuration = files
        .iter()
        .filter(|f| f.path.starts_with("suite/"))
        .map(|f| ResourceDescriptor {
            name: Some(f.path.clone()),
            digest: BTreeMap::from([("sha256".to_owned(), f.sha256.clone())]),
            ..ResourceDescriptor::default()
        })
        .collect();
    let predicate = TestResult {
        result: result.to_owned(),
        configuration,
        url: None,
        passed_tests: tests.passed.clone(),
        warned_tests: tests.warned.clone(),
        failed_tests: tests.failed.clone(),
    };
    Statement {
        type_: STATEMENT_TYPE.to_owned(),
        subject,
        predicate_type: TEST_RESULT_PREDICATE.to_owned(),
        predicate: serde_json::to_value(predicate).unwrap_or(Value::Null),
    }
}

/// Signs `statement` (its bytes produced once) and writes the DSSE envelope
/// and its Sigstore bundle form into the bundle directory `dir`.
pub fn sign(dir: &Path, statement: &Statement, key: &SigningKey) -> Result<(), BundleError> {
    let payload = statement.to_bytes();
    let envelope = Envelope::sign(PAYLOAD_TYPE_INTOTO, &payload, key);
    let env_path = dir.join(ENVELOPE);
    fs::write(&env_path, envelope.to_jsonl()).map_err(io_err(&env_path))?;
    let sig_path = dir.join(SIGSTORE);
    fs::write(&sig_path, to_sigstore_bundle(&envelope, &key.public())).map_err(io_err(&sig_path))
}

impl EventSink for BundleWriter {
    fn on_event(&mut self, event: &RunEvent) {
        if self.error.is_some() {
            return;
        }
        let result = match event {
            RunEvent::ScenarioFinished { result } => self.scenario(result),
            RunEvent::Finished { summary } => {
                self.summary = Some(summary.clone());
                let (verdicts, unknown) = self.tallies.verdicts(self.spec.catalog.as_ref(), self.spec.version.as_ref());
                if let Some(j) = self.junit.as_mut() {
                    j.set_feature_verdicts(&verdicts);
                    j.on_event(event);
                }
                if let Some(m) = self.messages.as_mut() {
                    m.on_event(event);
                }
                self.verdicts = Some((verdicts, unknown));
                Ok(())
            }
            RunEvent::Started { .. } => {
                if let Some(j) = self.junit.as_mut() {
                    j.on_event(event);
                }
                if let Some(m) = self.messages.as_mut() {
                    m.on_event(event);
                }
                Ok(())
            }
            RunEvent::AttemptStarted { scenario, .. }
            | RunEvent::StepFinished { scenario, .. }
            | RunEvent::AttemptFinished { scenario, .. } => {
                self.pending.entry(scenario.id.clone()).or_default().push(event.clone());
                Ok(())
            }
            RunEvent::FeatureFinished { .. } => {
                if let Some(m) = self.messages.as_mut() {
                    m.on_event(event);
                }
                Ok(())
            }
            RunEvent::LoadFailed { failure } => {
                self.tallies.load_failed(failure);
                self.tests.failed.push(failure.id());
                self.load_errors.push((**failure).clone());
                if let Some(j) = self.junit.as_mut() {
                    j.on_event(event);
                }
                if let Some(m) = self.messages.as_mut() {
                    m.on_event(event);
                }
                Ok(())
            }
        };
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}

/// One exchange as the transcript records it: secrets redacted, bodies cut at `cap`.
fn transcript_exchange(r: &Redactor, x: &certify_steps::Exchange, cap: usize) -> Value {
    r.exchange(x, cap)
}

/// The exchanges of an attempt as Cucumber Messages attachments, one per
/// exchange, each the exchange as its transcript records it (redacted and
/// capped the same way, the text redacted again as the transcript file is).
fn attachments(r: &Redactor, attempt: &certify_runner::event::Attempt, cap: usize) -> Vec<Attachment> {
    attempt
        .exchanges
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let json = serde_json::to_string_pretty(&transcript_exchange(r, x, cap)).unwrap_or_default();
            let status = x.response.as_ref().map_or_else(|| "no-response".to_owned(), |resp| resp.status.to_string());
            Attachment {
                step_line: x.step_line,
                media_type: "application/json".to_owned(),
                body: r.text(&json).into_owned(),
                file_name: Some(format!("http-{}-{}-{status}.json", i + 1, x.request.method)),
                at: x.started_at,
            }
        })
        .collect()
}

/// An attempt or step event with its texts and messages redacted.
fn redact_event(r: &Redactor, ev: RunEvent) -> RunEvent {
    let step = |mut s: certify_runner::event::StepRecord| {
        s.text = r.text(&s.text).into_owned();
        if let Some(f) = &mut s.failure {
            f.message = r.text(&f.message).into_owned();
        }
        s
    };
    match ev {
        RunEvent::StepFinished { scenario, attempt, step: s } => {
            RunEvent::StepFinished { scenario, attempt, step: step(s) }
        }
        RunEvent::AttemptFinished { scenario, mut attempt, will_retry } => {
            attempt.steps = attempt.steps.into_iter().map(step).collect();
            attempt.exchanges.clear();
            RunEvent::AttemptFinished { scenario, attempt, will_retry }
        }
        other => other,
    }
}

/// `transcripts/<feature path>/<line>-<slug>.json`, every component made of
/// `[A-Za-z0-9._-]` (never `..`, never absolute).
pub fn transcript_path(feature_path: &str, line: usize, name: &str) -> String {
    let clean = |s: &str| -> String {
        let c: String = s
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
            .collect();
        let c = c.trim_matches('.').to_owned();
        if c.is_empty() { "_".to_owned() } else { c }
    };
    let dirs: Vec<String> =
        feature_path.split('/').filter(|p| !p.is_empty() && *p != "." && *p != "..").map(clean).collect();
    let slug: String = clean(&name.to_ascii_lowercase()).chars().take(60).collect();
    format!("transcripts/{}/{line}-{}.json", dirs.join("/"), slug.trim_matches('-'))
}

/// Rewrites the scenario entries (one JSON object a line, in the order the
/// scenarios finished) in suite order: by feature file, then line. So
/// bundle.json and the report list them the same way on every run, whatever
/// the concurrency did.
fn suite_order(part: &Path) -> Result<(), BundleError> {
    #[derive(serde::Deserialize)]
    struct Place {
        feature_file: String,
        line: u64,
    }
    let text = fs::read_to_string(part).map_err(io_err(part))?;
    let mut entries: Vec<(Option<(String, u64)>, &str)> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| (serde_json::from_str::<Place>(l).ok().map(|p| (p.feature_file, p.line)), l))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut sorted = String::with_capacity(text.len());
    for (_, line) in entries {
        sorted.push_str(line);
        sorted.push('\n');
    }
    fs::write(part, sorted).map_err(io_err(part))
}

fn scenario_entry(r: &ScenarioResult, transcript: Option<&str>) -> Value {
    let s = &r.scenario;
    let attempts: Vec<Value> = r
        .attempts
        .iter()
        .map(|a| {
            json!({
                "number": a.number,
                "status": a.status.as_str(),
                "started_at": certify_runner::event::rfc3339::format(a.started_at),
                "duration_ms": (a.duration.as_micros() as f64) / 1000.0,
                "steps": a.steps,
            })
        })
        .collect();
    json!({
        "id": s.id,
        "name": s.name,
        "feature_file": s.feature_path,
        "line": s.line,
        "rule": s.rule,
        "feature": s.catalog_feature,
        "critical": s.critical,
        "tags": s.tags,
        "outline": s.outline_values.iter().cloned().collect::<BTreeMap<_, _>>(),
        "status": r.status.as_str(),
        "reason": s.excluded.as_ref().map(|e| e.reason.clone()),
        "duration_ms": r.duration().as_millis() as u64,
        "attempts": attempts,
        "transcript": transcript,
    })
}

/// Writes `bundle.json`: the header's fields, then the streamed scenario
/// entries, then the file list.
pub fn write_manifest(path: &Path, header: &Header, part: &Path, files: &[FileEntry]) -> Result<(), BundleError> {
    let mut out = BufWriter::new(File::create(path).map_err(io_err(path))?);
    let head = serde_json::to_string_pretty(header).unwrap_or_else(|_| "{}".to_owned());
    let head = head.trim_end().strip_suffix('}').unwrap_or(&head).trim_end();
    let mut w = || -> io::Result<()> {
        out.write_all(head.as_bytes())?;
        out.write_all(b",\n  \"scenarios\": [")?;
        let mut first = true;
        for line in BufReader::new(File::open(part)?).lines() {
            let line = line?;
            if line.is_empty() {
                continue;
            }
            out.write_all(if first { b"\n    " } else { b",\n    " })?;
            out.write_all(line.as_bytes())?;
            first = false;
        }
        out.write_all(b"\n  ],\n  \"files\": ")?;
        let list = serde_json::to_string_pretty(files).unwrap_or_else(|_| "[]".to_owned());
        out.write_all(list.replace('\n', "\n  ").as_bytes())?;
        out.write_all(b"\n}\n")?;
        out.flush()?;
        out.get_ref().sync_all()
    };
    w().map_err(io_err(path))
}

/// Every regular file under `root` (sorted, `/`-separated), except the names in `skip` at the top.
pub fn list_files(root: &Path, skip: &[&str]) -> Result<Vec<FileEntry>, BundleError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(io_err(&dir))? {
            let entry = entry.map_err(io_err(&dir))?;
            let path = entry.path();
            let ty = entry.file_type().map_err(io_err(&path))?;
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            if ty.is_dir() {
                stack.push(path);
            } else if ty.is_file() && !skip.contains(&rel.as_str()) {
                out.push(file_entry(root, &rel)?);
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

pub fn file_entry(root: &Path, rel: &str) -> Result<FileEntry, BundleError> {
    let path = root.join(rel);
    let (sha256, size) = hash_file(&path).map_err(io_err(&path))?;
    Ok(FileEntry { path: rel.to_owned(), sha256, size })
}

/// sha256 (hex) and size of a file, streamed.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let size = io::copy(&mut file, &mut HashWriter(&mut hasher))?;
    Ok((hex(&hasher.finalize()), size))
}

struct HashWriter<'a>(&'a mut Sha256);

impl io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::transcript_path;

    #[test]
    fn transcript_paths_stay_inside_the_bundle() {
        assert_eq!(
            transcript_path("features/tenant-signup.feature", 13, "Sign-up creates a tenant!"),
            "transcripts/features/tenant-signup.feature/13-sign-up-creates-a-tenant.json"
        );
        assert_eq!(transcript_path("../../etc/x y.feature", 1, "a/b"), "transcripts/etc/x-y.feature/1-a-b.json");
        assert_eq!(transcript_path("/abs/f.feature", 2, ""), "transcripts/abs/f.feature/2-_.json");
    }
}
