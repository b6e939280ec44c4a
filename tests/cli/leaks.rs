//! A hostile target: it echoes every credential it is sent, and a secret of
//! its own that a scenario saves, back in every form a body, a header or a
//! URL can carry (raw, percent-encoded, base64 of the value and of `Bearer
//! <token>` and `user:password`, inside a base64 JSON blob, JSON- and
//! HTML-escaped, inside binary bytes, straddling the transcript cap), and the
//! scenarios fail on it so that the echoes reach failure messages. Then every
//! file of the bundle, stdout and stderr are scanned for every form of every
//! secret, also after decoding every base64 run (at every alignment, both
//! alphabets) and after percent-decoding, JSON- and HTML-unescaping them.
//! Not covered here: content-encoded (gzip, br) echoes, which the HTTP layer
//! does not decode yet on this branch.

use std::sync::{Arc, Mutex, PoisonError};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::json;

use crate::support::{Project, Served, files_under};

/// The bearer credential: ASCII (it travels in a header) with every
/// character that needs escaping somewhere.
const TOKEN: &str = r#"tk-Zq7"/\+ &<'>=?Lw9;x"#;
/// The password of a Basic credential (`admin:PASSWORD`, base64, in the header).
const PASSWORD: &str = r#"pw-Hq2/+"Rt5<&>"#;
/// A secret of the target's own, in a field the redaction paths select
/// (`$..secret`), which a scenario saves: non-ASCII and escapes included.
const SAVED: &str = "sêcrét-Ψ\"/\\-Xy4😀-Vb8";

/// `[evidence] max_body` of the project: `/big` puts the token across it.
const CAP: usize = 8192;

const CONFIG: &str = r#"
[suite]
features = "features"

[targets.hostile]
base_url = "${TARGET_URL}"
version = { path = "/version", json = "$.version" }
timeout = "5s"

[credentials.admin]
bearer_env = "HOSTILE_TOKEN"

[credentials.basic]
header = "Authorization"
value_env = "HOSTILE_BASIC"

[evidence]
max_body = 8192
"#;

const FEATURE: &str = r#"Feature: A hostile target echoes every secret in every form

  Scenario: The token comes back in every form
    Given I am authenticated as "admin"
    When I send a GET request to "/json"
    And I send a GET request to "/text"
    And I send a GET request to "/redirect"
    And I send a GET request to "/html"
    And I send a GET request to "/blob"
    And I send a GET request to "/binary"
    And I send a GET request to "/big"
    And I send a GET request to "/gzip"
    And I send a GET request to "/deflate"
    And I send a GET request to "/br"
    Then the response status is 299

  Scenario: A failure message quotes the echoed token
    Given I am authenticated as "admin"
    When I send a GET request to "/text"
    Then the response body contains "nothing of the sort"

  Scenario: A failure message's excerpt of the body cuts through the token
    Given I am authenticated as "admin"
    When I send a GET request to "/excerpt"
    Then the response body contains "nothing of the sort"

  Scenario: A saved secret lands in a failure message
    When I send a GET request to "/login"
    And I save the response JSON at "$.session.secret" as "saved"
    And I send a GET request to "/echo-saved?s={{saved}}"
    And I send a GET request to "/login"
    Then the response JSON at "$.status" is "{{saved}}"

  Scenario: The saved secret comes back later, unannounced
    When I send a GET request to "/later"
    Then the response JSON at "$.echo" is "nothing"

  Scenario: Basic credentials come back decoded
    Given I am authenticated as "basic"
    When I send a GET request to "/basic"
    Then the response body contains "nothing of the sort"
"#;

#[test]
fn no_form_of_any_secret_reaches_the_bundle_or_the_console() {
    let server = Hostile::start();
    let project = Project::empty().file("certify.toml", CONFIG).file("features/hostile.feature", FEATURE);
    let key = project.keygen();
    let basic = format!("Basic {}", STANDARD.encode(format!("admin:{PASSWORD}")));
    let mut runs = Vec::new();
    let out = project.out("out");
    for format in ["text", "json"] {
        let run = project
            .certify()
            .args(["run", "--concurrency", "1", "--format", format, "--out"])
            .arg(out.join(format))
            .env("TARGET_URL", server.url())
            .env("HOSTILE_TOKEN", TOKEN)
            .env("HOSTILE_BASIC", &basic)
            .signed_by(&key)
            .run();
        run.expect_code(1);
        key.assert_verifies(&out.join(format));
        runs.push(run);
    }

    // The secrets reached the target, and every scenario failed on what came
    // back: otherwise the scan below would prove nothing.
    let seen = server.seen();
    assert!(seen.iter().any(|s| s.contains(TOKEN)), "the bearer token was never sent: {seen:?}");
    assert!(seen.iter().any(|s| s.contains(&basic)), "the Basic credential was never sent: {seen:?}");
    assert!(seen.iter().any(|s| s.starts_with("/echo-saved?s=")), "the saved secret was never sent back: {seen:?}");
    let summary = runs[1].json();
    assert_eq!(summary["counts"]["failed"], 6, "every scenario fails:\n{}", runs[1]);
    let messages = summary["not_ok"].to_string();
    assert!(messages.contains("[redacted]"), "the failure messages quote the echoes, redacted:\n{}", runs[1]);

    let mut leaks = Vec::new();
    let mut scanned = 0;
    for file in files_under(&out) {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        scan(&file.display().to_string(), &bytes, &mut leaks);
        scanned += 1;
    }
    assert!(scanned > 10, "the runs wrote only {scanned} files under {}", out.display());
    // The echoes are in the transcripts (compact JSON, one line per
    // attempt), redacted: a binary body redacted
    // before its base64, a body cut at the cap.
    let transcripts: String = files_under(&out.join("json").join("transcripts"))
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect();
    // Content-encoded echoes were decoded before they were recorded (else
    // the scan of compressed bytes would find nothing and prove nothing).
    for encoding in ["gzip", "deflate", "br"] {
        let recorded = format!("\"content_encoding\":\"{encoding}\"");
        assert!(transcripts.contains(&recorded), "no {recorded} in the transcripts:\n{transcripts}");
    }
    for expected in ["\"base64\"", "\"redacted\":true", "\"truncated\":true", "[redacted]"] {
        assert!(transcripts.contains(expected), "no {expected} in the transcripts:\n{transcripts}");
    }
    for run in &runs {
        scan(&format!("stdout of `{}`", run.command), run.stdout.as_bytes(), &mut leaks);
        scan(&format!("stderr of `{}`", run.command), run.stderr.as_bytes(), &mut leaks);
    }
    leaks.sort();
    leaks.dedup();
    assert!(leaks.is_empty(), "secrets leaked:\n  {}\n\n{}\n\n{}", leaks.join("\n  "), runs[0], runs[1]);
}

/// Every form of one secret the test looks for, with its name.
fn forms(secret: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = texts(secret);
    let engines: [(&str, GeneralPurpose); 4] = [
        ("base64", STANDARD),
        ("base64 unpadded", STANDARD_NO_PAD),
        ("base64url", URL_SAFE),
        ("base64url unpadded", URL_SAFE_NO_PAD),
    ];
    for (name, engine) in engines {
        for (what, plain) in [
            ("", secret.to_owned()),
            (" of Bearer", format!("Bearer {secret}")),
            (" of admin:", format!("admin:{secret}")),
        ] {
            out.push((format!("{name}{what}"), engine.encode(plain).into_bytes()));
        }
    }
    out
}

/// The textual forms of a secret: what a decoded base64 run is searched for.
fn texts(secret: &str) -> Vec<(String, Vec<u8>)> {
    let json = json_inner(secret);
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    vec![
        ("raw".into(), secret.as_bytes().to_vec()),
        ("JSON-escaped".into(), json.clone().into_bytes()),
        ("JSON-escaped with \\/".into(), json.replace('/', "\\/").into_bytes()),
        ("JSON-escaped ASCII".into(), json_ascii(secret, false).into_bytes()),
        ("JSON-escaped ASCII, uppercase hex".into(), json_ascii(secret, true).into_bytes()),
        ("JSON-escaped twice".into(), json_inner(&json).into_bytes()),
        ("HTML-escaped".into(), html(secret, "&#39;").into_bytes()),
        ("HTML-escaped (&#x27;)".into(), html(secret, "&#x27;").into_bytes()),
        ("form-urlencoded".into(), form.into_bytes()),
        ("percent-encoded".into(), percent_all(secret, true).into_bytes()),
        ("percent-encoded, lowercase hex".into(), percent_all(secret, false).into_bytes()),
    ]
}

fn json_inner(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_else(|e| panic!("{e}"));
    quoted[1..quoted.len() - 1].to_owned()
}

/// As Python's `json.dumps` writes a string (non-ASCII as `\uXXXX`, surrogate pairs).
fn json_ascii(s: &str, upper: bool) -> String {
    let mut out = String::new();
    for c in json_inner(s).chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0u16; 2]) {
                out.push_str(&if upper { format!("\\u{unit:04X}") } else { format!("\\u{unit:04x}") });
            }
        }
    }
    out
}

fn html(s: &str, apostrophe: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', apostrophe)
}

fn percent_all(s: &str, upper: bool) -> String {
    s.bytes().map(|b| if upper { format!("%{b:02X}") } else { format!("%{b:02x}") }).collect()
}

/// Looks for every form of every secret in `bytes`, as they are, inside
/// every base64 run, and after percent-decoding, JSON- and HTML-unescaping.
fn scan(place: &str, bytes: &[u8], leaks: &mut Vec<String>) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let views = [
        ("as written", bytes.to_vec()),
        ("percent-decoded", percent_decode(&text, false)),
        ("percent-decoded (+ as space)", percent_decode(&text, true)),
        ("JSON-unescaped", json_unescape(&text).into_bytes()),
        ("JSON-unescaped twice", json_unescape(&json_unescape(&text)).into_bytes()),
        ("HTML-unescaped", html_unescape(&text).into_bytes()),
    ];
    for secret in [TOKEN, PASSWORD, SAVED] {
        // What a cut leaves, the beginning of the value, is looked for too.
        let head = String::from_utf8_lossy(&secret.as_bytes()[..8]).into_owned();
        let beginnings = [
            ("8-byte beginning".to_owned(), head.clone().into_bytes()),
            ("8-byte beginning, JSON-escaped".to_owned(), json_inner(&head).into_bytes()),
        ];
        let all: Vec<_> = forms(secret).into_iter().chain(beginnings.clone()).collect();
        let textual: Vec<_> = texts(secret).into_iter().chain(beginnings).collect();
        for (view, bytes) in &views {
            for (form, needle) in &all {
                if let Some(at) = find(bytes, needle) {
                    leaks.push(format!("{place} ({view}): {form} form of {secret:?} near {:?}", context(bytes, at)));
                }
            }
            for decoded in base64_runs(bytes) {
                for (form, needle) in &textual {
                    if let Some(at) = find(&decoded, needle) {
                        leaks.push(format!(
                            "{place} ({view}, in a base64 run): {form} form of {secret:?} near {:?}",
                            context(&decoded, at)
                        ));
                    }
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn context(bytes: &[u8], at: usize) -> String {
    String::from_utf8_lossy(&bytes[at.saturating_sub(20)..(at + 60).min(bytes.len())]).into_owned()
}

/// Every run of 8 or more base64 characters, decoded at each of its four
/// starting offsets with both alphabets (trailing partial groups dropped).
fn base64_runs(bytes: &[u8]) -> Vec<Vec<u8>> {
    let lenient = |alphabet: &base64::alphabet::Alphabet| {
        GeneralPurpose::new(
            alphabet,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_allow_trailing_bits(true)
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        )
    };
    let engines = [lenient(&base64::alphabet::STANDARD), lenient(&base64::alphabet::URL_SAFE)];
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_');
    let mut out = Vec::new();
    for run in bytes.split(|&b| !is_b64(b)).filter(|r| r.len() >= 8) {
        for skip in 0..4 {
            let part = &run[skip..];
            let part = &part[..part.len() - part.len() % 4];
            for engine in &engines {
                if let Ok(decoded) = engine.decode(part) {
                    out.push(decoded);
                }
            }
        }
    }
    out
}

fn percent_decode(text: &str, plus: bool) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

fn json_unescape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let unit = |at: usize| -> Option<u32> {
        (at + 4 <= chars.len())
            .then(|| chars[at..at + 4].iter().collect::<String>())
            .and_then(|h| u32::from_str_radix(&h, 16).ok())
    };
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            let simple = match chars[i + 1] {
                '"' => Some('"'),
                '\\' => Some('\\'),
                '/' => Some('/'),
                'n' => Some('\n'),
                't' => Some('\t'),
                'r' => Some('\r'),
                'b' => Some('\u{8}'),
                'f' => Some('\u{c}'),
                _ => None,
            };
            if let Some(c) = simple {
                out.push(c);
                i += 2;
                continue;
            }
            if chars[i + 1] == 'u'
                && let Some(first) = unit(i + 2)
            {
                let pair = (0xD800..0xDC00).contains(&first)
                    && chars.get(i + 6) == Some(&'\\')
                    && chars.get(i + 7) == Some(&'u');
                let second = if pair { unit(i + 8) } else { None };
                let decoded = match second {
                    Some(low) => char::decode_utf16([first as u16, low as u16]).next().and_then(Result::ok),
                    None => char::from_u32(first),
                };
                if let Some(c) = decoded {
                    out.push(c);
                    i += if second.is_some() { 12 } else { 6 };
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn html_unescape(text: &str) -> String {
    let mut out = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'");
    for (entity, c) in [("&#39;", "'"), ("&#x27;", "'"), ("&#34;", "\""), ("&#x22;", "\"")] {
        out = out.replace(entity, c);
    }
    out.replace("&amp;", "&")
}

// ---------------------------------------------------------------------------
// The hostile target.

struct Hostile {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    /// Serving until dropped.
    _served: Served,
}

impl Hostile {
    fn start() -> Hostile {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/version", get(|| async { Json(json!({"version": "1.0.0"})) }))
            .route("/json", get(echo_json))
            .route("/text", get(echo_text))
            .route("/redirect", get(echo_redirect))
            .route("/html", get(echo_html))
            .route("/blob", get(echo_blob))
            .route("/binary", get(echo_binary))
            .route("/big", get(echo_big))
            .route("/excerpt", get(echo_excerpt))
            .route("/gzip", get(|headers: HeaderMap| async move { echo_encoded(&headers, "gzip") }))
            .route("/deflate", get(|headers: HeaderMap| async move { echo_encoded(&headers, "deflate") }))
            .route("/br", get(|headers: HeaderMap| async move { echo_encoded(&headers, "br") }))
            .route("/login", get(|| async { Json(json!({"session": {"secret": SAVED}, "status": "signed in"})) }))
            .route("/echo-saved", get(|| async { text(&every_form(SAVED)) }))
            .route("/later", get(|| async { Json(json!({"echo": SAVED, "forms": every_form(SAVED)})) }))
            .route("/basic", get(|| async { text(&every_form(PASSWORD)) }))
            .layer(axum::middleware::from_fn_with_state(seen.clone(), record))
            .with_state(());
        let served = Served::start(app, 2);
        Hostile { url: served.url(), seen, _served: served }
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    /// Every URI and Authorization header the target received.
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

async fn record(
    State(seen): State<Arc<Mutex<Vec<String>>>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    {
        let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.push(request.uri().to_string());
        if let Some(auth) = request.headers().get(header::AUTHORIZATION) {
            seen.push(String::from_utf8_lossy(auth.as_bytes()).into_owned());
        }
    }
    next.run(request).await
}

/// The bearer token the request carried.
fn token(headers: &HeaderMap) -> String {
    let auth = headers.get(header::AUTHORIZATION).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    auth.unwrap_or_default().strip_prefix("Bearer ").unwrap_or_default().to_owned()
}

fn text(body: &str) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body.to_owned()).into_response()
}

/// One line per form of `secret`, in a text that is not JSON.
fn every_form(secret: &str) -> String {
    let mut lines = vec![format!("echo of {} bytes:", secret.len())];
    for (name, bytes) in forms(secret) {
        lines.push(format!("{name}: {}", String::from_utf8_lossy(&bytes)));
    }
    lines.join("\n")
}

async fn echo_json(headers: HeaderMap) -> Response {
    let t = token(&headers);
    let forms: serde_json::Map<String, serde_json::Value> =
        forms(&t).into_iter().map(|(name, bytes)| (name, json!(String::from_utf8_lossy(&bytes)))).collect();
    let bearer = STANDARD.encode(format!("Bearer {t}"));
    ([("x-echo", t.clone()), ("x-echo-base64", bearer)], Json(json!({"echo": t, "forms": forms}))).into_response()
}

async fn echo_text(headers: HeaderMap) -> Response {
    text(&every_form(&token(&headers)))
}

async fn echo_redirect(headers: HeaderMap) -> Response {
    let t = token(&headers);
    let form: String = url::form_urlencoded::byte_serialize(t.as_bytes()).collect();
    let location = format!("/next?t={form}&u={}&b={}", percent_all(&t, false), URL_SAFE_NO_PAD.encode(&t));
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.clone())],
        Json(json!({"location": location, "percent": percent_all(&t, true)})),
    )
        .into_response()
}

async fn echo_html(headers: HeaderMap) -> Response {
    let t = token(&headers);
    let page = format!(
        "<!doctype html><html><body><p title=\"{}\">{}</p><p>{}</p></body></html>",
        html(&t, "&#39;"),
        html(&t, "&#x27;"),
        html(&format!("Bearer {t}"), "&#39;")
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// Base64 of JSON documents holding the token, at every alignment, both alphabets.
async fn echo_blob(headers: HeaderMap) -> Response {
    let t = token(&headers);
    let mut lines = Vec::new();
    for pad in ["", "a", "ab"] {
        let doc = serde_json::to_string(&json!({"pad": pad, "auth": t, "n": 1})).unwrap_or_default();
        lines.push(STANDARD.encode(&doc));
        lines.push(URL_SAFE_NO_PAD.encode(&doc));
    }
    text(&lines.join("\n"))
}

/// The token between bytes that are not UTF-8.
async fn echo_binary(headers: HeaderMap) -> Response {
    let t = token(&headers);
    let mut body: Vec<u8> = (0u32..300).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80).collect();
    body.extend_from_slice(t.as_bytes());
    body.extend_from_slice(&[0xff, 0xfe, 0x00, 0xc3, 0x28]);
    body.extend_from_slice(STANDARD.encode(&t).as_bytes());
    body.extend_from_slice(&[0xff, 0x00]);
    ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response()
}

/// Every form of the token, and the token between bytes that are not UTF-8,
/// sent content-encoded.
fn echo_encoded(headers: &HeaderMap, encoding: &'static str) -> Response {
    use std::io::Write as _;
    let t = token(headers);
    let mut plain = every_form(&t).into_bytes();
    plain.extend_from_slice(&[0xff, 0xfe, 0x00]);
    plain.extend_from_slice(t.as_bytes());
    let encoded = match encoding {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&plain).and_then(|()| e.finish()).unwrap_or_default()
        }
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&plain).and_then(|()| e.finish()).unwrap_or_default()
        }
        _ => {
            let mut out = Vec::new();
            let mut e = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            let _ = e.write_all(&plain);
            drop(e);
            out
        }
    };
    ([(header::CONTENT_TYPE, "application/octet-stream"), (header::CONTENT_ENCODING, encoding)], encoded)
        .into_response()
}

/// The token across the 500 characters a failure message quotes of a body.
async fn echo_excerpt(headers: HeaderMap) -> Response {
    let t = token(&headers);
    text(&format!("{}{t}{}", "x".repeat(490), "y".repeat(100)))
}

/// The token across the transcript cap: 8 of its bytes before it.
async fn echo_big(headers: HeaderMap) -> Response {
    let t = token(&headers);
    let mut body = "x".repeat(CAP - 8);
    body.push_str(&t);
    body.push_str(&"y".repeat(100));
    text(&body)
}
