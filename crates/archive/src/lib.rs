//! The evidence archive: where evidence bundles and gate decision records are kept for years,
//! in a local directory or an S3-compatible bucket (`s3://bucket/prefix`), with the same
//! layout and the same code (one `Arc<dyn ObjectStore>`), and an append-only, hash-chained
//! index that makes removed, reordered, edited or inserted history detectable.
//!
//! ```text
//! <root>/bundles/<id>/...                 a bundle's files; id = sha256 of its attestation.intoto.jsonl
//!                                         (of its bundle.json when unsigned)
//! <root>/decisions/<id>.intoto.jsonl      signed gate decision records; id = sha256 of the file
//! <root>/index.jsonl                      one line per bundle or decision (see [`index`]); on S3
//!                                         index/00000000.jsonl, … of 1,000 lines (see `store`)
//! <root>/archive.json, checkpoint         the archive's id, and its signed checkpoint (see `log`)
//! <root>/tree.json, ids/                  what appenders continue from (caches, see `log`)
//! ```
//!
//! S3 settings come from the standard AWS variables, as `AmazonS3Builder::from_env` reads
//! them: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL` (an S3-compatible server) and `AWS_ALLOW_HTTP=true` (a plain-HTTP one).
//! The credentials need `s3:ListBucket`, `s3:GetObject` and `s3:PutObject` on the bucket, and
//! the store must support conditional writes (`If-Match` / `If-None-Match` on PutObject, as
//! AWS S3, MinIO and R2 do); the archive never falls back to unconditional index writes.
//!
//! # Adding: nothing half-written
//!
//! A bundle is copied into a private snapshot, and that snapshot is verified (signature and
//! every digest) and uploaded: what was checked is what is stored. Its files go first, under
//! their content-derived id, and the index line last; an interrupted add leaves at most files
//! that no line refers to (`verify` lists them as warnings, and adding the bundle again
//! completes it). Adding a bundle or decision already indexed changes nothing and returns the
//! existing entry.
//!
//! # Appending: several writers at once
//!
//! Parallel CI jobs may append at the same time; none may lose or duplicate an entry or fork
//! the chain, and an append costs the same in an archive of 100 entries as in one of 10,000:
//! it never reads or rewrites the whole index. [`log`](crate::log) has the protocol and
//! [`store`](crate::store) the two layouts (one `index.jsonl` appended in place under a lock
//! in a directory; bounded segments replaced by conditional writes on S3).
//!
//! # A transparency log
//!
//! The index lines are the leaves of an RFC 6962 Merkle tree ([`merkle`]). After every append
//! the archive holds `checkpoint`, a signed note of the tree's size and root ([`checkpoint`]),
//! signed by the appender's key ([`Archive::with_signer`]). A checkpoint kept outside the
//! archive shows, later, that the archive still holds the history it described
//! ([`Archive::verify_with`]): cutting lines from the end, rolling the archive back or
//! replacing it, and editing any byte of any line are all seen. Reading an archive never
//! creates anything; a location with no index, or whose checkpoint disagrees with it, is not
//! a valid archive.

mod bundle;
pub mod checkpoint;
mod decision;
mod error;
mod filter;
pub mod index;
mod log;
pub mod merkle;
mod store;
mod verify;
pub mod witness;

use std::path::{Path, PathBuf};

use certify_evidence::{
    attest::{PublicKey, SigningKey, Statement, sha256_hex},
    bundle::MANIFEST,
    manifest::Manifest,
};
use futures::{StreamExt as _, TryStreamExt as _};

use crate::{
    checkpoint::SignedCheckpoint,
    error::io_err,
    index::split_lines,
    store::{Store, object_path, relative_name},
};
pub use crate::{
    decision::{CHECKPOINT_FIELD, embed_checkpoint, input_uri},
    error::ArchiveError,
    filter::Filter,
    index::{BundleMeta, DecisionMeta, FeatureSummary, IndexEntry, Record},
    log::{ARCHIVE_META, CHECKPOINT},
    verify::{ArchiveProblem, ArchiveReport, CheckpointSummary, ConsistencySummary, CosignatureSummary},
};

/// How many times an append re-reads the index after losing a race before giving up.
pub const MAX_APPEND_ATTEMPTS: usize = 100;

/// Files uploaded or downloaded at once.
const PARALLEL_TRANSFERS: usize = 8;

/// What adding a bundle did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The bundle was appended as this entry.
    Appended(IndexEntry),
    /// The archive already held it, as this entry; nothing was added.
    AlreadyArchived(IndexEntry),
}

impl Added {
    /// The bundle's entry, new or existing.
    pub fn entry(&self) -> &IndexEntry {
        match self {
            Added::Appended(e) | Added::AlreadyArchived(e) => e,
        }
    }

    /// The bundle's entry, new or existing.
    pub fn into_entry(self) -> IndexEntry {
        match self {
            Added::Appended(e) | Added::AlreadyArchived(e) => e,
        }
    }
}

/// An opened archive.
#[derive(Debug)]
pub struct Archive {
    store: Store,
    /// Signs the checkpoint after each append; `None` writes it unsigned.
    signer: Option<SigningKey>,
}

/// What a reader of the archive relies on: its checkpoint, checked against the index read,
/// and the entries that checkpoint covers.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The checkpoint's signed note, as stored.
    pub note: String,
    pub checkpoint: SignedCheckpoint,
    /// The first `checkpoint.size` entries of the index.
    pub entries: Vec<IndexEntry>,
}

impl Archive {
    /// Opens the archive at `location`: a directory or `s3://bucket[/prefix]`, configured
    /// from the process environment's `AWS_*` variables. Nothing is created: a directory that
    /// does not exist reads as no archive, and the first append creates it.
    /// An S3 archive is contacted once, so that an unreachable endpoint
    /// ([`ArchiveError::Unreachable`]), refused credentials ([`ArchiveError::Credentials`]) or
    /// a missing bucket are reported here.
    pub async fn open(location: &str) -> Result<Archive, ArchiveError> {
        // Variables that are not Unicode cannot be AWS settings; `env::vars` would panic on them.
        let env = std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        Archive::open_with_env(location, env).await
    }

    /// [`Archive::open`] with the `AWS_*` settings taken from `env` instead of the process
    /// environment (other names are ignored).
    pub async fn open_with_env(
        location: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Archive, ArchiveError> {
        Ok(Archive { store: Store::open(location, env).await?, signer: None })
    }

    /// An archive on any object store with conditional writes (an S3 layout), named
    /// `location` in messages: for embedding and for measuring what an append costs.
    pub fn on_object_store(store: std::sync::Arc<dyn object_store::ObjectStore>, location: &str) -> Archive {
        Archive { store: Store::from_object_store(store, location), signer: None }
    }

    /// Signs the checkpoint written after each append with `key` (`None`: unsigned).
    pub fn with_signer(mut self, key: Option<SigningKey>) -> Archive {
        self.signer = key;
        self
    }

    /// The location the archive was opened at.
    pub fn location(&self) -> &str {
        &self.store.location
    }

    /// Verifies the bundle at `dir` (signature against `keys`, every digest) and adds it.
    /// Refuses an invalid bundle, naming its problems, and an unsigned one unless
    /// `allow_unsigned` (it is then recorded with `unsigned_allowed: true`). Only regular
    /// files with plain relative names are taken; a symlink refuses the bundle. Adding a
    /// bundle already in the archive returns its existing entry.
    pub async fn add_bundle(
        &self,
        dir: &Path,
        keys: &[PublicKey],
        allow_unsigned: bool,
    ) -> Result<IndexEntry, ArchiveError> {
        self.import_bundle(dir, keys, allow_unsigned).await.map(Added::into_entry)
    }

    /// [`Archive::add_bundle`], saying whether the bundle was appended or was already archived
    /// (then nothing is written, and the existing entry is returned).
    pub async fn import_bundle(
        &self,
        dir: &Path,
        keys: &[PublicKey],
        allow_unsigned: bool,
    ) -> Result<Added, ArchiveError> {
        let scratch = tempfile::tempdir().map_err(io_err(std::env::temp_dir()))?;
        let (src, into, keys) = (dir.to_path_buf(), scratch.path().to_path_buf(), keys.to_vec());
        let checked = tokio::task::spawn_blocking(move || bundle::check(&src, &into, &keys, allow_unsigned))
            .await
            .map_err(|e| join_error(dir, e))??;
        if let Some(existing) = self.find_indexed(&checked.id, "bundle").await? {
            return Ok(Added::AlreadyArchived(existing));
        }
        let prefix = format!("bundles/{}", checked.id);
        // Futures built up front (not in a stream's closure), so that the whole future stays `Send`.
        let uploads: Vec<_> = checked
            .files
            .iter()
            .map(|f| {
                let (path, key) = (checked.dir.join(f), format!("{prefix}/{f}"));
                async move {
                    let bytes = tokio::fs::read(&path).await.map_err(io_err(&path))?;
                    self.store.put(&key, bytes).await
                }
            })
            .collect();
        futures::stream::iter(uploads).buffer_unordered(PARALLEL_TRANSFERS).try_collect::<()>().await?;
        self.append(&checked.id, prefix, Record::Bundle(checked.meta), &[]).await
    }

    /// The statement of the decision record `entry` (a decision of this archive), read as
    /// certify writes it and checked against the id the index gives it (its sha256). The
    /// signature is not checked: [`Archive::verify`] does that.
    pub async fn decision_statement(&self, entry: &IndexEntry) -> Result<Statement, ArchiveError> {
        let invalid =
            |reason: String| ArchiveError::InvalidDecision { reasons: vec![format!("{}: {reason}", entry.path)] };
        if entry.decision().is_none() || !decision::is_sha256(&entry.id) {
            return Err(invalid(format!("index line {} is not a decision record", entry.seq)));
        }
        let path = format!("decisions/{}.intoto.jsonl", entry.id);
        let Some(bytes) = self.store.get(&path).await? else {
            return Err(invalid("missing: the index records this decision, the archive does not hold it".to_owned()));
        };
        let got = sha256_hex(&bytes);
        if got != entry.id {
            return Err(invalid(format!("modified: sha256 is {got}, the index says {}", entry.id)));
        }
        decision::read(&bytes).map(|(_, statement)| statement).map_err(invalid)
    }

    /// Adds a gate decision record: `envelope_line` is its DSSE envelope (one JSON line; a
    /// final newline is added when missing), `meta` what the index records of it. Refuses a
    /// record that is not a signed in-toto Statement with the SLSA Verification Summary
    /// predicate, whose predicate disagrees with `meta`, or that relies on a bundle the archive
    /// does not hold. The signature itself is checked by [`Archive::verify`].
    pub async fn add_decision(&self, envelope_line: &[u8], meta: DecisionMeta) -> Result<IndexEntry, ArchiveError> {
        let mut reasons = Vec::new();
        if !decision::is_sha256(&meta.policy_sha256) {
            reasons.push(format!("policy_sha256 {:?} is not a sha256 in lowercase hex", meta.policy_sha256));
        }
        for i in meta.inputs.iter().filter(|i| !decision::is_sha256(i)) {
            reasons.push(format!("input {i:?} is not a bundle id (a sha256 in lowercase hex)"));
        }
        match decision::read(envelope_line) {
            Err(e) => reasons.push(e),
            Ok((_, statement)) => reasons.extend(decision::disagreements(&meta, &statement)),
        }
        if !reasons.is_empty() {
            return Err(ArchiveError::InvalidDecision { reasons });
        }
        let mut bytes = envelope_line.to_vec();
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        let id = sha256_hex(&bytes);
        let path = format!("decisions/{id}.intoto.jsonl");
        if let Some(existing) = self.find_indexed(&id, "decision").await? {
            return Ok(existing);
        }
        let mut missing = Vec::new();
        for input in &meta.inputs {
            if self.find_indexed(input, "bundle").await?.is_none() {
                missing.push(format!("input {input} is not a bundle of this archive"));
            }
        }
        if !missing.is_empty() {
            return Err(ArchiveError::InvalidDecision { reasons: missing });
        }
        self.store.put(&path, bytes).await?;
        let inputs = meta.inputs.clone();
        self.append(&id, path, Record::Decision(meta), &inputs).await.map(Added::into_entry)
    }

    /// Every entry of the index, in order. A line that is not an index entry is an
    /// [`ArchiveError::Index`] naming it.
    pub async fn entries(&self) -> Result<Vec<IndexEntry>, ArchiveError> {
        let bytes = self.index_bytes().await?;
        let (lines, _) = split_lines(&bytes);
        self.parse_lines(&lines)
    }

    /// The index's bytes; [`ArchiveError::NoArchive`] when there is none.
    async fn index_bytes(&self) -> Result<Vec<u8>, ArchiveError> {
        match self.store.read_index().await? {
            Some((bytes, _)) => Ok(bytes),
            None => Err(self.no_archive()),
        }
    }

    fn no_archive(&self) -> ArchiveError {
        let reason = if self.store.exists() {
            "no index: nothing was ever archived here"
        } else {
            "does not exist (only an append creates an archive)"
        };
        ArchiveError::NoArchive { location: self.store.location.clone(), reason: reason.to_owned() }
    }

    /// The archive's current checkpoint, checked against the index (the archive's id, the
    /// number of lines, the root of the lines it covers), with the entries it covers. A reader
    /// that decides on the archive (the gate) relies on exactly these entries and cites the
    /// checkpoint. Lines appended after the checkpoint was read are left out.
    pub async fn snapshot(&self) -> Result<Snapshot, ArchiveError> {
        let fail = |reason: String| ArchiveError::Checkpoint { location: self.store.location.clone(), reason };
        let Some(note) = self.store.get(CHECKPOINT).await? else {
            if self.store.read_index().await?.is_none() {
                return Err(self.no_archive());
            }
            return Err(fail(
                "missing: the archive holds no checkpoint of its index (written by certify before checkpoints,                  or removed); the next append writes one"
                    .to_owned(),
            ));
        };
        let note = String::from_utf8(note).map_err(|_| fail("is not UTF-8 text".to_owned()))?;
        let checkpoint = SignedCheckpoint::parse(&note).map_err(fail)?;
        let id = self.archive_id().await?;
        if let Some(problem) = verify::origin_problem(&checkpoint, id.as_deref()) {
            return Err(fail(problem));
        }
        let bytes = self.index_bytes().await?;
        let (lines, _) = split_lines(&bytes);
        let size = usize::try_from(checkpoint.checkpoint.size).unwrap_or(usize::MAX);
        if let Some(problem) = verify::covers(&lines, &checkpoint.checkpoint) {
            return Err(fail(problem));
        }
        let entries = self.parse_lines(&lines[..size])?;
        Ok(Snapshot { note, checkpoint, entries })
    }

    /// The body of a witness's `add-checkpoint` request (C2SP tlog-witness) for the archive's
    /// current checkpoint: the proof, computed from the index lines, that the checkpoint
    /// extends the tree of the first `old_size` lines a witness last cosigned. A witness that
    /// holds more lines than the checkpoint is a [`ArchiveError::Checkpoint`]: the archive was
    /// rolled back (or the size is wrong).
    pub async fn witness_request(&self, old_size: u64) -> Result<witness::WitnessRequest, ArchiveError> {
        let snapshot = self.snapshot().await?;
        let size = snapshot.checkpoint.checkpoint.size;
        let fail = |reason: String| ArchiveError::Checkpoint { location: self.store.location.clone(), reason };
        if old_size > size {
            return Err(fail(format!(
                "describes {size} lines, fewer than the {old_size} a witness holds: a witness never saw more lines \
                 than the archive's checkpoint unless the archive was rolled back (or the old size is wrong)"
            )));
        }
        let bytes = self.index_bytes().await?;
        let (lines, _) = split_lines(&bytes);
        let leaves: Vec<merkle::Hash> =
            lines.iter().take(usize::try_from(size).unwrap_or(usize::MAX)).map(|l| merkle::leaf_hash(l)).collect();
        // The lines read now are the ones the snapshot checked, unless the index changed between.
        if leaves.len() as u64 != size || merkle::root(&leaves) != snapshot.checkpoint.checkpoint.root {
            return Err(fail("the index changed while it was read: try again".to_owned()));
        }
        let proof = merkle::consistency_proof(&leaves, usize::try_from(old_size).unwrap_or(usize::MAX));
        Ok(witness::WitnessRequest { old_size, proof, note: snapshot.note })
    }

    /// The entries that `filter` selects, in index order.
    pub async fn list(&self, filter: &Filter) -> Result<Vec<IndexEntry>, ArchiveError> {
        Ok(self.entries().await?.into_iter().filter(|e| filter.matches(e)).collect())
    }

    /// The entry whose id starts with `id_prefix` (which must match exactly one id), and for
    /// a bundle its manifest (`None` when the archive's copy has none that parses).
    pub async fn show(&self, id_prefix: &str) -> Result<(IndexEntry, Option<Manifest>), ArchiveError> {
        let prefix = id_prefix.trim().to_ascii_lowercase();
        let entries = self.entries().await?;
        let mut ids: Vec<&str> = if prefix.is_empty() {
            Vec::new()
        } else {
            entries.iter().map(|e| e.id.as_str()).filter(|id| id.starts_with(&prefix)).collect()
        };
        ids.sort_unstable();
        ids.dedup();
        let entry = match ids.as_slice() {
            [] => return Err(ArchiveError::NotFound { prefix: id_prefix.to_owned() }),
            [one] => entries.iter().find(|e| e.id == *one).cloned(),
            many => {
                return Err(ArchiveError::Ambiguous {
                    prefix: id_prefix.to_owned(),
                    matches: many.iter().map(|s| s.to_string()).collect(),
                });
            }
        };
        let Some(entry) = entry else { return Err(ArchiveError::NotFound { prefix: id_prefix.to_owned() }) };
        let manifest = match entry.record {
            Record::Bundle(_) => self
                .store
                .get(&format!("{}/{MANIFEST}", entry.path))
                .await?
                .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok()),
            Record::Decision(_) => None,
        };
        Ok((entry, manifest))
    }

    /// Downloads the bundle `id` (its full id) into `to`, which must not exist or be empty.
    /// Stored names that are not plain relative paths are refused, never written.
    pub async fn fetch_bundle(&self, id: &str, to: &Path) -> Result<(), ArchiveError> {
        if !decision::is_sha256(id) {
            return Err(ArchiveError::Unsafe {
                path: id.to_owned(),
                reason: "not a bundle id: expected a sha256 in lowercase hex (64 digits)".to_owned(),
            });
        }
        if store::non_empty_dir(to) {
            return Err(ArchiveError::Unsafe {
                path: to.display().to_string(),
                reason: "exists and is not empty: a bundle is fetched into a new or empty directory".to_owned(),
            });
        }
        let prefix = format!("bundles/{id}");
        let base = object_path(&prefix);
        let objects = self.store.list(&prefix).await?;
        if objects.is_empty() {
            return Err(ArchiveError::NotFound { prefix: id.to_owned() });
        }
        let mut files: Vec<(String, &object_store::path::Path)> = Vec::with_capacity(objects.len());
        for o in &objects {
            let rel = relative_name(&base, &o.location).filter(|r| bundle::safe_relative(r)).ok_or_else(|| {
                ArchiveError::Unsafe {
                    path: o.location.to_string(),
                    reason: "stored name is not a plain relative path inside the bundle: not fetched".to_owned(),
                }
            })?;
            files.push((rel, &o.location));
        }
        tokio::fs::create_dir_all(to).await.map_err(io_err(to))?;
        let downloads: Vec<_> = files
            .into_iter()
            .map(|(rel, key)| async move {
                let bytes = self.store.get_at(key).await?;
                let dest = to.join(rel);
                if let Some(parent) = dest.parent() {
                    tokio::fs::create_dir_all(parent).await.map_err(io_err(parent))?;
                }
                tokio::fs::write(&dest, bytes).await.map_err(io_err(&dest))
            })
            .collect();
        futures::stream::iter(downloads).buffer_unordered(PARALLEL_TRANSFERS).try_collect::<()>().await
    }

    /// Checks the whole history: the index's hash chain and sequence (naming each line where
    /// it breaks), every bundle re-verified against `keys` and compared with its index line,
    /// every decision record's signature and fields. Returns every problem found; an `Err` only
    /// when the archive cannot be read at all.
    pub async fn verify(&self, keys: &[PublicKey]) -> Result<ArchiveReport, ArchiveError> {
        verify::verify(self, keys, None, &[]).await
    }

    /// [`Archive::verify`], and that the archive still holds the history `checkpoint` (a
    /// signed note kept outside the archive) describes: its origin is this archive, a key of
    /// `keys` signed it, and the archive's first N lines have its root.
    pub async fn verify_with(&self, keys: &[PublicKey], checkpoint: &str) -> Result<ArchiveReport, ArchiveError> {
        verify::verify(self, keys, Some(checkpoint), &[]).await
    }

    /// [`Archive::verify_with`], and that each of `witnesses` cosigned the kept `checkpoint`
    /// (C2SP tlog-cosignature): an auditor who requires a witness sees that the archive
    /// showed that history to someone independent too.
    pub async fn verify_witnessed(
        &self,
        keys: &[PublicKey],
        checkpoint: &str,
        witnesses: &[witness::WitnessKey],
    ) -> Result<ArchiveReport, ArchiveError> {
        verify::verify(self, keys, Some(checkpoint), witnesses).await
    }

    fn parse_lines(&self, lines: &[&[u8]]) -> Result<Vec<IndexEntry>, ArchiveError> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                IndexEntry::parse(l).map_err(|e| ArchiveError::Index {
                    location: self.store.location.clone(),
                    line: i + 1,
                    reason: format!("not an index entry: {e}"),
                })
            })
            .collect()
    }
}

fn join_error(dir: &Path, e: tokio::task::JoinError) -> ArchiveError {
    ArchiveError::Io { path: PathBuf::from(dir), source: std::io::Error::other(e) }
}
