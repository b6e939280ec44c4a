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
//!
//! Two extension fields: `certifyReasons` ([`REASONS_FIELD`]), every reason of the decision as
//! [`Reason`] serializes it, in the order the gate printed them, so that a record explains
//! itself; and `archiveCheckpoint`, added by the archive crate. `inputAttestations[].uri` is
//! whatever the caller passes: certify passes paths relative to the archive's root.

use std::fmt::Write as _;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::decide::{Decision, Reason};
use crate::evidence::Candidate;

/// The in-toto `predicateType` of a decision record.
pub const VSA_PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";

/// The predicate field that holds every reason of the decision.
pub const REASONS_FIELD: &str = "certifyReasons";

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
        REASONS_FIELD: decision.reasons,
    })
}

/// The reasons a decision record's `predicate` carries ([`REASONS_FIELD`]); `Ok(None)` when it
/// has no such field (a record written before records kept their reasons). A field that is not
/// a list of reasons is an error naming the entry and what was expected.
pub fn recorded_reasons(predicate: &Value) -> Result<Option<Vec<Reason>>, String> {
    let Some(field) = predicate.get(REASONS_FIELD) else { return Ok(None) };
    let Value::Array(list) = field else {
        return Err(format!("{REASONS_FIELD} is not a list of reasons (found {})", kind(field)));
    };
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value::<Reason>(item.clone()).map_err(|e| {
                format!(
                    "{REASONS_FIELD}[{i}]: expected {{\"rule\", \"severity\", \"feature\", \"bundle\", \"message\"}}: {e}"
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// What kind of JSON value `v` is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
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
    use crate::decide::{Rule, Severity};

    fn decision() -> Decision {
        Decision {
            promote: false,
            reasons: vec![
                Reason {
                    rule: Rule::Critical,
                    severity: Severity::Block,
                    feature: Some("tenant-signup".into()),
                    bundle: Some("b".repeat(64)),
                    message: "critical feature failed".into(),
                },
                Reason {
                    rule: Rule::MaxAge,
                    severity: Severity::Info,
                    feature: None,
                    bundle: Some("c".repeat(64)),
                    message: "not used: too old".into(),
                },
            ],
            relied_on: vec!["b".repeat(64)],
            verified_levels: Vec::new(),
        }
    }

    #[test]
    fn the_predicate_carries_every_reason_and_reads_them_back() {
        let candidate = Candidate {
            stage: "production".into(),
            version: semver::Version::new(2, 0, 0),
            rev: None,
            api_changes: None,
        };
        let inputs = [(format!("bundles/{}/attestation.intoto.jsonl", "b".repeat(64)), "b".repeat(64))];
        let d = decision();
        let p =
            vsa_predicate(&d, &candidate, "ci/promotion.toml", &"a".repeat(64), &inputs, "v", SystemTime::UNIX_EPOCH);
        assert_eq!(p[REASONS_FIELD][0]["rule"], "critical");
        assert_eq!(p[REASONS_FIELD][1]["feature"], Value::Null);
        assert_eq!(recorded_reasons(&p), Ok(Some(d.reasons)));
        // Through text and back, as a verifier reads it.
        let reread: Value = serde_json::from_str(&p.to_string()).unwrap();
        assert_eq!(reread.to_string(), p.to_string(), "the predicate's bytes round-trip");
    }

    #[test]
    fn reasons_that_are_not_reasons_are_named() {
        assert_eq!(recorded_reasons(&json!({})), Ok(None));
        assert_eq!(
            recorded_reasons(&json!({ REASONS_FIELD: "x" })),
            Err("certifyReasons is not a list of reasons (found a string)".to_owned())
        );
        let mut p = json!({ REASONS_FIELD: decision().reasons });
        p[REASONS_FIELD][1]["rule"] = json!("made-up");
        let e = recorded_reasons(&p).unwrap_err();
        assert!(e.starts_with("certifyReasons[1]: expected {\"rule\"") && e.contains("made-up"), "{e}");
        let mut p = json!({ REASONS_FIELD: decision().reasons });
        p[REASONS_FIELD][0]["extra"] = json!(1);
        assert!(recorded_reasons(&p).unwrap_err().contains("certifyReasons[0]"));
    }

    #[test]
    fn resource_uri_encodes_query_values() {
        let candidate = Candidate {
            stage: "prod eu&x".to_owned(),
            version: semver::Version::new(2, 0, 0),
            rev: Some("abc1234".to_owned()),
            api_changes: None,
        };
        assert_eq!(resource_uri(&candidate), "certify:platform@2.0.0?stage=prod%20eu%26x&rev=abc1234");
        let candidate = Candidate { rev: None, stage: "production".to_owned(), ..candidate };
        assert_eq!(resource_uri(&candidate), "certify:platform@2.0.0?stage=production");
    }
}
