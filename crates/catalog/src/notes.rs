//! Release notes for a platform version: what is new, promoted, deprecated and removed compared
//! with the catalog version before it, and where every feature stands, as data and as Markdown.

use std::fmt::Write as _;

use semver::Version;
use serde::Serialize;

use crate::model::{Catalog, CatalogFeature, Maturity};
use crate::verdict::{FeatureVerdict, Verdict};

/// Release notes for one platform version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseNotes {
    /// The version the notes are for.
    pub version: Version,
    /// The catalog version just before it, which the changes are relative to; None for the first.
    pub previous: Option<Version>,
    /// Features that exist at the version and did not exist at the previous one.
    pub new: Vec<NoteEntry>,
    /// Features whose maturity rose (alpha to beta, alpha or beta to GA) since the previous version.
    pub promoted: Vec<Promotion>,
    /// Features deprecated at this version.
    pub deprecated: Vec<NoteEntry>,
    /// Features removed at this version.
    pub removed: Vec<NoteEntry>,
    /// Every feature that is GA at the version.
    pub ga: Vec<NoteEntry>,
    /// Every feature that is in beta at the version.
    pub beta: Vec<NoteEntry>,
    /// Every feature that is in alpha at the version.
    pub alpha: Vec<NoteEntry>,
    /// Every feature that is deprecated at the version (still available, removal to come),
    /// including those deprecated at this very version.
    pub in_deprecation: Vec<NoteEntry>,
}

/// A feature as the release notes mention it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteEntry {
    pub id: String,
    pub title: String,
    pub owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its maturity at the version of the notes.
    pub maturity: Maturity,
    /// The version at which it reached that maturity.
    pub since: Version,
    /// When it is (or was) removed, if the catalog says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removal: Option<Version>,
}

/// A feature whose maturity rose since the previous version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Promotion {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub from: Maturity,
    pub to: Maturity,
}

/// Release notes for v compared with the previous catalog version: features that are new at v
/// (they exist at v but did not at the previous version), promoted (maturity rose between the
/// previous version and v, with from/to), deprecated at v, removed at v, and the full list of
/// what is GA / beta / alpha / deprecated at v. Every list is in catalog order.
pub fn release_notes(catalog: &Catalog, v: &Version) -> ReleaseNotes {
    let previous = catalog.previous_version(v);
    let mut notes = ReleaseNotes {
        version: v.clone(),
        previous: previous.clone(),
        new: Vec::new(),
        promoted: Vec::new(),
        deprecated: Vec::new(),
        removed: Vec::new(),
        ga: Vec::new(),
        beta: Vec::new(),
        alpha: Vec::new(),
        in_deprecation: Vec::new(),
    };
    for feature in &catalog.features {
        let lifecycle = &feature.lifecycle;
        let Some(now) = lifecycle.maturity_at(v) else { continue };
        let before = previous.as_ref().and_then(|previous| lifecycle.maturity_at(previous));
        let existed = before.is_some_and(|before| before != Maturity::Removed);
        let entry = || entry(feature, v, now);
        match now {
            Maturity::Removed => {
                if existed {
                    notes.removed.push(entry());
                }
                continue;
            }
            _ if !existed => notes.new.push(entry()),
            Maturity::Deprecated if before != Some(Maturity::Deprecated) => notes.deprecated.push(entry()),
            Maturity::Beta | Maturity::Ga => {
                if let Some(from) = before.filter(|before| *before < now) {
                    notes.promoted.push(Promotion {
                        id: feature.id.clone(),
                        title: feature.title.clone(),
                        owner: feature.owner.clone(),
                        from,
                        to: now,
                    });
                }
            }
            _ => {}
        }
        match now {
            Maturity::Alpha => notes.alpha.push(entry()),
            Maturity::Beta => notes.beta.push(entry()),
            Maturity::Ga => notes.ga.push(entry()),
            Maturity::Deprecated => notes.in_deprecation.push(entry()),
            Maturity::Removed => {}
        }
    }
    notes
}

fn entry(feature: &CatalogFeature, v: &Version, maturity: Maturity) -> NoteEntry {
    let lifecycle = &feature.lifecycle;
    NoteEntry {
        id: feature.id.clone(),
        title: feature.title.clone(),
        owner: feature.owner.clone(),
        description: feature.description.clone(),
        maturity,
        since: lifecycle.since(v).cloned().unwrap_or_else(|| v.clone()),
        removal: lifecycle.removed.clone(),
    }
}

/// Markdown that reads as release notes: "# Platform V", what changed since the previous
/// version ("## New", "## Now generally available", "## Now in beta", "## Deprecated",
/// "## Removed", each only when it has something to say), then a table of every feature
/// available at V with its maturity, since when, its owner and, when `verdicts` are given,
/// its latest verdict.
pub fn release_notes_markdown(notes: &ReleaseNotes, catalog: &Catalog, verdicts: Option<&[FeatureVerdict]>) -> String {
    let v = &notes.version;
    let mut out = format!("# Platform {v}\n\n");
    let changed =
        !(notes.new.is_empty() && notes.promoted.is_empty() && notes.deprecated.is_empty() && notes.removed.is_empty());
    match (&notes.previous, changed) {
        (Some(previous), true) => {
            let _ = writeln!(out, "Changes since {previous}.\n");
        }
        (Some(previous), false) => {
            let _ = writeln!(out, "No feature changed since {previous}.\n");
        }
        (None, true) => out.push_str("The first version in the feature catalog.\n\n"),
        (None, false) => {}
    }

    section(&mut out, "New", &notes.new, |entry| {
        let mut line = format!("**{}** (`{}`, {})", one_line(&entry.title), entry.id, entry.maturity);
        if let Some(description) = &entry.description {
            line.push_str(": ");
            line.push_str(&one_line(description));
        }
        line
    });
    let promoted_to =
        |to: Maturity| notes.promoted.iter().filter(move |promotion| promotion.to == to).collect::<Vec<_>>();
    section(&mut out, "Now generally available", &promoted_to(Maturity::Ga), |promotion| {
        format!("{}, previously {}", name(&promotion.title, &promotion.id), promotion.from)
    });
    section(&mut out, "Now in beta", &promoted_to(Maturity::Beta), |promotion| {
        format!("{}, previously {}", name(&promotion.title, &promotion.id), promotion.from)
    });
    section(&mut out, "Deprecated", &notes.deprecated, |entry| {
        let mut line = name(&entry.title, &entry.id);
        if let Some(removal) = &entry.removal {
            let _ = write!(line, ": to be removed in {removal}");
        }
        line
    });
    section(&mut out, "Removed", &notes.removed, |entry| name(&entry.title, &entry.id));

    let available: Vec<(&CatalogFeature, Maturity)> = catalog
        .features
        .iter()
        .filter_map(|feature| feature.lifecycle.maturity_at(v).map(|maturity| (feature, maturity)))
        .filter(|(_, maturity)| *maturity != Maturity::Removed)
        .collect();
    let _ = writeln!(out, "## Features at {v}\n");
    if available.is_empty() {
        let _ = writeln!(out, "No feature is available at {v}.");
        return out;
    }
    let mut header = "| Feature | Id | Maturity | Since | Owner |".to_owned();
    let mut rule = "|---|---|---|---|---|".to_owned();
    if verdicts.is_some() {
        header.push_str(" Verdict |");
        rule.push_str("---|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for (feature, maturity) in available {
        let since = feature.lifecycle.stage(maturity).map(ToString::to_string).unwrap_or_default();
        let mut row = format!(
            "| {} | `{}` | {maturity} | {since} | {} |",
            cell(&feature.title),
            feature.id,
            cell(&feature.owner)
        );
        if let Some(verdicts) = verdicts {
            let verdict = verdicts.iter().find(|verdict| verdict.id == feature.id).map(|verdict| verdict.verdict);
            let _ = write!(row, " {} |", verdict_text(verdict));
        }
        let _ = writeln!(out, "{row}");
    }
    out
}

fn section<T>(out: &mut String, heading: &str, items: &[T], line: impl Fn(&T) -> String) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {heading}\n");
    for item in items {
        let _ = writeln!(out, "- {}", line(item));
    }
    out.push('\n');
}

fn name(title: &str, id: &str) -> String {
    format!("**{}** (`{id}`)", one_line(title))
}

fn verdict_text(verdict: Option<Verdict>) -> &'static str {
    match verdict {
        Some(Verdict::Certified) => "certified",
        Some(Verdict::Failed) => "failed",
        Some(Verdict::Flaky) => "flaky",
        Some(Verdict::Untested) => "untested (coverage gap)",
        Some(Verdict::NotApplicable) => "not applicable",
        None => "no verdict",
    }
}

/// Text on one line: runs of whitespace, newlines included, become one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text for a Markdown table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}
