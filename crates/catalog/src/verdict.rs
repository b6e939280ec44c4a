//! Per-feature verdicts of a run: from the outcome counts of each catalog feature's scenarios
//! to `certified`, `failed`, `flaky`, `untested` (a coverage gap) or `not-applicable` at the
//! platform version under test, each with a one-line reason.

use std::collections::BTreeMap;
use std::fmt;

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::model::{Absence, Catalog, CatalogFeature, Maturity};

/// Outcome counts of one catalog feature's scenarios in a run.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Passed on the first attempt.
    pub passed: usize,
    /// Passed only after a retry.
    pub flaky: usize,
    /// An assertion failed.
    pub failed: usize,
    /// The harness or the target broke.
    pub errored: usize,
    /// Did not apply at the version under test, or were filtered out.
    pub not_applicable: usize,
    /// Whether any of the feature's scenarios is tagged `@critical`.
    pub critical: bool,
}

impl Tally {
    /// The scenarios that ran: passed, flaky, failed or errored.
    pub fn ran(&self) -> usize {
        self.passed + self.flaky + self.failed + self.errored
    }
}

/// A catalog feature's verdict in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every applicable scenario passed on its first attempt.
    Certified,
    /// A scenario failed or errored.
    Failed,
    /// Every scenario passed, but some only after a retry.
    Flaky,
    /// A coverage gap: the feature exists at the version but none of its scenarios ran.
    Untested,
    /// The feature does not exist at the version (not yet, or removed).
    NotApplicable,
}

impl Verdict {
    /// The name used in data: `certified`, `failed`, `flaky`, `untested`, `not-applicable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Certified => "certified",
            Verdict::Failed => "failed",
            Verdict::Flaky => "flaky",
            Verdict::Untested => "untested",
            Verdict::NotApplicable => "not-applicable",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One catalog feature's verdict at a version, with the counts it was decided from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureVerdict {
    pub id: String,
    pub title: String,
    pub owner: String,
    /// Its maturity at the version; None when it does not exist yet.
    pub maturity: Option<Maturity>,
    pub verdict: Verdict,
    /// Why, in one line a person understands.
    pub reason: String,
    pub tally: Tally,
}

/// Each catalog feature's verdict at version v from the per-feature tallies of a run (keyed by catalog id):
/// not-applicable when the feature does not exist at v; untested (a coverage gap) when it exists but no
/// applicable scenario ran (no scenario at all, or all of them not applicable/filtered); failed when any
/// scenario failed or errored; flaky when any passed only after a retry; else certified.
/// Tally entries whose id is not in the catalog are returned separately (unknown ids).
///
/// Verdicts come in catalog order; unknown ids in ascending order.
pub fn verdicts(
    catalog: &Catalog,
    v: &Version,
    tallies: &BTreeMap<String, Tally>,
) -> (Vec<FeatureVerdict>, Vec<String>) {
    let verdicts = catalog
        .features
        .iter()
        .map(|feature| {
            let tally = tallies.get(&feature.id).cloned().unwrap_or_default();
            let (verdict, reason) = decide(feature, v, &tally);
            FeatureVerdict {
                id: feature.id.clone(),
                title: feature.title.clone(),
                owner: feature.owner.clone(),
                maturity: feature.lifecycle.maturity_at(v),
                verdict,
                reason,
                tally,
            }
        })
        .collect();
    let unknown = tallies.keys().filter(|id| catalog.get(id).is_none()).cloned().collect();
    (verdicts, unknown)
}

fn decide(feature: &CatalogFeature, v: &Version, tally: &Tally) -> (Verdict, String) {
    if let Some(absence) = feature.lifecycle.absence_at(v) {
        let reason = match absence {
            Absence::Removed(removed) => format!("removed in {removed}"),
            Absence::NotYet(stage, from) => format!("not available at {v}: {stage} from {from}"),
            Absence::NoStage => format!("not available at {v}: the catalog gives it no lifecycle stage"),
        };
        return (Verdict::NotApplicable, reason);
    }
    let ran = tally.ran();
    if ran == 0 {
        let reason = match tally.not_applicable {
            0 => format!("coverage gap: no scenario tagged @feature:{} ran", feature.id),
            1 => format!("coverage gap: its one scenario did not run (not applicable at {v} or filtered out)"),
            n => format!("coverage gap: none of its {n} scenarios ran (not applicable at {v} or filtered out)"),
        };
        return (Verdict::Untested, reason);
    }
    let critical = if tally.critical { " (critical)" } else { "" };
    if tally.failed + tally.errored > 0 {
        let broken = match (tally.failed, tally.errored) {
            (failed, 0) => format!("{failed} of {} failed", scenarios(ran)),
            (0, errored) => format!("{errored} of {} errored", scenarios(ran)),
            (failed, errored) => format!("{failed} of {} failed and {errored} errored", scenarios(ran)),
        };
        return (Verdict::Failed, format!("{broken}{critical}"));
    }
    if tally.flaky > 0 {
        return (Verdict::Flaky, format!("{} of {} passed only after a retry{critical}", tally.flaky, scenarios(ran)));
    }
    let reason = match ran {
        1 => "its one scenario passed".to_owned(),
        n => format!("all {n} scenarios passed"),
    };
    (Verdict::Certified, reason)
}

/// `1 scenario`, `N scenarios`: how every verdict reason counts them.
pub fn scenarios(n: usize) -> String {
    if n == 1 { "1 scenario".to_owned() } else { format!("{n} scenarios") }
}
