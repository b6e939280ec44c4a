//! `verify` finds and names what was done to an archive's history or contents: a tampered,
//! deleted or added bundle file, a deleted, edited or reordered index line, index fields that
//! disagree with their bundle (even when the forger re-computed the chain), an unsigned bundle
//! not recorded as allowed; and it reports every problem, not the first.

use std::{fs, path::PathBuf};

use certify_archive::{Archive, ArchiveReport, IndexEntry, Record, index::line_hash};
use certify_evidence::attest::{PublicKey, SigningKey};
use object_store::{ObjectStoreExt as _, PutPayload, path::Path as ObjectPath};

use crate::support::{Run, bucket, checkpoint_note, copy, decision, endpoint, key, open_s3, raw_s3, write_bundle};

struct History {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    signing: SigningKey,
    /// Bundle ids in index order (lines 1 to 4); line 5 is a decision.
    ids: Vec<String>,
}

impl History {
    fn keys(&self) -> Vec<PublicKey> {
        vec![self.signing.public()]
    }

    async fn archive(&self) -> Archive {
        Archive::open(&self.root.display().to_string()).await.unwrap().with_signer(Some(copy(&self.signing)))
    }

    async fn verify(&self) -> ArchiveReport {
        self.archive().await.verify(&self.keys()).await.unwrap()
    }

    fn lines(&self) -> Vec<String> {
        fs::read_to_string(self.root.join("index.jsonl")).unwrap().lines().map(str::to_owned).collect()
    }

    fn write_lines(&self, lines: &[String]) {
        fs::write(self.root.join("index.jsonl"), lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    }

    /// Changes entry `n` (1-based) and re-computes every `prev` after it, as a forger who
    /// knows the format would.
    fn forge(&self, n: usize, change: impl FnOnce(&mut IndexEntry)) {
        let mut entries: Vec<IndexEntry> =
            self.lines().iter().map(|l| IndexEntry::parse(l.as_bytes()).unwrap()).collect();
        change(&mut entries[n - 1]);
        let mut lines: Vec<String> = Vec::new();
        for mut e in entries {
            if let Some(prev) = lines.last() {
                e.prev = line_hash(prev.as_bytes());
            }
            lines.push(e.to_line());
        }
        self.write_lines(&lines);
    }
}

/// Four bundles (the third flaky) and a decision relying on the first two.
async fn history() -> History {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("archive");
    let signing = key();
    let archive = Archive::open(&root.display().to_string()).await.unwrap().with_signer(Some(copy(&signing)));
    let mut ids = Vec::new();
    for i in 0..4 {
        let run = Run { flaky: i == 2, ..Run::new(50 + i) };
        let dir = write_bundle(&tmp.path().join(format!("b{i}")), &run, Some(&signing));
        ids.push(archive.add_bundle(&dir, &[signing.public()], false).await.unwrap().id);
    }
    let note = checkpoint_note(&archive).await;
    let (record, meta) = decision(&signing, "production", "2.0.0", Some("abc1234"), true, &ids[..2], Some(&note));
    archive.add_decision(&record, meta).await.unwrap();
    History { _tmp: tmp, root, signing, ids }
}

fn messages(report: &ArchiveReport) -> Vec<String> {
    report.problems.iter().map(ToString::to_string).collect()
}

fn assert_names(report: &ArchiveReport, wanted: &str) {
    assert!(!report.valid, "the archive must not verify");
    assert!(
        messages(report).iter().any(|m| m.contains(wanted)),
        "no problem says {wanted:?}:\n{:#?}",
        messages(report)
    );
}

#[tokio::test]
async fn an_intact_archive_verifies() {
    let h = history().await;
    let report = h.verify().await;
    assert!(report.valid, "{:#?}", report.problems);
    assert_eq!((report.entries, report.bundles, report.decisions), (5, 4, 1));
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
    assert_eq!(report.head, Some(line_hash(h.lines()[4].as_bytes())));
}

#[tokio::test]
async fn a_tampered_deleted_or_added_bundle_file_is_named() {
    let h = history().await;
    let dir = h.root.join("bundles").join(&h.ids[1]);
    fs::write(dir.join("junit.xml"), "<testsuites/>\n").unwrap();
    fs::remove_file(dir.join("suite/features/quotas.feature")).unwrap();
    fs::write(dir.join("transcripts/extra.json"), "{}").unwrap();
    let report = h.verify().await;
    let id = &h.ids[1];
    assert_names(&report, &format!("bundles/{id}/junit.xml: modified: sha256 is"));
    assert_names(&report, &format!("bundles/{id}/suite/features/quotas.feature: missing"));
    assert_names(&report, &format!("bundles/{id}/transcripts/extra.json: added"));
    assert!(report.problems.iter().all(|p| p.line == Some(2)), "{:#?}", report.problems);
}

#[tokio::test]
async fn a_deleted_index_line_is_named() {
    let h = history().await;
    let mut lines = h.lines();
    lines.remove(2);
    h.write_lines(&lines);
    let report = h.verify().await;
    assert_names(&report, "index.jsonl line 3: prev does not match line 2 (line removed or reordered?)");
    assert_names(&report, "index.jsonl line 3: seq 4 follows seq 2: 1 line(s) missing (removed?)");
    let warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [format!(
            "bundles/{}: stored, but no index line records it (an interrupted add, or its index line was removed)",
            h.ids[2]
        )]
    );
}

#[tokio::test]
async fn an_edited_index_line_is_named() {
    let h = history().await;
    let mut lines = h.lines();
    lines[1] = lines[1].replace("\"target\":\"staging\"", "\"target\":\"production\"");
    h.write_lines(&lines);
    let report = h.verify().await;
    assert_names(
        &report,
        "index.jsonl line 3: prev does not match line 2: line 2 was edited after line 3 was appended",
    );
    assert_names(&report, "index.jsonl line 2: target is \"production\" in the index, but \"staging\" in the bundle");
}

#[tokio::test]
async fn reordered_index_lines_are_named() {
    let h = history().await;
    let mut lines = h.lines();
    lines.swap(1, 2);
    h.write_lines(&lines);
    let report = h.verify().await;
    assert_names(
        &report,
        "index.jsonl line 2: prev does not match line 1: it is the hash of line 3 (line inserted or reordered?)",
    );
    assert_names(&report, "index.jsonl line 3: seq 2 follows seq 3 (line inserted or reordered?)");
}

#[tokio::test]
async fn a_forged_field_is_named_even_with_a_recomputed_chain() {
    let h = history().await;
    h.forge(3, |e| {
        if let Record::Bundle(b) = &mut e.record {
            b.status = "passed".into();
            b.flaky_scenarios.clear();
        }
    });
    let report = h.verify().await;
    let all = messages(&report);
    assert_eq!(
        all[..2],
        [
            "index.jsonl line 3: status is \"passed\" in the index, but \"flaky\" in the bundle",
            "index.jsonl line 3: flaky_scenarios is [] in the index, but [\"features/usage-export.feature:7\"] in the bundle",
        ],
        "the chain itself is intact, every other check names the forgery"
    );
    // The tree over the lines as stored no longer has the checkpoint's root, nor the one the
    // decision (line 5) was made on.
    assert!(all[2].starts_with("checkpoint: the first 5 lines have root "), "{all:#?}");
    assert!(all[3].contains("the archive it was decided on is not this one: the first 4 lines have root"), "{all:#?}");
    assert_eq!(all.len(), 4, "{all:#?}");
}

#[tokio::test]
async fn an_unsigned_bundle_not_recorded_as_allowed_is_named() {
    let h = history().await;
    let tmp = tempfile::tempdir().unwrap();
    let unsigned = write_bundle(&tmp.path().join("u"), &Run::new(60), None);
    let archive = h.archive().await;
    let entry = archive.add_bundle(&unsigned, &h.keys(), true).await.unwrap();
    assert!(h.verify().await.valid, "allowed when it was added with --allow-unsigned");

    h.forge(6, |e| {
        if let Record::Bundle(b) = &mut e.record {
            b.unsigned_allowed = false;
        }
    });
    let report = h.verify().await;
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    assert_names(&report, "index.jsonl line 6: unsigned bundle not allowed");
    assert_eq!(report.problems[0].line, Some(6));
    assert_names(&report, "checkpoint: the first 6 lines have root");
    assert_eq!(entry.seq, 6);
}

#[tokio::test]
async fn a_bundle_replaced_by_an_unsigned_copy_is_named() {
    let h = history().await;
    let dir = h.root.join("bundles").join(&h.ids[0]);
    fs::remove_file(dir.join("attestation.intoto.jsonl")).unwrap();
    fs::remove_file(dir.join("attestation.sigstore.json")).unwrap();
    let report = h.verify().await;
    // Its manifest still says signed: that is not an unsigned bundle but a stripped one.
    assert_names(
        &report,
        &format!("bundles/{}/attestation.intoto.jsonl: missing: the bundle carries no attestation", h.ids[0]),
    );
}

#[tokio::test]
async fn keys_that_signed_nothing_fail_every_bundle_and_decision() {
    let h = history().await;
    let report = h.archive().await.verify(&[key().public()]).await.unwrap();
    for (i, id) in h.ids.iter().enumerate() {
        let wanted = format!("bundles/{id}/attestation.intoto.jsonl: signature check failed");
        assert!(
            report.problems.iter().any(|p| p.to_string().starts_with(&wanted) && p.line == Some(i + 1)),
            "{wanted}\n{:#?}",
            messages(&report)
        );
    }
    assert!(messages(&report).iter().any(|m| m.starts_with("decisions/") && m.contains("signature check failed")));
}

#[tokio::test]
async fn every_problem_is_reported_not_just_the_first() {
    let h = history().await;
    fs::write(h.root.join("bundles").join(&h.ids[0]).join("junit.xml"), "x").unwrap();
    fs::write(h.root.join("bundles").join(&h.ids[3]).join("bundle.json"), "{}").unwrap();
    let mut lines = h.lines();
    lines.remove(1);
    h.write_lines(&lines);
    let report = h.verify().await;
    assert_names(&report, &format!("bundles/{}/junit.xml: modified", h.ids[0]));
    assert_names(&report, &format!("bundles/{}/bundle.json", h.ids[3]));
    assert_names(&report, "index.jsonl line 2: prev does not match line 1 (line removed or reordered?)");
    assert_names(&report, "index.jsonl line 4: input");
}

/// The same checks through S3: a bundle file overwritten in the bucket, and a removed line.
#[tokio::test]
async fn tampering_in_an_s3_archive_is_named() {
    let bucket = bucket("tamper").await;
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let archive = open_s3(&bucket, "evidence").await.with_signer(Some(copy(&signing)));
    let mut ids = Vec::new();
    for i in 0..3 {
        let dir = write_bundle(&tmp.path().join(format!("b{i}")), &Run::new(70 + i), Some(&signing));
        ids.push(archive.add_bundle(&dir, &[signing.public()], false).await.unwrap().id);
    }
    assert!(archive.verify(&[signing.public()]).await.unwrap().valid);

    let raw = raw_s3(&endpoint(), &bucket);
    raw.put(&ObjectPath::from(format!("evidence/bundles/{}/junit.xml", ids[2])), PutPayload::from("<x/>"))
        .await
        .unwrap();
    let index_path = ObjectPath::from("evidence/index/00000000.jsonl");
    let index = raw.get(&index_path).await.unwrap().bytes().await.unwrap();
    let text = String::from_utf8(index.to_vec()).unwrap();
    let kept: String = text.lines().enumerate().filter(|(i, _)| *i != 0).map(|(_, l)| format!("{l}\n")).collect();
    raw.put(&index_path, PutPayload::from(kept)).await.unwrap();

    let report = archive.verify(&[signing.public()]).await.unwrap();
    assert_names(&report, "index.jsonl line 1: is not the first line of the history");
    assert_names(&report, &format!("bundles/{}/junit.xml: modified: sha256 is", ids[2]));
    assert_eq!(report.warnings.len(), 1, "{:#?}", report.warnings);
    assert!(report.warnings[0].subject.ends_with(&ids[0]));
}
