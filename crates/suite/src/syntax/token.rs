//! The line scanner: each line of a feature file is one token, classified
//! by the token matcher of upstream Gherkin (FeatureLine, BackgroundLine,
//! ScenarioLine, ExamplesLine, RuleLine, StepLine, DocStringSeparator,
//! TableRow, TagLine, Language, Comment, Empty, Other, EOF) in the keywords
//! of the file's language (`# language:`, every language of upstream's
//! `gherkin-languages.json`).

use std::{collections::HashMap, sync::LazyLock};

use serde::Deserialize;

use super::{Error, ast::StepKeywordType};

/// The token types of the Gherkin grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
pub(crate) enum TokenType {
    EOF,
    Empty,
    Comment,
    TagLine,
    FeatureLine,
    RuleLine,
    BackgroundLine,
    ScenarioLine,
    ExamplesLine,
    StepLine,
    DocStringSeparator,
    TableRow,
    Language,
    Other,
}

impl TokenType {
    pub(crate) fn name(self) -> &'static str {
        match self {
            TokenType::EOF => "#EOF",
            TokenType::Empty => "#Empty",
            TokenType::Comment => "#Comment",
            TokenType::TagLine => "#TagLine",
            TokenType::FeatureLine => "#FeatureLine",
            TokenType::RuleLine => "#RuleLine",
            TokenType::BackgroundLine => "#BackgroundLine",
            TokenType::ScenarioLine => "#ScenarioLine",
            TokenType::ExamplesLine => "#ExamplesLine",
            TokenType::StepLine => "#StepLine",
            TokenType::DocStringSeparator => "#DocStringSeparator",
            TokenType::TableRow => "#TableRow",
            TokenType::Language => "#Language",
            TokenType::Other => "#Other",
        }
    }
}

/// One language's keywords, as `gherkin-languages.json` has them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Dialect {
    feature: Vec<String>,
    rule: Vec<String>,
    background: Vec<String>,
    scenario: Vec<String>,
    scenario_outline: Vec<String>,
    examples: Vec<String>,
    given: Vec<String>,
    when: Vec<String>,
    then: Vec<String>,
    and: Vec<String>,
    but: Vec<String>,
    /// Step keywords, longest first, each with its keyword type.
    #[serde(skip)]
    steps: Vec<(String, StepKeywordType)>,
}

static DIALECTS: LazyLock<HashMap<String, Dialect>> = LazyLock::new(|| {
    let mut all: HashMap<String, Dialect> =
        serde_json::from_str(include_str!("../../data/gherkin-languages.json")).unwrap_or_default();
    for dialect in all.values_mut() {
        let mut types: HashMap<&str, Vec<StepKeywordType>> = HashMap::new();
        let groups = [
            (&dialect.given, StepKeywordType::Context),
            (&dialect.when, StepKeywordType::Action),
            (&dialect.then, StepKeywordType::Outcome),
            (&dialect.and, StepKeywordType::Conjunction),
            (&dialect.but, StepKeywordType::Conjunction),
        ];
        let mut keywords: Vec<&String> = Vec::new();
        for (list, ty) in groups {
            for k in list {
                types.entry(k).or_default().push(ty);
                keywords.push(k);
            }
        }
        // Longest first, as upstream sorts them (stable: equal lengths keep their order).
        keywords.sort_by_key(|k| std::cmp::Reverse(k.encode_utf16().count()));
        let steps = keywords
            .into_iter()
            .map(|k| {
                let ty = match types.get(k.as_str()).map(Vec::as_slice) {
                    Some([one]) => *one,
                    _ => StepKeywordType::Unknown,
                };
                (k.clone(), ty)
            })
            .collect();
        dialect.steps = steps;
    }
    all
});

/// Whether `name` is a language of `gherkin-languages.json`.
pub fn is_language(name: &str) -> bool {
    DIALECTS.contains_key(name)
}

/// Whitespace as JavaScript's `\s` and `trim` see it (upstream's reference).
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// One line of the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    pub number: usize,
    pub text: &'a str,
    pub trimmed: &'a str,
    /// Leading whitespace, in characters.
    pub indent: usize,
}

impl<'a> Line<'a> {
    pub(crate) fn new(number: usize, text: &'a str) -> Line<'a> {
        let trimmed = text.trim_start_matches(is_space);
        let indent = text[..text.len() - trimmed.len()].chars().count();
        Line { number, text, trimmed, indent }
    }

    fn is_empty(&self) -> bool {
        self.trimmed.is_empty()
    }

    fn rest_trimmed(&self, bytes: usize) -> &'a str {
        self.trimmed.get(bytes..).unwrap_or("").trim_matches(is_space)
    }

    fn starts_with_title(&self, keyword: &str) -> bool {
        self.trimmed.strip_prefix(keyword).is_some_and(|r| r.starts_with(':'))
    }

    /// The text with `indent` characters removed, or all leading
    /// whitespace when it is indented less.
    fn text_without(&self, indent: usize) -> &'a str {
        if indent > self.indent {
            return self.trimmed;
        }
        match self.text.char_indices().nth(indent) {
            Some((at, _)) => &self.text[at..],
            None => "",
        }
    }

    /// The cells of a table row: text before the first `|` and after the
    /// last is not a cell; `\|`, `\\` and `\n` are unescaped; cells are
    /// trimmed of whitespace other than newlines. Columns are 1-based.
    fn cells(&self) -> Vec<Item> {
        let mut cells = Vec::new();
        let mut chars = self.trimmed.chars();
        let mut col = 0;
        let mut start_col = col + 1;
        let mut cell = String::new();
        let mut first = true;
        while let Some(c) = chars.next() {
            col += 1;
            match c {
                '|' => {
                    if first {
                        first = false;
                    } else {
                        let keep_newlines = |c: char| is_space(c) && c != '\n';
                        let left = cell.trim_start_matches(keep_newlines);
                        let cell_indent = cell.chars().count() - left.chars().count();
                        cells.push(Item {
                            column: self.indent + start_col + cell_indent,
                            text: left.trim_end_matches(keep_newlines).to_owned(),
                        });
                    }
                    cell.clear();
                    start_col = col + 1;
                }
                '\\' => {
                    col += 1;
                    match chars.next() {
                        Some('n') => cell.push('\n'),
                        Some(c @ ('|' | '\\')) => cell.push(c),
                        Some(c) => {
                            cell.push('\\');
                            cell.push(c);
                        }
                        None => cell.push('\\'),
                    }
                }
                c => cell.push(c),
            }
        }
        cells
    }

    /// The tags of a tag line; a comment (`\s#`) ends the line.
    fn tags(&self) -> Result<Vec<Item>, Error> {
        let uncommented = match self
            .trimmed
            .char_indices()
            .find(|&(i, c)| is_space(c) && self.trimmed[i + c.len_utf8()..].starts_with('#'))
        {
            Some((at, _)) => &self.trimmed[..at],
            None => self.trimmed,
        };
        let mut column = self.indent + 1;
        let mut tags = Vec::new();
        for item in uncommented.split('@') {
            let name = item.trim_end_matches(is_space);
            if name.is_empty() {
                continue;
            }
            if name.contains(is_space) {
                return Err(Error::new(
                    super::ast::Location::at(self.number, column),
                    "A tag may not contain whitespace".to_owned(),
                ));
            }
            tags.push(Item { column, text: format!("@{name}") });
            column += item.chars().count() + 1;
        }
        Ok(tags)
    }
}

/// A cell or a tag with its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub column: usize,
    pub text: String,
}

/// A line (or the end of the file) once matched.
#[derive(Debug, Clone)]
pub(crate) struct Token<'a> {
    pub line: Option<Line<'a>>,
    /// The line number (for EOF, one past the last line).
    pub number: usize,
    pub kind: TokenType,
    pub text: String,
    pub keyword: &'static str,
    pub keyword_type: Option<StepKeywordType>,
    pub items: Vec<Item>,
    pub column: usize,
    pub language: &'static str,
}

impl<'a> Token<'a> {
    pub(crate) fn new(line: Option<Line<'a>>, number: usize) -> Token<'a> {
        Token {
            line,
            number,
            kind: TokenType::Other,
            text: String::new(),
            keyword: "",
            keyword_type: None,
            items: Vec::new(),
            column: 0,
            language: "en",
        }
    }

    pub(crate) fn is_eof(&self) -> bool {
        self.line.is_none()
    }

    /// The line as an error shows it (`got '...'`).
    pub(crate) fn value(&self) -> &'a str {
        self.line.map_or("EOF", |l| l.trimmed.trim_matches(is_space))
    }
}

/// Classifies lines; it holds the language and whether a doc string is open.
pub(crate) struct Matcher {
    language: &'static str,
    dialect: &'static Dialect,
    doc_string: Option<&'static str>,
    indent_to_remove: usize,
}

impl Matcher {
    pub(crate) fn new() -> Result<Matcher, Error> {
        let (language, dialect) = DIALECTS
            .get_key_value("en")
            .ok_or_else(|| Error::new(super::ast::Location::at(1, 1), "no English keywords".to_owned()))?;
        Ok(Matcher { language, dialect, doc_string: None, indent_to_remove: 0 })
    }

    /// A matcher of `language`'s keywords (a child parsed again: the
    /// language header is the file's first line).
    pub(crate) fn with_language(language: &str) -> Result<Matcher, Error> {
        let (language, dialect) = DIALECTS
            .get_key_value(language)
            .ok_or_else(|| Error::new(super::ast::Location::at(1, 1), format!("Language not supported: {language}")))?;
        Ok(Matcher { language, dialect, doc_string: None, indent_to_remove: 0 })
    }

    pub(crate) fn language(&self) -> &'static str {
        self.language
    }

    fn set(
        &self,
        token: &mut Token<'_>,
        kind: TokenType,
        text: Option<&str>,
        keyword: &'static str,
        indent: Option<usize>,
    ) {
        token.kind = kind;
        token.text = text.map(|t| t.trim_end_matches(['\r', '\n']).to_owned()).unwrap_or_default();
        token.keyword = keyword;
        token.column = indent.unwrap_or_else(|| token.line.map_or(0, |l| l.indent)) + 1;
        token.language = self.language;
    }

    /// Whether `token` is of type `kind`; if so it is filled in.
    pub(crate) fn matches(&mut self, kind: TokenType, token: &mut Token<'_>) -> Result<bool, Error> {
        let Some(line) = token.line else {
            if kind == TokenType::EOF {
                self.set(token, TokenType::EOF, None, "", None);
                return Ok(true);
            }
            return Ok(false);
        };
        let matched = match kind {
            TokenType::EOF => false,
            TokenType::Empty => {
                let hit = line.is_empty();
                if hit {
                    self.set(token, kind, None, "", Some(0));
                }
                hit
            }
            TokenType::Comment => {
                let hit = line.trimmed.starts_with('#');
                if hit {
                    self.set(token, kind, Some(line.text), "", Some(0));
                }
                hit
            }
            TokenType::Language => {
                let Some(name) = language_header(line.trimmed) else { return Ok(false) };
                self.set(token, kind, Some(name), "", None);
                match DIALECTS.get_key_value(name) {
                    Some((language, dialect)) => {
                        self.language = language;
                        self.dialect = dialect;
                        token.language = language;
                    }
                    None => {
                        return Err(Error::new(
                            super::ast::Location::at(line.number, line.indent + 1),
                            format!("Language not supported: {name}"),
                        ));
                    }
                }
                true
            }
            TokenType::TagLine => {
                let hit = line.trimmed.starts_with('@');
                if hit {
                    let tags = line.tags()?;
                    self.set(token, kind, None, "", None);
                    token.items = tags;
                }
                hit
            }
            TokenType::TableRow => {
                let hit = line.trimmed.starts_with('|');
                if hit {
                    self.set(token, kind, None, "", None);
                    token.items = line.cells();
                }
                hit
            }
            TokenType::FeatureLine => self.title(token, &line, kind, &self.dialect.feature),
            TokenType::RuleLine => self.title(token, &line, kind, &self.dialect.rule),
            TokenType::BackgroundLine => self.title(token, &line, kind, &self.dialect.background),
            TokenType::ExamplesLine => self.title(token, &line, kind, &self.dialect.examples),
            TokenType::ScenarioLine => {
                self.title(token, &line, kind, &self.dialect.scenario)
                    || self.title(token, &line, kind, &self.dialect.scenario_outline)
            }
            TokenType::StepLine => {
                let found = self.dialect.steps.iter().find(|(k, _)| line.trimmed.starts_with(k.as_str()));
                if let Some((keyword, ty)) = found {
                    let text = line.rest_trimmed(keyword.len());
                    self.set(token, kind, Some(text), keyword, None);
                    token.keyword_type = Some(*ty);
                }
                found.is_some()
            }
            TokenType::DocStringSeparator => match self.doc_string {
                None => {
                    let open = ["\"\"\"", "```"].into_iter().find(|s| line.trimmed.starts_with(s));
                    if let Some(separator) = open {
                        self.set(token, kind, Some(line.rest_trimmed(separator.len())), separator, None);
                        self.doc_string = Some(separator);
                        self.indent_to_remove = line.indent;
                    }
                    open.is_some()
                }
                Some(separator) => {
                    let hit = line.trimmed.starts_with(separator);
                    if hit {
                        self.set(token, kind, None, separator, None);
                        self.doc_string = None;
                        self.indent_to_remove = 0;
                    }
                    hit
                }
            },
            TokenType::Other => {
                let text = line.text_without(self.indent_to_remove);
                let text = match self.doc_string {
                    Some("\"\"\"") => text.replace("\\\"\\\"\\\"", "\"\"\""),
                    Some(_) => text.replace("\\`\\`\\`", "```"),
                    None => text.to_owned(),
                };
                self.set(token, kind, Some(&text), "", Some(0));
                true
            }
        };
        Ok(matched)
    }

    fn title(&self, token: &mut Token<'_>, line: &Line<'_>, kind: TokenType, keywords: &'static [String]) -> bool {
        let Some(keyword) = keywords.iter().find(|k| line.starts_with_title(k)) else { return false };
        self.set(token, kind, Some(line.rest_trimmed(keyword.len() + 1)), keyword, None);
        true
    }

    /// Whether `line` is a title line of `kind` (for the parser's lookahead), without filling a token.
    pub(crate) fn is_title(&self, line: &Line<'_>, kind: TokenType) -> bool {
        let lists: &[&Vec<String>] = match kind {
            TokenType::ScenarioLine => &[&self.dialect.scenario, &self.dialect.scenario_outline],
            TokenType::ExamplesLine => &[&self.dialect.examples],
            _ => &[],
        };
        lists.iter().any(|list| list.iter().any(|k| line.starts_with_title(k)))
    }
}

/// `# language: xx` (the whole trimmed line): the language name.
fn language_header(trimmed: &str) -> Option<&str> {
    let rest = trimmed.strip_prefix('#')?.trim_start_matches(is_space);
    let rest = rest.strip_prefix("language")?.trim_start_matches(is_space);
    let name = rest.strip_prefix(':')?.trim_matches(is_space);
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_header() {
        assert_eq!(language_header("# language: fr"), Some("fr"));
        assert_eq!(language_header("#language:en-lol  "), Some("en-lol"));
        assert_eq!(language_header("# language: fr extra"), None);
        assert_eq!(language_header("# lang: fr"), None);
        assert!(is_language("em") && is_language("en") && !is_language("no-such"));
    }

    #[test]
    fn cells_are_unescaped_and_located() {
        let line = Line::new(1, "  | a \\| b | \\\\ | c\\n | d\\");
        let cells: Vec<(usize, String)> = line.cells().into_iter().map(|c| (c.column, c.text)).collect();
        assert_eq!(cells, [(5, "a | b".to_owned()), (14, "\\".to_owned()), (19, "c\n".to_owned())]);
    }
}
