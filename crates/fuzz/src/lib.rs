//! Fuzzing on stable Rust. Every parser certify runs on input it does not
//! control is a [`Target`]: a `fn(&[u8])` that feeds the bytes to the parser
//! (and to what reads its result next) and must never panic, whatever they
//! are. The [`mutate`] module turns a seed corpus of valid inputs (under
//! `crates/fuzz/corpus/<target>/`, made from the shipped project, the test
//! fixtures and a demo run) into hostile ones with a seeded PRNG: bit flips,
//! byte inserts and deletes, duplicated ranges, splices of two inputs, and
//! tokens from a dictionary per format. [`run_one`] catches a panic
//! (`catch_unwind`, with the panic hook silenced by [`quiet_target_panics`])
//! and returns its message.
//!
//! Two ways to run it:
//! - `cargo run -p certify-fuzz --release -- --seconds 60` (the driver,
//!   `src/main.rs`) gives every target its share of the time, writes an input
//!   that panics to `crates/fuzz/crashes/<target>-<hash>` and exits 1 naming
//!   the target and the file; `--seed N` repeats a session, `--target NAME`
//!   runs one target.
//! - `cargo test -p certify-fuzz` runs every target over its corpus and a few
//!   thousand mutations of it with a fixed seed.
//!
//! # Adding a target
//!
//! A parser of a new format is one function and one directory: write
//! `fn format(data: &[u8])` below, calling the parser on `data` and ignoring
//! its `Result`; add `Target { name: "format", run: format, dictionary: FORMAT }`
//! to [`TARGETS`] (with a few tokens of the format); and put a handful of
//! valid inputs in `crates/fuzz/corpus/format/`. The driver picks it up as it
//! is; the test needs its name in the `targets!` list of `tests/targets.rs`
//! (a test fails until it is there, and while the corpus directory is empty).
//! The corpus key (`fuzz.pub.pem`) is the public half of the demo run's
//! throwaway key that signed the envelopes of the `dsse` and `sigstore` corpora.
//!
//! An input that once panicked stays in its target's corpus (named
//! `regression-*`), so the test replays it on every run.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    path::{Path, PathBuf},
    sync::LazyLock,
};

use certify_evidence::attest::{
    Envelope, PublicKey, Statement, TestResult, check_sigstore_bundle, envelope_from_sigstore_bundle,
    verify_attestation,
};

pub mod mutate;

/// One parser of untrusted input.
pub struct Target {
    /// The target's name, also its corpus directory.
    pub name: &'static str,
    /// Feeds the bytes to the parser; must never panic.
    pub run: fn(&[u8]),
    /// Tokens of the format that the mutator inserts, in one or more lists.
    pub dictionary: &'static [&'static [&'static str]],
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target { name: "feature", run: feature, dictionary: &[GHERKIN] },
    Target { name: "config", run: config, dictionary: &[CONFIG, TOML] },
    Target { name: "catalog", run: catalog, dictionary: &[CATALOG, TOML] },
    Target { name: "policy", run: policy, dictionary: &[POLICY, TOML] },
    Target { name: "manifest", run: manifest, dictionary: &[JSON] },
    Target { name: "index", run: index, dictionary: &[INDEX, JSON] },
    Target { name: "dsse", run: dsse, dictionary: &[DSSE, JSON] },
    Target { name: "sigstore", run: sigstore, dictionary: &[DSSE, JSON] },
    Target { name: "checkpoint", run: checkpoint, dictionary: &[CHECKPOINT] },
    Target { name: "openapi", run: openapi, dictionary: &[OPENAPI, JSON] },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

thread_local! {
    static IN_TARGET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs (once) a panic hook that stays silent for panics inside [`run_one`], which are
/// caught and reported, and prints every other panic as the previous hook did.
pub fn quiet_target_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_TARGET.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `target` on `input`: `Err` with the panic's message if it panicked. Call
/// [`quiet_target_panics`] first to keep the panic hook from printing it.
pub fn run_one(target: &Target, input: &[u8]) -> Result<(), String> {
    IN_TARGET.with(|t| t.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
    IN_TARGET.with(|t| t.set(false));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with a payload that is not text".to_owned())
    })
}

/// Where the corpus of `target` lives.
pub fn corpus_dir(target: &Target) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target.name)
}

/// The seed corpus of `target`, sorted by file name, as (file name, bytes).
pub fn corpus(target: &Target) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(corpus_dir(target))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            out.push((entry.file_name().to_string_lossy().into_owned(), std::fs::read(entry.path())?));
        }
    }
    out.sort();
    Ok(out)
}

/// The public key of the demo run the signed corpus entries come from (its private half was
/// never written), so that unmutated envelopes verify and reach the Statement.
pub fn corpus_key() -> &'static PublicKey {
    static KEY: LazyLock<PublicKey> = LazyLock::new(|| {
        PublicKey::from_spki_pem(include_str!("../fuzz.pub.pem")).expect("the corpus key is an SPKI PEM")
    });
    &KEY
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// A feature file (certify-suite: certify's Gherkin parser, the pickle
/// compiler, outlines expanded into the `gherkin` types, certify's tags).
fn feature(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let (document, work) = certify_suite::syntax::parse_counting(text);
    if let Ok(document) = document {
        let mut next_id = work.ids;
        let _ = certify_suite::syntax::pickles(&document, "features/fuzz.feature", &mut next_id);
    }
    let file = certify_suite::SourceFile { path: "features/fuzz.feature".into(), abs_path: None, text: text.into() };
    let suite = certify_suite::Suite::parse(vec![file]);
    for parsed in &suite.features {
        let tags = parsed.header.tags.as_slice();
        let _ = certify_suite::certify_tags([tags]);
        // A file that loaded reads again, scenario by scenario and child by child.
        for concrete in parsed.scenarios() {
            let concrete = concrete.unwrap_or_else(|e| panic!("a loaded file does not read again: {e}"));
            let _ = certify_suite::certify_tags([tags, concrete.scenario.tags.as_slice()]);
        }
        for child in parsed.document_children(0) {
            child.unwrap_or_else(|e| panic!("a loaded file's document does not read again: {e}"));
        }
    }
}

/// certify.toml (certify-config: raw parse, `${VAR}` interpolation, resolution).
fn config(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let env = |name: &str| (name == "FUZZ_SET").then(|| "https://example.invalid".to_owned());
    let _ = certify_config::load_str(text, Path::new("/nonexistent/fuzz/certify.toml"), &env);
}

/// features/catalog.toml (certify-catalog), and release notes at a version.
fn catalog(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(catalog) = certify_catalog::load_str(text, Path::new("/nonexistent/fuzz/catalog.toml")) {
        let _ = certify_catalog::release_notes(&catalog, &certify_catalog::Version::new(2, 0, 0));
    }
}

/// A promotion policy (certify-gate).
fn policy(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = certify_gate::Policy::parse(text, Path::new("/nonexistent/fuzz/ci/promotion.toml"));
}

/// bundle.json (certify-evidence's manifest).
fn manifest(data: &[u8]) {
    let _ = serde_json::from_slice::<certify_evidence::manifest::Manifest>(data);
}

/// One line of the archive's index.jsonl (certify-archive).
fn index(data: &[u8]) {
    if let Ok(entry) = certify_archive::index::IndexEntry::parse(data) {
        let _ = certify_archive::index::IndexEntry::parse(entry.to_line().as_bytes());
    }
}

/// An envelope file: the strict reader, the verifier, and the Statement and test-result
/// predicate it carries, whether or not the signature holds.
fn dsse(data: &[u8]) {
    if let Err(e) = verify_attestation(data, std::slice::from_ref(corpus_key())) {
        let _ = e.as_problem();
    }
    if let Ok(envelope) = Envelope::from_jsonl(data) {
        statement_of(&envelope);
    }
}

/// A Sigstore bundle: the strict reader, and the byte-exact check against the envelope it holds.
fn sigstore(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok((envelope, _)) = envelope_from_sigstore_bundle(text) {
        let _ = check_sigstore_bundle(data, &envelope, corpus_key());
        statement_of(&envelope);
    }
}

/// A target's API description (fetched from the target: untrusted): loaded, every operation
/// matched and a response checked against it, and compared with itself.
fn openapi(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(api) = certify_openapi::Description::parse("fuzz", text) else { return };
    let headers = [("content-type".to_owned(), "application/json".to_owned())];
    for op in api.operations().iter().take(16) {
        let path = op.path.replace(['{', '}'], "");
        for body in [&b"{}"[..], b"[1, \"x\", null]", b"not json"] {
            let response = certify_openapi::Response { status: 200, headers: &headers, body };
            let _ = api.check(&op.method, &path, &response).to_string();
        }
    }
    let _ = certify_openapi::diff::diff(&api, &api, &[]).text();
}

/// An archive checkpoint (a signed note): parsed, its signatures checked, its origin read,
/// and its body written back.
fn checkpoint(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(note) = certify_archive::checkpoint::SignedCheckpoint::parse(text) {
        let _ = note.verified_by(std::slice::from_ref(corpus_key()));
        let _ = note.archive_id();
        let _ = certify_archive::checkpoint::SignedCheckpoint::parse(&note.checkpoint.body());
    }
}

fn statement_of(envelope: &Envelope) {
    let _ = envelope.signatures.first().map(|s| s.claimed_fingerprint());
    if let Ok(payload) = envelope.payload_bytes()
        && let Ok(statement) = Statement::from_bytes(&payload)
    {
        let _ = TestResult::from_predicate(&statement.predicate);
    }
}

const GHERKIN: &[&str] = &[
    "Feature:",
    "Feature: x\n",
    "Background:",
    "Rule:",
    "Scenario:",
    "Scenario Outline:",
    "Example:",
    "Examples:",
    "Given ",
    "When ",
    "Then ",
    "And ",
    "But ",
    "* ",
    "@feature:",
    "@critical",
    "@serial",
    "@retry(",
    "@retry(4294967296)",
    "@since:",
    "@",
    "|",
    "| a | b |\n",
    "\\|",
    "<",
    ">",
    "<a>",
    "\"\"\"",
    "```",
    "#",
    "# language: fr\n",
    "# language: xx\n",
    "\n",
    "\r\n",
    "    ",
    "\t",
    "\u{feff}",
    "é",
    "\"",
];

const TOML: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "=",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "{",
    "}",
    ",",
    ".",
    "#",
    "\n",
    "\r\n",
    "true",
    "false",
    "0",
    "-1",
    "1e400",
    "nan",
    "18446744073709551616",
    "9223372036854775807",
    "1979-05-27T07:32:00Z",
    "\\u0000",
    "é",
];

const CONFIG: &[&str] = &[
    "[suite]",
    "[targets.x]",
    "[targets.x.headers]",
    "[evidence]",
    "[run]",
    "base_url",
    "features",
    "timeout",
    "\"5s\"",
    "\"0s\"",
    "\"99999999999999999999h\"",
    "${",
    "${FUZZ_SET}",
    "${FUZZ_UNSET}",
    "${FUZZ_SET:-x}",
    "$$",
    "signing_key",
    "{ env = \"X\" }",
    "{ file = \"/etc/passwd\" }",
    "\"../\"",
    "http://",
    "https://u:p@h/",
    "[",
    "]",
    "=",
    "\"",
    "{",
    "}",
    "\n",
];

const CATALOG: &[&str] = &[
    "[[feature]]",
    "id",
    "title",
    "owner",
    "description",
    "lifecycle",
    "alpha",
    "beta",
    "ga",
    "deprecated",
    "removed",
    "\"1.0.0\"",
    "\"2.0.0-rc.1\"",
    "\"0.0.0\"",
    "\"18446744073709551616.0.0\"",
    "\"1.0.0+build\"",
    "[",
    "]",
    "=",
    "\"",
    "{",
    "}",
    "\n",
];

const POLICY: &[&str] = &[
    "[stage.x]",
    "[stage.",
    "from_target",
    "require",
    "warn_on",
    "max_age",
    "\"72h\"",
    "\"0s\"",
    "\"18446744073709551615s\"",
    "\"9999999999999999999999d\"",
    "trusted_keys",
    "require_signed",
    "require_revision_match",
    "allow_flaky",
    "min_runs",
    "-1",
    "18446744073709551615",
    "\"ga\"",
    "\"beta\"",
    "\"removed\"",
    "[",
    "]",
    "=",
    "\"",
    "\n",
];

const JSON: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "-1",
    "1e309",
    "18446744073709551616",
    "1.5",
    "\\u0000",
    "\\ud800",
    "\\\"",
    "\"\"",
    "{}",
    "[]",
    " ",
    "\n",
    "\"status\"",
    "\"passed\"",
    "\"complete\"",
    "\"files\"",
    "\"sha256\"",
    "\"2026-11-29T14:42:21Z\"",
];

const OPENAPI: &[&str] = &[
    "openapi",
    "3.0.3",
    "3.1.0",
    "paths",
    "responses",
    "components",
    "schemas",
    "$ref",
    "#/components/schemas/",
    "nullable",
    "exclusiveMinimum",
    "allOf",
    "oneOf",
    "anyOf",
    "items",
    "properties",
    "required",
    "type",
    "content",
    "application/json",
    "headers",
    "4XX",
    "default",
    "{id}",
    "x-certify-feature",
    "~1",
    ": ",
    "\n  ",
    "- ",
];

const CHECKPOINT: &[&str] = &[
    "certify-archive ",
    "\n",
    "\n\n",
    "\u{2014} ",
    "\u{2014} certify-archive ",
    "0\n",
    "18446744073709551615\n",
    "=",
    "==",
    "+/",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
];

const INDEX: &[&str] = &[
    "\"seq\"",
    "\"prev\"",
    "\"kind\"",
    "\"bundle\"",
    "\"decision\"",
    "\"id\"",
    "\"path\"",
    "\"added_at\"",
    "\"signer\"",
    "\"inputs\"",
    "\"promote\"",
    "\"0000000000000000000000000000000000000000000000000000000000000000\"",
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "-1",
    "18446744073709551616",
    "1e309",
    "\\u0000",
];

const DSSE: &[&str] = &[
    "\"payload\"",
    "\"payloadType\"",
    "\"signatures\"",
    "\"keyid\"",
    "\"sig\"",
    "\"mediaType\"",
    "\"verificationMaterial\"",
    "\"publicKey\"",
    "\"hint\"",
    "\"tlogEntries\"",
    "\"dsseEnvelope\"",
    "\"application/vnd.in-toto+json\"",
    "\"application/vnd.dev.sigstore.bundle.v0.3+json\"",
    "=",
    "==",
    "+",
    "/",
    "-",
    "_",
    "e30=",
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "\\u0000",
    "\\ud800",
    "\n",
    "\r\n",
    " ",
    "  ",
];
