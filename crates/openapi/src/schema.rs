//! The description's schemas as JSON Schema 2020-12 validators (the `jsonschema` crate), compiled
//! once per schema location and shared by every check of the description, from any thread.
//!
//! The whole document is registered as one resource, and a schema is compiled as a `$ref` to
//! its pointer: internal references (recursive ones too) resolve as they are written, and each
//! error's absolute keyword location is the pointer of the violated keyword in the description.
//! Nothing outside the document is ever fetched.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, Registry, Retrieve, Uri, ValidationError, Validator};
use serde_json::Value;

use crate::load::ref_pointer;

/// The URI the document is registered under: an error's absolute keyword location is this URI
/// with the pointer of the violated keyword as its fragment.
const DOCUMENT_URI: &str = "https://description.certify.invalid/openapi.json";
/// The base URI of the one-`$ref` schema each validator is compiled from.
const ROOT_URI: &str = "https://description.certify.invalid/check.json";

/// The validators of one description, keyed by the pointer of their schema. Clones share them.
#[derive(Clone, Default)]
pub(crate) struct Validators(Arc<Cache>);

#[derive(Default)]
struct Cache {
    /// The document as one resource, registered on first use.
    registry: OnceLock<Result<Registry<'static>, String>>,
    /// One slot per schema pointer, filled once: concurrent checks of one schema wait for
    /// one compilation instead of each compiling it.
    compiled: Mutex<HashMap<String, Arc<OnceLock<Compiled>>>>,
}

/// A compiled schema, or why the description's schema cannot be compiled.
pub(crate) type Compiled = Result<Arc<Validator>, String>;

impl fmt::Debug for Validators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let compiled = self.0.compiled.lock().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("Validators").field("compiled", &compiled).finish()
    }
}

/// One way a value breaks a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// RFC 6901 pointer into the value ("" for the whole value).
    pub pointer: String,
    /// What the schema expected, and what came instead.
    pub expected: String,
    /// RFC 6901 pointer of the violated keyword in the description.
    pub rule: String,
}

/// Refuses every retrieval: a description is self-contained (its loader rejects references to
/// other documents), and a schema's `$id` must never make certify read a file or a URL.
struct Refuse;

impl Retrieve for Refuse {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("{uri} is outside the description: certify fetches nothing a schema names").into())
    }
}

impl Validators {
    /// The validator of the schema at `pointer` of `document` (the description's document),
    /// compiled on first use.
    pub(crate) fn get(&self, document: &Value, pointer: &str) -> Compiled {
        let slot = {
            let mut compiled = self.0.compiled.lock().unwrap_or_else(PoisonError::into_inner);
            match compiled.get(pointer) {
                Some(slot) => Arc::clone(slot),
                None => Arc::clone(compiled.entry(pointer.to_owned()).or_default()),
            }
        };
        slot.get_or_init(|| self.compile(document, pointer)).clone()
    }

    /// How many schemas have been compiled (or failed to).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.compiled.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn compile(&self, document: &Value, pointer: &str) -> Compiled {
        let registry = self.0.registry.get_or_init(|| {
            Registry::new()
                .draft(Draft::Draft202012)
                .retriever(Refuse)
                .retrieve_known_draft_meta_schemas(false)
                .add(DOCUMENT_URI, document.clone())
                .and_then(|builder| builder.prepare())
                .map_err(|e| format!("the description cannot be read as JSON Schema: {e}"))
        });
        let registry = registry.as_ref().map_err(Clone::clone)?;
        let root = serde_json::json!({ "$ref": format!("{DOCUMENT_URI}#{}", encode_fragment(pointer)) });
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_retriever(Refuse)
            .with_registry(registry)
            .with_base_uri(ROOT_URI)
            .should_validate_formats(true)
            .should_ignore_unknown_formats(true)
            .build(&root)
            .map(Arc::new)
            .map_err(|e| format!("the schema at {pointer} does not compile: {e}"))
    }
}

/// Every way `value` breaks the schema of `validator`, ordered by their place in the value
/// (array items by index), then by rule.
pub(crate) fn failures(validator: &Validator, value: &Value) -> Vec<Failure> {
    let mut found: Vec<Failure> = validator
        .iter_errors(value)
        .map(|error| Failure {
            pointer: error.instance_path().as_str().to_owned(),
            expected: expectation(&error),
            rule: rule(&error),
        })
        .collect();
    found.sort_by(|a, b| compare_pointers(&a.pointer, &b.pointer).then_with(|| a.rule.cmp(&b.rule)));
    found.dedup();
    found
}

/// The pointer of the violated keyword in the description: the fragment of the error's absolute
/// keyword location, percent-decoded. Every schema is reached from the document's URI, so the
/// location is in the document (a subschema's `$id` does not move it); should jsonschema ever
/// report one elsewhere, the rule is that URI as reported, or the schema path when it reports
/// none: the best there is.
fn rule(error: &ValidationError<'_>) -> String {
    match error.absolute_keyword_location() {
        Some(uri) => match uri.as_str().strip_prefix(DOCUMENT_URI) {
            Some(fragment) if fragment.starts_with('#') => {
                ref_pointer(fragment).unwrap_or_else(|| fragment[1..].to_owned())
            }
            _ => uri.as_str().to_owned(),
        },
        None => error.schema_path().as_str().to_owned(),
    }
}

/// Pointers in document order: token by token, array indexes as numbers.
fn compare_pointers(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.split('/'), b.split('/'));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    _ => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// A pointer as a URI fragment: everything but unreserved characters and `/` percent-encoded.
fn encode_fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What the violated keyword expected, and what came instead, in a short sentence.
fn expectation(error: &ValidationError<'_>) -> String {
    let got = describe(error.instance());
    match error.kind() {
        ValidationErrorKind::Type { kind } => {
            let mut types: Vec<String> = match kind {
                TypeKind::Single(t) => vec![t.to_string()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
            };
            types.sort();
            format!("type {}, got {got}", types.join(" or "))
        }
        ValidationErrorKind::Required { property } => format!("required property {property}, missing"),
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            format!("no properties but those declared, got {}", quoted(unexpected))
        }
        ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            format!("no unevaluated properties, got {}", quoted(unexpected))
        }
        ValidationErrorKind::UnevaluatedItems { .. } => format!("no unevaluated items, got {got}"),
        ValidationErrorKind::AdditionalItems { limit } => {
            format!("at most {}, got {got}", count(*limit as u64, "item"))
        }
        ValidationErrorKind::Enum { options } => format!("one of {}, got {got}", short(options)),
        ValidationErrorKind::Constant { expected_value } => format!("{}, got {got}", short(expected_value)),
        ValidationErrorKind::Format { format } => format!("format {format}, got {got}"),
        ValidationErrorKind::Minimum { limit } => format!("at least {limit}, got {got}"),
        ValidationErrorKind::ExclusiveMinimum { limit } => format!("more than {limit}, got {got}"),
        ValidationErrorKind::Maximum { limit } => format!("at most {limit}, got {got}"),
        ValidationErrorKind::ExclusiveMaximum { limit } => format!("less than {limit}, got {got}"),
        ValidationErrorKind::MultipleOf { multiple_of } => format!("a multiple of {multiple_of}, got {got}"),
        ValidationErrorKind::MinLength { limit } => format!("at least {}, got {got}", count(*limit, "character")),
        ValidationErrorKind::MaxLength { limit } => format!("at most {}, got {got}", count(*limit, "character")),
        ValidationErrorKind::MinItems { limit } => format!("at least {}, got {got}", count(*limit, "item")),
        ValidationErrorKind::MaxItems { limit } => format!("at most {}, got {got}", count(*limit, "item")),
        ValidationErrorKind::MinProperties { limit } => format!("at least {}, got {got}", count(*limit, "property")),
        ValidationErrorKind::MaxProperties { limit } => format!("at most {}, got {got}", count(*limit, "property")),
        ValidationErrorKind::UniqueItems => format!("unique items, got {got} with duplicates"),
        ValidationErrorKind::Contains => format!("an item matching \"contains\", got {got} with none"),
        ValidationErrorKind::Pattern { pattern } => format!("a string matching /{pattern}/, got {got}"),
        ValidationErrorKind::OneOfNotValid { .. } => {
            format!("exactly one of the oneOf schemas, got {got} matching none")
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            format!("exactly one of the oneOf schemas, got {got} matching several")
        }
        ValidationErrorKind::AnyOf { .. } => format!("one of the anyOf schemas, got {got} matching none"),
        ValidationErrorKind::Not { .. } => format!("a value the \"not\" schema rejects, got {got}"),
        ValidationErrorKind::FalseSchema => format!("nothing here (the schema is false), got {got}"),
        ValidationErrorKind::PropertyNames { error } => {
            format!("property names the propertyNames schema accepts, got {}", describe(error.instance()))
        }
        _ => clip(&error.masked_with(got).to_string(), 200),
    }
}

/// A value in a few words: scalars as JSON (long strings cut), arrays and objects by size.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("an array of {}", count(items.len() as u64, "item")),
        Value::Object(map) => format!("an object of {}", count(map.len() as u64, "property")),
        scalar => short(scalar),
    }
}

/// `1 item`, `2 items`, `0 properties`.
fn count(n: u64, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}

/// A value as compact JSON, cut at 60 characters.
fn short(value: &Value) -> String {
    clip(&value.to_string(), 60)
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn quoted(names: &[String]) -> String {
    let names: Vec<String> = names.iter().map(|n| short(&Value::from(n.as_str()))).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_sort_in_document_order() {
        let mut pointers = vec!["/items/10/id", "/items/2", "", "/items/2/id", "/a"];
        pointers.sort_by(|a, b| compare_pointers(a, b));
        assert_eq!(pointers, ["", "/a", "/items/2", "/items/2/id", "/items/10/id"]);
    }

    #[test]
    fn fragments_round_trip_through_percent_encoding() {
        let pointer = "/paths/~1items~1{id}/get/responses/200/content/application~1json; q=\"1\"%/schema";
        let encoded = encode_fragment(pointer);
        assert!(!encoded.contains(['{', '}', ' ', '"', ';']), "{encoded}");
        assert_eq!(ref_pointer(&format!("#{encoded}")).as_deref(), Some(pointer));
    }

    #[test]
    fn long_values_are_cut() {
        let long = Value::from("x".repeat(100));
        assert_eq!(describe(&long).chars().count(), 61);
        assert_eq!(describe(&serde_json::json!([1, 2])), "an array of 2 items");
        assert_eq!(describe(&serde_json::json!({"a": 1})), "an object of 1 property");
    }
}
