//! Fixtures: real evidence bundles written by certify-evidence's `BundleWriter` from a small
//! synthetic run, signed decision records, and buckets on the S3 test server.
//!
//! The S3 tests need the server of `tests/s3_server.py` (moto, one request at a time, with
//! authentication) and its URL in `CERTIFY_S3_ENDPOINT`; without it they fail, saying so.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
    time::SystemTime,
};

use certify_archive::{Archive, DecisionMeta};
use certify_evidence::{
    attest::{Envelope, PAYLOAD_TYPE_INTOTO, ResourceDescriptor, STATEMENT_TYPE, SigningKey, Statement, VSA_PREDICATE},
    synthetic::{self, SyntheticRun},
};
use object_store::{
    ObjectStore,
    aws::{AmazonS3Builder, S3ConditionalPut},
};
use sha2::{Digest as _, Sha256};

/// The variable naming the S3 test server.
pub const ENDPOINT_VAR: &str = "CERTIFY_S3_ENDPOINT";
/// The credentials `tests/s3_server.py` creates (override with CERTIFY_S3_ACCESS_KEY_ID and
/// CERTIFY_S3_SECRET_ACCESS_KEY for another server).
const ACCESS_KEY_ID: &str = "AKIACERTIFYTEST00001";
const SECRET_ACCESS_KEY: &str = "certify-archive-test-secret";

/// What the synthetic run looks like.
#[derive(Debug, Clone)]
pub struct Run {
    /// Makes the run (its id, commit and times) distinct from others.
    pub seed: usize,
    pub target: &'static str,
    pub version: &'static str,
    /// The usage-export scenario passes only on its second attempt.
    pub flaky: bool,
}

impl Run {
    pub fn new(seed: usize) -> Run {
        Run { seed, target: "staging", version: "2.0.0", flaky: false }
    }
}

/// A fresh signing key (and its public half).
pub fn key() -> SigningKey {
    SigningKey::generate()
}

/// A copy of `key` (signing keys are not `Clone`: each copy is deliberate).
pub fn copy(key: &SigningKey) -> SigningKey {
    SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).expect("a key's own PEM")
}

/// The archive's current checkpoint note, checked against its index.
pub async fn checkpoint_note(archive: &Archive) -> String {
    archive.snapshot().await.expect("the archive's checkpoint agrees with its index").note
}

/// Writes a complete bundle for `run` at `dir`, signed with `key` (unsigned with `None`).
pub fn write_bundle(dir: &Path, run: &Run, key: Option<&SigningKey>) -> PathBuf {
    let synthetic =
        SyntheticRun { seed: run.seed, target: run.target.into(), version: run.version.into(), flaky: run.flaky };
    synthetic::write_bundle(dir, &synthetic, key).expect("the synthetic bundle is written")
}

/// A signed decision record (one DSSE line) and the index fields that agree with it.
pub fn decision(
    key: &SigningKey,
    stage: &str,
    candidate: &str,
    rev: Option<&str>,
    promote: bool,
    inputs: &[String],
    checkpoint: Option<&str>,
) -> (Vec<u8>, DecisionMeta) {
    let policy_sha256 = certify_evidence::attest::sha256_hex(b"[stage.production]\n");
    let candidate_v = certify_gate::Candidate {
        stage: stage.into(),
        version: semver::Version::parse(candidate).expect("semver"),
        rev: rev.map(Into::into),
        api_changes: None,
    };
    let mut predicate = serde_json::json!({
        "verifier": { "id": "https://example.invalid/certify" },
        "timeVerified": "2026-01-01T00:00:00Z",
        "resourceUri": certify_gate::resource_uri(&candidate_v),
        "policy": { "uri": "ci/promotion.toml", "digest": { "sha256": policy_sha256 } },
        "inputAttestations": inputs.iter().map(|i| serde_json::json!({"uri": format!("bundles/{i}/attestation.intoto.jsonl"), "digest": {"sha256": i}})).collect::<Vec<_>>(),
        "verificationResult": if promote { "PASSED" } else { "FAILED" },
        "verifiedLevels": if promote { vec!["CERTIFY_GA_CERTIFIED"] } else { vec!["FAILED"] },
    });
    if let Some(note) = checkpoint {
        certify_archive::embed_checkpoint(&mut predicate, note);
    }
    let statement = Statement {
        type_: STATEMENT_TYPE.into(),
        subject: vec![ResourceDescriptor {
            uri: Some(certify_gate::resource_uri(&candidate_v)),
            digest: [("sha256".to_owned(), policy_sha256.clone())].into(),
            ..ResourceDescriptor::default()
        }],
        predicate_type: VSA_PREDICATE.into(),
        predicate,
    };
    let envelope = Envelope::sign(PAYLOAD_TYPE_INTOTO, &statement.to_bytes(), key);
    let meta = DecisionMeta {
        stage: stage.into(),
        candidate: candidate.into(),
        rev: rev.map(Into::into),
        promote,
        policy_sha256,
        inputs: inputs.to_vec(),
    };
    (envelope.to_json_line().into_bytes(), meta)
}

/// The S3 test server's URL; fails the test, naming the variable, when it is not set.
pub fn endpoint() -> String {
    match std::env::var(ENDPOINT_VAR) {
        Ok(v) if !v.trim().is_empty() => v.trim().trim_end_matches('/').to_owned(),
        _ => panic!(
            "{ENDPOINT_VAR} is not set: the archive's S3 tests need an S3-protocol server. Start one with\n  \
             python3 crates/archive/tests/s3_server.py --port-file /tmp/s3-url   (needs `pip install 'moto[server]'`)\n\
             and run the tests with {ENDPOINT_VAR}=$(cat /tmp/s3-url)"
        ),
    }
}

/// The `AWS_*` settings for the test server, with these credentials.
pub fn aws_env_with(endpoint: &str, key_id: &str, secret: &str) -> Vec<(String, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID".into(), key_id.into()),
        ("AWS_SECRET_ACCESS_KEY".into(), secret.into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ENDPOINT_URL".into(), endpoint.into()),
        ("AWS_ALLOW_HTTP".into(), "true".into()),
    ]
}

/// The test server's valid credentials.
fn credentials() -> (String, String) {
    let id = std::env::var("CERTIFY_S3_ACCESS_KEY_ID").unwrap_or_else(|_| ACCESS_KEY_ID.into());
    let secret = std::env::var("CERTIFY_S3_SECRET_ACCESS_KEY").unwrap_or_else(|_| SECRET_ACCESS_KEY.into());
    (id, secret)
}

/// The `AWS_*` settings for the test server with its valid credentials.
pub fn aws_env(endpoint: &str) -> Vec<(String, String)> {
    let (id, secret) = credentials();
    aws_env_with(endpoint, &id, &secret)
}

/// HMAC-SHA256 (RFC 2104), for signing the one request object_store cannot make.
fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A bucket of its own on the test server, created for the calling test.
pub async fn bucket(hint: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let endpoint = endpoint();
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let mut name = format!("certify-{hint}-{}-{nanos}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    name.truncate(63);
    let name = name.trim_end_matches('-').to_owned();
    // object_store has no "create bucket": a SigV4-signed `PUT /<bucket>` is one.
    let (id, secret) = credentials();
    let host = endpoint.split_once("://").map_or(endpoint.as_str(), |(_, h)| h).to_owned();
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string().replace(['-', ':'], "");
    let day = &stamp[..8];
    let empty = hex(&Sha256::digest(b""));
    let canonical = format!(
        "PUT\n/{name}\n\nhost:{host}\nx-amz-content-sha256:{empty}\nx-amz-date:{stamp}\n\n\
         host;x-amz-content-sha256;x-amz-date\n{empty}"
    );
    let scope = format!("{day}/us-east-1/s3/aws4_request");
    let to_sign = format!("AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())));
    let mut k = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    for part in ["us-east-1", "s3", "aws4_request"] {
        k = hmac(&k, part.as_bytes());
    }
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={id}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={}",
        hex(&hmac(&k, to_sign.as_bytes()))
    );
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{name}"))
        .header("x-amz-date", &stamp)
        .header("x-amz-content-sha256", &empty)
        .header("authorization", authorization)
        .header(reqwest::header::CONTENT_LENGTH, "0")
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot reach the S3 test server at {endpoint} ({ENDPOINT_VAR}): {e}"));
    let status = response.status();
    assert!(status.is_success(), "creating bucket {name}: {status}: {}", response.text().await.unwrap_or_default());
    name
}

/// The bucket as a plain object store, to look at or tamper with what the archive wrote.
pub fn raw_s3(endpoint: &str, bucket: &str) -> object_store::aws::AmazonS3 {
    let mut b = AmazonS3Builder::new().with_bucket_name(bucket).with_conditional_put(S3ConditionalPut::ETagMatch);
    for (k, v) in aws_env(endpoint) {
        b = b.with_config(k.to_ascii_lowercase().parse().expect("an AWS setting"), v);
    }
    b.build().expect("an S3 client")
}

/// Every key in the bucket, sorted.
pub async fn keys_in(store: &dyn ObjectStore) -> Vec<String> {
    use futures::TryStreamExt as _;
    let mut keys: Vec<String> =
        store.list(None).map_ok(|m| m.location.to_string()).try_collect().await.expect("listing the bucket");
    keys.sort();
    keys
}

/// Opens the archive in bucket `bucket` (under `prefix`) on the test server.
pub async fn open_s3(bucket: &str, prefix: &str) -> Archive {
    let location = if prefix.is_empty() { format!("s3://{bucket}") } else { format!("s3://{bucket}/{prefix}") };
    Archive::open_with_env(&location, aws_env(&endpoint())).await.expect("opening the S3 archive")
}
