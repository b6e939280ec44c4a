//! `certify archive add|list|show|verify|checkpoint`, and `certify gate` (the
//! archive's reader that decides).

use std::path::{Path, PathBuf};

use certify_archive::{Added, Archive, Filter, IndexEntry, Record, checkpoint::SignedCheckpoint, witness::WitnessKey};
use certify_evidence::attest::{PublicKey, SigningKey};

use super::gate::{GateRequest, archive_error};
use crate::{
    cli::{ArchiveArgs, ArchiveCommand, GateArgs, KeyArgs},
    exit::{CmdResult, Exit, Fatal, runtime, usage},
    output::{Format, Printer, Style},
    project,
};

/// `--archive`, else `[evidence] dir` of the project's certify.toml.
fn location(explicit: Option<&str>, config: Option<&Path>) -> Result<String, Fatal> {
    if let Some(l) = explicit {
        return Ok(l.to_owned());
    }
    let settings = project::load_settings(config).map_err(|e| {
        usage(format!("no --archive given and no certify.toml to take [evidence] dir from ({})", e.error))
    })?;
    Ok(match &settings.evidence.dir {
        certify_config::EvidenceLocation::Local(dir) => dir.display().to_string(),
        certify_config::EvidenceLocation::S3 { bucket, prefix } => {
            if prefix.is_empty() {
                format!("s3://{bucket}")
            } else {
                format!("s3://{bucket}/{prefix}")
            }
        }
    })
}

/// `--key` files and the public keys of `--trust DIR`.
pub fn keys(args: &KeyArgs) -> Result<Vec<PublicKey>, Fatal> {
    let mut keys = Vec::new();
    for f in &args.keys {
        keys.push(
            certify_evidence::attest::load_public_key(f)
                .map_err(|e| Fatal { exit: Exit::Failure, error: anyhow::anyhow!("--key {}: {e}", f.display()) })?,
        );
    }
    if let Some(dir) = &args.trust {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| usage(format!("--trust {}: {e}", dir.display())))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "pem"))
            .collect();
        paths.sort();
        keys.extend(paths.iter().filter_map(|p| certify_evidence::attest::load_public_key(p).ok()));
    }
    Ok(keys)
}

/// The key that signs the archive's checkpoint when `archive add` appends: the CLI's signing
/// key (`CERTIFY_SIGNING_KEY` or `[evidence] signing_key`, as `certify run` finds it) when one
/// is configured; else none, and the checkpoint is written unsigned.
fn append_key(config: Option<&Path>) -> Result<Option<SigningKey>, Fatal> {
    let settings = project::load_settings(config).ok();
    let configured = std::env::var_os("CERTIFY_SIGNING_KEY").is_some()
        || settings.as_ref().is_some_and(|s| s.evidence.signing_key.is_some());
    if !configured {
        return Ok(None);
    }
    super::run::signing_key_from(settings.as_ref()).map(Some)
}

pub async fn archive(args: ArchiveArgs, printer: &Printer) -> CmdResult {
    let at = location(args.archive.as_deref(), args.config.as_deref())?;
    match args.command {
        ArchiveCommand::Add { bundle, key, allow_unsigned, format } => {
            let keys = keys(&key)?;
            if keys.is_empty() && !allow_unsigned {
                return Err(usage(
                    "name the signer's public key (--key PUB.pem or --trust DIR) so the bundle can be verified before it is archived",
                ));
            }
            if !bundle.is_dir() {
                return Err(usage(format!("{}: no such bundle directory", bundle.display())));
            }
            let signer = append_key(args.config.as_deref())?;
            let archive = Archive::open(&at).await.map_err(archive_error)?.with_signer(signer);
            let added = match archive.import_bundle(&bundle, &keys, allow_unsigned).await {
                Ok(a) => a,
                Err(e) if e.is_runtime() => return Err(runtime(e)),
                Err(e) => return Err(Fatal { exit: Exit::Failure, error: anyhow::anyhow!("{e}") }),
            };
            let already = matches!(added, Added::AlreadyArchived(_));
            let entry = added.entry();
            match format {
                Format::Json => printer.json(&serde_json::json!({
                    "bundle": bundle.display().to_string(),
                    "result": if already { "already-archived" } else { "added" },
                    "id": entry.id,
                    "line": entry.seq,
                    "entry": entry_json(entry),
                })),
                Format::Text if already => printer.data(format!(
                    "{}: already archived as {} (line {}); nothing added",
                    bundle.display(),
                    entry.id,
                    entry.seq
                )),
                Format::Text => {
                    printer.data(format!("added {} as {} (index line {})", bundle.display(), entry.id, entry.seq));
                    if entry.bundle().is_some_and(|b| b.unsigned_allowed) {
                        printer.data(printer.paint("  recorded as UNSIGNED (--allow-unsigned)", Style::Warn));
                    }
                }
            }
            Ok(Exit::Success)
        }
        ArchiveCommand::List { filter, format } => {
            let archive = Archive::open(&at).await.map_err(archive_error)?;
            let filter = filter.to_filter()?;
            let entries = archive.list(&filter).await.map_err(archive_error)?;
            match format {
                Format::Json => printer.json(&serde_json::Value::Array(entries.iter().map(entry_json).collect())),
                Format::Text => list_text(printer, &entries, filter.feature.as_deref()),
            }
            Ok(Exit::Success)
        }
        ArchiveCommand::Show { id, format } => {
            let archive = Archive::open(&at).await.map_err(archive_error)?;
            let (entry, manifest) = archive.show(&id).await.map_err(archive_error)?;
            // A decision's reasons, from its record (unchecked signature: `archive verify` checks it).
            let reasons = match entry.record {
                Record::Decision(_) => Some(decision_reasons(&archive, &entry).await),
                Record::Bundle(_) => None,
            };
            match format {
                Format::Json => {
                    let mut v = entry_json(&entry);
                    v["manifest"] =
                        manifest.map(|m| serde_json::to_value(&m.header).unwrap_or_default()).unwrap_or_default();
                    match &reasons {
                        Some(Ok(list)) => v["reasons"] = serde_json::to_value(list).unwrap_or_default(),
                        Some(Err(problem)) => v["reasons_error"] = serde_json::json!(problem),
                        None => {}
                    }
                    printer.json(&v);
                }
                Format::Text => {
                    printer.data(serde_json::to_string_pretty(&entry_json(&entry)).unwrap_or_default());
                    if let Some(m) = manifest {
                        printer.data(format!("scenarios: {}", m.scenarios.len()));
                    }
                    match &reasons {
                        Some(Ok(list)) if list.is_empty() => printer.data("reasons: none"),
                        Some(Ok(list)) => {
                            printer.data("reasons:");
                            for r in list {
                                printer.data(super::gate::reason_line(printer, r));
                            }
                        }
                        Some(Err(problem)) => printer.data(format!("reasons: {problem}")),
                        None => {}
                    }
                }
            }
            Ok(Exit::Success)
        }
        ArchiveCommand::Verify { key, checkpoint, witness_key, format } => {
            let keys = keys(&key)?;
            let kept = checkpoint
                .map(|f| std::fs::read_to_string(&f).map_err(|e| usage(format!("--checkpoint {}: {e}", f.display()))))
                .transpose()?;
            let witnesses = witness_key
                .iter()
                .map(|v| WitnessKey::parse(v).map_err(|e| usage(format!("--witness-key {v:?}: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            verify_archive_with(&at, &keys, kept.as_deref(), &witnesses, format, printer).await
        }
        ArchiveCommand::Checkpoint { witness_request: Some(old_size), .. } => {
            let archive = Archive::open(&at).await.map_err(archive_error)?;
            let request = archive.witness_request(old_size).await.map_err(archive_error)?;
            if SignedCheckpoint::parse(&request.note).is_ok_and(|c| c.signatures.is_empty()) {
                printer.note(
                    "warning: the checkpoint is not signed (appended without a signing key): a witness verifies the log's \
                     signature and refuses it",
                );
            }
            // Byte for byte (the printer adds the final newline back).
            let body = request.to_body();
            printer.data(body.strip_suffix('\n').unwrap_or(&body));
            Ok(Exit::Success)
        }
        ArchiveCommand::Checkpoint { witness_request: None, format } => {
            let archive = Archive::open(&at).await.map_err(archive_error)?;
            let snapshot = archive.snapshot().await.map_err(archive_error)?;
            let c = &snapshot.checkpoint;
            match format {
                Format::Json => printer.json(&serde_json::json!({
                    "origin": c.checkpoint.origin,
                    "archive_id": c.archive_id(),
                    "size": c.checkpoint.size,
                    "root": c.checkpoint.root_base64(),
                    "signatures": c.signatures.iter().map(|s| serde_json::json!({
                        "name": s.name,
                        "key_id": s.key_id.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                    })).collect::<Vec<_>>(),
                    "note": snapshot.note,
                })),
                // Exactly as stored (the printer adds the final newline back).
                Format::Text => printer.data(snapshot.note.strip_suffix('\n').unwrap_or(&snapshot.note)),
            }
            Ok(Exit::Success)
        }
    }
}

/// The reasons the decision record of `entry` carries, or why they cannot be shown.
pub async fn decision_reasons(archive: &Archive, entry: &IndexEntry) -> Result<Vec<certify_gate::Reason>, String> {
    let statement = archive.decision_statement(entry).await.map_err(|e| format!("cannot be read: {e}"))?;
    match certify_gate::recorded_reasons(&statement.predicate) {
        Ok(Some(list)) => Ok(list),
        Ok(None) => {
            Err(format!("not recorded (decisions/{}.intoto.jsonl predates records that keep their reasons)", entry.id))
        }
        Err(e) => Err(format!("decisions/{}.intoto.jsonl: {e}", entry.id)),
    }
}

/// A feature's verdicts per platform version, oldest first, and whether they
/// are stable or flaky (a pass after a retry, or outcomes that alternate
/// between passing and failing across runs at the same version).
fn history(p: &Printer, entries: &[IndexEntry], feature: &str) {
    let mut by_version: std::collections::BTreeMap<String, Vec<&str>> = std::collections::BTreeMap::new();
    for b in entries.iter().filter_map(IndexEntry::bundle) {
        if let Some(f) = b.features.iter().find(|x| x.id == feature) {
            by_version.entry(b.platform_version.clone()).or_default().push(f.verdict.as_str());
        }
    }
    p.data(format!("History of {feature}:"));
    for (version, verdicts) in by_version.iter().rev() {
        // Flips between a pass and a failure, in run order.
        let outcomes: Vec<bool> = verdicts
            .iter()
            .filter_map(|v| match *v {
                "certified" => Some(true),
                "failed" => Some(false),
                _ => None,
            })
            .collect();
        let flips = outcomes.windows(2).filter(|w| w[0] != w[1]).count();
        let verdict = if verdicts.contains(&"flaky") {
            p.paint("flaky (passed only after a retry)", Style::Warn)
        } else if flips >= 2 {
            p.paint(&format!("flaky (outcome alternates: {flips} flips across {} runs)", outcomes.len()), Style::Warn)
        } else if outcomes.last() == Some(&false) {
            p.paint(if flips == 1 { "regressed (failing since its last pass)" } else { "failing" }, Style::Bad)
        } else if flips == 1 {
            "fixed (passing since its last failure)".to_owned()
        } else {
            "stable".to_owned()
        };
        p.data(format!("  {version:<10} {}  -> {verdict}", verdicts.join(", ")));
    }
    p.data("");
}

/// An index line as JSON, exactly as stored.
fn entry_json(e: &IndexEntry) -> serde_json::Value {
    serde_json::from_str(&e.to_line()).unwrap_or_default()
}

/// Verifies a whole archive and prints the report.
pub async fn verify_archive(at: &str, keys: &[PublicKey], format: Format, printer: &Printer) -> CmdResult {
    verify_archive_with(at, keys, None, &[], format, printer).await
}

/// [`verify_archive`], also against a checkpoint kept outside the archive.
async fn verify_archive_with(
    at: &str,
    keys: &[PublicKey],
    kept: Option<&str>,
    witnesses: &[WitnessKey],
    format: Format,
    printer: &Printer,
) -> CmdResult {
    if keys.is_empty() {
        return Err(usage("name the trusted public key(s): --key PUB.pem or --trust DIR"));
    }
    let archive = Archive::open(at).await.map_err(archive_error)?;
    let report = match kept {
        Some(note) => archive.verify_witnessed(keys, note, witnesses).await,
        None => archive.verify(keys).await,
    }
    .map_err(archive_error)?;
    match format {
        Format::Json => printer.json(&serde_json::to_value(&report).unwrap_or_default()),
        Format::Text => {
            let head =
                if report.valid { printer.paint("VALID", Style::Good) } else { printer.paint("INVALID", Style::Bad) };
            printer.data(format!(
                "{head}  {}: {} entries ({} bundles, {} decisions), chain head {}",
                report.location,
                report.entries,
                report.bundles,
                report.decisions,
                report.head.as_deref().unwrap_or("-")
            ));
            for (what, c) in [("checkpoint", &report.checkpoint), ("kept checkpoint", &report.kept_checkpoint)] {
                if let Some(c) = c {
                    let signed = if c.signed_by.is_empty() {
                        "unsigned or untrusted".to_owned()
                    } else {
                        format!("signed by {}", c.signed_by.join(", "))
                    };
                    printer.data(format!("  {what}: {} lines, root {} ({signed})", c.size, c.root));
                    for w in &c.cosigned_by {
                        printer.data(format!(
                            "    cosigned by the witness {} at {}",
                            w.witness,
                            posix_time(w.timestamp)
                        ));
                    }
                }
            }
            match &report.consistency {
                Some(p) if p.old_size == p.new_size => {
                    printer.data("  consistent: the kept checkpoint is the archive's checkpoint")
                }
                Some(p) => printer.data(format!(
                    "  consistent: a proof of {} hashes from the index shows the checkpoint ({} lines) extends the kept one ({})",
                    p.proof.len(),
                    p.new_size,
                    p.old_size
                )),
                None => {}
            }
            for p in &report.problems {
                printer.data(format!("  {p}"));
            }
            for w in &report.warnings {
                printer.data(format!("  warning: {w}"));
            }
        }
    }
    Ok(if report.valid { Exit::Success } else { Exit::Failure })
}

/// POSIX seconds as RFC 3339 UTC, or as the number when beyond year 9999 (a witness's clock
/// is not certify's to trust).
fn posix_time(secs: u64) -> String {
    const YEAR_10000: u64 = 253_402_300_800;
    match std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs)) {
        Some(t) if secs < YEAR_10000 => humantime::format_rfc3339(t).to_string(),
        _ => format!("{secs} (POSIX seconds)"),
    }
}

fn list_text(p: &Printer, entries: &[IndexEntry], feature: Option<&str>) {
    if entries.is_empty() {
        p.data("no entries");
        return;
    }
    if let Some(f) = feature {
        history(p, entries, f);
    }
    for e in entries {
        let id = &e.id[..e.id.len().min(12)];
        match &e.record {
            Record::Bundle(b) => {
                let what = match feature.and_then(|f| b.features.iter().find(|x| x.id == f)) {
                    Some(f) => format!("{} {} ({})", f.id, f.verdict, f.maturity.as_deref().unwrap_or("-")),
                    None => b.status.clone(),
                };
                let flaky = if b.flaky_scenarios.is_empty() {
                    String::new()
                } else {
                    format!("  flaky: {}", b.flaky_scenarios.join(", "))
                };
                p.data(format!(
                    "{:>4}  bundle    {id}  {}  {:<10} {:<8} {}  rev {}  {}{}{flaky}",
                    e.seq,
                    b.finished_at,
                    b.target,
                    b.platform_version,
                    what,
                    b.git_commit.as_deref().map_or("-", |c| &c[..c.len().min(12)]),
                    if b.signed { "signed" } else { "UNSIGNED" },
                    if b.complete { "" } else { "  INTERRUPTED" },
                ));
            }
            Record::Decision(d) => p.data(format!(
                "{:>4}  decision  {id}  {}  {} {} -> {}  {}",
                e.seq,
                e.added_at,
                d.stage,
                d.candidate,
                if d.promote { "PROMOTE" } else { "BLOCK" },
                d.rev.as_deref().map(|r| format!("rev {r}")).unwrap_or_default()
            )),
        }
    }
}

/// How a decision record names the policy file: relative to the current directory when it
/// lies inside it (`ci/promotion.toml`), else by its file name alone, so that no record
/// carries the layout of the machine that decided (the policy's sha256 identifies it).
fn policy_uri(policy: &Path) -> String {
    let relative = std::env::current_dir().ok().and_then(|cwd| {
        let absolute = std::fs::canonicalize(policy).ok()?;
        let cwd = std::fs::canonicalize(cwd).ok()?;
        absolute.strip_prefix(cwd).ok().map(Path::to_path_buf)
    });
    let shown = relative.or_else(|| policy.file_name().map(PathBuf::from)).unwrap_or_else(|| policy.to_path_buf());
    shown.to_string_lossy().replace('\\', "/")
}

pub async fn gate(args: GateArgs, printer: &Printer) -> CmdResult {
    let at = location(args.archive.as_deref(), args.config.as_deref())?;
    let extra = keys(&args.key)?;
    let signing_key = if args.no_sign {
        // No record is written, so nothing is appended and nothing needs signing.
        None
    } else {
        let settings = project::load_settings(args.config.as_deref()).ok();
        Some(super::run::signing_key_from(settings.as_ref())?)
    };
    let (exit, _) = super::gate::gate(
        GateRequest {
            policy: &args.policy,
            policy_uri: policy_uri(&args.policy),
            stage: &args.stage,
            candidate: &args.candidate,
            rev: args.rev.as_deref(),
            archive: &at,
            extra_keys: extra,
            signing_key,
            format: args.format,
            show_info: true,
            print: true,
        },
        printer,
    )
    .await?;
    Ok(exit)
}

impl crate::cli::ListFilter {
    fn to_filter(&self) -> Result<Filter, Fatal> {
        let time = |s: &Option<String>, flag: &str| -> Result<Option<std::time::SystemTime>, Fatal> {
            s.as_deref()
                .map(|t| {
                    humantime::parse_rfc3339_weak(t)
                        .map_err(|e| usage(format!("{flag} {t:?}: expected a time like 2026-11-25T09:00:00Z ({e})")))
                })
                .transpose()
        };
        Ok(Filter {
            kind: self.kind.clone(),
            target: self.target.clone(),
            platform_version: self.platform_version.clone(),
            git_rev: self.rev.clone(),
            feature: self.feature.clone(),
            verdict: self.verdict.clone(),
            status: self.result.clone(),
            since: time(&self.since, "--since")?,
            until: time(&self.until, "--until")?,
        })
    }
}
