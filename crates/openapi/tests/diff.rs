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
fn a_diff_read_backwards_swaps_additions_and_removals() {
    use certify_openapi::diff::{ChangeKind, Side};
    let opposite = |kind: ChangeKind| match kind {
        ChangeKind::OperationAdded => Some(ChangeKind::OperationRemoved),
        ChangeKind::OperationRemoved => Some(ChangeKind::OperationAdded),
        ChangeKind::ResponseStatusAdded => Some(ChangeKind::ResponseStatusRemoved),
        ChangeKind::ResponseStatusRemoved => Some(ChangeKind::ResponseStatusAdded),
        ChangeKind::ResponseFieldAdded => Some(ChangeKind::ResponseFieldRemoved),
        ChangeKind::ResponseFieldRemoved => Some(ChangeKind::ResponseFieldAdded),
        ChangeKind::MediaTypeAdded => Some(ChangeKind::MediaTypeRemoved),
        ChangeKind::MediaTypeRemoved => Some(ChangeKind::MediaTypeAdded),
        _ => None,
    };
    let mut checked = 0;
    for dir in cases() {
        let forward = diff(&load(&dir, "old"), &load(&dir, "new"), &[]);
        let backward = diff(&load(&dir, "new"), &load(&dir, "old"), &[]);
        for change in &forward.changes {
            let Some(kind) = opposite(change.kind) else { continue };
            let side = if change.side == Side::Old { Side::New } else { Side::Old };
            let found = backward.changes.iter().any(|c| {
                c.kind == kind && c.pointer == change.pointer && c.side == side && c.features == change.features
            });
            assert!(found, "{}: {change:?} has no {kind} backwards: {:?}", dir.display(), backward.changes);
            checked += 1;
        }
        assert_eq!(forward.changes.is_empty(), backward.changes.is_empty(), "{}", dir.display());
    }
    assert!(checked >= 10, "{checked}");
}

fn case(name: &str) -> ApiDiff {
    run(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff").join(name)).0
}

#[test]
fn a_description_compared_with_itself_has_no_change() {
    for dir in cases() {
        for stem in ["old", "new"] {
            let api = load(&dir, stem);
            let same = diff(&api, &api, &["items"]);
            assert!(same.changes.is_empty(), "{}/{stem}: {:?}", dir.display(), same.changes);
            assert!(!same.is_breaking());
        }
    }
}

#[test]
fn the_json_format_round_trips() {
    let diff = case("shared-schema-both-directions");
    let value = serde_json::to_value(&diff).unwrap();
    let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["old", "new", "breaking", "compatible", "changes"]);
    assert_eq!(value["old"], json!({"source": "old.yaml", "version": "1.0.0"}));
    assert_eq!(value["new"], json!({"source": "new.yaml", "version": "2.0.0"}));
    assert_eq!((value["breaking"].as_u64(), value["compatible"].as_u64()), (Some(2), Some(1)));
    assert_eq!(value["changes"][1]["kind"], "response-field-removed");
    assert_eq!(value["changes"][1]["in"], "old");
    assert_eq!(
        value["changes"][1]["message"],
        "response field \"nickname\" removed (in a schema used in requests and responses)"
    );
    let back: ApiDiff = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(back, diff);
    // A kind certify does not know is an error, not a silent default.
    let mut unknown = value;
    unknown["changes"][0]["kind"] = json!("field-renamed");
    assert!(serde_json::from_value::<ApiDiff>(unknown).unwrap_err().to_string().contains("field-renamed"));
}

#[test]
fn text_lists_breaking_changes_first_with_pointer_operations_and_features() {
    let text = case("response-status").text();
    assert_eq!(
        text,
        "API changes from old.yaml (1.0.0) to new.yaml (2.0.0): 1 breaking, 1 compatible\n\
         \n\
         Breaking changes:\n\
         \x20 response-status-removed at /paths/~1items~1{id}/get/responses/410 (in old)\n\
         \x20   response status 410 removed\n\
         \x20   operations: GET /items/{id}\n\
         \x20   features: items\n\
         \n\
         Compatible changes:\n\
         \x20 response-status-added at /paths/~1items~1{id}/get/responses/429 (in new)\n\
         \x20   new response status 429\n\
         \x20   operations: GET /items/{id}\n\
         \x20   features: items\n"
    );
    let none = case("identical").text();
    assert_eq!(none, "API changes from old.json (1.0.0) to new.json (1.0.0): 0 breaking, 0 compatible\n");
}

#[test]
fn markdown_lists_breaking_changes_first() {
    let markdown = case("response-status").markdown();
    assert_eq!(
        markdown,
        "## API changes: `old.yaml` (1.0.0) to `new.yaml` (2.0.0)\n\
         \n\
         1 breaking, 1 compatible.\n\
         \n\
         ### Breaking\n\
         \n\
         - **Breaking** `response-status-removed`: response status 410 removed at \
         `/paths/~1items~1{id}/get/responses/410` (in old); operations: `GET /items/{id}`; features: items\n\
         \n\
         ### Compatible\n\
         \n\
         - **Compatible** `response-status-added`: new response status 429 at \
         `/paths/~1items~1{id}/get/responses/429` (in new); operations: `GET /items/{id}`; features: items\n"
    );
}

#[test]
fn a_feature_s_release_notes_hold_only_its_changes() {
    let diff = case("shared-schema-three-operations");
    let notes = diff.feature_markdown("ingest");
    let lines: Vec<&str> = notes.lines().collect();
    assert_eq!(lines.len(), 3, "{notes}");
    assert!(lines[0].starts_with("- **Breaking** `response-field-removed`"), "{notes}");
    assert!(lines[1].starts_with("- **Breaking** `type-changed`"), "{notes}");
    assert!(lines[2].starts_with("- **Compatible** `response-field-added`"), "{notes}");
    assert!(lines.iter().all(|l| l.contains("`POST /items`")), "{notes}");
    // `users` has an operation, but no change touches it.
    assert_eq!(diff.feature_markdown("users"), "");
    assert_eq!(diff.feature_markdown("ingest "), "");
}

const HOSTILE_OLD: &str = r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1\n# v2"},
  "paths": {"/x": {"get": {"x-certify-feature": "f*oo*", "responses": {"200": {"description": "ok",
    "content": {"application/json": {"schema": {"type": "object", "properties": {
      "a`b\n**x** <img src=y>|": {"type": "string"}}}}}}}}}}}"##;

#[test]
fn names_from_a_description_cannot_break_lines_or_markdown() {
    let old = Description::parse("old.json", HOSTILE_OLD).unwrap();
    let new_text = HOSTILE_OLD.replace(r#""a`b\n**x** <img src=y>|": {"type": "string"}"#, "");
    let new = Description::parse("new.json", &new_text).unwrap();
    let diff = diff(&old, &new, &[]);
    assert_eq!(diff.changes.len(), 1, "{:?}", diff.changes);
    let change = &diff.changes[0];
    assert_eq!(change.kind.as_str(), "response-field-removed");
    assert!(change.pointer.ends_with("/properties/a`b\n**x** <img src=y>|"), "{}", change.pointer);
    assert!(!change.message.contains('\n'), "{}", change.message);
    // Text: the summary, a blank line, the title, and four lines for the change.
    assert_eq!(diff.text().lines().count(), 7, "{}", diff.text());
    let notes = diff.feature_markdown("f*oo*");
    assert_eq!(notes.lines().count(), 1, "{notes}");
    // Raw HTML only inside the code span of the pointer; escaped in the message.
    assert_eq!(notes.matches(" <img").count(), 1, "{notes}");
    assert!(notes.contains(r#"response field "a\`b\\n\*\*x\*\* \<img src=y\>\|" removed"#), "{notes}");
    assert!(
        notes.contains(
            "``/paths/~1x/get/responses/200/content/application~1json/schema/properties/a`b\\n**x** <img src=y>|``"
        ),
        "{notes}"
    );
    assert!(notes.ends_with("features: f\\*oo\\*\n"), "{notes}");
    let markdown = diff.markdown();
    assert!(
        markdown.starts_with("## API changes: `old.json` (1\\\\n\\# v2) to `new.json` (1\\\\n\\# v2)\n"),
        "{markdown}"
    );
}

#[test]
fn a_degenerate_reference_cycle_ends() {
    // `Loop` is nothing but itself or null; the new description spells the property inline.
    let old = r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
      "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
        "schema": {"type": "object", "properties": {"p": {"$ref": "#/components/schemas/Loop"}}}}}}}}}},
      "components": {"schemas": {
        "Loop": {"anyOf": [{"$ref": "#/components/schemas/Loop"}, {"type": "null"}]},
        "Self": {"$ref": "#/components/schemas/Self"}}}}"##;
    let new = old.replace(
        r##"{"p": {"$ref": "#/components/schemas/Loop"}}"##,
        r##"{"p": {"type": "string"}, "q": {"$ref": "#/components/schemas/Self"}}"##,
    );
    let old_api = Description::parse("old.json", old).unwrap();
    let new_api = Description::parse("new.json", &new).unwrap();
    let forward = diff(&old_api, &new_api, &[]);
    let kinds: Vec<(&str, &str)> = forward.changes.iter().map(|c| (c.kind.as_str(), c.pointer.as_str())).collect();
    assert!(
        kinds.contains(&("type-changed", "/paths/~1x/get/responses/200/content/application~1json/schema/properties/p")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(
            "response-field-added",
            "/paths/~1x/get/responses/200/content/application~1json/schema/properties/q"
        )),
        "{kinds:?}"
    );
    let backward = diff(&new_api, &old_api, &[]);
    assert!(backward.changes.iter().any(|c| c.kind.as_str() == "response-field-removed"), "{:?}", backward.changes);
}
