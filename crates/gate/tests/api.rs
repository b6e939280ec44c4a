//! The crate's surface beyond the decision table: stage lookup, loading a policy from disk,
//! the JSON form of evidence, and the decision record's SLSA Verification Summary predicate.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use certify_gate::{
    Candidate, Decision, Evidence, FeatureEvidence, Policy, PolicyError, Reason, Rule, Severity, VSA_PREDICATE_TYPE,
    vsa_predicate,
};
use semver::Version;

fn fixture(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)
}

#[test]
fn an_unknown_stage_lists_the_known_ones() {
    let text = std::fs::read_to_string(fixture("ok/several-stages.toml")).expect("fixture");
    let policy = Policy::parse(&text, Path::new("ci/promotion.toml")).expect("parses");
    assert_eq!(policy.stage("production").expect("known").from_target, "staging");
    let err = policy.stage("prod").expect_err("unknown stage");
    assert!(matches!(&err, PolicyError::UnknownStage { stage, .. } if stage == "prod"));
    assert_eq!(
        err.to_string(),
        r#"ci/promotion.toml: no stage "prod" in the policy; known stages: staging, production, eu.production"#
    );
}

#[test]
fn load_resolves_trusted_keys_against_the_file() {
    let file = fixture("ok/sample.toml");
    let policy = Policy::load(&file).expect("loads");
    assert_eq!(policy.file, file);
    let stage = policy.stage("production").expect("stage");
    let dir = file.parent().expect("dir");
    assert_eq!(stage.trusted_keys, vec![dir.join("keys/release.pub.pem")]);
    assert!(stage.trusted_keys[0].is_absolute());
    assert_eq!(stage.max_age, Some(Duration::from_secs(72 * 3600)));
}

#[test]
fn load_reports_a_missing_file() {
    let file = fixture("ok/no-such-policy.toml");
    let err = Policy::load(&file).expect_err("missing");
    assert!(matches!(err, PolicyError::Read { .. }));
    assert_eq!(err.to_string(), format!("{}: cannot read the policy file", file.display()));
    assert!(std::error::Error::source(&err).is_some(), "the IO error is the source");
}

#[test]
fn evidence_round_trips_through_json_with_rfc3339_times() {
    let evidence = Evidence {
        bundle: "archive/run-1".into(),
        digest: "ab".repeat(32),
        target: "staging".into(),
        platform_version: "2.0.0-rc.1".parse().expect("semver"),
        git_commit: Some("4f1c2d3e".into()),
        finished_at: UNIX_EPOCH + Duration::new(1_750_000_000, 250_000_000),
        signed_by: None,
        signature_valid: false,
        complete: true,
        features: vec![FeatureEvidence {
            id: "tenant-signup".into(),
            maturity: Some("ga".into()),
            verdict: "certified".into(),
            reason: "all 3 scenarios passed".into(),
            critical: true,
            failed_critical_scenarios: vec![],
        }],
        api: Some(certify_gate::ApiEvidence { findings: 1, broken: vec!["GET /v1/tenant: 1 of 1 responses".into()] }),
    };
    let json = serde_json::to_value(&evidence).expect("serializes");
    assert_eq!(json["finished_at"], "2025-06-15T15:06:40.250000000Z");
    assert_eq!(json["platform_version"], "2.0.0-rc.1");
    let back: Evidence = serde_json::from_value(json).expect("deserializes");
    assert_eq!(back, evidence);

    let before_epoch = Evidence { finished_at: UNIX_EPOCH - Duration::from_secs(1), ..evidence };
    assert!(serde_json::to_value(&before_epoch).is_err(), "no RFC 3339 form, and no panic");
    let bad_time = r#"{"bundle":"b","digest":"d","target":"t","platform_version":"1.0.0","git_commit":null,
        "finished_at":"yesterday","signed_by":null,"signature_valid":false,"complete":true,"features":[]}"#;
    let err = serde_json::from_str::<Evidence>(bad_time).expect_err("not a time");
    assert!(err.to_string().contains(r#"expected an RFC 3339 time, got "yesterday""#), "{err}");
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn candidate() -> Candidate {
    Candidate {
        stage: "production".into(),
        version: Version::new(2, 0, 0),
        rev: Some("4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d".into()),
        api_changes: None,
    }
}

fn inputs() -> Vec<(String, String)> {
    vec![
        (format!("bundles/{}/attestation.intoto.jsonl", "1".repeat(64)), "1".repeat(64)),
        (format!("bundles/{}/attestation.intoto.jsonl", "2".repeat(64)), "2".repeat(64)),
    ]
}

#[test]
fn vsa_predicate_of_a_promotion() {
    let decision = Decision {
        promote: true,
        reasons: vec![Reason {
            rule: Rule::WarnOn,
            severity: Severity::Warn,
            feature: Some("usage-export".into()),
            bundle: Some("run-42".into()),
            message: "beta feature failed".into(),
        }],
        relied_on: vec!["run-41".into(), "run-42".into()],
        verified_levels: vec!["CERTIFY_GA_CERTIFIED".into()],
    };
    assert_eq!(VSA_PREDICATE_TYPE, "https://slsa.dev/verification_summary/v1");
    let predicate = vsa_predicate(
        &decision,
        &candidate(),
        "ci/promotion.toml",
        &"c".repeat(64),
        &inputs(),
        "https://example.invalid/certify/gate",
        now(),
    );
    insta::assert_json_snapshot!(predicate);
}

#[test]
fn vsa_predicate_of_a_block() {
    let decision = Decision { promote: false, reasons: vec![], relied_on: vec![], verified_levels: vec![] };
    let candidate = Candidate { rev: None, ..candidate() };
    let predicate = vsa_predicate(&decision, &candidate, "ci/promotion.toml", &"c".repeat(64), &[], "certify", now());
    insta::assert_json_snapshot!(predicate);
}
