//! `certify merge`: the shard bundles of one run made into one signed bundle.
//!
//! The merge itself is `certify_evidence::merge`; here are the edges: the
//! trusted keys (as `certify verify` reads them), the signing key (as `certify
//! run` finds it), the catalog the shards ran with (from their `suite/`), the
//! report renderer, and the summary.

use std::path::Path;

use certify_evidence::{
    attest::keys::SigningKey,
    merge::{MergeError, MergeSpec, Shards},
};

use crate::{
    cli::MergeArgs,
    exit::{CmdResult, Exit, Fatal, OrExit as _, runtime, usage},
    output::{Format, Printer, Style},
};

pub fn merge(args: &MergeArgs, printer: &Printer) -> CmdResult {
    let keys = super::verify::trusted_keys(&args.keys, args.trust.as_deref())?;
    let key: Option<SigningKey> = if args.no_sign {
        None
    } else if std::env::var_os("CERTIFY_SIGNING_KEY").is_some() && args.config.config.is_none() {
        // The variable comes first: no certify.toml needs to load.
        Some(super::run::signing_key_from(None)?)
    } else {
        let settings = project_settings(args.config.config.as_deref())?;
        Some(super::run::signing_key_from(settings.as_ref())?)
    };
    let shards = Shards::open(&args.bundles, &keys).map_err(fatal)?;
    let version = semver::Version::parse(shards.platform_version()).ok();
    let catalog = shard_catalog(&shards.suite_dir())?;
    let signer = key.as_ref().map(|k| format!("SHA256:{}", k.public().fingerprint()));
    let public = key.as_ref().map(SigningKey::public);
    let spec = MergeSpec {
        dir: args.out.clone(),
        run_id: uuid::Uuid::now_v7().to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        signing_key: key,
        catalog,
        version,
        report: Some(super::run::report_renderer(signer.clone())),
    };
    let outcome = shards.merge(spec).map_err(|e| match e {
        e @ MergeError::Bundle(certify_evidence::bundle::BundleError::Exists { .. }) => usage(format!("--out: {e}")),
        e => fatal(e),
    })?;
    let verified = public.map(|k| certify_evidence::verify::verify_bundle(&outcome.dir, std::slice::from_ref(&k)));
    let h = &outcome.header;
    let shard_list: Vec<serde_json::Value> = h
        .shards
        .iter()
        .zip(shards.list())
        .map(|(r, s)| {
            serde_json::json!({
                "shard": r.shard, "run_id": r.run_id, "envelope_sha256": r.envelope_sha256, "bundle": s.dir,
            })
        })
        .collect();
    match args.format {
        Format::Json => printer.json(&serde_json::json!({
            "run_id": h.run_id,
            "status": h.status,
            "result": outcome.result,
            "complete": h.complete,
            "target": h.target,
            "platform": h.platform,
            "git": h.git,
            "counts": h.counts,
            "features": h.features,
            "started_at": h.started_at,
            "finished_at": h.finished_at,
            "shards": shard_list,
            "bundle": {
                "dir": outcome.dir,
                "junit": outcome.dir.join(certify_evidence::bundle::JUNIT),
                "signed": outcome.signed,
                "signer": signer,
                "verified": verified.as_ref().map(|v| v.valid),
                "problems": verified.as_ref().map(|v| v.problems.clone()).unwrap_or_default(),
            },
        })),
        Format::Text => {
            let result = match outcome.result {
                "PASSED" => printer.paint("PASSED", Style::Good),
                "WARNED" => printer.paint("PASSED (flaky)", Style::Warn),
                other => printer.paint(other, Style::Bad),
            };
            printer.data(format!("certify merge {}: {result}", h.run_id));
            printer.data(format!("  target     {} ({})", h.target.name, h.target.base_url));
            printer.data(format!("  platform   {}", h.platform.version));
            printer.data(format!("  suite      {}", h.git.commit.as_deref().unwrap_or("not in git")));
            for (r, s) in h.shards.iter().zip(shards.list()) {
                printer.data(format!("  shard {:<5}run {} ({})", r.shard, r.run_id, s.dir.display()));
            }
            let n = |k: &str| h.counts[k].as_u64().unwrap_or(0);
            printer.data(format!(
                "  scenarios  {} run: {} passed, {} flaky, {} failed, {} errored, {} interrupted, {} not run; {} not applicable",
                n("selected"),
                n("passed"),
                n("flaky"),
                n("failed"),
                n("errored"),
                n("interrupted"),
                n("not_run"),
                n("not_applicable")
            ));
            printer.data("");
            printer.data(format!("Evidence bundle: {}", outcome.dir.display()));
            match (&signer, &verified) {
                (Some(s), Some(v)) if v.valid => printer.data(format!("  signed by {s}, verified")),
                (Some(s), Some(v)) => {
                    printer.data(printer.paint(&format!("  signed by {s}, but it does NOT verify:"), Style::Bad));
                    for p in &v.problems {
                        printer.data(format!("    {}: {}", p.file, p.reason));
                    }
                }
                _ => {
                    printer.data(printer.paint("  UNSIGNED (--no-sign): nothing vouches for this bundle", Style::Warn))
                }
            }
            printer.data(format!("JUnit report: {}", outcome.dir.join(certify_evidence::bundle::JUNIT).display()));
        }
    }
    if verified.as_ref().is_some_and(|v| !v.valid) {
        return Err(runtime("the merged bundle just written does not verify; see the problems above"));
    }
    Ok(if outcome.passed() && h.complete { Exit::Success } else { Exit::Failure })
}

/// Shards that do not verify or belong together are exit 2; failing to
/// write the merged bundle is exit 3.
fn fatal(e: MergeError) -> Fatal {
    if e.is_input() { usage(e) } else { runtime(e) }
}

/// certify.toml for the signing key (`[evidence] signing_key`): the one
/// `--config` names, else the nearest one when there is one. Merging needs
/// no project: `CERTIFY_SIGNING_KEY` is enough.
fn project_settings(explicit: Option<&Path>) -> Result<Option<certify_config::Settings>, Fatal> {
    let cwd = std::env::current_dir().or_runtime()?;
    let found = match certify_config::discover(explicit, &cwd) {
        Ok(path) => path,
        Err(e) if explicit.is_some() => return Err(usage(e)),
        Err(_) => return Ok(None),
    };
    let env = |name: &str| std::env::var(name).ok();
    certify_config::load(&found, &env).map(Some).or_usage()
}

/// The catalog the shards ran with: `[suite] catalog` of the certify.toml in
/// their `suite/` (default `features/catalog.toml`), loaded from `suite/`.
/// None when the suite has no catalog.
fn shard_catalog(suite: &Path) -> Result<Option<certify_catalog::Catalog>, Fatal> {
    let config = suite.join(certify_config::FILE_NAME);
    let path = if config.is_file() {
        let env = |name: &str| std::env::var(name).ok();
        let settings = certify_config::load(&config, &env).map_err(|e| {
            usage(format!(
                "{e}\n  (the shards' certify.toml, read for [suite] catalog: set the variables it interpolates)"
            ))
        })?;
        settings.suite.catalog
    } else {
        suite.join("features").join("catalog.toml")
    };
    if !path.is_file() {
        return Ok(None);
    }
    let real = std::fs::canonicalize(suite).unwrap_or_else(|_| suite.to_path_buf());
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let shown = Path::new("suite").join(path.strip_prefix(&real).unwrap_or(&path));
    if !path.starts_with(&real) {
        return Err(usage(format!(
            "{}: [suite] catalog {} lies outside the shards' suite/",
            config.display(),
            path.display()
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| usage(format!("{}: {e}", shown.display())))?;
    certify_catalog::load_str(&text, &shown).map(Some).or_usage()
}
