//! Doc strings as Gherkin defines them.
//!
//! The content of a doc string is the lines between its delimiters (`"""` or
//! ```` ``` ````), each with the delimiter's indentation removed (all of its
//! leading whitespace when it is indented less), escaped delimiters
//! (`\"\"\"`, ```` \`\`\` ````) restored, joined with `\n`: no leading or
//! trailing newline is added, and text after the opening delimiter is the
//! media type, not content. The parser ([`crate::syntax`]) reads doc
//! strings by this rule; [`doc_string`] reads one from the source for
//! those who have only a step's line (the steps, for its media type).

/// One doc string as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocString {
    /// 1-based line of the opening delimiter.
    pub line: usize,
    /// `"""` or ```` ``` ````.
    pub delimiter: &'static str,
    /// The text after the opening delimiter (`json` in `"""json`), if any.
    pub media_type: Option<String>,
    /// The content, exactly.
    pub content: String,
}

/// The doc string of the step on 1-based `step_line` of `text`, if the
/// first line after it that is not blank or a comment opens one.
pub fn doc_string(text: &str, step_line: usize) -> Option<DocString> {
    let mut lines = text.lines().enumerate().skip(step_line);
    let (line, indent, delimiter, media_type) = loop {
        let (index, raw) = lines.next()?;
        let trimmed = raw.trim_start();
        if let Some(delimiter) = ["\"\"\"", "```"].into_iter().find(|d| trimmed.starts_with(*d)) {
            let media = trimmed[delimiter.len()..].trim();
            let indent = raw.chars().count() - trimmed.chars().count();
            break (index + 1, indent, delimiter, (!media.is_empty()).then(|| media.to_owned()));
        }
        if !(trimmed.is_empty() || trimmed.starts_with('#')) {
            return None;
        }
    };
    let escaped: String = delimiter.chars().flat_map(|c| ['\\', c]).collect();
    let mut content = Vec::new();
    for (_, raw) in lines {
        if raw.trim_start().starts_with(delimiter) {
            break;
        }
        let mut rest = raw;
        for _ in 0..indent {
            match rest.strip_prefix(char::is_whitespace) {
                Some(shorter) => rest = shorter,
                None => break,
            }
        }
        content.push(rest.replace(&escaped, delimiter));
    }
    Some(DocString { line, delimiter, media_type, content: content.join("\n") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(text: &str) -> String {
        let parsed =
            crate::parse_file(crate::SourceFile { path: "x.feature".into(), abs_path: None, text: text.into() })
                .unwrap()
                .unwrap();
        let first = parsed.scenarios().next().unwrap().unwrap();
        first.scenario.steps[0].docstring.clone().unwrap()
    }

    fn step(doc: &str) -> String {
        format!("Feature: f\n  Scenario: s\n    When I send a POST request to \"/\" with body:\n{doc}")
    }

    #[test]
    fn no_newline_is_added_around_the_content() {
        assert_eq!(content(&step("      \"\"\"\n      a=1&b=2\n      \"\"\"\n")), "a=1&b=2");
        assert_eq!(content(&step("      ```\n      a=1&b=2\n      ```\n")), "a=1&b=2");
    }

    #[test]
    fn indentation_is_the_delimiters_and_inner_lines_keep_theirs() {
        let doc = "      \"\"\"\n      {\n        \"a\": 1\n      }\n      \"\"\"\n";
        assert_eq!(content(&step(doc)), "{\n  \"a\": 1\n}");
        // Every line indented more than the delimiter keeps the difference.
        let doc = "    \"\"\"\n      a\n      b\n    \"\"\"\n";
        assert_eq!(content(&step(doc)), "  a\n  b");
    }

    #[test]
    fn empty_lines_inside_and_at_the_end_are_kept() {
        assert_eq!(content(&step("      \"\"\"\n      a\n\n      b\n      \"\"\"\n")), "a\n\nb");
        assert_eq!(content(&step("      \"\"\"\n      a\n\n      \"\"\"\n")), "a\n");
        assert_eq!(content(&step("      \"\"\"\n      \"\"\"\n")), "");
    }

    #[test]
    fn the_media_type_is_not_content() {
        let text = step("      \"\"\"json\n      {\"a\": 1}\n      \"\"\"\n");
        assert_eq!(content(&text), "{\"a\": 1}");
        let doc = doc_string(&text, 3).unwrap();
        assert_eq!((doc.line, doc.delimiter, doc.media_type.as_deref()), (4, "\"\"\"", Some("json")));
    }

    #[test]
    fn escaped_delimiters_are_restored() {
        let doc = "      \"\"\"\n      a \\\"\\\"\\\" b\n      \"\"\"\n";
        assert_eq!(content(&step(doc)), "a \"\"\" b");
        let doc = "      ```\n      a \\`\\`\\` b \\\"\\\"\\\"\n      ```\n";
        assert_eq!(content(&step(doc)), "a ``` b \\\"\\\"\\\"");
    }

    #[test]
    fn crlf_line_ends_are_not_content() {
        assert_eq!(content(&step("      \"\"\"\r\n      a\r\n      b\r\n      \"\"\"\r\n")), "a\nb");
    }
}
