//! XML text: escaping plus replacement of characters XML 1.0 cannot carry
//! (control characters from a target's response would make the file invalid).

use std::borrow::Cow;

/// Escapes `text` for an attribute value and replaces characters that are
/// not allowed in XML 1.0.
pub(crate) fn text(text: &str) -> Cow<'_, str> {
    match clean(text) {
        Cow::Borrowed(t) => quick_xml::escape::escape(t),
        Cow::Owned(t) => Cow::Owned(quick_xml::escape::escape(&t).into_owned()),
    }
}

/// Escapes `text` for element content (`<`, `>`, `&` only, so quotes stay
/// readable) and replaces characters that are not allowed in XML 1.0.
pub(crate) fn content(text: &str) -> Cow<'_, str> {
    match clean(text) {
        Cow::Borrowed(t) => quick_xml::escape::partial_escape(t),
        Cow::Owned(t) => Cow::Owned(quick_xml::escape::partial_escape(&t).into_owned()),
    }
}

fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().map(|c| if allowed(c) { c } else { '\u{FFFD}' }).collect())
    }
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
    fn escapes_and_replaces_invalid_characters() {
        assert_eq!(super::text("a<b & \"c\"\u{1b}[0m"), "a&lt;b &amp; &quot;c&quot;\u{FFFD}[0m");
        assert_eq!(super::content("\"a\" < b\u{0}"), "\"a\" &lt; b\u{FFFD}");
        assert_eq!(super::first_line("one\ntwo", 10), "one");
        assert_eq!(super::first_line("abcdef", 3), "abc...");
    }
}
