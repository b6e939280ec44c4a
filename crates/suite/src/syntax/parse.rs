//! The parser: tokens through the grammar's state machine ([`super::table`])
//! into the AST, ids from one incrementing counter as upstream assigns them.
//! Each line is read once, plus once more by a lookahead over the tag,
//! comment and blank lines that follow a tag line (at most twice: one
//! lookahead for Examples, one for a Scenario), so the cost is linear in the
//! size of the file. The first error stops the parse; it is the first error
//! upstream reports.

use std::collections::VecDeque;

use super::{
    Error,
    ast::{
        Background, Comment, DataTable, DocString, Examples, Feature, FeatureChild, GherkinDocument, Location, Rule,
        RuleChild, Scenario, Step, TableCell, TableRow, Tag,
    },
    table::{END, STATES},
    token::{Line, Matcher, Token, TokenType},
};

/// The grammar's rules that build a node of the AST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RuleType {
    GherkinDocument,
    Feature,
    FeatureHeader,
    Rule,
    RuleHeader,
    Background,
    ScenarioDefinition,
    Scenario,
    ExamplesDefinition,
    Examples,
    ExamplesTable,
    Step,
    DataTable,
    DocString,
    Tags,
    Description,
}

/// What a tag line is checked against before it is taken as a Scenario's
/// or an Examples' (otherwise a Rule's): the first line after it that is not
/// blank, a comment or another tag line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Look {
    None,
    Scenario,
    Examples,
}

pub(super) struct Transition {
    pub token: TokenType,
    pub look: Look,
    /// How many rules end before the token is built.
    pub end: u8,
    /// The rules that start, outermost first.
    pub start: &'static [RuleType],
    pub next: u8,
}

pub(super) struct State {
    pub transitions: &'static [Transition],
    pub expected: &'static [TokenType],
}

/// How much reading a parse did: a measure of its cost that does not depend
/// on the machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Lines the file has.
    pub lines: usize,
    /// Lines read, the lookahead's included.
    pub lines_read: usize,
    /// Bytes of those lines.
    pub bytes_read: usize,
    /// Ids the document uses (`0..ids`); its pickles' ids continue from here.
    pub ids: usize,
}

/// A child of the feature, or of one of its rules, handed over as soon as
/// it is parsed ([`parse_pieces`]): a large file never exists as one tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Background(Background, ChildStart),
    Scenario(Scenario, ChildStart),
    /// A rule, after its children (handed over before it, with
    /// [`ChildStart::in_rule`]); its own `children` is empty.
    Rule(Rule),
}

/// Where a child of the feature or of a rule starts, so that it can be
/// parsed again alone ([`parse_child`]) with the same nodes and ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildStart {
    /// Byte offset of the child's first line (its first tag line, or its title).
    pub offset: usize,
    /// That line's 0-based index.
    pub index: usize,
    /// The first id the child's nodes take (ids count from 0 in a file).
    pub first_id: usize,
    /// The child belongs to a rule, not to the feature.
    pub in_rule: bool,
    /// The parser's state before the line.
    state: u8,
    language: &'static str,
}

impl ChildStart {
    /// The grammar's state before the child's first line.
    pub(crate) fn state(&self) -> u8 {
        self.state
    }

    /// The file's language.
    pub(crate) fn language(&self) -> &'static str {
        self.language
    }

    /// A start kept in parts ([`crate::ParsedFeature`] keeps a file's
    /// language once, and each child's start in 24 bytes).
    pub(crate) fn from_parts(
        offset: usize,
        index: usize,
        first_id: usize,
        in_rule: bool,
        state: u8,
        language: &'static str,
    ) -> ChildStart {
        ChildStart { offset, index, first_id, in_rule, state, language }
    }
}

/// Parses a feature file into its `gherkinDocument`.
pub fn parse(text: &str) -> Result<GherkinDocument, Error> {
    parse_counting(text).0
}

/// [`parse`], and the work it did.
pub fn parse_counting(text: &str) -> (Result<GherkinDocument, Error>, Work) {
    let mut children = Vec::new();
    let mut rule_children = Vec::new();
    let (result, work) = parse_pieces(text, &mut |piece| match piece {
        Piece::Background(b, at) if at.in_rule => rule_children.push(RuleChild::Background(b)),
        Piece::Scenario(s, at) if at.in_rule => rule_children.push(RuleChild::Scenario(s)),
        Piece::Background(b, _) => children.push(FeatureChild::Background(b)),
        Piece::Scenario(s, _) => children.push(FeatureChild::Scenario(s)),
        Piece::Rule(mut rule) => {
            rule.children = std::mem::take(&mut rule_children);
            children.push(FeatureChild::Rule(rule));
        }
    });
    let result = result.map(|mut doc| {
        if let Some(feature) = &mut doc.feature {
            // Background first, then scenarios, then rules: the grammar's order.
            let rank = |c: &FeatureChild| match c {
                FeatureChild::Background(_) => 0,
                FeatureChild::Scenario(_) => 1,
                FeatureChild::Rule(_) => 2,
            };
            if !children.is_sorted_by_key(rank) {
                children.sort_by_key(rank);
            }
            feature.children = children;
        }
        doc
    });
    (result, work)
}

/// Parses a feature file, handing over each child of its feature (and of
/// its rules) as soon as it is complete. The document returned has no
/// children: they went to `each`, in the order of the file.
pub fn parse_pieces(text: &str, each: &mut dyn FnMut(Piece)) -> (Result<GherkinDocument, Error>, Work) {
    let matcher = match Matcher::new() {
        Ok(m) => m,
        Err(e) => return (Err(e), Work::default()),
    };
    let mut parser = Parser::new(text, each, 0, matcher);
    let result = parser.run();
    parser.work.ids = parser.ids;
    parser.work.lines = parser.lines.count;
    (result, parser.work)
}

/// Parses again the one child of the feature or of a rule that starts at
/// `start` (from [`parse_pieces`] over the same text). Its ids count from
/// `id_base` + the child's first id; only its lines (and those a lookahead
/// reads past it) are read.
pub fn parse_child(text: &str, start: &ChildStart, id_base: usize) -> Result<Piece, Error> {
    let mut found = None;
    let mut keep = |piece: Piece| {
        if found.is_none() {
            found = Some(piece);
        }
    };
    let matcher = Matcher::with_language(start.language)?;
    let mut parser = Parser::new(text, &mut keep, id_base + start.first_id, matcher);
    parser.resume(start)?;
    drop(parser);
    found.ok_or_else(|| {
        Error::new(Location::at(start.index + 1, 1), "internal: the child does not parse again".to_owned())
    })
}

/// The lines as upstream's scanner splits them: at `\n` or `\r\n`, and a
/// last line that is blank is not a line. Split as the parser reads, so a
/// file is never held as a vector of its lines.
struct Lines<'t> {
    text: &'t str,
    /// Where the first line not yet split starts; `None` past the end.
    rest: Option<usize>,
    /// Lines split and not yet read (a lookahead splits ahead), with their
    /// byte offsets; the first is line `first` (0-based).
    ahead: VecDeque<(usize, &'t str)>,
    first: usize,
    /// Lines split so far.
    count: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str, offset: usize, first: usize) -> Lines<'t> {
        Lines { text, rest: Some(offset), ahead: VecDeque::new(), first, count: first }
    }

    fn split(&mut self) -> Option<(usize, &'t str)> {
        let start = self.rest?;
        let tail = self.text.get(start..).unwrap_or_default();
        let line = match tail.find('\n') {
            Some(i) => {
                self.rest = Some(start + i + 1);
                &tail[..i]
            }
            None => {
                self.rest = None;
                if tail.trim().is_empty() {
                    return None;
                }
                tail
            }
        };
        self.count += 1;
        Some((start, line.strip_suffix('\r').unwrap_or(line)))
    }

    /// Line `index` (0-based, not before the next line to read) and its byte offset.
    fn get(&mut self, index: usize) -> Option<(usize, &'t str)> {
        let at = index.checked_sub(self.first)?;
        while at >= self.ahead.len() {
            let line = self.split()?;
            self.ahead.push_back(line);
        }
        self.ahead.get(at).copied()
    }

    /// The next line has been read.
    fn advance(&mut self) {
        self.ahead.pop_front();
        self.first += 1;
    }
}

#[cfg(test)]
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Lines::new(text, 0, 0);
    let mut out = Vec::new();
    while let Some((_, line)) = lines.get(out.len()) {
        out.push(line);
    }
    out
}

/// What a node of the tree under construction holds.
enum Child<'a> {
    Token(Token<'a>),
    Node(Node<'a>),
    Step(Step),
    DocString(DocString),
    DataTable(DataTable),
    Background(Background),
    Scenario(Scenario),
    Examples(Examples),
    Rows(Vec<TableRow>),
    Description(String),
    Rule(Rule),
    Feature(Feature),
}

struct Node<'a> {
    rule: RuleType,
    /// Taken children leave `None` behind: nothing is shifted or copied
    /// when the builder takes a node's parts.
    children: Vec<(Key, Option<Child<'a>>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Token(TokenType),
    Rule(RuleType),
}

impl<'a> Node<'a> {
    fn new(rule: RuleType) -> Node<'a> {
        Node { rule, children: Vec::new() }
    }

    fn take(&mut self, key: Key) -> Option<Child<'a>> {
        self.children.iter_mut().find(|(k, c)| *k == key && c.is_some()).and_then(|(_, c)| c.take())
    }

    fn take_all(&mut self, key: Key) -> Vec<Child<'a>> {
        self.children.iter_mut().filter(|(k, _)| *k == key).filter_map(|(_, c)| c.take()).collect()
    }

    fn token(&mut self, kind: TokenType) -> Option<Token<'a>> {
        match self.take(Key::Token(kind))? {
            Child::Token(t) => Some(t),
            _ => None,
        }
    }

    fn tokens(&mut self, kind: TokenType) -> Vec<Token<'a>> {
        self.take_all(Key::Token(kind))
            .into_iter()
            .filter_map(|c| match c {
                Child::Token(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    fn node(&mut self, rule: RuleType) -> Option<Node<'a>> {
        match self.take(Key::Rule(rule))? {
            Child::Node(n) => Some(n),
            _ => None,
        }
    }

    fn description(&mut self) -> String {
        match self.take(Key::Rule(RuleType::Description)) {
            Some(Child::Description(d)) => d,
            _ => String::new(),
        }
    }

    fn steps(&mut self) -> Vec<Step> {
        self.take_all(Key::Rule(RuleType::Step))
            .into_iter()
            .filter_map(|c| match c {
                Child::Step(s) => Some(s),
                _ => None,
            })
            .collect()
    }
}

struct Parser<'t, 's> {
    lines: Lines<'t>,
    /// The index of the next line to read.
    next: usize,
    /// Byte offset of the line read last.
    offset: usize,
    ids: usize,
    work: Work,
    stack: Vec<Node<'t>>,
    comments: Vec<Comment>,
    matcher: Matcher,
    /// Where the child being parsed started.
    start: Option<ChildStart>,
    each: &'s mut dyn FnMut(Piece),
    /// Parsing again one child ([`parse_child`]): stop once it is handed over.
    one_child: bool,
    done: bool,
}

impl<'t, 's> Parser<'t, 's> {
    fn new(text: &'t str, each: &'s mut dyn FnMut(Piece), ids: usize, matcher: Matcher) -> Parser<'t, 's> {
        Parser {
            lines: Lines::new(text, 0, 0),
            next: 0,
            offset: 0,
            ids,
            work: Work::default(),
            stack: Vec::new(),
            comments: Vec::new(),
            matcher,
            start: None,
            each,
            one_child: false,
            done: false,
        }
    }

    fn run(&mut self) -> Result<GherkinDocument, Error> {
        // The root that receives the document, and the document.
        self.stack.push(Node::new(RuleType::GherkinDocument));
        self.stack.push(Node::new(RuleType::GherkinDocument));
        let mut state = 0u8;
        loop {
            let token = self.read();
            let eof = token.is_eof();
            state = self.match_token(state, token, false)?;
            if eof || state == END {
                break;
            }
        }
        self.end_rule()?;
        let mut root = self.stack.pop().unwrap_or_else(|| Node::new(RuleType::GherkinDocument));
        let feature = match root.take(Key::Rule(RuleType::GherkinDocument)) {
            Some(Child::Node(mut doc)) => match doc.take(Key::Rule(RuleType::Feature)) {
                Some(Child::Feature(f)) => Some(f),
                _ => None,
            },
            _ => None,
        };
        Ok(GherkinDocument { uri: None, feature, comments: std::mem::take(&mut self.comments) })
    }

    /// Parses the child that starts at `start`, from the state the parser
    /// was in there, under an empty feature (and rule): the rules that the
    /// child's first line ends (its preceding sibling's) are not on the stack.
    fn resume(&mut self, start: &ChildStart) -> Result<(), Error> {
        self.lines = Lines::new(self.lines.text, start.offset, start.index);
        self.next = start.index;
        self.one_child = true;
        for rule in [RuleType::GherkinDocument, RuleType::GherkinDocument, RuleType::Feature] {
            self.stack.push(Node::new(rule));
        }
        if start.in_rule {
            self.stack.push(Node::new(RuleType::Rule));
        }
        let mut state = start.state;
        let mut first = true;
        while !self.done {
            let token = self.read();
            let eof = token.is_eof();
            state = self.match_token(state, token, first)?;
            first = false;
            if eof || state == END {
                break;
            }
        }
        Ok(())
    }

    fn line(&mut self, index: usize) -> Option<Line<'t>> {
        let (_, text) = self.lines.get(index)?;
        self.work.lines_read += 1;
        self.work.bytes_read += text.len();
        Some(Line::new(index + 1, text))
    }

    fn read(&mut self) -> Token<'t> {
        let line = self.line(self.next);
        self.offset = self.lines.get(self.next).map_or(self.offset, |(at, _)| at);
        self.lines.advance();
        self.next += 1;
        Token::new(line, self.next)
    }

    fn id(&mut self) -> String {
        let id = self.ids.to_string();
        self.ids += 1;
        id
    }

    /// Takes the transition `token` matches from `state`. `resumed`: the
    /// first line of a child parsed again, whose ends are not on the stack.
    fn match_token(&mut self, state: u8, mut token: Token<'t>, resumed: bool) -> Result<u8, Error> {
        let Some(current) = STATES.get(usize::from(state)) else {
            return Err(Error::new(Location::at(token.number, 1), format!("unknown parser state {state}")));
        };
        for t in current.transitions {
            if !self.matcher.matches(t.token, &mut token)? {
                continue;
            }
            if t.look != Look::None && !self.lookahead(t.look) {
                continue;
            }
            for _ in 0..if resumed { 0 } else { t.end } {
                self.end_rule()?;
                if self.done {
                    return Ok(t.next);
                }
            }
            let child = matches!(t.start.first(), Some(RuleType::ScenarioDefinition | RuleType::Background));
            if child && let Some(parent) = self.stack.last().map(|p| p.rule) {
                self.start = Some(ChildStart {
                    offset: self.offset,
                    index: self.next - 1,
                    first_id: self.ids,
                    in_rule: parent == RuleType::Rule,
                    state,
                    language: self.matcher.language(),
                });
            }
            for rule in t.start {
                self.stack.push(Node::new(*rule));
            }
            self.build(token);
            return Ok(t.next);
        }
        let expected: Vec<&str> = current.expected.iter().map(|t| t.name()).collect();
        Err(match token.line {
            None => Error {
                location: Location { line: token.number, column: None },
                message: format!("unexpected end of file, expected: {}", expected.join(", ")),
            },
            Some(line) => Error::new(
                Location::at(token.number, line.indent + 1),
                format!("expected: {}, got '{}'", expected.join(", "), token.value()),
            ),
        })
    }

    /// Whether the first line after the current one that is not blank, a
    /// comment or a tag line is a title line of the kind `look` wants.
    fn lookahead(&mut self, look: Look) -> bool {
        let want = match look {
            Look::Scenario => TokenType::ScenarioLine,
            Look::Examples => TokenType::ExamplesLine,
            Look::None => return true,
        };
        let mut index = self.next;
        while let Some(line) = self.line(index) {
            if self.matcher.is_title(&line, want) {
                return true;
            }
            let t = line.trimmed;
            if !(t.trim().is_empty() || t.starts_with('#') || t.starts_with('@')) {
                return false;
            }
            index += 1;
        }
        false
    }

    fn build(&mut self, token: Token<'t>) {
        if token.kind == TokenType::Comment {
            self.comments.push(Comment { location: Location::at(token.number, token.column), text: token.text });
            return;
        }
        if let Some(node) = self.stack.last_mut() {
            node.children.push((Key::Token(token.kind), Some(Child::Token(token))));
        }
    }

    /// Ends the innermost rule: its node becomes a child of its parent's,
    /// or a [`Piece`] when it is a child of the feature or of a rule.
    fn end_rule(&mut self) -> Result<(), Error> {
        let Some(node) = self.stack.pop() else { return Ok(()) };
        let rule = node.rule;
        let child = self.transform(node)?;
        let Some(parent) = self.stack.last_mut() else { return Ok(()) };
        let top = matches!(parent.rule, RuleType::Feature | RuleType::Rule);
        let piece = match child {
            Child::Background(b) if top => Piece::Background(b, self.child_start()?),
            Child::Scenario(s) if top => Piece::Scenario(s, self.child_start()?),
            Child::Rule(r) if parent.rule == RuleType::Feature => Piece::Rule(r),
            child => {
                parent.children.push((Key::Rule(rule), Some(child)));
                return Ok(());
            }
        };
        (self.each)(piece);
        self.done = self.one_child;
        Ok(())
    }

    fn child_start(&mut self) -> Result<ChildStart, Error> {
        self.start
            .take()
            .ok_or_else(|| Error::new(Location::at(self.next, 1), "internal: a child with no start".to_owned()))
    }

    fn tags(&mut self, node: &mut Node<'t>) -> Vec<Tag> {
        let Some(mut tags) = node.node(RuleType::Tags) else { return Vec::new() };
        let mut out = Vec::new();
        for token in tags.tokens(TokenType::TagLine) {
            for item in token.items {
                let id = self.id();
                out.push(Tag { location: Location::at(token.number, item.column), name: item.text, id });
            }
        }
        out
    }

    fn rows(&mut self, node: &mut Node<'t>) -> Result<Vec<TableRow>, Error> {
        let mut rows = Vec::new();
        for token in node.tokens(TokenType::TableRow) {
            let id = self.id();
            let cells = token
                .items
                .into_iter()
                .map(|c| TableCell { location: Location::at(token.number, c.column), value: c.text })
                .collect();
            rows.push(TableRow { location: Location::at(token.number, token.column), cells, id });
        }
        if let Some(width) = rows.first().map(|r| r.cells.len())
            && let Some(bad) = rows.iter().find(|r| r.cells.len() != width)
        {
            return Err(Error::new(bad.location, "inconsistent cell count within the table".to_owned()));
        }
        Ok(rows)
    }

    fn transform(&mut self, mut node: Node<'t>) -> Result<Child<'t>, Error> {
        let missing = || Error::new(Location::at(1, 1), "internal: a rule without its line".to_owned());
        Ok(match node.rule {
            RuleType::Step => {
                let line = node.token(TokenType::StepLine).ok_or_else(missing)?;
                let data_table = match node.take(Key::Rule(RuleType::DataTable)) {
                    Some(Child::DataTable(t)) => Some(Box::new(t)),
                    _ => None,
                };
                let doc_string = match node.take(Key::Rule(RuleType::DocString)) {
                    Some(Child::DocString(d)) => Some(Box::new(d)),
                    _ => None,
                };
                Child::Step(Step {
                    id: self.id(),
                    location: Location::at(line.number, line.column),
                    keyword: line.keyword.to_owned(),
                    keyword_type: line.keyword_type,
                    text: line.text,
                    doc_string,
                    data_table,
                })
            }
            RuleType::DocString => {
                let mut separators = node.tokens(TokenType::DocStringSeparator);
                let open = separators.drain(..).next().ok_or_else(missing)?;
                let lines: Vec<String> = node.tokens(TokenType::Other).into_iter().map(|t| t.text).collect();
                Child::DocString(DocString {
                    location: Location::at(open.number, open.column),
                    media_type: (!open.text.is_empty()).then_some(open.text),
                    content: lines.join("\n"),
                    delimiter: open.keyword.to_owned(),
                })
            }
            RuleType::DataTable => {
                let rows = self.rows(&mut node)?;
                let location = rows.first().map(|r| r.location).ok_or_else(missing)?;
                Child::DataTable(DataTable { location, rows })
            }
            RuleType::ExamplesTable => Child::Rows(self.rows(&mut node)?),
            RuleType::Description => {
                let mut lines: Vec<Token<'t>> = node.tokens(TokenType::Other);
                while lines.last().is_some_and(|t| t.line.is_none_or(|l| l.trimmed.is_empty())) {
                    lines.pop();
                }
                let text: Vec<String> = lines.into_iter().map(|t| t.text).collect();
                Child::Description(text.join("\n"))
            }
            RuleType::Background => {
                let line = node.token(TokenType::BackgroundLine).ok_or_else(missing)?;
                let description = node.description();
                let steps = node.steps();
                Child::Background(Background {
                    id: self.id(),
                    location: Location::at(line.number, line.column),
                    keyword: line.keyword.to_owned(),
                    name: line.text,
                    description,
                    steps,
                })
            }
            RuleType::ScenarioDefinition => {
                let tags = self.tags(&mut node);
                let mut scenario = node.node(RuleType::Scenario).ok_or_else(missing)?;
                let line = scenario.token(TokenType::ScenarioLine).ok_or_else(missing)?;
                let description = scenario.description();
                let steps = scenario.steps();
                let examples = scenario
                    .take_all(Key::Rule(RuleType::ExamplesDefinition))
                    .into_iter()
                    .filter_map(|c| match c {
                        Child::Examples(e) => Some(e),
                        _ => None,
                    })
                    .collect();
                Child::Scenario(Scenario {
                    id: self.id(),
                    tags,
                    location: Location::at(line.number, line.column),
                    keyword: line.keyword.to_owned(),
                    name: line.text,
                    description,
                    steps,
                    examples,
                })
            }
            RuleType::ExamplesDefinition => {
                let tags = self.tags(&mut node);
                let mut examples = node.node(RuleType::Examples).ok_or_else(missing)?;
                let line = examples.token(TokenType::ExamplesLine).ok_or_else(missing)?;
                let description = examples.description();
                let mut rows = match examples.take(Key::Rule(RuleType::ExamplesTable)) {
                    Some(Child::Rows(rows)) => rows,
                    _ => Vec::new(),
                };
                let table_header = (!rows.is_empty()).then(|| rows.remove(0));
                Child::Examples(Examples {
                    id: self.id(),
                    tags,
                    location: Location::at(line.number, line.column),
                    keyword: line.keyword.to_owned(),
                    name: line.text,
                    description,
                    table_header,
                    table_body: rows,
                })
            }
            RuleType::Rule => {
                let mut header = node.node(RuleType::RuleHeader).ok_or_else(missing)?;
                let line = header.token(TokenType::RuleLine).ok_or_else(missing)?;
                let tags = self.tags(&mut header);
                let description = header.description();
                Child::Rule(Rule {
                    id: self.id(),
                    location: Location::at(line.number, line.column),
                    keyword: line.keyword.to_owned(),
                    name: line.text,
                    description,
                    // Handed over as pieces, before the rule.
                    children: Vec::new(),
                    tags,
                })
            }
            RuleType::Feature => {
                let mut header = node.node(RuleType::FeatureHeader).ok_or_else(missing)?;
                let tags = self.tags(&mut header);
                let line = header.token(TokenType::FeatureLine).ok_or_else(missing)?;
                let description = header.description();
                Child::Feature(Feature {
                    tags,
                    location: Location::at(line.number, line.column),
                    language: line.language.to_owned(),
                    keyword: line.keyword.to_owned(),
                    name: line.text,
                    description,
                    // Handed over as pieces.
                    children: Vec::new(),
                })
            }
            RuleType::GherkinDocument
            | RuleType::FeatureHeader
            | RuleType::RuleHeader
            | RuleType::Scenario
            | RuleType::Examples
            | RuleType::Tags => Child::Node(node),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` tagged scenarios and outlines: tag lines make the parser look
    /// ahead (for an Examples line, then for a Scenario line).
    fn suite(n: usize) -> String {
        let mut text = String::from("@feature:f\nFeature: f\n  Background:\n    Given a\n\n");
        for i in 0..n {
            text.push_str(&format!(
                "  @s{i}\n  # c\n  Scenario Outline: o {i}\n    When I send a GET request to \"/items/<n>.json\"\n      \"\"\"json\n      {{\"i\": {i}}}\n      \"\"\"\n    Then the response status is 200\n\n    @e\n    Examples:\n      | n |\n      | {i} |\n\n"
            ));
        }
        text
    }

    #[test]
    fn every_line_is_read_a_bounded_number_of_times() {
        let mut read = Vec::new();
        for n in [100, 1_000] {
            let text = suite(n);
            let (result, work) = parse_counting(&text);
            let doc = result.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(doc.feature.map(|f| f.children.len()), Some(n + 1));
            assert_eq!(work.lines, text.lines().count());
            // Each line once, and the lines after a tag line at most twice more.
            assert!(work.lines_read <= 3 * work.lines, "{work:?}");
            assert!(work.bytes_read <= 3 * text.len(), "{work:?}");
            read.push(work.lines_read);
        }
        // Ten times the scenarios, ten times the reading (no rescans that grow with the file).
        let ratio = read[1] as f64 / read[0] as f64;
        assert!((9.5..=10.5).contains(&ratio), "{read:?}");
    }

    #[test]
    fn a_file_is_split_as_upstream_splits_it() {
        assert_eq!(split_lines("a\r\nb\n"), ["a", "b"]);
        assert_eq!(split_lines("a\n  "), ["a"]);
        assert_eq!(split_lines("a\rb\n\nc"), ["a\rb", "", "c"]);
        assert!(split_lines("").is_empty());
    }

    #[test]
    fn ids_and_errors() {
        let (doc, work) = parse_counting("Feature: f\n  Scenario: s\n    Given x\n");
        let doc = doc.unwrap_or_else(|e| panic!("{e}"));
        // The step, then the scenario: ids in the order upstream builds nodes.
        assert_eq!(work.ids, 2);
        let Some(FeatureChild::Scenario(s)) = doc.feature.as_ref().and_then(|f| f.children.first()) else {
            panic!("a scenario")
        };
        assert_eq!((s.id.as_str(), s.steps[0].id.as_str()), ("1", "0"));
        let e = parse("Feature: f\n  Scenario: s\n    Given x\n  @a b\n").unwrap_err();
        assert_eq!(e.to_string(), "(4:3): A tag may not contain whitespace");
        let e = parse("Feature: f\n  Scenario: s\n    Given x\n      \"\"\"\n").unwrap_err();
        assert_eq!(e.to_string(), "(5:0): unexpected end of file, expected: #DocStringSeparator, #Other");
    }
}
