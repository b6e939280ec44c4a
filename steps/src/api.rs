//! The target's API description during a run (PRODUCT.md section 11): which operation each
//! response answered, how often each operation was exercised, and the conformance checks of
//! the step `the response conforms to the API description` and of `api_check = "every"`.
//!
//! Requests are matched by their path relative to the target's base URL (its path prefix cut
//! off): one description serves every deployment, whatever its `servers` say.
//!
//! A request no operation matches is an undocumented endpoint. When the target answered it
//! 404 or 405 (`certify_openapi::denies_endpoint`), the platform and its description agree
//! that the endpoint does not exist (a scenario checking the answer to an unknown path): it is
//! listed, but it is not a finding.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use certify_openapi::{Check, Description};

use crate::world::RecordedResponse;

/// The description of a run and what the run did with it.
#[derive(Debug)]
pub struct ApiState {
    description: Arc<Description>,
    every: bool,
    /// The base URL's path without its trailing `/` (`""` or `/api`).
    base_path: String,
    requests: Vec<AtomicU32>,
    findings: Vec<AtomicU32>,
    undocumented: Mutex<BTreeMap<String, Undocumented>>,
}

/// Requests to one endpoint the description does not have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Undocumented {
    /// How many there were.
    pub count: u32,
    /// How many the target answered as if the endpoint existed (not 404 or 405).
    pub answered: u32,
}

/// How a run used its API description, for the evidence.
#[derive(Debug, Clone)]
pub struct ApiUsage {
    /// The description.
    pub description: Arc<Description>,
    /// Whether every response was checked (`api_check = "every"`).
    pub every: bool,
    /// Per operation (in [`Description::operations`] order): responses that answered it.
    pub requests: Vec<u32>,
    /// Per operation: responses that broke the description.
    pub findings: Vec<u32>,
    /// `METHOD /path` of requests no operation matched, with how many there were.
    pub undocumented: BTreeMap<String, Undocumented>,
}

impl ApiUsage {
    /// Responses that broke the description, undocumented endpoints included when they were
    /// checked (`every`).
    pub fn finding_count(&self) -> u32 {
        let undocumented: u32 = if self.every { self.undocumented.values().map(|u| u.answered).sum() } else { 0 };
        self.findings.iter().sum::<u32>() + undocumented
    }
}

impl ApiState {
    pub(crate) fn new(description: Arc<Description>, every: bool, base_url: &url::Url) -> ApiState {
        let count = description.operations().len();
        ApiState {
            description,
            every,
            base_path: base_url.path().trim_end_matches('/').to_owned(),
            requests: (0..count).map(|_| AtomicU32::new(0)).collect(),
            findings: (0..count).map(|_| AtomicU32::new(0)).collect(),
            undocumented: Mutex::default(),
        }
    }

    /// Whether every response is checked.
    pub(crate) fn every(&self) -> bool {
        self.every
    }

    /// The request's path relative to the base URL (`/v1/items/7`), without query.
    fn relative(&self, url: &str) -> Option<String> {
        let parsed = url::Url::parse(url).ok()?;
        let path = parsed.path();
        let rest = path.strip_prefix(self.base_path.as_str()).unwrap_or(path);
        Some(if rest.starts_with('/') { rest.to_owned() } else { format!("/{rest}") })
    }

    /// Counts a response towards API coverage (its operation, or an undocumented endpoint).
    pub(crate) fn exercised(&self, method: &str, url: &str, status: u16) {
        let Some(path) = self.relative(url) else { return };
        let operations = self.description.operations();
        match self.description.find(method, &path) {
            Some(op) => {
                if let Some(i) = operations.iter().position(|o| std::ptr::eq(o, op)) {
                    self.requests[i].fetch_add(1, Ordering::Relaxed);
                }
            }
            None => {
                let key = format!("{} {path}", method.to_ascii_uppercase());
                let mut undocumented = self.undocumented.lock().unwrap_or_else(PoisonError::into_inner);
                let entry = undocumented.entry(key).or_default();
                entry.count += 1;
                if !certify_openapi::denies_endpoint(status) {
                    entry.answered += 1;
                }
            }
        }
    }

    /// Checks one response against the description, counting a finding against its operation.
    pub(crate) fn check(&self, method: &str, url: &str, response: &RecordedResponse) -> Check {
        let path = self.relative(url).unwrap_or_else(|| url.to_owned());
        let check = self.description.check(
            method,
            &path,
            &certify_openapi::Response {
                status: response.status,
                headers: &response.headers,
                body: &response.body.bytes,
            },
        );
        if matches!(check, Check::Violations { .. })
            && let Some(op) = self.description.find(method, &path)
            && let Some(i) = self.description.operations().iter().position(|o| std::ptr::eq(o, op))
        {
            self.findings[i].fetch_add(1, Ordering::Relaxed);
        }
        check
    }

    /// What the run did with the description so far.
    pub(crate) fn usage(&self) -> ApiUsage {
        let load = |counts: &[AtomicU32]| counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        ApiUsage {
            description: self.description.clone(),
            every: self.every,
            requests: load(&self.requests),
            findings: load(&self.findings),
            undocumented: self.undocumented.lock().unwrap_or_else(PoisonError::into_inner).clone(),
        }
    }
}
