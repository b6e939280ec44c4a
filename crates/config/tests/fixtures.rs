//! Fixture-driven tests: every `fixtures/bad/NAME.toml` must fail with exactly the error in
//! `fixtures/bad/NAME.err`, and every `fixtures/ok/NAME.toml` must load and match its snapshot.
//! Adding a case is adding files.
//!
//! Run with `CERTIFY_BLESS=1` to write the `.err` files from the current messages (then review
//! the diff); `INSTA_UPDATE=always` does the same for the `ok/` snapshots.

use std::path::{Path, PathBuf};

use certify_config::load_str;
use certify_diag::fixtures::{check_bad, files, stem};

/// Marker present in every environment value and fixture literal that stands for a secret.
const SECRET_MARKER: &str = "s3cr3t";

/// The environment seen by the fixtures.
fn env(name: &str) -> Option<String> {
    let value = match name {
        "STAGING_HOST" => "staging.example.com",
        "SUITE_DIR" => "suites/main",
        "RUN_ID" => "42",
        "CONCURRENCY" => "8",
        "RATE" => "2.5",
        "TEAM" => "platform",
        "TIMEOUT" => "ten",
        "SECRET_URL" => "https://ci:s3cr3t@staging example.com",
        "MULTILINE" => "s3cr3t\r\nX-Injected: yes",
        _ => return None,
    };
    Some(value.to_owned())
}

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(kind)
}

#[test]
fn bad_fixtures_fail_with_the_expected_error() {
    let (messages, mut failures) = check_bad(&fixtures("bad"), &|text| {
        let err = load_str(text, Path::new("certify.toml"), &env).err()?;
        assert_eq!(err.file(), Path::new("certify.toml"));
        Some(err.to_string())
    });
    for (name, message) in &messages {
        if message.contains(SECRET_MARKER) {
            failures.push(format!("{name}: the message shows a secret: {message}"));
        }
    }
    assert!(messages.len() >= 50, "expected the bad/ corpus, found {} cases", messages.len());
    assert!(failures.is_empty(), "{} bad fixture(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn ok_fixtures_load_and_match_their_snapshots() {
    let files = files(&fixtures("ok"));
    assert!(files.len() >= 4, "expected the ok/ corpus");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        let mut settings = load_str(&text, Path::new("/project/certify.toml"), &env)
            .unwrap_or_else(|err| panic!("{} should load: {err}", path.display()));
        assert_eq!(settings.source, text, "source is the exact text");
        settings.source = format!("<{} bytes>", text.len());
        insta::assert_debug_snapshot!(stem(&path), settings);
    }
}
