//! The archive as a transparency log: its id, the state an appender continues from, the
//! append protocol, and the checkpoint published after every append.
//!
//! ```text
//! <root>/archive.json     {"archive_id":"<32 hex digits>","created_at":"…"}: written by the first
//!                         append, never changed; checkpoints name the archive by it
//! <root>/checkpoint       the signed checkpoint of the whole index (see [`crate::checkpoint`])
//! <root>/tree.json        the appenders' state: the tree's right frontier (O(log n) hashes), the
//!                         index's length in bytes, the last line's seq and sha256
//! <root>/ids/<kind>-<id>  the index line of each entry: finds an entry already added without
//!                         reading the index
//! ```
//!
//! `tree.json` and `ids/` are caches an appender rebuilds from the index when they are
//! missing or behind; `archive verify` never trusts them: it recomputes the tree from the
//! lines as stored and compares it with the checkpoint.
//!
//! # Appending
//!
//! 1. take the local lock (a directory; nothing on S3);
//! 2. read `archive.json` (creating it on the first append), then `tree.json`;
//! 3. read the index after the lines the state covers (see [`Store::index_tail`]): lines an
//!    appender wrote before it crashed, or whose state a concurrent writer has not published
//!    yet, are caught up on: checked to follow the chain, folded into the tree, recorded in `ids/`;
//! 4. if the entry is already indexed (its `ids/` record, or a line of the current segment),
//!    stop and return it;
//! 5. append the line (`seq` one more than the last, `prev` its sha256): the conditional
//!    write of the segment (S3) or the write under the lock (directory) is the linearization
//!    point; on a conflict wait a random, growing delay and start again from 2;
//! 6. record the entry under `ids/`, then publish `tree.json` and a `checkpoint` signed by the
//!    appender's key, each replaced only by one of a larger tree (so a slow writer never
//!    moves them back).
//!
//! An append reads and writes a bounded number of small objects, whatever the archive's size.

use std::time::{Duration, SystemTime};

use certify_evidence::attest::SigningKey;
use serde::{Deserialize, Serialize};

use crate::{
    Added, Archive, ArchiveError, MAX_APPEND_ATTEMPTS,
    checkpoint::{Checkpoint, SignedCheckpoint},
    index::{GENESIS, IndexEntry, Record, line_hash},
    merkle::{Frontier, leaf_hash},
    store::{self, Written},
};

/// The archive's identity, fixed when it is created.
pub const ARCHIVE_META: &str = "archive.json";
/// The signed checkpoint of the whole index.
pub const CHECKPOINT: &str = "checkpoint";
/// The appenders' state.
pub(crate) const STATE: &str = "tree.json";
const IDS: &str = "ids";

/// `archive.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ArchiveMeta {
    /// 16 random bytes in lowercase hex.
    pub archive_id: String,
    pub created_at: String,
}

/// `tree.json`: where the next append continues.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct TreeState {
    pub frontier: Frontier,
    /// Length of the index in bytes at `frontier.size` lines.
    pub index_bytes: u64,
    pub last_seq: u64,
    /// sha256 (hex) of the last line: the next line's `prev`.
    pub last_line_sha256: Option<String>,
}

impl TreeState {
    /// Takes in the next line, if it follows the last one (its `seq` and `prev`); else says how
    /// it does not. Line numbers are 1-based.
    fn follow(&mut self, location: &str, line: &[u8]) -> Result<IndexEntry, ArchiveError> {
        let n = self.frontier.size as usize + 1;
        let bad = |reason: String| ArchiveError::Index { location: location.to_owned(), line: n, reason };
        let entry = IndexEntry::parse(line).map_err(|e| bad(format!("not an index entry: {e}")))?;
        let prev = self.last_line_sha256.as_deref().unwrap_or(GENESIS);
        if entry.seq != self.last_seq + 1 || entry.prev != prev {
            return Err(bad(format!(
                "does not follow line {} (seq {}, prev {}): nothing is appended until `certify archive verify` \
                 has been looked at",
                n - 1,
                entry.seq,
                entry.prev
            )));
        }
        self.fold(line, entry.seq);
        Ok(entry)
    }

    fn fold(&mut self, line: &[u8], seq: u64) {
        self.frontier.push(leaf_hash(line));
        self.index_bytes += line.len() as u64 + 1;
        self.last_seq = seq;
        self.last_line_sha256 = Some(line_hash(line));
    }

    fn checkpoint(&self, archive_id: &str) -> Checkpoint {
        Checkpoint { origin: Checkpoint::origin_of(archive_id), size: self.frontier.size, root: self.frontier.root() }
    }
}

fn marker(kind: &str, id: &str) -> String {
    format!("{IDS}/{kind}-{id}")
}

fn kind_of(record: &Record) -> &'static str {
    match record {
        Record::Bundle(_) => "bundle",
        Record::Decision(_) => "decision",
    }
}

impl Archive {
    /// The archive's id (from `archive.json`), `None` when it has none yet.
    pub(crate) async fn archive_id(&self) -> Result<Option<String>, ArchiveError> {
        let Some(bytes) = self.store.get(ARCHIVE_META).await? else { return Ok(None) };
        serde_json::from_slice::<ArchiveMeta>(&bytes).map(|m| Some(m.archive_id)).map_err(|e| ArchiveError::Store {
            location: self.store.location.clone(),
            path: ARCHIVE_META.to_owned(),
            detail: format!("not an archive id record: {e}"),
        })
    }

    async fn archive_id_or_create(&self) -> Result<String, ArchiveError> {
        loop {
            if let Some(id) = self.archive_id().await? {
                return Ok(id);
            }
            let mut random = [0u8; 16];
            getrandom::fill(&mut random).map_err(|e| ArchiveError::Io {
                path: ARCHIVE_META.into(),
                source: std::io::Error::other(format!("no randomness for the archive id: {e}")),
            })?;
            let meta = ArchiveMeta {
                archive_id: random.iter().map(|b| format!("{b:02x}")).collect(),
                created_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            };
            let bytes = serde_json::to_vec(&meta).unwrap_or_default();
            if let Written::Done = self.store.put_if(ARCHIVE_META, bytes, None).await? {
                return Ok(meta.archive_id);
            }
        }
    }

    /// The appenders' state; a missing, unreadable or inconsistent one starts from nothing
    /// (the next append then reads the whole index once).
    async fn read_state(&self) -> Result<TreeState, ArchiveError> {
        let state = self.store.get(STATE).await?.and_then(|b| serde_json::from_slice::<TreeState>(&b).ok());
        Ok(state
            .filter(|s| s.frontier.is_well_formed() && (s.frontier.size == 0) == s.last_line_sha256.is_none())
            .unwrap_or_default())
    }

    /// The entry `id` of `kind` when it is indexed, found by its `ids/` record.
    pub(crate) async fn find_indexed(&self, id: &str, kind: &str) -> Result<Option<IndexEntry>, ArchiveError> {
        if !crate::decision::is_sha256(id) {
            return Ok(None);
        }
        let found = self.store.get(&marker(kind, id)).await?;
        Ok(found.and_then(|line| IndexEntry::parse(&line).ok()).filter(|e| e.id == id && e.kind() == kind))
    }

    async fn mark(&self, entry: &IndexEntry, line: &[u8]) -> Result<(), ArchiveError> {
        if crate::decision::is_sha256(&entry.id) {
            self.store.put(&marker(entry.kind(), &entry.id), line.to_vec()).await?;
        }
        Ok(())
    }

    /// Replaces `path` with `bytes` (describing a tree of `size` lines) unless it already
    /// describes one at least as large.
    async fn put_growing(
        &self,
        path: &str,
        bytes: Vec<u8>,
        size: u64,
        size_of: impl Fn(&[u8]) -> Option<u64>,
    ) -> Result<(), ArchiveError> {
        for _ in 0..MAX_APPEND_ATTEMPTS {
            let current = self.store.get_versioned(path).await?;
            let version = match current {
                Some((b, _)) if size_of(&b).is_some_and(|s| s >= size) => return Ok(()),
                Some((_, v)) => Some(v),
                None => None,
            };
            if let Written::Done = self.store.put_if(path, bytes.clone(), version).await? {
                return Ok(());
            }
        }
        Err(ArchiveError::Contention { location: self.store.location.clone(), attempts: MAX_APPEND_ATTEMPTS })
    }

    /// Publishes `state` and its checkpoint, signed with the archive's signer when it has one.
    async fn publish(&self, state: &TreeState, archive_id: &str) -> Result<(), ArchiveError> {
        let size = state.frontier.size;
        let bytes = serde_json::to_vec(state).unwrap_or_default();
        self.put_growing(STATE, bytes, size, |b| serde_json::from_slice::<TreeState>(b).ok().map(|s| s.frontier.size))
            .await?;
        let signers: Vec<&SigningKey> = self.signer.iter().collect();
        let note = state.checkpoint(archive_id).to_note(&signers);
        self.put_growing(CHECKPOINT, note.into_bytes(), size, |b| {
            std::str::from_utf8(b).ok().and_then(|t| SignedCheckpoint::parse(t).ok()).map(|c| c.checkpoint.size)
        })
        .await
    }

    /// Appends the entry `id` unless the index already has it (see the module docs), and says
    /// which. `inputs` must be bundles the archive holds (a decision's).
    pub(crate) async fn append(
        &self,
        id: &str,
        path: String,
        record: Record,
        inputs: &[String],
    ) -> Result<Added, ArchiveError> {
        let kind = kind_of(&record);
        let location = self.store.location.clone();
        for attempt in 0..MAX_APPEND_ATTEMPTS {
            let lock = self.store.lock_for_append().await?;
            let archive_id = self.archive_id_or_create().await?;
            let mut state = self.read_state().await?;
            let tail = self.store.index_tail(state.frontier.size, state.index_bytes).await?;
            let caught_up = !tail.lines.is_empty();
            for line in &tail.lines {
                let entry = state.follow(&location, line)?;
                self.mark(&entry, line).await?;
            }
            let mut existing = self.find_indexed(id, kind).await?;
            if existing.is_none() {
                existing = tail
                    .segment_lines()
                    .iter()
                    .filter_map(|l| IndexEntry::parse(l).ok())
                    .find(|e| e.id == id && e.kind() == kind);
            }
            if let Some(e) = existing {
                if caught_up {
                    self.publish(&state, &archive_id).await?;
                }
                return Ok(Added::AlreadyArchived(e));
            }
            let mut missing = Vec::new();
            for input in inputs {
                if self.find_indexed(input, "bundle").await?.is_none() {
                    missing.push(format!("input {input} is not a bundle of this archive"));
                }
            }
            if !missing.is_empty() {
                return Err(ArchiveError::InvalidDecision { reasons: missing });
            }
            let entry = IndexEntry {
                seq: state.last_seq + 1,
                prev: state.last_line_sha256.clone().unwrap_or_else(|| GENESIS.to_owned()),
                id: id.to_owned(),
                added_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
                path: path.clone(),
                record: record.clone(),
            };
            let line = entry.to_line();
            match self.store.index_append(tail, line.as_bytes()).await? {
                Written::Done => {
                    state.fold(line.as_bytes(), entry.seq);
                    self.mark(&entry, line.as_bytes()).await?;
                    self.publish(&state, &archive_id).await?;
                    drop(lock);
                    return Ok(Added::Appended(entry));
                }
                Written::Conflict => {
                    drop(lock);
                    let cap = Duration::from_millis(20u64 << attempt.min(5)).min(Duration::from_millis(500));
                    tokio::time::sleep(store::jitter(cap)).await;
                }
            }
        }
        Err(ArchiveError::Contention { location, attempts: MAX_APPEND_ATTEMPTS })
    }
}
