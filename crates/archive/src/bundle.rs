//! Evidence bundles on the local side of the archive: taking a private snapshot of a bundle
//! directory (so that what is verified is exactly what is uploaded), checking it, and reading
//! the index fields out of it. Blocking file IO; the archive runs it off the async threads.
//!
//! A bundle's file names come from walking its directory and must be plain relative paths
//! (`a/b.json`: no `..`, no `.`, no empty or absolute parts, no backslash, valid UTF-8); a
//! symbolic link or anything but a regular file or directory refuses the whole bundle.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

use certify_evidence::{
    attest::{PublicKey, sha256_hex},
    bundle::{ENVELOPE, MANIFEST, hash_file},
    manifest::Manifest,
    verify::{Problem, verify_bundle},
};
use serde_json::Value;

use crate::{
    error::{ArchiveError, io_err},
    index::{BundleMeta, FeatureSummary},
};

/// A bundle checked and ready to upload: its snapshot directory, files and index fields.
#[derive(Debug)]
pub(crate) struct Checked {
    pub dir: PathBuf,
    pub id: String,
    /// `/`-separated relative names, sorted.
    pub files: Vec<String>,
    pub meta: BundleMeta,
}

pub(crate) fn problem(file: &str, reason: impl Into<String>) -> Problem {
    Problem { file: file.to_owned(), reason: reason.into() }
}

/// A name that stays inside its directory (the one rule, `certify_steps::plain_relative_name`).
pub(crate) use certify_evidence::verify::safe_relative;

/// Every regular file under `root` as a sorted relative name; anything else is a problem.
pub(crate) fn walk(root: &Path) -> (Vec<String>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rel_dir = rel(root, &dir);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(problem(&rel_dir, format!("cannot list this directory: {e}")));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    problems.push(problem(&rel_dir, format!("cannot list this directory: {e}")));
                    continue;
                }
            };
            let path = entry.path();
            let Some(name) = path.strip_prefix(root).ok().and_then(|p| p.to_str()).map(|s| s.replace('\\', "/")) else {
                problems.push(problem(&rel(root, &path), "file name is not valid UTF-8"));
                continue;
            };
            match fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => {
                    problems.push(problem(&name, "symbolic link: a bundle holds regular files only"))
                }
                Ok(m) if m.is_dir() => stack.push(path),
                Ok(m) if m.is_file() => {
                    if safe_relative(&name) {
                        files.push(name);
                    } else {
                        problems.push(problem(&name, "file name is not a plain relative path"));
                    }
                }
                Ok(_) => problems.push(problem(&name, "not a regular file")),
                Err(e) => problems.push(problem(&name, format!("cannot read: {e}"))),
            }
        }
    }
    files.sort();
    (files, problems)
}

fn rel(root: &Path, path: &Path) -> String {
    let r = path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
    if r.is_empty() { ".".to_owned() } else { r }
}

/// Copies the bundle at `src` into `into/<its name>`, refusing symlinks, special files and
/// unsafe names. Returns the copy's directory.
pub(crate) fn snapshot(src: &Path, into: &Path) -> Result<PathBuf, ArchiveError> {
    let meta = fs::symlink_metadata(src).map_err(io_err(src))?;
    if !meta.is_dir() {
        return Err(ArchiveError::InvalidBundle {
            dir: src.to_path_buf(),
            problems: vec![problem(".", "not a directory: a bundle is a directory")],
        });
    }
    let (files, problems) = walk(src);
    if !problems.is_empty() {
        return Err(ArchiveError::InvalidBundle { dir: src.to_path_buf(), problems });
    }
    let name = src.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "bundle".into());
    let dst = into.join(name);
    fs::create_dir_all(&dst).map_err(io_err(&dst))?;
    for f in &files {
        let to = dst.join(f);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        // The walk saw a regular file; a file swapped for a link since is not followed into
        // the copy: `fs::copy` would follow it, so re-check first.
        let from = src.join(f);
        match fs::symlink_metadata(&from) {
            Ok(m) if m.is_file() => {}
            _ => {
                return Err(ArchiveError::InvalidBundle {
                    dir: src.to_path_buf(),
                    problems: vec![problem(f, "changed while being read: no longer a regular file")],
                });
            }
        }
        fs::copy(&from, &to).map_err(io_err(&from))?;
    }
    Ok(dst)
}

/// Whether the bundle is unsigned: no attestation, and its manifest says it was not signed.
pub(crate) fn is_unsigned(dir: &Path) -> bool {
    !dir.join(ENVELOPE).exists()
        && fs::read(dir.join(MANIFEST))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|m| m["signature"]["signed"] == Value::Bool(false))
}

/// The checks an unsigned bundle can have: its manifest parses, and lists every other file
/// of the bundle, no more, no fewer, with the sha256 each has. With the bundle's id being the
/// manifest's sha256, this makes the bundle content-addressed even without a signature.
pub(crate) fn check_unsigned(dir: &Path) -> Vec<Problem> {
    let (files, mut problems) = walk(dir);
    let manifest = match read_manifest(dir) {
        Ok(m) => m,
        Err(p) => {
            problems.push(p);
            return problems;
        }
    };
    if manifest.header.signature.signed {
        problems.push(problem(MANIFEST, "says the bundle is signed, but it carries no attestation"));
    }
    let listed: BTreeMap<&str, &str> = manifest.files.iter().map(|f| (f.path.as_str(), f.sha256.as_str())).collect();
    let present: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    for (name, want) in &listed {
        if !safe_relative(name) {
            problems.push(problem(name, "listed in bundle.json with a name that is not a plain relative path"));
            continue;
        }
        if !present.contains(name) {
            problems.push(problem(name, "missing: bundle.json lists it, the bundle does not have it"));
            continue;
        }
        match hash_file(&dir.join(name)) {
            Ok((got, _)) if got == *want => {}
            Ok((got, _)) => problems.push(problem(name, format!("modified: sha256 is {got}, bundle.json says {want}"))),
            Err(e) => problems.push(problem(name, format!("cannot read: {e}"))),
        }
    }
    for f in &present {
        if *f != MANIFEST && !listed.contains_key(f) {
            problems.push(problem(f, "added: bundle.json does not list this file"));
        }
    }
    problems
}

pub(crate) fn read_manifest(dir: &Path) -> Result<Manifest, Problem> {
    let bytes = fs::read(dir.join(MANIFEST)).map_err(|e| problem(MANIFEST, format!("cannot read: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| problem(MANIFEST, format!("not a certify bundle manifest: {e}")))
}

/// The bundle's id: sha256 of its attestation, or of its manifest when unsigned.
pub(crate) fn bundle_id(dir: &Path, signed: bool) -> Result<String, ArchiveError> {
    let file = dir.join(id_file(signed));
    let bytes = fs::read(&file).map_err(io_err(&file))?;
    Ok(sha256_hex(&bytes))
}

/// The file whose sha256 is a bundle's id: its attestation, or its manifest when unsigned.
pub(crate) fn id_file(signed: bool) -> &'static str {
    if signed { ENVELOPE } else { MANIFEST }
}

/// The index fields of a bundle, read from its manifest. `signer` is the fingerprint of the
/// key whose signature verified, `None` for an unsigned bundle.
pub(crate) fn meta_of(manifest: &Manifest, signer: Option<String>, unsigned_allowed: bool) -> BundleMeta {
    let h = &manifest.header;
    let features = match serde_json::to_value(&h.features) {
        Ok(Value::Array(list)) => list
            .iter()
            .map(|f| FeatureSummary {
                id: f["id"].as_str().unwrap_or_default().to_owned(),
                verdict: f["verdict"].as_str().unwrap_or_default().to_owned(),
                maturity: f["maturity"].as_str().map(str::to_owned),
            })
            .collect(),
        _ => Vec::new(),
    };
    let flaky_scenarios = manifest
        .scenarios
        .iter()
        .filter(|s| s.status == certify_evidence::manifest::Outcome::Flaky)
        .map(|s| s.id.clone())
        .collect();
    BundleMeta {
        run_id: h.run_id.clone(),
        target: h.target.name.clone(),
        platform_version: h.platform.version.clone(),
        git_commit: h.git.commit.clone(),
        status: h.status.clone(),
        complete: h.complete,
        signed: signer.is_some(),
        signer,
        finished_at: h.finished_at.clone(),
        unsigned_allowed,
        features,
        flaky_scenarios,
    }
}

/// Snapshots, verifies and reads the bundle at `src` (blocking). Refuses an invalid bundle,
/// and an unsigned one unless `allow_unsigned`.
pub(crate) fn check(
    src: &Path,
    scratch: &Path,
    keys: &[PublicKey],
    allow_unsigned: bool,
) -> Result<Checked, ArchiveError> {
    let dir = snapshot(src, scratch)?;
    let invalid = |problems: Vec<Problem>| ArchiveError::InvalidBundle { dir: src.to_path_buf(), problems };
    let (signer, unsigned_allowed) = if is_unsigned(&dir) {
        if !allow_unsigned {
            return Err(ArchiveError::Unsigned { dir: src.to_path_buf() });
        }
        let problems = check_unsigned(&dir);
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        (None, true)
    } else {
        let v = verify_bundle(&dir, keys);
        if !v.valid {
            return Err(invalid(v.problems));
        }
        let signer = v.facts.and_then(|f| f.signer);
        if signer.is_none() {
            return Err(invalid(vec![problem(ENVELOPE, "verified, but names no signer")]));
        }
        (signer, false)
    };
    let manifest = read_manifest(&dir).map_err(|p| invalid(vec![p]))?;
    let id = bundle_id(&dir, signer.is_some())?;
    let (files, problems) = walk(&dir);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let meta = meta_of(&manifest, signer, unsigned_allowed);
    Ok(Checked { dir, id, files, meta })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_stay_inside() {
        for ok in ["bundle.json", "suite/features/a.feature", "transcripts/x/1-a.json", "a..b"] {
            assert!(safe_relative(ok), "{ok}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.", "a\\b", "a/"] {
            assert!(!safe_relative(bad), "{bad}");
        }
    }

    #[test]
    fn walk_refuses_symlinks_and_lists_regular_files() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/c.txt"), "c").unwrap();
        fs::write(root.join("top"), "t").unwrap();
        let (files, problems) = walk(root);
        assert_eq!(files, ["a/b/c.txt", "top"]);
        assert!(problems.is_empty());

        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/passwd", root.join("a/link")).unwrap();
            let (files, problems) = walk(root);
            assert_eq!(files, ["a/b/c.txt", "top"]);
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].file, "a/link");
            assert!(problems[0].reason.contains("symbolic link"));
            let err = snapshot(root, tempfile::tempdir().unwrap().path()).unwrap_err();
            assert!(err.to_string().contains("a/link: symbolic link"), "{err}");
        }
    }
}
