//! Shared fixture: a platform started on a free loopback port and a client for it.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use certify_refplatform::{PlatformOptions, RunningPlatform, start};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

pub const OPERATOR_TOKEN: &str = "operator-test-token";

pub fn options(version: &str, faults: &[&str]) -> PlatformOptions {
    PlatformOptions {
        version: version.to_owned(),
        faults: faults.iter().map(|f| (*f).to_owned()).collect(),
        operator_token: OPERATOR_TOKEN.to_owned(),
        port: 0,
    }
}

pub struct Fixture {
    pub platform: RunningPlatform,
    pub client: Client,
}

/// A signed-up tenant: its id, name and first API key.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub key: String,
    pub body: Value,
}

impl Fixture {
    pub async fn start(version: &str, faults: &[&str]) -> Fixture {
        let platform = start(options(version, faults)).await.unwrap();
        let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        Fixture { platform, client }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.platform.base_url())
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str, key: &str) -> Response {
        self.request(Method::GET, path).bearer_auth(key).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Response {
        self.request(Method::POST, path).bearer_auth(key).json(&body).send().await.unwrap()
    }

    pub async fn operator_get(&self, path: &str) -> Response {
        self.get(path, OPERATOR_TOKEN).await
    }

    pub async fn operator_post(&self, path: &str) -> Response {
        self.request(Method::POST, path).bearer_auth(OPERATOR_TOKEN).send().await.unwrap()
    }

    pub async fn try_sign_up(&self, name: &str, plan: &str) -> Response {
        self.request(Method::POST, "/v1/tenants")
            .json(&json!({ "name": name, "plan": plan, "admin_email": format!("admin@{name}.test") }))
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_up(&self, name: &str, plan: &str) -> Tenant {
        let response = self.try_sign_up(name, plan).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        Tenant {
            id: body["id"].as_str().unwrap().to_owned(),
            name: name.to_owned(),
            key: body["api_key"].as_str().unwrap().to_owned(),
            body,
        }
    }

    pub async fn stop(self) {
        self.platform.shutdown().await;
    }
}

/// Asserts the platform's JSON error shape and returns the error object.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let got = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(got, status, "body: {body}");
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(body["error"]["message"].is_string(), "body: {body}");
    assert!(body["error"].get("field").is_some(), "body: {body}");
    body["error"].clone()
}

/// Polls `check` every 50 ms until it returns true or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
