//! Synthetic runs written as real bundles: the events of a small run (two scenarios of two
//! catalog features, one of them flaky on request) fed to the real [`BundleWriter`] and signed
//! like any run. The archive's tests and the archive benchmark build their archives of many
//! bundles from these; nothing here is used by a real run.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use certify_runner::{
    EventSink as _, Plan, RunEvent, RunSummary, ScenarioResult, Status,
    event::{Attempt, Counts, PlannedFeature, PlannedScenario},
};

use crate::{
    GitInfo, RunInfo,
    attest::SigningKey,
    bundle::{BundleError, BundleSpec, BundleWriter},
    manifest::{self, Header},
};

/// The catalog of the synthetic suite (kept in its `suite/`).
pub const CATALOG: &str = r#"
[[feature]]
id = "quotas"
title = "Per-plan quotas"
owner = "billing"
lifecycle = { beta = "1.0.0", ga = "2.0.0" }

[[feature]]
id = "usage-export"
title = "Usage export"
owner = "billing"
lifecycle = { alpha = "1.5.0", beta = "2.0.0" }
"#;

/// What the synthetic run looks like.
#[derive(Debug, Clone)]
pub struct SyntheticRun {
    /// Makes the run (its id, commit and times) distinct from others.
    pub seed: usize,
    pub target: String,
    pub version: String,
    /// The usage-export scenario passes only on its second attempt.
    pub flaky: bool,
}

impl SyntheticRun {
    /// A passing run against `staging` at 2.0.0.
    pub fn new(seed: usize) -> SyntheticRun {
        SyntheticRun { seed, target: "staging".into(), version: "2.0.0".into(), flaky: false }
    }
}

/// The spec of a plain unsigned run to write at `dir` (run `run-1` of target `t` at 1.0.0, no
/// catalog, no redaction list, no report), for tests of the writers to adjust field by field.
pub fn blank_spec(dir: &Path) -> BundleSpec {
    BundleSpec {
        dir: dir.to_path_buf(),
        header: Header {
            run_id: "run-1".into(),
            target: manifest::Target { name: "t".into(), base_url: "http://h/".into() },
            platform: manifest::Platform { version: "1.0.0".into(), source: "flag".into(), ..Default::default() },
            git: manifest::Git { source: "none".into(), ..Default::default() },
            selection: manifest::Selection { concurrency: 4, ..Default::default() },
            ..Default::default()
        },
        junit: RunInfo {
            run_id: "run-1".into(),
            target: "t".into(),
            platform_version: "1.0.0".into(),
            git: GitInfo::default(),
            tool_version: "0.1.0".into(),
            signed: false,
        },
        suite_files: vec![],
        redact_headers: vec![],
        redact_json: vec![],
        body_cap: 1 << 16,
        signing_key: None,
        secrets: Box::new(Vec::new),
        catalog: None,
        version: None,
        report: None,
        api: None,
    }
}

/// Writes a complete bundle for `run` at `dir`, signed with `key` (unsigned with `None`).
pub fn write_bundle(dir: &Path, run: &SyntheticRun, key: Option<&SigningKey>) -> Result<PathBuf, BundleError> {
    let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000 + run.seed as u64 * 60);
    let finished = started + Duration::from_millis(1500);
    let run_id = format!("00000000-0000-7000-8000-{:012x}", run.seed);
    let commit = format!("{:040x}", 0xc0ffee_u64 + run.seed as u64);
    let git = GitInfo {
        commit: Some(commit.clone()),
        branch: Some("main".into()),
        tags: vec![],
        dirty: false,
        remote: None,
        source: "repository",
    };
    let header = Header {
        run_id: run_id.clone(),
        target: manifest::Target { name: run.target.clone(), base_url: "http://127.0.0.1:9/".into() },
        platform: manifest::Platform { version: run.version.clone(), source: "flag".into(), ..Default::default() },
        git: manifest::Git {
            commit: Some(commit),
            branch: Some("main".into()),
            source: "repository".into(),
            ..Default::default()
        },
        selection: manifest::Selection { concurrency: 1, ..Default::default() },
        ..Default::default()
    };
    let feature_file = "Feature: Quotas\n  @feature:quotas\n  Scenario: The free plan has a quota\n    Given the variable \"a\" is \"1\"\n";
    let spec = BundleSpec {
        dir: dir.to_path_buf(),
        header,
        junit: RunInfo {
            run_id,
            target: run.target.clone(),
            platform_version: run.version.clone(),
            git,
            tool_version: "0.1.0".into(),
            signed: key.is_some(),
        },
        suite_files: vec![
            ("certify.toml".into(), b"[suite]\nfeatures = \"features\"\n".as_slice().into()),
            ("features/catalog.toml".into(), CATALOG.as_bytes().into()),
            ("features/quotas.feature".into(), feature_file.as_bytes().into()),
        ],
        redact_headers: vec![],
        redact_json: vec![],
        body_cap: 1 << 16,
        signing_key: key.and_then(|k| SigningKey::from_pkcs8_pem(&k.to_pkcs8_pem()).ok()),
        secrets: Box::new(Vec::new),
        catalog: certify_catalog::load_str(CATALOG, Path::new("features/catalog.toml")).ok(),
        version: semver::Version::parse(&run.version).ok(),
        report: None,
        api: None,
    };
    // Synthetic events, no parsed suite: the messages carry no gherkin documents.
    let (mut bundle, writers) = BundleWriter::create(spec, &[])?;
    let mut writer = bundle.redact(writers);
    let scenario = |line: usize, feature: &str, name: &str| {
        Arc::new(PlannedScenario {
            id: format!("features/{feature}.feature:{line}"),
            feature_path: format!("features/{feature}.feature").into(),
            feature_name: feature.into(),
            name: name.into(),
            line,
            tags: vec![format!("feature:{feature}")].into(),
            catalog_feature: Some(feature.into()),
            ..PlannedScenario::default()
        })
    };
    let attempt = |number: usize, status: Status| Attempt {
        number,
        status,
        started_at: started,
        duration: Duration::from_millis(5),
        steps: vec![],
        exchanges: vec![],
    };
    let quotas = scenario(3, "quotas", "The free plan has a quota");
    let export = scenario(7, "usage-export", "Usage exports as CSV");
    let features = [&quotas, &export]
        .iter()
        .map(|s| PlannedFeature {
            path: s.feature_path.to_string(),
            name: s.feature_name.to_string(),
            tags: vec![],
            scenarios: vec![PlannedScenario::clone(s)],
        })
        .collect();
    writer.on_event(&RunEvent::Started { plan: Arc::new(Plan { features, load_errors: Vec::new() }), at: started });
    writer.on_event(&RunEvent::ScenarioFinished {
        result: Arc::new(ScenarioResult {
            scenario: quotas,
            status: Status::Passed,
            attempts: vec![attempt(1, Status::Passed)],
        }),
    });
    let (status, attempts) = if run.flaky {
        (Status::Flaky, vec![attempt(1, Status::Failed), attempt(2, Status::Passed)])
    } else {
        (Status::Passed, vec![attempt(1, Status::Passed)])
    };
    writer.on_event(&RunEvent::ScenarioFinished {
        result: Arc::new(ScenarioResult { scenario: export, status, attempts }),
    });
    let mut counts = Counts { planned: 2, selected: 2, ..Counts::default() };
    counts.add(Status::Passed);
    counts.add(status);
    writer.on_event(&RunEvent::Finished {
        summary: RunSummary {
            status: if run.flaky { Status::Flaky } else { Status::Passed },
            counts,
            interrupted: false,
            started_at: started,
            finished_at: finished,
            duration: finished.duration_since(started).unwrap_or_default(),
        },
    });
    bundle.finish_redacted(writer)?;
    Ok(dir.to_path_buf())
}
