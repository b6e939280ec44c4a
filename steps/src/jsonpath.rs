//! RFC 9535 JSONPath support for the steps, on top of `serde_json_path`:
//! parsing with a step-level error, selecting nodes, telling singular paths
//! (only name and index selectors) from paths that select a list, and
//! rendering locations as `$.a.b[1]` for messages.

use serde_json::Value;
use serde_json_path::JsonPath;

use crate::failure::StepFailure;

/// Parses a JSONPath; an invalid one is an error naming it and the parse error.
pub(crate) fn compile(path: &str) -> Result<JsonPath, StepFailure> {
    JsonPath::parse(path).map_err(|e| StepFailure::error(format!("invalid JSONPath \"{path}\": {e}")))
}

/// Every node `path` selects in `value`, in document order.
pub(crate) fn select<'v>(path: &JsonPath, value: &'v Value) -> Vec<&'v Value> {
    path.query(value).all()
}

/// Whether a JSONPath is singular in the RFC 9535 sense: it can select at most
/// one node, because it holds only name and index selectors (no wildcard,
/// slice, filter, union or descendant segment).
pub(crate) fn is_singular(path: &str) -> bool {
    let mut chars = path.chars().peekable();
    let mut previous = '\0';
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let quote = c;
                while let Some(inner) = chars.next() {
                    if inner == '\\' {
                        chars.next();
                    } else if inner == quote {
                        break;
                    }
                }
            }
            '*' | '?' | ':' | ',' => return false,
            '.' if previous == '.' => return false,
            _ => {}
        }
        previous = c;
    }
    true
}

/// The location of an object member below `parent`, as `$.a` or `$['a b']`.
pub(crate) fn child_name(parent: &str, name: &str) -> String {
    let mut chars = name.chars();
    let simple = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if simple {
        format!("{parent}.{name}")
    } else {
        let escaped = name.replace('\\', "\\\\").replace('\'', "\\'");
        format!("{parent}['{escaped}']")
    }
}

/// The location of an array element below `parent`, as `$.a[3]`.
pub(crate) fn child_index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn invalid_paths_name_the_path_and_the_error() {
        let err = compile("$.items[").unwrap_err();
        assert_eq!(err.kind, crate::FailureKind::Error);
        assert!(err.message.starts_with("invalid JSONPath \"$.items[\": "), "{}", err.message);
        assert!(compile("items").is_err(), "a path must start with $");
    }

    #[test]
    fn selects_nodes_in_document_order() {
        let doc = json!({"items": [{"id": 1}, {"id": 2}]});
        let path = compile("$.items[*].id").unwrap();
        assert_eq!(select(&path, &doc), vec![&json!(1), &json!(2)]);
        assert!(select(&compile("$.missing").unwrap(), &doc).is_empty());
    }

    #[test]
    fn singular_paths_hold_only_names_and_indexes() {
        for path in ["$", "$.a.b", "$['a.b'][0]", "$.a[-1]", "$['x*y']"] {
            assert!(is_singular(path), "{path}");
        }
        for path in ["$.a[*]", "$..id", "$.a[0:2]", "$.a[?@.x]", "$.a[0,1]", "$.*"] {
            assert!(!is_singular(path), "{path}");
        }
    }

    #[test]
    fn locations_quote_names_that_are_not_identifiers() {
        assert_eq!(child_name("$", "plan"), "$.plan");
        assert_eq!(child_name("$", "a b"), "$['a b']");
        assert_eq!(child_name("$", "it's"), "$['it\\'s']");
        assert_eq!(child_index("$.plan.limits", 1), "$.plan.limits[1]");
    }
}
