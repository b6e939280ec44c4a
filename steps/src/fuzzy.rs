//! The fuzzy matcher behind `the response JSON matches:`. The expected
//! document is plain JSON in which a string value may be a marker:
//! `#string #number #integer #boolean #array #object #null #notnull #present
//! #notpresent #ignore #uuid #date-time #regex <re>`. Objects match when every
//! listed key matches (extra keys are allowed; `#notpresent` requires the key
//! to be absent, `#ignore` accepts anything including absence); arrays match
//! element by element and must have the same length; other values are
//! compared as JSON (numbers by value). A literal string that begins with `#`
//! is written with a doubled `##` (`"##1"` expects the string `"#1"`). Any
//! other string that begins with `#` is an unknown marker, which is an error.
//! `#regex <re>` must match the whole string.

use regex::Regex;
use serde_json::Value;

use crate::failure::StepFailure;
use crate::jsonpath::{child_index, child_name};
use crate::text::{is_integer, json_eq, show};

/// The valid markers, as listed in messages.
pub(crate) const MARKERS: &str = "#string #number #integer #boolean #array #object #null #notnull \
     #present #notpresent #ignore #uuid #date-time #regex <re>";

/// A compiled expected document.
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    /// A marker, with the text it was written as.
    Marker(Marker, String),
    /// A scalar compared as JSON.
    Literal(Value),
    /// Every listed key must match.
    Object(Vec<(String, Pattern)>),
    /// Same length, element by element.
    Array(Vec<Pattern>),
}

/// One fuzzy marker.
#[derive(Debug, Clone)]
pub(crate) enum Marker {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
    NotNull,
    Present,
    NotPresent,
    Ignore,
    Uuid,
    DateTime,
    Regex(Regex),
}

/// Compiles an expected document; an unknown marker or an invalid `#regex`
/// is an error naming it, where it is, and the valid markers.
pub(crate) fn compile(expected: &Value) -> Result<Pattern, StepFailure> {
    compile_at(expected, "$")
}

fn compile_at(expected: &Value, location: &str) -> Result<Pattern, StepFailure> {
    Ok(match expected {
        Value::String(text) => compile_string(text, location)?,
        Value::Object(members) => Pattern::Object(
            members
                .iter()
                .map(|(key, value)| Ok((key.clone(), compile_at(value, &child_name(location, key))?)))
                .collect::<Result<_, StepFailure>>()?,
        ),
        Value::Array(items) => Pattern::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| compile_at(item, &child_index(location, i)))
                .collect::<Result<_, _>>()?,
        ),
        scalar => Pattern::Literal(scalar.clone()),
    })
}

fn compile_string(text: &str, location: &str) -> Result<Pattern, StepFailure> {
    if let Some(literal) = text.strip_prefix("##") {
        return Ok(Pattern::Literal(Value::String(format!("#{literal}"))));
    }
    if !text.starts_with('#') {
        return Ok(Pattern::Literal(Value::String(text.to_owned())));
    }
    let marker = match text {
        "#string" => Marker::String,
        "#number" => Marker::Number,
        "#integer" => Marker::Integer,
        "#boolean" => Marker::Boolean,
        "#array" => Marker::Array,
        "#object" => Marker::Object,
        "#null" => Marker::Null,
        "#notnull" => Marker::NotNull,
        "#present" => Marker::Present,
        "#notpresent" => Marker::NotPresent,
        "#ignore" => Marker::Ignore,
        "#uuid" => Marker::Uuid,
        "#date-time" => Marker::DateTime,
        _ => match text.strip_prefix("#regex") {
            Some(rest) if rest.starts_with(char::is_whitespace) && !rest.trim().is_empty() => {
                let source = rest.trim_start();
                let regex = Regex::new(&format!("^(?:{source})$")).map_err(|e| {
                    StepFailure::error(format!(
                        "invalid regular expression in fuzzy marker \"{text}\" at {location}: {e}"
                    ))
                })?;
                Marker::Regex(regex)
            }
            Some("") => {
                return Err(StepFailure::error(format!(
                    "fuzzy marker \"#regex\" at {location} needs a regular expression: \"#regex <re>\""
                )));
            }
            _ => {
                return Err(StepFailure::error(format!(
                    "unknown fuzzy marker \"{text}\" at {location}; valid markers: {MARKERS} \
                     (a literal string that begins with # is written ##..., e.g. \"##1\")"
                )));
            }
        },
    };
    Ok(Pattern::Marker(marker, text.to_owned()))
}

/// Matches `actual` against `pattern`; the error is the message for the
/// first mismatch, with its JSONPath, what was expected and what was found.
pub(crate) fn check(pattern: &Pattern, actual: &Value) -> Result<(), String> {
    check_at(pattern, Some(actual), "$")
}

fn check_at(pattern: &Pattern, actual: Option<&Value>, location: &str) -> Result<(), String> {
    let mismatch = |expected: &str, found: Option<&Value>| {
        let found = found.map_or_else(|| "found nothing at that path".to_owned(), |v| format!("got {}", show(v)));
        Err(format!("JSON at {location}: expected {expected}, {found}"))
    };
    match pattern {
        Pattern::Marker(Marker::Ignore, _) => Ok(()),
        Pattern::Marker(Marker::NotPresent, text) => match actual {
            None => Ok(()),
            Some(found) => mismatch(text, Some(found)),
        },
        Pattern::Marker(marker, text) => {
            let Some(found) = actual else {
                return mismatch(text, None);
            };
            if marker_holds(marker, found) { Ok(()) } else { mismatch(text, Some(found)) }
        }
        Pattern::Literal(expected) => match actual {
            Some(found) if json_eq(expected, found) => Ok(()),
            found => mismatch(&show(expected), found),
        },
        Pattern::Object(members) => {
            let Some(found) = actual else {
                return mismatch("an object", None);
            };
            let Value::Object(object) = found else {
                return mismatch("an object", Some(found));
            };
            for (key, member) in members {
                check_at(member, object.get(key), &child_name(location, key))?;
            }
            Ok(())
        }
        Pattern::Array(items) => {
            let Some(found) = actual else {
                return mismatch("an array", None);
            };
            let Value::Array(elements) = found else {
                return mismatch("an array", Some(found));
            };
            if elements.len() != items.len() {
                return Err(format!(
                    "JSON at {location}: expected {} items, got {}: {}",
                    items.len(),
                    elements.len(),
                    show(found)
                ));
            }
            for (i, (item, element)) in items.iter().zip(elements).enumerate() {
                check_at(item, Some(element), &child_index(location, i))?;
            }
            Ok(())
        }
    }
}

fn marker_holds(marker: &Marker, value: &Value) -> bool {
    match marker {
        Marker::String => value.is_string(),
        Marker::Number => value.is_number(),
        Marker::Integer => is_integer(value),
        Marker::Boolean => value.is_boolean(),
        Marker::Array => value.is_array(),
        Marker::Object => value.is_object(),
        Marker::Null => value.is_null(),
        Marker::NotNull => !value.is_null(),
        Marker::Present | Marker::Ignore => true,
        Marker::NotPresent => false,
        Marker::Uuid => value.as_str().is_some_and(is_uuid),
        Marker::DateTime => value.as_str().is_some_and(is_date_time),
        Marker::Regex(regex) => value.as_str().is_some_and(|s| regex.is_match(s)),
    }
}

/// `8-4-4-4-12` hexadecimal digits, either case.
pub(crate) fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// An RFC 3339 `date-time` (as JSON Schema's `format: date-time`):
/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, with calendar ranges checked.
pub(crate) fn is_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter().try_fold(0u32, |n, d| Some(n * 10 + u32::from(d - b'0')))
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (digits(0..4), digits(5..7), digits(8..10), digits(11..13), digits(14..16), digits(17..19))
    else {
        return false;
    };
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return false;
        }
        rest = &fraction[len..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let all_digits = [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit());
            all_digits && (h1 - b'0') * 10 + (h2 - b'0') <= 23 && (m1 - b'0') * 10 + (m2 - b'0') <= 59
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn matches(expected: Value, actual: Value) -> Result<(), String> {
        let pattern = compile(&expected).map_err(|f| f.message)?;
        check(&pattern, &actual)
    }

    #[test]
    fn type_markers_check_types() {
        let actual = json!({
            "s": "x", "n": 1.5, "i": 2, "b": true, "a": [], "o": {}, "z": null,
            "id": "0b5bf2a4-6f0e-4a3c-9d4e-2a1b3c4d5e6f", "at": "2024-02-29T23:59:60.5+01:00"
        });
        let expected = json!({
            "s": "#string", "n": "#number", "i": "#integer", "b": "#boolean", "a": "#array",
            "o": "#object", "z": "#null", "id": "#uuid", "at": "#date-time", "missing": "#notpresent",
            "gone": "#ignore", "s2": "#ignore"
        });
        assert_eq!(matches(expected, actual), Ok(()));
        assert_eq!(matches(json!("#integer"), json!(3.0)), Ok(()));
        assert!(matches(json!("#integer"), json!(3.5)).is_err());
        assert!(matches(json!({"z": "#notnull"}), json!({"z": null})).is_err());
        assert_eq!(matches(json!({"z": "#present"}), json!({"z": null})), Ok(()));
    }

    #[test]
    fn mismatch_reports_the_path_of_the_first_difference() {
        let expected = json!({"plan": {"limits": [1, "#integer", 3]}});
        let actual = json!({"plan": {"limits": [1, "two", 4], "name": "free"}});
        assert_eq!(
            matches(expected, actual),
            Err("JSON at $.plan.limits[1]: expected #integer, got \"two\"".to_owned())
        );
    }

    #[test]
    fn missing_keys_and_present_forbidden_keys_fail() {
        assert_eq!(
            matches(json!({"plan": "free"}), json!({})),
            Err("JSON at $.plan: expected \"free\", found nothing at that path".to_owned())
        );
        assert_eq!(
            matches(json!({"secret": "#notpresent"}), json!({"secret": 1})),
            Err("JSON at $.secret: expected #notpresent, got 1".to_owned())
        );
        assert!(matches(json!({"a": "#present"}), json!({})).is_err());
    }

    #[test]
    fn arrays_match_element_by_element_with_the_same_length() {
        assert_eq!(matches(json!([1, "#string"]), json!([1, "x"])), Ok(()));
        let err = matches(json!([1, 2]), json!([1, 2, 3])).unwrap_err();
        assert!(err.starts_with("JSON at $: expected 2 items, got 3"), "{err}");
        assert!(matches(json!({"a": [1]}), json!({"a": {"0": 1}})).is_err());
    }

    #[test]
    fn extra_keys_are_allowed_and_numbers_compare_by_value() {
        assert_eq!(matches(json!({"a": 1}), json!({"a": 1.0, "b": 2})), Ok(()));
    }

    #[test]
    fn regex_marker_matches_the_whole_string() {
        assert_eq!(matches(json!("#regex t-[0-9]+"), json!("t-42")), Ok(()));
        assert!(matches(json!("#regex t-[0-9]+"), json!("xt-42")).is_err());
        assert!(matches(json!("#regex [0-9]+"), json!(42)).is_err());
        let err = compile(&json!({"a": "#regex ("})).unwrap_err();
        assert!(err.message.contains("invalid regular expression"), "{}", err.message);
        assert!(compile(&json!("#regex")).is_err());
    }

    #[test]
    fn unknown_markers_are_errors_and_double_hash_is_literal() {
        let err = compile(&json!({"name": "#strin"})).unwrap_err();
        assert_eq!(err.kind, crate::FailureKind::Error);
        assert!(err.message.contains("unknown fuzzy marker \"#strin\" at $.name"), "{}", err.message);
        assert!(err.message.contains("#date-time"), "{}", err.message);
        assert_eq!(matches(json!({"tag": "##1"}), json!({"tag": "#1"})), Ok(()));
        assert!(matches(json!({"tag": "##1"}), json!({"tag": "##1"})).is_err());
    }

    #[test]
    fn uuid_and_date_time_formats() {
        assert!(is_uuid("0B5BF2A4-6F0E-4A3C-9D4E-2A1B3C4D5E6F"));
        assert!(!is_uuid("0b5bf2a4-6f0e-4a3c-9d4e-2a1b3c4d5e6"));
        assert!(!is_uuid("0b5bf2a4x6f0e-4a3c-9d4e-2a1b3c4d5e6f"));
        assert!(is_date_time("2024-01-31T10:00:00Z"));
        assert!(is_date_time("2024-01-31t10:00:00.123456-05:30"));
        assert!(!is_date_time("2023-02-29T10:00:00Z"));
        assert!(!is_date_time("2024-01-31 10:00:00Z"));
        assert!(!is_date_time("2024-01-31T10:00:00"));
        assert!(!is_date_time("2024-13-01T10:00:00Z"));
        assert!(!is_date_time("2024-01-31T10:00:00.Z"));
        assert!(!is_date_time("short"));
    }
}
