//! Embeds the shipped certification project (certify.toml, features/, ci/)
//! in the binary, so `certify demo` works from any directory, and records
//! the git revision the binary was built from (the revision the embedded
//! suite's evidence reports).

use std::{
    env,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for entry in ["certify.toml", "features", "ci"] {
        let path = root.join(entry);
        println!("cargo:rerun-if-changed={}", path.display());
        collect(&root, &path, &mut files);
    }
    files.sort();
    let mut code = String::from(
        "/// The shipped project: (path relative to the project root, contents).\npub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for rel in &files {
        let abs = root.join(rel);
        let _ = writeln!(code, "    ({rel:?}, include_bytes!({:?})),", abs.display().to_string());
    }
    code.push_str("];\n");

    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).current_dir(&root).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_default();
    let branch = git(&["symbolic-ref", "--short", "-q", "HEAD"]).unwrap_or_default();
    let dirty = git(&["status", "--porcelain", "--untracked-files=normal", "--", "certify.toml", "features", "ci"])
        .is_some_and(|s| !s.is_empty());
    let tags = git(&["tag", "--points-at", "HEAD"]).unwrap_or_default().replace('\n', ",");
    let remote = git(&["remote", "get-url", "origin"]).unwrap_or_default();
    let _ = writeln!(code, "pub const BUILD_GIT_COMMIT: &str = {commit:?};");
    let _ = writeln!(code, "pub const BUILD_GIT_BRANCH: &str = {branch:?};");
    let _ = writeln!(code, "pub const BUILD_GIT_DIRTY: bool = {dirty};");
    let _ = writeln!(code, "pub const BUILD_GIT_TAGS: &str = {tags:?};");
    let _ = writeln!(code, "pub const BUILD_GIT_REMOTE: &str = {remote:?};");
    for git_file in [".git/HEAD", ".git/index", ".git/refs"] {
        let p = root.join(git_file);
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs");
    fs::write(out, code).expect("write embedded.rs");
}

fn collect(root: &Path, path: &Path, out: &mut Vec<String>) {
    if path.is_dir() {
        let Ok(entries) = fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            collect(root, &entry.path(), out);
        }
    } else if path.is_file() {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.ends_with(".snap.new") || name.starts_with('.') {
            return;
        }
        if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}
