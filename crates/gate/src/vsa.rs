//! The decision record's predicate: a SLSA Verification Summary
//! (<https://slsa.dev/verification_summary/v1>) of a [`Decision`]. Wrapping it in an in-toto
//! Statement and signing it happens elsewhere.
//!
//! Fields, as the specification names them: `verifier.id`, `timeVerified` (RFC 3339, UTC),
//! `resourceUri` (`certify:platform@VERSION?stage=STAGE`, plus `&rev=REV` when a revision was
//! given), `policy` (`uri`, `digest.sha256`), `inputAttestations` (`uri`, `digest.sha256` of
//! every bundle relied on), `verificationResult` (`PASSED` on PROMOTE, `FAILED` on BLOCK) and
//! `verifiedLevels` (the decision's levels on PROMOTE, `["FAILED"]` on BLOCK, as the
//! specification asks). `dependencyLevels` and `slsaVersion` are optional and left out: the
//! levels are certify's own, not SLSA build levels.

use std::fmt::Write as _;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::decide::Decision;
use crate::evidence::Candidate;

/// The in-toto `predicateType` of a decision record.
pub const VSA_PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";

/// The resource a decision is about: `certify:platform@2.0.0?stage=production`, with
/// `&rev=REV` when the candidate names a revision. Query values are percent-encoded.
pub fn resource_uri(candidate: &Candidate) -> String {
    let mut uri = format!("certify:platform@{}?stage={}", candidate.version, percent_encode(&candidate.stage));
    if let Some(rev) = &candidate.rev {
        let _ = write!(uri, "&rev={}", percent_encode(rev));
    }
    uri
}

/// The Verification Summary predicate for `decision`. `inputs` are the `(uri, sha256)` of the
/// attestations relied on; `now` is the time of the decision (clamped into 1970..=9999).
pub fn vsa_predicate(
    decision: &Decision,
    candidate: &Candidate,
    policy_uri: &str,
    policy_sha256: &str,
    inputs: &[(String, String)],
    verifier_id: &str,
    now: SystemTime,
) -> Value {
    let inputs: Vec<Value> =
        inputs.iter().map(|(uri, sha256)| json!({ "uri": uri, "digest": { "sha256": sha256 } })).collect();
    let (result, levels) = if decision.promote {
        ("PASSED", decision.verified_levels.clone())
    } else {
        ("FAILED", vec!["FAILED".to_owned()])
    };
    json!({
        "verifier": { "id": verifier_id },
        "timeVerified": crate::time::format_clamped(now),
        "resourceUri": resource_uri(candidate),
        "policy": { "uri": policy_uri, "digest": { "sha256": policy_sha256 } },
        "inputAttestations": inputs,
        "verificationResult": result,
        "verifiedLevels": levels,
    })
}

/// Percent-encodes every byte but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_uri_encodes_query_values() {
        let candidate = Candidate {
            stage: "prod eu&x".to_owned(),
            version: semver::Version::new(2, 0, 0),
            rev: Some("abc1234".to_owned()),
        };
        assert_eq!(resource_uri(&candidate), "certify:platform@2.0.0?stage=prod%20eu%26x&rev=abc1234");
        let candidate = Candidate { rev: None, stage: "production".to_owned(), ..candidate };
        assert_eq!(resource_uri(&candidate), "certify:platform@2.0.0?stage=production");
    }
}
