//! Loading a description: JSON or YAML text to one document in the 2020-12 dialect, checked
//! by `oas3` for the shape of an OpenAPI description, with every internal `$ref` resolvable
//! and its operations listed.

use serde_json::Value;

use crate::model::{METHODS, Operation};
use crate::pointer;

/// A description that cannot be used: which source (file or URL), which line or JSON pointer,
/// and what was expected. Rendered as `SOURCE:LINE: POINTER: MESSAGE`.
pub type DescriptionError = certify_diag::FileError;

/// A loaded OpenAPI 3.0 or 3.1 description.
#[derive(Debug, Clone)]
pub struct Description {
    source: String,
    openapi: String,
    document: Value,
    operations: Vec<Operation>,
    /// The compiled schemas of response checks (`check.rs`), shared by clones.
    pub(crate) validators: crate::schema::Validators,
}

impl Description {
    /// Parses a description from its text. `source` names the file or URL in errors. JSON is
    /// recognised by its first non-blank character (`{`); anything else is read as YAML.
    pub fn parse(source: &str, text: &str) -> Result<Description, DescriptionError> {
        let error = |line: Option<usize>, key: Option<String>, message: String| {
            DescriptionError::new(source, line, key, message)
        };
        let mut document: Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| error(Some(e.line()), None, format!("not valid JSON: {e}")))?
        } else {
            yaml_serde::from_str(text)
                .map_err(|e| error(e.location().map(|l| l.line()), None, format!("not valid YAML (or JSON): {e}")))?
        };
        if !document.is_object() {
            return Err(error(None, None, "expected an OpenAPI description (a JSON or YAML object)".into()));
        }
        let openapi = match document.get("openapi") {
            Some(Value::String(v)) if v.starts_with("3.0.") || v.starts_with("3.1.") => v.clone(),
            Some(other) => {
                return Err(error(
                    None,
                    Some("/openapi".into()),
                    format!("expected OpenAPI 3.0.x or 3.1.x, got {other}"),
                ));
            }
            None if document.get("swagger").is_some() => {
                return Err(error(
                    None,
                    Some("/swagger".into()),
                    "Swagger 2.0 is not supported: expected an OpenAPI 3.0 or 3.1 description".into(),
                ));
            }
            None => {
                return Err(error(None, Some("/openapi".into()), "missing: expected \"3.0.x\" or \"3.1.x\"".into()));
            }
        };
        if openapi.starts_with("3.0.") {
            crate::dialect::upgrade_30(&mut document);
        }
        if let Err(e) = serde_json::from_value::<oas3::Spec>(document.clone()) {
            return Err(error(None, None, format!("not an OpenAPI {openapi} description: {e}")));
        }
        check_refs(&document, &document, &mut String::new()).map_err(|(at, message)| error(None, Some(at), message))?;
        let operations = operations(&document).map_err(|(at, message)| error(None, Some(at), message))?;
        Ok(Description { source: source.to_owned(), openapi, document, operations, validators: Default::default() })
    }

    /// The file or URL the description was read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Its `openapi` version, as written (`3.0.3`, `3.1.0`).
    pub fn openapi(&self) -> &str {
        &self.openapi
    }

    /// The document, with 3.0 schemas rewritten into JSON Schema 2020-12.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Every operation, in the order of `paths` and then of [`METHODS`].
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation a request is for: `method` (any case) and `path` relative to the target's
    /// base URL (starting with `/`, without query). Of several templates that match, the most
    /// concrete wins (`/items/mine` before `/items/{id}`). `None`: an undocumented endpoint.
    pub fn find(&self, method: &str, path: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method) && op.matches_path(path))
            .max_by_key(|op| (op.concreteness(), std::cmp::Reverse(op.pointer.len())))
    }

    /// The value at an RFC 6901 pointer of the document.
    pub fn at(&self, pointer: &str) -> Option<&Value> {
        self.document.pointer(pointer)
    }

    /// Follows `$ref`s from `value` (at most 64) to the object they name.
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..64 {
            match value.get("$ref").and_then(Value::as_str).and_then(|r| self.at(&ref_pointer(r)?)) {
                Some(target) => value = target,
                None => break,
            }
        }
        value
    }
}

/// The JSON pointer of an internal `$ref` (`#/components/schemas/A` gives
/// `/components/schemas/A`), percent-decoded; `None` for a reference into another document.
pub(crate) fn ref_pointer(reference: &str) -> Option<String> {
    let fragment = reference.strip_prefix('#')?;
    Some(percent_decode(fragment))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every `$ref` must name a place in this document.
fn check_refs(root: &Value, value: &Value, at: &mut String) -> Result<(), (String, String)> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                match ref_pointer(reference) {
                    Some(target) if root.pointer(&target).is_some() => {}
                    Some(_) => {
                        return Err((format!("{at}/$ref"), format!("{reference:?} names nothing in this description")));
                    }
                    None => {
                        return Err((
                            format!("{at}/$ref"),
                            format!(
                                "{reference:?} refers to another document: expected a self-contained description \
                                 (internal references like \"#/components/schemas/Item\" only)"
                            ),
                        ));
                    }
                }
            }
            for (key, member) in map {
                // Examples and extensions are data, not description.
                if key == "example" || key == "examples" || key.starts_with("x-") {
                    continue;
                }
                let len = at.len();
                at.push('/');
                at.push_str(&pointer::escape(key));
                check_refs(root, member, at)?;
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                check_refs(root, item, at)?;
                at.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

fn operations(document: &Value) -> Result<Vec<Operation>, (String, String)> {
    let mut found = Vec::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else { return Ok(found) };
    for (path, item) in paths {
        let item_pointer = format!("/paths/{}", pointer::escape(path));
        if !path.starts_with('/') {
            return Err((item_pointer, format!("path {path:?} must start with \"/\"")));
        }
        let mut item = item;
        let mut base = item_pointer.clone();
        if let Some(reference) = item.get("$ref").and_then(Value::as_str)
            && let Some(target) = ref_pointer(reference)
            && let Some(resolved) = document.pointer(&target)
        {
            item = resolved;
            base = target;
        }
        for method in METHODS {
            if let Some(operation) = item.get(*method) {
                found.push(Operation::new(method, path, format!("{base}/{method}"), operation));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
      "paths": {
        "/items/{id}": {"get": {"responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}}}},
        "/items/mine": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/items": {"post": {"responses": {"201": {"description": "ok"}}}}
      },
      "components": {"schemas": {"Item": {"type": "object"}}}}"##;

    #[test]
    fn lists_operations_and_prefers_concrete_paths() {
        let api = Description::parse("a.json", DOC).unwrap();
        let names: Vec<_> = api.operations().iter().map(Operation::name).collect();
        assert_eq!(names, ["GET /items/{id}", "GET /items/mine", "POST /items"]);
        assert_eq!(api.find("get", "/items/mine").unwrap().name(), "GET /items/mine");
        assert_eq!(api.find("GET", "/items/7").unwrap().pointer, "/paths/~1items~1{id}/get");
        assert!(api.find("DELETE", "/items/7").is_none());
        assert!(api.find("GET", "/items").is_none());
    }

    #[test]
    fn yaml_and_json_give_the_same_description() {
        let yaml = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /items:\n    post:\n      responses:\n        '201': {description: ok}\n";
        let api = Description::parse("a.yaml", yaml).unwrap();
        assert_eq!(api.operations()[0].name(), "POST /items");
    }

    #[test]
    fn errors_name_the_source_and_the_place() {
        let err = Description::parse("api/openapi.json", "{\n \"openapi\": \"3.1.0\",\n}").unwrap_err();
        assert!(err.to_string().starts_with("api/openapi.json:3: not valid JSON"), "{err}");
        let err = Description::parse("x.yaml", "swagger: '2.0'\n").unwrap_err();
        assert!(err.to_string().contains("/swagger: Swagger 2.0 is not supported"), "{err}");
        let err = Description::parse("x.yaml", "openapi: 3.1.0\ninfo: {title: t}\npaths: {}\n").unwrap_err();
        assert!(err.to_string().contains("version"), "{err}");
        let dangling = DOC.replace("#/components/schemas/Item", "#/components/schemas/Gone");
        let err = Description::parse("a.json", &dangling).unwrap_err();
        assert!(
            err.to_string().contains("/paths/~1items~1{id}/get/responses/200/content/application~1json/schema/$ref"),
            "{err}"
        );
        let external = DOC.replace("#/components/schemas/Item", "other.json#/Item");
        assert!(Description::parse("a.json", &external).unwrap_err().to_string().contains("another document"));
        let bad_yaml = Description::parse("a.yaml", "openapi: 3.1.0\n  info: [\n").unwrap_err();
        assert!(bad_yaml.to_string().starts_with("a.yaml:"), "{bad_yaml}");
    }

    #[test]
    fn a_30_description_is_read_in_its_dialect() {
        let text = r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
          "components": {"schemas": {"N": {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "nullable": true}}}}"#;
        let api = Description::parse("a.json", text).unwrap();
        assert_eq!(
            api.at("/components/schemas/N").unwrap(),
            &serde_json::json!({"type": ["integer", "null"], "exclusiveMinimum": 0})
        );
    }
}
