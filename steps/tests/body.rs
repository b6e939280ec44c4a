//! Response bodies in bounded memory: bodies over the cap are cut (not
//! errors) with their whole size and sha256 recorded, content-encodings are
//! decoded with the cap on the decoded bytes, bodies that do not decode are
//! kept raw with the reason, and a body that never ends is cut at the
//! timeout. Every body assertion on a body not kept whole says why.

mod support;

use std::time::Duration;

use certify_steps::Cut;
use sha2::{Digest, Sha256};
use support::{Harness, assert_assertion, tenant_bytes, zeros_member};

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Every body assertion of the vocabulary, as (step, doc string).
const BODY_ASSERTIONS: &[(&str, Option<&str>)] = &[
    (r#"the response JSON at "$.name" is "Acme""#, None),
    (r#"the response JSON at "$.name" exists"#, None),
    (r#"the response JSON at "$.items" has 3 items"#, None),
    (r#"the response JSON at "$.name" matches "^A""#, None),
    (r#"the response JSON at "$.name" is a string"#, None),
    ("the response JSON matches:", Some(r##"{"name": "#string"}"##)),
    (r#"the response body contains "never in it""#, None),
    (r#"the response body matches the snapshot "tenant""#, None),
    (r#"I save the response JSON at "$.name" as "name""#, None),
];

async fn each_body_assertion_fails(h: &mut Harness, needles: &[&str]) {
    for (step, doc) in BODY_ASSERTIONS {
        let result = match doc {
            Some(doc) => h.step_doc(step, doc).await,
            None => h.step(step).await,
        };
        let message = assert_assertion(result, needles);
        assert!(!message.contains("not JSON"), "{step}: {message}");
    }
}

#[tokio::test]
async fn a_body_over_the_cap_is_cut_not_an_error_and_its_whole_digest_is_kept() {
    let mut h = Harness::with(|s| s.target.max_body_bytes = 1000).await;
    for path in ["big", "big-stream"] {
        h.ok(&format!("I send a GET request to \"/{path}\"")).await;
        h.ok("the response status is 200").await;
        let exchange = h.exchanges().pop().unwrap();
        assert_eq!(exchange.error, None, "a body over the cap is not an error");
        let body = exchange.response.unwrap().body;
        assert_eq!(body.bytes.len(), 1000, "the first max_body bytes are kept");
        assert_eq!(body.size, 5000, "the whole body is counted");
        let whole = if path == "big" { vec![b'y'; 5000] } else { vec![b'x'; 5000] };
        assert_eq!(body.sha256, sha256(&whole), "the sha256 is the whole body's");
        assert_eq!(&body.bytes[..], &whole[..1000]);
        assert_eq!(body.cut, Some(Cut::Limit));
        let recorded = serde_json::to_value(&body).unwrap();
        assert_eq!(recorded["cut"], serde_json::json!({"reason": "limit", "at": 1000}));
    }
    each_body_assertion_fails(
        &mut h,
        &["the response body was cut at 1000 bytes (the body was 5000 bytes; raise [targets.test] max_body to check it)"],
    )
    .await;
    // Text found in the part that was kept is in the whole body too.
    h.ok(r#"the response body contains "xxxx""#).await;
}

#[tokio::test]
async fn a_body_at_the_cap_is_whole() {
    let mut h = Harness::with(|s| s.target.max_body_bytes = 5000).await;
    h.ok(r#"I send a GET request to "/big""#).await;
    h.ok(r#"the response body contains "yyyy""#).await;
    let body = h.exchanges().pop().unwrap().response.unwrap().body;
    assert_eq!((body.bytes.len(), body.size, body.cut), (5000, 5000, None));
    assert!(body.is_whole());
}

#[tokio::test]
async fn encoded_bodies_are_decoded_and_the_encoding_recorded() {
    let mut h = Harness::new().await;
    let plain = tenant_bytes();
    for (path, coding) in
        [("gzip", "gzip"), ("deflate", "deflate"), ("deflate-raw", "deflate"), ("br", "br"), ("gzip-br", "gzip, br")]
    {
        h.ok(&format!("I send a GET request to \"/encoded/{path}\"")).await;
        h.ok(r#"the response JSON at "$.name" is "Acme""#).await;
        let exchange = h.exchanges().pop().unwrap();
        assert_eq!(exchange.error, None, "{path}");
        let body = exchange.response.unwrap().body;
        assert_eq!(&body.bytes[..], &plain[..], "{path}: the decoded bytes are kept");
        assert_eq!(body.size, plain.len() as u64, "{path}");
        assert_eq!(body.sha256, sha256(&plain), "{path}");
        assert_eq!(body.content_encoding.as_deref(), Some(coding), "{path}");
        let encoded_size = body.encoded_size.expect("the encoded size is recorded");
        assert!(encoded_size > 0 && encoded_size != plain.len() as u64, "{path}: {encoded_size}");
        assert_eq!(body.decode_error, None, "{path}");
        let recorded = serde_json::to_value(&body).unwrap();
        assert_eq!(recorded["content_encoding"], coding, "{path}");
        assert_eq!(recorded["encoded_size"], encoded_size, "{path}");
    }
}

#[tokio::test]
async fn accept_encoding_is_sent_only_when_asked_for() {
    let mut h = Harness::new().await;
    h.ok(r#"I send a GET request to "/echo""#).await;
    let headers = h.last_json()["headers"].clone();
    assert!(headers.get("accept-encoding").is_none(), "sent by default: {headers}");
    h.ok(r#"the request header "Accept-Encoding" is "gzip, br""#).await;
    h.ok(r#"I send a GET request to "/echo""#).await;
    assert_eq!(h.last_json()["headers"]["accept-encoding"], "gzip, br");
}

#[tokio::test]
async fn a_body_that_does_not_decode_is_kept_raw_with_the_reason() {
    let mut h = Harness::new().await;
    for (path, coding, reason) in [
        ("bad-gzip", "gzip", "does not decode"),
        ("truncated-gzip", "gzip", "does not decode"),
        ("zstd", "zstd", "unsupported content-encoding \"zstd\""),
    ] {
        h.ok(&format!("I send a GET request to \"/encoded/{path}\"")).await;
        h.ok("the response status is 200").await;
        let exchange = h.exchanges().pop().unwrap();
        assert_eq!(exchange.error, None, "{path}: status and headers can still be checked");
        let body = exchange.response.unwrap().body;
        let error = body.decode_error.clone().unwrap_or_else(|| panic!("{path}: no decode error recorded"));
        assert!(error.contains(reason), "{path}: {error}");
        assert_eq!(body.content_encoding.as_deref(), Some(coding));
        assert_eq!(Some(body.size), body.encoded_size, "{path}: the raw body is what is kept");
        assert_eq!(body.sha256, sha256(&body.bytes), "{path}");
        each_body_assertion_fails(
            &mut h,
            &[&format!("the response body could not be decoded (Content-Encoding: {coding})"), reason],
        )
        .await;
    }
}

#[tokio::test]
async fn a_decompression_bomb_is_cut_at_the_cap_on_the_decoded_bytes() {
    let mib = 64;
    let mut h = Harness::with(|s| {
        s.target.max_body_bytes = 1 << 20;
        s.target.timeout = Duration::from_secs(120);
    })
    .await;
    h.ok(&format!("I send a GET request to \"/bomb/{mib}\"")).await;
    h.ok("the response status is 200").await;
    let body = h.exchanges().pop().unwrap().response.unwrap().body;
    assert_eq!(body.bytes.len(), 1 << 20, "no more than the cap is kept");
    assert!(body.bytes.iter().all(|&b| b == 0));
    assert_eq!(body.size, mib << 20, "the decoded size is counted to the end");
    assert_eq!(body.encoded_size, Some((zeros_member().len() * mib as usize) as u64));
    assert_eq!(body.cut, Some(Cut::Limit));
    let mut whole = Sha256::new();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..mib {
        whole.update(&zeros);
    }
    assert_eq!(body.sha256, <[u8; 32]>::from(whole.finalize()));
    let message = assert_assertion(h.step(r#"the response JSON at "$" is 0"#).await, &["cut at 1048576 bytes"]);
    assert!(message.contains(&format!("the body was {} bytes", mib << 20)), "{message}");
}

#[tokio::test]
async fn a_body_that_never_ends_is_cut_at_the_timeout() {
    let mut h = Harness::with(|s| {
        s.target.max_body_bytes = 64 * 1024;
        s.target.timeout = Duration::from_millis(300);
    })
    .await;
    h.ok(r#"I send a GET request to "/endless""#).await;
    h.ok("the response status is 200").await;
    h.ok(r#"the response header "content-type" is "application/json""#).await;
    let exchange = h.exchanges().pop().unwrap();
    assert_eq!(exchange.error, None);
    let body = exchange.response.unwrap().body;
    assert_eq!(body.cut, Some(Cut::Timeout));
    assert!(
        body.size > 0 && body.bytes.len() as u64 == body.size.min(64 * 1024),
        "{} of {}",
        body.bytes.len(),
        body.size
    );
    let recorded = serde_json::to_value(&body).unwrap();
    assert_eq!(recorded["cut"]["reason"], "timeout");
    each_body_assertion_fails(
        &mut h,
        &["the response body was cut at", "300ms timeout ran out", "[targets.test] timeout"],
    )
    .await;
}
