//! The archive's storage: one `Arc<dyn ObjectStore>` for a local directory
//! (`LocalFileSystem`) or an S3 bucket (`AmazonS3`, under an optional prefix), the mapping of
//! its errors to [`ArchiveError`]s, and the one thing that differs between the two: how the
//! index is laid out and how a line is appended to it without rewriting what is there.
//!
//! - **Local directory**: the index is `index.jsonl`. An append takes an exclusive lock on
//!   `index.jsonl.lock` (`File::lock`, an advisory `flock` honoured by every certify process
//!   on the machine), writes its line at the end of the file (`O_APPEND`, then fsync), and
//!   replaces the small state and checkpoint files (a temporary file renamed into place).
//! - **S3** (and any store with conditional writes), which cannot append to an object: the
//!   index is `index/00000000.jsonl`, `index/00000001.jsonl`, … of [`SEGMENT_LINES`] lines
//!   each (the last one partial). An append rewrites only the last segment, with
//!   `If-Match: <ETag>` (`PutMode::Update`), or creates the next one with `If-None-Match: *`
//!   (`PutMode::Create`); a `412 Precondition Failed` means another writer got there first,
//!   and the caller reads again. One append costs O(segment); reading the index costs one
//!   request per thousand lines.
//!
//! Reading never creates anything: a local directory that does not exist reads as empty,
//! and only an append creates it.

use std::{
    collections::hash_map::RandomState,
    fs::File,
    hash::BuildHasher,
    io::{Read as _, Seek as _, SeekFrom, Write as _},
    path::{Path as FsPath, PathBuf},
    sync::{Arc, OnceLock},
    time::Duration,
};

use futures::TryStreamExt as _;
use object_store::{
    BackoffConfig, ObjectMeta, ObjectStore, ObjectStoreExt as _, PutMode, PutOptions, PutPayload, RetryConfig,
    UpdateVersion,
    aws::{AmazonS3Builder, AmazonS3ConfigKey, S3ConditionalPut},
    client::{HttpError, HttpErrorKind},
    local::LocalFileSystem,
    path::Path,
    prefix::PrefixStore,
};

use crate::error::{ArchiveError, io_err};

/// S3 error codes that mean the credentials were refused or lack a permission.
const CREDENTIAL_CODES: &[&str] = &[
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "AuthorizationHeaderMalformed",
];

/// Where the archive lives, as parsed from its location string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl Location {
    pub(crate) fn parse(location: &str) -> Result<Location, ArchiveError> {
        let bad = |reason: &str| ArchiveError::Location { location: location.to_owned(), reason: reason.to_owned() };
        if location.trim().is_empty() {
            return Err(bad("empty: give a directory or s3://bucket/prefix"));
        }
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("no bucket name: expected s3://bucket or s3://bucket/prefix"));
            }
            let prefix = prefix.trim_matches('/');
            if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
                return Err(bad("the prefix may not contain empty, `.` or `..` parts"));
            }
            return Ok(Location::S3 { bucket: bucket.to_owned(), prefix: prefix.to_owned() });
        }
        if let Some((scheme, _)) = location.split_once("://") {
            return Err(bad(&format!(
                "the {scheme}:// scheme is not supported: give a directory or s3://bucket/prefix"
            )));
        }
        Ok(Location::Local(PathBuf::from(location)))
    }
}

/// How appends are serialized against concurrent writers.
#[derive(Debug)]
enum Guard {
    /// Conditional writes (`If-Match` / `If-None-Match`).
    Conditional,
    /// An exclusive lock on this file around every append.
    Lock(PathBuf),
}

/// Lines in one index segment of an object store archive (all but the last are full).
pub(crate) const SEGMENT_LINES: u64 = 1000;

/// The folder of an object store archive's index segments.
const SEGMENTS: &str = "index";

/// The store and what is needed to name it in errors.
#[derive(Debug)]
pub(crate) struct Store {
    /// Set at open for S3; for a local directory on first use, and only once the directory
    /// exists (reading never creates it).
    inner: OnceLock<Arc<dyn ObjectStore>>,
    /// The root of a local archive.
    local: Option<PathBuf>,
    guard: Guard,
    pub location: String,
    bucket: Option<String>,
}

/// Held by an appender: the local lock, if any.
pub(crate) struct AppendLock {
    _lock: Option<File>,
}

/// The index after the lines an appender already knows: the lines it must catch up on, and
/// where its own line goes.
pub(crate) struct Tail {
    /// Complete lines after the known ones, without their newlines.
    pub lines: Vec<Vec<u8>>,
    /// Object stores: the segment the next line goes to, its bytes and version.
    segment: Option<(u64, Vec<u8>, Option<UpdateVersion>)>,
}

impl Tail {
    /// The lines of the segment the next line goes to (object stores), to find a concurrent
    /// add of the same entry.
    pub fn segment_lines(&self) -> Vec<&[u8]> {
        match &self.segment {
            Some((_, bytes, _)) => crate::index::split_lines(bytes).0,
            None => Vec::new(),
        }
    }
}

/// The outcome of one conditional write.
pub(crate) enum Written {
    Done,
    /// Someone else wrote first: read again.
    Conflict,
}

impl Store {
    /// Opens the store at `location`; S3 settings come from the `AWS_*` variables of `env`
    /// (as `AmazonS3Builder::from_env` reads them), with conditional writes on. A local
    /// directory is not created here: only the first append creates it.
    pub(crate) async fn open(
        location: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Store, ArchiveError> {
        match Location::parse(location)? {
            Location::Local(root) => {
                if root.exists() && !root.is_dir() {
                    return Err(ArchiveError::Location {
                        location: location.to_owned(),
                        reason: "exists and is not a directory".to_owned(),
                    });
                }
                let lock = root.join(format!("{}.lock", crate::index::INDEX));
                Ok(Store {
                    inner: OnceLock::new(),
                    local: Some(root),
                    guard: Guard::Lock(lock),
                    location: location.to_owned(),
                    bucket: None,
                })
            }
            Location::S3 { bucket, prefix } => {
                let mut builder = AmazonS3Builder::new();
                for (key, value) in env {
                    if key.starts_with("AWS_")
                        && let Ok(k) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>()
                    {
                        builder = builder.with_config(k, value);
                    }
                }
                let s3 = builder
                    .with_bucket_name(&bucket)
                    .with_conditional_put(S3ConditionalPut::ETagMatch)
                    .with_retry(RetryConfig {
                        backoff: BackoffConfig {
                            init_backoff: Duration::from_millis(100),
                            max_backoff: Duration::from_secs(2),
                            base: 2.0,
                        },
                        max_retries: 3,
                        retry_timeout: Duration::from_secs(30),
                    })
                    .build()
                    .map_err(|e| ArchiveError::Location { location: location.to_owned(), reason: e.to_string() })?;
                let inner: Arc<dyn ObjectStore> =
                    if prefix.is_empty() { Arc::new(s3) } else { Arc::new(PrefixStore::new(s3, prefix.as_str())) };
                let store = Store {
                    inner: OnceLock::from(inner),
                    local: None,
                    guard: Guard::Conditional,
                    location: location.to_owned(),
                    bucket: Some(bucket),
                };
                // One request now, so that an unreachable endpoint, refused credentials or a
                // missing bucket are reported by `open` rather than halfway through a command.
                let inner = store.writer()?;
                inner.list_with_delimiter(None).await.map_err(|e| store.error(".", e))?;
                Ok(store)
            }
        }
    }

    /// Wraps another store (tests count what an append costs through it).
    pub(crate) fn from_object_store(inner: Arc<dyn ObjectStore>, location: &str) -> Store {
        Store {
            inner: OnceLock::from(inner),
            local: None,
            guard: Guard::Conditional,
            location: location.to_owned(),
            bucket: None,
        }
    }

    /// Whether there is anything at the location: a local directory must exist (an object
    /// store prefix always "exists"; what it holds decides).
    pub(crate) fn exists(&self) -> bool {
        self.local.as_ref().is_none_or(|root| root.is_dir())
    }

    /// The store for reading: `None` for a local directory that does not exist.
    fn reader(&self) -> Result<Option<Arc<dyn ObjectStore>>, ArchiveError> {
        if let Some(s) = self.inner.get() {
            return Ok(Some(s.clone()));
        }
        if !self.exists() {
            return Ok(None);
        }
        self.writer().map(Some)
    }

    /// The store for writing; creates a local archive's directory.
    fn writer(&self) -> Result<Arc<dyn ObjectStore>, ArchiveError> {
        if let Some(s) = self.inner.get() {
            return Ok(s.clone());
        }
        let root = self.local.clone().unwrap_or_default();
        std::fs::create_dir_all(&root).map_err(io_err(&root))?;
        let fs = LocalFileSystem::new_with_prefix(&root).map_err(|e| ArchiveError::Store {
            location: self.location.clone(),
            path: ".".to_owned(),
            detail: e.to_string(),
        })?;
        Ok(self.inner.get_or_init(|| Arc::new(fs)).clone())
    }

    /// Maps an object store error about `path` to an [`ArchiveError`]. Not every request kind
    /// surfaces a 403 as `PermissionDenied` (a failed list is a generic error), so the server's
    /// status and error code are looked at too.
    pub(crate) fn error(&self, path: &str, e: object_store::Error) -> ArchiveError {
        let location = self.location.clone();
        let detail = summary(&e);
        let text = e.to_string();
        let refused =
            matches!(e, object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. })
                || text.contains("403 Forbidden")
                || text.contains("401 Unauthorized")
                || CREDENTIAL_CODES.iter().any(|c| detail.starts_with(c));
        if refused {
            ArchiveError::Credentials { location, detail }
        } else if detail.starts_with("NoSuchBucket")
            || (path == "." && matches!(e, object_store::Error::NotFound { .. }))
        {
            ArchiveError::NoSuchBucket { location, bucket: self.bucket.clone().unwrap_or_default() }
        } else if unreachable(&e) {
            ArchiveError::Unreachable { location, detail }
        } else {
            ArchiveError::Store { location, path: path.to_owned(), detail }
        }
    }

    /// The object's bytes, or `None` when there is none.
    pub(crate) async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
        Ok(self.get_versioned(path).await?.map(|(b, _)| b))
    }

    /// The object's bytes and the version they were read at, or `None` when there is none.
    pub(crate) async fn get_versioned(&self, path: &str) -> Result<Option<(Vec<u8>, UpdateVersion)>, ArchiveError> {
        let Some(inner) = self.reader()? else { return Ok(None) };
        match inner.get(&object_path(path)).await {
            Ok(r) => {
                let version = UpdateVersion { e_tag: r.meta.e_tag.clone(), version: r.meta.version.clone() };
                Ok(Some((r.bytes().await.map_err(|e| self.error(path, e))?.to_vec(), version)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(path, e)),
        }
    }

    /// The bytes of the object at `path` as listed (already encoded); it must exist.
    pub(crate) async fn get_at(&self, path: &Path) -> Result<Vec<u8>, ArchiveError> {
        let name = path.to_string();
        let inner = self.writer()?;
        let r = inner.get(path).await.map_err(|e| self.error(&name, e))?;
        Ok(r.bytes().await.map_err(|e| self.error(&name, e))?.to_vec())
    }

    /// Writes (or overwrites) an object.
    pub(crate) async fn put(&self, path: &str, bytes: Vec<u8>) -> Result<(), ArchiveError> {
        let inner = self.writer()?;
        inner.put(&object_path(path), PutPayload::from(bytes)).await.map(|_| ()).map_err(|e| self.error(path, e))
    }

    /// Writes `path` only if it is still at `version` (`None`: only if it does not exist).
    /// Under a local archive's append lock nobody else writes, and the write is a plain
    /// replacement (a temporary file renamed into place).
    pub(crate) async fn put_if(
        &self,
        path: &str,
        bytes: Vec<u8>,
        version: Option<UpdateVersion>,
    ) -> Result<Written, ArchiveError> {
        let mode = match (&self.guard, version) {
            (Guard::Lock(_), _) => PutMode::Overwrite,
            (Guard::Conditional, None) => PutMode::Create,
            (Guard::Conditional, Some(v)) => PutMode::Update(v),
        };
        let inner = self.writer()?;
        match inner.put_opts(&object_path(path), PutPayload::from(bytes), PutOptions::from(mode)).await {
            Ok(_) => Ok(Written::Done),
            Err(object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. }) => {
                Ok(Written::Conflict)
            }
            Err(e) => Err(self.error(path, e)),
        }
    }

    /// Every object under `prefix` (a directory: `bundles/<id>`).
    pub(crate) async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, ArchiveError> {
        let Some(inner) = self.reader()? else { return Ok(Vec::new()) };
        inner.list(Some(&object_path(prefix))).try_collect().await.map_err(|e| self.error(prefix, e))
    }

    /// The names directly under `prefix`: sub-directories and objects.
    pub(crate) async fn children(&self, prefix: &str) -> Result<Vec<String>, ArchiveError> {
        let Some(inner) = self.reader()? else { return Ok(Vec::new()) };
        let base = object_path(prefix);
        let r = inner.list_with_delimiter(Some(&base)).await.map_err(|e| self.error(prefix, e))?;
        Ok(r.common_prefixes
            .iter()
            .chain(r.objects.iter().map(|o| &o.location))
            .filter_map(|p| p.prefix_match(&base).and_then(|mut parts| parts.next()).map(|p| decode(p.as_ref())))
            .collect())
    }

    /// Takes the local archive's exclusive append lock (creating the directory); nothing on
    /// an object store, whose appends are conditional writes.
    pub(crate) async fn lock_for_append(&self) -> Result<AppendLock, ArchiveError> {
        match &self.guard {
            Guard::Conditional => Ok(AppendLock { _lock: None }),
            Guard::Lock(file) => {
                self.writer()?;
                Ok(AppendLock { _lock: Some(lock(file.clone()).await?) })
            }
        }
    }

    /// The whole index, or `None` when there is none: a local archive's `index.jsonl`, or an
    /// object store's segments in order. The second value names segments that are missing
    /// or not full where they must be.
    pub(crate) async fn read_index(&self) -> Result<Option<(Vec<u8>, Vec<String>)>, ArchiveError> {
        if self.local.is_some() {
            return Ok(self.get(crate::index::INDEX).await?.map(|b| (b, Vec::new())));
        }
        let mut names: Vec<String> = self.children(SEGMENTS).await?;
        names.sort();
        if names.is_empty() {
            // An archive written before segments: one `index.jsonl` (until its next append).
            return Ok(self.get(crate::index::INDEX).await?.map(|b| (b, Vec::new())));
        }
        let mut problems = Vec::new();
        let mut bytes = Vec::new();
        let last = names.len() - 1;
        for (i, name) in names.iter().enumerate() {
            if *name != segment_name(i as u64) {
                problems.push(format!(
                    "{SEGMENTS}/{name}: expected {SEGMENTS}/{} (a segment is missing or misnamed)",
                    segment_name(i as u64)
                ));
            }
            let seg = self.get(&format!("{SEGMENTS}/{name}")).await?.unwrap_or_default();
            let (lines, terminated) = crate::index::split_lines(&seg);
            if i < last && (lines.len() as u64 != SEGMENT_LINES || !terminated) {
                problems.push(format!(
                    "{SEGMENTS}/{name}: holds {} lines, every segment but the last holds {SEGMENT_LINES}",
                    lines.len()
                ));
            }
            bytes.extend_from_slice(&seg);
        }
        Ok(Some((bytes, problems)))
    }

    /// The index lines after the first `size` (which end at byte `offset` of the index),
    /// read without the lines before them: the rest of `index.jsonl` from `offset`, or the
    /// segment holding line `size + 1` (and any after it). Errors when the index holds fewer
    /// lines than that, or ends without a newline.
    pub(crate) async fn index_tail(&self, size: u64, offset: u64) -> Result<Tail, ArchiveError> {
        let cut = |line: u64, reason: String| ArchiveError::Index {
            location: self.location.clone(),
            line: line as usize,
            reason,
        };
        let unterminated = "the last line has no newline: the index was cut short; nothing is appended until \
                            `certify archive verify` has been looked at";
        if let Some(root) = &self.local {
            let path = root.join(crate::index::INDEX);
            let bytes = match std::fs::File::open(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(ArchiveError::Io { path, source: e }),
                Ok(mut f) => {
                    let len = f.metadata().map_err(io_err(&path))?.len();
                    if len < offset {
                        return Err(cut(
                            size,
                            format!(
                                "is {len} bytes long, the archive's checkpoint state covers {offset} bytes: lines were \
                                 cut from its end; nothing is appended until `certify archive verify` has been looked at"
                            ),
                        ));
                    }
                    f.seek(SeekFrom::Start(offset)).map_err(io_err(&path))?;
                    let mut rest = Vec::new();
                    f.read_to_end(&mut rest).map_err(io_err(&path))?;
                    rest
                }
            };
            if offset > 0 && bytes.is_empty() && !path.exists() {
                return Err(cut(size, "index.jsonl is gone, the archive's checkpoint state covers lines".to_owned()));
            }
            let (lines, terminated) = crate::index::split_lines(&bytes);
            if !terminated {
                return Err(cut(size + lines.len() as u64, unterminated.to_owned()));
            }
            return Ok(Tail { lines: lines.into_iter().map(<[u8]>::to_vec).collect(), segment: None });
        }
        if size == 0 {
            self.migrate_legacy_index().await?;
        }
        let mut lines = Vec::new();
        let (mut seg, mut pos) = (size / SEGMENT_LINES, size % SEGMENT_LINES);
        loop {
            let name = format!("{SEGMENTS}/{}", segment_name(seg));
            let Some((bytes, version)) = self.get_versioned(&name).await? else {
                if pos != 0 {
                    return Err(cut(size, format!("{name} is missing: the index lost lines its checkpoint counts")));
                }
                return Ok(Tail { lines, segment: Some((seg, Vec::new(), None)) });
            };
            let (seg_lines, terminated) = crate::index::split_lines(&bytes);
            if !terminated {
                return Err(cut(seg * SEGMENT_LINES + seg_lines.len() as u64, unterminated.to_owned()));
            }
            let have = seg_lines.len() as u64;
            if have < pos {
                return Err(cut(
                    size,
                    format!("{name} holds {have} lines, the archive's checkpoint state counts {pos}: lines were cut"),
                ));
            }
            for l in &seg_lines[pos as usize..] {
                lines.push(l.to_vec());
            }
            if have < SEGMENT_LINES {
                return Ok(Tail { lines, segment: Some((seg, bytes, Some(version))) });
            }
            (seg, pos) = (seg + 1, 0);
        }
    }

    /// An object store archive written before segments keeps its lines in one `index.jsonl`:
    /// the first append copies them into segments (each created only if absent, so writers
    /// migrating at once write the same bytes once) and leaves the old object as it was.
    async fn migrate_legacy_index(&self) -> Result<(), ArchiveError> {
        if self.get_versioned(&format!("{SEGMENTS}/{}", segment_name(0))).await?.is_some() {
            return Ok(());
        }
        let Some(legacy) = self.get(crate::index::INDEX).await? else { return Ok(()) };
        let (lines, terminated) = crate::index::split_lines(&legacy);
        if !terminated {
            return Err(ArchiveError::Index {
                location: self.location.clone(),
                line: lines.len(),
                reason: "the last line has no newline: the index was cut short; nothing is appended until \
                         `certify archive verify` has been looked at"
                    .to_owned(),
            });
        }
        for (k, chunk) in lines.chunks(SEGMENT_LINES as usize).enumerate() {
            let bytes: Vec<u8> = chunk.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect();
            // A conflict means another writer migrated (the same lines) first.
            self.put_if(&format!("{SEGMENTS}/{}", segment_name(k as u64)), bytes, None).await?;
        }
        Ok(())
    }

    /// Appends `line` after `tail`, if nobody appended since it was read: on a local archive
    /// (under the append lock) to `index.jsonl` in place, `O_APPEND` and fsync; on an object
    /// store by rewriting only the last segment with `If-Match` (or creating the next one with
    /// `If-None-Match: *`), the linearization point of the append.
    pub(crate) async fn index_append(&self, tail: Tail, line: &[u8]) -> Result<Written, ArchiveError> {
        let mut record = line.to_vec();
        record.push(b'\n');
        match tail.segment {
            None => {
                let root = self.local.clone().unwrap_or_default();
                let path = root.join(crate::index::INDEX);
                tokio::task::spawn_blocking(move || -> Result<(), ArchiveError> {
                    let mut f = File::options().append(true).create(true).open(&path).map_err(io_err(&path))?;
                    f.write_all(&record).map_err(io_err(&path))?;
                    f.sync_all().map_err(io_err(&path))
                })
                .await
                .map_err(|e| ArchiveError::Io {
                    path: PathBuf::from(crate::index::INDEX),
                    source: std::io::Error::other(e),
                })??;
                Ok(Written::Done)
            }
            Some((seg, mut bytes, version)) => {
                bytes.extend_from_slice(&record);
                self.put_if(&format!("{SEGMENTS}/{}", segment_name(seg)), bytes, version).await
            }
        }
    }
}

/// The name of segment `n` under `index/`.
fn segment_name(n: u64) -> String {
    format!("{n:08}.jsonl")
}

/// Takes the exclusive lock on `file` (created if missing), waiting for other holders.
async fn lock(file: PathBuf) -> Result<File, ArchiveError> {
    tokio::task::spawn_blocking(move || {
        let f =
            File::options().read(true).write(true).create(true).truncate(false).open(&file).map_err(io_err(&file))?;
        f.lock().map_err(io_err(&file))?;
        Ok(f)
    })
    .await
    .map_err(|e| ArchiveError::Io { path: PathBuf::from("index.jsonl.lock"), source: std::io::Error::other(e) })?
}

/// The object path of a `/`-separated relative name; characters object stores advise against
/// are percent-encoded part by part.
pub(crate) fn object_path(rel: &str) -> Path {
    Path::from_iter(rel.split('/').filter(|p| !p.is_empty()))
}

/// The relative name of `path` under `base`, decoded back from the object path's encoding.
pub(crate) fn relative_name(base: &Path, path: &Path) -> Option<String> {
    let parts: Vec<String> = path.prefix_match(base)?.map(|p| decode(p.as_ref())).collect();
    if parts.is_empty() { None } else { Some(parts.join("/")) }
}

/// Percent-decoding (of a path part, a query value); malformed escapes are kept as they are.
pub(crate) fn decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The server's error code and message when it gave them (`SignatureDoesNotMatch: ...`),
/// else the error's own words.
fn summary(e: &object_store::Error) -> String {
    let text = e.to_string();
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].trim().to_owned())
    };
    match (tag("Code"), tag("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => text,
    }
}

/// Whether the error is a failure to connect at all (refused, DNS, timeout).
fn unreachable(e: &object_store::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<HttpError>() {
            return matches!(h.kind(), HttpErrorKind::Connect | HttpErrorKind::Timeout);
        }
        source = s.source();
    }
    false
}

/// Random jitter in `0..=max` (no dependency for a few bits of randomness).
pub(crate) fn jitter(max: Duration) -> Duration {
    let r = RandomState::new().hash_one(std::time::SystemTime::now());
    let ms = max.as_millis().max(1) as u64;
    Duration::from_millis(r % (ms + 1))
}

/// Whether `path` exists on disk and is a directory with something in it.
pub(crate) fn non_empty_dir(path: &FsPath) -> bool {
    std::fs::read_dir(path).map(|mut d| d.next().is_some()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        assert_eq!(Location::parse("evidence").unwrap(), Location::Local("evidence".into()));
        assert_eq!(Location::parse("s3://b/x/y/").unwrap(), Location::S3 { bucket: "b".into(), prefix: "x/y".into() });
        assert_eq!(Location::parse("s3://b").unwrap(), Location::S3 { bucket: "b".into(), prefix: "".into() });
        for (bad, want) in [
            ("", "empty"),
            ("s3://", "no bucket"),
            ("s3:///x", "no bucket"),
            ("s3://b/../x", "`..`"),
            ("gs://b/x", "gs:// scheme is not supported"),
        ] {
            let err = Location::parse(bad).unwrap_err().to_string();
            assert!(err.contains(want), "{bad}: {err}");
        }
    }

    #[test]
    fn object_paths_round_trip_through_their_encoding() {
        let base = object_path("bundles/abc");
        for rel in ["bundle.json", "suite/features/a b~c.feature", "transcripts/x/1-{weird}%.json"] {
            let full = object_path(&format!("bundles/abc/{rel}"));
            assert_eq!(relative_name(&base, &full).as_deref(), Some(rel));
        }
        assert_eq!(decode("a%7Eb%zz%4"), "a~b%zz%4");
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..100 {
            assert!(jitter(Duration::from_millis(50)) <= Duration::from_millis(50));
        }
    }
}
