//! Harness overhead at scale, measured as ratios in one run (PRODUCT.md section 10).
//!
//! The target is Debian's nginx on loopback serving static JSON (one worker, keepalive): an
//! independent server that does not share certify's process. One feature file of N scenarios,
//! each `GET /items/<i>.json`, status 200, Content-Type contains json, JSONPath `$.id` equals i,
//! 16 scenarios in flight. The yardstick is the plain tokio + reqwest loop doing the same
//! requests and checks with the same concurrency; each size runs the loop and `certify run`
//! with full, signed evidence alternately, and the best of `CERTIFY_BENCH_REPEAT` (default 2)
//! of each is kept.
//!
//! Printed: wall time of both, their ratio, certify's cost per scenario and peak RSS, where
//! certify's time went (the run summary's `phases_ms`), then
//! the goals: ratio at 10,000, wall(20,000)/wall(2,000), RSS(20,000)/RSS(1,000), and the time
//! of `certify lint` on the 10,000-scenario file.
//!
//! Run with `cargo bench --bench throughput` (release). `CERTIFY_BENCH_SIZES=1000,2000,10000,20000`
//! sets the sizes; `CERTIFY_NGINX` the nginx binary (default `/usr/sbin/nginx`). CI runs it at a
//! small size as a smoke test (`cargo test --bench throughput`, debug), where the numbers mean
//! nothing but every part runs.

// A benchmark's output is its table, on stdout.
#![allow(clippy::print_stdout)]

use std::{
    collections::BTreeMap,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use futures::StreamExt as _;

const CONCURRENCY: usize = 16;

/// nginx serving `items/<i>.json` from a directory of its own, stopped on drop.
struct Nginx {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(items: usize) -> Nginx {
        let bin = std::env::var("CERTIFY_NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".to_owned());
        if !Path::new(&bin).exists() {
            panic!("{bin}: nginx is not installed (apt-get install nginx-light, or set CERTIFY_NGINX)");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let www = dir.path().join("www/items");
        std::fs::create_dir_all(&www).expect("www");
        for i in 0..items {
            std::fs::write(www.join(format!("{i}.json")), format!("{{\"id\": {i}, \"name\": \"item {i}\"}}\n"))
                .expect("item");
        }
        let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let d = dir.path().display();
        let conf = format!(
            "worker_processes 1;\ndaemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 4096; }}\n\
             http {{\n  access_log off;\n  keepalive_requests 1000000;\n  keepalive_timeout 75s;\n\
             types {{ application/json json; }}\n  default_type application/octet-stream;\n\
             client_body_temp_path {d}/tmp-body;\n  proxy_temp_path {d}/tmp-proxy;\n  fastcgi_temp_path {d}/tmp-fcgi;\n\
             uwsgi_temp_path {d}/tmp-uwsgi;\n  scgi_temp_path {d}/tmp-scgi;\n\
             server {{ listen 127.0.0.1:{port}; root {d}/www; }}\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).expect("nginx.conf");
        let child = Command::new(&bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{bin}: cannot start nginx: {e}"));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not listen on {port}: {}",
                std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx { child, url: format!("http://127.0.0.1:{port}"), _dir: dir }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A project with one feature file of `scenarios` scenarios and a signing key.
fn write_project(dir: &Path, scenarios: usize) {
    std::fs::create_dir_all(dir.join("features")).expect("features dir");
    std::fs::write(
        dir.join("certify.toml"),
        format!(
            "[suite]\nfeatures = \"features\"\n\n[targets.bench]\nbase_url = \"${{BENCH_URL}}\"\ntimeout = \"10s\"\nconcurrency = {CONCURRENCY}\n\n[evidence]\nsigning_key = {{ file = \"keys/bench.key\" }}\n"
        ),
    )
    .expect("certify.toml");
    let mut text = String::with_capacity(scenarios * 200);
    text.push_str("@feature:items\nFeature: items at scale\n\n");
    for i in 0..scenarios {
        text.push_str(&format!(
            "  Scenario: item {i}\n    When I send a GET request to \"/items/{i}.json\"\n    Then the response status is 200\n    And the response header \"Content-Type\" contains \"json\"\n    And the response JSON at \"$.id\" is {i}\n\n"
        ));
    }
    std::fs::write(dir.join("features/items.feature"), text).expect("feature file");
    let keygen = Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(["keygen", "--out", "keys/bench"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .expect("certify keygen");
    assert!(keygen.success(), "certify keygen failed");
}

/// The same requests, concurrency and checks, with nothing else.
async fn baseline(client: &reqwest::Client, url: &str, requests: usize) -> Duration {
    let started = Instant::now();
    let base = Arc::new(url.to_owned());
    futures::stream::iter(0..requests)
        .map(|i| {
            let client = client.clone();
            let base = base.clone();
            async move {
                let resp = client.get(format!("{base}/items/{i}.json")).send().await.expect("request");
                assert_eq!(resp.status(), 200);
                let json_type = resp
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("json"));
                assert!(json_type, "Content-Type contains json");
                let body: serde_json::Value = resp.json().await.expect("json");
                assert_eq!(body["id"], i);
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    started.elapsed()
}

/// Wall time, peak RSS (KiB: the kernel's `ru_maxrss` of the child, read
/// when it is reaped, so a peak in its last milliseconds counts too) and
/// standard output of one certify command.
// The child is reaped by `wait4` (which reports its resources), not `wait`.
#[allow(clippy::zombie_processes)]
fn measured(dir: &Path, args: &[&str], url: &str) -> (Duration, u64, String) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(args)
        .env("BENCH_URL", url)
        .env_remove("CERTIFY_SIGNING_KEY")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("certify");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
        out
    });
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: `rusage` is plain data, zero is a valid value for each of
        // its fields; `wait4` writes `status` and `usage` through pointers to
        // these locals, which outlive the call.
        #[allow(unsafe_code)]
        let (reaped, usage) = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            (libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage), usage)
        };
        if reaped == pid {
            break (status, usage);
        }
        assert!(reaped == 0, "waiting for certify: {}", std::io::Error::last_os_error());
        std::thread::sleep(Duration::from_millis(1));
    };
    let elapsed = started.elapsed();
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        panic!("certify {args:?} failed in {}: wait status {status}\n{err}", dir.display());
    }
    let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    (elapsed, peak, reader.join().unwrap_or_default())
}

/// The run summary's `phases_ms`, as `load 55 ms, prepare 46 ms, ...`.
fn phases(summary: &str) -> String {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(summary) else {
        return "(no summary)".to_owned();
    };
    json["phases_ms"]
        .as_object()
        .map(|phases| {
            phases
                .iter()
                .map(|(name, ms)| format!("{name} {:.0} ms", ms.as_f64().unwrap_or(0.0)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

struct Row {
    base: Duration,
    run: Duration,
    rss_kib: u64,
    /// The fastest run's phases.
    phases: String,
}

fn main() {
    let sizes: Vec<usize> = std::env::var("CERTIFY_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 2_000, 10_000, 20_000]);
    let repeat: usize = std::env::var("CERTIFY_BENCH_REPEAT").ok().and_then(|s| s.parse().ok()).unwrap_or(2).max(1);
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let nginx = Nginx::start(largest);
    let url = nginx.url.clone();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::new();
    println!(
        "nginx on {url}, one feature file of N scenarios (GET, status, header, JSONPath), {CONCURRENCY} in flight, best of {repeat}"
    );
    println!(
        "{:>9}  {:>10}  {:>10}  {:>6}  {:>12}  {:>9}",
        "scenarios", "plain loop", "certify", "ratio", "per scenario", "peak RSS"
    );
    let mut rows: BTreeMap<usize, Row> = BTreeMap::new();
    let mut lint_10k: Option<Duration> = None;
    for &n in &sizes {
        let project = tempfile::tempdir().expect("tempdir");
        write_project(project.path(), n);
        // Warm the loop's pool and nginx's page cache once.
        rt.block_on(baseline(&client, &url, n.min(500)));
        let mut row = Row { base: Duration::MAX, run: Duration::MAX, rss_kib: 0, phases: String::new() };
        for k in 0..repeat {
            row.base = row.base.min(rt.block_on(baseline(&client, &url, n)));
            let out: PathBuf = project.path().join(format!("out-{k}"));
            let out_arg = out.display().to_string();
            let (run, rss, summary) = measured(
                project.path(),
                &["run", "--target", "bench", "--platform-version", "1.0.0", "--format", "json", "--out", &out_arg],
                &url,
            );
            if run < row.run {
                row.run = run;
                row.phases = phases(&summary);
            }
            row.rss_kib = row.rss_kib.max(rss);
            let _ = std::fs::remove_dir_all(&out);
        }
        println!(
            "{n:>9}  {:>8.0}ms  {:>8.0}ms  {:>5.2}x  {:>10.1}µs  {:>5} MiB",
            row.base.as_secs_f64() * 1000.0,
            row.run.as_secs_f64() * 1000.0,
            row.run.as_secs_f64() / row.base.as_secs_f64(),
            row.run.as_secs_f64() * 1e6 / n as f64,
            row.rss_kib / 1024
        );
        println!("  phases: {}", row.phases);
        if n == 10_000 || (lint_10k.is_none() && n == largest) {
            let best = (0..3).map(|_| measured(project.path(), &["lint"], &url).0).min();
            if let Some(d) = best {
                println!("  certify lint of the {n}-scenario file: {:.1} ms", d.as_secs_f64() * 1000.0);
            }
            lint_10k = best;
        }
        rows.insert(n, row);
    }
    println!("goals (PRODUCT.md section 10):");
    if let Some(r) = rows.get(&10_000) {
        println!("  certify / plain loop at 10,000: {:.2}x (goal 1.5x)", r.run.as_secs_f64() / r.base.as_secs_f64());
    }
    if let (Some(a), Some(b)) = (rows.get(&2_000), rows.get(&20_000)) {
        println!("  wall(20,000) / wall(2,000): {:.2} (goal at most 11)", b.run.as_secs_f64() / a.run.as_secs_f64());
    }
    if let (Some(a), Some(b)) = (rows.get(&1_000), rows.get(&20_000)) {
        println!("  RSS(20,000) / RSS(1,000): {:.2} (goal at most 1.5)", b.rss_kib as f64 / a.rss_kib.max(1) as f64);
    }
    if let Some(d) = lint_10k {
        println!("  lint of the largest file: {:.1} ms (goal under 100 ms at 10,000)", d.as_secs_f64() * 1000.0);
    }
}
