//! `certify lint`: every check that needs no request.

use certify_steps::Resolution;
use certify_suite::{FindingKind, StepCheck};

use crate::{
    cli::LintArgs,
    exit::{CmdResult, Exit},
    output::{Format, Printer},
    project,
};

/// Asks the built-in vocabulary about one step.
pub struct Vocabulary;

impl StepCheck for Vocabulary {
    fn check(&self, text: &str, doc_string: Option<&str>, has_table: bool) -> Vec<(FindingKind, String)> {
        match certify_steps::resolve(text) {
            Resolution::Matched(_) => certify_steps::check_static(text, doc_string, has_table)
                .into_iter()
                .map(|m| (FindingKind::StepArgument, m))
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
    let findings = certify_suite::lint(&suite, &Vocabulary);
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
            printer.note(format!(
                "{} feature files, {scenarios} scenarios: {}",
                suite.features.len() + suite.issues.len(),
                match findings.len() {
                    0 => "no findings".to_owned(),
                    1 => "1 finding".to_owned(),
                    n => format!("{n} findings"),
                }
            ));
        }
    }
    Ok(if findings.is_empty() { Exit::Success } else { Exit::Failure })
}
