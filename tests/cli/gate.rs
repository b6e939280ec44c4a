//! The archive and the promotion gate through the CLI: the demo's closing
//! loop (archive, then PROMOTE or BLOCK with reasons), decision records that
//! verify with certify and with securesystemslib, tampering that
//! `archive verify` names, and the exit codes of bad policies and
//! unreachable archives.

use std::{fs, path::Path, process::Command};

use crate::support::{Outcome, Project, refused_port, repo_root, test_tool};

fn record_path(run: &Outcome) -> String {
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("decision record:"))
        .unwrap_or_else(|| panic!("no decision record in:\n{run}"));
    line.split("decision record:").nth(1).expect("path").trim().to_owned()
}

#[test]
fn the_demo_archives_its_bundle_and_promotes_a_green_run() {
    let p = Project::empty();
    let run = p.certify().args(["demo", "--out"]).arg(p.out("b")).run();
    run.expect_code(0);
    assert!(run.stdout.contains("PROMOTE  platform 2.0.0 to demo"), "{run}");
    assert!(run.stdout.contains("verified levels: CERTIFY_GA_CERTIFIED"), "{run}");
    let record = record_path(&run);
    let key = p.out("b.pub.pem");

    let v = p.certify().args(["verify", &record, "--key"]).arg(&key).run();
    v.expect_code(0);
    assert!(v.stdout.contains("PROMOTE (PASSED)") && v.stdout.contains("certify:platform@2.0.0?stage=demo"), "{v}");

    let python = std::env::var("CERTIFY_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = Command::new(&python)
        .arg(test_tool("verify_dsse.py"))
        .arg(&key)
        .arg(&record)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (CERTIFY_PYTHON, with securesystemslib): {e}"));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "verify_dsse.py rejected the decision record (CERTIFY_PYTHON={python} needs securesystemslib): {said}"
    );
    assert!(said.contains("https://slsa.dev/verification_summary/v1 PASSED"), "{said}");

    // The archive holds the bundle and the decision, and verifies whole.
    let archive = p.out("archive");
    let list = p.certify().args(["archive", "list", "--format", "json", "--archive"]).arg(&archive).run();
    list.expect_code(0);
    let kinds: Vec<String> = list
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds, ["bundle", "decision"]);
    let verify = p.certify().args(["archive", "verify", "--key"]).arg(&key).arg("--archive").arg(&archive).run();
    verify.expect_code(0);
    assert!(verify.stdout.starts_with("VALID"), "{verify}");
    // `certify verify` takes a whole archive too.
    let whole = p.certify().arg("verify").arg(&archive).arg("--key").arg(&key).run();
    whole.expect_code(0);
    assert!(whole.stdout.contains("1 bundles, 1 decisions"), "{whole}");
}

#[test]
fn a_faulty_run_is_blocked_with_its_reasons() {
    let p = Project::empty();
    let run = p.certify().args(["demo", "--fault", "signup-broken", "--out"]).arg(p.out("b")).run();
    run.expect_code(1);
    assert!(run.stdout.contains("BLOCK  platform 2.0.0 to demo"), "{run}");
    let critical = run.stdout.lines().find(|l| l.contains("BLOCK  critical") && l.contains("feature=tenant-signup"));
    assert!(critical.is_some(), "the critical failure is a reason naming the feature:\n{run}");
    assert!(run.stdout.lines().any(|l| l.contains("BLOCK  require") && l.contains("bundle=")), "{run}");
    let v = p.certify().args(["verify", &record_path(&run), "--key"]).arg(p.out("b.pub.pem")).run();
    v.expect_code(0);
    assert!(v.stdout.contains("BLOCK (FAILED)"), "{v}");
}

fn index_lines(archive: &Path) -> Vec<String> {
    fs::read_to_string(archive.join("index.jsonl")).expect("index").lines().map(str::to_owned).collect()
}

#[test]
fn archive_verify_names_tampering() {
    let p = Project::empty();
    p.certify().args(["demo", "--out"]).arg(p.out("b")).run().expect_code(0);
    let archive = p.out("archive");
    let key = p.out("b.pub.pem");
    let verify = || p.certify().args(["archive", "verify", "--key"]).arg(&key).arg("--archive").arg(&archive).run();

    // A byte of an archived bundle's junit.xml.
    let bundles = archive.join("bundles");
    let id = fs::read_dir(&bundles).expect("bundles").flatten().next().expect("one bundle").file_name();
    let junit = bundles.join(&id).join("junit.xml");
    let original = fs::read(&junit).expect("read");
    let mut changed = original.clone();
    changed[50] ^= 1;
    fs::write(&junit, &changed).expect("write");
    let run = verify();
    run.expect_code(1);
    assert!(run.stdout.contains(&format!("bundles/{}/junit.xml", id.to_string_lossy())), "{run}");
    fs::write(&junit, &original).expect("restore");
    verify().expect_code(0);

    // An index line removed.
    let lines = index_lines(&archive);
    fs::write(archive.join("index.jsonl"), format!("{}\n", lines[1..].join("\n"))).expect("write");
    let run = verify();
    run.expect_code(1);
    assert!(run.stdout.contains("index.jsonl line 1"), "{run}");

    // An index line edited.
    let edited = lines[0].replacen("\"local\"", "\"staging\"", 1);
    assert_ne!(edited, lines[0]);
    fs::write(archive.join("index.jsonl"), format!("{edited}\n{}\n", lines[1..].join("\n"))).expect("write");
    let run = verify();
    run.expect_code(1);
    assert!(run.stdout.contains("index.jsonl line"), "{run}");
}

#[test]
fn an_unreachable_archive_is_a_runtime_error() {
    let p = Project::empty();
    let run = p
        .certify()
        .args(["archive", "list", "--archive", "s3://evidence/certify"])
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", refused_port()))
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "certify-test")
        .env("AWS_SECRET_ACCESS_KEY", "certify-test-secret")
        .env("AWS_REGION", "us-east-1")
        .run();
    run.expect_code(3);
    assert!(!run.stderr.contains("certify-test-secret"), "the secret never reaches a message:\n{run}");
}

#[test]
fn bad_policies_and_stages_are_usage_errors() {
    let p = Project::empty()
        .file("bad.toml", "[stage.production]\nfrom_target = \"staging\"\nrequire = \"ga\"\nmax_age = \"three days\"\nrequire_signed = false\n")
        .file("typo.toml", "[stage.production]\nfrom_target = \"staging\"\nrequire = \"ga\"\nrequire_signd = false\n");
    let archive = p.out("archive");
    for (policy, stage, says) in [
        ("bad.toml", "production", "bad.toml:4"),
        ("typo.toml", "production", "require_signd"),
        (repo_root().join("ci/promotion.toml").to_str().expect("utf-8"), "prod", "staging"),
    ] {
        let run = p
            .certify()
            .args(["gate", "--policy", policy, "--stage", stage, "--candidate", "2.0.0", "--no-sign", "--archive"])
            .arg(&archive)
            .run();
        run.expect_code(2);
        assert!(run.stderr.contains(says), "stderr does not say {says:?}:\n{run}");
    }
}
