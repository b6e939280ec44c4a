//! The one rule for files a step reads (JSON Schemas, snapshots): they lie
//! inside the project, the directory of certify.toml. `certify lint`, the
//! steps at run time and the bundle's `suite/` all use [`project_file`].
//! And the one rule for a name read from evidence or written into it (a file
//! of a bundle, a transcript, a snapshot name): [`plain_relative_name`].

use std::{
    fs,
    path::{Component, Path, PathBuf},
};

/// A file outside the project, or a path that cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{shown} resolves to {resolved}, outside the project {root} (the directory of certify.toml); steps read only files inside it"
)]
pub struct OutsideProject {
    pub shown: String,
    pub resolved: String,
    pub root: String,
}

/// A name that stays inside the directory it is joined to, whatever the
/// platform: not empty, relative, `/`-separated, no empty, `.` or `..` part,
/// no backslash and no NUL. Bundles, archives, transcripts, the bundle's
/// `suite/` and snapshot names all take names by this one rule.
pub fn plain_relative_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(['\\', '\0'])
        && !name.starts_with('/')
        && !name.split('/').any(|p| p.is_empty() || p == "." || p == "..")
        && Path::new(name).components().all(|c| matches!(c, Component::Normal(_)))
}

/// `path` resolved the way the filesystem will open it (`..` and symbolic
/// links followed, as far as the path exists), when that lies inside
/// `root`. The file itself need not exist.
pub fn project_file(root: &Path, path: &Path) -> Result<PathBuf, OutsideProject> {
    let root_real = fs::canonicalize(root).unwrap_or_else(|_| resolve(root));
    let resolved = resolve(path);
    if resolved.starts_with(&root_real) {
        Ok(resolved)
    } else {
        Err(OutsideProject {
            shown: path.display().to_string(),
            resolved: resolved.display().to_string(),
            root: root_real.display().to_string(),
        })
    }
}

/// Follows the path component by component: each prefix that exists is
/// replaced by its canonical form (symbolic links resolved), so a later
/// `..` leaves the directory a link pointed to, as the kernel would.
fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if let Ok(real) = fs::canonicalize(&out) {
                    out = real;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_names_stay_inside() {
        for ok in ["bundle.json", "suite/features/a b~c.feature", "transcripts/features/x.feature.ndjson", "a..b"] {
            assert!(plain_relative_name(ok), "{ok}");
        }
        for bad in
            ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.", "a/", "a\\..\\b", "c:\\x", "a\0b", "..", "."]
        {
            assert!(!plain_relative_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn dot_dot_and_symlinks_that_leave_the_project_are_outside() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("project");
        fs::create_dir_all(root.join("features/schemas")).unwrap();
        fs::write(root.join("features/schemas/a.json"), "{}").unwrap();
        fs::write(base.path().join("secret.json"), "{}").unwrap();
        std::os::unix::fs::symlink(base.path(), root.join("features/out")).unwrap();
        std::os::unix::fs::symlink(base.path().join("secret.json"), root.join("features/schemas/link.json")).unwrap();

        let inside = project_file(&root, &root.join("features/schemas/../schemas/a.json")).unwrap();
        assert_eq!(inside, fs::canonicalize(root.join("features/schemas/a.json")).unwrap());
        assert!(project_file(&root, &root.join("features/schemas/missing.json")).is_ok(), "need not exist");
        for outside in [
            "features/../../secret.json",
            "features/schemas/link.json",
            "features/out/secret.json",
            "features/out/project/../secret.json",
            "/etc/passwd",
        ] {
            let err = project_file(&root, &root.join(outside)).unwrap_err();
            assert!(err.to_string().contains("outside the project"), "{outside}: {err}");
        }
        // A link that leaves and comes back is inside.
        assert!(project_file(&root, &root.join("features/out/project/features/schemas/a.json")).is_ok());
    }
}
