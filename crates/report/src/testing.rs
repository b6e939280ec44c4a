//! Synthetic bundles for tests and measurements: a realistic manifest of any
//! size (a few features, most scenarios passing, some failed, flaky, errored
//! or not applicable) and the transcript its failing scenarios point at.

use serde_json::{Value, json};

use certify_evidence::manifest::Manifest;

const FEATURES: [(&str, &str, &str, bool); 8] = [
    ("tenant-signup", "Self-service tenant sign-up", "ga", true),
    ("api-keys", "API keys and bearer authentication", "ga", true),
    ("quotas", "Per-plan quotas", "ga", false),
    ("usage-metering", "Usage metering", "beta", false),
    ("usage-export", "Usage export", "beta", false),
    ("platform-status", "Platform health and version", "ga", false),
    ("operator-admin", "Operator administration", "alpha", false),
    ("legacy-key-header", "Legacy X-Api-Key header", "deprecated", false),
];

/// The outcome of synthetic scenario `i`: about 1% failed, 0.5% flaky, 0.2%
/// errored, 2% not applicable, the rest passed.
fn status_of(i: usize) -> &'static str {
    if i % 97 == 13 {
        "failed"
    } else if i % 211 == 7 {
        "flaky"
    } else if i % 503 == 5 {
        "errored"
    } else if i % 50 == 49 {
        "not-applicable"
    } else {
        "passed"
    }
}

fn steps(i: usize, feature: &str, line: usize, fail: Option<&str>) -> Vec<Value> {
    let texts = [
        ("Given", format!("I am authenticated as \"admin-{}\"", i % 3)),
        ("When", format!("I send a POST request to \"/v1/{feature}/{i}\" with body:")),
        ("Then", "the response status is 201".to_owned()),
        ("And", format!("the response JSON at \"$.name\" is \"item-{i}\"")),
        ("And", "I save the response JSON at \"$.id\" as \"id\"".to_owned()),
    ];
    let mut failed = false;
    texts
        .iter()
        .enumerate()
        .map(|(k, (kw, text))| {
            let (status, failure) = if failed {
                ("skipped", Value::Null)
            } else if k == 2
                && let Some(kind) = fail
            {
                failed = true;
                let status = if kind == "error" { "errored" } else { "failed" };
                let message = if kind == "error" {
                    "error sending request to http://127.0.0.1:8080/v1: connection refused".to_owned()
                } else {
                    format!("expected the response status to be 201, got 500 (POST /v1/{feature}/{i})")
                };
                (status, json!({"kind": if kind == "error" { "error" } else { "assertion" }, "message": message}))
            } else {
                ("passed", Value::Null)
            };
            json!({
                "keyword": kw, "text": text, "line": line + 1 + k, "background": k == 0,
                "status": status, "duration_ms": if k == 1 { 3.25 + (i % 7) as f64 } else { 0.05 }, "failure": failure,
            })
        })
        .collect()
}

/// The transcript path a synthetic scenario points at.
fn transcript_path(feature: &str, line: usize, i: usize) -> String {
    format!("transcripts/features/{feature}.feature/{line}-scenario-{i}.json")
}

/// A realistic `n`-scenario manifest (a failed run once `n` exceeds 13).
pub fn synthetic_manifest(n: usize) -> Manifest {
    let mut scenarios = Vec::with_capacity(n);
    let mut tallies = vec![[0usize; 5]; FEATURES.len()];
    let mut counts = [0usize; 5];
    for i in 0..n {
        let f = i % FEATURES.len();
        let (feature, _, _, critical) = FEATURES[f];
        let line = 6 + (i / FEATURES.len()) * 8;
        let status = status_of(i);
        let slot = match status {
            "passed" => 0,
            "flaky" => 1,
            "failed" => 2,
            "errored" => 3,
            _ => 4,
        };
        tallies[f][slot] += 1;
        counts[slot] += 1;
        let attempt = |number: usize, status: &str, fail: Option<&str>| {
            json!({
                "number": number, "status": status, "started_at": "2026-11-25T09:00:00.000Z",
                "duration_ms": 4.5 + (i % 7) as f64, "steps": steps(i, feature, line, fail),
            })
        };
        let attempts = match status {
            "not-applicable" => vec![],
            "failed" => vec![attempt(1, "failed", Some("assertion"))],
            "errored" => vec![attempt(1, "errored", Some("error"))],
            "flaky" => vec![attempt(1, "failed", Some("assertion")), attempt(2, "passed", None)],
            _ => vec![attempt(1, "passed", None)],
        };
        let transcript = if attempts.is_empty() { Value::Null } else { json!(transcript_path(feature, line, i)) };
        scenarios.push(json!({
            "id": format!("features/{feature}.feature:{line}"),
            "name": format!("Scenario {i}: a {feature} request with variant {} is answered", i % 13),
            "feature_file": format!("features/{feature}.feature"),
            "line": line, "rule": null, "feature": feature, "critical": critical,
            "tags": [format!("feature:{feature}")], "outline": {},
            "status": status,
            "reason": if status == "not-applicable" { json!("not applicable at 2.0.0: @until:1.99.99") } else { Value::Null },
            "duration_ms": if attempts.is_empty() { 0 } else { 5 + i % 7 },
            "attempts": attempts, "transcript": transcript,
        }));
    }
    let features: Vec<Value> = FEATURES
        .iter()
        .zip(&tallies)
        .map(|((id, title, maturity, critical), t)| {
            let ran = t[0] + t[1] + t[2] + t[3];
            let (verdict, reason) = if t[2] + t[3] > 0 {
                ("failed", format!("{} of {ran} scenarios failed", t[2] + t[3]))
            } else if t[1] > 0 {
                ("flaky", format!("{} of {ran} scenarios passed only after a retry", t[1]))
            } else if ran > 0 {
                ("certified", format!("all {ran} scenarios passed"))
            } else {
                ("untested", "no scenario ran".to_owned())
            };
            json!({
                "id": id, "title": title, "owner": "platform", "maturity": maturity, "verdict": verdict, "reason": reason,
                "tally": {"passed": t[0], "flaky": t[1], "failed": t[2], "errored": t[3], "not_applicable": t[4], "critical": critical},
            })
        })
        .collect();
    let status = if counts[2] > 0 {
        "failed"
    } else if counts[3] > 0 {
        "errored"
    } else if counts[1] > 0 {
        "flaky"
    } else {
        "passed"
    };
    let doc = json!({
        "schema": "certify.bundle/v1",
        "run_id": "01a211f0-c490-72c6-90d8-4255bf78c4f9",
        "status": status, "complete": true,
        "started_at": "2026-11-25T09:00:00.000Z", "finished_at": "2026-11-25T09:01:40.000Z", "duration_ms": 100_000,
        "tool": {"name": "certify", "version": "0.1.0"},
        "target": {"name": "staging", "base_url": "https://staging.example.com/"},
        "platform": {"version": "2.0.0", "source": "probe", "probed": "2.0.0", "note": null},
        "git": {"commit": "6065d3e875fc68c710f737e80f8e6eff8f183103", "branch": "main", "tags": [], "dirty": false, "remote": null, "source": "repository"},
        "selection": {"tags": null, "shard": null, "concurrency": 16},
        "signature": {"signed": true, "key_fingerprint": "SHA256:fbd20082a558605b61d66d84869a80045d644541b83a8c6d6862f0f89f85a2e0"},
        "counts": {"planned": n, "selected": n - counts[4], "passed": counts[0], "flaky": counts[1], "failed": counts[2],
                   "errored": counts[3], "interrupted": 0, "not_run": 0, "not_applicable": counts[4]},
        "features": features,
        "unknown_features": [], "unlinked_scenarios": 0, "broken_files": [],
        "scenarios": scenarios,
        "files": [],
    });
    serde_json::from_value(doc).expect("the synthetic manifest matches the bundle.json schema")
}

/// The transcript of a synthetic scenario: one redacted exchange per attempt.
pub fn synthetic_transcript(path: &str) -> String {
    let exchange = json!({
        "step_line": 8, "step": "I send a POST request to \"/v1/quotas\" with body:",
        "started_at": "2026-11-25T09:00:00.100000Z", "duration_ms": 3.5,
        "request": {"method": "POST", "url": "https://staging.example.com/v1/quotas",
                    "headers": [["authorization", "[REDACTED]"], ["content-type", "application/json"]],
                    "body": {"size": 17, "json": {"name": "item"}}},
        "response": {"status": 500, "headers": [["content-type", "application/json"]],
                     "body": {"size": 38, "json": {"error": "internal", "detail": "db timeout"}}},
        "error": null,
    });
    json!({
        "scenario": path, "name": "synthetic", "feature_file": "features/quotas.feature",
        "attempts": [
            {"number": 1, "status": "failed", "exchanges": [exchange.clone()]},
            {"number": 2, "status": "passed", "exchanges": [exchange]},
        ],
    })
    .to_string()
}
