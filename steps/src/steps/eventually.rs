//! Eventual consistency: `within N seconds a GET request to "URL" returns
//! ...` polls the target (every 200 ms, within the run's rate limit) until
//! the condition holds or the deadline passes. Every poll is a recorded
//! exchange; the pending request headers and query parameters go with every
//! poll and are cleared afterwards. Connection failures and timeouts while
//! polling count as "not yet". The last response becomes the scenario's last
//! response.

use std::time::Duration;

use cucumber::step::Context;
use serde_json::Value;
use tokio::time::Instant;

use super::{count, raw, status_code, string};
use crate::failure::StepFailure;
use crate::jsonpath::{compile, select};
use crate::text::{json_eq, show};
use crate::world::{Response, World};

/// Pause between two polls.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// `within N seconds a GET request to "URL" returns status CODE`
pub(crate) async fn eventually_status(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let seconds = count(raw(ctx, 1))?;
    let url = string(world, ctx, 2)?;
    let expected = status_code(raw(ctx, 3))?;
    poll(world, ctx, seconds, &url, &format!("status {expected}"), |response| {
        if response.status == expected { Ok(()) } else { Err(format!("last status {}", response.status)) }
    })
    .await
}

/// `within N seconds a GET request to "URL" returns JSON at "PATH" equal to VALUE`
pub(crate) async fn eventually_json(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let seconds = count(raw(ctx, 1))?;
    let url = string(world, ctx, 2)?;
    let path_text = string(world, ctx, 3)?;
    let path = compile(&path_text)?;
    let expected = world.value(raw(ctx, 4))?;
    let goal = format!("JSON at {path_text} equal to {}", show(&expected));
    poll(world, ctx, seconds, &url, &goal, |response| {
        let doc = response.json().map_err(|f| format!("last response: {}", f.message))?;
        match select(&path, doc).as_slice() {
            [node] if json_eq(node, &expected) => Ok(()),
            [node] => Err(format!("last value {} (status {})", show(node), response.status)),
            [] => Err(format!("last response had nothing at {path_text} (status {})", response.status)),
            several => Err(format!(
                "last response had {} nodes at {path_text}: {}",
                several.len(),
                show(&Value::Array(several.iter().map(|v| (*v).clone()).collect()))
            )),
        }
    })
    .await
}

async fn poll(
    world: &mut World,
    ctx: &Context,
    seconds: u64,
    url: &str,
    goal: &str,
    holds: impl Fn(&Response) -> Result<(), String>,
) -> Result<(), StepFailure> {
    world.last = None;
    let outgoing = world.outgoing(reqwest::Method::GET, url, None)?;
    let timeout = world.ctx()?.target().timeout;
    let window = Duration::from_secs(seconds);
    let deadline = Instant::now() + window;
    let mut attempts = 0u32;
    let mut answered = false;
    let mut last_seen;
    loop {
        attempts += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let per_request = timeout.min(remaining.max(POLL_INTERVAL));
        match world.exchange(&ctx.step, &outgoing, per_request).await {
            Ok(response) => {
                answered = true;
                let verdict = holds(&response);
                world.last = Some(response);
                match verdict {
                    Ok(()) => return Ok(()),
                    Err(seen) => last_seen = seen,
                }
            }
            Err(failure) => {
                // A response that broke the API description was an answer all the same.
                answered |= failure.is_assertion();
                last_seen = format!("last attempt failed: {}", failure.message);
            }
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        tokio::time::sleep(POLL_INTERVAL.min(deadline - now)).await;
    }
    let message = format!(
        "within {} GET {} did not return {goal}: {attempts} attempt{}, {last_seen}",
        humantime::format_duration(window),
        outgoing.url,
        if attempts == 1 { "" } else { "s" }
    );
    if answered { Err(StepFailure::assertion(message)) } else { Err(StepFailure::error(message)) }
}
