//! `index.jsonl`, the archive's append-only history: the types of its lines, their exact
//! encoding, and the check of its hash chain.
//!
//! Each line is one compact JSON object:
//!
//! ```text
//! {"seq":1,"prev":"000…000","kind":"bundle","id":"<sha256>","added_at":"2026-01-01T00:00:00.000Z",
//!  "path":"bundles/<id>","run_id":…,"target":…,"platform_version":…,"git_commit":…,"status":…,
//!  "complete":…,"signed":…,"signer":…,"finished_at":…,"unsigned_allowed":…,
//!  "features":[{"id":…,"verdict":…,"maturity":…}],"flaky_scenarios":[…]}
//! {"seq":2,"prev":"<sha256 of line 1>","kind":"decision","id":…,"added_at":…,
//!  "path":"decisions/<id>.intoto.jsonl","stage":…,"candidate":…,"rev":…,"promote":…,
//!  "policy_sha256":…,"inputs":[<bundle ids>]}
//! ```
//!
//! `seq` counts from 1; `prev` is the sha256 (lowercase hex) of the previous line's bytes
//! without its newline, 64 zeros on the first line. A line is hashed as it is stored, never
//! re-serialized, so the chain only depends on the bytes of the file.

use serde::{Deserialize, Serialize, de::Error as _};
use serde_json::Value;

use certify_evidence::attest::sha256_hex;

/// The index's name under the archive root.
pub const INDEX: &str = "index.jsonl";

/// The `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// 1 for the first line, one more on each line after it.
    pub seq: u64,
    /// sha256 (hex) of the previous line's bytes; [`GENESIS`] on the first line.
    pub prev: String,
    /// The entry's id: sha256 (hex) of the bundle's attestation (of its `bundle.json` when
    /// unsigned), or of the decision record file.
    pub id: String,
    /// When the entry was appended (RFC 3339, UTC, milliseconds).
    pub added_at: String,
    /// Where its files are, relative to the archive root: `bundles/<id>` or
    /// `decisions/<id>.intoto.jsonl`.
    pub path: String,
    pub record: Record,
}

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Bundle(BundleMeta),
    Decision(DecisionMeta),
}

/// What the index says of an evidence bundle; every field is read from the bundle itself
/// (its manifest and attestation), except `unsigned_allowed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleMeta {
    pub run_id: String,
    pub target: String,
    pub platform_version: String,
    pub git_commit: Option<String>,
    /// passed, flaky, failed, errored or interrupted.
    pub status: String,
    pub complete: bool,
    pub signed: bool,
    /// `SHA256:<hex>` fingerprint of the key whose signature verified; `None` when unsigned.
    pub signer: Option<String>,
    pub finished_at: String,
    /// True only for an unsigned bundle archived with `--allow-unsigned`.
    pub unsigned_allowed: bool,
    pub features: Vec<FeatureSummary>,
    /// Ids of the scenarios that passed only after a retry.
    pub flaky_scenarios: Vec<String>,
}

/// One catalog feature's outcome in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSummary {
    pub id: String,
    /// certified, failed, flaky, untested or not-applicable.
    pub verdict: String,
    /// alpha, beta, ga, deprecated or removed at the run's platform version; `None` when the
    /// bundle does not say (no catalog) or the feature did not exist yet.
    pub maturity: Option<String>,
}

/// What the index says of a gate decision record; given by the gate when it appends the
/// record, and checked against the signed record itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionMeta {
    /// The stage promoted to (`production`).
    pub stage: String,
    /// The candidate platform version.
    pub candidate: String,
    /// The suite revision the evidence had to be for, when given.
    pub rev: Option<String>,
    /// PROMOTE (true) or BLOCK (false).
    pub promote: bool,
    /// sha256 (hex) of the policy file the decision applied.
    pub policy_sha256: String,
    /// Ids of the bundles the decision relied on.
    pub inputs: Vec<String>,
}

impl IndexEntry {
    /// `bundle` or `decision`.
    pub fn kind(&self) -> &'static str {
        match self.record {
            Record::Bundle(_) => "bundle",
            Record::Decision(_) => "decision",
        }
    }

    pub fn bundle(&self) -> Option<&BundleMeta> {
        match &self.record {
            Record::Bundle(b) => Some(b),
            Record::Decision(_) => None,
        }
    }

    pub fn decision(&self) -> Option<&DecisionMeta> {
        match &self.record {
            Record::Decision(d) => Some(d),
            Record::Bundle(_) => None,
        }
    }

    /// The line as stored: compact JSON, no newline.
    pub fn to_line(&self) -> String {
        // A tree of strings, numbers and booleans always serializes.
        serde_json::to_string(&self.to_value()).unwrap_or_default()
    }

    /// Parses one line of the index.
    ///
    /// Read straight from the bytes into the entry's fields (no JSON tree in between): the
    /// gate and every reader parse every line of the index, so this is paid once per line.
    pub fn parse(line: &[u8]) -> Result<IndexEntry, serde_json::Error> {
        let head: Head = serde_json::from_slice(line)?;
        let record = match head.kind.as_str() {
            "bundle" => Record::Bundle(serde_json::from_slice(line)?),
            "decision" => Record::Decision(serde_json::from_slice(line)?),
            other => return Err(unknown_kind(other)),
        };
        Ok(IndexEntry { seq: head.seq, prev: head.prev, id: head.id, added_at: head.added_at, path: head.path, record })
    }

    fn to_value(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("seq".into(), self.seq.into());
        map.insert("prev".into(), self.prev.clone().into());
        map.insert("kind".into(), self.kind().into());
        map.insert("id".into(), self.id.clone().into());
        map.insert("added_at".into(), self.added_at.clone().into());
        map.insert("path".into(), self.path.clone().into());
        let rest = match &self.record {
            Record::Bundle(b) => serde_json::to_value(b),
            Record::Decision(d) => serde_json::to_value(d),
        };
        if let Ok(Value::Object(rest)) = rest {
            map.extend(rest);
        }
        Value::Object(map)
    }

    fn from_value(value: Value) -> Result<IndexEntry, serde_json::Error> {
        let head = Head::deserialize(&value)?;
        let record = match head.kind.as_str() {
            "bundle" => Record::Bundle(BundleMeta::deserialize(&value)?),
            "decision" => Record::Decision(DecisionMeta::deserialize(&value)?),
            other => return Err(unknown_kind(other)),
        };
        Ok(IndexEntry { seq: head.seq, prev: head.prev, id: head.id, added_at: head.added_at, path: head.path, record })
    }
}

/// The fields every index line has, whatever it records.
#[derive(Deserialize)]
struct Head {
    seq: u64,
    prev: String,
    kind: String,
    id: String,
    added_at: String,
    path: String,
}

fn unknown_kind(kind: &str) -> serde_json::Error {
    serde_json::Error::custom(format!("kind is {kind:?}, expected \"bundle\" or \"decision\""))
}

impl Serialize for IndexEntry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for IndexEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IndexEntry, D::Error> {
        IndexEntry::from_value(Value::deserialize(d)?).map_err(D::Error::custom)
    }
}

/// The sha256 (hex) a line is chained by: of its bytes without the newline.
pub fn line_hash(line: &[u8]) -> String {
    sha256_hex(line)
}

/// The index split into lines (without their newlines). The second value is false when the
/// last line has no newline: a file that was cut short.
pub fn split_lines(bytes: &[u8]) -> (Vec<&[u8]>, bool) {
    if bytes.is_empty() {
        return (Vec::new(), true);
    }
    let terminated = bytes.ends_with(b"\n");
    let body = if terminated { &bytes[..bytes.len() - 1] } else { bytes };
    (body.split(|b| *b == b'\n').collect(), terminated)
}

/// One break in the chain, on a 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub line: usize,
    pub message: String,
}

/// Checks every line's `prev` and `seq` against the line before it, and names what most
/// likely happened where the chain breaks: a line removed, edited, inserted or moved. Lines
/// that do not parse are reported by the caller; here they only take part by their hash.
pub fn check_chain(lines: &[&[u8]]) -> Vec<ChainBreak> {
    #[derive(Deserialize)]
    struct Link {
        seq: u64,
        prev: String,
    }
    let links: Vec<Option<Link>> = lines.iter().map(|l| serde_json::from_slice::<Link>(l).ok()).collect();
    let hashes: Vec<String> = lines.iter().map(|l| line_hash(l)).collect();
    let mut breaks = Vec::new();
    for (i, link) in links.iter().enumerate() {
        let n = i + 1;
        let Some(link) = link else { continue };
        let expected = if i == 0 { GENESIS } else { hashes[i - 1].as_str() };
        let prev_seq = if i == 0 { Some(0) } else { links[i - 1].as_ref().map(|l| l.seq) };
        if link.prev != expected {
            let message = if i == 0 {
                if let Some(j) = hashes.iter().position(|h| *h == link.prev) {
                    format!(
                        "is not the first line of the history: its prev is the hash of line {} (lines reordered?)",
                        j + 1
                    )
                } else {
                    format!(
                        "is not the first line of the history: prev is {}, not 64 zeros (lines removed from the start?)",
                        link.prev
                    )
                }
            } else if let Some(j) = hashes.iter().position(|h| *h == link.prev) {
                format!("prev does not match line {i}: it is the hash of line {} (line inserted or reordered?)", j + 1)
            } else if prev_seq.is_some_and(|s| link.seq == s + 1) {
                format!(
                    "prev does not match line {i}: line {i} was edited after line {n} was appended (its sha256 is now {})",
                    hashes[i - 1]
                )
            } else {
                format!("prev does not match line {i} (line removed or reordered?)")
            };
            breaks.push(ChainBreak { line: n, message });
        }
        if let Some(p) = prev_seq
            && link.seq != p + 1
        {
            let message = if link.seq > p + 1 && i > 0 {
                format!("seq {} follows seq {p}: {} line(s) missing (removed?)", link.seq, link.seq - p - 1)
            } else if i == 0 {
                format!("seq is {}, the first line has seq 1 (lines removed from the start?)", link.seq)
            } else {
                format!("seq {} follows seq {p} (line inserted or reordered?)", link.seq)
            };
            breaks.push(ChainBreak { line: n, message });
        }
    }
    breaks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle_entry(seq: u64, prev: &str, id: &str) -> IndexEntry {
        IndexEntry {
            seq,
            prev: prev.to_owned(),
            id: id.to_owned(),
            added_at: "2026-01-02T03:04:05.006Z".to_owned(),
            path: format!("bundles/{id}"),
            record: Record::Bundle(BundleMeta {
                run_id: "r".into(),
                target: "staging".into(),
                platform_version: "2.0.0".into(),
                git_commit: Some("abc".into()),
                status: "passed".into(),
                complete: true,
                signed: true,
                signer: Some("SHA256:ff".into()),
                finished_at: "2026-01-02T03:04:00.000Z".into(),
                unsigned_allowed: false,
                features: vec![FeatureSummary {
                    id: "f".into(),
                    verdict: "certified".into(),
                    maturity: Some("ga".into()),
                }],
                flaky_scenarios: vec![],
            }),
        }
    }

    fn chain(n: usize) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for i in 0..n {
            let prev = lines.last().map(|l| line_hash(l.as_bytes())).unwrap_or_else(|| GENESIS.to_owned());
            lines.push(bundle_entry(i as u64 + 1, &prev, &format!("{i:064x}")).to_line());
        }
        lines
    }

    fn breaks(lines: &[String]) -> Vec<(usize, String)> {
        let refs: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        check_chain(&refs).into_iter().map(|b| (b.line, b.message)).collect()
    }

    #[test]
    fn a_line_has_the_documented_keys_in_order_and_parses_back() {
        let e = bundle_entry(1, GENESIS, "ab");
        let line = e.to_line();
        assert!(line.starts_with(r#"{"seq":1,"prev":"0000"#), "{line}");
        assert!(
            line.contains(
                r#","kind":"bundle","id":"ab","added_at":"2026-01-02T03:04:05.006Z","path":"bundles/ab","run_id":"r""#
            ),
            "{line}"
        );
        assert!(
            line.ends_with(r#""features":[{"id":"f","verdict":"certified","maturity":"ga"}],"flaky_scenarios":[]}"#),
            "{line}"
        );
        assert_eq!(IndexEntry::parse(line.as_bytes()).unwrap(), e);
        assert_eq!(serde_json::from_str::<IndexEntry>(&line).unwrap(), e);

        let d = IndexEntry {
            record: Record::Decision(DecisionMeta {
                stage: "production".into(),
                candidate: "2.0.0".into(),
                rev: None,
                promote: false,
                policy_sha256: "cc".into(),
                inputs: vec!["ab".into()],
            }),
            path: "decisions/dd.intoto.jsonl".into(),
            ..bundle_entry(2, "x", "dd")
        };
        let line = d.to_line();
        assert!(line.contains(r#""kind":"decision""#) && line.contains(r#""inputs":["ab"]"#), "{line}");
        assert_eq!(IndexEntry::parse(line.as_bytes()).unwrap(), d);
    }

    #[test]
    fn malformed_lines_are_errors_naming_what_is_wrong() {
        for (text, want) in [
            ("", "EOF"),
            ("{}", "missing field `seq`"),
            (r#"{"seq":1,"prev":"","kind":"x","id":"","added_at":"","path":""}"#, "kind is \"x\""),
            (r#"{"seq":1,"prev":"","kind":"bundle","id":"","added_at":"","path":""}"#, "missing field `run_id`"),
            (r#"{"seq":-1}"#, "invalid value"),
        ] {
            let err = IndexEntry::parse(text.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    /// Any bytes at all are an entry or an error, never a panic: every truncation and every
    /// single-byte change of real lines, deep nesting, huge numbers and invalid UTF-8.
    #[test]
    fn parse_never_panics_on_any_bytes() {
        let d = IndexEntry {
            record: Record::Decision(DecisionMeta {
                stage: "production".into(),
                candidate: "2.0.0".into(),
                rev: Some("abc".into()),
                promote: true,
                policy_sha256: "cc".into(),
                inputs: vec!["ab".into()],
            }),
            ..bundle_entry(2, GENESIS, "dd")
        };
        for line in [bundle_entry(1, GENESIS, "ab").to_line(), d.to_line()] {
            let bytes = line.as_bytes();
            for cut in 0..bytes.len() {
                let _ = IndexEntry::parse(&bytes[..cut]);
            }
            for i in 0..bytes.len() {
                for b in [0u8, b'"', b'{', b'}', b'\\', b'9', 0xff, 0xc3] {
                    let mut m = bytes.to_vec();
                    m[i] = b;
                    let _ = IndexEntry::parse(&m);
                }
            }
        }
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for text in [deep.as_str(), r#"{"seq":1e999}"#, r#"{"seq":184467440737095516160}"#, "\u{feff}{}"] {
            assert!(IndexEntry::parse(text.as_bytes()).is_err(), "{text:.40}");
        }
        assert!(IndexEntry::parse(&[0xff, 0xfe, b'{']).is_err());
    }

    #[test]
    fn split_lines_reports_a_missing_final_newline() {
        assert_eq!(split_lines(b""), (vec![], true));
        assert_eq!(split_lines(b"a\nb\n"), (vec![&b"a"[..], b"b"], true));
        assert_eq!(split_lines(b"a\nb"), (vec![&b"a"[..], b"b"], false));
        assert_eq!(split_lines(b"a\n\n"), (vec![&b"a"[..], b""], true));
    }

    #[test]
    fn an_intact_chain_has_no_breaks() {
        assert!(breaks(&chain(5)).is_empty());
        assert!(breaks(&[]).is_empty());
    }

    #[test]
    fn a_removed_line_is_named() {
        let mut lines = chain(8);
        lines.remove(5);
        let got = breaks(&lines);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], (6, "prev does not match line 5 (line removed or reordered?)".to_owned()));
        assert_eq!(got[1], (6, "seq 7 follows seq 5: 1 line(s) missing (removed?)".to_owned()));
    }

    #[test]
    fn an_edited_line_is_named() {
        let mut lines = chain(5);
        lines[2] = lines[2].replace("\"staging\"", "\"production\"");
        let got = breaks(&lines);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, 4);
        assert!(
            got[0].1.starts_with("prev does not match line 3: line 3 was edited after line 4 was appended"),
            "{got:?}"
        );
    }

    #[test]
    fn reordered_lines_are_named() {
        let mut lines = chain(6);
        lines.swap(2, 3);
        let got = breaks(&lines);
        assert!(
            got.contains(&(
                3,
                "prev does not match line 2: it is the hash of line 4 (line inserted or reordered?)".into()
            )),
            "{got:?}"
        );
        assert!(got.contains(&(3, "seq 4 follows seq 2: 1 line(s) missing (removed?)".into())), "{got:?}");
        assert!(got.iter().any(|(n, m)| *n == 4 && m.contains("seq 3 follows seq 4")), "{got:?}");
        assert!(got.iter().any(|(n, _)| *n == 5), "{got:?}");
    }

    #[test]
    fn an_inserted_line_is_named() {
        let mut lines = chain(4);
        let forged = bundle_entry(3, &line_hash(lines[1].as_bytes()), "ee").to_line();
        lines.insert(2, forged);
        let got = breaks(&lines);
        assert!(
            got.iter().any(|(n, m)| *n == 4 && m.contains("prev does not match line 3: it is the hash of line 2")),
            "{got:?}"
        );
        assert!(got.iter().any(|(n, m)| *n == 4 && m.contains("seq 3 follows seq 3")), "{got:?}");
    }

    #[test]
    fn a_removed_first_line_is_named() {
        let mut lines = chain(3);
        lines.remove(0);
        let got = breaks(&lines);
        assert!(got[0].1.contains("not the first line of the history"), "{got:?}");
        assert!(got.iter().any(|(n, m)| *n == 1 && m.contains("seq is 2")), "{got:?}");
    }
}
