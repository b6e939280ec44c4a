//! The gate's API rules (`require_api_conformance`, `block_breaking_api`), each in both
//! directions: off, on and satisfied, on and broken.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use certify_gate::{
    ApiBreak, ApiChanges, ApiEvidence, Candidate, Decision, Evidence, FeatureEvidence, Policy, Severity, decide,
};
use semver::Version;

const KEY: &str = "SHA256:release";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn policy(extra: &str) -> certify_gate::StagePolicy {
    let text = format!(
        "[stage.production]\nfrom_target = \"staging\"\nrequire = \"ga\"\ntrusted_keys = [\"k.pub.pem\"]\n{extra}\n"
    );
    Policy::parse(&text, Path::new("/p/ci/promotion.toml")).expect("parses").stage("production").expect("stage").clone()
}

fn run(api: Option<ApiEvidence>) -> Evidence {
    Evidence {
        bundle: "r1".into(),
        digest: "d1".into(),
        target: "staging".into(),
        platform_version: Version::new(2, 0, 0),
        git_commit: None,
        finished_at: now() - Duration::from_secs(60),
        signed_by: Some(KEY.into()),
        signature_valid: true,
        complete: true,
        features: vec![FeatureEvidence {
            id: "tenant-signup".into(),
            maturity: Some("ga".into()),
            verdict: "certified".into(),
            reason: String::new(),
            critical: false,
            failed_critical_scenarios: Vec::new(),
        }],
        api,
    }
}

fn clean() -> Option<ApiEvidence> {
    Some(ApiEvidence { findings: 0, broken: Vec::new() })
}

fn broken() -> Option<ApiEvidence> {
    Some(ApiEvidence { findings: 2, broken: vec!["GET /v1/tenant: 2 of 3 responses".into()] })
}

fn candidate(changes: Option<ApiChanges>) -> Candidate {
    Candidate { stage: "production".into(), version: Version::new(2, 0, 0), rev: None, api_changes: changes }
}

fn changes(features: &[(&str, Option<&str>)]) -> Option<ApiChanges> {
    Some(ApiChanges {
        previous_version: Version::new(1, 4, 0),
        previous_bundle: "old".into(),
        breaking: vec![ApiBreak {
            pointer: "/components/schemas/Tenant/properties/plan".into(),
            message: "response field plan removed".into(),
            operations: vec!["GET /v1/tenant".into()],
            features: features.iter().map(|(id, m)| ((*id).to_owned(), m.map(str::to_owned))).collect(),
        }],
    })
}

fn decide_with(extra: &str, api: Option<ApiEvidence>, changes: Option<ApiChanges>) -> Decision {
    decide(&policy(extra), &[KEY.to_owned()], &candidate(changes), &[run(api)], now())
}

fn api_reasons(d: &Decision) -> Vec<String> {
    d.reasons
        .iter()
        .filter(|r| r.rule.as_str().contains("api"))
        .map(|r| format!("{} {} {}", r.severity.label(), r.rule, r.feature.as_deref().unwrap_or("-")))
        .collect()
}

#[test]
fn conformance_is_not_required_by_default() {
    let d = decide_with("", broken(), None);
    assert!(d.promote, "{}", d.render_text());
    assert!(api_reasons(&d).is_empty());
}

#[test]
fn required_conformance_blocks_on_broken_responses_and_names_them() {
    let d = decide_with("require_api_conformance = true", broken(), None);
    assert!(!d.promote);
    assert_eq!(api_reasons(&d), ["BLOCK api-conformance -"]);
    let reason = d.reasons.iter().find(|r| r.severity == Severity::Block).expect("a blocker");
    assert!(reason.message.contains("2 responses broke the API description: GET /v1/tenant"), "{}", reason.message);
    assert_eq!(reason.bundle.as_deref(), Some("r1"));
}

#[test]
fn required_conformance_fails_closed_without_an_api_description() {
    let d = decide_with("require_api_conformance = true", None, None);
    assert!(!d.promote);
    assert_eq!(api_reasons(&d), ["BLOCK api-conformance -"]);
}

#[test]
fn required_conformance_lets_a_conforming_run_through() {
    let d = decide_with("require_api_conformance = true", clean(), None);
    assert!(d.promote, "{}", d.render_text());
}

#[test]
fn breaking_changes_do_not_block_by_default() {
    let d = decide_with("", clean(), changes(&[("tenant-signup", Some("ga"))]));
    assert!(d.promote);
    assert!(api_reasons(&d).is_empty());
}

#[test]
fn a_breaking_change_to_a_ga_feature_blocks() {
    let d = decide_with("block_breaking_api = true", clean(), changes(&[("tenant-signup", Some("ga"))]));
    assert!(!d.promote);
    assert_eq!(api_reasons(&d), ["BLOCK breaking-api tenant-signup"]);
    let reason = &d.reasons[0];
    assert!(reason.message.contains("GET /v1/tenant"), "{}", reason.message);
    assert!(reason.message.contains("GA at 1.4.0 and not deprecated first"), "{}", reason.message);
}

#[test]
fn a_feature_deprecated_first_may_break() {
    let d = decide_with("block_breaking_api = true", clean(), changes(&[("tenant-signup", Some("deprecated"))]));
    assert!(d.promote, "{}", d.render_text());
    assert_eq!(api_reasons(&d), ["INFO breaking-api tenant-signup"]);
}

#[test]
fn beta_features_and_unlinked_operations_do_not_block() {
    let d = decide_with("block_breaking_api = true", clean(), changes(&[("usage-export", Some("beta"))]));
    assert!(d.promote);
    assert_eq!(api_reasons(&d), ["INFO breaking-api usage-export"]);
    let d = decide_with("block_breaking_api = true", clean(), changes(&[]));
    assert!(d.promote);
    assert_eq!(api_reasons(&d), ["WARN breaking-api -"]);
}

#[test]
fn nothing_to_compare_with_is_said() {
    let d = decide_with("block_breaking_api = true", clean(), None);
    assert!(d.promote);
    assert_eq!(api_reasons(&d), ["INFO breaking-api -"]);
}

#[test]
fn the_api_keys_are_booleans() {
    let text = "[stage.production]\nfrom_target = \"staging\"\nrequire = \"ga\"\nblock_breaking_api = \"yes\"\n";
    let err = Policy::parse(text, Path::new("ci/promotion.toml")).expect_err("a string is refused");
    assert!(err.to_string().contains("ci/promotion.toml:4"), "{err}");
    assert!(err.to_string().contains("block_breaking_api"), "{err}");
}
