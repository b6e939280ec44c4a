//! Steps that send a request: the pending request state, the target's
//! default headers and the scenario's credential go with it; the response
//! becomes the one later assertions look at.

use cucumber::step::Context;

use super::request::body_text;
use super::{method, raw, string};
use crate::failure::StepFailure;
use crate::world::World;

/// `I send a METHOD request to "URL"`
pub(crate) async fn send(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let method = method(raw(ctx, 1))?;
    let url = string(world, ctx, 2)?;
    world.send(&ctx.step, method, &url, None).await
}

/// `I send a METHOD request to "URL" with body:` with a doc string, which
/// replaces any body set by `the request body is:`.
pub(crate) async fn send_with_body(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let method = method(raw(ctx, 1))?;
    let url = string(world, ctx, 2)?;
    let body = body_text(world, ctx)?;
    world.send(&ctx.step, method, &url, Some(body)).await
}
