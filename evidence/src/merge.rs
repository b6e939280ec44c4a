//! Merging the shard bundles of one run (`certify merge`) into one bundle.
//!
//! [`Shards::open`] verifies every shard with the auditor's check
//! ([`crate::verify::verify_bundle`]) before reading anything else from it,
//! then checks that the shards belong together: the same suite revision,
//! target (name and base URL), platform version and tag selection, shards
//! `K/N` with one `N` and each `K` in `1..=N` exactly once, and identical
//! `suite/` directories. [`Shards::merge`] then writes a bundle with the
//! layout of a run's:
//!
//! - **recomputed**: bundle.json's status, counts, times (earliest start,
//!   latest end), per-feature tallies and verdicts (the one rule,
//!   [`Tallies`]), the statement's result and test lists, JUnit's counts and
//!   times, its `<properties>` (the merged run's id) and feature verdicts;
//! - **concatenated**: the scenario entries (in suite order), the JUnit
//!   testcases of each feature file (by line), the Cucumber Messages of the
//!   run (one `meta`, one `testRunStarted`/`testRunFinished`, the shards'
//!   test cases with their ids renumbered so that they stay unique), NDJSON
//!   transcripts of the same name (line by line, in shard order);
//! - **kept once**: `suite/`, the shared Cucumber Messages (sources,
//!   documents, pickles, step definitions, parse errors), files that did not
//!   load, JSON transcripts (the same name with other contents is refused);
//!   the first shard's version probe keeps its name, the others' are kept as
//!   `transcripts/version-probe.shard-K.json` (and the API description's fetch, when there is
//!   one, as `transcripts/api-description.shard-K.json`); bundle.json's `api`, the shards'
//!   counts added up ([`ApiRecord::merged`]).
//!
//! bundle.json's `shards` records each shard's `K/N`, run id and the sha256
//! of its envelope. Nothing here talks to a target; the CLI passes in the
//! keys, the signing key, the catalog and the report renderer.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fs::{self, File},
    io::{self, BufRead as _, BufReader, BufWriter, Write as _},
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use certify_catalog::{Catalog, FeatureVerdict};
use certify_runner::{LoadFailure, Status, event::Counts};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::{
    GitInfo,
    attest::{PublicKey, SigningKey},
    bundle::{
        self, API_TRANSCRIPT, BundleError, ENVELOPE, JUNIT, MANIFEST, MESSAGES, PROBE_TRANSCRIPT, REPORT,
        ReportRenderer, SIGSTORE, TestLists, hash_file, list_files,
    },
    junit::{self, RunInfo},
    manifest::{self, ApiRecord, FileEntry, Header, Manifest, ScenarioEntry, ShardRecord, Tallies},
    verify::verify_bundle,
    xml,
};

/// Why shards were not merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A shard does not verify.
    #[error("{bundle}: does not verify, so it is not merged:\n  {problems}")]
    Invalid { bundle: String, problems: String },
    /// The bundles given are not the shards of one run, or one of them
    /// cannot be merged (what differs, which shard is missing or repeated).
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Bundle(#[from] BundleError),
}

impl MergeError {
    /// The shards given are at fault (invalid, foreign, missing, repeated),
    /// not the machine writing the merged bundle.
    pub fn is_input(&self) -> bool {
        match self {
            MergeError::Invalid { .. } | MergeError::Refused(_) => true,
            MergeError::Bundle(BundleError::Exists { .. }) => true,
            MergeError::Io { .. } | MergeError::Bundle(_) => false,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(io::Error) -> MergeError + '_ {
    move |source| MergeError::Io { path: path.to_path_buf(), source }
}

fn refused(msg: impl Into<String>) -> MergeError {
    MergeError::Refused(msg.into())
}

/// One verified shard bundle.
#[derive(Debug, Clone)]
pub struct ShardBundle {
    pub dir: PathBuf,
    pub shard: certify_suite::Shard,
    pub header: Header,
    /// sha256 (hex) of its `attestation.intoto.jsonl`.
    pub envelope_sha256: String,
}

impl ShardBundle {
    fn name(&self) -> String {
        self.dir.display().to_string()
    }
}

/// The verified shards of one run, in shard order.
#[derive(Debug)]
pub struct Shards {
    list: Vec<ShardBundle>,
}

/// What the merged bundle needs besides the shards.
pub struct MergeSpec {
    /// The merged bundle's directory (must not exist, or be empty).
    pub dir: PathBuf,
    pub run_id: String,
    pub tool_version: String,
    /// `None` writes an unsigned bundle, which says so.
    pub signing_key: Option<SigningKey>,
    /// The catalog and platform version the verdicts are computed with.
    pub catalog: Option<Catalog>,
    pub version: Option<semver::Version>,
    pub report: Option<ReportRenderer>,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    pub dir: PathBuf,
    pub header: Header,
    /// PASSED, WARNED or FAILED.
    pub result: &'static str,
    pub signed: bool,
    pub files: usize,
}

impl MergeOutcome {
    /// Passed or flaky, and complete.
    pub fn passed(&self) -> bool {
        self.result != "FAILED"
    }
}

/// The top-level entries of a bundle that merging knows.
const KNOWN: &[&str] = &[MANIFEST, JUNIT, MESSAGES, REPORT, ENVELOPE, SIGSTORE, "suite", "transcripts"];

impl Shards {
    /// Verifies each bundle against `keys` and checks that they are the
    /// shards of one run.
    pub fn open(dirs: &[PathBuf], keys: &[PublicKey]) -> Result<Shards, MergeError> {
        if dirs.is_empty() {
            return Err(refused("no shard bundles given"));
        }
        let mut list: Vec<ShardBundle> = Vec::new();
        for dir in dirs {
            let name = dir.display().to_string();
            let v = verify_bundle(dir, keys);
            if !v.valid {
                let problems: Vec<String> = v.problems.iter().map(|p| format!("{}: {}", p.file, p.reason)).collect();
                return Err(MergeError::Invalid { bundle: name, problems: problems.join("\n  ") });
            }
            let path = dir.join(MANIFEST);
            let file = File::open(&path).map_err(io(&path))?;
            let header: Header = serde_json::from_reader(BufReader::new(file))
                .map_err(|e| refused(format!("{name}: {MANIFEST}: not a certify bundle manifest: {e}")))?;
            let Some(text) = header.selection.shard.as_deref() else {
                return Err(refused(format!(
                    "{name}: not a shard: its run was not split with --shard K/N (bundle.json selection.shard is null)"
                )));
            };
            let shard: certify_suite::Shard =
                text.parse().map_err(|e| refused(format!("{name}: {MANIFEST}: selection.shard: {e}")))?;
            let envelope = dir.join(ENVELOPE);
            let (envelope_sha256, _) = hash_file(&envelope).map_err(io(&envelope))?;
            for entry in fs::read_dir(dir).map_err(io(dir))?.flatten() {
                let entry_name = entry.file_name().to_string_lossy().into_owned();
                if !KNOWN.contains(&entry_name.as_str()) {
                    return Err(refused(format!(
                        "{name}: {entry_name}: certify merge does not know how to merge this file (it knows {})",
                        KNOWN.join(", ")
                    )));
                }
            }
            let this = ShardBundle { dir: dir.clone(), shard, header, envelope_sha256 };
            if let Some(first) = list.first() {
                belongs_with(first, &this)?;
            }
            if let Some(same) = list.iter().find(|s| s.shard.index == this.shard.index) {
                return Err(refused(format!(
                    "{name}: shard {} is given twice: {} is shard {} too (run {} and run {})",
                    this.shard,
                    same.name(),
                    same.shard,
                    this.header.run_id,
                    same.header.run_id
                )));
            }
            list.push(this);
        }
        let count = list[0].shard.count;
        let missing: Vec<String> =
            (1..=count).filter(|k| !list.iter().any(|s| s.shard.index == *k)).map(|k| format!("{k}/{count}")).collect();
        if !missing.is_empty() {
            let given: Vec<String> = list.iter().map(|s| s.shard.to_string()).collect();
            return Err(refused(format!(
                "shard {} missing: the bundles given are shards {} of a run split {count} ways",
                if missing.len() == 1 { format!("{} is", missing[0]) } else { format!("s {} are", missing.join(", ")) },
                given.join(", ")
            )));
        }
        list.sort_by_key(|s| s.shard.index);
        same_suite(&list)?;
        Ok(Shards { list })
    }

    /// The shards, in shard order.
    pub fn list(&self) -> &[ShardBundle] {
        &self.list
    }

    /// The `suite/` directory the shards ran (identical in every shard).
    pub fn suite_dir(&self) -> PathBuf {
        self.list[0].dir.join("suite")
    }

    /// The platform version the shards ran at.
    pub fn platform_version(&self) -> &str {
        &self.list[0].header.platform.version
    }

    /// Writes the merged bundle (built in `.NAME.partial-PID` next to it and
    /// renamed into place when complete and signed).
    pub fn merge(&self, spec: MergeSpec) -> Result<MergeOutcome, MergeError> {
        if spec.dir.exists() && fs::read_dir(&spec.dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
            return Err(BundleError::Exists { path: spec.dir.clone() }.into());
        }
        let name = spec.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "bundle".into());
        let parent = spec.dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(io(parent))?;
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
        }
        fs::create_dir_all(&tmp).map_err(io(&tmp))?;
        let result = self.write(&spec, &tmp);
        if result.is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        let (header, result, files) = result?;
        if spec.dir.exists() {
            fs::remove_dir(&spec.dir).map_err(io(&spec.dir))?;
        }
        fs::rename(&tmp, &spec.dir).map_err(io(&spec.dir))?;
        bundle::sync_dir(parent);
        Ok(MergeOutcome { dir: spec.dir.clone(), header, result, signed: spec.signing_key.is_some(), files })
    }

    fn write(&self, spec: &MergeSpec, tmp: &Path) -> Result<(Header, &'static str, usize), MergeError> {
        let first = &self.list[0];
        copy_tree(&first.dir.join("suite"), &tmp.join("suite"))?;
        self.transcripts(tmp)?;

        // Scenario entries: each shard's (in suite order) to a part file,
        // then merged into suite order over all shards.
        let mut parts = Vec::new();
        for s in &self.list {
            let part = tmp.join(format!(".shard-{}.part", s.shard.index));
            write_entries(s, &part)?;
            parts.push(part);
        }
        let merged_part = tmp.join(".scenarios.part");
        let mut stats = merge_entries(&self.list, &parts, &merged_part)?;
        for p in &parts {
            fs::remove_file(p).map_err(io(p))?;
        }

        // Files that did not load are the same in every shard: once.
        let mut broken: Vec<LoadFailure> = Vec::new();
        for failure in self.list.iter().flat_map(|s| &s.header.broken_files) {
            if !broken.contains(failure) {
                broken.push(failure.clone());
            }
        }
        let mut tests = TestLists::default();
        for failure in &broken {
            stats.tallies.load_failed(failure);
            let id = failure.id();
            if !tests.failed.contains(&id) {
                tests.failed.push(id);
            }
        }
        tests.passed.append(&mut stats.tests.passed);
        tests.warned.append(&mut stats.tests.warned);
        tests.failed.append(&mut stats.tests.failed);

        let counts = merged_counts(&self.list);
        let interrupted = self.list.iter().any(|s| !s.header.complete);
        let status = counts.status(interrupted);
        let (features, unknown) = stats.tallies.verdicts(spec.catalog.as_ref(), spec.version.as_ref());
        let started = self.list.iter().filter_map(|s| parse_time(&s.header.started_at)).min();
        let finished = self.list.iter().filter_map(|s| parse_time(&s.header.finished_at)).max();
        let duration = match (started, finished) {
            (Some(a), Some(b)) => b.duration_since(a).unwrap_or_default(),
            _ => Duration::ZERO,
        };

        let mut header = first.header.clone();
        header.run_id = spec.run_id.clone();
        header.status = status.as_str().to_owned();
        header.complete = !interrupted;
        header.started_at = started.map(certify_runner::event::rfc3339::format).unwrap_or_default();
        header.finished_at = finished.map(certify_runner::event::rfc3339::format).unwrap_or_default();
        header.duration_ms = duration.as_millis() as u64;
        header.tool.version = spec.tool_version.clone();
        header.selection.shard = None;
        header.counts = counts_value(&counts);
        header.features = features;
        header.unknown_features = unknown;
        header.unlinked_scenarios = stats.tallies.unlinked();
        header.broken_files = broken;
        header.api = ApiRecord::merged(self.list.iter().filter_map(|s| s.header.api.as_ref()));
        header.signature.signed = spec.signing_key.is_some();
        header.signature.key_fingerprint =
            spec.signing_key.as_ref().map(|k| format!("SHA256:{}", k.public().fingerprint()));
        header.shards = self
            .list
            .iter()
            .map(|s| ShardRecord {
                shard: s.shard.to_string(),
                run_id: s.header.run_id.clone(),
                envelope_sha256: s.envelope_sha256.clone(),
            })
            .collect();

        let info = RunInfo {
            run_id: header.run_id.clone(),
            target: header.target.name.clone(),
            platform_version: header.platform.version.clone(),
            git: git_info(&header.git),
            tool_version: spec.tool_version.clone(),
            signed: spec.signing_key.is_some(),
        };
        merge_junit(&self.list, &tmp.join(JUNIT), &info, &header, &stats, duration)?;
        let success = !interrupted && status.is_pass();
        merge_messages(&self.list, &tmp.join(MESSAGES), success)?;

        if let Some(render) = &spec.report {
            let mut scenarios: Vec<ScenarioEntry> = Vec::new();
            let file = File::open(&merged_part).map_err(io(&merged_part))?;
            for line in BufReader::new(file).lines() {
                let line = line.map_err(io(&merged_part))?;
                if let Ok(v) = serde_json::from_str(&line) {
                    scenarios.push(v);
                }
            }
            let index = crate::transcripts::TranscriptIndex::new(tmp);
            let lookup = |rel: &str, id: &str, attempt: usize| index.lookup(rel, id, attempt);
            let path = tmp.join(REPORT);
            let mut out = BufWriter::new(File::create(&path).map_err(io(&path))?);
            render(&header, &scenarios, &lookup, &mut out).and_then(|()| out.flush()).map_err(io(&path))?;
        }

        let files = list_files(tmp, &[MANIFEST, ENVELOPE, SIGSTORE, ".scenarios.part"])?;
        let manifest_path = tmp.join(MANIFEST);
        let (sha256, size) = bundle::write_manifest_lines(
            &manifest_path,
            &header,
            &mut |line| {
                let file = File::open(&merged_part)?;
                for entry in BufReader::new(file).lines() {
                    line(&entry?)?;
                }
                Ok(())
            },
            &files,
        )?;
        fs::remove_file(&merged_part).map_err(io(&merged_part))?;
        let mut subjects: Vec<FileEntry> = files;
        subjects.push(FileEntry { path: MANIFEST.to_owned(), sha256, size });
        subjects.sort_by(|a, b| a.path.cmp(&b.path));
        let result = bundle::attestation_result(status, interrupted);
        if let Some(key) = &spec.signing_key {
            bundle::sign(tmp, &bundle::statement(&header, &subjects, &tests, result), key)?;
        }
        bundle::sync_dir(tmp);
        Ok((header, result, subjects.len()))
    }

    /// Every shard's `transcripts/`: NDJSON files of one name concatenated
    /// in shard order, other files kept once (refused when they differ),
    /// each shard's version probe kept.
    fn transcripts(&self, tmp: &Path) -> Result<(), MergeError> {
        let mut origin: HashMap<String, String> = HashMap::new();
        for (i, s) in self.list.iter().enumerate() {
            let root = s.dir.join("transcripts");
            if !root.is_dir() {
                continue;
            }
            let mut files = Vec::new();
            walk(&root, &root, &mut files)?;
            files.sort();
            for rel in files {
                let rel = format!("transcripts/{rel}");
                let from = s.dir.join(&rel);
                let dest_rel = if rel == PROBE_TRANSCRIPT && i > 0 {
                    format!("transcripts/version-probe.shard-{}.json", s.shard.index)
                } else if rel == API_TRANSCRIPT && i > 0 {
                    format!("transcripts/api-description.shard-{}.json", s.shard.index)
                } else {
                    rel.clone()
                };
                let to = tmp.join(&dest_rel);
                if let Some(p) = to.parent() {
                    fs::create_dir_all(p).map_err(io(p))?;
                }
                if rel.ends_with(".ndjson") {
                    append_lines(&from, &to)?;
                } else if to.exists() {
                    let (a, _) = hash_file(&from).map_err(io(&from))?;
                    let (b, _) = hash_file(&to).map_err(io(&to))?;
                    if a != b {
                        return Err(refused(format!(
                            "{}: {rel} differs from the file of that name in {}: a transcript that is not NDJSON is \
                             one scenario's, and no scenario runs in two shards",
                            s.name(),
                            origin.get(&dest_rel).map_or("another shard", String::as_str)
                        )));
                    }
                } else {
                    fs::copy(&from, &to).map_err(io(&from))?;
                    origin.insert(dest_rel, s.name());
                }
            }
        }
        Ok(())
    }
}

/// Checks that `other` is a shard of the same run as `first`.
fn belongs_with(first: &ShardBundle, other: &ShardBundle) -> Result<(), MergeError> {
    let (a, b) = (&first.header, &other.header);
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_owned());
    let checks: [(&str, String, String); 6] = [
        ("suite git commit", show(&b.git.commit), show(&a.git.commit)),
        ("target", b.target.name.clone(), a.target.name.clone()),
        ("target base URL", b.target.base_url.clone(), a.target.base_url.clone()),
        ("platform version", b.platform.version.clone(), a.platform.version.clone()),
        ("selection (--tags)", show(&b.selection.tags), show(&a.selection.tags)),
        ("shard count", other.shard.count.to_string(), first.shard.count.to_string()),
    ];
    for (what, theirs, ours) in checks {
        if theirs != ours {
            return Err(refused(format!(
                "{}: its {what} is {theirs:?}, but {} (shard {}) has {ours:?}: the shards of one run have the same \
                 suite revision, target, platform version, selection and shard count",
                other.name(),
                first.name(),
                first.shard
            )));
        }
    }
    Ok(())
}

/// Every shard's `suite/` must be the first one's, file for file.
fn same_suite(list: &[ShardBundle]) -> Result<(), MergeError> {
    let first = &list[0];
    let suite_of = |s: &ShardBundle| -> Result<BTreeMap<String, String>, MergeError> {
        let dir = s.dir.join("suite");
        if !dir.is_dir() {
            return Ok(BTreeMap::new());
        }
        Ok(list_files(&dir, &[])?.into_iter().map(|f| (f.path, f.sha256)).collect())
    };
    let ours = suite_of(first)?;
    for s in &list[1..] {
        let theirs = suite_of(s)?;
        let paths: BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
        for path in paths {
            let why = match (ours.get(path), theirs.get(path)) {
                (Some(a), Some(b)) if a == b => continue,
                (Some(_), Some(_)) => "differs from",
                (Some(_), None) => "is missing, but is in",
                (None, _) => "is not in",
            };
            return Err(refused(format!(
                "{}: suite/{path} {why} {} (shard {}): the shards of one run ran the same suite",
                s.name(),
                first.name(),
                first.shard
            )));
        }
    }
    Ok(())
}

/// One shard's scenario entries, one JSON object a line.
fn write_entries(s: &ShardBundle, part: &Path) -> Result<(), MergeError> {
    let path = s.dir.join(MANIFEST);
    let file = File::open(&path).map_err(io(&path))?;
    let manifest: Manifest = serde_json::from_reader(BufReader::new(file))
        .map_err(|e| refused(format!("{}: {MANIFEST}: not a certify bundle manifest: {e}", s.name())))?;
    let mut out = BufWriter::new(File::create(part).map_err(io(part))?);
    for entry in &manifest.scenarios {
        let line = serde_json::to_string(entry).unwrap_or_default();
        out.write_all(line.as_bytes()).map_err(io(part))?;
        out.write_all(b"\n").map_err(io(part))?;
    }
    out.flush().map_err(io(part))
}

/// What the merged scenario entries say, for the manifest, JUnit and the statement.
#[derive(Default)]
struct Stats {
    tallies: Tallies,
    tests: TestLists,
    /// Per feature file: the shards' scenario lines, by shard position.
    lines: BTreeMap<String, Vec<Vec<usize>>>,
    /// Per feature file: first attempt start and last attempt end.
    wall: BTreeMap<String, (SystemTime, SystemTime)>,
    /// Per feature file: the catalog features its scenarios are linked to.
    features: BTreeMap<String, BTreeSet<String>>,
}

/// Merges the shards' entry parts (each in suite order) into `out` in suite
/// order (feature file, then line) and tallies them.
fn merge_entries(list: &[ShardBundle], parts: &[PathBuf], out: &Path) -> Result<Stats, MergeError> {
    let mut readers = Vec::new();
    for p in parts {
        readers.push(BufReader::new(File::open(p).map_err(io(p))?).lines());
    }
    let next = |i: usize,
                readers: &mut Vec<io::Lines<BufReader<File>>>|
     -> Result<Option<(ScenarioEntry, String)>, MergeError> {
        for line in readers[i].by_ref() {
            let line = line.map_err(io(&parts[i]))?;
            if line.is_empty() {
                continue;
            }
            let entry: ScenarioEntry = serde_json::from_str(&line).map_err(|e| {
                refused(format!("{}: {MANIFEST}: a scenario entry is not what certify writes: {e}", list[i].name()))
            })?;
            return Ok(Some((entry, line)));
        }
        Ok(None)
    };
    let mut heads = Vec::new();
    for i in 0..parts.len() {
        heads.push(next(i, &mut readers)?);
    }
    let mut stats = Stats::default();
    let mut w = BufWriter::new(File::create(out).map_err(io(out))?);
    let mut last: Option<(String, usize, usize)> = None;
    loop {
        let pick = heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|(e, _)| (i, (&e.feature_file, e.line))))
            .min_by(|a, b| a.1.cmp(&b.1))
            .map(|(i, _)| i);
        let Some(i) = pick else { break };
        let Some((entry, line)) = heads[i].take() else { break };
        if let Some((file, l, j)) = &last
            && *file == entry.feature_file
            && *l == entry.line
        {
            return Err(refused(format!(
                "scenario {} is in two shards: {} and {}; a scenario runs in one shard only",
                entry.id,
                list[*j].name(),
                list[i].name()
            )));
        }
        let status = entry.status;
        stats.tallies.add(entry.feature.as_deref(), status, entry.critical);
        match status {
            Status::Passed => stats.tests.passed.push(entry.id.clone()),
            Status::Flaky => stats.tests.warned.push(entry.id.clone()),
            Status::NotApplicable => {}
            _ => stats.tests.failed.push(entry.id.clone()),
        }
        let lines = stats.lines.entry(entry.feature_file.clone()).or_insert_with(|| vec![Vec::new(); list.len()]);
        lines[i].push(entry.line);
        for a in &entry.attempts {
            if let Some(start) = parse_time(&a.started_at) {
                let end = start + Duration::from_secs_f64(a.duration_ms.max(0.0) / 1000.0);
                let wall = stats.wall.entry(entry.feature_file.clone()).or_insert((start, end));
                wall.0 = wall.0.min(start);
                wall.1 = wall.1.max(end);
            }
        }
        if let Some(f) = &entry.feature {
            stats.features.entry(entry.feature_file.clone()).or_default().insert(f.clone());
        }
        w.write_all(line.as_bytes()).map_err(io(out))?;
        w.write_all(b"\n").map_err(io(out))?;
        last = Some((entry.feature_file, entry.line, i));
        heads[i] = next(i, &mut readers)?;
    }
    w.flush().map_err(io(out))?;
    Ok(stats)
}

/// The shards' counts: summed, except what every shard counts whole (the
/// scenarios planned and the files that did not load).
fn merged_counts(list: &[ShardBundle]) -> Counts {
    let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0) as usize;
    let mut c = Counts::default();
    for s in list {
        let v = &s.header.counts;
        c.planned = c.planned.max(n(v, "planned"));
        c.load_errors = c.load_errors.max(n(v, "load_errors"));
        c.selected += n(v, "selected");
        c.passed += n(v, "passed");
        c.flaky += n(v, "flaky");
        c.failed += n(v, "failed");
        c.errored += n(v, "errored");
        c.interrupted += n(v, "interrupted");
        c.not_run += n(v, "not_run");
        c.not_applicable += n(v, "not_applicable");
    }
    c
}

fn counts_value(c: &Counts) -> Value {
    serde_json::to_value(c).unwrap_or(Value::Null)
}

fn parse_time(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339(text).ok()
}

fn git_info(g: &manifest::Git) -> GitInfo {
    let source = match g.source.as_str() {
        "repository" => "repository",
        "build" => "build",
        _ => "none",
    };
    GitInfo {
        commit: g.commit.clone(),
        branch: g.branch.clone(),
        tags: g.tags.clone(),
        dirty: g.dirty,
        remote: g.remote.clone(),
        source,
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), MergeError> {
    if !from.is_dir() {
        return Ok(());
    }
    let mut files = Vec::new();
    walk(from, from, &mut files)?;
    for rel in files {
        let dest = to.join(&rel);
        if let Some(p) = dest.parent() {
            fs::create_dir_all(p).map_err(io(p))?;
        }
        let src = from.join(&rel);
        fs::copy(&src, &dest).map_err(io(&src))?;
    }
    Ok(())
}

/// Regular files under `dir`, relative to `root`, `/`-separated.
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), MergeError> {
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let ty = entry.file_type().map_err(io(&path))?;
        if ty.is_dir() {
            walk(root, &path, out)?;
        } else if ty.is_file() {
            out.push(path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Appends the lines of `from` to `to` (created when missing), ending with a newline.
fn append_lines(from: &Path, to: &Path) -> Result<(), MergeError> {
    let bytes = fs::read(from).map_err(io(from))?;
    let mut out = fs::OpenOptions::new().create(true).append(true).open(to).map_err(io(to))?;
    out.write_all(&bytes).map_err(io(to))?;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        out.write_all(b"\n").map_err(io(to))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// JUnit

/// A `<testsuite>` of a shard's junit.xml: its attributes and the byte
/// ranges of its testcases.
struct SuiteXml {
    attrs: HashMap<String, String>,
    cases: Vec<(usize, usize)>,
}

impl SuiteXml {
    fn count(&self, k: &str) -> usize {
        self.attrs.get(k).and_then(|v| v.parse().ok()).unwrap_or(0)
    }
}

fn attrs(e: &quick_xml::events::BytesStart<'_>) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let v = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|e| e.to_string())?;
        out.insert(a.key.as_ref().to_owned(), v.into_owned());
    }
    Ok(out)
}

/// The testsuites of a JUnit report as certify writes it.
fn parse_junit(text: &str) -> Result<Vec<SuiteXml>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut suites = Vec::new();
    let mut current: Option<SuiteXml> = None;
    let mut case_start: Option<usize> = None;
    let mut depth_in_case = 0usize;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| format!("not well-formed XML at byte {before}: {e}"))?;
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) if case_start.is_some() => {
                let _ = e;
                depth_in_case += 1;
            }
            Event::End(_) if case_start.is_some() && depth_in_case > 0 => depth_in_case -= 1,
            Event::End(e) if case_start.is_some() => {
                if e.name().as_ref() != "testcase" {
                    return Err(format!("unexpected </{}> in a testcase", e.name().as_ref()));
                }
                if let (Some(s), Some(start)) = (current.as_mut(), case_start.take()) {
                    s.cases.push((start, after));
                }
            }
            Event::Start(e) if e.name().as_ref() == "testsuite" => {
                current = Some(SuiteXml { attrs: attrs(&e)?, cases: Vec::new() });
            }
            Event::Empty(e) if e.name().as_ref() == "testsuite" => {
                suites.push(SuiteXml { attrs: attrs(&e)?, cases: Vec::new() });
            }
            Event::Start(e) if e.name().as_ref() == "testcase" => {
                if current.is_none() {
                    return Err("a testcase outside a testsuite".to_owned());
                }
                case_start = Some(before);
                depth_in_case = 0;
            }
            Event::Empty(e) if e.name().as_ref() == "testcase" => match current.as_mut() {
                Some(s) => s.cases.push((before, after)),
                None => return Err("a testcase outside a testsuite".to_owned()),
            },
            Event::End(e) if e.name().as_ref() == "testsuite" => {
                if let Some(s) = current.take() {
                    suites.push(s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if case_start.is_some() || current.is_some() {
        return Err("the document ends inside a testsuite".to_owned());
    }
    Ok(suites)
}

/// One junit.xml of the shards' testsuites: one testsuite per feature file,
/// its testcases by line, counts and times recomputed, the merged run's
/// properties and feature verdicts.
fn merge_junit(
    list: &[ShardBundle],
    out: &Path,
    info: &RunInfo,
    header: &Header,
    stats: &Stats,
    duration: Duration,
) -> Result<(), MergeError> {
    let mut texts = Vec::new();
    let mut suites = Vec::new();
    for s in list {
        let path = s.dir.join(JUNIT);
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let parsed = parse_junit(&text).map_err(|e| refused(format!("{}: {JUNIT}: {e}", s.name())))?;
        texts.push(text);
        suites.push(parsed);
    }
    // file -> [(shard position, testsuite)]
    let mut by_file: BTreeMap<String, Vec<(usize, &SuiteXml)>> = BTreeMap::new();
    for (i, list) in suites.iter().enumerate() {
        for suite in list {
            let file = suite.attrs.get("file").cloned().unwrap_or_default();
            by_file.entry(file).or_default().push((i, suite));
        }
    }
    let broken: HashMap<&str, &LoadFailure> = header.broken_files.iter().map(|b| (b.file.as_str(), b)).collect();
    let verdicts: HashMap<&str, &FeatureVerdict> = header.features.iter().map(|f| (f.id.as_str(), f)).collect();

    let mut body: Vec<u8> = Vec::new();
    let (mut tests, mut failures, mut errors) = (0usize, 0usize, 0usize);
    for (file, parts) in &by_file {
        let Some(&(_, first)) = parts.first() else { continue };
        // (line, shard position, testcase range)
        let mut cases: Vec<(usize, usize, (usize, usize))> = Vec::new();
        let (mut t, mut f, mut e, mut sk) = (0, 0, 0, 0);
        let ids: BTreeSet<String>;
        if let Some(failure) = broken.get(file.as_str()) {
            // A file that did not load is the same testsuite in every shard: once.
            let (i, suite) = parts[0];
            cases.extend(suite.cases.iter().map(|r| (0, i, *r)));
            (t, f, e, sk) =
                (suite.count("tests"), suite.count("failures"), suite.count("errors"), suite.count("skipped"));
            ids = failure.features.iter().cloned().collect();
        } else {
            for &(i, suite) in parts {
                let lines = stats.lines.get(file).map(|l| l[i].as_slice()).unwrap_or(&[]);
                if lines.len() != suite.cases.len() {
                    return Err(refused(format!(
                        "{}: {JUNIT} has {} testcases for {file}, its {MANIFEST} {} scenarios",
                        list[i].name(),
                        suite.cases.len(),
                        lines.len()
                    )));
                }
                cases.extend(lines.iter().zip(&suite.cases).map(|(l, r)| (*l, i, *r)));
                t += suite.count("tests");
                f += suite.count("failures");
                e += suite.count("errors");
                sk += suite.count("skipped");
            }
            ids = stats.features.get(file).cloned().unwrap_or_default();
        }
        cases.sort_by_key(|(line, i, _)| (*line, *i));
        let (time, timestamp) = match stats.wall.get(file) {
            Some((start, end)) => {
                (end.duration_since(*start).unwrap_or_default(), humantime::format_rfc3339_seconds(*start).to_string())
            }
            None => (Duration::ZERO, first.attrs.get("timestamp").cloned().unwrap_or_default()),
        };
        let name = first.attrs.get("name").cloned().unwrap_or_default();
        let w = |body: &mut Vec<u8>, s: &str| body.extend_from_slice(s.as_bytes());
        w(
            &mut body,
            &format!(
                "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"{e}\" skipped=\"{sk}\" time=\"{}\" \
                 timestamp=\"{}\" file=\"{}\">\n    <properties>\n",
                xml::text(&name),
                junit::seconds(time),
                xml::text(&timestamp),
                xml::text(file),
            ),
        );
        for (k, v) in info.properties() {
            w(&mut body, &format!("      <property name=\"{k}\" value=\"{}\"/>\n", xml::text(&v)));
        }
        for id in &ids {
            let (verdict, maturity) = match verdicts.get(id.as_str()) {
                Some(v) => (v.verdict.as_str(), v.maturity.map_or("unknown", |m| m.as_str())),
                None => ("unknown", "unknown"),
            };
            junit::feature_properties(&mut body, id, ids.len() == 1, verdict, maturity).map_err(io(out))?;
        }
        w(&mut body, "    </properties>\n");
        for (_, i, (a, b)) in &cases {
            w(&mut body, "    ");
            w(&mut body, &texts[*i][*a..*b]);
            w(&mut body, "\n");
        }
        w(&mut body, "  </testsuite>\n");
        tests += t;
        failures += f;
        errors += e;
    }
    let mut w = BufWriter::new(File::create(out).map_err(io(out))?);
    let head = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"certify {}\" tests=\"{tests}\" \
         failures=\"{failures}\" errors=\"{errors}\" time=\"{}\">\n",
        xml::text(&info.target),
        junit::seconds(duration),
    );
    w.write_all(head.as_bytes()).map_err(io(out))?;
    w.write_all(&body).map_err(io(out))?;
    w.write_all(b"</testsuites>\n").map_err(io(out))?;
    w.flush().map_err(io(out))
}

// ---------------------------------------------------------------------------
// Cucumber Messages

/// Messages every shard writes alike (the suite and the step definitions):
/// kept once.
const SHARED: &[&str] = &[
    "meta",
    "source",
    "gherkinDocument",
    "pickle",
    "stepDefinition",
    "parseError",
    "hook",
    "parameterType",
    "undefinedParameterType",
];

/// What makes a shared message the same one in every shard (the first
/// shard's is kept: shards redact what they learnt, so their copies of a
/// source may differ in what is redacted), and for pickles and step
/// definitions what must agree where two shards use one id.
fn identity(kind: &str, body: &Value, line: &str) -> ([u8; 32], Option<String>) {
    let key = |parts: &[&str]| -> [u8; 32] {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p.as_bytes());
            h.update([0]);
        }
        h.finalize().into()
    };
    let s = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    match kind {
        "meta" => (key(&["meta"]), None),
        "source" | "gherkinDocument" => (key(&[kind, &s(&body["uri"])]), None),
        "pickle" => (key(&[kind, &s(&body["id"])]), Some(format!("{} {}", s(&body["uri"]), body["astNodeIds"]))),
        "stepDefinition" => (key(&[kind, &s(&body["id"])]), Some(body["pattern"].to_string())),
        _ => (key(&[kind, line]), None),
    }
}

fn kind(v: &Value) -> Option<&str> {
    v.as_object().and_then(|o| o.keys().next()).map(String::as_str)
}

/// The protocol timestamp `{seconds, nanos}` as a comparable pair.
fn stamp(v: &Value) -> (u64, u64) {
    (v["seconds"].as_u64().unwrap_or(0), v["nanos"].as_u64().unwrap_or(0))
}

/// Largest numeric id anywhere in a message (`id` and `...Id` fields).
fn max_id(v: &Value, max: &mut u64) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                if (k == "id" || k.ends_with("Id"))
                    && let Some(n) = x.as_str().and_then(|s| s.parse::<u64>().ok())
                {
                    *max = (*max).max(n);
                }
                max_id(x, max);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| max_id(x, max)),
        _ => {}
    }
}

/// Renumbers the run-local ids of a shard's message (test cases, test
/// steps, attempts), so they stay unique next to the other shards'; the
/// shared ids (pickles, pickle steps, step definitions) are kept.
struct Renumber {
    map: HashMap<String, String>,
    next: u64,
    keep: bool,
}

impl Renumber {
    fn id(&mut self, v: &mut Value) {
        if self.keep {
            return;
        }
        let Some(old) = v.as_str() else { return };
        let new = match self.map.get(old) {
            Some(n) => n.clone(),
            None => {
                let n = self.next.to_string();
                self.next += 1;
                self.map.insert(old.to_owned(), n.clone());
                n
            }
        };
        *v = Value::String(new);
    }

    fn message(&mut self, kind: &str, body: &mut Value, run: &str) {
        match kind {
            "testCase" => {
                self.id(&mut body["id"]);
                if let Some(steps) = body.get_mut("testSteps").and_then(Value::as_array_mut) {
                    for s in steps {
                        self.id(&mut s["id"]);
                    }
                }
                if body.get("testRunStartedId").is_some() {
                    body["testRunStartedId"] = Value::String(run.to_owned());
                }
            }
            "testCaseStarted" => {
                self.id(&mut body["id"]);
                self.id(&mut body["testCaseId"]);
            }
            "testStepStarted" | "testStepFinished" | "attachment" => {
                if body.get("testCaseStartedId").is_some() {
                    self.id(&mut body["testCaseStartedId"]);
                }
                if body.get("testStepId").is_some() {
                    self.id(&mut body["testStepId"]);
                }
            }
            "testCaseFinished" => self.id(&mut body["testCaseStartedId"]),
            _ => {}
        }
    }
}

/// One messages.ndjson of the shards': one `meta`, the shared messages once,
/// one `testRunStarted` (the earliest) and `testRunFinished` (the latest,
/// `success` of the merged run), and every shard's test cases and attempts.
fn merge_messages(list: &[ShardBundle], out: &Path, success: bool) -> Result<(), MergeError> {
    let mut w = BufWriter::new(File::create(out).map_err(io(out))?);
    // identity -> (what must agree, the shard that wrote it first)
    let mut seen: HashMap<[u8; 32], (Option<String>, String)> = HashMap::new();
    let mut max = 0u64;
    let mut run_id: Option<String> = None;
    let mut started: Option<Value> = None;
    let mut finished: Option<Value> = None;
    let parse = |s: &ShardBundle, n: usize, line: &str| -> Result<Value, MergeError> {
        serde_json::from_str(line)
            .map_err(|e| refused(format!("{}: {MESSAGES}:{n}: not a Cucumber Messages envelope: {e}", s.name())))
    };
    // First pass: the shared messages, the run's bounds, the largest id.
    for s in list {
        let path = s.dir.join(MESSAGES);
        let file = File::open(&path).map_err(io(&path))?;
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io(&path))?;
            if line.is_empty() {
                continue;
            }
            let v = parse(s, n + 1, &line)?;
            max_id(&v, &mut max);
            match kind(&v) {
                Some(k) if SHARED.contains(&k) => {
                    let (key, what) = identity(k, &v[k], &line);
                    match seen.get(&key) {
                        Some((other, shard)) if what.is_some() && *other != what => {
                            return Err(refused(format!(
                                "{}: {MESSAGES}:{}: {k} {} is not what {} calls it: the shards' messages do not share \
                                 the suite's ids",
                                s.name(),
                                n + 1,
                                v[k]["id"],
                                shard
                            )));
                        }
                        Some(_) => {}
                        None => {
                            seen.insert(key, (what, s.name()));
                            w.write_all(line.as_bytes()).map_err(io(out))?;
                            w.write_all(b"\n").map_err(io(out))?;
                        }
                    }
                }
                Some("testRunStarted") => {
                    let body = &v["testRunStarted"];
                    if run_id.is_none() {
                        run_id = body["id"].as_str().map(str::to_owned);
                    }
                    if started.as_ref().is_none_or(|t| stamp(&body["timestamp"]) < stamp(t)) {
                        started = Some(body["timestamp"].clone());
                    }
                }
                Some("testRunFinished") => {
                    let body = &v["testRunFinished"];
                    if finished.as_ref().is_none_or(|t| stamp(&body["timestamp"]) > stamp(t)) {
                        finished = Some(body["timestamp"].clone());
                    }
                }
                _ => {}
            }
        }
    }
    let run = run_id.unwrap_or_else(|| {
        max += 1;
        max.to_string()
    });
    let started_line =
        serde_json::json!({ "testRunStarted": { "id": run, "timestamp": started.unwrap_or(Value::Null) } });
    w.write_all(started_line.to_string().as_bytes()).map_err(io(out))?;
    w.write_all(b"\n").map_err(io(out))?;
    // Second pass: every shard's test cases and attempts.
    let mut next = max + 1;
    for (i, s) in list.iter().enumerate() {
        let mut renumber = Renumber { map: HashMap::new(), next, keep: i == 0 };
        let path = s.dir.join(MESSAGES);
        let file = File::open(&path).map_err(io(&path))?;
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io(&path))?;
            if line.is_empty() {
                continue;
            }
            let mut v = parse(s, n + 1, &line)?;
            let Some(k) = kind(&v).map(str::to_owned) else { continue };
            if SHARED.contains(&k.as_str()) || k == "testRunStarted" || k == "testRunFinished" {
                continue;
            }
            if let Some(body) = v.get_mut(&k) {
                renumber.message(&k, body, &run);
            }
            w.write_all(v.to_string().as_bytes()).map_err(io(out))?;
            w.write_all(b"\n").map_err(io(out))?;
        }
        next = renumber.next;
    }
    let finished_line = serde_json::json!({ "testRunFinished": {
        "timestamp": finished.unwrap_or(Value::Null), "success": success, "testRunStartedId": run,
    }});
    w.write_all(finished_line.to_string().as_bytes()).map_err(io(out))?;
    w.write_all(b"\n").map_err(io(out))?;
    w.flush().map_err(io(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn testcases_are_found_with_their_bytes() {
        let text = "<?xml version=\"1.0\"?>\n<testsuites>\n  <testsuite name=\"a &amp; b\" tests=\"2\" file=\"f.feature\">\n    <properties>\n      <property name=\"x\" value=\"y\"/>\n    </properties>\n    <testcase name=\"one\"/>\n    <testcase name=\"two\">\n      <failure message=\"m\">d</failure>\n      <system-out>x</system-out>\n    </testcase>\n  </testsuite>\n</testsuites>\n";
        let suites = parse_junit(text).unwrap();
        assert_eq!(suites.len(), 1);
        assert_eq!(suites[0].attrs["name"], "a & b");
        assert_eq!(suites[0].count("tests"), 2);
        let cases: Vec<&str> = suites[0].cases.iter().map(|(a, b)| &text[*a..*b]).collect();
        assert_eq!(cases[0], "<testcase name=\"one\"/>");
        assert!(cases[1].starts_with("<testcase name=\"two\">") && cases[1].ends_with("</testcase>"), "{}", cases[1]);
        assert!(parse_junit("<testsuites><testsuite><testcase>").is_err());
    }

    #[test]
    fn run_local_ids_are_renumbered_and_shared_ids_kept() {
        let mut r = Renumber { map: HashMap::new(), next: 100, keep: false };
        let mut case = serde_json::json!({ "id": "7", "pickleId": "3", "testRunStartedId": "5",
            "testSteps": [{ "id": "8", "pickleStepId": "2", "stepDefinitionIds": ["4"] }] });
        r.message("testCase", &mut case, "1");
        assert_eq!(case["id"], "100");
        assert_eq!(case["testSteps"][0]["id"], "101");
        assert_eq!((&case["pickleId"], &case["testSteps"][0]["pickleStepId"]), (&Value::from("3"), &Value::from("2")));
        assert_eq!(case["testSteps"][0]["stepDefinitionIds"][0], "4");
        assert_eq!(case["testRunStartedId"], "1");
        let mut started = serde_json::json!({ "id": "9", "testCaseId": "7" });
        r.message("testCaseStarted", &mut started, "1");
        assert_eq!((&started["id"], &started["testCaseId"]), (&Value::from("102"), &Value::from("100")));
        let mut step = serde_json::json!({ "testCaseStartedId": "9", "testStepId": "8" });
        r.message("testStepFinished", &mut step, "1");
        assert_eq!((&step["testCaseStartedId"], &step["testStepId"]), (&Value::from("102"), &Value::from("101")));
    }

    fn shard(dir: &Path, k: usize) -> ShardBundle {
        let header: Header = serde_json::from_value(serde_json::json!({
            "schema": manifest::SCHEMA, "run_id": format!("run-{k}"), "status": "passed", "complete": true,
            "started_at": "", "finished_at": "", "duration_ms": 0,
            "tool": { "name": "certify", "version": "0" },
            "target": { "name": "t", "base_url": "http://127.0.0.1:9/" },
            "platform": { "version": "1.0.0", "source": "flag" },
            "git": { "commit": null, "branch": null, "tags": [], "dirty": false, "remote": null, "source": "none" },
            "selection": { "tags": null, "shard": format!("{k}/2"), "concurrency": 1 },
            "signature": { "signed": true, "key_fingerprint": null },
            "counts": {}, "features": [],
        }))
        .unwrap();
        let shard = certify_suite::Shard { index: k, count: 2 };
        ShardBundle { dir: dir.to_path_buf(), shard, header, envelope_sha256: String::new() }
    }

    fn put(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn ndjson_transcripts_are_concatenated_in_shard_order_and_probes_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, out) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("out"));
        put(&a, "transcripts/features/f.feature.ndjson", "{\"scenario\":\"f:3\"}\n");
        put(&b, "transcripts/features/f.feature.ndjson", "{\"scenario\":\"f:5\"}");
        put(&b, "transcripts/features/g.feature.ndjson", "{\"scenario\":\"g:4\"}\n");
        put(&a, "transcripts/features/f.feature/3-x.json", "{\"a\":1}");
        put(&b, "transcripts/features/f.feature/3-x.json", "{\"a\":1}");
        put(&a, PROBE_TRANSCRIPT, "probe of shard 1");
        put(&b, PROBE_TRANSCRIPT, "probe of shard 2");
        fs::create_dir_all(&out).unwrap();
        let shards = Shards { list: vec![shard(&a, 1), shard(&b, 2)] };
        shards.transcripts(&out).unwrap();
        let read = |rel: &str| fs::read_to_string(out.join(rel)).unwrap();
        assert_eq!(read("transcripts/features/f.feature.ndjson"), "{\"scenario\":\"f:3\"}\n{\"scenario\":\"f:5\"}\n");
        assert_eq!(read("transcripts/features/g.feature.ndjson"), "{\"scenario\":\"g:4\"}\n");
        assert_eq!(read("transcripts/features/f.feature/3-x.json"), "{\"a\":1}");
        assert_eq!(read(PROBE_TRANSCRIPT), "probe of shard 1");
        assert_eq!(read("transcripts/version-probe.shard-2.json"), "probe of shard 2");
    }

    #[test]
    fn json_transcripts_of_one_name_with_other_contents_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, out) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("out"));
        put(&a, "transcripts/features/f.feature/3-x.json", "{\"a\":1}");
        put(&b, "transcripts/features/f.feature/3-x.json", "{\"a\":2}");
        fs::create_dir_all(&out).unwrap();
        let shards = Shards { list: vec![shard(&a, 1), shard(&b, 2)] };
        let err = shards.transcripts(&out).unwrap_err().to_string();
        assert!(err.contains(&b.display().to_string()), "{err}");
        assert!(err.contains("transcripts/features/f.feature/3-x.json differs"), "{err}");
        assert!(err.contains(&a.display().to_string()), "{err}");
    }

    #[test]
    fn shards_that_ran_another_suite_are_refused_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        for d in [&a, &b] {
            put(d, "suite/certify.toml", "[suite]\n");
            put(d, "suite/features/f.feature", "Feature: F\n");
        }
        assert!(same_suite(&[shard(&a, 1), shard(&b, 2)]).is_ok());
        put(&b, "suite/features/f.feature", "Feature: G\n");
        let err = same_suite(&[shard(&a, 1), shard(&b, 2)]).unwrap_err().to_string();
        assert!(err.contains(&b.display().to_string()) && err.contains("suite/features/f.feature differs"), "{err}");
        put(&b, "suite/features/f.feature", "Feature: F\n");
        put(&b, "suite/features/extra.feature", "Feature: E\n");
        let err = same_suite(&[shard(&a, 1), shard(&b, 2)]).unwrap_err().to_string();
        assert!(err.contains("suite/features/extra.feature is not in"), "{err}");
    }
}
