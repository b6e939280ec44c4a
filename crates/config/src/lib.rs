//! Finds, parses, validates and resolves `certify.toml` into one [`Settings`] value that the
//! rest of certify takes. Loading has two stages: the file is first deserialized into structs
//! that mirror it (unknown keys refused, spans kept), then resolved: `${VAR}` interpolated,
//! durations, sizes, numbers and URLs parsed, ranges and cross-references checked, paths made
//! absolute relative to the file's directory. Every problem is a [`ConfigError`] naming the
//! file, the line, the key as a dotted path and what was expected; nothing here panics on bad
//! input. Secrets are never read here: credentials and the signing key are references to
//! environment variables or files, resolved when they are used.
//!
//! # Keys
//!
//! | key | value | default |
//! |---|---|---|
//! | `[suite] features` | directory, file or glob, or an array of them; not empty | `"features"` |
//! | `[suite] catalog` | path | `"features/catalog.toml"` |
//! | `[suite] default_target` | name of a `[targets]` entry | the only target |
//! | `[targets.NAME] base_url` | absolute http(s) URL, no credentials, query or fragment | required |
//! | `[targets.NAME] version` | `{ path = "/version", json = "$.version" }`, or `header = "NAME"` or `regex = '...'` in place of `json` (exactly one) | none |
//! | `[targets.NAME] auth` | inline credential table, or the name of a `[credentials]` entry | none |
//! | `[targets.NAME] headers` | table of HTTP header names to values | none |
//! | `[targets.NAME] timeout` | duration string, > 0 (`"10s"`, `"500ms"`, `"1m 30s"`) | `"10s"` |
//! | `[targets.NAME] concurrency` | integer >= 1 | `16` |
//! | `[targets.NAME] max_rps` | number > 0 | unlimited |
//! | `[targets.NAME] max_body` | bytes: integer or `"500KB"`, `"16MiB"`, `"1GiB"` | `"16MiB"` |
//! | `[credentials.NAME]` | `bearer_env`, `bearer_file`, or `header` with `value_env` or `value_file` | |
//! | `[snapshots] redact` | array of JSONPaths | `[]` |
//! | `[snapshots] dir` | path | `"features/snapshots"` |
//! | `[evidence] dir` | path, or `s3://bucket/prefix` | `"evidence"` |
//! | `[evidence] signing_key` | `{ file = "..." }` or `{ env = "VAR" }` | none |
//! | `[evidence] redact` | `{ headers = [...], json = [...] }`, added to the defaults | see [`DEFAULT_REDACT_HEADERS`], [`DEFAULT_REDACT_JSON`] |
//! | `[evidence] max_body` | bytes, as for targets | `"64KiB"` |
//!
//! Any string value may hold `${VAR}` (`$${` is a literal `${`); numbers may be written as
//! strings so that they too can come from the environment (`concurrency = "${WORKERS}"`).

mod error;
mod interpolate;
mod raw;
mod resolve;
mod settings;

use std::path::{Path, PathBuf};

pub use error::ConfigError;
pub use settings::{
    ApiCheck, ApiSource, CredentialSettings, DEFAULT_CONCURRENCY, DEFAULT_EVIDENCE_MAX_BODY, DEFAULT_REDACT_HEADERS,
    DEFAULT_REDACT_JSON, DEFAULT_TARGET_MAX_BODY, DEFAULT_TIMEOUT, EvidenceLocation, EvidenceSettings, KeyRef,
    SecretRef, Settings, SnapshotSettings, SuiteSettings, TargetSettings, VersionProbe, VersionRead,
};

/// The name of the configuration file.
pub const FILE_NAME: &str = "certify.toml";

/// Finds the configuration file.
///
/// With `explicit` (`--config FILE`), that file, relative to `start` when it is relative; it must
/// exist. Otherwise the first `certify.toml` in `start` or one of its parents, as cargo finds
/// `Cargo.toml`. The path returned is `start` joined with what was found, so it is absolute
/// when `start` is.
pub fn discover(explicit: Option<&Path>, start: &Path) -> Result<PathBuf, ConfigError> {
    if let Some(explicit) = explicit {
        let path = start.join(explicit);
        return match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(path),
            Ok(_) => Err(ConfigError::new(explicit, None, None, "is not a file (given with --config)")),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                Err(ConfigError::io(explicit, "no such file (given with --config)", err))
            }
            Err(err) => Err(ConfigError::io(explicit, format!("cannot read (given with --config): {err}"), err)),
        };
    }
    let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    for dir in start.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(ConfigError::new(
        start.join(FILE_NAME),
        None,
        None,
        format!(
            "no {FILE_NAME} in {} or any parent directory; create one or name it with --config FILE",
            start.display()
        ),
    ))
}

/// Reads, parses and resolves the file at `path`.
///
/// `env` looks up environment variables for `${VAR}` interpolation.
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
    let bytes = std::fs::read(path).map_err(|err| ConfigError::io(path, format!("cannot read: {err}"), err))?;
    let text = String::from_utf8(bytes)
        .map_err(|err| ConfigError::new(path, None, None, format!("not valid UTF-8: {}", err.utf8_error())))?;
    load_str(&text, path, env)
}

/// Parses and resolves `text` as if read from `path`.
///
/// `path` names the file in messages and its directory is the base of relative paths; it need
/// not exist.
pub fn load_str(text: &str, path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
    let absolute = std::path::absolute(path)
        .map_err(|err| ConfigError::io(path, format!("cannot make the path absolute: {err}"), err))?;
    let doc = raw::Doc { file: path, text };
    let raw = raw::parse(&doc)?;
    resolve::resolve(&doc, absolute, raw, env)
}
