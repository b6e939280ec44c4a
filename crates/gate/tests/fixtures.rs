//! Policy fixtures: every `fixtures/bad/NAME.toml` must fail with exactly the error in
//! `fixtures/bad/NAME.err`, and every `fixtures/ok/NAME.toml` must parse and match its
//! snapshot. Adding a case is adding files.
//!
//! Run with `CERTIFY_BLESS=1` to write the `.err` files from the current messages (then review
//! the diff); `INSTA_UPDATE=always` does the same for the `ok/` snapshots.

use std::path::{Path, PathBuf};

use certify_gate::{Policy, PolicyError};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().expect("file name").to_string_lossy().into_owned()
}

#[test]
fn bad_fixtures_fail_with_the_expected_error() {
    let bless = std::env::var_os("CERTIFY_BLESS").is_some();
    let mut failures = Vec::new();
    let mut cases = 0;
    for path in fixtures("bad") {
        match path.extension().and_then(|ext| ext.to_str()) {
            Some("toml") => {}
            Some("err") if path.with_extension("toml").is_file() => continue,
            _ => {
                failures.push(format!("{}: not a .toml fixture or the .err of one", path.display()));
                continue;
            }
        }
        cases += 1;
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        let err = match Policy::parse(&text, Path::new("ci/promotion.toml")) {
            Ok(policy) => {
                failures.push(format!("{}: parsed without an error: {policy:?}", stem(&path)));
                continue;
            }
            Err(err) => err,
        };
        match &err {
            PolicyError::Invalid { file, .. } => assert_eq!(file, Path::new("ci/promotion.toml")),
            other => failures.push(format!("{}: not an Invalid error: {other:?}", stem(&path))),
        }
        let actual = format!("{err}\n");
        let expected_path = path.with_extension("err");
        if bless {
            std::fs::write(&expected_path, &actual).expect("write .err");
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!("{}:\n  expected: {}  actual:   {}", stem(&path), expected, actual)),
            Err(_) => failures.push(format!("{}: no .err file; actual: {actual}", stem(&path))),
        }
    }
    assert!(cases >= 40, "expected the bad/ corpus, found {cases} cases");
    assert!(failures.is_empty(), "{} bad fixture(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn ok_fixtures_parse_and_match_their_snapshots() {
    let files = fixtures("ok");
    assert!(files.len() >= 4, "expected the ok/ corpus");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        let policy = Policy::parse(&text, Path::new("/project/ci/promotion.toml"))
            .unwrap_or_else(|err| panic!("{} should parse: {err}", path.display()));
        insta::assert_json_snapshot!(stem(&path), policy);
    }
}
