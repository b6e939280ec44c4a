//! Errors about a place in a file, shared by every file certify reads
//! (certify.toml, the feature catalog): which file, which line, which key,
//! and what was expected.
//!
//! A [`FileError`] renders as `FILE:LINE: KEY: MESSAGE`, leaving out the line or the key
//! when they are not known, e.g.
//! `features/catalog.toml:12: feature[3].lifecycle.ga: expected a semver version like 1.4.0, got "1.4"`.
//! Keys are dotted paths into the file with 0-based array indices (`feature[0]` is the first
//! `[[feature]]` table).

use std::path::{Path, PathBuf};

/// A problem in a file: which file, which line, which key, and what was expected.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct FileError {
    file: PathBuf,
    line: Option<usize>,
    key: Option<String>,
    message: String,
    #[source]
    source: Option<std::io::Error>,
}

impl FileError {
    /// A problem at `line` (1-based) of `file`, about `key` when given.
    pub fn new(file: impl Into<PathBuf>, line: Option<usize>, key: Option<String>, message: impl Into<String>) -> Self {
        Self { file: file.into(), line, key, message: message.into(), source: None }
    }

    /// A file that could not be read.
    pub fn io(file: impl Into<PathBuf>, message: impl Into<String>, source: std::io::Error) -> Self {
        Self { source: Some(source), ..Self::new(file, None, None, message) }
    }

    /// The file, as it was named to the loader.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The 1-based line of the file the problem is on, when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The key as a dotted path (`targets.staging.timeout`), when the problem is about one key.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// What is wrong and what was expected, without the file, line and key.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn render(&self) -> String {
        let mut out = self.file.display().to_string();
        if let Some(line) = self.line {
            out.push_str(&format!(":{line}"));
        }
        if let Some(key) = &self.key {
            out.push_str(": ");
            out.push_str(key);
        }
        out.push_str(": ");
        out.push_str(&self.message);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_key_and_message() {
        let err = FileError::new("features/catalog.toml", Some(12), Some("feature[3].lifecycle.ga".into()), "bad");
        assert_eq!(err.to_string(), "features/catalog.toml:12: feature[3].lifecycle.ga: bad");
        assert_eq!(err.line(), Some(12));
        assert_eq!(err.key(), Some("feature[3].lifecycle.ga"));
        assert_eq!(err.message(), "bad");
        let err = FileError::new("catalog.toml", None, None, "cannot read");
        assert_eq!(err.to_string(), "catalog.toml: cannot read");
        assert_eq!(err.file(), Path::new("catalog.toml"));
    }
}

/// Test support shared by the crates whose files are checked against a
/// corpus of `tests/fixtures/{ok,bad}/*.toml` (certify.toml, the catalog, the
/// promotion policy). Not part of the API.
#[doc(hidden)]
pub mod fixtures {
    use std::path::{Path, PathBuf};

    /// The files of one fixture directory, sorted.
    pub fn files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
            .map(|entry| entry.unwrap_or_else(|err| panic!("{}: {err}", dir.display())).path())
            .collect();
        files.sort();
        files
    }

    /// A fixture's name: its file name without the extension.
    pub fn stem(path: &Path) -> String {
        path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// Every `bad/NAME.toml` of `dir` must fail: `error_of(text)` returns the
    /// error's message (`None` when the file loaded), which must equal
    /// `bad/NAME.err` (with a final newline). With `CERTIFY_BLESS` set the
    /// `.err` files are written from the current messages instead, for review.
    /// Returns each fixture's message, and the failures to report.
    pub fn check_bad(dir: &Path, error_of: &dyn Fn(&str) -> Option<String>) -> (Vec<(String, String)>, Vec<String>) {
        let bless = std::env::var_os("CERTIFY_BLESS").is_some();
        let mut messages = Vec::new();
        let mut failures = Vec::new();
        for path in files(dir) {
            match path.extension().and_then(|ext| ext.to_str()) {
                Some("toml") => {}
                Some("err") if path.with_extension("toml").is_file() => continue,
                _ => {
                    failures.push(format!("{}: not a .toml fixture or the .err of one", path.display()));
                    continue;
                }
            }
            let name = stem(&path);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let Some(message) = error_of(&text) else {
                failures.push(format!("{name}: loaded without an error"));
                continue;
            };
            let actual = format!("{message}\n");
            let expected_path = path.with_extension("err");
            if bless {
                std::fs::write(&expected_path, &actual)
                    .unwrap_or_else(|err| panic!("{}: {err}", expected_path.display()));
            } else {
                match std::fs::read_to_string(&expected_path) {
                    Ok(expected) if expected == actual => {}
                    Ok(expected) => failures.push(format!("{name}:\n  expected: {expected}  actual:   {actual}")),
                    Err(_) => failures.push(format!("{name}: no .err file; actual: {actual}")),
                }
            }
            messages.push((name, message));
        }
        (messages, failures)
    }
}
