//! Which scenarios a run executes: tag expressions (`--tags`) and shards
//! (`--shard K/N`). Every scenario that is left out keeps a reason, so
//! reports can say why instead of dropping it silently.

use std::{fmt, str::FromStr};

use cucumber::tag::Ext as _;
use gherkin::tagexpr::TagOperation;

/// A stable id for one concrete scenario: `path:line` (for an outline, the
/// line of its example row).
pub fn scenario_id(path: &str, scenario: &gherkin::Scenario) -> String {
    format!("{path}:{}", scenario.position.line)
}

/// A cucumber tag expression, e.g. `@smoke and not @slow`.
#[derive(Debug, Clone)]
pub struct TagFilter {
    text: String,
    op: TagOperation,
}

#[derive(Debug, thiserror::Error)]
#[error("--tags {text:?}: not a tag expression ({reason}); expected e.g. \"@smoke and not @slow\"")]
pub struct TagFilterError {
    text: String,
    reason: String,
}

impl FromStr for TagFilter {
    type Err = TagFilterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let op = s.parse::<TagOperation>().map_err(|e| TagFilterError { text: s.to_owned(), reason: e.to_string() })?;
        Ok(TagFilter { text: s.to_owned(), op })
    }
}

impl fmt::Display for TagFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl TagFilter {
    /// Evaluates the expression over all tags that apply (Feature, Rule, Scenario).
    pub fn matches<'a>(&self, tags: impl IntoIterator<Item = &'a String> + Clone) -> bool {
        self.op.eval(tags)
    }
}

/// One shard of a run split across machines: `K/N`, 1 <= K <= N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("--shard {0:?}: expected K/N with 1 <= K <= N, e.g. 2/4")]
pub struct ShardError(String);

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ShardError(s.to_owned());
        let (k, n) = s.split_once('/').ok_or_else(err)?;
        let (index, count) = (k.trim().parse().map_err(|_| err())?, n.trim().parse().map_err(|_| err())?);
        if index == 0 || count == 0 || index > count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Scenarios are dealt round-robin in suite order, so shards are balanced
    /// and the same on every machine that reads the same suite.
    pub fn takes(&self, ordinal: usize) -> bool {
        ordinal % self.count == self.index - 1
    }
}

/// The user's selection for a run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub tags: Option<TagFilter>,
    pub shard: Option<Shard>,
}

impl Selection {
    /// Why a scenario is left out, or `None` when it runs. `ordinal` is the
    /// scenario's position in the whole suite (0-based).
    pub fn excludes<'a>(&self, ordinal: usize, tags: impl IntoIterator<Item = &'a String> + Clone) -> Option<String> {
        if let Some(filter) = &self.tags
            && !filter.matches(tags)
        {
            return Some(format!("not selected by --tags {filter}"));
        }
        if let Some(shard) = &self.shard
            && !shard.takes(ordinal)
        {
            return Some(format!("in another shard than {shard}"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn tag_expressions() {
        let f: TagFilter = "@smoke and not @slow".parse().unwrap();
        assert!(f.matches(&t(&["smoke"])));
        assert!(!f.matches(&t(&["smoke", "slow"])));
        assert!(!f.matches(&t(&[])));
        let err = "@a and".parse::<TagFilter>().unwrap_err().to_string();
        assert!(err.contains("--tags \"@a and\""), "{err}");
    }

    #[test]
    fn shards_partition_the_suite() {
        let shards: Vec<Shard> = (1..=3).map(|k| format!("{k}/3").parse().unwrap()).collect();
        for ordinal in 0..30 {
            assert_eq!(shards.iter().filter(|s| s.takes(ordinal)).count(), 1);
        }
        for bad in ["0/3", "4/3", "a/b", "3", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
