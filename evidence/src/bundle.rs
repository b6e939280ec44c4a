//! Writing an evidence bundle from the event stream.
//!
//! ```text
//! <bundle>/
//!   bundle.json                 manifest (schema certify.bundle/v1)
//!   junit.xml                   the JUnit report
//!   transcripts/<feature path>.ndjson   every HTTP exchange, one line per attempt (see `transcripts`)
//!   transcripts/version-probe.json      the version probe's exchange, when one was sent
//!   transcripts/api-description.json    the request that fetched the API description, when it was fetched
//!   suite/                      the exact certify.toml, feature files, catalog, schemas and snapshots
//!   attestation.intoto.jsonl    DSSE envelope of an in-toto Statement v1 (test-result predicate)
//!   attestation.sigstore.json   the same envelope as a Sigstore bundle v0.3
//! ```
//!
//! The bundle is built in a hidden temporary directory next to its final
//! place (`.NAME.partial-PID`) and renamed into place only when complete and
//! signed; a crash leaves only the temporary directory, which `certify
//! verify` rejects.
//!
//! [`BundleWriter`] is the directory; the writers of the event stream are
//! separate ([`BundleWriters`]: JUnit, Cucumber Messages, the scenario
//! entries' spool, the transcripts), composed by the caller behind the
//! redaction adapter ([`crate::stream`]) and handed back to
//! [`BundleWriter::finish`]. Secrets are redacted before anything reaches the
//! disk, and a final pass over every written file, line by line, redacts
//! every secret the run showed. At the end, bundle.json and report.html are
//! assembled from the spool in suite order, one entry at a time.

use std::{
    collections::{BTreeMap, HashMap},
    fs::{self, File},
    io::{self, BufRead as _, BufReader, BufWriter, Write as _},
    path::{Path, PathBuf},
};

use certify_runner::{RunEvent, RunSummary, Status};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{
    attest::{
        Envelope, PAYLOAD_TYPE_INTOTO, ResourceDescriptor, STATEMENT_TYPE, SigningKey, Statement,
        TEST_RESULT_PREDICATE, TestResult, hex, to_sigstore_bundle,
    },
    junit::{JunitWriter, RunInfo},
    manifest::{self, Entries, FileEntry, Header, ScenarioEntry, Tallies},
    messages::{Attachment, MessagesWriter},
    redact::Redactor,
    spool::{Spool, SpoolReader},
    stream::{Record, Redact, Secrets, Tee, Writer},
    transcripts::{TranscriptIndex, TranscriptWriter, transcript_path},
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

/// The request that fetched the target's API description, when it was fetched.
pub const API_TRANSCRIPT: &str = "transcripts/api-description.json";

/// Writes the bundle's HTML report from the manifest's header (files not yet
/// listed), its scenario entries (streamed in suite order) and a lookup of an
/// attempt's transcript.
pub type ReportRenderer =
    Box<dyn Fn(&Header, &dyn Entries, manifest::TranscriptLookup<'_>, &mut dyn io::Write) -> io::Result<()>>;

/// Everything the writer needs besides the events.
pub struct BundleSpec {
    /// The bundle's final directory (must not exist, or be empty).
    pub dir: PathBuf,
    /// The manifest's run-level facts; status, times, counts and verdicts are filled in at the end.
    pub header: Header,
    pub junit: RunInfo,
    /// `suite/<path>` contents: the exact files that ran.
    pub suite_files: Vec<(String, std::sync::Arc<[u8]>)>,
    pub redact_headers: Vec<String>,
    pub redact_json: Vec<String>,
    /// Transcript bodies above this many bytes are cut (full size and sha256 kept).
    pub body_cap: usize,
    /// `None` writes an unsigned bundle, which says so.
    pub signing_key: Option<SigningKey>,
    /// Secret values resolved so far by the run (credentials); asked as scenarios end.
    pub secrets: Secrets,
    /// The feature catalog and the platform version under test, for the
    /// per-feature verdicts and maturities (without them, verdicts only).
    pub catalog: Option<certify_catalog::Catalog>,
    pub version: Option<semver::Version>,
    /// Writes `report.html` (a view of the manifest, signed with the rest).
    pub report: Option<ReportRenderer>,
    /// bundle.json's `api`, asked when the run has finished (`None`: the target names no API
    /// description).
    pub api: Option<Box<dyn Fn() -> Option<manifest::ApiRecord> + Send>>,
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
    #[error("the evidence writer thread could not be started: {source}")]
    Thread {
        #[source]
        source: io::Error,
    },
    #[error("the evidence writer thread stopped unexpectedly; the bundle was not completed")]
    WriterPanicked,
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
    /// bundle.json's `api`, when the target names an API description.
    pub api: Option<manifest::ApiRecord>,
}

/// The bundle being built: its temporary directory and what the end needs.
/// The events go to [`BundleWriters`] (see [`BundleWriter::create`]).
pub struct BundleWriter {
    spec: BundleSpec,
    tmp: PathBuf,
    /// Until [`BundleWriter::redact`] hands it to the redaction adapter.
    redactor: Option<Redactor>,
    /// Files written besides the writers' (the probe's transcript).
    written: Vec<PathBuf>,
    /// The project files steps read (schemas, snapshots), asked when the run ends.
    read_files: Option<ReadFiles>,
}

/// The bundle's writers of the redacted stream, fed by one tee.
pub type BundleWriters = Tee<JunitWriter, Tee<MessagesWriter, Tee<EntriesWriter, TranscriptWriter>>>;

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

/// The test lists as a run gathers them: a scenario whose id is its
/// file's path and its line (every planned scenario's) by its place, 8
/// bytes; its id is written out when the statement is made, the lists in
/// suite order. Ids of another form, and feature files that did not load,
/// as they are.
#[derive(Debug, Default)]
struct Gathered {
    places: [Vec<u64>; 3],
    ids: [Vec<String>; 3],
}

impl Gathered {
    const PASSED: usize = 0;
    const WARNED: usize = 1;
    const FAILED: usize = 2;

    fn push(&mut self, list: usize, s: &certify_runner::event::PlannedScenario, place: u64) {
        // `path:line`, the line written plainly (no sign, no leading zero).
        let line = s.id.strip_prefix(&*s.feature_path).and_then(|rest| rest.strip_prefix(':'));
        let regular = place != u64::MAX
            && u32::try_from(s.line).is_ok()
            && line.is_some_and(|l| {
                l.bytes().all(|b| b.is_ascii_digit())
                    && (l == "0" || !l.starts_with('0'))
                    && l.parse::<usize>() == Ok(s.line)
            });
        if regular {
            self.places[list].push(place);
        } else {
            self.ids[list].push(s.id.clone());
        }
    }

    /// The lists, ids written out from places (`paths[rank]` and the line).
    fn lists(self, paths: &[&str]) -> TestLists {
        let mut out: [Vec<String>; 3] = Default::default();
        for ((list, mut places), ids) in out.iter_mut().zip(self.places).zip(self.ids) {
            places.sort_unstable();
            list.reserve_exact(places.len() + ids.len());
            for place in places {
                let path = usize::try_from(place >> 32).ok().and_then(|rank| paths.get(rank)).copied().unwrap_or("?");
                list.push(format!("{path}:{}", place & u64::from(u32::MAX)));
            }
            list.extend(ids);
        }
        let [passed, warned, failed] = out;
        TestLists { passed, warned, failed }
    }
}

/// The spool of bundle.json's scenario entries, and the run's tallies.
const SPOOL: &str = ".scenarios.spool";

impl BundleWriter {
    /// Creates the temporary directory with `suite/` and the writers.
    /// `features` is the parsed suite as it runs (for the Cucumber Messages'
    /// sources, documents and pickles, and JUnit's testcase names).
    pub fn create(
        mut spec: BundleSpec,
        features: &[certify_suite::ParsedFeature],
    ) -> Result<(BundleWriter, BundleWriters), BundleError> {
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
        // Written, then let go: the feature files' text is not held twice for the run.
        for (rel, bytes) in std::mem::take(&mut spec.suite_files) {
            let path = tmp.join("suite").join(rel);
            if let Some(p) = path.parent() {
                fs::create_dir_all(p).map_err(io_err(p))?;
            }
            fs::write(&path, bytes).map_err(io_err(&path))?;
        }
        let junit_path = tmp.join(JUNIT);
        let junit = JunitWriter::create(&junit_path, spec.junit.clone(), features).map_err(io_err(&junit_path))?;
        let messages_path = tmp.join(MESSAGES);
        let messages = MessagesWriter::create(&messages_path, features, &spec.junit.tool_version)
            .map_err(io_err(&messages_path))?;
        let spool_path = tmp.join(SPOOL);
        let entries = EntriesWriter {
            spool: Spool::create(&spool_path).map_err(io_err(&spool_path))?,
            files: HashMap::new(),
            tallies: Tallies::default(),
            tests: Gathered::default(),
            load_errors: Vec::new(),
            summary: None,
        };
        let transcripts = TranscriptWriter::new(&tmp);
        let writers = Tee::new(junit, Tee::new(messages, Tee::new(entries, transcripts)));
        let bundle = BundleWriter { spec, tmp, redactor: Some(redactor), written: Vec::new(), read_files: None };
        Ok((bundle, writers))
    }

    /// The redaction adapter over `writers` (the bundle's, teed with any
    /// others), with this bundle's redaction policy, body cap and secrets.
    /// Call once, after [`BundleWriter::with_probe`].
    pub fn redact<W: Writer>(&mut self, writers: W) -> Redact<W> {
        let redactor = self.redactor.take().unwrap_or_else(|| Redactor::of_values(std::iter::empty()));
        let secrets = std::mem::replace(&mut self.spec.secrets, Box::new(Vec::new));
        Redact::new(redactor, self.spec.body_cap, secrets, writers)
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
        if self.transcript_of("version", PROBE_TRANSCRIPT, exchange)? {
            self.spec.header.platform.transcript = Some(PROBE_TRANSCRIPT.to_owned());
        }
        Ok(self)
    }

    /// Records the request that fetched the target's API description in [`API_TRANSCRIPT`],
    /// like the version probe's (bundle.json's `api.transcript` names it).
    pub fn with_api_fetch(mut self, exchange: &certify_steps::Exchange) -> Result<BundleWriter, BundleError> {
        self.transcript_of("api-description", API_TRANSCRIPT, exchange)?;
        Ok(self)
    }

    /// Writes one exchange of the run made outside any scenario to `rel`, redacted; false
    /// when the writer has no redactor any more (nothing written).
    fn transcript_of(
        &mut self,
        kind: &str,
        rel: &str,
        exchange: &certify_steps::Exchange,
    ) -> Result<bool, BundleError> {
        let secrets = (self.spec.secrets)();
        let Some(redactor) = self.redactor.as_mut() else { return Ok(false) };
        for s in secrets {
            redactor.add_persistent(&s);
        }
        let learnt = redactor.learn(exchange);
        redactor.scope(learnt);
        let doc = json!({
            "probe": kind,
            "exchanges": [redactor.exchange(exchange, self.spec.body_cap)],
        });
        let path = self.tmp.join(rel);
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        fs::write(&path, redactor.text(&text).as_bytes()).map_err(io_err(&path))?;
        self.written.push(path);
        Ok(true)
    }

    /// The temporary directory the bundle is being built in.
    pub fn partial_dir(&self) -> &Path {
        &self.tmp
    }

    /// Every secret the writer learns, as it learns it: what the console
    /// must redact with too.
    pub fn secret_log(&self) -> crate::redact::SecretLog {
        self.redactor.as_ref().map(Redactor::log).unwrap_or_default()
    }

    /// Completes the bundle from the redaction adapter over the bundle's own writers.
    pub fn finish_redacted(self, redact: Redact<BundleWriters>) -> Result<BundleOutcome, BundleError> {
        let (redactor, writers, error) = redact.into_parts();
        self.finish(redactor, writers, error)
    }

    /// Completes the bundle: JUnit, the final redaction pass, report.html and
    /// bundle.json from the spool, the attestation, and the rename into
    /// place. `error` is the first error a writer met: the bundle is then
    /// left incomplete (its temporary directory), and so is it when the run
    /// did not reach its end.
    pub fn finish(
        self,
        mut redactor: Redactor,
        writers: BundleWriters,
        error: Option<BundleError>,
    ) -> Result<BundleOutcome, BundleError> {
        if let Some(e) = error {
            return Err(e);
        }
        let Tee { left: junit, right: Tee { left: messages, right: Tee { left: entries, right: transcripts } } } =
            writers;
        let EntriesWriter { spool, tallies, tests, load_errors, summary, files } = entries;
        let mut paths: Vec<(&str, u64)> = files.iter().map(|(path, rank)| (path.as_str(), *rank)).collect();
        paths.sort_unstable_by_key(|(_, rank)| *rank);
        let tests = tests.lists(&paths.iter().map(|(path, _)| *path).collect::<Vec<_>>());
        let summary = summary.ok_or(BundleError::Unfinished)?;
        for (rel, from) in self.read_files.as_ref().map(|f| f()).unwrap_or_default() {
            let safe = certify_steps::plain_relative_name(&rel);
            let to = self.tmp.join("suite").join(&rel);
            if safe && !to.exists() {
                if let Some(p) = to.parent() {
                    fs::create_dir_all(p).map_err(io_err(p))?;
                }
                fs::copy(&from, &to).map_err(io_err(&from))?;
            }
        }
        let (features, unknown) = tallies.verdicts(self.spec.catalog.as_ref(), self.spec.version.as_ref());
        let mut junit = junit;
        junit.set_feature_verdicts(&features);
        let junit_path = self.tmp.join(JUNIT);
        let messages_path = self.tmp.join(MESSAGES);
        let mut written = self.written.clone();
        written.extend(transcripts.finish()?.into_iter().map(|rel| self.tmp.join(rel)));
        let spool_path = spool.path().to_path_buf();
        let spool = spool.finish().map_err(io_err(&spool_path))?;
        // The final pass: every secret of the run, over every file written
        // with only some of them active. The spool's entries are redacted
        // as they are read back (the pass would move their offsets).
        redactor.widen();
        let redactor = &redactor;
        let rel = |path: &Path| path.strip_prefix(&self.tmp).unwrap_or(path).to_string_lossy().replace('\\', "/");
        // Each file is hashed as the pass writes it: listing the bundle does
        // not read it again. JUnit and the messages (the largest file, which
        // report.html does not read) are completed and passed over on a
        // second thread while this one renders the report.
        let (known, header) = std::thread::scope(|scope| -> Result<_, BundleError> {
            let second = scope.spawn(|| -> Result<Vec<(String, Digest)>, BundleError> {
                junit.finish().map_err(io_err(&junit_path))?;
                messages.finish().map_err(io_err(&messages_path))?;
                [&junit_path, &messages_path].into_iter().map(|p| Ok((rel(p), redact_file(redactor, p)?))).collect()
            });
            let mut known = HashMap::new();
            for path in &written {
                known.insert(rel(path), redact_file(redactor, path)?);
            }
            let header = self.complete_header(&summary, features, unknown, &tallies, load_errors);
            if let Some(render) = &self.spec.report {
                let entries = SpoolEntries { spool: &spool, redactor };
                known.insert(REPORT.to_owned(), self.render_report(render, &header, &entries)?);
            }
            let theirs = second.join().map_err(|_| BundleError::WriterPanicked)??;
            known.extend(theirs);
            Ok((known, header))
        })?;

        let files = list_files_known(&self.tmp, &[MANIFEST, ENVELOPE, SIGSTORE, SPOOL], &known)?;
        let manifest_path = self.tmp.join(MANIFEST);
        let (sha256, size) = write_manifest(&manifest_path, &header, &spool, redactor, &files)?;
        fs::remove_file(&spool_path).map_err(io_err(&spool_path))?;

        let mut subjects = files.clone();
        subjects.push(FileEntry { path: MANIFEST.to_owned(), sha256, size });
        subjects.sort_by(|a, b| a.path.cmp(&b.path));
        let count = subjects.len();
        if let Some(key) = &self.spec.signing_key {
            let result = attestation_result(summary.status, summary.interrupted);
            sign(&self.tmp, &statement(&header, &subjects, &tests, result), key)?;
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
            api: header.api,
        })
    }

    /// The manifest's header as the run ended.
    fn complete_header(
        &self,
        summary: &RunSummary,
        features: Vec<certify_catalog::FeatureVerdict>,
        unknown: Vec<String>,
        tallies: &Tallies,
        load_errors: Vec<certify_runner::LoadFailure>,
    ) -> Header {
        let mut header = self.spec.header.clone();
        header.schema = manifest::SCHEMA.to_owned();
        header.status = summary.status.as_str().to_owned();
        header.complete = !summary.interrupted;
        header.started_at = certify_runner::event::rfc3339::format(summary.started_at);
        header.finished_at = certify_runner::event::rfc3339::format(summary.finished_at);
        header.duration_ms = summary.duration.as_millis() as u64;
        header.counts = serde_json::to_value(&summary.counts).unwrap_or(Value::Null);
        header.features = features;
        header.unknown_features = unknown;
        header.unlinked_scenarios = tallies.unlinked();
        header.broken_files = load_errors;
        header.api = self.spec.api.as_ref().and_then(|record| record());
        header.signature.signed = self.spec.signing_key.is_some();
        header.signature.key_fingerprint =
            self.spec.signing_key.as_ref().map(|k| format!("SHA256:{}", k.public().fingerprint()));
        header
    }

    /// Writes report.html, hashed as it is written.
    fn render_report(
        &self,
        render: &ReportRenderer,
        header: &Header,
        entries: &SpoolEntries<'_>,
    ) -> Result<Digest, BundleError> {
        let path = self.tmp.join(REPORT);
        let index = TranscriptIndex::new(&self.tmp);
        let lookup = |rel: &str, id: &str, attempt: usize| index.lookup(rel, id, attempt);
        let mut hasher = Sha256::new();
        let mut out = Hashed::new(BufWriter::new(File::create(&path).map_err(io_err(&path))?), &mut hasher);
        render(header, entries, &lookup, &mut out).map_err(io_err(&path))?;
        out.flush().map_err(io_err(&path))?;
        let size = out.size;
        Ok((hex(&hasher.finalize()), size))
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

/// bundle.json's scenario entries, spooled as scenarios end, and the run's
/// tallies and test lists (for the verdicts and the statement).
pub struct EntriesWriter {
    spool: Spool,
    /// Feature file path -> its rank in suite order: a scenario's place is
    /// its file's rank, then its line (nothing is kept per scenario).
    files: HashMap<String, u64>,
    tallies: Tallies,
    tests: Gathered,
    /// Feature files that failed to load, as the run reported them.
    load_errors: Vec<certify_runner::LoadFailure>,
    summary: Option<RunSummary>,
}

impl EntriesWriter {
    /// Scenario entries spooled so far (none is held in memory: only its
    /// place and its offset in the spool).
    pub fn spooled(&self) -> usize {
        self.spool.len()
    }
}

impl Writer for EntriesWriter {
    fn write(&mut self, record: &Record) -> Result<(), BundleError> {
        match &record.event {
            RunEvent::Started { plan, .. } => {
                let mut paths: Vec<&str> = plan.features.iter().map(|f| f.path.as_str()).collect();
                paths.sort_unstable();
                paths.dedup();
                self.files = paths.into_iter().enumerate().map(|(i, p)| (p.to_owned(), i as u64)).collect();
            }
            RunEvent::LoadFailed { failure } => {
                self.tallies.load_failed(failure);
                self.tests.ids[Gathered::FAILED].push(failure.id());
                self.load_errors.push((**failure).clone());
            }
            RunEvent::ScenarioFinished { result } => {
                let s = &result.scenario;
                self.tallies.add(s.catalog_feature.as_deref(), result.status, s.critical);
                let place = self.files.get(&*s.feature_path).map_or(u64::MAX, |rank| (rank << 32) | s.line as u64);
                match result.status {
                    Status::Passed => self.tests.push(Gathered::PASSED, s, place),
                    Status::Flaky => self.tests.push(Gathered::WARNED, s, place),
                    Status::NotApplicable => {}
                    _ => self.tests.push(Gathered::FAILED, s, place),
                }
                let transcript = (!result.attempts.is_empty()).then(|| transcript_path(&s.feature_path));
                let mut line = serde_json::to_vec(&ScenarioEntry::of(result, transcript)).unwrap_or_default();
                line.push(b'\n');
                let path = self.spool.path().to_path_buf();
                self.spool.append(place, &line).map_err(io_err(&path))?;
            }
            RunEvent::Finished { summary } => self.summary = Some(summary.clone()),
            _ => {}
        }
        Ok(())
    }
}

impl Writer for JunitWriter {
    fn write(&mut self, record: &Record) -> Result<(), BundleError> {
        certify_runner::EventSink::on_event(self, &record.event);
        Ok(())
    }
}

impl Writer for MessagesWriter {
    fn write(&mut self, record: &Record) -> Result<(), BundleError> {
        certify_runner::EventSink::on_event(self, &record.event);
        if let RunEvent::AttemptStarted { scenario, .. } = &record.event {
            self.attach(scenario, attachments(&record.exchanges));
        }
        Ok(())
    }
}

/// The exchanges of an attempt as Cucumber Messages attachments, one per
/// exchange, each the exchange exactly as its transcript records it.
fn attachments(exchanges: &[crate::stream::Rendered]) -> Vec<Attachment> {
    exchanges
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let status = x.status.map_or_else(|| "no-response".to_owned(), |s| s.to_string());
            Attachment {
                step_line: x.step_line,
                media_type: "application/json".to_owned(),
                body: x.json.to_string(),
                file_name: Some(format!("http-{}-{}-{status}.json", i + 1, x.method)),
                at: x.at,
            }
        })
        .collect()
}

/// The spooled entries in suite order, each redacted with every secret of
/// the run and read back as its type.
struct SpoolEntries<'a> {
    spool: &'a SpoolReader,
    redactor: &'a Redactor,
}

impl SpoolEntries<'_> {
    /// Each entry's line, redacted.
    fn lines(&self, f: &mut dyn FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        self.spool.each(&mut |bytes| {
            let text = std::str::from_utf8(bytes).map_err(io::Error::other)?;
            f(self.redactor.text(text.trim_end()).as_ref())
        })
    }
}

impl Entries for SpoolEntries<'_> {
    fn each(&self, f: &mut dyn FnMut(&ScenarioEntry)) -> io::Result<()> {
        self.lines(&mut |line| {
            let entry: ScenarioEntry = serde_json::from_str(line).map_err(io::Error::other)?;
            f(&entry);
            Ok(())
        })
    }
}

/// Redacts a written file with the active secrets, line by line (a secret
/// never spans lines: every form of it is single-line), replacing the file
/// only when something changed.
fn redact_file(redactor: &Redactor, path: &Path) -> Result<(String, u64), BundleError> {
    if redactor.secret_count() == 0 {
        // Nothing to redact: the file is only hashed, streamed (a line of
        // it, such as a large feature file's gherkinDocument, is never held).
        return hash_file(path).map_err(io_err(path));
    }
    let tmp = path.with_extension("redacting");
    let mut changed = false;
    let mut hasher = Sha256::new();
    let size;
    {
        let mut input = BufReader::new(File::open(path).map_err(io_err(path))?);
        let mut out = Hashed::new(BufWriter::new(File::create(&tmp).map_err(io_err(&tmp))?), &mut hasher);
        let mut line = Vec::new();
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line).map_err(io_err(path))? == 0 {
                break;
            }
            match std::str::from_utf8(&line) {
                Ok(text) => match redactor.text(text) {
                    std::borrow::Cow::Owned(clean) => {
                        changed = true;
                        out.write_all(clean.as_bytes()).map_err(io_err(&tmp))?;
                    }
                    std::borrow::Cow::Borrowed(_) => out.write_all(&line).map_err(io_err(&tmp))?,
                },
                Err(_) => match redactor.bytes(&line) {
                    Some(clean) => {
                        changed = true;
                        out.write_all(&clean).map_err(io_err(&tmp))?;
                    }
                    None => out.write_all(&line).map_err(io_err(&tmp))?,
                },
            }
        }
        out.flush().map_err(io_err(&tmp))?;
        size = out.size;
    }
    if changed {
        fs::rename(&tmp, path).map_err(io_err(path))?;
    } else {
        fs::remove_file(&tmp).map_err(io_err(&tmp))?;
    }
    Ok((hex(&hasher.finalize()), size))
}

/// A file's sha256 (hex) and size.
pub type Digest = (String, u64);

/// A writer that hashes and counts what goes through it.
struct Hashed<'a, W> {
    inner: W,
    hasher: &'a mut Sha256,
    size: u64,
}

impl<'a, W: io::Write> Hashed<'a, W> {
    fn new(inner: W, hasher: &'a mut Sha256) -> Hashed<'a, W> {
        Hashed { inner, hasher, size: 0 }
    }
}

impl<W: io::Write> io::Write for Hashed<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `bundle.json`: the header's fields, then the spooled scenario
/// entries in suite order (redacted as they are copied), then the file list.
fn write_manifest(
    path: &Path,
    header: &Header,
    spool: &SpoolReader,
    redactor: &Redactor,
    files: &[FileEntry],
) -> Result<Digest, BundleError> {
    let entries = SpoolEntries { spool, redactor };
    write_manifest_lines(path, header, &mut |line| entries.lines(line), files)
}

/// A scenario entry's JSON, one line, for [`write_manifest_lines`].
pub type EntryLine<'a> = &'a mut dyn FnMut(&str) -> io::Result<()>;

/// Writes `bundle.json` from its header, the scenario entries `entries` hands
/// over as JSON lines in suite order, and the file list: the one layout of the
/// file, for runs and merges alike. Returns its sha256 (hex) and size, hashed
/// as it is written.
pub fn write_manifest_lines(
    path: &Path,
    header: &Header,
    entries: &mut dyn FnMut(EntryLine<'_>) -> io::Result<()>,
    files: &[FileEntry],
) -> Result<Digest, BundleError> {
    let mut hasher = Sha256::new();
    let mut out = Hashed::new(BufWriter::new(File::create(path).map_err(io_err(path))?), &mut hasher);
    let head = serde_json::to_string_pretty(header).unwrap_or_else(|_| "{}".to_owned());
    let head = head.trim_end().strip_suffix('}').unwrap_or(&head).trim_end();
    let mut w = || -> io::Result<()> {
        out.write_all(head.as_bytes())?;
        out.write_all(b",\n  \"scenarios\": [")?;
        let mut first = true;
        entries(&mut |line| {
            out.write_all(if first { b"\n    " } else { b",\n    " })?;
            out.write_all(line.as_bytes())?;
            first = false;
            Ok(())
        })?;
        out.write_all(b"\n  ],\n  \"files\": ")?;
        let list = serde_json::to_string_pretty(files).unwrap_or_else(|_| "[]".to_owned());
        out.write_all(list.replace('\n', "\n  ").as_bytes())?;
        out.write_all(b"\n}\n")?;
        out.flush()?;
        out.inner.get_ref().sync_all()
    };
    w().map_err(io_err(path))?;
    let size = out.size;
    Ok((hex(&hasher.finalize()), size))
}

/// Every regular file under `root` (sorted, `/`-separated), except the names in `skip` at the top.
pub fn list_files(root: &Path, skip: &[&str]) -> Result<Vec<FileEntry>, BundleError> {
    list_files_known(root, skip, &HashMap::new())
}

/// [`list_files`], taking the digests of the files in `known` (by path
/// relative to `root`) as they were computed when the files were written.
fn list_files_known(
    root: &Path,
    skip: &[&str],
    known: &HashMap<String, (String, u64)>,
) -> Result<Vec<FileEntry>, BundleError> {
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
                match known.get(&rel) {
                    Some((sha256, size)) => out.push(FileEntry { path: rel, sha256: sha256.clone(), size: *size }),
                    None => out.push(file_entry(root, &rel)?),
                }
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
    use certify_runner::event::PlannedScenario;

    use super::Gathered;

    fn scenario(id: &str, path: &str, line: usize) -> PlannedScenario {
        PlannedScenario { id: id.into(), feature_path: path.into(), line, ..PlannedScenario::default() }
    }

    /// A scenario's id is kept as its place and written out again exactly;
    /// an id of another form is kept as it is; the lists come in suite order.
    #[test]
    fn test_lists_keep_places_and_write_the_ids_back() {
        let mut g = Gathered::default();
        let place = |rank: u64, line: u64| (rank << 32) | line;
        g.push(Gathered::PASSED, &scenario("b.feature:7", "b.feature", 7), place(1, 7));
        g.push(Gathered::PASSED, &scenario("a.feature:12", "a.feature", 12), place(0, 12));
        g.push(Gathered::PASSED, &scenario("a.feature:3", "a.feature", 3), place(0, 3));
        // Not `path:line`: a leading zero, another line, another path.
        g.push(Gathered::FAILED, &scenario("a.feature:03", "a.feature", 3), place(0, 3));
        g.push(Gathered::FAILED, &scenario("a.feature:4", "a.feature", 5), place(0, 5));
        g.push(Gathered::WARNED, &scenario("x.feature:9", "b.feature", 9), place(1, 9));
        g.ids[Gathered::FAILED].insert(0, "broken.feature:1".into());
        let lists = g.lists(&["a.feature", "b.feature"]);
        assert_eq!(lists.passed, ["a.feature:3", "a.feature:12", "b.feature:7"]);
        assert_eq!(lists.warned, ["x.feature:9"]);
        assert_eq!(lists.failed, ["broken.feature:1", "a.feature:03", "a.feature:4"]);
    }
}
