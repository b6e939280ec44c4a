//! Several writers at once never lose or duplicate an entry and never break the chain: 16
//! separate processes (this test binary, re-run as a child) each add a bundle to one archive,
//! on the S3 server and in a local directory; and tasks racing to add the same bundle leave
//! one entry.

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use certify_archive::Archive;
use certify_evidence::{
    attest::{PublicKey, SigningKey, sha256_hex},
    bundle::ENVELOPE,
};

use crate::support::{Run, aws_env, bucket, endpoint, key, open_s3, write_bundle};

const WRITERS: usize = 16;
/// Set in a child process: what to add, as `location\nbundle dir\nprivate key\ngo file`.
const CHILD_ENV: &str = "CERTIFY_ARCHIVE_TEST_CHILD";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// The child's side: wait for the go file, then add one bundle.
fn child(job: &str) {
    let parts: Vec<&str> = job.split('\n').collect();
    let [location, dir, key, go] = parts[..] else { panic!("bad {CHILD_ENV}: {job:?}") };
    let signing = SigningKey::from_pkcs8_pem(&fs::read_to_string(key).expect("key file")).expect("private key");
    let keys = [signing.public()];
    runtime().block_on(async {
        let archive = Archive::open(location).await.expect("open in the child").with_signer(Some(signing));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !Path::new(go).exists() {
            assert!(Instant::now() < deadline, "the parent never said go");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        archive.add_bundle(Path::new(dir), &keys, false).await.expect("add_bundle in the child");
    });
}

/// The parent's side: `WRITERS` bundles, one child process per bundle, all released at once.
fn processes_append(test: &str, s3: bool) {
    if let Ok(job) = std::env::var(CHILD_ENV) {
        return child(&job);
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let signing = key();
    let key_file = tmp.path().join("key.pem");
    fs::write(&key_file, signing.to_pkcs8_pem()).expect("write key");
    let mut expected = BTreeSet::new();
    let dirs: Vec<PathBuf> = (0..WRITERS)
        .map(|i| {
            let dir = write_bundle(&tmp.path().join(format!("bundle-{i}")), &Run::new(100 + i), Some(&signing));
            expected.insert(sha256_hex(&fs::read(dir.join(ENVELOPE)).expect("attestation")));
            dir
        })
        .collect();
    let rt = runtime();
    let (location, env) = if s3 {
        let bucket = rt.block_on(bucket("procs"));
        (format!("s3://{bucket}/ci/evidence"), aws_env(&endpoint()))
    } else {
        (tmp.path().join("archive").display().to_string(), Vec::new())
    };
    let go = tmp.path().join("go");
    let exe = std::env::current_exe().expect("test binary");
    let children: Vec<_> = dirs
        .iter()
        .map(|dir| {
            let job = format!("{location}\n{}\n{}\n{}", dir.display(), key_file.display(), go.display());
            Command::new(&exe)
                .args([test, "--exact", "--nocapture", "--test-threads=1"])
                .env(CHILD_ENV, job)
                .envs(env.iter().cloned())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn a child")
        })
        .collect();
    fs::write(&go, "go").expect("go");
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "child {i} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    rt.block_on(async {
        let archive = Archive::open_with_env(&location, env).await.expect("open");
        let entries = archive.entries().await.expect("entries");
        assert_eq!(entries.len(), WRITERS, "one entry per writer, none lost, none duplicated");
        let ids: BTreeSet<String> = entries.iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids, expected);
        let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=WRITERS as u64).collect::<Vec<_>>());
        let report = archive.verify(&[signing.public()]).await.expect("verify");
        assert!(report.valid && report.warnings.is_empty(), "{:#?}", report);
        assert_eq!(report.bundles, WRITERS);
        // The checkpoint the last writer left covers every line, signed.
        let checkpoint = report.checkpoint.expect("a checkpoint");
        assert_eq!(checkpoint.size, WRITERS as u64);
        assert_eq!(checkpoint.signed_by, [format!("SHA256:{}", signing.public().fingerprint())]);
    });
}

#[test]
fn sixteen_processes_append_to_one_s3_archive() {
    processes_append("concurrency::sixteen_processes_append_to_one_s3_archive", true);
}

#[test]
fn sixteen_processes_append_to_one_directory_archive() {
    processes_append("concurrency::sixteen_processes_append_to_one_directory_archive", false);
}

/// Eight tasks add the same bundle while eight others add their own: nine entries.
async fn tasks_race(archive: Arc<Archive>, keys: Vec<PublicKey>, tmp: &Path) {
    let signing = key();
    let keys: Vec<PublicKey> = keys.into_iter().chain([signing.public()]).collect();
    let shared = write_bundle(&tmp.join("shared"), &Run::new(7), Some(&signing));
    let own: Vec<PathBuf> =
        (0..8).map(|i| write_bundle(&tmp.join(format!("own-{i}")), &Run::new(200 + i), Some(&signing))).collect();
    let tasks = (0..8).flat_map(|i| [shared.clone(), own[i].clone()]).map(|dir| {
        let (archive, keys) = (archive.clone(), keys.clone());
        tokio::spawn(async move { archive.add_bundle(&dir, &keys, false).await })
    });
    let results = futures::future::join_all(tasks).await;
    let mut shared_entries = BTreeSet::new();
    for (i, r) in results.into_iter().enumerate() {
        let entry = r.expect("task").expect("add_bundle");
        if i % 2 == 0 {
            shared_entries.insert((entry.seq, entry.id));
        }
    }
    assert_eq!(shared_entries.len(), 1, "every add of the same bundle returns the one entry: {shared_entries:?}");
    let entries = archive.entries().await.expect("entries");
    assert_eq!(entries.len(), 9, "{entries:#?}");
    // Spawned, as a CLI may: the archive's futures are `Send`.
    let report = tokio::spawn(async move { archive.verify(&keys).await }).await.expect("task").expect("verify");
    assert!(report.valid, "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_adding_the_same_bundle_leave_one_entry_on_s3() {
    let bucket = bucket("tasks").await;
    let tmp = tempfile::tempdir().expect("tmp");
    tasks_race(Arc::new(open_s3(&bucket, "").await), vec![], tmp.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_adding_the_same_bundle_leave_one_entry_in_a_directory() {
    let tmp = tempfile::tempdir().expect("tmp");
    let archive = Archive::open(&tmp.path().join("archive").display().to_string()).await.expect("open");
    tasks_race(Arc::new(archive), vec![], tmp.path()).await;
}
