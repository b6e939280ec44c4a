//! Loading a certification project: certify.toml, then the suite it names.

use std::path::Path;

use certify_config::Settings;
use certify_suite::Suite;

use crate::exit::{Fatal, OrExit as _};

/// Finds and loads certify.toml (`--config` or the nearest one upwards).
pub fn load_settings(explicit: Option<&Path>) -> Result<Settings, Fatal> {
    let cwd = std::env::current_dir().or_runtime()?;
    let path = certify_config::discover(explicit, &cwd).or_usage()?;
    let env = |name: &str| std::env::var(name).ok();
    certify_config::load(&path, &env).or_usage()
}

/// The feature catalog. The default one (`features/catalog.toml`, not
/// named in certify.toml) is optional: without it a project gets verdicts
/// per `@feature` tag, without maturities. A catalog that certify.toml names
/// must exist, and any catalog that exists must load: otherwise it is a
/// configuration error naming the certify.toml line and key and the path.
pub fn load_catalog(settings: &Settings) -> Result<Option<certify_catalog::Catalog>, Fatal> {
    let path = &settings.suite.catalog;
    let shown = path.strip_prefix(&settings.root).unwrap_or(path);
    // Where certify.toml names the catalog: `certify.toml:LINE: suite.catalog`.
    let named_at = settings.suite.catalog_line.map(|line| format!("{}:{line}: suite.catalog", settings.path.display()));
    if !path.exists() {
        let Some(at) = named_at else { return Ok(None) };
        return Err(crate::exit::usage(format!(
            "{at}: the feature catalog {} does not exist (fix the path, or remove the key to run without a catalog)",
            shown.display()
        )));
    }
    let context = |e: String| match &named_at {
        Some(at) => format!("{e}\n  (the feature catalog named at {at})"),
        None => e,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        crate::exit::usage(context(format!("{}: cannot read the feature catalog: {e}", shown.display())))
    })?;
    certify_catalog::load_str(&text, shown).map(Some).map_err(|e| crate::exit::usage(context(e.to_string())))
}

/// Every scenario of the suite with its file, its position and its
/// `@feature:` id (from the Scenario, its Rule or its Feature, innermost
/// first). A file whose scenarios do not read again is the linter's to
/// report; its scenarios stop there.
pub fn scenario_features(suite: &Suite) -> Vec<(&certify_suite::ParsedFeature, gherkin::LineCol, Option<String>)> {
    let mut out = Vec::new();
    for f in &suite.features {
        let feature = &f.header;
        for concrete in f.scenarios() {
            let Ok(certify_suite::Concrete { rule, scenario: s, .. }) = concrete else { break };
            let levels = [Some(feature.tags.as_slice()), rule.map(|r| r.tags.as_slice()), Some(s.tags.as_slice())];
            out.push((f, s.position, certify_suite::certify_tags(levels.into_iter().flatten()).0.feature));
        }
    }
    out
}

/// The `@feature:` links of the suite: each scenario's catalog feature id,
/// and a finding for each id the catalog does not know (with the closest
/// known one).
pub fn feature_links(
    suite: &Suite,
    catalog: &certify_catalog::Catalog,
) -> (std::collections::BTreeSet<String>, Vec<certify_suite::Finding>) {
    let mut linked = std::collections::BTreeSet::new();
    let mut unknown = Vec::new();
    for (f, position, id) in scenario_features(suite) {
        let Some(id) = id else { continue };
        if catalog.get(&id).is_none() {
            let hint = catalog.closest(&id).map(|c| format!("; did you mean @feature:{c}?")).unwrap_or_default();
            unknown.push(certify_suite::Finding {
                path: f.file.path.clone(),
                line: position.line,
                col: position.col,
                kind: certify_suite::FindingKind::UnknownFeature,
                message: format!("@feature:{id} is not in the catalog {}{hint}", catalog.path.display()),
            });
        }
        linked.insert(id);
    }
    unknown.sort();
    unknown.dedup();
    (linked, unknown)
}

/// Reads and parses every feature file the settings name. Files that do not
/// load (syntax, encoding, unreadable) are returned in `Suite::issues`;
/// patterns that find nothing are a configuration error.
pub fn load_suite(settings: &Settings) -> Result<Suite, Fatal> {
    Suite::load(&settings.suite.features, &settings.root).or_usage()
}

/// The files a bundle's `suite/` keeps: certify.toml as loaded, every feature
/// file as parsed, and every other file under the feature directories and the
/// catalog and snapshots (schemas, snapshots, the catalog), by their path
/// relative to the project root. Pending `.snap.new` files and hidden files
/// are left out; so is anything outside the project root.
pub fn suite_files(settings: &Settings, suite: &Suite) -> Vec<(String, std::sync::Arc<[u8]>)> {
    use std::{collections::BTreeMap, sync::Arc};
    let root = &settings.root;
    let rel = |p: &Path| project_name(root, p);
    let mut files: BTreeMap<String, Arc<[u8]>> = BTreeMap::new();
    if let Some(name) = rel(&settings.path) {
        files.insert(name, settings.source.as_bytes().into());
    }
    // The feature texts exactly as they were parsed, shared, not copied (a
    // suite of 20,000 scenarios is megabytes) and not read again.
    for f in suite.features.iter().map(|f| &f.file) {
        files.insert(f.path.to_string_lossy().replace('\\', "/"), Arc::<[u8]>::from(f.text.clone()));
    }
    let mut dirs: Vec<&Path> = settings.suite.features.iter().map(|p| p.as_path()).filter(|p| p.is_dir()).collect();
    dirs.push(&settings.suite.snapshots_dir);
    for dir in dirs {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else { continue };
            for e in entries.flatten() {
                let path = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || name.ends_with(".snap.new") {
                    continue;
                }
                match e.file_type() {
                    Ok(t) if t.is_dir() => stack.push(path),
                    Ok(t) if t.is_file() => {
                        if let Some(r) = rel(&path)
                            && !files.contains_key(&r)
                            && let Ok(bytes) = std::fs::read(&path)
                        {
                            files.insert(r, bytes.into());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(r) = rel(&settings.suite.catalog)
        && !files.contains_key(&r)
        && let Ok(bytes) = std::fs::read(&settings.suite.catalog)
    {
        files.insert(r, bytes.into());
    }
    files.into_iter().collect()
}

/// `path`'s name relative to the project `root` (`/`-separated), when it lies inside it by the
/// one rule steps follow too (`certify_steps::project_file`: `..` and links resolved): the
/// name a project file has in the bundle's `suite/`.
pub fn project_name(root: &Path, path: &Path) -> Option<String> {
    let root_real = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let real = certify_steps::project_file(root, path).ok()?;
    real.strip_prefix(&root_real).ok().map(|r| r.to_string_lossy().replace('\\', "/")).filter(|r| !r.is_empty())
}
