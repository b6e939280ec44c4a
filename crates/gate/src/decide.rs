//! The promotion decision: a pure function of (stage policy, trusted key fingerprints,
//! candidate, evidence, now) to PROMOTE or BLOCK with every reason.
//!
//! # Semantics
//!
//! **1. Evidence is filtered.** A run is not used, with one `info` reason naming its bundle for
//! each of these that holds (so the output explains why evidence was left out):
//!
//! | rule | the run is not used when |
//! |---|---|
//! | `from-target` | it certified another target than the policy's `from_target` |
//! | `platform-version` | its platform version is not the candidate's (semver equality, build metadata included) |
//! | `max-age` | it finished longer ago than `max_age` before `now` (a finish time after `now` counts as age zero) |
//! | `future-finish` | it finished more than [`CLOCK_SKEW`] (one minute) after `now`: a time that cannot be true, whether a wrong clock or a forged run |
//! | `trusted-key` | it is signed by a key whose fingerprint is not among the trusted ones (said first, with the fingerprint), or by a trusted key but the bundle does not verify (its signature, or a file's digest) |
//! | `require-signed` | it is unsigned and `require_signed` is set |
//! | `revision-match` | `require_revision_match` is set, a revision is given, and the run's suite commit is not it (case-insensitive; a given revision of 7 or more hex digits may be a prefix of the commit); a run without a recorded commit never matches |
//! | `incomplete` | it was interrupted |
//!
//! Runs that remain are the *qualifying* runs; one attestation (by digest) counts once.
//!
//! **2. Enough runs.** Fewer qualifying runs than `min_runs` (never fewer than one) is a
//! `block` on `min-runs`.
//!
//! **3. Features.** Over the qualifying runs, oldest first:
//!
//! - A feature's verdict and maturity come from the *latest* qualifying run that tested it (a
//!   verdict other than `untested`), or from the latest that lists it when none did.
//! - A feature is *required* when its maturity at the candidate version is at or above
//!   `require`, with `alpha < beta < ga` and `deprecated` ranking as `ga` (a deprecated
//!   feature is still promised to customers). A feature with no maturity at the version, or
//!   `removed`, is not judged (except for critical failures).
//! - `critical`: a failed `@critical` feature or any failed critical scenario in *any*
//!   qualifying run blocks, whatever the thresholds: one `block` per feature and run.
//! - `require`: a required feature whose verdict is `failed` blocks. So does one whose maturity
//!   or verdict the gate does not know (it fails closed). A failed feature that is not
//!   required is `warn` on `warn-on` when its maturity is in `warn_on`, `info` otherwise.
//! - `untested`: a required feature with verdict `untested` (or `not-applicable`, though it
//!   exists at the version) is a coverage gap and blocks.
//! - `allow-flaky`: a feature is flaky when any qualifying run gave it `flaky`, or when its
//!   latest verdict is `certified` but an earlier qualifying run at the same version failed
//!   it. Flakiness of a required feature blocks unless `allow_flaky` (then it warns); for a
//!   feature that is not required it weighs no more than a failure would: `warn` when its
//!   maturity is in `warn_on`, `info` otherwise.
//!
//! **API.** With `require_api_conformance`, a qualifying run whose responses broke the API
//! description blocks (`api-conformance`, naming what broke), and so does one that checked no
//! response against a description. With `block_breaking_api`, each breaking change of the
//! candidate's description since the previous certified version's ([`Candidate::api_changes`],
//! found by the caller) blocks for every feature it touches that was `ga` there
//! (`breaking-api`); one that was `deprecated` there was deprecated first and is an `info`, as
//! is a change to alpha or beta features; a change linked to no feature warns.
//!
//! **4. Verdict.** PROMOTE iff there is no `block` reason. `verified_levels` is
//! `CERTIFY_<REQUIRE>_CERTIFIED` (e.g. `CERTIFY_GA_CERTIFIED`) on PROMOTE and empty on BLOCK;
//! `relied_on` lists the qualifying bundles, oldest first, whatever the verdict.
//!
//! Reasons are ordered `block`, then `warn`, then `info`; within a severity, `min-runs` first,
//! then features by id, then evidence exclusions in input order.
//!
//! The gate knows the catalog only through the evidence: a feature that no qualifying run
//! lists is not judged.

use std::collections::{BTreeMap, HashSet};
use std::fmt::{self, Write as _};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::evidence::{Candidate, Evidence, FeatureEvidence};
use crate::maturity::{Maturity, MaturityRank as _, Verdict, VerdictName as _};
use crate::policy::StagePolicy;

/// How far after `now` a run may say it finished: clocks of CI machines disagree a little.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// PROMOTE (`true`) or BLOCK.
    pub promote: bool,
    /// Every reason, blockers first.
    pub reasons: Vec<Reason>,
    /// The bundles of the qualifying runs, oldest first.
    pub relied_on: Vec<String>,
    /// `CERTIFY_<REQUIRE>_CERTIFIED` on PROMOTE; empty on BLOCK.
    pub verified_levels: Vec<String>,
}

/// One reason of a decision. The decision record keeps every reason in this shape (see
/// [`crate::REASONS_FIELD`]): `{"rule", "severity", "feature", "bundle", "message"}`, with
/// `null` for a feature or bundle it is not about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The policy rule it comes from.
    pub rule: Rule,
    /// Whether it blocks, warns, or explains.
    pub severity: Severity,
    /// The catalog feature it is about, if any.
    pub feature: Option<String>,
    /// The bundle it is about, if any.
    pub bundle: Option<String>,
    /// What was found and what the policy wants.
    pub message: String,
}

/// How much a reason weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Prevents promotion.
    Block,
    /// Reported, does not prevent promotion.
    Warn,
    /// Explains what was (not) used.
    Info,
}

impl Severity {
    /// The label in text output: `BLOCK`, `WARN`, `INFO`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Block => "BLOCK",
            Self::Warn => "WARN",
            Self::Info => "INFO",
        }
    }
}

/// The policy rule a reason comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// `from_target`: evidence from another target.
    FromTarget,
    /// Evidence for another platform version than the candidate.
    PlatformVersion,
    /// `max_age`: evidence too old.
    MaxAge,
    /// Evidence that finished after now, beyond [`CLOCK_SKEW`].
    FutureFinish,
    /// `trusted_keys`: signed by an untrusted key, or a signature that does not verify.
    TrustedKey,
    /// `require_signed`: unsigned evidence.
    RequireSigned,
    /// `require_revision_match`: evidence for another suite revision.
    RevisionMatch,
    /// An interrupted run.
    Incomplete,
    /// `min_runs`: not enough qualifying runs.
    MinRuns,
    /// `require`: a required feature not certified, or a failure below the requirement.
    Require,
    /// `warn_on`: a failure reported as a warning.
    WarnOn,
    /// `allow_flaky`: flaky verdicts.
    AllowFlaky,
    /// A critical feature or scenario failed.
    Critical,
    /// A required feature with no scenario run: a coverage gap.
    Untested,
    /// `require_api_conformance`: responses that broke the API description.
    ApiConformance,
    /// `block_breaking_api`: a breaking change of the API description.
    BreakingApi,
}

impl Rule {
    /// The rule's name in output (`from-target`, `min-runs`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FromTarget => "from-target",
            Self::PlatformVersion => "platform-version",
            Self::MaxAge => "max-age",
            Self::FutureFinish => "future-finish",
            Self::TrustedKey => "trusted-key",
            Self::RequireSigned => "require-signed",
            Self::RevisionMatch => "revision-match",
            Self::Incomplete => "incomplete",
            Self::MinRuns => "min-runs",
            Self::Require => "require",
            Self::WarnOn => "warn-on",
            Self::AllowFlaky => "allow-flaky",
            Self::Critical => "critical",
            Self::Untested => "untested",
            Self::ApiConformance => "api-conformance",
            Self::BreakingApi => "breaking-api",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Reason {
    fn new(rule: Rule, severity: Severity, message: impl Into<String>) -> Self {
        Self { rule, severity, feature: None, bundle: None, message: message.into() }
    }

    fn feature(mut self, id: &str) -> Self {
        self.feature = Some(id.to_owned());
        self
    }

    fn bundle(mut self, bundle: &str) -> Self {
        self.bundle = Some(bundle.to_owned());
        self
    }
}

impl Decision {
    /// The decision for people: `PROMOTE` or `BLOCK`, then one line per reason, e.g.
    /// `BLOCK  require  feature=tenant-signup  bundle=run-42  ga feature failed; ...`.
    pub fn render_text(&self) -> String {
        let mut out = String::from(if self.promote { "PROMOTE\n" } else { "BLOCK\n" });
        for reason in &self.reasons {
            let _ = write!(out, "{:<5}  {}", reason.severity.label(), reason.rule);
            if let Some(feature) = &reason.feature {
                let _ = write!(out, "  feature={}", printable(feature));
            }
            if let Some(bundle) = &reason.bundle {
                let _ = write!(out, "  bundle={}", printable(bundle));
            }
            let _ = writeln!(out, "  {}", printable(&reason.message));
        }
        out
    }
}

/// `text`, quoted and escaped when it holds control characters, so that one reason stays on
/// one line.
fn printable(text: &str) -> String {
    if text.chars().any(char::is_control) { format!("{text:?}") } else { text.to_owned() }
}

/// Decides whether `candidate` may be promoted under `policy`, from `evidence`, at `now`.
/// `trusted` holds the fingerprints of the policy's trusted keys. See the module
/// documentation for the rules.
pub fn decide(
    policy: &StagePolicy,
    trusted: &[String],
    candidate: &Candidate,
    evidence: &[Evidence],
    now: SystemTime,
) -> Decision {
    let mut exclusions = Vec::new();
    let mut qualifying: Vec<&Evidence> = Vec::new();
    for run in evidence {
        let excluded = exclusions_of(policy, trusted, candidate, run, now);
        if excluded.is_empty() {
            qualifying.push(run);
        } else {
            exclusions.extend(excluded);
        }
    }
    qualifying.sort_by(|a, b| a.finished_at.cmp(&b.finished_at).then_with(|| a.bundle.cmp(&b.bundle)));
    let mut digests = HashSet::new();
    qualifying.retain(|run| digests.insert(run.digest.as_str()));

    let mut reasons = Vec::new();
    let min_runs = usize::try_from(policy.min_runs.max(1)).unwrap_or(usize::MAX);
    if qualifying.len() < min_runs {
        reasons.push(Reason::new(
            Rule::MinRuns,
            Severity::Block,
            format!(
                "{} qualifying run(s) of platform {} from target {:?}; the policy needs at least {}",
                qualifying.len(),
                candidate.version,
                policy.from_target,
                min_runs
            ),
        ));
    }

    let mut by_feature: BTreeMap<&str, Vec<Seen<'_>>> = BTreeMap::new();
    for run in &qualifying {
        for feature in &run.features {
            by_feature.entry(feature.id.as_str()).or_default().push(Seen { run, feature });
        }
    }
    for (id, seen) in &by_feature {
        judge_feature(policy, id, seen, &mut reasons);
    }
    if policy.require_api_conformance {
        judge_api_conformance(&qualifying, &mut reasons);
    }
    if policy.block_breaking_api {
        judge_api_changes(candidate, &mut reasons);
    }
    reasons.extend(exclusions);
    reasons.sort_by_key(|reason| reason.severity);

    let promote = !reasons.iter().any(|reason| reason.severity == Severity::Block);
    let verified_levels = if promote {
        vec![format!("CERTIFY_{}_CERTIFIED", policy.require.as_str().to_ascii_uppercase())]
    } else {
        Vec::new()
    };
    Decision { promote, reasons, relied_on: qualifying.iter().map(|run| run.bundle.clone()).collect(), verified_levels }
}

/// `require_api_conformance`: every qualifying run checked its responses against the API
/// description and none broke it. A run with no API description cannot show conformance: it
/// blocks too (the gate fails closed).
fn judge_api_conformance(qualifying: &[&Evidence], reasons: &mut Vec<Reason>) {
    for run in qualifying {
        match &run.api {
            None => reasons.push(
                Reason::new(
                    Rule::ApiConformance,
                    Severity::Block,
                    "the run checked no response against an API description (the target names none); \
                     the policy requires API conformance",
                )
                .bundle(&run.bundle),
            ),
            Some(api) if api.findings > 0 => {
                let what = if api.broken.is_empty() { String::new() } else { format!(": {}", api.broken.join("; ")) };
                reasons.push(
                    Reason::new(
                        Rule::ApiConformance,
                        Severity::Block,
                        format!(
                            "{} response{} broke the API description{what}",
                            api.findings,
                            if api.findings == 1 { "" } else { "s" }
                        ),
                    )
                    .bundle(&run.bundle),
                );
            }
            Some(_) => {}
        }
    }
}

/// `block_breaking_api`: a breaking change since the previous certified version's description
/// blocks when it touches a feature that was GA there (a feature deprecated there was
/// deprecated first: its break is reported, not blocking). A change touching no feature
/// warns: nobody can say what it promises.
fn judge_api_changes(candidate: &Candidate, reasons: &mut Vec<Reason>) {
    let Some(changes) = &candidate.api_changes else {
        reasons.push(Reason::new(
            Rule::BreakingApi,
            Severity::Info,
            "no earlier certified version recorded an API description: nothing to compare with",
        ));
        return;
    };
    let since = &changes.previous_version;
    for change in &changes.breaking {
        let ops = change.operations.join(", ");
        let about = if ops.is_empty() { change.pointer.clone() } else { format!("{ops} ({})", change.pointer) };
        if change.features.is_empty() {
            reasons.push(
                Reason::new(
                    Rule::BreakingApi,
                    Severity::Warn,
                    format!(
                        "breaking API change since {since} linked to no catalog feature: {about}: {}",
                        change.message
                    ),
                )
                .bundle(&changes.previous_bundle),
            );
        }
        for (feature, maturity) in &change.features {
            let (severity, why) = match maturity.as_deref() {
                Some("ga") => (Severity::Block, format!("GA at {since} and not deprecated first")),
                Some("deprecated") => (Severity::Info, format!("deprecated at {since}: allowed")),
                Some(other) => (Severity::Info, format!("{other} at {since}: no API promise yet")),
                None => (Severity::Info, format!("did not exist at {since}")),
            };
            reasons.push(
                Reason::new(
                    Rule::BreakingApi,
                    severity,
                    format!("breaking API change since {since}: {about}: {}; the feature was {why}", change.message),
                )
                .feature(feature)
                .bundle(&changes.previous_bundle),
            );
        }
    }
}

/// Why `run` is not used; empty when it qualifies.
fn exclusions_of(
    policy: &StagePolicy,
    trusted: &[String],
    candidate: &Candidate,
    run: &Evidence,
    now: SystemTime,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let mut exclude = |rule: Rule, message: String| {
        reasons.push(Reason::new(rule, Severity::Info, format!("not used: {message}")).bundle(&run.bundle));
    };
    if run.target != policy.from_target {
        exclude(
            Rule::FromTarget,
            format!("from target {:?}; the policy takes evidence from {:?}", run.target, policy.from_target),
        );
    }
    if run.platform_version != candidate.version {
        exclude(
            Rule::PlatformVersion,
            format!("platform version {}; the candidate is {}", run.platform_version, candidate.version),
        );
    }
    if let Some(max_age) = policy.max_age {
        let age = now.duration_since(run.finished_at).unwrap_or(Duration::ZERO);
        if age > max_age {
            exclude(
                Rule::MaxAge,
                format!(
                    "finished {} ago, more than max_age {}",
                    humantime::format_duration(Duration::from_secs(age.as_secs())),
                    humantime::format_duration(max_age)
                ),
            );
        }
    }
    if let Ok(ahead) = run.finished_at.duration_since(now)
        && ahead > CLOCK_SKEW
    {
        exclude(
            Rule::FutureFinish,
            format!(
                "finished {} after now, beyond the {} of clock skew allowed: its finish time cannot be true",
                humantime::format_duration(Duration::from_secs(ahead.as_secs())),
                humantime::format_duration(CLOCK_SKEW)
            ),
        );
    }
    match &run.signed_by {
        Some(key) if !trusted.contains(key) => {
            exclude(
                Rule::TrustedKey,
                format!("signed by a key that is not trusted by this stage (fingerprint {})", printable(key)),
            );
        }
        Some(key) if !run.signature_valid => {
            exclude(
                Rule::TrustedKey,
                format!(
                    "signature does not verify: the bundle names trusted key {} but its signature or a file's digest \
                     does not check out (`certify verify` says which)",
                    printable(key)
                ),
            );
        }
        Some(_) => {}
        None if policy.require_signed => {
            exclude(Rule::RequireSigned, "unsigned, and the policy requires signed evidence".to_owned());
        }
        None => {}
    }
    if policy.require_revision_match
        && let Some(wanted) = &candidate.rev
    {
        match &run.git_commit {
            Some(commit) if revision_matches(wanted, commit) => {}
            Some(commit) => {
                exclude(Rule::RevisionMatch, format!("suite revision {commit}; the candidate revision is {wanted}"))
            }
            None => {
                exclude(Rule::RevisionMatch, format!("records no suite revision; the candidate revision is {wanted}"))
            }
        }
    }
    if !run.complete {
        exclude(Rule::Incomplete, "the run was interrupted".to_owned());
    }
    reasons
}

/// Whether the suite `commit` of a run is the `wanted` revision: equal ignoring case, or
/// `wanted` is an abbreviation of it (7 or more hex digits).
fn revision_matches(wanted: &str, commit: &str) -> bool {
    let wanted = wanted.trim();
    if wanted.eq_ignore_ascii_case(commit) {
        return true;
    }
    wanted.len() >= 7
        && wanted.bytes().all(|b| b.is_ascii_hexdigit())
        && commit.get(..wanted.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(wanted))
}

/// One feature as one qualifying run saw it.
struct Seen<'a> {
    run: &'a Evidence,
    feature: &'a FeatureEvidence,
}

impl Seen<'_> {
    fn verdict(&self) -> Option<Verdict> {
        Verdict::parse(&self.feature.verdict)
    }
}

/// ` (why)`: the bundle's own reason for a feature's verdict, so that a reason names what
/// broke (a failed step, a feature file that did not load); nothing when it gives none.
fn because(feature: &FeatureEvidence) -> String {
    if feature.reason.is_empty() { String::new() } else { format!(" ({})", feature.reason) }
}

/// Judges one feature over its qualifying runs, oldest first (`seen` is never empty).
fn judge_feature(policy: &StagePolicy, id: &str, seen: &[Seen<'_>], reasons: &mut Vec<Reason>) {
    for entry in seen {
        let scenarios = &entry.feature.failed_critical_scenarios;
        let message = if !scenarios.is_empty() {
            format!(
                "critical scenario(s) failed: {}; a critical failure blocks whatever the thresholds",
                scenarios.join(", ")
            )
        } else if entry.feature.critical && entry.verdict() == Some(Verdict::Failed) {
            format!(
                "critical feature failed{}; a critical failure blocks whatever the thresholds",
                because(entry.feature)
            )
        } else {
            continue;
        };
        reasons.push(Reason::new(Rule::Critical, Severity::Block, message).feature(id).bundle(&entry.run.bundle));
    }

    let Some(latest) = seen.last() else { return };
    let chosen = seen.iter().rev().find(|entry| entry.verdict() != Some(Verdict::Untested)).unwrap_or(latest);
    let bundle = chosen.run.bundle.as_str();
    let reason = |rule: Rule, severity: Severity, message: String| {
        Reason::new(rule, severity, message).feature(id).bundle(bundle)
    };

    let maturity = match chosen.feature.maturity.as_deref() {
        None => return,
        Some(text) => match Maturity::parse(text) {
            Some(Maturity::Removed) => return,
            Some(maturity) => maturity,
            None => {
                reasons.push(reason(
                    Rule::Require,
                    Severity::Block,
                    format!("unknown maturity {text:?} in the evidence; cannot tell whether the feature is required"),
                ));
                return;
            }
        },
    };
    let require = policy.require;
    let required = maturity.meets(require);
    let warned = policy.warn_on.contains(&maturity);
    let verdict = chosen.verdict();

    match verdict {
        Some(Verdict::Certified | Verdict::Flaky) => {}
        Some(Verdict::Failed) if required => reasons.push(reason(
            Rule::Require,
            Severity::Block,
            format!(
                "{maturity} feature failed{}; require = \"{}\": every feature at {require} or above must be certified",
                because(chosen.feature),
                require.as_str()
            ),
        )),
        Some(Verdict::Failed) if warned => reasons.push(reason(
            Rule::WarnOn,
            Severity::Warn,
            format!("{maturity} feature failed{}; {maturity} is in warn_on", because(chosen.feature)),
        )),
        Some(Verdict::Failed) => reasons.push(reason(
            Rule::Require,
            Severity::Info,
            format!(
                "{maturity} feature failed{}; not required (require = \"{}\") and not in warn_on",
                because(chosen.feature),
                require.as_str()
            ),
        )),
        Some(Verdict::Untested) if required => reasons.push(reason(
            Rule::Untested,
            Severity::Block,
            format!("{maturity} feature has no scenario run at this version: a coverage gap"),
        )),
        Some(Verdict::NotApplicable) if required => reasons.push(reason(
            Rule::Untested,
            Severity::Block,
            format!("{maturity} feature at this version, but no scenario of it applies: a coverage gap"),
        )),
        Some(Verdict::Untested | Verdict::NotApplicable) => {}
        None if required => reasons.push(reason(
            Rule::Require,
            Severity::Block,
            format!("unknown verdict {:?} for a {maturity} feature; only certified counts", chosen.feature.verdict),
        )),
        None => reasons.push(reason(
            Rule::Require,
            Severity::Info,
            format!("unknown verdict {:?}; not required (require = \"{}\")", chosen.feature.verdict, require.as_str()),
        )),
    }

    let flaky: Vec<&str> = bundles_with(seen, Verdict::Flaky);
    let failed_before: Vec<&str> =
        if verdict == Some(Verdict::Certified) { bundles_with(seen, Verdict::Failed) } else { Vec::new() };
    let (message, at) = if let Some(last) = flaky.last() {
        (format!("{maturity} feature flaky in {}", flaky.join(", ")), *last)
    } else if let Some(last) = failed_before.last() {
        (
            format!(
                "{maturity} feature certified in {bundle} but failed in {} at the same version",
                failed_before.join(", ")
            ),
            *last,
        )
    } else {
        return;
    };
    let (severity, why) = match (required, policy.allow_flaky, warned) {
        (true, false, _) => (Severity::Block, "allow_flaky = false"),
        (true, true, _) => (Severity::Warn, "allow_flaky = true"),
        (false, _, true) => (Severity::Warn, "not required, and in warn_on"),
        (false, _, false) => (Severity::Info, "not required, and not in warn_on"),
    };
    reasons.push(Reason::new(Rule::AllowFlaky, severity, format!("{message}; {why}")).feature(id).bundle(at));
}

/// The bundles, oldest first, in which the feature got `verdict`.
fn bundles_with<'a>(seen: &[Seen<'a>], verdict: Verdict) -> Vec<&'a str> {
    seen.iter().filter(|entry| entry.verdict() == Some(verdict)).map(|entry| entry.run.bundle.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_match_in_full_or_by_abbreviation() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert!(revision_matches(commit, commit));
        assert!(revision_matches(&commit.to_ascii_uppercase(), commit));
        assert!(revision_matches("0123456", commit));
        assert!(!revision_matches("012345", commit));
        assert!(!revision_matches("1123456", commit));
        assert!(!revision_matches("0123456789abcdef0123456789abcdef012345678", commit));
        assert!(!revision_matches("main", "main-branch"));
        assert!(revision_matches("é", "é"));
        assert!(!revision_matches("abcdefa", "é"));
    }

    #[test]
    fn text_output_keeps_one_reason_per_line() {
        let decision = Decision {
            promote: false,
            reasons: vec![Reason::new(Rule::Incomplete, Severity::Info, "x").bundle("evil\nBLOCK")],
            relied_on: Vec::new(),
            verified_levels: Vec::new(),
        };
        assert_eq!(decision.render_text(), "BLOCK\nINFO   incomplete  bundle=\"evil\\nBLOCK\"  x\n");
    }
}
