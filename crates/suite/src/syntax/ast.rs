//! The Gherkin document as Cucumber Messages define it (`gherkinDocument`):
//! these types serialize to exactly the JSON upstream's parsers write, ids
//! included, and read it back.

use serde::{Deserialize, Serialize};

/// A 1-based line and, where there is one, a 1-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub line: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Location {
    pub(crate) fn at(line: usize, column: usize) -> Location {
        Location { line, column: Some(column) }
    }

    /// The column, or 1 where there is none (the end of the file).
    pub fn col(&self) -> usize {
        self.column.unwrap_or(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GherkinDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<Feature>,
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub location: Location,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    pub location: Location,
    pub tags: Vec<Tag>,
    pub language: String,
    pub keyword: String,
    pub name: String,
    pub description: String,
    pub children: Vec<FeatureChild>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FeatureChild {
    Rule(Rule),
    Background(Background),
    Scenario(Scenario),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub location: Location,
    pub tags: Vec<Tag>,
    pub keyword: String,
    pub name: String,
    pub description: String,
    pub children: Vec<RuleChild>,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleChild {
    Background(Background),
    Scenario(Scenario),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Background {
    pub location: Location,
    pub keyword: String,
    pub name: String,
    pub description: String,
    pub steps: Vec<Step>,
    pub id: String,
}

/// A Scenario or a Scenario Outline (one with `examples`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub location: Location,
    pub tags: Vec<Tag>,
    pub keyword: String,
    pub name: String,
    pub description: String,
    pub steps: Vec<Step>,
    pub examples: Vec<Examples>,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Examples {
    pub location: Location,
    pub tags: Vec<Tag>,
    pub keyword: String,
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_header: Option<TableRow>,
    pub table_body: Vec<TableRow>,
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepKeywordType {
    Unknown,
    Context,
    Action,
    Outcome,
    Conjunction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub location: Location,
    /// The keyword as written, with its trailing space (`Given `).
    pub keyword: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword_type: Option<StepKeywordType>,
    pub text: String,
    /// Boxed, as the data table: few steps have either, and a step without
    /// them stays small (a suite of 20,000 scenarios holds 80,000 steps
    /// while it is parsed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_string: Option<Box<DocString>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_table: Option<Box<DataTable>>,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocString {
    pub location: Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub content: String,
    pub delimiter: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataTable {
    pub location: Location,
    pub rows: Vec<TableRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRow {
    pub location: Location,
    pub cells: Vec<TableCell>,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCell {
    pub location: Location,
    /// Unescaped: `\|` is `|`, `\\` is `\`, `\n` a newline.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub location: Location,
    /// With its `@`.
    pub name: String,
    pub id: String,
}
