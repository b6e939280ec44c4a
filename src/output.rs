//! The one printer: data on stdout, messages for people on stderr, colour
//! only on a terminal and never when `NO_COLOR` is set. Everything printed
//! goes through redaction: once a run has secrets, no line leaves with one.

use std::{
    io::{IsTerminal as _, Write as _},
    sync::{Mutex, PoisonError},
};

use certify_evidence::redact::Redactor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// One JSON document on stdout.
    Json,
}

pub struct Printer {
    color: bool,
    redaction: Mutex<Redaction>,
}

/// Where the secrets of the run come from, and the redactor built from
/// what they held at the last line printed.
#[derive(Default)]
struct Redaction {
    sources: Vec<SecretSource>,
    known: Vec<String>,
    redactor: Option<Redactor>,
}

/// Something that knows secret values of the run (the credentials resolved,
/// the secrets the bundle writer learnt).
pub type SecretSource = Box<dyn Fn() -> Vec<String> + Send>;

impl Printer {
    pub fn new() -> Printer {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Printer { color: !no_color && std::io::stdout().is_terminal(), redaction: Mutex::default() }
    }

    /// From now on, every line printed is redacted against every form of
    /// every value `source` returns (asked again at each line).
    pub fn redact_with(&self, source: SecretSource) {
        self.redaction.lock().unwrap_or_else(PoisonError::into_inner).sources.push(source);
    }

    /// `line` without any secret known to the sources.
    fn redacted(&self, line: &str) -> String {
        self.with_redactor(|r| r.map_or_else(|| line.to_owned(), |r| r.text(line).into_owned()))
    }

    /// Runs `f` with the redactor of every secret the sources know now
    /// (none before a run has any).
    fn with_redactor<T>(&self, f: impl FnOnce(Option<&Redactor>) -> T) -> T {
        let mut r = self.redaction.lock().unwrap_or_else(PoisonError::into_inner);
        if r.sources.is_empty() {
            return f(None);
        }
        let mut values: Vec<String> = r.sources.iter().flat_map(|s| s()).collect();
        values.sort();
        values.dedup();
        if values != r.known || r.redactor.is_none() {
            r.redactor = Some(Redactor::of_values(values.iter().map(String::as_str)));
            r.known = values;
        }
        f(r.redactor.as_ref())
    }

    /// A line of data on stdout.
    pub fn data(&self, line: impl AsRef<str>) {
        let line = self.redacted(line.as_ref());
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    }

    /// A JSON document on stdout.
    pub fn json(&self, value: &serde_json::Value) {
        // Strings are redacted before they are escaped: whatever form a
        // secret has in a message, it is gone before JSON escapes it again.
        let mut value = value.clone();
        self.with_redactor(|r| r.map(|r| r.json(&mut value)));
        let text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "null".to_owned());
        self.data(text);
    }

    /// A message for people on stderr.
    pub fn note(&self, line: impl AsRef<str>) {
        let line = self.redacted(line.as_ref());
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }

    pub fn error(&self, line: impl AsRef<str>) {
        let line = self.redacted(line.as_ref());
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "error: {line}");
    }

    /// `text` in bold green/red/yellow on a colour terminal, plain otherwise.
    pub fn paint(&self, text: &str, style: Style) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match style {
            Style::Plain => return text.to_owned(),
            Style::Good => "1;32",
            Style::Bad => "1;31",
            Style::Warn => "1;33",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// `text` cut to at most `max` characters, the cut marked with `…`: what a
/// person reads on a terminal stays one line, however long a scenario's name
/// or a URL is (the JSON output and the evidence keep them whole).
pub fn clip(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.chars().count() <= max {
        return std::borrow::Cow::Borrowed(text);
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    std::borrow::Cow::Owned(format!("{kept}…"))
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_keeps_short_text_and_marks_a_cut() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("exactly10!", 10), "exactly10!");
        let cut = clip("ééééééééééé", 10);
        assert_eq!(cut, "ééééééééé…");
        assert_eq!(cut.chars().count(), 10);
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Style {
    Plain,
    Good,
    Bad,
    Warn,
}
