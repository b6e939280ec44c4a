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
    let key = p.out("b/bundle.pub.pem");

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
    let archive = p.out("b/archive");
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
    let v = p.certify().args(["verify", &record_path(&run), "--key"]).arg(p.out("b/bundle.pub.pem")).run();
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
    let archive = p.out("b/archive");
    let key = p.out("b/bundle.pub.pem");
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

/// A gate that BLOCKed on a failing run; the archive then rolled back to the copy from before
/// that run, where the gate PROMOTEs and `archive verify` alone sees a consistent archive:
/// the checkpoint kept from after the BLOCK shows the history that was lost.
#[test]
fn a_rolled_back_archive_that_would_promote_is_caught_by_the_kept_checkpoint() {
    let p = Project::empty();
    let archive = p.out("archive");
    let demo = |out: &str, fault: Option<&str>| {
        let fault: Vec<&str> = fault.map(|f| vec!["--fault", f]).unwrap_or_default();
        p.certify().args(["demo", "--out"]).arg(p.out(out)).arg("--archive").arg(&archive).args(fault).run()
    };
    demo("one", None).expect_code(0);
    let before = p.out("archive-before");
    copy_dir(&archive, &before);
    let blocked = demo("two", Some("signup-broken"));
    blocked.expect_code(1);
    assert!(blocked.stdout.contains("BLOCK  platform 2.0.0 to demo"), "{blocked}");
    assert!(
        blocked.stdout.contains("archive checkpoint: 3 lines, root "),
        "the gate names what it decided on:\n{blocked}"
    );
    let kept = p.certify().args(["archive", "checkpoint", "--archive"]).arg(&archive).run();
    kept.expect_code(0);
    assert!(kept.stdout.starts_with("certify-archive ") && kept.stdout.contains("\n4\n"), "{kept}");
    fs::write(p.out("kept.checkpoint"), &kept.stdout).expect("keep the checkpoint");
    let keys = p.out("keys");
    fs::create_dir_all(&keys).expect("keys");
    for run in ["one", "two"] {
        fs::copy(p.out(run).join("bundle.pub.pem"), keys.join(format!("{run}.pub.pem"))).expect("copy key");
    }

    fs::remove_dir_all(&archive).expect("remove");
    copy_dir(&before, &archive);
    let gate = p
        .certify()
        .args(["gate", "--policy"])
        .arg(repo_root().join("ci/promotion.toml"))
        .args(["--stage", "demo", "--candidate", "2.0.0", "--no-sign", "--trust"])
        .arg(&keys)
        .arg("--archive")
        .arg(&archive)
        .run();
    gate.expect_code(0);
    assert!(gate.stdout.contains("PROMOTE  platform 2.0.0 to demo"), "the rolled-back archive would promote:\n{gate}");
    let verify = |extra: &[&str]| {
        p.certify().args(["archive", "verify", "--trust"]).arg(&keys).arg("--archive").arg(&archive).args(extra).run()
    };
    verify(&[]).expect_code(0);
    let caught = verify(&["--checkpoint", p.out("kept.checkpoint").to_str().expect("utf-8")]);
    caught.expect_code(1);
    assert!(caught.stdout.starts_with("INVALID"), "{caught}");
    assert!(caught.stdout.contains("kept checkpoint: the archive has 2 lines, the checkpoint describes 4"), "{caught}");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir").flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() { copy_dir(&src, &dst) } else { fs::copy(&src, &dst).map(|_| ()).expect("copy") }
    }
}

/// The decision record carries the checkpoint it was decided on, signed with it; the archive's
/// own checkpoint is printed as a note and as JSON.
#[test]
fn decision_records_carry_the_checkpoint_they_were_decided_on() {
    let p = Project::empty();
    let run = p.certify().args(["demo", "--out"]).arg(p.out("b")).run();
    run.expect_code(0);
    let record = fs::read_to_string(record_path(&run)).expect("record");
    let envelope: serde_json::Value = serde_json::from_str(&record).expect("envelope");
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().expect("payload"))
        .expect("base64");
    let statement: serde_json::Value = serde_json::from_slice(&payload).expect("statement");
    let note = statement["predicate"]["archiveCheckpoint"].as_str().expect("the checkpoint in the predicate");
    assert!(note.starts_with("certify-archive ") && note.contains("\n1\n"), "decided on the 1 bundle line: {note}");

    let json =
        p.certify().args(["archive", "checkpoint", "--format", "json", "--archive"]).arg(p.out("b/archive")).run();
    json.expect_code(0);
    let v = json.json();
    assert_eq!(v["size"], 2);
    assert_eq!(v["origin"], format!("certify-archive {}", v["archive_id"].as_str().expect("id")));
    assert_eq!(v["signatures"][0]["name"], "certify-archive");
    assert!(v["note"].as_str().expect("note").contains(v["root"].as_str().expect("root")));
}

/// Readers never create an archive; a path with none is a failure (1) saying so; adding a
/// bundle that does not exist is a usage error (2).
#[test]
fn nothing_is_created_where_there_is_no_archive() {
    let p = Project::empty();
    p.certify().args(["keygen", "--out"]).arg(p.out("k")).run().expect_code(0);
    let nowhere = p.out("nowhere");
    let at = nowhere.to_str().expect("utf-8");
    let key = p.out("k.pub.pem");
    let key = key.to_str().expect("utf-8");
    let policy = repo_root().join("ci/promotion.toml");
    let policy = policy.to_str().expect("utf-8");
    for args in [
        vec!["archive", "verify", "--key", key, "--archive", at],
        vec!["archive", "list", "--archive", at],
        vec!["archive", "show", "abc", "--archive", at],
        vec!["archive", "checkpoint", "--archive", at],
        vec![
            "gate",
            "--policy",
            policy,
            "--stage",
            "demo",
            "--candidate",
            "2.0.0",
            "--trust",
            p.out(".").to_str().expect("utf-8"),
            "--no-sign",
            "--archive",
            at,
        ],
    ] {
        let run = p.certify().args(&args).run();
        run.expect_code(1);
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(said.contains("not an archive: does not exist"), "{args:?}:\n{run}");
        assert!(!nowhere.exists(), "{args:?} created the archive");
    }
    let add = p.certify().args(["archive", "add", "no-such-bundle", "--key", key, "--archive", at]).run();
    add.expect_code(2);
    assert!(add.stderr.contains("no-such-bundle: no such bundle directory"), "{add}");
    assert!(!nowhere.exists());
}

/// `archive add` signs the checkpoint with the key the CLI signs with (`CERTIFY_SIGNING_KEY`),
/// and without one writes it unsigned, which `archive verify` warns about.
#[test]
fn archive_add_signs_the_checkpoint_with_the_configured_key() {
    let p = Project::empty();
    p.certify().args(["demo", "--no-sign", "--out"]).arg(p.out("u")).run();
    let signer = p.keygen();
    for (archive, signed) in [("signed", true), ("unsigned", false)] {
        let at = p.out(archive);
        let mut add =
            p.certify().args(["archive", "add", "--allow-unsigned", "--archive"]).arg(&at).arg(p.out("u/bundle"));
        if signed {
            add = add.signed_by(&signer);
        }
        add.run().expect_code(0);
        let verify =
            p.certify().args(["archive", "verify", "--key"]).arg(&signer.public).arg("--archive").arg(&at).run();
        verify.expect_code(0);
        if signed {
            assert!(
                verify.stdout.contains("checkpoint: 1 lines, root ") && verify.stdout.contains("(signed by SHA256:"),
                "{verify}"
            );
            assert!(!verify.stdout.contains("warning: checkpoint"), "{verify}");
        } else {
            assert!(verify.stdout.contains("warning: checkpoint: not signed"), "{verify}");
        }
        // `archive checkpoint` prints the note byte for byte, signed or not, so a kept copy parses.
        let printed = p.certify().args(["archive", "checkpoint", "--archive"]).arg(&at).run();
        printed.expect_code(0);
        assert_eq!(printed.stdout, fs::read_to_string(at.join("checkpoint")).expect("checkpoint"));
        fs::write(p.out("kept"), &printed.stdout).expect("keep");
        let against = p
            .certify()
            .args(["archive", "verify", "--key"])
            .arg(&signer.public)
            .arg("--archive")
            .arg(&at)
            .arg("--checkpoint")
            .arg(p.out("kept"))
            .run();
        if signed {
            against.expect_code(0);
        } else {
            against.expect_code(1);
            assert!(against.stdout.contains("kept checkpoint: not signed"), "{against}");
        }
    }
}

/// The gate decides only on lines its checkpoint vouches for: with the last line's `added_at`
/// edited, the archive's checkpoint no longer holds and the gate refuses (1), saying why.
#[test]
fn the_gate_refuses_an_archive_whose_checkpoint_does_not_hold() {
    let p = Project::empty();
    p.certify().args(["demo", "--out"]).arg(p.out("b")).run().expect_code(0);
    let archive = p.out("b/archive");
    let lines = index_lines(&archive);
    let last = lines.last().expect("a line");
    let edited = last.replacen("\"added_at\":\"2", "\"added_at\":\"1", 1);
    assert_ne!(&edited, last);
    let mut all = lines[..lines.len() - 1].to_vec();
    all.push(edited);
    fs::write(archive.join("index.jsonl"), format!("{}\n", all.join("\n"))).expect("write");
    let gate = p
        .certify()
        .args(["gate", "--policy"])
        .arg(repo_root().join("ci/promotion.toml"))
        .args(["--stage", "demo", "--candidate", "2.0.0", "--no-sign", "--key"])
        .arg(p.out("b/bundle.pub.pem"))
        .arg("--archive")
        .arg(&archive)
        .run();
    gate.expect_code(1);
    assert!(gate.stderr.contains("checkpoint: the first 2 lines have root "), "{gate}");
    assert!(!gate.stdout.contains("PROMOTE"), "{gate}");
}

/// The lines of `text` that are reasons as the gate prints them (`  BLOCK  rule ...`).
fn reason_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| ["  BLOCK  ", "  WARN   ", "  INFO   "].iter().any(|s| l.starts_with(s)))
        .map(str::to_owned)
        .collect()
}

/// A blocked decision's record keeps every reason the gate printed (text and JSON), verifies
/// with `certify verify RECORD --key`, which shows them, as does `archive show`; the bundles it
/// relied on are named relative to the archive, by the file their digest is of.
#[test]
fn decision_records_keep_every_reason_the_gate_printed() {
    let p = Project::empty();
    let archive = p.out("archive");
    p.certify().args(["demo", "--out"]).arg(p.out("one")).arg("--archive").arg(&archive).run().expect_code(0);
    p.certify()
        .args(["demo", "--fault", "signup-broken", "--out"])
        .arg(p.out("two"))
        .arg("--archive")
        .arg(&archive)
        .run()
        .expect_code(1);
    let signer = p.keygen();
    // Only the second run's key is trusted: the first run is left out, with a reason.
    let gate = |format: &str| {
        p.certify()
            .args(["gate", "--policy"])
            .arg(repo_root().join("ci/promotion.toml"))
            .args(["--stage", "demo", "--candidate", "2.0.0", "--format", format, "--key"])
            .arg(p.out("two/bundle.pub.pem"))
            .arg("--archive")
            .arg(&archive)
            .signed_by(&signer)
            .run()
    };

    let text = gate("text");
    text.expect_code(1);
    let printed = reason_lines(&text.stdout);
    assert!(printed.iter().any(|l| l.starts_with("  BLOCK  critical  feature=tenant-signup")), "{text}");
    assert!(printed.iter().any(|l| l.starts_with("  INFO   trusted-key  bundle=")), "{text}");
    let record = record_path(&text);
    let verified = p.certify().args(["verify", &record, "--key"]).arg(&signer.public).run();
    verified.expect_code(0);
    assert!(verified.stdout.contains(&format!("  reasons    {}\n", printed.len())), "{verified}");
    let shown: Vec<String> = reason_lines(&verified.stdout.replace("\n    ", "\n  ")).into_iter().collect::<Vec<_>>();
    assert_eq!(shown, printed, "`certify verify` shows the record's reasons as the gate printed them");
    let id = Path::new(&record).file_name().and_then(|n| n.to_str()).expect("name")[..16].to_owned();
    let show = p.certify().args(["archive", "show", &id, "--archive"]).arg(&archive).run();
    show.expect_code(0);
    assert_eq!(reason_lines(&show.stdout), printed, "`archive show` of the decision:\n{show}");

    let json = gate("json");
    json.expect_code(1);
    let decided = json.json();
    let record = decided["record"].as_str().expect("record path").to_owned();
    let verified = p.certify().args(["verify", &record, "--format", "json", "--key"]).arg(&signer.public).run();
    verified.expect_code(0);
    let predicate = &verified.json()["predicate"];
    assert_eq!(predicate["certifyReasons"], decided["reasons"], "every reason, every field");
    assert!(decided["reasons"].as_array().is_some_and(|r| r.len() == printed.len()), "{decided}");

    // Relative URIs: each names, inside the archive, the file whose sha256 is the input's digest.
    let inputs = predicate["inputAttestations"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 1, "{predicate}");
    let root = archive.to_str().expect("utf-8");
    for input in inputs {
        let (uri, digest) = (input["uri"].as_str().expect("uri"), input["digest"]["sha256"].as_str().expect("sha"));
        assert_eq!(uri, format!("bundles/{digest}/attestation.intoto.jsonl"));
        assert!(!uri.starts_with('/') && !uri.contains("file:") && !uri.contains(root), "{uri}");
        let bytes = fs::read(archive.join(uri)).expect("the input, found from the archive's root");
        assert_eq!(certify_evidence::attest::sha256_hex(&bytes), digest);
    }
    let statement = serde_json::to_string(predicate).expect("json");
    assert!(!statement.contains(root), "the record names no local path of the archive: {statement}");
    // The policy lies outside the directory the gate ran in: it is named by its file name.
    assert_eq!(predicate["policy"]["uri"], "promotion.toml", "{predicate}");
    let repo = repo_root();
    assert!(!statement.contains(repo.to_str().expect("utf-8")), "no local path of the policy: {statement}");

    let id = Path::new(&record).file_name().and_then(|n| n.to_str()).expect("name")[..64].to_owned();
    let show = p.certify().args(["archive", "show", &id, "--format", "json", "--archive"]).arg(&archive).run();
    show.expect_code(0);
    assert_eq!(show.json()["reasons"], decided["reasons"], "{show}");

    // The archive site's version page shows each reason with its feature, message and bundle.
    let site = p.out("site");
    p.certify()
        .args(["report", "--archive"])
        .arg(&archive)
        .arg("--out")
        .arg(&site)
        .arg("--key")
        .arg(&signer.public)
        .run()
        .expect_code(0);
    let page = fs::read_to_string(site.join("versions/2.0.0.html")).expect("version page");
    let row = &page[page.find(&format!("data-decision=\"{id}\"")).expect("the decision's row")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(!row.contains("<td>—</td>"), "{row}");
    for reason in decided["reasons"].as_array().expect("reasons") {
        let rule = reason["rule"].as_str().expect("rule");
        let item = format!("data-rule=\"{rule}\" data-severity=\"{}\"", reason["severity"].as_str().expect("severity"));
        assert!(row.contains(&item), "{item} in {row}");
        let message = reason["message"]
            .as_str()
            .expect("message")
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;");
        assert!(row.contains(&message), "{message} in {row}");
        if let Some(bundle) = reason["bundle"].as_str() {
            assert!(row.contains(&format!("href=\"../bundles/{bundle}.html\"")), "{bundle} linked in {row}");
        }
    }
}

/// Adding a bundle the archive already holds says so, in text and JSON, and changes nothing.
#[test]
fn adding_an_archived_bundle_again_adds_nothing_and_says_so() {
    let p = Project::empty();
    p.certify().args(["demo", "--out"]).arg(p.out("b")).run().expect_code(0);
    let at = p.out("fresh");
    // Text is the default: no --format, as an existing script calls it.
    let add = |format: &[&str]| {
        p.certify()
            .args(["archive", "add"])
            .args(format)
            .arg("--key")
            .arg(p.out("b/bundle.pub.pem"))
            .arg("--archive")
            .arg(&at)
            .arg(p.out("b/bundle"))
            .run()
    };
    let first = add(&[]);
    first.expect_code(0);
    assert!(first.stdout.starts_with("added ") && first.stdout.contains("(index line 1)"), "{first}");
    let id = first.stdout.split(" as ").nth(1).and_then(|s| s.split(' ').next()).expect("id").to_owned();
    let files = |name: &str| fs::read(at.join(name)).expect(name);
    let (index, checkpoint) = (files("index.jsonl"), files("checkpoint"));

    let again = add(&[]);
    again.expect_code(0);
    assert_eq!(
        again.stdout,
        format!("{}: already archived as {id} (line 1); nothing added\n", p.out("b/bundle").display()),
        "{again}"
    );
    let json = add(&["--format", "json"]);
    json.expect_code(0);
    let v = json.json();
    assert_eq!(
        (v["result"].as_str(), v["id"].as_str(), v["line"].as_u64()),
        (Some("already-archived"), Some(&*id), Some(1))
    );
    assert_eq!(files("index.jsonl"), index, "no line was added");
    assert_eq!(files("checkpoint"), checkpoint, "the checkpoint did not move");
}
