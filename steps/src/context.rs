//! What every scenario of one run shares: the resolved target settings, the
//! declared credentials, the snapshot settings, ONE pooled HTTP client, the
//! run-wide rate limiter, and caches (resolved secrets, compiled JSON
//! Schemas). A [`RunContext`] is built once per run and handed to every
//! scenario's [`World`](crate::World) as an `Arc`.
//!
//! Secrets are read from the environment or a file when a scenario first
//! needs them and are then cached for the run; every value resolved so far is
//! available from [`RunContext::secrets`] so that evidence can be redacted.
//! No secret value ever appears in a message or a `Debug` rendering.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use serde_json_path::JsonPath;

use crate::api::{ApiState, ApiUsage};
use crate::failure::StepFailure;
use crate::ratelimit::RateLimiter;

/// The deployment a run talks to.
#[derive(Debug, Clone)]
pub struct TargetSettings {
    /// Target name from certify.toml.
    pub name: String,
    /// Request URLs are paths joined to this base: the base path is kept and
    /// the step's path is appended to it, whether or not it starts with `/`
    /// (`http://h/api/` or `http://h/api` with `/v1/x` gives `http://h/api/v1/x`).
    /// The base URL's own query and fragment are not used.
    pub base_url: url::Url,
    /// Default headers sent with every request (a scenario's request headers
    /// override them, case-insensitively).
    pub headers: Vec<(String, String)>,
    /// Credential sent unless the scenario says `I am not authenticated` or
    /// `I am authenticated as "..."`.
    pub default_auth: Option<CredentialSpec>,
    /// Time allowed for one request, from sending it to reading the whole body.
    pub timeout: Duration,
    /// Run-wide request rate limit, across all scenarios (`None`: unlimited).
    pub max_rps: Option<f64>,
    /// At most this many bytes of a response body (decoded) are kept; a
    /// longer body is read to the end, hashed and counted, and cut here.
    pub max_body_bytes: u64,
}

/// Where a secret value comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable, by name.
    Env(String),
    /// A file whose content (without trailing line breaks) is the secret.
    File(PathBuf),
    /// A value injected by the program itself (never read from a file).
    Value(String),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(var) => f.debug_tuple("Env").field(var).finish(),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Value(_) => f.debug_tuple("Value").field(&"[redacted]").finish(),
        }
    }
}

/// A named credential: how its secret is found and how it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSpec {
    /// Its name, as in `I am authenticated as "admin"`.
    pub name: String,
    /// The header it is sent in (`Authorization` for bearer credentials).
    pub header: String,
    /// Sent as `Bearer <secret>` when true, else as the bare secret.
    pub bearer: bool,
    /// Where the secret comes from.
    pub secret: SecretSource,
    /// Where it was declared, for messages (`certify.toml [credentials.admin]`).
    pub origin: String,
}

/// Snapshot settings of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotSettings {
    /// Directory holding `<NAME>.snap` files.
    pub dir: PathBuf,
    /// JSONPaths whose nodes are replaced by `"[redacted]"` before comparing.
    pub redact: Vec<String>,
    /// Write `<NAME>.snap.new` for review when a snapshot is missing or differs.
    pub update: bool,
}

/// Why a [`RunContext`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// A `[snapshots] redact` entry is not a valid JSONPath.
    #[error("invalid JSONPath {path:?} in [snapshots] redact: {message}")]
    InvalidRedactPath { path: String, message: String },
    /// `max_rps` is zero, negative or not a number.
    #[error("max_rps of target {target:?} must be a positive number, got {value}")]
    InvalidMaxRps { target: String, value: f64 },
    /// The base URL cannot have paths joined to it.
    #[error("base_url {url} of target {target:?} cannot be used as a base URL (it needs a scheme, a host and a path)")]
    BaseUrl { target: String, url: String },
    /// Two credentials share a name.
    #[error("credential {name:?} is declared twice ({first} and {second})")]
    DuplicateCredential { name: String, first: String, second: String },
    /// A default header or a credential header cannot be sent over HTTP.
    #[error("{what} is not a valid HTTP header {part}")]
    InvalidHeader { what: String, part: &'static str },
    /// An `[evidence] redact` JSON entry is not a valid JSONPath.
    #[error("invalid JSONPath {path:?} in [evidence] redact json: {message}")]
    InvalidSecretPath { path: String, message: String },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// Everything the scenarios of one run share. Build it once per run.
pub struct RunContext {
    target: TargetSettings,
    credentials: BTreeMap<String, CredentialSpec>,
    snapshots: SnapshotSettings,
    redact_paths: Vec<JsonPath>,
    client: reqwest::Client,
    limiter: Option<RateLimiter>,
    resolved: Mutex<HashMap<(String, String), String>>,
    /// The evidence's redaction list: a value saved from one of these headers
    /// or JSON fields is a secret for the rest of the run.
    secret_headers: Vec<String>,
    secret_fields: Vec<JsonPath>,
    /// Values saved from redacted headers or fields.
    captured: Mutex<std::collections::BTreeSet<String>>,
    schemas: Mutex<HashMap<PathBuf, Arc<jsonschema::Validator>>>,
    /// The project root (the directory of certify.toml): files steps read
    /// must lie inside it. `None`: no project (the file check is not made).
    project_root: Option<PathBuf>,
    /// Files read by steps so far (resolved), for the bundle's `suite/`.
    used: Mutex<std::collections::BTreeSet<PathBuf>>,
    /// Feature file texts, read once, for doc string media types.
    sources: Mutex<HashMap<PathBuf, Option<Source>>>,
    /// The target's API description, once it is loaded.
    api: std::sync::OnceLock<ApiState>,
}

impl fmt::Debug for RunContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunContext")
            .field("target", &self.target)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .field("snapshots", &self.snapshots)
            .finish_non_exhaustive()
    }
}

impl RunContext {
    /// Validates the settings and builds the run's single pooled HTTP client.
    /// Redirects are not followed, so a step can check a `3xx` status.
    pub fn new(
        target: TargetSettings,
        credentials: Vec<CredentialSpec>,
        snapshots: SnapshotSettings,
    ) -> Result<RunContext, ContextError> {
        if target.base_url.cannot_be_a_base() || !target.base_url.has_host() {
            return Err(ContextError::BaseUrl { target: target.name.clone(), url: target.base_url.to_string() });
        }
        let limiter = match target.max_rps {
            None => None,
            Some(value) => Some(
                RateLimiter::new(value).ok_or(ContextError::InvalidMaxRps { target: target.name.clone(), value })?,
            ),
        };
        for (name, value) in &target.headers {
            check_header(name, Some(value), &format!("header {name:?} of target {:?}", target.name))?;
        }
        let mut by_name = BTreeMap::new();
        for spec in target.default_auth.iter().chain(&credentials) {
            check_header(&spec.header, None, &format!("header of credential {:?} ({})", spec.name, spec.origin))?;
        }
        for spec in credentials {
            if let Some(first) = by_name.get(&spec.name) {
                let first: &CredentialSpec = first;
                return Err(ContextError::DuplicateCredential {
                    name: spec.name.clone(),
                    first: first.origin.clone(),
                    second: spec.origin.clone(),
                });
            }
            by_name.insert(spec.name.clone(), spec);
        }
        let redact_paths = snapshots
            .redact
            .iter()
            .map(|path| {
                JsonPath::parse(path)
                    .map_err(|e| ContextError::InvalidRedactPath { path: path.clone(), message: e.to_string() })
            })
            .collect::<Result<_, _>>()?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("certify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ContextError::Client)?;
        Ok(RunContext {
            target,
            credentials: by_name,
            snapshots,
            redact_paths,
            client,
            limiter,
            resolved: Mutex::new(HashMap::new()),
            secret_headers: Vec::new(),
            secret_fields: Vec::new(),
            captured: Mutex::default(),
            schemas: Mutex::new(HashMap::new()),
            project_root: None,
            used: Mutex::new(std::collections::BTreeSet::new()),
            sources: Mutex::new(HashMap::new()),
            api: std::sync::OnceLock::new(),
        })
    }

    /// Files steps read (schemas, snapshots) must lie inside `root`.
    pub fn with_project_root(mut self, root: &Path) -> RunContext {
        self.project_root = Some(root.to_path_buf());
        self
    }

    /// Gives the run the target's API description: responses are matched to its operations
    /// from now on, and with `every` each one is checked against it. Set once; a second call
    /// is ignored.
    pub fn set_api(&self, description: Arc<certify_openapi::Description>, every: bool) {
        let _ = self.api.set(ApiState::new(description, every, &self.target.base_url));
    }

    /// What the run did with its API description so far, when it has one.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        self.api.get().map(ApiState::usage)
    }

    pub(crate) fn api(&self) -> Option<&ApiState> {
        self.api.get()
    }

    /// Every file a step read so far, resolved (inside the project root).
    pub fn used_files(&self) -> Vec<PathBuf> {
        self.used.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }

    /// `path` when it may be read: inside the project root (see
    /// [`crate::project_file`]); the scenario errors otherwise, before
    /// anything is read. Recorded as used.
    pub(crate) fn readable(&self, path: &Path) -> Result<PathBuf, StepFailure> {
        let resolved = match &self.project_root {
            Some(root) => crate::project::project_file(root, path).map_err(|e| StepFailure::error(e.to_string()))?,
            None => path.to_path_buf(),
        };
        self.used.lock().unwrap_or_else(PoisonError::into_inner).insert(resolved.clone());
        Ok(resolved)
    }

    /// The evidence's redaction list (header names, JSONPaths): a value a
    /// scenario saves from one of these is a secret from then on, in
    /// [`RunContext::secrets`].
    pub fn with_secret_fields(mut self, headers: &[String], json: &[String]) -> Result<RunContext, ContextError> {
        self.secret_headers = headers.to_vec();
        self.secret_fields = json
            .iter()
            .map(|path| {
                JsonPath::parse(path)
                    .map_err(|e| ContextError::InvalidSecretPath { path: path.clone(), message: e.to_string() })
            })
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// The target of the run.
    pub fn target(&self) -> &TargetSettings {
        &self.target
    }

    /// Every secret value known so far (credentials sent, values saved
    /// from redacted headers and fields), for redaction of evidence and
    /// output. Sorted, without duplicates.
    pub fn secrets(&self) -> Vec<String> {
        let resolved = self.resolved.lock().unwrap_or_else(PoisonError::into_inner);
        let mut values: Vec<String> = resolved.values().cloned().collect();
        values.extend(self.captured.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned());
        values.sort();
        values.dedup();
        values
    }

    /// Whether `name` is a header on the evidence's redaction list.
    pub(crate) fn is_secret_header(&self, name: &str) -> bool {
        self.secret_headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// The JSONPaths of the evidence's redaction list.
    pub(crate) fn secret_fields(&self) -> &[JsonPath] {
        &self.secret_fields
    }

    /// Makes a saved value a secret for the rest of the run.
    pub(crate) fn capture_secret(&self, value: &str) {
        if !value.is_empty() {
            self.captured.lock().unwrap_or_else(PoisonError::into_inner).insert(value.to_owned());
        }
    }

    pub(crate) fn snapshots(&self) -> &SnapshotSettings {
        &self.snapshots
    }

    pub(crate) fn redact_paths(&self) -> &[JsonPath] {
        &self.redact_paths
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Waits for the next request slot of the run-wide rate limit.
    pub(crate) async fn throttle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
    }

    /// The credential declared under `name`; an unknown name is an error
    /// listing the declared ones.
    pub(crate) fn credential(&self, name: &str) -> Result<&CredentialSpec, StepFailure> {
        self.credentials.get(name).ok_or_else(|| {
            let known = if self.credentials.is_empty() {
                "no credentials are declared (certify.toml [credentials.NAME])".to_owned()
            } else {
                format!(
                    "declared credentials: {}",
                    self.credentials.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                )
            };
            StepFailure::error(format!("unknown credential \"{name}\"; {known}"))
        })
    }

    /// The header a credential is sent in, with its value; resolves (and
    /// caches) the secret. Errors say which credential, where it was
    /// declared, and which variable or file, never the value.
    pub(crate) fn auth_header(&self, spec: &CredentialSpec) -> Result<(String, String), StepFailure> {
        let secret = self.secret(spec)?;
        let value = if spec.bearer { format!("Bearer {secret}") } else { secret };
        Ok((spec.header.clone(), value))
    }

    fn secret(&self, spec: &CredentialSpec) -> Result<String, StepFailure> {
        let key = (spec.name.clone(), spec.origin.clone());
        if let Some(value) = self.resolved.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(value.clone());
        }
        let fail = |what: String| StepFailure::error(format!("credential \"{}\" ({}): {what}", spec.name, spec.origin));
        let value = match &spec.secret {
            SecretSource::Env(var) => match std::env::var(var) {
                Ok(value) => value,
                Err(std::env::VarError::NotPresent) => {
                    return Err(fail(format!("environment variable {var} is not set")));
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(fail(format!("environment variable {var} is not valid UTF-8")));
                }
            },
            SecretSource::File(path) => read_secret_file(path).map_err(fail)?,
            SecretSource::Value(value) => value.clone(),
        };
        let value = value.trim_end_matches(['\r', '\n']).to_owned();
        let source = match &spec.secret {
            SecretSource::Env(var) => format!("environment variable {var}"),
            SecretSource::File(path) => format!("secret file {}", path.display()),
            SecretSource::Value(_) => "the injected value".to_owned(),
        };
        if value.is_empty() {
            return Err(fail(format!("{source} is empty")));
        }
        let header_value = if spec.bearer { format!("Bearer {value}") } else { value.clone() };
        if HeaderValue::from_str(&header_value).is_err() {
            return Err(fail(format!("{source} holds characters that cannot be sent in an HTTP header")));
        }
        self.resolved.lock().unwrap_or_else(PoisonError::into_inner).insert(key, value.clone());
        Ok(value)
    }

    /// The media type of the doc string under the step on `step_line` of the
    /// feature file at `path` (read once per run; `None` when it cannot be
    /// read or the doc string has none). The rule is certify-suite's.
    pub(crate) fn doc_string_media_type(&self, path: &Path, step_line: usize) -> Option<String> {
        let source = {
            let mut sources = self.sources.lock().unwrap_or_else(PoisonError::into_inner);
            sources
                .entry(path.to_path_buf())
                .or_insert_with(|| std::fs::read_to_string(path).ok().map(Source::new))
                .clone()
        }?;
        // From the step's own line, found by the line index: the cost does not grow with
        // how far down the file the step is.
        let from = *source.line_starts.get(step_line.checked_sub(1)?)?;
        certify_suite::doc_string(&source.text[from..], 1)?.media_type
    }

    /// The compiled JSON Schema at `path` (absolute), compiled once per run.
    pub(crate) fn schema(&self, path: &Path) -> Result<Arc<jsonschema::Validator>, StepFailure> {
        if let Some(found) = self.schemas.lock().unwrap_or_else(PoisonError::into_inner).get(path) {
            return Ok(Arc::clone(found));
        }
        let validator = compile_schema(&self.readable(path)?)?;
        let validator = Arc::new(validator);
        self.schemas.lock().unwrap_or_else(PoisonError::into_inner).insert(path.to_path_buf(), Arc::clone(&validator));
        Ok(validator)
    }
}

/// The JSON Schema at `path` (absolute), read and compiled: errors say
/// whether it could not be read, is not JSON or does not compile.
pub fn compile_schema(path: &Path) -> Result<jsonschema::Validator, StepFailure> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| StepFailure::error(format!("cannot read JSON Schema {shown}: {e}")))?;
    let schema: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| StepFailure::error(format!("JSON Schema {shown} is not valid JSON: {e}")))?;
    let base = url::Url::from_file_path(path)
        .map_err(|()| StepFailure::error(format!("JSON Schema {shown}: cannot turn its path into a file:// URL")))?;
    jsonschema::options()
        .with_base_uri(base.to_string())
        .build(&schema)
        .map_err(|e| StepFailure::error(format!("JSON Schema {shown} does not compile: {e}")))
}

fn read_secret_file(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read secret file {}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| format!("secret file {} is not valid UTF-8", path.display()))
}

fn check_header(name: &str, value: Option<&str>, what: &str) -> Result<(), ContextError> {
    if HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(ContextError::InvalidHeader { what: what.to_owned(), part: "name" });
    }
    if let Some(value) = value
        && HeaderValue::from_str(value).is_err()
    {
        return Err(ContextError::InvalidHeader { what: what.to_owned(), part: "value" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(base: &str) -> TargetSettings {
        TargetSettings {
            name: "test".to_owned(),
            base_url: url::Url::parse(base).unwrap(),
            headers: vec![("X-Client".to_owned(), "certify".to_owned())],
            default_auth: None,
            timeout: Duration::from_secs(5),
            max_rps: None,
            max_body_bytes: 1 << 20,
        }
    }

    fn credential(name: &str, secret: SecretSource) -> CredentialSpec {
        CredentialSpec {
            name: name.to_owned(),
            header: "Authorization".to_owned(),
            bearer: true,
            secret,
            origin: format!("certify.toml [credentials.{name}]"),
        }
    }

    #[test]
    fn rejects_bad_settings() {
        let mut bad_rate = target("http://127.0.0.1:1/");
        bad_rate.max_rps = Some(0.0);
        assert!(matches!(
            RunContext::new(bad_rate, vec![], SnapshotSettings::default()),
            Err(ContextError::InvalidMaxRps { .. })
        ));
        let snapshots = SnapshotSettings { redact: vec!["$.[".to_owned()], ..SnapshotSettings::default() };
        assert!(matches!(
            RunContext::new(target("http://127.0.0.1:1/"), vec![], snapshots),
            Err(ContextError::InvalidRedactPath { .. })
        ));
        let creds =
            vec![credential("a", SecretSource::Value("x".into())), credential("a", SecretSource::Value("y".into()))];
        let err = RunContext::new(target("http://127.0.0.1:1/"), creds, SnapshotSettings::default()).unwrap_err();
        assert!(matches!(err, ContextError::DuplicateCredential { .. }), "{err}");
        assert!(matches!(
            RunContext::new(target("mailto:x@y"), vec![], SnapshotSettings::default()),
            Err(ContextError::BaseUrl { .. })
        ));
    }

    #[test]
    fn secrets_are_resolved_recorded_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "file-secret-123\n").unwrap();
        let creds = vec![
            credential("inline", SecretSource::Value("inline-secret-456".into())),
            credential("file", SecretSource::File(file)),
            credential("gone", SecretSource::Env("CERTIFY_STEPS_TEST_SURELY_UNSET".into())),
        ];
        let ctx = RunContext::new(target("http://127.0.0.1:1/"), creds, SnapshotSettings::default()).unwrap();
        assert!(ctx.secrets().is_empty());
        let (header, value) = ctx.auth_header(ctx.credential("file").unwrap()).unwrap();
        assert_eq!((header.as_str(), value.as_str()), ("Authorization", "Bearer file-secret-123"));
        ctx.auth_header(ctx.credential("inline").unwrap()).unwrap();
        assert_eq!(ctx.secrets(), vec!["file-secret-123", "inline-secret-456"]);

        let err = ctx.auth_header(ctx.credential("gone").unwrap()).unwrap_err();
        assert_eq!(
            err.message,
            "credential \"gone\" (certify.toml [credentials.gone]): environment variable \
             CERTIFY_STEPS_TEST_SURELY_UNSET is not set"
        );
        let err = ctx.credential("nobody").unwrap_err();
        assert!(err.message.contains("declared credentials: file, gone, inline"), "{}", err.message);
        let debug = format!("{ctx:?} {:?}", SecretSource::Value("inline-secret-456".into()));
        assert!(!debug.contains("inline-secret-456"), "{debug}");
    }
}

/// A feature file's text with the byte offset where each line starts.
#[derive(Clone)]
struct Source {
    text: Arc<str>,
    line_starts: Arc<[usize]>,
}

impl Source {
    fn new(text: String) -> Source {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Source { text: Arc::from(text), line_starts }
    }
}
