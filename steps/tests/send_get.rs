//! `send_get`: a request of the run outside any scenario (the version
//! probe), sent as a scenario with the target's default credential sends
//! one: the base URL's path kept, the target's headers, the credential
//! (which replaces a default header of the same name), and the exchange
//! returned whatever happened.

mod support;

use std::time::Duration;

use certify_steps::{CredentialSpec, RunContext, SecretSource, SnapshotSettings, TargetSettings, send_get};

fn context(base: url::Url, secret: SecretSource) -> RunContext {
    let target = TargetSettings {
        name: "test".to_owned(),
        base_url: base,
        headers: vec![("X-Client".to_owned(), "certify".to_owned()), ("Authorization".to_owned(), "stale".to_owned())],
        default_auth: Some(CredentialSpec {
            name: "test.auth".to_owned(),
            header: "Authorization".to_owned(),
            bearer: true,
            secret,
            origin: "certify.toml [targets.test] auth".to_owned(),
        }),
        timeout: Duration::from_secs(5),
        max_rps: None,
        max_body_bytes: 1 << 20,
    };
    RunContext::new(target, Vec::new(), SnapshotSettings::default()).unwrap()
}

#[tokio::test]
async fn sends_the_targets_headers_and_default_credential() {
    let (base, _state) = support::start_server().await;
    let ctx = context(base.join("api/").unwrap(), SecretSource::Value("tok-probe-123".to_owned()));
    let exchange = send_get(&ctx, "/echo?x=1").await.unwrap();
    assert_eq!(exchange.request.url, format!("{base}api/echo?x=1"));
    assert_eq!(exchange.request.method, "GET");
    assert_eq!(exchange.error, None);
    let response = exchange.response.expect("a response");
    assert_eq!(response.status, 200);
    let echoed: serde_json::Value = serde_json::from_slice(&response.body.bytes).unwrap();
    assert_eq!(echoed["path"], "/api/echo");
    assert_eq!(echoed["headers"]["x-client"], "certify");
    assert_eq!(
        echoed["headers"]["authorization"], "Bearer tok-probe-123",
        "the credential replaces the default header"
    );
    let sent: Vec<&str> = exchange.request.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(sent, ["X-Client", "Authorization"]);
    assert_eq!(ctx.secrets(), vec!["tok-probe-123"], "the credential it sent is a secret of the run");
}

#[tokio::test]
async fn nothing_is_sent_to_another_host_or_without_the_credential() {
    let (base, _state) = support::start_server().await;
    let ctx = context(base.clone(), SecretSource::Value("tok".to_owned()));
    let err = send_get(&ctx, "http://elsewhere.example/version").await.unwrap_err();
    assert!(err.message.contains("must be a path relative"), "{}", err.message);

    let ctx = context(base, SecretSource::Env("CERTIFY_SEND_GET_TEST_SURELY_UNSET".to_owned()));
    let err = send_get(&ctx, "/echo").await.unwrap_err();
    assert!(err.message.contains("CERTIFY_SEND_GET_TEST_SURELY_UNSET is not set"), "{}", err.message);
}

#[tokio::test]
async fn an_unreachable_target_is_an_exchange_with_its_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let ctx = context(url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap(), SecretSource::Value("t".into()));
    let exchange = send_get(&ctx, "/version").await.unwrap();
    assert!(exchange.response.is_none());
    let error = exchange.error.expect("an error");
    assert!(error.contains("could not connect to GET"), "{error}");
}
