//! Keeping secrets out of evidence and off the console.
//!
//! Three kinds of things are secret: the credentials certify sends (resolved
//! from env or files), the values of headers named in the redaction list
//! (Authorization, Cookie, ...), and the values of JSON fields selected by the
//! redaction JSONPaths (`$..password`, `$..api_key`, ...) in any request or
//! response body; a value a scenario saves from such a field or header is a
//! credential from then on. The redactor learns the values as the run goes
//! and replaces every occurrence of every known value, in every form a target
//! or a URL can carry it ([`forms`]: raw, percent-encoded, base64 at any
//! alignment, JSON- and HTML-escaped), in every text and every body that goes
//! into a bundle or onto the console, with [`MARKER`]. Redacted headers and
//! JSON fields are also replaced by name or path, whatever their value.

use std::{
    borrow::Cow,
    collections::BTreeSet,
    sync::{Arc, Mutex, PoisonError},
};

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

/// How certify marks where it cut a text for a message.
pub const ELLIPSIS: &str = "…";

/// The shortest trailing piece of a secret's form that is redacted where a
/// body was cut: shorter tails say too little to be worth losing the bytes.
const MIN_CUT_PREFIX: usize = 4;

#[derive(Debug, thiserror::Error)]
#[error("redaction JSONPath {path:?} is not valid: {reason}")]
pub struct RedactError {
    path: String,
    reason: String,
}

/// Every secret value learnt in a run, shared with whoever prints (the
/// console redacts with the same secrets as the bundle).
#[derive(Clone, Default)]
pub struct SecretLog(Arc<Mutex<Vec<String>>>);

impl SecretLog {
    fn push(&self, value: &str) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(value.to_owned());
    }

    /// The values logged so far, in the order they were learnt.
    pub fn values(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl std::fmt::Debug for SecretLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretLog({} values)", self.0.lock().unwrap_or_else(PoisonError::into_inner).len())
    }
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
    log: SecretLog,
    /// The secrets the matcher was built for.
    active: BTreeSet<String>,
    /// The [`forms`] of every secret seen, computed once.
    forms: std::collections::HashMap<String, Vec<Vec<u8>>>,
    matcher: Option<Matcher>,
}

/// One automaton over every form of every active secret.
struct Matcher {
    automaton: AhoCorasick,
    needles: Vec<Vec<u8>>,
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
            log: SecretLog::default(),
            active: BTreeSet::new(),
            forms: std::collections::HashMap::new(),
            matcher: None,
        })
    }

    /// A redactor of `values` only (no header or JSONPath policy): what
    /// the console uses.
    pub fn of_values<'a>(values: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut r = Redactor {
            headers: Vec::new(),
            json: Vec::new(),
            persistent: BTreeSet::new(),
            all: BTreeSet::new(),
            log: SecretLog::default(),
            active: BTreeSet::new(),
            forms: std::collections::HashMap::new(),
            matcher: None,
        };
        for v in values {
            for v in normalize_secret(v) {
                r.remember(v.clone());
                r.persistent.insert(v);
            }
        }
        r.widen();
        r
    }

    /// The log every secret learnt from now on is added to.
    pub fn log(&self) -> SecretLog {
        self.log.clone()
    }

    fn remember(&mut self, value: String) {
        if self.all.insert(value.clone()) {
            self.log.push(&value);
        }
    }

    /// A secret of the whole run (a credential, a value saved from a
    /// redacted field): redacted everywhere from now on.
    pub fn add_persistent(&mut self, value: &str) {
        let mut changed = false;
        for v in normalize_secret(value) {
            self.remember(v.clone());
            changed |= self.persistent.insert(v);
        }
        if changed {
            let mut active = self.active.clone();
            active.extend(self.persistent.iter().cloned());
            self.rebuild(active);
        }
    }

    /// Activates the credentials plus `secrets` (what one scenario carried) for
    /// the text redacted next, and remembers them for the final pass.
    pub fn scope(&mut self, secrets: Vec<String>) {
        let mut active: BTreeSet<String> = self.persistent.clone();
        for s in secrets.iter().flat_map(|s| normalize_secret(s)) {
            self.remember(s.clone());
            active.insert(s);
        }
        self.rebuild(active);
    }

    /// Activates every secret learnt in the run.
    pub fn widen(&mut self) {
        let all = self.all.clone();
        self.rebuild(all);
    }

    fn rebuild(&mut self, active: BTreeSet<String>) {
        if active == self.active && (self.matcher.is_some() || active.is_empty()) {
            return;
        }
        let mut needles: BTreeSet<Vec<u8>> = BTreeSet::new();
        for secret in &active {
            let forms = self.forms.entry(secret.clone()).or_insert_with(|| forms(secret).into_iter().collect());
            needles.extend(forms.iter().cloned());
        }
        let needles: Vec<Vec<u8>> = needles.into_iter().collect();
        self.active = active;
        self.matcher = if needles.is_empty() {
            None
        } else {
            // Leftmost-longest, so a token is not half-replaced by a shorter
            // form inside it; ASCII case-insensitive, so percent-encodings and
            // `\uXXXX` escapes match in upper- and lowercase hex. The
            // non-contiguous NFA is the cheapest to build, and the matcher is
            // rebuilt for every scenario that carried secrets.
            AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
                .build(&needles)
                .ok()
                .map(|automaton| Matcher { automaton, needles })
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

    /// `bytes` with every form of every active secret replaced; `None` when
    /// there was nothing to replace.
    pub fn bytes(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let m = self.matcher.as_ref()?;
        if !m.automaton.is_match(bytes) {
            return None;
        }
        let markers = vec![MARKER.as_bytes(); m.needles.len()];
        Some(m.automaton.replace_all_bytes(bytes, &markers))
    }

    /// `bytes` that were cut short: every form of every active secret
    /// replaced, and a beginning of one left at the very end (a secret the
    /// cut went through) replaced too; `None` when nothing was replaced.
    pub fn cut_bytes(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let replaced = self.bytes(bytes);
        let kept = replaced.as_deref().unwrap_or(bytes);
        match self.cut_tail(kept) {
            Some(len) => {
                let mut out = kept[..kept.len() - len].to_vec();
                out.extend_from_slice(MARKER.as_bytes());
                Some(out)
            }
            None => replaced,
        }
    }

    /// The length of the longest beginning of a needle (at least
    /// [`MIN_CUT_PREFIX`] bytes, shorter than the needle) that `kept` ends with.
    fn cut_tail(&self, kept: &[u8]) -> Option<usize> {
        self.matcher.as_ref().and_then(|m| {
            m.needles
                .iter()
                .filter_map(|n| {
                    let longest = (n.len() - 1).min(kept.len());
                    (MIN_CUT_PREFIX..=longest)
                        .rev()
                        .find(|&len| kept[kept.len() - len..].eq_ignore_ascii_case(&n[..len]))
                })
                .max()
        })
    }

    /// `text` with every known secret replaced, including the beginning of
    /// one that an excerpt cut: certify marks where it cuts a text for a
    /// message with [`ELLIPSIS`].
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let replaced = match self.bytes(text.as_bytes()) {
            // The needles are whole UTF-8 strings (or ASCII), so a match
            // never splits a character; lossy is only a safety net.
            Some(out) => Cow::Owned(
                String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
            None => Cow::Borrowed(text),
        };
        if self.matcher.is_none() || !replaced.contains(ELLIPSIS) {
            return replaced;
        }
        let pieces: Vec<&str> = replaced.split(ELLIPSIS).collect();
        let mut out = String::with_capacity(replaced.len());
        let mut cut = false;
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                out.push_str(ELLIPSIS);
            }
            // A needle's beginning starts on a character boundary.
            match self.cut_tail(piece.as_bytes()).filter(|_| i + 1 < pieces.len()) {
                Some(len) => {
                    out.push_str(&piece[..piece.len() - len]);
                    out.push_str(MARKER);
                    cut = true;
                }
                None => out.push_str(piece),
            }
        }
        if cut { Cow::Owned(out) } else { replaced }
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
        serde_json::to_value(self.transcript(x, cap)).unwrap_or(Value::Null)
    }

    /// [`Redactor::exchange`], typed: what a transcript line holds, to be
    /// serialized as it is.
    pub fn transcript<'x>(&self, x: &'x Exchange, cap: usize) -> TranscriptExchange<'x> {
        let headers = |list: &'x [(String, String)]| -> Vec<(&'x str, Cow<'x, str>)> {
            list.iter()
                .map(|(k, v)| {
                    let v = if self.is_redacted_header(k) { Cow::Borrowed(MARKER) } else { self.text(v) };
                    (k.as_str(), v)
                })
                .collect()
        };
        // The API check quotes the response (what came instead of what was expected): its
        // text is redacted like the body's.
        let api = x.api.as_ref().map(|check| {
            let mut check = serde_json::to_value(check).unwrap_or(Value::Null);
            self.redact_strings(&mut check);
            check
        });
        TranscriptExchange {
            step_line: x.step_line,
            step: self.text(&x.step),
            started_at: humantime::format_rfc3339_micros(x.started_at).to_string(),
            duration_ms: (x.duration.as_micros() as f64) / 1000.0,
            request: TranscriptRequest {
                method: &x.request.method,
                url: self.text(&x.request.url),
                headers: headers(&x.request.headers),
                body: x.request.body.as_ref().map(|b| self.body(b, cap)),
            },
            response: x.response.as_ref().map(|r| TranscriptResponse {
                status: r.status,
                headers: headers(&r.headers),
                body: self.body(&r.body, cap),
            }),
            error: x.error.as_deref().map(|e| self.text(e)),
            api,
        }
    }

    /// Every string of `value` redacted as text.
    fn redact_strings(&self, value: &mut Value) {
        match value {
            Value::String(text) => {
                if let std::borrow::Cow::Owned(redacted) = self.text(text) {
                    *text = redacted;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_strings(item)),
            Value::Object(map) => map.values_mut().for_each(|item| self.redact_strings(item)),
            _ => {}
        }
    }

    /// A body for the transcript: JSON redacted field by field, text and
    /// bytes (before they are base64-encoded) redacted against every form of
    /// every active secret, including one the cut went through.
    fn body(&self, body: &Body, cap: usize) -> Value {
        let mut out = serde_json::Map::new();
        out.insert("size".into(), json!(body.size));
        let complete = body.is_whole();
        let is_cut = body.bytes.len() > cap || !complete;
        let clean = |shown: &[u8]| if is_cut { self.cut_bytes(shown) } else { self.bytes(shown) };
        let parsed = if complete { serde_json::from_slice::<Value>(&body.bytes).ok() } else { None };
        let mut redacted = false;
        match (parsed, std::str::from_utf8(&body.bytes)) {
            (Some(mut v), _) if body.bytes.len() <= cap => {
                self.json(&mut v);
                out.insert("json".into(), v);
            }
            (_, Ok(text)) => {
                let shown = cut(text, cap);
                let text = match clean(shown.as_bytes()) {
                    Some(bytes) => {
                        redacted = true;
                        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
                    }
                    None => shown.to_owned(),
                };
                out.insert("text".into(), Value::String(text));
            }
            (_, Err(_)) => {
                let shown = &body.bytes[..body.bytes.len().min(cap)];
                let encoded = match clean(shown) {
                    Some(bytes) => {
                        redacted = true;
                        base64(&bytes)
                    }
                    None => base64(shown),
                };
                out.insert("base64".into(), Value::String(encoded));
            }
        }
        if redacted {
            // The bytes shown are not the bytes that came: secrets were taken out.
            out.insert("redacted".into(), Value::Bool(true));
        }
        if is_cut {
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

/// One exchange as its transcript records it: texts redacted, redacted
/// headers' values replaced, bodies capped (see [`Redactor::transcript`]).
#[derive(Debug, serde::Serialize)]
pub struct TranscriptExchange<'x> {
    pub step_line: usize,
    pub step: Cow<'x, str>,
    pub started_at: String,
    pub duration_ms: f64,
    pub request: TranscriptRequest<'x>,
    pub response: Option<TranscriptResponse<'x>>,
    pub error: Option<Cow<'x, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<Value>,
}

#[derive(Debug, serde::Serialize)]
pub struct TranscriptRequest<'x> {
    pub method: &'x str,
    pub url: Cow<'x, str>,
    /// `[name, value]` pairs.
    pub headers: Vec<(&'x str, Cow<'x, str>)>,
    pub body: Option<Value>,
}

#[derive(Debug, serde::Serialize)]
pub struct TranscriptResponse<'x> {
    pub status: u16,
    /// `[name, value]` pairs.
    pub headers: Vec<(&'x str, Cow<'x, str>)>,
    pub body: Value,
}

/// The values worth redacting in `value`: for a credential written with its
/// scheme (`Bearer x`, `Basic x`) the token, never the scheme word; for a
/// Basic credential also the `user:password` pair and the password it
/// encodes; nothing shorter than [`MIN_SECRET_LEN`].
fn normalize_secret(value: &str) -> Vec<String> {
    let mut value = value.trim();
    let mut out = Vec::new();
    if let Some((scheme, rest)) = value.split_once(' ')
        && is_auth_scheme(scheme)
    {
        value = rest.trim();
        if scheme.eq_ignore_ascii_case("basic")
            && let Some(pair) = decode_base64(value).and_then(|b| String::from_utf8(b).ok())
        {
            if let Some((_, password)) = pair.split_once(':') {
                out.push(password.to_owned());
            }
            out.push(pair);
        }
    }
    out.push(value.to_owned());
    out.retain(|v| v.len() >= MIN_SECRET_LEN && v != MARKER && !is_auth_scheme(v));
    out
}

/// The HTTP authentication schemes in common use: words that appear in
/// front of a credential and are not secret themselves.
fn is_auth_scheme(word: &str) -> bool {
    ["bearer", "basic", "digest", "token", "negotiate", "ntlm", "aws4-hmac-sha256", "hoba", "mutual", "vapid"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(word))
}

/// Every form in which `value` can reach a bundle or the console: the one
/// home of "what a secret looks like", whose result the matcher searches for.
///
/// - raw;
/// - JSON-escaped as encoders write it (`\"`, `\\`, control characters as
///   `\n` or `\u00XX`, optionally `\/`, non-ASCII raw or as `\uXXXX` with
///   surrogate pairs, optionally `<>&` as `\u003c`...), and escaped twice
///   (a JSON document inside a JSON string);
/// - HTML-escaped (`&amp;` `&lt;` `&gt;`, quotes as `&quot;` `&#34;`,
///   apostrophes as `&#39;` `&#x27;` `&apos;`, or either left as is);
/// - base64, standard and URL-safe, of the raw and JSON-escaped forms, at
///   each of the three alignments a value can have inside a longer encoded
///   blob (the characters that also encode neighbouring bytes are left out,
///   so padded, unpadded and embedded encodings all contain the needle; this
///   also covers `Bearer <value>` and `user:<value>`);
/// - percent-encoded, raw and base64 forms, with the reserved sets of RFC
///   3986, HTML forms (`+` for space), `encodeURIComponent`, only the bytes
///   a URL cannot hold, or every byte;
/// - each of these once more JSON-escaped (inside a JSON string).
///
/// Hex digits are matched in either case by the matcher.
pub fn forms(value: &str) -> BTreeSet<Vec<u8>> {
    let mut out: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut plain: BTreeSet<String> = BTreeSet::new();
    plain.insert(value.to_owned());
    for slash in [false, true] {
        for ascii in [false, true] {
            for html_safe in [false, true] {
                plain.insert(json_escape(value, JsonStyle { slash, ascii, html_safe, unicode_controls: ascii }));
                plain.insert(json_escape(value, JsonStyle { slash, ascii, html_safe, unicode_controls: !ascii }));
            }
        }
    }
    let serde = json_escape(value, JsonStyle::default());
    let twice = json_escape(&serde, JsonStyle::default());
    for quote in ["\"", "&quot;", "&#34;"] {
        for apostrophe in ["'", "&#39;", "&#x27;", "&apos;"] {
            out.insert(html_escape(value, quote, apostrophe).into_bytes());
        }
    }
    let mut encoded: BTreeSet<String> = BTreeSet::new();
    for text in &plain {
        for alphabet in [STANDARD_ALPHABET, URL_SAFE_ALPHABET] {
            for offset in 0..3 {
                if let Some(needle) = base64_inside(text.as_bytes(), offset, alphabet) {
                    encoded.insert(needle);
                }
            }
        }
    }
    for set in PERCENT_SETS {
        for plus in [false, true] {
            out.insert(percent_encode(value.as_bytes(), set, plus).into_bytes());
        }
    }
    for needle in &encoded {
        out.insert(percent_encode(needle.as_bytes(), PERCENT_SETS[0], false).into_bytes());
    }
    out.extend(plain.into_iter().map(String::into_bytes));
    out.extend(encoded.into_iter().map(String::into_bytes));
    out.insert(twice.into_bytes());
    // Any of these written into a JSON string (a message in a JSON report).
    let escaped: Vec<Vec<u8>> = out
        .iter()
        .filter_map(|f| std::str::from_utf8(f).ok())
        .map(|f| json_escape(f, JsonStyle::default()).into_bytes())
        .collect();
    out.extend(escaped);
    out.retain(|n| n.len() >= MIN_CUT_PREFIX);
    out
}

/// How a JSON encoder escapes a string.
#[derive(Default, Clone, Copy)]
struct JsonStyle {
    /// `/` as `\/` (PHP, some Java encoders).
    slash: bool,
    /// Non-ASCII as `\uXXXX` (Python's default, `ensure_ascii`).
    ascii: bool,
    /// `<`, `>`, `&` as `\u003c`... (Go's default).
    html_safe: bool,
    /// Every control character as `\u00XX`, none as `\n`, `\t`...
    unicode_controls: bool,
}

/// The inside of a JSON string literal holding `value`.
fn json_escape(value: &str, style: JsonStyle) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if style.slash => out.push_str("\\/"),
            '<' | '>' | '&' if style.html_safe => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\n' if !style.unicode_controls => out.push_str("\\n"),
            '\r' if !style.unicode_controls => out.push_str("\\r"),
            '\t' if !style.unicode_controls => out.push_str("\\t"),
            '\u{8}' if !style.unicode_controls => out.push_str("\\b"),
            '\u{c}' if !style.unicode_controls => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' && style.unicode_controls => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            '\u{2028}' | '\u{2029}' if style.html_safe => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if !c.is_ascii() && style.ascii => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `value` as HTML text or attribute, quotes written as given.
fn html_escape(value: &str, quote: &str, apostrophe: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str(quote),
            '\'' => out.push_str(apostrophe),
            c => out.push(c),
        }
    }
    out
}

/// Which bytes a percent-encoder leaves as they are.
type PercentSet = fn(u8) -> bool;

const PERCENT_SETS: [PercentSet; 9] = [
    // RFC 3986 unreserved: what a careful encoder keeps.
    |b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'),
    // application/x-www-form-urlencoded (WHATWG), as `url` and browsers write form queries.
    |b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_'),
    // JavaScript's encodeURIComponent.
    |b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'),
    // WHATWG URL component sets, as the `url` crate (certify's own requests)
    // and browsers percent-encode a URL parsed from text: query (and the
    // special-scheme query), path, fragment.
    |b| b.is_ascii_graphic() && !matches!(b, b'"' | b'#' | b'<' | b'>'),
    |b| b.is_ascii_graphic() && !matches!(b, b'"' | b'#' | b'<' | b'>' | b'\''),
    |b| b.is_ascii_graphic() && !matches!(b, b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}'),
    |b| b.is_ascii_graphic() && !matches!(b, b'"' | b'<' | b'>' | b'`'),
    // Only what no URL can hold (a Location header built carelessly).
    |b| {
        b.is_ascii_graphic()
            && !matches!(b, b'"' | b'#' | b'%' | b'<' | b'>' | b'[' | b'\\' | b']' | b'^' | b'`' | b'{' | b'|' | b'}')
    },
    // Every byte.
    |_| false,
];

fn percent_encode(bytes: &[u8], keep: PercentSet, plus_for_space: bool) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b == b' ' && plus_for_space {
            out.push('+');
        } else if keep(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const STANDARD_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64 characters that encode only bytes of `bytes` when it starts
/// `offset` (0, 1 or 2) bytes into a 3-byte group of a longer encoding.
fn base64_inside(bytes: &[u8], offset: usize, alphabet: &[u8; 64]) -> Option<String> {
    let mut padded = vec![0u8; offset];
    padded.extend_from_slice(bytes);
    let first_bit = offset * 8;
    let end_bit = padded.len() * 8;
    let mut out = String::new();
    let mut i = first_bit.div_ceil(6);
    while 6 * i + 6 <= end_bit {
        let bit = 6 * i;
        let mut v = 0usize;
        for k in 0..6 {
            let b = bit + k;
            v = (v << 1) | usize::from((padded[b / 8] >> (7 - b % 8)) & 1);
        }
        out.push(char::from(alphabet[v]));
        i += 1;
    }
    (!out.is_empty()).then_some(out)
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()
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
            api: None,
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
        // The Basic credential, the `user:password` pair it encodes, and the password.
        assert_eq!(r.secret_count(), 3);
        assert_eq!(r.text("user:password"), "[redacted]");
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

    /// A token that needs escaping in every syntax.
    const TOKEN: &str = "tok\"en/\\sé 😀+x<&'>_Zq7";

    fn b64(engine: &base64::engine::GeneralPurpose, bytes: &[u8]) -> String {
        use base64::Engine as _;
        engine.encode(bytes)
    }

    #[test]
    fn every_encoded_form_of_a_secret_is_redacted() {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        let mut r = Redactor::new(&[], &[]).unwrap();
        r.add_persistent(&format!("Bearer {TOKEN}"));
        let json = serde_json::to_string(TOKEN).unwrap();
        let json = json.trim_matches('"').to_owned();
        let ascii_json: String = TOKEN
            .encode_utf16()
            .map(|u| match u {
                0x22 => "\\\"".to_owned(),
                0x5c => "\\\\".to_owned(),
                0x2f => "\\/".to_owned(),
                u if u < 0x80 => char::from(u as u8).to_string(),
                u => format!("\\u{u:04X}"),
            })
            .collect();
        let form: String = url::form_urlencoded::byte_serialize(TOKEN.as_bytes()).collect();
        let every_byte: String = TOKEN.bytes().map(|b| format!("%{b:02x}")).collect();
        let html = TOKEN
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#x27;");
        let mut forms = vec![TOKEN.to_owned(), json.clone(), ascii_json, form, every_byte, html];
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            for plain in [TOKEN.to_owned(), format!("Bearer {TOKEN}"), format!("admin:{TOKEN}")] {
                forms.push(b64(&engine, plain.as_bytes()));
            }
            // Inside a larger base64 blob: a JSON document holding the token, at every alignment.
            for pad in ["", "a", "ab"] {
                let doc = format!("{{\"pad\":\"{pad}\",\"token\":\"{json}\",\"more\":1}}");
                forms.push(b64(&engine, doc.as_bytes()));
            }
        }
        for form in &forms {
            let text = format!("before {form} after");
            let clean = r.text(&text);
            assert!(clean.contains(MARKER), "{form:?} not found in {text:?}");
            assert!(!clean.contains(form.as_str()), "{form:?} survived: {clean}");
            // What is left of a base64 blob holds no piece of the token either.
            for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
                use base64::Engine as _;
                for word in clean.split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_".contains(c))) {
                    for skip in 0..4.min(word.len()) {
                        let w = &word[skip..];
                        let w = &w[..w.len() - w.len() % 4];
                        if let Ok(bytes) = engine.decode(w) {
                            let decoded = String::from_utf8_lossy(&bytes);
                            assert!(!decoded.contains("Zq7"), "{form:?} left {decoded:?} in {clean}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bodies_that_are_not_text_are_redacted_as_bytes_before_base64() {
        use base64::Engine as _;
        let mut r = Redactor::new(&[], &[]).unwrap();
        r.add_persistent(TOKEN);
        let mut bytes = vec![0xff, 0xfe, 0x00, 0x81];
        bytes.extend_from_slice(TOKEN.as_bytes());
        bytes.extend_from_slice(&[0xc3, 0x28, 0x00]);
        let mut x = exchange("", "");
        x.response.as_mut().unwrap().body = Body::new(bytes);
        let v = r.exchange(&x, 1 << 16);
        let body = &v["response"]["body"];
        let shown = base64::engine::general_purpose::STANDARD.decode(body["base64"].as_str().unwrap()).unwrap();
        assert!(!shown.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "{body}");
        assert!(shown.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()), "{body}");
        assert_eq!(body["redacted"], true);
        assert_eq!(body["size"], TOKEN.len() + 7);
    }

    #[test]
    fn a_secret_cut_by_the_cap_leaves_no_beginning_behind() {
        let mut r = Redactor::new(&[], &[]).unwrap();
        r.add_persistent(TOKEN);
        for keep in [4, 7, TOKEN.len() - 1] {
            // Text and bytes, cut `keep` bytes into the token.
            for tail in [&b"..."[..], &[0xff, 0xfe][..]] {
                let mut body = b"x".repeat(90);
                body.extend_from_slice(TOKEN.as_bytes());
                body.extend_from_slice(tail);
                let cap = 90 + keep;
                let mut x = exchange("", "");
                x.response.as_mut().unwrap().body = Body::new(body);
                let v = r.exchange(&x, cap);
                let b = &v["response"]["body"];
                let shown = match (b["text"].as_str(), b["base64"].as_str()) {
                    (Some(t), _) => t.as_bytes().to_vec(),
                    (_, Some(e)) => {
                        use base64::Engine as _;
                        base64::engine::general_purpose::STANDARD.decode(e).unwrap()
                    }
                    _ => panic!("no body: {b}"),
                };
                let token_start = &TOKEN.as_bytes()[..4];
                assert!(!shown.windows(4).any(|w| w == token_start), "keep {keep}: {b}");
                assert!(shown.ends_with(MARKER.as_bytes()), "keep {keep}: {b}");
                assert_eq!(b["truncated"], true);
            }
        }
        // Cut when it was read (over the target's max_body): the same.
        let mut read = b"x".repeat(90);
        read.extend_from_slice(&TOKEN.as_bytes()[..6]);
        let mut x = exchange("", "");
        let mut body = Body::new(read);
        body.size = 10_000;
        x.response.as_mut().unwrap().body = body;
        let b = &r.exchange(&x, 1 << 16)["response"]["body"];
        assert_eq!(b["text"].as_str(), Some(format!("{}{MARKER}", "x".repeat(90)).as_str()), "{b}");
        assert_eq!(b["truncated"], true);
        // An excerpt in a message, cut (marked `…`) through the secret.
        let excerpt = format!("got: xx{}… (300 bytes in total)", &TOKEN[..7]);
        assert_eq!(r.text(&excerpt), "got: xx[redacted]… (300 bytes in total)");
        // A body that merely ends like the start of a secret, uncut, is left alone.
        let x = exchange("", "xxxx tok\"");
        assert_eq!(r.exchange(&x, 1 << 16)["response"]["body"]["text"], "xxxx tok\"");
    }

    #[test]
    fn the_log_holds_each_secret_once_as_it_is_learnt() {
        let mut r = Redactor::new(&[], &[]).unwrap();
        let log = r.log();
        r.add_persistent("cred-123456");
        r.scope(vec!["first-secret".into(), "cred-123456".into(), "short".into()]);
        r.scope(vec!["first-secret".into()]);
        assert_eq!(log.values(), vec!["cred-123456".to_owned(), "first-secret".to_owned()]);
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
