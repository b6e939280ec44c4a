//! The platform version under test: `--platform-version`, or the target's
//! version probe (`version = { path, json | header | regex }` in certify.toml).
//! Both are recorded; when they disagree the flag wins and the disagreement is
//! kept.
//!
//! The probe is an ordinary request of the run ([`certify_steps::send_get`]:
//! the run's client, the target's headers and default credential, its timeout
//! and rate limit); its exchange goes into the evidence. What the target
//! reports is read leniently ([`parse_reported`], the one place that says what
//! a reported version may look like) and kept verbatim next to the semver it
//! parsed as.

use certify_config::{TargetSettings, VersionProbe, VersionRead};
use certify_evidence::redact::Redactor;
use certify_steps::{Exchange, RecordedResponse, RunContext};
use serde::Serialize;
use serde_json_path::JsonPath;

use crate::exit::{Fatal, runtime, usage};

/// At most this many characters of an answer are shown in an error.
const EXCERPT: usize = 120;

#[derive(Debug, Clone, Serialize)]
pub struct PlatformVersion {
    /// The version used for the run, or "unknown".
    pub version: String,
    /// `flag`, `probe` or `unknown`.
    pub source: &'static str,
    /// The semver the probe's answer parsed as, when it was asked and answered one.
    pub probed: Option<String>,
    /// What the target reported, verbatim (the JSON value, header value or
    /// regex match), when the probe was asked and answered one.
    pub reported: Option<String>,
    /// A probe problem or a disagreement with the flag, for the record.
    pub note: Option<String>,
    /// The probe's exchange as sent and received (unredacted: the bundle
    /// writer redacts it like every exchange).
    #[serde(skip)]
    pub exchange: Option<Exchange>,
}

/// The platform version of a run. `redactor` knows the evidence's redaction
/// list; it keeps secrets out of what an error shows of the target's answer.
pub async fn determine(
    flag: Option<&str>,
    target: &TargetSettings,
    ctx: &RunContext,
    redactor: Redactor,
) -> Result<PlatformVersion, Fatal> {
    let flagged = flag
        .map(|v| {
            semver::Version::parse(v)
                .map_err(|e| usage(format!("--platform-version {v:?}: expected a semver version like 2.0.0 ({e})")))
        })
        .transpose()?;
    let Some(probe) = &target.version else {
        return Ok(match flag {
            Some(v) => PlatformVersion {
                version: v.to_owned(),
                source: "flag",
                probed: None,
                reported: None,
                note: None,
                exchange: None,
            },
            None => PlatformVersion {
                version: "unknown".to_owned(),
                source: "unknown",
                probed: None,
                reported: None,
                note: Some(format!(
                    "target {:?} has no version probe and --platform-version was not given",
                    target.name
                )),
                exchange: None,
            },
        });
    };
    let (exchange, answer) = ask(probe, target, ctx, redactor).await;
    let reported = answer.as_ref().ok().map(|(raw, _)| raw.clone());
    let probed = answer.as_ref().ok().map(|(_, v)| v.to_string());
    match (flag.zip(flagged), answer) {
        (Some((v, given)), Ok((raw, p))) => {
            let note = (p != given)
                .then(|| format!("the target reports {raw:?} ({p}), --platform-version says {v}; using {v}"));
            Ok(PlatformVersion { version: v.to_owned(), source: "flag", probed, reported, note, exchange })
        }
        (Some((v, _)), Err(e)) => Ok(PlatformVersion {
            version: v.to_owned(),
            source: "flag",
            probed,
            reported,
            note: Some(format!("version probe failed: {}", e.error)),
            exchange,
        }),
        (None, Ok((_, p))) => {
            Ok(PlatformVersion { version: p.to_string(), source: "probe", probed, reported, note: None, exchange })
        }
        (None, Err(e)) => Err(e),
    }
}

/// Sends the probe and reads its answer: the exchange (when a request was
/// sent) and what the target reported with the version it parsed as.
async fn ask(
    probe: &VersionProbe,
    target: &TargetSettings,
    ctx: &RunContext,
    mut redactor: Redactor,
) -> (Option<Exchange>, Result<(String, semver::Version), Fatal>) {
    let read = &probe.read;
    let named = |url: &str| format!("version probe GET {url} ({})", read.describe());
    let exchange = match certify_steps::send_get(ctx, &probe.path).await {
        Ok(x) => Exchange { step: format!("version probe ({})", read.describe()), ..x },
        // Nothing was sent: the path or the target's credential cannot be used.
        Err(e) => {
            // The URL as the request would have had it (the one rule that joins them), or the
            // path as configured when it cannot be joined.
            let url = certify_steps::join_url(&target.base_url, &probe.path)
                .map_or_else(|_| probe.path.clone(), |url| url.to_string());
            return (None, Err(usage(format!("{}: {}", named(&url), e.message))));
        }
    };
    for secret in ctx.secrets() {
        redactor.add_persistent(&secret);
    }
    redactor.scope(redactor.learn(&exchange));
    let url = exchange.request.url.clone();
    let answer = match (&exchange.response, &exchange.error) {
        // The exchange's error names the request (`could not connect to GET URL: ...`).
        (None, error) => Err(runtime(format!(
            "target {:?} is unreachable: {} (the version probe, {})",
            target.name,
            error.as_deref().unwrap_or("no response"),
            read.describe()
        ))),
        (Some(_), Some(error)) => Err(runtime(format!("the version probe ({}): {error}", read.describe()))),
        (Some(response), None) => answer(read, response, target)
            .map_err(|problem| problem.fatal(&named(&url), |text| redactor.text(text).into_owned())),
    };
    (Some(exchange), answer)
}

/// Why an answer gave no version.
#[derive(Debug, PartialEq)]
enum Problem {
    /// The target is failing (5xx): a runtime problem, not the configuration's.
    Failing(u16),
    /// Any other answer without a version; the text may quote the answer
    /// (redacted when shown).
    NoVersion(String),
}

impl Problem {
    fn fatal(self, probe: &str, redact: impl Fn(&str) -> String) -> Fatal {
        match self {
            Problem::Failing(status) => {
                runtime(format!("the target is failing: {probe} answered {}", status_text(status)))
            }
            Problem::NoVersion(text) => usage(format!("{probe}: {}", redact(&text))),
        }
    }
}

/// Reads the version out of a response: what the target reported (verbatim)
/// and the semver it parses as. A pure function of the response.
fn answer(
    read: &VersionRead,
    response: &RecordedResponse,
    target: &TargetSettings,
) -> Result<(String, semver::Version), Problem> {
    let status = response.status;
    if status >= 500 {
        return Err(Problem::Failing(status));
    }
    if !(200..300).contains(&status) {
        let name = &target.name;
        let hint = match (status, &target.auth) {
            (401 | 403, Some(_)) => {
                format!(" (targets.{name}.auth was sent with it: is it a credential this endpoint takes?)")
            }
            (401 | 403, None) => {
                format!(" (does the endpoint need a credential? set targets.{name}.auth, it is sent with the probe)")
            }
            _ => format!(" (check targets.{name}.version.path)"),
        };
        return Err(Problem::NoVersion(format!(
            "answered {}; expected 2xx with the version in its {}{hint}",
            status_text(status),
            if matches!(read, VersionRead::Header(_)) { "headers" } else { "body" }
        )));
    }
    let body = String::from_utf8_lossy(&response.body.bytes);
    let raw = match read {
        VersionRead::Json(path) => {
            let parsed = JsonPath::parse(path)
                .map_err(|e| Problem::NoVersion(format!("{path:?} is not a valid JSONPath: {e}")))?;
            let json: serde_json::Value = serde_json::from_str(&body)
                .map_err(|_| Problem::NoVersion(format!("the answer is not JSON: {}", excerpt(&body))))?;
            let nodes = parsed.query(&json).all();
            match nodes.as_slice() {
                [serde_json::Value::String(s)] => s.clone(),
                [serde_json::Value::Number(n)] => n.to_string(),
                [other] => {
                    return Err(Problem::NoVersion(format!(
                        "{path} is {}, not a version string; the answer: {}",
                        kind(other),
                        excerpt(&body)
                    )));
                }
                [] => {
                    return Err(Problem::NoVersion(format!("nothing at {path} in the answer: {}", excerpt(&body))));
                }
                many => {
                    return Err(Problem::NoVersion(format!(
                        "{path} selects {} values, expected one; the answer: {}",
                        many.len(),
                        excerpt(&body)
                    )));
                }
            }
        }
        VersionRead::Header(name) => {
            let values: Vec<&str> = response
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .collect();
            match values.as_slice() {
                [one] => (*one).to_owned(),
                [] => {
                    let names: Vec<&str> = response.headers.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(Problem::NoVersion(format!(
                        "the answer ({}) has no header {name}; its headers: {}",
                        status_text(status),
                        if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                    )));
                }
                many => {
                    return Err(Problem::NoVersion(format!(
                        "the answer has {} {name} headers, expected one",
                        many.len()
                    )));
                }
            }
        }
        VersionRead::Regex(pattern) => {
            let re = regex::Regex::new(pattern)
                .map_err(|e| Problem::NoVersion(format!("'{pattern}' is not a valid regular expression: {e}")))?;
            let caps = re.captures(&body).ok_or_else(|| {
                Problem::NoVersion(format!("the regex does not match the answer: {}", excerpt(&body)))
            })?;
            let found = if re.captures_len() > 1 { caps.get(1) } else { caps.get(0) };
            let found = found.ok_or_else(|| {
                Problem::NoVersion(format!(
                    "the regex matched {}, but its first capture group did not take part",
                    excerpt(caps.get(0).map_or("", |m| m.as_str()))
                ))
            })?;
            found.as_str().to_owned()
        }
    };
    let version = parse_reported(&raw).map_err(|e| {
        Problem::NoVersion(format!(
            "the target reported {}, which is not a version (expected one like 1.2.3, v1.2.3, 3.4 or 1.6.7~rc0: {e})",
            excerpt(&raw)
        ))
    })?;
    Ok((raw, version))
}

/// A version as platforms report it, read as semver: surrounding whitespace
/// and a leading `v` or `V` dropped, a Debian tilde read as a pre-release
/// (`1.6.7~rc0` is `1.6.7-rc0`), a two-part version completed (`3.4` is
/// `3.4.0`); pre-releases (`1.19.2-ds1`) and build metadata (`2.42.0+ds`)
/// kept as semver has them.
pub fn parse_reported(text: &str) -> Result<semver::Version, semver::Error> {
    let trimmed = text.trim();
    let bare = trimmed.strip_prefix(['v', 'V']).unwrap_or(trimmed).replace('~', "-");
    let (core, rest) = bare.split_at(bare.find(['-', '+']).unwrap_or(bare.len()));
    let core = if core.matches('.').count() == 1 { format!("{core}.0") } else { core.to_owned() };
    semver::Version::parse(&format!("{core}{rest}"))
}

/// `404 Not Found`.
fn status_text(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()) {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
    }
}

/// The start of a text, quoted (control characters escaped), `""` when empty.
fn excerpt(text: &str) -> String {
    let mut shown: String = text.chars().take(EXCERPT).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_versions_are_read_leniently() {
        let cases = [
            ("1.2.3", "1.2.3"),
            ("v1.19.2-ds1", "1.19.2-ds1"),
            ("V2.0.0", "2.0.0"),
            ("1.6.7~rc0", "1.6.7-rc0"),
            ("2.42.0+ds", "2.42.0+ds"),
            ("3.4", "3.4.0"),
            ("v3.4-rc1", "3.4.0-rc1"),
            ("3.4+build.7", "3.4.0+build.7"),
            ("  1.2.3\n", "1.2.3"),
            ("\tv1.2\r\n", "1.2.0"),
            ("1.0.0-1~bpo12", "1.0.0-1-bpo12"),
            ("1.2.3-beta.1+sha.abc", "1.2.3-beta.1+sha.abc"),
        ];
        for (reported, expected) in cases {
            let parsed = parse_reported(reported).unwrap_or_else(|e| panic!("{reported:?}: {e}"));
            assert_eq!(parsed.to_string(), expected, "{reported:?}");
        }
    }

    #[test]
    fn what_is_not_a_version_is_refused() {
        for reported in
            ["", "banana", "3", "v", "1.2.3.4", "1..2", "1.2.x", "version 1.2.3", "1.2.3 beta", ".5", "01.2.3"]
        {
            assert!(parse_reported(reported).is_err(), "{reported:?} parsed as {:?}", parse_reported(reported));
        }
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> RecordedResponse {
        RecordedResponse {
            status,
            headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            body: certify_steps::Body::new(body.as_bytes().to_vec()),
        }
    }

    fn read(read: VersionRead, r: &RecordedResponse) -> Result<(String, String), Problem> {
        let target = TargetSettings {
            name: "t".to_owned(),
            base_url: url::Url::parse("http://h/").unwrap(),
            version: None,
            api: None,
            api_check: certify_config::ApiCheck::Step,
            auth: None,
            headers: Vec::new(),
            timeout: std::time::Duration::from_secs(1),
            concurrency: 1,
            max_rps: None,
            max_body: 1 << 20,
        };
        answer(&read, r, &target).map(|(raw, v)| (raw, v.to_string()))
    }

    #[test]
    fn each_form_reads_its_part_of_the_answer() {
        let ok = |raw: &str, v: &str| Ok((raw.to_owned(), v.to_owned()));
        let json = response(200, &[], r#"{"version": "v1.19.2-ds1", "build": {"n": 3.4}}"#);
        assert_eq!(read(VersionRead::Json("$.version".into()), &json), ok("v1.19.2-ds1", "1.19.2-ds1"));
        assert_eq!(read(VersionRead::Json("$.build.n".into()), &json), ok("3.4", "3.4.0"));
        let ping = response(204, &[("x-influxdb-version", "1.6.7~rc0")], "");
        assert_eq!(read(VersionRead::Header("X-Influxdb-Version".into()), &ping), ok("1.6.7~rc0", "1.6.7-rc0"));
        let page = response(200, &[], "<p>Grafana Version: v10.2.3 (commit abc)</p>");
        assert_eq!(read(VersionRead::Regex(r"Version: v?(\d+\.\d+\.\d+)".into()), &page), ok("10.2.3", "10.2.3"));
        assert_eq!(read(VersionRead::Regex(r"v\d+\.\d+\.\d+".into()), &page), ok("v10.2.3", "10.2.3"));
    }

    #[test]
    fn an_answer_without_a_version_says_what_came_back() {
        let says = |result: Result<(String, String), Problem>, want: &[&str]| match result {
            Err(Problem::NoVersion(text)) => {
                for w in want {
                    assert!(text.contains(w), "{text:?} does not say {w:?}");
                }
            }
            other => panic!("expected no version, got {other:?}"),
        };
        let html = response(200, &[("content-type", "text/html")], "<h1>Maintenance</h1>");
        says(read(VersionRead::Json("$.version".into()), &html), &["not JSON", "<h1>Maintenance</h1>"]);
        says(read(VersionRead::Header("X-Version".into()), &html), &["no header X-Version", "content-type"]);
        says(read(VersionRead::Regex(r"v(\d+\.\d+)".into()), &html), &["does not match", "Maintenance"]);
        let banana = response(200, &[], r#"{"version": "banana"}"#);
        says(read(VersionRead::Json("$.version".into()), &banana), &["\"banana\"", "not a version"]);
        let twice = response(200, &[], r#"{"a": {"version": "1.0.0"}, "b": {"version": "2.0.0"}}"#);
        says(read(VersionRead::Json("$..version".into()), &twice), &["selects 2 values"]);
        let object = response(200, &[], r#"{"version": {"major": 1}}"#);
        says(read(VersionRead::Json("$.version".into()), &object), &["an object"]);
        says(read(VersionRead::Json("$.version".into()), &response(404, &[], "")), &["404 Not Found", "version.path"]);
        says(read(VersionRead::Json("$.version".into()), &response(403, &[], "")), &["403 Forbidden", "auth"]);
        assert_eq!(read(VersionRead::Json("$.version".into()), &response(503, &[], "")), Err(Problem::Failing(503)));
        let long = response(200, &[], &"x".repeat(1000));
        let Err(Problem::NoVersion(text)) = read(VersionRead::Regex("v(1)".into()), &long) else { panic!() };
        assert!(text.len() < 300, "an excerpt, not the whole answer: {text}");
    }
}
