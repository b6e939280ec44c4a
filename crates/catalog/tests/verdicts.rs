//! The verdict rules, each in both directions: a table of (lifecycle, version, tally) cases and
//! the verdict and reason each must get.

use std::collections::BTreeMap;
use std::path::Path;

use certify_catalog::{Catalog, FeatureVerdict, Maturity, Tally, Verdict, Version, load_str, verdicts};

fn v(text: &str) -> Version {
    Version::parse(text).expect("test version")
}

/// One feature `f` with the given inline lifecycle.
fn catalog(lifecycle: &str) -> Catalog {
    let text = format!("[[feature]]\nid = \"f\"\ntitle = \"F\"\nowner = \"team\"\nlifecycle = {lifecycle}\n");
    load_str(&text, Path::new("catalog.toml")).expect("test catalog loads")
}

fn tally(passed: usize, flaky: usize, failed: usize, errored: usize, not_applicable: usize) -> Tally {
    Tally { passed, flaky, failed, errored, not_applicable, critical: false }
}

fn verdict_of(lifecycle: &str, version: &str, tally: Option<Tally>) -> FeatureVerdict {
    let tallies: BTreeMap<String, Tally> = tally.into_iter().map(|tally| ("f".to_owned(), tally)).collect();
    let (mut verdicts, unknown) = verdicts(&catalog(lifecycle), &v(version), &tallies);
    assert!(unknown.is_empty());
    assert_eq!(verdicts.len(), 1);
    verdicts.remove(0)
}

const FULL: &str = r#"{ alpha = "1.0.0", beta = "1.2.0", ga = "1.4.0", deprecated = "3.0.0", removed = "4.0.0" }"#;
const LATE: &str = r#"{ beta = "2.0.0", ga = "2.1.0" }"#;

/// Name, lifecycle, version, tally, expected verdict, expected reason.
type Case = (&'static str, &'static str, &'static str, Option<Tally>, Verdict, &'static str);

#[test]
fn the_verdict_table() {
    use Verdict::*;
    let cases: Vec<Case> = vec![
        // not-applicable: the feature does not exist at the version, whatever ran.
        ("before its first stage", LATE, "1.9.0", None, NotApplicable, "not available at 1.9.0: beta from 2.0.0"),
        (
            "a pre-release of its first version",
            LATE,
            "2.0.0-rc.1",
            Some(tally(3, 0, 0, 0, 0)),
            NotApplicable,
            "not available at 2.0.0-rc.1: beta from 2.0.0",
        ),
        ("at its removal", FULL, "4.0.0", Some(tally(0, 0, 0, 0, 2)), NotApplicable, "removed in 4.0.0"),
        (
            "after its removal, even with failures",
            FULL,
            "5.0.0",
            Some(tally(0, 0, 2, 0, 0)),
            NotApplicable,
            "removed in 4.0.0",
        ),
        // ... and the other direction: it exists from exactly its first stage until its removal.
        ("exactly at its first stage", LATE, "2.0.0", Some(tally(1, 0, 0, 0, 0)), Certified, "its one scenario passed"),
        ("alpha", FULL, "1.0.0", Some(tally(2, 0, 0, 0, 0)), Certified, "all 2 scenarios passed"),
        (
            "deprecated, not yet removed",
            FULL,
            "4.0.0-rc.1",
            Some(tally(2, 0, 0, 0, 0)),
            Certified,
            "all 2 scenarios passed",
        ),
        // untested: it exists but nothing applicable ran.
        ("no tally at all", FULL, "1.4.0", None, Untested, "coverage gap: no scenario tagged @feature:f ran"),
        (
            "an all-zero tally",
            FULL,
            "1.4.0",
            Some(tally(0, 0, 0, 0, 0)),
            Untested,
            "coverage gap: no scenario tagged @feature:f ran",
        ),
        (
            "only not-applicable scenarios",
            FULL,
            "1.4.0",
            Some(tally(0, 0, 0, 0, 3)),
            Untested,
            "coverage gap: none of its 3 scenarios ran (not applicable at 1.4.0 or filtered out)",
        ),
        (
            "one filtered scenario",
            FULL,
            "1.4.0",
            Some(tally(0, 0, 0, 0, 1)),
            Untested,
            "coverage gap: its one scenario did not run (not applicable at 1.4.0 or filtered out)",
        ),
        // ... and not untested as soon as one scenario ran, whatever its outcome.
        (
            "one pass among not-applicable",
            FULL,
            "1.4.0",
            Some(tally(1, 0, 0, 0, 3)),
            Certified,
            "its one scenario passed",
        ),
        ("one error and nothing else", FULL, "1.4.0", Some(tally(0, 0, 0, 1, 0)), Failed, "1 of 1 scenario errored"),
        (
            "one flaky and nothing else",
            FULL,
            "1.4.0",
            Some(tally(0, 1, 0, 0, 0)),
            Flaky,
            "1 of 1 scenario passed only after a retry",
        ),
        // failed: any failure or error, over flaky and passed.
        ("a failure", FULL, "1.4.0", Some(tally(4, 0, 1, 0, 0)), Failed, "1 of 5 scenarios failed"),
        ("an error", FULL, "1.4.0", Some(tally(4, 0, 0, 2, 0)), Failed, "2 of 6 scenarios errored"),
        (
            "failures, errors and flakes",
            FULL,
            "1.4.0",
            Some(tally(1, 1, 1, 1, 5)),
            Failed,
            "1 of 4 scenarios failed and 1 errored",
        ),
        // ... and not failed without one.
        (
            "passes and flakes only",
            FULL,
            "1.4.0",
            Some(tally(5, 2, 0, 0, 0)),
            Flaky,
            "2 of 7 scenarios passed only after a retry",
        ),
        // flaky vs certified.
        ("passes only", FULL, "1.4.0", Some(tally(5, 0, 0, 0, 0)), Certified, "all 5 scenarios passed"),
        ("passes and not-applicable", FULL, "3.0.0", Some(tally(5, 0, 0, 0, 2)), Certified, "all 5 scenarios passed"),
    ];
    let mut failures = Vec::new();
    for (name, lifecycle, version, tally, verdict, reason) in cases {
        let expected_tally = tally.clone().unwrap_or_default();
        let actual = verdict_of(lifecycle, version, tally);
        if actual.verdict != verdict || actual.reason != reason {
            failures.push(format!("{name}: expected {verdict} ({reason}), got {} ({})", actual.verdict, actual.reason));
        }
        assert_eq!(actual.tally, expected_tally, "{name}: the tally is kept");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn critical_features_say_so_when_they_fail_or_flake() {
    let critical = |tally: Tally| Some(Tally { critical: true, ..tally });
    let failed = verdict_of(FULL, "1.4.0", critical(tally(3, 0, 1, 0, 0)));
    assert_eq!((failed.verdict, failed.reason.as_str()), (Verdict::Failed, "1 of 4 scenarios failed (critical)"));
    let flaky = verdict_of(FULL, "1.4.0", critical(tally(3, 1, 0, 0, 0)));
    assert_eq!(
        (flaky.verdict, flaky.reason.as_str()),
        (Verdict::Flaky, "1 of 4 scenarios passed only after a retry (critical)")
    );
    let certified = verdict_of(FULL, "1.4.0", critical(tally(3, 0, 0, 0, 0)));
    assert_eq!((certified.verdict, certified.reason.as_str()), (Verdict::Certified, "all 3 scenarios passed"));
    assert!(certified.tally.critical);
}

#[test]
fn each_verdict_carries_the_features_maturity_at_the_version() {
    let cases = [
        ("0.9.0", None),
        ("1.0.0", Some(Maturity::Alpha)),
        ("1.3.0", Some(Maturity::Beta)),
        ("1.4.0", Some(Maturity::Ga)),
        ("3.0.0", Some(Maturity::Deprecated)),
        ("4.0.0", Some(Maturity::Removed)),
    ];
    for (version, maturity) in cases {
        assert_eq!(verdict_of(FULL, version, None).maturity, maturity, "at {version}");
    }
}

#[test]
fn verdicts_come_in_catalog_order_and_unknown_ids_apart() {
    let text = r#"
[[feature]]
id = "zeta"
title = "Zeta"
owner = "z"
lifecycle = { ga = "1.0.0" }

[[feature]]
id = "alpha"
title = "Alpha"
owner = "a"
lifecycle = { beta = "1.0.0" }
"#;
    let catalog = load_str(text, Path::new("catalog.toml")).expect("loads");
    let tallies = BTreeMap::from([
        ("alpha".to_owned(), tally(1, 0, 0, 0, 0)),
        ("ghost".to_owned(), tally(2, 0, 0, 0, 0)),
        ("alhpa".to_owned(), tally(0, 0, 1, 0, 0)),
    ]);
    let (features, unknown) = verdicts(&catalog, &v("1.0.0"), &tallies);
    let summary: Vec<(&str, &str, &str, Verdict)> =
        features.iter().map(|f| (f.id.as_str(), f.title.as_str(), f.owner.as_str(), f.verdict)).collect();
    assert_eq!(summary, [("zeta", "Zeta", "z", Verdict::Untested), ("alpha", "Alpha", "a", Verdict::Certified)]);
    assert_eq!(unknown, ["alhpa", "ghost"]);
    assert_eq!(catalog.closest(&unknown[0]), Some("alpha"));

    let (none, unknown) = verdicts(&catalog, &v("1.0.0"), &BTreeMap::new());
    assert_eq!(none.len(), 2);
    assert!(unknown.is_empty());
    let empty = load_str("", Path::new("catalog.toml")).expect("loads");
    let (none, unknown) = verdicts(&empty, &v("1.0.0"), &tallies);
    assert!(none.is_empty());
    assert_eq!(unknown.len(), 3, "every id is unknown to an empty catalog");
}

#[test]
fn verdicts_serialize_in_kebab_case_and_round_trip() {
    let names: Vec<String> =
        [Verdict::Certified, Verdict::Failed, Verdict::Flaky, Verdict::Untested, Verdict::NotApplicable]
            .iter()
            .map(|verdict| {
                let json = serde_json::to_string(verdict).expect("serializes");
                assert_eq!(json, format!("\"{verdict}\""), "Display and data agree");
                assert_eq!(json, format!("\"{}\"", verdict.as_str()));
                json
            })
            .collect();
    assert_eq!(names, ["\"certified\"", "\"failed\"", "\"flaky\"", "\"untested\"", "\"not-applicable\""]);

    let verdict = verdict_of(FULL, "1.4.0", Some(Tally { critical: true, ..tally(1, 2, 3, 4, 5) }));
    let json = serde_json::to_value(&verdict).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({
            "id": "f", "title": "F", "owner": "team", "maturity": "ga", "verdict": "failed",
            "reason": "3 of 10 scenarios failed and 4 errored (critical)",
            "tally": { "passed": 1, "flaky": 2, "failed": 3, "errored": 4, "not_applicable": 5, "critical": true }
        })
    );
    let back: FeatureVerdict = serde_json::from_value(json).expect("deserializes");
    assert_eq!(back, verdict);
    let missing: Tally =
        serde_json::from_str(r#"{"passed":1,"flaky":0,"failed":0,"errored":0,"not_applicable":0,"critical":false}"#)
            .expect("deserializes");
    assert_eq!(missing.ran(), 1);
}
