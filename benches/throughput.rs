//! Harness overhead, measured as a ratio in one run (PRODUCT.md section 10):
//! `certify run` with full evidence recording against the reference platform
//! on loopback, versus the plain tokio + reqwest loop doing the same requests
//! with the same concurrency. Also how the cost grows with the suite (per
//! scenario, it should stay flat) and the peak memory of the certify process.
//!
//! Run with `cargo bench --bench throughput` (release build). Sizes can be
//! set with `CERTIFY_BENCH_SIZES=1000,5000,10000`. Nothing here is a test:
//! it prints a table and the ratios.

// A benchmark's output is its table, on stdout.
#![allow(clippy::print_stdout)]

use std::{
    path::Path,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use futures::StreamExt as _;

const CONCURRENCY: usize = 16;

fn write_suite(dir: &Path, scenarios: usize) {
    std::fs::create_dir_all(dir.join("features")).expect("features dir");
    std::fs::write(
        dir.join("certify.toml"),
        format!(
            "[suite]\nfeatures = \"features\"\n\n[targets.ref]\nbase_url = \"${{REF_URL}}\"\ntimeout = \"10s\"\nconcurrency = {CONCURRENCY}\n"
        ),
    )
    .expect("certify.toml");
    let per_file = 100;
    for f in 0..scenarios.div_ceil(per_file) {
        let mut text = format!("@feature:platform-status\nFeature: throughput {f}\n\n");
        for i in 0..per_file.min(scenarios - f * per_file) {
            text.push_str(&format!(
                "  Scenario: health {f}-{i}\n    When I send a GET request to \"/health\"\n    Then the response status is 200\n    And the response JSON at \"$.status\" is \"ok\"\n\n"
            ));
        }
        std::fs::write(dir.join(format!("features/f{f:04}.feature")), text).expect("feature file");
    }
}

/// The same requests, concurrency and checks, with nothing else.
async fn baseline(url: &str, requests: usize) -> Duration {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let url = Arc::new(format!("{url}/health"));
    futures::stream::iter(0..requests)
        .map(|_| {
            let client = client.clone();
            let url = url.clone();
            async move {
                let resp = client.get(url.as_str()).send().await.expect("request");
                assert_eq!(resp.status(), 200);
                let body: serde_json::Value = resp.json().await.expect("json");
                assert_eq!(body["status"], "ok");
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    started.elapsed()
}

/// Wall time and peak RSS (KiB, from /proc) of one `certify run`.
fn certify_run(dir: &Path, url: &str) -> (Duration, u64) {
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(["run", "--no-sign", "--format", "json", "--out"])
        .arg(&out)
        .env("REF_URL", url)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("certify run");
    let pid = child.id();
    let mut peak = 0;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "certify run failed in {}", dir.display());
            break;
        }
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        {
            peak = peak.max(kb);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (started.elapsed(), peak)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("CERTIFY_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 5_000, 10_000]);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let platform = rt
        .block_on(certify_refplatform::start(certify_refplatform::PlatformOptions {
            version: certify_refplatform::DEFAULT_VERSION.to_owned(),
            faults: Vec::new(),
            operator_token: "bench".to_owned(),
            port: 0,
        }))
        .expect("reference platform");
    let url = platform.base_url();
    println!("concurrency {CONCURRENCY}, one GET /health per scenario, reference platform on {url}");
    println!(
        "{:>8}  {:>10}  {:>10}  {:>6}  {:>12}  {:>10}",
        "scenarios", "baseline", "certify", "ratio", "per scenario", "peak RSS"
    );
    for n in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        write_suite(dir.path(), n);
        // Warm both paths once (connection pools, page cache), then measure.
        rt.block_on(baseline(&url, n.min(500)));
        let base = rt.block_on(baseline(&url, n));
        let (run, rss) = certify_run(dir.path(), &url);
        println!(
            "{n:>8}  {:>8.0}ms  {:>8.0}ms  {:>5.2}x  {:>10.1}µs  {:>7} MiB",
            base.as_secs_f64() * 1000.0,
            run.as_secs_f64() * 1000.0,
            run.as_secs_f64() / base.as_secs_f64(),
            run.as_secs_f64() * 1e6 / n as f64,
            rss / 1024
        );
    }
    rt.block_on(platform.shutdown());
}
