//! Verifying a bundle: the auditor's side.
//!
//! A bundle is valid when its DSSE envelope verifies with a trusted key, the
//! statement it signs names every file of the bundle (no more, no fewer) with
//! the sha256 each file has now, the Sigstore form carries the same envelope,
//! and `bundle.json` agrees with the statement. The two attestation files are
//! accepted only as exactly the bytes certify writes
//! ([`verify_attestation`], [`check_sigstore_bundle`]). Every problem found is
//! reported with the file it concerns; verification never stops at the first
//! one and never panics on a hostile bundle (symlinks, `..` names, truncated
//! or malformed files).

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    io::{BufRead, BufReader},
    path::Path,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use serde::{Deserialize, Deserializer, Serialize};

use crate::{
    attest::{Attestation, PublicKey, TEST_RESULT_PREDICATE, TestResult, check_sigstore_bundle, verify_attestation},
    bundle::{ENVELOPE, JUNIT, MANIFEST, SIGSTORE, hash_file},
    manifest::{FileEntry, Header, Outcome, ScenarioEntry},
};

/// One thing wrong with a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file concerned, relative to the bundle (or "." for the bundle itself).
    pub file: String,
    pub reason: String,
}

/// What a verified bundle says, for the one-screen summary.
#[derive(Debug, Clone, Serialize)]
pub struct BundleFacts {
    pub run_id: String,
    /// PASSED, WARNED or FAILED (the statement's result).
    pub result: String,
    pub status: String,
    pub complete: bool,
    pub target: String,
    pub base_url: String,
    pub platform_version: String,
    pub git_commit: Option<String>,
    pub git_dirty: bool,
    pub signer: Option<String>,
    pub counts: serde_json::Value,
    pub files: usize,
    pub started_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub bundle: String,
    pub valid: bool,
    pub problems: Vec<Problem>,
    pub facts: Option<BundleFacts>,
}

fn problem(file: &str, reason: impl Into<String>) -> Problem {
    Problem { file: file.to_owned(), reason: reason.into() }
}

/// Verifies the bundle at `dir` against the trusted `keys`.
pub fn verify_bundle(dir: &Path, keys: &[PublicKey]) -> Verification {
    let mut problems = Vec::new();
    let facts = check(dir, keys, &mut problems);
    Verification { bundle: dir.display().to_string(), valid: problems.is_empty(), problems, facts }
}

fn check(dir: &Path, keys: &[PublicKey], problems: &mut Vec<Problem>) -> Option<BundleFacts> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) => {
            problems.push(problem(".", format!("cannot read the bundle: {e}")));
            return None;
        }
    };
    if !meta.is_dir() {
        problems.push(problem(".", "not a directory: a bundle is a directory"));
        return None;
    }
    if name.contains(".partial-") {
        problems.push(problem(".", "incomplete bundle: this is the temporary directory of a run that never finished"));
    }

    // Every entry, refusing anything that is not a plain file or directory.
    let mut present = BTreeSet::new();
    walk(dir, dir, &mut present, problems);

    if !present.contains(ENVELOPE) {
        let unsigned = fs::read_to_string(dir.join(MANIFEST))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|m| m["signature"]["signed"] == serde_json::Value::Bool(false));
        if unsigned {
            problems.push(problem(
                ENVELOPE,
                "unsigned bundle: it was written with --no-sign, so nothing vouches for its contents",
            ));
        } else if !present.contains(MANIFEST) {
            problems.push(problem(".", "incomplete bundle: no bundle.json and no attestation"));
        } else {
            problems.push(problem(ENVELOPE, "missing: the bundle carries no attestation"));
        }
        return None;
    }

    // The envelope, its signature and its Statement, accepted only as certify writes them.
    if keys.is_empty() {
        problems.push(problem(ENVELOPE, "no trusted public key was given (--key or --trust)"));
        return None;
    }
    let bytes = match fs::read(dir.join(ENVELOPE)) {
        Ok(b) => b,
        Err(e) => {
            problems.push(problem(ENVELOPE, format!("cannot read: {e}")));
            return None;
        }
    };
    let Attestation { envelope, statement, signer, .. } = match verify_attestation(&bytes, keys) {
        Ok(a) => a,
        Err(e) => {
            problems.push(problem(ENVELOPE, e.as_problem()));
            return None;
        }
    };
    if statement.predicate_type != TEST_RESULT_PREDICATE {
        problems.push(problem(
            ENVELOPE,
            format!("predicateType is {:?}, expected {TEST_RESULT_PREDICATE:?}", statement.predicate_type),
        ));
    }

    // The Sigstore form: exactly the bundle certify writes for this envelope and signer.
    match fs::read(dir.join(SIGSTORE)) {
        Err(_) => problems.push(problem(SIGSTORE, "missing")),
        Ok(b) => {
            if let Err(e) = check_sigstore_bundle(&b, &envelope, &signer) {
                problems.push(problem(SIGSTORE, e.to_string()));
            }
        }
    }

    // Subjects: every file, by digest. The files are hashed on a second
    // thread while this one reads bundle.json, then this one helps.
    let mut covered = BTreeSet::new();
    let mut git_commit = None;
    let mut digests: BTreeMap<String, String> = BTreeMap::new();
    let mut to_hash: Vec<(&str, &str)> = Vec::new();
    for s in &statement.subject {
        if let Some(commit) = s.digest.get("gitCommit") {
            git_commit = Some(commit.clone());
            continue;
        }
        let (Some(name), Some(want)) = (&s.name, s.digest.get("sha256")) else {
            problems.push(problem(ENVELOPE, "a subject has neither a file name with a sha256 nor a gitCommit"));
            continue;
        };
        if !safe_relative(name) {
            problems.push(problem(name, "subject name is not a plain relative path inside the bundle"));
            continue;
        }
        covered.insert(name.clone());
        digests.insert(name.clone(), want.clone());
        if !present.contains(name.as_str()) {
            problems.push(problem(name, "missing: the attestation lists it, the bundle does not have it"));
            continue;
        }
        to_hash.push((name, want));
    }
    let queue = HashQueue::new(dir, &to_hash);
    let manifest = std::thread::scope(|scope| {
        let helper = scope.spawn(|| queue.work());
        let manifest = Checked::read(&dir.join(MANIFEST));
        queue.work();
        let _ = helper.join();
        manifest
    });
    let hashed = queue.into_results();
    for ((name, want), got) in to_hash.iter().zip(hashed) {
        match got {
            Some(Ok(got)) if got == *want => {}
            Some(Ok(got)) => {
                problems.push(problem(name, format!("modified: sha256 is {got}, the attestation says {want}")))
            }
            Some(Err(e)) => problems.push(problem(name, format!("cannot read: {e}"))),
            None => problems.push(problem(name, "cannot read: it was not hashed")),
        }
    }
    for f in &present {
        if f != ENVELOPE && f != SIGSTORE && !covered.contains(f) {
            problems.push(problem(f, "added: the attestation does not cover this file"));
        }
    }

    // bundle.json must agree with the statement.
    let manifest = match manifest.ok()? {
        Ok(m) => m,
        Err(e) => {
            problems.push(problem(MANIFEST, format!("not a certify bundle manifest: {e}")));
            return None;
        }
    };
    let h = &manifest.header;
    if h.git.commit != git_commit {
        problems.push(problem(
            MANIFEST,
            format!("git commit {:?} disagrees with the attestation's gitCommit {:?}", h.git.commit, git_commit),
        ));
    }
    for f in &manifest.files {
        match digests.get(&f.path) {
            Some(d) if *d == f.sha256 => {}
            Some(_) => problems
                .push(problem(MANIFEST, format!("lists {} with a digest the attestation does not have", f.path))),
            None => problems.push(problem(MANIFEST, format!("lists {}, which the attestation does not cover", f.path))),
        }
    }
    let predicate = match TestResult::from_predicate(&statement.predicate) {
        Ok(p) => Some(p),
        Err(e) => {
            problems.push(problem(ENVELOPE, e.to_string()));
            None
        }
    };
    let result = predicate.as_ref().map(|p| p.result.clone()).unwrap_or_default();
    // The one mapping from a run's status to the statement's result.
    let status = certify_runner::Status::from_name(&h.status).unwrap_or(certify_runner::Status::Failed);
    let expected = crate::bundle::attestation_result(status, !h.complete);
    if result != expected {
        problems
            .push(problem(MANIFEST, format!("status {:?} disagrees with the attestation's result {result}", h.status)));
    }
    if let Some(p) = &predicate {
        let listed: BTreeSet<&str> =
            p.passed_tests.iter().chain(&p.warned_tests).chain(&p.failed_tests).map(String::as_str).collect();
        let ran: BTreeSet<&str> =
            manifest.scenarios.iter().filter(|s| s.status != Outcome::NotApplicable).map(|s| s.id.as_str()).collect();
        // Feature files that did not load are failed tests too (`file:line`;
        // bundles written before that list only scenarios).
        let unloaded: Vec<String> = h.broken_files.iter().map(|b| b.id()).collect();
        let with_unloaded: BTreeSet<&str> = ran.iter().copied().chain(unloaded.iter().map(String::as_str)).collect();
        if listed != with_unloaded && listed != ran {
            problems.push(problem(MANIFEST, "its scenarios disagree with the tests the attestation lists"));
        }
    }
    let run_property = format!("name=\"certify.run_id\" value=\"{}\"", h.run_id);
    if let Ok(junit) = fs::File::open(dir.join(JUNIT))
        && let Ok(false) = contains_line(BufReader::new(junit), &run_property)
    {
        problems.push(problem(JUNIT, format!("does not belong to run {} (its certify.run_id differs)", h.run_id)));
    }

    Some(BundleFacts {
        run_id: h.run_id.clone(),
        result,
        status: h.status.clone(),
        complete: h.complete,
        target: h.target.name.clone(),
        base_url: h.target.base_url.clone(),
        platform_version: h.platform.version.clone(),
        git_commit: h.git.commit.clone(),
        git_dirty: h.git.dirty,
        signer: Some(format!("SHA256:{}", signer.fingerprint())),
        counts: h.counts.clone(),
        files: covered.len(),
        started_at: h.started_at.clone(),
    })
}

/// Files to hash, taken one at a time, largest first, by every thread that
/// calls [`HashQueue::work`]; each result lands at its file's index.
struct HashQueue<'a> {
    dir: &'a Path,
    /// Indices into `names`, largest file first.
    order: Vec<usize>,
    names: &'a [(&'a str, &'a str)],
    next: AtomicUsize,
    results: Mutex<Vec<Option<std::io::Result<String>>>>,
}

impl<'a> HashQueue<'a> {
    fn new(dir: &'a Path, names: &'a [(&'a str, &'a str)]) -> HashQueue<'a> {
        let mut order: Vec<usize> = (0..names.len()).collect();
        let size = |i: &usize| fs::symlink_metadata(dir.join(names[*i].0)).map_or(0, |m| m.len());
        order.sort_by_key(|i| std::cmp::Reverse(size(i)));
        let results = Mutex::new((0..names.len()).map(|_| None).collect());
        HashQueue { dir, order, names, next: AtomicUsize::new(0), results }
    }

    fn work(&self) {
        loop {
            let Some(&i) = self.order.get(self.next.fetch_add(1, Ordering::Relaxed)) else {
                return;
            };
            let digest = hash_file(&self.dir.join(self.names[i].0)).map(|(sha256, _)| sha256);
            if let Ok(mut results) = self.results.lock() {
                results[i] = Some(digest);
            }
        }
    }

    fn into_results(self) -> Vec<Option<std::io::Result<String>>> {
        self.results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether a line of `text` contains `needle` (read a line at a time; an
/// unreadable or non-UTF-8 text is an error).
fn contains_line(text: impl BufRead, needle: &str) -> std::io::Result<bool> {
    for line in text.lines() {
        if line?.contains(needle) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What the check reads of `bundle.json`: the header, the file list and each
/// scenario's id and status, in one streamed pass. The file is never held as
/// text; each scenario entry is read whole (a malformed one is refused) and
/// dropped; the header's members are gathered as they come (they are few and
/// small) and read as a [`Header`] at the end, so the check holds little per
/// scenario.
struct Checked {
    header: Header,
    files: Vec<FileEntry>,
    scenarios: Vec<CheckedScenario>,
}

struct CheckedScenario {
    id: String,
    status: Outcome,
}

impl<'de> Deserialize<'de> for CheckedScenario {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entry = ScenarioEntry::deserialize(d)?;
        Ok(CheckedScenario { id: entry.id, status: entry.status })
    }
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Checked;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a certify bundle manifest (a JSON object)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
                use serde::de::Error as _;
                let mut header = serde_json::Map::new();
                let (mut scenarios, mut files) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "scenarios" if scenarios.is_none() => scenarios = Some(map.next_value()?),
                        "files" if files.is_none() => files = Some(map.next_value()?),
                        "scenarios" | "files" => return Err(A::Error::custom(format!("duplicate field `{key}`"))),
                        _ => {
                            if header.insert(key.clone(), map.next_value()?).is_some() {
                                return Err(A::Error::custom(format!("duplicate field `{key}`")));
                            }
                        }
                    }
                }
                let header = Header::deserialize(serde_json::Value::Object(header)).map_err(A::Error::custom)?;
                Ok(Checked {
                    header,
                    scenarios: scenarios.ok_or_else(|| A::Error::missing_field("scenarios"))?,
                    files: files.ok_or_else(|| A::Error::missing_field("files"))?,
                })
            }
        }
        d.deserialize_map(Members)
    }
}

impl Checked {
    /// `Err` when the file cannot be opened; `Ok(Err)` when it is not a manifest.
    fn read(path: &Path) -> std::io::Result<Result<Checked, serde_json::Error>> {
        let file = fs::File::open(path).map(|f| BufReader::with_capacity(64 * 1024, f))?;
        Ok(serde_json::from_reader(file))
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>, problems: &mut Vec<Problem>) {
    let Ok(entries) = fs::read_dir(dir) else {
        problems.push(problem(&rel(root, dir), "cannot list this directory"));
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let r = rel(root, &path);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                problems.push(problem(&r, "symbolic link: a bundle holds regular files only"))
            }
            Ok(m) if m.is_dir() => walk(root, &path, out, problems),
            Ok(m) if m.is_file() => {
                out.insert(r);
            }
            Ok(_) => problems.push(problem(&r, "not a regular file")),
            Err(e) => problems.push(problem(&r, format!("cannot read: {e}"))),
        }
    }
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// A name that stays inside the bundle (the one rule, [`certify_steps::plain_relative_name`]).
pub use certify_steps::plain_relative_name as safe_relative;

#[cfg(test)]
mod tests {
    use super::{Checked, safe_relative};

    /// bundle.json is read in one pass: the header from the members that
    /// are not the two lists, each list once.
    #[test]
    fn the_manifest_is_read_whole_in_one_pass() {
        let header = serde_json::to_value(crate::manifest::Header::default()).unwrap();
        let mut doc = header.as_object().unwrap().clone();
        doc.insert(
            "scenarios".into(),
            serde_json::json!([{ "id": "a.feature:3", "name": "a", "feature_file": "a.feature", "line": 3, "status": "passed" }]),
        );
        doc.insert("files".into(), serde_json::json!([{ "path": "junit.xml", "sha256": "ab", "size": 1 }]));
        let text = serde_json::to_string(&doc).unwrap();
        let checked: Checked = serde_json::from_str(&text).expect("a manifest");
        assert_eq!(checked.scenarios.len(), 1);
        assert_eq!(checked.scenarios[0].id, "a.feature:3");
        assert_eq!(checked.files[0].path, "junit.xml");

        let refused = |text: &str, why: &str| {
            let err = serde_json::from_str::<Checked>(text).err().unwrap_or_else(|| panic!("accepted: {text}"));
            assert!(err.to_string().contains(why), "{err}");
        };
        let body = text.strip_prefix('{').unwrap();
        refused(&format!(r#"{{"files": [],{body}"#), "duplicate field `files`");
        refused(&format!(r#"{{"scenarios": [],{body}"#), "duplicate field `scenarios`");
        refused(&format!(r#"{{"run_id": "x",{body}"#), "duplicate field `run_id`");
        refused(&text.replace(r#""files":"#, r#""filez":"#), "missing field `files`");
        refused(&text.replace(r#""status":"passed""#, r#""status":"great""#), "unknown variant");
        refused("[]", "a certify bundle manifest");
    }

    #[test]
    fn names_must_stay_inside() {
        for ok in ["bundle.json", "suite/features/a.feature", "transcripts/x/1-a.json"] {
            assert!(safe_relative(ok), "{ok}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\\b"] {
            assert!(!safe_relative(bad), "{bad}");
        }
    }
}
