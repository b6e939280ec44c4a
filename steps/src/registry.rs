//! The step registry: every built-in step as a [`StepDef`] (stable id, the
//! human pattern as PRODUCT.md writes it, its anchored regex, an example, its
//! doc string / data table needs, one line of help, and its handler). The
//! runner runs each step through [`dispatch`], `certify steps` prints [`vocabulary`],
//! and `certify lint` uses [`resolve`] and [`check_static`]; all read this
//! one table, so what is documented is what runs.
//!
//! Every step matches whatever its keyword (Given, When, Then, And, But), and
//! no two patterns match the same text. A failing handler reports its
//! [`StepFailure`] with `std::panic::resume_unwind`, which unwinds
//! without invoking the panic hook; the runner downcasts the payload back to a
//! `StepFailure`.

use std::sync::LazyLock;

use cucumber::step::Context;
use futures::future::LocalBoxFuture;
use regex::{Regex, RegexSet};

use crate::failure::StepFailure;
use crate::steps::{capture, eventually, json, request, response, send};
use crate::world::World;
use crate::{fuzzy, http, jsonpath, snapshot, steps, text};

/// One built-in step.
#[derive(Debug, Clone, Copy)]
pub struct StepDef {
    /// Stable slug, e.g. `request-header`.
    pub id: &'static str,
    /// Human form as PRODUCT.md writes it: `the request header "NAME" is "VALUE"`.
    pub pattern: &'static str,
    /// Anchored regular expression source.
    pub regex: &'static str,
    /// A concrete step text that matches (no keyword).
    pub example: &'static str,
    /// For steps that take one, an example doc string (with its `"""`) or data table.
    pub example_arg: Option<&'static str>,
    /// Whether the step takes a doc string.
    pub doc_string: bool,
    /// Whether the step takes a data table.
    pub data_table: bool,
    /// One line of help.
    pub help: &'static str,
    /// The step function (cucumber's step type: the World and the step's `Context`).
    pub handler: cucumber::Step<World>,
}

/// Unwinds with the failure as payload (secrets redacted) so that the
/// runner records the step as failed; `resume_unwind` skips the panic hook.
fn fail(world: &World, failure: StepFailure) -> ! {
    std::panic::resume_unwind(Box::new(world.redact(failure)))
}

/// Wraps an `async fn(&mut World, &Context) -> Result<(), StepFailure>` into
/// a `cucumber::Step<World>`.
macro_rules! handler {
    ($path:path) => {{
        fn step(world: &mut World, ctx: Context) -> LocalBoxFuture<'_, ()> {
            Box::pin(async move {
                if let Err(failure) = $path(world, &ctx).await {
                    fail(world, failure);
                }
            })
        }
        step as cucumber::Step<World>
    }};
}

/// A `"..."` argument: anything but an unescaped double quote (`\"` and `\\`
/// are escapes).
macro_rules! s {
    () => {
        r#""((?:[^"\\]|\\.)*)""#
    };
}

/// A `VALUE` JSON literal (or a `{{name}}` that becomes one).
macro_rules! v {
    () => {
        r#"(true|false|null|["\[{\-0-9].*)"#
    };
}

/// The HTTP methods a send step accepts.
macro_rules! m {
    () => {
        "(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)"
    };
}

static VOCABULARY: [StepDef; 35] = [
    // Request state.
    StepDef {
        id: "request-header",
        pattern: r#"the request header "NAME" is "VALUE""#,
        regex: concat!("^the request header ", s!(), " is ", s!(), "$"),
        example: r#"the request header "Accept-Language" is "en""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Sets a header of the next request (replacing a target default of the same name).",
        handler: handler!(request::request_header),
    },
    StepDef {
        id: "request-headers",
        pattern: "the request headers are:",
        regex: "^the request headers are:$",
        example: "the request headers are:",
        example_arg: Some("| X-Trace-Id | demo-1 |\n| Accept     | application/json |"),
        doc_string: false,
        data_table: true,
        help: "Sets headers of the next request from a | NAME | VALUE | table.",
        handler: handler!(request::request_headers),
    },
    StepDef {
        id: "query-parameter",
        pattern: r#"the query parameter "NAME" is "VALUE""#,
        regex: concat!("^the query parameter ", s!(), " is ", s!(), "$"),
        example: r#"the query parameter "page" is "2""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Adds a query parameter to the next request.",
        handler: handler!(request::query_parameter),
    },
    StepDef {
        id: "query-parameters",
        pattern: "the query parameters are:",
        regex: "^the query parameters are:$",
        example: "the query parameters are:",
        example_arg: Some("| page | 2 |\n| size | 50 |"),
        doc_string: false,
        data_table: true,
        help: "Adds query parameters to the next request from a | NAME | VALUE | table.",
        handler: handler!(request::query_parameters),
    },
    StepDef {
        id: "request-body",
        pattern: "the request body is:",
        regex: "^the request body is:$",
        example: "the request body is:",
        example_arg: Some("\"\"\"\n{\"name\": \"acme\", \"plan\": \"free\"}\n\"\"\""),
        doc_string: true,
        data_table: false,
        help: "Sets the body of the next request (sent as JSON when it parses as JSON, else as text).",
        handler: handler!(request::request_body),
    },
    StepDef {
        id: "authenticated-as",
        pattern: r#"I am authenticated as "CREDENTIAL""#,
        regex: concat!("^I am authenticated as ", s!(), "$"),
        example: r#"I am authenticated as "admin""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Sends a credential declared in certify.toml with every following request of the scenario.",
        handler: handler!(request::authenticated_as),
    },
    StepDef {
        id: "not-authenticated",
        pattern: "I am not authenticated",
        regex: "^I am not authenticated$",
        example: "I am not authenticated",
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Sends no credential (not even the target's default) for the rest of the scenario.",
        handler: handler!(request::not_authenticated),
    },
    StepDef {
        id: "variable",
        pattern: r#"the variable "NAME" is "VALUE""#,
        regex: concat!("^the variable ", s!(), " is ", s!(), "$"),
        example: r#"the variable "plan" is "free""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Saves a variable for {{NAME}} interpolation.",
        handler: handler!(request::variable),
    },
    // Send.
    StepDef {
        id: "send",
        pattern: r#"I send a METHOD request to "URL""#,
        regex: concat!("^I send an? ", m!(), " request to ", s!(), "$"),
        example: r#"I send a GET request to "/v1/tenants?page=2""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Sends a request to a path relative to the target's base URL.",
        handler: handler!(send::send),
    },
    StepDef {
        id: "send-with-body",
        pattern: r#"I send a METHOD request to "URL" with body:"#,
        regex: concat!("^I send an? ", m!(), " request to ", s!(), " with body:$"),
        example: r#"I send a POST request to "/v1/tenants" with body:"#,
        example_arg: Some(
            "\"\"\"\n{\"name\": \"acme-{{run}}\", \"plan\": \"team\", \"admin_email\": \"ops@example.com\"}\n\"\"\"",
        ),
        doc_string: true,
        data_table: false,
        help: "Sends a request with the doc string as its body.",
        handler: handler!(send::send_with_body),
    },
    // Status and headers.
    StepDef {
        id: "status",
        pattern: "the response status is CODE",
        regex: r"^the response status is (\d+)$",
        example: "the response status is 201",
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks the status code of the last response.",
        handler: handler!(response::status),
    },
    StepDef {
        id: "status-one-of",
        pattern: "the response status is one of CODE, CODE[, CODE...]",
        regex: r"^the response status is one of (\d+(?:(?:\s*,\s*|\s*,?\s+or\s+)\d+)+)$",
        example: "the response status is one of 200, 204",
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks that the status code of the last response is one of a list.",
        handler: handler!(response::status_one_of),
    },
    StepDef {
        id: "response-header",
        pattern: r#"the response header "NAME" is "VALUE""#,
        regex: concat!("^the response header ", s!(), " is ", s!(), "$"),
        example: r#"the response header "Content-Type" is "application/json""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks the value of a response header (names are case-insensitive).",
        handler: handler!(response::header_is),
    },
    StepDef {
        id: "response-header-contains",
        pattern: r#"the response header "NAME" contains "TEXT""#,
        regex: concat!("^the response header ", s!(), " contains ", s!(), "$"),
        example: r#"the response header "Content-Type" contains "json""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks that a response header contains a text.",
        handler: handler!(response::header_contains),
    },
    StepDef {
        id: "response-header-exists",
        pattern: r#"the response header "NAME" exists"#,
        regex: concat!("^the response header ", s!(), " exists$"),
        example: r#"the response header "Retry-After" exists"#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks that the last response has a header.",
        handler: handler!(response::header_exists),
    },
    StepDef {
        id: "response-header-absent",
        pattern: r#"the response header "NAME" does not exist"#,
        regex: concat!("^the response header ", s!(), " does not exist$"),
        example: r#"the response header "Set-Cookie" does not exist"#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks that the last response does not have a header.",
        handler: handler!(response::header_absent),
    },
    StepDef {
        id: "response-headers",
        pattern: "the response headers include:",
        regex: "^the response headers include:$",
        example: "the response headers include:",
        example_arg: Some("| Content-Type | application/json |"),
        doc_string: false,
        data_table: true,
        help: "Checks response header values from a | NAME | VALUE | table.",
        handler: handler!(response::headers_include),
    },
    // Body.
    StepDef {
        id: "json-is",
        pattern: r#"the response JSON at "PATH" is VALUE"#,
        regex: concat!("^the response JSON at ", s!(), " is ", v!(), "$"),
        example: r#"the response JSON at "$.plan" is "free""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks that the one node at a JSONPath equals a JSON literal.",
        handler: handler!(json::json_is),
    },
    StepDef {
        id: "json-exists",
        pattern: r#"the response JSON at "PATH" exists"#,
        regex: concat!("^the response JSON at ", s!(), " exists$"),
        example: r#"the response JSON at "$.id" exists"#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks that a JSONPath selects something.",
        handler: handler!(json::json_exists),
    },
    StepDef {
        id: "json-absent",
        pattern: r#"the response JSON at "PATH" does not exist"#,
        regex: concat!("^the response JSON at ", s!(), " does not exist$"),
        example: r#"the response JSON at "$.password" does not exist"#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks that a JSONPath selects nothing.",
        handler: handler!(json::json_absent),
    },
    StepDef {
        id: "json-count",
        pattern: r#"the response JSON at "PATH" has N items"#,
        regex: concat!("^the response JSON at ", s!(), r" has (\d+) items?$"),
        example: r#"the response JSON at "$.items" has 3 items"#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks the length of the array at a JSONPath (or how many nodes a wildcard path selects).",
        handler: handler!(json::json_count),
    },
    StepDef {
        id: "json-contains",
        pattern: r#"the response JSON at "PATH" contains VALUE"#,
        regex: concat!("^the response JSON at ", s!(), " contains ", v!(), "$"),
        example: r#"the response JSON at "$.roles" contains "admin""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks that an array holds a value, or that a string holds a string.",
        handler: handler!(json::json_contains),
    },
    StepDef {
        id: "json-matches-regex",
        pattern: r#"the response JSON at "PATH" matches "REGEX""#,
        regex: concat!("^the response JSON at ", s!(), " matches ", s!(), "$"),
        example: r#"the response JSON at "$.id" matches "^t-[0-9a-f]+$""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks the one value at a JSONPath against a regular expression (unanchored unless ^...$).",
        handler: handler!(json::json_regex),
    },
    StepDef {
        id: "json-type",
        pattern: r#"the response JSON at "PATH" is a TYPE"#,
        regex: concat!("^the response JSON at ", s!(), " is an? (string|number|integer|boolean|array|object|null)$"),
        example: r#"the response JSON at "$.limits" is an object"#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks the JSON type of the value at a JSONPath: string, number, integer, boolean, array, object or null.",
        handler: handler!(json::json_type),
    },
    StepDef {
        id: "json-matches",
        pattern: "the response JSON matches:",
        regex: "^the response JSON matches:$",
        example: "the response JSON matches:",
        example_arg: Some(
            "\"\"\"\n{\"id\": \"#uuid\", \"plan\": \"free\", \"created_at\": \"#date-time\", \"tags\": \"#array\", \"note\": \"#ignore\"}\n\"\"\"",
        ),
        doc_string: true,
        data_table: false,
        help: "Fuzzy-matches the body against a JSON doc string with markers such as #string, #uuid, #ignore.",
        handler: handler!(json::json_matches),
    },
    StepDef {
        id: "json-has",
        pattern: "the response JSON has:",
        regex: "^the response JSON has:$",
        example: "the response JSON has:",
        example_arg: Some("| $.plan       | \"free\" |\n| $.limits.rps | 10     |"),
        doc_string: false,
        data_table: true,
        help: "Checks values from a | PATH | VALUE | table (each row an equality check).",
        handler: handler!(json::json_has),
    },
    StepDef {
        id: "body-contains",
        pattern: r#"the response body contains "TEXT""#,
        regex: concat!("^the response body contains ", s!(), "$"),
        example: r#"the response body contains "tenant""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks that the raw body contains a text.",
        handler: handler!(response::body_contains),
    },
    StepDef {
        id: "json-schema",
        pattern: r#"the response JSON conforms to the schema "FILE""#,
        regex: concat!("^the response JSON conforms to the schema ", s!(), "$"),
        example: r#"the response JSON conforms to the schema "schemas/tenant.json""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Validates the body against a JSON Schema file, relative to the feature file.",
        handler: handler!(json::json_schema),
    },
    StepDef {
        id: "api-conformance",
        pattern: "the response conforms to the API description",
        regex: "^the response conforms to the API description$",
        example: "the response conforms to the API description",
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks the last response against the target's API description (certify.toml api): declared status, headers and body schema.",
        handler: handler!(response::conforms_to_api),
    },
    StepDef {
        id: "snapshot",
        pattern: r#"the response body matches the snapshot "NAME""#,
        regex: concat!("^the response body matches the snapshot ", s!(), "$"),
        example: r#"the response body matches the snapshot "tenant-created""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Compares the body (dynamic fields redacted) with an approved insta snapshot.",
        handler: handler!(json::snapshot),
    },
    // Capture.
    StepDef {
        id: "save-json",
        pattern: r#"I save the response JSON at "PATH" as "NAME""#,
        regex: concat!("^I save the response JSON at ", s!(), " as ", s!(), "$"),
        example: r#"I save the response JSON at "$.id" as "tenant_id""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Saves the value at a JSONPath as a variable.",
        handler: handler!(capture::save_json),
    },
    StepDef {
        id: "save-header",
        pattern: r#"I save the response header "HEADER" as "NAME""#,
        regex: concat!("^I save the response header ", s!(), " as ", s!(), "$"),
        example: r#"I save the response header "Location" as "tenant_url""#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Saves a response header as a variable.",
        handler: handler!(capture::save_header),
    },
    // Time and eventual consistency.
    StepDef {
        id: "response-time",
        pattern: "the response time is under N ms",
        regex: r"^the response time is under (\d+) ms$",
        example: "the response time is under 500 ms",
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Checks how long the last exchange took.",
        handler: handler!(response::response_time),
    },
    StepDef {
        id: "eventually-status",
        pattern: r#"within N seconds a GET request to "URL" returns status CODE"#,
        regex: concat!(r"^within (\d+) seconds? a GET request to ", s!(), r" returns status (\d+)$"),
        example: r#"within 10 seconds a GET request to "/v1/tenants/{{tenant_id}}" returns status 200"#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Polls with GET until the status is CODE or the time is up.",
        handler: handler!(eventually::eventually_status),
    },
    StepDef {
        id: "eventually-json",
        pattern: r#"within N seconds a GET request to "URL" returns JSON at "PATH" equal to VALUE"#,
        regex: concat!(
            r"^within (\d+) seconds? a GET request to ",
            s!(),
            " returns JSON at ",
            s!(),
            " equal to ",
            v!(),
            "$"
        ),
        example: r#"within 10 seconds a GET request to "/v1/usage" returns JSON at "$.requests" equal to 3"#,
        example_arg: None,
        doc_string: false,
        data_table: false,
        help: "Polls with GET until the value at a JSONPath equals VALUE or the time is up.",
        handler: handler!(eventually::eventually_json),
    },
];

/// Every built-in step, in documentation order.
pub fn vocabulary() -> &'static [StepDef] {
    &VOCABULARY
}

/// The compiled regex of every step, in vocabulary order.
fn compiled() -> &'static [Regex] {
    static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        VOCABULARY
            .iter()
            .map(|def| {
                Regex::new(def.regex).unwrap_or_else(|e| unreachable!("built-in step regex {} is invalid: {e}", def.id))
            })
            .collect()
    });
    &COMPILED
}

/// Every step's regex in one set, in vocabulary order: one pass over a step
/// text finds every pattern it matches, whatever the vocabulary's size.
fn set() -> &'static RegexSet {
    static SET: LazyLock<RegexSet> = LazyLock::new(|| {
        RegexSet::new(VOCABULARY.iter().map(|def| def.regex))
            .unwrap_or_else(|e| unreachable!("built-in step regexes do not form a set: {e}"))
    });
    &SET
}

/// The indices (in vocabulary order) of the steps whose regex matches `text`.
fn matching(text: &str) -> Vec<usize> {
    set().matches(text).into_iter().collect()
}

/// A scenario's step resolved to what runs it.
pub enum Dispatch {
    /// Exactly one step matches: its definition (whose `handler` runs it)
    /// and the context the handler takes (the step, and the regex's
    /// captures as cucumber gives them: the whole match first, then every
    /// group, an empty text for a group that took no part).
    Run { def: &'static StepDef, context: Context },
    /// No step matches; `closest` as [`resolve`] finds it.
    Undefined { closest: Option<&'static StepDef> },
    /// Several steps match (never the case for the built-in vocabulary).
    Ambiguous(Vec<&'static StepDef>),
}

/// Resolves a step of a scenario to its handler, whatever its keyword: one
/// pass of the vocabulary's [`RegexSet`], then the captures of the one
/// regex that matched.
pub fn dispatch(step: &gherkin::Step) -> Dispatch {
    let text = step.value.as_str();
    match matching(text).as_slice() {
        [index] => {
            let (Some(def), Some(regex)) = (VOCABULARY.get(*index), compiled().get(*index)) else {
                return Dispatch::Undefined { closest: None };
            };
            let Some(captures) = regex.captures(text) else {
                return Dispatch::Undefined { closest: closest(text) };
            };
            let matches = regex
                .capture_names()
                .zip(captures.iter())
                .map(|(name, group)| (name.map(str::to_owned), group.map_or("", |m| m.as_str()).to_owned()))
                .collect();
            Dispatch::Run { def, context: Context { step: step.clone(), matches } }
        }
        [] => Dispatch::Undefined { closest: closest(text) },
        several => Dispatch::Ambiguous(several.iter().filter_map(|i| VOCABULARY.get(*i)).collect()),
    }
}

/// One capture group of a step text under a step's regex: where it starts
/// (a byte offset into the text) and the text it holds, as written (escapes
/// and `{{...}}` not yet processed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepArgument {
    pub start: usize,
    pub value: String,
    /// What the group holds, one of certify's argument kinds (`string`,
    /// `header`, `url`, `jsonpath`, `value`, `regex`, `status`, `statuses`,
    /// `count`, `snapshot`, `word`).
    pub kind: &'static str,
}

impl StepDef {
    /// The capture groups of `text` under this step's regex, in order (a
    /// group that took no part in the match is `None`), or `None` when the
    /// text does not match. No built-in regex nests a capture group in another.
    pub fn arguments(&self, text: &str) -> Option<Vec<Option<StepArgument>>> {
        let index = vocabulary().iter().position(|d| d.id == self.id)?;
        let captures = compiled().get(index)?.captures(text)?;
        let kinds = args(self.id);
        Some(
            captures
                .iter()
                .skip(1)
                .enumerate()
                .map(|(i, group)| {
                    group.map(|m| StepArgument {
                        start: m.start(),
                        value: m.as_str().to_owned(),
                        kind: kinds.get(i).map_or("string", |k| k.name()),
                    })
                })
                .collect(),
        )
    }
}

/// What a step text resolves to.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Exactly one step matches.
    Matched(&'static StepDef),
    /// No step matches; `closest` is the most similar pattern, if any is
    /// reasonably close.
    Undefined { closest: Option<&'static StepDef> },
    /// Several steps match (never the case for the built-in vocabulary).
    Ambiguous(Vec<&'static StepDef>),
}

/// Resolves a keyword-less step text against the vocabulary; an undefined
/// text gets the closest pattern by edit distance (quoted strings and
/// placeholders compared as blanks).
pub fn resolve(text: &str) -> Resolution {
    let matched: Vec<&'static StepDef> = matching(text).into_iter().filter_map(|i| VOCABULARY.get(i)).collect();
    match matched.as_slice() {
        [one] => Resolution::Matched(one),
        [] => Resolution::Undefined { closest: closest(text) },
        _ => Resolution::Ambiguous(matched),
    }
}

/// The pattern nearest to `text`, when it is at most half different.
fn closest(text: &str) -> Option<&'static StepDef> {
    let text = shape(text, false);
    vocabulary()
        .iter()
        .map(|def| {
            let pattern = shape(def.pattern, true);
            let distance = strsim::levenshtein(&text, &pattern);
            let longest = text.chars().count().max(pattern.chars().count()).max(1);
            (def, distance, longest)
        })
        .filter(|(_, distance, longest)| distance * 2 <= *longest)
        .min_by_key(|(_, distance, _)| *distance)
        .map(|(def, _, _)| def)
}

/// A text reduced to its shape for comparison: quoted strings become `""`;
/// in patterns, upper-case placeholders become `_`; in step texts, numbers
/// and JSON literals after " is " do too.
fn shape(text: &str, is_pattern: bool) -> String {
    static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#""(?:[^"\\]|\\.)*""#).unwrap_or_else(|e| unreachable!("quoted-string regex: {e}"))
    });
    static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:METHOD|CODE|N|VALUE|TYPE)\b(?:, CODE\[, CODE\.\.\.\])?")
            .unwrap_or_else(|e| unreachable!("placeholder regex: {e}"))
    });
    static LITERAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:\d+|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|true|false|null)\b")
            .unwrap_or_else(|e| unreachable!("literal regex: {e}"))
    });
    let quoted = QUOTED.replace_all(text, "\"\"");
    if is_pattern {
        PLACEHOLDER.replace_all(&quoted, "_").into_owned()
    } else {
        LITERAL.replace_all(&quoted, "_").into_owned()
    }
}

/// What kind of value a capture group holds, for static checks.
#[derive(Debug, Clone, Copy)]
enum Arg {
    Text,
    Path,
    Value,
    Regex,
    Code,
    Codes,
    Count,
    Url,
    Snapshot,
    Fixed,
    /// An HTTP header name to send.
    Header,
}

impl Arg {
    /// The name a report shows for the kind (Cucumber's `parameterTypeName`).
    fn name(self) -> &'static str {
        match self {
            Arg::Text => "string",
            Arg::Path => "jsonpath",
            Arg::Value => "value",
            Arg::Regex => "regex",
            Arg::Code => "status",
            Arg::Codes => "statuses",
            Arg::Count => "count",
            Arg::Url => "url",
            Arg::Snapshot => "snapshot",
            Arg::Fixed => "word",
            Arg::Header => "header",
        }
    }
}

/// The capture groups of each step, in order.
fn args(id: &str) -> &'static [Arg] {
    use Arg::*;
    match id {
        "request-header" => &[Header, Text],
        "query-parameter" | "variable" | "response-header" | "response-header-contains" | "save-header" => {
            &[Text, Text]
        }
        "authenticated-as" | "response-header-exists" | "response-header-absent" | "body-contains" => &[Text],
        "json-schema" => &[Text],
        "send" | "send-with-body" => &[Fixed, Url],
        "status" => &[Code],
        "status-one-of" => &[Codes],
        "json-is" | "json-contains" => &[Path, Value],
        "json-exists" | "json-absent" => &[Path],
        "json-count" => &[Path, Count],
        "json-matches-regex" => &[Path, Regex],
        "json-type" => &[Path, Fixed],
        "snapshot" => &[Snapshot],
        "save-json" => &[Path, Text],
        "response-time" => &[Count],
        "eventually-status" => &[Count, Url, Code],
        "eventually-json" => &[Count, Url, Path, Value],
        _ => &[],
    }
}

/// Static checks of one step's arguments without sending anything (used by
/// `certify lint`): invalid JSONPath, invalid regex, VALUE that is not a JSON
/// literal, status codes out of range, absolute URLs, bad snapshot names,
/// unknown fuzzy markers or non-JSON in a `the response JSON matches:` doc
/// string, and a missing or unexpected doc string or data table. Arguments
/// that contain `{{...}}` are skipped where they cannot be checked before
/// interpolation. A text that does not resolve to exactly one step yields no
/// findings here: [`resolve`] reports that.
pub fn check_static(text: &str, doc_string: Option<&str>, has_table: bool) -> Vec<String> {
    let Resolution::Matched(def) = resolve(text) else {
        return Vec::new();
    };
    check_matched(def, text, doc_string, has_table)
}

/// [`check_static`] of a step already resolved to `def` (lint resolves each step once).
pub fn check_matched(def: &StepDef, text: &str, doc_string: Option<&str>, has_table: bool) -> Vec<String> {
    let Some(regex) =
        vocabulary().iter().position(|candidate| std::ptr::eq(candidate, def)).and_then(|index| compiled().get(index))
    else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    match (def.doc_string, doc_string.is_some()) {
        (true, false) => findings.push(format!("step \"{text}\" needs a doc string (\"\"\" ... \"\"\")")),
        (false, true) => findings.push(format!("step \"{text}\" does not take a doc string")),
        _ => {}
    }
    match (def.data_table, has_table) {
        (true, false) => findings.push(format!("step \"{text}\" needs a data table")),
        (false, true) => findings.push(format!("step \"{text}\" does not take a data table")),
        _ => {}
    }
    if let Some(captures) = regex.captures(text) {
        for (group, kind) in args(def.id).iter().enumerate() {
            let raw = captures.get(group + 1).map_or("", |m| m.as_str());
            if let Some(finding) = check_arg(*kind, raw) {
                findings.push(finding);
            }
        }
    }
    if def.id == "json-matches"
        && let Some(doc) = doc_string
    {
        match serde_json::from_str::<serde_json::Value>(doc) {
            Ok(expected) => {
                if let Err(failure) = fuzzy::compile(&expected) {
                    findings.push(failure.message);
                }
            }
            Err(_) if doc.contains("{{") => {}
            Err(e) => findings.push(format!("the doc string of \"{text}\" is not JSON: {e}")),
        }
    }
    findings
}

/// The unescaped text of capture `group` (1-based) of a step that resolves to `id`.
/// The literal text every match of an anchored step regex starts with (`the variable ` for
/// `^the variable "(...)" is ...`): the regex up to its first metacharacter, less a character a
/// quantifier makes optional. A cheap test that rules a text out before any regex runs.
fn literal_prefix(regex: &str) -> &str {
    let Some(body) = regex.strip_prefix('^') else { return "" };
    let mut end = 0;
    for (i, c) in body.char_indices() {
        match c {
            '?' | '*' | '{' => {
                // The previous character is optional or repeated: it is not part of the prefix.
                end = body[..i].char_indices().last().map_or(0, |(j, _)| j);
                break;
            }
            '\\' | '.' | '+' | '(' | ')' | '[' | ']' | '|' | '^' | '$' => {
                end = i;
                break;
            }
            _ => end = i + c.len_utf8(),
        }
    }
    &body[..end]
}

/// The steps that define a variable, and the group that names it.
const DEFINES: &[(&str, usize)] = &[("variable", 1), ("save-json", 2), ("save-header", 2)];
/// The steps that read a file, and the group that names it.
const READS: &[(&str, usize)] = &[("json-schema", 1), ("snapshot", 1)];

/// For each `(id, group)` of `wanted`: the step's index in the vocabulary, the group, and its
/// literal prefix.
fn wanted_steps(wanted: &[(&str, usize)]) -> Vec<(usize, usize, &'static str)> {
    wanted
        .iter()
        .filter_map(|(id, group)| {
            let index = vocabulary().iter().position(|d| d.id == *id)?;
            Some((index, *group, literal_prefix(vocabulary()[index].regex)))
        })
        .collect()
}

/// The group of `text` that one of `wanted` (index, group, prefix) names, when the text
/// resolves to that step, unescaped. The text is resolved only when it starts with the
/// literal prefix of one of them, and then once.
fn capture(text: &str, wanted: &[(usize, usize, &'static str)]) -> Option<String> {
    if !wanted.iter().any(|(_, _, prefix)| text.starts_with(prefix)) {
        return None;
    }
    let Resolution::Matched(def) = resolve(text) else { return None };
    let &(index, group, _) = wanted.iter().find(|(index, _, _)| std::ptr::eq(&vocabulary()[*index], def))?;
    let regex = compiled().get(index)?;
    regex.captures(text).and_then(|c| c.get(group)).map(|m| text::unescape(m.as_str()))
}

/// The variable a step saves (`I save ... as "NAME"`, `the variable "NAME"
/// is ...`), as written (it may itself hold `{{...}}`).
pub fn defined_variable(text: &str) -> Option<String> {
    static WANTED: LazyLock<Vec<(usize, usize, &'static str)>> = LazyLock::new(|| wanted_steps(DEFINES));
    capture(text, &WANTED)
}

/// A file a step reads, as written in the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepFile {
    /// `the response JSON conforms to the schema "FILE"`: relative to the feature file.
    Schema(String),
    /// `the response body matches the snapshot "NAME"`: `<snapshots dir>/NAME.snap`.
    Snapshot(String),
}

/// The file a step reads, if it reads one.
pub fn step_files(text: &str) -> Option<StepFile> {
    static WANTED: LazyLock<Vec<(usize, usize, &'static str)>> = LazyLock::new(|| wanted_steps(READS));
    let name = capture(text, &WANTED)?;
    // The two patterns read their file at the same group: which one matched says which file.
    if matches!(resolve(text), Resolution::Matched(def) if def.id == "json-schema") {
        Some(StepFile::Schema(name))
    } else {
        Some(StepFile::Snapshot(name))
    }
}

/// Whether a JSONPath compiles, remembered per thread for the paths seen last: a suite asks the
/// same few paths thousands of times (`$.id` in every scenario).
fn path_checked(path: &str) -> Result<(), StepFailure> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    const KEPT: usize = 4096;
    thread_local! {
        static SEEN: RefCell<HashMap<String, Result<(), StepFailure>>> = RefCell::new(HashMap::new());
    }
    if let Some(known) = SEEN.with(|seen| seen.borrow().get(path).cloned()) {
        return known;
    }
    let outcome = jsonpath::compile(path).map(drop);
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        if seen.len() >= KEPT {
            seen.clear();
        }
        seen.insert(path.to_owned(), outcome.clone());
    });
    outcome
}

fn check_arg(kind: Arg, raw: &str) -> Option<String> {
    if raw.contains("{{") {
        return None;
    }
    let unquoted = text::unescape(raw);
    let outcome = match kind {
        Arg::Text | Arg::Fixed => Ok(()),
        Arg::Path => path_checked(&unquoted),
        Arg::Value => text::parse_value(raw).map(drop),
        Arg::Regex => Regex::new(&unquoted)
            .map(drop)
            .map_err(|e| StepFailure::error(format!("invalid regular expression \"{unquoted}\": {e}"))),
        Arg::Code => steps::status_code(raw).map(drop),
        Arg::Codes => steps::status_codes(raw).map(drop),
        Arg::Count => steps::count(raw).map(drop),
        Arg::Url => url::Url::parse("http://certify.invalid/")
            .map_err(|e| StepFailure::error(e.to_string()))
            .and_then(|base| http::join_url(&base, &unquoted))
            .map(drop),
        Arg::Snapshot => snapshot::snapshot_path(std::path::Path::new("."), &unquoted).map(drop),
        Arg::Header => reqwest::header::HeaderName::from_bytes(unquoted.as_bytes()).map(drop).map_err(|_| {
            StepFailure::error(format!(
                "\"{unquoted}\" is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~, nothing else)"
            ))
        }),
    };
    outcome.err().map(|failure| failure.message)
}

#[cfg(test)]
mod tests {
    #[test]
    fn steps_with_an_argument_show_a_valid_one() {
        for d in vocabulary() {
            assert_eq!(d.example_arg.is_some(), d.doc_string || d.data_table, "{}: example_arg", d.id);
            if let Some(arg) = d.example_arg {
                let doc = d.doc_string.then(|| {
                    let inner: Vec<&str> = arg.lines().filter(|l| !l.starts_with("\"\"\"")).collect();
                    inner.join("\n")
                });
                let problems = check_static(d.example, doc.as_deref(), d.data_table);
                assert!(problems.is_empty(), "{}: {problems:?}", d.id);
            }
        }
    }

    use super::*;

    #[test]
    fn literal_prefixes_are_what_every_match_starts_with() {
        let prefix = |id: &str| literal_prefix(vocabulary().iter().find(|d| d.id == id).expect(id).regex);
        assert_eq!(prefix("variable"), "the variable \"");
        assert_eq!(prefix("send"), "I send a");
        assert_eq!(prefix("status"), "the response status is ");
        assert_eq!(literal_prefix("^ab*c"), "a");
        assert_eq!(literal_prefix("^a{2}"), "");
        assert_eq!(literal_prefix("unanchored"), "");
        for def in vocabulary() {
            let p = literal_prefix(def.regex);
            assert!(def.example.starts_with(p), "{}: {:?} is not a prefix of {:?}", def.id, p, def.example);
            assert!(!p.is_empty(), "{}: no literal prefix: every step starts with words", def.id);
        }
        // The prefilter never hides a variable or a file a step names.
        assert_eq!(
            defined_variable(r#"I save the response JSON at "$.id" as "tenant_id""#).as_deref(),
            Some("tenant_id")
        );
        assert_eq!(defined_variable(r#"the variable "plan" is "free""#).as_deref(), Some("plan"));
        assert_eq!(defined_variable(r#"the response status is 200"#), None);
        assert_eq!(
            step_files(r#"the response JSON conforms to the schema "s.json""#),
            Some(StepFile::Schema("s.json".into()))
        );
        assert_eq!(step_files(r#"the response body matches the snapshot "n""#), Some(StepFile::Snapshot("n".into())));
        assert_eq!(step_files(r#"the response status is 200"#), None);
    }

    #[test]
    fn every_regex_compiles_and_is_anchored() {
        for def in vocabulary() {
            assert!(Regex::new(def.regex).is_ok(), "{}", def.id);
            assert!(def.regex.starts_with('^') && def.regex.ends_with('$'), "{}", def.id);
        }
        assert_eq!(compiled().len(), vocabulary().len());
    }

    #[test]
    fn ids_are_unique_slugs() {
        let mut ids: Vec<&str> = vocabulary().iter().map(|d| d.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before);
        for id in ids {
            assert!(id.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{id}");
        }
    }

    #[test]
    fn every_example_resolves_to_its_own_definition() {
        for def in vocabulary() {
            match resolve(def.example) {
                Resolution::Matched(found) => assert_eq!(found.id, def.id, "{}", def.example),
                other => panic!("{} resolved to {other:?}", def.example),
            }
        }
    }

    #[test]
    fn steps_taking_a_doc_string_or_table_end_with_a_colon() {
        for def in vocabulary() {
            assert_eq!(def.doc_string || def.data_table, def.pattern.ends_with(':'), "{}", def.id);
            assert_eq!(def.example.ends_with(':'), def.pattern.ends_with(':'), "{}", def.id);
        }
    }

    #[test]
    fn every_product_pattern_is_registered() {
        let product = [
            r#"the request header "NAME" is "VALUE""#,
            r#"the query parameter "NAME" is "VALUE""#,
            "the request body is:",
            r#"I am authenticated as "CREDENTIAL""#,
            "I am not authenticated",
            r#"the variable "NAME" is "VALUE""#,
            r#"I send a METHOD request to "URL""#,
            r#"I send a METHOD request to "URL" with body:"#,
            "the response status is CODE",
            "the response status is one of CODE, CODE[, CODE...]",
            r#"the response header "NAME" is "VALUE""#,
            r#"the response header "NAME" contains "TEXT""#,
            r#"the response header "NAME" exists"#,
            r#"the response header "NAME" does not exist"#,
            r#"the response JSON at "PATH" is VALUE"#,
            r#"the response JSON at "PATH" exists"#,
            r#"the response JSON at "PATH" does not exist"#,
            r#"the response JSON at "PATH" has N items"#,
            r#"the response JSON at "PATH" contains VALUE"#,
            r#"the response JSON at "PATH" matches "REGEX""#,
            r#"the response JSON at "PATH" is a TYPE"#,
            "the response JSON matches:",
            r#"the response body contains "TEXT""#,
            r#"the response JSON conforms to the schema "FILE""#,
            "the response conforms to the API description",
            r#"the response body matches the snapshot "NAME""#,
            r#"I save the response JSON at "PATH" as "NAME""#,
            r#"I save the response header "HEADER" as "NAME""#,
            "the response time is under N ms",
            r#"within N seconds a GET request to "URL" returns status CODE"#,
            r#"within N seconds a GET request to "URL" returns JSON at "PATH" equal to VALUE"#,
            "the request headers are:",
            "the query parameters are:",
            "the response JSON has:",
            "the response headers include:",
        ];
        for pattern in product {
            assert!(vocabulary().iter().any(|d| d.pattern == pattern), "missing {pattern}");
        }
        assert_eq!(product.len(), vocabulary().len());
    }

    fn id_of(text: &str) -> Option<&'static str> {
        match resolve(text) {
            Resolution::Matched(def) => Some(def.id),
            Resolution::Undefined { .. } => None,
            Resolution::Ambiguous(defs) => panic!("{text} is ambiguous: {defs:?}"),
        }
    }

    #[test]
    fn texts_that_look_alike_resolve_to_one_step() {
        let cases = [
            (r#"the response JSON at "$.a" is "a string""#, "json-is"),
            (r#"the response JSON at "$.a" is a string"#, "json-type"),
            (r#"the response JSON at "$.a" is an array"#, "json-type"),
            (r#"the response JSON at "$.a" is null"#, "json-is"),
            (r#"the response JSON at "$.a" is {{n}}"#, "json-is"),
            (r#"the response JSON at "$.a" is -1.5"#, "json-is"),
            (r#"the response JSON at "$.a" is [1, 2]"#, "json-is"),
            (r#"the response JSON at "$.a" contains {"id": 1}"#, "json-contains"),
            (r#"the response JSON at "$.a" matches "^x$""#, "json-matches-regex"),
            (r#"the response JSON at "$.a" has 1 item"#, "json-count"),
            (r#"the response JSON at "$[?@.x == \"is\"]" exists"#, "json-exists"),
            (r#"the response header "A" is "b""#, "response-header"),
            (r#"the response header "A" contains "is""#, "response-header-contains"),
            ("the response status is 200", "status"),
            ("the response status is one of 200, 201, 204", "status-one-of"),
            ("the response status is one of 200 or 204", "status-one-of"),
            (r#"I send an OPTIONS request to "/""#, "send"),
            (r#"I send a DELETE request to "/x" with body:"#, "send-with-body"),
            (r#"the request header "A" is "say \"hi\"""#, "request-header"),
            (r#"within 1 second a GET request to "/x" returns status 200"#, "eventually-status"),
        ];
        for (text, id) in cases {
            assert_eq!(id_of(text), Some(id), "{text}");
        }
    }

    #[test]
    fn near_misses_are_undefined_with_a_sensible_closest() {
        let cases = [
            ("the response status was 200", "status"),
            (r#"I send a FETCH request to "/x""#, "send"),
            (r#"I sent a GET request to "/x""#, "send"),
            (r#"the response JSON at "$.a" equals 3"#, "json-is"),
            (r#"I am authenticated with "admin""#, "authenticated-as"),
            (r#"the request header "X" is 3"#, "request-header"),
            (r#"the response JSON at "$.a" is a str"#, "json-type"),
            ("the response time is under 5 seconds", "response-time"),
        ];
        for (text, id) in cases {
            match resolve(text) {
                Resolution::Undefined { closest } => {
                    assert_eq!(closest.map(|d| d.id), Some(id), "{text}");
                }
                other => panic!("{text} should be undefined, got {other:?}"),
            }
        }
        match resolve("I make a cup of tea for the whole team") {
            Resolution::Undefined { closest } => assert!(closest.is_none(), "{closest:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn static_checks_find_bad_arguments() {
        let check = |text: &str| check_static(text, None, false);
        assert!(check(r#"the response JSON at "$.plan" is "free""#).is_empty());
        let findings = check(r#"the response JSON at "$.[" is 3"#);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].starts_with("invalid JSONPath \"$.[\""), "{findings:?}");
        let findings = check(r#"the response JSON at "$.a" is {"a": }"#);
        assert!(findings[0].contains("not a JSON literal"), "{findings:?}");
        let findings = check(r#"the response JSON at "$.a" matches "(""#);
        assert!(findings[0].starts_with("invalid regular expression"), "{findings:?}");
        assert!(!check("the response status is 999").is_empty());
        assert!(!check("the response status is one of 200, 42").is_empty());
        assert!(!check(r#"I send a GET request to "http://elsewhere/x""#).is_empty());
        assert!(!check(r#"the response body matches the snapshot "../x""#).is_empty());
        assert!(check(r#"the response JSON at "{{path}}" is {{value}}"#).is_empty());
        assert!(check("I make tea").is_empty(), "undefined steps are resolve()'s business");
    }

    #[test]
    fn static_checks_of_doc_strings_and_tables() {
        let findings = check_static("the response JSON matches:", None, false);
        assert_eq!(findings, vec!["step \"the response JSON matches:\" needs a doc string (\"\"\" ... \"\"\")"]);
        let findings = check_static("the response JSON matches:", Some(r##"{"name": "#strin"}"##), false);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].starts_with("unknown fuzzy marker \"#strin\" at $.name"), "{findings:?}");
        assert!(check_static("the response JSON matches:", Some(r#"{"n": {{n}}}"#), false).is_empty());
        let findings = check_static("the response JSON matches:", Some("{oops"), false);
        assert!(findings[0].contains("is not JSON"), "{findings:?}");
        let findings = check_static("the response JSON has:", None, false);
        assert_eq!(findings, vec!["step \"the response JSON has:\" needs a data table"]);
        let findings = check_static("the response status is 200", Some("x"), true);
        assert_eq!(findings.len(), 2, "{findings:?}");
    }

    #[test]
    fn dispatch_finds_every_step_under_every_keyword() {
        for def in vocabulary() {
            for ty in [gherkin::StepType::Given, gherkin::StepType::When, gherkin::StepType::Then] {
                let step = gherkin::Step {
                    keyword: "* ".to_owned(),
                    ty,
                    value: def.example.to_owned(),
                    docstring: None,
                    table: None,
                    span: gherkin::Span::default(),
                    position: gherkin::LineCol::default(),
                };
                match dispatch(&step) {
                    Dispatch::Run { def: found, context } => {
                        assert_eq!(found.id, def.id, "{} under {ty:?}", def.id);
                        assert_eq!(context.step.value, def.example);
                        let groups = def.arguments(def.example).expect("the example matches");
                        assert_eq!(context.matches.len(), groups.len() + 1, "{}", def.id);
                        assert_eq!(context.matches[0], (None, def.example.to_owned()), "{}", def.id);
                        for (got, want) in context.matches.iter().skip(1).zip(&groups) {
                            assert_eq!(got.1, want.as_ref().map_or("", |a| a.value.as_str()), "{}", def.id);
                        }
                    }
                    _ => panic!("{} under {ty:?} does not dispatch", def.id),
                }
            }
        }
    }

    #[test]
    fn arguments_are_the_capture_groups_with_their_offsets() {
        let text = r#"the request header "X-Trace" is "a \"b\"""#;
        let Resolution::Matched(def) = resolve(text) else { panic!("{text} does not resolve") };
        let args = def.arguments(text).expect("matches");
        let got: Vec<(usize, &str, &str)> =
            args.iter().flatten().map(|a| (a.start, a.value.as_str(), a.kind)).collect();
        assert_eq!(got, [(20, "X-Trace", "header"), (33, r#"a \"b\""#, "string")]);
        for a in args.iter().flatten() {
            assert_eq!(&text[a.start..a.start + a.value.len()], a.value);
        }
        let text = "within 5 seconds a GET request to \"/v1/ready\" returns status 204";
        let Resolution::Matched(def) = resolve(text) else { panic!("{text} does not resolve") };
        let got: Vec<(usize, String)> =
            def.arguments(text).expect("matches").into_iter().flatten().map(|a| (a.start, a.value)).collect();
        assert_eq!(got, [(7, "5".to_owned()), (35, "/v1/ready".to_owned()), (61, "204".to_owned())]);
        assert_eq!(def.arguments("the response status is 200"), None, "another step's text does not match");
        let Resolution::Matched(def) = resolve("I am not authenticated") else { panic!() };
        assert_eq!(def.arguments("I am not authenticated"), Some(Vec::new()));
    }

    /// Every step's example yields one argument per declared kind, and no
    /// regex nests a capture group in another (so a Cucumber `Group` never has children).
    #[test]
    fn every_step_declares_each_capture_group() {
        for def in vocabulary() {
            let args = def.arguments(def.example).expect("the example matches");
            assert_eq!(args.len(), super::args(def.id).len(), "{}", def.id);
            let mut depth_of_capture: Vec<bool> = Vec::new();
            let mut chars = def.regex.chars().peekable();
            let mut in_class = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '[' if !in_class => in_class = true,
                    ']' if in_class => in_class = false,
                    '(' if !in_class => {
                        let capture = chars.peek() != Some(&'?');
                        assert!(
                            !(capture && depth_of_capture.iter().any(|c| *c)),
                            "{}: a capture group inside a capture group",
                            def.id
                        );
                        depth_of_capture.push(capture);
                    }
                    ')' if !in_class => {
                        depth_of_capture.pop();
                    }
                    _ => {}
                }
            }
        }
    }
}
