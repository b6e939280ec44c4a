//! Verifying a whole archive, the auditor's side: that there is an archive at all, the
//! index's chain and sequence, the RFC 6962 tree over its lines against the archive's own
//! checkpoint, a kept checkpoint and every decision's checkpoint, then every entry against
//! what the archive holds. Each bundle is downloaded into a scratch directory
//! and verified as `certify verify` verifies a bundle (signature, every digest, no file added
//! or missing); its index line must say what the bundle says. Each decision record must hash
//! to its id, verify with a trusted key and agree with its line. Everything found is
//! reported; nothing stops the check but an archive that cannot be read at all.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt, fs,
    path::Path,
};

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
    checkpoint::{Checkpoint, SignedCheckpoint},
    decision,
    index::{BundleMeta, DecisionMeta, INDEX, IndexEntry, Record, check_chain, line_hash, split_lines},
    log::CHECKPOINT,
    merkle::{Frontier, Hash, consistency_proof, leaf_hash, verify_consistency},
    witness::WitnessKey,
};

/// The subject of problems with a checkpoint kept outside the archive.
const KEPT: &str = "kept checkpoint";

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
    /// The archive's id (`archive.json`), when it has one.
    pub archive_id: Option<String>,
    /// The archive's own checkpoint, when it has one that parses.
    pub checkpoint: Option<CheckpointSummary>,
    /// The checkpoint kept outside the archive that it was checked against, if any.
    pub kept_checkpoint: Option<CheckpointSummary>,
    /// The consistency proof, computed from the index, that the archive's checkpoint extends
    /// the kept one, when it verified.
    pub consistency: Option<ConsistencySummary>,
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

/// A checkpoint, as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointSummary {
    pub origin: String,
    pub size: u64,
    /// The root hash, standard base64 (as in the note).
    pub root: String,
    /// Fingerprints of the trusted keys whose signature verified.
    pub signed_by: Vec<String>,
    /// The required witnesses whose cosignature verified (of a kept checkpoint).
    pub cosigned_by: Vec<CosignatureSummary>,
}

/// A witness's cosignature that verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CosignatureSummary {
    /// The witness's name (its key name).
    pub witness: String,
    /// When it cosigned, POSIX seconds.
    pub timestamp: u64,
}

/// A consistency proof from one checkpoint's tree to a larger one's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsistencySummary {
    pub old_size: u64,
    pub new_size: u64,
    /// The proof's hashes, standard base64, as a witness request carries them.
    pub proof: Vec<String>,
}

impl CheckpointSummary {
    fn of(c: &SignedCheckpoint, keys: &[PublicKey]) -> CheckpointSummary {
        CheckpointSummary {
            origin: c.checkpoint.origin.clone(),
            size: c.checkpoint.size,
            root: c.checkpoint.root_base64(),
            signed_by: c.verified_by(keys),
            cosigned_by: Vec::new(),
        }
    }
}

/// Why `checkpoint` does not describe this archive (`archive_id`, from its `archive.json`).
pub(crate) fn origin_problem(checkpoint: &SignedCheckpoint, archive_id: Option<&str>) -> Option<String> {
    match archive_id {
        None => {
            Some("the archive has no archive.json: its id is unknown, so no checkpoint can be matched to it".to_owned())
        }
        Some(id) if checkpoint.archive_id() != Some(id) => Some(format!(
            "is for {:?}, this archive is {:?} (a checkpoint of another archive)",
            checkpoint.checkpoint.origin,
            Checkpoint::origin_of(id)
        )),
        Some(_) => None,
    }
}

/// Why the archive's `lines` are not the history `checkpoint` describes, if they are not.
pub(crate) fn covers(lines: &[&[u8]], checkpoint: &Checkpoint) -> Option<String> {
    let roots = roots_at(lines, &BTreeSet::from([checkpoint.size]));
    covered(lines.len(), &roots, checkpoint)
}

fn covered(lines: usize, roots: &BTreeMap<u64, Hash>, checkpoint: &Checkpoint) -> Option<String> {
    let size = checkpoint.size;
    match roots.get(&size) {
        None => Some(format!(
            "the archive has {lines} lines, the checkpoint describes {size} (lines were cut from its end, \
             or the archive was rolled back)"
        )),
        Some(root) if *root != checkpoint.root => Some(format!(
            "the first {size} lines have root {}, the checkpoint says {} (the archive was rolled back or \
             replaced, or lines were edited, removed or reordered)",
            base64_of(root),
            checkpoint.root_base64()
        )),
        Some(_) => None,
    }
}

/// Whether the archive's checkpoint `new` extends the kept checkpoint `old`, by a
/// consistency proof computed from the `lines` and checked as a witness checks it: the proof
/// when it verifies, why not when it does not. `None` when there is nothing to prove: the
/// kept checkpoint is the larger (a rollback, named by [`covered`]) or the index does not
/// reach the archive's checkpoint (named there too).
fn extends(lines: &[&[u8]], old: &Checkpoint, new: &Checkpoint) -> Option<Result<ConsistencySummary, String>> {
    let size = usize::try_from(new.size).ok().filter(|&n| n <= lines.len())?;
    if old.size > new.size {
        return None;
    }
    let leaves: Vec<Hash> = lines[..size].iter().map(|l| leaf_hash(l)).collect();
    let proof = consistency_proof(&leaves, usize::try_from(old.size).unwrap_or(usize::MAX));
    Some(match verify_consistency(old.size, new.size, &old.root, &new.root, &proof) {
        Ok(()) => Ok(ConsistencySummary {
            old_size: old.size,
            new_size: new.size,
            proof: proof.iter().map(base64_of).collect(),
        }),
        Err(e) => Err(format!(
            "the archive's checkpoint ({} lines) is not consistent with it by a proof from the index: {e}",
            new.size
        )),
    })
}

fn base64_of(hash: &Hash) -> String {
    Checkpoint { origin: String::new(), size: 0, root: *hash }.root_base64()
}

/// The tree's root over the first n lines, for each n of `sizes` not beyond the index: one pass.
fn roots_at(lines: &[&[u8]], sizes: &BTreeSet<u64>) -> BTreeMap<u64, Hash> {
    let mut out = BTreeMap::new();
    let mut frontier = Frontier::default();
    if sizes.contains(&0) {
        out.insert(0, frontier.root());
    }
    let Some(&largest) = sizes.iter().next_back() else { return out };
    for line in lines.iter().take(usize::try_from(largest).unwrap_or(usize::MAX)) {
        frontier.push(leaf_hash(line));
        if sizes.contains(&frontier.size) {
            out.insert(frontier.size, frontier.root());
        }
    }
    out
}

fn at_line(line: usize, message: impl Into<String>) -> ArchiveProblem {
    ArchiveProblem { subject: format!("{INDEX} line {line}"), line: Some(line), message: message.into() }
}

fn about(subject: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> ArchiveProblem {
    ArchiveProblem { subject: subject.into(), line, message: message.into() }
}

pub(crate) async fn verify(
    archive: &Archive,
    keys: &[PublicKey],
    kept: Option<&str>,
    witnesses: &[WitnessKey],
) -> Result<ArchiveReport, ArchiveError> {
    let store = &archive.store;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let kept = kept.map(SignedCheckpoint::parse);
    let Some((bytes, layout)) = store.read_index().await? else {
        // Nothing to verify is not a valid archive.
        let reason = match archive.no_archive() {
            ArchiveError::NoArchive { reason, .. } => reason,
            other => other.to_string(),
        };
        problems.push(about(&store.location, None, format!("not an archive: {reason}")));
        if let Some(Ok(k)) = &kept {
            problems.push(about(
                KEPT,
                None,
                format!(
                    "describes {} lines of {:?}, the location holds no archive",
                    k.checkpoint.size, k.checkpoint.origin
                ),
            ));
        }
        return Ok(ArchiveReport {
            location: store.location.clone(),
            valid: false,
            entries: 0,
            bundles: 0,
            decisions: 0,
            head: None,
            archive_id: None,
            checkpoint: None,
            kept_checkpoint: None,
            consistency: None,
            problems,
            warnings,
        });
    };
    for l in layout {
        problems.push(about(INDEX, None, l));
    }
    let (lines, terminated) = split_lines(&bytes);
    if lines.is_empty() {
        problems.push(about(INDEX, None, "is empty: an archive with no history proves nothing"));
    }
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
    let mut cited: Vec<(usize, String, Result<SignedCheckpoint, String>)> = Vec::new();
    for (n, e) in &entries {
        if let Record::Decision(d) = &e.record {
            decisions += 1;
            let (found, note) = check_decision(archive, *n, e, d, keys, &entries).await?;
            problems.extend(found);
            let subject = format!("decisions/{}.intoto.jsonl", e.id);
            match note {
                Some(note) => cited.push((*n, subject, SignedCheckpoint::parse(&note))),
                None => warnings.push(about(
                    subject,
                    Some(*n),
                    "carries no archive checkpoint (recorded by a certify before checkpoints): what it was \
                     decided on cannot be shown",
                )),
            }
        }
    }

    // The tree over the lines as stored, against every checkpoint that describes it.
    let archive_id = match archive.archive_id().await {
        Ok(id) => id,
        Err(e) => {
            problems.push(about(crate::ARCHIVE_META, None, e.to_string()));
            None
        }
    };
    let own = match store.get(CHECKPOINT).await? {
        None => {
            problems.push(about(
                CHECKPOINT,
                None,
                "missing: nothing fixes the index's size and root (written by a certify before checkpoints, or \
                 removed); the next append writes one",
            ));
            None
        }
        Some(b) => match String::from_utf8(b)
            .map_err(|_| "not UTF-8 text".to_owned())
            .and_then(|t| SignedCheckpoint::parse(&t))
        {
            Err(e) => {
                problems.push(about(CHECKPOINT, None, format!("not a checkpoint: {e}")));
                None
            }
            Ok(c) => Some(c),
        },
    };
    let mut sizes: BTreeSet<u64> =
        cited.iter().filter_map(|(_, _, c)| c.as_ref().ok()).map(|c| c.checkpoint.size).collect();
    sizes.extend(own.iter().chain(kept.iter().filter_map(|k| k.as_ref().ok())).map(|c| c.checkpoint.size));
    let roots = roots_at(&lines, &sizes);
    if let Some(c) = &own {
        let n = lines.len() as u64;
        if let Some(p) = origin_problem(c, archive_id.as_deref()) {
            problems.push(about(CHECKPOINT, None, p));
        }
        if c.checkpoint.size < n {
            problems.push(about(
                CHECKPOINT,
                None,
                format!(
                    "covers {} of the {n} lines: lines {}..={n} are in no checkpoint (an interrupted append, or \
                     lines added by hand); the next append catches up",
                    c.checkpoint.size,
                    c.checkpoint.size + 1
                ),
            ));
        }
        if let Some(p) = covered(lines.len(), &roots, &c.checkpoint) {
            problems.push(about(CHECKPOINT, None, p));
        }
        if c.signatures.is_empty() {
            warnings.push(about(
                CHECKPOINT,
                None,
                "not signed (appended without a signing key): it fixes the root, but someone who can write the \
                 archive can write another; keep signed checkpoints outside the archive",
            ));
        } else if c.verified_by(keys).is_empty() {
            problems.push(about(CHECKPOINT, None, "signed, but by no trusted key (or the signature does not verify)"));
        }
    }
    let mut cosigned = Vec::new();
    let mut consistency = None;
    if let Some(kept) = &kept {
        match kept {
            Err(e) => problems.push(about(KEPT, None, format!("not a checkpoint: {e}"))),
            Ok(c) => {
                if let Some(p) = origin_problem(c, archive_id.as_deref()) {
                    problems.push(about(KEPT, None, p));
                }
                if c.signatures.is_empty() {
                    problems.push(about(
                        KEPT,
                        None,
                        "not signed: nothing shows it was written by this archive's appenders",
                    ));
                } else if c.verified_by(keys).is_empty() {
                    problems.push(about(
                        KEPT,
                        None,
                        "signed, but by no trusted key (or the signature does not verify)",
                    ));
                }
                if let Some(p) = covered(lines.len(), &roots, &c.checkpoint) {
                    problems.push(about(KEPT, None, p));
                }
                for w in witnesses {
                    match w.cosigned(c) {
                        Some(cosig) => {
                            cosigned.push(CosignatureSummary { witness: cosig.name, timestamp: cosig.timestamp })
                        }
                        None => problems.push(about(
                            KEPT,
                            None,
                            format!(
                                "not cosigned by the witness {} ({}): no cosignature line of that name and key \
                                 verifies over it",
                                w.name,
                                w.vkey()
                            ),
                        )),
                    }
                }
                if let Some(own) = &own {
                    match extends(&lines, &c.checkpoint, &own.checkpoint) {
                        Some(Ok(proof)) => consistency = Some(proof),
                        Some(Err(p)) => problems.push(about(KEPT, None, p)),
                        None => {}
                    }
                }
            }
        }
    }
    for (n, subject, c) in &cited {
        match c {
            Err(e) => {
                problems.push(about(subject, Some(*n), format!("its archive checkpoint is not a checkpoint: {e}")))
            }
            Ok(c) => {
                if let Some(p) = origin_problem(c, archive_id.as_deref()) {
                    problems.push(about(subject, Some(*n), format!("its archive checkpoint {p}")));
                }
                if c.checkpoint.size >= *n as u64 {
                    problems.push(about(
                        subject,
                        Some(*n),
                        format!(
                            "its archive checkpoint describes {} lines, but the decision is line {n}: it was decided on \
                             the lines before it",
                            c.checkpoint.size
                        ),
                    ));
                } else if let Some(p) = covered(lines.len(), &roots, &c.checkpoint) {
                    problems.push(about(
                        subject,
                        Some(*n),
                        format!("the archive it was decided on is not this one: {p}"),
                    ));
                }
            }
        }
    }

    // Stored, but not indexed.
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
        archive_id,
        checkpoint: own.as_ref().map(|c| CheckpointSummary::of(c, keys)),
        kept_checkpoint: kept
            .and_then(Result::ok)
            .map(|c| CheckpointSummary { cosigned_by: cosigned, ..CheckpointSummary::of(&c, keys) }),
        consistency,
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
) -> Result<(Vec<ArchiveProblem>, Option<String>), ArchiveError> {
    let id = &entry.id;
    if !decision::is_sha256(id) {
        return Ok((vec![at_line(n, format!("id {id:?} is not a sha256 in lowercase hex"))], None));
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
        return Ok((problems, None));
    };
    let got = sha256_hex(&bytes);
    if got != *id {
        problems.push(about(&path, Some(n), format!("modified: sha256 is {got}, the index says {id}")));
    }
    let mut note = None;
    match decision::verify(&bytes, keys) {
        Err(reason) => problems.push(about(&path, Some(n), reason)),
        Ok(statement) => {
            for d in decision::disagreements(meta, &statement) {
                problems.push(at_line(n, d));
            }
            note = decision::embedded_checkpoint(&statement).map(str::to_owned);
        }
    }
    Ok((problems, note))
}
