//! Selecting index entries for `certify archive list`: every criterion given must hold, and a
//! criterion about bundles only (target, feature, verdict) leaves decisions out.

use std::time::SystemTime;

use crate::index::{IndexEntry, Record};

/// Which entries [`crate::Archive::list`] returns; the default selects every entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// `bundle` or `decision`.
    pub kind: Option<String>,
    /// Bundles certifying this target.
    pub target: Option<String>,
    /// Bundles of this platform version, decisions about this candidate version.
    pub platform_version: Option<String>,
    /// A prefix of the bundle's suite commit, or of the decision's revision (case-insensitive).
    pub git_rev: Option<String>,
    /// Bundles with a verdict for this catalog feature.
    pub feature: Option<String>,
    /// Bundles in which this feature (or, without `feature`, any feature) has this verdict:
    /// certified, failed, flaky, untested or not-applicable.
    pub verdict: Option<String>,
    /// A bundle's run status (passed, flaky, failed, errored, interrupted), or a decision's
    /// outcome (promote, block).
    pub status: Option<String>,
    /// Entries from this time on: a bundle's run finish time, a decision's `added_at`.
    pub since: Option<SystemTime>,
    /// Entries up to this time (inclusive), by the same times.
    pub until: Option<SystemTime>,
}

impl Filter {
    pub fn matches(&self, entry: &IndexEntry) -> bool {
        if self.kind.as_deref().is_some_and(|k| !k.eq_ignore_ascii_case(entry.kind())) {
            return false;
        }
        let when = match &entry.record {
            Record::Bundle(b) => &b.finished_at,
            Record::Decision(_) => &entry.added_at,
        };
        if self.since.is_some() || self.until.is_some() {
            let Ok(t) = humantime::parse_rfc3339_weak(when) else { return false };
            if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t > u) {
                return false;
            }
        }
        let rev_matches = |rev: Option<&str>| match &self.git_rev {
            None => true,
            Some(want) => rev.is_some_and(|r| r.to_ascii_lowercase().starts_with(&want.to_ascii_lowercase())),
        };
        match &entry.record {
            Record::Bundle(b) => {
                let verdict_ok = match (&self.feature, &self.verdict) {
                    (None, None) => true,
                    (Some(f), None) => b.features.iter().any(|x| &x.id == f),
                    (None, Some(v)) => b.features.iter().any(|x| &x.verdict == v),
                    (Some(f), Some(v)) => b.features.iter().any(|x| &x.id == f && &x.verdict == v),
                };
                verdict_ok
                    && self.target.as_ref().is_none_or(|t| *t == b.target)
                    && self.platform_version.as_ref().is_none_or(|v| *v == b.platform_version)
                    && self.status.as_ref().is_none_or(|s| s.eq_ignore_ascii_case(&b.status))
                    && rev_matches(b.git_commit.as_deref())
            }
            Record::Decision(d) => {
                let outcome = if d.promote { "promote" } else { "block" };
                self.target.is_none()
                    && self.feature.is_none()
                    && self.verdict.is_none()
                    && self.platform_version.as_ref().is_none_or(|v| *v == d.candidate)
                    && self.status.as_ref().is_none_or(|s| s.eq_ignore_ascii_case(outcome))
                    && rev_matches(d.rev.as_deref())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::index::{BundleMeta, DecisionMeta, FeatureSummary};

    fn bundle(target: &str, version: &str, commit: &str, status: &str, finished: &str) -> IndexEntry {
        IndexEntry {
            seq: 1,
            prev: String::new(),
            id: "b".into(),
            added_at: "2030-01-01T00:00:00Z".into(),
            path: String::new(),
            record: Record::Bundle(BundleMeta {
                run_id: "r".into(),
                target: target.into(),
                platform_version: version.into(),
                git_commit: Some(commit.into()),
                status: status.into(),
                complete: true,
                signed: true,
                signer: None,
                finished_at: finished.into(),
                unsigned_allowed: false,
                features: vec![
                    FeatureSummary { id: "quotas".into(), verdict: "certified".into(), maturity: Some("ga".into()) },
                    FeatureSummary { id: "export".into(), verdict: "failed".into(), maturity: Some("beta".into()) },
                ],
                flaky_scenarios: vec![],
            }),
        }
    }

    fn decision(candidate: &str, rev: Option<&str>, promote: bool, added: &str) -> IndexEntry {
        IndexEntry {
            seq: 2,
            prev: String::new(),
            id: "d".into(),
            added_at: added.into(),
            path: String::new(),
            record: Record::Decision(DecisionMeta {
                stage: "production".into(),
                candidate: candidate.into(),
                rev: rev.map(Into::into),
                promote,
                policy_sha256: String::new(),
                inputs: vec![],
            }),
        }
    }

    fn at(s: &str) -> SystemTime {
        humantime::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn every_criterion_must_hold() {
        let b = bundle("staging", "2.0.0", "ABCdef123", "passed", "2026-03-01T10:00:00.000Z");
        let d = decision("2.0.0", Some("abcdef1"), true, "2026-03-02T10:00:00.000Z");
        let all = Filter::default();
        assert!(all.matches(&b) && all.matches(&d));

        let cases: Vec<(Filter, bool, bool)> = vec![
            (Filter { kind: Some("bundle".into()), ..all.clone() }, true, false),
            (Filter { kind: Some("DECISION".into()), ..all.clone() }, false, true),
            (Filter { target: Some("staging".into()), ..all.clone() }, true, false),
            (Filter { target: Some("prod".into()), ..all.clone() }, false, false),
            (Filter { platform_version: Some("2.0.0".into()), ..all.clone() }, true, true),
            (Filter { platform_version: Some("2.0".into()), ..all.clone() }, false, false),
            (Filter { git_rev: Some("abcd".into()), ..all.clone() }, true, true),
            (Filter { git_rev: Some("abcdef12".into()), ..all.clone() }, true, false),
            (Filter { git_rev: Some("bcd".into()), ..all.clone() }, false, false),
            (Filter { feature: Some("quotas".into()), ..all.clone() }, true, false),
            (Filter { feature: Some("nope".into()), ..all.clone() }, false, false),
            (Filter { verdict: Some("failed".into()), ..all.clone() }, true, false),
            (Filter { feature: Some("quotas".into()), verdict: Some("failed".into()), ..all.clone() }, false, false),
            (Filter { feature: Some("export".into()), verdict: Some("failed".into()), ..all.clone() }, true, false),
            (Filter { status: Some("passed".into()), ..all.clone() }, true, false),
            (Filter { status: Some("promote".into()), ..all.clone() }, false, true),
            (Filter { status: Some("block".into()), ..all.clone() }, false, false),
            (Filter { since: Some(at("2026-03-01T10:00:00Z")), ..all.clone() }, true, true),
            (Filter { since: Some(at("2026-03-01T10:00:00Z") + Duration::from_millis(1)), ..all.clone() }, false, true),
            (Filter { until: Some(at("2026-03-01T12:00:00Z")), ..all.clone() }, true, false),
            (
                Filter {
                    since: Some(at("2026-02-01T00:00:00Z")),
                    until: Some(at("2026-04-01T00:00:00Z")),
                    ..all.clone()
                },
                true,
                true,
            ),
        ];
        for (f, want_b, want_d) in cases {
            assert_eq!((f.matches(&b), f.matches(&d)), (want_b, want_d), "{f:?}");
        }
    }

    #[test]
    fn an_unreadable_time_never_matches_a_time_bound() {
        let b = bundle("staging", "2.0.0", "abc", "passed", "not a time");
        assert!(Filter::default().matches(&b));
        assert!(!Filter { since: Some(SystemTime::UNIX_EPOCH), ..Filter::default() }.matches(&b));
    }
}
