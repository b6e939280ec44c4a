//! What the gate reads: one [`Evidence`] value per verified bundle (its run's target, platform
//! version, revision, finish time, signer and per-feature verdicts), and the [`Candidate`] to
//! decide on. Building these from bundles on disk or in object storage, and checking
//! signatures, happens before the gate; here they are plain data.

use std::time::SystemTime;

use semver::Version;
use serde::{Deserialize, Serialize};

/// One run's evidence, as read from a verified bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The bundle's archive id or path; reasons and the decision name it.
    pub bundle: String,
    /// The sha256 (hex) of the bundle's attestation.
    pub digest: String,
    /// The target the run certified.
    pub target: String,
    /// The platform version under test.
    pub platform_version: Version,
    /// The suite's git commit (full hex), when recorded.
    pub git_commit: Option<String>,
    /// When the run finished (RFC 3339 in JSON).
    #[serde(with = "crate::time::rfc3339")]
    pub finished_at: SystemTime,
    /// The fingerprint (`SHA256:<hex>`) of the key that signed the bundle: the key whose
    /// signature verified, or, when none did, the key the envelope names (its keyid, a claim
    /// that is not trusted); `None` when unsigned.
    pub signed_by: Option<String>,
    /// Whether the bundle verified against that key: its signature and every file's digest.
    pub signature_valid: bool,
    /// `false` when the run was interrupted.
    pub complete: bool,
    /// One entry per catalog feature.
    pub features: Vec<FeatureEvidence>,
    /// What the run found against the target's API description; `None` when it had none.
    #[serde(default)]
    pub api: Option<ApiEvidence>,
}

/// A run's responses checked against the target's API description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiEvidence {
    /// Responses that broke the description (undocumented endpoints included when every
    /// response was checked).
    pub findings: u32,
    /// What broke, one line each (`GET /v1/tenant: 2 of 3 responses`, `undocumented GET /x`).
    pub broken: Vec<String>,
}

/// The candidate's API description compared with the previous certified version's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiChanges {
    /// The version compared with.
    pub previous_version: Version,
    /// The bundle whose description is that version's.
    pub previous_bundle: String,
    /// The breaking changes from it to the candidate's description.
    pub breaking: Vec<ApiBreak>,
}

/// One breaking change of the API description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiBreak {
    /// RFC 6901 pointer of the change.
    pub pointer: String,
    /// What changed.
    pub message: String,
    /// The operations it touches (`GET /v1/tenant`).
    pub operations: Vec<String>,
    /// The catalog features of those operations, with their maturity at the previous version
    /// (`ga`, `deprecated`...; `None` when the feature did not exist there).
    pub features: Vec<(String, Option<String>)>,
}

/// One catalog feature in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureEvidence {
    /// The catalog id (`tenant-signup`).
    pub id: String,
    /// The feature's maturity at the run's platform version (`alpha` ... `removed`); `None`
    /// when the feature does not exist yet at that version.
    pub maturity: Option<String>,
    /// `certified`, `failed`, `flaky`, `untested` or `not-applicable`.
    pub verdict: String,
    /// Why the run gave that verdict, as the bundle says (`features/signup.feature:7 did not
    /// load: ...`); empty when the bundle gives no reason.
    #[serde(default)]
    pub reason: String,
    /// Whether the feature is tagged `@critical`.
    pub critical: bool,
    /// Ids of the `@critical` scenarios of the feature that failed in the run.
    pub failed_critical_scenarios: Vec<String>,
}

/// What is to be promoted, and where to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The stage (`production`).
    pub stage: String,
    /// The platform version.
    pub version: Version,
    /// The suite revision the evidence must be for (`--rev`), when given.
    pub rev: Option<String>,
    /// Its API description against the previous certified version's, when both are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_changes: Option<ApiChanges>,
}
