//! The archive site: the matrix (latest verdict wins, semver column order),
//! version and feature pages, and links that all resolve.

mod common;

use std::collections::BTreeMap;

use certify_report::{SiteBundle, SiteDecision, SiteReason, archive_site};
use common::{between, feature, manifest};

const CATALOG: &str = r#"
[[feature]]
id = "quotas"
title = "Per-plan quotas"
owner = "billing"
lifecycle = { beta = "1.2.0", ga = "1.9.0" }

[[feature]]
id = "usage-export"
title = "Usage export"
owner = "billing"
lifecycle = { alpha = "1.10.0" }
"#;

fn bundle(id: &str, version: &str, finished: &str, quotas: &str) -> SiteBundle {
    SiteBundle {
        id: id.to_owned(),
        manifest: manifest("passed", version, finished, vec![feature("quotas", Some("ga"), quotas)], vec![]),
        report_html: format!("<!DOCTYPE html><p>report {id}</p>"),
    }
}

fn site() -> BTreeMap<String, String> {
    // Input order is not time order: the later run at 1.10.0 comes first.
    let bundles = [
        bundle("late", "1.10.0", "2026-03-02T00:00:00.000Z", "failed"),
        bundle("b-192", "1.9.0", "2026-02-01T00:00:00.000Z", "certified"),
        bundle("early", "1.10.0", "2026-03-01T00:00:00.000Z", "certified"),
        bundle("old", "1.2.0", "2026-01-01T00:00:00.000Z", "flaky"),
    ];
    let decisions = [
        SiteDecision {
            id: "d1".into(),
            stage: "production".into(),
            candidate: "1.10.0".into(),
            promote: false,
            added_at: "2026-03-03T00:00:00Z".into(),
            reasons: Ok(vec![
                SiteReason {
                    rule: "require".into(),
                    severity: "block".into(),
                    feature: Some("quotas".into()),
                    bundle: Some("late".into()),
                    message: "quotas <GA> failed in late".into(),
                },
                SiteReason {
                    rule: "max-age".into(),
                    severity: "info".into(),
                    feature: None,
                    bundle: Some("gone-bundle-0123456789".into()),
                    message: "not used: finished 4days ago".into(),
                },
            ]),
        },
        SiteDecision {
            id: "d2".into(),
            stage: "staging".into(),
            candidate: "3.0.0".into(),
            promote: true,
            added_at: "2026-03-04T00:00:00Z".into(),
            reasons: Err("not recorded (decisions/d2.intoto.jsonl predates records that keep their reasons)".into()),
        },
    ];
    archive_site(&bundles, &decisions, Some(CATALOG)).into_iter().collect()
}

fn cell<'a>(index: &'a str, feature: &str, version: &str) -> &'a str {
    between(index, &format!("<td data-feature=\"{feature}\" data-version=\"{version}\""), "</td>").unwrap()
}

#[test]
fn the_matrix_orders_versions_by_semver_and_shows_the_latest_verdict() {
    let files = site();
    let index = &files["index.html"];
    let header = between(index, "<thead>", "</thead>").unwrap();
    let positions: Vec<usize> =
        ["1.2.0", "1.9.0", "1.10.0"].iter().map(|v| header.find(&format!("data-version=\"{v}\"")).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "1.2.0 < 1.9.0 < 1.10.0: {header}");

    let latest = cell(index, "quotas", "1.10.0");
    assert!(latest.starts_with(" class=\"failed\""), "the later run wins: {latest}");
    assert!(latest.contains("href=\"bundles/late.html\""), "{latest}");
    assert!(latest.contains("GA"));
    let old = cell(index, "quotas", "1.2.0");
    assert!(old.starts_with(" class=\"flaky\"") && old.contains("bundles/old.html"), "{old}");

    // A catalog feature no run covered: its maturity from the catalog, no link.
    let gap = cell(index, "usage-export", "1.10.0");
    assert!(gap.starts_with(" class=\"no-run\"") && gap.contains("alpha") && !gap.contains("href"), "{gap}");
    let absent = cell(index, "usage-export", "1.9.0");
    assert!(absent.contains("—"), "{absent}");
}

#[test]
fn every_page_exists_and_every_link_resolves() {
    let files = site();
    for path in [
        "index.html",
        "versions/1.2.0.html",
        "versions/1.9.0.html",
        "versions/1.10.0.html",
        "features/quotas.html",
        "features/usage-export.html",
        "bundles/late.html",
        "bundles/early.html",
        "bundles/b-192.html",
        "bundles/old.html",
    ] {
        assert!(files.contains_key(path), "{path} missing; have {:?}", files.keys());
    }
    assert_eq!(files["bundles/late.html"], "<!DOCTYPE html><p>report late</p>");
    let mut links = 0;
    for (path, html) in &files {
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        for part in html.split("href=\"").skip(1) {
            let target = &part[..part.find('"').unwrap()];
            assert!(!target.contains("://"), "{path} links outside: {target}");
            if target.starts_with('#') {
                continue;
            }
            let resolved = match target.strip_prefix("../") {
                Some(rest) => rest.to_owned(),
                None if dir.is_empty() => target.to_owned(),
                None => format!("{dir}/{target}"),
            };
            assert!(files.contains_key(&resolved), "{path} links to {target}, which does not exist");
            links += 1;
        }
    }
    assert!(links > 20, "{links}");
    // A decision for a version with no run is listed, not linked.
    assert!(files["index.html"].contains("<td>3.0.0</td>"));
}

#[test]
fn a_version_page_has_release_notes_decisions_and_runs() {
    let files = site();
    let page = &files["versions/1.10.0.html"];
    let notes = between(page, "id=\"release-notes\"", "id=\"decisions\"").unwrap();
    assert!(notes.contains("<h3>New</h3>") && notes.contains("Usage export"), "{notes}");
    assert!(notes.contains("Compared with 1.9.0"), "{notes}");
    let decisions = between(page, "id=\"decisions\"", "id=\"runs\"").unwrap();
    assert!(decisions.contains("BLOCK") && decisions.contains("quotas &lt;GA&gt; failed in late"), "{decisions}");
    assert!(!decisions.contains("d2"));
    assert!(!decisions.contains('—'), "reasons are shown, not a dash: {decisions}");
    let runs = &page[page.find("id=\"runs\"").unwrap()..];
    assert!(runs.contains("../bundles/late.html") && runs.contains("../bundles/early.html"));
    assert!(!runs.contains("../bundles/old.html"));
    let promoted = &files["versions/1.9.0.html"];
    assert!(promoted.contains("<h3>Promoted</h3>"), "quotas went beta -> GA at 1.9.0");
}

#[test]
fn a_feature_page_has_its_history() {
    let files = site();
    let page = &files["features/quotas.html"];
    assert!(page.contains("Per-plan quotas") && page.contains("billing"));
    let history = between(page, "<table id=\"history\">", "</table>").unwrap();
    assert_eq!(history.matches("<tr class=\"run\"").count(), 4);
    let late = history.find("data-bundle=\"late\"").unwrap();
    let early = history.find("data-bundle=\"early\"").unwrap();
    let old = history.find("data-bundle=\"old\"").unwrap();
    assert!(late < early && early < old, "newest version and time first");
}

#[test]
fn without_a_catalog_rows_are_the_ids_seen() {
    let bundles = [bundle("a", "2.0.0", "2026-01-01T00:00:00Z", "certified")];
    let files: BTreeMap<String, String> = archive_site(&bundles, &[], None).into_iter().collect();
    assert!(files.contains_key("features/quotas.html"));
    assert!(files["versions/2.0.0.html"].contains("No feature catalog was given"));
    let broken: BTreeMap<String, String> =
        archive_site(&bundles, &[], Some("[[feature]]\nid = 3")).into_iter().collect();
    assert!(broken["index.html"].contains("could not be read"));
    assert!(broken["index.html"].contains("data-feature=\"quotas\""));
}

#[test]
fn decision_reasons_show_rule_feature_message_and_linked_bundle() {
    let files = site();
    let page = &files["versions/1.10.0.html"];
    let decisions = between(page, "id=\"decisions\"", "id=\"runs\"").unwrap();
    let items: Vec<&str> = decisions.split("<li class=\"reason\"").skip(1).collect();
    assert_eq!(items.len(), 2, "{decisions}");
    let block = items[0];
    assert!(block.contains("data-rule=\"require\" data-severity=\"block\""), "{block}");
    assert!(block.contains("<a class=\"feature\" href=\"../features/quotas.html\">quotas</a>"), "{block}");
    assert!(block.contains("<span class=\"message\">quotas &lt;GA&gt; failed in late</span>"), "{block}");
    assert!(block.contains("<a class=\"bundle\" href=\"../bundles/late.html\">bundle late</a>"), "{block}");
    // A bundle the archive does not hold is named, not linked.
    let info = items[1];
    assert!(info.contains("data-rule=\"max-age\"") && !info.contains("class=\"feature\""), "{info}");
    assert!(info.contains("<span class=\"bundle\">bundle gone-bundle-</span>") && !info.contains("href"), "{info}");
    // On the index too, and a record without reasons says so.
    let index = &files["index.html"];
    assert!(index.contains("<a class=\"bundle\" href=\"bundles/late.html\">bundle late</a>"), "{index}");
    let d2 = &index[index.find("data-decision=\"d2\"").unwrap()..];
    assert!(d2.contains("reasons not recorded (decisions/d2.intoto.jsonl predates"), "{d2}");
}
