//! The scenario state ("world") and the record of what was sent. A
//! [`World`] holds, for one attempt of one scenario: the run's shared
//! [`RunContext`], saved variables and outline values for `{{name}}`
//! interpolation, the pending state of the next request (headers, query
//! parameters, body), the authentication choice (which, unlike the rest,
//! stays for the whole scenario), the last response, and the [`Journal`] in
//! which every HTTP exchange is recorded, in order, whether it succeeded or
//! not.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::context::RunContext;
use crate::failure::StepFailure;
use crate::http::{self, Outgoing};
use crate::text::{self, Mode, Scope};

/// Every HTTP exchange of one scenario attempt, in the order it happened.
pub type Journal = Arc<Mutex<Vec<Exchange>>>;

/// One HTTP exchange as it happened: the request, the response if one came,
/// and the error if the exchange broke (connection refused, no response
/// within the timeout, reading the body failed...); a body over the cap or
/// cut at the timeout is not an error (see [`Body::cut`]). Serialized with `started_at` as RFC 3339 (UTC, microseconds)
/// and the duration as `duration_ms` (milliseconds, fractional).
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// Line of the step that sent it, in its feature file.
    pub step_line: usize,
    /// The step that sent it, without its keyword.
    pub step: String,
    /// What was sent.
    pub request: RecordedRequest,
    /// What came back, if anything did (also present, with the part of the
    /// body that was read, when reading the body failed).
    pub response: Option<RecordedResponse>,
    /// Why the exchange failed, if it did.
    pub error: Option<String>,
    /// The response checked against the target's API description, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<certify_openapi::Check>,
    /// When the request was sent.
    #[serde(serialize_with = "rfc3339")]
    pub started_at: SystemTime,
    /// From sending the request to reading the end of the body (or failing).
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
}

/// A request as sent. `headers` are the ones certify set (target defaults,
/// credential, scenario headers, content type), with their real values:
/// evidence writers redact them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`...
    pub method: String,
    /// The full URL, query string included.
    pub url: String,
    /// Header names and values, in the order they were set.
    pub headers: Vec<(String, String)>,
    /// The body, if one was sent.
    pub body: Option<Body>,
}

/// A response as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header names (lower case) and values (lossy UTF-8), in received order.
    pub headers: Vec<(String, String)>,
    /// The body as read.
    pub body: Body,
}

/// A message body. `bytes` are the bytes kept: the whole body, or its first
/// `max_body` bytes when it was longer (or the part that arrived when it was
/// cut short); a response body sent with a `Content-Encoding` is kept DECODED
/// (unless it failed to decode: then `bytes` are the raw bytes and
/// `decode_error` says why). `size` and `sha256` are those of the whole body
/// (decoded), whatever was kept. Serializes as `{"size": N, "sha256": HEX,
/// "text": "..."}` when the bytes are valid UTF-8, else with `"base64"`
/// (standard alphabet, padded) in place of `"text"`, plus `"cut"`,
/// `"content_encoding"`, `"encoded_size"` and `"decode_error"` when set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The bytes that were sent, or kept of what was read. Shared, not
    /// copied, by every clone of the exchange (journal, World, events).
    pub bytes: Bytes,
    /// Length of the whole body in bytes.
    pub size: u64,
    /// SHA-256 of the whole body (all `size` bytes).
    pub sha256: [u8; 32],
    /// Why only part of the body is in `bytes`, when it is.
    pub cut: Option<Cut>,
    /// The response's `Content-Encoding` (`gzip`, `br`, `gzip, br`...), when
    /// it named one.
    pub content_encoding: Option<String>,
    /// Length of the body as it came over the wire, when it was encoded.
    pub encoded_size: Option<u64>,
    /// Why an encoded body could not be decoded (`bytes` are then raw).
    pub decode_error: Option<String>,
}

/// Why a body was not kept whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cut {
    /// Longer than the target's `max_body`: `bytes` are its first
    /// `max_body` bytes; it was read to the end.
    Limit,
    /// It had not ended when the request's timeout ran out: `size` and
    /// `sha256` are of what had arrived.
    Timeout,
    /// Reading it failed (the exchange's error says why): `size` and
    /// `sha256` are of what had arrived.
    Broken,
}

impl Body {
    /// A complete body.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let sha256 = Sha256::digest(&bytes).into();
        Self {
            size: bytes.len() as u64,
            bytes,
            sha256,
            cut: None,
            content_encoding: None,
            encoded_size: None,
            decode_error: None,
        }
    }

    /// Whether `bytes` is the whole body, decoded.
    pub fn is_whole(&self) -> bool {
        self.cut.is_none() && self.decode_error.is_none() && self.size == self.bytes.len() as u64
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::new(Bytes::new())
    }
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Body", 7)?;
        state.serialize_field("size", &self.size)?;
        state.serialize_field("sha256", &hex(&self.sha256))?;
        match std::str::from_utf8(&self.bytes) {
            Ok(text) => state.serialize_field("text", text)?,
            Err(_) => state.serialize_field("base64", &base64(&self.bytes))?,
        }
        if let Some(cut) = self.cut {
            state.serialize_field("cut", &serde_json::json!({"reason": cut, "at": self.bytes.len()}))?;
        }
        if let Some(encoding) = &self.content_encoding {
            state.serialize_field("content_encoding", encoding)?;
        }
        if let Some(size) = self.encoded_size {
            state.serialize_field("encoded_size", &size)?;
        }
        if let Some(error) = &self.decode_error {
            state.serialize_field("decode_error", error)?;
        }
        state.end()
    }
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn rfc3339<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_rfc3339_micros(*time))
}

fn millis<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64() * 1000.0)
}

/// Standard base64 with padding (RFC 4648 section 4).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The state of one scenario attempt. Created empty, then
/// [`prepare`](World::prepare)d by the runner before the first step.
#[derive(Default)]
pub struct World {
    ctx: Option<Arc<RunContext>>,
    feature_path: Option<PathBuf>,
    outline: Vec<(String, String)>,
    pub(crate) vars: BTreeMap<String, String>,
    pub(crate) pending: Pending,
    pub(crate) auth: Auth,
    pub(crate) last: Option<Response>,
    journal: Journal,
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World")
            .field("feature_path", &self.feature_path)
            .field("variables", &self.vars.keys().collect::<Vec<_>>())
            .field("outline", &self.outline.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("auth", &self.auth)
            .field("last_response", &self.last.as_ref().map(|r| (r.status, r.describe())))
            .finish_non_exhaustive()
    }
}

/// The state of the next request; cleared once it is sent.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub body: Option<RequestBody>,
}

/// A request body from a doc string, and whether it is JSON (it parses as
/// JSON, or the doc string's media type says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestBody {
    pub text: String,
    pub json: bool,
}

impl Pending {
    /// Sets a header, replacing any earlier one of the same name.
    pub(crate) fn set_header(&mut self, name: String, value: String) {
        set_header(&mut self.headers, name, value);
    }
}

/// Replaces (case-insensitively) or appends a header.
pub(crate) fn set_header(headers: &mut Vec<(String, String)>, name: String, value: String) {
    headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
    headers.push((name, value));
}

/// Which credential the scenario's requests carry.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    /// The target's default credential, if it has one.
    #[default]
    Default,
    /// None.
    Anonymous,
    /// A named credential.
    As(String),
}

/// The last response of the scenario, as the assertions see it. Its body
/// shares its bytes with the journal's record of the exchange.
#[derive(Debug)]
pub(crate) struct Response {
    pub method: String,
    pub url: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub duration: Duration,
    /// Why the body cannot be asserted on (cut, or not decodable), when so.
    unusable: Option<String>,
    json: OnceLock<Result<Value, String>>,
}

impl Response {
    pub(crate) fn new(
        method: String,
        url: String,
        response: RecordedResponse,
        duration: Duration,
        target: &crate::context::TargetSettings,
    ) -> Self {
        let body = response.body;
        let unusable = unusable(&body, target);
        Self {
            method,
            url,
            status: response.status,
            headers: response.headers,
            body,
            duration,
            unusable,
            json: OnceLock::new(),
        }
    }

    /// The whole body, for a body assertion; an assertion failure saying
    /// why when only part of it was kept or it could not be decoded.
    pub(crate) fn whole_body(&self) -> Result<&[u8], StepFailure> {
        match &self.unusable {
            Some(why) => Err(StepFailure::assertion(why.clone())),
            None => Ok(&self.body.bytes),
        }
    }

    /// `GET http://host/path`, for messages.
    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// Every value of a header, by case-insensitive name.
    pub(crate) fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str()).collect()
    }

    /// The response headers as `name: value` lines for messages.
    pub(crate) fn header_listing(&self) -> String {
        if self.headers.is_empty() {
            return "(none)".to_owned();
        }
        let listing: Vec<String> = self.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        text::cap_chars(&listing.join(", "), text::BODY_EXCERPT_CHARS)
    }

    /// The body parsed as JSON (once); a body that is not JSON is an
    /// assertion failure quoting its content type and an excerpt.
    pub(crate) fn json(&self) -> Result<&Value, StepFailure> {
        let body = self.whole_body()?;
        let parsed = self.json.get_or_init(|| serde_json::from_slice(body).map_err(|e| e.to_string()));
        parsed.as_ref().map_err(|_| {
            let content_type = self
                .header_values("content-type")
                .first()
                .map_or_else(|| "no Content-Type".to_owned(), |ct| format!("Content-Type {ct}"));
            StepFailure::assertion(format!("response body is not JSON ({content_type}): {}", text::excerpt(body)))
        })
    }
}

/// The message of a body assertion on a body that was not kept whole.
fn unusable(body: &Body, target: &crate::context::TargetSettings) -> Option<String> {
    let kept = body.bytes.len();
    let name = &target.name;
    if let Some(error) = &body.decode_error {
        let encoding = body.content_encoding.as_deref().unwrap_or("unknown");
        return Some(format!(
            "the response body could not be decoded (Content-Encoding: {encoding}): {error}; \
             its first {kept} raw bytes are in the transcript"
        ));
    }
    match body.cut {
        None => None,
        Some(Cut::Limit) => Some(format!(
            "the response body was cut at {kept} bytes (the body was {} bytes; raise [targets.{name}] max_body to check it)",
            body.size
        )),
        Some(Cut::Timeout) => Some(format!(
            "the response body was cut at {kept} bytes (it had not ended after {} bytes when the {} timeout ran out; \
             raise [targets.{name}] timeout to check it)",
            body.size,
            humantime::format_duration(target.timeout)
        )),
        Some(Cut::Broken) => {
            Some(format!("the response body was cut at {kept} bytes (reading it failed after {} bytes)", body.size))
        }
    }
}

impl World {
    /// Called by the runner before every scenario attempt: binds
    /// the run context, the feature file (schema paths are relative to its
    /// directory), the outline row's values, and the journal to record
    /// exchanges in. Everything else is reset.
    pub fn prepare(
        &mut self,
        ctx: Arc<RunContext>,
        feature_path: Option<&Path>,
        outline_values: Vec<(String, String)>,
        journal: Journal,
    ) {
        *self = World {
            ctx: Some(ctx),
            feature_path: feature_path.map(Path::to_path_buf),
            outline: outline_values,
            journal,
            ..World::default()
        };
    }

    /// The journal exchanges are recorded in.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub(crate) fn ctx(&self) -> Result<Arc<RunContext>, StepFailure> {
        self.ctx.clone().ok_or_else(|| {
            StepFailure::error("the scenario has no run context: World::prepare was not called before its steps")
        })
    }

    pub(crate) fn feature_path(&self) -> Option<&Path> {
        self.feature_path.as_deref()
    }

    /// The last response; an error when the scenario has not sent a request.
    /// Records an API check on the newest exchange of the journal with this method and URL
    /// (the last response's), so that its transcript shows it.
    pub(crate) fn record_check(&self, method: &str, url: &str, check: &certify_openapi::Check) {
        let mut journal = self.journal.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(exchange) = journal
            .iter_mut()
            .rev()
            .find(|x| x.request.method == method && x.request.url == url && x.response.is_some())
        {
            exchange.api = Some(check.clone());
        }
    }

    pub(crate) fn last(&self) -> Result<&Response, StepFailure> {
        self.last.as_ref().ok_or_else(|| StepFailure::error("no request has been sent in this scenario yet"))
    }

    fn scope(&self) -> Scope<'_> {
        Scope { vars: &self.vars, outline: &self.outline }
    }

    /// Replaces `{{name}}` placeholders.
    pub(crate) fn interpolate(&self, template: &str) -> Result<String, StepFailure> {
        text::interpolate(template, self.scope(), Mode::Plain)
    }

    /// Replaces `{{name}}` placeholders in a JSON text, escaping values that
    /// land inside string literals.
    pub(crate) fn interpolate_json(&self, template: &str) -> Result<String, StepFailure> {
        text::interpolate(template, self.scope(), Mode::Json)
    }

    /// Interpolates and parses a `VALUE` JSON literal.
    pub(crate) fn value(&self, literal: &str) -> Result<Value, StepFailure> {
        text::parse_value(&self.interpolate_json(literal)?)
    }

    /// Replaces every resolved secret in a failure message.
    pub(crate) fn redact(&self, mut failure: StepFailure) -> StepFailure {
        if let Some(ctx) = &self.ctx {
            for secret in ctx.secrets() {
                if failure.message.contains(&secret) {
                    failure.message = failure.message.replace(&secret, "[redacted]");
                }
            }
        }
        failure
    }

    /// Builds the next request to `url` (already interpolated) from the
    /// pending state (which is cleared), the target's default headers and
    /// the scenario's credential.
    pub(crate) fn outgoing(
        &mut self,
        method: reqwest::Method,
        url: &str,
        body: Option<RequestBody>,
    ) -> Result<Outgoing, StepFailure> {
        let pending = std::mem::take(&mut self.pending);
        let ctx = self.ctx()?;
        let target = ctx.target();
        let mut url = http::join_url(&target.base_url, url)?;
        if !pending.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &pending.query {
                pairs.append_pair(name, value);
            }
        }
        let credential = match &self.auth {
            Auth::Default => target.default_auth.as_ref(),
            Auth::Anonymous => None,
            Auth::As(name) => Some(ctx.credential(name)?),
        };
        let mut headers = http::base_headers(&ctx, credential)?;
        for (name, value) in pending.headers {
            set_header(&mut headers, name, value);
        }
        let body = body.or(pending.body);
        if let Some(body) = &body
            && !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        {
            let is_json = body.json || serde_json::from_str::<serde::de::IgnoredAny>(&body.text).is_ok();
            let media = if is_json { "application/json" } else { "text/plain; charset=utf-8" };
            headers.push(("Content-Type".to_owned(), media.to_owned()));
        }
        Ok(Outgoing { method, url, headers, body: body.map(|b| Bytes::from(b.text)) })
    }

    /// Sends a request and records the exchange; returns the response, or
    /// the message of the failed exchange.
    pub(crate) async fn exchange(
        &self,
        step: &gherkin::Step,
        outgoing: &Outgoing,
        timeout: Duration,
    ) -> Result<Response, StepFailure> {
        let ctx = self.ctx()?;
        let mut exchange = http::perform(&ctx, outgoing, timeout).await;
        if let (Some(api), Some(response)) = (ctx.api(), &exchange.response) {
            api.exercised(&exchange.request.method, &exchange.request.url, response.status);
            // A body cut at max_body cannot be checked whole: such a response is counted
            // towards coverage but not checked (the step says why when it is asked to).
            if api.every() && exchange.error.is_none() && response.body.is_whole() {
                exchange.api = Some(api.check(&exchange.request.method, &exchange.request.url, response));
            }
        }
        let finding = exchange.api.as_ref().filter(|c| c.is_finding()).map(|c| StepFailure::assertion(c.to_string()));
        let outcome = match (&exchange.response, &exchange.error, finding) {
            (Some(_), None, Some(finding)) => Err(finding),
            (Some(response), None, None) => Ok(Response::new(
                exchange.request.method.clone(),
                exchange.request.url.clone(),
                response.clone(),
                exchange.duration,
                ctx.target(),
            )),
            (_, Some(error), _) => Err(StepFailure::error(error.clone())),
            (None, None, _) => {
                Err(StepFailure::error(format!("no response from {} {}", outgoing.method, outgoing.url)))
            }
        };
        let recorded = Exchange { step_line: step.position.line, step: step.value.clone(), ..exchange };
        self.journal.lock().unwrap_or_else(PoisonError::into_inner).push(recorded);
        outcome
    }

    /// Sends the next request and makes its response the last one.
    pub(crate) async fn send(
        &mut self,
        step: &gherkin::Step,
        method: reqwest::Method,
        url: &str,
        body: Option<RequestBody>,
    ) -> Result<(), StepFailure> {
        self.last = None;
        let outgoing = self.outgoing(method, url, body)?;
        let timeout = self.ctx()?.target().timeout;
        let response = self.exchange(step, &outgoing, timeout).await?;
        self.last = Some(response);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in vectors {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn bodies_serialize_as_text_or_base64() {
        let text = serde_json::to_value(Body::new(b"{\"a\":1}".to_vec())).unwrap();
        assert_eq!(
            text,
            serde_json::json!({
                "size": 7,
                "sha256": "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",
                "text": "{\"a\":1}"
            })
        );
        let binary = serde_json::to_value(Body::new(vec![0xff, 0x00, 0x10])).unwrap();
        assert_eq!(binary["base64"], "/wAQ");
        assert_eq!(binary["size"], 3);
    }

    #[test]
    fn exchanges_serialize_time_as_rfc3339_and_duration_in_ms() {
        let exchange = Exchange {
            step_line: 7,
            step: "I send a GET request to \"/\"".to_owned(),
            request: RecordedRequest {
                method: "GET".to_owned(),
                url: "http://h/".to_owned(),
                headers: vec![],
                body: None,
            },
            response: None,
            error: Some("boom".to_owned()),
            api: None,
            started_at: SystemTime::UNIX_EPOCH + Duration::from_secs(86_400),
            duration: Duration::from_micros(1500),
        };
        let value = serde_json::to_value(&exchange).unwrap();
        assert_eq!(value["started_at"], "1970-01-02T00:00:00.000000Z");
        assert_eq!(value["duration_ms"], 1.5);
        assert_eq!(value["request"]["headers"], serde_json::json!([]));
    }

    #[test]
    fn steps_without_a_context_are_errors() {
        let world = World::default();
        let err = world.ctx().unwrap_err();
        assert_eq!(err.kind, crate::FailureKind::Error);
        assert_eq!(world.last().unwrap_err().message, "no request has been sent in this scenario yet");
    }
}
