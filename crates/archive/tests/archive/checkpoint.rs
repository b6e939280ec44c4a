//! The archive as a transparency log, attacked as someone who can write the archive (but does
//! not hold the signing key) would: with a checkpoint kept outside the archive, cutting the
//! last lines (and their bundles), rolling the whole archive back to an older copy, replacing
//! it by another archive with as many lines, editing any field of a line, reordering lines,
//! emptying the index, deleting the checkpoint, and pointing at nothing are each INVALID,
//! saying how; decision records that cite a checkpoint the index does not have are named; and
//! a checkpoint left behind by an interrupted append is caught up on by the next one. Local
//! directories and S3 both.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use certify_archive::{
    Archive, ArchiveReport,
    checkpoint::{Checkpoint, SignedCheckpoint},
    merkle,
    witness::{WitnessKey, WitnessRequest, cosignature_line},
};
use certify_evidence::attest::{PublicKey, SigningKey};
use object_store::{ObjectStoreExt as _, PutPayload, path::Path as ObjectPath};

use crate::support::{
    Run, bucket, checkpoint_note, copy, decision, endpoint, key, keys_in, open_s3, raw_s3, write_bundle,
};

/// Where the archive under attack lives.
enum Place {
    Dir(PathBuf),
    S3 { bucket: String, prefix: String },
}

struct Fixture {
    tmp: tempfile::TempDir,
    place: Place,
    signing: SigningKey,
    /// Bundle ids, in index order.
    ids: Vec<String>,
}

/// A signed archive of `n` bundles, in a directory or on S3.
async fn fixture(s3: bool, n: usize, seed: usize) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let place = if s3 {
        Place::S3 { bucket: bucket("tlog").await, prefix: "evidence".to_owned() }
    } else {
        Place::Dir(tmp.path().join("archive"))
    };
    let mut f = Fixture { tmp, place, signing: key(), ids: Vec::new() };
    for _ in 0..n {
        f.add(seed + f.ids.len()).await;
    }
    f
}

impl Fixture {
    fn keys(&self) -> Vec<PublicKey> {
        vec![self.signing.public()]
    }

    async fn archive(&self) -> Archive {
        let archive = match &self.place {
            Place::Dir(root) => Archive::open(&root.display().to_string()).await.unwrap(),
            Place::S3 { bucket, prefix } => open_s3(bucket, prefix).await,
        };
        archive.with_signer(Some(copy(&self.signing)))
    }

    async fn add(&mut self, seed: usize) -> String {
        let dir = write_bundle(&self.tmp.path().join(format!("b{seed}")), &Run::new(seed), Some(&self.signing));
        let id = self.archive().await.add_bundle(&dir, &self.keys(), false).await.unwrap().id;
        self.ids.push(id.clone());
        id
    }

    async fn kept(&self) -> String {
        checkpoint_note(&self.archive().await).await
    }

    async fn verify(&self, kept: &str) -> ArchiveReport {
        self.archive().await.verify_with(&self.keys(), kept).await.unwrap()
    }

    fn index_name(&self) -> &'static str {
        match self.place {
            Place::Dir(_) => "index.jsonl",
            Place::S3 { .. } => "index/00000000.jsonl",
        }
    }

    /// Every object of the archive, by its name under the archive root.
    async fn objects(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        match &self.place {
            Place::Dir(root) => {
                fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
                    for e in fs::read_dir(dir).unwrap() {
                        let p = e.unwrap().path();
                        if p.is_dir() {
                            walk(root, &p, out);
                        } else {
                            out.insert(
                                p.strip_prefix(root).unwrap().to_string_lossy().into_owned(),
                                fs::read(&p).unwrap(),
                            );
                        }
                    }
                }
                walk(root, root, &mut out);
            }
            Place::S3 { bucket, prefix } => {
                let raw = raw_s3(&endpoint(), bucket);
                for k in keys_in(&raw).await {
                    let bytes = raw.get(&ObjectPath::from(k.as_str())).await.unwrap().bytes().await.unwrap();
                    out.insert(k.strip_prefix(&format!("{prefix}/")).unwrap().to_owned(), bytes.to_vec());
                }
            }
        }
        out
    }

    async fn put(&self, name: &str, bytes: Vec<u8>) {
        match &self.place {
            Place::Dir(root) => {
                let p = root.join(name);
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(p, bytes).unwrap();
            }
            Place::S3 { bucket, prefix } => {
                let raw = raw_s3(&endpoint(), bucket);
                raw.put(&ObjectPath::from(format!("{prefix}/{name}")), PutPayload::from(bytes)).await.unwrap();
            }
        }
    }

    async fn remove(&self, name: &str) {
        match &self.place {
            Place::Dir(root) => {
                let p = root.join(name);
                if p.is_dir() { fs::remove_dir_all(p).unwrap() } else { fs::remove_file(p).unwrap() }
            }
            Place::S3 { bucket, prefix } => {
                let raw = raw_s3(&endpoint(), bucket);
                let base = ObjectPath::from(format!("{prefix}/{name}"));
                for k in keys_in(&raw).await {
                    let p = ObjectPath::from(k.as_str());
                    if p == base || p.prefix_matches(&base) {
                        raw.delete(&p).await.unwrap();
                    }
                }
            }
        }
    }

    /// Makes the archive exactly `objects` (an older copy, or another archive).
    async fn restore(&self, objects: &BTreeMap<String, Vec<u8>>) {
        for name in self.objects().await.keys() {
            if name != "index.jsonl.lock" {
                self.remove(name).await;
            }
        }
        for (name, bytes) in objects.iter().filter(|(n, _)| *n != "index.jsonl.lock") {
            // A directory's index.jsonl is an S3 archive's first segment.
            let name = if name == "index.jsonl" { self.index_name() } else { name };
            self.put(name, bytes.clone()).await;
        }
    }

    async fn lines(&self) -> Vec<String> {
        let index = self.objects().await.remove(self.index_name()).unwrap_or_default();
        String::from_utf8(index).unwrap().lines().map(str::to_owned).collect()
    }

    async fn set_lines(&self, lines: &[String]) {
        self.put(self.index_name(), lines.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes()).await;
    }
}

fn messages(report: &ArchiveReport) -> Vec<String> {
    report.problems.iter().map(ToString::to_string).collect()
}

fn assert_says(report: &ArchiveReport, wanted: &str) {
    assert!(!report.valid, "must be INVALID: {:#?}", messages(report));
    assert!(
        messages(report).iter().any(|m| m.contains(wanted)),
        "no problem says {wanted:?}:\n{:#?}",
        messages(report)
    );
}

/// Runs `test` on a directory archive, then on an S3 one.
async fn both(test: impl AsyncFn(bool)) {
    test(false).await;
    test(true).await;
}

#[tokio::test]
async fn an_intact_archive_verifies_against_a_checkpoint_kept_from_any_earlier_size() {
    both(async |s3| {
        let mut f = fixture(s3, 2, 300).await;
        let early = f.kept().await;
        f.add(310).await;
        let late = f.kept().await;
        for kept in [&early, &late] {
            let report = f.verify(kept).await;
            assert!(report.valid && report.warnings.is_empty(), "{report:#?}");
        }
        let report = f.verify(&late).await;
        let c = report.kept_checkpoint.expect("the kept checkpoint, as read");
        assert_eq!(c.size, 3);
        assert_eq!(c.signed_by, [format!("SHA256:{}", f.signing.public().fingerprint())]);
        assert_eq!(report.checkpoint.map(|c| c.root), Some(c.root));
    })
    .await;
}

#[tokio::test]
async fn cutting_the_last_lines_and_their_bundles_is_named() {
    both(async |s3| {
        let f = fixture(s3, 4, 320).await;
        let kept = f.kept().await;
        let lines = f.lines().await;
        f.set_lines(&lines[..2]).await;
        for id in &f.ids[2..] {
            f.remove(&format!("bundles/{id}")).await;
            f.remove(&format!("ids/bundle-{id}")).await;
        }
        let report = f.verify(&kept).await;
        assert_says(&report, "kept checkpoint: the archive has 2 lines, the checkpoint describes 4");
        assert_says(&report, "checkpoint: the archive has 2 lines, the checkpoint describes 4");
    })
    .await;
}

#[tokio::test]
async fn an_archive_rolled_back_to_an_older_copy_is_named() {
    both(async |s3| {
        let mut f = fixture(s3, 2, 330).await;
        let older = f.objects().await;
        f.add(332).await;
        f.add(333).await;
        let kept = f.kept().await;
        f.restore(&older).await;
        // The older copy is a consistent archive of its own: only the kept checkpoint shows
        // that history was lost.
        let alone = f.archive().await.verify(&f.keys()).await.unwrap();
        assert!(alone.valid, "{alone:#?}");
        let report = f.verify(&kept).await;
        assert_eq!(
            messages(&report),
            ["kept checkpoint: the archive has 2 lines, the checkpoint describes 4 (lines were cut from its end, or the archive was rolled back)"]
        );
    })
    .await;
}

#[tokio::test]
async fn an_archive_replaced_by_another_with_as_many_lines_is_named() {
    both(async |s3| {
        let f = fixture(s3, 3, 340).await;
        let kept = f.kept().await;
        let other = fixture_signed_by(&f.signing, 360).await;
        f.restore(&other.objects().await).await;
        let report = f.verify(&kept).await;
        assert_says(&report, "kept checkpoint: is for \"certify-archive ");
        assert_says(&report, "kept checkpoint: the first 3 lines have root ");
    })
    .await;
}

/// A local archive of 3 bundles signed (bundles and checkpoints) by `signing`.
async fn fixture_signed_by(signing: &SigningKey, seed: usize) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let mut f = Fixture { place: Place::Dir(tmp.path().join("archive")), tmp, signing: copy(signing), ids: Vec::new() };
    for i in 0..3 {
        f.add(seed + i).await;
    }
    f
}

/// Every field of the last line, changed one at a time with the line still valid JSON.
#[tokio::test]
async fn editing_any_field_of_the_last_line_is_named() {
    both(async |s3| {
        let f = fixture(s3, 2, 370).await;
        let kept = f.kept().await;
        let lines = f.lines().await;
        let last: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&lines[1]).unwrap();
        // On S3 the two fields that used to slip through; every field in a directory.
        let fields: Vec<String> =
            if s3 { vec!["added_at".into(), "unsigned_allowed".into()] } else { last.keys().cloned().collect() };
        assert!(fields.contains(&"added_at".to_owned()) && fields.contains(&"unsigned_allowed".to_owned()));
        for field in fields {
            let mut edited = last.clone();
            let v = edited.get_mut(&field).unwrap();
            *v = match v.take() {
                serde_json::Value::Bool(b) => (!b).into(),
                serde_json::Value::Number(n) => (n.as_u64().unwrap() + 1).into(),
                serde_json::Value::String(s) => format!("{s}0").into(),
                serde_json::Value::Array(a) if a.is_empty() => serde_json::json!(["x"]),
                serde_json::Value::Array(_) => serde_json::json!([]),
                _ => "x".into(),
            };
            f.set_lines(&[lines[0].clone(), serde_json::to_string(&edited).unwrap()]).await;
            let report = f.verify(&kept).await;
            assert_says(&report, "kept checkpoint: the first 2 lines have root ");
            assert_says(&report, "checkpoint: the first 2 lines have root ");
        }
        f.set_lines(&lines).await;
        assert!(f.verify(&kept).await.valid);
    })
    .await;
}

#[tokio::test]
async fn reordered_lines_are_named_against_the_kept_checkpoint() {
    let f = fixture(false, 3, 380).await;
    let kept = f.kept().await;
    let mut lines = f.lines().await;
    lines.swap(0, 1);
    f.set_lines(&lines).await;
    assert_says(&f.verify(&kept).await, "kept checkpoint: the first 3 lines have root ");
}

#[tokio::test]
async fn an_empty_index_or_a_deleted_checkpoint_is_invalid() {
    both(async |s3| {
        let f = fixture(s3, 2, 390).await;
        let kept = f.kept().await;
        let all = f.objects().await;

        f.remove("checkpoint").await;
        let report = f.archive().await.verify(&f.keys()).await.unwrap();
        assert_says(&report, "checkpoint: missing: nothing fixes the index's size and root");
        let err = f.archive().await.snapshot().await.unwrap_err();
        assert!(err.to_string().contains("checkpoint: missing"), "{err}");

        f.restore(&all).await;
        f.set_lines(&[]).await;
        let report = f.verify(&kept).await;
        assert_says(&report, "is empty: an archive with no history proves nothing");
        assert_says(&report, "kept checkpoint: the archive has 0 lines, the checkpoint describes 2");
    })
    .await;
}

#[tokio::test]
async fn a_path_that_does_not_exist_is_invalid_and_stays_so() {
    let f = fixture(false, 1, 400).await;
    let kept = f.kept().await;
    let nowhere = f.tmp.path().join("nowhere");
    let archive = Archive::open(&nowhere.display().to_string()).await.unwrap();
    let report = archive.verify_with(&f.keys(), &kept).await.unwrap();
    assert_says(&report, "not an archive: does not exist");
    assert_says(&report, "kept checkpoint: describes 1 lines");
    assert!(
        archive.entries().await.is_err()
            && archive.snapshot().await.is_err()
            && archive.list(&Default::default()).await.is_err()
    );
    assert!(!nowhere.exists(), "reading created the directory");

    // An S3 prefix with nothing in it, likewise.
    let bucket = bucket("nowhere").await;
    let archive = open_s3(&bucket, "evidence").await;
    let report = archive.verify_with(&f.keys(), &kept).await.unwrap();
    assert_says(&report, "not an archive: no index");
    assert!(archive.snapshot().await.is_err());
    assert!(keys_in(&raw_s3(&endpoint(), &bucket)).await.is_empty(), "reading created something");
}

#[tokio::test]
async fn an_unsigned_or_untrusted_kept_checkpoint_is_named() {
    let f = fixture(false, 1, 410).await;
    let kept = f.kept().await;
    let body_only = format!("{}\n", kept.split("\n\n").next().unwrap());
    assert_says(&f.verify(&format!("{body_only}\n")).await, "kept checkpoint: not signed");
    let stranger = key();
    let report = f.archive().await.verify_with(&[f.signing.public(), stranger.public()], &kept).await.unwrap();
    assert!(report.valid, "{report:#?}");
    let forged = Checkpoint {
        origin: kept.lines().next().unwrap().to_owned(),
        size: 1,
        root: merkle::leaf_hash(b"not the line"),
    }
    .to_note(&[&stranger]);
    let report = f.verify(&forged).await;
    assert_says(&report, "kept checkpoint: signed, but by no trusted key");
    assert_says(&report, "kept checkpoint: the first 1 lines have root ");
    assert_says(&f.verify("certify-archive x\n1\n").await, "kept checkpoint: not a checkpoint: no blank line");
}

#[tokio::test]
async fn decisions_citing_a_checkpoint_the_index_does_not_have_are_named() {
    both(async |s3| {
        let f = fixture(s3, 2, 420).await;
        let archive = f.archive().await;
        let honest = f.kept().await;
        // A checkpoint of this archive, signed, but of a history it never had.
        let forged = Checkpoint {
            origin: honest.lines().next().unwrap().to_owned(),
            size: 2,
            root: merkle::leaf_hash(b"another history"),
        }
        .to_note(&[&f.signing]);
        let (record, meta) = decision(&f.signing, "production", "2.0.0", None, false, &f.ids[..1], Some(&forged));
        let entry = archive.add_decision(&record, meta).await.unwrap();
        let report = archive.verify(&f.keys()).await.unwrap();
        assert_says(
            &report,
            &format!(
                "decisions/{}.intoto.jsonl: the archive it was decided on is not this one: the first 2 lines have root",
                entry.id
            ),
        );

        // One that claims to have seen its own line.
        let f = fixture(s3, 2, 430).await;
        let archive = f.archive().await;
        let ahead =
            Checkpoint { origin: honest.lines().next().unwrap().to_owned(), size: 3, root: [0; 32] }.to_note(&[]);
        let (record, meta) = decision(&f.signing, "production", "2.0.0", None, true, &f.ids[..1], Some(&ahead));
        archive.add_decision(&record, meta).await.unwrap();
        let report = archive.verify(&f.keys()).await.unwrap();
        assert_says(&report, "its archive checkpoint describes 3 lines, but the decision is line 3");
        assert_says(&report, "its archive checkpoint is for \"certify-archive ");
    })
    .await;
}

/// A writer that stopped after its line: the checkpoint is behind, verify says so, and the
/// next append catches up without losing the line.
#[tokio::test]
async fn a_checkpoint_left_behind_is_named_and_caught_up_on() {
    both(async |s3| {
        let mut f = fixture(s3, 2, 440).await;
        let before = f.objects().await;
        f.add(442).await;
        // Undo everything the append wrote after its index line.
        for name in ["checkpoint", "tree.json"] {
            f.put(name, before[name].clone()).await;
        }
        f.remove(&format!("ids/bundle-{}", f.ids[2])).await;
        let report = f.archive().await.verify(&f.keys()).await.unwrap();
        assert_says(&report, "checkpoint: covers 2 of the 3 lines: lines 3..=3 are in no checkpoint");

        // Adding the same bundle again finds it (it was indexed), and publishes.
        let again = write_bundle(&f.tmp.path().join("b442-again"), &Run::new(442), Some(&f.signing));
        let entry = f.archive().await.add_bundle(&again, &f.keys(), false).await.unwrap();
        assert_eq!((entry.seq, &entry.id), (3, &f.ids[2]));
        f.add(443).await;
        let report = f.archive().await.verify(&f.keys()).await.unwrap();
        assert!(report.valid && report.warnings.is_empty(), "{report:#?}");
        assert_eq!(report.checkpoint.map(|c| c.size), Some(4));
        assert_eq!(f.archive().await.entries().await.unwrap().len(), 4);
    })
    .await;
}

/// An archive written by a certify before checkpoints (no id, no checkpoint, no state; on S3
/// one `index.jsonl`) reads as it did, verifies INVALID for want of a checkpoint, and its next
/// append brings it up to date without losing a line.
#[tokio::test]
async fn an_archive_from_before_checkpoints_is_brought_up_to_date_by_its_next_append() {
    both(async |s3| {
        let old = fixture(false, 2, 450).await;
        let mut objects = old.objects().await;
        objects.retain(|n, _| {
            !matches!(n.as_str(), "archive.json" | "checkpoint" | "tree.json" | "index.jsonl.lock")
                && !n.starts_with("ids/")
        });
        let mut f = fixture(s3, 0, 0).await;
        f.signing = copy(&old.signing);
        for (name, bytes) in &objects {
            f.put(name, bytes.clone()).await;
        }
        assert_eq!(f.archive().await.entries().await.unwrap().len(), 2);
        let report = f.archive().await.verify(&f.keys()).await.unwrap();
        assert_says(&report, "checkpoint: missing");

        f.ids = old.ids.clone();
        f.add(452).await;
        let report = f.archive().await.verify(&f.keys()).await.unwrap();
        assert!(report.valid && report.warnings.is_empty(), "{report:#?}");
        assert_eq!((report.entries, report.checkpoint.map(|c| c.size)), (3, Some(3)));
        if s3 {
            let segment = f.objects().await.remove("index/00000000.jsonl").expect("the index, in segments now");
            assert_eq!(segment.iter().filter(|b| **b == b'\n').count(), 3);
        }
    })
    .await;
}

/// What a witness does with a request: parse it, check the log's signature, check the
/// consistency proof from the root it holds, and cosign. Returns the cosignature line.
fn witness_checks_and_cosigns(
    body: &str,
    log: &PublicKey,
    held: Option<&SignedCheckpoint>,
    witness: &SigningKey,
) -> Result<String, String> {
    let request = WitnessRequest::parse(body)?;
    let note = SignedCheckpoint::parse(&request.note)?;
    if note.verified_by(std::slice::from_ref(log)).is_empty() {
        return Err("403: no signature of the log verifies".to_owned());
    }
    let (old_size, old_root) = held.map_or((0, [0; 32]), |h| (h.checkpoint.size, h.checkpoint.root));
    if request.old_size != old_size {
        return Err(format!("409: {old_size}"));
    }
    merkle::verify_consistency(old_size, note.checkpoint.size, &old_root, &note.checkpoint.root, &request.proof)
        .map_err(|e| format!("422: {e}"))?;
    Ok(cosignature_line(WITNESS, witness, 1_764_400_000 + note.checkpoint.size, &note.body))
}

const WITNESS: &str = "witness.example/w1";

/// The witness protocol end to end, as a witness would run it against the archive: after
/// every append, the request from the size the witness holds verifies and is cosigned, from
/// every earlier size too; a size beyond the checkpoint is refused as a rollback; the
/// cosigned checkpoint, kept, verifies with the archive's key and the witness's, and the
/// archive's current checkpoint is proven (from the index) to extend it.
#[tokio::test]
async fn a_witness_cosigns_every_checkpoint_the_requests_prove_consistent() {
    both(async |s3| {
        let mut f = fixture(s3, 1, 700).await;
        let witness = SigningKey::generate();
        let mut held: Option<SignedCheckpoint> = None;
        let mut kept: Vec<String> = Vec::new();
        for round in 0..4 {
            let archive = f.archive().await;
            let old = held.as_ref().map_or(0, |h| h.checkpoint.size);
            let body = archive.witness_request(old).await.unwrap().to_body();
            assert!(body.starts_with(&format!("old {old}\n")), "{body}");
            assert!(body.ends_with(&format!("\n\n{}", f.kept().await)), "the note as stored: {body}");
            let line = witness_checks_and_cosigns(&body, &f.signing.public(), held.as_ref(), &witness).unwrap();
            let cosigned = format!("{}{line}", f.kept().await);
            held = Some(SignedCheckpoint::parse(&cosigned).unwrap());
            kept.push(cosigned);
            if round < 3 {
                f.add(710 + round).await;
            }
        }
        // From every earlier size, not only the one the witness holds.
        let archive = f.archive().await;
        for old in 0..=4u64 {
            let r = archive.witness_request(old).await.unwrap();
            let note = SignedCheckpoint::parse(&r.note).unwrap();
            let old_root = kept
                .get((old as usize).wrapping_sub(1))
                .map_or([0; 32], |k| SignedCheckpoint::parse(k).unwrap().checkpoint.root);
            merkle::verify_consistency(old, 4, &old_root, &note.checkpoint.root, &r.proof).unwrap();
        }
        let err = archive.witness_request(5).await.unwrap_err().to_string();
        assert!(err.contains("checkpoint: describes 4 lines, fewer than the 5 a witness holds"), "{err}");

        let key = WitnessKey::of(WITNESS, &witness.public());
        for (i, k) in kept.iter().enumerate() {
            let report = archive.verify_witnessed(&f.keys(), k, std::slice::from_ref(&key)).await.unwrap();
            assert!(report.valid, "{:#?}", messages(&report));
            let c = report.kept_checkpoint.unwrap();
            assert_eq!(c.signed_by.len(), 1);
            assert_eq!(c.cosigned_by.len(), 1);
            assert_eq!(
                (c.cosigned_by[0].witness.as_str(), c.cosigned_by[0].timestamp),
                (WITNESS, 1_764_400_000 + i as u64 + 1)
            );
            let proof = report.consistency.expect("the proof from the index");
            assert_eq!((proof.old_size, proof.new_size), (i as u64 + 1, 4));
        }
    })
    .await;
}

/// A witness that has seen the archive's history refuses a request for a rewritten one: the
/// proof the archive computes from its (edited) index does not lead to the root the witness
/// holds. And `verify --checkpoint` names the edit twice, once by the root of the first lines
/// and once by the consistency proof: the two code paths agree.
#[tokio::test]
async fn an_edited_history_fails_the_witness_and_both_checks_of_verify() {
    let mut f = fixture(false, 2, 720).await;
    let held = SignedCheckpoint::parse(&f.kept().await).unwrap();
    let kept = f.kept().await;
    f.add(722).await;
    let witness = SigningKey::generate();
    let archive = f.archive().await;
    let body = archive.witness_request(2).await.unwrap().to_body();
    witness_checks_and_cosigns(&body, &f.signing.public(), Some(&held), &witness).unwrap();
    assert!(f.verify(&kept).await.consistency.is_some());

    // Someone who can write the archive, not sign: line 1 edited, the archive's checkpoint
    // re-made unsigned over the edited lines.
    let mut lines = f.lines().await;
    lines[0] = lines[0].replacen("\"added_at\":\"", "\"added_at\":\"1", 1);
    f.set_lines(&lines).await;
    let leaves: Vec<merkle::Hash> = lines.iter().map(|l| merkle::leaf_hash(l.as_bytes())).collect();
    let forged = Checkpoint { root: merkle::root(&leaves), ..held.checkpoint.clone() };
    let forged = Checkpoint { size: 3, ..forged };
    f.put("checkpoint", forged.to_note(&[]).into_bytes()).await;
    let request = archive.witness_request(2).await.unwrap().to_body();
    let refused = witness_checks_and_cosigns(&request, &f.signing.public(), Some(&held), &witness).unwrap_err();
    assert!(refused.starts_with("403"), "the forged checkpoint is not signed: {refused}");
    let resigned = request.replace(&forged.to_note(&[]), &forged.to_note(&[&f.signing]));
    let refused = witness_checks_and_cosigns(&resigned, &f.signing.public(), Some(&held), &witness).unwrap_err();
    // The old tree is a perfect one (2 lines): the proof starts from the witness's root, and
    // cannot lead to the forged one.
    assert!(refused.starts_with("422: the proof does not lead to the new root"), "{refused}");

    let report = f.verify(&kept).await;
    assert_says(&report, "kept checkpoint: the first 2 lines have root ");
    assert_says(
        &report,
        "kept checkpoint: the archive's checkpoint (3 lines) is not consistent with it by a proof from the index: \
         the proof does not lead to the new root",
    );
    assert!(report.consistency.is_none());
}

/// `--witness-key`: each named witness must have cosigned the kept checkpoint. No
/// cosignature, one by another key under the witness's name, one with a changed byte or
/// timestamp, and one taken from another checkpoint of the same archive are each named.
#[tokio::test]
async fn a_required_witness_cosignature_must_be_there_and_verify() {
    let mut f = fixture(false, 1, 730).await;
    let (witness, impostor) = (SigningKey::generate(), SigningKey::generate());
    let key = WitnessKey::of(WITNESS, &witness.public());
    let early = f.kept().await;
    let early_line = cosignature_line(WITNESS, &witness, 1_764_400_000, &SignedCheckpoint::parse(&early).unwrap().body);
    f.add(731).await;
    let note = f.kept().await;
    let body = SignedCheckpoint::parse(&note).unwrap().body;
    let good = cosignature_line(WITNESS, &witness, 1_764_400_001, &body);
    let archive = f.archive().await;
    let check =
        async |kept: String| archive.verify_witnessed(&f.keys(), &kept, std::slice::from_ref(&key)).await.unwrap();
    assert!(check(format!("{note}{good}")).await.valid);

    let flip = |line: &str, at: usize| {
        let (head, b64) = line.trim_end().rsplit_once(' ').unwrap();
        let mut blob = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap();
        blob[at] ^= 1;
        format!("{head} {}\n", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, blob))
    };
    for (what, kept) in [
        ("none", note.clone()),
        ("an impostor's", format!("{note}{}", cosignature_line(WITNESS, &impostor, 1_764_400_001, &body))),
        ("a changed signature byte", format!("{note}{}", flip(&good, 30))),
        ("a changed timestamp", format!("{note}{}", flip(&good, 11))),
        ("another checkpoint's", format!("{note}{early_line}")),
    ] {
        let report = check(kept).await;
        assert_says(&report, &format!("kept checkpoint: not cosigned by the witness {WITNESS} ({})", key.vkey()));
        assert_eq!(messages(&report).len(), 1, "{what}: only the witness is missing: {:#?}", messages(&report));
        assert!(report.kept_checkpoint.unwrap().cosigned_by.is_empty(), "{what}");
    }
    // Two witnesses required, one cosigned: the other is named.
    let second = WitnessKey::of("witness.example/w2", &impostor.public());
    let report = archive.verify_witnessed(&f.keys(), &format!("{note}{good}"), &[key.clone(), second]).await.unwrap();
    assert_says(&report, "not cosigned by the witness witness.example/w2");
    assert_eq!(messages(&report).len(), 1, "{:#?}", messages(&report));
}
