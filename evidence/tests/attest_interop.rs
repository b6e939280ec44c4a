//! Interoperability of the attestation primitives with outside tools: openssl
//! reads our keys and verifies our signatures (and we read and verify its),
//! `tests/tools/verify_dsse.py` (stock securesystemslib, nothing adjusted) verifies
//! our envelopes, whose keyid is the one securesystemslib computes for the key,
//! and the `in-toto-attestation`
//! Python package accepts our Statement. The tools are required, never skipped:
//! openssl must be on PATH, and the Python interpreter named by
//! `CERTIFY_PYTHON` (default `python3`) must have `securesystemslib`,
//! `cryptography` and `in-toto-attestation` installed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use certify_evidence::attest::{
    Envelope, PAYLOAD_TYPE_INTOTO, PublicKey, ResourceDescriptor, SigningKey, Statement, TestResult,
    envelope_from_sigstore_bundle, keygen, load_public_key, load_signing_key, pae, sha256_hex, to_sigstore_bundle,
};

const PYTHON_PACKAGES: &str = "securesystemslib, cryptography and in-toto-attestation";

fn run(program: &str, args: &[&str], needs: &str) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("this test needs {needs}: cannot run `{program}`: {e}"))
}

fn openssl(args: &[&str]) -> Output {
    run("openssl", args, "openssl on PATH")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// The interpreter named by `CERTIFY_PYTHON`, checked to have the packages the
/// outside verifiers need.
fn python() -> String {
    let python = std::env::var("CERTIFY_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let needs = format!("a Python interpreter with {PYTHON_PACKAGES} (set CERTIFY_PYTHON; now `{python}`)");
    let out =
        run(&python, &["-c", "import securesystemslib.dsse, cryptography, in_toto_attestation.v1.statement"], &needs);
    assert!(
        out.status.success(),
        "this test needs {needs}; `pip install securesystemslib cryptography in-toto-attestation`:\n{}",
        text(&out.stderr)
    );
    python
}

fn verify_dsse_script() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tools/verify_dsse.py");
    assert!(path.is_file(), "this test needs the outside verifier at {}", path.display());
    path
}

/// A small bundle-like directory, its Statement (subject = its files by
/// sha256 plus a git commit), and that Statement's bytes.
fn subject_dir(dir: &Path) -> (Statement, Vec<u8>) {
    let files: [(&str, &[u8]); 3] = [
        ("bundle.json", br#"{"schema":1}"#),
        ("junit.xml", b"<testsuites/>\n"),
        ("transcripts/signup/1.json", b"{\"status\":201}\n"),
    ];
    let mut subject = Vec::new();
    for (name, content) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().expect("files are under the dir")).unwrap();
        fs::write(&path, content).unwrap();
        subject.push(ResourceDescriptor::file(name, sha256_hex(content)));
    }
    subject.push(ResourceDescriptor::git_commit(
        Some("https://example.invalid/suite.git".to_owned()),
        "0123456789abcdef0123456789abcdef01234567",
    ));
    let result = TestResult {
        result: TestResult::PASSED.to_owned(),
        configuration: vec![ResourceDescriptor::file("certify.toml", sha256_hex(b"[x]\n"))],
        url: None,
        passed_tests: vec!["features/signup.feature:3".to_owned(), "features/quota.feature:9".to_owned()],
        warned_tests: vec![],
        failed_tests: vec![],
    };
    let statement = Statement::test_result(subject, &result);
    let bytes = statement.to_bytes();
    (statement, bytes)
}

#[test]
fn openssl_derives_the_same_public_key_from_a_keygen_key() {
    let dir = tempfile::tempdir().unwrap();
    let (key_path, pub_path) = keygen(&dir.path().join("release")).unwrap();
    let out = openssl(&["pkey", "-in", s(&key_path), "-pubout"]);
    assert!(out.status.success(), "openssl pkey failed: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), fs::read_to_string(&pub_path).unwrap());

    // openssl also names it an Ed25519 key.
    let out = openssl(&["pkey", "-in", s(&key_path), "-noout", "-text"]);
    assert!(text(&out.stdout).starts_with("ED25519 Private-Key"), "{}", text(&out.stdout));
}

#[cfg(unix)]
#[test]
fn keygen_creates_the_private_key_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let (key_path, pub_path) = keygen(&dir.path().join("k")).unwrap();
    assert_eq!(fs::metadata(&key_path).unwrap().permissions().mode() & 0o777, 0o600);
    let pub_mode = fs::metadata(&pub_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(pub_mode & 0o600, 0o600, "public key mode {pub_mode:o}");
    assert_eq!(pub_mode & 0o133, 0, "public key mode {pub_mode:o}");

    fs::set_permissions(&key_path, fs::Permissions::from_mode(0o644)).unwrap();
    let err = load_signing_key(s(&key_path), "CERTIFY_SIGNING_KEY").unwrap_err();
    assert!(err.to_string().contains(&format!("chmod 600 {}", key_path.display())), "{err}");
}

#[test]
fn openssl_verifies_our_signature_over_the_pae() {
    let dir = tempfile::tempdir().unwrap();
    let (key_path, pub_path) = keygen(&dir.path().join("k")).unwrap();
    let key = load_signing_key(s(&key_path), "test").unwrap();
    let (_, payload) = subject_dir(dir.path());
    let env = Envelope::sign(PAYLOAD_TYPE_INTOTO, &payload, &key);

    let pae_path = dir.path().join("pae.bin");
    let sig_path = dir.path().join("sig.bin");
    fs::write(&pae_path, pae(&env.payload_type, &env.payload_bytes().unwrap())).unwrap();
    fs::write(&sig_path, key.sign(&fs::read(&pae_path).unwrap())).unwrap();
    let verify = |pae: &Path| {
        openssl(&[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            s(&pub_path),
            "-rawin",
            "-in",
            s(pae),
            "-sigfile",
            s(&sig_path),
        ])
    };
    let out = verify(&pae_path);
    assert!(
        out.status.success() && text(&out.stdout).contains("Signature Verified Successfully"),
        "openssl did not verify: {} {}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // The envelope's own signature is that same signature (Ed25519 is deterministic).
    use base64::Engine as _;
    let env_sig = base64::engine::general_purpose::STANDARD.decode(&env.signatures[0].sig).unwrap();
    assert_eq!(env_sig, fs::read(&sig_path).unwrap());

    // And openssl does say no to a changed message.
    let mut tampered = fs::read(&pae_path).unwrap();
    let last = tampered.len() - 2;
    tampered[last] ^= 0x01;
    let tampered_path = dir.path().join("tampered.bin");
    fs::write(&tampered_path, tampered).unwrap();
    let out = verify(&tampered_path);
    assert!(!out.status.success(), "openssl verified a tampered message: {}", text(&out.stdout));
}

#[test]
fn we_read_openssl_keys_and_sign_exactly_as_openssl_does() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("openssl.key");
    let out = openssl(&["genpkey", "-algorithm", "ed25519", "-out", s(&key_path)]);
    assert!(out.status.success(), "openssl genpkey failed: {}", text(&out.stderr));
    let pem = fs::read_to_string(&key_path).unwrap();
    let key = SigningKey::from_pkcs8_pem(&pem).unwrap();
    assert_eq!(key.to_pkcs8_pem(), pem, "our PKCS#8 output is byte for byte openssl's");

    let out = openssl(&["pkey", "-in", s(&key_path), "-pubout"]);
    let public = PublicKey::from_spki_pem(&text(&out.stdout)).unwrap();
    assert_eq!(public, key.public());
    assert_eq!(public.to_spki_pem(), text(&out.stdout));

    let message = pae(PAYLOAD_TYPE_INTOTO, b"{\"a\":1}");
    let msg_path = dir.path().join("msg.bin");
    let sig_path = dir.path().join("sig.bin");
    fs::write(&msg_path, &message).unwrap();
    let out =
        openssl(&["pkeyutl", "-sign", "-inkey", s(&key_path), "-rawin", "-in", s(&msg_path), "-out", s(&sig_path)]);
    assert!(out.status.success(), "openssl pkeyutl -sign failed: {}", text(&out.stderr));
    let sig = fs::read(&sig_path).unwrap();
    assert!(public.verify(&message, &sig));
    assert_eq!(sig, key.sign(&message));
}

/// The keyid `SSlibKey.from_crypto(key)` computes, by securesystemslib itself.
fn securesystemslib_keyid(python: &str, public: &Path) -> String {
    const KEYID: &str = "import sys\n\
        from cryptography.hazmat.primitives.serialization import load_pem_public_key\n\
        from securesystemslib.signer import SSlibKey\n\
        print(SSlibKey.from_crypto(load_pem_public_key(open(sys.argv[1], 'rb').read())).keyid)\n";
    let out = run(python, &["-c", KEYID, s(public)], "the Python interpreter in CERTIFY_PYTHON");
    assert!(out.status.success(), "securesystemslib could not read {}: {}", public.display(), text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

#[test]
fn the_keyid_is_the_one_securesystemslib_computes() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        let (key_path, pub_path) = keygen(&dir.path().join(format!("k{i}"))).unwrap();
        let key = load_signing_key(s(&key_path), "test").unwrap();
        let expected = securesystemslib_keyid(&python, &pub_path);
        assert_eq!(expected.len(), 64, "{expected}");
        assert_eq!(key.public().keyid(), expected);
        let env = Envelope::sign(PAYLOAD_TYPE_INTOTO, b"{}", &key);
        assert_eq!(env.signatures[0].keyid, expected, "the envelope carries it");
    }
}

#[test]
fn securesystemslib_verifies_the_envelope_as_written() {
    let python = python();
    let script = verify_dsse_script();
    let work = tempfile::tempdir().unwrap();
    let bundle = work.path().join("bundle");
    fs::create_dir(&bundle).unwrap();
    let (key_path, pub_path) = keygen(&work.path().join("release")).unwrap();
    let key = load_signing_key(s(&key_path), "test").unwrap();
    let (_, payload) = subject_dir(&bundle);
    let env = Envelope::sign(PAYLOAD_TYPE_INTOTO, &payload, &key);

    let jsonl = work.path().join("attestation.intoto.jsonl");
    fs::write(&jsonl, format!("{}\n", env.to_json_line())).unwrap();
    let sigstore = work.path().join("attestation.sigstore.json");
    fs::write(&sigstore, to_sigstore_bundle(&env, &key.public())).unwrap();

    let verify = |public: &Path, envelope: &Path| {
        let out =
            run(&python, &[s(&script), s(public), s(envelope), s(&bundle)], "the Python interpreter in CERTIFY_PYTHON");
        (out.status.success(), format!("{}{}", text(&out.stdout), text(&out.stderr)))
    };

    let (ok, out) = verify(&pub_path, &jsonl);
    assert!(ok, "verify_dsse.py rejected {}: {out}", jsonl.display());
    assert_eq!(out.trim(), "https://in-toto.io/attestation/test-result/v0.1 PASSED");

    // The Sigstore form keeps the keyid empty; the script says where it is verified.
    let (ok, out) = verify(&pub_path, &sigstore);
    assert!(!ok && out.contains("verify_sigstore.mjs"), "{out}");

    // Stock securesystemslib finds the key only under its own keyid: the keyid
    // envelopes carried before (the key's hint), or another, is not found.
    for keyid in [key.public().hint(), String::new(), "trusted".to_owned()] {
        let mut other = env.clone();
        other.signatures[0].keyid = keyid.clone();
        let path = work.path().join("keyid.intoto.jsonl");
        fs::write(&path, other.to_jsonl()).unwrap();
        let (ok, out) = verify(&pub_path, &path);
        assert!(!ok && out.contains("Accepted signatures do not match threshold"), "keyid {keyid:?}: {out}");
    }

    // Another key is refused.
    let (_, other_pub) = keygen(&work.path().join("other")).unwrap();
    let (ok, out) = verify(&other_pub, &jsonl);
    assert!(!ok && out.contains("verification failed"), "{out}");

    // A changed signature is refused.
    let mut bad = env.clone();
    bad.signatures[0].sig = Envelope::sign(PAYLOAD_TYPE_INTOTO, b"{}", &key).signatures[0].sig.clone();
    let bad_path = work.path().join("bad.intoto.jsonl");
    fs::write(&bad_path, bad.to_json_line()).unwrap();
    let (ok, out) = verify(&pub_path, &bad_path);
    assert!(!ok, "a foreign signature verified: {out}");

    // A tampered subject file is caught.
    fs::write(bundle.join("transcripts/signup/1.json"), b"{\"status\":500}\n").unwrap();
    let (ok, out) = verify(&pub_path, &jsonl);
    assert!(!ok, "tampered subject passed: {out}");
    assert!(out.contains("transcripts/signup/1.json: sha256 is"), "{out}");
}

#[test]
fn the_sigstore_form_holds_the_same_envelope_with_an_empty_keyid() {
    let key = SigningKey::generate();
    let dir = tempfile::tempdir().unwrap();
    let (_, payload) = subject_dir(dir.path());
    let env = Envelope::sign(PAYLOAD_TYPE_INTOTO, &payload, &key);
    let (back, hint) = envelope_from_sigstore_bundle(&to_sigstore_bundle(&env, &key.public())).unwrap();
    assert_eq!(hint.as_deref(), Some(key.public().hint().as_str()));
    assert_eq!(back.payload, env.payload);
    assert_eq!(back.signatures[0].sig, env.signatures[0].sig);
    assert_eq!(back.signatures[0].keyid, "");
    let keys = [key.public()];
    let (statement, bytes, _) = back.verify_statement(&keys).unwrap();
    assert_eq!(bytes, payload);
    assert_eq!(statement.test_result_predicate().unwrap().result, "PASSED");
}

/// Parses a Statement into the v1 Statement protobuf of `in-toto-attestation`,
/// validates it, and parses its predicate as the test-result protobuf.
const INTOTO_CHECK: &str = r#"
import sys
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.predicates.test_result.v0 import test_result_pb2

with open(sys.argv[1], encoding="utf-8") as f:
    pb = json_format.Parse(f.read(), statement_pb2.Statement())
Statement.copy_from_pb(pb).validate()
if pb.predicate_type != "https://in-toto.io/attestation/test-result/v0.1":
    sys.exit(f"predicate type {pb.predicate_type}")
tr = json_format.Parse(json_format.MessageToJson(pb.predicate), test_result_pb2.TestResult())
if tr.result not in ("PASSED", "WARNED", "FAILED"):
    sys.exit(f"result {tr.result!r}")
for rd in tr.configuration:
    ResourceDescriptor.copy_from_pb(rd).validate()
print(tr.result, len(pb.subject), len(tr.configuration), len(tr.passed_tests), len(tr.failed_tests))
"#;

#[test]
fn in_toto_attestation_accepts_the_statement() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let (statement, bytes) = subject_dir(dir.path());
    let check = |bytes: &[u8]| {
        let path = dir.path().join("statement.json");
        fs::write(&path, bytes).unwrap();
        let out = run(&python, &["-c", INTOTO_CHECK, s(&path)], "the Python interpreter in CERTIFY_PYTHON");
        (out.status.success(), format!("{}{}", text(&out.stdout), text(&out.stderr)))
    };

    let (ok, out) = check(&bytes);
    assert!(ok, "in-toto-attestation rejected our Statement: {out}");
    assert_eq!(out.trim(), "PASSED 4 1 2 0");

    // The check itself can fail: a Statement without subjects, and a predicate
    // field the test-result schema does not have.
    let mut empty = statement.clone();
    empty.subject.clear();
    let (ok, out) = check(&empty.to_bytes());
    assert!(!ok && out.contains("At least one subject required"), "{out}");

    let mut odd = statement;
    odd.predicate["passed"] = serde_json::json!(true);
    let (ok, out) = check(&odd.to_bytes());
    assert!(!ok && out.contains("passed"), "{out}");
}

#[test]
fn a_public_key_file_written_by_keygen_loads() {
    let dir = tempfile::tempdir().unwrap();
    let (key_path, pub_path) = keygen(&dir.path().join("k")).unwrap();
    let key = load_signing_key(s(&key_path), "test").unwrap();
    assert_eq!(load_public_key(&pub_path).unwrap(), key.public());
    let err = load_public_key(&dir.path().join("absent.pub.pem")).unwrap_err();
    assert!(err.to_string().contains("absent.pub.pem"), "{err}");
}

#[test]
fn keys_of_other_algorithms_from_openssl_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (&["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"][..], "an EC (ECDSA) key"),
        (&["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"][..], "an RSA key"),
        (&["-algorithm", "x25519"][..], "an X25519 key"),
    ];
    for (i, (args, name)) in cases.into_iter().enumerate() {
        let key_path = dir.path().join(format!("{i}.key"));
        let mut full = vec!["genpkey"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["-out", s(&key_path)]);
        let out = openssl(&full);
        assert!(out.status.success(), "openssl genpkey {args:?} failed: {}", text(&out.stderr));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(&key_path, fs::Permissions::from_mode(0o600)).unwrap();
        }
        let err = load_signing_key(s(&key_path), "CERTIFY_SIGNING_KEY").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(name) && msg.contains("only Ed25519"), "{msg}");
        assert!(msg.contains(s(&key_path)), "{msg}");

        let pub_path = dir.path().join(format!("{i}.pub.pem"));
        let out = openssl(&["pkey", "-in", s(&key_path), "-pubout", "-out", s(&pub_path)]);
        assert!(out.status.success(), "openssl pkey -pubout failed: {}", text(&out.stderr));
        let err = load_public_key(&pub_path).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
    }
}
