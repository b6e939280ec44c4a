//! The target's API description (PRODUCT.md section 11): fetched from the target through the
//! run's own client at the version under test, or read from a project file; kept in the
//! bundle's `suite/` and described in bundle.json's `api`.

use std::sync::Arc;

use certify_config::{ApiCheck, ApiSource, Settings, TargetSettings};
use certify_evidence::manifest::{ApiOperation, ApiRecord, Undocumented};
use certify_openapi::Description;
use certify_steps::{ApiUsage, Exchange, RunContext};

use crate::cli::{ApiArgs, ApiCommand, ApiDiffArgs, DiffFormat};
use crate::exit::{CmdResult, Exit, Fatal, runtime, usage};
use crate::output::Printer;

/// A description loaded for a run.
pub struct RunApi {
    /// The description.
    pub description: Arc<Description>,
    /// Its exact bytes, kept in `suite/`.
    pub bytes: Vec<u8>,
    /// Its name under `suite/`.
    pub suite_name: String,
    /// Where it was read: `GET <url>` or the project file.
    pub source: String,
    /// Whether every response is checked.
    pub every: bool,
    /// The request that fetched it, when it was fetched.
    pub exchange: Option<Exchange>,
}

/// Loads the target's API description, if it names one. A file that cannot be read or a
/// description that does not parse is a usage error (exit 2) naming the source and the place;
/// a target that does not serve it is a runtime error.
pub async fn load(settings: &Settings, target: &TargetSettings, ctx: &RunContext) -> Result<Option<RunApi>, Fatal> {
    let Some(source) = &target.api else { return Ok(None) };
    let key = format!("targets.{}.api", target.name);
    let (bytes, shown, suite_name, exchange) = match source {
        ApiSource::File(path) => {
            let rel = crate::project::project_name(&settings.root, path).ok_or_else(|| {
                usage(format!(
                    "{key}.file: {} must be a file inside the project ({})",
                    path.display(),
                    settings.root.display()
                ))
            })?;
            let bytes =
                std::fs::read(path).map_err(|e| usage(format!("{key}.file: cannot read {}: {e}", path.display())))?;
            (bytes, rel.clone(), rel, None)
        }
        ApiSource::Path(path) => {
            let exchange =
                certify_steps::send_get(ctx, path).await.map_err(|e| usage(format!("{key}.path: {}", e.message)))?;
            let url = exchange.request.url.clone();
            let response = match (&exchange.response, &exchange.error) {
                (Some(response), None) => response,
                (_, error) => {
                    return Err(runtime(format!(
                        "target {:?} did not serve its API description (GET {url}): {}",
                        target.name,
                        error.as_deref().unwrap_or("no response")
                    )));
                }
            };
            if !(200..300).contains(&response.status) {
                return Err(runtime(format!(
                    "target {:?} answered {} to GET {url}: expected its API description ({key}.path in certify.toml)",
                    target.name, response.status
                )));
            }
            if response.body.cut.is_some() {
                return Err(runtime(format!(
                    "the API description at GET {url} is larger than the target's max_body ({} bytes)",
                    target.max_body
                )));
            }
            let bytes = response.body.bytes.to_vec();
            let json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
            let name = if json { "api-description.json" } else { "api-description.yaml" };
            let exchange = Exchange { step: "API description".to_owned(), ..exchange.clone() };
            (bytes, format!("GET {url}"), name.to_owned(), Some(exchange))
        }
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| usage(format!("{shown}: the API description is not UTF-8 text: {e}")))?;
    let description = Description::parse(&shown, text).map_err(usage)?;
    Ok(Some(RunApi {
        description: Arc::new(description),
        bytes,
        suite_name,
        source: shown,
        every: target.api_check == ApiCheck::Every,
        exchange,
    }))
}

/// bundle.json's `api` for what the run did with its description.
pub fn record(usage: &ApiUsage, source: &str, suite_name: &str, fetched: bool, catalog_ids: &[&str]) -> ApiRecord {
    let description = &usage.description;
    let operations = description
        .operations()
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let requests = usage.requests.get(i).copied().unwrap_or(0);
            ApiOperation {
                operation: op.name(),
                pointer: op.pointer.clone(),
                feature: op.feature(catalog_ids).map(str::to_owned),
                exercised: requests > 0,
                requests,
                findings: usage.findings.get(i).copied().unwrap_or(0),
            }
        })
        .collect();
    ApiRecord {
        source: source.to_owned(),
        file: format!("suite/{suite_name}"),
        transcript: fetched.then(|| certify_evidence::bundle::API_TRANSCRIPT.to_owned()),
        openapi: description.openapi().to_owned(),
        version: description.at("/info/version").and_then(|v| v.as_str()).map(str::to_owned),
        checked: if usage.every { "every" } else { "step" }.to_owned(),
        findings: usage.finding_count(),
        operations,
        undocumented: usage
            .undocumented
            .iter()
            .map(|(request, u)| Undocumented { request: request.clone(), count: u.count, answered: u.answered })
            .collect(),
    }
}

/// `certify api ...`.
pub fn api(args: &ApiArgs, printer: &Printer) -> CmdResult {
    match &args.command {
        ApiCommand::Diff(diff) => api_diff(diff, args.config.config.as_deref(), printer),
    }
}

/// `certify api diff OLD NEW`: exit 1 when anything breaks.
fn api_diff(args: &ApiDiffArgs, config: Option<&std::path::Path>, printer: &Printer) -> CmdResult {
    let old = read_description(&args.old)?;
    let new = read_description(&args.new)?;
    let catalog = catalog_ids(config)?;
    let ids: Vec<&str> = catalog.iter().map(String::as_str).collect();
    let diff = certify_openapi::diff::diff(&old, &new, &ids);
    match args.format {
        DiffFormat::Text => printer.data(diff.text().trim_end()),
        DiffFormat::Markdown => printer.data(diff.markdown().trim_end()),
        DiffFormat::Json => printer.json(&serde_json::to_value(&diff).map_err(runtime)?),
    }
    Ok(if diff.is_breaking() { Exit::Failure } else { Exit::Success })
}

/// The catalog's feature ids, from the project when there is one (`--config`, or certify.toml
/// found upwards); none outside a project.
fn catalog_ids(config: Option<&std::path::Path>) -> Result<Vec<String>, Fatal> {
    let cwd = std::env::current_dir().map_err(runtime)?;
    let Ok(path) = certify_config::discover(config, &cwd) else {
        if config.is_some() {
            // An explicit --config that cannot be found is the user's mistake.
            certify_config::discover(config, &cwd).map_err(usage)?;
        }
        return Ok(Vec::new());
    };
    let env = |name: &str| std::env::var(name).ok();
    let settings = certify_config::load(&path, &env).map_err(usage)?;
    Ok(crate::project::load_catalog(&settings)?
        .map(|c| c.features.iter().map(|f| f.id.clone()).collect())
        .unwrap_or_default())
}

/// A description from a file, or from a bundle (a directory with bundle.json) that captured one.
pub fn read_description(path: &std::path::Path) -> Result<Description, Fatal> {
    let (file, shown) = if path.is_dir() {
        let manifest = path.join(certify_evidence::bundle::MANIFEST);
        let text = std::fs::read_to_string(&manifest)
            .map_err(|e| usage(format!("{}: not a description file nor an evidence bundle: {e}", path.display())))?;
        let header: certify_evidence::manifest::Header = serde_json::from_str(&text)
            .map_err(|e| usage(format!("{}: not a bundle.json certify can read: {e}", manifest.display())))?;
        let api = header.api.ok_or_else(|| {
            usage(format!("{}: the run used no API description (its target names none)", path.display()))
        })?;
        // A name inside the bundle's suite/, and a file there, not a link out of it.
        let inside = api.file.clone();
        let file = path.join(&inside);
        let plain = certify_steps::plain_relative_name(&inside) && inside.starts_with("suite/");
        if !plain || std::fs::symlink_metadata(&file).is_ok_and(|m| !m.is_file()) {
            return Err(usage(format!(
                "{}: api.file {inside:?} is not a file of the bundle's suite/",
                manifest.display()
            )));
        }
        (file, format!("{}/{inside}", path.display()))
    } else {
        (path.to_path_buf(), path.display().to_string())
    };
    let text =
        std::fs::read_to_string(&file).map_err(|e| usage(format!("{shown}: cannot read the API description: {e}")))?;
    Description::parse(&shown, &text).map_err(usage)
}
