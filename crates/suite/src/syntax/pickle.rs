//! Pickles: the executable scenarios of a document, as Cucumber Messages
//! define them (`pickle`). One per Scenario, one per example row of an
//! outline (with `<name>` placeholders replaced), Background steps first,
//! tags inherited from Feature and Rule. Ids continue the document's.

use serde::{Deserialize, Serialize};

use super::ast::{
    Background, DataTable, DocString, FeatureChild, GherkinDocument, Location, RuleChild, Scenario, Step,
    StepKeywordType, TableCell, TableRow, Tag,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pickle {
    pub id: String,
    pub uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub name: String,
    pub language: String,
    pub steps: Vec<PickleStep>,
    pub tags: Vec<PickleTag>,
    pub ast_node_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PickleStep {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argument: Option<PickleStepArgument>,
    pub ast_node_ids: Vec<String>,
    pub id: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PickleStepType>,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PickleStepType {
    Unknown,
    Context,
    Action,
    Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PickleStepArgument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_string: Option<PickleDocString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_table: Option<PickleTable>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PickleDocString {
    /// 1 or 2 when the step has a data table too: which comes first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argument_index: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PickleTable {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argument_index: Option<u8>,
    pub rows: Vec<PickleTableRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickleTableRow {
    pub cells: Vec<PickleTableCell>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickleTableCell {
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PickleTag {
    pub name: String,
    pub ast_node_id: String,
}

/// The pickles of `document`, read from `uri`; ids continue from
/// `next_id` (the number of ids the document used: [`super::Work::ids`]),
/// which is advanced.
pub fn pickles(document: &GherkinDocument, uri: &str, next_id: &mut usize) -> Vec<Pickle> {
    let mut out = Vec::new();
    let Some(feature) = &document.feature else { return out };
    let mut compiler = Compiler { uri, language: &feature.language, next_id, out: &mut out };
    let mut background: Vec<&Step> = Vec::new();
    for child in &feature.children {
        match child {
            FeatureChild::Background(b) => background = b.steps.iter().collect(),
            FeatureChild::Scenario(s) => compiler.scenario(&feature.tags, &background, s),
            FeatureChild::Rule(rule) => {
                let tags: Vec<Tag> = feature.tags.iter().chain(&rule.tags).cloned().collect();
                let mut rule_background = background.clone();
                for child in &rule.children {
                    match child {
                        RuleChild::Background(Background { steps, .. }) => rule_background.extend(steps),
                        RuleChild::Scenario(s) => compiler.scenario(&tags, &rule_background, s),
                    }
                }
            }
        }
    }
    out
}

/// The pickles of one scenario (one per example row of an outline), read
/// from `uri` in `language`, with the tags it inherits (its feature's and
/// rule's) and the background steps that run before its own; ids continue
/// from `next_id`, which is advanced. [`pickles`] is this for every
/// scenario of a document.
pub fn scenario_pickles(
    uri: &str,
    language: &str,
    inherited: &[Tag],
    background: &[&Step],
    scenario: &Scenario,
    next_id: &mut usize,
) -> Vec<Pickle> {
    let mut out = Vec::new();
    Compiler { uri, language, next_id, out: &mut out }.scenario(inherited, background, scenario);
    out
}

struct Compiler<'a> {
    uri: &'a str,
    language: &'a str,
    next_id: &'a mut usize,
    out: &'a mut Vec<Pickle>,
}

impl Compiler<'_> {
    fn id(&mut self) -> String {
        let id = self.next_id.to_string();
        *self.next_id += 1;
        id
    }

    fn scenario(&mut self, inherited: &[Tag], background: &[&Step], scenario: &Scenario) {
        if scenario.examples.is_empty() {
            let mut last = StepKeywordType::Unknown;
            let mut steps = Vec::new();
            let with_background = if scenario.steps.is_empty() { &[][..] } else { background };
            for step in with_background.iter().copied().chain(&scenario.steps) {
                steps.push(self.step(step, &mut last, None));
            }
            let tags = inherited.iter().chain(&scenario.tags).map(pickle_tag).collect();
            let id = self.id();
            self.out.push(Pickle {
                id,
                uri: self.uri.to_owned(),
                location: Some(scenario.location),
                name: scenario.name.clone(),
                language: self.language.to_owned(),
                steps,
                tags,
                ast_node_ids: vec![scenario.id.clone()],
            });
            return;
        }
        for examples in &scenario.examples {
            let Some(header) = &examples.table_header else { continue };
            for row in &examples.table_body {
                let mut last = StepKeywordType::Unknown;
                let mut steps = Vec::new();
                if !scenario.steps.is_empty() {
                    for step in background {
                        steps.push(self.step(step, &mut last, None));
                    }
                }
                for step in &scenario.steps {
                    steps.push(self.step(step, &mut last, Some((&header.cells, row))));
                }
                let id = self.id();
                let tags = inherited.iter().chain(&scenario.tags).chain(&examples.tags).map(pickle_tag).collect();
                self.out.push(Pickle {
                    id,
                    uri: self.uri.to_owned(),
                    location: Some(row.location),
                    name: interpolate(&scenario.name, &header.cells, &row.cells),
                    language: self.language.to_owned(),
                    steps,
                    tags,
                    ast_node_ids: vec![scenario.id.clone(), row.id.clone()],
                });
            }
        }
    }

    fn step(&mut self, step: &Step, last: &mut StepKeywordType, row: Option<(&[TableCell], &TableRow)>) -> PickleStep {
        let ty = step.keyword_type.unwrap_or(StepKeywordType::Unknown);
        if ty != StepKeywordType::Conjunction {
            *last = ty;
        }
        let (names, values): (&[TableCell], &[TableCell]) = match row {
            Some((names, row)) => (names, &row.cells),
            None => (&[], &[]),
        };
        let mut ast_node_ids = vec![step.id.clone()];
        if let Some((_, row)) = row {
            ast_node_ids.push(row.id.clone());
        }
        PickleStep {
            id: self.id(),
            text: interpolate(&step.text, names, values),
            kind: pickle_type(*last),
            argument: argument(step, names, values),
            ast_node_ids,
        }
    }
}

fn pickle_type(ty: StepKeywordType) -> Option<PickleStepType> {
    match ty {
        StepKeywordType::Unknown => Some(PickleStepType::Unknown),
        StepKeywordType::Context => Some(PickleStepType::Context),
        StepKeywordType::Action => Some(PickleStepType::Action),
        StepKeywordType::Outcome => Some(PickleStepType::Outcome),
        StepKeywordType::Conjunction => None,
    }
}

fn pickle_tag(tag: &Tag) -> PickleTag {
    PickleTag { name: tag.name.clone(), ast_node_id: tag.id.clone() }
}

fn argument(step: &Step, names: &[TableCell], values: &[TableCell]) -> Option<PickleStepArgument> {
    let doc = |d: &DocString, index| PickleDocString {
        argument_index: index,
        media_type: d.media_type.as_ref().map(|m| interpolate(m, names, values)),
        content: interpolate(&d.content, names, values),
    };
    let table = |t: &DataTable, index| PickleTable {
        argument_index: index,
        rows: t
            .rows
            .iter()
            .map(|r| PickleTableRow {
                cells: r
                    .cells
                    .iter()
                    .map(|c| PickleTableCell { value: interpolate(&c.value, names, values) })
                    .collect(),
            })
            .collect(),
    };
    match (&step.doc_string, &step.data_table) {
        (Some(d), Some(t)) => {
            let table_first = d.location.line > t.location.line;
            Some(PickleStepArgument {
                doc_string: Some(doc(d, Some(if table_first { 2 } else { 1 }))),
                data_table: Some(table(t, Some(if table_first { 1 } else { 2 }))),
            })
        }
        (Some(d), None) => Some(PickleStepArgument { doc_string: Some(doc(d, None)), data_table: None }),
        (None, Some(t)) => Some(PickleStepArgument { doc_string: None, data_table: Some(table(t, None)) }),
        (None, None) => None,
    }
}

/// Replaces each `<name>` of the header with the row's value, one column
/// after the other (as upstream does: a value that spells a later
/// column's placeholder is replaced in turn).
pub fn interpolate(text: &str, names: &[TableCell], values: &[TableCell]) -> String {
    let mut out = text.to_owned();
    for (name, value) in names.iter().zip(values) {
        let placeholder = format!("<{}>", name.value);
        if out.contains(&placeholder) {
            out = out.replace(&placeholder, &value.value);
        }
    }
    out
}
