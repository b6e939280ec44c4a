//! The catalog as data: features, their lifecycle by platform version, and the maturity a
//! feature has at a given version.
//!
//! Versions are compared by semver precedence (build metadata is ignored, a pre-release such
//! as `2.0.0-rc.1` comes before `2.0.0`), so `2.0.0+build.7` has the maturity of `2.0.0`.

use std::cmp::Ordering;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use semver::Version;
use serde::{Deserialize, Serialize};

/// A loaded catalog: every customer-facing feature, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalog {
    /// The file it was loaded from, as named to [`crate::load`] or [`crate::load_str`].
    pub path: PathBuf,
    /// The features, in the order of their `[[feature]]` tables; ids are unique.
    pub features: Vec<CatalogFeature>,
}

/// One customer-facing feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogFeature {
    /// The stable id that feature files link to with `@feature:<id>`.
    pub id: String,
    /// A title for people.
    pub title: String,
    /// The team that owns it.
    pub owner: String,
    /// What customers are promised, when the catalog says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The version at which it reached each stage.
    pub lifecycle: Lifecycle,
    /// The 1-based line of its `[[feature]]` header, for messages.
    pub line: usize,
}

/// The platform version at which a feature reached each stage of its life; only the stages
/// that apply are set. A loaded catalog guarantees at least one of alpha, beta or ga, and
/// alpha <= beta <= ga <= deprecated <= removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<Version>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<Version>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ga: Option<Version>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<Version>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<Version>,
}

/// A stage of a feature's life, in lifecycle order (`Alpha < Beta < Ga < Deprecated < Removed`).
///
/// In data (serde, [`Maturity::as_str`], [`FromStr`]) the names are `alpha`, `beta`, `ga`,
/// `deprecated` and `removed`; [`Display`](fmt::Display) is for people and writes `GA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Maturity {
    Alpha,
    Beta,
    Ga,
    Deprecated,
    Removed,
}

impl Maturity {
    /// Every stage, in lifecycle order.
    pub const ALL: [Maturity; 5] =
        [Maturity::Alpha, Maturity::Beta, Maturity::Ga, Maturity::Deprecated, Maturity::Removed];

    /// The name used in data and in the catalog file: `alpha`, `beta`, `ga`, `deprecated`, `removed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Maturity::Alpha => "alpha",
            Maturity::Beta => "beta",
            Maturity::Ga => "ga",
            Maturity::Deprecated => "deprecated",
            Maturity::Removed => "removed",
        }
    }
}

impl fmt::Display for Maturity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Maturity::Ga => f.write_str("GA"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// A name that is not one of the lifecycle stages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown maturity {0:?}; expected one of alpha, beta, ga, deprecated, removed")]
pub struct ParseMaturityError(String);

impl FromStr for Maturity {
    type Err = ParseMaturityError;

    /// Parses a stage name, ignoring ASCII case (`ga` and `GA` are both accepted).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Maturity::ALL
            .into_iter()
            .find(|maturity| maturity.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseMaturityError(s.to_owned()))
    }
}

/// `a <= b` by semver precedence.
pub(crate) fn at_or_before(a: &Version, b: &Version) -> bool {
    a.cmp_precedence(b) != Ordering::Greater
}

impl Lifecycle {
    /// The version of one stage, when the lifecycle has it.
    pub fn stage(&self, maturity: Maturity) -> Option<&Version> {
        match maturity {
            Maturity::Alpha => self.alpha.as_ref(),
            Maturity::Beta => self.beta.as_ref(),
            Maturity::Ga => self.ga.as_ref(),
            Maturity::Deprecated => self.deprecated.as_ref(),
            Maturity::Removed => self.removed.as_ref(),
        }
    }

    /// The stages that are set, in lifecycle order, with their versions.
    pub fn stages(&self) -> impl Iterator<Item = (Maturity, &Version)> + '_ {
        Maturity::ALL.into_iter().filter_map(|maturity| self.stage(maturity).map(|version| (maturity, version)))
    }

    /// The first stage that is set: when the feature appeared.
    pub fn first(&self) -> Option<(Maturity, &Version)> {
        self.stages().next()
    }

    /// Whether no stage is set.
    pub fn is_empty(&self) -> bool {
        self.first().is_none()
    }

    /// The latest stage whose version is <= v; None when the feature does not exist yet at v.
    pub fn maturity_at(&self, v: &Version) -> Option<Maturity> {
        self.stages().filter(|(_, version)| at_or_before(version, v)).map(|(maturity, _)| maturity).max()
    }

    /// The version at which the feature reached its maturity at v.
    pub fn since(&self, v: &Version) -> Option<&Version> {
        self.maturity_at(v).and_then(|maturity| self.stage(maturity))
    }

    /// Exists at v: alpha (or its first stage) or later, and not removed.
    pub fn exists_at(&self, v: &Version) -> bool {
        self.maturity_at(v).is_some_and(|maturity| maturity != Maturity::Removed)
    }

    /// Why the feature does not exist at v, or `None` when it does: the one rule the run's
    /// applicability, the verdicts and the release notes share.
    pub fn absence_at(&self, v: &Version) -> Option<Absence> {
        if self.exists_at(v) {
            return None;
        }
        Some(match (self.removed.as_ref(), self.first()) {
            (Some(removed), _) if self.maturity_at(v).is_some() => Absence::Removed(removed.clone()),
            (_, Some((stage, from))) => Absence::NotYet(stage, from.clone()),
            (_, None) => Absence::NoStage,
        })
    }
}

/// Why a feature does not exist at a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Absence {
    /// It was removed in this version (at or before the one asked about).
    Removed(Version),
    /// It arrives later: its first stage and the version of it.
    NotYet(Maturity, Version),
    /// The catalog gives it no lifecycle stage at all.
    NoStage,
}

impl Catalog {
    /// The feature with this id.
    pub fn get(&self, id: &str) -> Option<&CatalogFeature> {
        self.features.iter().find(|feature| feature.id == id)
    }

    /// Every version named in any lifecycle, ascending (semver order, pre-releases and build
    /// metadata handled by the semver crate), without duplicates.
    pub fn versions(&self) -> Vec<Version> {
        let mut versions: Vec<Version> =
            self.features.iter().flat_map(|feature| feature.lifecycle.stages().map(|(_, v)| v.clone())).collect();
        versions.sort();
        versions.dedup();
        versions
    }

    /// The catalog version just before v (None if v is the first or before it). Build metadata
    /// is ignored: the version before `2.0.0+build.7` is the one before `2.0.0`.
    pub fn previous_version(&self, v: &Version) -> Option<Version> {
        self.versions().into_iter().rev().find(|candidate| candidate.cmp_precedence(v) == Ordering::Less)
    }

    /// Closest id by edit distance, for "unknown feature id" messages; None when no id is
    /// close enough to be a plausible typo.
    pub fn closest(&self, id: &str) -> Option<&str> {
        let len = id.chars().count();
        self.features
            .iter()
            .filter_map(|feature| {
                let candidate = feature.id.as_str();
                let limit = (candidate.chars().count() / 3).max(2);
                if candidate.chars().count().abs_diff(len) > limit {
                    return None;
                }
                let distance = strsim::damerau_levenshtein(id, candidate);
                (distance <= limit).then_some((distance, candidate))
            })
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, candidate)| candidate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).expect("test version")
    }

    fn lifecycle(stages: &[(Maturity, &str)]) -> Lifecycle {
        let mut lifecycle = Lifecycle::default();
        for (maturity, version) in stages {
            let slot = match maturity {
                Maturity::Alpha => &mut lifecycle.alpha,
                Maturity::Beta => &mut lifecycle.beta,
                Maturity::Ga => &mut lifecycle.ga,
                Maturity::Deprecated => &mut lifecycle.deprecated,
                Maturity::Removed => &mut lifecycle.removed,
            };
            *slot = Some(v(version));
        }
        lifecycle
    }

    fn full() -> Lifecycle {
        use Maturity::*;
        lifecycle(&[(Alpha, "1.0.0"), (Beta, "1.2.0"), (Ga, "1.4.0"), (Deprecated, "3.0.0"), (Removed, "4.0.0")])
    }

    #[test]
    fn absence_says_why_a_feature_does_not_exist() {
        let life = full();
        assert_eq!(life.absence_at(&v("0.9.0")), Some(Absence::NotYet(Maturity::Alpha, v("1.0.0"))));
        assert_eq!(life.absence_at(&v("1.0.0")), None);
        assert_eq!(life.absence_at(&v("3.9.9")), None);
        assert_eq!(life.absence_at(&v("4.0.0")), Some(Absence::Removed(v("4.0.0"))));
        assert_eq!(life.absence_at(&v("5.0.0")), Some(Absence::Removed(v("4.0.0"))));
        assert_eq!(Lifecycle::default().absence_at(&v("1.0.0")), Some(Absence::NoStage));
        for version in ["0.1.0", "1.0.0", "2.0.0", "4.0.0", "9.0.0"] {
            assert_eq!(life.absence_at(&v(version)).is_none(), life.exists_at(&v(version)), "{version}");
        }
    }

    #[test]
    fn maturity_at_every_boundary_and_between() {
        let life = full();
        let cases = [
            ("0.9.9", None),
            ("1.0.0-alpha.1", None),
            ("1.0.0", Some(Maturity::Alpha)),
            ("1.1.7", Some(Maturity::Alpha)),
            ("1.2.0-rc.1", Some(Maturity::Alpha)),
            ("1.2.0", Some(Maturity::Beta)),
            ("1.3.0", Some(Maturity::Beta)),
            ("1.4.0", Some(Maturity::Ga)),
            ("2.9.9", Some(Maturity::Ga)),
            ("3.0.0-rc.1", Some(Maturity::Ga)),
            ("3.0.0", Some(Maturity::Deprecated)),
            ("3.5.0", Some(Maturity::Deprecated)),
            ("4.0.0-rc.1", Some(Maturity::Deprecated)),
            ("4.0.0", Some(Maturity::Removed)),
            ("9.0.0", Some(Maturity::Removed)),
        ];
        for (version, expected) in cases {
            assert_eq!(life.maturity_at(&v(version)), expected, "maturity at {version}");
        }
    }

    #[test]
    fn exists_from_the_first_stage_until_removed() {
        let life = full();
        let cases = [
            ("0.9.9", false),
            ("1.0.0-rc.1", false),
            ("1.0.0", true),
            ("1.4.0", true),
            ("3.0.0", true),
            ("4.0.0-rc.1", true),
            ("4.0.0", false),
            ("4.0.1", false),
        ];
        for (version, expected) in cases {
            assert_eq!(life.exists_at(&v(version)), expected, "exists at {version}");
        }
    }

    #[test]
    fn a_feature_that_starts_later_than_alpha_exists_from_its_first_stage() {
        let life = lifecycle(&[(Maturity::Beta, "1.0.0"), (Maturity::Ga, "1.2.0")]);
        assert!(!life.exists_at(&v("0.9.0")));
        assert_eq!(life.maturity_at(&v("1.0.0")), Some(Maturity::Beta));
        assert!(life.exists_at(&v("1.0.0")));
        assert_eq!(life.first(), Some((Maturity::Beta, &v("1.0.0"))));
        let ga_only = lifecycle(&[(Maturity::Ga, "2.0.0")]);
        assert!(!ga_only.exists_at(&v("2.0.0-rc.1")), "a pre-release comes before its release");
        assert_eq!(ga_only.maturity_at(&v("2.0.0")), Some(Maturity::Ga));
    }

    #[test]
    fn build_metadata_does_not_change_the_maturity() {
        let life = lifecycle(&[(Maturity::Beta, "1.0.0"), (Maturity::Ga, "2.0.0")]);
        assert_eq!(life.maturity_at(&v("2.0.0+build.7")), Some(Maturity::Ga));
        let life = lifecycle(&[(Maturity::Beta, "1.0.0"), (Maturity::Ga, "2.0.0+build.9")]);
        assert_eq!(life.maturity_at(&v("2.0.0")), Some(Maturity::Ga));
        assert_eq!(life.maturity_at(&v("2.0.0-rc.1")), Some(Maturity::Beta));
    }

    #[test]
    fn equal_stage_versions_take_the_latest_stage() {
        let life = lifecycle(&[(Maturity::Beta, "1.0.0"), (Maturity::Ga, "1.0.0")]);
        assert_eq!(life.maturity_at(&v("1.0.0")), Some(Maturity::Ga));
        assert_eq!(life.since(&v("1.5.0")), Some(&v("1.0.0")));
    }

    #[test]
    fn an_empty_or_removed_only_lifecycle_never_exists() {
        assert!(Lifecycle::default().is_empty());
        assert_eq!(Lifecycle::default().maturity_at(&v("1.0.0")), None);
        assert!(!Lifecycle::default().exists_at(&v("1.0.0")));
        let removed = lifecycle(&[(Maturity::Removed, "1.0.0")]);
        assert!(!removed.exists_at(&v("0.1.0")));
        assert!(!removed.exists_at(&v("1.0.0")));
        assert_eq!(removed.maturity_at(&v("1.0.0")), Some(Maturity::Removed));
    }

    #[test]
    fn maturity_names_in_data_and_for_people() {
        let names: Vec<&str> = Maturity::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(names, ["alpha", "beta", "ga", "deprecated", "removed"]);
        let shown: Vec<String> = Maturity::ALL.iter().map(|m| m.to_string()).collect();
        assert_eq!(shown, ["alpha", "beta", "GA", "deprecated", "removed"]);
        for maturity in Maturity::ALL {
            assert_eq!(maturity.as_str().parse::<Maturity>(), Ok(maturity));
        }
        assert_eq!("GA".parse::<Maturity>(), Ok(Maturity::Ga));
        assert!("stable".parse::<Maturity>().is_err());
        assert!(Maturity::Alpha < Maturity::Beta && Maturity::Ga < Maturity::Deprecated);
    }
}
