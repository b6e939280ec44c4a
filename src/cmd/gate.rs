//! `certify gate`: may platform version V be promoted to a stage? The
//! decision itself is `certify_gate::decide`, a pure function; this module
//! is its edge: it reads the policy, loads the trusted keys, turns the
//! archive's bundles at V into evidence (each re-verified against those
//! keys), prints PROMOTE or BLOCK with every reason, and appends a signed
//! decision record (SLSA verification summary) to the archive.

use std::{
    path::{Path, PathBuf},
    time::SystemTime,
};

use certify_archive::{Archive, DecisionMeta, IndexEntry};
use certify_evidence::attest::{
    Envelope, PAYLOAD_TYPE_INTOTO, PublicKey, ResourceDescriptor, SigningKey, Statement, sha256_hex,
};
use certify_gate::{
    ApiEvidence, Candidate, Decision, Evidence, FeatureEvidence, Policy, Reason, Severity, StagePolicy,
};

use crate::{
    exit::{Exit, Fatal, OrExit as _, runtime, usage},
    output::{Format, Printer, Style},
};

/// Everything one gate evaluation needs.
pub struct GateRequest<'a> {
    pub policy: &'a Path,
    /// How the decision record names the policy (its path as given, or where an embedded one came from).
    pub policy_uri: String,
    pub stage: &'a str,
    pub candidate: &'a str,
    pub rev: Option<&'a str>,
    pub archive: &'a str,
    /// Trusted keys beyond the policy's (`--trust`).
    pub extra_keys: Vec<PublicKey>,
    /// Signs the decision record; `None` records nothing (`--no-sign`).
    pub signing_key: Option<SigningKey>,
    pub format: Format,
    /// Show the reasons that only explain which evidence was not used.
    pub show_info: bool,
    /// Print the decision (the demo prints it only in its text output).
    pub print: bool,
}

/// The exit code of an archive error: runtime (3) for the environment; 1 when there is no
/// archive at the location or its checkpoint does not hold (nothing valid to read); else
/// usage (2).
pub fn archive_error(e: certify_archive::ArchiveError) -> Fatal {
    use certify_archive::ArchiveError::{Checkpoint, NoArchive};
    if e.is_runtime() {
        runtime(e)
    } else if matches!(e, NoArchive { .. } | Checkpoint { .. }) {
        Fatal { exit: Exit::Failure, error: anyhow::anyhow!("{e}") }
    } else {
        usage(e)
    }
}

/// The decision, and the decision as JSON (what `--format json` prints).
pub async fn gate(req: GateRequest<'_>, printer: &Printer) -> Result<(Exit, serde_json::Value), Fatal> {
    let policy = Policy::load(req.policy).or_usage()?;
    let stage: StagePolicy = policy.stage(req.stage).or_usage()?.clone();
    let version = semver::Version::parse(req.candidate)
        .map_err(|e| usage(format!("--candidate {:?}: expected a semver version like 2.0.0 ({e})", req.candidate)))?;
    let mut candidate =
        Candidate { stage: req.stage.to_owned(), version, rev: req.rev.map(str::to_owned), api_changes: None };

    let mut keys = req.extra_keys;
    for path in &stage.trusted_keys {
        let k = certify_evidence::attest::load_public_key(path)
            .map_err(|e| usage(format!("{}: trusted_keys of [stage.{}]: {e}", req.policy.display(), req.stage)))?;
        keys.push(k);
    }
    if stage.require_signed && keys.is_empty() {
        return Err(usage(format!(
            "[stage.{}] requires signed evidence but names no trusted key: list trusted_keys in {} or pass --trust PUB.pem",
            req.stage,
            req.policy.display()
        )));
    }
    let trusted: Vec<String> = keys.iter().map(|k| format!("SHA256:{}", k.fingerprint())).collect();

    // The checkpoint first, then the lines it covers: the decision relies on exactly the
    // history the checkpoint describes, and the record cites it.
    let archive = Archive::open(req.archive).await.map_err(archive_error)?.with_signer(
        req.signing_key.as_ref().map(|k| SigningKey::from_pkcs8_pem(&k.to_pkcs8_pem())).transpose().or_runtime()?,
    );
    let snapshot = archive.snapshot().await.map_err(archive_error)?;
    let (evidence, candidate_api) = evidence_at(&archive, &snapshot.entries, &candidate, &keys, &stage).await?;
    if stage.block_breaking_api {
        candidate.api_changes =
            api_changes(&archive, &snapshot.entries, &stage, &candidate, &keys, candidate_api.as_ref()).await?;
    }
    let now = SystemTime::now();
    let decision = certify_gate::decide(&stage, &trusted, &candidate, &evidence, now);

    let policy_bytes = std::fs::read(req.policy).map_err(|e| usage(format!("{}: {e}", req.policy.display())))?;
    let policy_sha256 = sha256_hex(&policy_bytes);
    let record = match &req.signing_key {
        Some(key) => {
            let inputs = relied_on_uris(&decision, &snapshot.entries);
            let line = decision_record(
                &decision,
                &candidate,
                &inputs,
                &req.policy_uri,
                &policy_sha256,
                &snapshot.note,
                key,
                now,
            );
            let meta = DecisionMeta {
                stage: candidate.stage.clone(),
                candidate: candidate.version.to_string(),
                rev: candidate.rev.clone(),
                promote: decision.promote,
                policy_sha256: policy_sha256.clone(),
                inputs: decision.relied_on.clone(),
            };
            let entry = archive.add_decision(line.as_bytes(), meta).await.map_err(archive_error)?;
            Some(format!("{}/{}", archive.location().trim_end_matches('/'), entry.path))
        }
        None => None,
    };

    // The decision as data: `--format json`, and the demo's own JSON.
    let mut json = serde_json::to_value(&decision).unwrap_or_default();
    json["verdict"] = serde_json::json!(if decision.promote { "PROMOTE" } else { "BLOCK" });
    json["candidate"] =
        serde_json::json!({"stage": candidate.stage, "version": candidate.version.to_string(), "rev": candidate.rev});
    json["record"] = serde_json::json!(record);
    json["evidence_considered"] = serde_json::json!(evidence.len());
    json["archive_checkpoint"] = serde_json::json!({
        "origin": snapshot.checkpoint.checkpoint.origin,
        "size": snapshot.checkpoint.checkpoint.size,
        "root": snapshot.checkpoint.checkpoint.root_base64(),
    });
    match req.format {
        _ if !req.print => {}
        Format::Json => printer.json(&json),
        Format::Text => {
            print_text(printer, &decision, &candidate, evidence.len(), record.as_deref(), req.show_info);
            let c = &snapshot.checkpoint.checkpoint;
            printer.data(format!("  archive checkpoint: {} lines, root {} ({})", c.size, c.root_base64(), c.origin));
        }
    }
    let exit = if decision.promote { Exit::Success } else { Exit::Failure };
    Ok((exit, json))
}

fn print_text(p: &Printer, d: &Decision, c: &Candidate, considered: usize, record: Option<&str>, show_info: bool) {
    let head = if d.promote { p.paint("PROMOTE", Style::Good) } else { p.paint("BLOCK", Style::Bad) };
    p.data(format!("{head}  platform {} to {}", c.version, c.stage));
    let infos = d.reasons.iter().filter(|r| r.severity == Severity::Info).count();
    for r in &d.reasons {
        if r.severity == Severity::Info && !show_info {
            continue;
        }
        p.data(reason_line(p, r));
    }
    if infos > 0 && !show_info {
        p.data(format!("  ({infos} earlier runs or notes not used as evidence; `certify gate` lists why)"));
    }
    p.data(format!(
        "  evidence: {} run(s) at {} considered, relied on {}",
        considered,
        c.version,
        if d.relied_on.is_empty() {
            "none".to_owned()
        } else {
            d.relied_on.iter().map(|b| b[..b.len().min(12)].to_owned()).collect::<Vec<_>>().join(", ")
        }
    ));
    if !d.verified_levels.is_empty() {
        p.data(format!("  verified levels: {}", d.verified_levels.join(", ")));
    }
    match record {
        Some(r) => p.data(format!("  decision record: {r}")),
        None => p.data(p.paint("  decision record: not written (--no-sign)", Style::Warn)),
    }
}

/// One reason as the gate prints it (and `archive show` and `verify` of a record repeat it):
/// `  BLOCK  require  feature=quotas  bundle=0123456789ab  message`.
pub fn reason_line(p: &Printer, r: &Reason) -> String {
    let label = match r.severity {
        Severity::Block => p.paint("BLOCK", Style::Bad),
        Severity::Warn => p.paint("WARN ", Style::Warn),
        Severity::Info => "INFO ".to_owned(),
    };
    let mut line = format!("  {label}  {}", r.rule);
    if let Some(f) = &r.feature {
        line.push_str(&format!("  feature={}", one_line(f)));
    }
    if let Some(b) = &r.bundle {
        let short: String = b.chars().take(12).collect();
        line.push_str(&format!("  bundle={}", one_line(&short)));
    }
    line.push_str(&format!("  {}", one_line(&r.message)));
    line
}

/// `text` on one line: quoted and escaped when it holds control characters (a record read
/// back is not trusted to be well-formed).
fn one_line(text: &str) -> String {
    if text.chars().any(char::is_control) { format!("{text:?}") } else { text.to_owned() }
}

/// The API description of a verified run, for comparing versions.
struct RunDescription {
    bundle: String,
    finished_at: SystemTime,
    description: certify_openapi::Description,
    /// The run's catalog features and their maturity at its platform version.
    features: Vec<(String, Option<String>)>,
}

/// A verified bundle's API description, when its run used one.
fn run_description(dir: &Path, bundle: &str, header: &certify_evidence::manifest::Header) -> Option<RunDescription> {
    header.api.as_ref()?;
    let description = super::api::read_description(dir).ok()?;
    Some(RunDescription {
        bundle: bundle.to_owned(),
        finished_at: humantime::parse_rfc3339(&header.finished_at).unwrap_or(SystemTime::UNIX_EPOCH),
        description,
        features: header.features.iter().map(|f| (f.id.clone(), f.maturity.map(|m| m.as_str().to_owned()))).collect(),
    })
}

/// `block_breaking_api`: the candidate's description (from its newest verified run at the
/// candidate version that used one) against the previous certified version's: the highest
/// version below the candidate that this stage PROMOTEd, read from the newest bundle that
/// decision relied on that verifies and used a description. `None` when there is nothing to
/// compare (the gate says so).
async fn api_changes(
    archive: &Archive,
    entries: &[IndexEntry],
    stage: &StagePolicy,
    candidate: &Candidate,
    keys: &[PublicKey],
    current: Option<&RunDescription>,
) -> Result<Option<certify_gate::ApiChanges>, Fatal> {
    let Some(current) = current else { return Ok(None) };
    let previous = entries
        .iter()
        .filter_map(IndexEntry::decision)
        .filter(|d| d.promote && d.stage == stage.name)
        .filter_map(|d| Some((semver::Version::parse(&d.candidate).ok()?, d)))
        .filter(|(v, _)| v.cmp_precedence(&candidate.version) == std::cmp::Ordering::Less)
        .max_by(|(a, _), (b, _)| a.cmp_precedence(b));
    let Some((previous_version, decision)) = previous else { return Ok(None) };
    let scratch = tempfile::tempdir().or_runtime()?;
    for id in decision.inputs.iter().rev() {
        let dir = scratch.path().join(id);
        if archive.fetch_bundle(id, &dir).await.is_err() || !certify_evidence::verify::verify_bundle(&dir, keys).valid {
            continue;
        }
        let Some(header) = std::fs::read_to_string(dir.join(certify_evidence::bundle::MANIFEST))
            .ok()
            .and_then(|t| serde_json::from_str::<certify_evidence::manifest::Header>(&t).ok())
        else {
            continue;
        };
        let Some(old) = run_description(&dir, id, &header) else { continue };
        let ids: Vec<&str> = old.features.iter().chain(&current.features).map(|(id, _)| id.as_str()).collect();
        let diff = certify_openapi::diff::diff(&old.description, &current.description, &ids);
        let breaking = diff
            .changes
            .iter()
            .filter(|c| c.breaking)
            .map(|c| certify_gate::ApiBreak {
                pointer: c.pointer.clone(),
                message: c.message.clone(),
                operations: c.operations.clone(),
                features: c
                    .features
                    .iter()
                    .map(|f| (f.clone(), old.features.iter().find(|(id, _)| id == f).and_then(|(_, m)| m.clone())))
                    .collect(),
            })
            .collect();
        return Ok(Some(certify_gate::ApiChanges { previous_version, previous_bundle: old.bundle, breaking }));
    }
    Ok(None)
}

/// Every bundle of the archive at the candidate version, fetched and
/// verified against the trusted keys, as the gate's evidence; with the API
/// description of the newest of them from the stage's target that verified
/// and used one.
async fn evidence_at(
    archive: &Archive,
    entries: &[IndexEntry],
    candidate: &Candidate,
    keys: &[PublicKey],
    stage: &StagePolicy,
) -> Result<(Vec<Evidence>, Option<RunDescription>), Fatal> {
    let scratch = tempfile::tempdir().or_runtime()?;
    let mut out = Vec::new();
    let mut described: Option<RunDescription> = None;
    for entry in entries {
        let Some(meta) = entry.bundle() else { continue };
        let Ok(version) = semver::Version::parse(&meta.platform_version) else { continue };
        if version != candidate.version {
            continue;
        }
        let dir: PathBuf = scratch.path().join(&entry.id);
        archive.fetch_bundle(&entry.id, &dir).await.map_err(archive_error)?;
        let check = certify_evidence::verify::verify_bundle(&dir, keys);
        // Who signed: the trusted key whose signature verified; else the key the envelope
        // names (a claim, so that the gate can say "not trusted by this stage" rather than
        // "does not verify"); else who the archive recorded as the signer.
        let signed_by = check
            .facts
            .as_ref()
            .and_then(|f| f.signer.clone())
            .or_else(|| claimed_signer(&dir))
            .or_else(|| meta.signer.clone());
        let manifest: Option<certify_evidence::manifest::Manifest> =
            std::fs::read_to_string(dir.join("bundle.json")).ok().and_then(|t| serde_json::from_str(&t).ok());
        let Some(m) = manifest else { continue };
        let finished_at = humantime::parse_rfc3339(&m.header.finished_at).unwrap_or(SystemTime::UNIX_EPOCH);
        if check.valid
            && m.header.target.name == stage.from_target
            && described.as_ref().is_none_or(|d| d.finished_at <= finished_at)
            && let Some(run) = run_description(&dir, &entry.id, &m.header)
        {
            described = Some(run);
        }
        let failed_critical: Vec<(Option<String>, String)> = m
            .scenarios
            .iter()
            .filter(|s| s.critical && s.status.is_failure())
            .map(|s| (s.feature.clone(), s.id.clone()))
            .collect();
        let features = m
            .header
            .features
            .iter()
            .map(|f| FeatureEvidence {
                id: f.id.clone(),
                maturity: f.maturity.map(|x| x.as_str().to_owned()),
                verdict: f.verdict.as_str().to_owned(),
                reason: f.reason.clone(),
                critical: f.tally.critical,
                failed_critical_scenarios: failed_critical
                    .iter()
                    .filter(|(feature, _)| feature.as_deref() == Some(f.id.as_str()))
                    .map(|(_, id)| id.clone())
                    .collect(),
            })
            .collect();
        out.push(Evidence {
            bundle: entry.id.clone(),
            digest: entry.id.clone(),
            target: m.header.target.name.clone(),
            platform_version: version,
            git_commit: m.header.git.commit.clone(),
            finished_at,
            signed_by,
            signature_valid: check.valid,
            complete: m.header.complete,
            features,
            api: m.header.api.as_ref().map(api_evidence),
        });
    }
    Ok((out, described))
}

/// What the gate needs of a run's API record: its findings, and what broke.
fn api_evidence(record: &certify_evidence::manifest::ApiRecord) -> ApiEvidence {
    let mut broken: Vec<String> = record
        .operations
        .iter()
        .filter(|op| op.findings > 0)
        .map(|op| format!("{}: {} of {} responses", op.operation, op.findings, op.requests))
        .collect();
    if record.checked == "every" {
        broken.extend(
            record.undocumented.iter().filter(|u| u.answered > 0).map(|u| format!("undocumented {}", u.request)),
        );
    }
    ApiEvidence { findings: record.findings, broken }
}

/// The fingerprint the bundle's envelope names as its signer (`SHA256:<hex>`), unverified.
fn claimed_signer(dir: &Path) -> Option<String> {
    let bytes = std::fs::read(dir.join(certify_evidence::bundle::ENVELOPE)).ok()?;
    let envelope = Envelope::from_jsonl(&bytes).ok()?;
    envelope.signatures.first()?.claimed_fingerprint().map(|f| format!("SHA256:{f}"))
}

/// The `(uri, sha256)` of each bundle the decision relied on: the archive's name for the file
/// the bundle's id is the digest of, relative to the archive's root (never where the archive
/// happens to be).
fn relied_on_uris(decision: &Decision, entries: &[IndexEntry]) -> Vec<(String, String)> {
    decision
        .relied_on
        .iter()
        .map(|id| {
            let uri = entries
                .iter()
                .find(|e| &e.id == id)
                .and_then(certify_archive::input_uri)
                .unwrap_or_else(|| format!("bundles/{id}"));
            (uri, id.clone())
        })
        .collect()
}

/// The signed decision record: an in-toto Statement whose predicate is the
/// SLSA verification summary with every reason of the decision, in a DSSE
/// envelope (one line of JSON), with the checkpoint of the archive decided on
/// (`checkpoint`, its signed note).
#[allow(clippy::too_many_arguments)]
fn decision_record(
    decision: &Decision,
    candidate: &Candidate,
    inputs: &[(String, String)],
    policy_uri: &str,
    policy_sha256: &str,
    checkpoint: &str,
    key: &SigningKey,
    now: SystemTime,
) -> String {
    let verifier = format!("https://certify.invalid/gate@{}", env!("CARGO_PKG_VERSION"));
    let mut predicate =
        certify_gate::vsa_predicate(decision, candidate, policy_uri, policy_sha256, inputs, &verifier, now);
    certify_archive::embed_checkpoint(&mut predicate, checkpoint);
    let resource = certify_gate::resource_uri(candidate);
    let mut subject = vec![ResourceDescriptor {
        name: Some(resource.clone()),
        digest: std::collections::BTreeMap::from([("sha256".to_owned(), sha256_hex(resource.as_bytes()))]),
        ..ResourceDescriptor::default()
    }];
    if let Some(rev) = &candidate.rev {
        subject.push(ResourceDescriptor {
            digest: std::collections::BTreeMap::from([("gitCommit".to_owned(), rev.clone())]),
            ..ResourceDescriptor::default()
        });
    }
    let statement = Statement {
        type_: certify_evidence::attest::STATEMENT_TYPE.to_owned(),
        subject,
        predicate_type: certify_gate::VSA_PREDICATE_TYPE.to_owned(),
        predicate,
    };
    Envelope::sign(PAYLOAD_TYPE_INTOTO, &statement.to_bytes(), key).to_json_line()
}
