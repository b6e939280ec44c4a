//! Assertions on the status, the headers, the raw body and the timing of
//! the last response.

use std::time::Duration;

use cucumber::step::Context;

use super::{count, pairs, raw, status_code, status_codes, string};
use crate::failure::StepFailure;
use crate::text::excerpt;
use crate::world::{Response, World};

/// `the response status is CODE`
pub(crate) async fn status(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let expected = status_code(raw(ctx, 1))?;
    let last = world.last()?;
    if last.status == expected {
        return Ok(());
    }
    Err(status_failure(last, &expected.to_string()))
}

/// `the response status is one of CODE, CODE[, CODE...]`
pub(crate) async fn status_one_of(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let expected = status_codes(raw(ctx, 1))?;
    let last = world.last()?;
    if expected.contains(&last.status) {
        return Ok(());
    }
    let list: Vec<String> = expected.iter().map(u16::to_string).collect();
    Err(status_failure(last, &format!("one of {}", list.join(", "))))
}

fn status_failure(last: &Response, expected: &str) -> StepFailure {
    StepFailure::assertion(format!(
        "response status: expected {expected}, got {} ({})\nresponse body: {}",
        last.status,
        last.describe(),
        excerpt(&last.body.bytes)
    ))
}

/// Checks that a response header has exactly `expected` as a value (any of
/// its values, or all of them joined with `, `).
fn check_header_is(last: &Response, name: &str, expected: &str) -> Result<(), String> {
    let values = last.header_values(name);
    if values.is_empty() {
        return Err(format!(
            "header \"{name}\": expected \"{expected}\", but the response has no such header; \
             response headers were: {}",
            last.header_listing()
        ));
    }
    let joined = values.join(", ");
    if values.contains(&expected) || joined == expected {
        return Ok(());
    }
    Err(format!("header \"{name}\": expected \"{expected}\", got \"{joined}\" ({})", last.describe()))
}

/// `the response header "NAME" is "VALUE"`
pub(crate) async fn header_is(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let name = string(world, ctx, 1)?;
    let expected = string(world, ctx, 2)?;
    check_header_is(world.last()?, &name, &expected).map_err(StepFailure::assertion)
}

/// `the response headers include:` with a `| NAME | VALUE |` table; every
/// row is checked and every failing row reported.
pub(crate) async fn headers_include(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let rows = pairs(world, ctx, ["name", "value"])?;
    let last = world.last()?;
    let failures: Vec<String> =
        rows.iter().filter_map(|(name, expected)| check_header_is(last, name, expected).err()).collect();
    if failures.is_empty() { Ok(()) } else { Err(StepFailure::assertion(failures.join("\n"))) }
}

/// `the response header "NAME" contains "TEXT"`
pub(crate) async fn header_contains(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let name = string(world, ctx, 1)?;
    let needle = string(world, ctx, 2)?;
    let last = world.last()?;
    let values = last.header_values(&name);
    if values.is_empty() {
        return Err(StepFailure::assertion(format!(
            "header \"{name}\": expected to contain \"{needle}\", but the response has no such header; \
             response headers were: {}",
            last.header_listing()
        )));
    }
    if values.iter().any(|value| value.contains(needle.as_str())) {
        return Ok(());
    }
    Err(StepFailure::assertion(format!(
        "header \"{name}\": expected to contain \"{needle}\", got \"{}\" ({})",
        values.join(", "),
        last.describe()
    )))
}

/// `the response header "NAME" exists`
pub(crate) async fn header_exists(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let name = string(world, ctx, 1)?;
    let last = world.last()?;
    if last.header_values(&name).is_empty() {
        return Err(StepFailure::assertion(format!(
            "header \"{name}\": expected to exist, response headers were: {}",
            last.header_listing()
        )));
    }
    Ok(())
}

/// `the response header "NAME" does not exist`
pub(crate) async fn header_absent(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let name = string(world, ctx, 1)?;
    let last = world.last()?;
    let values = last.header_values(&name);
    if values.is_empty() {
        return Ok(());
    }
    Err(StepFailure::assertion(format!(
        "header \"{name}\": expected not to exist, got \"{}\" ({})",
        values.join(", "),
        last.describe()
    )))
}

/// `the response body contains "TEXT"`
pub(crate) async fn body_contains(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let needle = string(world, ctx, 1)?;
    let last = world.last()?;
    // Text found in the part of a cut body that was kept is in the whole
    // body too; text not found there may be further on, so that is the
    // cut's failure, not a "does not contain".
    let decoded = last.body.decode_error.is_none();
    if decoded && String::from_utf8_lossy(&last.body.bytes).contains(needle.as_str()) {
        return Ok(());
    }
    let body = last.whole_body()?;
    Err(StepFailure::assertion(format!(
        "response body: expected to contain \"{needle}\", got: {} ({})",
        excerpt(body),
        last.describe()
    )))
}

/// `the response time is under N ms`: the duration of the last exchange.
pub(crate) async fn response_time(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let limit = count(raw(ctx, 1))?;
    let last = world.last()?;
    if last.duration < Duration::from_millis(limit) {
        return Ok(());
    }
    Err(StepFailure::assertion(format!(
        "response time: expected under {limit} ms, got {} ms ({})",
        last.duration.as_millis(),
        last.describe()
    )))
}

/// `the response conforms to the API description`: the last response against the operation
/// of the target's API description its request matched (status, declared headers, body).
pub(crate) async fn conforms_to_api(world: &mut World, _ctx: &Context) -> Result<(), StepFailure> {
    let run = world.ctx()?;
    let Some(api) = run.api() else {
        let name = &run.target().name;
        return Err(StepFailure::error(format!(
            "target {name:?} has no API description: add api = {{ path = \"/openapi.json\" }} or \
             {{ file = \"api/openapi.yaml\" }} to [targets.{name}] in certify.toml"
        )));
    };
    let last = world.last()?;
    last.whole_body()?;
    let received =
        crate::world::RecordedResponse { status: last.status, headers: last.headers.clone(), body: last.body.clone() };
    let check = api.check(&last.method, &last.url, &received);
    world.record_check(&last.method, &last.url, &check);
    if check.is_finding() { Err(StepFailure::assertion(check.to_string())) } else { Ok(()) }
}
