//! `certify lint`: the shipped project is clean; each fixture project under
//! `tests/fixtures/lint/<case>/` reports exactly the findings its
//! `expected.txt` lists, each at its place (`file:line[:col]`, where `line`
//! may be `a|b` when either is right; `*` as KIND accepts any kind).

use serde_json::Value;

use crate::support::{Expectation, Project, certify, expectations, repo_root};

/// Every case directory under `tests/fixtures/lint/`, each checked by the
/// test of the same name below.
const CASES: &[&str] = &["findings", "tag-lines", "catalog-ids", "run-trips"];

#[test]
fn the_shipped_project_lints_clean() {
    // Clean but for one warning: the shipped catalog keeps one feature
    // (plan-catalog) without scenarios, to show a coverage gap.
    let run = certify(&repo_root()).args(["lint"]).run();
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "only the coverage-gap warning expected:\n{run}");
    assert!(
        lines[0].starts_with("features/catalog.toml:")
            && lines[0].contains(": warning: catalog feature plan-catalog has no scenario"),
        "{run}"
    );
    assert!(run.stderr.contains(" feature files, ") && run.stderr.contains("0 errors, 1 warning\n"), "{run}");

    let json = certify(&repo_root()).args(["lint", "--config", "certify.toml", "--format", "json"]).run();
    json.expect_code(0);
    let report = json.json();
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0]["kind"], "coverage-gap", "{json}");
    assert_eq!(findings[0]["severity"], "warning", "a coverage gap is a warning: {json}");
    assert!(report["scenarios"].as_u64().unwrap_or(0) >= 25, "{json}");
}

#[test]
fn every_lint_fixture_has_a_test() {
    let dir = crate::support::fixture("lint");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| (*c).to_owned()).collect();
    listed.sort();
    assert_eq!(found, listed, "tests/fixtures/lint/ and lint::CASES differ");
}

#[test]
fn findings() {
    lint_case("findings");
}

#[test]
fn tag_lines() {
    lint_case("tag-lines");
}

#[test]
fn catalog_ids() {
    lint_case("catalog-ids");
}

#[test]
fn run_trips() {
    lint_case("run-trips");
}

/// One finding of `certify lint --format json`.
#[derive(Debug)]
struct Finding {
    file: String,
    line: u64,
    column: u64,
    kind: String,
    severity: String,
    message: String,
}

impl Finding {
    fn from_json(v: &Value) -> Finding {
        Finding {
            file: v["file"].as_str().unwrap_or_default().to_owned(),
            line: v["line"].as_u64().unwrap_or(0),
            column: v["column"].as_u64().unwrap_or(0),
            kind: v["kind"].as_str().unwrap_or_default().to_owned(),
            severity: v["severity"].as_str().unwrap_or_default().to_owned(),
            message: v["message"].as_str().unwrap_or_default().to_owned(),
        }
    }

    fn matches(&self, e: &Expectation) -> bool {
        let mut place = e.place.split(':');
        let file = place.next().unwrap_or_default();
        let lines = place.next().unwrap_or_default();
        let column = place.next();
        file == self.file
            && lines.split('|').any(|l| l.parse::<u64>().ok() == Some(self.line))
            && column.is_none_or(|c| c.parse::<u64>().ok() == Some(self.column))
            && (e.status == "*" || e.status == self.kind)
            && self.message.contains(&e.text)
    }

    fn shown(&self) -> String {
        format!("{}:{}:{}: {} [{}] {}", self.file, self.line, self.column, self.severity, self.kind, self.message)
    }
}

fn lint_case(case: &str) {
    let name = format!("lint/{case}");
    let project = Project::fixture(&name);
    let expected = expectations(&name);

    let run = project.certify().args(["lint", "--format", "json"]).run();
    run.expect_code(1);
    let findings: Vec<Finding> =
        run.json()["findings"].as_array().map(|list| list.iter().map(Finding::from_json).collect()).unwrap_or_default();

    let mut problems = Vec::new();
    for e in &expected {
        let hits = findings.iter().filter(|f| f.matches(e)).count();
        if hits != 1 {
            problems.push(format!(
                "expected exactly one finding at {} [{}] containing {:?}, found {hits}",
                e.place, e.status, e.text
            ));
        }
    }
    for f in &findings {
        if !expected.iter().any(|e| f.matches(e)) {
            problems.push(format!("unexpected finding {}", f.shown()));
        }
    }
    assert!(
        problems.is_empty(),
        "tests/fixtures/{name}:\n  {}\nall findings:\n  {}",
        problems.join("\n  "),
        findings.iter().map(Finding::shown).collect::<Vec<_>>().join("\n  ")
    );

    // Coverage gaps are warnings, every other finding an error.
    for f in &findings {
        let expected = if f.kind == "coverage-gap" { "warning" } else { "error" };
        assert_eq!(f.severity, expected, "tests/fixtures/{name}: {}", f.shown());
    }

    // The text form prints each finding as `file:line:col: severity: message` on stdout.
    let text = project.certify().args(["lint"]).run();
    text.expect_code(1);
    let errors = findings.iter().filter(|f| f.severity == "error").count();
    let warnings = findings.len() - errors;
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let tally = format!("{}, {}\n", plural(errors, "error"), plural(warnings, "warning"));
    assert!(text.stderr.contains(&tally), "the summary does not say {tally:?}:\n{text}");
    let files = std::fs::read_dir(project.path().join("features"))
        .map(|d| d.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "feature")).count())
        .unwrap_or(0);
    let files = format!("{}, ", plural(files, "feature file"));
    assert!(text.stderr.contains(&files), "the summary does not say {files:?}:\n{text}");
    for f in &findings {
        let line = format!("{}:{}:{}: {}: {}", f.file, f.line, f.column, f.severity, f.message);
        assert!(text.stdout.contains(&format!("{line}\n")), "text output lacks the line {line:?}:\n{text}");
    }
}
