//! Stage one: `certify.toml` as written, in serde structs that mirror the file.
//!
//! Nothing is interpreted here: strings stay strings (they may still hold `${VAR}`), numbers
//! that may also be written as strings are kept as [`Scalar`], and every value keeps its span
//! so that stage two can name the line of a problem. Unknown keys are refused
//! (`deny_unknown_fields`), and a serde error is turned into a [`ConfigError`] whose key path
//! is found by locating the error's span in the parsed document.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{ConfigError, KeyPath, Segment};

/// A string value with its span.
pub(crate) type Str = Spanned<String>;

/// Keys that would hold a literal secret in a credential; refused in stage two with advice.
pub(crate) const LITERAL_SECRET_KEYS: [&str; 6] = ["token", "bearer", "value", "password", "secret", "api_key"];

/// What a table type is described as in "expected ..., got ..." messages.
pub(crate) trait Expecting {
    const EXPECTING: &'static str;
}

/// A TOML table deserialized as `T`. Anything else is refused: serde would otherwise fill a
/// struct positionally from an array (`version = ["/version", "$.version"]`).
#[derive(Debug)]
pub(crate) struct Table<T>(pub T);

impl<T> std::ops::Deref for Table<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'de, T: Deserialize<'de> + Expecting> Deserialize<'de> for Table<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TableVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Expecting> Visitor<'de> for TableVisitor<T> {
            type Value = Table<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Table<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Table)
            }
        }
        deserializer.deserialize_any(TableVisitor(PhantomData))
    }
}

macro_rules! expecting {
    ($($ty:ty => $text:expr),* $(,)?) => {
        $(impl Expecting for $ty {
            const EXPECTING: &'static str = $text;
        })*
    };
}

expecting! {
    RawSuite => "a table",
    RawTarget => "a table",
    RawVersion => r#"a table like { path = "/version", json = "$.version" }"#,
    RawApi => r#"a table like { path = "/openapi.json" } or { file = "api/openapi.yaml" }"#,
    RawCredential => r#"a credential table like { bearer_env = "VAR" }"#,
    RawSnapshots => "a table",
    RawEvidence => "a table",
    RawRedact => r#"a table like { headers = ["X-Api-Key"], json = ["$..password"] }"#,
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    pub suite: Option<Spanned<Table<RawSuite>>>,
    pub targets: Option<Spanned<Entries<Table<RawTarget>>>>,
    pub credentials: Option<Spanned<Entries<Table<RawCredential>>>>,
    pub snapshots: Option<Spanned<Table<RawSnapshots>>>,
    pub evidence: Option<Spanned<Table<RawEvidence>>>,
}

/// `[suite]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSuite {
    pub features: Option<Spanned<StrOrList>>,
    pub catalog: Option<Str>,
    pub default_target: Option<Str>,
}

/// `[targets.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarget {
    pub base_url: Str,
    pub version: Option<Spanned<Table<RawVersion>>>,
    pub api: Option<Spanned<Table<RawApi>>>,
    pub api_check: Option<Str>,
    pub auth: Option<Spanned<RawAuth>>,
    pub headers: Option<Spanned<Entries<String>>>,
    pub timeout: Option<Spanned<Scalar>>,
    pub concurrency: Option<Spanned<Scalar>>,
    pub max_rps: Option<Spanned<Scalar>>,
    pub max_body: Option<Spanned<Scalar>>,
}

/// `version = { path = "/version", json = "$.version" }`, or with `header`
/// or `regex` in place of `json` (stage two checks that exactly one is given).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVersion {
    pub path: Str,
    pub json: Option<Str>,
    pub header: Option<Str>,
    pub regex: Option<Str>,
}

/// `api = { path = "/openapi.json" }` or `{ file = "api/openapi.yaml" }` (stage two checks
/// that exactly one is given).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApi {
    pub path: Option<Str>,
    pub file: Option<Str>,
}

/// `[credentials.NAME]` or a target's inline `auth`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCredential {
    pub bearer_env: Option<Str>,
    pub bearer_file: Option<Str>,
    pub header: Option<Str>,
    pub value_env: Option<Str>,
    pub value_file: Option<Str>,
    // Literal secrets: accepted by the parser only so that stage two can refuse them with advice.
    // Their values are never looked at.
    pub token: Option<Spanned<IgnoredAny>>,
    pub bearer: Option<Spanned<IgnoredAny>>,
    pub value: Option<Spanned<IgnoredAny>>,
    pub password: Option<Spanned<IgnoredAny>>,
    pub secret: Option<Spanned<IgnoredAny>>,
    pub api_key: Option<Spanned<IgnoredAny>>,
}

impl RawCredential {
    /// The first literal-secret key present, with its span.
    pub(crate) fn literal_secret(&self) -> Option<(&'static str, Range<usize>)> {
        let fields = [&self.token, &self.bearer, &self.value, &self.password, &self.secret, &self.api_key];
        LITERAL_SECRET_KEYS
            .iter()
            .zip(fields)
            .find_map(|(name, field)| field.as_ref().map(|value| (*name, value.span())))
    }
}

/// A target's `auth`: an inline credential, or the name of a `[credentials]` entry.
#[derive(Debug)]
pub(crate) enum RawAuth {
    Named(String),
    Inline(Box<RawCredential>),
}

impl<'de> Deserialize<'de> for RawAuth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AuthVisitor;
        impl<'de> Visitor<'de> for AuthVisitor {
            type Value = RawAuth;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a credential table like { bearer_env = "VAR" } or the name of a [credentials] entry"#)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawAuth, E> {
                Ok(RawAuth::Named(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawAuth, A::Error> {
                RawCredential::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|credential| RawAuth::Inline(Box::new(credential)))
            }
        }
        deserializer.deserialize_any(AuthVisitor)
    }
}

/// `[snapshots]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSnapshots {
    pub redact: Option<Spanned<StrList>>,
    pub dir: Option<Str>,
}

/// `[evidence]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEvidence {
    pub dir: Option<Str>,
    pub signing_key: Option<Spanned<RawKeyRef>>,
    pub redact: Option<Spanned<Table<RawRedact>>>,
    pub max_body: Option<Spanned<Scalar>>,
}

/// `redact = { headers = [...], json = [...] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRedact {
    pub headers: Option<Spanned<StrList>>,
    pub json: Option<Spanned<StrList>>,
}

const KEY_REF_EXPECTING: &str = r#"a table like { file = "keys/release.key" } or { env = "CERTIFY_SIGNING_KEY" }"#;

/// `signing_key = { file = "..." }` or `{ env = "..." }`.
#[derive(Debug)]
pub(crate) struct RawKeyRef {
    pub file: Option<Str>,
    pub env: Option<Str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKeyRefFields {
    file: Option<Str>,
    env: Option<Str>,
}

/// Refuses a string without ever repeating it: it could be the key itself.
impl<'de> Deserialize<'de> for RawKeyRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyRefVisitor;
        impl<'de> Visitor<'de> for KeyRefVisitor {
            type Value = RawKeyRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(KEY_REF_EXPECTING)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<RawKeyRef, E> {
                Err(E::custom(format!(
                    "expected {KEY_REF_EXPECTING}, got a string; the signing key itself never goes in certify.toml"
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawKeyRef, A::Error> {
                let fields = RawKeyRefFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawKeyRef { file: fields.file, env: fields.env })
            }
        }
        deserializer.deserialize_any(KeyRefVisitor)
    }
}

/// The entries of a table whose keys are names (targets, credentials, headers), in file order,
/// each key and value with its span.
#[derive(Debug)]
pub(crate) struct Entries<T>(pub Vec<(Str, Spanned<T>)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<T>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Str>()? {
                    let value = map.next_value::<Spanned<T>>()?;
                    entries.push((key, value));
                }
                entries.sort_by_key(|(key, _)| key.span().start);
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// A value that is a number but may also be written as a string (`"16MiB"`, `"${RATE}"`).
/// Values of other types are kept as a description, so that stage two can say what the key
/// expects.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Int(i64),
    Float(f64),
    Text(String),
    /// Anything else, described for messages: `true`, `a date-time`, `an array`, ...
    Other(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Other(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map_or_else(|_| Scalar::Other(format!("{v} (out of range)")), Scalar::Int))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map_or_else(|_| Scalar::Other(format!("{v} (out of range)")), Scalar::Int))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map_or_else(|_| Scalar::Other(format!("{v} (out of range)")), Scalar::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other("an array".to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar, A::Error> {
                // TOML date-times reach serde as a map; toml's own value type tells them apart.
                let value = toml::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Scalar::Other(if value.is_datetime() { "a date-time" } else { "a table" }.to_owned()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// `features = "features"` or `features = ["a", "b/**/*.feature"]`.
#[derive(Debug)]
pub(crate) enum StrOrList {
    One(String),
    Many(Vec<Str>),
}

impl<'de> Deserialize<'de> for StrOrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrOrListVisitor;
        impl<'de> Visitor<'de> for StrOrListVisitor {
            type Value = StrOrList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StrOrList, E> {
                Ok(StrOrList::One(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<StrOrList, A::Error> {
                collect_strings(seq).map(StrOrList::Many)
            }
        }
        deserializer.deserialize_any(StrOrListVisitor)
    }
}

/// An array of strings.
#[derive(Debug)]
pub(crate) struct StrList(pub Vec<Str>);

impl<'de> Deserialize<'de> for StrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrListVisitor;
        impl<'de> Visitor<'de> for StrListVisitor {
            type Value = StrList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<StrList, A::Error> {
                collect_strings(seq).map(StrList)
            }
        }
        deserializer.deserialize_seq(StrListVisitor)
    }
}

fn collect_strings<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<Str>, A::Error> {
    let mut items = Vec::new();
    while let Some(item) = seq.next_element::<Str>()? {
        items.push(item);
    }
    Ok(items)
}

/// The text being loaded and the name to report it under.
pub(crate) struct Doc<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl Doc<'_> {
    /// The 1-based line that byte `offset` is on.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.text.bytes().take(offset).filter(|&b| b == b'\n').count() + 1
    }

    /// An error at `span` about `key`.
    pub(crate) fn error(&self, span: Range<usize>, key: &KeyPath, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.file, Some(self.line(span.start)), key.render(), message)
    }
}

/// Parses the file into its raw structs.
pub(crate) fn parse(doc: &Doc<'_>) -> Result<RawFile, ConfigError> {
    let tree = DeTable::parse(doc.text).map_err(|err| {
        let line = err.span().map(|span| doc.line(span.start));
        let at = err
            .span()
            .and_then(|span| doc.text.get(span))
            .filter(|found| !found.is_empty() && found.len() <= 40 && !found.contains('\n'))
            .map(|found| format!(" (at `{found}`)"))
            .unwrap_or_default();
        ConfigError::new(doc.file, line, None, format!("invalid TOML: {}{at}", err.message()))
    })?;
    toml::from_str::<RawFile>(doc.text).map_err(|err| {
        let Some(span) = err.span() else {
            return ConfigError::new(doc.file, None, None, humanize(err.message()).1);
        };
        let mut key = locate(tree.get_ref(), &span);
        let (unknown, message) = humanize(err.message());
        if let Some(unknown) = unknown
            && key.last_key() != Some(unknown.as_str())
        {
            key = key.key(&unknown);
        }
        doc.error(span, &key, message)
    })
}

impl KeyPath {
    fn last_key(&self) -> Option<&str> {
        match self.segments().last() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }
}

/// The key path of the smallest key or value of `tree` whose span holds `span`.
fn locate(tree: &DeTable<'_>, span: &Range<usize>) -> KeyPath {
    struct Best {
        path: KeyPath,
        width: usize,
    }
    fn consider(candidate: Range<usize>, span: &Range<usize>, path: &KeyPath, best: &mut Option<Best>) {
        if candidate.start <= span.start && span.end <= candidate.end {
            let width = candidate.end - candidate.start;
            let better = match best {
                None => true,
                Some(best) => width < best.width || (width == best.width && path.len() > best.path.len()),
            };
            if better {
                *best = Some(Best { path: path.clone(), width });
            }
        }
    }
    fn walk_value(value: &DeValue<'_>, span: &Range<usize>, path: &mut KeyPath, best: &mut Option<Best>) {
        match value {
            DeValue::Table(table) => walk_table(table, span, path, best),
            DeValue::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(Segment::Index(index));
                    consider(item.span(), span, path, best);
                    walk_value(item.get_ref(), span, path, best);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    fn walk_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut KeyPath, best: &mut Option<Best>) {
        for (key, value) in table.iter() {
            path.push(Segment::Key(key.get_ref().to_string()));
            consider(key.span(), span, path, best);
            consider(value.span(), span, path, best);
            walk_value(value.get_ref(), span, path, best);
            path.pop();
        }
    }
    let mut best = None;
    walk_table(tree, span, &mut KeyPath::root(), &mut best);
    best.map(|best| best.path).unwrap_or_default()
}

/// Rewrites a serde message in the words of a TOML file. Returns the unknown key's name when
/// the message is about one.
fn humanize(message: &str) -> (Option<String>, String) {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, valid)) = rest.split_once('`')
    {
        return (Some(field.to_owned()), unknown_key(field, &backticked(valid)));
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        return (None, format!("missing required key {}", rest.trim_end_matches('`')));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return (None, format!("expected {}, got {}", toml_words(expected), found_words(found)));
    }
    (None, message.to_owned())
}

/// The names between backticks in `text`.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn unknown_key(field: &str, valid: &[&str]) -> String {
    let valid: Vec<&str> = valid.iter().copied().filter(|name| !LITERAL_SECRET_KEYS.contains(name)).collect();
    let suggestion = valid
        .iter()
        .map(|name| (strsim::damerau_levenshtein(field, name), *name))
        .filter(|(distance, name)| *distance <= (name.len() / 3).max(1))
        .min()
        .map(|(_, name)| format!(" (did you mean {name}?)"))
        .unwrap_or_default();
    if valid.is_empty() {
        format!("unknown key{suggestion}; this table takes no keys")
    } else {
        format!("unknown key{suggestion}; valid keys: {}", valid.join(", "))
    }
}

/// serde's "expected" phrases in TOML words.
fn toml_words(expected: &str) -> String {
    match expected {
        "a map" => "a table".to_owned(),
        "a sequence" => "an array".to_owned(),
        other => other.to_owned(),
    }
}

/// serde's description of an unexpected value in TOML words, never repeating a string's content.
fn found_words(found: &str) -> String {
    if found.starts_with("string ") {
        return "a string".to_owned();
    }
    for (serde_word, toml_word) in [("integer", "integer"), ("floating point", "float"), ("boolean", "boolean")] {
        if let Some(value) = found.strip_prefix(serde_word).and_then(|v| v.strip_prefix(' ')) {
            return format!("{toml_word} {}", value.trim_matches('`'));
        }
    }
    match found {
        "map" => "a table".to_owned(),
        "sequence" => "an array".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanizes_serde_messages() {
        assert_eq!(
            humanize("unknown field `tmeout`, expected one of `base_url`, `timeout`, `token`"),
            (Some("tmeout".into()), "unknown key (did you mean timeout?); valid keys: base_url, timeout".into())
        );
        assert_eq!(
            humanize("unknown field `x`, expected `file` or `env`"),
            (Some("x".into()), "unknown key; valid keys: file, env".into())
        );
        assert_eq!(humanize("missing field `base_url`").1, "missing required key base_url");
        assert_eq!(humanize(r#"invalid type: string "s3cr3t", expected a table"#).1, "expected a table, got a string");
        assert_eq!(humanize("invalid type: integer `5`, expected a string").1, "expected a string, got integer 5");
        assert_eq!(humanize("invalid type: sequence, expected a map").1, "expected a table, got an array");
        assert_eq!(humanize("something else").1, "something else");
    }
}
