//! Evidence bundles as an auditor meets them: `certify demo` writes a signed
//! bundle, `certify verify` accepts it, and every kind of tampering is
//! caught, named by file, with exit code 1 and no panic. Also the outside
//! verifiers, mandatory: stock securesystemslib (tests/tools/verify_dsse.py,
//! `CERTIFY_PYTHON`), sigstore-js (tests/tools/verify_sigstore.mjs, node and
//! `CERTIFY_NODE_MODULES`), in-toto-attestation and the openssl recipe of the
//! README.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
};

use base64::Engine as _;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn certify(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run certify")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

struct Demo {
    _dir: tempfile::TempDir,
    bundle: PathBuf,
    key: PathBuf,
}

/// One demo run shared by every test here (debug builds take a moment).
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        // `--out DIR` holds the bundle, its public key and the archive.
        let out = certify(&["demo", "--out", dir.path().to_str().expect("utf-8 path")]);
        assert_eq!(out.status.code(), Some(0), "demo failed:\n{}", text(&out));
        let bundle = dir.path().join("bundle");
        let key = dir.path().join("bundle.pub.pem");
        assert!(key.is_file(), "demo wrote no public key next to the bundle");
        Demo { _dir: dir, bundle, key }
    })
}

/// A fresh copy of the demo bundle to tamper with.
fn copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let to = dir.path().join("bundle");
    copy_dir(&demo().bundle, &to);
    (dir, to)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).expect("copy");
        }
    }
}

fn verify(bundle: &Path) -> Output {
    certify(&["verify", bundle.to_str().expect("utf-8"), "--key", demo().key.to_str().expect("utf-8")])
}

/// Asserts `certify verify` rejects the bundle and names `file` with `reason`.
fn rejected(bundle: &Path, file: &str, reason: &str) {
    let out = verify(bundle);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "expected exit 1:\n{all}");
    assert!(all.contains("INVALID"), "{all}");
    let line = all.lines().find(|l| l.trim_start().starts_with(&format!("{file}:")) && l.contains(reason));
    assert!(line.is_some(), "expected a problem `{file}: ...{reason}...` in:\n{all}");
    assert!(!all.contains("panicked"), "{all}");
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = fs::read(path).expect("read");
    let i = at.min(bytes.len() - 1);
    bytes[i] ^= 0x01;
    fs::write(path, bytes).expect("write");
}

fn first_transcript(bundle: &Path) -> String {
    let mut found = None;
    let mut stack = vec![bundle.join("transcripts")];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else if found.is_none() {
                found = Some(e.path());
            }
        }
    }
    let p = found.expect("a transcript");
    p.strip_prefix(bundle).expect("inside").to_string_lossy().into_owned()
}

#[test]
fn the_demo_bundle_verifies() {
    let out = verify(&demo().bundle);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    for want in ["VALID", "PASSED", "platform   2.0.0", "signer     SHA256:", "all digests match"] {
        assert!(all.contains(want), "missing {want:?} in:\n{all}");
    }
    let layout = [
        "bundle.json",
        "junit.xml",
        "transcripts",
        "suite/certify.toml",
        "suite/features/catalog.toml",
        "attestation.intoto.jsonl",
        "attestation.sigstore.json",
    ];
    for f in layout {
        assert!(demo().bundle.join(f).exists(), "bundle lacks {f}");
    }
}

#[test]
fn a_flipped_byte_in_any_kind_of_file_is_named() {
    let transcript = first_transcript(&demo().bundle);
    let cases = [
        ("bundle.json", 40, "bundle.json", "modified"),
        ("junit.xml", 200, "junit.xml", "modified"),
        (transcript.as_str(), 100, transcript.as_str(), "modified"),
        ("suite/features/tenant-signup.feature", 10, "suite/features/tenant-signup.feature", "modified"),
        ("suite/certify.toml", 5, "suite/certify.toml", "modified"),
        ("attestation.sigstore.json", 300, "attestation.sigstore.json", ""),
    ];
    for (file, at, named, reason) in cases {
        let (_keep, b) = copy();
        flip_byte(&b.join(file), at);
        rejected(&b, named, reason);
    }
}

#[test]
fn deleted_and_added_files_are_named() {
    let transcript = first_transcript(&demo().bundle);
    let (_k1, b) = copy();
    fs::remove_file(b.join(&transcript)).expect("rm");
    rejected(&b, &transcript, "missing");

    let (_k2, b) = copy();
    fs::write(b.join("transcripts/extra.json"), "{}").expect("write");
    rejected(&b, "transcripts/extra.json", "added");
}

#[test]
fn an_edited_manifest_is_caught() {
    for (from, to) in
        [("\"version\": \"2.0.0\"", "\"version\": \"1.4.0\""), ("\"status\": \"passed\"", "\"status\": \"failed\"")]
    {
        let (_k, b) = copy();
        let path = b.join("bundle.json");
        let t = fs::read_to_string(&path).expect("read");
        assert!(t.contains(from), "bundle.json has no {from}");
        fs::write(&path, t.replacen(from, to, 1)).expect("write");
        rejected(&b, "bundle.json", "modified");
    }
    // The git commit, changed in place.
    let (_k, b) = copy();
    let path = b.join("bundle.json");
    let mut m: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).expect("read")).expect("json");
    m["git"]["commit"] = serde_json::Value::String("0".repeat(40));
    fs::write(&path, serde_json::to_string_pretty(&m).expect("json")).expect("write");
    rejected(&b, "bundle.json", "modified");
}

/// A scenario entry that is not one (a required member gone) makes bundle.json
/// no manifest, as does a header member of the wrong type: the check reads
/// every entry whole, even though it keeps only ids and statuses.
#[test]
fn a_malformed_scenario_entry_or_header_is_not_a_manifest() {
    for edit in [
        |m: &mut serde_json::Value| {
            m["scenarios"][0].as_object_mut().expect("an entry").remove("name");
        },
        |m: &mut serde_json::Value| m["complete"] = serde_json::Value::String("yes".to_owned()),
    ] {
        let (_k, b) = copy();
        let path = b.join("bundle.json");
        let mut m: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).expect("read")).expect("json");
        edit(&mut m);
        fs::write(&path, serde_json::to_string_pretty(&m).expect("json")).expect("write");
        rejected(&b, "bundle.json", "modified");
        rejected(&b, "bundle.json", "not a certify bundle manifest");
    }
}

#[test]
fn junit_from_another_run_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dir.path().join("other");
    let out = certify(&["demo", "--out", other.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (_k, b) = copy();
    fs::copy(other.join("bundle/junit.xml"), b.join("junit.xml")).expect("copy");
    rejected(&b, "junit.xml", "modified");
    rejected(&b, "junit.xml", "does not belong to run");
}

fn envelope(b: &Path) -> serde_json::Value {
    let t = fs::read_to_string(b.join("attestation.intoto.jsonl")).expect("read");
    serde_json::from_str(t.lines().next().expect("line")).expect("json")
}

fn write_envelope(b: &Path, env: &serde_json::Value) {
    fs::write(b.join("attestation.intoto.jsonl"), format!("{}\n", serde_json::to_string(env).expect("json")))
        .expect("write");
}

#[test]
fn an_altered_payload_or_signature_is_caught() {
    let (_k1, b) = copy();
    let mut env = envelope(&b);
    let payload = B64.decode(env["payload"].as_str().expect("payload")).expect("b64");
    let altered = String::from_utf8(payload).expect("utf-8").replacen("PASSED", "FAILED", 1);
    env["payload"] = B64.encode(altered).into();
    write_envelope(&b, &env);
    rejected(&b, "attestation.intoto.jsonl", "signature");

    let (_k2, b) = copy();
    let mut env = envelope(&b);
    let mut sig = B64.decode(env["signatures"][0]["sig"].as_str().expect("sig")).expect("b64");
    sig[10] ^= 0x80;
    env["signatures"][0]["sig"] = B64.encode(sig).into();
    write_envelope(&b, &env);
    rejected(&b, "attestation.intoto.jsonl", "signature");

    let (_k3, b) = copy();
    let t = fs::read_to_string(b.join("attestation.intoto.jsonl")).expect("read");
    fs::write(b.join("attestation.intoto.jsonl"), &t[..t.len() / 2]).expect("write");
    rejected(&b, "attestation.intoto.jsonl", "not a DSSE envelope");
}

#[test]
fn wrong_and_malformed_keys_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prefix = dir.path().join("other");
    let out = certify(&["keygen", "--out", prefix.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let b = demo().bundle.to_str().expect("utf-8");
    let other = dir.path().join("other.pub.pem");
    let out = certify(&["verify", b, "--key", other.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("attestation.intoto.jsonl: signature"), "{}", text(&out));

    let bad = dir.path().join("bad.pem");
    fs::write(&bad, "-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n").expect("write");
    let out = certify(&["verify", b, "--key", bad.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("bad.pem"), "the message names the key file: {}", text(&out));
}

/// PRODUCT §6: a key or a path that is missing or not what it should be is exit 2, with a
/// message naming the file and what was expected, and never what a key file holds.
#[test]
fn missing_or_wrong_keys_and_paths_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let prefix = dir.path().join("signer");
    assert_eq!(certify(&["keygen", "--out", &s(&prefix)]).status.code(), Some(0));
    let private = dir.path().join("signer.key");
    let private_pem = fs::read_to_string(&private).expect("read");
    let private_body: String = private_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let garbage = dir.path().join("garbage.pem");
    fs::write(&garbage, "sekrit-not-a-key-0123456789\n").expect("write");
    let empty_dir = dir.path().join("no-keys");
    fs::create_dir(&empty_dir).expect("mkdir");
    fs::copy(&private, empty_dir.join("private.pem")).expect("copy");
    let bundle = s(&demo().bundle);
    let key = s(&demo().key);
    let missing = dir.path().join("missing");
    let cases: Vec<(Vec<String>, String, &str)> = vec![
        (
            vec![bundle.clone(), "--key".into(), s(&dir.path().join("nope.pub.pem"))],
            s(&dir.path().join("nope.pub.pem")),
            "cannot read",
        ),
        (vec![bundle.clone(), "--key".into(), s(&private)], s(&private), "expected an Ed25519 public key"),
        (vec![bundle.clone(), "--key".into(), s(&garbage)], s(&garbage), "expected a PEM block"),
        (vec![bundle.clone(), "--trust".into(), s(&missing)], s(&missing), "expected a directory of public keys"),
        (vec![bundle.clone(), "--trust".into(), s(&empty_dir)], s(&empty_dir), "no Ed25519 public key"),
        (vec![s(&missing), "--key".into(), key.clone()], s(&missing), "expected a bundle directory, a decision record"),
        (
            vec![s(&missing.join("x.intoto.jsonl")), "--key".into(), key.clone()],
            s(&missing.join("x.intoto.jsonl")),
            "no such file",
        ),
    ];
    for (args, file, expected) in cases {
        let mut all_args = vec!["verify".to_owned()];
        all_args.extend(args);
        let argv: Vec<&str> = all_args.iter().map(String::as_str).collect();
        let out = certify(&argv);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {all}");
        assert!(all.contains(&file), "{argv:?}: the message names {file}: {all}");
        assert!(all.contains(expected), "{argv:?}: the message says {expected:?}: {all}");
        assert!(!all.contains(&private_body) && !all.contains("sekrit"), "{argv:?}: key content in the message: {all}");
        assert!(!all.contains("panicked"), "{all}");
    }
}

#[test]
fn an_unsigned_bundle_is_not_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = certify(&["demo", "--no-sign", "--out", dir.path().join("unsigned").to_str().expect("utf-8")]);
    let b = dir.path().join("unsigned/bundle");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("UNSIGNED"), "the summary says it is unsigned: {}", text(&out));
    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(b.join("bundle.json")).expect("read")).expect("json");
    assert_eq!(m["signature"]["signed"], false);
    rejected(&b, "attestation.intoto.jsonl", "unsigned");
}

#[test]
fn symlinks_and_escaping_names_are_refused() {
    let (_k, b) = copy();
    std::os::unix::fs::symlink("/etc/passwd", b.join("transcripts/link.json")).expect("symlink");
    rejected(&b, "transcripts/link.json", "symbolic link");

    // A statement that names files outside the bundle, properly signed by a
    // key the verifier trusts: the names are refused, not followed.
    use certify_evidence::attest::{Envelope, PAYLOAD_TYPE_INTOTO, SigningKey, Statement};
    let (_k2, b) = copy();
    let key = SigningKey::generate();
    let pub_path = b.parent().expect("parent").join("forger.pub.pem");
    fs::write(&pub_path, key.public().to_spki_pem()).expect("write");
    let env = envelope(&b);
    let payload = B64.decode(env["payload"].as_str().expect("payload")).expect("b64");
    let mut st: serde_json::Value = serde_json::from_slice(&payload).expect("json");
    st["subject"]
        .as_array_mut()
        .expect("subjects")
        .push(serde_json::json!({"name": "../outside.txt", "digest": {"sha256": "00"}}));
    st["subject"]
        .as_array_mut()
        .expect("subjects")
        .push(serde_json::json!({"name": "/etc/passwd", "digest": {"sha256": "00"}}));
    let bytes = serde_json::to_vec(&st).expect("json");
    Statement::from_bytes(&bytes).expect("still a statement");
    let forged = Envelope::sign(PAYLOAD_TYPE_INTOTO, &bytes, &key);
    fs::write(b.join("attestation.intoto.jsonl"), forged.to_jsonl()).expect("write");
    let out = certify(&["verify", b.to_str().expect("utf-8"), "--key", pub_path.to_str().expect("utf-8")]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("../outside.txt: subject name is not a plain relative path"), "{all}");
    assert!(all.contains("/etc/passwd: subject name is not a plain relative path"), "{all}");
}

#[test]
fn a_partial_directory_is_incomplete() {
    let (_k, b) = copy();
    let partial = b.parent().expect("parent").join(".bundle.partial-4242");
    fs::rename(&b, &partial).expect("rename");
    fs::remove_file(partial.join("attestation.intoto.jsonl")).expect("rm");
    fs::remove_file(partial.join("bundle.json")).expect("rm");
    let out = verify(&partial);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("incomplete bundle"), "{all}");
}

#[test]
fn no_secret_reaches_the_bundle() {
    // Every API key the platform issued in the run, and the operator token,
    // have these shapes; the suite's own sample keys are all zeros or all f.
    let key = regex::Regex::new(r"ck_live_[0-9a-f]{32}|op_[0-9a-f]{32}").expect("regex");
    let mut stack = vec![demo().bundle.clone()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            files += 1;
            let t = String::from_utf8_lossy(&fs::read(&p).expect("read")).into_owned();
            for m in key.find_iter(&t) {
                let s = m.as_str();
                let sample = s.ends_with(&"0".repeat(32)) || s.ends_with(&"f".repeat(32));
                assert!(sample, "{} holds a live secret {s}", p.display());
            }
        }
    }
    assert!(files > 20);
    // And the transcripts show the redaction marker where the keys were.
    let any = fs::read_to_string(demo().bundle.join("transcripts/features/api-keys.feature.ndjson"))
        .is_ok_and(|t| t.contains("[redacted]"));
    assert!(any, "no redaction marker in the api-keys transcripts");
}

fn python() -> String {
    std::env::var("CERTIFY_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn tool(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("tools").join(name)
}

/// Stock securesystemslib (`Envelope.from_dict`, then `verify([SSlibKey.from_crypto(key)], 1)`,
/// nothing adjusted) on the demo's envelope file and decision record.
#[test]
fn securesystemslib_verifies_the_demo_bundle_and_rejects_a_tampered_one() {
    let tool = tool("verify_dsse.py");
    let run = |envelope: &Path, bundle: Option<&Path>| {
        let mut command = Command::new(python());
        command.arg(&tool).arg(&demo().key).arg(envelope);
        if let Some(bundle) = bundle {
            command.arg(bundle);
        }
        let out = command.output().unwrap_or_else(|e| {
            panic!(
                "cannot run {} (set CERTIFY_PYTHON to a Python with securesystemslib and cryptography): {e}",
                python()
            )
        });
        let all = text(&out);
        assert!(
            !all.contains("No module named"),
            "CERTIFY_PYTHON={} lacks securesystemslib/cryptography: {all}",
            python()
        );
        out
    };
    let out = run(&demo().bundle.join("attestation.intoto.jsonl"), Some(&demo().bundle));
    assert_eq!(out.status.code(), Some(0), "verify_dsse.py rejected the demo bundle: {}", text(&out));
    assert!(text(&out).contains("test-result/v0.1 PASSED"), "{}", text(&out));
    let out = run(&demo_record(), None);
    assert_eq!(out.status.code(), Some(0), "verify_dsse.py rejected the demo's decision record: {}", text(&out));
    assert!(text(&out).contains("verification_summary/v1 PASSED"), "{}", text(&out));

    let (_k, b) = copy();
    flip_byte(&b.join("junit.xml"), 100);
    let out = run(&b.join("attestation.intoto.jsonl"), Some(&b));
    assert_eq!(out.status.code(), Some(1), "verify_dsse.py accepted a tampered bundle: {}", text(&out));
    assert!(text(&out).contains("junit.xml: sha256 is"), "{}", text(&out));

    // The envelope re-signed by another key: securesystemslib finds no signature of the demo key.
    let (_k, b) = copy();
    let env = envelope(&b);
    let payload = B64.decode(env["payload"].as_str().expect("payload")).expect("b64");
    fs::write(
        b.join("attestation.intoto.jsonl"),
        Envelope::sign(PAYLOAD_TYPE_INTOTO, &payload, &other().key).to_jsonl(),
    )
    .expect("write");
    let out = run(&b.join("attestation.intoto.jsonl"), Some(&b));
    assert_eq!(out.status.code(), Some(1), "verify_dsse.py accepted another key's envelope: {}", text(&out));
}

/// The folder of npm packages that holds sigstore-js (`.ci/run` installs it and sets the variable).
fn node_modules() -> String {
    let how = "npm install --prefix DIR @sigstore/verify@3.1.1 @sigstore/bundle@4.0.0 @sigstore/core@3.2.1 \
               @sigstore/protobuf-specs@0.5.2 and set CERTIFY_NODE_MODULES=DIR/node_modules (.ci/run does)";
    let dir = std::env::var("CERTIFY_NODE_MODULES")
        .unwrap_or_else(|_| panic!("this test needs sigstore-js and CERTIFY_NODE_MODULES is not set: {how}"));
    assert!(
        Path::new(&dir).join("@sigstore/verify/package.json").is_file(),
        "CERTIFY_NODE_MODULES={dir} holds no @sigstore/verify: {how}"
    );
    dir
}

/// sigstore-js (`@sigstore/verify`) on the demo's Sigstore bundle, offline, with the public key as
/// the only trust material; the subjects checked against the bundle's files.
#[test]
fn sigstore_js_verifies_the_demo_bundle_and_rejects_a_tampered_one() {
    let modules = node_modules();
    let tool = tool("verify_sigstore.mjs");
    let run = |key: &Path, bundle: &Path| {
        Command::new("node")
            .arg(&tool)
            .arg(key)
            .arg(bundle.join("attestation.sigstore.json"))
            .arg(bundle)
            .env("CERTIFY_NODE_MODULES", &modules)
            .output()
            .unwrap_or_else(|e| panic!("this test needs node on PATH (Debian: apt-get install nodejs): {e}"))
    };
    let out = run(&demo().key, &demo().bundle);
    assert_eq!(out.status.code(), Some(0), "sigstore-js rejected the demo bundle: {}", text(&out));
    assert_eq!(text(&out).trim(), "https://in-toto.io/attestation/test-result/v0.1 PASSED");

    let original = fs::read_to_string(demo().bundle.join("attestation.sigstore.json")).expect("read");
    let bundle: serde_json::Value = serde_json::from_str(&original).expect("json");
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = bundle.clone();
        f(&mut v);
        format!("{}\n", serde_json::to_string_pretty(&v).expect("json"))
    };
    let payload = B64.decode(bundle["dsseEnvelope"]["payload"].as_str().expect("payload")).expect("b64");
    let mut statement = Statement::from_bytes(&payload).expect("statement");
    statement.predicate["result"] = "FAILED".into();
    let other_sig = Envelope::sign(PAYLOAD_TYPE_INTOTO, &payload, &other().key).signatures[0].sig.clone();
    let flipped_sig = {
        let mut sig = B64.decode(bundle["dsseEnvelope"]["signatures"][0]["sig"].as_str().expect("sig")).expect("b64");
        sig[10] ^= 0x01;
        B64.encode(sig)
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "signature byte flipped",
            edit(&|v| v["dsseEnvelope"]["signatures"][0]["sig"] = flipped_sig.clone().into()),
            "signature verification failed",
        ),
        (
            "payload changed",
            edit(&|v| v["dsseEnvelope"]["payload"] = B64.encode(statement.to_bytes()).into()),
            "signature verification failed",
        ),
        (
            "signed by another key",
            edit(&|v| v["dsseEnvelope"]["signatures"][0]["sig"] = other_sig.clone().into()),
            "signature verification failed",
        ),
        (
            "another key's hint",
            edit(&|v| v["verificationMaterial"]["publicKey"]["hint"] = other().key.public().hint().into()),
            "key not found",
        ),
        ("truncated", original[..original.len() / 2].to_owned(), "verification failed"),
    ];
    for (case, bytes, reason) in cases {
        let (_k, b) = copy();
        fs::write(b.join("attestation.sigstore.json"), &bytes).expect("write");
        let out = run(&demo().key, &b);
        assert_eq!(out.status.code(), Some(1), "{case}: sigstore-js accepted it: {}", text(&out));
        assert!(text(&out).contains(reason), "{case}: {}", text(&out));
    }

    // The bundle as written, but its files altered, or the key another one.
    let (_k, b) = copy();
    flip_byte(&b.join("junit.xml"), 100);
    let out = run(&demo().key, &b);
    assert_eq!(out.status.code(), Some(1), "a tampered file passed: {}", text(&out));
    assert!(text(&out).contains("junit.xml: sha256 is"), "{}", text(&out));
    let (_k, b) = copy();
    fs::write(b.join("extra.txt"), "added").expect("write");
    let out = run(&demo().key, &b);
    assert_eq!(out.status.code(), Some(1), "an added file passed: {}", text(&out));
    assert!(text(&out).contains("extra.txt: in"), "{}", text(&out));
    let out = run(&other().public, &demo().bundle);
    assert_eq!(out.status.code(), Some(1), "another key verified: {}", text(&out));
    assert!(text(&out).contains("key not found"), "{}", text(&out));
}

/// The README's openssl recipe, run as written there (README "Verifying a
/// bundle without certify").
#[test]
fn the_readme_openssl_recipe_verifies_the_signature() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    let start = readme.find("<!-- openssl-recipe -->").expect("README has the openssl recipe marker");
    let block = &readme[start..];
    let code_start = block.find("```sh\n").expect("a sh block") + 6;
    let code_end = block[code_start..].find("```").expect("end of block") + code_start;
    let script = &block[code_start..code_end];
    let out = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .env("BUNDLE", &demo().bundle)
        .env("PUB", &demo().key)
        .current_dir(tempfile::tempdir().expect("tempdir").keep())
        .output()
        .expect("bash");
    let all = text(&out);
    assert!(
        all.contains("Signature Verified Successfully"),
        "the openssl recipe failed (needs openssl and jq):\n{all}"
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
}

fn spawn_slow_demo(out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(["demo", "--fault", "slow", "--out", out.to_str().expect("utf-8")])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn certify")
}

/// Waits (up to 60 s) until the run writing `out` has started (its
/// temporary `.NAME.partial-PID` directory exists), then a little longer so
/// it has its signal handlers.
fn wait_until_running(out: &Path) {
    let parent = out.parent().expect("parent");
    let prefix = format!(".{}.partial-", out.file_name().expect("name").to_string_lossy());
    let started = std::time::Instant::now();
    while !fs::read_dir(parent)
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with(&prefix)))
        .unwrap_or(false)
    {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the run never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(800));
}

fn signal(child: &std::process::Child, sig: &str) {
    let status = Command::new("kill").args([sig, &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
}

#[test]
fn an_interrupted_run_leaves_a_bundle_that_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let child = spawn_slow_demo(&dir.path().join("interrupted"));
    let out = dir.path().join("interrupted/bundle");
    wait_until_running(&out);
    signal(&child, "-INT");
    let done = child.wait_with_output().expect("wait");
    assert_eq!(done.status.code(), Some(1), "{}", text(&done));
    assert!(text(&done).contains("INTERRUPTED"), "{}", text(&done));

    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("bundle.json")).expect("bundle.json")).expect("json");
    assert_eq!(m["status"], "interrupted");
    assert_eq!(m["complete"], false);
    let statuses: Vec<&str> =
        m["scenarios"].as_array().expect("scenarios").iter().filter_map(|s| s["status"].as_str()).collect();
    assert!(statuses.iter().any(|s| *s == "interrupted" || *s == "not-run"), "{statuses:?}");

    let key = dir.path().join("interrupted/bundle.pub.pem");
    let v = certify(&["verify", out.to_str().expect("utf-8"), "--key", key.to_str().expect("utf-8")]);
    let all = text(&v);
    assert_eq!(v.status.code(), Some(0), "the interrupted bundle is authentic evidence of an interrupted run: {all}");
    assert!(all.contains("result     FAILED (interrupted, INTERRUPTED: incomplete run)"), "{all}");
    assert!(!all.contains("PASSED"), "{all}");
}

#[test]
fn a_killed_run_leaves_only_a_partial_directory_that_does_not_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let child = spawn_slow_demo(&dir.path().join("killed"));
    let out = dir.path().join("killed/bundle");
    wait_until_running(&out);
    signal(&child, "-KILL");
    let done = child.wait_with_output().expect("wait");
    assert_eq!(done.status.code(), None, "killed by a signal");
    assert!(!out.exists(), "a killed run must not leave a bundle at its final place");
    let partial = fs::read_dir(dir.path().join("killed"))
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".bundle.partial-")))
        .expect("the temporary directory is left for inspection");
    let key = dir.path().join("killed/bundle.pub.pem");
    let v = certify(&["verify", partial.to_str().expect("utf-8"), "--key", key.to_str().expect("utf-8")]);
    let all = text(&v);
    assert_eq!(v.status.code(), Some(1), "{all}");
    assert!(all.contains("incomplete bundle"), "{all}");
}

/// The demo bundle's own statement, as signed, parsed by the in-toto
/// attestation library (Statement v1 and the test-result predicate).
#[test]
fn in_toto_attestation_accepts_the_demo_statement() {
    let env = envelope(&demo().bundle);
    let payload = B64.decode(env["payload"].as_str().expect("payload")).expect("b64");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("statement.json");
    fs::write(&path, &payload).expect("write");
    let check = r#"
import sys
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.predicates.test_result.v0 import test_result_pb2
with open(sys.argv[1], encoding="utf-8") as f:
    pb = json_format.Parse(f.read(), statement_pb2.Statement())
Statement.copy_from_pb(pb).validate()
assert pb.predicate_type == "https://in-toto.io/attestation/test-result/v0.1", pb.predicate_type
tr = json_format.Parse(json_format.MessageToJson(pb.predicate), test_result_pb2.TestResult())
for rd in tr.configuration:
    ResourceDescriptor.copy_from_pb(rd).validate()
print(tr.result, len(tr.passed_tests), len(tr.failed_tests))
"#;
    let out = Command::new(python()).args(["-c", check]).arg(&path).output().unwrap_or_else(|e| {
        panic!("cannot run {} (set CERTIFY_PYTHON to a Python with in-toto-attestation): {e}", python())
    });
    let all = text(&out);
    assert!(!all.contains("No module named"), "CERTIFY_PYTHON={} lacks in-toto-attestation: {all}", python());
    assert_eq!(out.status.code(), Some(0), "in-toto-attestation rejected the demo statement: {all}");
    assert!(all.starts_with("PASSED "), "{all}");
}

// --- The attestation files: accepted only exactly as certify wrote them ---

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use certify_evidence::attest::{Envelope, PAYLOAD_TYPE_INTOTO, SigningKey, Statement, to_sigstore_bundle};

/// A key the verifier also trusts in the matrix, so that "validly signed" really verifies.
struct Other {
    _dir: tempfile::TempDir,
    key: SigningKey,
    public: PathBuf,
}

fn other() -> &'static Other {
    static OTHER: OnceLock<Other> = OnceLock::new();
    OTHER.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        let public = dir.path().join("other.pub.pem");
        fs::write(&public, key.public().to_spki_pem()).expect("write");
        Other { _dir: dir, key, public }
    })
}

/// `certify verify PATH --key DEMO --key OTHER`.
fn verify_trusting_both(path: &Path) -> Output {
    let s = |p: &Path| p.to_str().expect("utf-8").to_owned();
    certify(&["verify", &s(path), "--key", &s(&demo().key), "--key", &s(&other().public)])
}

fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string(v).expect("json")
}

fn reencode(text: &str, engine: &base64::engine::GeneralPurpose) -> String {
    engine.encode(B64.decode(text).expect("standard base64"))
}

/// The mutations of an envelope file (`attestation.intoto.jsonl`, a decision record), each a
/// name and the file's new bytes. `file` is the file as certify wrote it.
fn envelope_file_mutations(file: &str) -> Vec<(&'static str, String)> {
    let env: serde_json::Value = serde_json::from_str(file.trim_end()).expect("an envelope");
    let line = json_text(&env);
    assert_eq!(format!("{line}\n"), file, "the untouched file is one compact line and a newline");
    let payload = B64.decode(env["payload"].as_str().expect("payload")).expect("b64");
    let payload_type = env["payloadType"].as_str().expect("payloadType").to_owned();
    let foreign = Envelope::sign(&payload_type, b"{}", &other().key);
    let second = Envelope::sign(&payload_type, &payload, &other().key);
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = env.clone();
        f(&mut v);
        format!("{}\n", json_text(&v))
    };
    let reordered = {
        let mut v = env.clone();
        let o = v.as_object_mut().expect("object");
        let p = o.shift_remove("payload").expect("payload");
        o.insert("payload".to_owned(), p);
        format!("{}\n", json_text(&v))
    };
    vec![
        ("appended envelope", format!("{file}{}", foreign.to_jsonl())),
        ("duplicated line", format!("{file}{file}")),
        (
            "second signature, valid, by another key",
            edit(&|v| {
                let sig = serde_json::to_value(&second.signatures[0]).expect("json");
                v["signatures"].as_array_mut().expect("array").push(sig);
            }),
        ),
        ("extra top-level field", edit(&|v| v["extra"] = true.into())),
        ("extra signature field", edit(&|v| v["signatures"][0]["extra"] = true.into())),
        ("keyid changed", edit(&|v| v["signatures"][0]["keyid"] = other().key.public().keyid().into())),
        (
            "keyid of another key, former form",
            edit(&|v| v["signatures"][0]["keyid"] = other().key.public().hint().into()),
        ),
        ("keyid emptied", edit(&|v| v["signatures"][0]["keyid"] = "".into())),
        (
            "base64 URL-safe, unpadded",
            edit(&|v| {
                v["payload"] = reencode(v["payload"].as_str().expect("payload"), &URL_SAFE_NO_PAD).into();
                v["signatures"][0]["sig"] =
                    reencode(v["signatures"][0]["sig"].as_str().expect("sig"), &URL_SAFE_NO_PAD).into();
            }),
        ),
        (
            "base64 unpadded",
            edit(&|v| {
                v["payload"] = reencode(v["payload"].as_str().expect("payload"), &STANDARD_NO_PAD).into();
                v["signatures"][0]["sig"] =
                    reencode(v["signatures"][0]["sig"].as_str().expect("sig"), &STANDARD_NO_PAD).into();
            }),
        ),
        ("keys reordered", reordered),
        ("pretty-printed", format!("{}\n", serde_json::to_string_pretty(&env).expect("json"))),
        ("space after a comma", format!("{}\n", line.replacen("\",\"", "\", \"", 1))),
        ("truncated", file[..file.len() / 2].to_owned()),
        ("trailing bytes", format!("{file}x")),
        ("trailing newline", format!("{file}\n")),
        ("trailing space", format!("{line} \n")),
        ("no final newline", line.clone()),
        ("CRLF", format!("{line}\r\n")),
    ]
}

/// Asserts that `out` is INVALID (exit 1), with a problem line naming `file`.
fn invalid_naming(out: &Output, file: &str, case: &str) {
    let all = text(out);
    assert_eq!(out.status.code(), Some(1), "{case}: expected exit 1:\n{all}");
    assert!(all.contains("INVALID"), "{case}:\n{all}");
    assert!(!all.contains("panicked"), "{case}:\n{all}");
    assert!(
        all.lines().any(|l| l.trim_start().starts_with(&format!("{file}: "))),
        "{case}: expected a problem naming {file}:\n{all}"
    );
}

#[test]
fn the_envelope_file_is_accepted_only_as_certify_wrote_it() {
    let original = fs::read_to_string(demo().bundle.join("attestation.intoto.jsonl")).expect("read");
    let out = verify_trusting_both(&demo().bundle);
    assert_eq!(out.status.code(), Some(0), "the untouched bundle verifies: {}", text(&out));
    for (case, bytes) in envelope_file_mutations(&original) {
        assert_ne!(bytes, original, "{case}: the mutation changed nothing");
        let (_k, b) = copy();
        fs::write(b.join("attestation.intoto.jsonl"), &bytes).expect("write");
        invalid_naming(&verify_trusting_both(&b), "attestation.intoto.jsonl", case);
    }
}

#[test]
fn the_sigstore_bundle_is_accepted_only_as_certify_wrote_it() {
    let original = fs::read_to_string(demo().bundle.join("attestation.sigstore.json")).expect("read");
    let jsonl = fs::read_to_string(demo().bundle.join("attestation.intoto.jsonl")).expect("read");
    let bundle: serde_json::Value = serde_json::from_str(&original).expect("json");
    let pretty = |v: &serde_json::Value| format!("{}\n", serde_json::to_string_pretty(v).expect("json"));
    assert_eq!(pretty(&bundle), original, "the untouched file is certify's pretty JSON and a newline");
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = bundle.clone();
        f(&mut v);
        pretty(&v)
    };
    let env = &bundle["dsseEnvelope"];
    let payload = B64.decode(env["payload"].as_str().expect("payload")).expect("b64");
    let second = Envelope::sign(PAYLOAD_TYPE_INTOTO, &payload, &other().key);
    // A different envelope, validly signed by a key the verifier trusts.
    let statement = Statement::from_bytes(&payload).expect("statement");
    let mut changed = statement.clone();
    changed.predicate["url"] = "https://example.invalid/elsewhere".into();
    let different = Envelope::sign(PAYLOAD_TYPE_INTOTO, &changed.to_bytes(), &other().key);
    let reordered = {
        let mut v = bundle.clone();
        let o = v.as_object_mut().expect("object");
        let m = o.shift_remove("mediaType").expect("mediaType");
        o.insert("mediaType".to_owned(), m);
        pretty(&v)
    };
    let first_line = original.lines().nth(1).expect("a second line");
    let cases: Vec<(&str, String)> = vec![
        ("appended envelope", format!("{original}{jsonl}")),
        ("duplicated line", original.replacen(first_line, &format!("{first_line}\n{first_line}"), 1)),
        (
            "second signature, valid, by another key",
            edit(&|v| {
                let sig = serde_json::to_value(&second.signatures[0]).expect("json");
                v["dsseEnvelope"]["signatures"].as_array_mut().expect("array").push(sig);
            }),
        ),
        ("extra top-level field", edit(&|v| v["extra"] = true.into())),
        ("extra verificationMaterial field", edit(&|v| v["verificationMaterial"]["extra"] = true.into())),
        ("extra publicKey field", edit(&|v| v["verificationMaterial"]["publicKey"]["extra"] = true.into())),
        ("extra dsseEnvelope field", edit(&|v| v["dsseEnvelope"]["extra"] = true.into())),
        ("extra signature field", edit(&|v| v["dsseEnvelope"]["signatures"][0]["extra"] = true.into())),
        ("a tlog entry", edit(&|v| v["verificationMaterial"]["tlogEntries"] = serde_json::json!([{"logIndex": "1"}]))),
        ("keyid set", edit(&|v| v["dsseEnvelope"]["signatures"][0]["keyid"] = other().key.public().hint().into())),
        (
            "publicKey hint changed",
            edit(&|v| v["verificationMaterial"]["publicKey"]["hint"] = other().key.public().hint().into()),
        ),
        (
            "base64 URL-safe, unpadded",
            edit(&|v| {
                let e = &mut v["dsseEnvelope"];
                e["payload"] = reencode(e["payload"].as_str().expect("payload"), &URL_SAFE_NO_PAD).into();
                e["signatures"][0]["sig"] =
                    reencode(e["signatures"][0]["sig"].as_str().expect("sig"), &URL_SAFE_NO_PAD).into();
            }),
        ),
        (
            "base64 unpadded",
            edit(&|v| {
                let e = &mut v["dsseEnvelope"];
                e["signatures"][0]["sig"] =
                    reencode(e["signatures"][0]["sig"].as_str().expect("sig"), &STANDARD_NO_PAD).into();
            }),
        ),
        ("compact JSON", format!("{}\n", json_text(&bundle))),
        ("re-indented", original.replace("  ", "\t")),
        ("keys reordered", reordered),
        ("a different, validly signed envelope", to_sigstore_bundle(&different, &other().key.public())),
        ("truncated", original[..original.len() / 2].to_owned()),
        ("trailing bytes", format!("{original}x")),
        ("trailing newline", format!("{original}\n")),
        ("trailing space", format!("{original} ")),
        ("no final newline", original.trim_end().to_owned()),
    ];
    for (case, bytes) in cases {
        assert_ne!(bytes, original, "{case}: the mutation changed nothing");
        let (_k, b) = copy();
        fs::write(b.join("attestation.sigstore.json"), &bytes).expect("write");
        invalid_naming(&verify_trusting_both(&b), "attestation.sigstore.json", case);
    }
}

/// Bundles written before the keyid became securesystemslib's carry the signer's hint as their
/// keyid; they still verify, and a stock securesystemslib says why it would not find the key.
#[test]
fn an_envelope_with_the_former_keyid_of_its_signer_still_verifies() {
    let demo_key = certify_evidence::attest::load_public_key(&demo().key).expect("the demo's key");
    let env = envelope(&demo().bundle);
    assert_eq!(env["signatures"][0]["keyid"], demo_key.keyid().as_str(), "the demo writes today's keyid");
    let (_k, b) = copy();
    let mut former = env.clone();
    former["signatures"][0]["keyid"] = demo_key.hint().into();
    write_envelope(&b, &former);
    let out = verify(&b);
    assert_eq!(out.status.code(), Some(0), "a bundle with the former keyid: {}", text(&out));
    assert!(text(&out).contains("VALID"), "{}", text(&out));
}

/// The demo's decision record, from the archive next to the demo bundle.
fn demo_record() -> PathBuf {
    let decisions = demo().bundle.parent().expect("parent").join("archive/decisions");
    let mut records: Vec<PathBuf> = fs::read_dir(&decisions)
        .expect("the demo archived a decision")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".intoto.jsonl"))
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    records.remove(0)
}

#[test]
fn a_decision_record_is_accepted_only_as_certify_wrote_it() {
    let record = demo_record();
    let original = fs::read_to_string(&record).expect("read");
    let out = verify_trusting_both(&record);
    assert_eq!(out.status.code(), Some(0), "the untouched record verifies: {}", text(&out));
    let dir = tempfile::tempdir().expect("tempdir");
    let name = record.file_name().expect("name").to_string_lossy().into_owned();
    for (case, bytes) in envelope_file_mutations(&original) {
        assert_ne!(bytes, original, "{case}: the mutation changed nothing");
        let copy = dir.path().join(&name);
        fs::write(&copy, &bytes).expect("write");
        invalid_naming(&verify_trusting_both(&copy), &name, case);
    }
}

/// A statement that is not certify's serialization of itself, validly signed by a trusted key:
/// an unknown field at the statement level, or the same statement pretty-printed.
#[test]
fn a_signed_statement_is_accepted_only_in_certifys_serialization() {
    let file = fs::read_to_string(demo().bundle.join("attestation.intoto.jsonl")).expect("read");
    let env: serde_json::Value = serde_json::from_str(file.trim_end()).expect("json");
    let payload = B64.decode(env["payload"].as_str().expect("payload")).expect("b64");
    let statement: serde_json::Value = serde_json::from_slice(&payload).expect("json");
    let mut extra = statement.clone();
    extra["extra"] = true.into();
    let mut extra_subject = statement.clone();
    extra_subject["subject"][0]["extra"] = true.into();
    let mut extra_predicate = statement.clone();
    extra_predicate["predicate"]["extra"] = true.into();
    let cases = [
        ("unknown statement field", serde_json::to_vec(&extra).expect("json"), "unknown field `extra`"),
        ("unknown subject field", serde_json::to_vec(&extra_subject).expect("json"), "unknown field `extra`"),
        ("unknown predicate field", serde_json::to_vec(&extra_predicate).expect("json"), "unknown field `extra`"),
        ("pretty-printed", serde_json::to_vec_pretty(&statement).expect("json"), "not byte-for-byte"),
    ];
    for (case, bytes, reason) in cases {
        let (_k, b) = copy();
        let signed = Envelope::sign(PAYLOAD_TYPE_INTOTO, &bytes, &other().key);
        fs::write(b.join("attestation.intoto.jsonl"), signed.to_jsonl()).expect("write");
        fs::write(b.join("attestation.sigstore.json"), to_sigstore_bundle(&signed, &other().key.public()))
            .expect("write");
        let out = verify_trusting_both(&b);
        invalid_naming(&out, "attestation.intoto.jsonl", case);
        assert!(text(&out).contains(reason), "{case}: {}", text(&out));
    }
}
