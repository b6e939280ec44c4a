//! `certify steps`: every canonical pattern of the step vocabulary's contract
//! (`canonical_steps.txt`, PRODUCT.md section 5) is printed, in text and JSON,
//! and every printed example, written into a feature file under any keyword,
//! lints clean: it matches exactly one pattern and its arguments are valid.

use std::fmt::Write as _;

use serde_json::Value;

use crate::support::{Project, repo_root};

/// The canonical step patterns, one a line in `tests/cli/canonical_steps.txt`.
fn product_patterns() -> Vec<String> {
    let path = repo_root().join("tests").join("cli").join("canonical_steps.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let patterns: Vec<String> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect();
    assert!(patterns.len() >= 30, "found only {} patterns in {}", patterns.len(), path.display());
    patterns
}

#[test]
fn every_canonical_pattern_is_printed_in_text_and_json() {
    let dir = Project::empty();
    let text = dir.certify().args(["steps"]).run();
    text.expect_code(0);
    let json = dir.certify().args(["steps", "--format", "json"]).run();
    json.expect_code(0);
    let list = json.json();
    let defs = list.as_array().cloned().unwrap_or_default();
    let json_patterns: Vec<&str> = defs.iter().filter_map(|d| d["pattern"].as_str()).collect();

    let mut missing = Vec::new();
    for pattern in product_patterns() {
        let in_text = text.stdout.lines().any(|l| l == pattern || l.starts_with(&format!("{pattern}  (")));
        if !in_text {
            missing.push(format!("text: {pattern}"));
        }
        if !json_patterns.contains(&pattern.as_str()) {
            missing.push(format!("json: {pattern}"));
        }
    }
    assert!(missing.is_empty(), "patterns not printed:\n  {}", missing.join("\n  "));

    for d in &defs {
        for field in ["id", "pattern", "example", "help"] {
            assert!(d[field].as_str().is_some_and(|s| !s.is_empty()), "step definition without {field}: {d}");
        }
        let example = d["example"].as_str().unwrap_or_default();
        assert!(
            text.stdout.contains(&format!("e.g. Given {example}\n")),
            "the text output does not show the example {example:?}"
        );
    }
}

/// A doc string or a data table a step needs, so that it lints clean.
fn argument(def: &Value) -> String {
    let pattern = def["pattern"].as_str().unwrap_or_default();
    if def["doc_string"] == true {
        let doc =
            if pattern.contains("JSON matches") { r##"{"id": "#string", "n": 1}"## } else { r#"{"name": "acme"}"# };
        format!("      \"\"\"\n      {doc}\n      \"\"\"\n")
    } else if def["data_table"] == true {
        let row = if pattern.contains("JSON") { "| $.name | \"acme\" |" } else { "| X-Name | acme |" };
        format!("      {row}\n")
    } else {
        String::new()
    }
}

#[test]
fn every_printed_example_lints_clean_under_every_keyword() {
    let dir = Project::empty();
    let json = dir.certify().args(["steps", "--format", "json"]).run();
    json.expect_code(0);
    let defs = json.json().as_array().cloned().unwrap_or_default();
    assert!(defs.len() >= 30, "{json}");

    let keywords = ["Given", "When", "Then", "And", "But"];
    // The examples' context: the variable, the schema file, the credential and the API
    // description they refer to.
    let mut feature = String::from(
        "@feature:examples\nFeature: The examples of `certify steps`\n\n  Background:\n    Given the variable \"tenant_id\" is \"t-1\"\n",
    );
    for (i, def) in defs.iter().enumerate() {
        let example = def["example"].as_str().unwrap_or_default();
        let _ = write!(feature, "\n  Scenario: example {i} ({})\n", def["id"].as_str().unwrap_or_default());
        // Any keyword: the first step is one of the five, the second always `But`/`And`.
        let _ = write!(feature, "    {} {example}\n{}", keywords[i % keywords.len()], argument(def));
        let _ = write!(feature, "    {} {example}\n{}", keywords[(i + 3) % keywords.len()], argument(def));
    }
    let project = dir
        .file(
            "certify.toml",
            "[suite]\nfeatures = \"features\"\n\n[targets.t]\nbase_url = \"http://127.0.0.1:9\"\n\
             api = { path = \"/openapi.json\" }\n\n[credentials.admin]\nbearer_env = \"EXAMPLES_ADMIN_TOKEN\"\n",
        )
        .file(
            "features/catalog.toml",
            "[[feature]]\nid = \"examples\"\ntitle = \"Examples\"\nowner = \"docs\"\nlifecycle = { ga = \"1.0.0\" }\n",
        )
        .file("features/examples.feature", &feature)
        .file("features/schemas/tenant.json", r#"{"type": "object"}"#);
    let lint = project.certify().args(["lint"]).run();
    assert_eq!(
        lint.code, 0,
        "examples of `certify steps` that do not lint clean:\n{lint}\n--- features/examples.feature\n{feature}"
    );
}
