//! The upstream Gherkin corpus (`tests/data/gherkin`, from the Cucumber
//! project's parser test data): every `good/*.feature` file, the CRLF ones
//! included, parses to exactly upstream's `gherkinDocument` and compiles to
//! exactly upstream's pickles, and loads; every `bad/*.feature` file fails
//! with upstream's first error, message and position. The corpus's Markdown
//! files (`*.feature.md`, "Markdown with Gherkin") are a different input
//! format that certify does not load (it reads `*.feature` only), so they
//! are not compared.

use std::path::{Path, PathBuf};

use certify_suite::{SourceFile, parse_file, syntax};
use serde_json::{Value, json};

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/gherkin").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (the conformance corpus is required)", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "feature"))
        .collect();
    files.sort();
    assert!(files.len() > 10, "corpus {kind} looks empty");
    files
}

fn source(path: &Path) -> SourceFile {
    let text = std::fs::read_to_string(path).expect("read corpus file");
    SourceFile { path: path.file_name().expect("name").into(), abs_path: None, text: text.into() }
}

fn ndjson(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("ndjson")).collect()
}

/// The first difference between two JSON values, as a path.
fn diff(path: &str, want: &Value, got: &Value) -> Option<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for key in w.keys().chain(g.keys().filter(|k| !w.contains_key(*k))) {
                let (a, b) = (w.get(key).unwrap_or(&Value::Null), g.get(key).unwrap_or(&Value::Null));
                if let Some(d) = diff(&format!("{path}.{key}"), a, b) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            w.iter().zip(g).enumerate().find_map(|(i, (a, b))| diff(&format!("{path}[{i}]"), a, b))
        }
        _ if want == got => None,
        _ => Some(format!("{path}: upstream {want}, certify {got}")),
    }
}

#[test]
fn every_good_file_gives_the_upstream_document_and_pickles() {
    let mut wrong = Vec::new();
    for path in corpus("good") {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let text = std::fs::read_to_string(&path).expect("read");
        let expected_doc = ndjson(&path.with_extension("feature.ast.ndjson")).remove(0);
        // The uri is where upstream's runner read the file from
        // (`../testdata/good/NAME`), not something the text says: it is
        // taken from the expected document, the one field not compared.
        let uri = expected_doc["gherkinDocument"]["uri"].as_str().expect("uri").to_owned();
        let (result, work) = syntax::parse_counting(&text);
        let mut doc = match result {
            Ok(doc) => doc,
            Err(e) => {
                wrong.push(format!("{name}: {e}"));
                continue;
            }
        };
        doc.uri = Some(uri.clone());
        if let Some(d) = diff("gherkinDocument", &expected_doc, &json!({ "gherkinDocument": doc })) {
            wrong.push(format!("{name}: {d}"));
        }
        let expected_pickles = ndjson(&path.with_extension("feature.pickles.ndjson"));
        let mut next_id = work.ids;
        let pickles: Vec<Value> =
            syntax::pickles(&doc, &uri, &mut next_id).into_iter().map(|p| json!({ "pickle": p })).collect();
        if pickles.len() != expected_pickles.len() {
            wrong.push(format!("{name}: {} pickles, upstream has {}", pickles.len(), expected_pickles.len()));
        }
        if let Some(d) = expected_pickles.iter().zip(&pickles).find_map(|(w, g)| diff("pickle", w, g)) {
            wrong.push(format!("{name}: {d}"));
        }
        if let Err(e) = parse_file(source(&path)) {
            wrong.push(format!("{name}: does not load: {e}"));
        }
    }
    assert!(wrong.is_empty(), "good/ files that differ from upstream:\n{}", wrong.join("\n"));
}

#[test]
fn every_bad_file_fails_with_the_upstream_error() {
    let mut wrong = Vec::new();
    for path in corpus("bad") {
        let expected = ndjson(&path.with_extension("feature.errors.ndjson")).remove(0);
        let error = &expected["parseError"];
        let message = error["message"].as_str().expect("message");
        let line = error["source"]["location"]["line"].as_u64().expect("line") as usize;
        let column = error["source"]["location"]["column"].as_u64().map(|c| c as usize);
        let text = std::fs::read_to_string(&path).expect("read");
        match syntax::parse(&text) {
            Ok(_) => wrong.push(format!("{}: parsed, upstream fails with {message}", path.display())),
            Err(e) if e.to_string() != message || e.location.line != line || e.location.column != column => {
                wrong.push(format!("{}:\n  upstream {message} ({line}:{column:?})\n  certify  {e}", path.display()))
            }
            Err(_) => {}
        }
        match parse_file(source(&path)) {
            Ok(_) => wrong.push(format!("{}: loaded", path.display())),
            Err(issue) => {
                // The issue carries the message without upstream's `(line:col): ` prefix,
                // which `file:line:col:` replaces.
                let bare = message.split_once("): ").map_or(message, |(_, m)| m);
                if (issue.line, issue.col, issue.message.as_str()) != (line, column.unwrap_or(1), bare) {
                    wrong.push(format!("{}: the issue is {issue}, upstream {message}", path.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every doc string of the `good/` files, once converted to the types the
/// runner uses, has exactly the content upstream's pickles give it (no
/// added newlines, the delimiter's indentation removed, escapes restored,
/// media type apart).
#[test]
fn doc_strings_have_the_upstream_content() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for path in corpus("good") {
        let Ok(Some(parsed)) = parse_file(source(&path)) else { continue };
        let pickles = std::fs::read_to_string(path.with_extension("feature.pickles.ndjson")).unwrap_or_default();
        let mut expected: Vec<String> = pickles
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .flat_map(|v| v["pickle"]["steps"].as_array().cloned().unwrap_or_default())
            .filter_map(|s| s["argument"]["docString"]["content"].as_str().map(str::to_owned))
            .collect();
        let f = &parsed.header;
        let backgrounds = f.background.iter().chain(f.rules.iter().flat_map(|r| &r.background));
        let scenarios: Vec<gherkin::Scenario> =
            parsed.scenarios().map(|c| c.unwrap_or_else(|e| panic!("{e}")).scenario).collect();
        let mut found: Vec<String> = backgrounds
            .flat_map(|b| &b.steps)
            .chain(scenarios.iter().flat_map(|s| &s.steps))
            .filter_map(|s| s.docstring.clone())
            .collect();
        expected.sort();
        expected.dedup();
        found.sort();
        found.dedup();
        checked += expected.len();
        if found != expected {
            wrong.push(format!("{}:\n  upstream {expected:?}\n  certify  {found:?}", path.display()));
        }
    }
    assert!(checked >= 10, "the corpus has doc strings to compare ({checked})");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every child of every `good/` file, parsed again alone from where it
/// started (what a large suite does instead of holding its tree), is the
/// child the whole parse gave, ids included, and ids move with the base.
#[test]
fn every_child_parses_again_alone_to_the_same_nodes() {
    let mut children = 0;
    for path in corpus("good") {
        let text = std::fs::read_to_string(&path).expect("read corpus file");
        let mut pieces = Vec::new();
        let (result, _) = syntax::parse_pieces(&text, &mut |piece| pieces.push(piece));
        result.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for piece in pieces {
            let (syntax::Piece::Background(_, start) | syntax::Piece::Scenario(_, start)) = &piece else { continue };
            let again = syntax::parse_child(&text, start, 0).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(again, piece, "{}: the child at line {}", path.display(), start.index + 1);
            let moved = syntax::parse_child(&text, start, 1000).expect("parses again");
            let id = |p: &syntax::Piece| match p {
                syntax::Piece::Background(b, _) => b.id.parse::<usize>().expect("id"),
                syntax::Piece::Scenario(s, _) => s.id.parse::<usize>().expect("id"),
                syntax::Piece::Rule(r) => r.id.parse::<usize>().expect("id"),
            };
            assert_eq!(id(&moved), id(&piece) + 1000, "{}", path.display());
            children += 1;
        }
    }
    assert!(children > 100, "only {children} children in the corpus");
}
