//! `certify lint`: everything that can be checked without sending a request.
//!
//! Parse errors, steps that match no pattern or several, step arguments that
//! cannot work (an invalid JSONPath, say), malformed certify tags, and
//! scenarios linked to no catalog feature. The step vocabulary is reached
//! through [`StepCheck`], so this module knows nothing of HTTP.

use std::{collections::BTreeSet, fmt, path::PathBuf};

use crate::{Suite, certify_tags};

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
        }
    }

    /// Warnings are reported but do not make lint fail.
    pub fn is_warning(self) -> bool {
        self == FindingKind::CoverageGap
    }
}

/// One lint finding, printed as `file:line:col: message`.
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
        write!(f, "{}:{}:{}: {}", self.path.display(), self.line, self.col, self.message)
    }
}

/// How lint asks the step vocabulary about one step.
pub trait StepCheck {
    /// Problems with one step (keyword-less text), each with its kind.
    fn check(&self, text: &str, doc_string: Option<&str>, has_table: bool) -> Vec<(FindingKind, String)>;
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
        let feature = &parsed.feature;
        let check_steps = |list: &[gherkin::Step], out: &mut BTreeSet<Finding>| {
            for step in list {
                for (kind, message) in steps.check(&step.value, step.docstring.as_deref(), step.table.is_some()) {
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
        let scenarios = feature
            .scenarios
            .iter()
            .map(|s| (None, s))
            .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s))));
        for (rule, scenario) in scenarios {
            check_steps(&scenario.steps, &mut out);
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
                    let (line, col) = tag_position(&parsed.file.text, below, &p.tag).unwrap_or((below, 1));
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

/// Where `tag` (with its `@`) is written: the nearest line at or above
/// `below` that holds it as a whole token. The parser keeps no tag positions.
fn tag_position(text: &str, below: usize, tag: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().take(below).collect();
    lines.iter().enumerate().rev().find_map(|(i, l)| {
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
        fn check(&self, text: &str, _: Option<&str>, _: bool) -> Vec<(FindingKind, String)> {
            if text == "a known step" {
                vec![]
            } else {
                vec![(FindingKind::UndefinedStep, format!("undefined step: {text}"))]
            }
        }
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
        let found: Vec<String> = lint(&suite, &KnowsGiven).iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), 4, "{found:#?}");
        assert_eq!(found[0], "a.feature:5:5: undefined step: unknown 1");
        assert!(found[1].starts_with("a.feature:11:3: @retry(x"), "{}", found[1]);
        assert!(found[2].starts_with("b.feature:4:3: expected a step"), "{}", found[2]);
        assert!(found[3].starts_with("c.feature:2:3: scenario \"s\" is linked to no"), "{}", found[3]);
    }
}
