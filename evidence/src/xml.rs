//! XML text: escaping plus removal of characters XML 1.0 cannot carry
//! (control characters from a target's response would make the file invalid).

use std::borrow::Cow;

/// Escapes `text` for an attribute or element and drops characters that are
/// not allowed in XML 1.0.
pub(crate) fn text(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if text.chars().all(allowed) {
        return quick_xml::escape::escape(text);
    }
    let clean: String = text
        .chars()
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect();
    Cow::Owned(quick_xml::escape::escape(&clean).into_owned())
}

/// The first line of `text`, at most `max` characters, for a `message` attribute.
pub(crate) fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > max {
        let cut: String = line.chars().take(max).collect();
        format!("{cut}...")
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_and_drops_invalid_characters() {
        assert_eq!(
            super::text("a<b & \"c\"\u{1b}[0m"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}[0m"
        );
        assert_eq!(super::first_line("one\ntwo", 10), "one");
        assert_eq!(super::first_line("abcdef", 3), "abc...");
    }
}
