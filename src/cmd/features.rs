//! `certify features`: the catalog at a platform version — each feature's
//! maturity, owner, the latest verdict found in the evidence for that
//! version, and the coverage gaps — or release notes (`--format markdown`).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use certify_catalog::{Catalog, FeatureVerdict, Maturity, Version, release_notes, release_notes_markdown};
use serde::Serialize;

use crate::{
    cli::{FeaturesArgs, FeaturesFormat},
    exit::{CmdResult, Exit, usage},
    output::Printer,
    project,
};

/// The latest evidence found for one feature at the version.
#[derive(Debug, Clone, Serialize)]
struct Latest {
    verdict: String,
    reason: String,
    bundle: String,
    run_id: String,
    finished_at: String,
}

/// One row of the output (the `--format json` contract, see README).
#[derive(Debug, Serialize)]
struct Row {
    id: String,
    title: String,
    owner: String,
    /// alpha, beta, ga, deprecated or removed at the version; null when it does not exist yet.
    maturity: Option<Maturity>,
    /// The version at which it reached that maturity.
    since: Option<Version>,
    /// Scenarios in the suite linked to it.
    scenarios: usize,
    /// The latest verdict found in the evidence for this version, or null ("no evidence").
    latest: Option<Latest>,
    /// Exists at the version but has no scenario, or its latest evidence says untested.
    coverage_gap: bool,
    /// Operations of the API description linked to it that the latest evidence with an API
    /// description did not exercise (`METHOD /path/template`).
    api_gaps: Vec<String>,
}

/// API coverage from the newest bundle at the version that recorded an API description.
#[derive(Debug, Clone, Serialize)]
struct ApiCoverage {
    bundle: String,
    run_id: String,
    finished_at: String,
    source: String,
    operations: usize,
    exercised: usize,
    /// Responses that broke the description in that run.
    findings: u32,
    /// Operations that run did not exercise, with their features.
    gaps: Vec<ApiGap>,
}

#[derive(Debug, Clone, Serialize)]
struct ApiGap {
    operation: String,
    feature: Option<String>,
}

pub fn features(args: &FeaturesArgs, printer: &Printer) -> CmdResult {
    let settings = project::load_settings(args.config.config.as_deref())?;
    let catalog = project::load_catalog(&settings)?.ok_or_else(|| {
        usage(format!("no feature catalog: {} does not exist ([suite] catalog)", settings.suite.catalog.display()))
    })?;
    let version = match &args.version {
        Some(v) => Version::parse(v)
            .map_err(|e| usage(format!("--version {v:?}: expected a semver version like 2.0.0 ({e})")))?,
        None => catalog.versions().pop().ok_or_else(|| usage("the catalog names no version; give --version"))?,
    };
    let suite = project::load_suite(&settings)?;
    let mut per_feature: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, id) in project::scenario_features(&suite) {
        if let Some(id) = id {
            *per_feature.entry(id).or_default() += 1;
        }
    }

    let mut dirs: Vec<PathBuf> = args.evidence.clone();
    if dirs.is_empty() {
        if let certify_config::EvidenceLocation::Local(dir) = &settings.evidence.dir {
            dirs.push(dir.clone());
        }
        dirs.push(PathBuf::from("certify-out"));
    }
    let (latest, api) = latest_evidence(&dirs, &version);

    let rows: Vec<Row> = catalog
        .features
        .iter()
        .filter(|f| f.lifecycle.maturity_at(&version).is_some() || args.all)
        .map(|f| {
            let maturity = f.lifecycle.maturity_at(&version);
            let exists = f.lifecycle.exists_at(&version);
            let scenarios = per_feature.get(&f.id).copied().unwrap_or(0);
            let latest = latest.get(&f.id).cloned();
            let gap = exists && (scenarios == 0 || latest.as_ref().is_some_and(|l| l.verdict == "untested"));
            Row {
                id: f.id.clone(),
                title: f.title.clone(),
                owner: f.owner.clone(),
                maturity,
                since: f.lifecycle.since(&version).cloned(),
                scenarios,
                latest,
                coverage_gap: gap,
                api_gaps: api
                    .iter()
                    .flat_map(|a| &a.gaps)
                    .filter(|g| g.feature.as_deref() == Some(f.id.as_str()))
                    .map(|g| g.operation.clone())
                    .collect(),
            }
        })
        .collect();

    match args.format {
        FeaturesFormat::Json => {
            let notes = release_notes(&catalog, &version);
            printer.json(&serde_json::json!({
                "catalog": catalog.path,
                "version": version,
                "previous": notes.previous,
                "features": rows,
                "coverage_gaps": rows.iter().filter(|r| r.coverage_gap).map(|r| r.id.as_str()).collect::<Vec<_>>(),
                "api": api,
            }));
        }
        FeaturesFormat::Markdown => {
            let notes = release_notes(&catalog, &version);
            let verdicts = verdicts_for_notes(&catalog, &rows);
            let mut markdown = release_notes_markdown(&notes, &catalog, verdicts.as_deref());
            if let Some(previous) = &notes.previous {
                markdown.push_str(&api_changes_markdown(&dirs, &catalog, previous, &version));
            }
            printer.data(markdown);
        }
        FeaturesFormat::Table => table(printer, &catalog, &version, &rows, api.as_ref()),
    }
    Ok(Exit::Success)
}

fn table(p: &Printer, catalog: &Catalog, version: &Version, rows: &[Row], api: Option<&ApiCoverage>) {
    let previous = catalog.previous_version(version).map(|v| format!(" (previous: {v})")).unwrap_or_default();
    p.data(format!("Catalog {} at {version}{previous}", catalog.path.display()));
    let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(7).max(7);
    let ow = rows.iter().map(|r| r.owner.len()).max().unwrap_or(5).max(5);
    p.data(format!(
        "  {:<w$}  {:<10}  {:<7}  {:<ow$}  {:>9}  LATEST VERDICT",
        "FEATURE", "MATURITY", "SINCE", "OWNER", "SCENARIOS"
    ));
    for r in rows {
        let maturity = r.maturity.map_or_else(|| "-".to_owned(), |m| m.to_string());
        let since = r.since.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string);
        let latest = match &r.latest {
            Some(l) => format!("{} ({}, run {})", l.verdict, l.finished_at, short(&l.run_id)),
            None => "no evidence".to_owned(),
        };
        let gap = if r.coverage_gap { "  <- coverage gap" } else { "" };
        p.data(format!(
            "  {:<w$}  {maturity:<10}  {since:<7}  {:<ow$}  {:>9}  {latest}{gap}",
            r.id, r.owner, r.scenarios
        ));
    }
    let gaps: Vec<&str> = rows.iter().filter(|r| r.coverage_gap).map(|r| r.id.as_str()).collect();
    if !gaps.is_empty() {
        p.data("");
        p.data(format!(
            "Coverage gaps at {version}: {} (no scenario, or none ran in the latest evidence)",
            gaps.join(", ")
        ));
    }
    if let Some(api) = api {
        p.data("");
        p.data(format!(
            "API coverage at {version}: {} of {} operations exercised (run {}, {}; {})",
            api.exercised,
            api.operations,
            short(&api.run_id),
            api.finished_at,
            match api.findings {
                0 => "no response broke the description".to_owned(),
                n => format!("{n} responses broke the description"),
            }
        ));
        for g in &api.gaps {
            p.data(format!(
                "  API coverage gap: {}{}",
                g.operation,
                g.feature.as_deref().map(|f| format!("  [{f}]")).unwrap_or_default()
            ));
        }
    }
}

fn short(id: &str) -> &str {
    &id[id.len().saturating_sub(8)..]
}

/// The release notes' API section: each feature's API changes from `previous` to `version`, from
/// the descriptions kept by the newest bundles at each version that used one. Empty when either
/// version has none (nothing to compare).
fn api_changes_markdown(dirs: &[PathBuf], catalog: &Catalog, previous: &Version, version: &Version) -> String {
    // The newest bundle at each version that used a description, as `latest_evidence` finds it.
    let described = |v: &Version| latest_evidence(dirs, v).1.map(|api| PathBuf::from(api.bundle));
    let (Some(old), Some(new)) = (described(previous), described(version)) else {
        return String::new();
    };
    let (Ok(old_api), Ok(new_api)) = (super::api::read_description(&old), super::api::read_description(&new)) else {
        return String::new();
    };
    let ids: Vec<&str> = catalog.features.iter().map(|f| f.id.as_str()).collect();
    let diff = certify_openapi::diff::diff(&old_api, &new_api, &ids);
    let mut out = format!("\n## API changes since {previous}\n\n");
    if diff.changes.is_empty() {
        out.push_str("The API description did not change.\n");
        return out;
    }
    for feature in &catalog.features {
        let bullets = diff.feature_markdown(&feature.id);
        if !bullets.is_empty() {
            out.push_str(&format!("### {} (`{}`)\n\n{bullets}\n", feature.title.replace('\n', " "), feature.id));
        }
    }
    let unlinked: Vec<_> = diff.changes.iter().filter(|c| c.features.is_empty()).collect();
    if !unlinked.is_empty() {
        out.push_str(&format!(
            "{} change{} touch{} operations linked to no catalog feature (`certify api diff` lists them).\n",
            unlinked.len(),
            if unlinked.len() == 1 { "" } else { "s" },
            if unlinked.len() == 1 { "es" } else { "" }
        ));
    }
    out
}

/// Verdicts in the shape the release notes take, from the latest evidence.
fn verdicts_for_notes(catalog: &Catalog, rows: &[Row]) -> Option<Vec<FeatureVerdict>> {
    let list: Vec<FeatureVerdict> = rows
        .iter()
        .filter_map(|r| {
            let l = r.latest.as_ref()?;
            let f = catalog.get(&r.id)?;
            Some(FeatureVerdict {
                id: r.id.clone(),
                title: f.title.clone(),
                owner: f.owner.clone(),
                maturity: r.maturity,
                verdict: serde_json::from_value(serde_json::Value::String(l.verdict.clone())).ok()?,
                reason: l.reason.clone(),
                tally: certify_catalog::Tally::default(),
            })
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

/// The newest bundle (by finish time) for `version` under each directory,
/// per feature. Bundles are found by their `bundle.json` up to three levels
/// down (run outputs and the archive's `bundles/<id>/`). These are read, not
/// verified: `certify verify` and `certify archive verify` do that.
fn latest_evidence(dirs: &[PathBuf], version: &Version) -> (BTreeMap<String, Latest>, Option<ApiCoverage>) {
    let mut manifests = Vec::new();
    for d in dirs {
        find_manifests(d, 3, &mut manifests);
    }
    let mut out: BTreeMap<String, Latest> = BTreeMap::new();
    let mut api: Option<ApiCoverage> = None;
    for path in manifests {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Ok(m) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        if m["schema"] != "certify.bundle/v1" || m["platform"]["version"].as_str() != Some(&version.to_string()) {
            continue;
        }
        let finished = m["finished_at"].as_str().unwrap_or_default().to_owned();
        let bundle = path.parent().unwrap_or(Path::new(".")).display().to_string();
        if let Some(record) =
            m.get("api").and_then(|a| serde_json::from_value::<certify_evidence::manifest::ApiRecord>(a.clone()).ok())
            && api.as_ref().is_none_or(|a| a.finished_at < finished)
        {
            api = Some(ApiCoverage {
                bundle: bundle.clone(),
                run_id: m["run_id"].as_str().unwrap_or_default().to_owned(),
                finished_at: finished.clone(),
                source: record.source.clone(),
                operations: record.operations.len(),
                exercised: record.operations.iter().filter(|op| op.exercised).count(),
                findings: record.findings,
                gaps: record
                    .gaps()
                    .map(|op| ApiGap { operation: op.operation.clone(), feature: op.feature.clone() })
                    .collect(),
            });
        }
        for f in m["features"].as_array().into_iter().flatten() {
            let (Some(id), Some(verdict)) = (f["id"].as_str(), f["verdict"].as_str()) else { continue };
            let newer = out.get(id).is_none_or(|l| l.finished_at < finished);
            if newer {
                out.insert(
                    id.to_owned(),
                    Latest {
                        verdict: verdict.to_owned(),
                        reason: f["reason"].as_str().unwrap_or_default().to_owned(),
                        bundle: bundle.clone(),
                        run_id: m["run_id"].as_str().unwrap_or_default().to_owned(),
                        finished_at: finished.clone(),
                    },
                );
            }
        }
    }
    (out, api)
}

fn find_manifests(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        match e.file_type() {
            Ok(t) if t.is_dir() && depth > 0 => find_manifests(&path, depth - 1, out),
            Ok(t) if t.is_file() && name == "bundle.json" => out.push(path),
            _ => {}
        }
    }
}
