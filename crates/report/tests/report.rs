//! The run report: verdict and why, escaping, the feature table, the
//! signature, the embedded data, and a 10,000-scenario run.

mod common;

use std::cell::RefCell;
use std::time::Instant;

use certify_report::{Signature, run_report, scenario_data, testing, verdict_sentence};
use common::{between, blob, feature, manifest, scenario, transcript, verdict};

fn unsigned() -> Signature {
    Signature::default()
}

#[test]
fn a_script_in_a_name_stays_inert() {
    let evil = "</script><script>alert(1)</script><!--";
    let mut features = vec![feature("quotas", Some("ga"), "failed")];
    features[0]["title"] = "<img src=x onerror=alert(2)>".into();
    let m = manifest(
        "failed",
        "2.0.0",
        "2026-01-01T00:01:00.000Z",
        features,
        vec![scenario(evil, Some("quotas"), "failed", false)],
    );
    let html = run_report(&m, &unsigned(), &transcript);
    // Inside the blob, nothing can end the element or open a comment (which
    // would let a later `<script` change how the element ends).
    let data = between(&html, "id=\"data\">", "</script>").unwrap();
    assert!(!data.contains("</") && !data.contains("<!--"), "{data}");
    let outside = html.replace(data, "");
    assert_eq!(outside.matches("<script").count(), 2, "only the data blob and the page script");
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(!html.contains("alert(1)</script>"));
    assert!(!html.contains("<img"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(!html.contains("<!--"));
    assert_eq!(blob(&html)["scenarios"][0]["name"], evil, "the blob still carries the exact name");
}

#[test]
fn the_verdict_says_why_in_one_sentence() {
    let two_failed = manifest(
        "failed",
        "2.0.0",
        "t",
        vec![],
        vec![
            scenario("ok", Some("api-keys"), "passed", true),
            scenario("quota is enforced", Some("quotas"), "failed", false),
            scenario("sign-up works", Some("tenant-signup"), "failed", true),
        ],
    );
    assert_eq!(verdict_sentence(&two_failed), "2 scenarios failed, in tenant-signup (critical) and quotas.");
    assert_eq!(verdict(&run_report(&two_failed, &unsigned(), &transcript)), "FAILED");

    let passed = manifest(
        "passed",
        "2.0.0",
        "t",
        vec![],
        vec![scenario("a", Some("q"), "passed", false), scenario("bb", Some("q"), "not-applicable", false)],
    );
    assert_eq!(verdict_sentence(&passed), "The 1 scenario passed (1 not applicable at 2.0.0).");
    assert_eq!(verdict(&run_report(&passed, &unsigned(), &transcript)), "PASSED");

    let flaky = manifest("flaky", "2.0.0", "t", vec![], vec![scenario("a", Some("quotas"), "flaky", false)]);
    assert_eq!(verdict_sentence(&flaky), "The 1 scenario passed, 1 only after a retry, in quotas.");
    assert_eq!(verdict(&run_report(&flaky, &unsigned(), &transcript)), "PASSED (flaky)");

    let errored = manifest("errored", "2.0.0", "t", vec![], vec![scenario("a", None, "errored", false)]);
    assert_eq!(
        verdict_sentence(&errored),
        "1 scenario errored (the target or the harness broke), in unlinked scenarios."
    );
    assert_eq!(verdict(&run_report(&errored, &unsigned(), &transcript)), "ERRORED");

    let interrupted = manifest(
        "interrupted",
        "2.0.0",
        "t",
        vec![],
        vec![
            scenario("a", Some("quotas"), "failed", false),
            scenario("bb", Some("quotas"), "passed", false),
            scenario("ccc", Some("quotas"), "interrupted", false),
        ],
    );
    assert_eq!(
        verdict_sentence(&interrupted),
        "The run was interrupted after 2 of 3 scenarios; 1 scenario had failed, in quotas."
    );
    assert_eq!(verdict(&run_report(&interrupted, &unsigned(), &transcript)), "INTERRUPTED");
}

#[test]
fn the_feature_table_is_server_rendered() {
    let m = manifest(
        "failed",
        "2.0.0",
        "t",
        vec![feature("quotas", Some("ga"), "failed"), feature("usage-export", None, "not-applicable")],
        vec![scenario("a", Some("quotas"), "failed", false)],
    );
    let html = run_report(&m, &unsigned(), &transcript);
    let table = between(&html, "<table id=\"features\">", "</table>").unwrap();
    let quotas = between(table, "<tr data-feature=\"quotas\"", "</tr>").unwrap();
    assert!(quotas.contains("<td class=\"maturity\">GA</td>"), "{quotas}");
    assert!(quotas.contains("<td class=\"verdict failed\">failed</td>"), "{quotas}");
    assert!(quotas.contains("quotas is failed"));
    let export = between(table, "<tr data-feature=\"usage-export\"", "</tr>").unwrap();
    assert!(export.contains("<td class=\"verdict not-applicable\">not-applicable</td>"), "{export}");
    // Run facts are there without a script too.
    assert!(html.contains("https://staging.example.com/"));
    assert!(html.contains("0123456789abcdef0123456789abcdef01234567"));
    assert!(html.contains("dirty"));
    assert!(html.contains("probed from the target"));
    assert!(html.contains("<noscript>"));
}

#[test]
fn the_signature_says_how_it_stands() {
    let m = manifest("passed", "2.0.0", "t", vec![], vec![]);
    let state = |sig: Signature| {
        let html = run_report(&m, &sig, &transcript);
        between(&html, "<section id=\"signature\"", "</section>").unwrap().to_owned()
    };
    let fp = Some("SHA256:abcd".to_owned());
    let unsigned = state(Signature::default());
    assert!(unsigned.contains("data-state=\"unsigned\"") && unsigned.contains("UNSIGNED"), "{unsigned}");
    let ok =
        state(Signature { signer: fp.clone(), verified: Some(true), checked_at: Some("2026-01-02T00:00:00Z".into()) });
    assert!(ok.contains("data-state=\"verified\"") && ok.contains("verified ✓") && ok.contains("SHA256:abcd"), "{ok}");
    assert!(ok.contains("2026-01-02T00:00:00Z"));
    let bad = state(Signature { signer: fp.clone(), verified: Some(false), checked_at: None });
    assert!(bad.contains("data-state=\"invalid\"") && bad.contains("NOT verified ✗"), "{bad}");
    let unchecked = state(Signature { signer: fp, verified: None, checked_at: None });
    assert!(unchecked.contains("data-state=\"unchecked\"") && unchecked.contains("certify verify"), "{unchecked}");
}

#[test]
fn the_blob_holds_every_scenario_and_the_failing_exchanges() {
    let m = manifest(
        "failed",
        "2.0.0",
        "t",
        vec![],
        vec![
            scenario("fine", Some("quotas"), "passed", false),
            scenario("broken", Some("quotas"), "failed", true),
            scenario("wobbly", Some("quotas"), "flaky", false),
        ],
    );
    let asked = RefCell::new(Vec::new());
    let read = |path: &str| {
        asked.borrow_mut().push(path.to_owned());
        transcript(path)
    };
    let data = scenario_data(&m, &read);
    assert_eq!(
        *asked.borrow(),
        ["transcripts/broken.json", "transcripts/wobbly.json"],
        "only failing scenarios are read"
    );
    let list = data["scenarios"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list[0].get("exchanges").is_none() && list[0].get("message").is_none());
    let broken = &list[1];
    assert_eq!(broken["status"], "failed");
    assert_eq!(broken["critical"], true);
    assert_eq!(broken["file"], "features/quotas.feature");
    let message = broken["message"].as_str().unwrap();
    assert!(
        message.contains("the response status is 201") && message.contains("expected status 201, got 500"),
        "{message}"
    );
    let x = &broken["exchanges"][0];
    assert_eq!(x["method"], "POST");
    assert_eq!(x["url"], "https://staging.example.com/v1/tenants");
    assert_eq!(x["status"], 500);
    assert_eq!(x["req_headers"][0][1], "[REDACTED]");
    assert!(x["res_body"].as_str().unwrap().contains("internal"));
    assert_eq!(broken["attempts"][0]["steps"][1][2], "failed");
    let wobbly = &list[2];
    assert_eq!(wobbly["attempts"].as_array().unwrap().len(), 2);
    assert!(wobbly["message"].as_str().unwrap().contains("got 503"), "a flaky row shows why its first attempt failed");

    // The page embeds the same data.
    let html = run_report(&m, &unsigned(), &transcript);
    assert_eq!(blob(&html)["scenarios"].as_array().unwrap().len(), 3);
}

#[test]
fn the_page_asks_nothing_of_any_host() {
    let m = testing::synthetic_manifest(300);
    let html = run_report(&m, &unsigned(), &|p| Some(testing::synthetic_transcript(p)));
    let outside_blob = html.replace(between(&html, "id=\"data\">", "</script>").unwrap(), "");
    for needle in ["src=", "<link", "@import", "url(", "href=\"http", "href=\"//"] {
        assert!(!outside_blob.contains(needle), "found {needle}");
    }
    assert!(html.contains("default-src 'none'"), "a CSP forbids any fetch");
}

#[test]
fn ten_thousand_scenarios_render() {
    let m = testing::synthetic_manifest(10_000);
    let started = Instant::now();
    let html = run_report(&m, &unsigned(), &|p| Some(testing::synthetic_transcript(p)));
    let took = started.elapsed();
    println!("10,000 scenarios: {} bytes of HTML in {took:?}", html.len());
    assert_eq!(verdict(&html), "FAILED");
    let data = blob(&html);
    let list = data["scenarios"].as_array().unwrap();
    assert_eq!(list.len(), 10_000);
    let with_exchanges = list.iter().filter(|s| s.get("exchanges").is_some()).count();
    let bad = list.iter().filter(|s| matches!(s["status"].as_str(), Some("failed" | "errored" | "flaky"))).count();
    assert_eq!(with_exchanges, bad);
    assert!(bad > 100, "{bad}");
    assert!(html.len() < 20 * 1024 * 1024, "{} bytes", html.len());
    assert!(took.as_secs() < 30, "{took:?}");
}

/// Scenarios that failed at the same step with the same message are shown
/// once, with a count and every scenario; a failure seen once is not grouped.
#[test]
fn repeated_identical_failures_are_grouped_with_a_count() {
    let mut other = scenario("other message", Some("quotas"), "failed", false);
    other["attempts"][0]["steps"][1]["failure"]["message"] = "expected status 201, got 404".into();
    let mut other_step = scenario("same message, other step", Some("quotas"), "failed", false);
    other_step["attempts"][0]["steps"][1]["text"] = "the response status is 202".into();
    let m = manifest(
        "failed",
        "2.0.0",
        "2026-01-01T00:01:00.000Z",
        vec![feature("tenant-signup", Some("ga"), "failed")],
        vec![
            scenario("a", Some("tenant-signup"), "failed", true),
            scenario("bb", Some("tenant-signup"), "passed", false),
            scenario("ccc <b>", Some("tenant-signup"), "errored", false),
            other,
            scenario("dddd", Some("quotas"), "failed", false),
            other_step,
            scenario("eeeee", Some("quotas"), "flaky", false),
        ],
    );
    let groups = certify_report::repeated_failures(&m);
    assert_eq!(groups.len(), 1, "{groups:#?}");
    let g = &groups[0];
    assert_eq!(g.step, "Then the response status is 201");
    assert_eq!(g.message, "expected status 201, got 500");
    let names: Vec<&str> = g.scenarios.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["a", "ccc <b>", "dddd"]);

    let html = run_report(&m, &unsigned(), &transcript);
    let section = between(&html, "<section id=\"repeated-failures\">", "</section>")
        .unwrap_or_else(|| panic!("no repeated-failures section"));
    assert_eq!(section.matches("class=\"failure-group\"").count(), 1, "{section}");
    assert!(section.contains("data-count=\"3\"") && section.contains("<strong>3 scenarios</strong>"), "{section}");
    assert_eq!(section.matches("expected status 201, got 500").count(), 1, "the message is shown once: {section}");
    for (id, _) in &g.scenarios {
        assert!(section.contains(&format!(">{id}</a>")), "{id} is not listed: {section}");
    }
    assert!(section.contains("ccc &lt;b&gt;") && !section.contains("ccc <b>"), "names are escaped: {section}");
    assert!(!section.contains("got 404"), "a failure seen once is not grouped: {section}");

    // A run whose failures all differ has no such section.
    let single = manifest(
        "failed",
        "2.0.0",
        "2026-01-01T00:01:00.000Z",
        vec![],
        vec![scenario("a", Some("quotas"), "failed", false), scenario("bb", Some("quotas"), "passed", false)],
    );
    assert!(!run_report(&single, &unsigned(), &transcript).contains("repeated-failures"));
}

#[test]
fn grouped_transcripts_are_read_by_scenario_and_attempt() {
    // Two scenarios of one feature file share its transcript, one line per
    // attempt in the order attempts ended; the flaky one's first attempt failed.
    let file = "transcripts/features/quotas.feature.ndjson";
    let mut broken = scenario("broken", Some("quotas"), "failed", true);
    let mut wobbly = scenario("wobbly-one", Some("quotas"), "flaky", false);
    for s in [&mut broken, &mut wobbly] {
        s["transcript"] = file.into();
    }
    let (broken_id, wobbly_id) = (broken["id"].clone(), wobbly["id"].clone());
    let m = manifest("failed", "2.0.0", "t", vec![], vec![broken, wobbly]);
    let line = |id: &serde_json::Value, attempt: usize, path: &str, status: u16| {
        serde_json::json!({"scenario": id, "name": "n", "line": 1, "attempt": attempt, "exchanges": [{
            "step_line": 3, "step": "I send", "duration_ms": 1.0,
            "request": {"method": "GET", "url": format!("https://staging.example.com{path}"), "headers": [], "body": null},
            "response": {"status": status, "headers": [], "body": null}, "error": null}]})
        .to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("transcripts/features")).unwrap();
    let text = [
        line(&wobbly_id, 1, "/wobbly-first", 503),
        line(&broken_id, 1, "/broken", 500),
        line(&wobbly_id, 2, "/wobbly-second", 201),
    ]
    .join("\n");
    std::fs::write(dir.path().join(file), text + "\n").unwrap();

    let index = certify_evidence::transcripts::TranscriptIndex::new(dir.path());
    let lookup = |path: &str, id: &str, attempt: usize| index.lookup(path, id, attempt);
    let mut page = Vec::new();
    certify_report::write_run_report(&mut page, &m.header, &m.scenarios, &unsigned(), &lookup).unwrap();
    let html = String::from_utf8(page).unwrap();
    let data = blob(&html);
    let list = data["scenarios"].as_array().unwrap();
    let exchanges = |i: usize| list[i]["exchanges"].as_array().cloned().unwrap_or_default();
    assert_eq!(exchanges(0).len(), 1, "{}", list[0]);
    assert_eq!(exchanges(0)[0]["url"], "https://staging.example.com/broken");
    assert_eq!(exchanges(0)[0]["status"], 500);
    // The flaky scenario shows its failed attempt's exchanges, not its later ones.
    assert_eq!(exchanges(1).len(), 1, "{}", list[1]);
    assert_eq!(exchanges(1)[0]["url"], "https://staging.example.com/wobbly-first");
    assert_eq!(exchanges(1)[0]["status"], 503);
    // The page as a whole is the one the in-memory renderer draws.
    let whole = run_report(&m, &unsigned(), &|p| std::fs::read_to_string(dir.path().join(p)).ok());
    assert_eq!(blob(&whole), data);
}
