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
