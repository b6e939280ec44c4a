//! `certify lint`: every check that needs no request.

use std::path::Path;

use certify_steps::{Resolution, StepFile};
use certify_suite::{Finding, FindingKind, SourceFile, StepCheck};

use crate::{
    cli::LintArgs,
    exit::{CmdResult, Exit, Fatal},
    output::{Format, Printer},
    project,
};

/// Asks the built-in vocabulary about one step, certify.toml about the
/// credentials steps name, and the project about the files steps read.
pub struct Vocabulary<'a> {
    pub credentials: Vec<&'a str>,
    /// The project root (the directory of certify.toml).
    pub root: &'a Path,
    /// Where snapshots are kept (`[snapshots] dir`).
    pub snapshots_dir: &'a Path,
    /// Whether any target names an API description (`api = ...`).
    pub has_api: bool,
}

impl Vocabulary<'_> {
    /// A schema or snapshot the step reads: inside the project (the one
    /// rule, `certify_steps::project_file`), and a schema must exist and
    /// compile. Feature files that are not on disk (the embedded suite) are
    /// not checked.
    fn file(&self, feature: &SourceFile, text: &str) -> Option<String> {
        let file = certify_steps::step_files(text)?;
        let path = match &file {
            StepFile::Schema(rel) | StepFile::Snapshot(rel) if rel.contains("{{") => return None,
            StepFile::Schema(rel) => feature.abs_path.as_ref()?.parent()?.join(rel),
            StepFile::Snapshot(name) => self.snapshots_dir.join(format!("{name}.snap")),
        };
        let resolved = match certify_steps::project_file(self.root, &path) {
            Ok(resolved) => resolved,
            Err(outside) => return Some(outside.to_string()),
        };
        // Messages name the file relative to the project, as the user wrote it.
        let shown = |text: String| match std::fs::canonicalize(self.root) {
            Ok(root) => text.replace(&format!("{}/", root.display()), ""),
            Err(_) => text,
        };
        match file {
            StepFile::Schema(_) if !resolved.is_file() => Some(shown(format!(
                "JSON Schema {}: no such file (the path is relative to the feature file)",
                resolved.display()
            ))),
            StepFile::Schema(_) => certify_steps::compile_schema(&resolved).err().map(|e| shown(e.message)),
            StepFile::Snapshot(_) => None,
        }
    }
}

impl StepCheck for Vocabulary<'_> {
    fn defines(&self, text: &str) -> Option<String> {
        certify_steps::defined_variable(text)
    }

    fn uses(&self, text: &str) -> Vec<(String, usize)> {
        certify_steps::placeholders(text)
    }

    fn check(
        &self,
        feature: &SourceFile,
        text: &str,
        doc_string: Option<&str>,
        has_table: bool,
    ) -> Vec<(FindingKind, String)> {
        if let Some(name) = text.strip_prefix("I am authenticated as \"").and_then(|r| r.strip_suffix('"'))
            && !name.contains("{{")
            && !self.credentials.contains(&name)
        {
            let known = if self.credentials.is_empty() { "none".to_owned() } else { self.credentials.join(", ") };
            return vec![(
                FindingKind::UnknownCredential,
                format!(
                    "credential {name:?} is not declared in certify.toml (add [credentials.{name}]); declared: {known}"
                ),
            )];
        }
        match certify_steps::resolve(text) {
            Resolution::Matched(def) if def.id == "api-conformance" && !self.has_api => vec![(
                FindingKind::NoApiDescription,
                "no target names an API description for this step to check against: add api = { path = \"/openapi.json\" } \
                 or { file = \"api/openapi.yaml\" } to a [targets.NAME] table of certify.toml"
                    .to_owned(),
            )],
            Resolution::Matched(def) => certify_steps::check_matched(def, text, doc_string, has_table)
                .into_iter()
                .map(|m| (FindingKind::StepArgument, m))
                .chain(self.file(feature, text).map(|m| (FindingKind::StepFile, m)))
                .collect(),
            Resolution::Undefined { closest } => {
                let hint = closest.map(|d| format!("; did you mean `{}`?", d.pattern)).unwrap_or_default();
                vec![(FindingKind::UndefinedStep, format!("undefined step `{text}`{hint}"))]
            }
            Resolution::Ambiguous(defs) => {
                let names: Vec<&str> = defs.iter().map(|d| d.pattern).collect();
                vec![(
                    FindingKind::AmbiguousStep,
                    format!("ambiguous step `{text}`: it matches {}", names.join(" and ")),
                )]
            }
        }
    }
}

pub fn lint(args: &LintArgs, printer: &Printer) -> CmdResult {
    let settings = project::load_settings(args.config.config.as_deref())?;
    let suite = project::load_suite(&settings)?;
    let vocabulary = Vocabulary {
        credentials: settings.credentials.keys().map(String::as_str).collect(),
        root: &settings.root,
        snapshots_dir: &settings.suite.snapshots_dir,
        has_api: settings.targets.values().any(|t| t.api.is_some()),
    };
    let mut findings = certify_suite::lint(&suite, &vocabulary);
    findings.extend(catalog_findings(&settings, &suite)?);
    findings.sort();
    let scenarios = suite.scenario_count();
    match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "file": f.path.to_string_lossy().replace('\\', "/"),
                        "line": f.line,
                        "column": f.col,
                        "severity": f.kind.severity().as_str(),
                        "kind": f.kind.as_str(),
                        "message": f.message,
                    })
                })
                .collect();
            printer.json(&serde_json::json!({
                "files": suite.features.len() + suite.issues.len(),
                "scenarios": scenarios,
                "findings": list,
            }));
        }
        Format::Text => {
            for f in &findings {
                printer.data(f.to_string());
            }
            let files = suite.features.len() + suite.issues.len();
            let warnings = findings.iter().filter(|f| f.kind.is_warning()).count();
            printer.note(format!(
                "{}, {}: {}",
                count(files, "feature file", "feature files"),
                count(scenarios, "scenario", "scenarios"),
                match (findings.len() - warnings, warnings) {
                    (0, 0) => "no findings".to_owned(),
                    (e, w) => format!("{}, {}", count(e, "error", "errors"), count(w, "warning", "warnings")),
                }
            ));
        }
    }
    Ok(if findings.iter().all(|f| f.kind.is_warning()) { Exit::Success } else { Exit::Failure })
}

/// `1 thing`, `2 things`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Scenarios linked to ids the catalog does not have (errors), and catalog
/// features no scenario is linked to (coverage gaps, warnings).
fn catalog_findings(settings: &certify_config::Settings, suite: &certify_suite::Suite) -> Result<Vec<Finding>, Fatal> {
    let Some(catalog) = project::load_catalog(settings)? else {
        return Ok(Vec::new());
    };
    let (linked, mut out) = project::feature_links(suite, &catalog);
    for f in &catalog.features {
        if !linked.contains(&f.id) {
            out.push(Finding {
                path: catalog.path.clone(),
                line: f.line,
                col: 1,
                kind: FindingKind::CoverageGap,
                message: format!(
                    "catalog feature {} has no scenario (coverage gap: it is untested wherever it exists)",
                    f.id
                ),
            });
        }
    }
    Ok(out)
}
