//! Fixture-driven tests: every `fixtures/bad/NAME.toml` must fail with exactly the error in
//! `fixtures/bad/NAME.err`, and every `fixtures/ok/NAME.toml` must load and match its snapshot.
//! Adding a case is adding files.
//!
//! Run with `CERTIFY_BLESS=1` to write the `.err` files from the current messages (then review
//! the diff); `INSTA_UPDATE=always` does the same for the `ok/` snapshots.

use std::path::{Path, PathBuf};

use certify_catalog::load_str;
use certify_diag::fixtures::{check_bad, files, stem};

const CATALOG: &str = "features/catalog.toml";

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(kind)
}

#[test]
fn bad_fixtures_fail_with_the_expected_error() {
    let (messages, mut failures) = check_bad(&fixtures("bad"), &|text| {
        let err = load_str(text, Path::new(CATALOG)).err()?;
        assert_eq!(err.file(), Path::new(CATALOG));
        Some(err.to_string())
    });
    for (name, message) in &messages {
        if message.lines().count() != 1 {
            failures.push(format!("{name}: the message is not one line: {message}"));
        }
    }
    assert!(messages.len() >= 50, "expected the bad/ corpus, found {} cases", messages.len());
    assert!(failures.is_empty(), "{} bad fixture(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn ok_fixtures_load_and_match_their_snapshots() {
    let files = files(&fixtures("ok"));
    assert!(files.len() >= 6, "expected the ok/ corpus");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        let catalog =
            load_str(&text, Path::new(CATALOG)).unwrap_or_else(|err| panic!("{} should load: {err}", path.display()));
        assert_eq!(catalog.path, Path::new(CATALOG));
        insta::assert_json_snapshot!(stem(&path), catalog);
    }
}
