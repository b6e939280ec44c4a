//! `bundle.json`, the bundle's manifest (schema `certify.bundle/v1`).
//!
//! The manifest is written once, at the end of a run, from parts streamed to
//! disk while it ran (scenario entries are never all held in memory). These
//! types are the format's single owner: the writer serializes them and
//! `certify verify` reads them back.

use std::collections::BTreeMap;

use certify_runner::Status;
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
    /// Per catalog feature: how its scenarios went, and the verdict.
    pub features: Vec<FeatureVerdict>,
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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FeatureVerdict {
    pub id: String,
    pub verdict: String,
    pub scenarios: usize,
    pub passed: usize,
    pub flaky: usize,
    pub failed: usize,
    pub errored: usize,
    pub not_applicable: usize,
    pub critical: bool,
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
pub struct Verdicts {
    by_feature: BTreeMap<String, FeatureVerdict>,
}

impl Verdicts {
    pub fn add(&mut self, feature: Option<&str>, status: Status, critical: bool) {
        let id = feature.unwrap_or("(no feature)");
        let v = self
            .by_feature
            .entry(id.to_owned())
            .or_insert_with(|| FeatureVerdict { id: id.to_owned(), ..Default::default() });
        v.scenarios += 1;
        v.critical |= critical;
        match status {
            Status::Passed => v.passed += 1,
            Status::Flaky => v.flaky += 1,
            Status::Failed => v.failed += 1,
            Status::Errored | Status::Interrupted | Status::NotRun => v.errored += 1,
            Status::NotApplicable => v.not_applicable += 1,
        }
    }

    /// Each feature's verdict: `failed` when a scenario failed or could not be
    /// checked, else `flaky` when one passed only after a retry, else
    /// `certified` when at least one ran, else `not-applicable`.
    pub fn finish(self) -> Vec<FeatureVerdict> {
        self.by_feature
            .into_values()
            .map(|mut v| {
                v.verdict = if v.failed + v.errored > 0 {
                    "failed"
                } else if v.flaky > 0 {
                    "flaky"
                } else if v.passed > 0 {
                    "certified"
                } else {
                    "not-applicable"
                }
                .to_owned();
                v
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_worst_outcome() {
        let mut v = Verdicts::default();
        v.add(Some("a"), Status::Passed, false);
        v.add(Some("a"), Status::Flaky, false);
        v.add(Some("b"), Status::Passed, true);
        v.add(Some("b"), Status::Failed, false);
        v.add(Some("c"), Status::NotApplicable, false);
        v.add(Some("d"), Status::Passed, false);
        let got: Vec<(String, String, bool)> = v.finish().into_iter().map(|f| (f.id, f.verdict, f.critical)).collect();
        assert_eq!(
            got,
            [
                ("a".into(), "flaky".into(), false),
                ("b".into(), "failed".into(), true),
                ("c".into(), "not-applicable".into(), false),
                ("d".into(), "certified".into(), false)
            ]
        );
    }
}
