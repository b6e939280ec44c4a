//! certify's own tags.
//!
//! | tag | meaning |
//! |---|---|
//! | `@feature:<id>` | links scenarios to a catalog feature (Feature, Rule or Scenario; inherited downward, the innermost wins) |
//! | `@since:<semver>` / `@until:<semver>` | the platform versions where one scenario applies (inclusive) |
//! | `@critical` | a failure blocks promotion whatever the policy says |
//! | `@retry(N)` | retry a failed scenario up to N times; a later pass is flaky |
//! | `@serial` | never run concurrently with other scenarios |
//!
//! Any other tag is the user's own and is left alone. The gherkin parser
//! stores tags without their `@`.

use semver::Version;

/// The most retries `@retry(N)` may ask for.
pub const MAX_RETRIES: usize = 10;

/// certify's tags as they apply to one scenario (Feature, Rule and Scenario
/// tags combined).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertifyTags {
    pub feature: Option<String>,
    pub since: Option<Version>,
    pub until: Option<Version>,
    pub critical: bool,
    pub serial: bool,
    pub retry: Option<usize>,
}

impl CertifyTags {
    /// Why a scenario with these tags does not apply at platform version `v`,
    /// or `None` when `v` is inside its `@since`/`@until` window (inclusive).
    pub fn outside_window(&self, v: &Version) -> Option<String> {
        if let Some(since) = &self.since
            && v < since
        {
            return Some(format!("not applicable at {v}: @since:{since}"));
        }
        if let Some(until) = &self.until
            && v > until
        {
            return Some(format!("not applicable at {v}: @until:{until}"));
        }
        None
    }
}

/// A certify tag written wrongly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagProblem {
    pub tag: String,
    pub message: String,
}

/// Reads certify's tags from the tag lists of a Feature, its Rule (if any) and
/// a Scenario, outermost first. Malformed certify tags are returned as
/// problems and otherwise ignored.
pub fn certify_tags<'a>(levels: impl IntoIterator<Item = &'a [String]>) -> (CertifyTags, Vec<TagProblem>) {
    let mut out = CertifyTags::default();
    let mut problems = Vec::new();
    for tags in levels {
        for tag in tags {
            if let Err(message) = apply(tag, &mut out) {
                problems.push(TagProblem { tag: format!("@{tag}"), message });
            }
        }
    }
    (out, problems)
}

fn apply(tag: &str, out: &mut CertifyTags) -> Result<(), String> {
    if let Some(id) = tag.strip_prefix("feature:") {
        if !valid_id(id) {
            return Err(if id.is_empty() {
                "@feature: needs a catalog feature id, as in @feature:tenant-signup".to_owned()
            } else {
                format!("@feature:{id}: a feature id is lowercase letters, digits, '-', '_' or '.'")
            });
        }
        out.feature = Some(id.to_owned());
    } else if tag == "feature" {
        return Err("@feature needs a catalog feature id, as in @feature:tenant-signup".to_owned());
    } else if let Some(v) = tag.strip_prefix("since:") {
        out.since = Some(version(v, "since")?);
    } else if let Some(v) = tag.strip_prefix("until:") {
        out.until = Some(version(v, "until")?);
    } else if tag == "critical" {
        out.critical = true;
    } else if tag == "serial" {
        out.serial = true;
    } else if tag == "retry" {
        out.retry = Some(1);
    } else if let Some(rest) = tag.strip_prefix("retry(") {
        let n = rest.strip_suffix(')').and_then(|n| n.parse::<usize>().ok()).filter(|n| *n >= 1).ok_or_else(|| {
            format!("@retry({rest}: expected @retry(N) with N a whole number from 1 to {MAX_RETRIES}")
        })?;
        if n > MAX_RETRIES {
            return Err(format!(
                "@retry({n}): at most {MAX_RETRIES} retries; a scenario that needs more is broken, not flaky"
            ));
        }
        out.retry = Some(n);
    }
    if let (Some(s), Some(u)) = (&out.since, &out.until)
        && s > u
    {
        return Err(format!("@since:{s} is later than @until:{u}: the scenario would never apply"));
    }
    Ok(())
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn version(text: &str, which: &str) -> Result<Version, String> {
    Version::parse(text).map_err(|e| format!("@{which}:{text}: expected a semver version like 2.0.0 ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn inner_levels_override_outer() {
        let f = tags(&["feature:a", "critical"]);
        let s = tags(&["feature:b", "since:2.0.0", "retry(3)", "serial", "smoke"]);
        let (t, problems) = certify_tags([f.as_slice(), s.as_slice()]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(t.feature.as_deref(), Some("b"));
        assert_eq!(t.since, Some(Version::new(2, 0, 0)));
        assert_eq!((t.critical, t.serial, t.retry), (true, true, Some(3)));
    }

    #[test]
    fn malformed_certify_tags_are_problems() {
        let s = tags(&[
            "feature:",
            "feature",
            "since:2.0",
            "until:x",
            "retry(x)",
            "retry(0)",
            "feature:Bad Id",
            "mine:ok",
            "retry(11)",
        ]);
        let (_, problems) = certify_tags([s.as_slice()]);
        let names: Vec<_> = problems.iter().map(|p| p.tag.as_str()).collect();
        assert_eq!(
            names,
            [
                "@feature:",
                "@feature",
                "@since:2.0",
                "@until:x",
                "@retry(x)",
                "@retry(0)",
                "@feature:Bad Id",
                "@retry(11)"
            ]
        );
        assert!(problems[7].message.contains("at most 10"), "{}", problems[7].message);
        assert!(problems[2].message.contains("semver"));
    }

    #[test]
    fn version_window_is_inclusive() {
        let s = tags(&["since:1.4.0", "until:2.0.0"]);
        let (t, _) = certify_tags([s.as_slice()]);
        let at = |v: &str| t.outside_window(&Version::parse(v).unwrap());
        assert_eq!(at("1.4.0"), None);
        assert_eq!(at("2.0.0"), None);
        assert_eq!(at("1.3.9").as_deref(), Some("not applicable at 1.3.9: @since:1.4.0"));
        assert_eq!(at("2.0.1").as_deref(), Some("not applicable at 2.0.1: @until:2.0.0"));
        assert!(at("2.0.0-rc.1").is_none(), "a pre-release of 2.0.0 is before 2.0.0");
    }

    #[test]
    fn since_after_until_is_a_problem() {
        let s = tags(&["since:3.0.0", "until:2.0.0"]);
        let (_, problems) = certify_tags([s.as_slice()]);
        assert_eq!(problems.len(), 1);
    }
}
