//! Keeping secrets out of evidence.
//!
//! Three kinds of things are secret: the credentials certify sends (resolved
//! from env or files), the values of headers named in the redaction list
//! (Authorization, Cookie, ...), and the values of JSON fields selected by the
//! redaction JSONPaths (`$..password`, `$..api_key`, ...) in any request or
//! response body. The redactor learns the values as the run goes and
//! replaces every occurrence of every known value, in every text that goes
//! into a bundle (URLs, echoed bodies, failure messages, JUnit), with
//! [`MARKER`]. Redacted headers and JSON fields are also replaced by name or
//! path, whatever their value.

use std::{borrow::Cow, collections::BTreeSet};

use aho_corasick::AhoCorasick;
use certify_steps::{Body, Exchange};
use serde_json::{Value, json};
use serde_json_path::JsonPath;

use crate::attest::hex;

/// What replaces a secret.
pub const MARKER: &str = "[redacted]";

/// Values shorter than this are not treated as secrets: replacing every
/// "1" or "ok" in the evidence would destroy it, and no credential is that short.
const MIN_SECRET_LEN: usize = 6;

#[derive(Debug, thiserror::Error)]
#[error("redaction JSONPath {path:?} is not valid: {reason}")]
pub struct RedactError {
    path: String,
    reason: String,
}

/// The redaction policy and the secrets learnt so far.
///
/// Text is redacted against the *active* secrets: the run's credentials
/// (always) plus those learnt from the scenario being written (set by
/// [`Redactor::scope`]), so the cost per scenario does not grow with the
/// run. [`Redactor::widen`] activates every secret learnt in the run, for
/// the final pass over the bundle.
pub struct Redactor {
    headers: Vec<String>,
    json: Vec<JsonPath>,
    /// Credentials: active in every scope.
    persistent: BTreeSet<String>,
    /// Every secret learnt in the run.
    all: BTreeSet<String>,
    active: usize,
    matcher: Option<AhoCorasick>,
}

impl Redactor {
    /// `headers` are matched case-insensitively; `json` are JSONPaths.
    pub fn new(headers: &[String], json: &[String]) -> Result<Redactor, RedactError> {
        let json = json
            .iter()
            .map(|p| JsonPath::parse(p).map_err(|e| RedactError { path: p.clone(), reason: e.to_string() }))
            .collect::<Result<_, _>>()?;
        Ok(Redactor {
            headers: headers.iter().map(|h| h.to_ascii_lowercase()).collect(),
            json,
            persistent: BTreeSet::new(),
            all: BTreeSet::new(),
            active: 0,
            matcher: None,
        })
    }

    /// A secret of the whole run (a credential): redacted everywhere from now on.
    pub fn add_persistent(&mut self, value: &str) {
        if let Some(v) = normalize_secret(value)
            && self.persistent.insert(v.clone())
        {
            self.all.insert(v);
            self.rebuild(self.persistent.iter().cloned().collect());
        }
    }

    /// Activates the credentials plus `secrets` (what one scenario carried) for
    /// the text redacted next, and remembers them for the final pass.
    pub fn scope(&mut self, secrets: Vec<String>) {
        let mut active: BTreeSet<String> = self.persistent.clone();
        for s in secrets.iter().filter_map(|s| normalize_secret(s)) {
            self.all.insert(s.clone());
            active.insert(s);
        }
        self.rebuild(active.into_iter().collect());
    }

    /// Activates every secret learnt in the run.
    pub fn widen(&mut self) {
        let all = self.all.iter().cloned().collect();
        self.rebuild(all);
    }

    fn rebuild(&mut self, mut list: Vec<String>) {
        // Longest first, so a token is not half-replaced by a shorter secret inside it.
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
        self.active = list.len();
        self.matcher = if list.is_empty() {
            None
        } else {
            AhoCorasick::builder().match_kind(aho_corasick::MatchKind::LeftmostLongest).build(list).ok()
        };
    }

    /// How many secret values the run has shown so far.
    pub fn secret_count(&self) -> usize {
        self.all.len()
    }

    fn is_redacted_header(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// The secrets an exchange carries: values of redacted headers, cookie
    /// values, and JSON fields selected by the redaction paths in the request
    /// and response bodies.
    pub fn learn(&self, x: &Exchange) -> Vec<String> {
        let mut found = Vec::new();
        let headers = x.request.headers.iter().chain(x.response.iter().flat_map(|r| r.headers.iter()));
        for (name, value) in headers {
            if self.is_redacted_header(name) {
                found.push(value.clone());
                if name.eq_ignore_ascii_case("set-cookie") || name.eq_ignore_ascii_case("cookie") {
                    for pair in value.split(';') {
                        if let Some((_, v)) = pair.split_once('=') {
                            found.push(v.to_owned());
                        }
                    }
                }
            }
        }
        let bodies = x.request.body.iter().chain(x.response.iter().map(|r| &r.body));
        for body in bodies {
            if let Ok(v) = serde_json::from_slice::<Value>(&body.bytes) {
                for path in &self.json {
                    for node in path.query(&v).all() {
                        match node {
                            Value::String(s) => found.push(s.clone()),
                            Value::Null | Value::Bool(_) => {}
                            other => found.push(other.to_string()),
                        }
                    }
                }
            }
        }
        found
    }

    /// `text` with every known secret replaced.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match &self.matcher {
            Some(m) if m.is_match(text) => Cow::Owned(m.replace_all(text, &vec![MARKER; self.active])),
            _ => Cow::Borrowed(text),
        }
    }

    /// Redacts a JSON document in place: selected fields by path, then every
    /// string by value.
    pub fn json(&self, value: &mut Value) {
        for path in &self.json {
            let pointers: Vec<String> = path.query_located(value).locations().map(|l| l.to_json_pointer()).collect();
            for p in pointers {
                if let Some(node) = value.pointer_mut(&p) {
                    *node = Value::String(MARKER.to_owned());
                }
            }
        }
        self.strings(value);
    }

    fn strings(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(r) = self.text(s) {
                    *s = r;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.strings(v)),
            Value::Object(map) => {
                let keys: Vec<String> = map.keys().cloned().collect();
                for k in keys {
                    if let Some(v) = map.get_mut(&k) {
                        self.strings(v);
                    }
                }
            }
            _ => {}
        }
    }

    /// The transcript form of one exchange: redacted headers, URL, bodies
    /// (JSON bodies field by field), each body capped at `cap` bytes with its
    /// full size and sha256 recorded when it was cut.
    pub fn exchange(&self, x: &Exchange, cap: usize) -> Value {
        let headers = |list: &[(String, String)]| -> Value {
            Value::Array(
                list.iter()
                    .map(|(k, v)| {
                        let v = if self.is_redacted_header(k) { MARKER.to_owned() } else { self.text(v).into_owned() };
                        json!([k, v])
                    })
                    .collect(),
            )
        };
        let response = x.response.as_ref().map(|r| {
            json!({
                "status": r.status,
                "headers": headers(&r.headers),
                "body": self.body(&r.body, cap),
            })
        });
        json!({
            "step_line": x.step_line,
            "step": self.text(&x.step),
            "started_at": humantime::format_rfc3339_micros(x.started_at).to_string(),
            "duration_ms": (x.duration.as_micros() as f64) / 1000.0,
            "request": {
                "method": x.request.method,
                "url": self.text(&x.request.url),
                "headers": headers(&x.request.headers),
                "body": x.request.body.as_ref().map(|b| self.body(b, cap)),
            },
            "response": response,
            "error": x.error.as_deref().map(|e| self.text(e)),
        })
    }

    fn body(&self, body: &Body, cap: usize) -> Value {
        let mut out = serde_json::Map::new();
        out.insert("size".into(), json!(body.size));
        let complete = body.is_whole();
        let parsed = if complete { serde_json::from_slice::<Value>(&body.bytes).ok() } else { None };
        match (parsed, std::str::from_utf8(&body.bytes)) {
            (Some(mut v), _) if body.bytes.len() <= cap => {
                self.json(&mut v);
                out.insert("json".into(), v);
            }
            (_, Ok(text)) => {
                let shown = cut(text, cap);
                out.insert("text".into(), Value::String(self.text(shown).into_owned()));
            }
            (_, Err(_)) => {
                let shown = &body.bytes[..body.bytes.len().min(cap)];
                out.insert("base64".into(), Value::String(base64(shown)));
            }
        }
        if body.bytes.len() > cap || body.cut.is_some() || body.size > body.bytes.len() as u64 {
            out.insert("truncated".into(), Value::Bool(true));
            out.insert("sha256".into(), Value::String(hex(&body.sha256)));
        }
        if let Some(cut) = body.cut {
            out.insert("cut".into(), json!({ "reason": cut, "at": body.bytes.len() }));
        }
        if let Some(encoding) = &body.content_encoding {
            out.insert("content_encoding".into(), json!(encoding));
            out.insert("encoded_size".into(), json!(body.encoded_size));
        }
        if let Some(error) = &body.decode_error {
            out.insert("decode_error".into(), Value::String(self.text(error).into_owned()));
        }
        Value::Object(out)
    }
}

/// A value worth redacting: for a credential written with its scheme
/// (`Bearer x`, `Basic x`) the token, never the scheme word; nothing shorter
/// than [`MIN_SECRET_LEN`].
fn normalize_secret(value: &str) -> Option<String> {
    let mut value = value.trim();
    if let Some((scheme, rest)) = value.split_once(' ')
        && is_auth_scheme(scheme)
    {
        value = rest.trim();
    }
    (value.len() >= MIN_SECRET_LEN && value != MARKER && !is_auth_scheme(value)).then(|| value.to_owned())
}

/// The HTTP authentication schemes in common use: words that appear in
/// front of a credential and are not secret themselves.
fn is_auth_scheme(word: &str) -> bool {
    ["bearer", "basic", "digest", "token", "negotiate", "ntlm", "aws4-hmac-sha256", "hoba", "mutual", "vapid"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(word))
}

/// At most `cap` bytes of `text`, cut at a character boundary.
fn cut(text: &str, cap: usize) -> &str {
    if text.len() <= cap {
        return text;
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use certify_steps::{RecordedRequest, RecordedResponse};
    use sha2::{Digest, Sha256};

    use super::*;

    fn exchange(req_body: &str, resp_body: &str) -> Exchange {
        Exchange {
            step_line: 3,
            step: "I send a POST request to \"/login\"".into(),
            request: RecordedRequest {
                method: "POST".into(),
                url: "http://h/login?token=tok_abcdef123".into(),
                headers: vec![("Authorization".into(), "Bearer tok_abcdef123".into()), ("X-Trace".into(), "t1".into())],
                body: Some(Body::new(req_body.as_bytes().to_vec())),
            },
            response: Some(RecordedResponse {
                status: 200,
                headers: vec![("set-cookie".into(), "session=sess_998877; Path=/".into())],
                body: Body::new(resp_body.as_bytes().to_vec()),
            }),
            error: None,
            started_at: SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(5),
        }
    }

    #[test]
    fn learns_and_replaces_secrets_everywhere() {
        let mut r =
            Redactor::new(&["Authorization".into(), "Set-Cookie".into()], &["$..password".into(), "$..api_key".into()])
                .unwrap();
        let x = exchange(
            r#"{"user":"bob","password":"hunter2-secret"}"#,
            r#"{"api_key":"ck_live_0123456789","echo":"hunter2-secret","n":1}"#,
        );
        let found = r.learn(&x);
        r.scope(found);
        let t = serde_json::to_string(&r.exchange(&x, 1 << 16)).unwrap();
        for secret in ["tok_abcdef123", "hunter2-secret", "ck_live_0123456789", "sess_998877"] {
            assert!(!t.contains(secret), "{secret} leaked: {t}");
        }
        assert!(t.contains("\"t1\""), "harmless header kept: {t}");
        assert!(t.contains("\"user\":\"bob\""), "harmless field kept: {t}");
        assert_eq!(r.text("failure: got ck_live_0123456789"), "failure: got [redacted]");
    }

    #[test]
    fn a_scheme_word_is_never_a_secret() {
        let mut r = Redactor::new(&[], &[]).unwrap();
        r.scope(vec!["Bearer ".into(), "Bearer".into(), "Basic dXNlcjpwYXNzd29yZA==".into()]);
        assert_eq!(r.secret_count(), 1);
        assert_eq!(
            r.text("Bearer authentication with Basic dXNlcjpwYXNzd29yZA=="),
            "Bearer authentication with Basic [redacted]"
        );
    }

    #[test]
    fn scopes_keep_the_cost_per_scenario_flat_and_widen_covers_everything() {
        let mut r = Redactor::new(&[], &[]).unwrap();
        r.add_persistent("cred-123456");
        r.scope(vec!["first-secret".into()]);
        assert_eq!(r.text("cred-123456 first-secret"), "[redacted] [redacted]");
        r.scope(vec!["second-secret".into()]);
        assert_eq!(r.text("cred-123456 first-secret second-secret"), "[redacted] first-secret [redacted]");
        r.widen();
        assert_eq!(r.text("first-secret second-secret"), "[redacted] [redacted]");
        assert_eq!(r.secret_count(), 3);
    }

    #[test]
    fn short_values_are_not_secrets() {
        let mut r = Redactor::new(&[], &[]).unwrap();
        r.scope(vec!["ok".into()]);
        assert_eq!(r.secret_count(), 0);
        assert_eq!(r.text("ok"), "ok");
    }

    #[test]
    fn large_bodies_are_cut_with_size_and_digest() {
        let r = Redactor::new(&[], &[]).unwrap();
        let big = "x".repeat(1000);
        let x = exchange("", &big);
        let v = r.exchange(&x, 100);
        let body = &v["response"]["body"];
        assert_eq!(body["size"], 1000);
        assert_eq!(body["text"].as_str().unwrap().len(), 100);
        assert_eq!(body["truncated"], true);
        assert_eq!(body["sha256"].as_str().unwrap(), hex(&Sha256::digest(big.as_bytes())));
    }
}
