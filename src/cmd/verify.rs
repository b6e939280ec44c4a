//! `certify verify`: is this bundle what its signer says it is?

use std::path::{Path, PathBuf};

use certify_evidence::{
    attest::{
        keys::{PublicKey, load_public_key},
        verify_attestation,
    },
    verify::{Verification, verify_bundle},
};

use crate::{
    cli::VerifyArgs,
    exit::{CmdResult, Exit, Fatal, usage},
    output::{Format, Printer, Style},
};

pub async fn verify(args: &VerifyArgs, printer: &Printer) -> CmdResult {
    let keys = trusted_keys(&args.keys, args.trust.as_deref())?;
    if let Err(e) = std::fs::symlink_metadata(&args.path) {
        return Err(usage(format!(
            "{}: {}: expected a bundle directory, a decision record (.intoto.jsonl) or an archive directory",
            args.path.display(),
            io_reason(&e)
        )));
    }
    if args.path.is_file() {
        return verify_decision(&args.path, &keys, args.format, printer);
    }
    if args.path.join(certify_archive::index::INDEX).is_file() {
        // A whole archive: every bundle, every decision, the chain.
        return super::archive::verify_archive(&args.path.to_string_lossy(), &keys, args.format, printer).await;
    }
    let result = verify_bundle(&args.path, &keys);
    match args.format {
        Format::Json => printer.json(&serde_json::to_value(&result).unwrap_or_default()),
        Format::Text => text(&result, printer),
    }
    Ok(if result.valid { Exit::Success } else { Exit::Failure })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        _ => e.to_string(),
    }
}

/// The keys named by `--key` and the `*.pem` public keys in `--trust DIR`. A
/// key file that is missing or not an Ed25519 public key, and a `--trust`
/// directory that is missing or holds no public key, are usage errors (exit
/// 2) naming the file; no message quotes what the file holds.
pub fn trusted_keys(files: &[PathBuf], dir: Option<&Path>) -> Result<Vec<PublicKey>, Fatal> {
    if files.is_empty() && dir.is_none() {
        return Err(usage("name the trusted public key(s): --key PUB.pem (repeatable) or --trust DIR"));
    }
    let mut keys = Vec::new();
    for f in files {
        keys.push(load_public_key(f).map_err(|e| {
            usage(format!(
                "--key {}: {e} (expected an Ed25519 public key, SPKI PEM, as `certify keygen` writes)",
                f.display()
            ))
        })?);
    }
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            usage(format!("--trust {}: {}: expected a directory of public keys (*.pem)", dir.display(), io_reason(&e)))
        })?;
        let mut paths: Vec<PathBuf> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "pem")).collect();
        paths.sort();
        let mut found = 0;
        for p in paths {
            // Private keys and other PEM files in the directory are not trust anchors.
            if let Ok(k) = load_public_key(&p) {
                keys.push(k);
                found += 1;
            }
        }
        if found == 0 {
            return Err(usage(format!(
                "--trust {}: no Ed25519 public key (*.pem, SPKI) in this directory",
                dir.display()
            )));
        }
    }
    Ok(keys)
}

fn text(v: &Verification, p: &Printer) {
    if !v.valid {
        p.data(format!("{}  {}", p.paint("INVALID", Style::Bad), v.bundle));
        for pr in &v.problems {
            p.data(format!("  {}: {}", pr.file, pr.reason));
        }
        return;
    }
    let Some(f) = &v.facts else { return };
    p.data(format!("{}  {}", p.paint("VALID", Style::Good), v.bundle));
    let completeness = if f.complete { "complete run" } else { "INTERRUPTED: incomplete run" };
    let result = match f.result.as_str() {
        "PASSED" => p.paint("PASSED", Style::Good),
        "WARNED" => p.paint("WARNED (flaky)", Style::Warn),
        other => p.paint(other, Style::Bad),
    };
    p.data(format!("  result     {result} ({}, {completeness})", f.status));
    p.data(format!("  run        {} started {}", f.run_id, f.started_at));
    p.data(format!("  target     {} ({})", f.target, f.base_url));
    p.data(format!("  platform   {}", f.platform_version));
    let git = match &f.git_commit {
        Some(c) => format!("{c}{}", if f.git_dirty { " (dirty)" } else { "" }),
        None => "not in git".to_owned(),
    };
    p.data(format!("  revision   {git}"));
    p.data(format!("  signer     {}", f.signer.as_deref().unwrap_or("-")));
    let c = &f.counts;
    let n = |k: &str| c[k].as_u64().unwrap_or(0);
    p.data(format!(
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
    p.data(format!("  files      {} covered by the attestation, all digests match", f.files));
}

/// A gate decision record: one DSSE envelope (`.intoto.jsonl`) of an
/// in-toto Statement with the SLSA verification summary predicate.
fn verify_decision(path: &Path, keys: &[PublicKey], format: Format, p: &Printer) -> CmdResult {
    let shown = path.display().to_string();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| shown.clone());
    let fail = |reason: String| -> CmdResult {
        match format {
            Format::Json => p.json(&serde_json::json!({"record": shown, "valid": false, "problems": [reason]})),
            Format::Text => {
                p.data(format!("{}  {shown}", p.paint("INVALID", Style::Bad)));
                p.data(format!("  {name}: {reason}"));
            }
        }
        Ok(Exit::Failure)
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read: {e}")),
    };
    let (statement, signer) = match verify_attestation(&bytes, keys) {
        Ok(a) => (a.statement, a.signer),
        Err(e) => return fail(e.as_problem()),
    };
    if statement.predicate_type != certify_evidence::attest::VSA_PREDICATE {
        return fail(format!(
            "predicateType is {:?}: not a gate decision record (a bundle is verified by giving its directory)",
            statement.predicate_type
        ));
    }
    let v = &statement.predicate;
    let reasons = match certify_gate::recorded_reasons(v) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let result = v["verificationResult"].as_str().unwrap_or("?").to_owned();
    let fingerprint = format!("SHA256:{}", signer.fingerprint());
    match format {
        Format::Json => p.json(&serde_json::json!({
            "record": shown, "valid": true, "signer": fingerprint, "predicate": statement.predicate,
        })),
        Format::Text => {
            p.data(format!("{}  {shown}", p.paint("VALID", Style::Good)));
            let decision = if result == "PASSED" {
                p.paint("PROMOTE (PASSED)", Style::Good)
            } else {
                p.paint("BLOCK (FAILED)", Style::Bad)
            };
            p.data(format!("  decision   {decision}"));
            p.data(format!("  resource   {}", v["resourceUri"].as_str().unwrap_or("-")));
            p.data(format!("  levels     {}", v["verifiedLevels"]));
            p.data(format!(
                "  policy     {} (sha256 {})",
                v["policy"]["uri"].as_str().unwrap_or("-"),
                v["policy"]["digest"]["sha256"].as_str().unwrap_or("-")
            ));
            p.data(format!(
                "  evidence   {} bundle(s) relied on",
                v["inputAttestations"].as_array().map_or(0, Vec::len)
            ));
            p.data(format!(
                "  verified   {} by {}",
                v["timeVerified"].as_str().unwrap_or("-"),
                v["verifier"]["id"].as_str().unwrap_or("-")
            ));
            p.data(format!("  signer     {fingerprint}"));
            match &reasons {
                None => p.data("  reasons    not recorded (a record written before records kept their reasons)"),
                Some(list) => {
                    p.data(format!("  reasons    {}", list.len()));
                    for r in list {
                        p.data(format!("  {}", super::gate::reason_line(p, r)));
                    }
                }
            }
        }
    }
    Ok(Exit::Success)
}
