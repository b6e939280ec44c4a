//! Precise parse errors.
//!
//! The gherkin parser reports where its grammar gave up, which is often the
//! end of the file. When it fails, this line scanner (the token classes of the
//! Gherkin specification: tag line, keyword line, step, table row, doc string
//! separator, comment, other) walks the file once and names the first line
//! that breaks the structure, with the reason a person needs. It only covers
//! English keywords; other languages keep the parser's own position.

const FEATURE: &[&str] = &["Feature:", "Business Need:", "Ability:"];
const SCENARIO: &[&str] = &["Scenario Outline:", "Scenario Template:", "Scenario:", "Example:"];
const EXAMPLES: &[&str] = &["Examples:", "Scenarios:"];
const STEP: &[&str] = &["Given ", "When ", "Then ", "And ", "But ", "* "];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the Feature line.
    Start,
    /// After a Feature/Rule/Background/Scenario/Examples line: free text is a description.
    Header,
    /// After a step.
    Step,
    /// After a step's table or doc string: no second argument.
    StepArgument,
    /// Inside an Examples table.
    Examples,
    /// After tags: a Feature, Rule, Scenario or Examples line must follow.
    Tags,
}

/// `(line, col, message)` of the first structural error, if the scanner finds one.
pub(crate) fn diagnose(text: &str) -> Option<(usize, usize, String)> {
    let mut state = State::Start;
    let mut doc: Option<(&str, usize)> = None; // separator and opening line
    let mut table: Option<(usize, usize)> = None; // cell count and first row line
    let mut seen_feature = false;
    let mut last_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        last_line = n;
        let line = raw.trim();
        let col = raw.len() - raw.trim_start().len() + 1;
        if let Some((sep, _)) = doc {
            if line.starts_with(sep) && line.trim_end() == sep {
                doc = None;
                state = State::StepArgument;
            }
            continue;
        }
        if !line.starts_with('|') {
            table = None;
        }
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if state == State::Start
                && let Some(lang) = comment.trim().strip_prefix("language:")
            {
                let lang = lang.trim();
                if !gherkin::is_language_supported(lang) {
                    return Some((n, col, format!("language not supported: {lang}")));
                }
                if lang != "en" {
                    return None;
                }
            }
            continue;
        }
        if line.starts_with('@') {
            if let Some(bad) = line.split_whitespace().find(|t| !t.starts_with('@') && !t.starts_with('#')) {
                let at = raw.find(bad).map_or(col, |c| c + 1);
                return Some((n, at, format!("a tag may not contain whitespace (`{bad}` does not start with @)")));
            }
            state = State::Tags;
            continue;
        }
        if state == State::Tags
            && !starts(line, FEATURE)
            && !starts(line, SCENARIO)
            && !starts(line, EXAMPLES)
            && !line.starts_with("Rule:")
        {
            return Some((
                n,
                col,
                format!("tags must be followed by a Feature, Rule, Scenario or Examples line, got `{}`", short(line)),
            ));
        }
        if starts(line, FEATURE) {
            if seen_feature {
                return Some((n, col, "a file holds one Feature".to_owned()));
            }
            seen_feature = true;
            state = State::Header;
        } else if !seen_feature {
            return Some((
                n,
                col,
                format!("expected a Feature line (or a tag, comment or `# language:`), got `{}`", short(line)),
            ));
        } else if line.starts_with("Rule:") || line.starts_with("Background:") || starts(line, SCENARIO) {
            state = State::Header;
        } else if starts(line, EXAMPLES) {
            state = State::Examples;
        } else if starts(line, STEP) {
            if state == State::Examples {
                return Some((n, col, "a step cannot follow an Examples table; start a new Scenario".to_owned()));
            }
            state = State::Step;
        } else if line.starts_with('|') {
            if !matches!(state, State::Step | State::StepArgument | State::Examples)
                || state == State::StepArgument && table.is_none()
            {
                return Some((n, col, "a table must follow a step or an Examples line".to_owned()));
            }
            if !line.ends_with('|') || line.ends_with("\\|") && !line.ends_with("\\\\|") {
                return Some((
                    n,
                    col,
                    "inconsistent cell count within the table (a table row must end with `|`)".to_owned(),
                ));
            }
            let cells = count_cells(line);
            match table {
                None => table = Some((cells, n)),
                Some((width, first)) if width != cells => {
                    return Some((
                        n,
                        col,
                        format!(
                            "inconsistent cell count within the table: {cells} cells here, {width} in the row at line {first}"
                        ),
                    ));
                }
                Some(_) => {}
            }
            if state == State::Step {
                state = State::StepArgument;
            }
        } else if line.starts_with("\"\"\"") || line.starts_with("```") {
            if state != State::Step {
                return Some((
                    n,
                    col,
                    "a doc string must follow a step, and a step takes at most one doc string or table".to_owned(),
                ));
            }
            doc = Some((if line.starts_with("```") { "```" } else { "\"\"\"" }, n));
        } else if state != State::Header {
            return Some((
                n,
                col,
                format!(
                    "expected a step, table row, doc string, tag, or a Scenario, Examples or Rule line, got `{}`",
                    short(line)
                ),
            ));
        }
    }
    if let Some((_, opened)) = doc {
        return Some((
            last_line + 1,
            1,
            format!("unexpected end of file: the doc string opened at line {opened} is never closed"),
        ));
    }
    match state {
        State::Tags => Some((
            last_line + 1,
            1,
            "unexpected end of file: tags must be followed by a Feature, Rule, Scenario or Examples line".to_owned(),
        )),
        _ if !seen_feature => Some((last_line.max(1), 1, "no Feature line in this file".to_owned())),
        _ => None,
    }
}

fn starts(line: &str, keywords: &[&str]) -> bool {
    keywords.iter().any(|k| line.starts_with(k) || line == k.trim_end())
}

fn short(line: &str) -> String {
    line.chars().take(60).collect()
}

fn count_cells(line: &str) -> usize {
    // A lone `|` is a row without cells.
    let Some(inner) = line.strip_prefix('|').and_then(|l| l.strip_suffix('|')) else { return 0 };
    let mut cells = 1;
    let mut escaped = false;
    for c in inner.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => cells += 1,
            _ => escaped = false,
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::diagnose;

    #[test]
    fn valid_structure_has_no_diagnosis() {
        let text = "# c\n@t\nFeature: f\n  desc\n  Background:\n    Given x\n  @s\n  Scenario Outline: o\n    Given y:\n      \"\"\"json\n      {}\n      \"\"\"\n    When z\n      | a | b \\| c |\n      | 1 | 2 |\n    Examples:\n      | a |\n      | 1 |\n";
        assert_eq!(diagnose(text), None);
    }

    #[test]
    fn a_lone_pipe_is_a_row_without_cells_not_a_panic() {
        let text = "Feature: f\n  Scenario: s\n    Given x\n      | a |\n      |\n  oops\n";
        let (line, _, message) = diagnose(text).expect("a diagnosis");
        assert_eq!(line, 5, "{message}");
        assert!(message.contains("0 cells here, 1 in the row at line 4"), "{message}");
    }

    #[test]
    fn finds_the_breaking_line() {
        let cases = [
            ("Feature: f\n  Scenario: s\n    Given x\n  oops\n", 4),
            ("not gherkin\n", 1),
            ("Feature: f\n  Scenario: s\n    Given x\n      | a |\n      | a | b |\n", 5),
            ("Feature: f\n  Scenario: s\n    Given x\n      \"\"\"\n      y\n", 6),
            ("Feature: f\n  @a tag\n  Scenario: s\n", 2),
            ("# language: no-such\nFeature: f\n", 1),
            ("Feature: f\n  @t\n", 3),
        ];
        for (text, line) in cases {
            let got = diagnose(text).unwrap_or_else(|| panic!("no diagnosis for {text:?}"));
            assert_eq!(got.0, line, "{text:?} -> {got:?}");
        }
    }
}
