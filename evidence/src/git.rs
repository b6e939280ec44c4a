//! The git revision of the suite that ran.
//!
//! Read with libgit2 from the repository that holds the suite. A suite that
//! is not in a git repository is recorded as such (`commit: None`), not an
//! error. Credentials in a remote URL (`https://user:token@host/...`) are
//! removed before the URL is recorded anywhere.

use std::path::Path;

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GitInfo {
    /// Full hex commit id of HEAD; `None` outside git or before the first commit.
    pub commit: Option<String>,
    /// The checked-out branch; `None` when HEAD is detached.
    pub branch: Option<String>,
    /// Tags that point at HEAD.
    pub tags: Vec<String>,
    /// Tracked files modified, or files not ignored and not yet tracked.
    pub dirty: bool,
    /// The `origin` remote's URL (any other remote if there is no origin), without credentials.
    pub remote: Option<String>,
    /// Where the information came from: `repository` (a checkout), `build` (the
    /// revision the binary was built from, for the embedded suite) or `none`.
    pub source: &'static str,
}

impl GitInfo {
    /// No git information: the suite is not in a repository.
    pub fn none() -> GitInfo {
        GitInfo { source: "none", ..GitInfo::default() }
    }

    /// Reads the repository that contains `path` (searching parents).
    pub fn discover(path: &Path) -> GitInfo {
        GitInfo::discover_below(path, None)
    }

    /// As [`GitInfo::discover`], searching no higher than `ceiling`.
    pub fn discover_below(path: &Path, ceiling: Option<&Path>) -> GitInfo {
        let found = git2::Repository::open_ext(path, git2::RepositoryOpenFlags::empty(), ceiling);
        let Ok(repo) = found else {
            return GitInfo::none();
        };
        let mut info = GitInfo { source: "repository", ..GitInfo::default() };
        if let Ok(head) = repo.head() {
            if head.is_branch() {
                info.branch = head.shorthand().ok().map(str::to_owned);
            }
            if let Ok(commit) = head.peel_to_commit() {
                let id = commit.id();
                info.commit = Some(id.to_string());
                if let Ok(names) = repo.tag_names(None) {
                    for name in names.iter().filter_map(|n| n.ok().flatten()) {
                        let target = repo
                            .revparse_single(&format!("refs/tags/{name}"))
                            .and_then(|o| o.peel_to_commit())
                            .map(|c| c.id());
                        if target.is_ok_and(|t| t == id) {
                            info.tags.push(name.to_owned());
                        }
                    }
                }
            }
        } else if let Ok(reference) = repo.find_reference("HEAD")
            && let Ok(Some(target)) = reference.symbolic_target()
        {
            info.branch = target.strip_prefix("refs/heads/").map(str::to_owned);
        }
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true).include_ignored(false).exclude_submodules(true);
        info.dirty = repo.statuses(Some(&mut opts)).map(|s| !s.is_empty()).unwrap_or(false);
        let remote = repo
            .find_remote("origin")
            .ok()
            .or_else(|| {
                let names = repo.remotes().ok()?;
                let first = names.iter().find_map(|n| n.ok().flatten())?.to_owned();
                repo.find_remote(&first).ok()
            })
            .and_then(|r| r.url().ok().map(strip_credentials));
        info.remote = remote;
        info
    }

    /// The short form used in one-line summaries.
    pub fn short(&self) -> String {
        match &self.commit {
            Some(c) => format!("{}{}", &c[..c.len().min(12)], if self.dirty { "-dirty" } else { "" }),
            None => "not in git".to_owned(),
        }
    }
}

/// Removes a password or token from a URL's user info (`https://u:t@h/` -> `https://h/`).
pub fn strip_credentials(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_git_is_recorded_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let info = GitInfo::discover_below(dir.path(), dir.path().parent());
        assert_eq!(info, GitInfo::none());
        assert_eq!(info.short(), "not in git");
    }

    #[test]
    fn reads_commit_branch_tags_dirty_and_remote() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let info = GitInfo::discover(dir.path());
        assert_eq!(info.commit, None, "no commit yet");
        std::fs::write(dir.path().join("a.feature"), "Feature: a\n").unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("a.feature")).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let id = repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[]).unwrap();
        repo.tag_lightweight("v1.0.0", &repo.find_object(id, None).unwrap(), false).unwrap();
        repo.remote("origin", "https://bob:s3cret@git.example.com/suite.git").unwrap();

        let info = GitInfo::discover(dir.path());
        assert_eq!(info.commit.as_deref(), Some(id.to_string().as_str()));
        assert!(info.branch.is_some());
        assert_eq!(info.tags, ["v1.0.0"]);
        assert!(!info.dirty);
        assert_eq!(info.remote.as_deref(), Some("https://git.example.com/suite.git"));

        std::fs::write(dir.path().join("a.feature"), "Feature: changed\n").unwrap();
        assert!(GitInfo::discover(dir.path()).dirty);
    }
}
