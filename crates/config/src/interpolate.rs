//! `${VAR}` interpolation of string values.
//!
//! `${NAME}` is replaced by the environment variable `NAME` (letters, digits and `_`, not
//! starting with a digit); `$${` stands for a literal `${`; any other `$` is kept as is.
//! Replacement is a single pass: a variable's value is never interpolated again.

use std::borrow::Cow;

/// Why a string could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InterpolateError {
    /// `${NAME}` where `NAME` is not set.
    Missing(String),
    /// `${` without a closing `}`.
    Unterminated,
    /// `${...}` whose content is not a variable name.
    BadName(String),
}

impl InterpolateError {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Missing(name) => format!("environment variable {name} is not set"),
            Self::Unterminated => "`${` is not closed by `}` (write `$${` for a literal `${`)".to_owned(),
            Self::BadName(name) => format!(
                "`${{{name}}}` does not name an environment variable (letters, digits and _, not starting with a digit; write `$${{` for a literal `${{`)"
            ),
        }
    }
}

/// Whether `name` is a valid environment variable name.
pub(crate) fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Replaces every `${NAME}` in `text` by `env(NAME)`; borrows `text` when there is nothing to do.
pub(crate) fn interpolate<'a>(
    text: &'a str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Cow<'a, str>, InterpolateError> {
    if !text.contains('$') {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let end = tail.find('}').ok_or(InterpolateError::Unterminated)?;
            let name = &tail[..end];
            if !is_env_name(name) {
                return Err(InterpolateError::BadName(name.to_owned()));
            }
            let value = env(name).ok_or_else(|| InterpolateError::Missing(name.to_owned()))?;
            out.push_str(&value);
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("example.com".into()),
            "EMPTY" => Some(String::new()),
            "DOLLAR" => Some("${HOST}".into()),
            _ => None,
        }
    }

    fn run(text: &str) -> Result<String, InterpolateError> {
        interpolate(text, &env).map(Cow::into_owned)
    }

    #[test]
    fn replaces_variables() {
        assert_eq!(run("https://${HOST}/api").as_deref(), Ok("https://example.com/api"));
        assert_eq!(run("${HOST}${HOST}").as_deref(), Ok("example.comexample.com"));
        assert_eq!(run("a${EMPTY}b").as_deref(), Ok("ab"));
    }

    #[test]
    fn keeps_text_without_variables() {
        assert!(matches!(interpolate("plain", &env), Ok(Cow::Borrowed("plain"))));
        assert_eq!(run("cost: $5, $$ and $").as_deref(), Ok("cost: $5, $$ and $"));
    }

    #[test]
    fn escaped_dollar_brace_is_literal() {
        assert_eq!(run("$${HOST}").as_deref(), Ok("${HOST}"));
        assert_eq!(run("a$${b}${HOST}").as_deref(), Ok("a${b}example.com"));
    }

    #[test]
    fn values_are_not_interpolated_twice() {
        assert_eq!(run("${DOLLAR}").as_deref(), Ok("${HOST}"));
    }

    #[test]
    fn reports_missing_unterminated_and_bad_names() {
        assert_eq!(run("${NOPE}"), Err(InterpolateError::Missing("NOPE".into())));
        assert_eq!(run("x ${HOST"), Err(InterpolateError::Unterminated));
        assert_eq!(run("${1X}"), Err(InterpolateError::BadName("1X".into())));
        assert_eq!(run("${}"), Err(InterpolateError::BadName(String::new())));
        assert_eq!(run("${A B}"), Err(InterpolateError::BadName("A B".into())));
    }

    #[test]
    fn env_names() {
        assert!(is_env_name("STAGING_TOKEN"));
        assert!(is_env_name("_x1"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name(""));
        assert!(!is_env_name("A-B"));
    }
}
