//! Text helpers shared by the steps: unescaping of `"..."` step arguments,
//! `{{name}}` interpolation (plain, or JSON-aware inside string literals),
//! parsing of `VALUE` JSON literals, numeric-aware JSON equality, and short
//! excerpts of bodies and values for failure messages.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::failure::StepFailure;

/// Longest excerpt of a body quoted in a failure message, in characters.
pub(crate) const BODY_EXCERPT_CHARS: usize = 500;

/// Longest rendering of a JSON value quoted in a failure message, in characters.
pub(crate) const VALUE_EXCERPT_CHARS: usize = 200;

/// Undoes the two escapes a `"..."` step argument may hold: `\"` for a double
/// quote and `\\` for a backslash. Any other backslash is kept as written.
pub(crate) fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('"') => {
                    out.push('"');
                    chars.next();
                }
                Some('\\') => {
                    out.push('\\');
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The names a `{{name}}` placeholder can refer to: variables saved in the
/// scenario first, then the values of the current scenario-outline row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub vars: &'a BTreeMap<String, String>,
    pub outline: &'a [(String, String)],
}

impl<'a> Scope<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        if let Some(value) = self.vars.get(name) {
            return Some(value.as_str());
        }
        self.outline.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    fn known(&self) -> String {
        let mut names: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        for (key, _) in self.outline {
            if !names.contains(&key.as_str()) {
                names.push(key);
            }
        }
        if names.is_empty() {
            "none (no variable has been saved and the scenario has no outline values)".to_owned()
        } else {
            names.join(", ")
        }
    }
}

/// How replaced values are written into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Values are inserted as they are.
    Plain,
    /// The text is a JSON document: a value inserted inside a JSON string
    /// literal is escaped for it (quotes, backslashes, control characters);
    /// outside string literals it is inserted as it is.
    Json,
}

/// Replaces every `{{name}}` in `template` (whitespace inside the braces is
/// ignored). An unknown name is an error naming it and the known names. A
/// `{{` without a closing `}}`, or `{{}}`, is left as written.
/// The `{{name}}` placeholders of a template that [`interpolate`] replaces,
/// with the byte offset of each `{{`, in order (for `certify lint`).
pub fn placeholders(template: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = template[at..].find("{{") {
        let open = at + start;
        let inner = &template[open + 2..];
        let Some(end) = inner.find("}}") else { break };
        let name = inner[..end].trim();
        if name.is_empty() || name.contains('{') {
            at = open + 2;
            continue;
        }
        out.push((name.to_owned(), open));
        at = open + 2 + end + 2;
    }
    out
}

pub(crate) fn interpolate(template: &str, scope: Scope<'_>, mode: Mode) -> Result<String, StepFailure> {
    if !template.contains("{{") {
        return Ok(template.to_owned());
    }
    let mut out = String::with_capacity(template.len() + 16);
    let mut tracker = JsonStringTracker::default();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let (literal, after) = rest.split_at(start);
        tracker.feed(literal);
        out.push_str(literal);
        let inner = &after[2..];
        let Some(end) = inner.find("}}") else {
            tracker.feed(after);
            out.push_str(after);
            return Ok(out);
        };
        let name = inner[..end].trim();
        if name.is_empty() || name.contains('{') {
            out.push_str("{{");
            tracker.feed("{{");
            rest = inner;
            continue;
        }
        let Some(value) = scope.get(name) else {
            return Err(StepFailure::error(format!(
                "unknown variable \"{name}\" in \"{template}\"; known variables: {}",
                scope.known()
            )));
        };
        if mode == Mode::Json && tracker.in_string {
            out.push_str(&json_escape_inner(value));
        } else {
            tracker.feed(value);
            out.push_str(value);
        }
        rest = &inner[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Follows whether a position in a JSON text is inside a string literal.
#[derive(Debug, Default)]
struct JsonStringTracker {
    in_string: bool,
    escaped: bool,
}

impl JsonStringTracker {
    fn feed(&mut self, text: &str) {
        for c in text.chars() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if c == '\\' {
                    self.escaped = true;
                } else if c == '"' {
                    self.in_string = false;
                }
            } else if c == '"' {
                self.in_string = true;
            }
        }
    }
}

/// `value` escaped as the inside of a JSON string literal (without quotes).
fn json_escape_inner(value: &str) -> String {
    let quoted = Value::String(value.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// Whether a text looks like a JSON document (first non-blank character is
/// `{` or `[`), which selects JSON-aware interpolation for request bodies.
pub(crate) fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().chars().next(), Some('{' | '['))
}

/// Parses a `VALUE` argument as a JSON literal.
pub(crate) fn parse_value(text: &str) -> Result<Value, StepFailure> {
    serde_json::from_str(text.trim()).map_err(|e| {
        StepFailure::error(format!(
            "VALUE {text} is not a JSON literal ({e}); write strings in double quotes, e.g. \"free\", \
             and numbers, true, false, null, [..] or {{..}} as in JSON"
        ))
    })
}

/// Compact JSON rendering of a value, capped for messages.
pub(crate) fn show(value: &Value) -> String {
    cap_chars(&value.to_string(), VALUE_EXCERPT_CHARS)
}

/// `text` cut to at most `max` characters, with a note of what was cut.
pub(crate) fn cap_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}… ({} chars in total)", &text[..cut], text.chars().count()),
    }
}

/// An excerpt of a body for a failure message: lossy UTF-8, capped.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty)".to_owned();
    }
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(BODY_EXCERPT_CHARS) {
        None => text.into_owned(),
        Some((cut, _)) => format!("{}… ({} bytes in total)", &text[..cut], bytes.len()),
    }
}

/// JSON equality where numbers compare by value: `3`, `3.0` and `3e0` are equal.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                return x == y;
            }
            if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                return x == y;
            }
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(key, xv)| y.get(key).is_some_and(|yv| json_eq(xv, yv)))
        }
        _ => a == b,
    }
}

/// Whether a JSON number is an integer (no fractional part), as JSON Schema
/// defines it.
pub(crate) fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.is_finite() && f.fract() == 0.0),
        _ => false,
    }
}

/// The JSON type name of a value, as used in messages and `is a TYPE`.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(value) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope_with<'a>(vars: &'a BTreeMap<String, String>, outline: &'a [(String, String)]) -> Scope<'a> {
        Scope { vars, outline }
    }

    #[test]
    fn unescape_handles_quotes_and_backslashes_only() {
        assert_eq!(unescape(r#"a \"b\" c"#), r#"a "b" c"#);
        assert_eq!(unescape(r"C:\\dir"), r"C:\dir");
        assert_eq!(unescape(r"\d+"), r"\d+");
        assert_eq!(unescape("plain"), "plain");
    }

    #[test]
    fn interpolation_prefers_variables_over_outline_values() {
        let mut vars = BTreeMap::new();
        vars.insert("id".to_owned(), "t-1".to_owned());
        let outline = vec![("id".to_owned(), "outline".to_owned()), ("plan".to_owned(), "free".to_owned())];
        let scope = scope_with(&vars, &outline);
        let out = interpolate("/t/{{id}}/{{ plan }}", scope, Mode::Plain).unwrap();
        assert_eq!(out, "/t/t-1/free");
    }

    #[test]
    fn unknown_variable_names_it_and_the_known_names() {
        let mut vars = BTreeMap::new();
        vars.insert("id".to_owned(), "1".to_owned());
        let outline = vec![("plan".to_owned(), "free".to_owned())];
        let err = interpolate("/x/{{tenant}}", scope_with(&vars, &outline), Mode::Plain).unwrap_err();
        assert_eq!(err.kind, crate::FailureKind::Error);
        assert!(err.message.contains("unknown variable \"tenant\""), "{}", err.message);
        assert!(err.message.contains("id, plan"), "{}", err.message);
    }

    #[test]
    fn unclosed_or_empty_braces_are_literal() {
        let vars = BTreeMap::new();
        let scope = scope_with(&vars, &[]);
        assert_eq!(interpolate("a {{ b", scope, Mode::Plain).unwrap(), "a {{ b");
        assert_eq!(interpolate("a {{}} b", scope, Mode::Plain).unwrap(), "a {{}} b");
    }

    #[test]
    fn json_mode_escapes_only_inside_strings() {
        let mut vars = BTreeMap::new();
        vars.insert("name".to_owned(), "say \"hi\"\n".to_owned());
        vars.insert("n".to_owned(), "3".to_owned());
        let scope = scope_with(&vars, &[]);
        let out = interpolate(r#"{"name": "{{name}}", "n": {{n}}}"#, scope, Mode::Json).unwrap();
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, json!({"name": "say \"hi\"\n", "n": 3}));
        let plain = interpolate(r#""{{name}}""#, scope, Mode::Plain).unwrap();
        assert_eq!(plain, "\"say \"hi\"\n\"");
    }

    #[test]
    fn json_equality_compares_numbers_by_value() {
        assert!(json_eq(&json!(3), &json!(3.0)));
        assert!(json_eq(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!(3), &json!("3")));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }

    #[test]
    fn value_literals_must_be_json() {
        assert_eq!(parse_value(" \"free\" ").unwrap(), json!("free"));
        assert_eq!(parse_value("[1, 2]").unwrap(), json!([1, 2]));
        let err = parse_value("free").unwrap_err();
        assert!(err.message.contains("not a JSON literal"), "{}", err.message);
    }

    #[test]
    fn excerpts_are_capped() {
        let long = "x".repeat(2000);
        let e = excerpt(long.as_bytes());
        assert!(e.len() < 600);
        assert!(e.ends_with("(2000 bytes in total)"));
        assert_eq!(excerpt(b""), "(empty)");
    }

    #[test]
    fn type_names_follow_json_schema() {
        assert_eq!(type_name(&json!(3.0)), "integer");
        assert_eq!(type_name(&json!(3.5)), "number");
        assert_eq!(type_name(&json!(null)), "null");
    }
}
