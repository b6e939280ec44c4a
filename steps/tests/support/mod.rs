//! Test support: a small axum server on 127.0.0.1:0 and a harness that runs
//! step texts through the real `dispatch()` against it, turning the
//! unwinding payload of a failed step back into a `StepFailure`.

// Shared by several test crates, each of which uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use certify_steps::{
    CredentialSpec, Dispatch, Exchange, Journal, RunContext, SecretSource, SnapshotSettings, StepFailure,
    TargetSettings, World, dispatch,
};
use futures::FutureExt as _;
use serde_json::{Value, json};

/// How many times `/counter` was called.
#[derive(Clone, Default)]
pub struct ServerState {
    pub counter: Arc<AtomicUsize>,
}

async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Json<Value> {
    let headers: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    Json(json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

async fn tenant() -> Json<Value> {
    Json(tenant_value())
}

/// The tenant document of `/v1/tenants/t-1`.
pub fn tenant_value() -> Value {
    json!({
        "id": "0b5bf2a4-6f0e-4a3c-9d4e-2a1b3c4d5e6f",
        "name": "Acme",
        "plan": "free",
        "roles": ["admin", "viewer"],
        "limits": {"requests": 100, "burst": 2.5},
        "items": [{"id": 1}, {"id": 2}, {"id": 3}],
        "created_at": "2024-05-01T10:00:00Z",
        "deleted_at": null
    })
}

async fn create_tenant(body: Bytes) -> Response {
    let mut created: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    created["id"] = json!("t-42");
    (StatusCode::CREATED, [("location", "/v1/tenants/t-42")], Json(created)).into_response()
}

async fn with_headers() -> Response {
    let mut response = (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response();
    let headers = response.headers_mut();
    headers.insert("retry-after", "30".parse().unwrap());
    headers.insert("x-trace", "abc-123".parse().unwrap());
    headers.append("set-cookie", "a=1".parse().unwrap());
    headers.append("set-cookie", "b=2".parse().unwrap());
    response
}

async fn counter(State(state): State<ServerState>) -> Response {
    let calls = state.counter.fetch_add(1, Ordering::SeqCst) + 1;
    if calls >= 3 {
        Json(json!({"state": "ready", "calls": calls})).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"state": "pending", "calls": calls}))).into_response()
    }
}

async fn streamed_big() -> Response {
    let chunks = (0..10).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 500])));
    Body::from_stream(futures::stream::iter(chunks)).into_response()
}

/// The tenant document of `/v1/tenants/t-1` as JSON bytes.
pub fn tenant_bytes() -> Vec<u8> {
    serde_json::to_vec(&tenant_value()).unwrap()
}

/// `bytes` encoded with one content-coding (`gzip`, `deflate` zlib-wrapped,
/// `deflate-raw`, `br`).
pub fn encode(coding: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    match coding {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        }
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        }
        "deflate-raw" => {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        }
        "br" => {
            let mut out = Vec::new();
            brotli::BrotliCompress(&mut &bytes[..], &mut out, &brotli::enc::BrotliEncoderParams::default()).unwrap();
            out
        }
        other => panic!("no encoder for {other}"),
    }
}

/// `/encoded/{coding}`: the tenant document with `Content-Encoding`:
/// `gzip`, `deflate`, `deflate-raw` (sent as `deflate`), `br`, `gzip-br`
/// (gzip, then br: `gzip, br`), `bad-gzip` (not gzip at all), `zstd`
/// (a coding certify does not decode), `truncated-gzip` (its last 8 bytes
/// missing).
async fn encoded(axum::extract::Path(coding): axum::extract::Path<String>) -> Response {
    let plain = tenant_bytes();
    let (header, body) = match coding.as_str() {
        "gzip" | "deflate" | "br" => (coding.clone(), encode(&coding, &plain)),
        "deflate-raw" => ("deflate".to_owned(), encode("deflate-raw", &plain)),
        "gzip-br" => ("gzip, br".to_owned(), encode("br", &encode("gzip", &plain))),
        "bad-gzip" => ("gzip".to_owned(), b"this is not gzip at all".to_vec()),
        "zstd" => ("zstd".to_owned(), vec![0x28, 0xb5, 0x2f, 0xfd, 0, 0]),
        "truncated-gzip" => {
            let mut full = encode("gzip", &plain);
            full.truncate(full.len() - 8);
            ("gzip".to_owned(), full)
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([("content-encoding", header), ("content-type", "application/json".to_owned())], body).into_response()
}

/// One gzip member holding 1 MiB of zeros.
pub fn zeros_member() -> Vec<u8> {
    encode("gzip", &vec![0u8; 1 << 20])
}

/// `/bomb/{mib}`: `Content-Encoding: gzip`, a stream of gzip members that
/// decodes to `mib` MiB of zeros (about 1 KiB on the wire per MiB), made
/// once and repeated, never held whole.
async fn bomb(axum::extract::Path(mib): axum::extract::Path<usize>) -> Response {
    let member = Bytes::from(zeros_member());
    let stream = futures::stream::iter((0..mib).map(move |_| Ok::<_, std::io::Error>(member.clone())));
    ([("content-encoding", "gzip")], Body::from_stream(stream)).into_response()
}

/// `/endless`: a 200 whose body never ends (1 KiB of `x` every millisecond).
async fn endless() -> Response {
    let stream = futures::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Some((Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1024])), ()))
    });
    ([("content-type", "application/json")], Body::from_stream(stream)).into_response()
}

/// Starts the test server; returns its base URL.
pub async fn start_server() -> (url::Url, ServerState) {
    let state = ServerState::default();
    let app = Router::new()
        .route("/echo", any(echo))
        .route("/api/echo", any(echo))
        .route("/v1/tenants/t-1", get(tenant))
        .route("/v1/tenants", post(create_tenant))
        .route("/html", get(|| async { ([("content-type", "text/html")], "<html><body>Oops</body></html>") }))
        .route("/error", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "boom"}))) }))
        .route("/headers", get(with_headers))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route("/big", get(|| async { "y".repeat(5000) }))
        .route("/big-stream", get(streamed_big))
        .route("/counter", get(counter))
        .route("/encoded/{coding}", get(encoded))
        .route("/bomb/{mib}", get(bomb))
        .route("/endless", get(endless))
        .route("/empty", get(|| async { StatusCode::NO_CONTENT }))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url::Url::parse(&format!("http://{address}/")).unwrap(), state)
}

/// A base URL where nothing listens.
pub async fn closed_port_url() -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    url::Url::parse(&format!("http://{address}/")).unwrap()
}

/// What a test can change before the context is built.
pub struct Setup {
    pub target: TargetSettings,
    pub credentials: Vec<CredentialSpec>,
    pub snapshots: SnapshotSettings,
    pub feature_path: Option<PathBuf>,
    pub outline: Vec<(String, String)>,
}

pub fn credential(name: &str, secret: SecretSource) -> CredentialSpec {
    CredentialSpec {
        name: name.to_owned(),
        header: "Authorization".to_owned(),
        bearer: true,
        secret,
        origin: format!("certify.toml [credentials.{name}]"),
    }
}

/// A scenario in progress: the world, its context and its journal.
pub struct Harness {
    pub world: World,
    pub ctx: Arc<RunContext>,
    pub journal: Journal,
    pub base: url::Url,
    pub state: ServerState,
    line: usize,
}

impl Harness {
    /// A harness against a fresh test server with default settings.
    pub async fn new() -> Harness {
        Self::with(|_| {}).await
    }

    /// A harness against a fresh test server, settings adjusted by `adjust`.
    pub async fn with(adjust: impl FnOnce(&mut Setup)) -> Harness {
        let (base, state) = start_server().await;
        Self::against(base, state, adjust)
    }

    /// A harness against `base`.
    pub fn against(base: url::Url, state: ServerState, adjust: impl FnOnce(&mut Setup)) -> Harness {
        let mut setup = Setup {
            target: TargetSettings {
                name: "test".to_owned(),
                base_url: base.clone(),
                headers: vec![("X-Client".to_owned(), "certify".to_owned())],
                default_auth: None,
                timeout: Duration::from_secs(5),
                max_rps: None,
                max_body_bytes: 1 << 20,
            },
            credentials: Vec::new(),
            snapshots: SnapshotSettings::default(),
            feature_path: None,
            outline: Vec::new(),
        };
        adjust(&mut setup);
        let ctx = Arc::new(RunContext::new(setup.target, setup.credentials, setup.snapshots).unwrap());
        let journal = Journal::default();
        let mut world = World::default();
        world.prepare(Arc::clone(&ctx), setup.feature_path.as_deref(), setup.outline, Arc::clone(&journal));
        Harness { world, ctx, journal, base, state, line: 0 }
    }

    /// Runs one step (no doc string, no table).
    pub async fn step(&mut self, text: &str) -> Result<(), StepFailure> {
        self.run(text, None, None).await
    }

    /// Runs one step with a doc string.
    pub async fn step_doc(&mut self, text: &str, doc: &str) -> Result<(), StepFailure> {
        self.run(text, Some(doc), None).await
    }

    /// Runs one step with a data table.
    pub async fn step_table(&mut self, text: &str, rows: &[[&str; 2]]) -> Result<(), StepFailure> {
        let rows = rows.iter().map(|row| row.iter().map(|c| (*c).to_owned()).collect()).collect();
        self.run(text, None, Some(rows)).await
    }

    /// Runs one step with a data table given as raw rows.
    pub async fn run_table_raw(&mut self, text: &str, rows: Vec<Vec<String>>) -> Result<(), StepFailure> {
        self.run(text, None, Some(rows)).await
    }

    /// Runs a step that must pass.
    pub async fn ok(&mut self, text: &str) {
        if let Err(failure) = self.step(text).await {
            panic!("step {text:?} failed: {failure:?}");
        }
    }

    async fn run(&mut self, text: &str, doc: Option<&str>, table: Option<Vec<Vec<String>>>) -> Result<(), StepFailure> {
        self.line += 1;
        run_step(&mut self.world, text, doc, table, self.line).await
    }

    /// The exchanges recorded so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.journal.lock().unwrap().clone()
    }

    /// The last response body as JSON (through the journal).
    pub fn last_json(&self) -> Value {
        let exchanges = self.exchanges();
        let response = exchanges.last().unwrap().response.as_ref().unwrap();
        serde_json::from_slice(&response.body.bytes).unwrap()
    }
}

/// Runs one step text through the real dispatch, as the runner does.
pub async fn run_step(
    world: &mut World,
    text: &str,
    doc: Option<&str>,
    table: Option<Vec<Vec<String>>>,
    line: usize,
) -> Result<(), StepFailure> {
    let step = gherkin::Step {
        keyword: "When ".to_owned(),
        ty: gherkin::StepType::When,
        value: text.to_owned(),
        docstring: doc.map(str::to_owned),
        table: table.map(|rows| gherkin::Table {
            rows,
            span: gherkin::Span::default(),
            position: gherkin::LineCol::default(),
        }),
        span: gherkin::Span::default(),
        position: gherkin::LineCol { line, col: 5 },
    };
    let (handler, ctx) = match dispatch(&step) {
        Dispatch::Run { def, context } => (def.handler, context),
        Dispatch::Undefined { .. } => panic!("no step matches {text:?}"),
        Dispatch::Ambiguous(defs) => panic!("{text:?} is ambiguous: {defs:?}"),
    };
    match AssertUnwindSafe(handler(world, ctx)).catch_unwind().await {
        Ok(()) => Ok(()),
        Err(payload) => match payload.downcast::<StepFailure>() {
            Ok(failure) => Err(*failure),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

/// Asserts an assertion failure whose message contains every needle.
#[track_caller]
pub fn assert_assertion(result: Result<(), StepFailure>, needles: &[&str]) -> String {
    let failure = result.expect_err("the step should have failed");
    assert!(failure.is_assertion(), "expected an assertion failure, got {failure:?}");
    for needle in needles {
        assert!(failure.message.contains(needle), "{:?} not in:\n{}", needle, failure.message);
    }
    failure.message
}

/// Asserts an error whose message contains every needle.
#[track_caller]
pub fn assert_error(result: Result<(), StepFailure>, needles: &[&str]) -> String {
    let failure = result.expect_err("the step should have failed");
    assert!(!failure.is_assertion(), "expected an error, got {failure:?}");
    for needle in needles {
        assert!(failure.message.contains(needle), "{:?} not in:\n{}", needle, failure.message);
    }
    failure.message
}
