//! `bundle.json`, the bundle's manifest (schema `certify.bundle/v1`).
//!
//! The manifest is written once, at the end of a run, from parts streamed to
//! disk while it ran (scenario entries are never all held in memory). These
//! types are the format's single owner: the writer serializes them and
//! `certify verify` reads them back.

use std::collections::BTreeMap;

use certify_catalog::{Catalog, FeatureVerdict, Tally, Verdict};
use certify_runner::Status;
use semver::Version;
use serde::{Deserialize, Serialize};

pub const SCHEMA: &str = "certify.bundle/v1";

/// Everything in `bundle.json` except the per-scenario entries and the file
/// list, which are streamed around it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub schema: String,
    pub run_id: String,
    /// passed, flaky, failed, errored or interrupted.
    pub status: String,
    /// False when the run was interrupted: the bundle holds the results so far.
    pub complete: bool,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub tool: Tool,
    pub target: Target,
    pub platform: Platform,
    pub git: Git,
    pub selection: Selection,
    pub signature: SignatureInfo,
    pub counts: serde_json::Value,
    /// Per catalog feature: its maturity at the platform version, how its
    /// scenarios went, and the verdict (certified, failed, flaky, untested, not-applicable).
    pub features: Vec<FeatureVerdict>,
    /// `@feature:` ids of scenarios that the catalog does not know.
    #[serde(default)]
    pub unknown_features: Vec<String>,
    /// Scenarios linked to no catalog feature.
    #[serde(default)]
    pub unlinked_scenarios: usize,
    /// Feature files that could not be parsed (`file:line:col: message`).
    pub broken_files: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Target {
    pub name: String,
    pub base_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Platform {
    pub version: String,
    /// `probe`, `flag` or `unknown`.
    pub source: String,
    pub probed: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Git {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub tags: Vec<String>,
    pub dirty: bool,
    pub remote: Option<String>,
    /// `repository`, `build` or `none`.
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Selection {
    pub tags: Option<String>,
    pub shard: Option<String>,
    pub concurrency: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SignatureInfo {
    pub signed: bool,
    /// `SHA256:<hex of the SPKI DER>` of the signer's public key.
    pub key_fingerprint: Option<String>,
}

/// One file of the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// `bundle.json` read back whole (for `certify verify`).
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    #[serde(flatten)]
    pub header: Header,
    pub scenarios: Vec<serde_json::Value>,
    pub files: Vec<FileEntry>,
}

/// Tallies scenario outcomes per catalog feature as they arrive.
#[derive(Debug, Default)]
pub struct Tallies {
    by_feature: BTreeMap<String, Tally>,
    unlinked: usize,
}

impl Tallies {
    pub fn add(&mut self, feature: Option<&str>, status: Status, critical: bool) {
        let Some(id) = feature else {
            self.unlinked += 1;
            return;
        };
        let t = self.by_feature.entry(id.to_owned()).or_default();
        t.critical |= critical;
        match status {
            Status::Passed => t.passed += 1,
            Status::Flaky => t.flaky += 1,
            Status::Failed => t.failed += 1,
            Status::Errored | Status::Interrupted | Status::NotRun => t.errored += 1,
            Status::NotApplicable => t.not_applicable += 1,
        }
    }

    /// Scenarios linked to no catalog feature.
    pub fn unlinked(&self) -> usize {
        self.unlinked
    }

    /// Each feature's verdict. With the catalog and the platform version,
    /// every catalog feature gets one (untested when none of its scenarios
    /// ran: a coverage gap), with its maturity; without them, each tagged
    /// feature gets the verdict of its scenarios alone. Returns the verdicts
    /// and the ids the catalog does not know.
    pub fn verdicts(&self, catalog: Option<&Catalog>, version: Option<&Version>) -> (Vec<FeatureVerdict>, Vec<String>) {
        if let (Some(c), Some(v)) = (catalog, version) {
            return certify_catalog::verdicts(c, v, &self.by_feature);
        }
        let list = self
            .by_feature
            .iter()
            .map(|(id, t)| {
                let (verdict, reason) = if t.failed + t.errored > 0 {
                    (Verdict::Failed, format!("{} of {} scenarios failed", t.failed + t.errored, t.ran()))
                } else if t.flaky > 0 {
                    (Verdict::Flaky, format!("{} of {} scenarios passed only after a retry", t.flaky, t.ran()))
                } else if t.passed > 0 {
                    (Verdict::Certified, format!("all {} scenarios passed", t.passed))
                } else {
                    (Verdict::NotApplicable, "no scenario applied".to_owned())
                };
                FeatureVerdict {
                    id: id.clone(),
                    title: String::new(),
                    owner: String::new(),
                    maturity: None,
                    verdict,
                    reason: format!("{reason} (no catalog or platform version: maturity unknown)"),
                    tally: t.clone(),
                }
            })
            .collect();
        (list, Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_catalog_verdicts_follow_the_worst_outcome() {
        let mut t = Tallies::default();
        t.add(Some("a"), Status::Passed, false);
        t.add(Some("a"), Status::Flaky, false);
        t.add(Some("b"), Status::Passed, true);
        t.add(Some("b"), Status::Failed, false);
        t.add(Some("c"), Status::NotApplicable, false);
        t.add(Some("d"), Status::Passed, false);
        t.add(None, Status::Passed, false);
        let (list, unknown) = t.verdicts(None, None);
        let got: Vec<(String, Verdict)> = list.into_iter().map(|f| (f.id, f.verdict)).collect();
        assert_eq!(
            got,
            [
                ("a".into(), Verdict::Flaky),
                ("b".into(), Verdict::Failed),
                ("c".into(), Verdict::NotApplicable),
                ("d".into(), Verdict::Certified)
            ]
        );
        assert!(unknown.is_empty());
        assert_eq!(t.unlinked(), 1);
    }
}
