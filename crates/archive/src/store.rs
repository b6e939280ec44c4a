//! The archive's storage: one `Arc<dyn ObjectStore>` for a local directory
//! (`LocalFileSystem`) or an S3 bucket (`AmazonS3`, under an optional prefix), the mapping of
//! its errors to [`ArchiveError`]s, and the one primitive that differs between the two:
//! replacing `index.jsonl` only if nobody else did since it was read.
//!
//! - **S3** (and any store with conditional writes): `index.jsonl` is read with its ETag; the
//!   new version is written with `If-Match: <ETag>` (`PutMode::Update`), or with
//!   `If-None-Match: *` (`PutMode::Create`) while there is no index yet. A `412 Precondition
//!   Failed` means another writer replaced it in between: the caller re-reads and tries again.
//! - **Local directory**: `LocalFileSystem` has no `PutMode::Update`, so the read and the write
//!   happen under an exclusive lock on `index.jsonl.lock` (`File::lock`, an advisory `flock`
//!   honoured by every certify process on the machine). The new index is written to a
//!   temporary file and renamed over the old one, so a reader never sees half a file.

use std::{
    collections::hash_map::RandomState,
    fs::File,
    hash::BuildHasher,
    path::{Path as FsPath, PathBuf},
    sync::Arc,
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

/// How a replaced index is guarded against concurrent writers.
#[derive(Debug)]
enum Guard {
    /// Conditional writes (`If-Match` / `If-None-Match`).
    Conditional,
    /// An exclusive lock on this file around read and write.
    Lock(PathBuf),
}

/// The store and what is needed to name it in errors.
#[derive(Debug)]
pub(crate) struct Store {
    inner: Arc<dyn ObjectStore>,
    guard: Guard,
    pub location: String,
    bucket: Option<String>,
}

/// The current index and the version it was read at.
pub(crate) struct Snapshot {
    pub bytes: Vec<u8>,
    /// `None` when there is no index yet.
    version: Option<UpdateVersion>,
    /// Held while the snapshot may still be written back (local archives).
    _lock: Option<File>,
}

/// The outcome of one attempt to write the index back.
pub(crate) enum Written {
    Done,
    /// Someone else replaced the index since it was read: read again.
    Conflict,
}

impl Store {
    /// Opens the store at `location`; S3 settings come from the `AWS_*` variables of `env`
    /// (as `AmazonS3Builder::from_env` reads them), with conditional writes on.
    pub(crate) async fn open(
        location: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Store, ArchiveError> {
        match Location::parse(location)? {
            Location::Local(root) => {
                std::fs::create_dir_all(&root).map_err(io_err(&root))?;
                let fs = LocalFileSystem::new_with_prefix(&root).map_err(|e| ArchiveError::Store {
                    location: location.to_owned(),
                    path: ".".to_owned(),
                    detail: e.to_string(),
                })?;
                let lock = root.join(format!("{}.lock", crate::index::INDEX));
                Ok(Store { inner: Arc::new(fs), guard: Guard::Lock(lock), location: location.to_owned(), bucket: None })
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
                let store =
                    Store { inner, guard: Guard::Conditional, location: location.to_owned(), bucket: Some(bucket) };
                // One request now, so that an unreachable endpoint, refused credentials or a
                // missing bucket are reported by `open` rather than halfway through a command.
                store.inner.list_with_delimiter(None).await.map_err(|e| store.error(".", e))?;
                Ok(store)
            }
        }
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
        match self.inner.get(&object_path(path)).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(|e| self.error(path, e))?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(path, e)),
        }
    }

    /// The bytes of the object at `path` as listed (already encoded); it must exist.
    pub(crate) async fn get_at(&self, path: &Path) -> Result<Vec<u8>, ArchiveError> {
        let name = path.to_string();
        let r = self.inner.get(path).await.map_err(|e| self.error(&name, e))?;
        Ok(r.bytes().await.map_err(|e| self.error(&name, e))?.to_vec())
    }

    /// Writes (or overwrites) an object.
    pub(crate) async fn put(&self, path: &str, bytes: Vec<u8>) -> Result<(), ArchiveError> {
        self.inner.put(&object_path(path), PutPayload::from(bytes)).await.map(|_| ()).map_err(|e| self.error(path, e))
    }

    /// Every object under `prefix` (a directory: `bundles/<id>`).
    pub(crate) async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, ArchiveError> {
        self.inner.list(Some(&object_path(prefix))).try_collect().await.map_err(|e| self.error(prefix, e))
    }

    /// The names directly under `prefix`: sub-directories and objects.
    pub(crate) async fn children(&self, prefix: &str) -> Result<Vec<String>, ArchiveError> {
        let base = object_path(prefix);
        let r = self.inner.list_with_delimiter(Some(&base)).await.map_err(|e| self.error(prefix, e))?;
        Ok(r.common_prefixes
            .iter()
            .chain(r.objects.iter().map(|o| &o.location))
            .filter_map(|p| p.prefix_match(&base).and_then(|mut parts| parts.next()).map(|p| decode(p.as_ref())))
            .collect())
    }

    /// Reads `path` for a conditional replacement (taking the lock on a local archive).
    pub(crate) async fn read_for_update(&self, path: &str) -> Result<Snapshot, ArchiveError> {
        let lock = match &self.guard {
            Guard::Conditional => None,
            Guard::Lock(file) => Some(lock(file.clone()).await?),
        };
        match self.inner.get(&object_path(path)).await {
            Ok(r) => {
                let version = UpdateVersion { e_tag: r.meta.e_tag.clone(), version: r.meta.version.clone() };
                let bytes = r.bytes().await.map_err(|e| self.error(path, e))?.to_vec();
                Ok(Snapshot { bytes, version: Some(version), _lock: lock })
            }
            Err(object_store::Error::NotFound { .. }) => Ok(Snapshot { bytes: Vec::new(), version: None, _lock: lock }),
            Err(e) => Err(self.error(path, e)),
        }
    }

    /// Replaces `path` with `bytes` if it is still as `snapshot` saw it.
    pub(crate) async fn write_if_unchanged(
        &self,
        path: &str,
        snapshot: Snapshot,
        bytes: Vec<u8>,
    ) -> Result<Written, ArchiveError> {
        let mode = match (&self.guard, snapshot.version.clone()) {
            // Under the lock nobody else writes: the rename-into-place of a plain put suffices.
            (Guard::Lock(_), _) => PutMode::Overwrite,
            (Guard::Conditional, None) => PutMode::Create,
            (Guard::Conditional, Some(v)) => PutMode::Update(v),
        };
        let r = self.inner.put_opts(&object_path(path), PutPayload::from(bytes), PutOptions::from(mode)).await;
        drop(snapshot);
        match r {
            Ok(_) => Ok(Written::Done),
            Err(object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. }) => {
                Ok(Written::Conflict)
            }
            Err(e) => Err(self.error(path, e)),
        }
    }
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
