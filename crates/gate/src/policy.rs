//! The promotion policy file (`ci/promotion.toml`): one `[stage.NAME]` table per stage a
//! platform version can be promoted to, parsed and validated into [`Policy`] with errors that
//! name the file, the line, the key and what was expected.
//!
//! | key | value | default |
//! |---|---|---|
//! | `from_target` | target name; evidence must come from it | required |
//! | `require` | `alpha`, `beta` or `ga`: every feature at this maturity or above must be certified | required |
//! | `warn_on` | maturities below `require` whose failures are warnings | `[]` |
//! | `max_age` | duration > 0 (`"72h"`, `"3days"`); older evidence is not used | no limit |
//! | `trusted_keys` | public key files, relative to the policy file | `[]` |
//! | `require_signed` | unsigned evidence is not used | `true` |
//! | `require_revision_match` | evidence must be for `--rev`, when given | `true` |
//! | `allow_flaky` | flaky verdicts are warnings instead of blockers | `false` |
//! | `min_runs` | integer >= 1: qualifying runs needed at the candidate version | `1` |
//! | `require_api_conformance` | any response that broke the API description in the evidence relied on blocks (so does evidence with no API description) | `false` |
//! | `block_breaking_api` | a breaking change of the API description since the previous certified version, touching a GA feature that was not deprecated first, blocks | `false` |
//!
//! `require_signed = true` needs at least one trusted key, from `trusted_keys` or given by the
//! caller (`certify gate --trust`). Key files stay paths here (made absolute); loading them and
//! computing their fingerprints is the caller's job.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::maturity::{Maturity, MaturityRank as _};

/// A problem with the policy file or with the stage asked for.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file cannot be read.
    #[error("{}: cannot read the policy file", file.display())]
    Read {
        /// The policy file, as named by the caller.
        file: PathBuf,
        /// Why it cannot be read.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid policy.
    #[error("{}", render_invalid(file, *line, key.as_deref(), message))]
    Invalid {
        /// The policy file, as named by the caller.
        file: PathBuf,
        /// The 1-based line of the problem, when it is on one line.
        line: Option<usize>,
        /// The key as a dotted path (`stage.production.max_age`), when the problem is about one.
        key: Option<String>,
        /// What is wrong and what was expected.
        message: String,
    },
    /// `--stage` names no `[stage.NAME]` table of the file.
    #[error("{}: no stage {stage:?} in the policy; known stages: {}", file.display(), known.join(", "))]
    UnknownStage {
        /// The policy file, as named by the caller.
        file: PathBuf,
        /// The stage asked for.
        stage: String,
        /// The stages the file defines, in file order.
        known: Vec<String>,
    },
}

fn render_invalid(file: &Path, line: Option<usize>, key: Option<&str>, message: &str) -> String {
    let mut out = file.display().to_string();
    if let Some(line) = line {
        let _ = write!(out, ":{line}");
    }
    if let Some(key) = key {
        let _ = write!(out, ": {key}");
    }
    let _ = write!(out, ": {message}");
    out
}

/// A whole policy file: its stages in file order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// The policy file, as named by the caller.
    pub file: PathBuf,
    /// One entry per `[stage.NAME]` table, in file order.
    pub stages: Vec<StagePolicy>,
}

/// The rules for promoting to one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StagePolicy {
    /// The stage's name (`production` for `[stage.production]`).
    pub name: String,
    /// Evidence must come from this target.
    pub from_target: String,
    /// Every feature at this maturity or above at the candidate version must be certified.
    pub require: Maturity,
    /// Failures of features at these maturities (all below `require`) are warnings.
    pub warn_on: Vec<Maturity>,
    /// Evidence whose run finished longer ago than this is not used; `None` is no limit.
    #[serde(serialize_with = "serialize_duration")]
    pub max_age: Option<Duration>,
    /// Public key files whose signatures are trusted, made absolute against the policy file.
    pub trusted_keys: Vec<PathBuf>,
    /// Unsigned evidence is not used.
    pub require_signed: bool,
    /// Evidence must be for the candidate revision, when one is given.
    pub require_revision_match: bool,
    /// Flaky verdicts are warnings instead of blockers.
    pub allow_flaky: bool,
    /// At least this many qualifying runs at the candidate version.
    pub min_runs: u32,
    /// Responses that broke the API description block.
    pub require_api_conformance: bool,
    /// Breaking API changes to GA features not deprecated first block.
    pub block_breaking_api: bool,
}

fn serialize_duration<S: serde::Serializer>(value: &Option<Duration>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(duration) => serializer.collect_str(&humantime::format_duration(*duration)),
        None => serializer.serialize_none(),
    }
}

/// The keys of a `[stage.NAME]` table.
const STAGE_KEYS: [&str; 11] = [
    "from_target",
    "require",
    "warn_on",
    "max_age",
    "trusted_keys",
    "require_signed",
    "require_revision_match",
    "allow_flaky",
    "min_runs",
    "require_api_conformance",
    "block_breaking_api",
];

/// The maturities `require` accepts.
const REQUIRE_NAMES: &str = "alpha, beta, ga";

impl Policy {
    /// Reads and parses the policy file at `file`. Trusted key paths are made absolute against
    /// the file's directory (the current directory is used to make a relative `file` absolute);
    /// errors name `file` as given.
    pub fn load(file: &Path) -> Result<Policy, PolicyError> {
        let text =
            std::fs::read_to_string(file).map_err(|source| PolicyError::Read { file: file.to_path_buf(), source })?;
        let absolute =
            std::path::absolute(file).map_err(|source| PolicyError::Read { file: file.to_path_buf(), source })?;
        parse(&text, file, absolute.parent().unwrap_or(Path::new("/")))
    }

    /// Parses policy `text` read from `file`. Trusted key paths are resolved against the
    /// directory of `file` (absolute when `file` is); no file is read.
    pub fn parse(text: &str, file: &Path) -> Result<Policy, PolicyError> {
        parse(text, file, file.parent().unwrap_or(Path::new("")))
    }

    /// The stage called `name`, or an error listing the known stages.
    pub fn stage(&self, name: &str) -> Result<&StagePolicy, PolicyError> {
        self.stages.iter().find(|stage| stage.name == name).ok_or_else(|| PolicyError::UnknownStage {
            file: self.file.clone(),
            stage: name.to_owned(),
            known: self.stages.iter().map(|stage| stage.name.clone()).collect(),
        })
    }
}

/// The text being parsed, for turning spans into lines.
struct Doc<'a> {
    file: &'a Path,
    line_starts: Vec<usize>,
}

impl<'a> Doc<'a> {
    fn new(file: &'a Path, text: &str) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1)).collect();
        Self { file, line_starts }
    }

    /// The 1-based line that byte `offset` is on.
    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset).max(1)
    }

    fn error(&self, span: Range<usize>, key: Option<String>, message: impl Into<String>) -> PolicyError {
        PolicyError::Invalid {
            file: self.file.to_path_buf(),
            line: Some(self.line(span.start)),
            key,
            message: message.into(),
        }
    }

    fn whole_file_error(&self, message: impl Into<String>) -> PolicyError {
        PolicyError::Invalid { file: self.file.to_path_buf(), line: None, key: None, message: message.into() }
    }
}

type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;
type Value<'i> = Spanned<DeValue<'i>>;

/// The entries of a table in file order.
fn entries<'t, 'i>(table: &'t DeTable<'i>) -> Vec<(&'t Key<'i>, &'t Value<'i>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

fn parse(text: &str, file: &Path, base: &Path) -> Result<Policy, PolicyError> {
    let doc = Doc::new(file, text);
    let root = DeTable::parse(text).map_err(|err| {
        let message = format!("invalid TOML: {}", err.message().trim_end());
        match err.span() {
            Some(span) => doc.error(span, None, message),
            None => doc.whole_file_error(message),
        }
    })?;
    let root = root.get_ref();
    if root.is_empty() {
        return Err(doc.whole_file_error(
            "the policy is empty; expected at least one [stage.NAME] table such as [stage.production]",
        ));
    }
    let mut stages_value = None;
    for (key, value) in entries(root) {
        if key.get_ref() == "stage" {
            stages_value = Some(value);
        } else {
            let name = key_path(&[key.get_ref()]);
            return Err(doc.error(key.span(), Some(name), unknown_key(key.get_ref(), &["stage"])));
        }
    }
    let Some(stages_value) = stages_value else {
        return Err(doc.whole_file_error("no [stage.NAME] table; expected one such as [stage.production]"));
    };
    let DeValue::Table(stages_table) = stages_value.get_ref() else {
        return Err(doc.error(
            stages_value.span(),
            Some("stage".to_owned()),
            format!("expected tables such as [stage.production], got {}", describe(stages_value.get_ref())),
        ));
    };
    if stages_table.is_empty() {
        return Err(doc.error(
            stages_value.span(),
            Some("stage".to_owned()),
            "no stages; expected tables such as [stage.production]",
        ));
    }
    let mut stages = Vec::new();
    for (name, value) in entries(stages_table) {
        stages.push(parse_stage(&doc, base, name, value)?);
    }
    Ok(Policy { file: file.to_path_buf(), stages })
}

fn parse_stage(doc: &Doc<'_>, base: &Path, name: &Key<'_>, value: &Value<'_>) -> Result<StagePolicy, PolicyError> {
    let stage_name = name.get_ref().as_ref();
    let stage_path = key_path(&["stage", stage_name]);
    let DeValue::Table(table) = value.get_ref() else {
        return Err(doc.error(
            value.span(),
            Some(stage_path),
            format!("expected a table such as [stage.{stage_name}], got {}", describe(value.get_ref())),
        ));
    };
    if stage_name.is_empty() {
        return Err(doc.error(name.span(), Some(stage_path), "a stage needs a name"));
    }
    let field = |key: &str| key_path(&["stage", stage_name, key]);

    let mut from_target = None;
    let mut require = None;
    let mut warn_on = Vec::new();
    let mut max_age = None;
    let mut trusted_keys = Vec::new();
    // The value and its span, when the key is present.
    let mut require_signed: Option<(bool, Range<usize>)> = None;
    let mut require_revision_match = true;
    let mut allow_flaky = false;
    let mut min_runs = 1;
    let mut require_api_conformance = false;
    let mut block_breaking_api = false;

    for (key, value) in entries(table) {
        let path = field(key.get_ref());
        let at = value.span();
        let err = |message: String| doc.error(at.clone(), Some(path.clone()), message);
        match key.get_ref().as_ref() {
            "from_target" => {
                let target = string(value).map_err(&err)?;
                if target.is_empty() {
                    return Err(err("expected a target name, got an empty string".to_owned()));
                }
                from_target = Some(target.to_owned());
            }
            "require" => {
                let text = string(value).map_err(&err)?;
                require = Some(parse_require(text).map_err(&err)?);
            }
            "warn_on" => {
                for (index, item) in array(value).map_err(&err)?.iter().enumerate() {
                    let item_path = format!("{path}[{index}]");
                    let item_err = |message: String| doc.error(item.span(), Some(item_path.clone()), message);
                    let maturity = parse_warn_on(string(item).map_err(item_err)?).map_err(item_err)?;
                    if warn_on.iter().any(|(seen, _)| *seen == maturity) {
                        return Err(item_err(format!("{maturity} is listed twice")));
                    }
                    warn_on.push((maturity, item.span()));
                }
            }
            "max_age" => {
                let text = string(value).map_err(|_| {
                    err(format!(r#"expected a duration such as "72h" or "3days", got {}"#, describe(value.get_ref())))
                })?;
                let duration = humantime::parse_duration(text).map_err(|problem| {
                    err(format!(r#"expected a duration such as "72h" or "3days", got "{text}" ({problem})"#))
                })?;
                if duration.is_zero() {
                    return Err(err(format!(r#"expected a duration greater than zero, got "{text}""#)));
                }
                max_age = Some(duration);
            }
            "trusted_keys" => {
                for (index, item) in array(value).map_err(&err)?.iter().enumerate() {
                    let item_err = |message: String| doc.error(item.span(), Some(format!("{path}[{index}]")), message);
                    let text = string(item).map_err(item_err)?;
                    if text.is_empty() {
                        return Err(item_err("expected a public key file, got an empty string".to_owned()));
                    }
                    trusted_keys.push(normalize(&base.join(text)));
                }
            }
            "require_signed" => require_signed = Some((boolean(value).map_err(&err)?, value.span())),
            "require_revision_match" => require_revision_match = boolean(value).map_err(&err)?,
            "allow_flaky" => allow_flaky = boolean(value).map_err(&err)?,
            "min_runs" => min_runs = positive_integer(value).map_err(&err)?,
            "require_api_conformance" => require_api_conformance = boolean(value).map_err(&err)?,
            "block_breaking_api" => block_breaking_api = boolean(value).map_err(&err)?,
            other => {
                return Err(doc.error(key.span(), Some(path.clone()), unknown_key(other, &STAGE_KEYS)));
            }
        }
    }

    let missing = |key: &str| doc.error(name.span(), Some(stage_path.clone()), format!("missing required key {key}"));
    let from_target = from_target.ok_or_else(|| missing("from_target"))?;
    let require = require.ok_or_else(|| missing("require"))?;
    if let Some((index, (maturity, span))) =
        warn_on.iter().enumerate().find(|(_, (maturity, _))| maturity.meets(require))
    {
        return Err(doc.error(
            span.clone(),
            Some(format!("{}[{index}]", field("warn_on"))),
            format!(
                r#"{} is at or above require = "{}": its failures block promotion, they cannot be warnings"#,
                maturity.as_str(),
                require.as_str()
            ),
        ));
    }
    // `require_signed` with no `trusted_keys` is valid here: keys may also be
    // given on the command line (`certify gate --trust`); the CLI refuses a
    // gate that ends up with none.
    let signed = require_signed.is_none_or(|(flag, _)| flag);
    Ok(StagePolicy {
        name: stage_name.to_owned(),
        from_target,
        require,
        warn_on: warn_on.into_iter().map(|(maturity, _)| maturity).collect(),
        max_age,
        trusted_keys,
        require_signed: signed,
        require_revision_match,
        allow_flaky,
        min_runs,
        require_api_conformance,
        block_breaking_api,
    })
}

fn parse_require(text: &str) -> Result<Maturity, String> {
    match Maturity::parse(text) {
        Some(maturity @ (Maturity::Alpha | Maturity::Beta | Maturity::Ga)) => Ok(maturity),
        Some(Maturity::Deprecated) => {
            Err(r#"deprecated ranks with ga (it is still promised to customers); write require = "ga""#.to_owned())
        }
        Some(Maturity::Removed) => Err(format!("removed features never apply; expected one of {REQUIRE_NAMES}")),
        None => Err(format!(r#"expected a maturity, one of {REQUIRE_NAMES}, got "{text}""#)),
    }
}

fn parse_warn_on(text: &str) -> Result<Maturity, String> {
    match Maturity::parse(text) {
        Some(Maturity::Removed) => Err("removed features never apply; expected one of alpha, beta".to_owned()),
        Some(maturity) => Ok(maturity),
        None => Err(format!(r#"expected a maturity, one of alpha, beta, got "{text}""#)),
    }
}

fn string<'v>(value: &'v Value<'_>) -> Result<&'v str, String> {
    match value.get_ref() {
        DeValue::String(text) => Ok(text),
        other => Err(format!("expected a string, got {}", describe(other))),
    }
}

fn boolean(value: &Value<'_>) -> Result<bool, String> {
    match value.get_ref() {
        DeValue::Boolean(flag) => Ok(*flag),
        other => Err(format!("expected true or false, got {}", describe(other))),
    }
}

fn array<'v, 'i>(value: &'v Value<'i>) -> Result<&'v [Value<'i>], String> {
    match value.get_ref() {
        DeValue::Array(items) => Ok(items.as_ref()),
        other => Err(format!("expected an array of strings, got {}", describe(other))),
    }
}

fn positive_integer(value: &Value<'_>) -> Result<u32, String> {
    let DeValue::Integer(integer) = value.get_ref() else {
        return Err(format!("expected an integer >= 1, got {}", describe(value.get_ref())));
    };
    match i128::from_str_radix(integer.as_str(), integer.radix()) {
        Ok(n) if n >= 1 => u32::try_from(n).map_err(|_| format!("expected an integer from 1 to {}, got {n}", u32::MAX)),
        Ok(n) => Err(format!("expected an integer >= 1, got {n}")),
        Err(_) => Err(format!("expected an integer >= 1, got {integer}")),
    }
}

/// What a value is, for "expected ..., got ..." messages.
fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(text) => format!("{text:?}"),
        DeValue::Integer(integer) => format!("integer {integer}"),
        DeValue::Float(float) => format!("float {float}"),
        DeValue::Boolean(flag) => format!("boolean {flag}"),
        DeValue::Datetime(_) => "a date-time".to_owned(),
        DeValue::Array(_) => "an array".to_owned(),
        DeValue::Table(_) => "a table".to_owned(),
    }
}

fn unknown_key(key: &str, valid: &[&str]) -> String {
    let suggestion = valid
        .iter()
        .map(|name| (edit_distance(key, name), *name))
        .filter(|(distance, name)| *distance <= (name.len() / 3).max(1))
        .min()
        .map(|(_, name)| format!(" (did you mean {name}?)"))
        .unwrap_or_default();
    format!("unknown key{suggestion}; valid keys: {}", valid.join(", "))
}

/// Levenshtein distance, for "did you mean" suggestions among a handful of short keys.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A dotted key path, quoting keys that TOML would not accept bare.
fn key_path(keys: &[&str]) -> String {
    keys.iter()
        .map(|key| {
            let bare = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if bare { (*key).to_owned() } else { format!("{key:?}") }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Removes `.` and resolves `..` lexically, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_one() {
        let doc = Doc::new(Path::new("p.toml"), "a\nbc\n\nd");
        assert_eq!(doc.line(0), 1);
        assert_eq!(doc.line(1), 1);
        assert_eq!(doc.line(2), 2);
        assert_eq!(doc.line(5), 3);
        assert_eq!(doc.line(6), 4);
    }

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(
            unknown_key("min_run", &["min_runs", "max_age"]),
            "unknown key (did you mean min_runs?); valid keys: min_runs, max_age"
        );
        assert_eq!(unknown_key("colour", &["min_runs"]), "unknown key; valid keys: min_runs");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize(Path::new("/p/ci/../keys/./k.pem")), PathBuf::from("/p/keys/k.pem"));
        assert_eq!(normalize(Path::new("/../k.pem")), PathBuf::from("/k.pem"));
        assert_eq!(normalize(Path::new("ci/../../k.pem")), PathBuf::from("../k.pem"));
    }

    #[test]
    fn quotes_keys_that_are_not_bare() {
        assert_eq!(key_path(&["stage", "prod.eu", "min_runs"]), r#"stage."prod.eu".min_runs"#);
    }
}
