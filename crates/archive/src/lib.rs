//! The evidence archive: where evidence bundles and gate decision records are kept for years,
//! in a local directory or an S3-compatible bucket (`s3://bucket/prefix`), with the same
//! layout and the same code (one `Arc<dyn ObjectStore>`), and an append-only, hash-chained
//! index that makes removed, reordered, edited or inserted history detectable.
//!
//! ```text
//! <root>/bundles/<id>/...                 a bundle's files; id = sha256 of its attestation.intoto.jsonl
//!                                         (of its bundle.json when unsigned)
//! <root>/decisions/<id>.intoto.jsonl      signed gate decision records; id = sha256 of the file
//! <root>/index.jsonl                      one line per bundle or decision (see [`index`])
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
//! the chain. The index is replaced whole, by optimistic concurrency:
//!
//! 1. read `index.jsonl` and the version it was read at (its ETag);
//! 2. if the entry's id is already there, stop: it was added (by us, or concurrently);
//! 3. build the line: `seq` one more than the last line's, `prev` the sha256 of the last line;
//! 4. write the old bytes plus the new line back, **only if the index is still at the version
//!    read** — `If-Match: <ETag>` on S3 (`PutMode::Update`), `If-None-Match: *` while there is
//!    no index (`PutMode::Create`);
//! 5. if another writer got there first (412 Precondition Failed), wait a random delay that
//!    grows with each attempt, and start again from 1; give up after [`MAX_APPEND_ATTEMPTS`].
//!
//! Every successful write extends exactly the version its writer read, so lines are never
//! lost or interleaved, and the re-check of step 2 makes a retried or concurrent add of the
//! same content a no-op. A local directory runs the same steps, but `LocalFileSystem` has no
//! conditional replace: there, steps 1–4 run under an exclusive lock on `index.jsonl.lock`
//! (see [`store`](crate::store) for both primitives), which serializes writers on one machine
//! (a directory shared over a network file system needs working `flock`).
//!
//! The chain proves the order and integrity of every line but the last against the lines
//! after it; a truncated tail is only visible against an earlier copy of the head
//! ([`ArchiveReport::head`]) or the bundles left without a line.

mod bundle;
mod decision;
mod error;
mod filter;
pub mod index;
mod store;
mod verify;

use std::{
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use certify_evidence::{
    attest::{PublicKey, sha256_hex},
    bundle::MANIFEST,
    manifest::Manifest,
};
use futures::{StreamExt as _, TryStreamExt as _};

pub use crate::{
    error::ArchiveError,
    filter::Filter,
    index::{BundleMeta, DecisionMeta, FeatureSummary, IndexEntry, Record},
    verify::{ArchiveProblem, ArchiveReport},
};
use crate::{
    error::io_err,
    index::{GENESIS, INDEX, line_hash, split_lines},
    store::{Store, Written, object_path, relative_name},
};

/// How many times an append re-reads the index after losing a race before giving up.
pub const MAX_APPEND_ATTEMPTS: usize = 100;

/// Files uploaded or downloaded at once.
const PARALLEL_TRANSFERS: usize = 8;

/// An opened archive.
#[derive(Debug)]
pub struct Archive {
    store: Store,
}

impl Archive {
    /// Opens the archive at `location`: a directory (created when missing) or
    /// `s3://bucket[/prefix]`, configured from the process environment's `AWS_*` variables.
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
        Ok(Archive { store: Store::open(location, env).await? })
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
        let scratch = tempfile::tempdir().map_err(io_err(std::env::temp_dir()))?;
        let (src, into, keys) = (dir.to_path_buf(), scratch.path().to_path_buf(), keys.to_vec());
        let checked = tokio::task::spawn_blocking(move || bundle::check(&src, &into, &keys, allow_unsigned))
            .await
            .map_err(|e| join_error(dir, e))??;
        if let Some(existing) = self.entries().await?.into_iter().find(|e| e.id == checked.id && e.bundle().is_some()) {
            return Ok(existing);
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
        self.append(&checked.id, prefix, Record::Bundle(checked.meta), |_| Ok(())).await
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
        let missing_inputs = |entries: &[IndexEntry]| {
            let missing: Vec<String> = meta
                .inputs
                .iter()
                .filter(|i| !entries.iter().any(|e| &e.id == *i && e.bundle().is_some()))
                .map(|i| format!("input {i} is not a bundle of this archive"))
                .collect();
            if missing.is_empty() { Ok(()) } else { Err(ArchiveError::InvalidDecision { reasons: missing }) }
        };
        let entries = self.entries().await?;
        if let Some(existing) = entries.iter().find(|e| e.id == id && e.decision().is_some()) {
            return Ok(existing.clone());
        }
        missing_inputs(&entries)?;
        self.store.put(&path, bytes).await?;
        self.append(&id, path, Record::Decision(meta.clone()), missing_inputs).await
    }

    /// Every entry of the index, in order. A line that is not an index entry is an
    /// [`ArchiveError::Index`] naming it.
    pub async fn entries(&self) -> Result<Vec<IndexEntry>, ArchiveError> {
        let bytes = self.store.get(INDEX).await?.unwrap_or_default();
        let (lines, _) = split_lines(&bytes);
        self.parse_lines(&lines)
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
        verify::verify(self, keys).await
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

    /// Appends the entry `id` unless the index already has it (see the module docs for the
    /// protocol). `check` sees the current entries before the line is built.
    async fn append(
        &self,
        id: &str,
        path: String,
        record: Record,
        check: impl Fn(&[IndexEntry]) -> Result<(), ArchiveError>,
    ) -> Result<IndexEntry, ArchiveError> {
        for attempt in 0..MAX_APPEND_ATTEMPTS {
            let mut snapshot = self.store.read_for_update(INDEX).await?;
            let (lines, terminated) = split_lines(&snapshot.bytes);
            if !terminated {
                return Err(ArchiveError::Index {
                    location: self.store.location.clone(),
                    line: lines.len(),
                    reason: "the last line has no newline: the index was cut short; nothing is appended \
                             until `certify archive verify` has been looked at"
                        .to_owned(),
                });
            }
            let entries = self.parse_lines(&lines)?;
            let kind_matches = |e: &IndexEntry| std::mem::discriminant(&e.record) == std::mem::discriminant(&record);
            if let Some(existing) = entries.iter().find(|e| e.id == id && kind_matches(e)) {
                return Ok(existing.clone());
            }
            check(&entries)?;
            let entry = IndexEntry {
                seq: entries.last().map_or(1, |e| e.seq + 1),
                prev: lines.last().map_or_else(|| GENESIS.to_owned(), |l| line_hash(l)),
                id: id.to_owned(),
                added_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
                path: path.clone(),
                record: record.clone(),
            };
            let mut bytes = std::mem::take(&mut snapshot.bytes);
            bytes.extend_from_slice(entry.to_line().as_bytes());
            bytes.push(b'\n');
            match self.store.write_if_unchanged(INDEX, snapshot, bytes).await? {
                Written::Done => return Ok(entry),
                Written::Conflict => {
                    let cap = Duration::from_millis(20u64 << attempt.min(5)).min(Duration::from_millis(500));
                    tokio::time::sleep(store::jitter(cap)).await;
                }
            }
        }
        Err(ArchiveError::Contention { location: self.store.location.clone(), attempts: MAX_APPEND_ATTEMPTS })
    }
}

fn join_error(dir: &Path, e: tokio::task::JoinError) -> ArchiveError {
    ArchiveError::Io { path: PathBuf::from(dir), source: std::io::Error::other(e) }
}
