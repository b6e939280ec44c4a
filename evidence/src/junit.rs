//! The JUnit report, written from the event stream.
//!
//! One `<testsuite>` per feature file (its path in `file`), one `<testcase>`
//! per scenario (per example row for outlines), `classname` = the feature's
//! name (with the file's path when several files hold features of that
//! name). Testcase names are unique within their testsuite and follow
//! `@cucumber/junit-xml-formatter` (see [`testcase_names`]). Assertion failures are `<failure>`, everything that kept a scenario
//! from being checked is `<error>`; a pass after a retry keeps its failed
//! attempts as `<flakyFailure>`/`<flakyError>` and a failure after retries
//! its earlier attempts as `<rerunFailure>`/`<rerunError>` (the Surefire
//! conventions the Jenkins schema knows). Every testsuite carries the run's
//! `<properties>` (git.commit, git.branch, git.dirty, platform.version,
//! target, certify.run_id). Times are seconds with millisecond precision: a
//! testcase's is the sum of its attempts, a testsuite's the wall-clock time
//! from its first testcase's start to its last one's end (scenarios run
//! concurrently), the root's the run's wall-clock time.
//!
//! The crate `junit-report` is not used: it writes neither `<properties>` nor
//! millisecond times, and the report needs both.
//!
//! Memory stays flat: each testcase is rendered as its scenario ends and
//! spooled to disk (its feature file's spool, keyed by line; only counts,
//! times and offsets are kept); when a feature file's last scenario ends,
//! its testsuite (counts in its attributes) is written to a part file with
//! the testcases copied in line order. The final file is that part plus the
//! root element (whose totals are known only at the end), renamed into place.

use std::{
    borrow::Cow,
    collections::HashMap,
    fmt::Write as _,
    fs::{self, File},
    io::{self, BufRead as _, BufWriter, Write as _},
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use certify_runner::{
    EventSink, Plan, RunEvent, ScenarioResult, Status,
    event::{Attempt, ExclusionKind, FailureKind, StepStatus},
};

use certify_suite::{DocumentChild, ParsedFeature, syntax::pickle::interpolate};

use crate::{GitInfo, spool::Spool, xml};

/// The facts every testsuite is tagged with.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub run_id: String,
    pub target: String,
    pub platform_version: String,
    pub git: GitInfo,
    pub tool_version: String,
    /// Whether the bundle this report belongs to is signed (`--no-sign`: false, and the report says so).
    pub signed: bool,
}

impl RunInfo {
    /// The `<property>` name/value pairs every testsuite carries.
    pub fn properties(&self) -> Vec<(&'static str, String)> {
        vec![
            ("certify.run_id", self.run_id.clone()),
            ("certify.version", self.tool_version.clone()),
            ("target", self.target.clone()),
            ("platform.version", self.platform_version.clone()),
            ("git.commit", self.git.commit.clone().unwrap_or_else(|| "none".to_owned())),
            ("git.branch", self.git.branch.clone().unwrap_or_default()),
            ("git.dirty", self.git.dirty.to_string()),
            ("git.source", self.git.source.to_owned()),
            ("certify.signed", self.signed.to_string()),
        ]
    }
}

/// A feature file whose scenarios are running: its testcases are spooled.
struct FeatureBuf {
    /// The testsuite's name and its testcases' classname.
    name: String,
    expected: usize,
    done: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    /// The first attempt's start and the last attempt's end (its wall time).
    first_start: Option<SystemTime>,
    last_end: Option<SystemTime>,
    /// Catalog features of its scenarios.
    ids: std::collections::BTreeSet<String>,
    /// Rendered testcases, keyed by line; created with the first.
    cases: Option<Spool>,
}

#[derive(Default)]
struct Totals {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

/// An [`EventSink`] that writes `junit.xml`.
pub struct JunitWriter {
    path: PathBuf,
    part: PathBuf,
    out: Option<BufWriter<File>>,
    info: RunInfo,
    features: HashMap<String, FeatureBuf>,
    totals: Totals,
    error: Option<io::Error>,
    /// The run's wall time, once it has finished.
    wall: Option<Duration>,
    /// Catalog feature id -> (verdict, maturity), known at the end of the run.
    verdicts: HashMap<String, (String, String)>,
    started_at: Option<SystemTime>,
    /// Testcase names by scenario id, from the suite as written; made
    /// unique per testsuite when the run starts, and from then on only
    /// those that are not the scenario's own name.
    names: HashMap<String, String>,
    /// Numbers the feature files' spools.
    spools: usize,
}

impl JunitWriter {
    /// Starts writing; the report appears at `path` when the run finishes.
    /// `features` is the parsed suite, for the testcase names.
    pub fn create(path: &Path, info: RunInfo, features: &[ParsedFeature]) -> io::Result<JunitWriter> {
        let part = path.with_extension("xml.part");
        let out = BufWriter::new(File::create(&part)?);
        Ok(JunitWriter {
            path: path.to_path_buf(),
            part,
            out: Some(out),
            info,
            features: HashMap::new(),
            totals: Totals::default(),
            error: None,
            wall: None,
            verdicts: HashMap::new(),
            started_at: None,
            // A file without outlines is named from the plan when the run starts.
            names: features.iter().filter(|f| f.has_outlines()).flat_map(testcase_names).collect(),
            spools: 0,
        })
    }

    /// The per-feature verdicts of the whole run; they become properties of
    /// the testsuites that hold each feature's scenarios (`feature.id`,
    /// `feature.verdict`, `feature.maturity`; `feature.<id>.verdict` and
    /// `feature.<id>.maturity` when a file holds several features). Call
    /// before [`JunitWriter::finish`].
    pub fn set_feature_verdicts(&mut self, verdicts: &[certify_catalog::FeatureVerdict]) {
        for v in verdicts {
            let maturity = v.maturity.map_or("unknown", |m| m.as_str());
            self.verdicts.insert(v.id.clone(), (v.verdict.as_str().to_owned(), maturity.to_owned()));
        }
    }

    /// Assembles the report (with the feature verdicts set so far) once the
    /// run has finished; returns its path, or the first I/O error.
    pub fn finish(mut self) -> io::Result<PathBuf> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let Some(wall) = self.wall else {
            return Err(io::Error::other("the run did not finish; junit.xml was not completed"));
        };
        self.assemble(wall)?;
        Ok(self.path.clone())
    }

    fn started(&mut self, plan: &Plan) {
        let written = std::mem::take(&mut self.names);
        let mut files_named: HashMap<&str, usize> = HashMap::new();
        for f in &plan.features {
            *files_named.entry(f.name.as_str()).or_default() += 1;
        }
        for f in &plan.features {
            let expected = f
                .scenarios
                .iter()
                .filter(|s| s.excluded.as_ref().is_none_or(|e| e.kind == ExclusionKind::NotApplicable))
                .count();
            let name = if files_named.get(f.name.as_str()) > Some(&1) {
                format!("{} ({})", f.name, f.path)
            } else {
                f.name.clone()
            };
            if expected > 0 {
                // The names of the file's scenarios (outline rows as
                // `testcase_names` gave them, the others their rule and
                // name), unique within the file whatever the selection (by
                // line: the order its testcases are written in).
                let mut all: Vec<&certify_runner::event::PlannedScenario> = f.scenarios.iter().collect();
                all.sort_by_key(|s| s.line);
                // Borrowed where the name is the scenario's own: a file of
                // 20,000 scenarios is not copied to be checked.
                let named: Vec<(Cow<'_, str>, usize)> = all
                    .iter()
                    .map(|s| {
                        let name = match (written.get(&s.id), s.rule.as_deref()) {
                            (Some(written), _) => Cow::Borrowed(written.as_str()),
                            (None, Some(rule)) if !rule.is_empty() => Cow::Owned(join(&[rule, &s.name])),
                            (None, _) => Cow::Borrowed(s.name.as_str()),
                        };
                        (name, s.line)
                    })
                    .collect();
                let in_suite = |s: &certify_runner::event::PlannedScenario| {
                    s.excluded.as_ref().is_none_or(|e| e.kind == ExclusionKind::NotApplicable)
                };
                for (s, unique) in all.iter().zip(unique(named)) {
                    // A testcase named as its scenario is named by it when it ends.
                    if in_suite(s) && unique != s.name.as_str() {
                        self.names.insert(s.id.clone(), unique.into_owned());
                    }
                }
                let buf = FeatureBuf {
                    name,
                    expected,
                    done: 0,
                    failures: 0,
                    errors: 0,
                    skipped: 0,
                    first_start: None,
                    last_end: None,
                    ids: std::collections::BTreeSet::new(),
                    cases: None,
                };
                self.features.insert(f.path.clone(), buf);
            }
        }
    }

    fn scenario(&mut self, result: &Arc<ScenarioResult>) {
        let path: &str = &result.scenario.feature_path;
        if !self.features.contains_key(path) {
            return;
        }
        let name = self.names.get(&result.scenario.id).cloned().unwrap_or_else(|| result.scenario.name.clone());
        let spool_path = self.part.with_extension(format!("{}.part", self.spools));
        let Some(buf) = self.features.get_mut(path) else { return };
        let mut case = String::new();
        testcase(&mut case, result, &name, &buf.name);
        for a in &result.attempts {
            buf.first_start = Some(buf.first_start.map_or(a.started_at, |t| t.min(a.started_at)));
            let end = a.started_at + a.duration;
            buf.last_end = Some(buf.last_end.map_or(end, |t| t.max(end)));
        }
        match result.status {
            Status::Failed => buf.failures += 1,
            Status::Errored | Status::Interrupted => buf.errors += 1,
            Status::NotRun | Status::NotApplicable => buf.skipped += 1,
            Status::Passed | Status::Flaky => {}
        }
        if let Some(id) = &result.scenario.catalog_feature {
            buf.ids.insert(id.to_string());
        }
        buf.done += 1;
        let mut new_spool = false;
        if buf.cases.is_none() {
            match Spool::create(&spool_path) {
                Ok(spool) => buf.cases = Some(spool),
                Err(e) => {
                    self.error.get_or_insert(e);
                    return;
                }
            }
            new_spool = true;
        }
        let written = buf.cases.as_mut().map(|c| c.append(result.scenario.line as u64, case.as_bytes()));
        let complete = buf.done >= buf.expected;
        if new_spool {
            self.spools += 1;
        }
        if let Some(Err(e)) = written {
            self.error.get_or_insert(e);
        }
        if complete && let Some(buf) = self.features.remove(path) {
            let path = path.to_owned();
            self.write_suite(&path, buf);
        }
    }

    fn write_suite(&mut self, path: &str, buf: FeatureBuf) {
        let time = match (buf.first_start, buf.last_end) {
            (Some(first), Some(last)) => last.duration_since(first).unwrap_or_default(),
            _ => Duration::ZERO,
        };
        let mut suite = String::new();
        let timestamp = buf.first_start.map(|t| humantime::format_rfc3339_seconds(t).to_string()).unwrap_or_default();
        let _ = writeln!(
            suite,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\" file=\"{}\">",
            xml::text(&buf.name),
            buf.done,
            buf.failures,
            buf.errors,
            buf.skipped,
            seconds(time),
            xml::text(&timestamp),
            xml::text(path),
        );
        suite.push_str("    <properties>\n");
        for (k, v) in self.info.properties() {
            let _ = writeln!(suite, "      <property name=\"{k}\" value=\"{}\"/>", xml::text(&v));
        }
        // Verdicts are known only when the run ends: a placeholder line,
        // replaced when the file is assembled.
        for id in &buf.ids {
            let _ = writeln!(suite, "{PLACEHOLDER}{id}:{}-->", buf.ids.len());
        }
        suite.push_str("    </properties>\n");
        self.totals.tests += buf.done;
        self.totals.failures += buf.failures;
        self.totals.errors += buf.errors;
        self.totals.skipped += buf.skipped;
        self.write(suite.as_bytes());
        if let Some(cases) = buf.cases {
            let spool_path = cases.path().to_path_buf();
            let copied = cases.finish().and_then(|reader| {
                reader.each(&mut |case| {
                    if let Some(out) = self.out.as_mut() {
                        out.write_all(case)?;
                    }
                    Ok(())
                })
            });
            if let Err(e) = copied.and_then(|()| fs::remove_file(&spool_path)) {
                self.error.get_or_insert(e);
            }
        }
        self.write(b"  </testsuite>\n");
    }

    /// A feature file that failed to load: a testsuite of its own (its path
    /// in `file`) with one testcase in error, naming file:line and why.
    fn load_failed(&mut self, failure: &certify_runner::LoadFailure) {
        let mut suite = String::new();
        let timestamp = self.started_at.map(|t| humantime::format_rfc3339_seconds(t).to_string()).unwrap_or_default();
        let _ = writeln!(
            suite,
            "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\" timestamp=\"{}\" file=\"{}\">",
            xml::text(&failure.file),
            xml::text(&timestamp),
            xml::text(&failure.file),
        );
        suite.push_str("    <properties>\n");
        for (k, v) in self.info.properties() {
            let _ = writeln!(suite, "      <property name=\"{k}\" value=\"{}\"/>", xml::text(&v));
        }
        for id in &failure.features {
            let _ = writeln!(suite, "{PLACEHOLDER}{id}:{}-->", failure.features.len());
        }
        suite.push_str("    </properties>\n");
        let headline = format!("{}:{}: the feature file did not load: {}", failure.file, failure.line, failure.message);
        let detail = format!(
            "{failure}\n\nNo scenario of this file ran; the catalog features it names ({}) are not certified.",
            if failure.features.is_empty() { "none found".to_owned() } else { failure.features.join(", ") }
        );
        let _ = writeln!(
            suite,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"0.000\">\n      <error type=\"load-error\" message=\"{}\">{}</error>\n    </testcase>",
            xml::text(&format!("{} (did not load)", failure.file)),
            xml::text(&failure.file),
            xml::text(&xml::first_line(&headline, 500)),
            xml::content(&detail),
        );
        suite.push_str("  </testsuite>\n");
        self.totals.tests += 1;
        self.totals.errors += 1;
        self.write(suite.as_bytes());
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        if let Some(out) = self.out.as_mut()
            && let Err(e) = out.write_all(bytes)
        {
            self.error = Some(e);
        }
    }

    fn finished(&mut self, wall: Duration) {
        let mut rest: Vec<(String, FeatureBuf)> = self.features.drain().collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, buf) in rest {
            if buf.done > 0 {
                self.write_suite(&path, buf);
            }
        }
        self.wall = Some(wall);
    }

    fn assemble(&mut self, wall: Duration) -> io::Result<()> {
        if let Some(out) = self.out.take() {
            out.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()?;
        }
        let tmp = self.path.with_extension("xml.tmp");
        {
            let mut out = BufWriter::new(File::create(&tmp)?);
            let t = &self.totals;
            writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
            writeln!(
                out,
                "<testsuites name=\"certify {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
                xml::text(&self.info.target),
                t.tests,
                t.failures,
                t.errors,
                seconds(wall),
            )?;
            for line in io::BufReader::new(File::open(&self.part)?).lines() {
                let line = line?;
                match line
                    .strip_prefix(PLACEHOLDER)
                    .and_then(|r| r.strip_suffix("-->"))
                    .and_then(|r| r.rsplit_once(':'))
                {
                    Some((id, n)) => self.feature_properties(&mut out, id, n == "1")?,
                    None => writeln!(out, "{line}")?,
                }
            }
            writeln!(out, "</testsuites>")?;
            out.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        fs::remove_file(&self.part)?;
        Ok(())
    }
}

const PLACEHOLDER: &str = "      <!--certify:feature:";

impl JunitWriter {
    fn feature_properties(&self, out: &mut impl io::Write, id: &str, only: bool) -> io::Result<()> {
        let (verdict, maturity) =
            self.verdicts.get(id).cloned().unwrap_or_else(|| ("unknown".into(), "unknown".into()));
        feature_properties(out, id, only, &verdict, &maturity)
    }
}

/// The `<property>` lines of a catalog feature's verdict in a testsuite:
/// `feature.id`, `feature.verdict`, `feature.maturity` when the testsuite
/// holds one feature's scenarios (`only`), else `feature.<id>.verdict` and
/// `feature.<id>.maturity`.
pub fn feature_properties(
    out: &mut impl io::Write,
    id: &str,
    only: bool,
    verdict: &str,
    maturity: &str,
) -> io::Result<()> {
    let prop = |out: &mut dyn io::Write, k: &str, v: &str| {
        writeln!(out, "      <property name=\"{}\" value=\"{}\"/>", xml::text(k), xml::text(v))
    };
    if only {
        prop(out, "feature.id", id)?;
        prop(out, "feature.verdict", verdict)?;
        prop(out, "feature.maturity", maturity)
    } else {
        prop(out, &format!("feature.{id}.verdict"), verdict)?;
        prop(out, &format!("feature.{id}.maturity"), maturity)
    }
}

impl EventSink for JunitWriter {
    fn on_event(&mut self, event: &RunEvent) {
        match event {
            RunEvent::Started { plan, at } => {
                self.started_at = Some(*at);
                self.started(plan);
            }
            RunEvent::LoadFailed { failure } => self.load_failed(failure),
            RunEvent::ScenarioFinished { result } => self.scenario(result),
            RunEvent::Finished { summary } => self.finished(summary.duration),
            _ => {}
        }
    }
}

/// Testcase names of one feature file's scenarios, by scenario id, as
/// Cucumber's own JUnit formatter (`@cucumber/junit-xml-formatter`, with
/// `@cucumber/query`'s naming strategy LONG, feature name excluded, examples
/// named NUMBER_AND_PICKLE_IF_PARAMETERIZED) names them: the non-empty parts
/// of rule name, scenario name, Examples name and, for an outline row,
/// `#<table>.<row>` (1-based, `: <row's name>` added when the outline's name
/// has placeholders), joined with ` - `; e.g. `Sign-up - rejects bad plans -
/// invalid - #1.2: rejects "gold"`. Where the file still has two equal names
/// (two scenarios with one name), each of them gets ` (line N)`. Names are
/// computed over the whole file, so they do not depend on the selection.
pub fn testcase_names(parsed: &ParsedFeature) -> Vec<(String, String)> {
    let path = parsed.file.path.to_string_lossy().replace('\\', "/");
    let mut named = Vec::new();
    // The document's scenarios as written, one at a time: an outline's rows
    // are named from its Examples tables.
    for child in parsed.document_children(0) {
        let Ok((rule, DocumentChild::Scenario(s))) = child else { continue };
        let rule = rule.and_then(|r| parsed.rules().get(r)).map_or("", |r| r.name.as_str());
        if s.examples.is_empty() {
            let id = format!("{path}:{}", s.location.line);
            named.push((id, join(&[rule, &s.name]), s.location.line));
            continue;
        }
        for (t, examples) in s.examples.iter().enumerate() {
            let Some(header) = &examples.table_header else { continue };
            for (row, values) in examples.table_body.iter().enumerate() {
                let mut number = format!("#{}.{}", t + 1, row + 1);
                let row_name = interpolate(&s.name, &header.cells, &values.cells);
                if row_name != s.name {
                    let _ = write!(number, ": {row_name}");
                }
                let name = join(&[rule, &s.name, &examples.name, &number]);
                named.push((format!("{path}:{}", values.location.line), name, values.location.line));
            }
        }
    }
    let ids: Vec<String> = named.iter().map(|(id, _, _)| id.clone()).collect();
    let names = unique(named.into_iter().map(|(_, name, line)| (Cow::Owned(name), line)).collect());
    ids.into_iter().zip(names.into_iter().map(Cow::into_owned)).collect()
}

fn join(parts: &[&str]) -> String {
    parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(" - ")
}

/// The names, each name that occurs more than once given ` (line N)` (and
/// then, should that still collide, `#k`, its position). Names are counted
/// by reference, and copied only where they change.
fn unique<'a>(named: Vec<(Cow<'a, str>, usize)>) -> Vec<Cow<'a, str>> {
    fn repeated(names: &[Cow<'_, str>]) -> Vec<bool> {
        let mut n: HashMap<&str, u32> = HashMap::with_capacity(names.len());
        for name in names {
            *n.entry(name.as_ref()).or_default() += 1;
        }
        names.iter().map(|name| n.get(name.as_ref()).is_some_and(|c| *c > 1)).collect()
    }
    let (mut names, lines): (Vec<Cow<'a, str>>, Vec<usize>) = named.into_iter().unzip();
    let seen = repeated(&names);
    if !seen.contains(&true) {
        return names;
    }
    for ((name, line), again) in names.iter_mut().zip(&lines).zip(seen) {
        if again {
            let _ = write!(name.to_mut(), " (line {line})");
        }
    }
    let seen = repeated(&names);
    for (k, (name, again)) in names.iter_mut().zip(seen).enumerate() {
        if again {
            let _ = write!(name.to_mut(), " #{}", k + 1);
        }
    }
    names
}

/// Seconds with millisecond precision, as the Surefire time type wants.
pub fn seconds(d: Duration) -> String {
    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
}

fn testcase(out: &mut String, r: &ScenarioResult, name: &str, classname: &str) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        xml::text(name),
        xml::text(classname),
        seconds(r.duration())
    );
    let last = r.attempts.len();
    let mut body = String::new();
    for (i, a) in r.attempts.iter().enumerate() {
        let is_last = i + 1 == last;
        let Some((step, failure)) = a.first_failure() else {
            if r.status == Status::Interrupted && is_last {
                let _ = writeln!(
                    body,
                    "      <error type=\"interrupted\" message=\"the run was interrupted during this scenario\"/>"
                );
            }
            continue;
        };
        let element = match (is_last, r.status, failure.kind) {
            (true, Status::Interrupted, _) => "error",
            (true, _, FailureKind::Assertion) => "failure",
            (true, _, FailureKind::Error) => "error",
            (false, Status::Flaky, FailureKind::Assertion) => "flakyFailure",
            (false, Status::Flaky, FailureKind::Error) => "flakyError",
            (false, _, FailureKind::Assertion) => "rerunFailure",
            (false, _, FailureKind::Error) => "rerunError",
        };
        let kind = match step.status {
            StepStatus::Undefined => "undefined-step",
            StepStatus::Ambiguous => "ambiguous-step",
            _ if failure.kind == FailureKind::Assertion => "assertion",
            _ => "error",
        };
        let detail = format!(
            "{}\n\nat {}:{} ({} {}), attempt {} of {}",
            failure.message, r.scenario.feature_path, step.line, step.keyword, step.text, a.number, last
        );
        let _ = writeln!(
            body,
            "      <{element} type=\"{kind}\" message=\"{}\">{}</{element}>",
            xml::text(&xml::first_line(&failure.message, 500)),
            xml::content(&detail)
        );
    }
    if r.status == Status::NotRun {
        let _ = writeln!(
            body,
            "      <skipped message=\"not run: the run was interrupted before this scenario started\"/>"
        );
    }
    if r.status == Status::NotApplicable {
        let reason = r.scenario.excluded.as_ref().map_or("not applicable", |e| e.reason.as_str());
        let _ = writeln!(body, "      <skipped type=\"not-applicable\" message=\"{}\"/>", xml::text(reason));
    }
    let log = step_log(r);
    if !log.is_empty() {
        let _ = writeln!(body, "      <system-out>{}</system-out>", xml::content(&log));
    }
    if body.is_empty() {
        out.push_str("/>\n");
    } else {
        out.push_str(">\n");
        out.push_str(&body);
        out.push_str("    </testcase>\n");
    }
}

/// The steps of every attempt with their outcome and timing, and the
/// requests each attempt sent (method, path, status; no headers or bodies,
/// which belong in the evidence bundle's transcripts).
fn step_log(r: &ScenarioResult) -> String {
    let mut out = String::new();
    let n = r.attempts.len();
    for a in &r.attempts {
        if n > 1 {
            let _ = writeln!(out, "attempt {} of {n}: {}", a.number, a.status.as_str());
        }
        attempt_log(&mut out, a);
    }
    out
}

fn attempt_log(out: &mut String, a: &Attempt) {
    for s in &a.steps {
        let mark = match s.status {
            StepStatus::Passed => "passed",
            StepStatus::Failed => "FAILED",
            StepStatus::Errored => "ERROR",
            StepStatus::Undefined => "UNDEFINED",
            StepStatus::Ambiguous => "AMBIGUOUS",
            StepStatus::Skipped => "skipped",
        };
        let _ = writeln!(out, "{mark:>9}  {} {}  (line {}, {} ms)", s.keyword, s.text, s.line, s.duration.as_millis());
    }
    for x in &a.exchanges {
        let path = url::Url::parse(&x.request.url).map(|u| u.path().to_owned()).unwrap_or_default();
        let outcome = match (&x.response, &x.error) {
            (Some(resp), _) => resp.status.to_string(),
            (None, Some(_)) => "no response".to_owned(),
            (None, None) => "-".to_owned(),
        };
        let _ = writeln!(out, "     http  {} {path}  {outcome}  ({} ms)", x.request.method, x.duration.as_millis());
    }
}
