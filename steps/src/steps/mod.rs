//! The step handlers, one module per family (request state, sending,
//! status and headers, JSON body, capture, eventual consistency), and the
//! argument helpers they share. Every handler is an
//! `async fn(&mut World, &Context) -> Result<(), StepFailure>`; the registry
//! wraps it into a cucumber step.

pub(crate) mod capture;
pub(crate) mod eventually;
pub(crate) mod json;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod send;

use cucumber::step::Context;

use crate::failure::StepFailure;
use crate::text::unescape;
use crate::world::World;

/// The text of capture group `index` as written in the step.
pub(crate) fn raw(ctx: &Context, index: usize) -> &str {
    ctx.matches.get(index).map_or("", |(_, text)| text.as_str())
}

/// A `"..."` argument: unescaped, then interpolated.
pub(crate) fn string(world: &World, ctx: &Context, index: usize) -> Result<String, StepFailure> {
    world.interpolate(&unescape(raw(ctx, index)))
}

/// The step's doc string; an error when it has none.
pub(crate) fn doc_string(ctx: &Context) -> Result<&str, StepFailure> {
    ctx.step.docstring.as_deref().ok_or_else(|| {
        StepFailure::error(format!(
            "step \"{}\" needs a doc string (a block between \"\"\" lines under it)",
            ctx.step.value
        ))
    })
}

/// The media type of the step's doc string (`json` in `"""json`), read
/// from its feature file (once per file and run), when it has one.
pub(crate) fn doc_media_type(world: &World, ctx: &Context) -> Option<String> {
    let path = world.feature_path()?;
    world.ctx().ok()?.doc_string_media_type(path, ctx.step.position.line)
}

/// The rows of a two-column data table, cells trimmed but not
/// interpolated; a first row equal (case-insensitively) to `header` is a
/// header and skipped.
pub(crate) fn table_rows(ctx: &Context, header: [&str; 2]) -> Result<Vec<(String, String)>, StepFailure> {
    let columns = || format!("| {} | {} |", header[0].to_uppercase(), header[1].to_uppercase());
    let table = ctx.step.table.as_ref().ok_or_else(|| {
        StepFailure::error(format!("step \"{}\" needs a data table with rows {}", ctx.step.value, columns()))
    })?;
    let mut rows = table.rows.iter().peekable();
    if let Some(first) = rows.peek()
        && first.len() == 2
        && first[0].trim().eq_ignore_ascii_case(header[0])
        && first[1].trim().eq_ignore_ascii_case(header[1])
    {
        rows.next();
    }
    rows.map(|row| match row.as_slice() {
        [key, value] => Ok((key.trim().to_owned(), value.trim().to_owned())),
        _ => Err(StepFailure::error(format!(
            "step \"{}\": every data table row needs exactly 2 cells ({}), found {}",
            ctx.step.value,
            columns(),
            row.len()
        ))),
    })
    .collect()
}

/// The rows of a two-column data table with both cells interpolated.
pub(crate) fn pairs(world: &World, ctx: &Context, header: [&str; 2]) -> Result<Vec<(String, String)>, StepFailure> {
    table_rows(ctx, header)?
        .into_iter()
        .map(|(key, value)| Ok((world.interpolate(&key)?, world.interpolate(&value)?)))
        .collect()
}

/// An HTTP status code argument (100 to 599).
pub(crate) fn status_code(text: &str) -> Result<u16, StepFailure> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|code| (100..=599).contains(code))
        .ok_or_else(|| StepFailure::error(format!("{text} is not an HTTP status code (100 to 599)")))
}

/// A non-negative integer argument.
pub(crate) fn count(text: &str) -> Result<u64, StepFailure> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| StepFailure::error(format!("{text} is not a non-negative integer that fits in 64 bits")))
}

/// The status codes of `one of CODE, CODE[, CODE...]` (commas, or `or`).
pub(crate) fn status_codes(text: &str) -> Result<Vec<u16>, StepFailure> {
    text.split(',')
        .flat_map(|part| part.split(" or "))
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| status_code(part.trim_start_matches("or ").trim()))
        .collect()
}

/// The HTTP method of a send step (the pattern only admits known ones).
pub(crate) fn method(text: &str) -> Result<reqwest::Method, StepFailure> {
    reqwest::Method::from_bytes(text.as_bytes())
        .map_err(|_| StepFailure::error(format!("{text} is not an HTTP method")))
}
