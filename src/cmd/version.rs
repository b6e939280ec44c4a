//! The platform version under test: `--platform-version`, or the target's
//! version probe (`version = { path, json }` in certify.toml). Both are
//! recorded; when they disagree the flag wins and the disagreement is kept.

use std::time::Duration;

use certify_config::TargetSettings;
use serde::Serialize;
use serde_json_path::JsonPath;

use crate::exit::{Fatal, runtime, usage};

#[derive(Debug, Clone, Serialize)]
pub struct PlatformVersion {
    /// The version used for the run, or "unknown".
    pub version: String,
    /// `flag`, `probe` or `unknown`.
    pub source: &'static str,
    /// What the probe answered, when it was asked.
    pub probed: Option<String>,
    /// A probe problem or a disagreement with the flag, for the record.
    pub note: Option<String>,
}

pub async fn determine(flag: Option<&str>, target: &TargetSettings) -> Result<PlatformVersion, Fatal> {
    if let Some(v) = flag {
        semver::Version::parse(v)
            .map_err(|e| usage(format!("--platform-version {v:?}: expected a semver version like 2.0.0 ({e})")))?;
    }
    let Some(probe) = &target.version else {
        return Ok(match flag {
            Some(v) => PlatformVersion { version: v.to_owned(), source: "flag", probed: None, note: None },
            None => PlatformVersion {
                version: "unknown".to_owned(),
                source: "unknown",
                probed: None,
                note: Some(format!(
                    "target {:?} has no version probe and --platform-version was not given",
                    target.name
                )),
            },
        });
    };
    let probed = ask(probe, target).await;
    match (flag, probed) {
        (Some(v), Ok(p)) => {
            let note = (p != v).then(|| format!("the target reports {p}, --platform-version says {v}; using {v}"));
            Ok(PlatformVersion { version: v.to_owned(), source: "flag", probed: Some(p), note })
        }
        (Some(v), Err(e)) => Ok(PlatformVersion {
            version: v.to_owned(),
            source: "flag",
            probed: None,
            note: Some(format!("version probe failed: {}", e.error)),
        }),
        (None, Ok(p)) => Ok(PlatformVersion { version: p, source: "probe", probed: None, note: None }),
        (None, Err(e)) => Err(e),
    }
}

async fn ask(probe: &certify_config::VersionProbe, target: &TargetSettings) -> Result<String, Fatal> {
    let url = join(&target.base_url, &probe.path);
    let path = JsonPath::parse(&probe.json).map_err(|e| {
        usage(format!("targets.{}.version.json: {:?} is not a valid JSONPath: {e}", target.name, probe.json))
    })?;
    let client = reqwest::Client::builder()
        .timeout(target.timeout.max(Duration::from_millis(1)))
        .build()
        .map_err(|e| runtime(format!("cannot build an HTTP client: {e}")))?;
    let mut req = client.get(url.clone());
    for (k, v) in &target.headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.map_err(|e| {
        let why = if e.is_timeout() {
            format!("no answer within {}", humantime::format_duration(target.timeout))
        } else if e.is_connect() {
            "connection failed".to_owned()
        } else {
            e.to_string()
        };
        runtime(format!("target {:?} is unreachable: version probe GET {url}: {why}", target.name))
    })?;
    let status = resp.status();
    let body = resp.text().await.map_err(|e| runtime(format!("version probe GET {url}: reading the body: {e}")))?;
    if status.is_server_error() {
        // The target is failing before any scenario: a runtime problem, not the configuration's.
        return Err(runtime(format!("target {:?} is failing: version probe GET {url} answered {status}", target.name)));
    }
    if !status.is_success() {
        return Err(usage(format!(
            "version probe GET {url} answered {status}; expected 200 with JSON (check targets.{}.version.path)",
            target.name
        )));
    }
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
        let excerpt: String = body.chars().take(120).collect();
        usage(format!("version probe GET {url}: the answer is not JSON: {excerpt:?}"))
    })?;
    let node = path.query(&json).at_most_one().ok().flatten().ok_or_else(|| {
        usage(format!(
            "version probe GET {url}: nothing at {} in the answer (targets.{}.version.json)",
            probe.json, target.name
        ))
    })?;
    let text = match node {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    semver::Version::parse(&text).map_err(|e| {
        usage(format!("version probe GET {url}: {} is {text:?}, which is not a semver version ({e})", probe.json))
    })?;
    Ok(text)
}

/// `base` + `path`, keeping the base's own path (`http://h/api/` + `/version` -> `http://h/api/version`).
pub fn join(base: &url::Url, path: &str) -> url::Url {
    let mut u = base.clone();
    let (p, query) = path.split_once('?').map_or((path, None), |(p, q)| (p, Some(q)));
    let joined = format!("{}/{}", base.path().trim_end_matches('/'), p.trim_start_matches('/'));
    u.set_path(&joined);
    u.set_query(query);
    u
}
