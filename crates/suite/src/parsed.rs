//! A parsed feature file, held as its text and where each of its children
//! starts. Loading parses the whole file once (checking it, as upstream
//! Gherkin would, and every outline's placeholders) and keeps the feature's
//! own parts, its rules' and its backgrounds; each scenario is read again
//! from the text when it is asked for ([`crate::syntax::parse_child`] reads
//! only its lines). So a file of 20,000 scenarios is held as its text plus
//! a few dozen bytes per scenario, never as a tree, whoever reads it: the
//! plan, the scheduler when a scenario starts, the writers, the linter.

use crate::{
    load::{ParseIssue, SourceFile},
    syntax::{
        self, ChildStart, Piece,
        ast::{self, GherkinDocument},
        convert::{self, Offsets},
    },
};

/// A feature file that parsed, and the scenarios it holds.
#[derive(Debug, Clone)]
pub struct ParsedFeature {
    pub file: SourceFile,
    /// The feature as the `gherkin` types without its scenarios: its name,
    /// tags, description and background, and its rules with theirs (their
    /// `scenarios` are empty too). Scenarios are read from the text when
    /// asked for: [`ParsedFeature::scenarios`], [`ParsedFeature::scenario`].
    pub header: gherkin::Feature,
    /// The document without children: its feature's own nodes and its comments.
    document: GherkinDocument,
    /// Each rule's own nodes (`children` empty), in order.
    rules: Vec<ast::Rule>,
    /// Every child of the feature and of its rules, in the order of the file.
    children: Vec<ChildAt>,
    /// The file's language (every child's start is in it).
    language: &'static str,
    /// Every concrete scenario (an outline's rows one by one), in order.
    scenarios: Vec<ScenarioAt>,
    /// How many ids the document's nodes take.
    ids: usize,
}

/// Where a child starts ([`ChildStart`] without the file's language), in
/// 24 bytes: a file holds one per scenario or outline.
#[derive(Debug, Clone, Copy)]
struct ChildAt {
    offset: u64,
    index: u32,
    first_id: u32,
    /// The rule it belongs to (an index into `rules`), or `NO_RULE`.
    rule: u32,
    state: u8,
}

const NO_RULE: u32 = u32::MAX;

impl ChildAt {
    /// `None` when a number does not fit (a file of more than 4 GiB, or of
    /// more than 2^32 lines or ids), which the file is then refused for.
    fn new(start: &ChildStart, rule: Option<u32>) -> Option<ChildAt> {
        Some(ChildAt {
            offset: u64::try_from(start.offset).ok()?,
            index: u32::try_from(start.index).ok()?,
            first_id: u32::try_from(start.first_id).ok()?,
            rule: rule.unwrap_or(NO_RULE),
            state: start.state(),
        })
    }

    fn rule(&self) -> Option<u32> {
        (self.rule != NO_RULE).then_some(self.rule)
    }

    fn start(&self, language: &'static str) -> ChildStart {
        ChildStart::from_parts(
            usize::try_from(self.offset).unwrap_or(usize::MAX),
            self.index as usize,
            self.first_id as usize,
            self.rule != NO_RULE,
            self.state,
            language,
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct ScenarioAt {
    /// Index into `children`.
    child: u32,
    /// The outline's row (0-based, across its Examples), or `NOT_A_ROW`.
    row: u32,
}

const NOT_A_ROW: u32 = u32::MAX;

/// A concrete scenario of a file: a scenario as written, or one row of an outline.
#[derive(Debug, Clone)]
pub struct Concrete<'a> {
    pub rule: Option<&'a gherkin::Rule>,
    pub scenario: gherkin::Scenario,
}

/// The outline read last by [`ParsedFeature::scenario`], so that the rows
/// of one outline, asked for one after the other, do not each read it again.
#[derive(Debug, Default)]
pub struct LastOutline {
    outline: Option<(u32, ast::Scenario, Vec<usize>)>,
    /// Line starts found to place rows (a measure of the cost, for tests).
    lines_found: usize,
}

/// A child of the feature or of a rule, parsed again: a background, or a
/// scenario (an outline with its Examples).
#[derive(Debug, Clone)]
pub enum DocumentChild {
    Background(ast::Background),
    Scenario(ast::Scenario),
}

impl ParsedFeature {
    /// Parses `file` ([`crate::syntax`]): `None` for a document with no
    /// Feature (nothing but comments and blank lines, which is valid
    /// Gherkin). The first error upstream Gherkin would report is the
    /// issue, with its message and position; after that, the first
    /// placeholder of an outline that no Examples column defines.
    pub fn parse(file: SourceFile) -> Result<Option<ParsedFeature>, ParseIssue> {
        let text = file.text.clone();
        let offsets = Offsets::new(&text, 0, 0);
        let mut children: Vec<ChildAt> = Vec::new();
        let mut scenarios: Vec<ScenarioAt> = Vec::new();
        let mut rules: Vec<ast::Rule> = Vec::new();
        let mut rule_headers: Vec<gherkin::Rule> = Vec::new();
        let (mut background, mut rule_background) = (None, None);
        let mut placeholder = None;
        let mut too_large = None;
        let mut language = "en";
        let (document, work) = syntax::parse_pieces(&text, &mut |piece| {
            let rule_index = u32::try_from(rules.len()).unwrap_or(NO_RULE);
            let at = |start: &ChildStart, children: &mut Vec<ChildAt>, language: &mut &'static str| {
                *language = start.language();
                let child = ChildAt::new(start, start.in_rule.then_some(rule_index));
                children.extend(child);
                child.is_none().then_some(start.index + 1)
            };
            match piece {
                Piece::Background(b, start) => {
                    let converted = Some(convert::background(&b, &offsets));
                    if start.in_rule {
                        rule_background = converted
                    } else {
                        background = converted
                    }
                    if let Some(line) = at(&start, &mut children, &mut language) {
                        too_large.get_or_insert(line);
                    }
                }
                Piece::Scenario(s, start) => {
                    let child = children.len() as u32;
                    if let Some(line) = at(&start, &mut children, &mut language) {
                        too_large.get_or_insert(line);
                        return;
                    }
                    if s.examples.is_empty() {
                        scenarios.push(ScenarioAt { child, row: NOT_A_ROW });
                        return;
                    }
                    if let Err(e) = convert::check_outline(&s, &offsets) {
                        placeholder.get_or_insert(e);
                    }
                    let rows = convert::outline_rows(&s) as u32;
                    scenarios.extend((0..rows).map(|row| ScenarioAt { child, row }));
                }
                Piece::Rule(r) => {
                    let mut header = convert::rule_header(&r, &offsets);
                    header.background = rule_background.take();
                    rule_headers.push(header);
                    rules.push(r);
                }
            }
        });
        let document = document
            .map_err(|e| ParseIssue::new(&file.path, &file.text, e.location.line, e.location.col(), e.message))?;
        if let Some(line) = too_large {
            let message = "the file is too large: certify reads feature files of up to 4 GiB and 2^32 lines".to_owned();
            return Err(ParseIssue::new(&file.path, &file.text, line, 1, message));
        }
        if let Some(e) = placeholder {
            return Err(ParseIssue::new(&file.path, &file.text, e.line, e.col, e.to_string()));
        }
        let Some(feature) = &document.feature else { return Ok(None) };
        let mut header = convert::feature_header(feature, &offsets);
        header.background = background;
        header.rules = rule_headers;
        header.path = Some(file.path.clone());
        children.shrink_to_fit();
        scenarios.shrink_to_fit();
        Ok(Some(ParsedFeature { file, header, document, rules, children, language, scenarios, ids: work.ids }))
    }

    /// How many concrete scenarios the file has (outline rows one by one).
    pub fn scenario_count(&self) -> usize {
        self.scenarios.len()
    }

    /// Whether the file has an outline with rows.
    pub fn has_outlines(&self) -> bool {
        self.scenarios.iter().any(|s| s.row != NOT_A_ROW)
    }

    /// Every concrete scenario, in order, each child read from the text once.
    pub fn scenarios(&self) -> impl Iterator<Item = Result<Concrete<'_>, ParseIssue>> + '_ {
        let mut last = LastOutline::default();
        (0..self.scenarios.len()).map(move |i| self.scenario(i, &mut last))
    }

    /// Concrete scenario `index`, read from the text.
    pub fn scenario(&self, index: usize, last: &mut LastOutline) -> Result<Concrete<'_>, ParseIssue> {
        let at = *self.scenarios.get(index).ok_or_else(|| self.issue(1, format!("no scenario {index}")))?;
        let child = self.children.get(at.child as usize).ok_or_else(|| self.issue(1, "no such child".to_owned()))?;
        let start = child.start(self.language);
        let offsets = Offsets::new(&self.file.text, start.offset, start.index);
        let rule = child.rule().and_then(|r| self.header.rules.get(r as usize));
        if at.row == NOT_A_ROW {
            let DocumentChild::Scenario(s) = self.child(child, 0)? else {
                return Err(self.issue(start.index + 1, "not a scenario".to_owned()));
            };
            return Ok(Concrete { rule, scenario: convert::scenario(&s, &offsets) });
        }
        if last.outline.as_ref().is_none_or(|(c, _, _)| *c != at.child) {
            let DocumentChild::Scenario(s) = self.child(child, 0)? else {
                return Err(self.issue(start.index + 1, "not an outline".to_owned()));
            };
            last.lines_found += offsets.found();
            last.outline = Some((at.child, s, offsets.into_starts()));
        }
        let Some((_, outline, starts)) = &mut last.outline else {
            return Err(self.issue(1, "no outline".to_owned()));
        };
        // The line starts found for earlier rows are kept: a row's is found
        // from the last one found, not from the outline's first line.
        let offsets = Offsets::resume(&self.file.text, start.index, std::mem::take(starts));
        let row = convert::outline_row(outline, at.row as usize, &offsets);
        last.lines_found += offsets.found();
        *starts = offsets.into_starts();
        let line = outline.location.line;
        match row {
            Ok(Some(scenario)) => Ok(Concrete { rule, scenario }),
            Ok(None) => Err(self.issue(line, format!("the outline has no row {}", at.row + 1))),
            Err(e) => Err(self.issue(e.line, e.to_string())),
        }
    }

    /// The document's children read again one by one, in the order of the
    /// file, each with the index of its rule (into [`ParsedFeature::rules`]);
    /// their ids count from `id_base`.
    pub fn document_children(
        &self,
        id_base: usize,
    ) -> impl Iterator<Item = Result<(Option<usize>, DocumentChild), ParseIssue>> + '_ {
        self.children.iter().map(move |child| Ok((child.rule().map(|r| r as usize), self.child(child, id_base)?)))
    }

    /// The document as parsed, without its children (its feature's own
    /// nodes and its comments; ids count from 0).
    pub fn document(&self) -> &GherkinDocument {
        &self.document
    }

    /// Each rule's own nodes, its `children` empty (ids count from 0).
    pub fn rules(&self) -> &[ast::Rule] {
        &self.rules
    }

    /// How many ids the document's nodes take (its pickles' continue from there).
    pub fn ids(&self) -> usize {
        self.ids
    }

    fn child(&self, child: &ChildAt, id_base: usize) -> Result<DocumentChild, ParseIssue> {
        let start = child.start(self.language);
        match syntax::parse_child(&self.file.text, &start, id_base) {
            Ok(Piece::Background(b, _)) => Ok(DocumentChild::Background(b)),
            Ok(Piece::Scenario(s, _)) => Ok(DocumentChild::Scenario(s)),
            Ok(Piece::Rule(_)) => Err(self.issue(start.index + 1, "a rule where a child was".to_owned())),
            Err(e) => Err(self.issue(e.location.line, e.message)),
        }
    }

    /// An issue of a file that loaded but does not read again (its text
    /// is held unchanged, so this is certify's fault, not the file's).
    fn issue(&self, line: usize, message: String) -> ParseIssue {
        let message = format!("internal: the file parsed, but does not parse again: {message}");
        ParseIssue::new(&self.file.path, &self.file.text, line, 1, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of an outline, read one after the other, are placed from the
    /// line starts found for the rows before: the cost is linear in the
    /// outline's size, not quadratic.
    #[test]
    fn the_rows_of_a_large_outline_are_read_in_linear_time() {
        let mut text =
            String::from("Feature: f\n  Scenario Outline: row <n>\n    Given item <n>\n    Examples:\n      | n |\n");
        for i in 0..2_000 {
            text.push_str(&format!("      | {i} |\n"));
        }
        let file = SourceFile { path: "big.feature".into(), abs_path: None, text: text.clone().into() };
        let parsed = ParsedFeature::parse(file).unwrap().unwrap();
        let mut last = LastOutline::default();
        for i in 0..parsed.scenario_count() {
            let row = parsed.scenario(i, &mut last).unwrap();
            assert_eq!(row.scenario.steps[0].value, format!("item {i}"));
            assert_eq!(row.scenario.position.line, 6 + i);
        }
        let lines = text.lines().count();
        assert!(last.lines_found <= lines, "{} line starts found for a file of {lines} lines", last.lines_found);
    }
}
