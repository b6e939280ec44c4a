//! An unreachable endpoint, refused credentials and a missing bucket are clear
//! [`ArchiveError`]s from `open` (runtime errors for the CLI), never a panic, and nothing is
//! written; a damaged index stops appends instead of being extended.

use std::{fs, time::Instant};

use certify_archive::{Archive, ArchiveError};

use crate::support::{Run, aws_env, aws_env_with, bucket, endpoint, key, keys_in, raw_s3, write_bundle};

#[tokio::test]
async fn an_unreachable_endpoint_is_a_clear_error() {
    // A port that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let err =
        Archive::open_with_env("s3://evidence/ci", aws_env(&format!("http://127.0.0.1:{port}"))).await.unwrap_err();
    assert!(matches!(err, ArchiveError::Unreachable { .. }), "{err:?}");
    assert!(err.is_runtime());
    let text = err.to_string();
    assert!(text.starts_with("s3://evidence/ci: cannot reach the object store: "), "{text}");
    assert!(started.elapsed().as_secs() < 20, "gave up after {:?}", started.elapsed());
}

#[tokio::test]
async fn refused_credentials_are_a_clear_error_and_nothing_is_written() {
    let bucket = bucket("creds").await;
    let location = format!("s3://{bucket}/evidence");
    for (id, secret, code) in [
        ("AKIACERTIFYTEST00001", "not-the-secret", "SignatureDoesNotMatch"),
        ("AKIANOSUCHKEY0000000", "whatever", "InvalidAccessKeyId"),
    ] {
        let err = Archive::open_with_env(&location, aws_env_with(&endpoint(), id, secret)).await.unwrap_err();
        assert!(matches!(err, ArchiveError::Credentials { .. }), "{err:?}");
        assert!(err.is_runtime());
        let text = err.to_string();
        assert!(text.contains(code) && text.contains("AWS_SECRET_ACCESS_KEY"), "{text}");
        assert!(!text.contains(secret), "an error never shows a secret: {text}");
    }
    assert!(keys_in(&raw_s3(&endpoint(), &bucket)).await.is_empty());
}

#[tokio::test]
async fn a_missing_bucket_is_a_clear_error() {
    let err = Archive::open_with_env("s3://certify-no-such-bucket/x", aws_env(&endpoint())).await.unwrap_err();
    assert!(matches!(err, ArchiveError::NoSuchBucket { .. }), "{err:?}");
    assert!(err.to_string().contains("\"certify-no-such-bucket\" does not exist"), "{err}");
}

#[tokio::test]
async fn unsupported_locations_are_refused() {
    for location in ["", "gs://bucket/x", "s3://", "s3://b/../x"] {
        let err = Archive::open(location).await.unwrap_err();
        assert!(matches!(err, ArchiveError::Location { .. }), "{location}: {err:?}");
        assert!(!err.is_runtime());
    }
}

#[tokio::test]
async fn a_damaged_index_is_not_appended_to() {
    let tmp = tempfile::tempdir().unwrap();
    let signing = key();
    let root = tmp.path().join("archive");
    let archive = Archive::open(&root.display().to_string()).await.unwrap();
    let first = write_bundle(&tmp.path().join("a"), &Run::new(40), Some(&signing));
    archive.add_bundle(&first, &[signing.public()], false).await.unwrap();

    // Cut short: the last line has no newline.
    let index = root.join("index.jsonl");
    let text = fs::read_to_string(&index).unwrap();
    fs::write(&index, &text[..text.len() - 1]).unwrap();
    let second = write_bundle(&tmp.path().join("b"), &Run::new(41), Some(&signing));
    let err = archive.add_bundle(&second, &[signing.public()], false).await.unwrap_err();
    assert!(err.to_string().contains("index.jsonl line 1: is "), "{err}");
    assert!(err.to_string().contains("lines were cut from its end; nothing is appended"), "{err}");
    assert_eq!(fs::read_to_string(&index).unwrap(), text[..text.len() - 1]);

    // Not an index entry.
    fs::write(&index, format!("{text}{{\"seq\": 2}}\n")).unwrap();
    let err = archive.add_bundle(&second, &[signing.public()], false).await.unwrap_err();
    assert!(matches!(err, ArchiveError::Index { line: 2, .. }), "{err:?}");
    assert!(err.to_string().contains("index.jsonl line 2: not an index entry: missing field"), "{err}");
    let err = archive.entries().await.unwrap_err();
    assert!(matches!(err, ArchiveError::Index { line: 2, .. }), "{err:?}");
}

#[tokio::test]
async fn an_s3_archive_with_valid_credentials_opens_empty() {
    let bucket = bucket("empty").await;
    let archive = Archive::open_with_env(&format!("s3://{bucket}"), aws_env(&endpoint())).await.unwrap();
    let err = archive.entries().await.unwrap_err();
    assert!(err.to_string().contains("not an archive: no index: nothing was ever archived here"), "{err}");
    // An empty archive is not a valid one.
    let report = archive.verify(&[key().public()]).await.unwrap();
    assert!(!report.valid && report.entries == 0 && report.head.is_none(), "{report:#?}");
    assert!(report.problems[0].message.contains("no index"), "{report:#?}");
    assert!(keys_in(&raw_s3(&endpoint(), &bucket)).await.is_empty(), "reading created nothing");
}
