//! Steps that set up the next request (headers, query parameters, body),
//! the scenario's authentication, and variables.

use cucumber::step::Context;

use super::{doc_media_type, doc_string, pairs, string};
use crate::failure::StepFailure;
use crate::text::looks_like_json;
use crate::world::{Auth, RequestBody, World};

/// `the request header "NAME" is "VALUE"`
pub(crate) async fn request_header(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let name = string(world, ctx, 1)?;
    let value = string(world, ctx, 2)?;
    world.pending.set_header(name, value);
    Ok(())
}

/// `the request headers are:` with a `| NAME | VALUE |` table.
pub(crate) async fn request_headers(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    for (name, value) in pairs(world, ctx, ["name", "value"])? {
        world.pending.set_header(name, value);
    }
    Ok(())
}

/// `the query parameter "NAME" is "VALUE"`
pub(crate) async fn query_parameter(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let name = string(world, ctx, 1)?;
    let value = string(world, ctx, 2)?;
    world.pending.query.push((name, value));
    Ok(())
}

/// `the query parameters are:` with a `| NAME | VALUE |` table.
pub(crate) async fn query_parameters(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let rows = pairs(world, ctx, ["name", "value"])?;
    world.pending.query.extend(rows);
    Ok(())
}

/// `the request body is:` with a doc string.
pub(crate) async fn request_body(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let body = body_text(world, ctx)?;
    world.pending.body = Some(body);
    Ok(())
}

/// The step's doc string as a request body, interpolated: JSON (values
/// escaped inside string literals, sent as `application/json`) when its
/// media type says so (`"""json`, `"""application/json`, `+json`) or it
/// looks like a JSON document.
pub(crate) fn body_text(world: &World, ctx: &Context) -> Result<RequestBody, StepFailure> {
    let doc = doc_string(ctx)?;
    let media_json = doc_media_type(world, ctx).is_some_and(|m| {
        let m = m.to_ascii_lowercase();
        m == "json" || m == "application/json" || m.ends_with("+json")
    });
    if media_json || looks_like_json(doc) {
        Ok(RequestBody { text: world.interpolate_json(doc)?, json: media_json })
    } else {
        Ok(RequestBody { text: world.interpolate(doc)?, json: false })
    }
}

/// `I am authenticated as "CREDENTIAL"`: checks the credential now (name,
/// secret available) so that a problem is reported at this step.
pub(crate) async fn authenticated_as(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let name = string(world, ctx, 1)?;
    let run = world.ctx()?;
    run.auth_header(run.credential(&name)?)?;
    world.auth = Auth::As(name);
    Ok(())
}

/// `I am not authenticated`
pub(crate) async fn not_authenticated(world: &mut World, _ctx: &Context) -> Result<(), StepFailure> {
    world.auth = Auth::Anonymous;
    Ok(())
}

/// `the variable "NAME" is "VALUE"`
pub(crate) async fn variable(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let name = string(world, ctx, 1)?;
    let value = string(world, ctx, 2)?;
    world.vars.insert(name, value);
    Ok(())
}
