//! `certify report` and `certify serve`: the HTML people read. A bundle's
//! report rebuilt with its signature checked, or the archive as a static
//! site (the feature x platform-version matrix, version and feature pages,
//! every run's report), written to a directory or served on localhost.

use std::{collections::BTreeMap, path::Path, sync::Arc};

use certify_archive::{Archive, Record};
use certify_evidence::{attest::PublicKey, manifest::Manifest, verify::verify_bundle};
use certify_report::{Signature, SiteBundle, SiteDecision, SiteReason, archive_site, write_run_report};

use super::{archive::keys, gate::archive_error};
use crate::{
    cli::{ReportArgs, ServeArgs},
    exit::{CmdResult, Exit, Fatal, OrExit as _, runtime, usage},
    output::Printer,
};

/// A bundle's run report, its signature checked against `keys` when any are given.
pub fn bundle_report(dir: &Path, keys: &[PublicKey]) -> Result<(String, Manifest), Fatal> {
    let text = std::fs::read_to_string(dir.join("bundle.json"))
        .map_err(|e| usage(format!("{}: not a bundle ({e})", dir.display())))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| usage(format!("{}/bundle.json: not a certify manifest ({e})", dir.display())))?;
    let signer = manifest.header.signature.key_fingerprint.clone();
    let (verified, signer) = if keys.is_empty() {
        (None, signer)
    } else {
        let v = verify_bundle(dir, keys);
        (Some(v.valid), v.facts.and_then(|f| f.signer).or(signer))
    };
    let signature = Signature {
        signer,
        verified,
        checked_at: verified.map(|_| humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()),
    };
    let index = certify_evidence::transcripts::TranscriptIndex::new(dir);
    let lookup = |rel: &str, id: &str, attempt: usize| index.lookup(rel, id, attempt);
    let mut page = Vec::new();
    write_run_report(&mut page, &manifest.header, &manifest.scenarios, &signature, &lookup).or_runtime()?;
    Ok((String::from_utf8_lossy(&page).into_owned(), manifest))
}

/// Every page of the archive's site.
async fn site(location: &str, keys: &[PublicKey]) -> Result<Vec<(String, String)>, Fatal> {
    let archive = Archive::open(location).await.map_err(archive_error)?;
    let scratch = tempfile::tempdir().or_runtime()?;
    let mut bundles = Vec::new();
    let mut decisions = Vec::new();
    let mut catalog: Option<(String, String)> = None; // (finished_at, text) of the newest bundle's catalog
    for entry in archive.entries().await.map_err(archive_error)? {
        match &entry.record {
            Record::Bundle(meta) => {
                let dir = scratch.path().join(&entry.id);
                archive.fetch_bundle(&entry.id, &dir).await.map_err(archive_error)?;
                let (report_html, manifest) = bundle_report(&dir, keys)?;
                if catalog.as_ref().is_none_or(|(at, _)| *at < meta.finished_at)
                    && let Some(text) = find_catalog(&dir.join("suite"))
                {
                    catalog = Some((meta.finished_at.clone(), text));
                }
                bundles.push(SiteBundle { id: entry.id.clone(), manifest, report_html });
            }
            Record::Decision(d) => decisions.push(SiteDecision {
                id: entry.id.clone(),
                stage: d.stage.clone(),
                candidate: d.candidate.clone(),
                promote: d.promote,
                added_at: entry.added_at.clone(),
                reasons: super::archive::decision_reasons(&archive, &entry).await.map(|list| {
                    list.into_iter()
                        .map(|r| SiteReason {
                            rule: r.rule.to_string(),
                            severity: r.severity.label().to_ascii_lowercase(),
                            feature: r.feature,
                            bundle: r.bundle,
                            message: r.message,
                        })
                        .collect()
                }),
            }),
        }
    }
    Ok(archive_site(&bundles, &decisions, catalog.as_ref().map(|(_, t)| t.as_str())))
}

/// `catalog.toml` somewhere under a bundle's `suite/` (where the suite kept it).
fn find_catalog(dir: &Path) -> Option<String> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).ok()?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "catalog.toml") {
                return std::fs::read_to_string(p).ok();
            }
        }
    }
    None
}

pub async fn report(args: ReportArgs, printer: &Printer) -> CmdResult {
    let keys = keys(&args.key)?;
    match (&args.bundle, &args.archive) {
        (Some(bundle), None) => {
            let (html, _) = bundle_report(bundle, &keys)?;
            // Never inside the bundle: its report.html is signed with it.
            let out = args.out.clone().unwrap_or_else(|| {
                let mut p = bundle.clone().into_os_string();
                p.push(".report.html");
                std::path::PathBuf::from(p)
            });
            if out.starts_with(bundle) {
                return Err(usage(format!(
                    "--out {}: inside the bundle; its files are signed, write the report elsewhere",
                    out.display()
                )));
            }
            write(&out, &html)?;
            printer.data(format!("report: {}", out.display()));
            Ok(Exit::Success)
        }
        (None, Some(location)) => {
            let out = args.out.clone().ok_or_else(|| usage("--archive needs --out SITE_DIR"))?;
            let pages = site(location, &keys).await?;
            for (rel, html) in &pages {
                write(&out.join(rel), html)?;
            }
            printer.data(format!(
                "site: {} ({} pages); open {}",
                out.display(),
                pages.len(),
                out.join("index.html").display()
            ));
            Ok(Exit::Success)
        }
        _ => Err(usage("give a BUNDLE directory, or --archive DIR|URL with --out SITE_DIR")),
    }
}

fn write(path: &Path, text: &str) -> Result<(), Fatal> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| runtime(format!("{}: {e}", parent.display())))?;
    }
    std::fs::write(path, text).map_err(|e| runtime(format!("{}: {e}", path.display())))
}

pub async fn serve(args: ServeArgs, printer: &Printer) -> CmdResult {
    let keys = keys(&args.key)?;
    let pages: BTreeMap<String, String> = site(&args.archive, &keys).await?.into_iter().collect();
    let pages = Arc::new(pages);
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let pages = pages.clone();
        async move {
            let path = uri.path().trim_start_matches('/');
            let path = if path.is_empty() { "index.html" } else { path };
            match pages.get(path) {
                Some(html) => (
                    axum::http::StatusCode::OK,
                    [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    html.clone(),
                ),
                None => (
                    axum::http::StatusCode::NOT_FOUND,
                    [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    format!("no page {path}"),
                ),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| runtime(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)))?;
    let addr = listener.local_addr().or_runtime()?;
    printer.note(format!("serving the archive {} on http://{addr}/ (Ctrl-C stops)", args.archive));
    axum::serve(listener, app)
        .with_graceful_shutdown(crate::signals::stop_requested())
        .await
        .map_err(|e| runtime(format!("server: {e}")))?;
    Ok(Exit::Success)
}
