//! The run report: one self-contained HTML page for an evidence bundle. The
//! header, verdict, signature and feature table are rendered here as HTML; the
//! scenarios travel as one JSON blob that the page's script renders lazily, so
//! a 10,000-scenario run stays quick to open.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fmt::Write as _,
    io,
};

use certify_evidence::manifest::{Header, Manifest, Outcome, ScenarioEntry};

use serde::Serialize;
use serde_json::{Value, json};

use crate::html::{and_list, duration, esc, page, plural, script_json};

/// The page's script: filters, lazy rows, expansion.
const SCRIPT: &str = include_str!("report.js");

/// Longest body excerpt shown for one HTTP message, in characters.
const BODY_EXCERPT: usize = 2000;

/// How a bundle's signature stood when the report was built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signature {
    /// `SHA256:<hex>` fingerprint of the signer's public key; `None` when unsigned.
    pub signer: Option<String>,
    /// `Some(true)` verified, `Some(false)` failed verification, `None` not checked.
    pub verified: Option<bool>,
    /// When the verification ran (RFC 3339), if it did.
    pub checked_at: Option<String>,
}

/// The run's overall verdict, as shown at the top of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunVerdict {
    Passed,
    Flaky,
    Failed,
    Errored,
    Interrupted,
}

impl RunVerdict {
    /// From the manifest: an incomplete run is interrupted whatever its status.
    pub fn of(header: &Header) -> RunVerdict {
        if !header.complete {
            return RunVerdict::Interrupted;
        }
        match header.status.as_str() {
            "passed" => RunVerdict::Passed,
            "flaky" => RunVerdict::Flaky,
            "failed" => RunVerdict::Failed,
            "interrupted" | "not-run" => RunVerdict::Interrupted,
            _ => RunVerdict::Errored,
        }
    }

    /// `PASSED`, `PASSED (flaky)`, `FAILED`, `ERRORED` or `INTERRUPTED`.
    pub fn label(self) -> &'static str {
        match self {
            RunVerdict::Passed => "PASSED",
            RunVerdict::Flaky => "PASSED (flaky)",
            RunVerdict::Failed => "FAILED",
            RunVerdict::Errored => "ERRORED",
            RunVerdict::Interrupted => "INTERRUPTED",
        }
    }

    /// The CSS class of the verdict (the status name in data).
    pub fn class(self) -> &'static str {
        match self {
            RunVerdict::Passed => "passed",
            RunVerdict::Flaky => "flaky",
            RunVerdict::Failed => "failed",
            RunVerdict::Errored => "errored",
            RunVerdict::Interrupted => "interrupted",
        }
    }
}

/// Counts of scenario outcomes, from the scenario entries themselves.
#[derive(Debug, Default)]
struct Outcomes {
    passed: usize,
    flaky: usize,
    failed: usize,
    errored: usize,
    interrupted: usize,
    not_run: usize,
    not_applicable: usize,
}

pub use certify_evidence::manifest::{Entries, TranscriptLookup as Transcripts};

fn is_bad(status: Outcome) -> bool {
    matches!(status, Outcome::Failed | Outcome::Errored | Outcome::Interrupted | Outcome::Flaky)
}

/// Why the run got its verdict, in one sentence: "2 scenarios failed, in
/// tenant-signup (critical) and quotas."
pub fn verdict_sentence(manifest: &Manifest) -> String {
    RunTally::of(&manifest.scenarios).map(|t| t.sentence(&manifest.header)).unwrap_or_default()
}

/// What the page's summaries need of the scenarios, gathered in one pass
/// over them: outcome counts and the features each class of problem
/// touched (the verdict's sentence), the repeated failures, and the
/// features and number of the scenarios (the scenario list's filters).
#[derive(Default)]
struct RunTally {
    outcomes: Outcomes,
    /// Per outcome class (flaky, a failure, failed or errored), the features
    /// where it happened, with whether a critical scenario did (bounded by
    /// the catalog).
    seen: [Vec<(String, bool)>; 3],
    /// Failures by step and message, in the order they first appear.
    groups: Vec<FailureGroup>,
    group_of: HashMap<(String, String), usize>,
    features: BTreeSet<String>,
    count: usize,
}

impl RunTally {
    fn of(entries: &dyn Entries) -> io::Result<RunTally> {
        let mut tally = RunTally::default();
        entries.each(&mut |s| tally.add(s))?;
        Ok(tally)
    }

    fn add(&mut self, s: &ScenarioEntry) {
        let o = &mut self.outcomes;
        match s.status {
            Outcome::Passed => o.passed += 1,
            Outcome::Flaky => o.flaky += 1,
            Outcome::Failed => o.failed += 1,
            Outcome::Interrupted => o.interrupted += 1,
            Outcome::NotRun => o.not_run += 1,
            Outcome::NotApplicable => o.not_applicable += 1,
            Outcome::Errored => o.errored += 1,
        }
        let classes =
            [s.status == Outcome::Flaky, s.status.is_failure(), matches!(s.status, Outcome::Failed | Outcome::Errored)];
        for (list, _) in self.seen.iter_mut().zip(classes).filter(|(_, hit)| *hit) {
            let id = s.feature.as_deref().unwrap_or("unlinked scenarios");
            match list.iter_mut().find(|(f, _)| f == id) {
                Some(entry) => entry.1 |= s.critical,
                None => list.push((id.to_owned(), s.critical)),
            }
        }
        self.count += 1;
        if let Some(f) = &s.feature
            && !self.features.contains(f)
        {
            self.features.insert(f.clone());
        }
        if matches!(s.status, Outcome::Failed | Outcome::Errored)
            && let Some((st, f)) = s.attempts.last().and_then(|a| a.first_failure())
        {
            let key = (format!("{} {}", st.keyword, st.text), f.message.clone());
            let scenario = (s.id.clone(), s.name.clone());
            match self.group_of.get(&key) {
                Some(&i) => self.groups[i].scenarios.push(scenario),
                None => {
                    self.group_of.insert(key.clone(), self.groups.len());
                    let (step, message) = key;
                    self.groups.push(FailureGroup { step, message, scenarios: vec![scenario] });
                }
            }
        }
    }

    /// The failures shared by two scenarios or more, most frequent first.
    fn repeated_failures(&self) -> Vec<FailureGroup> {
        let mut groups: Vec<FailureGroup> = self.groups.iter().filter(|g| g.scenarios.len() > 1).cloned().collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.scenarios.len()));
        groups
    }

    /// Why the run got its verdict, in one sentence.
    fn sentence(&self, header: &Header) -> String {
        let o = &self.outcomes;
        let seen = &self.seen;
        let ran = o.passed + o.flaky + o.failed + o.errored;
        let na = if o.not_applicable > 0 {
            format!(" ({} not applicable at {})", o.not_applicable, header.platform.version)
        } else {
            String::new()
        };
        let where_ = |class: usize| -> String {
            let mut seen = seen[class].clone();
            // Critical features first: they are what blocks a promotion.
            seen.sort_by_key(|(_, critical)| !critical);
            let mut names: Vec<String> =
                seen.iter().take(5).map(|(f, c)| if *c { format!("{f} (critical)") } else { f.clone() }).collect();
            if seen.len() > 5 {
                names.push(plural(seen.len() - 5, "more feature", "more features"));
            }
            if names.is_empty() { String::new() } else { format!(", in {}", and_list(&names)) }
        };
        let problems = || {
            let mut parts = Vec::new();
            if o.failed > 0 {
                parts.push(format!("{} failed", plural(o.failed, "scenario", "scenarios")));
            }
            if o.errored > 0 {
                parts.push(if parts.is_empty() {
                    format!("{} errored (the target or the harness broke)", plural(o.errored, "scenario", "scenarios"))
                } else {
                    format!("{} errored", o.errored)
                });
            }
            if o.interrupted > 0 {
                parts.push(if parts.is_empty() {
                    format!("{} interrupted", plural(o.interrupted, "scenario was", "scenarios were"))
                } else {
                    format!("{} interrupted", o.interrupted)
                });
            }
            and_list(&parts)
        };
        let all =
            |n: usize| if n == 1 { "the 1 scenario passed".to_owned() } else { format!("all {n} scenarios passed") };
        let mut sentence = match RunVerdict::of(header) {
            RunVerdict::Passed if ran == 0 => format!("no scenario ran{na}"),
            RunVerdict::Passed => format!("{}{na}", all(ran)),
            RunVerdict::Flaky => format!("{}, {} only after a retry{}", all(ran), o.flaky, where_(0)),
            RunVerdict::Failed | RunVerdict::Errored => {
                let p = problems();
                if p.is_empty() { format!("the run reported {}", header.status) } else { format!("{p}{}", where_(1)) }
            }
            RunVerdict::Interrupted => {
                let selected = ran + o.interrupted + o.not_run;
                let mut s = format!("the run was interrupted after {ran} of {selected} scenarios");
                let bad = o.failed + o.errored;
                if bad > 0 {
                    let _ = write!(s, "; {} had failed{}", plural(bad, "scenario", "scenarios"), where_(2));
                }
                s
            }
        };
        if !header.broken_files.is_empty() {
            let _ = write!(
                sentence,
                "; {} did not load, so the run cannot pass",
                plural(header.broken_files.len(), "feature file", "feature files")
            );
        }
        let mut chars = sentence.chars();
        match chars.next() {
            Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
            None => String::new(),
        }
    }
}

/// The scenario data the page's script renders: one compact object per
/// scenario, steps as `[keyword, text, status, duration_ms, line, message]`,
/// and for a scenario that did not pass cleanly, the HTTP exchanges of its
/// failing attempt.
pub fn scenario_data(manifest: &Manifest, transcript: &dyn Fn(&str) -> Option<String>) -> Value {
    let lookup = |path: &str, _: &str, _: usize| transcript(path);
    let scenarios: Vec<ScenarioData<'_>> = manifest.scenarios.iter().map(|s| scenario_json(s, &lookup)).collect();
    json!({
        "run_id": manifest.header.run_id,
        "version": manifest.header.platform.version,
        "scenarios": scenarios,
    })
}

/// One scenario as the page's script reads it.
#[derive(Serialize)]
struct ScenarioData<'a> {
    id: &'a str,
    name: &'a str,
    feature: Option<&'a str>,
    file: &'a str,
    line: usize,
    status: &'static str,
    critical: bool,
    ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    outline: &'a BTreeMap<String, String>,
    attempts: Vec<AttemptData<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exchanges: Option<Vec<Value>>,
}

#[derive(Serialize)]
struct AttemptData<'a> {
    n: usize,
    status: &'static str,
    ms: f64,
    steps: Vec<StepData<'a>>,
}

/// `[keyword, text, status, duration_ms, line, message]`.
#[derive(Serialize)]
struct StepData<'a>(&'a str, &'a str, &'static str, f64, usize, Option<&'a str>);

fn scenario_json<'a>(s: &'a ScenarioEntry, transcript: Transcripts<'_>) -> ScenarioData<'a> {
    let status = s.status;
    let failing = s.failing_attempt();
    let mut message = None;
    if let Some(a) = failing {
        if let Some((step, f)) = a.first_failure() {
            message = Some(format!("{} {} (line {})\n{}", step.keyword, step.text, step.line, f.message));
        }
        if message.is_none() && status != Outcome::Passed {
            message = Some(format!("attempt {} {}", a.number, a.status.as_str()));
        }
    }
    let attempts = s
        .attempts
        .iter()
        .map(|a| AttemptData {
            n: a.number,
            status: a.status.as_str(),
            ms: a.duration_ms,
            steps: a
                .steps
                .iter()
                .map(|st| {
                    StepData(
                        &st.keyword,
                        &st.text,
                        st.status.as_str(),
                        st.duration_ms,
                        st.line,
                        st.failure.as_ref().map(|f| f.message.as_str()),
                    )
                })
                .collect(),
        })
        .collect();
    let mut data = ScenarioData {
        id: &s.id,
        name: &s.name,
        feature: s.feature.as_deref(),
        file: &s.feature_file,
        line: s.line,
        status: status.as_str(),
        critical: s.critical,
        ms: s.duration_ms as f64,
        reason: s.reason.as_deref(),
        outline: &s.outline,
        attempts,
        message,
        transcript: None,
        exchanges: None,
    };
    if is_bad(status)
        && let (Some(a), Some(path)) = (failing, s.transcript.as_deref())
    {
        data.transcript = Some(path);
        data.exchanges = transcript(path, &s.id, a.number).map(|text| exchanges(&text, &s.id, a.number));
    }
    data
}

/// The exchanges of attempt `number` of scenario `id` from a transcript's
/// text: a grouped transcript's line(s), one JSON object per attempt
/// (`{"scenario", "attempt", "exchanges"}`), or an older per-scenario file
/// (`{"attempts": [{"number", "exchanges"}]}`).
fn exchanges(text: &str, id: &str, number: usize) -> Vec<Value> {
    // An older per-scenario file: every attempt in one document.
    let of_old = |doc: &Value| {
        let list = doc.get("attempts")?.as_array()?;
        let attempt = list
            .iter()
            .find(|a| a.get("number").and_then(Value::as_u64) == Some(number as u64))
            .or_else(|| list.last())?;
        attempt.get("exchanges").and_then(Value::as_array).cloned()
    };
    // A grouped transcript's line: one attempt of one scenario.
    let of_line = |doc: &Value| {
        let mine = doc.get("scenario").and_then(Value::as_str) == Some(id)
            && doc.get("attempt").and_then(Value::as_u64) == Some(number as u64);
        mine.then(|| doc.get("exchanges").and_then(Value::as_array).cloned()).flatten()
    };
    let list = match serde_json::from_str::<Value>(text) {
        Ok(doc) if doc.get("attempts").is_some() => of_old(&doc),
        Ok(doc) => of_line(&doc),
        // Several lines: find the attempt's.
        Err(_) => {
            let docs: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
            if docs.is_empty() {
                return vec![json!({"error": "the transcript is not valid JSON"})];
            }
            docs.iter().find_map(of_line)
        }
    };
    let Some(list) = list else {
        return Vec::new();
    };
    list.iter()
        .map(|x| {
            let req = x.get("request").unwrap_or(&Value::Null);
            let res = x.get("response").unwrap_or(&Value::Null);
            json!({
                "step": str_of(x, "step"),
                "step_line": x.get("step_line"),
                "method": str_of(req, "method").unwrap_or(""),
                "url": str_of(req, "url").unwrap_or(""),
                "status": res.get("status"),
                "ms": x.get("duration_ms"),
                "error": str_of(x, "error"),
                "req_headers": req.get("headers").cloned().unwrap_or(Value::Array(Vec::new())),
                "req_body": body_excerpt(req.get("body")),
                "res_headers": res.get("headers").cloned().unwrap_or(Value::Array(Vec::new())),
                "res_body": body_excerpt(res.get("body")),
            })
        })
        .collect()
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A body as transcribed (`json`, `text` or `base64`, with `size` and maybe
/// `truncated`), cut to an excerpt a person can read.
fn body_excerpt(body: Option<&Value>) -> Option<String> {
    let body = body.filter(|b| !b.is_null())?;
    let size = body.get("size").and_then(Value::as_u64).unwrap_or(0);
    let mut text = if let Some(j) = body.get("json") {
        serde_json::to_string_pretty(j).unwrap_or_default()
    } else if let Some(t) = body.get("text").and_then(Value::as_str) {
        t.to_owned()
    } else if body.get("base64").is_some() {
        format!("(binary, {size} bytes)")
    } else {
        String::new()
    };
    if text.is_empty() && size == 0 {
        return None;
    }
    if let Some((cut, _)) = text.char_indices().nth(BODY_EXCERPT) {
        text.truncate(cut);
        let _ = write!(text, "\n… (excerpt; {size} bytes in all)");
    } else if body.get("truncated").and_then(Value::as_bool).unwrap_or(false) {
        let _ = write!(text, "\n… (cut in the bundle; {size} bytes in all)");
    }
    Some(text)
}

/// One self-contained HTML page for a bundle: no request to any other host
/// (inline CSS and script), opens from disk. `transcript(path)` returns a
/// transcript file's text; it is asked only for scenarios that did not pass
/// cleanly.
pub fn run_report(manifest: &Manifest, signature: &Signature, transcript: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = Vec::new();
    let lookup = |path: &str, _: &str, _: usize| transcript(path);
    // Writing to memory cannot fail.
    let _ = write_run_report(&mut out, &manifest.header, &manifest.scenarios, signature, &lookup);
    String::from_utf8(out).unwrap_or_default()
}

/// [`run_report`] written as it is rendered: the scenarios are read from
/// `entries` (a few passes, one entry at a time) and their data is streamed
/// into the page, so memory does not grow with the number of scenarios.
pub fn write_run_report(
    out: &mut dyn io::Write,
    h: &Header,
    entries: &dyn Entries,
    signature: &Signature,
    transcript: Transcripts<'_>,
) -> io::Result<()> {
    let verdict = RunVerdict::of(h);
    let tally = RunTally::of(entries)?;
    let mut body = String::with_capacity(64 * 1024);

    let _ = writeln!(
        body,
        "<header class=\"verdict-banner {cls}\"><h1 id=\"verdict\" class=\"{cls}\">{label}</h1>\
         <p id=\"why\">{why}</p></header>",
        cls = verdict.class(),
        label = verdict.label(),
        why = esc(&tally.sentence(h)),
    );

    body.push_str("<section id=\"run\"><h2>Run</h2><dl class=\"facts\">\n");
    fact(
        &mut body,
        "target",
        &format!("{} — <span class=\"mono\">{}</span>", esc(&h.target.name), esc(&h.target.base_url)),
    );
    let source = match h.platform.source.as_str() {
        "probe" => "probed from the target".to_owned(),
        "flag" => "given with --platform-version".to_owned(),
        "unknown" => "unknown: not probed and not given".to_owned(),
        other => other.to_owned(),
    };
    let mut platform = format!("<b>{}</b> ({})", esc(&h.platform.version), esc(&source));
    if let Some(p) = h.platform.probed.as_deref().filter(|p| *p != h.platform.version) {
        let _ = write!(platform, "; the target said {}", esc(p));
    }
    if let Some(n) = &h.platform.note {
        let _ = write!(platform, "; {}", esc(n));
    }
    fact(&mut body, "platform version", &platform);
    let g = &h.git;
    let mut git = match &g.commit {
        Some(c) => format!("<span class=\"mono\">{}</span>", esc(c)),
        None => "no revision".to_owned(),
    };
    if let Some(b) = &g.branch {
        let _ = write!(git, " on {}", esc(b));
    }
    if g.dirty {
        git.push_str(" <span class=\"crit\">(dirty: uncommitted changes)</span>");
    } else if g.commit.is_some() {
        git.push_str(" (clean)");
    }
    if !g.tags.is_empty() {
        let _ = write!(git, "; tags {}", esc(&g.tags.join(", ")));
    }
    if let Some(r) = &g.remote {
        let _ = write!(git, "; {}", esc(r));
    }
    let git_source = match g.source.as_str() {
        "repository" => "the suite's repository",
        "build" => "the revision certify was built from (embedded suite)",
        _ => "none",
    };
    let _ = write!(git, " <span class=\"meta\">— from {git_source}</span>");
    fact(&mut body, "git revision", &git);
    fact(&mut body, "run id", &format!("<span class=\"mono\">{}</span>", esc(&h.run_id)));
    fact(
        &mut body,
        "time",
        &format!(
            "{} → {} ({}){}",
            esc(&h.started_at),
            esc(&h.finished_at),
            duration(h.duration_ms as f64),
            if h.complete { "" } else { " <span class=\"crit\">incomplete</span>" }
        ),
    );
    let mut selection = format!("concurrency {}", h.selection.concurrency);
    if let Some(t) = &h.selection.tags {
        let _ = write!(selection, "; tags {}", esc(t));
    }
    if let Some(s) = &h.selection.shard {
        let _ = write!(selection, "; shard {}", esc(s));
    }
    fact(&mut body, "selection", &selection);
    fact(&mut body, "tool", &format!("{} {}", esc(&h.tool.name), esc(&h.tool.version)));
    body.push_str("</dl></section>\n");

    signature_section(&mut body, h, signature);
    features_section(&mut body, h);
    api_section(&mut body, h);
    repeated_failures_section(&mut body, &tally.repeated_failures());
    scenarios_section(&mut body, h, &tally);

    let title = format!("{} — {} at {} — certify run {}", verdict.label(), h.target.name, h.platform.version, h.run_id);
    let shell = page(&title, "", false, &body);
    let (before, after) = shell.rsplit_once(DATA_MARK).unwrap_or((&shell, ""));
    out.write_all(before.as_bytes())?;
    write_scenario_data(out, h, entries, transcript)?;
    out.write_all(after.as_bytes())
}

/// Where the scenario data goes in the page's shell.
const DATA_MARK: &str = "\u{0}certify-scenario-data\u{0}";

/// The page's scenario data (see [`scenario_data`]), written one scenario at a time.
fn write_scenario_data(
    out: &mut dyn io::Write,
    h: &Header,
    entries: &dyn Entries,
    transcript: Transcripts<'_>,
) -> io::Result<()> {
    let head = script_json(&json!({ "run_id": h.run_id, "version": h.platform.version }));
    out.write_all(head.strip_suffix('}').unwrap_or(&head).as_bytes())?;
    out.write_all(b",\"scenarios\":[")?;
    let mut first = true;
    let mut failed = None;
    entries.each(&mut |s| {
        if failed.is_some() {
            return;
        }
        let sep: &[u8] = if first { b"" } else { b"," };
        first = false;
        let text = script_json(&scenario_json(s, transcript));
        if let Err(e) = out.write_all(sep).and_then(|()| out.write_all(text.as_bytes())) {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    out.write_all(b"]}")
}

fn fact(out: &mut String, name: &str, html: &str) {
    let _ = writeln!(out, "<dt>{}</dt><dd>{html}</dd>", esc(name));
}

fn signature_section(body: &mut String, h: &Header, signature: &Signature) {
    let signer = signature.signer.as_ref().or(h.signature.key_fingerprint.as_ref());
    let (state, text) = match (signer, signature.verified) {
        (None, _) => ("unsigned", "UNSIGNED: nothing vouches for this bundle".to_owned()),
        (Some(_), Some(true)) => ("verified", "verified ✓".to_owned()),
        (Some(_), Some(false)) => ("invalid", "NOT verified ✗: the signature or a file does not match".to_owned()),
        (Some(_), None) => ("unchecked", "signed; verify with <code>certify verify</code>".to_owned()),
    };
    let _ = write!(
        body,
        "<section id=\"signature\" data-state=\"{state}\"><h2>Signature</h2><dl class=\"facts\">\
         <dt>status</dt><dd class=\"status {state}\"><b>{text}</b></dd>"
    );
    if let Some(s) = signer {
        let _ = write!(body, "<dt>signer</dt><dd class=\"mono signer\">{}</dd>", esc(s));
    }
    if let Some(at) = &signature.checked_at {
        let _ = write!(body, "<dt>checked at</dt><dd>{}</dd>", esc(at));
    }
    body.push_str("</dl></section>\n");
}

/// The API description the run used: where it came from, every operation with whether the
/// run exercised it (the gaps are the rows marked `gap`), and the responses that broke it.
fn api_section(body: &mut String, h: &Header) {
    let Some(api) = &h.api else { return };
    let exercised = api.operations.iter().filter(|op| op.exercised).count();
    let checked = if api.checked == "every" { "every response checked" } else { "checked where scenarios ask" };
    let _ = writeln!(
        body,
        "<section id=\"api-section\"><h2>API description</h2>\n<p><span class=\"mono\">{}</span> (OpenAPI {}{}, {checked}, \
         kept as <span class=\"mono\">{}</span>): {exercised} of {} operations exercised; <span class=\"{}\">{} response{} broke it</span>.</p>",
        esc(&api.source),
        esc(&api.openapi),
        api.version.as_deref().map(|v| format!(", version {}", esc(v))).unwrap_or_default(),
        esc(&api.file),
        api.operations.len(),
        if api.findings > 0 { "failed" } else { "passed" },
        api.findings,
        if api.findings == 1 { "" } else { "s" },
    );
    body.push_str(
        "<table id=\"api-operations\"><thead><tr><th>operation</th><th>feature</th><th>responses</th>\
         <th>broke the description</th><th>coverage</th></tr></thead><tbody>\n",
    );
    for op in &api.operations {
        let (class, coverage) = match (op.exercised, op.findings) {
            (_, n) if n > 0 => ("failed", "exercised"),
            (true, _) => ("passed", "exercised"),
            (false, _) => ("untested", "gap"),
        };
        let _ = writeln!(
            body,
            "<tr class=\"{class}\"><td class=\"mono\" title=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{coverage}</td></tr>",
            esc(&op.pointer),
            esc(&op.operation),
            esc(op.feature.as_deref().unwrap_or("—")),
            op.requests,
            op.findings,
        );
    }
    body.push_str("</tbody></table>\n");
    if !api.undocumented.is_empty() {
        body.push_str("<p>Requests to endpoints the description does not have:</p><ul>");
        for u in &api.undocumented {
            let _ = write!(body, "<li class=\"mono\">{} ({})</li>", esc(&u.request), u.count);
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</section>\n");
}

fn features_section(body: &mut String, h: &Header) {
    body.push_str("<section id=\"features-section\"><h2>Features</h2>\n");
    if h.features.is_empty() {
        body.push_str("<p>No feature verdicts: no scenario is linked to a catalog feature.</p>\n");
    }
    body.push_str(
        "<table id=\"features\"><thead><tr><th>feature</th><th>title</th><th>owner</th><th>maturity</th>\
         <th>verdict</th><th>passed</th><th>flaky</th><th>failed</th><th>errored</th><th>n/a</th><th>why</th></tr></thead><tbody>\n",
    );
    for f in &h.features {
        let verdict = f.verdict.as_str();
        let maturity = f.maturity.map(|m| m.to_string()).unwrap_or_else(|| "—".to_owned());
        let t = &f.tally;
        let _ = writeln!(
            body,
            "<tr data-feature=\"{id}\" class=\"{verdict}\"><td class=\"id\"><a href=\"#feature={idu}\">{id}</a>{crit}</td>\
             <td>{title}</td><td>{owner}</td><td class=\"maturity\">{maturity}</td>\
             <td class=\"verdict {verdict}\">{verdict}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{reason}</td></tr>",
            t.passed,
            t.flaky,
            t.failed,
            t.errored,
            t.not_applicable,
            id = esc(&f.id),
            idu = esc(&fragment_escape(&f.id)),
            crit =
                if t.critical { " <span class=\"crit\" title=\"has @critical scenarios\">critical</span>" } else { "" },
            title = esc(&f.title),
            owner = esc(&f.owner),
            maturity = esc(&maturity),
            reason = esc(&f.reason),
        );
    }
    body.push_str("</tbody></table>\n");
    if !h.unknown_features.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"failed\">Scenarios name features the catalog does not know: {}.</p>",
            esc(&h.unknown_features.join(", "))
        );
    }
    if h.unlinked_scenarios > 0 {
        let _ = writeln!(
            body,
            "<p class=\"untested\">{} linked to no catalog feature.</p>",
            plural(h.unlinked_scenarios, "scenario is", "scenarios are")
        );
    }
    if !h.broken_files.is_empty() {
        body.push_str(
            "<p class=\"failed\">Feature files that did not load (none of their scenarios ran; the features they name are not certified):</p><ul>",
        );
        for b in &h.broken_files {
            let features = if b.features.is_empty() {
                String::new()
            } else {
                format!(
                    " (names {})",
                    b.features.iter().map(|f| format!("@feature:{f}")).collect::<Vec<_>>().join(", ")
                )
            };
            let _ = write!(body, "<li class=\"mono\">{}{}</li>", esc(&b.to_string()), esc(&features));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</section>\n");
}

/// Percent-encodes what would break a `#feature=ID` fragment.
fn fragment_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Scenarios that failed (or errored) at the same step with the same
/// message: one broken thing, usually, seen from many places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureGroup {
    /// The failing step, `keyword text`.
    pub step: String,
    /// Its failure message.
    pub message: String,
    /// The scenarios, `(id, name)`, in suite order.
    pub scenarios: Vec<(String, String)>,
}

/// The failures shared by two scenarios or more, most frequent first (then
/// in the order their first scenario appears). A scenario counts with the
/// first failed step of its last attempt.
pub fn repeated_failures(manifest: &Manifest) -> Vec<FailureGroup> {
    RunTally::of(&manifest.scenarios).map(|t| t.repeated_failures()).unwrap_or_default()
}

fn repeated_failures_section(body: &mut String, groups: &[FailureGroup]) {
    if groups.is_empty() {
        return;
    }
    body.push_str("<section id=\"repeated-failures\"><h2>Repeated failures</h2>\n");
    for g in groups {
        let _ = write!(
            body,
            "<div class=\"failure-group\" data-count=\"{n}\"><p><strong>{n} scenarios</strong> failed at \
             <code>{step}</code> with:</p><pre class=\"message\">{message}</pre><ul>",
            n = g.scenarios.len(),
            step = esc(&g.step),
            message = esc(&g.message),
        );
        for (id, name) in &g.scenarios {
            let _ = write!(body, "<li><a href=\"#q={}\">{}</a> {}</li>", esc(&fragment_escape(id)), esc(id), esc(name));
        }
        body.push_str("</ul></div>\n");
    }
    body.push_str("</section>\n");
}

fn scenarios_section(body: &mut String, h: &Header, tally: &RunTally) {
    let count = tally.count;
    let features: BTreeSet<&String> = h.features.iter().map(|f| &f.id).chain(&tally.features).collect();
    let _ = write!(
        body,
        "<section id=\"scenarios-section\"><h2>Scenarios ({count})</h2>\n\
         <noscript><p class=\"untested\">The scenario list is drawn by JavaScript: enable it to see every scenario, \
         its steps and, for a failure, its HTTP exchanges. The verdicts above need no script.</p></noscript>\n\
         <div class=\"filters\"><label><input type=\"checkbox\" id=\"f-failed\"> failed only</label>\
         <label>feature <select id=\"f-feature\"><option value=\"\">all features</option>",
    );
    for f in &features {
        let _ = write!(body, "<option value=\"{0}\">{0}</option>", esc(f));
    }
    body.push_str(
        "</select></label><input type=\"search\" id=\"f-q\" placeholder=\"name, id or step text\">\
         <span id=\"match-count\" class=\"meta\"></span></div>\n\
         <div id=\"scenarios\"></div>\n<button id=\"more\" type=\"button\" hidden>show more</button>\n</section>\n",
    );
    let _ =
        write!(body, "<script type=\"application/json\" id=\"data\">{DATA_MARK}</script>\n<script>\n{SCRIPT}</script>");
}
