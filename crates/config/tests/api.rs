//! Tests of the public API around the fixtures: reading files, discovery, looking up targets
//! and credentials, and what is (and is not) read from the environment.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use certify_config::{EvidenceLocation, FILE_NAME, KeyRef, SecretRef, Settings, discover, load, load_str};

fn no_env(_: &str) -> Option<String> {
    None
}

fn write(dir: &Path, relative: &str, text: &str) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("create dirs");
    std::fs::write(&path, text).expect("write file");
    path
}

fn settings(text: &str) -> Settings {
    load_str(text, Path::new("/project/certify.toml"), &no_env).expect("valid configuration")
}

const TWO_TARGETS: &str = r#"
[targets.staging]
base_url = "https://staging.example.com"

[targets.prod]
base_url = "https://example.com"
"#;

#[test]
fn load_reads_the_file_and_resolves_paths_against_its_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "[suite]\nfeatures = \"specs\"\n\n[evidence]\nsigning_key = { file = \"keys/release.key\" }\n";
    let path = write(dir.path(), "project/certify.toml", text);

    let settings = load(&path, &no_env).expect("loads");

    let root = dir.path().join("project");
    assert_eq!(settings.path, path);
    assert_eq!(settings.root, root);
    assert_eq!(settings.source, text);
    assert_eq!(settings.suite.features, vec![root.join("specs")]);
    assert_eq!(settings.suite.catalog, root.join("features/catalog.toml"));
    assert_eq!(settings.suite.snapshots_dir, root.join("features/snapshots"));
    assert_eq!(settings.evidence.dir, EvidenceLocation::Local(root.join("evidence")));
    assert_eq!(settings.evidence.signing_key, Some(KeyRef::File(root.join("keys/release.key"))));
}

#[test]
fn load_names_a_missing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nope.toml");
    let err = load(&path, &no_env).expect_err("missing file");
    assert_eq!(err.file(), path);
    assert_eq!(err.line(), None);
    assert!(err.message().starts_with("cannot read: "), "{err}");
    assert!(std::error::Error::source(&err).is_some(), "keeps the io error as its source");
}

#[test]
fn load_refuses_a_file_that_is_not_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, b"[suite]\nfeatures = \"\xff\"\n").expect("write");
    let err = load(&path, &no_env).expect_err("not UTF-8");
    assert!(err.to_string().contains("not valid UTF-8"), "{err}");
}

#[test]
fn a_relative_path_is_made_absolute_but_messages_keep_it_as_given() {
    let settings = load_str("", Path::new("sub/certify.toml"), &no_env).expect("loads");
    assert!(settings.path.is_absolute());
    assert!(settings.path.ends_with("sub/certify.toml"));
    assert_eq!(settings.root, settings.path.parent().expect("parent"));

    let err = load_str("bogus = 1", Path::new("sub/certify.toml"), &no_env).expect_err("unknown key");
    assert_eq!(err.file(), Path::new("sub/certify.toml"));
    assert!(err.to_string().starts_with("sub/certify.toml:1: bogus: unknown key"), "{err}");
}

#[test]
fn errors_carry_file_line_and_key() {
    let text = "[targets.staging]\nbase_url = \"https://staging.example.com\"\ntimeout = \"ten\"\n";
    let err = load_str(text, Path::new("certify.toml"), &no_env).expect_err("bad duration");
    assert_eq!(err.file(), Path::new("certify.toml"));
    assert_eq!(err.line(), Some(3));
    assert_eq!(err.key(), Some("targets.staging.timeout"));
    assert_eq!(
        err.to_string(),
        r#"certify.toml:3: targets.staging.timeout: expected a duration like "10s" or "500ms", got "ten""#
    );
}

#[test]
fn a_missing_variable_names_file_key_and_variable() {
    let text = "[targets.staging]\nbase_url = \"https://${STAGING_HOST}\"\n";
    let err = load_str(text, Path::new("certify.toml"), &no_env).expect_err("unset variable");
    assert_eq!(err.line(), Some(2));
    assert_eq!(err.key(), Some("targets.staging.base_url"));
    assert_eq!(err.message(), "environment variable STAGING_HOST is not set");
}

#[test]
fn interpolation_uses_the_injected_environment_and_leaves_secrets_unread() {
    let asked = RefCell::new(Vec::new());
    let env = |name: &str| {
        asked.borrow_mut().push(name.to_owned());
        (name == "HOST").then(|| "staging.example.com".to_owned())
    };
    let text = r#"
[targets.staging]
base_url = "https://${HOST}"
auth = { bearer_env = "STAGING_TOKEN" }

[credentials.admin]
header = "X-Api-Key"
value_env = "ADMIN_KEY"

[evidence]
signing_key = { env = "CERTIFY_SIGNING_KEY" }
"#;
    let settings = load_str(text, Path::new("/project/certify.toml"), &env).expect("loads");
    assert_eq!(*asked.borrow(), vec!["HOST".to_owned()], "only ${{...}} is looked up while loading");
    let staging = settings.target("staging").expect("staging");
    assert_eq!(staging.base_url.as_str(), "https://staging.example.com/");
    let auth = staging.auth.as_ref().expect("auth");
    assert_eq!(auth.secret, SecretRef::Env("STAGING_TOKEN".into()));
    assert_eq!(settings.credential("admin").expect("admin").secret, SecretRef::Env("ADMIN_KEY".into()));
    assert_eq!(settings.evidence.signing_key, Some(KeyRef::Env("CERTIFY_SIGNING_KEY".into())));
}

#[test]
fn target_defaults() {
    let settings = settings("[targets.staging]\nbase_url = \"https://staging.example.com/api\"\n");
    let staging = settings.target("staging").expect("staging");
    assert_eq!(staging.name, "staging");
    assert_eq!(staging.base_url.as_str(), "https://staging.example.com/api/");
    assert_eq!(staging.timeout, Duration::from_secs(10));
    assert_eq!(staging.concurrency, 16);
    assert_eq!(staging.max_rps, None);
    assert_eq!(staging.max_body, 16 * 1024 * 1024);
    assert_eq!(staging.auth, None);
    assert_eq!(staging.version, None);
    assert!(staging.headers.is_empty());
    assert_eq!(settings.evidence.max_body, 64 * 1024);
}

#[test]
fn configured_redactions_are_added_to_the_defaults() {
    let settings =
        settings("[evidence]\nredact = { headers = [\"X-Session\", \"authorization\"], json = [\"$..pin\"] }\n");
    assert_eq!(
        settings.evidence.redact_headers,
        ["Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Proxy-Authorization", "X-Session"]
    );
    assert_eq!(settings.evidence.redact_json, ["$..password", "$..token", "$..secret", "$..api_key", "$..pin"]);
}

#[test]
fn target_lookup_lists_the_known_targets() {
    let settings = settings(TWO_TARGETS);
    assert_eq!(settings.target("prod").expect("prod").name, "prod");
    let err = settings.target("production").expect_err("unknown target");
    assert_eq!(err.message(), r#"no target named "production"; known targets: prod, staging"#);
    assert_eq!(err.file(), Path::new("/project/certify.toml"));

    let err = self::settings("").target("staging").expect_err("no targets");
    assert_eq!(err.message(), r#"no target named "staging"; no targets are configured"#);
}

#[test]
fn default_target_is_the_only_one_or_the_configured_one() {
    let one = settings("[targets.staging]\nbase_url = \"https://staging.example.com\"\n");
    assert_eq!(one.default_target().expect("only target").name, "staging");

    let err = settings(TWO_TARGETS).default_target().expect_err("ambiguous");
    assert_eq!(
        err.message(),
        "several targets are configured (prod, staging); name one with --target or set [suite] default_target"
    );

    let chosen = settings(&format!("[suite]\ndefault_target = \"prod\"\n{TWO_TARGETS}"));
    assert_eq!(chosen.suite.default_target.as_deref(), Some("prod"));
    assert_eq!(chosen.default_target().expect("configured").name, "prod");

    let err = settings("").default_target().expect_err("none");
    assert_eq!(err.message(), "no targets are configured; add a [targets.NAME] table");
}

#[test]
fn credential_lookup_lists_the_known_credentials() {
    let settings = settings("[credentials.admin]\nbearer_file = \"secrets/admin.token\"\n");
    let admin = settings.credential("admin").expect("admin");
    assert_eq!(admin.origin, "certify.toml [credentials.admin]");
    assert_eq!(admin.header, "Authorization");
    assert!(admin.bearer);
    assert_eq!(admin.secret, SecretRef::File(PathBuf::from("/project/secrets/admin.token")));
    let err = settings.credential("root").expect_err("unknown");
    assert_eq!(err.message(), r#"no credential named "root"; known credentials: admin"#);
}

#[test]
fn discover_finds_the_file_in_the_start_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), FILE_NAME, "");
    assert_eq!(discover(None, dir.path()).expect("found"), path);
}

#[test]
fn discover_finds_the_file_in_a_parent_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), FILE_NAME, "");
    let nested = dir.path().join("features/billing/deep");
    std::fs::create_dir_all(&nested).expect("mkdir");
    assert_eq!(discover(None, &nested).expect("found"), path);
}

#[test]
fn discover_prefers_the_nearest_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), FILE_NAME, "");
    let inner = write(dir.path(), &format!("inner/{FILE_NAME}"), "");
    let start = dir.path().join("inner/sub");
    std::fs::create_dir_all(&start).expect("mkdir");
    assert_eq!(discover(None, &start).expect("found"), inner);
}

#[test]
fn discover_ignores_a_directory_named_like_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), FILE_NAME, "");
    std::fs::create_dir_all(dir.path().join("sub").join(FILE_NAME)).expect("mkdir");
    assert_eq!(discover(None, &dir.path().join("sub")).expect("found"), path);
}

#[test]
fn discover_reports_when_there_is_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A temporary directory could sit under a directory holding a certify.toml: then that is
    // what discovery must find.
    if let Some(found) = dir.path().ancestors().map(|d| d.join(FILE_NAME)).find(|f| f.is_file()) {
        assert_eq!(discover(None, dir.path()).expect("found above the temporary directory"), found);
        return;
    }
    let err = discover(None, dir.path()).expect_err("nothing to find");
    assert_eq!(err.file(), dir.path().join(FILE_NAME));
    assert!(err.message().starts_with("no certify.toml in "), "{err}");
    assert!(err.message().ends_with("or any parent directory; create one or name it with --config FILE"), "{err}");
}

#[test]
fn discover_takes_an_explicit_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "ci/other.toml", "");
    assert_eq!(discover(Some(&path), Path::new("/nowhere")).expect("absolute"), path);
    assert_eq!(discover(Some(Path::new("ci/other.toml")), dir.path()).expect("relative to start"), path);
}

#[test]
fn discover_refuses_a_missing_explicit_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), FILE_NAME, "");
    let err = discover(Some(Path::new("missing.toml")), dir.path()).expect_err("missing");
    assert_eq!(err.file(), Path::new("missing.toml"));
    assert_eq!(err.to_string(), "missing.toml: no such file (given with --config)");
}

#[test]
fn discover_refuses_an_explicit_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("ci")).expect("mkdir");
    let err = discover(Some(Path::new("ci")), dir.path()).expect_err("directory");
    assert_eq!(err.to_string(), "ci: is not a file (given with --config)");
}

#[test]
fn odd_inputs_are_errors_not_panics() {
    let docs = [
        "[[targets]]\nbase_url = \"https://a.example\"\n",
        "[targets.a]\nbase_url = \"https://a.example\"\ntimeout = 1979-05-27T07:32:00Z\n",
        "[targets.a]\nbase_url = \"https://a.example\"\nconcurrency = 99999999999999999999\n",
        "[targets.a]\nbase_url = \"https://a.example\"\nconcurrency = \"99999999999999999999\"\n",
        "[targets.a]\nbase_url = \"https://a.example\"\nmax_rps = \"inf\"\n",
        "[targets.a]\nbase_url = \"https://a.example\"\nmax_rps = inf\n",
        "[targets.a]\nbase_url = \"https://a.example\"\nmax_body = \"99999999999999999999GiB\"\n",
        "[targets.a]\nbase_url = \"https://a.example\"\ntimeout = \"99999999999999999999y\"\n",
        "[targets.\"\"]\nbase_url = \"https://a.example\"\n",
        "[targets.\"ü\"]\nbase_url = \"https://a.example\"\n",
        "[credentials.\"\"]\nbearer_env = \"X\"\n",
        "[targets.a]\nbase_url = \"https://a.example\"\nheaders = { \"\" = \"x\" }\n",
        "[targets.a]\nbase_url = \"http://\"\n",
        "[targets.a]\nbase_url = \"https://[::1\"\n",
        "[targets.a]\nbase_url = \"mailto:ops@example.com\"\n",
        "[suite]\nfeatures = [[]]\n",
        "[suite]\nfeatures = \"${\"\n",
        "[suite]\nfeatures = \"\\u0000\"\nbogus = 1\n",
        "[evidence]\ndir = \"s3://\"\n",
        "[evidence]\nredact = []\n",
        "[evidence]\nsigning_key = []\n",
        "suite = 1\n",
        "= 1\n",
        "\u{feff}[suite]\nfeatures = []\n",
    ];
    for doc in docs {
        let err = load_str(doc, Path::new("certify.toml"), &no_env).expect_err(doc);
        assert!(err.to_string().starts_with("certify.toml:"), "{doc:?}: {err}");
        assert!(err.line().is_some(), "{doc:?}: {err}");
    }
}

#[test]
fn line_numbers_count_crlf_lines() {
    let text = "[targets.a]\r\nbase_url = \"https://a.example\"\r\n\r\nconcurrency = 0\r\n";
    let err = load_str(text, Path::new("certify.toml"), &no_env).expect_err("concurrency 0");
    assert_eq!(err.line(), Some(4));
}
