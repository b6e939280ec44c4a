//! An append costs the same whatever the archive's size, counted rather than timed: through an
//! object store that counts requests and bytes, adding a bundle to an archive of 100 lines and
//! to one of 10,100 lines (both with a last segment of 100 lines) makes the same requests and
//! moves the same bytes, a small fraction of the index. In a directory, an append does not
//! read the lines before its own at all.

use std::{
    fmt, fs,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use async_trait::async_trait;
use certify_archive::{
    Archive, BundleMeta, IndexEntry, Record,
    index::{GENESIS, line_hash},
};
use futures::stream::BoxStream;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, ObjectStoreExt as _,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result, memory::InMemory, path::Path,
};

use crate::support::{Run, copy, key, write_bundle};

/// Counts what passes through to the store it wraps.
#[derive(Debug, Default)]
struct Counting {
    inner: InMemory,
    requests: AtomicU64,
    read: AtomicU64,
    written: AtomicU64,
}

impl Counting {
    fn reset(&self) {
        for c in [&self.requests, &self.read, &self.written] {
            c.store(0, Ordering::SeqCst);
        }
    }

    fn counts(&self) -> (u64, u64, u64) {
        (self.requests.load(Ordering::SeqCst), self.read.load(Ordering::SeqCst), self.written.load(Ordering::SeqCst))
    }

    fn request(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }
}

impl fmt::Display for Counting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Counting({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for Counting {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        self.request();
        self.written.fetch_add(payload.content_length() as u64, Ordering::SeqCst);
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(&self, location: &Path, opts: PutMultipartOptions) -> Result<Box<dyn MultipartUpload>> {
        self.request();
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.request();
        let r = self.inner.get_opts(location, options).await?;
        self.read.fetch_add(r.range.end - r.range.start, Ordering::SeqCst);
        Ok(r)
    }

    fn delete_stream(&self, locations: BoxStream<'static, Result<Path>>) -> BoxStream<'static, Result<Path>> {
        self.request();
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.request();
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.request();
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.request();
        self.inner.copy_opts(from, to, options).await
    }
}

/// `n` chained index lines of made-up bundles.
fn history(n: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::with_capacity(n);
    for i in 0..n {
        let entry = IndexEntry {
            seq: i as u64 + 1,
            prev: lines.last().map_or_else(|| GENESIS.to_owned(), |l| line_hash(l.as_bytes())),
            id: format!("{i:064x}"),
            added_at: "2026-01-01T00:00:00.000Z".into(),
            path: format!("bundles/{i:064x}"),
            record: Record::Bundle(BundleMeta {
                run_id: format!("run-{i:08}"),
                target: "staging".into(),
                platform_version: "2.0.0".into(),
                git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
                status: "passed".into(),
                complete: true,
                signed: true,
                signer: Some(format!("SHA256:{}", "f".repeat(64))),
                finished_at: "2026-01-01T00:00:00.000Z".into(),
                unsigned_allowed: false,
                features: vec![],
                flaky_scenarios: vec![],
            }),
        };
        lines.push(entry.to_line());
    }
    lines
}

/// (requests, bytes read, bytes written) of one add to an S3-layout archive of `n` lines, and
/// the index's size in bytes.
async fn cost_of_an_append(n: usize) -> ((u64, u64, u64), u64) {
    let store = Arc::new(Counting::default());
    let lines = history(n);
    for (k, chunk) in lines.chunks(1000).enumerate() {
        let text: String = chunk.iter().map(|l| format!("{l}\n")).collect();
        store.inner.put(&Path::from(format!("index/{k:08}.jsonl")), PutPayload::from(text)).await.unwrap();
    }
    let index_bytes: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
    let signing = key();
    let archive = Archive::on_object_store(store.clone(), "memory://counted").with_signer(Some(copy(&signing)));
    let tmp = tempfile::tempdir().unwrap();
    // The first append writes the archive's id, state and markers: the one-off catch-up of an
    // archive written before checkpoints.
    let first = write_bundle(&tmp.path().join("first"), &Run::new(500), Some(&signing));
    archive.add_bundle(&first, &[signing.public()], false).await.unwrap();
    let second = write_bundle(&tmp.path().join("second"), &Run::new(501), Some(&signing));
    store.reset();
    let entry = archive.add_bundle(&second, &[signing.public()], false).await.unwrap();
    assert_eq!(entry.seq, n as u64 + 2);
    let counts = store.counts();
    let report = archive.snapshot().await.unwrap();
    assert_eq!(report.checkpoint.checkpoint.size, n as u64 + 2);
    (counts, index_bytes)
}

#[tokio::test]
async fn an_append_costs_the_same_at_100_and_at_10100_lines() {
    let ((req_small, read_small, written_small), _) = cost_of_an_append(98).await;
    let ((req_large, read_large, written_large), index_large) = cost_of_an_append(10_098).await;
    assert_eq!(req_large, req_small, "requests per append");
    // The bytes differ only by the digits of larger sequence numbers and a few frontier hashes.
    assert!(read_large <= read_small + 2048, "read {read_large} bytes at 10,100 lines, {read_small} at 100");
    assert!(written_large <= written_small + 2048, "wrote {written_large} at 10,100 lines, {written_small} at 100");
    assert!(read_large < index_large / 10, "an append reads {read_large} bytes of a {index_large}-byte index");
}

#[tokio::test]
async fn an_append_to_a_directory_does_not_read_the_lines_before_it() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("archive");
    let signing = key();
    let archive = Archive::open(&root.display().to_string()).await.unwrap().with_signer(Some(copy(&signing)));
    for seed in 0..2 {
        let dir = write_bundle(&tmp.path().join(format!("b{seed}")), &Run::new(510 + seed), Some(&signing));
        archive.add_bundle(&dir, &[signing.public()], false).await.unwrap();
    }
    // Overwrite the first line with bytes that are no index entry, keeping its length: an
    // append that read it would refuse to go on.
    let index = root.join("index.jsonl");
    let mut bytes = fs::read(&index).unwrap();
    let first_len = bytes.iter().position(|b| *b == b'\n').unwrap();
    bytes[..first_len].fill(b'#');
    fs::write(&index, &bytes).unwrap();
    let dir = write_bundle(&tmp.path().join("b2"), &Run::new(512), Some(&signing));
    let entry = archive.add_bundle(&dir, &[signing.public()], false).await.unwrap();
    assert_eq!(entry.seq, 3);
    // The damage is still there for verify to name.
    let report = archive.verify(&[signing.public()]).await.unwrap();
    assert!(
        report.problems.iter().any(|p| p.to_string().starts_with("index.jsonl line 1: not an index entry")),
        "{report:#?}"
    );
}
