//! Reading `features/catalog.toml`: TOML with spans, then every rule of the format checked
//! in file order, the first problem reported with its line, key and what was expected.
//!
//! The document is walked as a [`DeTable`] rather than deserialized into structs, so that every
//! message can say exactly which `[[feature]]` table and which key it is about, and so that
//! no input (wrong types, odd keys, huge values) can make loading panic.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use semver::Version;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::CatalogError;
use crate::model::{Catalog, CatalogFeature, Lifecycle, Maturity};

const TOP_KEYS: [&str; 1] = ["feature"];
const FEATURE_KEYS: [&str; 5] = ["id", "title", "owner", "description", "lifecycle"];
const STAGE_ORDER: &str = "alpha <= beta <= ga <= deprecated <= removed";

/// Reads and validates the catalog file at `path`.
pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
    let bytes = std::fs::read(path).map_err(|err| CatalogError::io(path, format!("cannot read: {err}"), err))?;
    let text = String::from_utf8(bytes).map_err(|err| {
        CatalogError::new(path, None, None, format!("not valid UTF-8 (at byte {})", err.utf8_error().valid_up_to()))
    })?;
    load_str(&text, path)
}

/// Validates catalog `text`; `path` names it in the result and in messages.
pub fn load_str(text: &str, path: &Path) -> Result<Catalog, CatalogError> {
    let doc = Doc::new(text, path);
    let tree = DeTable::parse(text).map_err(|err| {
        let line = err.span().map(|span| doc.line(span.start));
        let at = err
            .span()
            .and_then(|span| text.get(span))
            .filter(|found| !found.is_empty() && found.chars().count() <= 40 && !found.contains('\n'))
            .map(|found| format!(" (at `{found}`)"))
            .unwrap_or_default();
        CatalogError::new(path, line, None, format!("invalid TOML: {}{at}", err.message().trim_end()))
    })?;

    let mut features = Vec::new();
    for (key, value) in by_position(tree.get_ref()) {
        match key.get_ref().as_ref() {
            "feature" => features = doc.features(value)?,
            other => return Err(doc.unknown_key(key.span(), &quote_key(other), other, &TOP_KEYS)),
        }
    }
    Ok(Catalog { path: path.to_path_buf(), features })
}

/// The entries of a table in the order they are written (the parsed map is sorted by name).
fn by_position<'a, 'i>(
    table: &'a DeTable<'i>,
) -> Vec<(&'a Spanned<std::borrow::Cow<'i, str>>, &'a Spanned<DeValue<'i>>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// The text being loaded, the name to report it under, and where its lines start.
struct Doc<'a> {
    file: &'a Path,
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Doc<'a> {
    fn new(text: &'a str, file: &'a Path) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1)).collect();
        Self { file, text, line_starts }
    }

    /// The 1-based line that byte `offset` is on.
    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset).max(1)
    }

    fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> CatalogError {
        CatalogError::new(self.file, Some(self.line(span.start)), Some(key.to_owned()), message)
    }

    fn unknown_key(&self, span: Range<usize>, path: &str, name: &str, valid: &[&str]) -> CatalogError {
        let suggestion = valid
            .iter()
            .map(|candidate| (strsim::damerau_levenshtein(name, candidate), *candidate))
            .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
            .min()
            .map(|(_, candidate)| format!(" (did you mean {candidate}?)"))
            .unwrap_or_default();
        self.error(span, path, format!("unknown key{suggestion}; valid keys: {}", valid.join(", ")))
    }

    /// How a value is described after "got": strings quoted, other values as written.
    fn describe(&self, value: &Spanned<DeValue<'_>>) -> String {
        match value.get_ref() {
            DeValue::String(text) => quote(text),
            DeValue::Table(_) => "a table".to_owned(),
            DeValue::Array(_) => "an array".to_owned(),
            other => {
                let written = self.text.get(value.span()).unwrap_or_default();
                format!("{} ({})", shorten(written), other.type_str())
            }
        }
    }

    /// `feature = ...`: an array of tables, usually written as `[[feature]]` headers.
    fn features(&self, value: &Spanned<DeValue<'_>>) -> Result<Vec<CatalogFeature>, CatalogError> {
        let items = match value.get_ref() {
            DeValue::Array(items) => items,
            DeValue::Table(_) => {
                return Err(self.error(
                    value.span(),
                    "feature",
                    "expected [[feature]] tables (an array), got a single [feature] table; write [[feature]]",
                ));
            }
            _ => {
                let got = self.describe(value);
                return Err(self.error(value.span(), "feature", format!("expected [[feature]] tables, got {got}")));
            }
        };
        let mut features: Vec<CatalogFeature> = Vec::with_capacity(items.len());
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let feature = self.feature(index, item)?;
            if let Some(&first) = seen.get(&feature.id) {
                let span =
                    item.get_ref().as_table().and_then(|table| table.get("id")).map_or(item.span(), |id| id.span());
                return Err(self.error(
                    span,
                    &format!("feature[{index}].id"),
                    format!(
                        "duplicate id {}: feature[{first}] on line {} has it too; ids must be unique",
                        quote(&feature.id),
                        features[first].line
                    ),
                ));
            }
            seen.insert(feature.id.clone(), index);
            features.push(feature);
        }
        Ok(features)
    }

    /// One `[[feature]]` table.
    fn feature(&self, index: usize, item: &Spanned<DeValue<'_>>) -> Result<CatalogFeature, CatalogError> {
        let here = format!("feature[{index}]");
        let line = self.line(item.span().start);
        let DeValue::Table(table) = item.get_ref() else {
            let got = self.describe(item);
            return Err(self.error(
                item.span(),
                &here,
                format!("expected a table with id, title, owner and lifecycle, got {got}"),
            ));
        };
        let mut id = None;
        let mut title = None;
        let mut owner = None;
        let mut description = None;
        let mut lifecycle = None;
        for (key, value) in by_position(table) {
            let name = key.get_ref().as_ref();
            let path = format!("{here}.{}", quote_key(name));
            match name {
                "id" => {
                    let text = self.string(value, &path)?;
                    if !is_valid_id(&text) {
                        return Err(self.error(
                            value.span(),
                            &path,
                            format!(
                                "expected an id of lowercase letters, digits, '.', '_' and '-' that starts with a \
                                 letter or digit (like \"tenant-signup\"), got {}",
                                quote(&text)
                            ),
                        ));
                    }
                    id = Some(text);
                }
                "title" => title = Some(self.non_empty(value, &path)?),
                "owner" => owner = Some(self.non_empty(value, &path)?),
                "description" => description = Some(self.string(value, &path)?),
                "lifecycle" => lifecycle = Some(self.lifecycle(value, &path)?),
                other => return Err(self.unknown_key(key.span(), &path, other, &FEATURE_KEYS)),
            }
        }
        let missing = |key: &str, example: &str| {
            self.error(item.span(), &here, format!("missing required key {key}, like {key} = {example}"))
        };
        Ok(CatalogFeature {
            id: id.ok_or_else(|| missing("id", r#""tenant-signup""#))?,
            title: title.ok_or_else(|| missing("title", r#""Self-service tenant sign-up""#))?,
            owner: owner.ok_or_else(|| missing("owner", r#""onboarding" (the team that owns it)"#))?,
            description,
            lifecycle: lifecycle.ok_or_else(|| missing("lifecycle", r#"{ beta = "1.0.0", ga = "1.2.0" }"#))?,
            line,
        })
    }

    fn string(&self, value: &Spanned<DeValue<'_>>, path: &str) -> Result<String, CatalogError> {
        match value.get_ref() {
            DeValue::String(text) => Ok(text.to_string()),
            _ => Err(self.error(value.span(), path, format!("expected a string, got {}", self.describe(value)))),
        }
    }

    fn non_empty(&self, value: &Spanned<DeValue<'_>>, path: &str) -> Result<String, CatalogError> {
        let text = self.string(value, path)?;
        if text.trim().is_empty() {
            return Err(self.error(value.span(), path, "expected a non-empty string, got \"\""));
        }
        Ok(text)
    }

    /// `lifecycle = { beta = "1.0.0", ga = "1.2.0" }`.
    fn lifecycle(&self, value: &Spanned<DeValue<'_>>, path: &str) -> Result<Lifecycle, CatalogError> {
        let DeValue::Table(table) = value.get_ref() else {
            let got = self.describe(value);
            return Err(self.error(
                value.span(),
                path,
                format!("expected a table like {{ beta = \"1.0.0\", ga = \"1.2.0\" }}, got {got}"),
            ));
        };
        let mut lifecycle = Lifecycle::default();
        // Each set stage with where it was written, in lifecycle order once sorted.
        let mut written: Vec<(Maturity, Range<usize>)> = Vec::new();
        let valid: Vec<&str> = Maturity::ALL.iter().map(|maturity| maturity.as_str()).collect();
        for (key, stage_value) in by_position(table) {
            let name = key.get_ref().as_ref();
            let stage_path = format!("{path}.{}", quote_key(name));
            let Some(maturity) = Maturity::ALL.into_iter().find(|maturity| maturity.as_str() == name) else {
                return Err(self.unknown_key(key.span(), &stage_path, name, &valid));
            };
            let version = self.version(stage_value, &stage_path)?;
            let slot = match maturity {
                Maturity::Alpha => &mut lifecycle.alpha,
                Maturity::Beta => &mut lifecycle.beta,
                Maturity::Ga => &mut lifecycle.ga,
                Maturity::Deprecated => &mut lifecycle.deprecated,
                Maturity::Removed => &mut lifecycle.removed,
            };
            *slot = Some(version);
            written.push((maturity, stage_value.span()));
        }
        if lifecycle.is_empty() {
            return Err(self.error(
                value.span(),
                path,
                "expected at least one stage (alpha, beta, ga, deprecated or removed), like { ga = \"1.0.0\" }; \
                 got an empty lifecycle",
            ));
        }
        if lifecycle.alpha.is_none() && lifecycle.beta.is_none() && lifecycle.ga.is_none() {
            return Err(self.error(
                value.span(),
                path,
                "expected alpha, beta or ga as well: the version at which the feature became available",
            ));
        }
        written.sort_by_key(|(maturity, _)| *maturity);
        for pair in written.windows(2) {
            let [(earlier, _), (later, span)] = pair else { continue };
            let (Some(earlier_version), Some(later_version)) = (lifecycle.stage(*earlier), lifecycle.stage(*later))
            else {
                continue;
            };
            if later_version.cmp_precedence(earlier_version).is_lt() {
                return Err(self.error(
                    span.clone(),
                    &format!("{path}.{}", later.as_str()),
                    format!(
                        "{} = \"{later_version}\" comes before {} = \"{earlier_version}\"; expected stages in order \
                         {STAGE_ORDER}",
                        later.as_str(),
                        earlier.as_str()
                    ),
                ));
            }
        }
        Ok(lifecycle)
    }

    fn version(&self, value: &Spanned<DeValue<'_>>, path: &str) -> Result<Version, CatalogError> {
        const EXPECTED: &str = "expected a semver version like 1.4.0";
        let DeValue::String(text) = value.get_ref() else {
            let got = self.describe(value);
            return Err(self.error(value.span(), path, format!("{EXPECTED} (a string), got {got}")));
        };
        Version::parse(text)
            .map_err(|err| self.error(value.span(), path, format!("{EXPECTED}, got {} ({err})", quote(text))))
    }
}

/// `[a-z0-9][a-z0-9._-]*`.
fn is_valid_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    bytes.next().is_some_and(|first| first.is_ascii_lowercase() || first.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
}

/// A string for a message: double-quoted, escaped, and cut short when long.
fn quote(text: &str) -> String {
    format!("{:?}", shorten(text))
}

/// At most 60 characters of `text`, with an ellipsis when cut.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A key as written in a dotted path: bare when TOML allows it, quoted otherwise.
fn quote_key(key: &str) -> String {
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        key.to_owned()
    } else {
        quote(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_pattern() {
        for ok in ["a", "0", "tenant-signup", "v1.2_x", "9lives"] {
            assert!(is_valid_id(ok), "{ok}");
        }
        for bad in ["", "-a", ".a", "_a", "Tenant", "a b", "a/b", "é", "a:b"] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn lines_are_counted_from_one() {
        let doc = Doc::new("a\nb\r\n\nc", Path::new("x"));
        assert_eq!(doc.line(0), 1);
        assert_eq!(doc.line(1), 1);
        assert_eq!(doc.line(2), 2);
        assert_eq!(doc.line(5), 3);
        assert_eq!(doc.line(6), 4);
        assert_eq!(doc.line(100), 4);
    }

    #[test]
    fn long_values_are_shortened_on_a_character_boundary() {
        let long = "é".repeat(100);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), 63);
        assert!(short.ends_with("..."));
        assert_eq!(quote("a\"b"), r#""a\"b""#);
        assert_eq!(quote_key("my key"), "\"my key\"");
        assert_eq!(quote_key("ga"), "ga");
    }
}
