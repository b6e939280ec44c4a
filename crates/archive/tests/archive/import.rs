//! Adding bundles: what is refused (an invalid bundle, an unsigned one without
//! --allow-unsigned, a symlink), what the index records, and reading it back (list, show,
//! fetch), in a directory and on S3 with the same layout.

use std::{
    fs,
    path::Path,
    time::{Duration, SystemTime},
};

use certify_archive::{Archive, ArchiveError, Filter, Record};
use certify_evidence::{
    attest::sha256_hex,
    bundle::{ENVELOPE, MANIFEST},
    verify::verify_bundle,
};

use crate::support::{Run, bucket, endpoint, key, keys_in, open_s3, raw_s3, write_bundle};

async fn open_dir(dir: &Path) -> Archive {
    Archive::open(&dir.display().to_string()).await.expect("open")
}

#[tokio::test]
async fn an_invalid_bundle_is_refused_naming_its_problems_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let dir = write_bundle(&tmp.path().join("b"), &Run::new(1), Some(&signing));
    fs::write(dir.join("junit.xml"), "<testsuites/>").unwrap();
    let archive_dir = tmp.path().join("archive");
    let archive = open_dir(&archive_dir).await;

    let err = archive.add_bundle(&dir, &[signing.public()], false).await.unwrap_err();
    assert!(matches!(err, ArchiveError::InvalidBundle { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("not archived, the bundle is not valid") && text.contains("junit.xml: modified"), "{text}");
    assert!(!err.is_runtime());

    // A key that did not sign it.
    let fresh = write_bundle(&tmp.path().join("c"), &Run::new(2), Some(&signing));
    let err = archive.add_bundle(&fresh, &[key().public()], false).await.unwrap_err();
    assert!(err.to_string().contains("signature check failed"), "{err}");

    assert!(matches!(archive.entries().await, Err(ArchiveError::NoArchive { .. })));
    assert!(!archive_dir.exists(), "nothing may be written, not even the archive's directory");
}

#[tokio::test]
async fn an_unsigned_bundle_needs_allow_unsigned_and_is_recorded_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_bundle(&tmp.path().join("b"), &Run::new(3), None);
    let archive = open_dir(&tmp.path().join("archive")).await;
    let keys = [key().public()];

    let err = archive.add_bundle(&dir, &keys, false).await.unwrap_err();
    assert!(matches!(err, ArchiveError::Unsigned { .. }), "{err:?}");
    assert!(err.to_string().contains("--allow-unsigned"), "{err}");
    assert!(matches!(archive.entries().await, Err(ArchiveError::NoArchive { .. })));

    let entry = archive.add_bundle(&dir, &keys, true).await.unwrap();
    assert_eq!(
        entry.id,
        sha256_hex(&fs::read(dir.join(MANIFEST)).unwrap()),
        "an unsigned bundle's id is its manifest's sha256"
    );
    let b = entry.bundle().unwrap();
    assert!(!b.signed && b.unsigned_allowed && b.signer.is_none(), "{b:?}");
    let report = archive.verify(&keys).await.unwrap();
    assert!(report.valid, "{report:#?}");

    // Even allowed, an unsigned bundle must match its own manifest.
    let broken = write_bundle(&tmp.path().join("c"), &Run::new(4), None);
    fs::write(broken.join("junit.xml"), "x").unwrap();
    let err = archive.add_bundle(&broken, &keys, true).await.unwrap_err();
    assert!(err.to_string().contains("junit.xml: modified: sha256 is"), "{err}");
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_in_a_bundle_refuses_it() {
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let dir = write_bundle(&tmp.path().join("b"), &Run::new(5), Some(&signing));
    std::os::unix::fs::symlink("/etc/hostname", dir.join("transcripts/extra.json")).unwrap();
    let archive = open_dir(&tmp.path().join("archive")).await;
    let err = archive.add_bundle(&dir, &[signing.public()], false).await.unwrap_err();
    assert!(err.to_string().contains("transcripts/extra.json: symbolic link"), "{err}");
    assert!(!tmp.path().join("archive/bundles").exists());
}

#[tokio::test]
async fn index_entries_say_what_the_bundle_says_and_adding_twice_is_a_no_op() {
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let keys = [signing.public()];
    let archive = open_dir(&tmp.path().join("archive")).await;
    let a = write_bundle(&tmp.path().join("a"), &Run::new(10), Some(&signing));
    let b = write_bundle(
        &tmp.path().join("b"),
        &Run { flaky: true, target: "prod", version: "1.5.0", ..Run::new(11) },
        Some(&signing),
    );

    let ea = archive.add_bundle(&a, &keys, false).await.unwrap();
    let eb = archive.add_bundle(&b, &keys, false).await.unwrap();
    assert_eq!(ea.id, sha256_hex(&fs::read(a.join(ENVELOPE)).unwrap()));
    assert_eq!((ea.seq, eb.seq), (1, 2));
    assert_eq!(ea.prev, "0".repeat(64));
    assert_eq!(ea.path, format!("bundles/{}", ea.id));
    let again = archive.add_bundle(&a, &keys, false).await.unwrap();
    assert_eq!(again, ea, "adding the same bundle again returns the existing entry");
    assert_eq!(archive.entries().await.unwrap().len(), 2);

    let ba = ea.bundle().unwrap();
    assert_eq!(ba.run_id, "00000000-0000-7000-8000-00000000000a");
    assert_eq!((ba.target.as_str(), ba.platform_version.as_str(), ba.status.as_str()), ("staging", "2.0.0", "passed"));
    assert_eq!(ba.git_commit.as_deref(), Some(format!("{:040x}", 0xc0ffee_u64 + 10).as_str()));
    assert!(ba.complete && ba.signed && !ba.unsigned_allowed);
    assert_eq!(ba.signer.as_deref(), Some(format!("SHA256:{}", signing.public().fingerprint()).as_str()));
    let features: Vec<(&str, &str, Option<&str>)> =
        ba.features.iter().map(|f| (f.id.as_str(), f.verdict.as_str(), f.maturity.as_deref())).collect();
    assert_eq!(features, [("quotas", "certified", Some("ga")), ("usage-export", "certified", Some("beta"))]);
    assert!(ba.flaky_scenarios.is_empty());
    let bb = eb.bundle().unwrap();
    assert_eq!(bb.status, "flaky");
    assert_eq!(bb.flaky_scenarios, ["features/usage-export.feature:7"]);
    let features: Vec<(&str, &str, Option<&str>)> =
        bb.features.iter().map(|f| (f.id.as_str(), f.verdict.as_str(), f.maturity.as_deref())).collect();
    assert_eq!(features, [("quotas", "certified", Some("beta")), ("usage-export", "flaky", Some("alpha"))]);

    // The line on disk is exactly the entry's line.
    let index = fs::read_to_string(tmp.path().join("archive/index.jsonl")).unwrap();
    assert_eq!(index, format!("{}\n{}\n", ea.to_line(), eb.to_line()));
}

#[tokio::test]
async fn list_show_and_fetch_read_the_archive_back() {
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let keys = [signing.public()];
    let archive = open_dir(&tmp.path().join("archive")).await;
    let mut ids = Vec::new();
    for (i, run) in
        [Run::new(20), Run { target: "prod", ..Run::new(21) }, Run { version: "1.5.0", flaky: true, ..Run::new(22) }]
            .iter()
            .enumerate()
    {
        let dir = write_bundle(&tmp.path().join(format!("b{i}")), run, Some(&signing));
        ids.push(archive.add_bundle(&dir, &keys, false).await.unwrap().id);
    }
    let listed = |f: Filter| {
        let archive = &archive;
        async move { archive.list(&f).await.unwrap().into_iter().map(|e| e.id).collect::<Vec<_>>() }
    };
    assert_eq!(listed(Filter::default()).await, ids);
    assert_eq!(listed(Filter { target: Some("prod".into()), ..Filter::default() }).await, [ids[1].clone()]);
    assert_eq!(listed(Filter { platform_version: Some("1.5.0".into()), ..Filter::default() }).await, [ids[2].clone()]);
    assert_eq!(listed(Filter { status: Some("flaky".into()), ..Filter::default() }).await, [ids[2].clone()]);
    assert_eq!(
        listed(Filter { feature: Some("usage-export".into()), verdict: Some("flaky".into()), ..Filter::default() })
            .await,
        [ids[2].clone()]
    );
    let rev = format!("{:040x}", 0xc0ffee_u64 + 21);
    assert_eq!(listed(Filter { git_rev: Some(rev.to_ascii_uppercase()), ..Filter::default() }).await, [ids[1].clone()]);
    assert_eq!(listed(Filter { git_rev: Some(rev[..39].to_owned()), ..Filter::default() }).await, ids);
    // Run 21 finished at this instant (see support::write_bundle).
    let finished_21 = SystemTime::UNIX_EPOCH + Duration::from_millis((1_790_000_000 + 21 * 60) * 1000 + 1500);
    assert_eq!(listed(Filter { since: Some(finished_21), ..Filter::default() }).await, ids[1..]);
    assert_eq!(listed(Filter { until: Some(finished_21), ..Filter::default() }).await, ids[..2]);

    let (entry, manifest) = archive.show(&ids[1][..12]).await.unwrap();
    assert_eq!(entry.id, ids[1]);
    let manifest = manifest.expect("a bundle's manifest");
    assert_eq!(manifest.header.target.name, "prod");
    let err = archive.show("ffffffffffff").await.unwrap_err();
    assert!(matches!(err, ArchiveError::NotFound { .. }), "{err:?}");
    let err = archive.show("").await.unwrap_err();
    assert!(matches!(err, ArchiveError::NotFound { .. }), "{err:?}");

    let to = tmp.path().join("fetched");
    archive.fetch_bundle(&ids[0], &to).await.unwrap();
    let v = verify_bundle(&to, &keys);
    assert!(v.valid, "{:?}", v.problems);
    let err = archive.fetch_bundle(&ids[0], &to).await.unwrap_err();
    assert!(err.to_string().contains("exists and is not empty"), "{err}");
    let err = archive.fetch_bundle("../../etc", &tmp.path().join("x")).await.unwrap_err();
    assert!(err.to_string().contains("not a bundle id"), "{err}");
    let err = archive.fetch_bundle(&"0".repeat(64), &tmp.path().join("y")).await.unwrap_err();
    assert!(matches!(err, ArchiveError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn an_s3_archive_has_the_same_layout_under_its_prefix() {
    let bucket = bucket("layout").await;
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let keys = [signing.public()];
    let archive = open_s3(&bucket, "team/evidence").await;
    let dir = write_bundle(&tmp.path().join("b"), &Run::new(30), Some(&signing));
    let entry = archive.add_bundle(&dir, &keys, false).await.unwrap();

    let local = open_dir(&tmp.path().join("archive")).await;
    let local_entry = local.add_bundle(&dir, &keys, false).await.unwrap();
    assert_eq!(local_entry.id, entry.id);

    let stored = keys_in(&raw_s3(&endpoint(), &bucket)).await;
    let mut expected: Vec<String> = archive_files(&tmp.path().join("archive"));
    // The one difference: S3 cannot append to an object, so its index is in segments.
    expected
        .iter_mut()
        .for_each(|k| *k = format!("team/evidence/{}", k.replace("index.jsonl", "index/00000000.jsonl")));
    assert_eq!(stored, expected, "the bucket holds what the directory holds, under the prefix");
    assert!(stored.contains(&format!("team/evidence/bundles/{}/{ENVELOPE}", entry.id)));
    assert!(stored.contains(&"team/evidence/index/00000000.jsonl".to_owned()));

    let (shown, manifest) = archive.show(&entry.id).await.unwrap();
    assert!(matches!(shown.record, Record::Bundle(_)) && manifest.is_some());
    let to = tmp.path().join("fetched");
    archive.fetch_bundle(&entry.id, &to).await.unwrap();
    assert!(verify_bundle(&to, &keys).valid);
}

/// Every file of a local archive but its lock, relative and sorted.
fn archive_files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.retain(|f| f != "index.jsonl.lock");
    out.sort();
    out
}
