//! The one printer: data on stdout, messages for people on stderr, colour
//! only on a terminal and never when `NO_COLOR` is set.

use std::io::{IsTerminal as _, Write as _};

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
}

impl Printer {
    pub fn new() -> Printer {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Printer { color: !no_color && std::io::stdout().is_terminal() }
    }

    /// A line of data on stdout.
    pub fn data(&self, line: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", line.as_ref());
    }

    /// A JSON document on stdout.
    pub fn json(&self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_owned());
        self.data(text);
    }

    /// A message for people on stderr.
    pub fn note(&self, line: impl AsRef<str>) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}", line.as_ref());
    }

    pub fn error(&self, line: impl AsRef<str>) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "error: {}", line.as_ref());
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

#[derive(Debug, Clone, Copy)]
pub enum Style {
    Plain,
    Good,
    Bad,
    Warn,
}
