//! Response snapshots in insta's `.snap` file format. A snapshot file is a
//! YAML header between two `---` lines (`source:` the feature file,
//! `expression:` the step) followed by the content. The content of a
//! response is its JSON body pretty-printed with keys in received order, after
//! every node selected by a `[snapshots] redact` JSONPath has been replaced by
//! the string `"[redacted]"`; a body that is not JSON is kept as text.
//! Contents compare after trimming trailing whitespace and turning CRLF into
//! LF, as insta does. A missing or different snapshot is an assertion failure
//! with a unified diff; in update mode the new content is also written next
//! to it as `<NAME>.snap.new`, pending review (accepting it is renaming it to
//! `<NAME>.snap`). A matching snapshot never writes anything.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use serde_json_path::JsonPath;

use crate::failure::StepFailure;

/// Replacement for redacted nodes.
pub(crate) const REDACTED: &str = "[redacted]";

/// Most diff lines quoted in a failure message.
const MAX_DIFF_LINES: usize = 80;

/// A `.snap` file: its header fields and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnapFile {
    pub source: String,
    pub expression: String,
    pub content: String,
}

impl SnapFile {
    /// The file's text: the YAML header (values double-quoted, which YAML
    /// reads like JSON strings), then the content and a final newline.
    pub(crate) fn render(&self) -> String {
        format!(
            "---\nsource: {}\nexpression: {}\n---\n{}\n",
            Value::String(self.source.clone()),
            Value::String(self.expression.clone()),
            self.content
        )
    }

    /// Reads a `.snap` file's text; the content is taken as written, minus
    /// the final line break.
    pub(crate) fn parse(text: &str) -> Result<SnapFile, String> {
        let mut lines = text.split_inclusive('\n');
        let first = lines.next().unwrap_or_default();
        if first.trim_end() != "---" {
            return Err("it does not start with a `---` header line".to_owned());
        }
        let mut source = String::new();
        let mut expression = String::new();
        let mut closed = false;
        let mut consumed = first.len();
        for line in lines.by_ref() {
            consumed += line.len();
            let trimmed = line.trim_end();
            if trimmed == "---" {
                closed = true;
                break;
            }
            if let Some((key, value)) = trimmed.split_once(':') {
                match key.trim() {
                    "source" => source = yaml_scalar(value),
                    "expression" => expression = yaml_scalar(value),
                    _ => {}
                }
            }
        }
        if !closed {
            return Err("its header has no closing `---` line".to_owned());
        }
        let content = text.get(consumed.min(text.len())..).unwrap_or_default();
        let content = content.strip_suffix('\n').unwrap_or(content);
        let content = content.strip_suffix('\r').unwrap_or(content);
        Ok(SnapFile { source, expression, content: content.to_owned() })
    }
}

/// A YAML scalar from a header line: double-quoted (JSON-like escapes),
/// single-quoted (`''` for a quote) or plain.
fn yaml_scalar(raw: &str) -> String {
    let raw = raw.trim();
    if raw.starts_with('"')
        && let Ok(Value::String(text)) = serde_json::from_str::<Value>(raw)
    {
        return text;
    }
    if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    raw.to_owned()
}

/// Content as compared: trailing whitespace trimmed, CRLF as LF.
pub(crate) fn normalize(content: &str) -> String {
    content.trim_end().replace("\r\n", "\n")
}

/// The snapshot content of a body: redacted, pretty-printed JSON, or the
/// body as (lossy UTF-8) text when it is not JSON.
pub(crate) fn content_of(body: &[u8], redact: &[JsonPath]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            redact_value(&mut value, redact);
            serde_json::to_string_pretty(&value).unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned())
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

/// Replaces every node selected by any of `paths` with `"[redacted]"`.
pub(crate) fn redact_value(value: &mut Value, paths: &[JsonPath]) {
    for path in paths {
        let pointers: Vec<String> =
            path.query_located(value).locations().map(|location| location.to_json_pointer()).collect();
        for pointer in pointers {
            if let Some(node) = value.pointer_mut(&pointer) {
                *node = Value::String(REDACTED.to_owned());
            }
        }
    }
}

/// `<dir>/<name>.snap`; names are relative paths of plain segments
/// (`tenant`, `tenants/created`), never absolute or with `..`.
pub(crate) fn snapshot_path(dir: &Path, name: &str) -> Result<PathBuf, StepFailure> {
    if !crate::project::plain_relative_name(name) {
        return Err(StepFailure::error(format!(
            "snapshot name \"{name}\" must be a relative path of plain names (letters, digits, `-`, `_`, `.`, \
             `/` between folders), without `..`"
        )));
    }
    Ok(dir.join(format!("{name}.snap")))
}

/// What one snapshot check needs.
pub(crate) struct Check<'a> {
    pub dir: &'a Path,
    pub name: &'a str,
    pub update: bool,
    pub source: String,
    pub expression: String,
    pub content: String,
}

/// Compares `check.content` with the stored snapshot.
pub(crate) fn compare(check: Check<'_>) -> Result<(), StepFailure> {
    let path = snapshot_path(check.dir, check.name)?;
    let shown = path.display();
    let stored = match std::fs::read_to_string(&path) {
        Ok(text) => Some(SnapFile::parse(&text).map_err(|why| {
            StepFailure::error(format!("snapshot file {shown} is not in the insta .snap format: {why}"))
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(StepFailure::error(format!("cannot read snapshot file {shown}: {e}")));
        }
    };
    let actual = normalize(&check.content);
    let expected = stored.as_ref().map(|snap| normalize(&snap.content));
    if expected.as_deref() == Some(actual.as_str()) {
        return Ok(());
    }
    let diff = diff(expected.as_deref().unwrap_or(""), &actual, check.name);
    let mut message = match &expected {
        None => format!("snapshot \"{}\" does not exist ({shown})\n{diff}", check.name),
        Some(_) => format!("response body does not match snapshot \"{}\" ({shown}):\n{diff}", check.name),
    };
    if check.update {
        let pending = path.with_extension("snap.new");
        let file = SnapFile { source: check.source, expression: check.expression, content: actual };
        write_atomically(&pending, &file.render())
            .map_err(|e| StepFailure::error(format!("cannot write pending snapshot {}: {e}", pending.display())))?;
        message.push_str(&format!(
            "\nwrote the new snapshot to {} for review; accept it by renaming it to {}",
            pending.display(),
            path.display()
        ));
    } else {
        message.push_str("\nrun with --update-snapshots to write the new snapshot for review");
    }
    Err(StepFailure::assertion(message))
}

/// A unified line diff, capped for messages.
pub(crate) fn diff(expected: &str, actual: &str, name: &str) -> String {
    let mut expected = expected.to_owned();
    let mut actual = actual.to_owned();
    expected.push('\n');
    actual.push('\n');
    let text_diff = similar::TextDiff::from_lines(&expected, &actual);
    let rendered =
        text_diff.unified_diff().context_radius(3).header(&format!("snapshot {name}"), "response").to_string();
    let lines: Vec<&str> = rendered.lines().collect();
    if lines.len() <= MAX_DIFF_LINES {
        return rendered.trim_end().to_owned();
    }
    format!("{}\n… ({} more diff lines)", lines[..MAX_DIFF_LINES].join("\n"), lines.len() - MAX_DIFF_LINES)
}

/// Writes a file through a temporary sibling and a rename, so that readers
/// never see half of it.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(list: &[&str]) -> Vec<JsonPath> {
        list.iter().map(|p| JsonPath::parse(p).unwrap()).collect()
    }

    #[test]
    fn files_round_trip() {
        let snap = SnapFile {
            source: "features/tenants.feature".to_owned(),
            expression: "the response body matches the snapshot \"tenant\"".to_owned(),
            content: "{\n  \"plan\": \"free\"\n}".to_owned(),
        };
        let text = snap.render();
        assert!(text.starts_with("---\nsource: \"features/tenants.feature\"\nexpression: "), "{text}");
        assert_eq!(SnapFile::parse(&text).unwrap(), snap);
    }

    #[test]
    fn reads_files_written_by_insta() {
        let text = "---\nsource: src/lib.rs\nexpression: \"json!({\\\"a\\\": 1})\"\n---\n{\n  \"a\": 1\n}\n";
        let snap = SnapFile::parse(text).unwrap();
        assert_eq!(snap.source, "src/lib.rs");
        assert_eq!(snap.expression, "json!({\"a\": 1})");
        assert_eq!(snap.content, "{\n  \"a\": 1\n}");
        let quoted = SnapFile::parse("---\nexpression: 'it''s'\n---\nx\n").unwrap();
        assert_eq!(quoted.expression, "it's");
    }

    #[test]
    fn rejects_files_without_a_header() {
        assert!(SnapFile::parse("just text").is_err());
        assert!(SnapFile::parse("---\nsource: x\n").is_err());
    }

    #[test]
    fn json_is_pretty_printed_in_received_order_with_redactions() {
        let body = br#"{"z": 1, "id": "t-123", "a": {"created_at": "now", "items": [{"id": 1}, {"id": 2}]}}"#;
        let content = content_of(body, &paths(&["$.id", "$..created_at", "$.a.items[*].id", "$.nope"]));
        let expected = "{\n  \"z\": 1,\n  \"id\": \"[redacted]\",\n  \"a\": {\n    \"created_at\": \"[redacted]\",\n    \
                        \"items\": [\n      {\n        \"id\": \"[redacted]\"\n      },\n      {\n        \"id\": \"[redacted]\"\n      }\n    ]\n  }\n}";
        assert_eq!(content, expected);
        assert_eq!(content_of(b"plain <b>text</b>", &[]), "plain <b>text</b>");
    }

    #[test]
    fn redaction_of_nested_and_parent_paths_is_safe() {
        let mut value = json!({"a": {"b": 1}});
        redact_value(&mut value, &paths(&["$.a", "$.a.b"]));
        assert_eq!(value, json!({"a": "[redacted]"}));
    }

    #[test]
    fn names_are_plain_relative_paths() {
        let dir = Path::new("snaps");
        assert_eq!(snapshot_path(dir, "tenants/created").unwrap(), Path::new("snaps/tenants/created.snap"));
        for bad in ["", "../x", "/abs", "a//b", "a\\b", "a/./b"] {
            assert!(snapshot_path(dir, bad).is_err(), "{bad}");
        }
    }

    fn check<'a>(dir: &'a Path, update: bool, content: &str) -> Check<'a> {
        Check {
            dir,
            name: "tenant",
            update,
            source: "t.feature".to_owned(),
            expression: "step".to_owned(),
            content: content.to_owned(),
        }
    }

    #[test]
    fn missing_and_different_snapshots_fail_with_a_diff() {
        let dir = tempfile::tempdir().unwrap();
        let err = compare(check(dir.path(), false, "{\n  \"a\": 1\n}")).unwrap_err();
        assert!(err.is_assertion());
        assert!(err.message.contains("snapshot \"tenant\" does not exist"), "{}", err.message);
        assert!(err.message.contains("+  \"a\": 1"), "{}", err.message);
        assert!(!dir.path().join("tenant.snap.new").exists());

        std::fs::write(
            dir.path().join("tenant.snap"),
            SnapFile {
                source: "t.feature".to_owned(),
                expression: "step".to_owned(),
                content: "{\n  \"a\": 1\n}".to_owned(),
            }
            .render(),
        )
        .unwrap();
        assert_eq!(compare(check(dir.path(), true, "{\n  \"a\": 1\n}\n\n")), Ok(()));
        assert!(!dir.path().join("tenant.snap.new").exists(), "a match writes nothing");

        let err = compare(check(dir.path(), false, "{\n  \"a\": 2\n}")).unwrap_err();
        assert!(err.message.contains("-  \"a\": 1\n+  \"a\": 2"), "{}", err.message);
        assert!(err.message.contains("--update-snapshots"), "{}", err.message);
    }

    #[test]
    fn update_mode_writes_a_pending_snapshot_that_can_be_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let err = compare(check(dir.path(), true, "hello")).unwrap_err();
        let pending = dir.path().join("tenant.snap.new");
        assert!(err.message.contains("tenant.snap.new for review"), "{}", err.message);
        let written = SnapFile::parse(&std::fs::read_to_string(&pending).unwrap()).unwrap();
        assert_eq!(written.content, "hello");
        assert_eq!(written.source, "t.feature");
        std::fs::rename(&pending, dir.path().join("tenant.snap")).unwrap();
        assert_eq!(compare(check(dir.path(), false, "hello")), Ok(()));
    }

    #[test]
    fn insta_reads_the_files_written_here() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tenant.snap");
        let snap = SnapFile {
            source: "features/t.feature".to_owned(),
            expression: "the response body matches the snapshot \"tenant\"".to_owned(),
            content: "{\n  \"plan\": \"free\",\n  \"quote\": \"a \\\"b\\\"\"\n}".to_owned(),
        };
        std::fs::write(&path, snap.render()).unwrap();
        let read = insta::Snapshot::from_file(&path).unwrap();
        assert_eq!(read.metadata().source(), Some("features/t.feature"));
        assert_eq!(read.metadata().expression(), Some(snap.expression.as_str()));
        let contents = read.contents().as_text().unwrap();
        let expected = insta::internals::TextSnapshotContents::new(snap.content.clone(), insta::TextSnapshotKind::File);
        assert!(contents.matches_fully(&expected));
    }
}
