//! Tests of the public API around loading: reading files, the shipped catalog, lookups, the
//! versions a catalog names, and that no input makes loading panic.

use std::path::{Path, PathBuf};

use certify_catalog::{Catalog, Maturity, Version, load, load_str};

fn v(text: &str) -> Version {
    Version::parse(text).expect("test version")
}

fn shipped_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../features/catalog.toml")
}

fn shipped() -> Catalog {
    load(&shipped_path()).unwrap_or_else(|err| panic!("the shipped catalog loads: {err}"))
}

#[test]
fn the_shipped_catalog_loads() {
    let catalog = shipped();
    assert_eq!(catalog.path, shipped_path());
    let ids: Vec<&str> = catalog.features.iter().map(|feature| feature.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "platform-status",
            "tenant-signup",
            "api-keys",
            "quotas",
            "usage-metering",
            "usage-export",
            "plan-catalog",
            "operator-admin",
            "legacy-key-header"
        ]
    );
    for feature in &catalog.features {
        assert!(!feature.title.is_empty() && !feature.owner.is_empty(), "{}", feature.id);
        assert!(feature.description.is_some(), "{} has a description", feature.id);
        assert!(feature.lifecycle.first().is_some(), "{} has a first stage", feature.id);
    }
    let metering = catalog.get("usage-metering").expect("usage-metering");
    assert_eq!(metering.owner, "billing");
    assert_eq!(metering.lifecycle.alpha, Some(v("1.2.0")));
    assert_eq!(metering.lifecycle.ga, Some(v("2.0.0")));
    assert_eq!(metering.lifecycle.maturity_at(&v("2.0.0-rc.1")), Some(Maturity::Beta));
    let text = std::fs::read_to_string(shipped_path()).expect("readable");
    let header_line = text.lines().position(|line| line.contains("\"usage-metering\"")).expect("id line");
    assert_eq!(metering.line, header_line, "the line of the [[feature]] just above the id");
    assert_eq!(text.lines().nth(metering.line - 1), Some("[[feature]]"));
}

#[test]
fn versions_are_every_stage_version_ascending_once() {
    let catalog = shipped();
    let versions: Vec<String> = catalog.versions().iter().map(ToString::to_string).collect();
    assert_eq!(versions, ["1.0.0", "1.2.0", "1.4.0", "2.0.0", "3.0.0"]);

    let text = r#"
[[feature]]
id = "a"
title = "A"
owner = "o"
lifecycle = { alpha = "2.0.0-alpha.1", beta = "2.0.0-rc.1", ga = "2.0.0", deprecated = "2.0.0+build.1" }

[[feature]]
id = "b"
title = "B"
owner = "o"
lifecycle = { beta = "1.10.0", ga = "2.0.0" }
"#;
    let catalog = load_str(text, Path::new("catalog.toml")).expect("loads");
    let versions: Vec<String> = catalog.versions().iter().map(ToString::to_string).collect();
    assert_eq!(versions, ["1.10.0", "2.0.0-alpha.1", "2.0.0-rc.1", "2.0.0", "2.0.0+build.1"]);
    assert_eq!(catalog.previous_version(&v("2.0.0")), Some(v("2.0.0-rc.1")));
    assert_eq!(catalog.previous_version(&v("2.0.0+build.1")), Some(v("2.0.0-rc.1")), "build metadata is ignored");
    assert_eq!(catalog.previous_version(&v("2.0.0-beta")), Some(v("2.0.0-alpha.1")));
    assert_eq!(catalog.previous_version(&v("1.10.0")), None);
}

#[test]
fn previous_version_is_the_catalog_version_just_before() {
    let catalog = shipped();
    let cases = [
        ("0.9.0", None),
        ("1.0.0", None),
        ("1.0.0+build.3", None),
        ("1.0.1", Some("1.0.0")),
        ("1.2.0", Some("1.0.0")),
        ("1.3.0", Some("1.2.0")),
        ("2.0.0-rc.1", Some("1.4.0")),
        ("2.0.0", Some("1.4.0")),
        ("2.0.1", Some("2.0.0")),
        ("3.0.0", Some("2.0.0")),
        ("9.0.0", Some("3.0.0")),
    ];
    for (version, expected) in cases {
        assert_eq!(catalog.previous_version(&v(version)), expected.map(v), "before {version}");
    }
    let empty = load_str("", Path::new("catalog.toml")).expect("loads");
    assert!(empty.versions().is_empty());
    assert_eq!(empty.previous_version(&v("1.0.0")), None);
}

#[test]
fn get_and_closest() {
    let catalog = shipped();
    assert_eq!(catalog.get("quotas").map(|feature| feature.title.as_str()), Some("Per-plan quotas"));
    assert!(catalog.get("quota").is_none());
    assert!(catalog.get("").is_none());

    let cases = [
        ("tenant-sigup", Some("tenant-signup")),
        ("tennat-signup", Some("tenant-signup")),
        ("quota", Some("quotas")),
        ("api-key", Some("api-keys")),
        ("apikeys", Some("api-keys")),
        ("usage-exports", Some("usage-export")),
        ("usage-meter", Some("usage-metering")),
        ("quotas", Some("quotas")),
        ("billing", None),
        ("", None),
        ("x", None),
    ];
    for (id, expected) in cases {
        assert_eq!(catalog.closest(id), expected, "closest to {id:?}");
    }
    assert_eq!(catalog.closest(&"q".repeat(100_000)), None, "a huge id is answered quickly, with nothing");
}

#[test]
fn load_names_a_missing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nope.toml");
    let err = load(&path).expect_err("missing file");
    assert_eq!(err.file(), path);
    assert_eq!(err.line(), None);
    assert!(err.message().starts_with("cannot read: "), "{err}");
    assert!(std::error::Error::source(&err).is_some(), "keeps the io error as its source");
}

#[test]
fn load_refuses_a_file_that_is_not_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.toml");
    std::fs::write(&path, b"[[feature]]\nid = \"\xff\"\n").expect("write");
    let err = load(&path).expect_err("not UTF-8");
    assert_eq!(err.to_string(), format!("{}: not valid UTF-8 (at byte 18)", path.display()));
}

#[test]
fn load_reads_the_file_it_is_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.toml");
    std::fs::write(&path, "[[feature]]\nid = \"a\"\ntitle = \"A\"\nowner = \"o\"\nlifecycle = { ga = \"1.0.0\" }\n")
        .expect("write");
    let catalog = load(&path).expect("loads");
    assert_eq!(catalog.path, path);
    assert_eq!(catalog.features.len(), 1);
    assert_eq!(catalog.features[0].line, 1);
}

#[test]
fn errors_carry_file_line_and_key() {
    let text = std::fs::read_to_string(shipped_path()).expect("readable");
    let catalog = shipped();
    let index = catalog.features.iter().position(|feature| feature.id == "quotas").expect("quotas");
    let lines: Vec<&str> = text.lines().collect();
    let header = catalog.features[index].line;
    let line = header + lines[header..].iter().position(|line| line.starts_with("lifecycle")).expect("lifecycle") + 1;
    assert_eq!(lines[line - 1], r#"lifecycle = { beta = "1.2.0", ga = "1.4.0" }"#);
    let mut broken: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
    broken[line - 1] = r#"lifecycle = { beta = "1.2.0", ga = "1.4" }"#.to_owned();

    let err = load_str(&broken.join("\n"), Path::new("features/catalog.toml")).expect_err("bad version");
    assert_eq!(err.file(), Path::new("features/catalog.toml"));
    assert_eq!(err.line(), Some(line));
    let key = format!("feature[{index}].lifecycle.ga");
    assert_eq!(err.key(), Some(key.as_str()));
    assert_eq!(
        err.to_string(),
        format!(
            r#"features/catalog.toml:{line}: {key}: expected a semver version like 1.4.0, got "1.4" (unexpected end of input while parsing minor version number)"#
        )
    );
}

/// Loading returns (never panics) on every prefix of a real catalog and on damaged copies of it,
/// and any line it names is inside the text.
#[test]
fn no_input_makes_loading_panic() {
    let text = std::fs::read_to_string(shipped_path()).expect("readable");
    let lines = text.lines().count() + 1;
    let check = |input: &str| {
        if let Err(err) = load_str(input, Path::new("catalog.toml")) {
            let line = err.line().unwrap_or(1);
            assert!((1..=lines).contains(&line), "line {line} out of range for {input:?}: {err}");
        }
    };
    for (at, _) in text.char_indices() {
        check(&text[..at]);
        check(&text[at..]);
    }
    let damage = ["", "\"", "[", "]", "{", "}", "=", "\n", "#", "0", ",", "[[feature]]\n", "'''", "é"];
    for (at, _) in text.char_indices().step_by(7) {
        for insert in damage {
            let mut damaged = text.clone();
            damaged.insert_str(at, insert);
            check(&damaged);
        }
    }
}
