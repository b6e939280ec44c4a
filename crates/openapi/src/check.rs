//! Response conformance: a response checked against the operation its request matched
//! (PRODUCT.md section 11): a declared status (the code, its range like `4XX`, or `default`),
//! the declared headers, and the body against the schema of its media type.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::load::Description;

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
    /// No operation of the description has this method and path: an undocumented endpoint.
    Undocumented {
        /// The request's method.
        method: String,
        /// The request's path relative to the base URL.
        path: String,
    },
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
    /// RFC 6901 pointer into the body (`/items/0/id`; empty for the whole body), or empty.
    pub pointer: String,
    /// What the description expected, and what came instead.
    pub expected: String,
    /// RFC 6901 pointer of the description's rule that was broken, when there is one.
    pub rule: Option<String>,
}

impl Check {
    /// Whether the response breaks the description (violations or an undocumented endpoint).
    pub fn is_finding(&self) -> bool {
        !matches!(self, Check::Conforms { .. })
    }

    /// The operation's name, when the request matched one.
    pub fn operation(&self) -> Option<&str> {
        match self {
            Check::Conforms { operation } | Check::Violations { operation, .. } => Some(operation),
            Check::Undocumented { .. } => None,
        }
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
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.part {
            Part::Status => write!(f, "status: {}", self.expected)?,
            Part::Header(name) => write!(f, "header {name}: {}", self.expected)?,
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
    /// query) against the operation it matches.
    pub fn check(&self, method: &str, path: &str, response: &Response<'_>) -> Check {
        let Some(operation) = self.find(method, path) else {
            return Check::Undocumented { method: method.to_ascii_uppercase(), path: path.to_owned() };
        };
        let mut violations = Vec::new();
        let responses = self.at(&operation.pointer).and_then(|op| op.get("responses"));
        let declared = responses.and_then(|r| declared_response(r, response.status));
        if declared.is_none() {
            let listed = responses
                .and_then(Value::as_object)
                .map(|r| r.keys().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            violations.push(Violation {
                part: Part::Status,
                pointer: String::new(),
                expected: format!("{} is not declared (declared: {listed})", response.status),
                rule: Some(format!("{}/responses", operation.pointer)),
            });
        }
        if violations.is_empty() {
            Check::Conforms { operation: operation.name() }
        } else {
            Check::Violations { operation: operation.name(), status: response.status, violations }
        }
    }
}

/// The key of `responses` that declares `status`: the code, its range (`4XX`), or `default`.
fn declared_response(responses: &Value, status: u16) -> Option<String> {
    let map = responses.as_object()?;
    let code = status.to_string();
    let range = format!("{}XX", status / 100);
    map.keys()
        .find(|k| **k == code)
        .or_else(|| map.keys().find(|k| k.eq_ignore_ascii_case(&range)))
        .or_else(|| map.keys().find(|k| *k == "default"))
        .cloned()
}
