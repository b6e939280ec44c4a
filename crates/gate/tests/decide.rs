//! The decision table: one row per rule, in both directions (the rule blocks or excludes; the
//! rule lets through), each a small policy change, a list of evidence and the expected
//! decision. Reasons are compared as `severity rule feature bundle` (`-` for none); their
//! wording is covered by the snapshot of the text output.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use certify_gate::{Candidate, Decision, Evidence, FeatureEvidence, Maturity, Policy, StagePolicy, decide};
use semver::Version;

const POLICY: &str = r#"
[stage.production]
from_target  = "staging"
require      = "ga"
warn_on      = ["beta", "alpha"]
max_age      = "72h"
trusted_keys = ["keys/release.pub.pem"]
require_signed = true
require_revision_match = true
allow_flaky  = false
min_runs     = 1
"#;

const KEY: &str = "SHA256:release";
const COMMIT: &str = "4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn hours_ago(hours: u64) -> SystemTime {
    now() - Duration::from_secs(hours * 3600)
}

fn policy() -> StagePolicy {
    let policy = Policy::parse(POLICY, Path::new("/project/ci/promotion.toml")).expect("the test policy parses");
    policy.stage("production").expect("the production stage").clone()
}

/// A feature in a run; an empty `maturity` is none (the feature does not exist yet).
fn f(id: &str, maturity: &str, verdict: &str) -> FeatureEvidence {
    FeatureEvidence {
        id: id.to_owned(),
        maturity: (!maturity.is_empty()).then(|| maturity.to_owned()),
        verdict: verdict.to_owned(),
        reason: String::new(),
        critical: false,
        failed_critical_scenarios: Vec::new(),
    }
}

/// A feature tagged `@critical`.
fn critical(id: &str, maturity: &str, verdict: &str) -> FeatureEvidence {
    FeatureEvidence { critical: true, ..f(id, maturity, verdict) }
}

/// A signed, complete run of 2.0.0 on staging at `COMMIT` that finished `age` hours ago.
fn run(bundle: &str, age: u64, features: Vec<FeatureEvidence>) -> Evidence {
    Evidence {
        bundle: bundle.to_owned(),
        digest: format!("sha256-of-{bundle}"),
        target: "staging".to_owned(),
        platform_version: Version::new(2, 0, 0),
        git_commit: Some(COMMIT.to_owned()),
        finished_at: hours_ago(age),
        signed_by: Some(KEY.to_owned()),
        signature_valid: true,
        complete: true,
        features,
        api: None,
    }
}

/// The usual catalog at 2.0.0: a GA feature and a beta feature, both certified.
fn green(bundle: &str, age: u64) -> Evidence {
    run(bundle, age, vec![f("tenant-signup", "ga", "certified"), f("usage-export", "beta", "certified")])
}

struct Case {
    name: &'static str,
    policy: fn(&mut StagePolicy),
    rev: Option<&'static str>,
    evidence: Vec<Evidence>,
    promote: bool,
    reasons: &'static [&'static str],
    relied_on: &'static [&'static str],
}

fn same(_: &mut StagePolicy) {}

fn cases() -> Vec<Case> {
    vec![
        // --- the green path ---
        Case {
            name: "all certified promotes",
            policy: same,
            rev: None,
            evidence: vec![green("r1", 1)],
            promote: true,
            reasons: &[],
            relied_on: &["r1"],
        },
        Case {
            name: "no evidence at all blocks",
            policy: same,
            rev: None,
            evidence: vec![],
            promote: false,
            reasons: &["block min-runs - -"],
            relied_on: &[],
        },
        // --- from_target ---
        Case {
            name: "from-target: evidence from another target is not used",
            policy: same,
            rev: None,
            evidence: vec![Evidence { target: "dev".into(), ..green("dev-run", 1) }],
            promote: false,
            reasons: &["block min-runs - -", "info from-target - dev-run"],
            relied_on: &[],
        },
        Case {
            name: "from-target: evidence from the policy's target is used",
            policy: same,
            rev: None,
            evidence: vec![
                Evidence { target: "dev".into(), ..run("dev-run", 1, vec![f("tenant-signup", "ga", "failed")]) },
                green("r1", 2),
            ],
            promote: true,
            reasons: &["info from-target - dev-run"],
            relied_on: &["r1"],
        },
        // --- platform version ---
        Case {
            name: "platform-version: evidence of another version is not used",
            policy: same,
            rev: None,
            evidence: vec![
                Evidence { platform_version: Version::new(1, 9, 0), ..green("old", 1) },
                Evidence { platform_version: "2.0.0+build.7".parse().expect("semver"), ..green("other-build", 1) },
            ],
            promote: false,
            reasons: &["block min-runs - -", "info platform-version - old", "info platform-version - other-build"],
            relied_on: &[],
        },
        Case {
            name: "platform-version: evidence of the candidate version is used",
            policy: same,
            rev: None,
            evidence: vec![Evidence { platform_version: Version::new(1, 9, 0), ..green("old", 1) }, green("r1", 1)],
            promote: true,
            reasons: &["info platform-version - old"],
            relied_on: &["r1"],
        },
        // --- max_age ---
        Case {
            name: "max-age: evidence older than max_age is not used",
            policy: same,
            rev: None,
            evidence: vec![green("stale", 73)],
            promote: false,
            reasons: &["block min-runs - -", "info max-age - stale"],
            relied_on: &[],
        },
        Case {
            name: "max-age: evidence exactly max_age old, or finished after now, is used",
            policy: same,
            rev: None,
            evidence: vec![
                green("edge", 72),
                Evidence { finished_at: now() + Duration::from_secs(60), ..green("skew", 0) },
            ],
            promote: true,
            reasons: &[],
            relied_on: &["edge", "skew"],
        },
        Case {
            name: "max-age: without max_age any age is used",
            policy: |p| p.max_age = None,
            rev: None,
            evidence: vec![green("ancient", 10_000)],
            promote: true,
            reasons: &[],
            relied_on: &["ancient"],
        },
        // --- a finish time in the future ---
        Case {
            name: "future-finish: evidence that finished more than a minute after now is not used, with or without max_age",
            policy: |p| p.max_age = None,
            rev: None,
            evidence: vec![
                Evidence { finished_at: now() + Duration::from_secs(61), ..green("ahead", 0) },
                Evidence { finished_at: now() + Duration::from_secs(86_400 * 365), ..green("next-year", 0) },
            ],
            promote: false,
            reasons: &["block min-runs - -", "info future-finish - ahead", "info future-finish - next-year"],
            relied_on: &[],
        },
        Case {
            name: "future-finish: evidence up to a minute after now is used (clock skew)",
            policy: same,
            rev: None,
            evidence: vec![
                Evidence { finished_at: now() + Duration::from_secs(60), ..green("minute", 0) },
                Evidence { finished_at: now() + Duration::from_millis(59_999), ..green("almost", 0) },
            ],
            promote: true,
            reasons: &[],
            relied_on: &["almost", "minute"],
        },
        // --- trusted keys ---
        Case {
            name: "trusted-key: evidence signed by another key is not used",
            policy: same,
            rev: None,
            evidence: vec![Evidence { signed_by: Some("SHA256:someone-else".into()), ..green("foreign", 1) }],
            promote: false,
            reasons: &["block min-runs - -", "info trusted-key - foreign"],
            relied_on: &[],
        },
        Case {
            name: "trusted-key: a signature that does not verify is not used, even when signatures are optional",
            policy: |p| p.require_signed = false,
            rev: None,
            evidence: vec![Evidence { signature_valid: false, ..green("tampered", 1) }],
            promote: false,
            reasons: &["block min-runs - -", "info trusted-key - tampered"],
            relied_on: &[],
        },
        Case {
            name: "trusted-key: evidence naming an untrusted key whose signature could not be checked is not used",
            policy: |p| p.require_signed = false,
            rev: None,
            evidence: vec![Evidence {
                signed_by: Some("SHA256:someone-else".into()),
                signature_valid: false,
                ..green("foreign", 1)
            }],
            promote: false,
            reasons: &["block min-runs - -", "info trusted-key - foreign"],
            relied_on: &[],
        },
        Case {
            name: "trusted-key: evidence signed by a trusted key is used",
            policy: same,
            rev: None,
            evidence: vec![Evidence { signed_by: Some("SHA256:backup".into()), ..green("backup-signed", 1) }],
            promote: true,
            reasons: &[],
            relied_on: &["backup-signed"],
        },
        // --- require_signed ---
        Case {
            name: "require-signed: unsigned evidence is not used",
            policy: same,
            rev: None,
            evidence: vec![Evidence { signed_by: None, signature_valid: false, ..green("unsigned", 1) }],
            promote: false,
            reasons: &["block min-runs - -", "info require-signed - unsigned"],
            relied_on: &[],
        },
        Case {
            name: "require-signed: unsigned evidence is used when signatures are optional",
            policy: |p| p.require_signed = false,
            rev: None,
            evidence: vec![Evidence { signed_by: None, signature_valid: false, ..green("unsigned", 1) }],
            promote: true,
            reasons: &[],
            relied_on: &["unsigned"],
        },
        // --- require_revision_match ---
        Case {
            name: "revision-match: evidence for another revision, or none, is not used",
            policy: same,
            rev: Some("0000000000000000000000000000000000000000"),
            evidence: vec![green("other-rev", 1), Evidence { git_commit: None, ..green("no-rev", 1) }],
            promote: false,
            reasons: &["block min-runs - -", "info revision-match - other-rev", "info revision-match - no-rev"],
            relied_on: &[],
        },
        Case {
            name: "revision-match: evidence for the revision (abbreviated, any case) is used",
            policy: same,
            rev: Some("4F1C2D3"),
            evidence: vec![green("r1", 1)],
            promote: true,
            reasons: &[],
            relied_on: &["r1"],
        },
        Case {
            name: "revision-match: without --rev any revision is used",
            policy: same,
            rev: None,
            evidence: vec![Evidence { git_commit: None, ..green("no-rev", 1) }],
            promote: true,
            reasons: &[],
            relied_on: &["no-rev"],
        },
        Case {
            name: "revision-match: not checked when the policy does not require it",
            policy: |p| p.require_revision_match = false,
            rev: Some("0000000"),
            evidence: vec![green("other-rev", 1)],
            promote: true,
            reasons: &[],
            relied_on: &["other-rev"],
        },
        // --- interrupted runs ---
        Case {
            name: "incomplete: an interrupted run is not used",
            policy: same,
            rev: None,
            evidence: vec![Evidence { complete: false, ..green("interrupted", 1) }],
            promote: false,
            reasons: &["block min-runs - -", "info incomplete - interrupted"],
            relied_on: &[],
        },
        Case {
            name: "incomplete: a complete run next to an interrupted one is used",
            policy: same,
            rev: None,
            evidence: vec![Evidence { complete: false, ..green("interrupted", 1) }, green("r1", 2)],
            promote: true,
            reasons: &["info incomplete - interrupted"],
            relied_on: &["r1"],
        },
        Case {
            name: "every exclusion of a run is reported",
            policy: same,
            rev: Some("abcdef0"),
            evidence: vec![Evidence {
                target: "dev".into(),
                platform_version: Version::new(1, 0, 0),
                signed_by: None,
                complete: false,
                ..green("bad", 100)
            }],
            promote: false,
            reasons: &[
                "block min-runs - -",
                "info from-target - bad",
                "info platform-version - bad",
                "info max-age - bad",
                "info require-signed - bad",
                "info revision-match - bad",
                "info incomplete - bad",
            ],
            relied_on: &[],
        },
        // --- min_runs ---
        Case {
            name: "min-runs: fewer qualifying runs than min_runs blocks",
            policy: |p| p.min_runs = 2,
            rev: None,
            evidence: vec![green("r1", 1), Evidence { target: "dev".into(), ..green("dev-run", 1) }],
            promote: false,
            reasons: &["block min-runs - -", "info from-target - dev-run"],
            relied_on: &["r1"],
        },
        Case {
            name: "min-runs: the same attestation listed twice counts once",
            policy: |p| p.min_runs = 2,
            rev: None,
            evidence: vec![green("r1", 1), Evidence { bundle: "r1-again".into(), ..green("r1", 1) }],
            promote: false,
            reasons: &["block min-runs - -"],
            relied_on: &["r1"],
        },
        Case {
            name: "min-runs: enough qualifying runs promote",
            policy: |p| p.min_runs = 2,
            rev: None,
            evidence: vec![green("r2", 1), green("r1", 5)],
            promote: true,
            reasons: &[],
            relied_on: &["r1", "r2"],
        },
        // --- require ---
        Case {
            name: "require: a failed GA feature blocks",
            policy: same,
            rev: None,
            evidence: vec![run(
                "r1",
                1,
                vec![f("tenant-signup", "ga", "failed"), f("usage-export", "beta", "certified")],
            )],
            promote: false,
            reasons: &["block require tenant-signup r1"],
            relied_on: &["r1"],
        },
        Case {
            name: "require: a deprecated feature counts as GA",
            policy: same,
            rev: None,
            evidence: vec![run("r1", 1, vec![f("legacy-keys", "deprecated", "failed")])],
            promote: false,
            reasons: &["block require legacy-keys r1"],
            relied_on: &["r1"],
        },
        Case {
            name: "require: a removed feature, or one not yet in the catalog at V, is not judged",
            policy: same,
            rev: None,
            evidence: vec![run("r1", 1, vec![f("old-billing", "removed", "failed"), f("next-thing", "", "failed")])],
            promote: true,
            reasons: &[],
            relied_on: &["r1"],
        },
        Case {
            name: "require: the latest run decides the verdict",
            policy: same,
            rev: None,
            evidence: vec![run("r2", 1, vec![f("tenant-signup", "ga", "failed")]), green("r1", 5)],
            promote: false,
            reasons: &["block require tenant-signup r2"],
            relied_on: &["r1", "r2"],
        },
        Case {
            name: "require: a later run that did not test the feature leaves the earlier verdict",
            policy: same,
            rev: None,
            evidence: vec![green("r1", 5), run("r2", 1, vec![f("tenant-signup", "ga", "untested")])],
            promote: true,
            reasons: &[],
            relied_on: &["r1", "r2"],
        },
        Case {
            name: "require: with require = beta a failed beta feature blocks",
            policy: |p| {
                p.require = Maturity::Beta;
                p.warn_on = vec![Maturity::Alpha];
            },
            rev: None,
            evidence: vec![run(
                "r1",
                1,
                vec![f("tenant-signup", "ga", "certified"), f("usage-export", "beta", "failed")],
            )],
            promote: false,
            reasons: &["block require usage-export r1"],
            relied_on: &["r1"],
        },
        Case {
            name: "require: with require = beta certified beta and GA features promote",
            policy: |p| p.require = Maturity::Beta,
            rev: None,
            evidence: vec![green("r1", 1)],
            promote: true,
            reasons: &[],
            relied_on: &["r1"],
        },
        Case {
            name: "require: an unknown maturity or verdict fails closed",
            policy: same,
            rev: None,
            evidence: vec![run(
                "r1",
                1,
                vec![f("mystery", "preview", "certified"), f("tenant-signup", "ga", "passed")],
            )],
            promote: false,
            reasons: &["block require mystery r1", "block require tenant-signup r1"],
            relied_on: &["r1"],
        },
        // --- warn_on ---
        Case {
            name: "warn-on: a failed beta feature warns and promotes",
            policy: same,
            rev: None,
            evidence: vec![run(
                "r1",
                1,
                vec![f("tenant-signup", "ga", "certified"), f("usage-export", "beta", "failed")],
            )],
            promote: true,
            reasons: &["warn warn-on usage-export r1"],
            relied_on: &["r1"],
        },
        Case {
            name: "warn-on: a failed alpha feature outside warn_on is only reported",
            policy: |p| p.warn_on = vec![Maturity::Beta],
            rev: None,
            evidence: vec![run(
                "r1",
                1,
                vec![f("tenant-signup", "ga", "certified"), f("quotas-v2", "alpha", "failed")],
            )],
            promote: true,
            reasons: &["info require quotas-v2 r1"],
            relied_on: &["r1"],
        },
        // --- allow_flaky ---
        Case {
            name: "allow-flaky: a flaky GA feature blocks",
            policy: same,
            rev: None,
            evidence: vec![run("r1", 1, vec![f("tenant-signup", "ga", "flaky")])],
            promote: false,
            reasons: &["block allow-flaky tenant-signup r1"],
            relied_on: &["r1"],
        },
        Case {
            name: "allow-flaky: a flaky GA feature warns when allowed",
            policy: |p| p.allow_flaky = true,
            rev: None,
            evidence: vec![run("r1", 1, vec![f("tenant-signup", "ga", "flaky")])],
            promote: true,
            reasons: &["warn allow-flaky tenant-signup r1"],
            relied_on: &["r1"],
        },
        Case {
            name: "allow-flaky: flaky in any qualifying run blocks, even when the latest is certified",
            policy: same,
            rev: None,
            evidence: vec![green("r2", 1), run("r1", 5, vec![f("tenant-signup", "ga", "flaky")])],
            promote: false,
            reasons: &["block allow-flaky tenant-signup r1"],
            relied_on: &["r1", "r2"],
        },
        Case {
            name: "allow-flaky: certified now but failed in an earlier run is flaky",
            policy: same,
            rev: None,
            evidence: vec![run("r1", 5, vec![f("tenant-signup", "ga", "failed")]), green("r2", 1)],
            promote: false,
            reasons: &["block allow-flaky tenant-signup r1"],
            relied_on: &["r1", "r2"],
        },
        Case {
            name: "allow-flaky: flakiness of a feature below require weighs as a failure would",
            policy: |p| p.warn_on = vec![Maturity::Beta],
            rev: None,
            evidence: vec![run(
                "r1",
                1,
                vec![
                    f("tenant-signup", "ga", "certified"),
                    f("usage-export", "beta", "flaky"),
                    f("quotas-v2", "alpha", "flaky"),
                ],
            )],
            promote: true,
            reasons: &["warn allow-flaky usage-export r1", "info allow-flaky quotas-v2 r1"],
            relied_on: &["r1"],
        },
        // --- critical ---
        Case {
            name: "critical: a failed critical feature blocks whatever its maturity",
            policy: same,
            rev: None,
            evidence: vec![run(
                "r1",
                1,
                vec![f("tenant-signup", "ga", "certified"), critical("usage-export", "beta", "failed")],
            )],
            promote: false,
            reasons: &["block critical usage-export r1", "warn warn-on usage-export r1"],
            relied_on: &["r1"],
        },
        Case {
            name: "critical: a critical scenario that failed in an earlier run blocks",
            policy: same,
            rev: None,
            evidence: vec![
                run(
                    "r1",
                    5,
                    vec![FeatureEvidence {
                        failed_critical_scenarios: vec!["features/signup.feature:12".into()],
                        ..f("quotas-v2", "alpha", "failed")
                    }],
                ),
                run("r2", 1, vec![f("quotas-v2", "alpha", "certified")]),
            ],
            promote: false,
            reasons: &["block critical quotas-v2 r1", "warn allow-flaky quotas-v2 r1"],
            relied_on: &["r1", "r2"],
        },
        Case {
            name: "critical: a certified critical feature promotes",
            policy: same,
            rev: None,
            evidence: vec![run("r1", 1, vec![critical("tenant-signup", "ga", "certified")])],
            promote: true,
            reasons: &[],
            relied_on: &["r1"],
        },
        Case {
            name: "critical: a critical failure in evidence that is not used does not count",
            policy: same,
            rev: None,
            evidence: vec![
                Evidence { target: "dev".into(), ..run("dev-run", 1, vec![critical("tenant-signup", "ga", "failed")]) },
                green("r1", 1),
            ],
            promote: true,
            reasons: &["info from-target - dev-run"],
            relied_on: &["r1"],
        },
        // --- untested ---
        Case {
            name: "untested: a GA feature with no scenario run blocks",
            policy: same,
            rev: None,
            evidence: vec![run("r1", 1, vec![f("tenant-signup", "ga", "untested")])],
            promote: false,
            reasons: &["block untested tenant-signup r1"],
            relied_on: &["r1"],
        },
        Case {
            name: "untested: a GA feature none of whose scenarios applies blocks",
            policy: same,
            rev: None,
            evidence: vec![run("r1", 1, vec![f("tenant-signup", "ga", "not-applicable")])],
            promote: false,
            reasons: &["block untested tenant-signup r1"],
            relied_on: &["r1"],
        },
        Case {
            name: "untested: a coverage gap below require does not block",
            policy: same,
            rev: None,
            evidence: vec![run(
                "r1",
                1,
                vec![f("tenant-signup", "ga", "certified"), f("usage-export", "beta", "untested")],
            )],
            promote: true,
            reasons: &[],
            relied_on: &["r1"],
        },
    ]
}

/// A reason as `severity rule feature bundle`.
fn summary(decision: &Decision) -> Vec<String> {
    decision
        .reasons
        .iter()
        .map(|reason| {
            let severity = serde_json::to_value(reason.severity).expect("severity serializes");
            format!(
                "{} {} {} {}",
                severity.as_str().unwrap_or("?"),
                reason.rule,
                reason.feature.as_deref().unwrap_or("-"),
                reason.bundle.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

fn candidate(rev: Option<&str>) -> Candidate {
    Candidate {
        stage: "production".to_owned(),
        version: Version::new(2, 0, 0),
        rev: rev.map(str::to_owned),
        api_changes: None,
    }
}

fn trusted() -> Vec<String> {
    vec![KEY.to_owned(), "SHA256:backup".to_owned()]
}

#[test]
fn decision_table() {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let mut policy = policy();
        (case.policy)(&mut policy);
        let decision = decide(&policy, &trusted(), &candidate(case.rev), &case.evidence, now());
        let reasons = summary(&decision);
        let level = format!("CERTIFY_{}_CERTIFIED", policy.require.as_str().to_ascii_uppercase());
        let expected_levels = if case.promote { vec![level] } else { Vec::new() };
        let blocked = reasons.iter().any(|reason| reason.starts_with("block "));
        if decision.promote != case.promote
            || reasons != case.reasons
            || decision.relied_on != case.relied_on
            || decision.verified_levels != expected_levels
            || decision.promote == blocked
        {
            failures.push(format!(
                "{}\n  expected: promote={} reasons={:?} relied_on={:?}\n  actual:   promote={} reasons={:?} relied_on={:?} levels={:?}\n{}",
                case.name,
                case.promote,
                case.reasons,
                case.relied_on,
                decision.promote,
                reasons,
                decision.relied_on,
                decision.verified_levels,
                decision.render_text()
            ));
        }
    }
    assert!(cases.len() >= 40, "the table lost rows: {}", cases.len());
    assert!(failures.is_empty(), "{} of {} rows failed:\n\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// Every rule appears in the table both where it blocks or excludes and where it lets through.
#[test]
fn the_table_covers_every_rule_in_both_directions() {
    let rules = [
        "from-target",
        "platform-version",
        "max-age",
        "future-finish",
        "trusted-key",
        "require-signed",
        "revision-match",
        "incomplete",
        "min-runs",
        "require",
        "warn-on",
        "allow-flaky",
        "critical",
        "untested",
    ];
    let cases = cases();
    for rule in rules {
        let rows: Vec<&Case> = cases.iter().filter(|case| case.name.starts_with(&format!("{rule}:"))).collect();
        assert!(
            rows.iter().any(|case| case.reasons.iter().any(|r| r.contains(&format!(" {rule} ")))),
            "{rule}: no row where it applies"
        );
        assert!(rows.iter().any(|case| case.promote), "{rule}: no row where it lets through");
    }
}

/// The same inputs in another order give the same decision.
#[test]
fn the_decision_does_not_depend_on_evidence_order() {
    let evidence = vec![
        run("r1", 5, vec![f("tenant-signup", "ga", "failed"), f("usage-export", "beta", "certified")]),
        green("r2", 1),
        Evidence { target: "dev".into(), ..green("dev-run", 2) },
        run("r3", 3, vec![f("usage-export", "beta", "failed")]),
    ];
    let forward = decide(&policy(), &trusted(), &candidate(None), &evidence, now());
    let mut reversed_input = evidence.clone();
    reversed_input.reverse();
    let reversed = decide(&policy(), &trusted(), &candidate(None), &reversed_input, now());
    assert_eq!(forward.promote, reversed.promote);
    assert_eq!(forward.relied_on, vec!["r1", "r3", "r2"]);
    assert_eq!(forward.relied_on, reversed.relied_on);
    assert_eq!(summary(&forward), summary(&reversed));
}

/// One decision with every kind of reason, as people and scripts see it.
fn mixed_decision() -> Decision {
    let evidence = vec![
        run(
            "archive/2.0.0/run-41",
            30,
            vec![
                f("tenant-signup", "ga", "certified"),
                f("api-keys", "ga", "flaky"),
                FeatureEvidence {
                    failed_critical_scenarios: vec![
                        "features/quotas.feature:18".into(),
                        "features/quotas.feature:30".into(),
                    ],
                    ..critical("quotas", "ga", "failed")
                },
            ],
        ),
        run(
            "archive/2.0.0/run-42",
            2,
            vec![
                f("tenant-signup", "ga", "failed"),
                f("usage-export", "beta", "failed"),
                f("legacy-keys", "deprecated", "untested"),
            ],
        ),
        Evidence { signed_by: Some("SHA256:unknown".into()), ..green("archive/2.0.0/run-43", 1) },
        Evidence { finished_at: hours_ago(100), ..green("archive/2.0.0/run-12", 100) },
        Evidence { finished_at: now() + Duration::from_secs(7200), ..green("archive/2.0.0/run-44", 0) },
    ];
    decide(&policy(), &trusted(), &candidate(None), &evidence, now())
}

#[test]
fn text_output() {
    insta::assert_snapshot!(mixed_decision().render_text());
}

#[test]
fn json_output() {
    insta::assert_json_snapshot!(mixed_decision());
}

#[test]
fn promote_text_output() {
    let decision = decide(&policy(), &trusted(), &candidate(None), &[green("r1", 1)], now());
    assert_eq!(decision.render_text(), "PROMOTE\n");
}

/// The reasons say which of the two it is: a key this stage does not trust (named by its
/// fingerprint), or a trusted key whose bundle does not verify; and why a run from the future
/// is not used.
#[test]
fn exclusion_messages_say_what_is_wrong() {
    let message = |run: Evidence| {
        let decision = decide(&policy(), &trusted(), &candidate(None), &[run], now());
        let reason = decision.reasons.iter().find(|r| r.bundle.is_some()).expect("an exclusion");
        format!("{} {}", reason.rule, reason.message)
    };
    let untrusted = message(Evidence { signed_by: Some("SHA256:abc123".into()), ..green("x", 1) });
    assert_eq!(
        untrusted,
        "trusted-key not used: signed by a key that is not trusted by this stage (fingerprint SHA256:abc123)"
    );
    let unchecked =
        message(Evidence { signed_by: Some("SHA256:abc123".into()), signature_valid: false, ..green("x", 1) });
    assert_eq!(unchecked, untrusted, "an untrusted key is said to be untrusted, whatever its signature");
    let broken = message(Evidence { signature_valid: false, ..green("x", 1) });
    assert!(
        broken.starts_with(&format!(
            "trusted-key not used: signature does not verify: the bundle names trusted key {KEY}"
        )),
        "{broken}"
    );
    let ahead = message(Evidence { finished_at: now() + Duration::from_secs(3 * 3600 + 5), ..green("x", 0) });
    assert_eq!(
        ahead,
        "future-finish not used: finished 3h 5s after now, beyond the 1m of clock skew allowed: its finish time cannot be true"
    );
}

#[test]
fn a_failed_feature_is_blocked_with_the_reason_its_bundle_gives() {
    let broken = FeatureEvidence {
        reason: "features/signup.feature:7 did not load: this line is not Gherkin".into(),
        ..critical("tenant-signup", "ga", "failed")
    };
    let decision = decide(&policy(), &trusted(), &candidate(None), &[run("r1", 1, vec![broken])], now());
    assert!(!decision.promote);
    let message = |rule: &str| {
        let reason = decision.reasons.iter().find(|r| r.rule.to_string() == rule);
        reason.unwrap_or_else(|| panic!("no {rule} reason: {:#?}", decision.reasons)).message.clone()
    };
    assert_eq!(
        message("critical"),
        "critical feature failed (features/signup.feature:7 did not load: this line is not Gherkin); a critical failure blocks whatever the thresholds"
    );
    assert!(message("require").contains("(features/signup.feature:7 did not load"), "{}", message("require"));
}
