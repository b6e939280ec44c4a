//! The archive's witness story through the CLI: `archive checkpoint --witness-request`
//! writes the C2SP tlog-witness request body, a witness that is not certify's
//! (`tests/tools/witness.py`, in Python) checks it and cosigns, and `archive verify
//! --checkpoint --witness-key` requires that cosignature on the kept checkpoint.

use std::{
    fs,
    io::Write as _,
    path::Path,
    process::{Command, Stdio},
};

use crate::support::{Outcome, Project, test_tool};

const WITNESS: &str = "witness.example/w1";

/// Runs the Python witness (state in `state`) on a request body: its answer and whether it
/// cosigned.
fn witness(state: &Path, log_key: &Path, body: &str) -> (String, bool) {
    let python = std::env::var("CERTIFY_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = Command::new(&python)
        .arg(test_tool("witness.py"))
        .arg(state)
        .arg(log_key)
        .arg(WITNESS)
        .env("WITNESS_TIME", "1764400000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python} (CERTIFY_PYTHON, with cryptography): {e}"));
    child.stdin.take().expect("stdin").write_all(body.as_bytes()).expect("write the request");
    let out = child.wait_with_output().expect("the witness ran");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "the witness failed: {stderr}");
    (String::from_utf8(out.stdout).expect("utf-8"), out.status.success())
}

fn witness_vkey(state: &Path) -> String {
    let python = std::env::var("CERTIFY_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = Command::new(&python)
        .arg(test_tool("witness.py"))
        .arg(state)
        .args(["--vkey", WITNESS])
        .output()
        .expect("the witness ran");
    String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
}

/// After each append the request from the size the witness holds is accepted and cosigned;
/// the kept, cosigned checkpoint verifies with the archive's key and the witness's, and a
/// witness that did not cosign, or a cosignature of another checkpoint, is named.
#[test]
fn a_witness_that_is_not_certify_cosigns_the_requests_and_verify_requires_it() {
    let p = Project::empty();
    let signer = p.keygen();
    let at = p.out("archive");
    let state = p.out("witness");
    let mut kept = Vec::new();
    for (i, run) in ["u1", "u2", "u3"].into_iter().enumerate() {
        p.certify().args(["demo", "--no-sign", "--out"]).arg(p.out(run)).run().expect_code(0);
        p.certify()
            .args(["archive", "add", "--allow-unsigned", "--archive"])
            .arg(&at)
            .arg(p.out(run).join("bundle"))
            .signed_by(&signer)
            .run()
            .expect_code(0);
        let note = p.certify().args(["archive", "checkpoint", "--archive"]).arg(&at).run();
        note.expect_code(0);
        let request = p
            .certify()
            .args(["archive", "checkpoint", "--witness-request", &i.to_string(), "--archive"])
            .arg(&at)
            .run();
        request.expect_code(0);
        // `old N`, one base64 hash per line (none from 0; one from 1 to 2 and from 2 to 3),
        // a blank line, the checkpoint exactly as `archive checkpoint` prints it.
        let (head, rest) = request.stdout.split_once("\n\n").expect("a blank line");
        let head: Vec<&str> = head.lines().collect();
        assert_eq!(head[0], format!("old {i}"), "{request}");
        assert_eq!(head.len() - 1, [0, 1, 1][i], "{request}");
        assert!(head[1..].iter().all(|h| h.len() == 44 && h.ends_with('=')), "{request}");
        assert_eq!(rest, note.stdout, "{request}");
        assert!(request.stderr.is_empty(), "{request}");

        let (answer, cosigned) = witness(&state, &signer.public, &request.stdout);
        assert!(cosigned, "the witness refused: {answer}");
        assert!(answer.starts_with(&format!("\u{2014} {WITNESS} ")), "{answer}");
        fs::write(p.out(&format!("kept-{i}")), format!("{}{answer}", note.stdout)).expect("keep");
        kept.push(p.out(&format!("kept-{i}")));
    }
    // The witness holds 3 lines: a request from another size is a conflict, not a cosignature.
    let stale = p.certify().args(["archive", "checkpoint", "--witness-request", "1", "--archive"]).arg(&at).run();
    let (answer, cosigned) = witness(&state, &signer.public, &stale.stdout);
    assert!(!cosigned && answer.trim() == "409: 3", "{answer}");

    let vkey = witness_vkey(&state);
    let verify = |kept: &Path, vkeys: &[&str]| -> Outcome {
        let mut c = p.certify().args(["archive", "verify", "--key"]).arg(&signer.public).arg("--archive").arg(&at);
        c = c.arg("--checkpoint").arg(kept);
        for v in vkeys {
            c = c.args(["--witness-key", v]);
        }
        c.run()
    };
    for (i, k) in kept.iter().enumerate() {
        let ok = verify(k, &[&vkey]);
        ok.expect_code(0);
        assert!(ok.stdout.contains(&format!("cosigned by the witness {WITNESS} at 2025-11-29T07:06:40Z")), "{ok}");
        if i < 2 {
            assert!(ok.stdout.contains(&format!("the checkpoint (3 lines) extends the kept one ({})", i + 1)), "{ok}");
        }
    }
    // Another witness required: named, exit 1.
    let other = witness_vkey(&p.out("other-witness"));
    let missing = verify(&kept[2], &[&vkey, &other]);
    missing.expect_code(1);
    assert!(missing.stdout.contains(&format!("kept checkpoint: not cosigned by the witness {WITNESS} (")), "{missing}");
    // The cosignature of an earlier checkpoint, moved onto the latest one.
    let latest = fs::read_to_string(&kept[2]).expect("kept");
    let earlier = fs::read_to_string(&kept[0]).expect("kept");
    let moved = format!(
        "{}{}",
        latest.lines().take_while(|l| !l.starts_with(&format!("\u{2014} {WITNESS}"))).collect::<Vec<_>>().join("\n")
            + "\n",
        earlier.lines().filter(|l| l.starts_with(&format!("\u{2014} {WITNESS}"))).collect::<Vec<_>>().join("\n") + "\n"
    );
    fs::write(p.out("moved"), &moved).expect("write");
    let moved = verify(&p.out("moved"), &[&vkey]);
    moved.expect_code(1);
    assert!(moved.stdout.contains("not cosigned by the witness"), "{moved}");
}

/// A witness holding more lines than the archive's checkpoint means a rollback (1); a bad
/// verifier key or one without --checkpoint is a usage error (2); an unsigned checkpoint's
/// request is written with a warning (a witness refuses it).
#[test]
fn witness_requests_and_keys_refuse_what_cannot_be_right() {
    let p = Project::empty();
    let signer = p.keygen();
    p.certify().args(["demo", "--no-sign", "--out"]).arg(p.out("u")).run().expect_code(0);
    let at = p.out("archive");
    let add = |archive: &Path, signed: bool| {
        let c =
            p.certify().args(["archive", "add", "--allow-unsigned", "--archive"]).arg(archive).arg(p.out("u/bundle"));
        if signed { c.signed_by(&signer) } else { c }.run().expect_code(0);
    };
    add(&at, true);
    let beyond = p.certify().args(["archive", "checkpoint", "--witness-request", "2", "--archive"]).arg(&at).run();
    beyond.expect_code(1);
    assert!(beyond.stderr.contains("checkpoint: describes 1 lines, fewer than the 2 a witness holds"), "{beyond}");
    assert!(beyond.stdout.is_empty(), "{beyond}");

    let kept = p.out("kept");
    let note = p.certify().args(["archive", "checkpoint", "--archive"]).arg(&at).run();
    fs::write(&kept, &note.stdout).expect("keep");
    for (vkey, want) in [
        ("nonsense", "--witness-key \"nonsense\": expected a verifier key"),
        ("w+00000000+BAAA", "the key is of type 0x04 with 2 bytes"),
    ] {
        let bad = p
            .certify()
            .args(["archive", "verify", "--key"])
            .arg(&signer.public)
            .arg("--archive")
            .arg(&at)
            .arg("--checkpoint")
            .arg(&kept)
            .args(["--witness-key", vkey])
            .run();
        bad.expect_code(2);
        assert!(bad.stderr.contains(want), "{bad}");
    }
    let alone = p
        .certify()
        .args(["archive", "verify", "--key"])
        .arg(&signer.public)
        .arg("--archive")
        .arg(&at)
        .args(["--witness-key", "w+00000000+BAAA"])
        .run();
    alone.expect_code(2);
    assert!(alone.stderr.contains("--checkpoint"), "{alone}");

    // A cosignature from a clock past year 9999 is shown as it is, not a crash; an equal-size
    // kept checkpoint is the archive's own.
    let witness = certify_evidence::attest::SigningKey::generate();
    let body = note.stdout.split_once("\n\n").expect("a note").0.to_owned() + "\n";
    let line = certify_archive::witness::cosignature_line(WITNESS, &witness, 300_000_000_000, &body);
    fs::write(&kept, format!("{}{line}", note.stdout)).expect("keep");
    let vkey = certify_archive::witness::WitnessKey::of(WITNESS, &witness.public()).vkey();
    let far = p
        .certify()
        .args(["archive", "verify", "--key"])
        .arg(&signer.public)
        .arg("--archive")
        .arg(&at)
        .arg("--checkpoint")
        .arg(&kept)
        .args(["--witness-key", &vkey])
        .run();
    far.expect_code(0);
    assert!(
        far.stdout.contains(&format!("cosigned by the witness {WITNESS} at 300000000000 (POSIX seconds)")),
        "{far}"
    );
    assert!(far.stdout.contains("consistent: the kept checkpoint is the archive's checkpoint"), "{far}");

    let unsigned = p.out("unsigned");
    add(&unsigned, false);
    let request =
        p.certify().args(["archive", "checkpoint", "--witness-request", "0", "--archive"]).arg(&unsigned).run();
    request.expect_code(0);
    assert!(request.stdout.starts_with("old 0\n\ncertify-archive "), "{request}");
    assert!(request.stderr.contains("warning: the checkpoint is not signed"), "{request}");
}
