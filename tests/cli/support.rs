//! What every end-to-end test needs: the real `certify` binary run in a
//! directory with a cleared environment (exit code, stdout and stderr back),
//! certification projects written into temporary directories from fixtures
//! under `tests/fixtures/`, a small axum server on 127.0.0.1 with routes that
//! misbehave on purpose, a JUnit reader and the `xmllint` schema check.

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    net::{Ipv4Addr, SocketAddr, TcpListener as StdListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{Path as UrlPath, State},
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use serde_json::{Value, json};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_certify");

/// The longest any one command may take before the test kills it and fails.
const DEADLINE: Duration = Duration::from_secs(120);

/// The repository root (where the shipped certify.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/data`: upstream schemas and corpora, kept with their licenses.
pub fn test_data() -> PathBuf {
    repo_root().join("tests").join("data")
}

/// `tests/tools/<name>`: the outside verifiers' drivers.
pub fn test_tool(name: &str) -> PathBuf {
    repo_root().join("tests").join("tools").join(name)
}

/// `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests").join("fixtures").join(name)
}

/// What one `certify` invocation did.
pub struct Outcome {
    pub command: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// stdout parsed as the one JSON document of `--format json`.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{self}"))
    }

    /// Fails the test, showing everything, unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Outcome {
        assert_eq!(self.code, code, "unexpected exit code:\n{self}");
        self
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ {}\nexit code {}\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

/// A `certify` command being put together: cleared environment, explicit
/// variables only.
pub struct Certify {
    cmd: Command,
    shown: String,
}

/// `certify` run in `dir` with only PATH and HOME from the test's environment.
pub fn certify(dir: &Path) -> Certify {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).env_clear();
    for var in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    cmd.env("NO_COLOR", "1");
    Certify { cmd, shown: "certify".to_owned() }
}

impl Certify {
    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Certify {
        self.shown.push_str(&format!(" {}", arg.as_ref().to_string_lossy()));
        self.cmd.arg(arg);
        self
    }

    pub fn args<S: AsRef<std::ffi::OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Certify {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// Signs the run's evidence with `key` (through `CERTIFY_SIGNING_KEY`).
    pub fn signed_by(self, key: &KeyPair) -> Certify {
        self.env("CERTIFY_SIGNING_KEY", &key.private)
    }

    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Certify {
        self.cmd.env(name, value);
        self
    }

    /// Runs to completion (killed and failed after [`DEADLINE`]).
    pub fn run(self) -> Outcome {
        self.spawn().wait()
    }

    /// Starts the process with its output captured.
    pub fn spawn(mut self) -> Running {
        let mut child = self
            .cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
        let stdout = child.stdout.take().map(drain);
        let stderr = child.stderr.take().map(drain);
        Running { child, stdout, stderr, shown: self.shown }
    }
}

fn drain(mut pipe: impl std::io::Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A `certify` process in flight.
pub struct Running {
    child: Child,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
    shown: String,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal with `kill -SIG pid`, as a user or a CI runner would.
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
        assert!(status.success(), "kill -{sig} {} failed", self.pid());
    }

    /// Waits for the exit; kills the process and fails after [`DEADLINE`].
    pub fn wait(mut self) -> Outcome {
        let start = Instant::now();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if start.elapsed() > DEADLINE => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("waiting for {}: {e}", self.shown),
            }
        };
        let take = |h: Option<JoinHandle<String>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
        let outcome = Outcome {
            command: self.shown.clone(),
            code: status.and_then(|s| s.code()).unwrap_or(-1),
            stdout: take(self.stdout.take()),
            stderr: take(self.stderr.take()),
        };
        assert!(status.is_some(), "still running after {DEADLINE:?}, killed:\n{outcome}");
        outcome
    }
}

/// A certification project in a temporary directory.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// An empty project directory.
    pub fn empty() -> Project {
        let dir = tempfile::Builder::new()
            .prefix("certify-e2e-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        Project { dir }
    }

    /// A copy of `tests/fixtures/<name>`.
    pub fn fixture(name: &str) -> Project {
        let project = Project::empty();
        copy_tree(&fixture(name), project.path());
        project
    }

    /// Writes (or replaces) a file, creating its directories.
    pub fn file(self, rel: &str, text: &str) -> Project {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `certify` run in the project's directory.
    pub fn certify(&self) -> Certify {
        certify(self.path())
    }

    /// A fresh output directory path inside the project (not created).
    pub fn out(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// `certify archive add BUNDLE --key KEY --archive ARCHIVE`, in the project's directory.
    pub fn archive_add(&self, bundle: &Path, key: &KeyPair, archive: &Path) -> Outcome {
        self.certify()
            .args(["archive", "add"])
            .arg(bundle)
            .arg("--key")
            .arg(&key.public)
            .arg("--archive")
            .arg(archive)
            .run()
    }

    /// The project's signing key pair, made by `certify keygen` under `keys/`
    /// on first use.
    pub fn keygen(&self) -> KeyPair {
        let keys = self.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap_or_else(|e| panic!("{}: {e}", keys.display()));
        let prefix = keys.join("release");
        let pair = KeyPair { private: prefix.with_extension("key"), public: prefix.with_extension("pub.pem") };
        if !pair.private.is_file() {
            let run = self.certify().arg("keygen").arg("--out").arg(&prefix).run();
            run.expect_code(0);
            assert!(pair.private.is_file() && pair.public.is_file(), "keygen wrote no key pair:\n{run}");
        }
        pair
    }
}

/// The files of a key pair from `certify keygen`.
pub struct KeyPair {
    /// PKCS#8 PEM, for `CERTIFY_SIGNING_KEY`.
    pub private: PathBuf,
    /// SPKI PEM, for `certify verify --key`.
    pub public: PathBuf,
}

impl KeyPair {
    /// The base64 body of the private key: what must never leak.
    pub fn private_body(&self) -> String {
        let pem = std::fs::read_to_string(&self.private).unwrap_or_else(|e| panic!("{}: {e}", self.private.display()));
        pem.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    /// `certify verify BUNDLE --key PUBLIC` must accept `bundle`.
    pub fn assert_verifies(&self, bundle: &Path) {
        let dir = bundle.parent().unwrap_or(bundle);
        let run = certify(dir).arg("verify").arg(bundle).arg("--key").arg(&self.public).run();
        assert_eq!(run.code, 0, "the bundle does not verify:\n{run}");
    }
}

pub fn copy_tree(from: &Path, to: &Path) {
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        }
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn refused_port() -> u16 {
    let listener =
        StdListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
    listener.local_addr().unwrap_or_else(|e| panic!("local_addr: {e}")).port()
}

// ---------------------------------------------------------------------------
// The misbehaving target.

/// What the test server saw, for the tests to inspect.
#[derive(Default)]
pub struct ServerState {
    /// Requests per `/flaky/{key}` key.
    flaky: Mutex<HashMap<String, usize>>,
    /// `/slow/...` requests in flight now.
    in_flight: AtomicUsize,
    /// The most `/slow/...` requests in flight at once while a `/slow/serial`
    /// request was in flight.
    max_during_serial: AtomicUsize,
    /// The most `/slow/parallel` requests in flight at once.
    max_parallel: AtomicUsize,
    /// `/slow/serial` requests served.
    serial_served: AtomicUsize,
    /// Everything `/echo` received: URI, header values and body.
    echoed: Mutex<Vec<String>>,
}

impl ServerState {
    pub fn max_in_flight_during_serial(&self) -> usize {
        self.max_during_serial.load(Ordering::SeqCst)
    }
    pub fn max_parallel_in_flight(&self) -> usize {
        self.max_parallel.load(Ordering::SeqCst)
    }
    pub fn serial_served(&self) -> usize {
        self.serial_served.load(Ordering::SeqCst)
    }
    /// Whether `/echo` received `text` anywhere in a request.
    pub fn echo_received(&self, text: &str) -> bool {
        self.echoed.lock().unwrap_or_else(PoisonError::into_inner).iter().any(|seen| seen.contains(text))
    }
}

/// An axum server on 127.0.0.1:0 in a background tokio runtime.
///
/// | route | answers |
/// |---|---|
/// | `/version` | `{"version": "1.0.0"}` |
/// | `/ok` | 200 JSON `{"ok": true, "name": "certify", "items": [1, 2, 3]}` |
/// | `/500` | 500 JSON error |
/// | `/html` | 200 `text/html` page |
/// | `/big` | 200, 50 MB streamed without a length |
/// | `/hang` | nothing for 30 s |
/// | `/flaky/{key}` | 500 on odd requests per key (the 1st, 3rd...), 200 JSON on even ones |
/// | `/slow/serial`, `/slow/parallel` | 200 after 150 ms, counting overlaps |
/// | `/echo` (any method) | 200 JSON with the request's headers, query and body |
/// An axum app served on 127.0.0.1 (a free port) by a runtime of its own,
/// stopped when dropped: every test server is one.
pub struct Served {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Served {
    pub fn start(app: Router, workers: usize) -> Served {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
            .unwrap_or_else(|e| panic!("cannot bind a test server: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("local_addr: {e}"));
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Served { addr, runtime: Some(runtime) }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

pub struct Server {
    served: Served,
    pub state: Arc<ServerState>,
}

impl Server {
    pub fn start() -> Server {
        let state = Arc::new(ServerState::default());
        let app = Router::new()
            .route("/version", get(|| async { Json(json!({"version": "1.0.0"})) }))
            .route("/version-banana", get(|| async { Json(json!({"version": "banana"})) }))
            .route("/version-elsewhere", get(|| async { Json(json!({"build": {"version": "1.0.0"}})) }))
            .route("/ok", get(|| async { Json(json!({"ok": true, "name": "certify", "items": [1, 2, 3]})) }))
            .route("/500", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "internal"}))) }))
            .route(
                "/html",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        "<!doctype html><html><body><h1>Maintenance</h1></body></html>",
                    )
                }),
            )
            .route("/big", get(big))
            .route(
                "/hang",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "too late"
                }),
            )
            .route("/flaky/{key}", get(flaky))
            .route("/slow/{kind}", get(slow))
            .route("/echo", any(echo))
            .with_state(state.clone());
        let served = Served::start(app, 2);
        Server { served, state }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        self.served.url()
    }
}

async fn big() -> Response {
    const CHUNK: usize = 64 * 1024;
    const TOTAL: usize = 50 * 1024 * 1024;
    let chunk = Bytes::from(vec![b'x'; CHUNK]);
    let stream = futures::stream::iter((0..TOTAL / CHUNK).map(move |_| Ok::<Bytes, std::io::Error>(chunk.clone())));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|e| panic!("building the /big response: {e}"))
}

async fn flaky(State(state): State<Arc<ServerState>>, UrlPath(key): UrlPath<String>) -> Response {
    let seen = {
        let mut map = state.flaky.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(key).or_default();
        *n += 1;
        *n
    };
    // Odd requests fail, even ones pass: every run that retries sees one of each.
    if seen % 2 == 1 {
        (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "first attempt fails"}))).into_response()
    } else {
        Json(json!({"ok": true, "attempt": seen})).into_response()
    }
}

async fn slow(State(state): State<Arc<ServerState>>, UrlPath(kind): UrlPath<String>) -> Response {
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let serial = kind == "serial";
    if kind == "parallel" {
        state.max_parallel.fetch_max(now, Ordering::SeqCst);
    }
    if serial {
        state.serial_served.fetch_add(1, Ordering::SeqCst);
    }
    // Sample the overlap while this request is in flight.
    for _ in 0..15 {
        if serial {
            let n = state.in_flight.load(Ordering::SeqCst);
            state.max_during_serial.fetch_max(n, Ordering::SeqCst);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    Json(json!({"kind": kind})).into_response()
}

async fn echo(State(state): State<Arc<ServerState>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    {
        let mut seen = state.echoed.lock().unwrap_or_else(PoisonError::into_inner);
        seen.push(uri.to_string());
        seen.extend(headers.values().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()));
        seen.push(String::from_utf8_lossy(&body).into_owned());
    }
    let headers: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let authorization = headers.get("authorization").cloned().unwrap_or_default();
    let token = authorization.strip_prefix("Bearer ").unwrap_or(&authorization).to_owned();
    (
        [("x-echo-authorization", authorization.clone())],
        Json(json!({
            "authorization": authorization,
            "token": token,
            "headers": headers,
            "query": uri.query().unwrap_or_default(),
            "body": String::from_utf8_lossy(&body),
        })),
    )
        .into_response()
}

// ---------------------------------------------------------------------------
// JUnit.

/// An XML element, enough of one to read a JUnit report.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every element named `name` at any depth below (and including) this one.
    pub fn descendants<'a>(&'a self, name: &str) -> Vec<&'a Element> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            if e.name == name {
                out.push(e);
            }
            stack.extend(e.children.iter().rev());
        }
        out
    }

    /// `name -> value` of a testsuite's `<properties>`.
    pub fn properties(&self) -> BTreeMap<String, String> {
        self.child("properties")
            .map(|p| {
                p.children_named("property")
                    .map(|e| {
                        (e.attr("name").unwrap_or_default().to_owned(), e.attr("value").unwrap_or_default().to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Parses an XML document into its root element.
pub fn parse_xml(text: &str) -> Element {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = vec![Element::default()];
    let open = |e: &quick_xml::events::BytesStart<'_>| {
        let mut el = Element { name: e.name().as_ref().to_owned(), ..Element::default() };
        for attr in e.attributes() {
            let attr = attr.unwrap_or_else(|err| panic!("bad XML attribute: {err}"));
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .unwrap_or_else(|err| panic!("bad XML attribute value: {err}"));
            el.attrs.insert(attr.key.as_ref().to_owned(), value.into_owned());
        }
        el
    };
    loop {
        let event =
            reader.read_event().unwrap_or_else(|e| panic!("not well-formed XML at {}: {e}", reader.buffer_position()));
        match event {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => {
                let el = open(&e);
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().unwrap_or_default();
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(el);
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match r.xml10_content().as_ref() {
                        "amp" => "&".to_owned(),
                        "lt" => "<".to_owned(),
                        "gt" => ">".to_owned(),
                        "quot" => "\"".to_owned(),
                        "apos" => "'".to_owned(),
                        other => format!("&{other};"),
                    },
                };
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut document = stack.pop().unwrap_or_default();
    assert!(document.children.len() == 1, "expected one root element, found {}", document.children.len());
    document.children.remove(0)
}

/// Reads and parses a JUnit file (`<testsuites>`).
pub fn read_junit(path: &Path) -> Element {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let root = parse_xml(&text);
    assert_eq!(root.name, "testsuites", "{}: root element", path.display());
    root
}

/// Scenario identities in a JUnit report: `file attribute of the testsuite`
/// + `::` + `testcase name`, with how many times each occurs.
pub fn testcase_ids(junit: &Element) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for suite in junit.children_named("testsuite") {
        let file = suite.attr("file").unwrap_or_default();
        for case in suite.children_named("testcase") {
            let id = format!("{file}::{}", case.attr("name").unwrap_or_default());
            *ids.entry(id).or_insert(0) += 1;
        }
    }
    ids
}

/// Validates a JUnit file against the Jenkins junit-10.xsd with `xmllint`.
/// A missing `xmllint` fails the test: it is a required tool.
pub fn assert_valid_junit(path: &Path) {
    let schema = test_data().join("junit").join("junit-10.xsd");
    assert!(schema.is_file(), "the JUnit schema {} is missing", schema.display());
    let output = Command::new("xmllint").arg("--noout").arg("--schema").arg(&schema).arg(path).output();
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "xmllint is required to validate JUnit reports and was not found on PATH: \
             install libxml2-utils (apt-get install libxml2-utils)"
        ),
        Err(e) => panic!("cannot run xmllint: {e}"),
    };
    assert!(
        output.status.success(),
        "{} does not validate against junit-10.xsd:\n{}\n{}",
        path.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------------------
// Expected outcomes of a fixture project.

/// One line of a fixture's `expected.txt`: `WHERE STATUS [TEXT]`, where TEXT
/// must appear in the message reported for WHERE.
#[derive(Debug, Clone)]
pub struct Expectation {
    pub place: String,
    pub status: String,
    pub text: String,
}

/// Reads `expected.txt` of a fixture: one expectation per line, `#` comments
/// and blank lines ignored.
pub fn expectations(fixture_name: &str) -> Vec<Expectation> {
    let path = fixture(fixture_name).join("expected.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (place, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            let rest = rest.trim_start();
            let (status, text) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let (place, status, text) = (place.to_owned(), status.to_owned(), text.trim().to_owned());
            assert!(!place.is_empty() && !status.is_empty(), "{}: malformed line {l:?}", path.display());
            Expectation { place, status, text }
        })
        .collect()
}

/// Waits (up to 60 s) until the run writing the bundle `out` has started:
/// its temporary `.NAME.partial-PID` directory exists. Then a little longer,
/// so the run has its signal handlers before the test signals it.
pub fn wait_until_running(out: &Path) {
    let parent = out.parent().expect("the bundle has a parent directory");
    let prefix = format!(".{}.partial-", out.file_name().expect("a name").to_string_lossy());
    let started = std::time::Instant::now();
    loop {
        let found = std::fs::read_dir(parent)
            .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with(&prefix)))
            .unwrap_or(false);
        if found {
            std::thread::sleep(Duration::from_millis(800));
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the run never started writing {}", out.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}
