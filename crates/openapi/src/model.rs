//! The operations of a description: what each is called (`GET /items/{id}`), where it is
//! (its JSON pointer), the catalog feature it belongs to, and how a request path matches its
//! path template.

use serde_json::Value;

/// The HTTP methods an OpenAPI Path Item may hold, in the order operations are listed.
pub const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// One operation of a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The method, upper case (`GET`).
    pub method: String,
    /// The path template as the description spells it (`/items/{id}`).
    pub path: String,
    /// RFC 6901 pointer to the Operation Object (`/paths/~1items~1{id}/get`).
    pub pointer: String,
    /// Its `operationId`, when it has one.
    pub operation_id: Option<String>,
    /// Its tags, as written.
    pub tags: Vec<String>,
    /// Its `x-certify-feature`, when it is a string.
    pub x_feature: Option<String>,
    segments: Vec<Segment>,
}

/// One `/`-separated segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Matched exactly.
    Literal(String),
    /// Literal text and `{parameters}`, in order (`{id}` or `{name}.json`).
    Template(Vec<Part>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Param,
}

impl Operation {
    pub(crate) fn new(method: &str, path: &str, pointer: String, operation: &Value) -> Operation {
        let tags = operation
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| tags.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        Operation {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            pointer,
            operation_id: operation.get("operationId").and_then(Value::as_str).map(str::to_owned),
            tags,
            x_feature: operation.get("x-certify-feature").and_then(Value::as_str).map(str::to_owned),
            segments: segments(path),
        }
    }

    /// `METHOD /path/template`, as the description spells the template.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The catalog feature this operation belongs to: its `x-certify-feature` when it has one
    /// (as written, whether or not the catalog knows it), else the first tag equal to a catalog
    /// feature id ignoring case (as the catalog spells it).
    pub fn feature<'a>(&'a self, catalog_ids: &[&'a str]) -> Option<&'a str> {
        if let Some(id) = &self.x_feature {
            return Some(id);
        }
        self.tags.iter().find_map(|tag| catalog_ids.iter().find(|id| id.eq_ignore_ascii_case(tag)).copied())
    }

    /// Whether `path` (relative to the target's base URL, starting with `/`, without query)
    /// matches this operation's template. Each `{parameter}` stands for one or more characters
    /// of one segment.
    pub fn matches_path(&self, path: &str) -> bool {
        let mut given = path.split('/');
        for segment in &self.segments {
            let Some(part) = given.next() else { return false };
            let ok = match segment {
                Segment::Literal(text) => text == part,
                Segment::Template(parts) => matches_template(parts, part),
            };
            if !ok {
                return false;
            }
        }
        given.next().is_none()
    }

    /// How concrete the template is: more literal segments first, then more literal characters.
    /// A request matching several operations is given the most concrete one.
    pub(crate) fn concreteness(&self) -> (usize, usize) {
        let literal = self.segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count();
        let chars = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(text) => text.len(),
                Segment::Template(parts) => parts
                    .iter()
                    .map(|p| match p {
                        Part::Text(t) => t.len(),
                        Part::Param => 0,
                    })
                    .sum(),
            })
            .sum();
        (literal, chars)
    }
}

fn segments(path: &str) -> Vec<Segment> {
    path.split('/')
        .map(|segment| {
            if !segment.contains('{') {
                return Segment::Literal(segment.to_owned());
            }
            let mut parts = Vec::new();
            let mut rest = segment;
            while let Some(open) = rest.find('{') {
                if open > 0 {
                    parts.push(Part::Text(rest[..open].to_owned()));
                }
                match rest[open..].find('}') {
                    Some(close) => {
                        parts.push(Part::Param);
                        rest = &rest[open + close + 1..];
                    }
                    None => {
                        // An unclosed brace is literal text.
                        parts.push(Part::Text(rest[open..].to_owned()));
                        rest = "";
                    }
                }
            }
            if !rest.is_empty() {
                parts.push(Part::Text(rest.to_owned()));
            }
            Segment::Template(parts)
        })
        .collect()
}

/// Matches one request segment against template parts; a parameter takes at least one
/// character (backtracking over where it ends).
fn matches_template(parts: &[Part], text: &str) -> bool {
    match parts.split_first() {
        None => text.is_empty(),
        Some((Part::Text(literal), rest)) => {
            text.strip_prefix(literal.as_str()).is_some_and(|after| matches_template(rest, after))
        }
        Some((Part::Param, rest)) => text
            .char_indices()
            .skip(1)
            .map(|(i, _)| i)
            .chain([text.len()])
            .filter(|&i| i > 0)
            .any(|end| matches_template(rest, &text[end..])),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn op(path: &str) -> Operation {
        Operation::new("get", path, String::new(), &json!({}))
    }

    #[test]
    fn templates_match_one_segment_per_parameter() {
        let items = op("/items/{id}");
        assert!(items.matches_path("/items/42"));
        assert!(!items.matches_path("/items/"));
        assert!(!items.matches_path("/items"));
        assert!(!items.matches_path("/items/4/2"));
        let file = op("/files/{name}.{ext}");
        assert!(file.matches_path("/files/report.v2.json"));
        assert!(!file.matches_path("/files/.json"));
        assert!(!file.matches_path("/files/report"));
        assert!(op("/").matches_path("/"));
        assert!(!op("/").matches_path("/x"));
    }

    #[test]
    fn literal_segments_are_more_concrete() {
        assert!(op("/items/mine").concreteness() > op("/items/{id}").concreteness());
        assert!(op("/items/{id}.json").concreteness() > op("/items/{id}").concreteness());
    }

    #[test]
    fn features_come_from_the_extension_then_from_tags_ignoring_case() {
        let tagged = Operation::new("get", "/q", String::new(), &json!({"tags": ["Misc", "Quotas"]}));
        assert_eq!(tagged.feature(&["quotas", "keys"]), Some("quotas"));
        assert_eq!(tagged.feature(&["keys"]), None);
        let named =
            Operation::new("get", "/q", String::new(), &json!({"tags": ["Quotas"], "x-certify-feature": "usage"}));
        assert_eq!(named.feature(&["quotas"]), Some("usage"));
    }
}
