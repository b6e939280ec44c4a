//! Finding and parsing feature files.
//!
//! A suite is read from disk (directories, files or glob patterns from
//! `[suite] features`) or from memory (the suite embedded in the binary). Each
//! file is parsed on its own: one broken file is reported as a [`ParseIssue`]
//! with `file:line:col` and does not stop the others from loading. Scenario
//! outlines are expanded here, once, so everything downstream sees concrete
//! scenarios (one per example row) whose `examples` hold the header and the
//! one row they came from.

use std::{
    fmt, fs,
    path::{Path, PathBuf},
    sync::{Arc, LazyLock},
};

use regex::Regex;

pub use crate::parsed::ParsedFeature;

/// One feature file's text and where it came from.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown to people and recorded in reports: relative to the
    /// suite's root when the file is under it, with `/` separators.
    pub path: PathBuf,
    /// Where it lives on disk, when it does (the embedded suite does not).
    pub abs_path: Option<PathBuf>,
    /// The exact text.
    pub text: Arc<str>,
}

/// A feature file that could not be loaded: a syntax error, text that is
/// not UTF-8, or a file that cannot be read. It stays part of the run (a run
/// with one is never PASSED), so it carries what reports need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIssue {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// The catalog features the file names, read best-effort from its raw
    /// text: every `@feature:<id>` token anywhere in it, in order, once each.
    pub features: Vec<String>,
    /// The raw text has a `@critical` tag token: what it names is critical.
    pub critical: bool,
}

impl ParseIssue {
    pub(crate) fn new(path: &Path, raw: &str, line: usize, col: usize, message: String) -> ParseIssue {
        let mut issue =
            ParseIssue { path: path.to_path_buf(), line, col, message, features: Vec::new(), critical: false };
        issue.read_tags(raw);
        issue
    }

    /// Reads the catalog features and `@critical` from the file's raw text.
    fn read_tags(&mut self, raw: &str) {
        static CRITICAL: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?:^|\s)@critical(?:\s|$)").unwrap_or_else(|_| unreachable!()));
        self.features = feature_ids(raw);
        self.critical = CRITICAL.is_match(raw);
    }
}

impl fmt::Display for ParseIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path.display(), self.line, self.col, self.message)
    }
}

/// Every `@feature:<id>` token of a text, in order of appearance, once each.
pub fn feature_ids(raw: &str) -> Vec<String> {
    static TAG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:^|\s)@feature:([^\s@]+)").unwrap_or_else(|_| unreachable!()));
    let mut out: Vec<String> = Vec::new();
    for c in TAG.captures_iter(raw) {
        // Tags are separated by whitespace, so a match ends where the next begins.
        let id = c[1].to_owned();
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The feature files could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: no such file or directory (from [suite] features)")]
    NotFound { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{pattern}: the glob pattern matches no .feature file")]
    EmptyGlob { pattern: String },
}

/// Every feature of a suite, parsed, plus the files that failed to parse.
#[derive(Debug, Clone, Default)]
pub struct Suite {
    pub features: Vec<ParsedFeature>,
    pub issues: Vec<ParseIssue>,
}

impl Suite {
    /// Parses every file. Files that fail are kept as issues.
    pub fn parse(files: Vec<SourceFile>) -> Suite {
        let mut suite = Suite::default();
        for file in files {
            match parse_file(file) {
                Ok(Some(f)) => suite.features.push(f),
                Ok(None) => {}
                Err(issue) => suite.issues.push(issue),
            }
        }
        suite
    }

    /// Finds the feature files `patterns` name (see [`collect_paths`]) and
    /// parses each. A file that cannot be read or is not UTF-8 is an issue
    /// like a syntax error: it stays part of the suite. Only patterns that
    /// find nothing are an error.
    pub fn load(patterns: &[PathBuf], root: &Path) -> Result<Suite, LoadError> {
        let mut suite = Suite::default();
        let mut files = Vec::new();
        for abs in collect_paths(patterns, root)? {
            match read_source(&abs, root) {
                Ok(file) => files.push(file),
                Err(issue) => suite.issues.push(issue),
            }
        }
        let parsed = Suite::parse(files);
        suite.features = parsed.features;
        suite.issues.extend(parsed.issues);
        suite.issues.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(suite)
    }

    /// Number of concrete scenarios (outline rows counted one by one).
    pub fn scenario_count(&self) -> usize {
        self.features.iter().map(ParsedFeature::scenario_count).sum()
    }
}

/// Finds the `.feature` files named by `patterns` (directories are walked
/// recursively, files taken as they are, `*`/`**`/`?` globs matched), sorted
/// by path so runs are reproducible. Relative patterns are taken relative to
/// `root`.
pub fn collect_files(patterns: &[PathBuf], root: &Path) -> Result<Vec<SourceFile>, LoadError> {
    collect_paths(patterns, root)?
        .into_iter()
        .map(|abs| {
            let text = fs::read_to_string(&abs).map_err(|source| LoadError::Read { path: abs.clone(), source })?;
            Ok(SourceFile { path: display_path(&abs, root), abs_path: Some(abs), text: text.into() })
        })
        .collect()
}

/// Reads one feature file; a file that cannot be read, or whose bytes are
/// not UTF-8 (with the line and column of the first bad byte), is an issue.
fn read_source(abs: &Path, root: &Path) -> Result<SourceFile, ParseIssue> {
    let path = display_path(abs, root);
    let bytes =
        fs::read(abs).map_err(|e| ParseIssue::new(&path, "", 1, 1, format!("cannot read the feature file: {e}")))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile { path, abs_path: Some(abs.to_path_buf()), text: text.into() }),
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let before = &bytes[..at];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let raw = String::from_utf8_lossy(bytes);
            let message = format!(
                "not UTF-8: byte 0x{:02x} at offset {at} does not belong to a UTF-8 sequence (Gherkin files are UTF-8 text)",
                bytes[at]
            );
            // Columns count characters, as Gherkin's do; what precedes the bad byte is valid UTF-8.
            let col = String::from_utf8_lossy(&bytes[line_start..at]).chars().count() + 1;
            Err(ParseIssue::new(&path, &raw, line, col, message))
        }
    }
}

/// The `.feature` files `patterns` name, absolute, sorted, once each.
pub fn collect_paths(patterns: &[PathBuf], root: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut found: Vec<PathBuf> = Vec::new();
    for pattern in patterns {
        let abs = if pattern.is_absolute() { pattern.clone() } else { root.join(pattern) };
        let text = abs.to_string_lossy();
        if text.contains(['*', '?']) {
            let before = found.len();
            glob(&abs, &mut found)?;
            if found.len() == before {
                return Err(LoadError::EmptyGlob { pattern: pattern.display().to_string() });
            }
        } else if abs.is_dir() {
            walk(&abs, &mut found)?;
        } else if abs.is_file() {
            found.push(abs);
        } else {
            return Err(LoadError::NotFound { path: abs });
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn display_path(abs: &Path, root: &Path) -> PathBuf {
    match abs.strip_prefix(root) {
        Ok(rel) => PathBuf::from(rel.to_string_lossy().replace('\\', "/")),
        Err(_) => abs.to_path_buf(),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = fs::read_dir(dir).map_err(|source| LoadError::Read { path: dir.to_path_buf(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Read { path: dir.to_path_buf(), source })?;
        let path = entry.path();
        let ty = entry.file_type().map_err(|source| LoadError::Read { path: path.clone(), source })?;
        if ty.is_dir() {
            walk(&path, out)?;
        } else if ty.is_file() && path.extension().is_some_and(|e| e == "feature") {
            out.push(path);
        }
    }
    Ok(())
}

/// Matches a glob against the files below its longest literal prefix.
fn glob(pattern: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let text = pattern.to_string_lossy().replace('\\', "/");
    let literal_end = text.find(['*', '?']).unwrap_or(text.len());
    let base = match text[..literal_end].rfind('/') {
        Some(i) => PathBuf::from(&text[..i.max(1)]),
        None => PathBuf::from("."),
    };
    let mut re = String::from("^");
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    let Ok(re) = Regex::new(&re) else {
        return Err(LoadError::EmptyGlob { pattern: text });
    };
    if !base.is_dir() {
        return Ok(());
    }
    let mut all = Vec::new();
    walk(&base, &mut all)?;
    out.extend(all.into_iter().filter(|p| re.is_match(&p.to_string_lossy().replace('\\', "/"))));
    Ok(())
}

/// Parses one file: [`ParsedFeature::parse`].
pub fn parse_file(file: SourceFile) -> Result<Option<ParsedFeature>, ParseIssue> {
    ParsedFeature::parse(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> SourceFile {
        SourceFile { path: "x.feature".into(), abs_path: None, text: text.into() }
    }

    fn all(f: &ParsedFeature) -> Vec<gherkin::Scenario> {
        f.scenarios().map(|c| c.unwrap().scenario).collect()
    }

    #[test]
    fn parse_error_names_line_and_found_text() {
        let err = parse_file(src("Feature: f\n  Scenario: s\n    Given x\n  oops here\n")).unwrap_err();
        assert_eq!((err.line, err.path.as_path()), (4, Path::new("x.feature")));
        // Upstream's message: what the grammar accepts there, and the line it got.
        assert!(
            err.message.starts_with("expected: #EOF, #TableRow, #DocStringSeparator, #StepLine"),
            "{}",
            err.message
        );
        assert!(err.message.ends_with(", got 'oops here'"), "{}", err.message);
        assert!(err.to_string().starts_with("x.feature:4:"), "{err}");
    }

    #[test]
    fn outlines_expand_one_scenario_per_row() {
        let f = parse_file(src(
            "Feature: f\n  Scenario Outline: s <n>\n    Given a \"<n>\"\n    Examples:\n      | n |\n      | 1 |\n      | 2 |\n",
        ))
        .unwrap()
        .unwrap();
        let scenarios = all(&f);
        let names: Vec<_> = scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["s 1", "s 2"]);
        assert_eq!(scenarios[1].steps[0].value, "a \"2\"");
        assert_eq!(scenarios[1].position.line, 7);
    }

    #[test]
    fn outline_scenarios_are_at_their_example_rows() {
        // A description and blank lines between Examples and its table, and two tables.
        let f = parse_file(src(
            "Feature: f\n  Scenario Outline: s <n>\n    Given a \"<n>\"\n    Examples: first\n      about these\n\n      | n |\n\n      | 1 |\n      | 2 |\n    @more\n    Examples:\n      | n |\n      | 3 |\n",
        ))
        .unwrap()
        .unwrap();
        let scenarios = all(&f);
        let at: Vec<(usize, usize, &str)> =
            scenarios.iter().map(|s| (s.position.line, s.position.col, s.name.as_str())).collect();
        assert_eq!(at, [(9, 7, "s 1"), (10, 7, "s 2"), (14, 7, "s 3")]);
        let third = &scenarios[2];
        assert_eq!(third.tags, ["more"]);
        let table = third.examples[0].table.as_ref().unwrap();
        assert_eq!(table.rows, [vec!["n".to_owned()], vec!["3".to_owned()]]);
    }

    #[test]
    fn cells_are_unescaped_and_a_step_may_have_a_table_and_a_doc_string() {
        let f = parse_file(src(
            "Feature: f\n  Scenario: s\n    Given t:\n      | a \\| b | c\\\\ | d\\ne |\n      \"\"\"\n      doc\n      \"\"\"\n",
        ))
        .unwrap()
        .unwrap();
        let scenarios = all(&f);
        let step = &scenarios[0].steps[0];
        assert_eq!(step.table.as_ref().unwrap().rows, [vec!["a | b".to_owned(), "c\\".to_owned(), "d\ne".to_owned()]]);
        assert_eq!(step.docstring.as_deref(), Some("doc"));
    }

    #[test]
    fn unknown_outline_placeholder_is_an_issue() {
        let err = parse_file(src(
            "Feature: f\n  Scenario Outline: s\n    Given a <missing>\n    Examples:\n      | n |\n      | 1 |\n",
        ))
        .unwrap_err();
        assert!(err.message.contains("<missing>"), "{}", err.message);
    }

    #[test]
    fn ragged_table_is_an_issue() {
        let err =
            parse_file(src("Feature: f\n  Scenario: s\n    Given t:\n      | a | b |\n      | 1 |\n")).unwrap_err();
        assert_eq!((err.line, err.col), (5, 7));
        assert_eq!(err.message, "inconsistent cell count within the table");
    }

    #[test]
    fn a_broken_file_names_the_catalog_features_its_text_tags() {
        let err = parse_file(src(
            "@critical @feature:tenant-signup\nFeature: f\n  # @feature:in-a-comment\n  @feature:api-keys @serial\n  Scenario: s\n    Given x\n  oops\n  @feature:api-keys\n",
        ))
        .unwrap_err();
        assert_eq!(err.line, 7, "{err}");
        assert_eq!(err.features, ["tenant-signup", "in-a-comment", "api-keys"]);
        assert!(err.critical);
        assert!(
            !parse_file(src("@feature:x @criticality\nFeature: f\n  Scenario: s\n    Given x\n  oops\n"))
                .unwrap_err()
                .critical
        );
        assert!(feature_ids("a feature:x and email@feature:y").is_empty());
    }

    #[test]
    fn non_utf8_files_stay_in_the_suite_as_issues() {
        let dir = std::env::temp_dir().join(format!("certify-suite-bytes-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("f")).unwrap();
        fs::write(dir.join("f/good.feature"), "Feature: good\n  Scenario: s\n    Given x\n").unwrap();
        fs::write(dir.join("f/latin1.feature"), "@feature:billing\nFeature: b\n  Scenario: café \u{fffd}".as_bytes())
            .unwrap();
        let mut bytes = fs::read(dir.join("f/latin1.feature")).unwrap();
        bytes.extend_from_slice(b" caf\xe9\n");
        fs::write(dir.join("f/latin1.feature"), bytes).unwrap();
        let suite = Suite::load(&["f".into()], &dir).unwrap();
        assert_eq!(suite.features.len(), 1);
        assert_eq!(suite.issues.len(), 1, "{:?}", suite.issues);
        let issue = &suite.issues[0];
        // `  Scenario: café \u{fffd} caf` is 22 characters (26 bytes) before the bad byte.
        assert_eq!((issue.path.as_path(), issue.line, issue.col), (Path::new("f/latin1.feature"), 3, 23));
        assert!(issue.message.contains("not UTF-8"), "{}", issue.message);
        assert_eq!(issue.features, ["billing"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn glob_and_dir_collection() {
        let dir = std::env::temp_dir().join(format!("certify-suite-glob-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("a/b")).unwrap();
        fs::write(dir.join("a/one.feature"), "Feature: one\n").unwrap();
        fs::write(dir.join("a/b/two.feature"), "Feature: two\n").unwrap();
        fs::write(dir.join("a/b/notes.txt"), "x").unwrap();
        let all = collect_files(&["a".into()], &dir).unwrap();
        let names: Vec<_> = all.iter().map(|f| f.path.to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a/b/two.feature", "a/one.feature"]);
        let some = collect_files(&["a/*.feature".into()], &dir).unwrap();
        assert_eq!(some.len(), 1);
        let deep = collect_files(&["a/**/*.feature".into()], &dir).unwrap();
        assert_eq!(deep.len(), 2);
        assert!(matches!(collect_files(&["nope".into()], &dir), Err(LoadError::NotFound { .. })));
        fs::remove_dir_all(&dir).unwrap();
    }
}
