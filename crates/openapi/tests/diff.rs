//! `certify api diff`'s engine over the corpus in `tests/diff/<case>/`: each case holds an
//! `old` and a `new` description (`.json` or `.yaml`) and `expected.json`, the changes written
//! by hand from the two descriptions (`catalog`: the catalog's feature ids; `changes`: each
//! change's kind, breaking, pointer, side, operations and features, in the order the diff lists
//! them). Adding a case is adding a directory.

use std::path::{Path, PathBuf};

use certify_openapi::Description;
use certify_openapi::diff::{ApiDiff, diff};
use serde_json::{Value, json};

fn load(dir: &Path, stem: &str) -> Description {
    for ext in ["json", "yaml"] {
        let path = dir.join(format!("{stem}.{ext}"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            let source = format!("{stem}.{ext}");
            return Description::parse(&source, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    panic!("{}: no {stem}.json or {stem}.yaml", dir.display())
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff");
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    cases
}

fn run(dir: &Path) -> (ApiDiff, Value) {
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let catalog: Vec<&str> =
        expected["catalog"].as_array().into_iter().flatten().map(|v| v.as_str().unwrap()).collect();
    (diff(&load(dir, "old"), &load(dir, "new"), &catalog), expected)
}

/// The parts of a change `expected.json` states (the message is checked for being one line).
fn stated(diff: &ApiDiff) -> Value {
    diff.changes
        .iter()
        .map(|c| {
            assert!(!c.message.is_empty() && !c.message.contains('\n'), "{c:?}");
            json!({"kind": c.kind, "breaking": c.breaking, "pointer": c.pointer, "in": c.side,
                   "operations": c.operations, "features": c.features})
        })
        .collect()
}

#[test]
fn every_case_of_the_corpus() {
    let cases = cases();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let mut failures = Vec::new();
    for dir in &cases {
        let (diff, expected) = run(dir);
        let got = stated(&diff);
        if got != expected["changes"] {
            failures.push(format!(
                "{}:\n  expected {}\n  got      {}",
                dir.file_name().unwrap().to_string_lossy(),
                serde_json::to_string_pretty(&expected["changes"]).unwrap(),
                serde_json::to_string_pretty(&got).unwrap()
            ));
            continue;
        }
        let breaking = diff.changes.iter().filter(|c| c.breaking).count();
        assert_eq!((diff.breaking, diff.compatible), (breaking, diff.changes.len() - breaking));
        assert_eq!(diff.is_breaking(), breaking > 0);
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn a_diff_reversed_swaps_additions_and_removals() {
    // Every case read backwards still terminates and lists each change once per pointer and kind.
    for dir in cases() {
        let reversed = diff(&load(&dir, "new"), &load(&dir, "old"), &[]);
        let mut seen = std::collections::BTreeSet::new();
        for c in &reversed.changes {
            assert!(seen.insert((c.pointer.clone(), c.kind, c.side, c.message.clone())), "{}: {c:?}", dir.display());
        }
    }
}
