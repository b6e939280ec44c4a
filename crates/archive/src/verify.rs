//! Verifying a whole archive, the auditor's side: the index's chain and sequence, then every
//! entry against what the archive holds. Each bundle is downloaded into a scratch directory
//! and verified as `certify verify` verifies a bundle (signature, every digest, no file added
//! or missing); its index line must say what the bundle says. Each decision record must hash
//! to its id, verify with a trusted key and agree with its line. Everything found is
//! reported; nothing stops the check but an archive that cannot be read at all.

use std::{collections::BTreeMap, fmt, fs, path::Path};

use certify_evidence::{
    attest::{PublicKey, sha256_hex},
    bundle::{ENVELOPE, MANIFEST},
    verify::verify_bundle,
};
use futures::StreamExt as _;
use serde::Serialize;

use crate::{
    Archive, ArchiveError,
    bundle::{check_unsigned, is_unsigned, meta_of, read_manifest},
    decision,
    index::{BundleMeta, DecisionMeta, INDEX, IndexEntry, Record, check_chain, line_hash, split_lines},
};

/// Bundles downloaded and verified at once.
const PARALLEL_BUNDLES: usize = 4;

/// The outcome of [`Archive::verify`].
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveReport {
    pub location: String,
    /// True when there is no problem (warnings do not count).
    pub valid: bool,
    /// Lines in the index.
    pub entries: usize,
    pub bundles: usize,
    pub decisions: usize,
    /// sha256 of the index's last line. Recorded elsewhere (a release note, a ticket), it
    /// lets a later check see that no line was removed from the end.
    pub head: Option<String>,
    pub problems: Vec<ArchiveProblem>,
    /// Things worth a look that do not make the archive invalid: stored files that no index
    /// line refers to.
    pub warnings: Vec<ArchiveProblem>,
}

/// One thing wrong with the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveProblem {
    /// What it concerns: `index.jsonl line 7`, `bundles/<id>/junit.xml`,
    /// `decisions/<id>.intoto.jsonl`.
    pub subject: String,
    /// The index line concerned, when there is one.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ArchiveProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

fn at_line(line: usize, message: impl Into<String>) -> ArchiveProblem {
    ArchiveProblem { subject: format!("{INDEX} line {line}"), line: Some(line), message: message.into() }
}

fn about(subject: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> ArchiveProblem {
    ArchiveProblem { subject: subject.into(), line, message: message.into() }
}

pub(crate) async fn verify(archive: &Archive, keys: &[PublicKey]) -> Result<ArchiveReport, ArchiveError> {
    let store = &archive.store;
    let bytes = store.get(INDEX).await?.unwrap_or_default();
    let (lines, terminated) = split_lines(&bytes);
    let mut problems = Vec::new();
    if !terminated {
        problems.push(at_line(lines.len(), "has no newline: the index was cut short"));
    }
    for b in check_chain(&lines) {
        problems.push(at_line(b.line, b.message));
    }

    // Parse every line; a line that does not parse is a problem, and is skipped.
    let mut entries: Vec<(usize, IndexEntry)> = Vec::new();
    let mut first_seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        let n = i + 1;
        match IndexEntry::parse(l) {
            Err(e) => problems.push(at_line(n, format!("not an index entry: {e}"))),
            Ok(e) => {
                if let Some(first) = first_seen.get(&e.id) {
                    problems.push(at_line(n, format!("{} is already recorded on line {first}", e.id)));
                } else {
                    first_seen.insert(e.id.clone(), n);
                }
                entries.push((n, e));
            }
        }
    }

    // Bundles, a few at a time, reported in index order.
    let bundles: Vec<(usize, &IndexEntry, &BundleMeta)> =
        entries.iter().filter_map(|(n, e)| e.bundle().map(|b| (*n, e, b))).collect();
    let checks: Vec<_> = bundles.iter().map(|&(n, e, b)| check_bundle(archive, n, e, b, keys)).collect();
    let results: Vec<Result<Vec<ArchiveProblem>, ArchiveError>> =
        futures::stream::iter(checks).buffered(PARALLEL_BUNDLES).collect().await;
    for r in results {
        problems.extend(r?);
    }

    // Decisions.
    let mut decisions = 0;
    for (n, e) in &entries {
        if let Record::Decision(d) = &e.record {
            decisions += 1;
            problems.extend(check_decision(archive, *n, e, d, keys, &entries).await?);
        }
    }

    // Stored, but not indexed.
    let mut warnings = Vec::new();
    for id in store.children("bundles").await? {
        if !first_seen.contains_key(&id) {
            warnings.push(about(
                format!("bundles/{id}"),
                None,
                "stored, but no index line records it (an interrupted add, or its index line was removed)",
            ));
        }
    }
    for name in store.children("decisions").await? {
        let id = name.strip_suffix(".intoto.jsonl").unwrap_or(&name);
        if !first_seen.contains_key(id) {
            warnings.push(about(
                format!("decisions/{name}"),
                None,
                "stored, but no index line records it (an interrupted add, or its index line was removed)",
            ));
        }
    }

    Ok(ArchiveReport {
        location: store.location.clone(),
        valid: problems.is_empty(),
        entries: lines.len(),
        bundles: bundles.len(),
        decisions,
        head: lines.last().map(|l| line_hash(l)),
        problems,
        warnings,
    })
}

async fn check_bundle(
    archive: &Archive,
    n: usize,
    entry: &IndexEntry,
    meta: &BundleMeta,
    keys: &[PublicKey],
) -> Result<Vec<ArchiveProblem>, ArchiveError> {
    let id = &entry.id;
    if !decision::is_sha256(id) {
        return Ok(vec![at_line(n, format!("id {id:?} is not a sha256 in lowercase hex"))]);
    }
    let mut problems = Vec::new();
    let expected_path = format!("bundles/{id}");
    if entry.path != expected_path {
        problems.push(at_line(n, format!("path is {:?}, expected {expected_path:?}", entry.path)));
    }
    let scratch = tempfile::tempdir().map_err(crate::error::io_err(std::env::temp_dir()))?;
    let dir = scratch.path().join(id);
    match archive.fetch_bundle(id, &dir).await {
        Ok(()) => {}
        Err(ArchiveError::NotFound { .. }) => {
            problems.push(about(
                &expected_path,
                Some(n),
                "missing: the index records this bundle, the archive does not hold it",
            ));
            return Ok(problems);
        }
        Err(ArchiveError::Unsafe { path, reason }) => {
            problems.push(about(path, Some(n), reason));
            return Ok(problems);
        }
        Err(e) => return Err(e),
    }
    let (id, meta, keys) = (id.clone(), meta.clone(), keys.to_vec());
    let found = tokio::task::spawn_blocking(move || check_stored(&dir, n, &id, &meta, &keys))
        .await
        .map_err(|e| ArchiveError::Io { path: scratch.path().to_path_buf(), source: std::io::Error::other(e) })?;
    problems.extend(found);
    Ok(problems)
}

/// Checks a downloaded bundle against its index line (blocking).
fn check_stored(dir: &Path, n: usize, id: &str, meta: &BundleMeta, keys: &[PublicKey]) -> Vec<ArchiveProblem> {
    let base = format!("bundles/{id}");
    let file = |f: &str| if f == "." { base.clone() } else { format!("{base}/{f}") };
    let mut problems = Vec::new();
    let hash_of = |name: &str| fs::read(dir.join(name)).ok().map(|b| sha256_hex(&b));

    let signer = if is_unsigned(dir) {
        for p in check_unsigned(dir) {
            problems.push(about(file(&p.file), Some(n), p.reason));
        }
        if !meta.unsigned_allowed {
            problems.push(at_line(
                n,
                "unsigned bundle not allowed: nothing vouches for its contents, and the index does not \
                 record it as archived with --allow-unsigned",
            ));
        }
        if let Some(h) = hash_of(MANIFEST).filter(|h| h != id) {
            problems.push(about(
                file(MANIFEST),
                Some(n),
                format!("its sha256 is {h}, not the bundle's id (replaced?)"),
            ));
        }
        None
    } else {
        let v = verify_bundle(dir, keys);
        for p in &v.problems {
            problems.push(about(file(&p.file), Some(n), p.reason.clone()));
        }
        if let Some(h) = hash_of(ENVELOPE).filter(|h| h != id) {
            problems.push(about(
                file(ENVELOPE),
                Some(n),
                format!("its sha256 is {h}, not the bundle's id (the attestation was replaced)"),
            ));
        }
        match v.facts.and_then(|f| f.signer) {
            Some(s) => Some(s),
            // The signature did not verify (already reported): the signer cannot be compared.
            None => meta.signer.clone(),
        }
    };

    // The index line must say what the bundle says.
    if let Ok(manifest) = read_manifest(dir) {
        let from_bundle = meta_of(&manifest, signer, meta.unsigned_allowed);
        for (field, indexed, actual) in differences(meta, &from_bundle) {
            problems.push(at_line(n, format!("{field} is {indexed} in the index, but {actual} in the bundle")));
        }
    }
    problems
}

/// The fields of two bundle metas that differ, as (name, left, right) in JSON.
fn differences(left: &BundleMeta, right: &BundleMeta) -> Vec<(String, String, String)> {
    let (Ok(serde_json::Value::Object(l)), Ok(serde_json::Value::Object(r))) =
        (serde_json::to_value(left), serde_json::to_value(right))
    else {
        return Vec::new();
    };
    l.iter()
        .filter(|(k, v)| r.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.to_string(), r.get(k).map(|x| x.to_string()).unwrap_or_default()))
        .collect()
}

async fn check_decision(
    archive: &Archive,
    n: usize,
    entry: &IndexEntry,
    meta: &DecisionMeta,
    keys: &[PublicKey],
    entries: &[(usize, IndexEntry)],
) -> Result<Vec<ArchiveProblem>, ArchiveError> {
    let id = &entry.id;
    if !decision::is_sha256(id) {
        return Ok(vec![at_line(n, format!("id {id:?} is not a sha256 in lowercase hex"))]);
    }
    let mut problems = Vec::new();
    let path = format!("decisions/{id}.intoto.jsonl");
    if entry.path != path {
        problems.push(at_line(n, format!("path is {:?}, expected {path:?}", entry.path)));
    }
    for input in &meta.inputs {
        let earlier = entries.iter().any(|(m, e)| *m < n && &e.id == input && e.bundle().is_some());
        if !earlier {
            problems.push(at_line(n, format!("input {input} is not a bundle recorded before this decision")));
        }
    }
    let Some(bytes) = archive.store.get(&path).await? else {
        problems.push(about(&path, Some(n), "missing: the index records this decision, the archive does not hold it"));
        return Ok(problems);
    };
    let got = sha256_hex(&bytes);
    if got != *id {
        problems.push(about(&path, Some(n), format!("modified: sha256 is {got}, the index says {id}")));
    }
    match decision::verify(&bytes, keys) {
        Err(reason) => problems.push(about(&path, Some(n), reason)),
        Ok(statement) => {
            for d in decision::disagreements(meta, &statement) {
                problems.push(at_line(n, d));
            }
        }
    }
    Ok(problems)
}
