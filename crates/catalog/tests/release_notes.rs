//! Release notes for the shipped catalog at each of its versions (and around them), as data
//! and as Markdown snapshots.

use std::collections::BTreeMap;
use std::path::Path;

use certify_catalog::{
    Catalog, Maturity, NoteEntry, Promotion, ReleaseNotes, Tally, Version, load, load_str, release_notes,
    release_notes_markdown, verdicts,
};

fn v(text: &str) -> Version {
    Version::parse(text).expect("test version")
}

fn shipped() -> Catalog {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../features/catalog.toml");
    let mut catalog = load(&path).unwrap_or_else(|err| panic!("the shipped catalog loads: {err}"));
    catalog.path = "features/catalog.toml".into();
    catalog
}

fn ids(entries: &[NoteEntry]) -> Vec<&str> {
    entries.iter().map(|entry| entry.id.as_str()).collect()
}

fn promotions(notes: &ReleaseNotes) -> Vec<(&str, Maturity, Maturity)> {
    notes.promoted.iter().map(|Promotion { id, from, to, .. }| (id.as_str(), *from, *to)).collect()
}

#[test]
fn at_1_0_0_everything_is_new() {
    let notes = release_notes(&shipped(), &v("1.0.0"));
    assert_eq!(notes.previous, None);
    assert_eq!(ids(&notes.new), ["platform-status", "tenant-signup", "api-keys", "legacy-key-header"]);
    assert!(notes.promoted.is_empty() && notes.deprecated.is_empty() && notes.removed.is_empty());
    assert_eq!(ids(&notes.ga), ["platform-status", "api-keys", "legacy-key-header"]);
    assert_eq!(ids(&notes.beta), ["tenant-signup"]);
    assert!(notes.alpha.is_empty() && notes.in_deprecation.is_empty());
}

#[test]
fn at_1_2_0() {
    let notes = release_notes(&shipped(), &v("1.2.0"));
    assert_eq!(notes.previous, Some(v("1.0.0")));
    assert_eq!(ids(&notes.new), ["quotas", "usage-metering", "operator-admin"]);
    assert_eq!(promotions(&notes), [("tenant-signup", Maturity::Beta, Maturity::Ga)]);
    assert_eq!(ids(&notes.ga), ["platform-status", "tenant-signup", "api-keys", "legacy-key-header"]);
    assert_eq!(ids(&notes.beta), ["quotas", "operator-admin"]);
    assert_eq!(ids(&notes.alpha), ["usage-metering"]);
    let metering = &notes.alpha[0];
    assert_eq!((metering.maturity, &metering.since), (Maturity::Alpha, &v("1.2.0")));
}

#[test]
fn at_1_4_0() {
    let notes = release_notes(&shipped(), &v("1.4.0"));
    assert_eq!(notes.previous, Some(v("1.2.0")));
    assert!(notes.new.is_empty());
    assert_eq!(
        promotions(&notes),
        [
            ("quotas", Maturity::Beta, Maturity::Ga),
            ("usage-metering", Maturity::Alpha, Maturity::Beta),
            ("operator-admin", Maturity::Beta, Maturity::Ga)
        ]
    );
    assert_eq!(ids(&notes.beta), ["usage-metering"]);
    assert!(notes.alpha.is_empty());
}

#[test]
fn at_2_0_0() {
    let notes = release_notes(&shipped(), &v("2.0.0"));
    assert_eq!(notes.previous, Some(v("1.4.0")));
    assert_eq!(ids(&notes.new), ["usage-export", "plan-catalog"]);
    assert_eq!(ids(&notes.beta), ["plan-catalog"]);
    assert_eq!(promotions(&notes), [("usage-metering", Maturity::Beta, Maturity::Ga)]);
    assert_eq!(ids(&notes.deprecated), ["legacy-key-header"]);
    assert_eq!(notes.deprecated[0].removal, Some(v("3.0.0")));
    assert!(notes.removed.is_empty());
    assert_eq!(ids(&notes.in_deprecation), ["legacy-key-header"]);
    assert_eq!(ids(&notes.alpha), ["usage-export"]);
    assert!(!ids(&notes.ga).contains(&"legacy-key-header"), "a deprecated feature is listed as deprecated, not GA");
}

#[test]
fn at_3_0_0() {
    let notes = release_notes(&shipped(), &v("3.0.0"));
    assert_eq!(notes.previous, Some(v("2.0.0")));
    assert!(notes.new.is_empty() && notes.promoted.is_empty() && notes.deprecated.is_empty());
    assert_eq!(ids(&notes.removed), ["legacy-key-header"]);
    assert_eq!(notes.removed[0].maturity, Maturity::Removed);
    assert!(notes.in_deprecation.is_empty());
    let listed = notes.ga.len() + notes.beta.len() + notes.alpha.len() + notes.in_deprecation.len();
    assert_eq!(listed, 8, "every feature but the removed one");
}

#[test]
fn between_and_around_catalog_versions() {
    let catalog = shipped();
    let quiet = release_notes(&catalog, &v("2.5.0"));
    assert_eq!(quiet.previous, Some(v("2.0.0")));
    assert!(
        quiet.new.is_empty() && quiet.promoted.is_empty() && quiet.deprecated.is_empty() && quiet.removed.is_empty()
    );
    assert_eq!(ids(&quiet.in_deprecation), ["legacy-key-header"]);

    let before = release_notes(&catalog, &v("0.9.0"));
    assert_eq!(before.previous, None);
    assert!(before.new.is_empty() && before.ga.is_empty());

    let rc = release_notes(&catalog, &v("2.0.0-rc.1"));
    assert_eq!(rc.previous, Some(v("1.4.0")));
    assert!(rc.new.is_empty() && rc.promoted.is_empty(), "nothing of 2.0.0 is in its release candidate");

    let build = release_notes(&catalog, &v("2.0.0+build.7"));
    assert_eq!(build.previous, Some(v("1.4.0")));
    assert_eq!(ids(&build.new), ["usage-export", "plan-catalog"], "build metadata does not change the notes");
}

#[test]
fn notes_serialize_for_json_output() {
    let notes = release_notes(&shipped(), &v("2.0.0"));
    insta::assert_json_snapshot!("notes-2.0.0", notes);
}

#[test]
fn markdown_for_each_shipped_version() {
    let catalog = shipped();
    for version in catalog.versions().iter().chain([&v("0.9.0"), &v("2.5.0")]) {
        let notes = release_notes(&catalog, version);
        let markdown = release_notes_markdown(&notes, &catalog, None);
        assert!(markdown.starts_with(&format!("# Platform {version}\n")), "{markdown}");
        insta::assert_snapshot!(format!("markdown-{version}"), markdown);
    }
}

#[test]
fn markdown_with_the_latest_verdicts() {
    let catalog = shipped();
    let version = v("2.0.0");
    let tallies = BTreeMap::from([
        ("platform-status".to_owned(), Tally { passed: 2, ..Tally::default() }),
        ("tenant-signup".to_owned(), Tally { passed: 3, failed: 1, critical: true, ..Tally::default() }),
        ("api-keys".to_owned(), Tally { passed: 4, flaky: 1, ..Tally::default() }),
        ("quotas".to_owned(), Tally { passed: 1, ..Tally::default() }),
        ("usage-metering".to_owned(), Tally { not_applicable: 2, ..Tally::default() }),
        ("legacy-key-header".to_owned(), Tally { passed: 1, ..Tally::default() }),
    ]);
    let (features, unknown) = verdicts(&catalog, &version, &tallies);
    assert!(unknown.is_empty());
    let mut partial = features.clone();
    partial.retain(|verdict| verdict.id != "quotas");
    let notes = release_notes(&catalog, &version);
    let markdown = release_notes_markdown(&notes, &catalog, Some(&partial));
    insta::assert_snapshot!("markdown-2.0.0-with-verdicts", markdown);
}

#[test]
fn markdown_keeps_table_cells_and_list_items_on_one_line() {
    let text = r#"
[[feature]]
id = "search"
title = "Search | filters"
owner = "discovery |team|"
description = """
Finds things.
  Fast."""
lifecycle = { alpha = "1.0.0" }
"#;
    let catalog = load_str(text, Path::new("catalog.toml")).expect("loads");
    let markdown = release_notes_markdown(&release_notes(&catalog, &v("1.0.0")), &catalog, None);
    assert!(markdown.contains("- **Search | filters** (`search`, alpha): Finds things. Fast.\n"), "{markdown}");
    assert!(
        markdown.contains("| Search \\| filters | `search` | alpha | 1.0.0 | discovery \\|team\\| |\n"),
        "{markdown}"
    );
}

#[test]
fn markdown_for_an_empty_catalog() {
    let catalog = load_str("", Path::new("catalog.toml")).expect("loads");
    let markdown = release_notes_markdown(&release_notes(&catalog, &v("1.0.0")), &catalog, None);
    assert_eq!(markdown, "# Platform 1.0.0\n\n## Features at 1.0.0\n\nNo feature is available at 1.0.0.\n");
}
