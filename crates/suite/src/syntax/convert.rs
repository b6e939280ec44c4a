//! From the `gherkinDocument` to the `gherkin` 0.16 types the runner, the
//! steps and the writers use, with outlines expanded: one concrete
//! scenario per example row, at the row's position, whose `examples` hold
//! the header and that one row. The 0.16 conventions are kept: tags without
//! `@`, a step's keyword with its trailing space and its type carried over
//! `And`/`But`/`*` from the step before, descriptions as their non-blank
//! lines trimmed, doc strings as their content.

use super::{
    ast::{self, StepKeywordType, TableCell},
    pickle::interpolate,
};

/// A placeholder of an outline that no Examples column defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPlaceholder {
    pub name: String,
    pub line: usize,
    pub col: usize,
}

impl std::fmt::Display for UnknownPlaceholder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the outline uses <{}>, which no Examples column defines", self.name)
    }
}

/// Line starts of a text from a line on, found as they are asked for, to
/// turn positions into byte spans: a child read again alone scans only its
/// own lines.
pub(crate) struct Offsets<'t> {
    text: &'t str,
    /// The 0-based index of the line `starts[0]` is the start of.
    first: usize,
    starts: std::cell::RefCell<Vec<usize>>,
    /// Line starts found by this value (a measure of its cost).
    found: std::cell::Cell<usize>,
}

impl<'t> Offsets<'t> {
    /// The offsets of `text`'s lines from line `first` (0-based), which starts at byte `offset`.
    pub(crate) fn new(text: &'t str, offset: usize, first: usize) -> Offsets<'t> {
        Offsets::resume(text, first, vec![offset])
    }

    /// Offsets found before ([`Offsets::into_starts`] of the same text and
    /// first line), so that the rows of an outline asked for one by one are
    /// not each found from the outline's first line again.
    pub(crate) fn resume(text: &'t str, first: usize, starts: Vec<usize>) -> Offsets<'t> {
        Offsets { text, first, starts: std::cell::RefCell::new(starts), found: std::cell::Cell::new(0) }
    }

    pub(crate) fn into_starts(self) -> Vec<usize> {
        self.starts.into_inner()
    }

    /// How many line starts this value had to find.
    pub(crate) fn found(&self) -> usize {
        self.found.get()
    }

    fn start(&self, index: usize) -> Option<usize> {
        let at = index.checked_sub(self.first)?;
        let mut starts = self.starts.borrow_mut();
        while starts.len() <= at {
            let last = *starts.last()?;
            let next = last + self.text.get(last..)?.find('\n')? + 1;
            starts.push(next);
            self.found.set(self.found.get() + 1);
        }
        starts.get(at).copied()
    }

    fn span(&self, line: usize) -> gherkin::Span {
        let index = line.saturating_sub(1);
        let start = self.start(index).unwrap_or(0);
        let end = self.start(index + 1).map_or(start, |e| e.saturating_sub(1));
        gherkin::Span { start, end }
    }
}

fn position(location: ast::Location) -> gherkin::LineCol {
    gherkin::LineCol { line: location.line, col: location.col() }
}

fn description(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn tags(tags: &[ast::Tag]) -> Vec<String> {
    tags.iter().map(|t| t.name.strip_prefix('@').unwrap_or(&t.name).to_owned()).collect()
}

fn table(rows: &[ast::TableRow], at: ast::Location, offsets: &Offsets<'_>) -> gherkin::Table {
    gherkin::Table {
        rows: rows.iter().map(|r| r.cells.iter().map(|c| c.value.clone()).collect()).collect(),
        span: offsets.span(at.line),
        position: position(at),
    }
}

/// The feature's own parts (its children are read one by one elsewhere).
pub(crate) fn feature_header(feature: &ast::Feature, offsets: &Offsets<'_>) -> gherkin::Feature {
    gherkin::Feature {
        keyword: feature.keyword.clone(),
        name: feature.name.clone(),
        description: description(&feature.description),
        background: None,
        scenarios: Vec::new(),
        rules: Vec::new(),
        tags: tags(&feature.tags),
        span: offsets.span(feature.location.line),
        position: position(feature.location),
        path: None,
    }
}

/// A rule's own parts, without its background and scenarios.
pub(crate) fn rule_header(r: &ast::Rule, offsets: &Offsets<'_>) -> gherkin::Rule {
    gherkin::Rule {
        keyword: r.keyword.clone(),
        name: r.name.clone(),
        description: description(&r.description),
        background: None,
        scenarios: Vec::new(),
        tags: tags(&r.tags),
        span: offsets.span(r.location.line),
        position: position(r.location),
    }
}

pub(crate) fn background(b: &ast::Background, offsets: &Offsets<'_>) -> gherkin::Background {
    gherkin::Background {
        keyword: b.keyword.clone(),
        name: b.name.clone(),
        description: description(&b.description),
        steps: steps(&b.steps, offsets),
        span: offsets.span(b.location.line),
        position: position(b.location),
    }
}

fn steps(list: &[ast::Step], offsets: &Offsets<'_>) -> Vec<gherkin::Step> {
    let mut last = gherkin::StepType::Given;
    list.iter()
        .map(|s| {
            last = match s.keyword_type {
                Some(StepKeywordType::Context) => gherkin::StepType::Given,
                Some(StepKeywordType::Action) => gherkin::StepType::When,
                Some(StepKeywordType::Outcome) => gherkin::StepType::Then,
                _ => last,
            };
            gherkin::Step {
                keyword: s.keyword.clone(),
                ty: last,
                value: s.text.clone(),
                docstring: s.doc_string.as_ref().map(|d| d.content.clone()),
                table: s.data_table.as_ref().map(|t| table(&t.rows, t.location, offsets)),
                span: offsets.span(s.location.line),
                position: position(s.location),
            }
        })
        .collect()
}

/// A scenario as written (an outline keeps no Examples: see [`outline_row`]).
pub(crate) fn scenario(s: &ast::Scenario, offsets: &Offsets<'_>) -> gherkin::Scenario {
    gherkin::Scenario {
        keyword: s.keyword.clone(),
        name: s.name.clone(),
        description: description(&s.description),
        steps: steps(&s.steps, offsets),
        examples: Vec::new(),
        tags: tags(&s.tags),
        span: offsets.span(s.location.line),
        position: position(s.location),
    }
}

/// How many concrete scenarios an outline makes (its Examples' rows; a table without a header makes none).
pub(crate) fn outline_rows(s: &ast::Scenario) -> usize {
    s.examples.iter().filter(|ex| ex.table_header.is_some()).map(|ex| ex.table_body.len()).sum()
}

/// The outline's concrete scenario number `row` (0-based, across its
/// Examples): at the row's position, its `examples` the header and that
/// one row, `<name>`s replaced by the row's values.
pub(crate) fn outline_row(
    s: &ast::Scenario,
    mut row: usize,
    offsets: &Offsets<'_>,
) -> Result<Option<gherkin::Scenario>, UnknownPlaceholder> {
    for ex in &s.examples {
        let Some(header) = &ex.table_header else { continue };
        let Some(values) = ex.table_body.get(row) else {
            row -= ex.table_body.len();
            continue;
        };
        let mut concrete = scenario(s, offsets);
        concrete.position = position(values.location);
        concrete.span = offsets.span(values.location.line);
        concrete.tags.extend(tags(&ex.tags));
        concrete.name = expand(&s.name, &header.cells, &values.cells, s.location)?;
        for (step, written) in concrete.steps.iter_mut().zip(&s.steps) {
            step.value = expand(&step.value, &header.cells, &values.cells, written.location)?;
            if let Some(doc) = &mut step.docstring {
                *doc = expand(doc, &header.cells, &values.cells, written.location)?;
            }
            if let Some(t) = &mut step.table {
                for cell in t.rows.iter_mut().flatten() {
                    *cell = expand(cell, &header.cells, &values.cells, written.location)?;
                }
            }
        }
        let rows = [header.clone(), values.clone()];
        concrete.examples = vec![gherkin::Examples {
            keyword: ex.keyword.clone(),
            name: (!ex.name.is_empty()).then(|| ex.name.clone()),
            description: description(&ex.description),
            table: Some(table(&rows, header.location, offsets)),
            tags: tags(&ex.tags),
            span: offsets.span(ex.location.line),
            position: position(ex.location),
        }];
        return Ok(Some(concrete));
    }
    Ok(None)
}

/// Checks that every placeholder the outline uses has a column in each of
/// its Examples tables (the first row of each is expanded: the check reads
/// what was written, not the values).
pub(crate) fn check_outline(s: &ast::Scenario, offsets: &Offsets<'_>) -> Result<(), UnknownPlaceholder> {
    let mut row = 0;
    for ex in &s.examples {
        if ex.table_header.is_none() {
            continue;
        }
        if !ex.table_body.is_empty() {
            outline_row(s, row, offsets)?;
        }
        row += ex.table_body.len();
    }
    Ok(())
}

/// `text` with the row's values in place of the header's `<name>`s; a
/// `<name>` left that is a placeholder (no `>` or whitespace at its ends)
/// and no column defines is an error.
fn expand(
    text: &str,
    names: &[TableCell],
    values: &[TableCell],
    at: ast::Location,
) -> Result<String, UnknownPlaceholder> {
    let expanded = interpolate(text, names, values);
    // Placeholders are looked for in what was written, so a value that
    // happens to contain `<x>` is not mistaken for one.
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let name = &after[..close];
        let placeholder = !name.is_empty()
            && !name.starts_with(char::is_whitespace)
            && !name.ends_with(char::is_whitespace)
            && !name.contains(['\n', '\r', '\t']);
        if placeholder && !names.iter().any(|n| n.value == name) {
            return Err(UnknownPlaceholder { name: name.to_owned(), line: at.line, col: at.col() });
        }
        rest = &after[close + 1..];
    }
    Ok(expanded)
}
