//! The resolved settings: what the rest of certify takes once `certify.toml` has been read.
//!
//! Every value here has been interpolated, parsed and checked, and every path is absolute.
//! Secrets are not here: credentials and the signing key are references ([`SecretRef`],
//! [`KeyRef`]) that are read only when they are used.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::ConfigError;

/// Default per-request timeout of a target.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of scenarios in flight against a target.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Default cap on the size of a response body read from a target (16 MiB).
pub const DEFAULT_TARGET_MAX_BODY: u64 = 16 * 1024 * 1024;
/// Default cap on the size of a body kept in an evidence transcript (64 KiB).
pub const DEFAULT_EVIDENCE_MAX_BODY: u64 = 64 * 1024;
/// Headers always redacted from evidence; `[evidence] redact.headers` adds to these.
pub const DEFAULT_REDACT_HEADERS: [&str; 5] =
    ["Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Proxy-Authorization"];
/// JSONPaths always redacted from evidence; `[evidence] redact.json` adds to these.
pub const DEFAULT_REDACT_JSON: [&str; 4] = ["$..password", "$..token", "$..secret", "$..api_key"];

/// Everything `certify.toml` says, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Absolute path of the file.
    pub path: PathBuf,
    /// The file's directory; relative paths in the file are relative to it.
    pub root: PathBuf,
    /// The file's exact text.
    pub source: String,
    /// Where the suite lives.
    pub suite: SuiteSettings,
    /// Deployments to certify, by name.
    pub targets: BTreeMap<String, TargetSettings>,
    /// Named credentials (`[credentials.NAME]`), by name.
    pub credentials: BTreeMap<String, CredentialSettings>,
    /// Snapshot comparison settings.
    pub snapshots: SnapshotSettings,
    /// Evidence archive, signing and redaction settings.
    pub evidence: EvidenceSettings,
}

/// `[suite]`: where the feature files, the catalog and the snapshots are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteSettings {
    /// Directories, files or glob patterns, absolute. Never empty.
    pub features: Vec<PathBuf>,
    /// The feature catalog, absolute.
    pub catalog: PathBuf,
    /// The line of certify.toml that names the catalog (`[suite] catalog`);
    /// `None` when it is the default, which may be absent.
    pub catalog_line: Option<usize>,
    /// Approved snapshots: `<root>/features/snapshots` unless `[snapshots] dir` says otherwise.
    pub snapshots_dir: PathBuf,
    /// The target used when none is named (`[suite] default_target`); it names a configured target.
    pub default_target: Option<String>,
}

/// `[targets.NAME]`: one deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSettings {
    /// The target's name, the key of its table.
    pub name: String,
    /// Absolute http or https URL without credentials, query or fragment; its path ends with `/`.
    pub base_url: url::Url,
    /// How to ask the target its version.
    pub version: Option<VersionProbe>,
    /// Where the target's API description is (PRODUCT section 11).
    pub api: Option<ApiSource>,
    /// Which responses are checked against the API description.
    pub api_check: ApiCheck,
    /// The target's default credential.
    pub auth: Option<CredentialSettings>,
    /// Extra headers sent with every request, in file order; names and values are valid HTTP.
    pub headers: Vec<(String, String)>,
    /// Per-request timeout, greater than zero.
    pub timeout: Duration,
    /// Scenarios in flight, at least 1.
    pub concurrency: usize,
    /// Request rate cap, greater than zero, when given.
    pub max_rps: Option<f64>,
    /// Most bytes of a response body (decoded) kept in memory, at least 1;
    /// a longer body is read to its end, hashed, counted and cut here.
    pub max_body: u64,
}

/// `version = { path = "/version", json = "$.version" }`, `{ path = "/ping",
/// header = "X-Influxdb-Version" }` or `{ path = "/", regex = 'Version: v?(\d+\.\d+\.\d+)' }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionProbe {
    /// Path (starting with `/`, with a query string if any) requested relative to the base URL.
    pub path: String,
    /// Where the version is in the answer.
    pub read: VersionRead,
}

/// Where a target's OpenAPI description comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiSource {
    /// Fetched from the target at the version under test: a path (starting with `/`, with a
    /// query string if any) relative to the base URL.
    Path(String),
    /// A file of the project (absolute).
    File(PathBuf),
}

/// Which responses of a run are checked against the target's API description.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApiCheck {
    /// Only where a scenario says `the response conforms to the API description`.
    #[default]
    Step,
    /// Every response of the run (`api_check = "every"`); a request no operation matches is an
    /// undocumented endpoint.
    Every,
}

/// Where a version probe finds the version in the target's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRead {
    /// An RFC 9535 JSONPath into a JSON body; it parses (checked when the file is loaded).
    Json(String),
    /// A response header (a valid HTTP header name); the body may be empty.
    Header(String),
    /// A regular expression over the body (as text): its first capture group,
    /// or the whole match when it has none; it compiles (checked when the file is loaded).
    Regex(String),
}

impl VersionRead {
    /// The key it was given as (`json`, `header` or `regex`).
    pub fn key(&self) -> &'static str {
        match self {
            VersionRead::Json(_) => "json",
            VersionRead::Header(_) => "header",
            VersionRead::Regex(_) => "regex",
        }
    }

    /// How it reads, for messages: `JSONPath $.version`, `header X-Influxdb-Version`, `regex 'v(\d+)'`.
    pub fn describe(&self) -> String {
        match self {
            VersionRead::Json(path) => format!("JSONPath {path}"),
            VersionRead::Header(name) => format!("header {name}"),
            VersionRead::Regex(re) => format!("regex '{re}'"),
        }
    }
}

/// A credential: which header carries it and where its secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSettings {
    /// `admin` for `[credentials.admin]`, `staging.auth` for the `auth` of `[targets.staging]`.
    pub name: String,
    /// Where it is configured, for messages: `certify.toml [credentials.admin]`.
    pub origin: String,
    /// `Authorization` for bearer credentials, else the configured header.
    pub header: String,
    /// Whether the header value is `Bearer <secret>` rather than the secret itself.
    pub bearer: bool,
    /// Where the secret is read from when the credential is used.
    pub secret: SecretRef,
}

/// Where a secret is read from; secrets never live in `certify.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable, by name.
    Env(String),
    /// A file, absolute; its content with surrounding whitespace trimmed is the secret.
    File(PathBuf),
}

/// `[snapshots]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SnapshotSettings {
    /// JSONPaths of dynamic fields masked before comparing.
    pub redact: Vec<String>,
}

/// `[evidence]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceSettings {
    /// The archive root.
    pub dir: EvidenceLocation,
    /// The key bundles are signed with.
    pub signing_key: Option<KeyRef>,
    /// Header names redacted from transcripts: the defaults plus the configured ones.
    pub redact_headers: Vec<String>,
    /// JSONPaths redacted from transcripts: the defaults plus the configured ones.
    pub redact_json: Vec<String>,
    /// Largest body kept in a transcript, in bytes.
    pub max_body: u64,
}

/// Where the evidence archive lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceLocation {
    /// A local directory, absolute.
    Local(PathBuf),
    /// An S3-compatible bucket; `prefix` has no leading or trailing `/` and may be empty.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix inside the bucket.
        prefix: String,
    },
}

/// Where the signing key is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A PEM file, absolute.
    File(PathBuf),
    /// An environment variable holding the PEM, by name.
    Env(String),
}

impl Settings {
    /// The target called `name`, or an error listing the known targets.
    pub fn target(&self, name: &str) -> Result<&TargetSettings, ConfigError> {
        self.targets.get(name).ok_or_else(|| self.error(format!("no target named {name:?}; {}", self.known_targets())))
    }

    /// The target to use when none is named: the one named by `[suite] default_target`,
    /// else the only target.
    pub fn default_target(&self) -> Result<&TargetSettings, ConfigError> {
        if let Some(name) = &self.suite.default_target {
            return self.target(name);
        }
        let mut targets = self.targets.values();
        match (targets.next(), targets.next()) {
            (Some(only), None) => Ok(only),
            (None, _) => Err(self.error("no targets are configured; add a [targets.NAME] table")),
            (Some(_), Some(_)) => Err(self.error(format!(
                "several targets are configured ({}); name one with --target or set [suite] default_target",
                self.target_names()
            ))),
        }
    }

    /// The credential called `name` in `[credentials]`, or an error listing the known ones.
    pub fn credential(&self, name: &str) -> Result<&CredentialSettings, ConfigError> {
        self.credentials.get(name).ok_or_else(|| {
            let known = if self.credentials.is_empty() {
                "no [credentials] are configured".to_owned()
            } else {
                let names: Vec<&str> = self.credentials.keys().map(String::as_str).collect();
                format!("known credentials: {}", names.join(", "))
            };
            self.error(format!("no credential named {name:?}; {known}"))
        })
    }

    fn known_targets(&self) -> String {
        if self.targets.is_empty() {
            "no targets are configured".to_owned()
        } else {
            format!("known targets: {}", self.target_names())
        }
    }

    fn target_names(&self) -> String {
        self.targets.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
    }

    fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.path.clone(), None, None, message)
    }
}
