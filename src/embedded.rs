//! The shipped certification project for the reference platform, built into
//! the binary (see build.rs), and the revision it was built from.

use std::{io, path::Path};

use certify_evidence::GitInfo;

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Writes the embedded project under `dir`.
pub fn extract(dir: &Path) -> io::Result<()> {
    for (rel, bytes) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
    }
    Ok(())
}

/// The revision the binary (and so the embedded suite) was built from.
pub fn build_git() -> GitInfo {
    if BUILD_GIT_COMMIT.is_empty() {
        return GitInfo::none();
    }
    GitInfo {
        commit: Some(BUILD_GIT_COMMIT.to_owned()),
        branch: (!BUILD_GIT_BRANCH.is_empty()).then(|| BUILD_GIT_BRANCH.to_owned()),
        tags: BUILD_GIT_TAGS.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        dirty: BUILD_GIT_DIRTY,
        remote: (!BUILD_GIT_REMOTE.is_empty()).then(|| certify_evidence::git::strip_credentials(BUILD_GIT_REMOTE)),
        source: "build",
    }
}
