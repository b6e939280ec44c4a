//! `certify run`, and the execution it shares with `certify demo`.
//!
//! Stage two of configuration happens here: the CLI arguments and the loaded
//! settings are resolved once into the runner's and the steps' inputs.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use certify_config::Settings;
use certify_evidence::{
    GitInfo, RunInfo,
    attest::keys::{SigningKey, load_signing_key, load_signing_key_file},
    bundle::{BundleError, BundleSpec, BundleWriter},
    manifest,
    stream::{self, Sink, Tee},
};
use certify_runner::{EventSink, RunEvent, RunOptions, RunSummary, ScenarioResult, Status};
use certify_steps::{CredentialSpec, RunContext, SecretSource, SnapshotSettings, TargetSettings};
use certify_suite::{Selection, Suite};

use super::version::{self, PlatformVersion};
use crate::{
    cli::{RunArgs, SelectArgs},
    exit::{CmdResult, Exit, Fatal, OrExit as _, runtime, usage},
    output::{Format, Printer, Style, clip},
    progress::Progress,
    project,
};

pub async fn run(args: RunArgs, printer: &Printer) -> CmdResult {
    let started = Instant::now();
    let settings = project::load_settings(args.config.config.as_deref())?;
    let target_name = match &args.target {
        Some(name) => name.clone(),
        None => settings.default_target().or_usage()?.name.clone(),
    };
    let suite = project::load_suite(&settings)?;
    let catalog = project::load_catalog(&settings)?;
    let git = GitInfo::discover(&settings.root);
    let result = execute(Execution {
        settings: &settings,
        target: &target_name,
        suite,
        git,
        select: &args.select,
        base_url: None,
        secrets: BTreeMap::new(),
        default_out: PathBuf::from("certify-out"),
        catalog,
        signing_key: None,
        json_to_caller: false,
        printer,
        started,
    })
    .await?;
    let (exit, outcome) = result;
    if let Some(at) = &args.archive {
        let location = if at.is_empty() {
            match &settings.evidence.dir {
                certify_config::EvidenceLocation::Local(dir) => dir.display().to_string(),
                certify_config::EvidenceLocation::S3 { bucket, prefix } => {
                    if prefix.is_empty() {
                        format!("s3://{bucket}")
                    } else {
                        format!("s3://{bucket}/{prefix}")
                    }
                }
            }
        } else {
            at.clone()
        };
        // The run's signing key signs the archive's checkpoint too.
        let signer = signing_key(&settings, None, args.select.no_sign)?;
        let archive =
            certify_archive::Archive::open(&location).await.map_err(super::gate::archive_error)?.with_signer(signer);
        let keys: Vec<_> = outcome.signer.iter().cloned().collect();
        let entry =
            archive.add_bundle(&outcome.bundle, &keys, keys.is_empty()).await.map_err(super::gate::archive_error)?;
        printer.note(format!("added to the archive {location} as {}", entry.id));
    }
    Ok(exit)
}

/// What a run produced, for callers that go on (the demo archives and gates it).
pub struct RunOutcome {
    pub bundle: PathBuf,
    pub platform_version: String,
    /// The public key of the key that signed the bundle (none: unsigned).
    pub signer: Option<certify_evidence::attest::PublicKey>,
    /// The run's `--format json` summary, when the caller prints it (`json_to_caller`).
    pub json: Option<serde_json::Value>,
}

/// Everything one run needs, resolved.
pub struct Execution<'a> {
    pub settings: &'a Settings,
    pub target: &'a str,
    pub suite: Suite,
    pub git: GitInfo,
    pub select: &'a SelectArgs,
    /// Overrides the target's base URL (the demo's platform port is only known at run time).
    pub base_url: Option<url::Url>,
    /// Secrets the program supplies itself, by credential name (the demo's operator token).
    pub secrets: BTreeMap<String, String>,
    /// Parent of the default output directory.
    pub default_out: PathBuf,
    /// The feature catalog, when the project has one.
    pub catalog: Option<certify_catalog::Catalog>,
    /// A key the program supplies (the demo's throwaway key); its public half
    /// is written next to the bundle as `<bundle>.pub.pem`.
    pub signing_key: Option<SigningKey>,
    /// With `--format json`, hand the summary to the caller instead of
    /// printing it (the demo adds the archive entry and the gate decision).
    pub json_to_caller: bool,
    pub printer: &'a Printer,
    /// When the command started (before the project was loaded): the
    /// summary's `phases_ms` start there.
    pub started: Instant,
}

/// The signing key of a run: the program's own, `CERTIFY_SIGNING_KEY`, or
/// `[evidence] signing_key`; `--no-sign` for none. No key and no `--no-sign`
/// is a usage error: evidence is signed unless the user says otherwise.
fn signing_key(settings: &Settings, given: Option<SigningKey>, no_sign: bool) -> Result<Option<SigningKey>, Fatal> {
    if no_sign {
        return Ok(None);
    }
    if let Some(key) = given {
        return Ok(Some(key));
    }
    signing_key_from(Some(settings)).map(Some)
}

/// The key from `CERTIFY_SIGNING_KEY` (a path or the PEM itself), else from
/// `[evidence] signing_key` of certify.toml.
pub fn signing_key_from(settings: Option<&Settings>) -> Result<SigningKey, Fatal> {
    // A value that is not UTF-8 (a raw seed, say) is refused by name, never
    // passed over nor shown.
    let not_text = |var: &str| {
        runtime(format!(
            "{var} is not valid UTF-8 (the value is not shown); expected a PKCS#8 PEM private key \
             (a BEGIN PRIVATE KEY line) or the path of one"
        ))
    };
    match std::env::var("CERTIFY_SIGNING_KEY") {
        Ok(value) => return load_signing_key(&value, "CERTIFY_SIGNING_KEY").or_runtime(),
        Err(std::env::VarError::NotUnicode(_)) => return Err(not_text("CERTIFY_SIGNING_KEY")),
        Err(std::env::VarError::NotPresent) => {}
    }
    let configured = settings.and_then(|s| s.evidence.signing_key.as_ref().map(|k| (s, k)));
    match configured {
        Some((s, certify_config::KeyRef::File(path))) => {
            let origin = format!("{} [evidence] signing_key", s.path.display());
            load_signing_key_file(path, &origin).or_runtime()
        }
        Some((s, certify_config::KeyRef::Env(var))) => match std::env::var(var) {
            Ok(value) => load_signing_key(&value, var).or_runtime(),
            Err(std::env::VarError::NotUnicode(_)) => Err(not_text(var)),
            Err(std::env::VarError::NotPresent) => Err(usage(format!(
                "{} [evidence] signing_key: environment variable {var} is not set",
                s.path.display()
            ))),
        },
        None => Err(usage(
            "no signing key: set CERTIFY_SIGNING_KEY (a key file or the PEM itself), or [evidence] signing_key in certify.toml, \
             or pass --no-sign (`certify keygen --out PREFIX` makes a key pair)",
        )),
    }
}

pub async fn execute(mut ex: Execution<'_>) -> Result<(Exit, RunOutcome), Fatal> {
    let printer = ex.printer;
    let mut phases = Phases::new(ex.started);
    let mut target = ex.settings.target(ex.target).or_usage()?.clone();
    if let Some(url) = &ex.base_url {
        target.base_url = url.clone();
    }
    let selection = Selection {
        tags: ex.select.tags.as_deref().map(str::parse).transpose().or_usage()?,
        shard: ex.select.shard.as_deref().map(str::parse).transpose().or_usage()?,
    };
    if ex.select.concurrency == Some(0) {
        return Err(usage("--concurrency must be at least 1"));
    }
    for issue in &ex.suite.issues {
        printer.error(issue.to_string());
    }
    if let Some(c) = &ex.catalog {
        let (_, unknown) = project::feature_links(&ex.suite, c);
        if !unknown.is_empty() {
            let list: Vec<String> = unknown.iter().map(ToString::to_string).collect();
            return Err(usage(format!(
                "scenarios are linked to features the catalog does not have (fix the tag or add the feature):\n  {}",
                list.join("\n  ")
            )));
        }
    }

    // The run's context (its one pooled client, rate limit and credentials)
    // comes first: the version probe is a request of the run.
    let ctx = Arc::new(context(ex.settings, &target, &ex.secrets, ex.select.update_snapshots)?);
    // What is printed from here on is redacted with the credentials and
    // captured values the steps know (and, once it exists, every secret the
    // bundle writer learns).
    let known = ctx.clone();
    printer.redact_with(Box::new(move || known.secrets()));
    // Armed before the probe is sent: from then on a signal ends the run
    // gracefully (before the bundle directory exists, with nothing written).
    let mut stop = crate::signals::stop_armed();
    let probe_redactor = certify_evidence::redact::Redactor::new(
        &ex.settings.evidence.redact_headers,
        &ex.settings.evidence.redact_json,
    )
    .or_runtime()?;
    let platform = tokio::select! {
        platform = version::determine(ex.select.platform_version.as_deref(), &target, &ctx, probe_redactor) => platform?,
        () = &mut stop => {
            return Err(runtime(format!(
                "interrupted while asking target {:?} its version; no scenario ran and no bundle was written",
                target.name
            )));
        }
    };
    if let Some(note) = &platform.note {
        printer.note(format!("note: {note}"));
    }
    // The API description is read at the version under test, through the run's client.
    let api = tokio::select! {
        api = super::api::load(ex.settings, &target, &ctx) => api?,
        () = &mut stop => {
            return Err(runtime(format!(
                "interrupted while reading the API description of target {:?}; no scenario ran and no bundle was written",
                target.name
            )));
        }
    };
    if let Some(api) = &api {
        ctx.set_api(api.description.clone(), api.every);
    }

    let program_key = ex.signing_key.is_some();
    let key = signing_key(ex.settings, ex.signing_key.take(), ex.select.no_sign)?;
    let at_version = semver::Version::parse(&platform.version).ok();
    let applicable = |s: &certify_runner::event::PlannedScenario| {
        let v = at_version.as_ref()?;
        if let (Some(c), Some(id)) = (&ex.catalog, &s.catalog_feature)
            && let Some(absence) = c.get(id).and_then(|f| f.lifecycle.absence_at(v))
        {
            return Some(match absence {
                certify_catalog::Absence::Removed(r) => format!("not applicable at {v}: {id} was removed in {r}"),
                certify_catalog::Absence::NotYet(stage, since) => {
                    format!("not applicable at {v}: {id} arrives as {stage} in {since}")
                }
                certify_catalog::Absence::NoStage => format!("not applicable at {v}: {id} does not exist there"),
            });
        }
        certify_suite::certify_tags([&s.tags[..]]).0.outside_window(v)
    };
    let plan = Arc::new(certify_runner::plan(&ex.suite, &selection, &applicable));

    let run_id = uuid::Uuid::now_v7().to_string();
    let out_dir = match &ex.select.out {
        Some(dir) => dir.clone(),
        None => ex.default_out.join(format!(
            "run-{}-{}",
            humantime::format_rfc3339_seconds(SystemTime::now()).to_string().replace(':', "").trim_end_matches('Z'),
            &run_id[run_id.len() - 8..]
        )),
    };
    let concurrency = ex.select.concurrency.unwrap_or(target.concurrency);
    let public_key = match (program_key, &key) {
        (true, Some(k)) => {
            let path = PathBuf::from(format!("{}.pub.pem", out_dir.display()));
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| runtime(format!("{}: {e}", parent.display())))?;
            }
            std::fs::write(&path, k.public().to_spki_pem()).map_err(|e| runtime(format!("{}: {e}", path.display())))?;
            Some(path)
        }
        _ => None,
    };
    let info = RunInfo {
        run_id: run_id.clone(),
        target: target.name.clone(),
        platform_version: platform.version.clone(),
        git: ex.git.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        signed: key.is_some(),
    };
    // Status, times, counts, verdicts and the API record are filled in when the run ends.
    let header = manifest::Header {
        run_id: run_id.clone(),
        target: manifest::Target { name: target.name.clone(), base_url: target.base_url.to_string() },
        platform: manifest::Platform {
            version: platform.version.clone(),
            source: platform.source.to_owned(),
            probed: platform.probed.clone(),
            reported: platform.reported.clone(),
            note: platform.note.clone(),
            // Set by the bundle writer when it records the probe's exchange.
            transcript: None,
        },
        git: manifest::Git {
            commit: ex.git.commit.clone(),
            branch: ex.git.branch.clone(),
            tags: ex.git.tags.clone(),
            dirty: ex.git.dirty,
            remote: ex.git.remote.clone(),
            source: ex.git.source.to_owned(),
        },
        selection: manifest::Selection { tags: ex.select.tags.clone(), shard: ex.select.shard.clone(), concurrency },
        signature: manifest::SignatureInfo { signed: key.is_some(), key_fingerprint: None },
        ..manifest::Header::default()
    };
    let public = key.as_ref().map(SigningKey::public);
    let signer_fingerprint = public.as_ref().map(|k| format!("SHA256:{}", k.fingerprint()));
    let secrets_ctx = ctx.clone();
    let mut suite_files = project::suite_files(ex.settings, &ex.suite);
    if let Some(api) = &api
        && !suite_files.iter().any(|(name, _)| *name == api.suite_name)
    {
        suite_files.push((api.suite_name.clone(), api.bytes.as_slice().into()));
    }
    let api_record = api.as_ref().map(|api| {
        let usage_ctx = ctx.clone();
        let (source, suite_name, fetched) = (api.source.clone(), api.suite_name.clone(), api.exchange.is_some());
        let ids: Vec<String> =
            ex.catalog.as_ref().map(|c| c.features.iter().map(|f| f.id.clone()).collect()).unwrap_or_default();
        Box::new(move || {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            usage_ctx.api_usage().map(|usage| super::api::record(&usage, &source, &suite_name, fetched, &ids))
        }) as Box<dyn Fn() -> Option<manifest::ApiRecord> + Send>
    });
    let spec = BundleSpec {
        dir: out_dir.clone(),
        header,
        junit: info,
        suite_files,
        redact_headers: ex.settings.evidence.redact_headers.clone(),
        redact_json: ex.settings.evidence.redact_json.clone(),
        body_cap: usize::try_from(ex.settings.evidence.max_body).unwrap_or(usize::MAX),
        signing_key: key,
        secrets: Box::new(move || secrets_ctx.secrets()),
        catalog: ex.catalog.clone(),
        version: at_version.clone(),
        report: Some(report_renderer(signer_fingerprint)),
        api: api_record,
    };
    let read_ctx = ctx.clone();
    let root = std::fs::canonicalize(&ex.settings.root).unwrap_or_else(|_| ex.settings.root.clone());
    let read_files = Box::new(move || {
        read_ctx
            .used_files()
            .into_iter()
            .filter(|p| p.is_file())
            .filter_map(|p| Some((p.strip_prefix(&root).ok()?.to_string_lossy().replace('\\', "/"), p)))
            .collect()
    });
    phases.mark("load");
    let (bundle, writers) = BundleWriter::create(spec, &ex.suite.features).map_err(|e| match e {
        e @ BundleError::Exists { .. } => usage(format!("--out: {e}")),
        e => runtime(e),
    })?;
    let mut bundle = bundle.with_read_files(read_files);
    if let Some(exchange) = &platform.exchange {
        bundle = bundle.with_probe(exchange).map_err(runtime)?;
    }
    if let Some(exchange) = api.as_ref().and_then(|api| api.exchange.as_ref()) {
        bundle = bundle.with_api_fetch(exchange).map_err(runtime)?;
    }
    // Every secret the bundle writer learns from the exchanges is redacted
    // from what is printed too.
    let log = bundle.secret_log();
    printer.redact_with(Box::new(move || log.values()));
    // The writers run on a thread of their own, behind the redaction
    // adapter: the bundle's, the progress bar and the failure log, teed.
    let redact = bundle.redact(Tee::new(writers, Tee::new(Sink(Progress::new()), Sink(FailureLog::default()))));
    // The bodies waiting for the writers stay within one body's cap: memory
    // stays bounded by the bodies of the scenarios in flight, plus one.
    let body_budget = usize::try_from(target.max_body).unwrap_or(usize::MAX);
    let (mut sender, writer) = stream::spawn(redact, body_budget).map_err(runtime)?;
    let options = RunOptions { concurrency };
    phases.mark("prepare");
    let summary = {
        let mut sinks: Vec<&mut dyn EventSink> = vec![&mut sender];
        certify_runner::run(&ex.suite.features, plan.clone(), &options, ctx, &mut sinks, stop).await
    };
    phases.mark("scenarios");
    drop(sender);
    // Nothing reads the suite after its scenarios ran: its text goes before
    // the bundle is finished, the run's most demanding part after the run.
    drop(std::mem::take(&mut ex.suite));
    // What the summary shows of the plan; the plan itself goes before the
    // bundle is finished and checked (at 20,000 scenarios it is megabytes,
    // and they are the run's last peaks).
    let planned = PlannedFacts {
        files: plan.features.len(),
        features: plan
            .scenarios()
            .filter(|s| s.excluded.is_none())
            .filter_map(|s| s.catalog_feature.as_deref())
            .collect::<std::collections::BTreeSet<&str>>()
            .len(),
        broken: plan.load_errors.clone(),
    };
    drop(plan);
    let partial = bundle.partial_dir().to_path_buf();
    let incomplete = |e: BundleError| {
        runtime(format!(
            "the evidence bundle could not be completed ({e}); what was written is in {}",
            partial.display()
        ))
    };
    let (redactor, Tee { left: writers, right: Tee { right: Sink(failures), .. } }, error) =
        writer.join().map_err(incomplete)?.into_parts();
    let outcome = bundle.finish(redactor, writers, error).map_err(incomplete)?;
    phases.mark("bundle");
    let junit_path = outcome.dir.join(certify_evidence::bundle::JUNIT);
    let verified =
        public.as_ref().map(|k| certify_evidence::verify::verify_bundle(&outcome.dir, std::slice::from_ref(k)));

    phases.mark("verify");
    let report = Report {
        run_id: &run_id,
        target: &target,
        platform: &platform,
        git: &ex.git,
        planned: &planned,
        summary: &summary,
        failures: &failures.0,
        broken: &planned.broken,
        junit: &junit_path,
        out_dir: &out_dir,
        features: &outcome.features,
        api: outcome.api.as_ref(),
        signer: public.as_ref().map(|k| format!("SHA256:{}", k.fingerprint())),
        public_key: public_key.clone(),
        verified: verified
            .as_ref()
            .map(|v| (v.valid, v.problems.iter().map(|p| format!("{}: {}", p.file, p.reason)).collect())),
        phases: &phases,
    };
    let json = match ex.select.format {
        Format::Json if ex.json_to_caller => Some(report.json()),
        Format::Json => {
            printer.json(&report.json());
            None
        }
        Format::Text => {
            report.text(printer);
            None
        }
    };
    if verified.as_ref().is_some_and(|v| !v.valid) {
        return Err(runtime("the bundle just written does not verify; see the problems above"));
    }
    let outcome =
        RunOutcome { bundle: outcome.dir.clone(), platform_version: platform.version.clone(), signer: public, json };
    Ok((exit_for(&summary), outcome))
}

/// Renders a bundle's `report.html` as the bundle is signed: it names the
/// signer, and says `certify verify` (or `certify report --key`) checks the
/// signature.
pub fn report_renderer(signer_fingerprint: Option<String>) -> certify_evidence::bundle::ReportRenderer {
    Box::new(move |header, entries, transcripts, out| {
        // Built as the bundle is signed: it names the signer, and says
        // `certify verify` (or `certify report --key`) checks the signature.
        let signature =
            certify_report::Signature { signer: signer_fingerprint.clone(), verified: None, checked_at: None };
        certify_report::write_run_report(out, header, entries, &signature, transcripts)
    })
}

/// A run with a feature file that did not load is FAILED (its summary says so).
fn exit_for(summary: &RunSummary) -> Exit {
    if summary.status.is_pass() { Exit::Success } else { Exit::Failure }
}

/// Stage two for the steps: the target, its credentials and snapshot settings.
fn context(
    settings: &Settings,
    target: &certify_config::TargetSettings,
    secrets: &BTreeMap<String, String>,
    update_snapshots: bool,
) -> Result<RunContext, Fatal> {
    let spec = |c: &certify_config::CredentialSettings| CredentialSpec {
        name: c.name.clone(),
        header: c.header.clone(),
        bearer: c.bearer,
        secret: match secrets.get(&c.name) {
            Some(value) => SecretSource::Value(value.clone()),
            None => match &c.secret {
                certify_config::SecretRef::Env(var) => SecretSource::Env(var.clone()),
                certify_config::SecretRef::File(path) => SecretSource::File(path.clone()),
            },
        },
        origin: c.origin.clone(),
    };
    let steps_target = TargetSettings {
        name: target.name.clone(),
        base_url: target.base_url.clone(),
        headers: target.headers.clone(),
        default_auth: target.auth.as_ref().map(spec),
        timeout: target.timeout,
        max_rps: target.max_rps,
        max_body_bytes: target.max_body,
    };
    let credentials = settings.credentials.values().map(spec).collect();
    let snapshots = SnapshotSettings {
        dir: settings.suite.snapshots_dir.clone(),
        redact: settings.snapshots.redact.clone(),
        update: update_snapshots,
    };
    Ok(RunContext::new(steps_target, credentials, snapshots)
        .and_then(|ctx| ctx.with_secret_fields(&settings.evidence.redact_headers, &settings.evidence.redact_json))
        .or_runtime()?
        .with_project_root(&settings.root))
}

/// Keeps the scenarios that did not pass, for the summary.
#[derive(Default)]
struct FailureLog(Vec<Arc<ScenarioResult>>);

impl EventSink for FailureLog {
    fn on_event(&mut self, event: &RunEvent) {
        if let RunEvent::ScenarioFinished { result } = event
            && matches!(result.status, Status::Failed | Status::Errored | Status::Interrupted | Status::Flaky)
        {
            self.0.push(result.clone());
        }
    }
}

/// Bounds of what one line of the text summary shows of a scenario's name
/// or step, of the target's URL and of a line of a failure message (the
/// JSON summary and the bundle keep them whole).
const NAME_WIDTH: usize = 80;
const URL_WIDTH: usize = 80;
const MESSAGE_WIDTH: usize = 160;

/// What the summary shows of the plan: its feature files, the customer-facing
/// features its selected scenarios name, the files that did not load.
struct PlannedFacts {
    files: usize,
    features: usize,
    broken: Vec<certify_runner::LoadFailure>,
}

struct Report<'a> {
    run_id: &'a str,
    target: &'a certify_config::TargetSettings,
    platform: &'a PlatformVersion,
    git: &'a GitInfo,
    planned: &'a PlannedFacts,
    summary: &'a RunSummary,
    failures: &'a [Arc<ScenarioResult>],
    broken: &'a [certify_runner::LoadFailure],
    junit: &'a Path,
    out_dir: &'a Path,
    features: &'a [certify_catalog::FeatureVerdict],
    api: Option<&'a manifest::ApiRecord>,
    signer: Option<String>,
    public_key: Option<PathBuf>,
    /// The bundle re-verified right after writing: valid, and the problems if not.
    verified: Option<(bool, Vec<String>)>,
    phases: &'a Phases,
}

/// Where a run's time went, phase by phase (the summary's `phases_ms`):
/// `load` (the project, the suite, the version probe, the plan), `prepare`
/// (the bundle's writers: the document and pickles of the messages, JUnit's
/// names), `scenarios`, `bundle` (finishing and signing it) and `verify`
/// (the check after the run).
struct Phases {
    last: Instant,
    done: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn new(started: Instant) -> Phases {
        Phases { last: started, done: Vec::new() }
    }

    /// Ends the phase `name` now.
    fn mark(&mut self, name: &'static str) {
        let now = Instant::now();
        self.done.push((name, now - self.last));
        self.last = now;
    }

    fn json(&self) -> serde_json::Value {
        let ms = |d: &Duration| (d.as_secs_f64() * 1e4).round() / 10.0;
        serde_json::Value::Object(self.done.iter().map(|(name, d)| ((*name).to_owned(), ms(d).into())).collect())
    }
}

/// The API description's part of the summary: coverage, gaps, findings.
fn print_api(p: &Printer, api: &manifest::ApiRecord) {
    let exercised = api.operations.iter().filter(|op| op.exercised).count();
    let checked = if api.checked == "every" { "every response checked" } else { "checked where scenarios ask" };
    p.data("");
    p.data(format!("API description: {} (OpenAPI {}, {checked})", clip(&api.source, URL_WIDTH), api.openapi));
    let findings = match api.findings {
        0 => p.paint("no response broke it", Style::Good),
        1 => p.paint("1 response broke it", Style::Bad),
        n => p.paint(&format!("{n} responses broke it"), Style::Bad),
    };
    p.data(format!("  coverage   {exercised} of {} operations exercised; {findings}", api.operations.len()));
    for op in api.operations.iter().filter(|op| op.findings > 0) {
        p.data(format!(
            "  {}  {}{}  ({} of {} responses)",
            p.paint("broken      ", Style::Bad),
            op.operation,
            op.feature.as_deref().map(|f| format!("  [{f}]")).unwrap_or_default(),
            op.findings,
            op.requests
        ));
    }
    for op in api.gaps() {
        p.data(format!(
            "  {}  {}{}",
            p.paint("gap         ", Style::Warn),
            op.operation,
            op.feature.as_deref().map(|f| format!("  [{f}]")).unwrap_or_default()
        ));
    }
    for u in &api.undocumented {
        let times = if u.count == 1 { String::new() } else { format!(" ({} requests)", u.count) };
        if u.answered == 0 {
            p.data(format!(
                "  {}  {}{times}: not in the description, and the target says it does not exist (404/405)",
                "absent      ", u.request
            ));
            continue;
        }
        let style = if api.checked == "every" { Style::Bad } else { Style::Warn };
        p.data(format!("  {}  {}{times}: not in the description", p.paint("undocumented", style), u.request));
    }
}

impl Report<'_> {
    fn sorted_failures(&self) -> Vec<&Arc<ScenarioResult>> {
        let mut list: Vec<_> = self.failures.iter().collect();
        list.sort_by(|a, b| {
            (&a.scenario.feature_path, a.scenario.line).cmp(&(&b.scenario.feature_path, b.scenario.line))
        });
        list
    }

    fn json(&self) -> serde_json::Value {
        let failures: Vec<serde_json::Value> = self
            .sorted_failures()
            .iter()
            .map(|r| {
                // For a flaky scenario, what failed is in the attempt that failed.
                let attempt = if r.status == Status::Flaky { r.attempts.first() } else { r.last() };
                let first = attempt.and_then(|a| a.first_failure());
                serde_json::json!({
                    "id": r.scenario.id,
                    "name": r.scenario.name,
                    "feature": r.scenario.catalog_feature,
                    "status": r.status.as_str(),
                    "attempts": r.attempts.len(),
                    "step": first.map(|(s, _)| format!("{} {}", s.keyword, s.text)),
                    "line": first.map(|(s, _)| s.line),
                    "message": first.map(|(_, f)| f.message.clone()),
                })
            })
            .collect();
        serde_json::json!({
            "run_id": self.run_id,
            "status": self.summary.status.as_str(),
            "target": { "name": self.target.name, "base_url": self.target.base_url.as_str() },
            "platform": self.platform,
            "git": self.git,
            "counts": self.summary.counts,
            "features": self.features,
            "api": self.api,
            "started_at": certify_runner::event::rfc3339::format(self.summary.started_at),
            "duration_ms": self.summary.duration.as_millis() as u64,
            "phases_ms": self.phases.json(),
            "not_ok": failures,
            "broken_files": self.broken.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "load_errors": self.broken,
            "bundle": {
                "dir": self.out_dir,
                "junit": self.junit,
                "report": self.out_dir.join(certify_evidence::bundle::REPORT),
                "signed": self.signer.is_some(),
                "signer": self.signer,
                "public_key": self.public_key,
                "verified": self.verified.as_ref().map(|(ok, _)| *ok),
                "problems": self.verified.as_ref().map(|(_, p)| p.clone()).unwrap_or_default(),
            },
        })
    }

    fn text(&self, p: &Printer) {
        let s = self.summary;
        let c = &s.counts;
        let verdict = match s.status {
            Status::Passed => p.paint("PASSED", Style::Good),
            Status::Flaky => p.paint("PASSED (flaky)", Style::Warn),
            Status::Interrupted => p.paint("INTERRUPTED", Style::Bad),
            Status::Errored => p.paint("ERRORED", Style::Bad),
            _ => p.paint("FAILED", Style::Bad),
        };
        p.data(format!("certify run {}: {verdict}", self.run_id));
        p.data(format!("  target     {} ({})", self.target.name, clip(self.target.base_url.as_str(), URL_WIDTH)));
        let from = match (self.platform.source, self.platform.reported.as_deref()) {
            ("probe", Some(raw)) if raw != self.platform.version => {
                format!(" (reported by the target as {:?})", clip(raw, URL_WIDTH))
            }
            ("probe", _) => " (reported by the target)".to_owned(),
            ("flag", _) => " (--platform-version)".to_owned(),
            _ => String::new(),
        };
        p.data(format!("  platform   {}{from}", self.platform.version));
        let git = match (&self.git.commit, self.git.source) {
            (Some(_), "build") => format!("{} (embedded suite, built from this revision)", self.git.short()),
            (Some(_), _) => format!(
                "{}{}",
                self.git.short(),
                self.git.branch.as_deref().map(|b| format!(" on {b}")).unwrap_or_default()
            ),
            (None, _) => "not in git".to_owned(),
        };
        p.data(format!("  suite      {git}"));
        let filtered = c.planned - c.selected - c.not_applicable;
        let mut parts = vec![format!("{} passed", c.passed)];
        for (n, what) in [
            (c.flaky, "flaky"),
            (c.failed, "failed"),
            (c.errored, "errored"),
            (c.interrupted, "interrupted"),
            (c.not_run, "not run"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        if c.load_errors > 0 {
            let files = if c.load_errors == 1 { "feature file" } else { "feature files" };
            parts.push(format!("{} {files} did not load", c.load_errors));
        }
        // An interrupted run did not run all it selected: say so.
        let ran = if c.interrupted + c.not_run > 0 { "selected" } else { "run" };
        p.data(format!(
            "  scenarios  {} {ran}{}: {}",
            c.selected,
            match (filtered, c.not_applicable) {
                (0, 0) => String::new(),
                (f, 0) => format!(" ({f} left out by the selection)"),
                (0, n) => format!(" ({n} not applicable at {})", self.platform.version),
                (f, n) => format!(" ({f} left out by the selection, {n} not applicable at {})", self.platform.version),
            },
            parts.join(", ")
        ));
        let (files, features) = (self.planned.files, self.planned.features);
        p.data(format!(
            "  features   {files} file{}, {features} customer-facing feature{}",
            if files == 1 { "" } else { "s" },
            if features == 1 { "" } else { "s" }
        ));
        p.data(format!("  duration   {:.1} s", s.duration.as_secs_f64()));
        if !self.features.is_empty() {
            p.data("");
            p.data(format!("Customer-facing features at {}:", self.platform.version));
            let width = self.features.iter().map(|f| f.id.len()).max().unwrap_or(0);
            for f in self.features {
                let verdict = f.verdict.as_str();
                let style = match f.verdict {
                    certify_catalog::Verdict::Certified => Style::Good,
                    certify_catalog::Verdict::Failed => Style::Bad,
                    certify_catalog::Verdict::Flaky | certify_catalog::Verdict::Untested => Style::Warn,
                    certify_catalog::Verdict::NotApplicable => Style::Plain,
                };
                let maturity = f.maturity.map_or_else(|| "-".to_owned(), |m| m.to_string());
                let critical = if f.tally.critical && !f.reason.contains("(critical)") { " (critical)" } else { "" };
                p.data(format!(
                    "  {}  {:<width$}  {:<10}  {}{critical}",
                    p.paint(&format!("{verdict:<14}"), style),
                    f.id,
                    maturity,
                    f.reason
                ));
            }
        }
        if let Some(api) = self.api {
            print_api(p, api);
        }
        if !self.broken.is_empty() {
            p.data("");
            p.data(p.paint(
                "Feature files that did not load (none of their scenarios ran, so the run cannot pass):",
                Style::Bad,
            ));
            for b in self.broken {
                p.data(format!("  {b}"));
                if !b.features.is_empty() {
                    let names: Vec<String> = b.features.iter().map(|f| format!("@feature:{f}")).collect();
                    p.data(format!("      names {} (not certified)", names.join(", ")));
                }
            }
        }
        let failures = self.sorted_failures();
        if !failures.is_empty() {
            p.data("");
            p.data("Scenarios that did not pass cleanly:");
            for r in failures {
                let tag = match r.status {
                    Status::Flaky => p.paint("flaky", Style::Warn),
                    other => p.paint(other.as_str(), Style::Bad),
                };
                p.data(format!("  {tag}  {}  {}", r.scenario.id, clip(&r.scenario.name, NAME_WIDTH)));
                let attempt = if r.status == Status::Flaky { r.attempts.first() } else { r.last() };
                if let Some((step, f)) = attempt.and_then(|a| a.first_failure()) {
                    let note = if r.status == Status::Flaky {
                        format!(" (attempt 1 of {}, passed later)", r.attempts.len())
                    } else {
                        String::new()
                    };
                    p.data(format!(
                        "      {} {}  (line {}){note}",
                        step.keyword,
                        clip(&step.text, NAME_WIDTH),
                        step.line
                    ));
                    for line in f.message.lines().take(8) {
                        p.data(format!("      | {}", clip(line, MESSAGE_WIDTH)));
                    }
                }
            }
        }
        p.data("");
        p.data(format!("Evidence bundle: {}", self.out_dir.display()));
        match (&self.signer, &self.verified) {
            (Some(signer), Some((true, _))) => p.data(format!("  signed by {signer}, verified")),
            (Some(signer), Some((false, problems))) => {
                p.data(p.paint(&format!("  signed by {signer}, but it does NOT verify:"), Style::Bad));
                for pr in problems {
                    p.data(format!("    {pr}"));
                }
            }
            (Some(signer), None) => p.data(format!("  signed by {signer}")),
            (None, _) => p.data(p.paint("  UNSIGNED (--no-sign): nothing vouches for this bundle", Style::Warn)),
        }
        if let Some(pk) = &self.public_key {
            p.data(format!("  public key: {}", pk.display()));
            p.data(format!("  verify it:  certify verify {} --key {}", self.out_dir.display(), pk.display()));
        }
        p.data(format!("JUnit report: {}", self.junit.display()));
        p.data(format!("Open the report: {}", self.out_dir.join(certify_evidence::bundle::REPORT).display()));
    }
}
