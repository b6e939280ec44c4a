//! Response conformance: a response checked against the operation its request matched
//! (PRODUCT.md section 11): a declared status (the code, its range like `4XX`, or `default`),
//! the declared headers, and the body against the schema of its media type.
//!
//! The rules, in the order violations are reported:
//!
//! 1. **Status**: the operation's `responses` lists the code, its range (`4XX`, any case) or
//!    `default`, tried in that order. An undeclared status is the only violation reported: with
//!    no declared response there is nothing to check the rest against.
//! 2. **Headers** (in the order the response declares them; `$ref`s followed): a header with
//!    `required: true` must be present (its name in any case). A present header must match its
//!    schema. Header values are text, so a value is first read as the type its schema allows
//!    (its `type`, or its members' through `anyOf`, `oneOf` and `allOf`; `$ref`s followed): a
//!    JSON number for `integer` or `number`, `true`/`false` for `boolean`, comma-separated items
//!    for `array` (each read as the items' type). A value that cannot be read so stays a string,
//!    and so breaks the schema. A header described by `content` instead of
//!    `schema` is parsed as JSON when its media type is JSON. `Content-Type` declared as a header
//!    is ignored, as OpenAPI says. Several fields of one name are joined with `", "`.
//! 3. **Body**, when the response declares `content`: the media type is the response's
//!    `Content-Type` without parameters, ignoring case, looked up as an exact key, then
//!    `type/*`, then `*/*` (without a `Content-Type`, the one declared media type, or `*/*`).
//!    A media type not declared is a violation naming the declared ones. A JSON media type
//!    (`application/json`, `*+json`) needs a body that parses as JSON (an empty body does not),
//!    validated against the media type's `schema` as JSON Schema 2020-12 (3.0 schemas were
//!    rewritten at load): one violation per error, ordered by their place in the body, each
//!    with its JSON pointer and the pointer of the violated keyword in the description
//!    (through `$ref`s: `/components/schemas/Item/properties/id/type`). Formats the
//!    `jsonschema` crate knows are checked (`date-time`, `email`, `uuid`, `ipv4`...); others
//!    (OpenAPI's `int32`, `int64`, `byte`...) are ignored. Bodies of other media types are
//!    checked only for their media type. A response that declares no `content` has no body
//!    rule: a 204, or a response to HEAD, passes with or without a body.
//!
//! A schema of the description that `jsonschema` cannot compile (a `pattern` that is not a
//! regular expression) is reported as a violation at the schema's pointer, never passed.
//! References resolve inside the description only: nothing a schema names (`$id`, `$schema`)
//! is read or fetched.
//! Validators are compiled once per schema pointer and kept in the [`Description`], so a run
//! checking every response from many tasks compiles each schema once.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::load::{Description, ref_pointer};
use crate::model::Operation;
use crate::pointer::escape;
use crate::schema::{describe, failures};

/// The response to check, as it was received.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// The status code.
    pub status: u16,
    /// Every header as received (names in any case).
    pub headers: &'a [(String, String)],
    /// The body as received (decoded from its content-encoding).
    pub body: &'a [u8],
}

/// The outcome of checking one exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Check {
    /// The response is what the operation declares.
    Conforms {
        /// `METHOD /path/template`.
        operation: String,
    },
    /// The response breaks the operation's declaration.
    Violations {
        /// `METHOD /path/template`.
        operation: String,
        /// The status the response had.
        status: u16,
        /// Every violation, in the order found.
        violations: Vec<Violation>,
    },
    /// No operation of the description has this method and path, yet the target answered as
    /// if the endpoint existed: an undocumented endpoint.
    Undocumented {
        /// The request's method.
        method: String,
        /// The request's path relative to the base URL.
        path: String,
    },
    /// No operation has this method and path, and the target answered 404 or 405
    /// ([`denies_endpoint`]): the platform and its description agree that the endpoint does
    /// not exist (a scenario checking the answer to an unknown path). Not a finding.
    Absent {
        /// The request's method.
        method: String,
        /// The request's path relative to the base URL.
        path: String,
        /// The status the target answered.
        status: u16,
    },
}

/// Whether a status says the endpoint does not exist (404 Not Found, 405 Method Not Allowed):
/// the one rule for an endpoint the description does not have and the target denies.
pub fn denies_endpoint(status: u16) -> bool {
    matches!(status, 404 | 405)
}

/// What part of the response a violation is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// The status code is not declared.
    Status,
    /// A declared header (its name as the description spells it).
    Header(String),
    /// The body (its media type, its JSON).
    Body,
}

/// One way the response breaks the description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// What part of the response.
    pub part: Part,
    /// RFC 6901 pointer into the body (`/items/0/id`; empty for the whole body), into a
    /// header's value read as its schema's type (`/1`, the second item of an array header), or
    /// empty.
    pub pointer: String,
    /// What the description expected, and what came instead.
    pub expected: String,
    /// RFC 6901 pointer of the description's rule that was broken, when there is one: the
    /// violated schema keyword (`/components/schemas/Item/properties/id/type`), a header's
    /// `required`, a response's `content` or media type, the operation's `responses`.
    pub rule: Option<String>,
}

impl Check {
    /// Whether the response breaks the description (violations or an undocumented endpoint).
    pub fn is_finding(&self) -> bool {
        matches!(self, Check::Violations { .. } | Check::Undocumented { .. })
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::Conforms { operation } => write!(f, "{operation}: the response conforms to the API description"),
            Check::Violations { operation, status, violations } => {
                write!(f, "{operation} answered {status}, which breaks the API description:")?;
                for violation in violations {
                    write!(f, "\n  {violation}")?;
                }
                Ok(())
            }
            Check::Undocumented { method, path } => {
                write!(f, "{method} {path} is not in the API description (an undocumented endpoint)")
            }
            Check::Absent { method, path, status } => write!(
                f,
                "{method} {path} is not in the API description, and the target answered {status}: \
                 the endpoint does not exist"
            ),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.part {
            Part::Status => write!(f, "status: {}", self.expected)?,
            Part::Header(name) if self.pointer.is_empty() => write!(f, "header {name}: {}", self.expected)?,
            Part::Header(name) => write!(f, "header {name} {}: {}", self.pointer, self.expected)?,
            Part::Body if self.pointer.is_empty() => write!(f, "body: {}", self.expected)?,
            Part::Body => write!(f, "body {}: {}", self.pointer, self.expected)?,
        }
        if let Some(rule) = &self.rule {
            write!(f, " (#{rule})")?;
        }
        Ok(())
    }
}

impl Description {
    /// Checks a response to `method path` (the path relative to the target's base URL, without
    /// query) against the operation it matches: its status, headers and body, every violation
    /// reported (see the module's rules). A request that matches no operation is
    /// [`Check::Undocumented`], or [`Check::Absent`] when the target denied it (404, 405).
    ///
    /// ```
    /// use certify_openapi::{Check, Description, Response};
    /// let api = Description::parse("openapi.json", r#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
    ///   "paths": {"/items/{id}": {"get": {"responses": {"200": {"description": "ok",
    ///     "content": {"application/json": {"schema": {"type": "object", "required": ["id"],
    ///       "properties": {"id": {"type": "integer"}}}}}}}}}}}"#).unwrap();
    /// let headers = [("content-type".to_owned(), "application/json".to_owned())];
    /// let response = Response { status: 200, headers: &headers, body: br#"{"id": "7"}"# };
    /// let check = api.check("GET", "/items/7", &response);
    /// assert_eq!(check.to_string(), "GET /items/{id} answered 200, which breaks the API description:\n  \
    ///   body /id: type integer, got \"7\" \
    ///   (#/paths/~1items~1{id}/get/responses/200/content/application~1json/schema/properties/id/type)");
    /// ```
    pub fn check(&self, method: &str, path: &str, response: &Response<'_>) -> Check {
        let Some(operation) = self.find(method, path) else {
            let (method, path) = (method.to_ascii_uppercase(), path.to_owned());
            return if denies_endpoint(response.status) {
                Check::Absent { method, path, status: response.status }
            } else {
                Check::Undocumented { method, path }
            };
        };
        let violations = self.violations(operation, response);
        if violations.is_empty() {
            Check::Conforms { operation: operation.name() }
        } else {
            Check::Violations { operation: operation.name(), status: response.status, violations }
        }
    }

    fn violations(&self, operation: &Operation, response: &Response<'_>) -> Vec<Violation> {
        let responses_at = format!("{}/responses", operation.pointer);
        let responses = self.at(&responses_at).and_then(Value::as_object);
        let Some(key) = responses.and_then(|r| declared_response(r, response.status)) else {
            let listed = responses.map(|r| r.keys().cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default();
            let listed = if listed.is_empty() { "none".to_owned() } else { listed };
            return vec![Violation {
                part: Part::Status,
                pointer: String::new(),
                expected: format!("{} is not declared (declared: {listed})", response.status),
                rule: Some(responses_at),
            }];
        };
        let mut violations = Vec::new();
        if let Some((at, declared)) = self.follow(format!("{responses_at}/{}", escape(key))) {
            self.check_headers(&at, declared, response, &mut violations);
            self.check_body(&at, declared, response, &mut violations);
        }
        violations
    }

    /// Rule 2: the declared headers of the response object at `at`.
    fn check_headers(&self, at: &str, declared: &Value, response: &Response<'_>, out: &mut Vec<Violation>) {
        let Some(headers) = declared.get("headers").and_then(Value::as_object) else { return };
        for name in headers.keys() {
            if name.eq_ignore_ascii_case("content-type") {
                continue;
            }
            let Some((header_at, header)) = self.follow(format!("{at}/headers/{}", escape(name))) else { continue };
            let part = Part::Header(name.clone());
            let values: Vec<&str> =
                response.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).collect();
            if values.is_empty() {
                if header.get("required") == Some(&Value::Bool(true)) {
                    out.push(Violation {
                        part,
                        pointer: String::new(),
                        expected: "required, missing".to_owned(),
                        rule: Some(format!("{header_at}/required")),
                    });
                }
                continue;
            }
            let text = values.join(", ");
            if let Some(schema) = header.get("schema") {
                let value = self.read_header(&text, schema);
                self.validate(&format!("{header_at}/schema"), &value, &part, out);
            } else if let Some((media_type, _)) =
                header.get("content").and_then(Value::as_object).and_then(|c| c.iter().next())
            {
                let media_at = format!("{header_at}/content/{}", escape(media_type));
                let value = if is_json(&essence(media_type)) {
                    match serde_json::from_str(&text) {
                        Ok(value) => value,
                        Err(e) => {
                            out.push(Violation {
                                part,
                                pointer: String::new(),
                                expected: format!("JSON ({media_type}), got a value that does not parse: {e}"),
                                rule: Some(media_at),
                            });
                            continue;
                        }
                    }
                } else {
                    Value::String(text)
                };
                let schema_at = format!("{media_at}/schema");
                if self.at(&schema_at).is_some() {
                    self.validate(&schema_at, &value, &part, out);
                }
            }
        }
    }

    /// A header's text as a value of its schema's type (see the module's rule 2).
    fn read_header(&self, text: &str, schema: &Value) -> Value {
        let types = self.schema_types(schema);
        if types.contains(&"array") {
            let items = self.resolve(schema).get("items").map(|items| self.schema_types(items)).unwrap_or_default();
            if text.is_empty() {
                return Value::Array(Vec::new());
            }
            return Value::Array(text.split(',').map(|item| read_scalar(item.trim(), &items)).collect());
        }
        read_scalar(text, &types)
    }

    /// The types a schema allows (`$ref`s followed): its `type`, or else those of its `anyOf`,
    /// `oneOf` and `allOf` members, looked through to a depth of 8 (3.0's `nullable` on a `$ref`
    /// becomes `anyOf: [{allOf: [$ref]}, {type: null}]`).
    fn schema_types<'a>(&'a self, schema: &'a Value) -> Vec<&'a str> {
        let mut types = Vec::new();
        self.collect_types(schema, 8, &mut types);
        types
    }

    fn collect_types<'a>(&'a self, schema: &'a Value, depth: usize, types: &mut Vec<&'a str>) {
        let schema = self.resolve(schema);
        match schema.get("type") {
            Some(Value::String(t)) => types.push(t),
            Some(Value::Array(list)) => types.extend(list.iter().filter_map(Value::as_str)),
            _ if depth > 0 => {
                for member in ["anyOf", "oneOf", "allOf"]
                    .iter()
                    .filter_map(|k| schema.get(*k).and_then(Value::as_array))
                    .flatten()
                {
                    self.collect_types(member, depth - 1, types);
                }
            }
            _ => {}
        }
    }

    /// Rule 3: the body, against the `content` of the response object at `at`.
    fn check_body(&self, at: &str, declared: &Value, response: &Response<'_>, out: &mut Vec<Violation>) {
        let Some(content) = declared.get("content").and_then(Value::as_object).filter(|c| !c.is_empty()) else {
            return;
        };
        let content_at = format!("{at}/content");
        let received =
            response.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| essence(v));
        let key = match &received {
            Some(media_type) => select(content, media_type),
            None if content.len() == 1 => content.keys().next(),
            None => content.keys().find(|k| essence(k) == "*/*"),
        };
        let Some(key) = key else {
            let got = match &received {
                Some(media_type) => media_type.clone(),
                None if response.body.is_empty() => "no body and no Content-Type".to_owned(),
                None => "a body without Content-Type".to_owned(),
            };
            let declared = content.keys().cloned().collect::<Vec<_>>().join(", ");
            out.push(Violation {
                part: Part::Body,
                pointer: String::new(),
                expected: format!("a declared media type ({declared}), got {got}"),
                rule: Some(content_at),
            });
            return;
        };
        let media_type = received.unwrap_or_else(|| essence(key));
        if !is_json(&media_type) {
            return;
        }
        let media_at = format!("{content_at}/{}", escape(key));
        let body: Value = match serde_json::from_slice(response.body) {
            Ok(body) => body,
            Err(e) => {
                let got = if response.body.is_empty() {
                    "an empty body".to_owned()
                } else {
                    format!("a body that does not parse: {e}")
                };
                out.push(Violation {
                    part: Part::Body,
                    pointer: String::new(),
                    expected: format!("JSON ({media_type}), got {got}"),
                    rule: Some(media_at),
                });
                return;
            }
        };
        let schema_at = format!("{media_at}/schema");
        if self.at(&schema_at).is_some() {
            self.validate(&schema_at, &body, &Part::Body, out);
        }
    }

    /// Validates `value` against the schema at `schema_at`, one violation per error.
    fn validate(&self, schema_at: &str, value: &Value, part: &Part, out: &mut Vec<Violation>) {
        match self.validators.get(self.document(), schema_at) {
            Ok(validator) => out.extend(failures(&validator, value).into_iter().map(|failure| Violation {
                part: part.clone(),
                pointer: failure.pointer,
                expected: failure.expected,
                rule: Some(failure.rule),
            })),
            Err(message) => out.push(Violation {
                part: part.clone(),
                pointer: String::new(),
                expected: format!(
                    "a schema certify can apply, got one it cannot ({message}); the value was {}",
                    describe(value)
                ),
                rule: Some(schema_at.to_owned()),
            }),
        }
    }

    /// Follows `$ref`s (at most 64) from the value at `pointer`: the pointer and value of the
    /// object they lead to, as [`Description::resolve`] does, keeping where it is.
    fn follow(&self, mut pointer: String) -> Option<(String, &Value)> {
        let mut value = self.at(&pointer)?;
        for _ in 0..64 {
            let Some(target) = value.get("$ref").and_then(Value::as_str).and_then(ref_pointer) else { break };
            let Some(next) = self.at(&target) else { break };
            (pointer, value) = (target, next);
        }
        Some((pointer, value))
    }
}

/// The key of `responses` that declares `status`: the code, its range (`4XX`, any case), or
/// `default`.
fn declared_response(responses: &Map<String, Value>, status: u16) -> Option<&String> {
    let code = status.to_string();
    let range = format!("{}XX", status / 100);
    responses
        .keys()
        .find(|k| **k == code)
        .or_else(|| responses.keys().find(|k| k.eq_ignore_ascii_case(&range)))
        .or_else(|| responses.keys().find(|k| *k == "default"))
}

/// The declared media type for a received one: the exact key, then `type/*`, then `*/*` (keys
/// compared without parameters, ignoring case).
fn select<'a>(content: &'a Map<String, Value>, media_type: &str) -> Option<&'a String> {
    let range = format!("{}/*", media_type.split('/').next().unwrap_or_default());
    [media_type, range.as_str(), "*/*"].iter().find_map(|wanted| content.keys().find(|k| essence(k) == *wanted))
}

/// A media type without its parameters, lower case (`application/json; charset=utf-8` gives
/// `application/json`).
fn essence(media_type: &str) -> String {
    media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// `application/json` and every `+json` type.
fn is_json(essence: &str) -> bool {
    essence == "application/json" || (essence.ends_with("+json") && essence.contains('/'))
}

/// A header's text (or one item of it) as one of `types`: a number for `integer`/`number`,
/// `true`/`false` for `boolean`, else the text itself.
fn read_scalar(text: &str, types: &[&str]) -> Value {
    if types.iter().any(|t| *t == "integer" || *t == "number")
        && let Ok(number) = text.parse::<serde_json::Number>()
    {
        return Value::Number(number);
    }
    if types.contains(&"boolean") && (text == "true" || text == "false") {
        return Value::Bool(text == "true");
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const API: &str = r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
      "paths": {
        "/a/{id}": {"get": {"responses": {"200": {"description": "ok",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}},
        "/b": {"get": {"responses": {"200": {"description": "ok",
          "headers": {"X-N": {"schema": {"type": "integer"}},
                      "X-List": {"schema": {"type": "array", "items": {"type": "integer"}}}},
          "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/A"}}}}}}}},
        "/escape": {"get": {"responses": {"200": {"description": "ok",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Escape"}}}}}}},
        "/meta": {"get": {"responses": {"200": {"description": "ok",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Meta"}}}}}}},
        "/loop": {"get": {"responses": {"200": {"description": "ok",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Loop"}}}}}}},
        "/broken": {"get": {"responses": {"200": {"description": "ok",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Broken"}}}}}}}
      },
      "components": {"schemas": {
        "A": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
        "Escape": {"$id": "file:///etc/", "type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}},
        "Meta": {"$schema": "file:///nonexistent/meta.json", "type": "string"},
        "Loop": {"$ref": "#/components/schemas/Loop2"},
        "Loop2": {"$ref": "#/components/schemas/Loop", "type": "object"},
        "Broken": {"type": "string", "pattern": "(unclosed"}
      }}}"##;

    fn json(status: u16, body: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        (status, vec![("Content-Type".to_owned(), "application/json".to_owned())], body.as_bytes().to_vec())
    }

    fn check(api: &Description, path: &str, (status, headers, body): &(u16, Vec<(String, String)>, Vec<u8>)) -> Check {
        api.check("GET", path, &Response { status: *status, headers, body })
    }

    #[test]
    fn a_description_is_shared_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Description>();
        send_sync::<Arc<Description>>();
    }

    #[test]
    fn each_schema_is_compiled_once_for_every_check_from_every_thread() {
        let api = Arc::new(Description::parse("api.json", API).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let api = Arc::clone(&api);
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let good = check(&api, &format!("/a/{i}"), &json(200, r#"{"id": 1}"#));
                        assert_eq!(good, Check::Conforms { operation: "GET /a/{id}".into() });
                        let bad = check(&api, "/b", &json(200, &format!(r#"[{{"id": "{t}"}}]"#)));
                        assert!(bad.is_finding(), "{bad}");
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        // Two body schemas; the header was absent, so its schema was never compiled.
        assert_eq!(api.validators.len(), 2, "{:?}", api.validators);
        let pointer = "/paths/~1a~1{id}/get/responses/200/content/application~1json/schema";
        let first = api.validators.get(api.document(), pointer).unwrap();
        let again = api.validators.get(api.document(), pointer).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        // A clone shares what was compiled.
        let clone = (*api).clone();
        assert!(Arc::ptr_eq(&first, &clone.validators.get(clone.document(), pointer).unwrap()));
        assert!(format!("{api:?}").contains("Validators { compiled: 2 }"), "{api:?}");
    }

    #[test]
    fn references_stay_inside_the_description_and_nothing_is_fetched() {
        let api = Description::parse("api.json", API).unwrap();
        // A schema's `$id` does not move its references out of the description.
        let found = check(&api, "/escape", &json(200, r#"{"a": {"id": "x"}}"#));
        let Check::Violations { violations, .. } = &found else { panic!("expected a violation, got {found}") };
        assert_eq!(violations.len(), 1, "{found}");
        assert_eq!(violations[0].rule.as_deref(), Some("/components/schemas/A/properties/id/type"), "{found}");
        // Nor the pointer of its own keywords' rules.
        let found = check(&api, "/escape", &json(200, "5"));
        let Check::Violations { violations, .. } = &found else { panic!("expected a violation, got {found}") };
        assert_eq!(violations[0].rule.as_deref(), Some("/components/schemas/Escape/type"), "{found}");
        // A subschema's `$schema` (a file that does not exist) is neither read nor obeyed: the
        // schema is 2020-12 like every other, and compiles.
        assert!(!check(&api, "/meta", &json(200, r#""text""#)).is_finding());
        let found = check(&api, "/meta", &json(200, "5"));
        let Check::Violations { violations, .. } = &found else { panic!("expected a violation, got {found}") };
        assert_eq!(violations[0].rule.as_deref(), Some("/components/schemas/Meta/type"), "{found}");
    }

    #[test]
    fn a_schema_that_does_not_compile_is_named_not_passed() {
        let api = Description::parse("api.json", API).unwrap();
        let found = check(&api, "/broken", &json(200, r#""text""#));
        let Check::Violations { violations, .. } = &found else { panic!("expected a violation, got {found}") };
        assert_eq!(violations.len(), 1, "{found}");
        assert!(violations[0].expected.contains("does not compile"), "{found}");
        assert!(violations[0].expected.contains(r#"the value was "text""#), "{found}");
    }

    #[test]
    fn violations_display_one_line_each_with_their_rule() {
        let api = Description::parse("api.json", API).unwrap();
        let (status, mut headers, body) = json(200, r#"[{"id": "1"}, {}]"#);
        headers.push(("x-n".to_owned(), "many".to_owned()));
        headers.push(("x-list".to_owned(), "1, two".to_owned()));
        let found = check(&api, "/b", &(status, headers, body));
        assert_eq!(
            found.to_string(),
            "GET /b answered 200, which breaks the API description:\n  \
             header X-N: type integer, got \"many\" (#/paths/~1b/get/responses/200/headers/X-N/schema/type)\n  \
             header X-List /1: type integer, got \"two\" \
             (#/paths/~1b/get/responses/200/headers/X-List/schema/items/type)\n  \
             body /0/id: type integer, got \"1\" (#/components/schemas/A/properties/id/type)\n  \
             body /1: required property \"id\", missing (#/components/schemas/A/required)"
        );
    }

    #[test]
    fn a_body_nested_past_the_parser_limit_is_a_violation_not_a_crash() {
        let api = Description::parse("api.json", API).unwrap();
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let found = check(&api, "/b", &json(200, &deep));
        let Check::Violations { violations, .. } = &found else { panic!("expected a violation, got {found}") };
        assert_eq!(violations.len(), 1, "{found}");
        assert!(
            violations[0].expected.starts_with("JSON (application/json), got a body that does not parse"),
            "{found}"
        );
    }

    #[test]
    fn a_reference_cycle_in_the_description_ends_and_its_keywords_still_apply() {
        let api = Description::parse("api.json", API).unwrap();
        assert!(!check(&api, "/loop", &json(200, "{}")).is_finding());
        let found = check(&api, "/loop", &json(200, "5"));
        let Check::Violations { violations, .. } = &found else { panic!("expected a violation, got {found}") };
        assert_eq!(violations.len(), 1, "{found}");
        assert_eq!(violations[0].rule.as_deref(), Some("/components/schemas/Loop2/type"), "{found}");
    }
}
