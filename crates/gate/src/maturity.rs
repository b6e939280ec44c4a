//! The lifecycle stages of a catalog feature and the verdicts a run gives it, as the gate
//! reads them from evidence (`"alpha"`, `"certified"`, ...), and how maturities rank against a
//! policy's `require`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A feature's lifecycle stage at one platform version.
///
/// For a policy's `require`, `deprecated` ranks with `ga` (a deprecated feature is still
/// promised to customers) and `removed` never applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Maturity {
    /// Early access; no promise to customers.
    Alpha,
    /// Public preview.
    Beta,
    /// Generally available.
    Ga,
    /// Still available and promised, announced for removal.
    Deprecated,
    /// Gone at this version.
    Removed,
}

impl Maturity {
    /// Every maturity, in lifecycle order.
    pub const ALL: [Maturity; 5] = [Self::Alpha, Self::Beta, Self::Ga, Self::Deprecated, Self::Removed];

    /// Parses a lifecycle stage name as written in the catalog and in evidence.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|maturity| maturity.as_str() == name)
    }

    /// The name as written in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alpha => "alpha",
            Self::Beta => "beta",
            Self::Ga => "ga",
            Self::Deprecated => "deprecated",
            Self::Removed => "removed",
        }
    }

    /// The rank used to compare a feature with a policy's `require`: alpha 0, beta 1, ga and
    /// deprecated 2; `None` for removed, which never applies.
    pub fn rank(self) -> Option<u8> {
        match self {
            Self::Alpha => Some(0),
            Self::Beta => Some(1),
            Self::Ga | Self::Deprecated => Some(2),
            Self::Removed => None,
        }
    }

    /// Whether a feature at this maturity is at or above `required` (and so must be certified).
    pub fn meets(self, required: Maturity) -> bool {
        match (self.rank(), required.rank()) {
            (Some(have), Some(need)) => have >= need,
            _ => false,
        }
    }
}

impl fmt::Display for Maturity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A feature's verdict in one run at one platform version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every applicable scenario passed.
    Certified,
    /// At least one applicable scenario failed.
    Failed,
    /// Every scenario passed in the end, at least one only after a retry.
    Flaky,
    /// The feature exists at the version but no scenario ran for it: a coverage gap.
    Untested,
    /// The feature does not exist at the version.
    NotApplicable,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 5] = [Self::Certified, Self::Failed, Self::Flaky, Self::Untested, Self::NotApplicable];

    /// Parses a verdict as written in evidence.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|verdict| verdict.as_str() == name)
    }

    /// The verdict as written in evidence.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certified => "certified",
            Self::Failed => "failed",
            Self::Flaky => "flaky",
            Self::Untested => "untested",
            Self::NotApplicable => "not-applicable",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for maturity in Maturity::ALL {
            assert_eq!(Maturity::parse(maturity.as_str()), Some(maturity));
        }
        for verdict in Verdict::ALL {
            assert_eq!(Verdict::parse(verdict.as_str()), Some(verdict));
        }
        assert_eq!(Maturity::parse("GA"), None);
        assert_eq!(Verdict::parse("passed"), None);
    }

    #[test]
    fn deprecated_ranks_as_ga_and_removed_never_applies() {
        assert!(Maturity::Deprecated.meets(Maturity::Ga));
        assert!(Maturity::Ga.meets(Maturity::Beta));
        assert!(!Maturity::Beta.meets(Maturity::Ga));
        assert!(!Maturity::Removed.meets(Maturity::Alpha));
        assert!(Maturity::Alpha.meets(Maturity::Alpha));
    }
}
