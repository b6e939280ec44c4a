//! Stage two: from the raw structs to [`Settings`].
//!
//! Interpolates `${VAR}` in every string value, parses durations, sizes, numbers and URLs,
//! checks ranges and cross-references (a target's `auth = "NAME"`, `[suite] default_target`),
//! validates HTTP header names and values, and makes every path absolute relative to the
//! file's directory. The first problem found is returned as a [`ConfigError`].
//!
//! Values that came from the environment may be secrets: an error about a header value never
//! shows it, and an error about a base URL shows the text as written rather than what it
//! expanded to.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use crate::error::{ConfigError, KeyPath};
use crate::interpolate::{interpolate, is_env_name};
use crate::raw::{
    Doc, Entries, RawApi, RawAuth, RawCredential, RawEvidence, RawFile, RawKeyRef, RawSnapshots, RawSuite, RawTarget,
    RawVersion, Scalar, Str, StrList, StrOrList, Table,
};
use crate::settings::{
    ApiCheck, ApiSource, CredentialSettings, DEFAULT_CONCURRENCY, DEFAULT_EVIDENCE_MAX_BODY, DEFAULT_REDACT_HEADERS,
    DEFAULT_REDACT_JSON, DEFAULT_TARGET_MAX_BODY, DEFAULT_TIMEOUT, EvidenceLocation, EvidenceSettings, KeyRef,
    SecretRef, Settings, SnapshotSettings, SuiteSettings, TargetSettings, VersionProbe, VersionRead,
};

const DURATION_EXPECTED: &str = r#"expected a duration like "10s" or "500ms""#;
const SIZE_EXPECTED: &str = r#"expected a size like 1048576, "16MiB" or "500KB""#;
const VERSION_FORMS: &str = r#"{ path = "/version", json = "$.version" }, { path = "/ping", header = "X-Version" } or { path = "/", regex = 'v(\d+\.\d+\.\d+)' }"#;
const SECRET_SOURCES: &str = "exactly one of bearer_env, bearer_file, or header with value_env or value_file";

/// Resolves `raw`, read from `doc`, into settings; `path` is the file's absolute path.
pub(crate) fn resolve(
    doc: &Doc<'_>,
    path: PathBuf,
    raw: RawFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let root = match path.parent() {
        Some(parent) => parent.to_path_buf(),
        None => {
            return Err(ConfigError::new(doc.file, None, None, "the file has no parent directory"));
        }
    };
    let file_name =
        path.file_name().map_or_else(|| doc.file.display().to_string(), |name| name.to_string_lossy().into_owned());
    let resolver = Resolver { doc, root, env, file_name };

    let credentials = resolver.credentials(raw.credentials.as_ref())?;
    let targets = resolver.targets(raw.targets.as_ref(), &credentials)?;
    let suite = resolver.suite(raw.suite.as_ref(), raw.snapshots.as_ref(), &targets)?;
    let snapshots = resolver.snapshots(raw.snapshots.as_ref())?;
    let evidence = resolver.evidence(raw.evidence.as_ref())?;
    Ok(Settings {
        path,
        root: resolver.root,
        source: doc.text.to_owned(),
        suite,
        targets,
        credentials,
        snapshots,
        evidence,
    })
}

struct Resolver<'a> {
    doc: &'a Doc<'a>,
    root: PathBuf,
    env: &'a dyn Fn(&str) -> Option<String>,
    file_name: String,
}

/// A string value after interpolation, with what was written.
struct Text<'r> {
    value: String,
    written: &'r str,
    span: Range<usize>,
}

impl Text<'_> {
    fn interpolated(&self) -> bool {
        self.value != self.written
    }

    /// The value for a message, with the text as written when they differ.
    fn shown(&self) -> String {
        if self.interpolated() {
            format!("{:?} (from {:?})", self.value, self.written)
        } else {
            format!("{:?}", self.value)
        }
    }

    /// `{expected}, got VALUE (detail)` for a literal value; for an interpolated one, the text
    /// as written and never what the environment put in it.
    fn guarded(&self, expected: &str, detail: Option<String>) -> String {
        if self.interpolated() {
            let detail = detail.map(|detail| format!("{detail}; ")).unwrap_or_default();
            format!("{expected}; the value of {:?} is not one ({detail}the value is not shown)", self.written)
        } else {
            let detail = detail.map(|detail| format!(" ({detail})")).unwrap_or_default();
            format!("{expected}, got {:?}{detail}", self.value)
        }
    }
}

impl Resolver<'_> {
    fn error(&self, span: Range<usize>, key: &KeyPath, message: impl Into<String>) -> ConfigError {
        self.doc.error(span, key, message)
    }

    /// A string value, interpolated.
    fn text<'r>(&self, raw: &'r Str, key: &KeyPath) -> Result<Text<'r>, ConfigError> {
        self.interpolated(raw.get_ref(), raw.span(), key)
    }

    fn interpolated<'r>(&self, written: &'r str, span: Range<usize>, key: &KeyPath) -> Result<Text<'r>, ConfigError> {
        let value = interpolate(written, self.env).map_err(|err| self.error(span.clone(), key, err.describe()))?;
        Ok(Text { value: value.into_owned(), written, span })
    }

    fn non_empty<'r>(&self, raw: &'r Str, key: &KeyPath, what: &str) -> Result<Text<'r>, ConfigError> {
        let text = self.text(raw, key)?;
        if text.value.trim().is_empty() {
            let got = if text.interpolated() { format!(", got {}", text.shown()) } else { String::new() };
            return Err(self.error(text.span, key, format!("expected {what}, got an empty string{got}")));
        }
        Ok(text)
    }

    /// A path from the file, absolute.
    fn path(&self, raw: &Str, key: &KeyPath, what: &str) -> Result<PathBuf, ConfigError> {
        let text = self.non_empty(raw, key, what)?;
        Ok(absolute(&self.root, Path::new(&text.value)))
    }

    fn env_name(&self, raw: &Str, key: &KeyPath) -> Result<String, ConfigError> {
        let text = self.text(raw, key)?;
        if !is_env_name(&text.value) {
            return Err(self.error(
                text.span.clone(),
                key,
                format!(
                    "expected the name of an environment variable (letters, digits and _, not starting with a digit), got {}",
                    text.shown()
                ),
            ));
        }
        Ok(text.value)
    }

    /// An RFC 9535 JSONPath, checked here so that a run never starts with
    /// one that cannot be used (redaction, the version probe).
    fn json_path(&self, raw: &Str, key: &KeyPath) -> Result<String, ConfigError> {
        let text = self.text(raw, key)?;
        if !text.value.starts_with('$') {
            return Err(self.error(
                text.span.clone(),
                key,
                format!(r#"expected a JSONPath starting with "$" like "$.id", got {}"#, text.shown()),
            ));
        }
        if let Err(err) = serde_json_path::JsonPath::parse(&text.value) {
            return Err(self.error(
                text.span.clone(),
                key,
                format!("expected an RFC 9535 JSONPath like \"$.id\" or \"$..token\", got {}: {err}", text.shown()),
            ));
        }
        Ok(text.value)
    }

    fn json_paths(&self, list: &Spanned<StrList>, key: &KeyPath) -> Result<Vec<String>, ConfigError> {
        let items = &list.get_ref().0;
        items.iter().enumerate().map(|(i, item)| self.json_path(item, &key.index(i))).collect()
    }

    // ---- [credentials] and auth ----

    fn credentials(
        &self,
        raw: Option<&Spanned<Entries<Table<RawCredential>>>>,
    ) -> Result<BTreeMap<String, CredentialSettings>, ConfigError> {
        let mut credentials = BTreeMap::new();
        let Some(raw) = raw else {
            return Ok(credentials);
        };
        let table = KeyPath::root().key("credentials");
        for (name, credential) in &raw.get_ref().0 {
            let key = table.key(name.get_ref());
            if name.get_ref().is_empty() {
                return Err(self.error(name.span(), &table, "a credential name must not be empty"));
            }
            let origin = format!("{} [credentials.{}]", self.file_name, key_text(name.get_ref()));
            let resolved =
                self.credential(credential.get_ref(), credential.span(), &key, name.get_ref().clone(), origin)?;
            credentials.insert(name.get_ref().clone(), resolved);
        }
        Ok(credentials)
    }

    fn credential(
        &self,
        raw: &RawCredential,
        span: Range<usize>,
        key: &KeyPath,
        name: String,
        origin: String,
    ) -> Result<CredentialSettings, ConfigError> {
        if let Some((literal, literal_span)) = raw.literal_secret() {
            return Err(self.error(
                literal_span,
                &key.key(literal),
                "secrets never go in certify.toml; read this one from the environment or a file \
                 (bearer_env, bearer_file, or header with value_env or value_file)",
            ));
        }
        let sources = [
            ("bearer_env", raw.bearer_env.is_some()),
            ("bearer_file", raw.bearer_file.is_some()),
            ("header", raw.header.is_some()),
            ("value_env", raw.value_env.is_some()),
            ("value_file", raw.value_file.is_some()),
        ];
        let present: Vec<&str> = sources.iter().filter(|(_, set)| *set).map(|(name, _)| *name).collect();
        let (header, bearer, secret) =
            match (&raw.bearer_env, &raw.bearer_file, &raw.header, &raw.value_env, &raw.value_file) {
                (Some(var), None, None, None, None) => {
                    ("Authorization".to_owned(), true, SecretRef::Env(self.env_name(var, &key.key("bearer_env"))?))
                }
                (None, Some(file), None, None, None) => (
                    "Authorization".to_owned(),
                    true,
                    SecretRef::File(self.path(file, &key.key("bearer_file"), "a file holding the token")?),
                ),
                (None, None, Some(header), Some(var), None) => (
                    self.header_name(header, &key.key("header"))?,
                    false,
                    SecretRef::Env(self.env_name(var, &key.key("value_env"))?),
                ),
                (None, None, Some(header), None, Some(file)) => (
                    self.header_name(header, &key.key("header"))?,
                    false,
                    SecretRef::File(self.path(file, &key.key("value_file"), "a file holding the header value")?),
                ),
                _ => {
                    let message = match present.as_slice() {
                        [] => format!("no secret source; expected {SECRET_SOURCES}"),
                        ["header"] => "header needs value_env or value_file (where its value is read from)".to_owned(),
                        [value] if value.starts_with("value_") => {
                            format!(r#"{value} needs header = "NAME" (the header that carries the value)"#)
                        }
                        _ => format!("expected {SECRET_SOURCES}; got {}", and_list(&present)),
                    };
                    return Err(self.error(span, key, message));
                }
            };
        Ok(CredentialSettings { name, origin, header, bearer, secret })
    }

    fn auth(
        &self,
        raw: &Spanned<RawAuth>,
        key: &KeyPath,
        target: &str,
        credentials: &BTreeMap<String, CredentialSettings>,
    ) -> Result<CredentialSettings, ConfigError> {
        match raw.get_ref() {
            RawAuth::Inline(credential) => self.credential(
                credential,
                raw.span(),
                key,
                format!("{target}.auth"),
                format!("{} [targets.{}] auth", self.file_name, key_text(target)),
            ),
            RawAuth::Named(name) => {
                let text = self.interpolated(name, raw.span(), key)?;
                credentials.get(&text.value).cloned().ok_or_else(|| {
                    let known = if credentials.is_empty() {
                        "no [credentials] are configured".to_owned()
                    } else {
                        let names: Vec<&str> = credentials.keys().map(String::as_str).collect();
                        format!("known credentials: {}", names.join(", "))
                    };
                    self.error(text.span.clone(), key, format!("no credential named {}; {known}", text.shown()))
                })
            }
        }
    }

    // ---- [targets] ----

    fn targets(
        &self,
        raw: Option<&Spanned<Entries<Table<RawTarget>>>>,
        credentials: &BTreeMap<String, CredentialSettings>,
    ) -> Result<BTreeMap<String, TargetSettings>, ConfigError> {
        let mut targets = BTreeMap::new();
        let Some(raw) = raw else { return Ok(targets) };
        let table = KeyPath::root().key("targets");
        for (name, target) in &raw.get_ref().0 {
            if !is_target_name(name.get_ref()) {
                return Err(self.error(
                    name.span(),
                    &table.key(name.get_ref()),
                    "a target name is letters, digits, '_', '-' and '.', starting with a letter or digit",
                ));
            }
            let resolved = self.target(name.get_ref(), target, credentials)?;
            targets.insert(name.get_ref().clone(), resolved);
        }
        Ok(targets)
    }

    fn target(
        &self,
        name: &str,
        raw: &Spanned<Table<RawTarget>>,
        credentials: &BTreeMap<String, CredentialSettings>,
    ) -> Result<TargetSettings, ConfigError> {
        let key = KeyPath::root().key("targets").key(name);
        let target = raw.get_ref();
        let base_url = self.base_url(&target.base_url, &key.key("base_url"))?;
        let version = target.version.as_ref().map(|v| self.version(v, &key.key("version"))).transpose()?;
        let api = target.api.as_ref().map(|api| self.api(api, &key.key("api"))).transpose()?;
        let api_check = match &target.api_check {
            None => ApiCheck::Step,
            Some(raw) => {
                let text = self.text(raw, &key.key("api_check"))?;
                match text.value.as_str() {
                    "every" => ApiCheck::Every,
                    "step" => ApiCheck::Step,
                    _ => {
                        return Err(self.error(
                            text.span.clone(),
                            &key.key("api_check"),
                            format!(r#"expected "every" (check every response) or "step", got {}"#, text.shown()),
                        ));
                    }
                }
            }
        };
        if api_check == ApiCheck::Every && api.is_none() {
            let span = target.api_check.as_ref().map(|raw| raw.span()).unwrap_or_else(|| raw.span());
            return Err(self.error(
                span,
                &key.key("api_check"),
                r#"api_check = "every" needs the target's API description: add api = { path = "/openapi.json" } or { file = "..." }"#,
            ));
        }
        let auth = target.auth.as_ref().map(|auth| self.auth(auth, &key.key("auth"), name, credentials)).transpose()?;
        let headers = match &target.headers {
            Some(headers) => self.headers(&headers.get_ref().0, &key.key("headers"))?,
            None => Vec::new(),
        };
        let timeout = match &target.timeout {
            Some(timeout) => self.duration(timeout, &key.key("timeout"))?,
            None => DEFAULT_TIMEOUT,
        };
        let concurrency = match &target.concurrency {
            Some(concurrency) => self.count(concurrency, &key.key("concurrency"))?,
            None => DEFAULT_CONCURRENCY,
        };
        let max_rps = target.max_rps.as_ref().map(|rps| self.rate(rps, &key.key("max_rps"))).transpose()?;
        let max_body = match &target.max_body {
            Some(max_body) => self.size(max_body, &key.key("max_body"), 1)?,
            None => DEFAULT_TARGET_MAX_BODY,
        };
        Ok(TargetSettings {
            name: name.to_owned(),
            base_url,
            version,
            api,
            api_check,
            auth,
            headers,
            timeout,
            concurrency,
            max_rps,
            max_body,
        })
    }

    fn base_url(&self, raw: &Str, key: &KeyPath) -> Result<url::Url, ConfigError> {
        let text = self.non_empty(raw, key, "an http or https URL")?;
        let span = text.span.clone();
        let mut url = match url::Url::parse(&text.value) {
            Ok(url) => url,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                let expected = r#"expected an absolute http or https URL like "https://staging.example.com""#;
                return Err(self.error(span, key, text.guarded(expected, None)));
            }
            Err(err) => {
                let expected = "expected an http or https URL";
                return Err(self.error(span, key, text.guarded(expected, Some(err.to_string()))));
            }
        };
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(self.error(
                span,
                key,
                format!("expected an http or https URL, got a URL with scheme {:?}", url.scheme()),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(self.error(span, key, "expected an http or https URL with a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(self.error(
                span,
                key,
                "credentials do not belong in base_url; configure auth (secrets come from env or files)",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(self.error(span, key, "base_url must not have a query string or a fragment"));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(url)
    }

    fn version(&self, raw: &Spanned<Table<RawVersion>>, key: &KeyPath) -> Result<VersionProbe, ConfigError> {
        let version = raw.get_ref();
        let path_key = key.key("path");
        let path = self.non_empty(&version.path, &path_key, r#"a path like "/version""#)?;
        if !path.value.starts_with('/') {
            return Err(self.error(
                path.span.clone(),
                &path_key,
                format!(r#"expected a path starting with "/" like "/version", got {}"#, path.shown()),
            ));
        }
        let given: Vec<&str> = [("json", &version.json), ("header", &version.header), ("regex", &version.regex)]
            .into_iter()
            .filter_map(|(name, value)| value.as_ref().map(|_| name))
            .collect();
        let read = match (&version.json, &version.header, &version.regex) {
            (Some(json), None, None) => VersionRead::Json(self.json_path(json, &key.key("json"))?),
            (None, Some(header), None) => VersionRead::Header(self.header_name(header, &key.key("header"))?),
            (None, None, Some(regex)) => VersionRead::Regex(self.regex(regex, &key.key("regex"))?),
            (None, None, None) => {
                return Err(self.error(
                    raw.span(),
                    key,
                    format!("expected exactly one of json, header or regex, like {VERSION_FORMS}"),
                ));
            }
            _ => {
                return Err(self.error(
                    raw.span(),
                    key,
                    format!("expected exactly one of json, header or regex; got {}", and_list(&given)),
                ));
            }
        };
        Ok(VersionProbe { path: path.value, read })
    }

    fn api(&self, raw: &Spanned<Table<RawApi>>, key: &KeyPath) -> Result<ApiSource, ConfigError> {
        let api = raw.get_ref();
        match (&api.path, &api.file) {
            (Some(path), None) => {
                let path_key = key.key("path");
                let text = self.non_empty(path, &path_key, r#"a path like "/openapi.json""#)?;
                if !text.value.starts_with('/') {
                    return Err(self.error(
                        text.span.clone(),
                        &path_key,
                        format!(r#"expected a path starting with "/" like "/openapi.json", got {}"#, text.shown()),
                    ));
                }
                Ok(ApiSource::Path(text.value))
            }
            (None, Some(file)) => {
                Ok(ApiSource::File(self.path(file, &key.key("file"), r#"a file like "api/openapi.yaml""#)?))
            }
            (None, None) => Err(self.error(
                raw.span(),
                key,
                r#"expected one of path or file, like { path = "/openapi.json" } or { file = "api/openapi.yaml" }"#,
            )),
            (Some(_), Some(_)) => Err(self.error(raw.span(), key, "expected one of path or file, got both")),
        }
    }

    /// A regular expression that compiles (the `regex` crate's syntax).
    fn regex(&self, raw: &Str, key: &KeyPath) -> Result<String, ConfigError> {
        let text = self.non_empty(raw, key, r"a regular expression like 'Version: v?(\d+\.\d+\.\d+)'")?;
        if let Err(err) = regex::Regex::new(&text.value) {
            // The crate's message draws the pattern with a caret over several
            // lines; its last `error:` line says what is wrong.
            let why = match &err {
                regex::Error::Syntax(full) => full
                    .lines()
                    .rev()
                    .find_map(|l| l.strip_prefix("error: "))
                    .unwrap_or_else(|| full.lines().last().unwrap_or_default())
                    .to_owned(),
                other => other.to_string(),
            };
            return Err(self.error(
                text.span.clone(),
                key,
                format!("expected a regular expression that compiles, got {}: {why}", text.shown()),
            ));
        }
        Ok(text.value)
    }

    fn headers(&self, raw: &[(Str, Spanned<String>)], key: &KeyPath) -> Result<Vec<(String, String)>, ConfigError> {
        let mut headers: Vec<(String, String)> = Vec::with_capacity(raw.len());
        for (name, value) in raw {
            let header_key = key.key(name.get_ref());
            if !is_header_name(name.get_ref()) {
                return Err(self.error(
                    name.span(),
                    &header_key,
                    format!("{:?} is not a valid HTTP header name", name.get_ref()),
                ));
            }
            if headers.iter().any(|(seen, _)| seen.eq_ignore_ascii_case(name.get_ref())) {
                return Err(self.error(
                    name.span(),
                    &header_key,
                    format!("header {} is set twice (header names are case-insensitive)", name.get_ref()),
                ));
            }
            let text = self.text(value, &header_key)?;
            if !is_header_value(&text.value) {
                return Err(self.error(
                    value.span(),
                    &header_key,
                    format!(
                        "the value of header {} is not a valid HTTP header value: only visible ASCII, \
                         spaces and tabs, without leading or trailing whitespace (the value is not shown)",
                        name.get_ref()
                    ),
                ));
            }
            headers.push((name.get_ref().clone(), text.value));
        }
        Ok(headers)
    }

    fn header_name(&self, raw: &Str, key: &KeyPath) -> Result<String, ConfigError> {
        let text = self.text(raw, key)?;
        if !is_header_name(&text.value) {
            return Err(self.error(
                text.span.clone(),
                key,
                format!("expected an HTTP header name like \"X-Api-Key\", got {}", text.shown()),
            ));
        }
        Ok(text.value)
    }

    // ---- numbers ----

    fn duration(&self, raw: &Spanned<Scalar>, key: &KeyPath) -> Result<Duration, ConfigError> {
        let text = match raw.get_ref() {
            Scalar::Text(written) => self.interpolated(written, raw.span(), key)?,
            other => {
                let hint = match other {
                    Scalar::Int(n) => format!(r#" (write "{n}s" for seconds)"#),
                    _ => String::new(),
                };
                return Err(self.error(
                    raw.span(),
                    key,
                    format!("{DURATION_EXPECTED}, got {}{hint}", describe_scalar(other)),
                ));
            }
        };
        match humantime::parse_duration(text.value.trim()) {
            Ok(duration) if duration.is_zero() => {
                Err(self.error(raw.span(), key, format!("expected a duration greater than 0, got {}", text.shown())))
            }
            Ok(duration) => Ok(duration),
            Err(_) => Err(self.error(raw.span(), key, format!("{DURATION_EXPECTED}, got {}", text.shown()))),
        }
    }

    /// An integer of at least 1.
    fn count(&self, raw: &Spanned<Scalar>, key: &KeyPath) -> Result<usize, ConfigError> {
        let (number, shown) = match raw.get_ref() {
            Scalar::Int(n) => (Some(*n), n.to_string()),
            Scalar::Text(written) => {
                let text = self.interpolated(written, raw.span(), key)?;
                (text.value.trim().parse::<i64>().ok(), text.shown())
            }
            other => (None, describe_scalar(other)),
        };
        match number.filter(|n| *n >= 1).and_then(|n| usize::try_from(n).ok()) {
            Some(n) => Ok(n),
            None => Err(self.error(raw.span(), key, format!("expected an integer >= 1, got {shown}"))),
        }
    }

    /// A finite number greater than 0.
    fn rate(&self, raw: &Spanned<Scalar>, key: &KeyPath) -> Result<f64, ConfigError> {
        let (number, shown) = match raw.get_ref() {
            Scalar::Int(n) => (Some(*n as f64), n.to_string()),
            Scalar::Float(x) => (Some(*x), x.to_string()),
            Scalar::Text(written) => {
                let text = self.interpolated(written, raw.span(), key)?;
                (text.value.trim().parse::<f64>().ok(), text.shown())
            }
            other => (None, describe_scalar(other)),
        };
        match number {
            Some(x) if x.is_finite() && x > 0.0 => Ok(x),
            _ => Err(self.error(raw.span(), key, format!("expected a number > 0, got {shown}"))),
        }
    }

    /// A size in bytes of at least `min`.
    fn size(&self, raw: &Spanned<Scalar>, key: &KeyPath, min: u64) -> Result<u64, ConfigError> {
        let (bytes, shown) = match raw.get_ref() {
            Scalar::Int(n) => (u64::try_from(*n).ok(), n.to_string()),
            Scalar::Text(written) => {
                let text = self.interpolated(written, raw.span(), key)?;
                (parse_size(&text.value), text.shown())
            }
            other => (None, describe_scalar(other)),
        };
        match bytes {
            Some(bytes) if bytes >= min => Ok(bytes),
            Some(_) => Err(self.error(raw.span(), key, format!("expected a size of at least {min} byte, got {shown}"))),
            None => Err(self.error(raw.span(), key, format!("{SIZE_EXPECTED}, got {shown}"))),
        }
    }

    // ---- [suite] and [snapshots] ----

    fn suite(
        &self,
        raw: Option<&Spanned<Table<RawSuite>>>,
        snapshots: Option<&Spanned<Table<RawSnapshots>>>,
        targets: &BTreeMap<String, TargetSettings>,
    ) -> Result<SuiteSettings, ConfigError> {
        let table = KeyPath::root().key("suite");
        let raw = raw.map(Spanned::get_ref);
        let features = match raw.and_then(|suite| suite.features.as_ref()) {
            Some(features) => self.features(features, &table.key("features"))?,
            None => vec![self.root.join("features")],
        };
        let (catalog, catalog_line) = match raw.and_then(|suite| suite.catalog.as_ref()) {
            Some(catalog) => (
                self.path(catalog, &table.key("catalog"), "the path of the feature catalog")?,
                Some(self.doc.line(catalog.span().start)),
            ),
            None => (self.root.join("features").join("catalog.toml"), None),
        };
        let snapshots_dir = match snapshots.and_then(|snapshots| snapshots.get_ref().dir.as_ref()) {
            Some(dir) => self.path(dir, &KeyPath::root().key("snapshots").key("dir"), "a directory")?,
            None => self.root.join("features").join("snapshots"),
        };
        let default_target = match raw.and_then(|suite| suite.default_target.as_ref()) {
            Some(name) => {
                let key = table.key("default_target");
                let text = self.text(name, &key)?;
                if !targets.contains_key(&text.value) {
                    let known = if targets.is_empty() {
                        "no targets are configured".to_owned()
                    } else {
                        let names: Vec<&str> = targets.keys().map(String::as_str).collect();
                        format!("known targets: {}", names.join(", "))
                    };
                    return Err(self.error(
                        text.span.clone(),
                        &key,
                        format!("no target named {}; {known}", text.shown()),
                    ));
                }
                Some(text.value)
            }
            None => None,
        };
        Ok(SuiteSettings { features, catalog, catalog_line, snapshots_dir, default_target })
    }

    fn features(&self, raw: &Spanned<StrOrList>, key: &KeyPath) -> Result<Vec<PathBuf>, ConfigError> {
        const WHAT: &str = "a directory, file or glob pattern";
        let features = match raw.get_ref() {
            StrOrList::One(one) => {
                vec![self.path(&Spanned::new(raw.span(), one.clone()), key, WHAT)?]
            }
            StrOrList::Many(many) => many
                .iter()
                .enumerate()
                .map(|(i, item)| self.path(item, &key.index(i), WHAT))
                .collect::<Result<Vec<_>, _>>()?,
        };
        if features.is_empty() {
            return Err(self.error(
                raw.span(),
                key,
                "expected at least one directory, file or glob pattern, got an empty array",
            ));
        }
        Ok(features)
    }

    fn snapshots(&self, raw: Option<&Spanned<Table<RawSnapshots>>>) -> Result<SnapshotSettings, ConfigError> {
        let redact = match raw.and_then(|snapshots| snapshots.get_ref().redact.as_ref()) {
            Some(redact) => self.json_paths(redact, &KeyPath::root().key("snapshots").key("redact"))?,
            None => Vec::new(),
        };
        Ok(SnapshotSettings { redact })
    }

    // ---- [evidence] ----

    fn evidence(&self, raw: Option<&Spanned<Table<RawEvidence>>>) -> Result<EvidenceSettings, ConfigError> {
        let table = KeyPath::root().key("evidence");
        let raw = raw.map(Spanned::get_ref);
        let dir = match raw.and_then(|evidence| evidence.dir.as_ref()) {
            Some(dir) => self.evidence_dir(dir, &table.key("dir"))?,
            None => EvidenceLocation::Local(self.root.join("evidence")),
        };
        let signing_key = match raw.and_then(|evidence| evidence.signing_key.as_ref()) {
            Some(key) => Some(self.key_ref(key, &table.key("signing_key"))?),
            None => None,
        };
        let mut redact_headers: Vec<String> = DEFAULT_REDACT_HEADERS.iter().map(|h| (*h).to_owned()).collect();
        let mut redact_json: Vec<String> = DEFAULT_REDACT_JSON.iter().map(|p| (*p).to_owned()).collect();
        if let Some(redact) = raw.and_then(|evidence| evidence.redact.as_ref()) {
            let key = table.key("redact");
            if let Some(headers) = &redact.get_ref().headers {
                let key = key.key("headers");
                for (i, header) in headers.get_ref().0.iter().enumerate() {
                    let name = self.header_name(header, &key.index(i))?;
                    if !redact_headers.iter().any(|seen| seen.eq_ignore_ascii_case(&name)) {
                        redact_headers.push(name);
                    }
                }
            }
            if let Some(json) = &redact.get_ref().json {
                for path in self.json_paths(json, &key.key("json"))? {
                    if !redact_json.contains(&path) {
                        redact_json.push(path);
                    }
                }
            }
        }
        let max_body = match raw.and_then(|evidence| evidence.max_body.as_ref()) {
            Some(max_body) => self.size(max_body, &table.key("max_body"), 0)?,
            None => DEFAULT_EVIDENCE_MAX_BODY,
        };
        Ok(EvidenceSettings { dir, signing_key, redact_headers, redact_json, max_body })
    }

    fn evidence_dir(&self, raw: &Str, key: &KeyPath) -> Result<EvidenceLocation, ConfigError> {
        const EXPECTED: &str = "expected a local directory or s3://bucket/prefix";
        let text = self.non_empty(raw, key, "a local directory or s3://bucket/prefix")?;
        if let Some(rest) = text.value.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let valid_bucket = !bucket.is_empty()
                && bucket.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
            if !valid_bucket {
                return Err(self.error(
                    text.span.clone(),
                    key,
                    format!("{EXPECTED} with a bucket name (letters, digits, '.', '-', '_'), got {}", text.shown()),
                ));
            }
            return Ok(EvidenceLocation::S3 { bucket: bucket.to_owned(), prefix: prefix.trim_matches('/').to_owned() });
        }
        if let Some(scheme) = url_scheme(&text.value) {
            return Err(self.error(
                text.span.clone(),
                key,
                format!("unsupported scheme {scheme:?}; {EXPECTED}, got {}", text.shown()),
            ));
        }
        Ok(EvidenceLocation::Local(absolute(&self.root, Path::new(&text.value))))
    }

    fn key_ref(&self, raw: &Spanned<RawKeyRef>, key: &KeyPath) -> Result<KeyRef, ConfigError> {
        match (&raw.get_ref().file, &raw.get_ref().env) {
            (Some(file), None) => Ok(KeyRef::File(self.path(file, &key.key("file"), "the path of a PEM key file")?)),
            (None, Some(env)) => Ok(KeyRef::Env(self.env_name(env, &key.key("env"))?)),
            (Some(_), Some(_)) => Err(self.error(
                raw.span(),
                key,
                "expected exactly one of file or env; got file and env",
            )),
            (None, None) => Err(self.error(
                raw.span(),
                key,
                r#"expected exactly one of file or env, like { file = "keys/release.key" } or { env = "CERTIFY_SIGNING_KEY" }"#,
            )),
        }
    }
}

fn describe_scalar(value: &Scalar) -> String {
    match value {
        Scalar::Int(n) => n.to_string(),
        Scalar::Float(x) => x.to_string(),
        Scalar::Text(_) => "a string".to_owned(),
        Scalar::Other(description) => description.clone(),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `path` made absolute against `root`, with `.` components removed.
pub(crate) fn absolute(root: &Path, path: &Path) -> PathBuf {
    root.join(path).components().collect()
}

/// A key as it would be written in a TOML table header.
fn key_text(key: &str) -> String {
    KeyPath::root().key(key).to_string()
}

fn is_target_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// An RFC 9110 field name: one or more token characters.
fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A field value as HTTP clients accept it from a string: visible ASCII, spaces and tabs,
/// without surrounding whitespace.
fn is_header_value(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)) && value.trim() == value
}

/// The scheme of `text` when it looks like `scheme://...`.
fn url_scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once("://")?;
    let mut bytes = scheme.bytes();
    let valid = matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    valid.then_some(scheme)
}

/// `1048576`, `"500KB"`, `"16MiB"`, `"1 GiB"`: decimal (KB, MB, GB) and binary (KiB, MiB, GiB)
/// units, case-insensitive.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let multiplier: u64 = match unit.trim_start().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" => 1 << 10,
        "mb" => 1_000_000,
        "mib" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Some(1_048_576));
        assert_eq!(parse_size("16MiB"), Some(16 * 1024 * 1024));
        assert_eq!(parse_size("500KB"), Some(500_000));
        assert_eq!(parse_size("1 GiB"), Some(1 << 30));
        assert_eq!(parse_size("64kib"), Some(64 * 1024));
        assert_eq!(parse_size("12B"), Some(12));
        assert_eq!(parse_size("MiB"), None);
        assert_eq!(parse_size("1.5MiB"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("10 parsecs"), None);
        assert_eq!(parse_size("99999999999999999999 GiB"), None);
        assert_eq!(parse_size("18446744073709551615 GiB"), None);
    }

    #[test]
    fn header_names_and_values() {
        assert!(is_header_name("X-Client"));
        assert!(is_header_name("x_odd~name!"));
        assert!(!is_header_name(""));
        assert!(!is_header_name("X Client"));
        assert!(!is_header_name("X:Client"));
        assert!(!is_header_name("Ünïcode"));
        assert!(is_header_value("certify/1.0 (ci)"));
        assert!(is_header_value(""));
        assert!(!is_header_value("a\r\nInjected: yes"));
        assert!(!is_header_value(" padded"));
        assert!(!is_header_value("café"));
    }

    #[test]
    fn url_schemes() {
        assert_eq!(url_scheme("s3://b/p"), Some("s3"));
        assert_eq!(url_scheme("gs://bucket"), Some("gs"));
        assert_eq!(url_scheme("evidence"), None);
        assert_eq!(url_scheme("dir/with://odd"), None);
    }

    #[test]
    fn absolute_paths() {
        let root = Path::new("/project");
        assert_eq!(absolute(root, Path::new("features")), PathBuf::from("/project/features"));
        assert_eq!(absolute(root, Path::new("./a/./b")), PathBuf::from("/project/a/b"));
        assert_eq!(absolute(root, Path::new("/elsewhere/x")), PathBuf::from("/elsewhere/x"));
        assert_eq!(absolute(root, Path::new("../shared")), PathBuf::from("/project/../shared"));
    }

    #[test]
    fn target_names() {
        assert!(is_target_name("staging"));
        assert!(is_target_name("eu-west.1_prod"));
        assert!(!is_target_name(""));
        assert!(!is_target_name("-x"));
        assert!(!is_target_name("my target"));
    }
}
