//! The one error type of this crate, and the dotted key paths it names.
//!
//! A [`ConfigError`] renders as `FILE:LINE: KEY: MESSAGE`, leaving out the
//! line or the key when they are not known, e.g.
//! `certify.toml:12: targets.staging.timeout: expected a duration like "10s" or "500ms", got "ten"`.

use std::fmt;

/// A configuration problem: which file, which line, which key, and what was expected.
pub type ConfigError = certify_diag::FileError;

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// A dotted key path such as `targets.staging.headers."X.Odd"` or `suite.features[1]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyPath(Vec<Segment>);

impl KeyPath {
    pub(crate) fn root() -> Self {
        Self(Vec::new())
    }

    pub(crate) fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    pub(crate) fn push(&mut self, segment: Segment) {
        self.0.push(segment);
    }

    pub(crate) fn pop(&mut self) {
        self.0.pop();
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The path as text, or `None` for the document root.
    pub(crate) fn render(&self) -> Option<String> {
        if self.0.is_empty() { None } else { Some(self.to_string()) }
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_bare_key(key) {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Whether TOML lets `key` be written without quotes.
fn is_bare_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_key_and_message() {
        let err =
            ConfigError::new("certify.toml", Some(12), Some("targets.staging.timeout".into()), "expected a duration");
        assert_eq!(err.to_string(), "certify.toml:12: targets.staging.timeout: expected a duration");
        let err = ConfigError::new("certify.toml", None, None, "cannot read");
        assert_eq!(err.to_string(), "certify.toml: cannot read");
    }

    #[test]
    fn key_paths_quote_keys_that_are_not_bare() {
        let path = KeyPath::root().key("targets").key("my.target").key("headers").key("X-Client");
        assert_eq!(path.to_string(), r#"targets."my.target".headers.X-Client"#);
        assert_eq!(KeyPath::root().key("suite").key("features").index(1).to_string(), "suite.features[1]");
        assert_eq!(KeyPath::root().render(), None);
    }
}
