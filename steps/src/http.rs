//! Sending one request and recording it. URLs in steps are paths relative to
//! the target's base URL ([`join_url`]); [`perform`] waits for the run-wide
//! rate limit, sends through the run's pooled client, reads the body as a
//! stream in bounded memory (decoding any content-encoding, keeping at most
//! the target's `max_body`, see [`crate::body`]), enforces the per-request
//! timeout over the whole exchange, and returns the [`Exchange`] whatever
//! happened. [`send_get`] is the same for a request of the run outside any
//! scenario (the version probe).

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::body::Receiver;
use crate::context::{CredentialSpec, RunContext};
use crate::failure::StepFailure;
use crate::world::{Body, Cut, Exchange, RecordedRequest, RecordedResponse, set_header};

/// A request ready to be sent.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub method: reqwest::Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<bytes::Bytes>,
}

/// Joins a step's URL to the base URL. The step's URL is a path (with an
/// optional query string) relative to the base: the base path is kept and the
/// step's path appended, a leading `/` or not (`http://h/api/` + `/v1/x` =
/// `http://h/api/v1/x`). The base URL's query and any fragment are dropped.
/// An absolute URL (`scheme://...`) is an error: credentials only go to the
/// target.
pub fn join_url(base: &Url, relative: &str) -> Result<Url, StepFailure> {
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

/// The headers every request of the run starts from: the target's default
/// headers, then the header of `credential` (which replaces a default header
/// of the same name). Resolves the credential's secret (an error names the
/// credential and its source, never the value).
pub(crate) fn base_headers(
    ctx: &RunContext,
    credential: Option<&CredentialSpec>,
) -> Result<Vec<(String, String)>, StepFailure> {
    let mut headers = ctx.target().headers.clone();
    if let Some(spec) = credential {
        let (name, value) = ctx.auth_header(spec)?;
        set_header(&mut headers, name, value);
    }
    Ok(headers)
}

/// Sends one GET request of the run outside any scenario (the version
/// probe) exactly as a scenario with the target's default credential would:
/// `path` joined to the base URL by [`join_url`], the target's default
/// headers and credential ([`base_headers`]), the run-wide rate limit, the
/// target's timeout and body cap. The [`Exchange`] is returned whatever
/// happened (its step fields are empty), for the evidence; an error means
/// nothing was sent (an absolute URL, a credential that cannot be resolved).
pub async fn send_get(ctx: &RunContext, path: &str) -> Result<Exchange, StepFailure> {
    let target = ctx.target();
    let outgoing = Outgoing {
        method: reqwest::Method::GET,
        url: join_url(&target.base_url, path)?,
        headers: base_headers(ctx, target.default_auth.as_ref())?,
        body: None,
    };
    Ok(perform(ctx, &outgoing, target.timeout).await)
}

/// Sends `outgoing` and records what happened. The exchange's step fields
/// are left empty for the caller to fill in.
///
/// `timeout` bounds the whole exchange. When it runs out before the
/// response head arrives, the exchange fails; when it runs out while the body
/// is still arriving (a slow or never-ending stream), the response is kept
/// with its body cut ([`Cut::Timeout`]).
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
    let deadline = tokio::time::Instant::from_std(start + timeout);
    let what = format!("{} {}", outgoing.method, outgoing.url);
    let (response, error) = match send(ctx, outgoing, &what, deadline, timeout).await {
        Ok(response) => (Some(response), None),
        Err((partial, error)) => (partial, Some(error)),
    };
    let duration = start.elapsed();
    Exchange { step_line: 0, step: String::new(), request, response, error, api: None, started_at, duration }
}

type Failed = (Option<RecordedResponse>, String);

async fn send(
    ctx: &RunContext,
    outgoing: &Outgoing,
    what: &str,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<RecordedResponse, Failed> {
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
    let sent = tokio::time::timeout_at(deadline, builder.send())
        .await
        .map_err(|_| (None, format!("no response from {what} within {}", humantime::format_duration(timeout))))?;
    let mut response = sent.map_err(|e| {
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
    let encoding = response
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let mut receiver = Receiver::new(ctx.target().max_body_bytes, encoding.as_deref(), response.content_length());
    // At most `max_body` bytes are kept; the rest is hashed, counted and dropped.
    let (cut, failure) = loop {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => receiver.feed(&chunk),
            Ok(Ok(None)) => break (None, None),
            Ok(Err(e)) => {
                break (
                    Some(Cut::Broken),
                    Some(format!("reading the response body of {what} failed: {}", causes(&e.without_url()))),
                );
            }
            Err(_) => break (Some(Cut::Timeout), None),
        }
    };
    // The connection goes back to the pool (or is closed) now, not when the
    // scenario ends.
    drop(response);
    let body = receiver.finish(cut);
    let recorded = RecordedResponse { status, headers, body };
    match failure {
        None => Ok(recorded),
        Some(message) => Err((Some(recorded), message)),
    }
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
