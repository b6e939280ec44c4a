//! Small manifests built from JSON, and ways to read a rendered page back.

#![allow(dead_code)]

use certify_evidence::manifest::Manifest;
use serde_json::{Value, json};

/// A scenario entry as `bundle.json` holds it; failing ones carry a failed
/// step with `message` and point at a transcript.
pub fn scenario(name: &str, feature: Option<&str>, status: &str, critical: bool) -> Value {
    let file = format!("features/{}.feature", feature.unwrap_or("misc"));
    let failing = matches!(status, "failed" | "errored" | "interrupted");
    let step_status = if failing { "failed" } else { "passed" };
    let failure =
        if failing { json!({"kind": "assertion", "message": "expected status 201, got 500"}) } else { Value::Null };
    let mut attempts = vec![];
    if status == "flaky" {
        attempts.push(json!({"number": 1, "status": "failed", "started_at": "t", "duration_ms": 2.0, "steps": [
            {"keyword": "Then", "text": "the response status is 201", "line": 4, "background": false, "status": "failed", "duration_ms": 1.0,
             "failure": {"kind": "assertion", "message": "expected status 201, got 503"}}]}));
    }
    if status != "not-applicable" {
        attempts.push(json!({"number": attempts.len() + 1, "status": if status == "flaky" { "passed" } else { status }, "started_at": "t", "duration_ms": 3.5, "steps": [
            {"keyword": "When", "text": "I send a POST request to \"/v1/tenants\"", "line": 3, "background": false, "status": "passed", "duration_ms": 2.5, "failure": null},
            {"keyword": "Then", "text": "the response status is 201", "line": 4, "background": false, "status": step_status, "duration_ms": 1.0, "failure": failure}]}));
    }
    json!({
        "id": format!("{file}:{}", name.len()), "name": name, "feature_file": file, "line": name.len(), "rule": null,
        "feature": feature, "critical": critical, "tags": [], "outline": {}, "status": status,
        "reason": if status == "not-applicable" { json!("not applicable at 2.0.0") } else { Value::Null },
        "duration_ms": 4, "attempts": attempts,
        "transcript": if status == "not-applicable" { Value::Null } else { json!(format!("transcripts/{name}.json")) },
    })
}

/// A catalog feature verdict entry.
pub fn feature(id: &str, maturity: Option<&str>, verdict: &str) -> Value {
    json!({"id": id, "title": format!("The {id} feature"), "owner": "team", "maturity": maturity, "verdict": verdict,
           "reason": format!("{id} is {verdict}"),
           "tally": {"passed": 1, "flaky": 0, "failed": 0, "errored": 0, "not_applicable": 0, "critical": false}})
}

/// A manifest with the given run status, platform version, finish time, features and scenarios.
pub fn manifest(status: &str, version: &str, finished: &str, features: Vec<Value>, scenarios: Vec<Value>) -> Manifest {
    let doc = json!({
        "schema": "certify.bundle/v1", "run_id": format!("run-{version}-{finished}"), "status": status,
        "complete": status != "interrupted",
        "started_at": "2026-01-01T00:00:00.000Z", "finished_at": finished, "duration_ms": 1500,
        "tool": {"name": "certify", "version": "0.1.0"},
        "target": {"name": "staging", "base_url": "https://staging.example.com/"},
        "platform": {"version": version, "source": "probe", "probed": version, "note": null},
        "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "branch": "main", "tags": [], "dirty": true, "remote": null, "source": "repository"},
        "selection": {"tags": null, "shard": null, "concurrency": 4},
        "signature": {"signed": false, "key_fingerprint": null},
        "counts": {}, "features": features, "unknown_features": [], "unlinked_scenarios": 0, "broken_files": [],
        "scenarios": scenarios, "files": [],
    });
    serde_json::from_value(doc).unwrap()
}

/// A transcript whose first attempt has one exchange answered with 500.
pub fn transcript(path: &str) -> Option<String> {
    Some(
        json!({"scenario": path, "attempts": [{"number": 1, "status": "failed", "exchanges": [{
            "step_line": 3, "step": "I send a POST request to \"/v1/tenants\"", "duration_ms": 2.5,
            "request": {"method": "POST", "url": "https://staging.example.com/v1/tenants",
                        "headers": [["authorization", "[REDACTED]"]], "body": {"size": 2, "json": {}}},
            "response": {"status": 500, "headers": [["content-type", "application/json"]],
                         "body": {"size": 20, "json": {"error": "internal"}}},
            "error": null}]}]})
        .to_string(),
    )
}

/// The text between `open` and the next `close` after it.
pub fn between<'a>(html: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = html.find(open)? + open.len();
    let len = html[start..].find(close)?;
    Some(&html[start..start + len])
}

/// The embedded scenario data.
pub fn blob(html: &str) -> Value {
    let text = between(html, "<script type=\"application/json\" id=\"data\">", "</script>").expect("a data blob");
    serde_json::from_str(text).expect("the blob is JSON")
}

/// The page's script.
pub fn script(html: &str) -> &str {
    between(html, "<script>\n", "</script>").expect("an inline script")
}

/// The text of `#verdict`.
pub fn verdict(html: &str) -> &str {
    let after = between(html, "<h1 id=\"verdict\"", "</h1>").expect("#verdict");
    &after[after.find('>').expect("tag end") + 1..]
}
