//! The S3 test server really enforces conditional writes, the primitive the archive's append
//! protocol stands on: a create-if-absent fails when the object exists, and of many writers
//! holding the same ETag exactly one wins.

use std::sync::Arc;

use object_store::{Error, ObjectStore, ObjectStoreExt as _, PutMode, PutPayload, UpdateVersion, path::Path};

use crate::support::{bucket, endpoint, raw_s3};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_s3_test_server_enforces_conditional_writes() {
    let bucket = bucket("cond").await;
    let s3: Arc<dyn ObjectStore> = Arc::new(raw_s3(&endpoint(), &bucket));
    let path = Path::from("index.jsonl");

    let first = s3.put_opts(&path, PutPayload::from("v0"), PutMode::Create.into()).await.expect("create");
    let again = s3.put_opts(&path, PutPayload::from("v0'"), PutMode::Create.into()).await;
    assert!(matches!(again, Err(Error::AlreadyExists { .. })), "a second create-if-absent must fail: {again:?}");

    // Sixteen writers, all holding the ETag of v0, at once: exactly one may win.
    let version = UpdateVersion { e_tag: first.e_tag.clone(), version: first.version.clone() };
    let writers = (0..16).map(|i| {
        let (s3, path, version) = (s3.clone(), path.clone(), version.clone());
        tokio::spawn(async move {
            s3.put_opts(&path, PutPayload::from(format!("v1 by writer {i}")), PutMode::Update(version).into()).await
        })
    });
    let results = futures::future::join_all(writers).await;
    let mut winners = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r.expect("task") {
            Ok(_) => winners.push(i),
            Err(Error::Precondition { .. }) => {}
            Err(e) => panic!("writer {i}: unexpected error {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one conditional writer must win, got {winners:?}");
    let stored = s3.get(&path).await.expect("get").bytes().await.expect("bytes");
    assert_eq!(stored.as_ref(), format!("v1 by writer {}", winners[0]).as_bytes());

    // The ETag of v0 is stale now.
    let stale = s3.put_opts(&path, PutPayload::from("v2"), PutMode::Update(version).into()).await;
    assert!(matches!(stale, Err(Error::Precondition { .. })), "{stale:?}");
}
