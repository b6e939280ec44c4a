//! Sending one request and recording it. URLs in steps are paths relative to
//! the target's base URL ([`join_url`]); [`perform`] waits for the run-wide
//! rate limit, sends through the run's pooled client, reads the body as a
//! stream up to the size limit, enforces the per-request timeout over the
//! whole exchange, and returns the [`Exchange`] whatever happened.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::context::RunContext;
use crate::failure::StepFailure;
use crate::world::{Body, Exchange, RecordedRequest, RecordedResponse};

/// A request ready to be sent.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub method: reqwest::Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// Joins a step's URL to the base URL. The step's URL is a path (with an
/// optional query string) relative to the base: the base path is kept and the
/// step's path appended, a leading `/` or not (`http://h/api/` + `/v1/x` =
/// `http://h/api/v1/x`). The base URL's query and any fragment are dropped.
/// An absolute URL (`scheme://...`) is an error: credentials only go to the
/// target.
pub(crate) fn join_url(base: &Url, relative: &str) -> Result<Url, StepFailure> {
    let has_scheme = relative.split_once("://").is_some_and(|(scheme, _)| {
        let mut chars = scheme.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if has_scheme {
        return Err(StepFailure::error(format!(
            "URL \"{relative}\" must be a path relative to the target's base URL {base}, not an absolute URL"
        )));
    }
    let without_fragment = relative.split('#').next().unwrap_or_default();
    let (path, query) = match without_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (without_fragment, None),
    };
    let mut url = base.clone();
    let joined = format!("{}/{}", base.path().trim_end_matches('/'), path.trim_start_matches('/'));
    url.set_path(&joined);
    url.set_query(query);
    url.set_fragment(None);
    Ok(url)
}

/// Sends `outgoing` and records what happened. The exchange's step fields
/// are left empty for the caller to fill in.
pub(crate) async fn perform(ctx: &RunContext, outgoing: &Outgoing, timeout: Duration) -> Exchange {
    ctx.throttle().await;
    let request = RecordedRequest {
        method: outgoing.method.to_string(),
        url: outgoing.url.to_string(),
        headers: outgoing.headers.clone(),
        body: outgoing.body.clone().map(Body::new),
    };
    let started_at = SystemTime::now();
    let start = Instant::now();
    let what = format!("{} {}", outgoing.method, outgoing.url);
    let outcome = tokio::time::timeout(timeout, send(ctx, outgoing, &what)).await;
    let duration = start.elapsed();
    let (response, error) = match outcome {
        Ok(Ok(response)) => (Some(response), None),
        Ok(Err((partial, error))) => (partial, Some(error)),
        Err(_) => (None, Some(format!("no response from {what} within {}", humantime::format_duration(timeout)))),
    };
    Exchange { step_line: 0, step: String::new(), request, response, error, started_at, duration }
}

type Failed = (Option<RecordedResponse>, String);

async fn send(ctx: &RunContext, outgoing: &Outgoing, what: &str) -> Result<RecordedResponse, Failed> {
    let mut headers = HeaderMap::new();
    for (name, value) in &outgoing.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| (None, format!("request header name \"{name}\" is not a valid HTTP header name")))?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            (None, format!("request header \"{name}\" has a value that cannot be sent in an HTTP header"))
        })?;
        headers.append(name, value);
    }
    let mut builder = ctx.client().request(outgoing.method.clone(), outgoing.url.clone()).headers(headers);
    if let Some(body) = &outgoing.body {
        builder = builder.body(body.clone());
    }
    let mut response = builder.send().await.map_err(|e| {
        let message = if e.is_connect() {
            format!("could not connect to {what}: {}", root_cause(&e))
        } else {
            format!("could not send {what}: {}", causes(&e.without_url()))
        };
        (None, message)
    })?;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value =
                value.to_str().map_or_else(|_| String::from_utf8_lossy(value.as_bytes()).into_owned(), str::to_owned);
            (name.as_str().to_owned(), value)
        })
        .collect();
    let limit = ctx.target().max_body_bytes;
    let too_large = |bytes: Vec<u8>, size: u64, headers: Vec<(String, String)>| {
        (
            Some(RecordedResponse { status, headers, body: Body { bytes, size } }),
            format!("response body of {what} exceeds the {limit}-byte limit"),
        )
    };
    if let Some(length) = response.content_length()
        && length > limit
    {
        return Err(too_large(Vec::new(), length, headers));
    }
    let mut bytes = Vec::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                let size = bytes.len() as u64;
                return Err((
                    Some(RecordedResponse { status, headers, body: Body { bytes, size } }),
                    format!("reading the response body of {what} failed: {}", causes(&e.without_url())),
                ));
            }
        };
        let size = (bytes.len() + chunk.len()) as u64;
        if size > limit {
            let room = usize::try_from(limit).unwrap_or(usize::MAX).saturating_sub(bytes.len());
            bytes.extend_from_slice(&chunk[..room.min(chunk.len())]);
            return Err(too_large(bytes, size, headers));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(RecordedResponse { status, headers, body: Body::new(bytes) })
}

/// The innermost source of an error (`Connection refused (os error 111)`).
fn root_cause(error: &dyn std::error::Error) -> String {
    let mut innermost = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}

/// An error and its sources, `outer: inner: root`, without repeats.
fn causes(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(base: &str, relative: &str) -> String {
        join_url(&Url::parse(base).unwrap(), relative).unwrap().to_string()
    }

    #[test]
    fn keeps_the_base_path() {
        assert_eq!(join("http://h/api/", "/v1/x"), "http://h/api/v1/x");
        assert_eq!(join("http://h/api", "/v1/x"), "http://h/api/v1/x");
        assert_eq!(join("http://h/api/", "v1/x"), "http://h/api/v1/x");
        assert_eq!(join("http://h", "/v1/x"), "http://h/v1/x");
        assert_eq!(join("http://h:8080/", "/"), "http://h:8080/");
        assert_eq!(join("http://h/api/", ""), "http://h/api/");
    }

    #[test]
    fn keeps_the_query_and_drops_fragments_and_the_base_query() {
        assert_eq!(join("http://h/api?k=1", "/x?a=1&b=two"), "http://h/api/x?a=1&b=two");
        assert_eq!(join("http://h/api?k=1", "/x"), "http://h/api/x");
        assert_eq!(join("http://h/", "/x#frag"), "http://h/x");
    }

    #[test]
    fn colons_in_paths_are_not_schemes() {
        assert_eq!(join("http://h/", "tenants:search"), "http://h/tenants:search");
    }

    #[test]
    fn absolute_urls_are_errors() {
        let err = join_url(&Url::parse("http://h/").unwrap(), "https://evil.example/x").unwrap_err();
        assert!(err.message.contains("must be a path relative"), "{}", err.message);
    }

    #[test]
    fn spaces_are_percent_encoded() {
        assert_eq!(join("http://h/", "/a b"), "http://h/a%20b");
    }
}
