//! Response and request bodies end to end, with the real `certify run`
//! against a server of the test's own on 127.0.0.1: memory stays bounded by
//! concurrency x `max_body` whatever the answers (40 MiB streams, a 1 GiB
//! gzip bomb), a cut body fails only the body assertions and is recorded as
//! cut, a never-ending body is cut at the timeout, and doc strings arrive as
//! exactly their bytes.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Path as UrlPath, State},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{BIN, Project, Served, files_under};

const MIB: usize = 1 << 20;
/// Each `/huge` answer: 40 MiB, chunked (no Content-Length).
const HUGE: usize = 40 * MIB;
/// The chunk `/huge` repeats: made once, never the whole body.
const CHUNK: usize = 64 * 1024;
/// Scenarios in flight at once, and the target's `max_body`.
const CONCURRENCY: usize = 16;
const CAP: usize = MIB;
/// Memory a run may use beyond the same run with tiny answers: per exchange
/// in flight, 1x the cap for the kept body, up to 1x for the transport's
/// buffers and the chunks in flight (hyper reads up to ~400 KiB ahead), and
/// 1x for the allocator's slack (memory freed by one task that malloc keeps
/// in its per-thread arenas rather than reusing for another).
const FACTOR: usize = 3;

#[derive(Default)]
struct Seen {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    posted: Mutex<HashMap<String, Vec<u8>>>,
}

/// Counts a streamed answer in flight until dropped.
struct InFlight(Arc<Seen>);

impl InFlight {
    fn new(seen: &Arc<Seen>) -> InFlight {
        let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        seen.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(Arc::clone(seen))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The 64 KiB chunk `/huge` repeats.
fn chunk() -> Bytes {
    Bytes::from((0..CHUNK).map(|i| b'a' + (i % 26) as u8).collect::<Vec<u8>>())
}

/// One gzip member of 1 MiB of zeros (about 1 KiB).
fn zeros_member() -> Bytes {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![0u8; MIB]).unwrap_or_else(|e| panic!("gzip: {e}"));
    Bytes::from(e.finish().unwrap_or_else(|e| panic!("gzip: {e}")))
}

/// | route | answers |
/// |---|---|
/// | `/tiny` | 200 `{"ok": true}` |
/// | `/huge` | 200, 40 MiB chunked, generated as it is sent |
/// | `/huge/{mib}` | the same, `mib` MiB |
/// | `/bomb` | 200 `Content-Encoding: gzip`, ~1 MiB that decodes to 1 GiB of zeros (1024 gzip members) |
/// | `/endless` | 200, a body that never ends |
/// | `POST /echo/{case}` | 200; keeps the request body's bytes under `case`, its Content-Type under `case content-type` |
struct Target {
    url: String,
    seen: Arc<Seen>,
    /// Serving until dropped.
    _served: Served,
}

impl Target {
    fn start() -> Target {
        let seen = Arc::new(Seen::default());
        let app = Router::new()
            .route("/tiny", get(|| async { ([("content-type", "application/json")], "{\"ok\": true}") }))
            .route("/huge", get(|state| huge(state, UrlPath(HUGE / MIB))))
            .route("/huge/{mib}", get(huge))
            .route("/bomb", get(bomb))
            .route("/endless", get(endless))
            .route("/echo/{case}", post(echo))
            .with_state(Arc::clone(&seen));
        let served = Served::start(app, 2);
        Target { url: served.url(), seen, _served: served }
    }
}

async fn huge(State(seen): State<Arc<Seen>>, UrlPath(mib): UrlPath<usize>) -> Response {
    let guard = InFlight::new(&seen);
    let chunk = chunk();
    let total = mib * MIB;
    let stream = futures::stream::unfold((0, guard), move |(sent, guard)| {
        let chunk = chunk.clone();
        async move { (sent < total).then(|| (Ok::<_, std::io::Error>(chunk), (sent + CHUNK, guard))) }
    });
    ([("content-type", "application/json")], Body::from_stream(stream)).into_response()
}

async fn bomb(State(seen): State<Arc<Seen>>) -> Response {
    let guard = InFlight::new(&seen);
    let member = zeros_member();
    let stream = futures::stream::unfold((0, guard), move |(sent, guard)| {
        let member = member.clone();
        async move { (sent < 1024).then(|| (Ok::<_, std::io::Error>(member), (sent + 1, guard))) }
    });
    ([("content-encoding", "gzip"), ("content-type", "application/json")], Body::from_stream(stream)).into_response()
}

async fn endless() -> Response {
    let stream = futures::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        Some((Ok::<_, std::io::Error>(Bytes::from_static(b"[1,2,3,")), ()))
    });
    ([("content-type", "application/json")], Body::from_stream(stream)).into_response()
}

async fn echo(
    State(seen): State<Arc<Seen>>,
    UrlPath(case): UrlPath<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> &'static str {
    let content_type = headers.get("content-type").map(|v| v.as_bytes().to_vec()).unwrap_or_default();
    let mut posted = seen.posted.lock().unwrap_or_else(PoisonError::into_inner);
    posted.insert(format!("{case} content-type"), content_type);
    posted.insert(case, body.to_vec());
    "ok"
}

/// A project whose target is `target`, with `max_body` = [`CAP`],
/// concurrency [`CONCURRENCY`] and `timeout`, and `feature` as its only
/// feature file.
fn project(timeout: &str, feature: &str) -> Project {
    Project::empty()
        .file(
            "certify.toml",
            &format!(
                "[suite]\nfeatures = \"features\"\n\n[targets.test]\nbase_url = \"${{TARGET_URL}}\"\n\
                 timeout = \"{timeout}\"\nmax_body = \"1MiB\"\nconcurrency = {CONCURRENCY}\n"
            ),
        )
        .file("features/body.feature", feature)
}

/// A feature with one scenario per route in `routes`, each asserting only
/// the status.
fn status_only(routes: &[&str]) -> String {
    let rows: String = routes.iter().map(|r| format!("      | {r} |\n")).collect();
    format!(
        "Feature: Answers of every size\n\n  Scenario Outline: GET /<route>\n    \
         When I send a GET request to \"/<route>\"\n    Then the response status is 200\n\n    \
         Examples:\n      | route |\n{rows}"
    )
}

/// What one `certify run` did, with the peak resident memory of the process.
struct Measured {
    code: i32,
    peak_kib: u64,
    summary: Value,
    out: PathBuf,
    shown: String,
}

/// `certify run` in `project` against `target`, waited for with `wait4`,
/// which gives the child's own peak RSS (`ru_maxrss`, KiB) as the kernel
/// measured it, whatever other tests run meanwhile.
#[expect(clippy::zombie_processes, reason = "the child is reaped with wait4, which also gives its rusage")]
// The peak memory of a child process is only reported by wait4 (ru_maxrss).
#[allow(unsafe_code)]
fn run_measured(project: &Project, target: &Target, out: &str) -> Measured {
    let out = project.out(out);
    let stdout = project.path().join(format!("{}.stdout", out.display().to_string().replace('/', "_")));
    let stderr = stdout.with_extension("stderr");
    let file = |p: &Path| std::fs::File::create(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut cmd = Command::new(BIN);
    cmd.current_dir(project.path()).env_clear();
    for var in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    let mut child = cmd
        .env("NO_COLOR", "1")
        .env("TARGET_URL", &target.url)
        .args(["run", "--no-sign", "--platform-version", "1.0.0", "--format", "json", "--out"])
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(file(&stdout))
        .stderr(file(&stderr))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
    let pid = libc::pid_t::try_from(child.id()).unwrap_or_else(|e| panic!("pid: {e}"));
    let started = Instant::now();
    let mut status: libc::c_int = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for our own child; status and usage are valid for writes.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            break;
        }
        assert!(reaped == 0, "wait4({pid}) failed: {}", std::io::Error::last_os_error());
        if started.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("certify run still running after 300s, killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let shown = format!("exit {code}\n--- stdout\n{}\n--- stderr\n{}", read(&stdout), read(&stderr));
    let summary = serde_json::from_str(&read(&stdout)).unwrap_or(Value::Null);
    Measured { code, peak_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0), summary, out, shown }
}

/// The transcript line of attempt `attempt` of the scenario at `line` (the
/// only feature file's), as JSON.
fn transcript(out: &Path, line: usize, attempt: usize) -> Value {
    let files = files_under(out);
    let lines: Vec<Value> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson") && p.to_string_lossy().contains("transcripts"))
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|l| serde_json::from_str(&l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    lines
        .into_iter()
        .find(|l: &Value| l["line"] == line && l["attempt"] == attempt)
        .unwrap_or_else(|| panic!("no transcript line for line {line}, attempt {attempt} among {files:?}"))
}

/// The memory a run may use beyond its baseline: [`CONCURRENCY`] exchanges
/// in flight, each bounded by [`CAP`] times [`FACTOR`].
const BOUND_KIB: u64 = (CONCURRENCY * CAP * FACTOR / 1024) as u64;

#[test]
fn sixteen_concurrent_forty_mib_answers_stay_within_concurrency_times_the_cap() {
    let target = Target::start();
    let tiny_project = project("120s", &status_only(&["tiny"; CONCURRENCY]));
    let tiny = run_measured(&tiny_project, &target, "tiny");
    assert_eq!(tiny.code, 0, "the baseline run passes:\n{}", tiny.shown);
    let huge_project = project("120s", &status_only(&["huge"; CONCURRENCY]));
    let huge = run_measured(&huge_project, &target, "huge");
    assert_eq!(huge.code, 0, "bodies over the cap, status checked only: the run passes\n{}", huge.shown);
    assert_eq!(huge.summary["counts"]["passed"], CONCURRENCY, "{}", huge.shown);
    let overlap = target.seen.max_in_flight.load(Ordering::SeqCst);
    assert!(overlap >= CONCURRENCY / 2, "the answers streamed concurrently (at most {overlap} at once)");
    let grown = huge.peak_kib.saturating_sub(tiny.peak_kib);
    assert!(
        grown <= BOUND_KIB,
        "peak RSS {} KiB with {CONCURRENCY} x 40 MiB answers, {} KiB with tiny ones: {grown} KiB more, \
         over the bound of {BOUND_KIB} KiB ({CONCURRENCY} x {CAP} bytes x {FACTOR})",
        huge.peak_kib,
        tiny.peak_kib
    );
    // Each answer was read to its end: its whole size and sha256 are recorded.
    let mut whole = Sha256::new();
    let chunk = chunk();
    for _ in 0..HUGE / CHUNK {
        whole.update(&chunk);
    }
    let sha256: String = whole.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let body = &transcript(&huge.out, 9, 1)["exchanges"][0]["response"]["body"];
    assert_eq!(body["size"], HUGE, "{body}");
    assert_eq!(body["sha256"], sha256.as_str());
    assert_eq!(body["cut"], serde_json::json!({"reason": "limit", "at": CAP}));
    assert_eq!(body["truncated"], true);
}

#[test]
fn memory_does_not_grow_with_the_number_of_scenarios_with_big_bodies() {
    // 64 scenarios of one feature file, 16 at a time, each with a body over
    // the cap: what stays after a scenario ends (its result is held until
    // the file's last scenario, for JUnit) must not hold its body.
    let target = Target::start();
    let tiny_project = project("120s", &status_only(&["tiny"; 4 * CONCURRENCY]));
    let tiny = run_measured(&tiny_project, &target, "tiny");
    assert_eq!(tiny.code, 0, "{}", tiny.shown);
    let big_project = project("120s", &status_only(&["huge/2"; 4 * CONCURRENCY]));
    let big = run_measured(&big_project, &target, "big");
    assert_eq!(big.code, 0, "{}", big.shown);
    let grown = big.peak_kib.saturating_sub(tiny.peak_kib);
    assert!(
        grown <= BOUND_KIB,
        "peak RSS grew by {grown} KiB with {} scenarios of 2 MiB answers (bound {BOUND_KIB} KiB, \
         {CONCURRENCY} in flight x {CAP} bytes x {FACTOR})",
        4 * CONCURRENCY
    );
}

#[test]
fn a_gzip_bomb_is_cut_at_the_cap_without_growing_memory() {
    let target = Target::start();
    let mut routes = vec!["tiny"; CONCURRENCY];
    let tiny_project = project("120s", &status_only(&routes));
    let tiny = run_measured(&tiny_project, &target, "tiny");
    assert_eq!(tiny.code, 0, "{}", tiny.shown);
    routes[0] = "bomb";
    let bomb_project = project("120s", &status_only(&routes));
    let bomb = run_measured(&bomb_project, &target, "bomb");
    assert_eq!(bomb.code, 0, "a bomb whose status only is checked passes:\n{}", bomb.shown);
    let grown = bomb.peak_kib.saturating_sub(tiny.peak_kib);
    // Decoded whole, the bomb alone would take 1 GiB.
    assert!(grown <= BOUND_KIB, "peak RSS grew by {grown} KiB with a 1 GiB gzip bomb (bound {BOUND_KIB} KiB)");
    let body = &transcript(&bomb.out, 9, 1)["exchanges"][0]["response"]["body"];
    assert_eq!(body["size"], 1u64 << 30, "the decoded size is counted to the end: {body}");
    assert_eq!(body["content_encoding"], "gzip");
    assert_eq!(body["encoded_size"], 1024 * zeros_member().len());
    assert_eq!(body["cut"], serde_json::json!({"reason": "limit", "at": CAP}));
}

#[test]
fn a_cut_body_fails_its_body_assertions_and_a_never_ending_one_is_cut_at_the_timeout() {
    let target = Target::start();
    let feature = "Feature: Bodies not kept whole\n\n\
                   \x20 Scenario: The JSON of a cut body\n\
                   \x20   When I send a GET request to \"/huge\"\n\
                   \x20   Then the response status is 200\n\
                   \x20   And the response JSON at \"$.a\" is 1\n\n\
                   \x20 Scenario: A body that never ends\n\
                   \x20   When I send a GET request to \"/endless\"\n\
                   \x20   Then the response status is 200\n";
    let project = project("2s", feature);
    let run = run_measured(&project, &target, "out");
    assert_eq!(run.code, 1, "{}", run.shown);
    let not_ok = run.summary["not_ok"].as_array().cloned().unwrap_or_default();
    assert_eq!(not_ok.len(), 1, "only the body assertion fails:\n{}", run.shown);
    assert_eq!(not_ok[0]["id"], "features/body.feature:3");
    assert_eq!(not_ok[0]["status"], "failed", "a cut body is a failed assertion, not an error");
    let message = not_ok[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "the response body was cut at 1048576 bytes (the body was 41943040 bytes; \
             raise [targets.test] max_body to check it)"
        ),
        "{message}"
    );
    let endless = &transcript(&run.out, 8, 1)["exchanges"][0];
    assert!(endless["error"].is_null(), "{endless}");
    let body = &endless["response"]["body"];
    assert_eq!(body["cut"]["reason"], "timeout", "{body}");
    let size = body["size"].as_u64().unwrap_or(0);
    assert!(size > 0 && body["sha256"].is_string(), "what arrived is counted and hashed: {body}");
}

#[test]
fn doc_strings_arrive_as_exactly_their_bytes() {
    let target = Target::start();
    let feature = [
        "Feature: Doc strings",
        "",
        "  Scenario: Bodies",
        "    When I send a POST request to \"/echo/form\" with body:",
        "      \"\"\"",
        "      a=1&b=2",
        "      \"\"\"",
        "    Given the request body is:",
        "      ```json",
        "      {",
        "        \"indented\": true",
        "      }",
        "      ```",
        "    When I send a POST request to \"/echo/indented\"",
        "    When I send a POST request to \"/echo/empty-line-inside\" with body:",
        "      \"\"\"",
        "      first",
        "",
        "      third \\\"\\\"\\\"",
        "      \"\"\"",
        "    When I send a POST request to \"/echo/empty-last-line\" with body:",
        "      \"\"\"",
        "      line",
        "",
        "      \"\"\"",
        "    When I send a POST request to \"/echo/media-json\" with body:",
        "      \"\"\"application/json",
        "      {\"deliberately\": broken",
        "      \"\"\"",
        "    Then the response status is 200",
        "",
    ]
    .join("\n");
    let project = project("10s", &feature);
    let run = run_measured(&project, &target, "out");
    assert_eq!(run.code, 0, "{}", run.shown);
    let posted = target.seen.posted.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let got = |case: &str| String::from_utf8_lossy(posted.get(case).map_or(&[][..], Vec::as_slice)).into_owned();
    assert_eq!(posted.get("form").map(Vec::len), Some(7), "{:?}", got("form"));
    assert_eq!(got("form"), "a=1&b=2");
    assert_eq!(got("indented"), "{\n  \"indented\": true\n}");
    assert_eq!(got("empty-line-inside"), "first\n\nthird \"\"\"");
    assert_eq!(got("empty-last-line"), "line\n");
    assert_eq!(got("media-json"), "{\"deliberately\": broken");
    assert_eq!(got("media-json content-type"), "application/json", "the media type says JSON");
    assert_eq!(got("form content-type"), "text/plain; charset=utf-8");
    assert_eq!(got("indented content-type"), "application/json");
    // The transcript records what was sent.
    let sent = &transcript(&run.out, 3, 1)["exchanges"][0]["request"]["body"];
    assert_eq!(sent["size"], 7, "{sent}");
    // The Cucumber Messages record the same content, the media type apart.
    let messages = std::fs::read_to_string(run.out.join("messages.ndjson")).unwrap_or_default();
    let docs: Vec<Value> = messages
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|m| m.get("pickle").cloned())
        .flat_map(|p| p["steps"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s["argument"].get("docString").cloned())
        .collect();
    let contents: Vec<&str> = docs.iter().filter_map(|d| d["content"].as_str()).collect();
    assert_eq!(
        contents,
        ["a=1&b=2", "{\n  \"indented\": true\n}", "first\n\nthird \"\"\"", "line\n", "{\"deliberately\": broken"]
    );
    assert_eq!(docs[1]["mediaType"], "json");
}

/// What the whole process may hold per scenario of the suite, beyond a run of
/// 1,000: the suite, the plan and the runner's bookkeeping, and the
/// writers' indexes (an offset and a place per scenario entry and testcase).
/// A writer that kept each scenario's entry, transcript or testcase until the
/// end holds more than this (the writers did, at 19 KiB a scenario).
const PER_SCENARIO_KIB: u64 = 12;

/// `n` scenarios, `per_file` per feature file, each one GET with its status,
/// a header and a JSON value checked.
fn suite(n: usize, per_file: usize) -> Project {
    let mut p = project("30s", "Feature: none\n");
    for f in 0..n.div_ceil(per_file) {
        let mut text = format!("Feature: memory {f}\n\n");
        for i in 0..per_file.min(n - f * per_file) {
            text.push_str(&format!(
                "  Scenario: tiny {f}-{i}\n    When I send a GET request to \"/tiny\"\n    Then the response status is 200\n    \
                 And the response header \"Content-Type\" contains \"json\"\n    And the response JSON at \"$.ok\" is true\n\n"
            ));
        }
        p = p.file(&format!("features/m{f:03}.feature"), &text);
    }
    p
}

#[test]
fn memory_grows_little_with_the_number_of_scenarios() {
    memory_per_scenario_is_bounded(100);
}

/// One feature file of 10,000 scenarios: its Cucumber Messages document is
/// written as it is built, never held whole (held, it took 12 KiB a scenario).
#[test]
fn memory_grows_little_with_the_scenarios_of_one_file() {
    memory_per_scenario_is_bounded(usize::MAX);
}

fn memory_per_scenario_is_bounded(per_file: usize) {
    let target = Target::start();
    let small = run_measured(&suite(1_000, per_file), &target, "small");
    assert_eq!(small.code, 0, "{}", small.shown);
    let large = run_measured(&suite(10_000, per_file), &target, "large");
    assert_eq!(large.code, 0, "{}", large.shown);
    assert_eq!(large.summary["counts"]["passed"], 10_000, "{}", large.shown);
    let per_scenario = large.peak_kib.saturating_sub(small.peak_kib) / 9_000;
    assert!(
        per_scenario < PER_SCENARIO_KIB,
        "peak {} KiB at 1,000 scenarios, {} KiB at 10,000: {per_scenario} KiB per scenario, at most {PER_SCENARIO_KIB} expected",
        small.peak_kib,
        large.peak_kib
    );
}
