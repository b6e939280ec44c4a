//! The lifecycle stages of a catalog feature and the verdicts a run gives it
//! are the catalog's own types ([`certify_catalog::Maturity`],
//! [`certify_catalog::Verdict`]); the gate reads them from evidence by their
//! data names (`"ga"`, `"certified"`) and ranks maturities against a
//! policy's `require`.

pub use certify_catalog::{Maturity, Verdict};

/// What the gate needs of a maturity beyond the catalog's type.
pub trait MaturityRank: Sized {
    /// Parses a maturity as written in evidence and policies (`"ga"`; exact, lowercase).
    fn parse(name: &str) -> Option<Self>;
    /// Order for `require`: alpha < beta < ga, and deprecated ranks as ga (it is still
    /// promised to customers); removed never applies (`None`).
    fn rank(self) -> Option<u8>;
    /// At or above `required`.
    fn meets(self, required: Self) -> bool;
}

impl MaturityRank for Maturity {
    fn parse(name: &str) -> Option<Self> {
        Maturity::ALL.into_iter().find(|maturity| maturity.as_str() == name)
    }

    fn rank(self) -> Option<u8> {
        match self {
            Maturity::Alpha => Some(0),
            Maturity::Beta => Some(1),
            Maturity::Ga | Maturity::Deprecated => Some(2),
            Maturity::Removed => None,
        }
    }

    fn meets(self, required: Maturity) -> bool {
        match (self.rank(), required.rank()) {
            (Some(have), Some(need)) => have >= need,
            _ => false,
        }
    }
}

/// Parses a verdict as written in evidence (`"certified"`; exact).
pub trait VerdictName: Sized {
    fn parse(name: &str) -> Option<Self>;
}

impl VerdictName for Verdict {
    fn parse(name: &str) -> Option<Self> {
        [Verdict::Certified, Verdict::Failed, Verdict::Flaky, Verdict::Untested, Verdict::NotApplicable]
            .into_iter()
            .find(|verdict| verdict.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for maturity in Maturity::ALL {
            assert_eq!(<Maturity as MaturityRank>::parse(maturity.as_str()), Some(maturity));
        }
        for verdict in [Verdict::Certified, Verdict::Failed, Verdict::Flaky, Verdict::Untested, Verdict::NotApplicable]
        {
            assert_eq!(<Verdict as VerdictName>::parse(verdict.as_str()), Some(verdict));
        }
        assert_eq!(<Maturity as MaturityRank>::parse("GA"), None);
        assert_eq!(<Verdict as VerdictName>::parse("passed"), None);
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
