//! Assertions on the last response's JSON body: JSONPath checks, the fuzzy
//! `the response JSON matches:`, the `| PATH | VALUE |` table, JSON Schema
//! conformance, and snapshots.

use std::path::PathBuf;

use cucumber::step::Context;
use serde_json::Value;
use serde_json_path::JsonPath;

use super::{count, doc_string, raw, string, table_rows};
use crate::failure::StepFailure;
use crate::fuzzy;
use crate::jsonpath::{compile, is_singular, select};
use crate::snapshot;
use crate::text::{json_eq, show, type_name};
use crate::world::World;

/// Most schema violations listed in one message.
const MAX_VIOLATIONS: usize = 10;

/// A `"PATH"` argument: unescaped, interpolated and parsed.
fn path_arg(world: &World, ctx: &Context, index: usize) -> Result<(String, JsonPath), StepFailure> {
    let text = string(world, ctx, index)?;
    let path = compile(&text)?;
    Ok((text, path))
}

/// The single node a step needs; nothing or several nodes are assertion
/// failures that say so.
fn one<'v>(path: &str, nodes: &[&'v Value], expected: &str) -> Result<&'v Value, StepFailure> {
    match nodes {
        [node] => Ok(node),
        [] => Err(StepFailure::assertion(format!("JSON at {path}: expected {expected}, found nothing at that path"))),
        several => {
            let all = Value::Array(several.iter().map(|v| (*v).clone()).collect());
            Err(StepFailure::assertion(format!(
                "JSON at {path}: expected {expected}, but the path selects {} nodes and this step needs \
                 exactly one: {}",
                several.len(),
                show(&all)
            )))
        }
    }
}

/// Checks `JSON at PATH is VALUE`; shared by the step and the table.
fn check_is(path_text: &str, path: &JsonPath, expected: &Value, doc: &Value) -> Result<(), StepFailure> {
    let nodes = select(path, doc);
    let node = one(path_text, &nodes, &show(expected))?;
    if json_eq(node, expected) {
        return Ok(());
    }
    Err(StepFailure::assertion(format!("JSON at {path_text}: expected {}, got {}", show(expected), show(node))))
}

/// `the response JSON at "PATH" is VALUE`
pub(crate) async fn json_is(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let (path_text, path) = path_arg(world, ctx, 1)?;
    let expected = world.value(raw(ctx, 2))?;
    check_is(&path_text, &path, &expected, world.last()?.json()?)
}

/// `the response JSON has:` with a `| PATH | VALUE |` table; every row is
/// an equality check and every failing row is reported.
pub(crate) async fn json_has(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let mut checks = Vec::new();
    for (path_cell, value_cell) in table_rows(ctx, ["path", "value"])? {
        let path_text = world.interpolate(&path_cell)?;
        let path = compile(&path_text)?;
        let expected = world.value(&value_cell)?;
        checks.push((path_text, path, expected));
    }
    let doc = world.last()?.json()?;
    let failures: Vec<String> = checks
        .iter()
        .filter_map(|(text, path, expected)| check_is(text, path, expected, doc).err())
        .map(|failure| failure.message)
        .collect();
    if failures.is_empty() { Ok(()) } else { Err(StepFailure::assertion(failures.join("\n"))) }
}

/// `the response JSON at "PATH" exists`
pub(crate) async fn json_exists(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let (path_text, path) = path_arg(world, ctx, 1)?;
    if select(&path, world.last()?.json()?).is_empty() {
        return Err(StepFailure::assertion(format!(
            "JSON at {path_text}: expected to exist, found nothing at that path"
        )));
    }
    Ok(())
}

/// `the response JSON at "PATH" does not exist`
pub(crate) async fn json_absent(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let (path_text, path) = path_arg(world, ctx, 1)?;
    let nodes = select(&path, world.last()?.json()?);
    match nodes.as_slice() {
        [] => Ok(()),
        [node] => Err(StepFailure::assertion(format!(
            "JSON at {path_text}: expected nothing at that path, got {}",
            show(node)
        ))),
        several => Err(StepFailure::assertion(format!(
            "JSON at {path_text}: expected nothing at that path, got {} nodes: {}",
            several.len(),
            show(&Value::Array(several.iter().map(|v| (*v).clone()).collect()))
        ))),
    }
}

/// `the response JSON at "PATH" has N items`: the length of the array at a
/// singular path (names and indexes only), or the number of nodes selected
/// by any other path (`$.items[*]`, `$..id`).
pub(crate) async fn json_count(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let (path_text, path) = path_arg(world, ctx, 1)?;
    let expected = count(raw(ctx, 2))?;
    let nodes = select(&path, world.last()?.json()?);
    let actual = if is_singular(&path_text) {
        let node = one(&path_text, &nodes, &format!("{expected} items"))?;
        match node {
            Value::Array(items) => items.len(),
            other => {
                return Err(StepFailure::assertion(format!(
                    "JSON at {path_text}: expected an array of {expected} items, got {} {}",
                    article(type_name(other)),
                    show(other)
                )));
            }
        }
    } else {
        nodes.len()
    };
    if actual as u64 == expected {
        return Ok(());
    }
    Err(StepFailure::assertion(format!("JSON at {path_text}: expected {expected} items, got {actual}")))
}

/// `the response JSON at "PATH" contains VALUE`: an array holding an element
/// equal to VALUE, or a string holding the string VALUE; a path selecting
/// several nodes passes when one of them equals VALUE.
pub(crate) async fn json_contains(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let (path_text, path) = path_arg(world, ctx, 1)?;
    let expected = world.value(raw(ctx, 2))?;
    let nodes = select(&path, world.last()?.json()?);
    let wanted = format!("to contain {}", show(&expected));
    if !is_singular(&path_text) {
        if nodes.iter().any(|node| json_eq(node, &expected)) {
            return Ok(());
        }
        let all = Value::Array(nodes.iter().map(|v| (*v).clone()).collect());
        return Err(StepFailure::assertion(format!("JSON at {path_text}: expected {wanted}, got {}", show(&all))));
    }
    let node = one(&path_text, &nodes, &wanted)?;
    let holds = match (node, &expected) {
        (Value::Array(items), _) => items.iter().any(|item| json_eq(item, &expected)),
        (Value::String(text), Value::String(needle)) => text.contains(needle.as_str()),
        (Value::String(_), _) => {
            return Err(StepFailure::assertion(format!(
                "JSON at {path_text}: expected {wanted}, got the string {} (a string can only contain a string)",
                show(node)
            )));
        }
        (other, _) => {
            return Err(StepFailure::assertion(format!(
                "JSON at {path_text}: expected an array or a string {wanted}, got {} {}",
                article(type_name(other)),
                show(other)
            )));
        }
    };
    if holds {
        return Ok(());
    }
    Err(StepFailure::assertion(format!("JSON at {path_text}: expected {wanted}, got {}", show(node))))
}

/// `the response JSON at "PATH" matches "REGEX"`: a string (or another
/// scalar, by its JSON text) searched with the regular expression (anchor it
/// with `^...$` to match the whole value).
pub(crate) async fn json_regex(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let (path_text, path) = path_arg(world, ctx, 1)?;
    let source = string(world, ctx, 2)?;
    let regex = regex::Regex::new(&source)
        .map_err(|e| StepFailure::error(format!("invalid regular expression \"{source}\": {e}")))?;
    let nodes = select(&path, world.last()?.json()?);
    let wanted = format!("to match \"{source}\"");
    let node = one(&path_text, &nodes, &wanted)?;
    let subject = match node {
        Value::String(text) => text.clone(),
        Value::Array(_) | Value::Object(_) => {
            return Err(StepFailure::assertion(format!(
                "JSON at {path_text}: expected a string {wanted}, got {} {}",
                article(type_name(node)),
                show(node)
            )));
        }
        scalar => scalar.to_string(),
    };
    if regex.is_match(&subject) {
        return Ok(());
    }
    Err(StepFailure::assertion(format!("JSON at {path_text}: expected {wanted}, got {}", show(node))))
}

/// `the response JSON at "PATH" is a TYPE` (`number` includes integers;
/// `integer` is a number without a fractional part).
pub(crate) async fn json_type(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let (path_text, path) = path_arg(world, ctx, 1)?;
    let wanted = raw(ctx, 2).to_owned();
    let nodes = select(&path, world.last()?.json()?);
    let node = one(&path_text, &nodes, &article(&wanted))?;
    let actual = type_name(node);
    let holds = actual == wanted || (wanted == "number" && actual == "integer");
    if holds {
        return Ok(());
    }
    Err(StepFailure::assertion(format!(
        "JSON at {path_text}: expected {}, got {} ({})",
        article(&wanted),
        show(node),
        article(actual)
    )))
}

fn article(type_name: &str) -> String {
    match type_name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {type_name}"),
        _ => format!("a {type_name}"),
    }
}

/// `the response JSON matches:` with a doc string of fuzzy JSON.
pub(crate) async fn json_matches(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let text = world.interpolate_json(doc_string(ctx)?)?;
    let expected: Value = serde_json::from_str(&text)
        .map_err(|e| StepFailure::error(format!("the doc string of \"{}\" is not JSON: {e}", ctx.step.value)))?;
    let pattern = fuzzy::compile(&expected)?;
    let actual = world.last()?.json()?;
    fuzzy::check(&pattern, actual).map_err(StepFailure::assertion)
}

/// `the response JSON conforms to the schema "FILE"`; FILE is relative to
/// the feature file's directory (to the working directory when the feature
/// file is unknown).
pub(crate) async fn json_schema(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let file = string(world, ctx, 1)?;
    let relative = PathBuf::from(&file);
    let joined = match world.feature_path().and_then(|p| p.parent()) {
        Some(dir) => dir.join(&relative),
        None => relative.clone(),
    };
    let absolute = std::path::absolute(&joined)
        .map_err(|e| StepFailure::error(format!("JSON Schema {}: {e}", joined.display())))?;
    let validator = world.ctx()?.schema(&absolute)?;
    let doc = world.last()?.json()?;
    let violations: Vec<String> = validator
        .iter_errors(doc)
        .map(|error| {
            let at = error.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            crate::text::cap_chars(&format!("at {at}: {error}"), crate::text::VALUE_EXCERPT_CHARS)
        })
        .collect();
    if violations.is_empty() {
        return Ok(());
    }
    let total = violations.len();
    let mut message = format!(
        "response JSON does not conform to the schema \"{file}\" ({total} violation{}):",
        if total == 1 { "" } else { "s" }
    );
    for violation in violations.iter().take(MAX_VIOLATIONS) {
        message.push_str("\n  ");
        message.push_str(violation);
    }
    if total > MAX_VIOLATIONS {
        message.push_str(&format!("\n  … and {} more", total - MAX_VIOLATIONS));
    }
    Err(StepFailure::assertion(message))
}

/// `the response body matches the snapshot "NAME"`
pub(crate) async fn snapshot(world: &mut World, ctx: &Context) -> Result<(), StepFailure> {
    let name = string(world, ctx, 1)?;
    let run = world.ctx()?;
    let last = world.last()?;
    let settings = run.snapshots();
    // Inside the project, or the scenario errors before anything is read.
    run.readable(&snapshot::snapshot_path(&settings.dir, &name)?)?;
    snapshot::compare(snapshot::Check {
        dir: &settings.dir,
        name: &name,
        update: settings.update,
        source: world.feature_path().map_or_else(|| "certify".to_owned(), |p| p.display().to_string()),
        expression: ctx.step.value.clone(),
        content: snapshot::content_of(last.whole_body()?, run.redact_paths()),
    })
}
