//! The text and markdown renderings of an [`ApiDiff`]: pure functions, breaking changes first,
//! each change with its pointer, operations and features. Everything taken from a description
//! (names, pointers, sources) is kept on one line, and escaped in markdown.

use std::fmt::Write;

use super::{ApiDiff, Change, Side};

impl ApiDiff {
    /// The diff for a terminal: a summary line, then the breaking and the compatible changes.
    pub fn text(&self) -> String {
        let mut out = format!(
            "API changes from {} ({}) to {} ({}): {} breaking, {} compatible\n",
            one_line(&self.old.source),
            one_line(&self.old.version),
            one_line(&self.new.source),
            one_line(&self.new.version),
            self.breaking,
            self.compatible
        );
        for (title, breaking) in [("Breaking changes", true), ("Compatible changes", false)] {
            let changes: Vec<&Change> = self.changes.iter().filter(|c| c.breaking == breaking).collect();
            if changes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title}:");
            for change in changes {
                let _ = writeln!(out, "  {} at {} (in {})", change.kind, one_line(&change.pointer), side(change.side));
                let _ = writeln!(out, "    {}", one_line(&change.message));
                let _ = writeln!(out, "    operations: {}", list(&change.operations, one_line));
                let _ = writeln!(out, "    features: {}", list(&change.features, one_line));
            }
        }
        out
    }

    /// The diff as a markdown section: a heading, the counts, then a list per class.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "## API changes: {} ({}) to {} ({})\n\n{} breaking, {} compatible.\n",
            code(&self.old.source),
            escape(&self.old.version),
            code(&self.new.source),
            escape(&self.new.version),
            self.breaking,
            self.compatible
        );
        for (title, breaking) in [("Breaking", true), ("Compatible", false)] {
            let changes: Vec<&Change> = self.changes.iter().filter(|c| c.breaking == breaking).collect();
            if changes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n### {title}\n");
            for change in changes {
                out.push_str(&bullet(change));
            }
        }
        out
    }

    /// The changes that touch one catalog feature, as a markdown bullet list (breaking first),
    /// for that feature's release notes; empty when none does.
    pub fn feature_markdown(&self, feature: &str) -> String {
        self.changes.iter().filter(|c| c.features.iter().any(|f| f == feature)).map(bullet).collect()
    }
}

/// One change as a markdown list item, on one line.
fn bullet(change: &Change) -> String {
    format!(
        "- **{}** {}: {} at {} (in {}); operations: {}; features: {}\n",
        if change.breaking { "Breaking" } else { "Compatible" },
        code(change.kind.as_str()),
        escape(&change.message),
        code(&change.pointer),
        side(change.side),
        list(&change.operations, code),
        list(&change.features, escape),
    )
}

fn side(side: Side) -> &'static str {
    match side {
        Side::Old => "old",
        Side::New => "new",
    }
}

fn list(items: &[String], each: fn(&str) -> String) -> String {
    if items.is_empty() { "none".into() } else { items.iter().map(|i| each(i)).collect::<Vec<_>>().join(", ") }
}

/// Control characters escaped, so that a name never breaks a line.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// Text with markdown's inline syntax escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        if "\\`*_[]<>|~&#!".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code span that holds `text` whatever backticks it contains.
fn code(text: &str) -> String {
    let text = one_line(text);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_backticks_and_text_is_escaped() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(escape("*a* <b>\n[c](d)"), r"\*a\* \<b\>\\n\[c\](d)");
        assert_eq!(one_line("a\nb\tc"), "a\\nb\\tc");
    }
}
