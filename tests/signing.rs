//! Where `certify run` gets its signing key, and what it refuses: a key
//! file others can read, no key at all (unless --no-sign). Runs against the
//! reference platform started with `certify demo --serve --port 0`.

use std::{
    fs,
    io::{BufRead as _, BufReader},
    os::unix::fs::PermissionsExt as _,
    path::Path,
    process::{Child, Command, Output, Stdio},
};

struct Platform {
    child: Child,
    url: String,
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn platform() -> Platform {
    let mut child = Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(["demo", "--serve", "--port", "0"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn certify demo --serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines.next().expect("demo --serve printed its address").expect("read");
        if let Some(at) = line.find("http://") {
            break line[at..].split_whitespace().next().expect("url").to_owned();
        }
    };
    Platform { child, url }
}

fn project(dir: &Path, evidence: &str) {
    fs::create_dir_all(dir.join("features")).expect("mkdir");
    fs::write(
        dir.join("certify.toml"),
        format!(
            "[suite]\nfeatures = \"features\"\n\n[targets.ref]\nbase_url = \"${{REF_URL}}\"\ntimeout = \"5s\"\n\n{evidence}"
        ),
    )
    .expect("write");
    fs::write(
        dir.join("features/health.feature"),
        "@feature:platform-status\nFeature: Health\n  Scenario: the platform is up\n    When I send a GET request to \"/health\"\n    Then the response status is 200\n",
    )
    .expect("write");
}

fn run(dir: &Path, url: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certify"));
    cmd.arg("run")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("REF_URL", url)
        .current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run certify")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn keygen(prefix: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(["keygen", "--out", prefix.to_str().expect("utf-8")])
        .output()
        .expect("keygen");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mode = fs::metadata(prefix.with_extension("key")).expect("key").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "keygen writes the private key with mode 0600");
}

fn verify(bundle: &Path, key: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(["verify", bundle.to_str().expect("utf-8"), "--key", key.to_str().expect("utf-8")])
        .output()
        .expect("verify")
}

#[test]
fn keys_come_from_the_environment_or_the_config_and_careless_ones_are_refused() {
    let p = platform();
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = dir.path().join("keys");
    fs::create_dir_all(&keys).expect("mkdir");
    keygen(&keys.join("release"));
    let key = keys.join("release.key");
    let public = keys.join("release.pub.pem");

    // No key and no --no-sign: a usage error, nothing is run.
    project(dir.path(), "");
    let out = run(dir.path(), &p.url, &[], &["--out", "b0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no signing key"), "{}", text(&out));
    assert!(!dir.path().join("b0").exists());

    // CERTIFY_SIGNING_KEY as a path.
    let out = run(dir.path(), &p.url, &[("CERTIFY_SIGNING_KEY", key.to_str().expect("utf-8"))], &["--out", "b1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(verify(&dir.path().join("b1"), &public).status.code(), Some(0));

    // --archive DIR adds the bundle to an archive once it is written and verified.
    let archive = dir.path().join("archive");
    let out = run(
        dir.path(),
        &p.url,
        &[("CERTIFY_SIGNING_KEY", key.to_str().expect("utf-8"))],
        &["--out", "b1a", "--archive", archive.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let index = fs::read_to_string(archive.join("index.jsonl")).expect("the archive's index");
    assert_eq!(index.lines().count(), 1, "{index}");
    assert!(index.contains("\"kind\":\"bundle\""), "{index}");

    // CERTIFY_SIGNING_KEY as the PEM itself; the key never reaches the output or the bundle.
    let pem = fs::read_to_string(&key).expect("read key");
    let out = run(dir.path(), &p.url, &[("CERTIFY_SIGNING_KEY", &pem)], &["--out", "b2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(verify(&dir.path().join("b2"), &public).status.code(), Some(0));
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    for e in walk(&dir.path().join("b2")) {
        let t = String::from_utf8_lossy(&fs::read(&e).expect("read")).into_owned();
        assert!(!t.contains(&body), "{} holds the private key", e.display());
    }
    assert!(!text(&out).contains(&body));

    // [evidence] signing_key = { file = ... } in certify.toml.
    project(dir.path(), "[evidence]\nsigning_key = { file = \"keys/release.key\" }\n");
    let out = run(dir.path(), &p.url, &[], &["--out", "b3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(verify(&dir.path().join("b3"), &public).status.code(), Some(0));

    // A key file that group or others can read is refused (exit 3), with the fix.
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = run(dir.path(), &p.url, &[], &["--out", "b4"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("chmod 600"), "{}", text(&out));
    assert!(!dir.path().join("b4").exists());

    // --no-sign: an unsigned bundle, said so.
    let out = run(dir.path(), &p.url, &[], &["--out", "b5", "--no-sign"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("UNSIGNED"), "{}", text(&out));
    assert_eq!(verify(&dir.path().join("b5"), &public).status.code(), Some(1));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}
