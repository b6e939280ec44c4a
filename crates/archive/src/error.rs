//! The one error type of the archive. Each variant says what failed and where, in words an
//! operator can act on; none carries a credential. [`ArchiveError::is_runtime`] tells the
//! errors of the environment (an unreachable store, refused credentials, a full disk) from
//! the refusals of bad input (an invalid bundle, an unknown id).

use std::{fmt, io, path::PathBuf};

use certify_evidence::verify::Problem;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The location is neither a directory nor `s3://bucket[/prefix]`.
    #[error("{location}: not an archive location: {reason}")]
    Location { location: String, reason: String },

    /// The object store could not be reached at all (connection refused, DNS, timeout).
    #[error("{location}: cannot reach the object store: {detail}")]
    Unreachable { location: String, detail: String },

    /// The object store refused the credentials, or they lack a permission.
    #[error(
        "{location}: the object store refused the request: {detail} (check AWS_ACCESS_KEY_ID, \
         AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and that they may read and write the bucket)"
    )]
    Credentials { location: String, detail: String },

    /// The bucket does not exist.
    #[error(
        "{location}: the bucket {bucket:?} does not exist (or the endpoint is not the right one: AWS_ENDPOINT_URL)"
    )]
    NoSuchBucket { location: String, bucket: String },

    /// Any other failure of the object store.
    #[error("{location}: {path}: {detail}")]
    Store { location: String, path: String, detail: String },

    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The bundle does not verify; nothing was written.
    #[error("{dir}: not archived, the bundle is not valid:{}", Problems(problems))]
    InvalidBundle { dir: PathBuf, problems: Vec<Problem> },

    /// The bundle is unsigned and unsigned bundles were not allowed; nothing was written.
    #[error(
        "{dir}: not archived, the bundle is unsigned (written with --no-sign): nothing vouches for its \
         contents; pass --allow-unsigned to archive it, recorded as unsigned"
    )]
    Unsigned { dir: PathBuf },

    /// The decision record is not one the archive accepts; nothing was written.
    #[error("decision record not archived:{}", Reasons(reasons))]
    InvalidDecision { reasons: Vec<String> },

    /// `index.jsonl` cannot be read as an index (the archive needs `certify archive verify`).
    #[error("{location}: index.jsonl line {line}: {reason}")]
    Index { location: String, line: usize, reason: String },

    /// Other writers kept appending first; the entry was not added (its files are stored and a
    /// retry adds it).
    #[error("{location}: index.jsonl: gave up appending after {attempts} attempts, other writers kept winning")]
    Contention { location: String, attempts: usize },

    /// Nothing is archived at the location: it does not exist, or holds no index.
    #[error("{location}: not an archive: {reason}")]
    NoArchive { location: String, reason: String },

    /// The archive's checkpoint is missing, unreadable, or disagrees with its index.
    #[error("{location}: checkpoint: {reason}")]
    Checkpoint { location: String, reason: String },

    /// No entry has an id with this prefix.
    #[error("no archive entry has an id starting with {prefix:?}")]
    NotFound { prefix: String },

    /// Several entries have an id with this prefix.
    #[error("the id prefix {prefix:?} is ambiguous: it matches {}", .matches.join(", "))]
    Ambiguous { prefix: String, matches: Vec<String> },

    /// A stored object would be written outside the destination, or the destination is in use.
    #[error("{path}: {reason}")]
    Unsafe { path: String, reason: String },
}

impl ArchiveError {
    /// True for failures of the environment rather than of the input: the store is
    /// unreachable, refuses the credentials or fails, the bucket is missing, a local file
    /// cannot be written, or writers contend without end. A CLI maps these to its runtime
    /// error exit code.
    pub fn is_runtime(&self) -> bool {
        matches!(
            self,
            ArchiveError::Unreachable { .. }
                | ArchiveError::Credentials { .. }
                | ArchiveError::NoSuchBucket { .. }
                | ArchiveError::Store { .. }
                | ArchiveError::Io { .. }
                | ArchiveError::Contention { .. }
        )
    }
}

pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> ArchiveError {
    let path = path.into();
    move |source| ArchiveError::Io { path, source }
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.0 {
            write!(f, "\n  {}: {}", p.file, p.reason)?;
        }
        Ok(())
    }
}

struct Reasons<'a>(&'a [String]);

impl fmt::Display for Reasons<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in self.0 {
            write!(f, "\n  {r}")?;
        }
        Ok(())
    }
}
