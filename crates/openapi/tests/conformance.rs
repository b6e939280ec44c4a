//! The conformance corpus: `tests/conformance/cases/*.json`, each naming a description of
//! `tests/conformance/descriptions/` and holding cases (a request, the response received, the
//! `Check` expected in its serialized form, written by hand from the description). Every case
//! runs; each mismatch is reported with a line diff of the expected and actual JSON.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use certify_openapi::{Check, Description, Response};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    /// A file of `descriptions/`.
    description: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    request: Request,
    response: Received,
    expected: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    method: String,
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Received {
    status: u16,
    headers: Vec<(String, String)>,
    /// A JSON body, sent as its compact serialization.
    #[serde(default)]
    body: Option<Value>,
    /// A body sent as this text (not JSON, or empty).
    #[serde(default)]
    text: Option<String>,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_case_of_the_corpus_gives_its_expected_check() {
    let mut descriptions: BTreeMap<String, Description> = BTreeMap::new();
    let mut names = HashSet::new();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join("cases"))
        .expect("cases/")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in &files {
        let shown = file.strip_prefix(corpus()).unwrap_or(file).display().to_string();
        let cases: CaseFile = serde_json::from_str(&read(file)).unwrap_or_else(|e| panic!("{shown}: {e}"));
        let api = descriptions.entry(cases.description.clone()).or_insert_with(|| {
            let path = corpus().join("descriptions").join(&cases.description);
            Description::parse(&cases.description, &read(&path)).unwrap_or_else(|e| panic!("{e}"))
        });
        for case in cases.cases {
            assert!(names.insert(case.name.clone()), "{shown}: two cases are named {:?}", case.name);
            let expected: Check = serde_json::from_value(case.expected.clone())
                .unwrap_or_else(|e| panic!("{shown}: {:?}: expected is not a Check: {e}", case.name));
            let body = match (&case.response.body, &case.response.text) {
                (Some(json), None) => serde_json::to_vec(json).expect("JSON"),
                (None, Some(text)) => text.clone().into_bytes(),
                (None, None) => Vec::new(),
                (Some(_), Some(_)) => panic!("{shown}: {:?}: a response has a body or a text, not both", case.name),
            };
            let response = Response { status: case.response.status, headers: &case.response.headers, body: &body };
            let actual = api.check(&case.request.method, &case.request.path, &response);
            ran += 1;
            if actual != expected {
                let pretty = |check: &Check| serde_json::to_string_pretty(check).expect("JSON") + "\n";
                let (expected, actual) = (pretty(&expected), pretty(&actual));
                let diff = similar::TextDiff::from_lines(&expected, &actual)
                    .unified_diff()
                    .header("expected", "actual")
                    .to_string();
                failures.push(format!("{shown}: {}\n{diff}", case.name));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {ran} cases differ:\n\n{}", failures.len(), failures.join("\n"));
    assert!(ran >= 25, "the corpus has {ran} cases, expected at least 25");
}
