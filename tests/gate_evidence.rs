//! What `certify gate` says about archived evidence it does not use because of who signed it:
//! a key the stage does not trust (named by its fingerprint) is told apart from a bundle whose
//! signature by a trusted key does not verify.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Output},
};

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

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The trusted-key reasons of `certify gate --format json` on the demo's archive, with a
/// policy whose one stage trusts only `key`.
fn trusted_key_reasons(dir: &Path, key: &Path) -> Vec<String> {
    let policy = dir.join("policy.toml");
    fs::write(
        &policy,
        format!(
            "[stage.check]\nfrom_target = \"local\"\nrequire = \"ga\"\ntrusted_keys = [{:?}]\nrequire_signed = true\n",
            s(key)
        ),
    )
    .expect("write policy");
    let archive = dir.join("archive");
    let out = certify(&[
        "gate",
        "--policy",
        s(&policy),
        "--stage",
        "check",
        "--candidate",
        "2.0.0",
        "--archive",
        s(&archive),
        "--no-sign",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "the gate blocks: {}", text(&out));
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
    decision["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter(|r| r["rule"] == "trusted-key")
        .map(|r| r["message"].as_str().expect("message").to_owned())
        .collect()
}

#[test]
fn the_gate_tells_an_untrusted_key_from_a_signature_that_does_not_verify() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let out = certify(&["demo", "--out", s(dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let demo_key = dir.join("bundle.pub.pem");
    let fingerprint = certify_evidence::attest::load_public_key(&demo_key).expect("the demo's key").fingerprint();

    // Signed by the demo's key, which this stage does not trust.
    assert_eq!(certify(&["keygen", "--out", s(&dir.join("release"))]).status.code(), Some(0));
    let reasons = trusted_key_reasons(dir, &dir.join("release.pub.pem"));
    assert_eq!(
        reasons,
        [format!("not used: signed by a key that is not trusted by this stage (fingerprint SHA256:{fingerprint})")]
    );

    // Signed by a trusted key, but a file of the archived bundle was altered.
    let bundles: Vec<PathBuf> =
        fs::read_dir(dir.join("archive/bundles")).expect("bundles").flatten().map(|e| e.path()).collect();
    assert_eq!(bundles.len(), 1, "{bundles:?}");
    let junit = bundles[0].join("junit.xml");
    let mut bytes = fs::read(&junit).expect("read");
    bytes[100] ^= 0x01;
    fs::write(&junit, bytes).expect("write");
    let reasons = trusted_key_reasons(dir, &demo_key);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].starts_with(&format!(
            "not used: signature does not verify: the bundle names trusted key SHA256:{fingerprint}"
        )),
        "{reasons:?}"
    );
}
