//! Steps that save parts of the last response as variables for later
//! `{{name}}` interpolation.

use cucumber::step::Context;
use serde_json::Value;

use super::string;
use crate::failure::StepFailure;
use crate::jsonpath::{compile, select};
use crate::text::show;
use crate::world::World;

/// `I save the response JSON at "PATH" as "NAME"`: a string is saved as
/// itself, any other value as its JSON text (so `is {{n}}` and
/// `is "{{id}}"` both work later).
pub(crate) async fn save_json(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let path_text = string(world, ctx, 1)?;
    let path = compile(&path_text)?;
    let name = string(world, ctx, 2)?;
    let nodes = select(&path, world.last()?.json()?);
    let value = match nodes.as_slice() {
        [Value::String(text)] => text.clone(),
        [node] => node.to_string(),
        [] => {
            return Err(StepFailure::assertion(format!(
                "JSON at {path_text}: expected a value to save as \"{name}\", found nothing at that path"
            )));
        }
        several => {
            return Err(StepFailure::assertion(format!(
                "JSON at {path_text}: expected one value to save as \"{name}\", the path selects {} nodes: {}",
                several.len(),
                show(&Value::Array(several.iter().map(|v| (*v).clone()).collect()))
            )));
        }
    };
    world.vars.insert(name, value);
    Ok(())
}

/// `I save the response header "HEADER" as "NAME"`: a repeated header is
/// saved as its values joined with `, `.
pub(crate) async fn save_header(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let header = string(world, ctx, 1)?;
    let name = string(world, ctx, 2)?;
    let last = world.last()?;
    let values = last.header_values(&header);
    if values.is_empty() {
        return Err(StepFailure::assertion(format!(
            "header \"{header}\": expected to exist to save it as \"{name}\", response headers were: {}",
            last.header_listing()
        )));
    }
    let value = values.join(", ");
    world.vars.insert(name, value);
    Ok(())
}
