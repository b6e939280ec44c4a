//! The promotion gate: whether platform version V may be promoted to a stage, decided from
//! signed evidence. It parses and validates the promotion policy (`ci/promotion.toml`, see
//! [`policy`]), defines the evidence it reads ([`Evidence`], one per verified bundle), makes
//! the decision as a pure function of policy, trusted key fingerprints, candidate, evidence
//! and the current time ([`decide`](fn@decide), whose rules are documented in [`mod@decide`]), renders it
//! for people ([`Decision::render_text`]) and as JSON (`Serialize`), and builds the decision
//! record's SLSA Verification Summary predicate ([`vsa_predicate`]). Reading bundles,
//! verifying signatures, loading keys, the clock, and signing the record happen outside: the
//! gate never touches a platform, the network or the archive.

pub mod decide;
mod evidence;
mod maturity;
pub mod policy;
mod time;
mod vsa;

pub use decide::{CLOCK_SKEW, Decision, Reason, Rule, Severity, decide};
pub use evidence::{ApiBreak, ApiChanges, ApiEvidence, Candidate, Evidence, FeatureEvidence};
pub use maturity::{Maturity, MaturityRank, Verdict, VerdictName};
pub use policy::{Policy, PolicyError, StagePolicy};
pub use vsa::{REASONS_FIELD, VSA_PREDICATE_TYPE, recorded_reasons, resource_uri, vsa_predicate};
