//! `certify lint`: everything that can be checked without sending a request.
//!
//! Parse errors, steps that match no pattern or several, step arguments that
//! cannot work (an invalid JSONPath, say), malformed certify tags, and
//! scenarios linked to no catalog feature. The step vocabulary is reached
//! through [`StepCheck`], so this module knows nothing of HTTP.

use std::{
    cell::RefCell,
    collections::{BTreeSet, HashMap},
    fmt,
    hash::{BuildHasherDefault, Hasher},
    path::PathBuf,
};

use crate::{SourceFile, Suite, certify_tags};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    Parse,
    UndefinedStep,
    AmbiguousStep,
    StepArgument,
    Tag,
    NoFeature,
    /// `@feature:` names an id the catalog does not have.
    UnknownFeature,
    /// A step names a credential that certify.toml does not declare.
    UnknownCredential,
    /// A catalog feature that exists at some version but has no scenario (a warning).
    CoverageGap,
    /// A `{{name}}` that no earlier step, Background step or outline column defines.
    UnknownVariable,
    /// A file a step reads (a JSON Schema, a snapshot) that is missing,
    /// outside the project, or not what the step needs.
    StepFile,
    /// `the response conforms to the API description` where no target names one.
    NoApiDescription,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Parse => "parse",
            FindingKind::UndefinedStep => "undefined-step",
            FindingKind::AmbiguousStep => "ambiguous-step",
            FindingKind::StepArgument => "step-argument",
            FindingKind::Tag => "tag",
            FindingKind::NoFeature => "no-feature",
            FindingKind::UnknownFeature => "unknown-feature",
            FindingKind::UnknownCredential => "unknown-credential",
            FindingKind::CoverageGap => "coverage-gap",
            FindingKind::UnknownVariable => "unknown-variable",
            FindingKind::StepFile => "step-file",
            FindingKind::NoApiDescription => "no-api-description",
        }
    }

    /// Warnings are reported but do not make lint fail.
    pub fn is_warning(self) -> bool {
        self.severity() == Severity::Warning
    }

    /// A coverage gap is a warning (the suite still works); everything else
    /// is an error (a run would trip on it).
    pub fn severity(self) -> Severity {
        match self {
            FindingKind::CoverageGap => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// How bad a finding is: errors make `certify lint` fail, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One lint finding, printed as `file:line:col: severity: message`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    pub kind: FindingKind,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}: {}", self.path.display(), self.line, self.col, self.kind.severity(), self.message)
    }
}

/// How lint asks the step vocabulary about one step.
pub trait StepCheck {
    /// Problems with one step (keyword-less text) of `file`, each with its kind.
    fn check(
        &self,
        file: &SourceFile,
        text: &str,
        doc_string: Option<&str>,
        has_table: bool,
    ) -> Vec<(FindingKind, String)>;

    /// The variable the step saves, if it saves one.
    fn defines(&self, _text: &str) -> Option<String> {
        None
    }

    /// The `{{name}}` placeholders the step's text or doc string reads, with
    /// the byte offset of each `{{`.
    fn uses(&self, _text: &str) -> Vec<(String, usize)> {
        Vec::new()
    }
}

/// Lints a parsed suite. Findings are sorted by file and line, and a step
/// shared by every row of an outline is reported once.
pub fn lint(suite: &Suite, steps: &dyn StepCheck) -> Vec<Finding> {
    let mut out: BTreeSet<Finding> = BTreeSet::new();
    for issue in &suite.issues {
        out.insert(Finding {
            path: issue.path.clone(),
            line: issue.line,
            col: issue.col,
            kind: FindingKind::Parse,
            message: issue.message.clone(),
        });
    }
    for parsed in &suite.features {
        let path = &parsed.file.path;
        let feature = &parsed.header;
        // Split once per file: everything below looks lines up by number.
        let lines: Vec<&str> = parsed.file.text.lines().collect();
        let memo = Memo::new(steps);
        let steps: &dyn StepCheck = &memo;
        let check_steps = |list: &[gherkin::Step], out: &mut BTreeSet<Finding>| {
            for step in list {
                for (kind, message) in
                    steps.check(&parsed.file, &step.value, step.docstring.as_deref(), step.table.is_some())
                {
                    out.insert(Finding {
                        path: path.clone(),
                        line: step.position.line,
                        col: step.position.col,
                        kind,
                        message,
                    });
                }
            }
        };
        if let Some(bg) = &feature.background {
            check_steps(&bg.steps, &mut out);
        }
        for rule in &feature.rules {
            if let Some(bg) = &rule.background {
                check_steps(&bg.steps, &mut out);
            }
        }
        for concrete in parsed.scenarios() {
            let (rule, scenario) = match concrete {
                Ok(c) => (c.rule, c.scenario),
                Err(issue) => {
                    let (line, col) = (issue.line, issue.col);
                    out.insert(Finding {
                        path: path.clone(),
                        line,
                        col,
                        kind: FindingKind::Parse,
                        message: issue.message,
                    });
                    break;
                }
            };
            let scenario = &scenario;
            check_steps(&scenario.steps, &mut out);
            let in_order = feature
                .background
                .iter()
                .flat_map(|b| &b.steps)
                .chain(rule.and_then(|r| r.background.as_ref()).into_iter().flat_map(|b| &b.steps))
                .chain(&scenario.steps);
            variables(&parsed.file, &lines, scenario, in_order, steps, &mut out);
            let levels =
                [Some(feature.tags.as_slice()), rule.map(|r| r.tags.as_slice()), Some(scenario.tags.as_slice())];
            let (tags, _) = certify_tags(levels.into_iter().flatten());
            // Each level's malformed tags, at the line where the tag is written
            // (a Feature's once, not once per scenario that inherits it).
            let placed = [
                (feature.tags.as_slice(), feature.position.line),
                (rule.map_or(&[][..], |r| r.tags.as_slice()), rule.map_or(0, |r| r.position.line)),
                (scenario.tags.as_slice(), scenario.position.line),
            ];
            for (list, below) in placed {
                for p in certify_tags([list]).1 {
                    let (line, col) = tag_position(&lines, below, &p.tag).unwrap_or((below, 1));
                    out.insert(Finding { path: path.clone(), line, col, kind: FindingKind::Tag, message: p.message });
                }
            }
            if tags.feature.is_none() {
                out.insert(Finding {
                    path: path.clone(),
                    line: scenario.position.line,
                    col: scenario.position.col,
                    kind: FindingKind::NoFeature,
                    message: format!(
                        "scenario {:?} is linked to no customer-facing feature: tag it or its Feature with @feature:<id>",
                        scenario.name
                    ),
                });
            }
        }
    }
    out.into_iter().collect()
}

/// A step's argument as the vocabulary sees it: its doc string, whether it has a table.
type Argument = (Option<String>, bool);

/// What the vocabulary said of one step text: its findings for each
/// (doc string, has a table) it was asked with, the variable it defines and
/// the variables it uses.
#[derive(Default)]
struct Known {
    checks: Vec<(Argument, Vec<(FindingKind, String)>)>,
    defines: Option<Option<String>>,
    uses: Option<Vec<(String, usize)>>,
}

/// FNV-1a: step texts are short and come from the user's own suite, so a
/// keyed hash buys nothing here and costs a tenth of a lint.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Asks the vocabulary once per distinct step of a file (the answers
/// depend on the file, the text and the argument only): suites repeat steps,
/// and resolving one tries every pattern of the vocabulary. One map by text,
/// looked up without copying the text.
struct Memo<'a> {
    inner: &'a dyn StepCheck,
    known: RefCell<HashMap<String, Known, BuildHasherDefault<Fnv>>>,
}

impl<'a> Memo<'a> {
    fn new(inner: &'a dyn StepCheck) -> Memo<'a> {
        Memo { inner, known: RefCell::default() }
    }

    /// The answer `get` finds for `text`, else `ask`'s, kept with `put`.
    fn memo<T: Clone>(
        &self,
        text: &str,
        get: impl Fn(&Known) -> Option<T>,
        ask: impl FnOnce() -> T,
        put: impl FnOnce(&mut Known, T),
    ) -> T {
        if let Some(found) = self.known.borrow().get(text).and_then(&get) {
            return found;
        }
        let found = ask();
        let mut known = self.known.borrow_mut();
        put(known.entry(text.to_owned()).or_default(), found.clone());
        found
    }
}

impl StepCheck for Memo<'_> {
    fn check(
        &self,
        file: &SourceFile,
        text: &str,
        doc_string: Option<&str>,
        has_table: bool,
    ) -> Vec<(FindingKind, String)> {
        self.memo(
            text,
            |k| {
                k.checks
                    .iter()
                    .find(|((d, t), _)| d.as_deref() == doc_string && *t == has_table)
                    .map(|(_, found)| found.clone())
            },
            || self.inner.check(file, text, doc_string, has_table),
            |k, found| k.checks.push(((doc_string.map(str::to_owned), has_table), found)),
        )
    }

    fn defines(&self, text: &str) -> Option<String> {
        self.memo(text, |k| k.defines.clone(), || self.inner.defines(text), |k, found| k.defines = Some(found))
    }

    fn uses(&self, text: &str) -> Vec<(String, usize)> {
        self.memo(text, |k| k.uses.clone(), || self.inner.uses(text), |k, found| k.uses = Some(found))
    }
}

/// `{{name}}` placeholders that nothing defines by the time the step runs:
/// the scenario's outline columns are defined from the start, then each
/// step (Background steps first, as they run) may save one variable.
fn variables<'a>(
    file: &SourceFile,
    lines: &[&str],
    scenario: &gherkin::Scenario,
    in_order: impl Iterator<Item = &'a gherkin::Step>,
    steps: &dyn StepCheck,
    out: &mut BTreeSet<Finding>,
) {
    let mut defined: Vec<String> = scenario
        .examples
        .first()
        .and_then(|e| e.table.as_ref())
        .and_then(|t| t.rows.first())
        .cloned()
        .unwrap_or_default();
    for step in in_order {
        let keyword = step.keyword.chars().count();
        let mut found: Vec<(String, usize, usize)> = steps
            .uses(&step.value)
            .into_iter()
            .map(|(name, at)| {
                (name, step.position.line, step.position.col + keyword + step.value[..at].chars().count())
            })
            .collect();
        if let Some(doc) = &step.docstring {
            for (name, _) in steps.uses(doc) {
                // Where the doc string below the step writes it.
                let needle = format!("{{{{{name}");
                let at = lines.iter().enumerate().skip(step.position.line).find_map(|(i, l)| {
                    let col = l.find(&needle).or_else(|| l.find(&format!("{{{{ {name}")))?;
                    Some((i + 1, l[..col].chars().count() + 1))
                });
                let (line, col) = at.unwrap_or((step.position.line, step.position.col));
                found.push((name, line, col));
            }
        }
        for (name, line, col) in found {
            if defined.contains(&name) {
                continue;
            }
            let known = if defined.is_empty() { "none".to_owned() } else { defined.join(", ") };
            out.insert(Finding {
                path: file.path.clone(),
                line,
                col,
                kind: FindingKind::UnknownVariable,
                message: format!(
                    "unknown variable \"{name}\": no earlier step saves it (I save ... as \"{name}\", the variable \"{name}\" is ...), \
                     nor the Background, nor an Examples column; defined here: {known}"
                ),
            });
        }
        if let Some(name) = steps.defines(&step.value) {
            defined.push(name);
        }
    }
}

/// Where `tag` (with its `@`) is written: the nearest line at or above
/// `below` that holds it as a whole token (the search goes up from `below`,
/// so it costs the distance, not the file). The `gherkin` types keep no tag
/// positions.
fn tag_position(lines: &[&str], below: usize, tag: &str) -> Option<(usize, usize)> {
    lines[..below.min(lines.len())].iter().enumerate().rev().find_map(|(i, l)| {
        let mut at = 0;
        for token in l.split_whitespace() {
            let start = l[at..].find(token).map_or(at, |p| at + p);
            at = start + token.len();
            if token == tag {
                return Some((i + 1, start + 1));
            }
            if token.starts_with('#') {
                break;
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceFile, Suite};

    struct KnowsGiven;
    impl StepCheck for KnowsGiven {
        fn check(&self, _: &SourceFile, text: &str, _: Option<&str>, _: bool) -> Vec<(FindingKind, String)> {
            if text == "a known step" || text.starts_with("save ") || text.starts_with("use ") {
                vec![]
            } else {
                vec![(FindingKind::UndefinedStep, format!("undefined step: {text}"))]
            }
        }
        fn defines(&self, text: &str) -> Option<String> {
            text.strip_prefix("save ").map(str::to_owned)
        }
        fn uses(&self, text: &str) -> Vec<(String, usize)> {
            let mut out = Vec::new();
            let mut at = 0;
            while let Some(i) = text[at..].find("{{") {
                let start = at + i;
                let end = start + text[start..].find("}}").unwrap();
                out.push((text[start + 2..end].to_owned(), start));
                at = end;
            }
            out
        }
    }

    #[test]
    fn variables_must_be_defined_before_use() {
        let text = "@feature:f\nFeature: f\n  Background:\n    Given save run\n\n  Scenario: s\n    Given use {{run}} and {{later}}\n    And save later\n    And use {{later}}\n\n  Scenario Outline: o\n    Given use {{code}} and {{<code>}}\n    And use:\n      \"\"\"\n      {\"a\": \"{{nope}}\"}\n      \"\"\"\n    Examples:\n      | code |\n      | 200  |\n\n  Scenario: other\n    Given use {{later}}\n";
        let suite = Suite::parse(vec![SourceFile { path: "v.feature".into(), abs_path: None, text: text.into() }]);
        let found: Vec<String> = lint(&suite, &KnowsGiven)
            .iter()
            .filter(|f| f.kind == FindingKind::UnknownVariable)
            .map(|f| format!("{}:{}", f.line, f.col))
            .collect();
        // {{later}} before it is saved; {{200}} (the substituted <code>); the
        // doc string's {{nope}}; {{later}} in another scenario.
        assert_eq!(found, ["7:27", "12:28", "15:14", "22:15"], "{:#?}", lint(&suite, &KnowsGiven));
    }

    #[test]
    fn findings_are_located_and_deduplicated() {
        let text = "@feature:f\nFeature: f\n  Scenario Outline: o\n    Given a known step\n    And unknown <n>\n    Examples:\n      | n |\n      | 1 |\n      | 1 |\n\n  @retry(x)\n  Scenario: s\n    Given a known step\n";
        let broken = "Feature: broken\n  Scenario: s\n    Given a known step\n  nonsense line\n";
        let untagged = "Feature: u\n  Scenario: s\n    Given a known step\n";
        let suite = Suite::parse(vec![
            SourceFile { path: "a.feature".into(), abs_path: None, text: text.into() },
            SourceFile { path: "b.feature".into(), abs_path: None, text: broken.into() },
            SourceFile { path: "c.feature".into(), abs_path: None, text: untagged.into() },
        ]);
        let found: Vec<String> = lint(&suite, &KnowsGiven)
            .iter()
            .filter(|f| f.kind != FindingKind::UnknownVariable)
            .map(ToString::to_string)
            .collect();
        assert_eq!(found.len(), 4, "{found:#?}");
        assert_eq!(found[0], "a.feature:5:5: error: undefined step: unknown 1");
        assert!(found[1].starts_with("a.feature:11:3: error: @retry(x"), "{}", found[1]);
        assert!(found[2].starts_with("b.feature:4:3: error: expected: #EOF, #TableRow"), "{}", found[2]);
        assert!(found[3].starts_with("c.feature:2:3: error: scenario \"s\" is linked to no"), "{}", found[3]);
    }

    /// Counts how often the vocabulary is asked.
    struct Counting(std::cell::Cell<usize>);
    impl StepCheck for Counting {
        fn check(&self, _: &SourceFile, text: &str, _: Option<&str>, _: bool) -> Vec<(FindingKind, String)> {
            self.0.set(self.0.get() + 1);
            vec![(FindingKind::UndefinedStep, format!("undefined step: {text}"))]
        }
    }

    #[test]
    fn a_repeated_step_is_resolved_once_per_file_and_reported_where_it_is() {
        let mut text = String::from("@feature:f\nFeature: f\n");
        for i in 0..50 {
            text.push_str(&format!("  Scenario: s{i}\n    Given the same step\n    Then step {}\n", i % 2));
        }
        let suite = Suite::parse(vec![
            SourceFile { path: "a.feature".into(), abs_path: None, text: text.clone().into() },
            SourceFile { path: "b.feature".into(), abs_path: None, text: text.into() },
        ]);
        let counting = Counting(std::cell::Cell::new(0));
        let found = lint(&suite, &counting);
        // Three distinct steps in each of two files.
        assert_eq!(counting.0.get(), 6);
        assert_eq!(found.len(), 2 * 100, "one finding per step, at its line");
        assert_eq!(found[1].to_string(), "a.feature:5:5: error: undefined step: step 0");
    }

    #[test]
    fn coverage_gaps_are_warnings_and_everything_else_an_error() {
        let kinds = [
            FindingKind::Parse,
            FindingKind::UndefinedStep,
            FindingKind::AmbiguousStep,
            FindingKind::StepArgument,
            FindingKind::Tag,
            FindingKind::NoFeature,
            FindingKind::UnknownFeature,
            FindingKind::UnknownCredential,
            FindingKind::UnknownVariable,
            FindingKind::StepFile,
        ];
        for kind in kinds {
            assert_eq!(kind.severity(), Severity::Error, "{}", kind.as_str());
            assert!(!kind.is_warning());
        }
        assert_eq!(FindingKind::CoverageGap.severity(), Severity::Warning);
        let gap = Finding {
            path: "features/catalog.toml".into(),
            line: 3,
            col: 1,
            kind: FindingKind::CoverageGap,
            message: "catalog feature x has no scenario".into(),
        };
        assert_eq!(gap.to_string(), "features/catalog.toml:3:1: warning: catalog feature x has no scenario");
    }
}
