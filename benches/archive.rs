//! The archive at scale (PRODUCT.md section 10): appending to an archive of 10,000 bundles
//! costs what appending to one of 100 does, and `certify gate` over 10,000 bundles takes at
//! most 3x its time over 100, because it reads the index and only the bundles it may rely on.
//!
//! Each archive is a directory of real signed bundles (synthetic runs written by the real
//! bundle writer, `certify_evidence::synthetic`): all but the last ten are runs of earlier
//! platform versions, the last ten are runs of the candidate 2.0.0, so both gates have the same
//! evidence to rely on and differ only in the history around it. Timed are the `certify`
//! commands a release manager runs: `certify archive add` of one more bundle (best of 3) and
//! `certify gate` (best of 5), on each size in turn, round after round, printed with their
//! ratios. The
//! archives live on tmpfs (`/dev/shm`) when the machine has one, `CERTIFY_BENCH_DIR` otherwise.
//!
//! Run with `cargo bench --bench archive`. `CERTIFY_BENCH_ARCHIVE=100,10000` sets the sizes
//! (the first is the baseline). CI runs it at small sizes as a smoke test
//! (`cargo test --bench archive`), where the numbers mean nothing but every part runs.

// A benchmark's output is its table, on stdout.
#![allow(clippy::print_stdout)]

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use certify_archive::Archive;
use certify_evidence::{
    attest::SigningKey,
    synthetic::{self, SyntheticRun},
};
use futures::StreamExt as _;

/// Runs of the candidate version in every archive: the evidence the gate relies on.
const CANDIDATE_RUNS: usize = 10;

const POLICY: &str = r#"[stage.production]
from_target  = "staging"
require      = "ga"
warn_on      = ["beta", "alpha"]
max_age      = "100000h"
trusted_keys = ["keys/bench.pub.pem"]
require_signed = true
allow_flaky  = true
min_runs     = 1
"#;

fn run_of(seed: usize, size: usize) -> SyntheticRun {
    let mut run = SyntheticRun::new(seed);
    if seed < size - CANDIDATE_RUNS {
        run.version = format!("1.{}.0", seed % 100);
    }
    run
}

/// An archive of `size` bundles at `root`, built through the library, four bundles at a time
/// (the history is not what is measured): first the earlier versions, then the candidate's runs.
async fn build(root: &Path, scratch: &Path, size: usize, key: &SigningKey) -> Duration {
    let started = Instant::now();
    let signer = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).expect("a key's own PEM");
    let archive = Archive::open(&root.display().to_string()).await.expect("archive").with_signer(Some(signer));
    let public = key.public();
    let pem = key.to_pkcs8_pem();
    for seeds in [0..size - CANDIDATE_RUNS, size - CANDIDATE_RUNS..size] {
        futures::stream::iter(seeds)
            .map(|seed| {
                let (archive, public, pem) = (&archive, public.clone(), pem.clone());
                let dir = scratch.join(format!("b{seed}"));
                async move {
                    let written = dir.clone();
                    tokio::task::spawn_blocking(move || {
                        let key = SigningKey::from_pkcs8_pem(&pem).expect("a key's own PEM");
                        synthetic::write_bundle(&written, &run_of(seed, size), Some(&key)).expect("synthetic bundle");
                    })
                    .await
                    .expect("writer thread");
                    archive.add_bundle(&dir, &[public], false).await.expect("add");
                    std::fs::remove_dir_all(&dir).expect("scratch");
                }
            })
            .buffer_unordered(4)
            .collect::<Vec<()>>()
            .await;
    }
    started.elapsed()
}

fn timed(dir: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(args)
        .current_dir(dir)
        .env("CERTIFY_SIGNING_KEY", dir.join("keys/bench.key"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("certify");
    let took = started.elapsed();
    // The gate's exit 1 is a BLOCK, a decision like PROMOTE; anything else is a failed bench.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "certify {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

struct Row {
    size: usize,
    append: Duration,
    gate: Duration,
}

fn main() {
    let sizes: Vec<usize> = std::env::var("CERTIFY_BENCH_ARCHIVE")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 10_000]);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let key = SigningKey::generate();
    println!("archives of real signed bundles, the last {CANDIDATE_RUNS} at the candidate 2.0.0");
    println!("{:>8}  {:>10}  {:>12}  {:>10}", "bundles", "built in", "archive add", "gate");
    // Every archive is built first; then the commands run on each size in turn, round after
    // round, so that a change in the machine's load falls on all sizes alike.
    let mut built = Vec::new();
    for size in sizes.into_iter().filter(|s| *s > CANDIDATE_RUNS) {
        // On tmpfs where there is one: both sizes on the same medium, and the disk's fsync
        // latency does not drown what is compared (CERTIFY_BENCH_DIR to choose).
        let base = std::env::var_os("CERTIFY_BENCH_DIR")
            .map(std::path::PathBuf::from)
            .or_else(|| Path::new("/dev/shm").is_dir().then(|| "/dev/shm".into()))
            .unwrap_or_else(std::env::temp_dir);
        let dir = tempfile::tempdir_in(base).expect("tempdir");
        let d = dir.path();
        std::fs::create_dir_all(d.join("keys")).expect("keys");
        std::fs::write(d.join("keys/bench.key"), key.to_pkcs8_pem()).expect("key");
        std::fs::set_permissions(d.join("keys/bench.key"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("key mode");
        std::fs::write(d.join("keys/bench.pub.pem"), key.public().to_spki_pem()).expect("public key");
        std::fs::write(d.join("promotion.toml"), POLICY).expect("policy");
        std::fs::create_dir_all(d.join("scratch")).expect("scratch");
        let took = rt.block_on(build(&d.join("archive"), &d.join("scratch"), size, &key));
        built.push((size, dir, took, Duration::MAX, Duration::MAX));
    }
    let gate_args =
        ["gate", "--policy", "promotion.toml", "--stage", "production", "--candidate", "2.0.0", "--archive", "archive"];
    for round in 0..5 {
        for (size, dir, _, append, gate) in &mut built {
            let d = dir.path();
            if round < 3 {
                // Runs of a later version: the gate of 2.0.0 does not rely on them.
                let mut run = SyntheticRun::new(*size + round);
                run.version = "3.0.0".into();
                let bundle = d.join(format!("scratch/extra{round}"));
                synthetic::write_bundle(&bundle, &run, Some(&key)).expect("bundle");
                let b = bundle.display().to_string();
                let took = timed(d, &["archive", "add", &b, "--archive", "archive", "--key", "keys/bench.pub.pem"]);
                *append = (*append).min(took);
            }
            let args: Vec<&str> = gate_args.iter().copied().chain(["--no-sign"]).collect();
            *gate = (*gate).min(timed(d, &args));
        }
    }
    let mut rows = Vec::new();
    for (size, _dir, took, append, gate) in &built {
        println!(
            "{size:>8}  {:>9.1}s  {:>10.1}ms  {:>8.1}ms",
            took.as_secs_f64(),
            append.as_secs_f64() * 1000.0,
            gate.as_secs_f64() * 1000.0
        );
        rows.push(Row { size: *size, append: *append, gate: *gate });
    }
    if let (Some(small), Some(large)) = (rows.first(), rows.last())
        && large.size > small.size
    {
        println!("goals (PRODUCT.md section 10):");
        println!(
            "  archive add at {} / at {}: {:.2}x (goal: the same cost)",
            large.size,
            small.size,
            large.append.as_secs_f64() / small.append.as_secs_f64()
        );
        println!(
            "  gate over {} / over {}: {:.2}x (goal at most 3x)",
            large.size,
            small.size,
            large.gate.as_secs_f64() / small.gate.as_secs_f64()
        );
    }
}
