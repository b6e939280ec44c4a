//! The one home of OpenAPI 3.0's schema dialect. A 3.0 Schema Object is an extended subset of
//! JSON Schema draft 4 with `nullable` and boolean `exclusiveMinimum`/`exclusiveMaximum`; 3.1
//! uses JSON Schema 2020-12 as it is. At load, every schema of a 3.0 description is rewritten
//! into 2020-12 so that validation, coverage and diffs see one dialect:
//!
//! - `nullable: true` with a `type` adds `"null"` to the type (and `null` to an `enum`);
//!   without a `type` (a `$ref` or an `allOf`), the schema becomes `anyOf: [it, {type: null}]`;
//!   `nullable: false` is dropped;
//! - `exclusiveMinimum: true` with `minimum: m` becomes `exclusiveMinimum: m` (likewise for the
//!   maximum); `false` is dropped.
//!
//! Schemas are found where OpenAPI puts them (`components.schemas`, and every `schema` of a
//! parameter, header or media type) and inside them (properties, items, combinators...).

use serde_json::{Map, Value};

/// Rewrites every schema of a 3.0 description (the whole document) into JSON Schema 2020-12.
pub fn upgrade_30(document: &mut Value) {
    walk_document(document);
}

/// Walks the description outside schemas: every `schema` member, and `components.schemas`.
fn walk_document(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                match key.as_str() {
                    "schema" => upgrade_schema(member),
                    "schemas" => {
                        if let Value::Object(schemas) = member {
                            schemas.values_mut().for_each(upgrade_schema);
                        }
                    }
                    // Examples are data, not description: never rewrite them.
                    "example" | "examples" => {}
                    _ => walk_document(member),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk_document),
        _ => {}
    }
}

/// Keywords whose value is one schema.
const ONE: &[&str] = &["items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else"];
/// Keywords whose value is an array of schemas.
const MANY: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value is a map of schemas.
const MAP: &[&str] = &["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];

/// Rewrites one 3.0 schema (and the schemas inside it) into 2020-12.
pub fn upgrade_schema(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    for key in ONE {
        if let Some(inner) = map.get_mut(*key) {
            upgrade_schema(inner);
        }
    }
    for key in MANY {
        if let Some(Value::Array(inner)) = map.get_mut(*key) {
            inner.iter_mut().for_each(upgrade_schema);
        }
    }
    for key in MAP {
        if let Some(Value::Object(inner)) = map.get_mut(*key) {
            inner.values_mut().for_each(upgrade_schema);
        }
    }
    exclusive_bound(map, "exclusiveMinimum", "minimum");
    exclusive_bound(map, "exclusiveMaximum", "maximum");
    if let Some(nullable) = map.remove("nullable")
        && nullable == Value::Bool(true)
    {
        make_nullable(schema);
    }
}

fn exclusive_bound(map: &mut Map<String, Value>, exclusive: &str, bound: &str) {
    match map.get(exclusive) {
        Some(Value::Bool(true)) => {
            if let Some(limit) = map.remove(bound) {
                map.insert(exclusive.to_owned(), limit);
            } else {
                // `exclusiveMinimum: true` without a `minimum` constrains nothing.
                map.remove(exclusive);
            }
        }
        Some(Value::Bool(false)) => {
            map.remove(exclusive);
        }
        _ => {}
    }
}

fn make_nullable(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    match map.get_mut("type") {
        Some(Value::String(single)) => {
            let single = std::mem::take(single);
            map.insert("type".to_owned(), Value::Array(vec![Value::String(single), Value::from("null")]));
        }
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                types.push(Value::from("null"));
            }
        }
        _ => {
            let inner = std::mem::take(map);
            *schema = serde_json::json!({ "anyOf": [Value::Object(inner), { "type": "null" }] });
            return;
        }
    }
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nullable_types_take_null() {
        let mut doc = json!({"components": {"schemas": {
            "A": {"type": "string", "nullable": true, "enum": ["x"]},
            "B": {"allOf": [{"$ref": "#/components/schemas/A"}], "nullable": true},
            "C": {"type": "object", "properties": {"n": {"type": "integer", "nullable": false}}}
        }}});
        upgrade_30(&mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["A"], json!({"type": ["string", "null"], "enum": ["x", null]}));
        assert_eq!(schemas["B"], json!({"anyOf": [{"allOf": [{"$ref": "#/components/schemas/A"}]}, {"type": "null"}]}));
        assert_eq!(schemas["C"]["properties"]["n"], json!({"type": "integer"}));
    }

    #[test]
    fn boolean_exclusive_bounds_become_numbers() {
        let mut doc = json!({"paths": {"/x": {"get": {"parameters": [{"name": "n", "in": "query",
            "schema": {"type": "integer", "minimum": 0, "exclusiveMinimum": true,
                       "maximum": 9, "exclusiveMaximum": false}}]}}}});
        upgrade_30(&mut doc);
        assert_eq!(
            doc["paths"]["/x"]["get"]["parameters"][0]["schema"],
            json!({"type": "integer", "exclusiveMinimum": 0, "maximum": 9})
        );
    }

    #[test]
    fn examples_are_left_alone() {
        let mut doc = json!({"components": {"examples": {"e": {"value": {"nullable": true, "type": "string"}}}}});
        let before = doc.clone();
        upgrade_30(&mut doc);
        assert_eq!(doc, before);
    }
}
