//! The archive site: static, self-contained pages over every bundle and gate
//! decision in an archive. `index.html` is the feature x platform-version
//! matrix (each cell the feature's maturity and its latest verdict at that
//! version, linking to the run that decided it); `versions/<v>.html` holds a
//! version's release notes, gate decisions and runs; `features/<id>.html` a
//! feature's history; `bundles/<id>.html` the run reports themselves.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use certify_catalog::{Catalog, FeatureVerdict, ReleaseNotes, Version};
use certify_evidence::manifest::Manifest;

use crate::html::{esc, page, plural, slug};
use crate::run::RunVerdict;

/// One bundle of the archive with its rendered run report.
#[derive(Debug, Clone)]
pub struct SiteBundle {
    /// The archive's id for the bundle (names `bundles/<id>.html`).
    pub id: String,
    pub manifest: Manifest,
    /// The bundle's run report, as made by [`crate::run_report`].
    pub report_html: String,
}

/// One gate decision recorded in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteDecision {
    pub id: String,
    pub stage: String,
    /// The candidate platform version.
    pub candidate: String,
    pub promote: bool,
    pub added_at: String,
    /// The reasons the signed record carries, as the gate printed them; `Err` says why they
    /// cannot be shown (a record from before records kept reasons, or one that does not read).
    pub reasons: Result<Vec<SiteReason>, String>,
}

/// One reason of a gate decision, as its record keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteReason {
    /// The policy rule (`require`, `critical`, ...).
    pub rule: String,
    /// `block`, `warn` or `info`.
    pub severity: String,
    /// The catalog feature it is about (linked to its page when the site has one).
    pub feature: Option<String>,
    /// The bundle it is about (linked to its report when the archive holds it).
    pub bundle: Option<String>,
    pub message: String,
}

/// A platform version as a column: semver ones in semver order, anything
/// else after them, by text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    text: String,
    semver: Option<Version>,
}

impl Column {
    fn new(text: &str) -> Column {
        Column { text: text.to_owned(), semver: Version::parse(text.trim_start_matches('v')).ok() }
    }
}

impl Ord for Column {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.semver, &other.semver) {
            (Some(a), Some(b)) => a.cmp(b).then_with(|| self.text.cmp(&other.text)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.text.cmp(&other.text),
        }
    }
}

impl PartialOrd for Column {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// When a bundle's run happened, for "latest": its finish time, else its start.
fn when(b: &SiteBundle) -> &str {
    let h = &b.manifest.header;
    if h.finished_at.is_empty() { &h.started_at } else { &h.finished_at }
}

fn bundle_href(root: &str, id: &str) -> String {
    format!("{root}bundles/{}.html", slug(id))
}
fn version_href(root: &str, v: &str) -> String {
    format!("{root}versions/{}.html", slug(v))
}
fn feature_href(root: &str, id: &str) -> String {
    format!("{root}features/{}.html", slug(id))
}

/// Files of a static site, as (relative path, contents): `index.html`,
/// `versions/<v>.html`, `features/<id>.html` and `bundles/<id>.html`. Rows of
/// the matrix are the catalog's features (`catalog_toml`, a bundle's
/// `suite/features/catalog.toml`) followed by any other feature id the
/// bundles mention; columns are the platform versions, ascending.
pub fn archive_site(
    bundles: &[SiteBundle],
    decisions: &[SiteDecision],
    catalog_toml: Option<&str>,
) -> Vec<(String, String)> {
    let (catalog, catalog_problem) =
        match catalog_toml.map(|t| certify_catalog::load_str(t, Path::new("suite/features/catalog.toml"))) {
            Some(Ok(c)) => (Some(c), None),
            Some(Err(e)) => (None, Some(e.to_string())),
            None => (None, None),
        };

    // Bundles in time order (stable for equal times): "latest" is the last one.
    let mut order: Vec<&SiteBundle> = bundles.iter().collect();
    order.sort_by(|a, b| when(a).cmp(when(b)));

    let mut columns: Vec<Column> = order.iter().map(|b| Column::new(&b.manifest.header.platform.version)).collect();
    columns.sort();
    columns.dedup_by(|a, b| a.text == b.text);

    let mut rows: Vec<String> =
        catalog.as_ref().map(|c| c.features.iter().map(|f| f.id.clone()).collect()).unwrap_or_default();
    let known: BTreeSet<String> = rows.iter().cloned().collect();
    let extra: BTreeSet<String> = order
        .iter()
        .flat_map(|b| b.manifest.header.features.iter().map(|f| f.id.clone()))
        .filter(|id| !known.contains(id))
        .collect();
    rows.extend(extra);

    // (feature, version) -> the latest bundle's verdict for it.
    let mut latest: BTreeMap<(&str, &str), (&SiteBundle, &FeatureVerdict)> = BTreeMap::new();
    for b in &order {
        for f in &b.manifest.header.features {
            latest.insert((f.id.as_str(), b.manifest.header.platform.version.as_str()), (b, f));
        }
    }

    let site =
        Site { order: &order, decisions, catalog: catalog.as_ref(), columns: &columns, rows: &rows, latest: &latest };
    let mut files = Vec::with_capacity(1 + columns.len() + rows.len() + bundles.len());
    files.push(("index.html".to_owned(), site.index(catalog_problem.as_deref())));
    for c in &columns {
        files.push((format!("versions/{}.html", slug(&c.text)), site.version_page(c)));
    }
    for id in &rows {
        files.push((format!("features/{}.html", slug(id)), site.feature_page(id)));
    }
    for b in bundles {
        files.push((format!("bundles/{}.html", slug(&b.id)), b.report_html.clone()));
    }
    files
}

struct Site<'a> {
    order: &'a [&'a SiteBundle],
    decisions: &'a [SiteDecision],
    catalog: Option<&'a Catalog>,
    columns: &'a [Column],
    rows: &'a [String],
    latest: &'a BTreeMap<(&'a str, &'a str), (&'a SiteBundle, &'a FeatureVerdict)>,
}

impl Site<'_> {
    /// The decisions, newest first as given, each with every reason its record keeps: rule,
    /// feature (linked to its page), message and bundle (linked to its report).
    /// `with_candidate`: a candidate column, linked to its version page when there is one.
    fn decisions_table(&self, body: &mut String, root: &str, decisions: &[&SiteDecision], with_candidate: bool) {
        if decisions.is_empty() {
            body.push_str("<p class=\"meta\">No gate decision.</p>\n");
            return;
        }
        body.push_str("<table class=\"decisions\"><thead><tr><th>decision</th><th>stage</th>");
        if with_candidate {
            body.push_str("<th>candidate</th>");
        }
        body.push_str("<th>when</th><th>reasons</th><th>id</th></tr></thead><tbody>\n");
        for d in decisions {
            let (class, label) = if d.promote { ("promote", "PROMOTE") } else { ("block", "BLOCK") };
            let _ = write!(
                body,
                "<tr class=\"decision\" data-decision=\"{}\"><td class=\"{class}\"><b>{label}</b></td><td>{}</td>",
                esc(&d.id),
                esc(&d.stage)
            );
            if with_candidate {
                if self.columns.iter().any(|c| c.text == d.candidate) {
                    let _ = write!(
                        body,
                        "<td><a href=\"{}\">{}</a></td>",
                        esc(&version_href(root, &d.candidate)),
                        esc(&d.candidate)
                    );
                } else {
                    let _ = write!(body, "<td>{}</td>", esc(&d.candidate));
                }
            }
            let _ = write!(body, "<td>{}</td><td>", esc(&d.added_at));
            match &d.reasons {
                Err(why) => {
                    let _ = write!(body, "<span class=\"meta\">reasons {}</span>", esc(why));
                }
                Ok(reasons) if reasons.is_empty() => body.push_str("none"),
                Ok(reasons) => {
                    body.push_str("<ul class=\"reasons\">");
                    for r in reasons {
                        self.reason_item(body, root, r);
                    }
                    body.push_str("</ul>");
                }
            }
            let _ = writeln!(body, "</td><td class=\"mono\">{}</td></tr>", esc(&d.id));
        }
        body.push_str("</tbody></table>\n");
    }

    /// `<li>`: severity and rule, the feature, the message, the bundle.
    fn reason_item(&self, body: &mut String, root: &str, r: &SiteReason) {
        let class = match r.severity.as_str() {
            "block" => "block",
            "warn" => "warn",
            _ => "info",
        };
        let _ = write!(
            body,
            "<li class=\"reason\" data-rule=\"{}\" data-severity=\"{}\"><span class=\"{class}\">{}</span> <b>{}</b>",
            esc(&r.rule),
            esc(&r.severity),
            esc(&r.severity.to_ascii_uppercase()),
            esc(&r.rule)
        );
        if let Some(f) = &r.feature {
            if self.rows.iter().any(|row| row == f) {
                let _ = write!(body, " <a class=\"feature\" href=\"{}\">{}</a>", esc(&feature_href(root, f)), esc(f));
            } else {
                let _ = write!(body, " <span class=\"feature\">{}</span>", esc(f));
            }
        }
        let _ = write!(body, ": <span class=\"message\">{}</span>", esc(&r.message));
        if let Some(b) = &r.bundle {
            let short: String = b.chars().take(12).collect();
            if self.order.iter().any(|bundle| bundle.id == *b) {
                let _ = write!(
                    body,
                    " (<a class=\"bundle\" href=\"{}\">bundle {}</a>)",
                    esc(&bundle_href(root, b)),
                    esc(&short)
                );
            } else {
                let _ = write!(body, " (<span class=\"bundle\">bundle {}</span>)", esc(&short));
            }
        }
        body.push_str("</li>");
    }

    fn maturity_at(&self, id: &str, column: &Column) -> Option<String> {
        let feature = self.catalog?.get(id)?;
        feature.lifecycle.maturity_at(column.semver.as_ref()?).map(|m| m.to_string())
    }

    fn index(&self, catalog_problem: Option<&str>) -> String {
        let mut body = String::from("<h1>Features &times; platform versions</h1>\n");
        let _ = writeln!(
            body,
            "<p class=\"meta\">{} and {}; each cell is the feature's maturity and its latest verdict at that version, \
             linking to the run it comes from.</p>",
            plural(self.order.len(), "run", "runs"),
            plural(self.decisions.len(), "gate decision", "gate decisions")
        );
        if let Some(p) = catalog_problem {
            let _ = writeln!(
                body,
                "<p class=\"failed\">The feature catalog could not be read ({}); rows are the features the runs name.</p>",
                esc(p)
            );
        }
        body.push_str("<table id=\"matrix\" class=\"matrix\"><thead><tr><th>feature</th>");
        for c in self.columns {
            let _ = write!(
                body,
                "<th data-version=\"{0}\"><a href=\"{1}\">{0}</a></th>",
                esc(&c.text),
                esc(&version_href("", &c.text))
            );
        }
        body.push_str("</tr></thead><tbody>\n");
        for id in self.rows {
            let title = self.catalog.and_then(|c| c.get(id)).map(|f| f.title.as_str()).unwrap_or("");
            let _ = write!(
                body,
                "<tr data-feature=\"{0}\"><th><a href=\"{1}\">{0}</a><div class=\"meta\">{2}</div></th>",
                esc(id),
                esc(&feature_href("", id)),
                esc(title)
            );
            for c in self.columns {
                match self.latest.get(&(id.as_str(), c.text.as_str())) {
                    Some((b, f)) => {
                        let maturity = f.maturity.map(|m| m.to_string()).or_else(|| self.maturity_at(id, c));
                        let verdict = f.verdict.as_str();
                        let _ = write!(
                            body,
                            "<td data-feature=\"{}\" data-version=\"{}\" class=\"{verdict}\" title=\"{}\"><a href=\"{}\">\
                             <span class=\"maturity\">{}</span> · <span class=\"verdict\">{verdict}</span></a></td>",
                            esc(id),
                            esc(&c.text),
                            esc(&format!("{} ({})", f.reason, when(b))),
                            esc(&bundle_href("", &b.id)),
                            esc(maturity.as_deref().unwrap_or("—")),
                        );
                    }
                    None => {
                        let maturity = self.maturity_at(id, c);
                        let _ = write!(
                            body,
                            "<td data-feature=\"{}\" data-version=\"{}\" class=\"no-run\"><span class=\"maturity\">{}</span> · <span class=\"verdict\">no run</span></td>",
                            esc(id),
                            esc(&c.text),
                            esc(maturity.as_deref().unwrap_or("—")),
                        );
                    }
                }
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</tbody></table>\n");

        body.push_str("<h2>Runs</h2>\n");
        let newest_first: Vec<&SiteBundle> = self.order.iter().rev().copied().collect();
        runs_table(&mut body, "", &newest_first);
        body.push_str("<h2>Gate decisions</h2>\n");
        let mut ds: Vec<&SiteDecision> = self.decisions.iter().collect();
        ds.sort_by(|a, b| b.added_at.cmp(&a.added_at));
        self.decisions_table(&mut body, "", &ds, true);
        page("certify — features × versions", "", false, &body)
    }

    fn version_page(&self, column: &Column) -> String {
        let v = &column.text;
        let root = "../";
        let mut body = format!("<h1>Platform {}</h1>\n", esc(v));
        let runs: Vec<&SiteBundle> =
            self.order.iter().rev().copied().filter(|b| b.manifest.header.platform.version == *v).collect();

        body.push_str("<h2 id=\"release-notes\">Release notes</h2>\n");
        match (self.catalog, &column.semver) {
            (Some(catalog), Some(sv)) => {
                let notes = certify_catalog::release_notes(catalog, sv);
                let verdicts: Option<&[FeatureVerdict]> = runs.first().map(|b| b.manifest.header.features.as_slice());
                release_notes_html(&mut body, root, &notes, self, column);
                let markdown = certify_catalog::release_notes_markdown(&notes, catalog, verdicts);
                let _ =
                    writeln!(body, "<details><summary>as Markdown</summary><pre>{}</pre></details>", esc(&markdown));
            }
            (None, _) => body.push_str("<p class=\"meta\">No feature catalog was given: no release notes.</p>\n"),
            (_, None) => body.push_str("<p class=\"meta\">Not a semantic version: no release notes.</p>\n"),
        }

        if let Some((run, api)) = runs.iter().find_map(|b| b.manifest.header.api.as_ref().map(|a| (*b, a))) {
            api_coverage_html(&mut body, root, run, api);
        }

        body.push_str("<h2 id=\"decisions\">Gate decisions</h2>\n");
        let mut ds: Vec<&SiteDecision> = self
            .decisions
            .iter()
            .filter(|d| {
                d.candidate == *v || (column.semver.is_some() && Column::new(&d.candidate).semver == column.semver)
            })
            .collect();
        ds.sort_by(|a, b| b.added_at.cmp(&a.added_at));
        self.decisions_table(&mut body, root, &ds, false);

        body.push_str("<h2 id=\"runs\">Runs</h2>\n");
        runs_table(&mut body, root, &runs);
        page(&format!("certify — platform {v}"), root, true, &body)
    }

    fn feature_page(&self, id: &str) -> String {
        let root = "../";
        let mut body = format!("<h1>Feature <span class=\"mono\">{}</span></h1>\n", esc(id));
        match self.catalog.and_then(|c| c.get(id)) {
            Some(f) => {
                body.push_str("<dl class=\"facts\">");
                let _ =
                    write!(body, "<dt>title</dt><dd>{}</dd><dt>owner</dt><dd>{}</dd>", esc(&f.title), esc(&f.owner));
                if let Some(d) = &f.description {
                    let _ = write!(body, "<dt>description</dt><dd>{}</dd>", esc(d));
                }
                let stages: Vec<String> = f.lifecycle.stages().map(|(m, v)| format!("{m} {v}")).collect();
                let _ = writeln!(body, "<dt>lifecycle</dt><dd>{}</dd></dl>", esc(&stages.join(" → ")));
            }
            None => body.push_str("<p class=\"untested\">Not in the feature catalog.</p>\n"),
        }
        body.push_str("<h2>At each version</h2>\n<table id=\"by-version\"><thead><tr><th>version</th><th>maturity</th><th>latest verdict</th><th>run</th></tr></thead><tbody>\n");
        for c in self.columns {
            let latest = self.latest.get(&(id, c.text.as_str()));
            let maturity =
                latest.and_then(|(_, f)| f.maturity.map(|m| m.to_string())).or_else(|| self.maturity_at(id, c));
            let (verdict, link) = match latest {
                Some((b, f)) => {
                    (f.verdict.as_str(), format!("<a href=\"{}\">{}</a>", esc(&bundle_href(root, &b.id)), esc(when(b))))
                }
                None => ("no-run", String::new()),
            };
            let _ = writeln!(
                body,
                "<tr data-version=\"{0}\"><td><a href=\"{1}\">{0}</a></td><td>{2}</td><td class=\"verdict {verdict}\">{verdict}</td><td>{link}</td></tr>",
                esc(&c.text),
                esc(&version_href(root, &c.text)),
                esc(maturity.as_deref().unwrap_or("—")),
            );
        }
        body.push_str("</tbody></table>\n<h2>Every run</h2>\n<table id=\"history\"><thead><tr><th>version</th><th>time</th><th>maturity</th><th>verdict</th><th>why</th><th>target</th><th>run</th></tr></thead><tbody>\n");
        let mut runs: Vec<(&SiteBundle, &FeatureVerdict)> = self
            .order
            .iter()
            .filter_map(|b| b.manifest.header.features.iter().find(|f| f.id == id).map(|f| (*b, f)))
            .collect();
        runs.sort_by(|(a, _), (b, _)| {
            Column::new(&b.manifest.header.platform.version)
                .cmp(&Column::new(&a.manifest.header.platform.version))
                .then_with(|| when(b).cmp(when(a)))
        });
        for (b, f) in runs {
            let h = &b.manifest.header;
            let verdict = f.verdict.as_str();
            let _ = writeln!(
                body,
                "<tr class=\"run\" data-bundle=\"{}\"><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"verdict {verdict}\">{verdict}</td><td>{}</td><td>{}</td><td><a href=\"{}\">{}</a></td></tr>",
                esc(&b.id),
                esc(&version_href(root, &h.platform.version)),
                esc(&h.platform.version),
                esc(when(b)),
                esc(&f.maturity.map(|m| m.to_string()).unwrap_or_else(|| "—".into())),
                esc(&f.reason),
                esc(&h.target.name),
                esc(&bundle_href(root, &b.id)),
                esc(&h.run_id),
            );
        }
        body.push_str("</tbody></table>\n");
        page(&format!("certify — feature {id}"), root, true, &body)
    }
}

fn release_notes_html(body: &mut String, root: &str, notes: &ReleaseNotes, site: &Site<'_>, column: &Column) {
    match &notes.previous {
        Some(p) => {
            let _ = writeln!(body, "<p>Compared with {}.</p>", esc(&p.to_string()));
        }
        None => body.push_str("<p>The first version in the feature catalog.</p>\n"),
    }
    let link = |id: &str, title: &str| {
        format!(
            "<a href=\"{}\">{}</a> <span class=\"meta\">({})</span>",
            esc(&feature_href(root, id)),
            esc(title),
            esc(id)
        )
    };
    let mut section = |name: &str, items: Vec<String>| {
        if !items.is_empty() {
            let _ = write!(body, "<h3>{}</h3><ul>", esc(name));
            for i in items {
                let _ = write!(body, "<li>{i}</li>");
            }
            body.push_str("</ul>\n");
        }
    };
    section(
        "New",
        notes.new.iter().map(|e| format!("{} — {}", link(&e.id, &e.title), esc(&e.maturity.to_string()))).collect(),
    );
    section(
        "Promoted",
        notes
            .promoted
            .iter()
            .map(|p| format!("{}: {} → {}", link(&p.id, &p.title), esc(&p.from.to_string()), esc(&p.to.to_string())))
            .collect(),
    );
    section(
        "Deprecated",
        notes
            .deprecated
            .iter()
            .map(|e| match &e.removal {
                Some(r) => format!("{}: to be removed in {}", link(&e.id, &e.title), esc(&r.to_string())),
                None => link(&e.id, &e.title),
            })
            .collect(),
    );
    section("Removed", notes.removed.iter().map(|e| link(&e.id, &e.title)).collect());

    body.push_str("<table id=\"notes\"><thead><tr><th>feature</th><th>maturity</th><th>since</th><th>owner</th><th>latest verdict</th></tr></thead><tbody>\n");
    let all = notes.ga.iter().chain(&notes.beta).chain(&notes.alpha).chain(&notes.in_deprecation);
    for e in all {
        let verdict = site
            .latest
            .get(&(e.id.as_str(), column.text.as_str()))
            .map(|(_, f)| f.verdict.as_str())
            .unwrap_or("no-run");
        let _ = writeln!(
            body,
            "<tr data-feature=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"verdict {verdict}\">{verdict}</td></tr>",
            esc(&e.id),
            link(&e.id, &e.title),
            esc(&e.maturity.to_string()),
            esc(&e.since.to_string()),
            esc(&e.owner),
        );
    }
    body.push_str("</tbody></table>\n");
}

/// A version's API coverage, from its newest run that used an API description.
fn api_coverage_html(body: &mut String, root: &str, run: &SiteBundle, api: &certify_evidence::manifest::ApiRecord) {
    let exercised = api.operations.iter().filter(|op| op.exercised).count();
    let _ = writeln!(
        body,
        "<h2 id=\"api\">API coverage</h2>\n<p>From run <a href=\"{}\">{}</a> ({}): {exercised} of {} operations of \
         <span class=\"mono\">{}</span> exercised; {} response{} broke the description.</p>",
        bundle_href(root, &run.id),
        esc(&run.manifest.header.run_id),
        esc(when(run)),
        api.operations.len(),
        esc(&api.source),
        api.findings,
        if api.findings == 1 { "" } else { "s" },
    );
    let gaps: Vec<_> = api.gaps().collect();
    if !gaps.is_empty() {
        body.push_str(
            "<table class=\"api-gaps\"><thead><tr><th>API coverage gap</th><th>feature</th></tr></thead><tbody>\n",
        );
        for op in gaps {
            let feature = match &op.feature {
                Some(f) => format!("<a href=\"{}\">{}</a>", feature_href(root, f), esc(f)),
                None => "—".to_owned(),
            };
            let _ = writeln!(body, "<tr><td class=\"mono\">{}</td><td>{feature}</td></tr>", esc(&op.operation));
        }
        body.push_str("</tbody></table>\n");
    }
}

fn runs_table(body: &mut String, root: &str, runs: &[&SiteBundle]) {
    if runs.is_empty() {
        body.push_str("<p class=\"meta\">No run.</p>\n");
        return;
    }
    body.push_str("<table class=\"runs\"><thead><tr><th>verdict</th><th>version</th><th>finished</th><th>target</th><th>git</th><th>signed</th><th>run</th></tr></thead><tbody>\n");
    for b in runs {
        let h = &b.manifest.header;
        let v = RunVerdict::of(h);
        let git = match (&h.git.commit, &h.git.branch) {
            (Some(c), Some(br)) => {
                format!("{} ({br}){}", c.get(..12).unwrap_or(c), if h.git.dirty { ", dirty" } else { "" })
            }
            (Some(c), None) => c.get(..12).unwrap_or(c).to_owned(),
            _ => "—".to_owned(),
        };
        let _ = writeln!(
            body,
            "<tr class=\"run\" data-bundle=\"{}\"><td class=\"verdict {}\">{}</td><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td><a href=\"{}\">{}</a></td></tr>",
            esc(&b.id),
            v.class(),
            v.label(),
            esc(&version_href(root, &h.platform.version)),
            esc(&h.platform.version),
            esc(when(b)),
            esc(&h.target.name),
            esc(&git),
            if h.signature.signed { "signed" } else { "UNSIGNED" },
            esc(&bundle_href(root, &b.id)),
            esc(&h.run_id),
        );
    }
    body.push_str("</tbody></table>\n");
}
