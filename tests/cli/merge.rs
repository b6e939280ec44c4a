//! `certify merge`: the shipped suite run whole and as three shards against
//! the reference platform; the merged bundle is the unsharded run's in
//! everything but times and ids (testcases, verdicts, the statement's
//! tests), verifies, validates, archives and gates; shards that are
//! missing, repeated, foreign or tampered with are refused by name.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use base64::Engine as _;
use serde_json::Value;
use sha2::Digest as _;

use crate::support::{KeyPair, Outcome, Project, assert_valid_junit, copy_tree, read_junit, repo_root, testcase_ids};

/// The shipped project in git, the reference platform, and the bundles of
/// its runs (made once, shared by the tests here).
struct Runs {
    project: Project,
    key: KeyPair,
    token: String,
    /// The whole suite, unsharded.
    full: PathBuf,
    /// Shards 1/3, 2/3 and 3/3.
    shards: [PathBuf; 3],
    /// Shard 3/3 at another platform version.
    other_version: PathBuf,
    /// Shard 3/3 of the suite at another commit.
    other_commit: PathBuf,
    _runtime: tokio::runtime::Runtime,
    _platform: certify_refplatform::RunningPlatform,
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=certify", "-c", "user.email=certify@example.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("git is required by these tests: {e}"));
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

impl Runs {
    fn run(&self, out: &str, extra: &[&str], code: i32) -> PathBuf {
        let dir = self.project.out(out);
        let run = self
            .project
            .certify()
            .signed_by(&self.key)
            .env("CERTIFY_OPERATOR_TOKEN", &self.token)
            .args(["run", "--target", "local", "--out"])
            .arg(&dir)
            .args(extra)
            .run();
        run.expect_code(code);
        dir
    }

    fn merge(&self, bundles: &[&Path], out: &str) -> (Outcome, PathBuf) {
        let dir = self.project.out(out);
        let run = self
            .project
            .certify()
            .signed_by(&self.key)
            .arg("merge")
            .args(bundles)
            .arg("--out")
            .arg(&dir)
            .arg("--key")
            .arg(&self.key.public)
            .run();
        (run, dir)
    }
}

fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
        let token = "op_merge_test_token".to_owned();
        let platform = runtime
            .block_on(certify_refplatform::start(certify_refplatform::PlatformOptions {
                version: "2.0.0".into(),
                faults: Vec::new(),
                operator_token: token.clone(),
                port: 0,
            }))
            .expect("the reference platform starts");
        let project = Project::empty();
        copy_tree(&repo_root().join("features"), &project.path().join("features"));
        let toml = std::fs::read_to_string(repo_root().join("certify.toml"))
            .expect("certify.toml")
            .replace("http://127.0.0.1:8480", &platform.base_url());
        let project = project.file("certify.toml", &toml).file(".gitignore", "/out-*/\n/keys/\n/merged*/\n/archive/\n");
        git(project.path(), &["init", "-q"]);
        git(project.path(), &["add", "-A"]);
        git(project.path(), &["commit", "-qm", "the suite"]);
        let key = project.keygen();
        let mut runs = Runs {
            key,
            token,
            full: PathBuf::new(),
            shards: Default::default(),
            other_version: PathBuf::new(),
            other_commit: PathBuf::new(),
            project,
            _runtime: runtime,
            _platform: platform,
        };
        runs.full = runs.run("out-full", &[], 0);
        for k in 1..=3 {
            runs.shards[k - 1] = runs.run(&format!("out-shard-{k}"), &["--shard", &format!("{k}/3")], 0);
        }
        // The platform answers 2.0.0: scenarios of 1.4.0 fail, and the shard is still evidence.
        runs.other_version = runs.run("out-shard-3-at-1.4.0", &["--shard", "3/3", "--platform-version", "1.4.0"], 1);
        let p = runs.project.path().to_path_buf();
        git(&p, &["commit", "-q", "--allow-empty", "-m", "another revision"]);
        runs.other_commit = runs.run("out-shard-3-next-commit", &["--shard", "3/3"], 0);
        runs
    })
}

fn manifest(bundle: &Path) -> Value {
    let text = std::fs::read_to_string(bundle.join("bundle.json")).expect("bundle.json");
    serde_json::from_str(&text).expect("bundle.json is JSON")
}

/// The test-result predicate of a bundle's signed statement.
fn predicate(bundle: &Path) -> Value {
    let text = std::fs::read_to_string(bundle.join("attestation.intoto.jsonl")).expect("envelope");
    let envelope: Value = serde_json::from_str(text.trim_end()).expect("envelope JSON");
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().expect("payload"))
        .expect("base64 payload");
    let statement: Value = serde_json::from_slice(&payload).expect("statement JSON");
    statement["predicate"].clone()
}

fn tests(p: &Value, list: &str) -> BTreeSet<String> {
    p[list].as_array().expect(list).iter().map(|t| t.as_str().unwrap_or_default().to_owned()).collect()
}

#[test]
fn three_shards_merge_into_the_unsharded_run() {
    let r = runs();
    let shards: Vec<&Path> = r.shards.iter().map(PathBuf::as_path).collect();
    let (run, merged) = r.merge(&shards, "merged");
    run.expect_code(0);
    assert!(run.stdout.contains("PASSED"), "{run}");

    // One JUnit with every testcase of the unsharded run, once, valid.
    let junit = merged.join("junit.xml");
    assert_valid_junit(&junit);
    let full_junit = read_junit(&r.full.join("junit.xml"));
    let merged_junit = read_junit(&junit);
    assert_eq!(testcase_ids(&merged_junit), testcase_ids(&full_junit));
    let count = |j: &crate::support::Element, k: &str| j.attr(k).unwrap_or_default().to_owned();
    for k in ["tests", "failures", "errors"] {
        assert_eq!(count(&merged_junit, k), count(&full_junit, k), "<testsuites {k}>");
    }
    let files = |j: &crate::support::Element| -> Vec<String> {
        let mut f: Vec<String> =
            j.children_named("testsuite").map(|s| s.attr("file").unwrap_or_default().to_owned()).collect();
        f.sort();
        f
    };
    assert_eq!(files(&merged_junit), files(&full_junit), "one testsuite per feature file");
    let m = manifest(&merged);
    for suite in merged_junit.children_named("testsuite") {
        let props = suite.properties();
        assert_eq!(props.get("certify.run_id"), m["run_id"].as_str().map(str::to_owned).as_ref());
        let file = suite.attr("file").unwrap_or_default();
        let twin = full_junit
            .children_named("testsuite")
            .find(|s| s.attr("file") == Some(file))
            .expect("the same testsuite in the unsharded run");
        for k in ["tests", "failures", "errors", "skipped"] {
            assert_eq!(suite.attr(k), twin.attr(k), "{file}: {k}");
        }
        let verdicts = |p: &std::collections::BTreeMap<String, String>| -> Vec<(String, String)> {
            p.iter().filter(|(k, _)| k.starts_with("feature.")).map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        assert_eq!(verdicts(&props), verdicts(&twin.properties()), "{file}: feature verdicts");
    }

    // certify verify accepts it; its statement lists the unsharded run's tests.
    r.key.assert_verifies(&merged);
    let (ours, theirs) = (predicate(&merged), predicate(&r.full));
    assert_eq!(ours["result"], "PASSED");
    for list in ["passedTests", "warnedTests", "failedTests"] {
        assert_eq!(tests(&ours, list), tests(&theirs, list), "{list}");
    }
    assert!(!tests(&ours, "passedTests").is_empty());

    // bundle.json: the unsharded run's counts, verdicts and scenarios (in
    // suite order), a new run id, no shard, and the shards it was made from.
    let full = manifest(&r.full);
    assert_eq!(m["counts"], full["counts"]);
    assert_eq!(m["status"], "passed");
    // API coverage: the shards' requests add up to the unsharded run's, operation by operation.
    let coverage = |m: &Value| -> Vec<(String, bool, u64)> {
        m["api"]["operations"]
            .as_array()
            .expect("the shipped project checks the API description")
            .iter()
            .map(|op| {
                (
                    op["operation"].as_str().unwrap_or_default().to_owned(),
                    op["exercised"].as_bool().unwrap_or_default(),
                    op["requests"].as_u64().unwrap_or_default(),
                )
            })
            .collect()
    };
    assert_eq!(coverage(&m), coverage(&full), "API coverage");
    assert_eq!(m["api"]["undocumented"], full["api"]["undocumented"]);
    assert!(merged.join("transcripts/api-description.shard-2.json").is_file());
    let verdicts = |m: &Value| -> Vec<(String, String)> {
        m["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| {
                (f["id"].as_str().unwrap_or_default().to_owned(), f["verdict"].as_str().unwrap_or_default().to_owned())
            })
            .collect()
    };
    assert_eq!(verdicts(&m), verdicts(&full));
    let ids = |m: &Value| -> Vec<String> {
        m["scenarios"]
            .as_array()
            .expect("scenarios")
            .iter()
            .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(ids(&m), ids(&full), "every scenario, in suite order");
    assert_eq!(m["selection"]["shard"], Value::Null);
    let shard_ids: Vec<Value> = r.shards.iter().map(|s| manifest(s)["run_id"].clone()).collect();
    assert!(!shard_ids.contains(&m["run_id"]), "a new run id");
    let recorded = m["shards"].as_array().expect("shards");
    assert_eq!(recorded.len(), 3);
    for (k, (rec, dir)) in recorded.iter().zip(&r.shards).enumerate() {
        assert_eq!(rec["shard"], format!("{}/3", k + 1));
        assert_eq!(rec["run_id"], manifest(dir)["run_id"]);
        let envelope = std::fs::read(dir.join("attestation.intoto.jsonl")).expect("envelope");
        let digest: String = sha2::Sha256::digest(&envelope).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(rec["envelope_sha256"], digest);
    }
    let starts: Vec<String> = r.shards.iter().map(|s| manifest(s)["started_at"].as_str().unwrap().to_owned()).collect();
    let ends: Vec<String> = r.shards.iter().map(|s| manifest(s)["finished_at"].as_str().unwrap().to_owned()).collect();
    assert_eq!(m["started_at"].as_str(), starts.iter().min().map(String::as_str));
    assert_eq!(m["finished_at"].as_str(), ends.iter().max().map(String::as_str));

    // Every transcript line of every shard (one line per attempt, grouped by feature file) is
    // in the merged transcript of that file.
    for s in &r.shards {
        for t in manifest(s)["scenarios"].as_array().unwrap().iter().filter_map(|e| e["transcript"].as_str()) {
            let merged_text = std::fs::read_to_string(merged.join(t)).unwrap_or_default();
            let shard_text = std::fs::read_to_string(s.join(t)).expect("the shard's transcript");
            for line in shard_text.lines() {
                assert!(merged_text.lines().any(|l| l == line), "{t}: a line of {} is missing", s.display());
            }
        }
    }
    // One Cucumber Messages run: the suite's messages once, every shard's
    // test cases and attempts, ids unique and every reference resolving.
    let merged_kinds = message_kinds(&merged);
    let full_kinds = message_kinds(&r.full);
    let shard_kinds: Vec<_> = r.shards.iter().map(|s| message_kinds(s)).collect();
    for (kind, n) in &merged_kinds {
        let run_local =
            ["testCase", "testCaseStarted", "testCaseFinished", "testStepStarted", "testStepFinished", "attachment"];
        let want = if run_local.contains(&kind.as_str()) {
            shard_kinds.iter().map(|k| k.get(kind).copied().unwrap_or(0)).sum()
        } else {
            full_kinds.get(kind).copied().unwrap_or(0)
        };
        assert_eq!(*n, want, "{kind} messages");
    }
    assert_eq!(merged_kinds.keys().collect::<Vec<_>>(), full_kinds.keys().collect::<Vec<_>>());
    assert_eq!(merged_kinds["testCase"], full_kinds["testCase"]);
    messages_resolve(&merged);
}

fn message_kinds(bundle: &Path) -> std::collections::BTreeMap<String, usize> {
    let text = std::fs::read_to_string(bundle.join("messages.ndjson")).expect("messages.ndjson");
    let mut kinds = std::collections::BTreeMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("an envelope a line");
        *kinds.entry(v.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default()).or_default() += 1;
    }
    kinds
}

/// Every id is defined once, and every reference names a message of the right kind.
fn messages_resolve(bundle: &Path) {
    let text = std::fs::read_to_string(bundle.join("messages.ndjson")).expect("messages.ndjson");
    let mut ids = std::collections::BTreeMap::<String, &str>::new();
    let mut refs: Vec<(String, &str)> = Vec::new();
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut define = |id: String, kind: &'static str| assert!(ids.insert(id.clone(), kind).is_none(), "id {id} twice");
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("an envelope a line");
        let (kind, b) = v.as_object().and_then(|o| o.iter().next()).expect("one key");
        match kind.as_str() {
            "pickle" => define(s(&b["id"]), "pickle"),
            "stepDefinition" => define(s(&b["id"]), "stepDefinition"),
            "testRunStarted" => define(s(&b["id"]), "testRunStarted"),
            "testCase" => {
                define(s(&b["id"]), "testCase");
                refs.push((s(&b["pickleId"]), "pickle"));
                refs.push((s(&b["testRunStartedId"]), "testRunStarted"));
                for step in b["testSteps"].as_array().into_iter().flatten() {
                    define(s(&step["id"]), "testStep");
                    for d in step["stepDefinitionIds"].as_array().into_iter().flatten() {
                        refs.push((s(d), "stepDefinition"));
                    }
                }
            }
            "testCaseStarted" => {
                define(s(&b["id"]), "testCaseStarted");
                refs.push((s(&b["testCaseId"]), "testCase"));
            }
            "testStepStarted" | "testStepFinished" | "attachment" => {
                refs.push((s(&b["testCaseStartedId"]), "testCaseStarted"));
                refs.push((s(&b["testStepId"]), "testStep"));
            }
            "testCaseFinished" => refs.push((s(&b["testCaseStartedId"]), "testCaseStarted")),
            "testRunFinished" => refs.push((s(&b["testRunStartedId"]), "testRunStarted")),
            _ => {}
        }
    }
    for (id, kind) in refs {
        assert_eq!(ids.get(&id).copied(), Some(kind), "reference to {kind} {id}");
    }
}

fn refused(run: &Outcome, names: &[&str]) {
    run.expect_code(2);
    for n in names {
        assert!(run.stderr.contains(n), "the message names {n:?}:\n{run}");
    }
}

#[test]
fn a_missing_shard_is_named() {
    let r = runs();
    let (run, out) = r.merge(&[&r.shards[0], &r.shards[2]], "merged-missing");
    refused(&run, &["shard 2/3 is missing"]);
    assert!(!out.exists(), "nothing is written");
    // A run that was not split is no shard.
    let (run, _) = r.merge(&[&r.full], "merged-unsharded");
    refused(&run, &[&r.full.display().to_string(), "not a shard"]);
}

#[test]
fn a_shard_given_twice_is_named() {
    let r = runs();
    // A copy of shard 2 (it verifies: it is the same bundle) given as well.
    let again = r.project.out("out-shard-2-again");
    copy_tree(&r.shards[1], &again);
    let (run, out) = r.merge(&[&r.shards[0], &r.shards[1], &again, &r.shards[2]], "merged-twice");
    refused(&run, &[&again.display().to_string(), "shard 2/3 is given twice", &r.shards[1].display().to_string()]);
    assert!(!out.exists());
}

#[test]
fn a_shard_at_another_platform_version_is_named() {
    let r = runs();
    let (run, _) = r.merge(&[&r.shards[0], &r.shards[1], &r.other_version], "merged-version");
    refused(&run, &[&r.other_version.display().to_string(), "platform version is \"1.4.0\"", "\"2.0.0\""]);
}

#[test]
fn a_shard_of_another_suite_revision_is_named() {
    let r = runs();
    let (run, _) = r.merge(&[&r.shards[0], &r.shards[1], &r.other_commit], "merged-commit");
    refused(&run, &[&r.other_commit.display().to_string(), "suite git commit"]);
}

#[test]
fn a_shard_with_one_byte_changed_is_refused_by_name() {
    let r = runs();
    let tampered = r.project.out("out-shard-2-tampered");
    copy_tree(&r.shards[1], &tampered);
    let transcript = manifest(&tampered)["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|s| s["transcript"].as_str().map(str::to_owned))
        .expect("a transcript");
    let path = tampered.join(&transcript);
    let mut bytes = std::fs::read(&path).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let (run, out) = r.merge(&[&r.shards[0], &tampered, &r.shards[2]], "merged-tampered");
    refused(&run, &[&tampered.display().to_string(), "does not verify", &transcript, "modified"]);
    assert!(!out.exists());
}

#[test]
fn the_merged_bundle_is_archived_and_gated() {
    let r = runs();
    let shards: Vec<&Path> = r.shards.iter().map(PathBuf::as_path).collect();
    let (run, merged) = r.merge(&shards, "merged-gated");
    run.expect_code(0);
    let archive = r.project.out("archive");
    r.project.archive_add(&merged, &r.key, &archive).expect_code(0);
    let gate = r
        .project
        .certify()
        .signed_by(&r.key)
        .args(["gate", "--policy"])
        .arg(repo_root().join("ci/promotion.toml"))
        .args(["--stage", "demo", "--candidate", "2.0.0", "--key"])
        .arg(&r.key.public)
        .arg("--archive")
        .arg(&archive)
        .run();
    gate.expect_code(0);
    assert!(gate.stdout.contains("PROMOTE  platform 2.0.0 to demo"), "{gate}");
}

/// A feature file that does not load: every shard reports it, the merged
/// run reports it once and is FAILED (exit 1), as the unsharded run is.
#[test]
fn a_feature_file_that_did_not_load_is_merged_once_and_fails_the_merged_run() {
    let r = runs();
    let broken = "@critical @feature:tenant-signup\nFeature: Broken sign-up\n\n  Scenario: Sign-up answers\n    \
                  When I send a GET request to \"/ok\"\n  this line is not Gherkin\n";
    let p = Project::empty();
    copy_tree(&r.project.path().join("features"), &p.path().join("features"));
    let toml = std::fs::read_to_string(r.project.path().join("certify.toml")).expect("certify.toml");
    let p = p.file("certify.toml", &toml).file("features/zz-broken.feature", broken);
    let run = |out: &str, extra: &[&str]| -> PathBuf {
        let dir = p.out(out);
        let run = p
            .certify()
            .signed_by(&r.key)
            .env("CERTIFY_OPERATOR_TOKEN", &r.token)
            .args(["run", "--target", "local", "--out"])
            .arg(&dir)
            .args(extra)
            .run();
        run.expect_code(1);
        dir
    };
    let full = run("full", &[]);
    let one = run("shard-1", &["--shard", "1/2"]);
    let two = run("shard-2", &["--shard", "2/2"]);
    let merged = p.out("merged");
    let merge = p
        .certify()
        .signed_by(&r.key)
        .arg("merge")
        .arg(&one)
        .arg(&two)
        .arg("--out")
        .arg(&merged)
        .arg("--key")
        .arg(&r.key.public)
        .run();
    merge.expect_code(1);
    assert!(merge.stdout.contains("FAILED"), "{merge}");
    r.key.assert_verifies(&merged);
    assert_valid_junit(&merged.join("junit.xml"));
    let (junit, full_junit) = (read_junit(&merged.join("junit.xml")), read_junit(&full.join("junit.xml")));
    assert_eq!(testcase_ids(&junit), testcase_ids(&full_junit));
    assert_eq!(junit.attr("errors"), full_junit.attr("errors"));
    let m = manifest(&merged);
    assert_eq!(m["broken_files"], manifest(&full)["broken_files"]);
    assert_eq!(m["broken_files"].as_array().map(Vec::len), Some(1));
    assert_eq!(m["counts"], manifest(&full)["counts"]);
    let signup = |m: &Value| m["features"].as_array().unwrap().iter().find(|f| f["id"] == "tenant-signup").cloned();
    assert_eq!(signup(&m).map(|f| f["verdict"].clone()), Some(Value::from("failed")));
    assert_eq!(signup(&m).map(|f| f["reason"].clone()), signup(&manifest(&full)).map(|f| f["reason"].clone()));
    let (ours, theirs) = (predicate(&merged), predicate(&full));
    assert_eq!(ours["result"], "FAILED");
    for list in ["passedTests", "warnedTests", "failedTests"] {
        assert_eq!(tests(&ours, list), tests(&theirs, list), "{list}");
    }
    assert_eq!(message_kinds(&merged).get("parseError"), Some(&1));
    messages_resolve(&merged);
}

/// The merged bundle is signed as a run's is: `CERTIFY_SIGNING_KEY` (no
/// project needed, even beside a certify.toml that does not load), else
/// `[evidence] signing_key`, else a usage error unless `--no-sign`.
#[test]
fn the_merged_bundle_is_signed_with_the_key_a_run_would_use() {
    let r = runs();
    let merge = |dir: &Path, out: &str, key: Option<&KeyPair>, extra: &[&str]| -> (Outcome, PathBuf) {
        let target = dir.join(out);
        let mut c = crate::support::certify(dir).arg("merge").args(&r.shards).arg("--out").arg(&target);
        c = c.arg("--key").arg(&r.key.public).args(extra);
        if let Some(k) = key {
            c = c.signed_by(k);
        }
        (c.run(), target)
    };
    let elsewhere = Project::empty().file("certify.toml", "[suite]\nfeatures = 3\n");
    let (run, merged) = merge(elsewhere.path(), "merged", Some(&r.key), &[]);
    run.expect_code(0);
    r.key.assert_verifies(&merged);

    let configured = Project::empty().file(
        "certify.toml",
        &format!("[evidence]\nsigning_key = {{ file = {:?} }}\n", r.key.private.display().to_string()),
    );
    let (run, merged) = merge(configured.path(), "merged", None, &[]);
    run.expect_code(0);
    r.key.assert_verifies(&merged);

    let (run, merged) = merge(elsewhere.path(), "no-key", None, &[]);
    run.expect_code(2);
    assert!(!merged.exists());
    let bare = Project::empty();
    let (run, _) = merge(bare.path(), "no-key", None, &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("no signing key"), "{run}");
    let (run, merged) = merge(bare.path(), "unsigned", None, &["--no-sign"]);
    run.expect_code(0);
    assert!(run.stdout.contains("UNSIGNED"), "{run}");
    assert_eq!(manifest(&merged)["signature"]["signed"], false);
    assert!(!merged.join("attestation.intoto.jsonl").exists());
}
