//! Transcripts: every HTTP exchange of every attempt, grouped by feature
//! file. `transcripts/<feature path>.ndjson` holds one line per attempt, in
//! the order attempts end:
//!
//! ```text
//! {"scenario":"features/a.feature:12","name":"…","line":12,"attempt":1,"exchanges":[…]}
//! ```
//!
//! (a scenario's attempts together, when it ends), so the number of files
//! grows with feature files, not scenarios. A
//! scenario entry's `transcript` names its file; readers find an attempt's
//! line by scenario id and attempt number ([`TranscriptIndex`]). Bundles
//! written before hold one JSON file per scenario
//! (`transcripts/<feature path>/<line>-<slug>.json`, every attempt in it);
//! they are read whole.

use std::{
    cell::RefCell,
    collections::HashMap,
    fs::{self, File},
    io::{self, BufRead as _, BufReader, BufWriter, Read as _, Seek as _, SeekFrom, Write as _},
    path::{Path, PathBuf},
};

use certify_runner::RunEvent;

use crate::{
    bundle::BundleError,
    stream::{Record, Writer},
};

/// `transcripts/<feature path>.ndjson`, every component made of
/// `[A-Za-z0-9._-]` (never `..`, never absolute).
pub fn transcript_path(feature_path: &str) -> String {
    let dirs: Vec<String> =
        feature_path.split('/').filter(|p| !p.is_empty() && *p != "." && *p != "..").map(clean).collect();
    let joined = if dirs.is_empty() { "_".to_owned() } else { dirs.join("/") };
    format!("transcripts/{joined}.ndjson")
}

fn clean(s: &str) -> String {
    let c: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' }).collect();
    let c = c.trim_matches('.').to_owned();
    if c.is_empty() { "_".to_owned() } else { c }
}

/// The head of one attempt's line (everything before its exchanges).
#[derive(serde::Serialize, serde::Deserialize)]
struct LineHead<'a> {
    scenario: &'a str,
    name: &'a str,
    line: usize,
    attempt: usize,
}

/// Writes the grouped transcripts from the redacted stream: a file is opened
/// at its feature file's first attempt and closed when the feature file ends.
pub struct TranscriptWriter {
    root: PathBuf,
    open: HashMap<String, BufWriter<File>>,
    /// Every file written (relative to the bundle), for the final redaction pass.
    written: Vec<String>,
}

impl TranscriptWriter {
    /// Writes under `root` (the bundle's directory).
    pub fn new(root: &Path) -> TranscriptWriter {
        TranscriptWriter { root: root.to_path_buf(), open: HashMap::new(), written: Vec::new() }
    }

    fn close(&mut self, rel: &str) -> Result<(), BundleError> {
        if let Some(out) = self.open.remove(rel) {
            let path = self.root.join(rel);
            out.into_inner().map_err(io::IntoInnerError::into_error).map_err(crate::bundle::io_err(&path))?;
        }
        Ok(())
    }

    /// Closes every file; returns the files written, relative to the bundle.
    pub fn finish(mut self) -> Result<Vec<String>, BundleError> {
        let open: Vec<String> = self.open.keys().cloned().collect();
        for rel in open {
            self.close(&rel)?;
        }
        Ok(self.written)
    }
}

impl Writer for TranscriptWriter {
    fn write(&mut self, record: &Record) -> Result<(), BundleError> {
        match &record.event {
            // One line per attempt, when the scenario has ended (its attempts
            // in order): every attempt its entry lists has its line.
            RunEvent::ScenarioFinished { result } if !result.attempts.is_empty() => {
                let scenario = &result.scenario;
                let rel = transcript_path(&scenario.feature_path);
                let path = self.root.join(&rel);
                if !self.open.contains_key(&rel) {
                    if let Some(p) = path.parent() {
                        fs::create_dir_all(p).map_err(crate::bundle::io_err(p))?;
                    }
                    // Reopened in append mode if the feature file's
                    // scenarios end after it was closed.
                    let file = fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .map_err(crate::bundle::io_err(&path))?;
                    if !self.written.contains(&rel) {
                        self.written.push(rel.clone());
                    }
                    self.open.insert(rel.clone(), BufWriter::new(file));
                }
                let mut text = String::new();
                for attempt in &result.attempts {
                    let head = LineHead {
                        scenario: &scenario.id,
                        name: &scenario.name,
                        line: scenario.line,
                        attempt: attempt.number,
                    };
                    let head = serde_json::to_string(&head).unwrap_or_default();
                    text.push_str(head.strip_suffix('}').unwrap_or(&head));
                    text.push_str(",\"exchanges\":[");
                    let mine = record.exchanges.iter().filter(|x| x.attempt == attempt.number);
                    for (i, x) in mine.enumerate() {
                        if i > 0 {
                            text.push(',');
                        }
                        text.push_str(&x.json);
                    }
                    text.push_str("]}\n");
                }
                if let Some(out) = self.open.get_mut(&rel) {
                    out.write_all(text.as_bytes()).map_err(crate::bundle::io_err(&path))?;
                }
                Ok(())
            }
            RunEvent::FeatureFinished { path } => self.close(&transcript_path(path)),
            _ => Ok(()),
        }
    }
}

/// Finds an attempt's transcript in a bundle directory: for a grouped
/// transcript, the attempt's line (each file is indexed once, by scenario id
/// and attempt, on first use); for an older per-scenario file, its whole text.
pub struct TranscriptIndex {
    root: PathBuf,
    files: RefCell<HashMap<String, Option<Lines>>>,
}

/// `(scenario id, attempt) -> (offset, length)` of each line of one file.
type Lines = HashMap<(String, usize), (u64, u64)>;

impl TranscriptIndex {
    pub fn new(root: &Path) -> TranscriptIndex {
        TranscriptIndex { root: root.to_path_buf(), files: RefCell::new(HashMap::new()) }
    }

    /// The text holding attempt `attempt` of scenario `id` in the transcript
    /// file `rel` (relative to the bundle; a path that would leave it is never read).
    pub fn lookup(&self, rel: &str, id: &str, attempt: usize) -> Option<String> {
        if !certify_steps::plain_relative_name(rel) {
            return None;
        }
        let path = self.root.join(rel);
        if !rel.ends_with(".ndjson") {
            return fs::read_to_string(path).ok();
        }
        let mut files = self.files.borrow_mut();
        let index = files.entry(rel.to_owned()).or_insert_with(|| index_file(&path).ok());
        let &(offset, len) = index.as_ref()?.get(&(id.to_owned(), attempt))?;
        let mut file = File::open(&path).ok()?;
        file.seek(SeekFrom::Start(offset)).ok()?;
        let mut buf = vec![0; len as usize];
        file.read_exact(&mut buf).ok()?;
        String::from_utf8(buf).ok()
    }
}

/// `(scenario id, attempt) -> (offset, length)` of every line of a grouped transcript.
fn index_file(path: &Path) -> io::Result<Lines> {
    #[derive(serde::Deserialize)]
    struct Head {
        scenario: String,
        attempt: usize,
    }
    let mut out = HashMap::new();
    let mut reader = BufReader::new(File::open(path)?);
    let mut line = Vec::new();
    let mut offset = 0u64;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if let Ok(head) = serde_json::from_slice::<Head>(&line) {
            out.entry((head.scenario, head.attempt)).or_insert((offset, n as u64));
        }
        offset += n as u64;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::transcript_path;

    #[test]
    fn transcript_paths_stay_inside_the_bundle() {
        assert_eq!(
            transcript_path("features/tenant-signup.feature"),
            "transcripts/features/tenant-signup.feature.ndjson"
        );
        assert_eq!(transcript_path("../../etc/x y.feature"), "transcripts/etc/x-y.feature.ndjson");
        assert_eq!(transcript_path("/abs/f.feature"), "transcripts/abs/f.feature.ndjson");
        assert_eq!(transcript_path(".."), "transcripts/_.ndjson");
    }
}
