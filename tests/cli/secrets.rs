//! A credential's value never leaves the process: not on stdout, not on
//! stderr, not in any output file, even when the target echoes it back in a
//! body, a header or a URL and the scenario fails on it; nor does the
//! signing key.

use crate::support::{Project, Server, files_under};

const TOKEN: &str = "e2e-bearer-Zq7xK2mW9pLf4";
const KEY: &str = "e2e-apikey-Hv3nR8tY5sJd1";

#[test]
fn credential_values_never_appear_in_any_output() {
    let server = Server::start();
    let project = Project::fixture("run/secrets");
    let key = project.keygen();
    let pem = std::fs::read_to_string(&key.private).unwrap_or_else(|e| panic!("{e}"));
    let signing_key = key.private_body();
    let out = project.out("out");
    let mut outputs = Vec::new();
    for format in ["text", "json"] {
        let out = out.join(format);
        let run = project
            .certify()
            .args(["run", "--format", format, "--out"])
            .arg(&out)
            .env("TARGET_URL", server.url())
            .env("E2E_SECRET_TOKEN", TOKEN)
            .env("E2E_SECRET_KEY", KEY)
            // The PEM itself, as CI secrets are usually passed.
            .env("CERTIFY_SIGNING_KEY", &pem)
            .run();
        run.expect_code(1);
        key.assert_verifies(&out);
        outputs.push(run);
    }

    // The secrets did reach the target and came back: otherwise this test
    // would prove nothing.
    assert!(server.state.echo_received(TOKEN), "the bearer token was never sent");
    assert!(server.state.echo_received(KEY), "the API key was never sent");
    let summary = outputs[1].json();
    assert_eq!(
        summary["counts"]["failed"].as_u64().unwrap_or(0) + summary["counts"]["errored"].as_u64().unwrap_or(0),
        6,
        "every scenario fails on the echoed secret:\n{}",
        outputs[1]
    );

    let mut leaks = Vec::new();
    for run in &outputs {
        for secret in [TOKEN, KEY, signing_key.as_str()] {
            if run.stdout.contains(secret) {
                leaks.push(format!("stdout of `{}`", run.command));
            }
            if run.stderr.contains(secret) {
                leaks.push(format!("stderr of `{}`", run.command));
            }
        }
    }
    let files = files_under(&out);
    assert!(!files.is_empty(), "the runs wrote nothing under {}", out.display());
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let text = String::from_utf8_lossy(&bytes);
        for secret in [TOKEN, KEY, signing_key.as_str()] {
            if text.contains(secret) {
                let line = text.lines().find(|l| l.contains(secret)).unwrap_or_default().trim();
                leaks.push(format!("{} ({line})", file.display()));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "a secret value appears in:\n  {}\n\n{}\n\n{}",
        leaks.join("\n  "),
        outputs[0],
        outputs[1]
    );
}

/// Fails unless `output` holds no 8-byte piece of `input`, apart from the PEM
/// armour lines, which errors may name on purpose.
fn assert_quotes_nothing(input: &str, output: &str, what: &str) {
    const ARMOUR: [&str; 4] = [
        "-----BEGIN PRIVATE KEY-----",
        "-----END PRIVATE KEY-----",
        "-----BEGIN PUBLIC KEY-----",
        "-----END PUBLIC KEY-----",
    ];
    for window in input.as_bytes().windows(8) {
        let piece = String::from_utf8_lossy(window);
        if ARMOUR.iter().any(|a| a.contains(piece.as_ref())) {
            continue;
        }
        assert!(!output.contains(piece.as_ref()), "{what} quotes {piece:?} of the key it was given:\n{output}");
    }
}

/// The key material of a fresh RSA key, from openssl (a required tool here).
fn rsa_key() -> String {
    let out = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"])
        .output()
        .unwrap_or_else(|e| panic!("openssl is required to make an RSA key for this test and could not run: {e}"));
    assert!(out.status.success(), "openssl genpkey failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("openssl wrote no PEM: {e}"))
}

#[test]
fn a_bad_signing_key_is_described_never_echoed() {
    let server = Server::start();
    let project = Project::fixture("run/secrets");
    let key = project.keygen();
    let pem = std::fs::read_to_string(&key.private).unwrap_or_else(|e| panic!("{e}"));
    let public = std::fs::read_to_string(&key.public).unwrap_or_else(|e| panic!("{e}"));
    let body = key.private_body();
    let inputs = [
        ("a PEM whose newlines became spaces", pem.replace('\n', " ")),
        ("a PEM whose newlines became a literal \\n", pem.replace('\n', "\\n")),
        ("a truncated PEM", pem[..pem.len() * 2 / 3].to_owned()),
        ("a public key", public),
        ("the PEM body without its armour", body.clone()),
        ("a random base64 blob", "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=".to_owned()),
        ("a hex seed", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60".to_owned()),
        ("an RSA key", rsa_key()),
        ("an RSA key, flattened", rsa_key().replace('\n', " ")),
    ];
    for (what, input) in &inputs {
        // The PEM itself in the variable, as CI secrets are usually passed...
        let run = project
            .certify()
            .args(["run", "--out"])
            .arg(project.out("never"))
            .env("TARGET_URL", server.url())
            .env("E2E_SECRET_TOKEN", "e2e-bearer-Zq7xK2mW9pLf4")
            .env("CERTIFY_SIGNING_KEY", input)
            .run();
        run.expect_code(3);
        assert!(run.stderr.contains("CERTIFY_SIGNING_KEY"), "{what}: the error names the variable:\n{run}");
        assert_quotes_nothing(input, &format!("{}{}", run.stdout, run.stderr), &format!("`certify run` given {what}"));

        // ...and in a key file named by the variable: the file is named, its content is not.
        let file = project.path().join("keys").join("bad.key");
        std::fs::write(&file, input).unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap_or_else(|e| panic!("{e}"));
        }
        let run = project
            .certify()
            .args(["run", "--out"])
            .arg(project.out("never"))
            .env("TARGET_URL", server.url())
            .env("E2E_SECRET_TOKEN", "e2e-bearer-Zq7xK2mW9pLf4")
            .env("CERTIFY_SIGNING_KEY", &file)
            .run();
        run.expect_code(3);
        assert!(run.stderr.contains("bad.key"), "{what}: the error names the file:\n{run}");
        assert_quotes_nothing(
            input,
            &format!("{}{}", run.stdout, run.stderr),
            &format!("`certify run` given {what} in a file"),
        );
    }
}
