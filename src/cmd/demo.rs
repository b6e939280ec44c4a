//! `certify demo`: the whole loop on this machine. Starts the embedded
//! reference platform on a loopback port, runs the embedded shipped suite
//! against it, signs the bundle with a throwaway key (only its public half is
//! written, next to the bundle), verifies it, archives it, gates it and
//! prints where everything is. `--out DIR` keeps all of it under DIR:
//! `DIR/bundle`, `DIR/bundle.pub.pem`, `DIR/archive`.
//! `--serve` keeps the platform running instead, for `certify run --target local`.

use std::collections::BTreeMap;

use certify_refplatform::{PlatformOptions, RunningPlatform};

use super::run::{Execution, execute};
use crate::{
    cli::DemoArgs,
    embedded,
    exit::{CmdResult, Exit, OrExit as _, runtime, usage},
    output::{Format, Printer},
};

/// The target of the shipped certify.toml that points at the reference platform.
const TARGET: &str = "local";
/// The credential of the shipped certify.toml that holds the operator token.
const OPERATOR: &str = "operator";
/// The bundle's name inside `--out DIR` (its key is `bundle.pub.pem`, the archive `archive`).
const BUNDLE: &str = "bundle";

pub async fn demo(mut args: DemoArgs, printer: &Printer) -> CmdResult {
    let started = std::time::Instant::now();
    // `--out DIR` is a folder of everything the demo makes.
    if let Some(dir) = args.select.out.take() {
        args.select.out = Some(dir.join(BUNDLE));
    }
    let version =
        args.select.platform_version.clone().unwrap_or_else(|| certify_refplatform::DEFAULT_VERSION.to_owned());
    let operator_token = format!("op_{}", uuid::Uuid::new_v4().simple());
    let options = PlatformOptions {
        version,
        faults: args.faults.clone(),
        operator_token: operator_token.clone(),
        port: if args.serve { args.port } else { 0 },
    };
    let platform = certify_refplatform::start(options).await.map_err(|e| match e {
        e @ (certify_refplatform::PlatformError::Bind { .. } | certify_refplatform::PlatformError::LocalAddr(_)) => {
            runtime(e)
        }
        e => usage(e),
    })?;

    if args.serve {
        return serve(platform, &operator_token, printer).await;
    }

    let dir = tempfile::Builder::new().prefix("certify-demo-").tempdir().or_runtime()?;
    embedded::extract(dir.path()).map_err(|e| runtime(format!("cannot unpack the shipped suite: {e}")))?;
    let config = dir.path().join(certify_config::FILE_NAME);
    let env = |name: &str| std::env::var(name).ok();
    let settings = certify_config::load(&config, &env).or_usage()?;
    let suite = crate::project::load_suite(&settings)?;
    let catalog = crate::project::load_catalog(&settings)?;
    let base_url = url::Url::parse(&platform.base_url()).or_runtime()?;
    printer.note(format!(
        "reference platform {} listening on {}{}",
        platform.version(),
        platform.base_url(),
        if args.faults.is_empty() { String::new() } else { format!(" with faults: {}", args.faults.join(", ")) }
    ));

    // One throwaway key for the bundle and the decision record; only its
    // public half is ever written.
    let pem = certify_evidence::attest::SigningKey::generate().to_pkcs8_pem();
    let run_key = certify_evidence::attest::SigningKey::from_pkcs8_pem(&pem).or_runtime()?;
    let gate_key = certify_evidence::attest::SigningKey::from_pkcs8_pem(&pem).or_runtime()?;
    let format = args.select.format;
    let archive_at = args.archive.clone();
    let result = execute(Execution {
        settings: &settings,
        target: TARGET,
        suite,
        git: embedded::build_git(),
        select: &args.select,
        base_url: Some(base_url),
        secrets: BTreeMap::from([(OPERATOR.to_owned(), operator_token)]),
        default_out: "certify-out".into(),
        catalog,
        signing_key: Some(run_key),
        json_to_caller: true,
        printer,
        started,
    })
    .await;
    platform.shutdown().await;
    let (exit, outcome) = result?;
    let mut json = outcome.json.clone().unwrap_or_default();
    if args.select.no_sign {
        match format {
            Format::Text => {
                printer.data("");
                printer
                    .data("The bundle is unsigned (--no-sign): it is not archived and no promotion is decided on it.");
            }
            Format::Json => {
                json["archive"] = serde_json::Value::Null;
                json["gate"] = serde_json::Value::Null;
                printer.json(&json);
            }
        }
        return Ok(exit);
    }

    // The promotion loop: the bundle goes into a local archive and the
    // sample policy's `demo` stage decides on it.
    let archive_dir = archive_at.unwrap_or_else(|| {
        outcome
            .bundle
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .join("archive")
    });
    let public = gate_key.public();
    let checkpoint_key = certify_evidence::attest::SigningKey::from_pkcs8_pem(&gate_key.to_pkcs8_pem())
        .map_err(|e| runtime(format!("the demo key: {e}")))?;
    let archive = certify_archive::Archive::open(&archive_dir.to_string_lossy())
        .await
        .map_err(super::gate::archive_error)?
        .with_signer(Some(checkpoint_key));
    let entry = archive
        .add_bundle(&outcome.bundle, std::slice::from_ref(&public), false)
        .await
        .map_err(|e| runtime(format!("archiving the bundle: {e}")))?;
    if format == Format::Text {
        printer.data("");
        printer.data(format!("Archived in {} as {}", archive_dir.display(), &entry.id[..12]));
        printer.data("Promotion gate (ci/promotion.toml, stage demo):");
    }
    let policy = dir.path().join("ci/promotion.toml");
    let (gate_exit, decision) = super::gate::gate(
        super::gate::GateRequest {
            policy: &policy,
            policy_uri: format!("certify:embedded/ci/promotion.toml@{}", embedded::BUILD_GIT_COMMIT),
            stage: "demo",
            candidate: &outcome.platform_version,
            rev: None,
            archive: &archive_dir.to_string_lossy(),
            extra_keys: vec![public],
            signing_key: Some(gate_key),
            format: crate::output::Format::Text,
            show_info: false,
            print: format == Format::Text,
        },
        printer,
    )
    .await?;
    if format == Format::Json {
        json["archive"] = serde_json::json!({
            "dir": archive_dir,
            "id": entry.id,
            "path": archive_dir.join(&entry.path),
        });
        json["gate"] = decision;
        printer.json(&json);
    }
    Ok(if exit == Exit::Success && gate_exit == Exit::Success { Exit::Success } else { Exit::Failure })
}

async fn serve(platform: RunningPlatform, token: &str, printer: &Printer) -> CmdResult {
    printer.note(format!("reference platform {} listening on {}", platform.version(), platform.base_url()));
    printer.note("In another terminal, from a directory with the shipped certify.toml:");
    printer.note(format!("  export CERTIFY_OPERATOR_TOKEN={token}"));
    printer.note("  certify run --target local");
    printer.note("Ctrl-C stops the platform.");
    crate::signals::stop_requested().await;
    platform.shutdown().await;
    Ok(Exit::Success)
}
