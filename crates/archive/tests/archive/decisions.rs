//! Gate decision records: appended with the index fields the gate gives, refused when those
//! disagree with the signed record or rely on bundles the archive does not hold, and checked
//! by `verify` (signature, digest, fields).

use std::fs;

use certify_archive::{Added, Archive, ArchiveError, DecisionMeta, Filter, input_uri};
use certify_evidence::attest::sha256_hex;

use crate::support::{Run, bucket, decision, key, open_s3, write_bundle};

async fn archive_with_bundles(
    tmp: &std::path::Path,
    signing: &certify_evidence::attest::SigningKey,
) -> (Archive, Vec<String>) {
    let archive = Archive::open(&tmp.join("archive").display().to_string()).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..2 {
        let dir = write_bundle(&tmp.join(format!("b{i}")), &Run::new(80 + i), Some(signing));
        ids.push(archive.add_bundle(&dir, &[signing.public()], false).await.unwrap().id);
    }
    (archive, ids)
}

#[tokio::test]
async fn a_decision_is_appended_once_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let (archive, ids) = archive_with_bundles(tmp.path(), &signing).await;
    let (record, meta) = decision(&signing, "production", "2.0.0", Some("abc1234"), false, &ids, None);

    let entry = archive.add_decision(&record, meta.clone()).await.unwrap();
    let mut stored = record.clone();
    stored.push(b'\n');
    assert_eq!(entry.id, sha256_hex(&stored), "the id is the sha256 of the stored file");
    assert_eq!(entry.path, format!("decisions/{}.intoto.jsonl", entry.id));
    assert_eq!(fs::read(tmp.path().join("archive").join(&entry.path)).unwrap(), stored);
    assert_eq!(entry.decision(), Some(&meta));
    assert_eq!(entry.seq, 3);
    assert_eq!(archive.add_decision(&stored, meta.clone()).await.unwrap(), entry, "adding it again is a no-op");

    let listed = archive.list(&Filter { status: Some("block".into()), ..Filter::default() }).await.unwrap();
    assert_eq!(listed, std::slice::from_ref(&entry));
    let (shown, manifest) = archive.show(&entry.id[..8]).await.unwrap();
    assert_eq!((shown, manifest.is_none()), (entry, true));

    let report = archive.verify(&[signing.public()]).await.unwrap();
    assert!(report.valid, "{:#?}", report.problems);
    assert_eq!(report.decisions, 1);
}

#[tokio::test]
async fn a_decision_that_disagrees_with_its_fields_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let (archive, ids) = archive_with_bundles(tmp.path(), &signing).await;
    let (record, meta) = decision(&signing, "production", "2.0.0", None, true, &ids, None);

    let cases: Vec<(DecisionMeta, &str)> = vec![
        (
            DecisionMeta { promote: false, ..meta.clone() },
            "promote is false, but the record's verificationResult is \"PASSED\"",
        ),
        (
            DecisionMeta { stage: "staging".into(), ..meta.clone() },
            "stage is \"staging\", the record is about stage \"production\"",
        ),
        (DecisionMeta { candidate: "2.0.1".into(), ..meta.clone() }, "candidate is \"2.0.1\""),
        (DecisionMeta { rev: Some("f00".into()), ..meta.clone() }, "rev is Some(\"f00\")"),
        (DecisionMeta { inputs: ids[..1].to_vec(), ..meta.clone() }, "the record's inputAttestations are"),
        (DecisionMeta { policy_sha256: "a".repeat(64), ..meta.clone() }, "the record's policy digest is"),
        (DecisionMeta { policy_sha256: "x".into(), ..meta.clone() }, "policy_sha256 \"x\" is not a sha256"),
        (DecisionMeta { inputs: vec!["../x".into()], ..meta.clone() }, "input \"../x\" is not a bundle id"),
    ];
    for (bad, wanted) in cases {
        let err = archive.add_decision(&record, bad).await.unwrap_err();
        assert!(matches!(err, ArchiveError::InvalidDecision { .. }), "{err:?}");
        assert!(err.to_string().contains(wanted), "{wanted}: {err}");
    }
    for (bytes, wanted) in [
        (b"not json".to_vec(), "DSSE envelope is not valid"),
        ([record.clone(), b"\n".to_vec(), record.clone()].concat(), "more than one line"),
    ] {
        let err = archive.add_decision(&bytes, meta.clone()).await.unwrap_err();
        assert!(err.to_string().contains(wanted), "{wanted}: {err}");
    }

    // A record relying on a bundle that is not in the archive.
    let stranger = "b".repeat(64);
    let (record, meta) =
        decision(&signing, "production", "2.0.0", None, true, &[ids[0].clone(), stranger.clone()], None);
    let err = archive.add_decision(&record, meta).await.unwrap_err();
    assert!(err.to_string().contains(&format!("input {stranger} is not a bundle of this archive")), "{err}");

    assert_eq!(archive.entries().await.unwrap().len(), 2, "nothing was appended");
    assert!(!tmp.path().join("archive/decisions").exists(), "nothing was stored");
}

#[tokio::test]
async fn verify_names_an_altered_or_untrusted_decision() {
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let (archive, ids) = archive_with_bundles(tmp.path(), &signing).await;
    let outsider = key();
    let (record, meta) = decision(&outsider, "production", "2.0.0", None, true, &ids, None);
    let entry = archive.add_decision(&record, meta).await.unwrap();

    let report = archive.verify(&[signing.public()]).await.unwrap();
    let wanted = format!("decisions/{}.intoto.jsonl: signature check failed", entry.id);
    assert!(report.problems.iter().any(|p| p.to_string().starts_with(&wanted)), "{:#?}", report.problems);

    let path = tmp.path().join("archive").join(&entry.path);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("\"payloadType\"", " \"payloadType\"")).unwrap();
    let report = archive.verify(&[signing.public(), outsider.public()]).await.unwrap();
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].starts_with(&format!("{}: modified: sha256 is", entry.path)), "{problems:#?}");
    assert!(problems[1].starts_with(&format!("{}: not byte-for-byte", entry.path)), "{problems:#?}");
}

/// A decision names the bundles it relied on relative to the archive's root, by the file whose
/// sha256 is their id: the same names in a directory and on S3. Adding a bundle again says it
/// was already archived and appends nothing.
#[tokio::test]
async fn inputs_are_named_within_the_archive_alike_in_a_directory_and_on_s3() {
    let bucket = bucket("inputs").await;
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let keys = [signing.public()];
    let signed = write_bundle(&tmp.path().join("signed"), &Run::new(31), Some(&signing));
    let unsigned = write_bundle(&tmp.path().join("unsigned"), &Run::new(32), None);
    let mut named = Vec::new();
    let archives = [
        open_s3(&bucket, "team/evidence").await,
        Archive::open(&tmp.path().join("dir").display().to_string()).await.unwrap(),
    ];
    for (n, archive) in archives.iter().enumerate() {
        let mut uris = Vec::new();
        for (dir, allow_unsigned) in [(&signed, false), (&unsigned, true)] {
            let added = archive.import_bundle(dir, &keys, allow_unsigned).await.unwrap();
            let Added::Appended(entry) = added else { panic!("first add of {}: {added:?}", dir.display()) };
            let uri = input_uri(&entry).expect("a bundle has an input uri");
            let fetched = tmp.path().join(format!("fetched-{n}-{}", entry.seq));
            archive.fetch_bundle(&entry.id, &fetched).await.unwrap();
            let file = uri.strip_prefix(&format!("bundles/{}/", entry.id)).expect("under the bundle's directory");
            assert_eq!(sha256_hex(&fs::read(fetched.join(file)).unwrap()), entry.id, "{uri}");
            let again = archive.import_bundle(dir, &keys, allow_unsigned).await.unwrap();
            assert_eq!(again, Added::AlreadyArchived(entry.clone()));
            uris.push(uri);
        }
        assert_eq!(archive.entries().await.unwrap().len(), 2, "adding again appended nothing");
        named.push(uris);
    }
    assert_eq!(named[0], named[1], "S3 and a directory name inputs alike");
    assert!(named[0][0].ends_with("/attestation.intoto.jsonl") && named[0][1].ends_with("/bundle.json"), "{named:?}");
    assert!(named[0].iter().all(|u| u.starts_with("bundles/")), "{named:?}");
}

/// A decision's statement is read back from its record, checked against the id the index gives
/// it: a record changed in place is refused, naming it.
#[tokio::test]
async fn a_decision_statement_is_read_back_unless_it_was_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let (archive, ids) = archive_with_bundles(tmp.path(), &signing).await;
    let (record, meta) = decision(&signing, "production", "2.0.0", None, false, &ids, None);
    let entry = archive.add_decision(&record, meta).await.unwrap();
    let statement = archive.decision_statement(&entry).await.unwrap();
    assert_eq!(statement.predicate["verificationResult"], "FAILED");
    assert_eq!(statement.predicate["inputAttestations"][1]["digest"]["sha256"], ids[1].as_str());

    let bundle = archive.entries().await.unwrap().remove(0);
    let err = archive.decision_statement(&bundle).await.unwrap_err();
    assert!(err.to_string().contains("index line 1 is not a decision record"), "{err}");

    let path = tmp.path().join("archive").join(&entry.path);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("\"payloadType\"", " \"payloadType\"")).unwrap();
    let err = archive.decision_statement(&entry).await.unwrap_err();
    assert!(err.to_string().contains(&format!("{}: modified: sha256 is", entry.path)), "{err}");
    fs::remove_file(&path).unwrap();
    let err = archive.decision_statement(&entry).await.unwrap_err();
    assert!(err.to_string().contains("missing: the index records this decision"), "{err}");
}
