//! Policy fixtures: every `fixtures/bad/NAME.toml` must fail with exactly the error in
//! `fixtures/bad/NAME.err`, and every `fixtures/ok/NAME.toml` must parse and match its
//! snapshot. Adding a case is adding files.
//!
//! Run with `CERTIFY_BLESS=1` to write the `.err` files from the current messages (then review
//! the diff); `INSTA_UPDATE=always` does the same for the `ok/` snapshots.

use std::path::{Path, PathBuf};

use certify_diag::fixtures::{check_bad, files, stem};
use certify_gate::{Policy, PolicyError};

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(kind)
}

#[test]
fn bad_fixtures_fail_with_the_expected_error() {
    let (messages, failures) = check_bad(&fixtures("bad"), &|text| {
        let err = Policy::parse(text, Path::new("ci/promotion.toml")).err()?;
        match &err {
            PolicyError::Invalid { file, .. } => assert_eq!(file, Path::new("ci/promotion.toml")),
            other => panic!("not an Invalid error: {other:?}"),
        }
        Some(err.to_string())
    });
    assert!(messages.len() >= 40, "expected the bad/ corpus, found {} cases", messages.len());
    assert!(failures.is_empty(), "{} bad fixture(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn ok_fixtures_parse_and_match_their_snapshots() {
    let files = files(&fixtures("ok"));
    assert!(files.len() >= 4, "expected the ok/ corpus");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        let policy = Policy::parse(&text, Path::new("/project/ci/promotion.toml"))
            .unwrap_or_else(|err| panic!("{} should parse: {err}", path.display()));
        insta::assert_json_snapshot!(stem(&path), policy);
    }
}
