//! A value a scenario saves from a field the evidence's redaction paths
//! select, or from a header on its redaction list, is a secret of the run
//! from then on: it is in `RunContext::secrets()` (which the bundle writer
//! and the console redact with) and no failure message quotes it.

mod support;

use std::sync::Arc;
use std::time::Duration;

use certify_steps::{Journal, RunContext, SnapshotSettings, TargetSettings, World};
use support::{assert_assertion, run_step};

const BODY: &str = r#"{"plan": "pro", "session": {"secret": "s3cr3t-value-42"}, "outer": {"token": "inner-tok-987"}}"#;

#[tokio::test]
async fn values_saved_from_redacted_fields_and_headers_become_secrets() {
    let (base, _state) = support::start_server().await;
    let target = TargetSettings {
        name: "test".to_owned(),
        base_url: base,
        headers: Vec::new(),
        default_auth: None,
        timeout: Duration::from_secs(5),
        max_rps: None,
        max_body_bytes: 1 << 20,
    };
    let ctx = RunContext::new(target, Vec::new(), SnapshotSettings::default())
        .and_then(|c| c.with_secret_fields(&["Location".to_owned()], &["$..secret".to_owned(), "$..token".to_owned()]))
        .unwrap();
    let ctx = Arc::new(ctx);
    let mut world = World::default();
    world.prepare(Arc::clone(&ctx), None, Vec::new(), Journal::default());
    let mut line = 0;
    let mut step = async |world: &mut World, text: &str, doc: Option<&str>| {
        line += 1;
        run_step(world, text, doc, None, line).await
    };

    // The target echoes the body back, with a Location header.
    step(&mut world, r#"I send a POST request to "/v1/tenants" with body:"#, Some(BODY)).await.unwrap();
    step(&mut world, r#"I save the response JSON at "$.plan" as "plan""#, None).await.unwrap();
    assert!(ctx.secrets().is_empty(), "a field no redaction path selects is not a secret: {:?}", ctx.secrets());

    // At a redacted field; around one (its redacted value); from a redacted header.
    step(&mut world, r#"I save the response JSON at "$.session.secret" as "secret""#, None).await.unwrap();
    assert_eq!(ctx.secrets(), vec!["s3cr3t-value-42"]);
    step(&mut world, r#"I save the response JSON at "$.outer" as "outer""#, None).await.unwrap();
    assert_eq!(ctx.secrets(), vec!["inner-tok-987", "s3cr3t-value-42"]);
    step(&mut world, r#"I save the response header "location" as "where""#, None).await.unwrap();
    assert_eq!(ctx.secrets(), vec!["/v1/tenants/t-42", "inner-tok-987", "s3cr3t-value-42"]);

    // A failing assertion that quotes the saved value has it redacted.
    let failure = step(&mut world, r#"the response JSON at "$.plan" is "{{secret}}""#, None).await;
    let message = assert_assertion(failure, &["[redacted]"]);
    assert!(!message.contains("s3cr3t-value-42"), "{message}");
}
