//! From the `gherkinDocument` to the `gherkin` 0.16 types the runner, the
//! steps and the writers use, with outlines expanded: one concrete
//! scenario per example row, at the row's position, whose `examples` hold
//! the header and that one row. The 0.16 conventions are kept: tags without
//! `@`, a step's keyword with its trailing space and its type carried over
//! `And`/`But`/`*` from the step before, descriptions as their non-blank
//! lines trimmed, doc strings as their content.

use super::{
    ast::{self, FeatureChild, RuleChild, StepKeywordType, TableCell},
    pickle::interpolate,
};

/// A placeholder of an outline that no Examples column defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPlaceholder {
    pub name: String,
    pub line: usize,
    pub col: usize,
}

/// Line starts of a text, to turn positions into byte spans.
struct Offsets(Vec<usize>);

impl Offsets {
    fn new(text: &str) -> Offsets {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Offsets(starts)
    }

    fn span(&self, line: usize) -> gherkin::Span {
        let start = self.0.get(line.saturating_sub(1)).copied().unwrap_or(0);
        let end = self.0.get(line).map_or(start, |e| e.saturating_sub(1));
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

fn table(rows: &[ast::TableRow], at: ast::Location, offsets: &Offsets) -> gherkin::Table {
    gherkin::Table {
        rows: rows.iter().map(|r| r.cells.iter().map(|c| c.value.clone()).collect()).collect(),
        span: offsets.span(at.line),
        position: position(at),
    }
}

/// The document's feature as `gherkin::Feature`, outlines expanded. The
/// feature's children are moved out of `doc` as they are converted.
pub fn to_feature(doc: &mut ast::GherkinDocument, text: &str) -> Result<Option<gherkin::Feature>, UnknownPlaceholder> {
    convert(doc, text, Outlines::Expanded)
}

/// The document's feature as written: an outline stays one scenario whose `examples` hold
/// every Examples table (header and rows), as reports that show the document need it. The
/// feature's children are moved out of `doc` as they are converted.
pub fn to_written_feature(doc: &mut ast::GherkinDocument, text: &str) -> Option<gherkin::Feature> {
    convert(doc, text, Outlines::AsWritten).ok().flatten()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outlines {
    Expanded,
    AsWritten,
}

fn convert(
    doc: &mut ast::GherkinDocument,
    text: &str,
    outlines: Outlines,
) -> Result<Option<gherkin::Feature>, UnknownPlaceholder> {
    let Some(feature) = &mut doc.feature else { return Ok(None) };
    let offsets = Offsets::new(text);
    let mut out = gherkin::Feature {
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
    };
    // One scenario per child (outlines add their rows as they come), so a
    // large file's scenarios take the room they need, not twice as much.
    out.scenarios.reserve_exact(feature.children.iter().filter(|c| matches!(c, FeatureChild::Scenario(_))).count());
    // Each child is moved out of the document and dropped once converted:
    // a large file is never held twice, as its document and as its feature.
    for mut child in std::mem::take(&mut feature.children) {
        match &mut child {
            FeatureChild::Background(b) => out.background = Some(background(b, &offsets)),
            FeatureChild::Scenario(s) => out.scenarios.extend(scenarios(s, &offsets, outlines)?),
            FeatureChild::Rule(r) => {
                let mut rule = gherkin::Rule {
                    keyword: r.keyword.clone(),
                    name: r.name.clone(),
                    description: description(&r.description),
                    background: None,
                    scenarios: Vec::new(),
                    tags: tags(&r.tags),
                    span: offsets.span(r.location.line),
                    position: position(r.location),
                };
                for mut child in std::mem::take(&mut r.children) {
                    match &mut child {
                        RuleChild::Background(b) => rule.background = Some(background(b, &offsets)),
                        RuleChild::Scenario(s) => rule.scenarios.extend(scenarios(s, &offsets, outlines)?),
                    }
                }
                out.rules.push(rule);
            }
        }
    }
    Ok(Some(out))
}

fn background(b: &mut ast::Background, offsets: &Offsets) -> gherkin::Background {
    gherkin::Background {
        keyword: b.keyword.clone(),
        name: b.name.clone(),
        description: description(&b.description),
        steps: steps(&mut b.steps, offsets),
        span: offsets.span(b.location.line),
        position: position(b.location),
    }
}

/// The steps, their texts moved out of the document (each is read once, and a large
/// file has a few strings per step).
fn steps(list: &mut [ast::Step], offsets: &Offsets) -> Vec<gherkin::Step> {
    let mut last = gherkin::StepType::Given;
    list.iter_mut()
        .map(|s| {
            last = match s.keyword_type {
                Some(StepKeywordType::Context) => gherkin::StepType::Given,
                Some(StepKeywordType::Action) => gherkin::StepType::When,
                Some(StepKeywordType::Outcome) => gherkin::StepType::Then,
                _ => last,
            };
            gherkin::Step {
                keyword: std::mem::take(&mut s.keyword),
                ty: last,
                value: std::mem::take(&mut s.text),
                docstring: s.doc_string.as_ref().map(|d| d.content.clone()),
                table: s.data_table.as_ref().map(|t| table(&t.rows, t.location, offsets)),
                span: offsets.span(s.location.line),
                position: position(s.location),
            }
        })
        .collect()
}

/// A scenario, or an outline's concrete scenarios (none when it has no rows), or the outline
/// as written.
fn scenarios(
    s: &mut ast::Scenario,
    offsets: &Offsets,
    outlines: Outlines,
) -> Result<Vec<gherkin::Scenario>, UnknownPlaceholder> {
    let base = gherkin::Scenario {
        keyword: s.keyword.clone(),
        name: s.name.clone(),
        description: description(&s.description),
        steps: steps(&mut s.steps, offsets),
        examples: Vec::new(),
        tags: tags(&s.tags),
        span: offsets.span(s.location.line),
        position: position(s.location),
    };
    if s.examples.is_empty() {
        return Ok(vec![base]);
    }
    if outlines == Outlines::AsWritten {
        let mut written = base;
        written.examples = s
            .examples
            .iter()
            .map(|ex| {
                let rows: Vec<ast::TableRow> = ex.table_header.iter().chain(&ex.table_body).cloned().collect();
                gherkin::Examples {
                    keyword: ex.keyword.clone(),
                    name: (!ex.name.is_empty()).then(|| ex.name.clone()),
                    description: description(&ex.description),
                    table: ex.table_header.as_ref().map(|h| table(&rows, h.location, offsets)),
                    tags: tags(&ex.tags),
                    span: offsets.span(ex.location.line),
                    position: position(ex.location),
                }
            })
            .collect();
        return Ok(vec![written]);
    }
    let mut out = Vec::new();
    for ex in &s.examples {
        let Some(header) = &ex.table_header else { continue };
        for row in &ex.table_body {
            let mut concrete = base.clone();
            concrete.position = position(row.location);
            concrete.span = offsets.span(row.location.line);
            concrete.tags.extend(tags(&ex.tags));
            concrete.name = expand(&s.name, &header.cells, &row.cells, s.location)?;
            for (step, written) in concrete.steps.iter_mut().zip(&s.steps) {
                step.value = expand(&step.value, &header.cells, &row.cells, written.location)?;
                if let Some(doc) = &mut step.docstring {
                    *doc = expand(doc, &header.cells, &row.cells, written.location)?;
                }
                if let Some(t) = &mut step.table {
                    for cell in t.rows.iter_mut().flatten() {
                        *cell = expand(cell, &header.cells, &row.cells, written.location)?;
                    }
                }
            }
            let rows = [header.clone(), row.clone()];
            let at = header.location;
            concrete.examples = vec![gherkin::Examples {
                keyword: ex.keyword.clone(),
                name: (!ex.name.is_empty()).then(|| ex.name.clone()),
                description: description(&ex.description),
                table: Some(table(&rows, at, offsets)),
                tags: tags(&ex.tags),
                span: offsets.span(ex.location.line),
                position: position(ex.location),
            }];
            out.push(concrete);
        }
    }
    Ok(out)
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
