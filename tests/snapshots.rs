//! Snapshots of what people and tools read: the step vocabulary as `certify
//! steps` prints it, and the JUnit report and manifest of a small run
//! (tests/fixtures/snapshot-project) against the reference platform. Times,
//! ids, ports, digests and revisions are normalized before comparing.

use std::{
    io::{BufRead as _, BufReader},
    path::Path,
    process::{Command, Stdio},
};

use regex::Regex;

fn certify(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certify"));
    cmd.args(args).env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run certify")
}

#[test]
fn step_vocabulary() {
    let out = certify(&["steps"], &std::env::temp_dir(), &[]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("steps", String::from_utf8_lossy(&out.stdout));
}

/// Replaces what changes from run to run.
fn normalize(text: &str) -> String {
    let rules = [
        (r#"time="[0-9.]+""#, r#"time="[t]""#),
        (r#"timestamp="[^"]+""#, r#"timestamp="[ts]""#),
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uuid]"),
        (r"\b[0-9a-f]{64}\b", "[sha256]"),
        (r"\b[0-9a-f]{40}\b", "[commit]"),
        (r"127\.0\.0\.1:[0-9]+", "127.0.0.1:[port]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[time]"),
        (r#""(duration_ms|size)": [0-9.]+"#, r#""$1": [n]"#),
        (r"\(line (\d+), \d+ ms\)", "(line $1, [n] ms)"),
        (r"  (\d+|no response)  \(\d+ ms\)", "  $1  ([n] ms)"),
        (r#"name="git.branch" value="[^"]*""#, r#"name="git.branch" value="[branch]""#),
        (r#"name="git.dirty" value="[^"]*""#, r#"name="git.dirty" value="[dirty]""#),
        (r#"name="certify.version" value="[^"]*""#, r#"name="certify.version" value="[version]""#),
        (r#""duration_ms": [0-9.]+"#, r#""duration_ms": [n]"#),
        (r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", "[http-date]"),
        (r#""build": "[^"]+""#, r#""build": "[build]""#),
        (r#"x-request-id", "[^"]+""#, r#"x-request-id", "[id]""#),
    ];
    let mut out = text.to_owned();
    for (re, with) in rules {
        out = Regex::new(re).expect("regex").replace_all(&out, with).into_owned();
    }
    out
}

#[test]
fn junit_and_manifest_of_a_small_run() {
    let mut serve = Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(["demo", "--serve", "--port", "0"])
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(serve.stderr.take().expect("stderr")).lines();
    let url = loop {
        let line = lines.next().expect("address line").expect("read");
        if let Some(at) = line.find("http://") {
            break line[at..].split_whitespace().next().expect("url").to_owned();
        }
    };
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshot-project");
    let out_dir = tempfile::tempdir().expect("tempdir");
    let bundle = out_dir.path().join("b");
    let out = certify(
        &["run", "--no-sign", "--out", bundle.to_str().expect("utf-8")],
        &project,
        &[("REF_URL", url.as_str())],
    );
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(out.status.code(), Some(1), "one scenario fails on purpose: {}", String::from_utf8_lossy(&out.stderr));

    let junit = std::fs::read_to_string(bundle.join("junit.xml")).expect("junit.xml");
    insta::assert_snapshot!("junit", normalize(&junit));

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("bundle.json")).expect("bundle.json")).expect("json");
    let mut shown = manifest.clone();
    shown["files"] = serde_json::Value::Null; // digests of files with times in them; checked by verify tests
    shown["tool"]["version"] = "[version]".into();
    for k in ["branch", "dirty", "remote", "tags"] {
        shown["git"][k] = "[git]".into();
    }
    insta::assert_snapshot!("manifest", normalize(&serde_json::to_string_pretty(&shown).expect("json")));

    // The failing scenario's attempts, from its feature file's transcript.
    let grouped =
        std::fs::read_to_string(bundle.join("transcripts/features/status.feature.ndjson")).expect("the transcript");
    let attempts: Vec<serde_json::Value> = grouped
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("one JSON object a line"))
        .filter(|l| l["scenario"] == "features/status.feature:19")
        .collect();
    assert_eq!(attempts.len(), 1, "{grouped}");
    insta::assert_snapshot!("transcript", normalize(&serde_json::to_string_pretty(&attempts[0]).expect("json")));
}
