//! The page's script under node (installed on every machine that runs these
//! tests): it must parse, and run against a minimal DOM stub it must honour
//! the URL fragment's filters and render rows lazily.

mod common;

use std::path::Path;
use std::process::Command;

use certify_report::{Signature, run_report, testing};
use common::{between, script};
use serde_json::Value;

fn page(n: usize) -> String {
    let m = testing::synthetic_manifest(n);
    run_report(&m, &Signature::default(), &|p| Some(testing::synthetic_transcript(p)))
}

#[test]
fn node_accepts_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.js");
    std::fs::write(&file, script(&page(20))).unwrap();
    let out = Command::new("node")
        .arg("--check")
        .arg(&file)
        .output()
        .expect("node is installed (it is required by this test)");
    assert!(out.status.success(), "node --check: {}", String::from_utf8_lossy(&out.stderr));
}

fn run(html: &str, hash: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let js = dir.path().join("report.js");
    let data = dir.path().join("data.json");
    std::fs::write(&js, script(html)).unwrap();
    std::fs::write(&data, between(html, "id=\"data\">", "</script>").unwrap()).unwrap();
    let stub = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dom-stub.js");
    let out = Command::new("node").arg(stub).arg(&js).arg(&data).arg(hash).output().expect("node is installed");
    assert!(out.status.success(), "node: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn rows_render_lazily_and_the_fragment_sets_the_filters() {
    let html = page(10_000);

    let all = run(&html, "");
    assert_eq!(all["shown"], "200", "only the first page of rows");
    assert_eq!(all["moreHidden"], false);
    assert!(all["renderMs"].as_str().unwrap().parse::<f64>().is_ok());

    let failed = run(&html, "#failed");
    let statuses: Vec<&str> = failed["statuses"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(!statuses.is_empty());
    assert!(statuses.iter().all(|s| matches!(*s, "failed" | "errored" | "interrupted" | "flaky")), "{statuses:?}");
    assert_eq!(failed["shown"].as_str().unwrap(), statuses.len().to_string());
    assert_eq!(failed["messages"].as_u64().unwrap() as usize, statuses.len(), "every failing row shows its message");
    assert_eq!(failed["failedBox"], true);

    let quotas = run(&html, "#feature=quotas");
    assert_eq!(quotas["feature"], "quotas");
    assert!(quotas["features"].as_array().unwrap().iter().all(|f| f == "quotas"));
    assert_eq!(quotas["shown"], "200");

    let combined = run(&html, "#failed&feature=quotas&q=variant%203");
    assert_eq!(combined["q"], "variant 3");
    let n = combined["shown"].as_str().unwrap().parse::<usize>().unwrap();
    assert!(n > 0 && n < 200, "{n}");
    assert!(combined["features"].as_array().unwrap().iter().all(|f| f == "quotas"));

    let none = run(&html, "#q=no-such-scenario");
    assert_eq!(none["shown"], "0");
    assert_eq!(none["moreHidden"], true);
}
