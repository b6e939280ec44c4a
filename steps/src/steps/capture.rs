//! Steps that save parts of the last response as variables for later
//! `{{name}}` interpolation.

use cucumber::step::Context;
use serde_json::Value;
use serde_json_path::JsonPath;

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
    let json = world.last()?.json()?;
    let nodes = select(&path, json);
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
    let ctx = world.ctx()?;
    for secret in secrets_within(&path, json, ctx.secret_fields(), &value) {
        ctx.capture_secret(&secret);
    }
    world.vars.insert(name, value);
    Ok(())
}

/// What saving `path` of `json` (as `saved`) makes secret: the saved value
/// when it lies at or inside a field a redaction path selects, and the
/// redacted fields it contains.
fn secrets_within(path: &JsonPath, json: &Value, secret_fields: &[JsonPath], saved: &str) -> Vec<String> {
    let within = |inner: &str, outer: &str| inner == outer || inner.starts_with(&format!("{outer}/"));
    let saved_at: Vec<String> = path.query_located(json).locations().map(|l| l.to_json_pointer()).collect();
    let mut found = Vec::new();
    for field in secret_fields {
        for node in path_nodes(field, json) {
            let (at, value) = node;
            if saved_at.iter().any(|s| within(s, &at)) {
                found.push(saved.to_owned());
            } else if saved_at.iter().any(|s| within(&at, s)) {
                match value {
                    Value::String(text) => found.push(text.clone()),
                    Value::Null | Value::Bool(_) => {}
                    other => found.push(other.to_string()),
                }
            }
        }
    }
    found
}

fn path_nodes<'v>(path: &JsonPath, json: &'v Value) -> Vec<(String, &'v Value)> {
    path.query_located(json).iter().map(|n| (n.location().to_json_pointer(), n.node())).collect()
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
    let ctx = world.ctx()?;
    if ctx.is_secret_header(&header) {
        for v in values.iter().copied().chain([value.as_str()]) {
            ctx.capture_secret(v);
        }
    }
    world.vars.insert(name, value);
    Ok(())
}
