//! Breaking-change classification between two descriptions of an API (PRODUCT.md section 11):
//! [`diff`] compares an OLD description with a NEW one and lists every change that matters to a
//! client, breaking ones first, each with the JSON pointer where it happened, the operations it
//! touches and the catalog features of those operations.
//!
//! Operations are matched by method and path template with parameter names ignored, so
//! `/items/{id}` and `/items/{itemId}` are the same operation (path parameters are matched by
//! their position in the template); an operation whose template is spelled the same on both
//! sides is matched first, and each operation is matched at most once. Descriptions, summaries,
//! examples and extensions are ignored. Both descriptions are in the 2020-12 dialect (a 3.0 description was rewritten at
//! load), so 3.0's `nullable: true` is the type `null`.
//!
//! # What breaks a client
//!
//! A schema is read in the direction it travels: in a request (parameters, request bodies) a
//! client sends it, in a response a client reads it. A schema used in both directions is
//! classified by both, and the change is breaking when either says so. A `readOnly` property
//! (and what is inside it) travels only in responses, a `writeOnly` one only in requests: a
//! change to one, in a schema used only in the other direction, is compatible.
//!
//! | change | in a request | in a response |
//! |---|---|---|
//! | field removed | compatible (`request-field-removed`) | **breaking** (`response-field-removed`) |
//! | field added | compatible when optional (`request-field-added`), **breaking** when required (`request-field-required`) | compatible (`response-field-added`) |
//! | optional field made required | **breaking** (`request-field-required`) | compatible (`response-field-required`) |
//! | required field made optional | compatible (`request-field-optional`) | **breaking** (`response-field-optional`): a client may rely on it |
//! | `type` lost a member (or a type was imposed) | **breaking** (`type-changed`) | **breaking** (`type-changed`) |
//! | `type` only gained members (or lost its constraint) | compatible (`type-changed`) | **breaking** (`type-changed`): a client meets values it was not written for |
//! | enum value removed (or an enum imposed) | **breaking** (`enum-narrowed`) | compatible (`enum-narrowed`) |
//! | enum value added (or the enum dropped) | compatible (`enum-widened`) | **breaking** (`enum-widened`): a client switching over the values meets one it does not know |
//!
//! Narrowing a response's type is breaking although every value a client now reads was valid
//! before: a client library generated from the description changes its types (3.0's
//! `nullable: true` removed turns an `Option<T>` into a `T`), and code written against the old
//! library no longer compiles. Narrowing a response's enum changes no generated type and is
//! compatible. `integer` is a member of `number` (`integer` widened to `number` loses nothing).
//!
//! Outside schemas: an operation removed, a parameter added as required or made required, a
//! request body that became required (or appeared as required), a declared response status
//! removed, a request or response media type removed, and a security requirement added (the
//! operation's or the top-level `security` now demands a scheme, or a scope, that some
//! requirement a client could meet before does not satisfy) are breaking. An operation added,
//! an optional parameter or request body added, a parameter or request body removed or made
//! optional, a response status or a media type added, and a security requirement removed or
//! relaxed are compatible.
//!
//! # Where a change is reported
//!
//! Each change has one RFC 6901 pointer: into the NEW description for additions and changes,
//! into the OLD one for removals ([`Change::side`] says which). A component reached through
//! `$ref`s that name the same component on both sides (`#/components/schemas/Item`) is compared
//! once, and each of its changes is reported once, at the component's pointer, with every
//! operation that reaches it (transitively, through other components); recursive schemas
//! terminate. Where a `$ref` names a different component on the two sides, or one side is a
//! `$ref` and the other an inline schema, the schemas are compared structurally after resolving
//! the references. Inline schemas are reported at their own pointer. A component no operation
//! uses is not compared.
//!
//! Schemas are compared through `type`, `enum`, `properties`, `required`, `items`, a schema
//! `additionalProperties`, and `allOf`/`anyOf`/`oneOf`/`prefixItems` member by member; other
//! keywords (bounds, patterns, formats) and members added to or removed from a combinator are
//! not classified. A request or response media type removed is breaking, one added compatible;
//! schemas are compared for the media types both sides have. Response headers are not compared.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::load::{Description, ref_pointer};
use crate::model::Operation;
use crate::pointer::escape;

mod render;

/// The changes between two descriptions: the JSON of `certify api diff --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiDiff {
    /// The description compared from.
    pub old: Version,
    /// The description compared to.
    pub new: Version,
    /// How many changes are breaking.
    pub breaking: usize,
    /// How many changes are compatible.
    pub compatible: usize,
    /// Every change, breaking first, then by pointer (then by kind name, side and message).
    pub changes: Vec<Change>,
}

/// Which description a diff side is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// The file or URL it was read from.
    pub source: String,
    /// Its `info.version`.
    pub version: String,
}

/// One change between two descriptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Whether a client written against OLD can break against NEW.
    pub breaking: bool,
    /// What changed.
    pub kind: ChangeKind,
    /// RFC 6901 pointer to where it happened, in the description [`Change::side`] names.
    pub pointer: String,
    /// The description `pointer` is in: `new` for additions and changes, `old` for removals.
    #[serde(rename = "in")]
    pub side: Side,
    /// The operations it touches (`GET /v1/tenants/{id}`, as NEW names them unless the
    /// operation was removed), sorted.
    pub operations: Vec<String>,
    /// The catalog features of those operations, sorted, without duplicates.
    pub features: Vec<String>,
    /// What changed, in one line.
    pub message: String,
}

/// A side of a diff: the description a pointer is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The description compared from.
    Old,
    /// The description compared to.
    New,
}

/// The kinds of change (see the module documentation for which are breaking where).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// An operation is gone (breaking).
    OperationRemoved,
    /// A new operation (compatible).
    OperationAdded,
    /// A parameter is gone (compatible).
    ParameterRemoved,
    /// A new optional parameter (compatible).
    ParameterAdded,
    /// A new required parameter, or an optional one made required (breaking).
    ParameterRequired,
    /// A required parameter made optional (compatible).
    ParameterOptional,
    /// A request body that is now required, where there was none or an optional one (breaking).
    RequestBodyRequired,
    /// A required request body made optional (compatible).
    RequestBodyOptional,
    /// A new optional request body (compatible).
    RequestBodyAdded,
    /// The request body is gone (compatible).
    RequestBodyRemoved,
    /// A field of a request schema is gone (compatible).
    RequestFieldRemoved,
    /// A new optional field in a request schema (compatible).
    RequestFieldAdded,
    /// A new required request field, or an optional one made required (breaking).
    RequestFieldRequired,
    /// A required request field made optional (compatible).
    RequestFieldOptional,
    /// A field of a response schema is gone (breaking).
    ResponseFieldRemoved,
    /// A new field in a response schema (compatible).
    ResponseFieldAdded,
    /// An optional response field made required (compatible).
    ResponseFieldRequired,
    /// A required response field made optional (breaking).
    ResponseFieldOptional,
    /// A schema's `type` changed (compatible only when a request type was widened).
    TypeChanged,
    /// Enum values removed, or an enum imposed (breaking in requests).
    EnumNarrowed,
    /// Enum values added, or the enum dropped (breaking in responses).
    EnumWidened,
    /// A security requirement a client met before no longer suffices (breaking).
    SecurityAdded,
    /// A security requirement removed or relaxed (compatible).
    SecurityRemoved,
    /// A request or response media type is gone (breaking).
    MediaTypeRemoved,
    /// A new request or response media type (compatible).
    MediaTypeAdded,
    /// A declared response status is gone (breaking).
    ResponseStatusRemoved,
    /// A new declared response status (compatible).
    ResponseStatusAdded,
}

impl ChangeKind {
    /// Every kind, in declaration order.
    pub const ALL: &[ChangeKind] = &[
        ChangeKind::OperationRemoved,
        ChangeKind::OperationAdded,
        ChangeKind::ParameterRemoved,
        ChangeKind::ParameterAdded,
        ChangeKind::ParameterRequired,
        ChangeKind::ParameterOptional,
        ChangeKind::RequestBodyRequired,
        ChangeKind::RequestBodyOptional,
        ChangeKind::RequestBodyAdded,
        ChangeKind::RequestBodyRemoved,
        ChangeKind::RequestFieldRemoved,
        ChangeKind::RequestFieldAdded,
        ChangeKind::RequestFieldRequired,
        ChangeKind::RequestFieldOptional,
        ChangeKind::ResponseFieldRemoved,
        ChangeKind::ResponseFieldAdded,
        ChangeKind::ResponseFieldRequired,
        ChangeKind::ResponseFieldOptional,
        ChangeKind::TypeChanged,
        ChangeKind::EnumNarrowed,
        ChangeKind::EnumWidened,
        ChangeKind::SecurityAdded,
        ChangeKind::SecurityRemoved,
        ChangeKind::MediaTypeRemoved,
        ChangeKind::MediaTypeAdded,
        ChangeKind::ResponseStatusRemoved,
        ChangeKind::ResponseStatusAdded,
    ];

    /// The kebab-case name, as serialized (`response-field-removed`).
    pub fn as_str(self) -> &'static str {
        use ChangeKind::*;
        match self {
            OperationRemoved => "operation-removed",
            OperationAdded => "operation-added",
            ParameterRemoved => "parameter-removed",
            ParameterAdded => "parameter-added",
            ParameterRequired => "parameter-required",
            ParameterOptional => "parameter-optional",
            RequestBodyRequired => "request-body-required",
            RequestBodyOptional => "request-body-optional",
            RequestBodyAdded => "request-body-added",
            RequestBodyRemoved => "request-body-removed",
            RequestFieldRemoved => "request-field-removed",
            RequestFieldAdded => "request-field-added",
            RequestFieldRequired => "request-field-required",
            RequestFieldOptional => "request-field-optional",
            ResponseFieldRemoved => "response-field-removed",
            ResponseFieldAdded => "response-field-added",
            ResponseFieldRequired => "response-field-required",
            ResponseFieldOptional => "response-field-optional",
            TypeChanged => "type-changed",
            EnumNarrowed => "enum-narrowed",
            EnumWidened => "enum-widened",
            SecurityAdded => "security-added",
            SecurityRemoved => "security-removed",
            MediaTypeRemoved => "media-type-removed",
            MediaTypeAdded => "media-type-added",
            ResponseStatusRemoved => "response-status-removed",
            ResponseStatusAdded => "response-status-added",
        }
    }
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ApiDiff {
    /// Whether any change is breaking.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(|c| c.breaking)
    }
}

/// The changes from `old` to `new`, breaking first, then by pointer. `catalog_ids` are the
/// catalog's feature ids, for [`Operation::feature`].
pub fn diff(old: &Description, new: &Description, catalog_ids: &[&str]) -> ApiDiff {
    let mut walk = Walk { old, new, ops: Vec::new(), found: BTreeMap::new(), roots: Vec::new() };
    // An old operation is matched with the new one of the same template, else with the first
    // unmatched one whose template differs only in parameter names; each new one matches once.
    let mut by_template: BTreeMap<(&str, &str), &Operation> = BTreeMap::new();
    let mut by_key: BTreeMap<(String, String), Vec<&Operation>> = BTreeMap::new();
    for n in new.operations() {
        by_template.entry((&n.method, &n.path)).or_insert(n);
        by_key.entry(op_key(n)).or_default().push(n);
    }
    let mut matched: BTreeSet<&str> = BTreeSet::new();
    let mut pairs: Vec<(&Operation, Option<&Operation>)> = Vec::new();
    for o in old.operations() {
        let same = by_template.get(&(o.method.as_str(), o.path.as_str())).copied();
        pairs.push((o, same.filter(|n| matched.insert(&n.pointer))));
    }
    for (o, n) in &mut pairs {
        if n.is_none() {
            let candidates = by_key.get(&op_key(o)).into_iter().flatten();
            *n = candidates.copied().find(|n| matched.insert(&n.pointer));
        }
    }
    for (o, n) in pairs {
        match n {
            Some(n) => {
                let id = walk.op(n, catalog_ids);
                walk.operation(o, n, id);
            }
            None => {
                let id = walk.op(o, catalog_ids);
                let message = format!("operation {} removed", o.name());
                walk.fixed(id, &o.pointer, Side::Old, ChangeKind::OperationRemoved, true, message);
            }
        }
    }
    for n in new.operations() {
        if !matched.contains(n.pointer.as_str()) {
            let id = walk.op(n, catalog_ids);
            let message = format!("operation {} added", n.name());
            walk.fixed(id, &n.pointer, Side::New, ChangeKind::OperationAdded, false, message);
        }
    }
    walk.components();
    walk.finish()
}

/// An operation's identity across versions: its method and its path template with the
/// parameter names left out.
fn op_key(op: &Operation) -> (String, String) {
    let mut path = String::new();
    let mut in_param = false;
    for c in op.path.chars() {
        match c {
            '{' if !in_param => {
                in_param = true;
                path.push('{');
            }
            '}' if in_param => {
                in_param = false;
                path.push('}');
            }
            _ if in_param => {}
            _ => path.push(c),
        }
    }
    (op.method.clone(), path)
}

/// The direction a schema travels. Responses sort first: a change's kind is taken from the
/// response side when both agree on whether it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Direction {
    Response,
    Request,
}

/// A change found in a schema, classified once the directions it is used in are known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Fact {
    PropertyRemoved(String),
    PropertyAdded { name: String, required: bool },
    BecameRequired(String),
    BecameOptional(String),
    TypeChanged { old: Option<BTreeSet<String>>, new: Option<BTreeSet<String>> },
    EnumNarrowed(String),
    EnumWidened(String),
}

/// Which direction a property travels in, by its `readOnly` or `writeOnly` (inherited by the
/// schemas inside it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Access {
    #[default]
    Both,
    /// `readOnly: true`: only in responses.
    ReadOnly,
    /// `writeOnly: true`: only in requests.
    WriteOnly,
}

impl Access {
    /// A property's own access, else the one it inherits.
    fn of(schema: &Value, inherited: Access) -> Access {
        if schema.get("readOnly") == Some(&Value::Bool(true)) {
            Access::ReadOnly
        } else if schema.get("writeOnly") == Some(&Value::Bool(true)) {
            Access::WriteOnly
        } else {
            inherited
        }
    }

    fn travels(self, direction: Direction) -> bool {
        match self {
            Access::Both => true,
            Access::ReadOnly => direction == Direction::Response,
            Access::WriteOnly => direction == Direction::Request,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum What {
    Schema(Fact, Access),
    Fixed { kind: ChangeKind, breaking: bool, message: String },
}

/// What comparing two schemas found: facts at their pointers, and the pairs of components
/// (old pointer, new pointer) that `$ref`s on both sides lead to.
#[derive(Default)]
struct Found {
    facts: Vec<(String, Side, Fact, Access)>,
    edges: BTreeSet<(String, String)>,
    depth: usize,
    /// The access of the property being compared.
    access: Access,
}

impl Found {
    fn push(&mut self, pointer: String, side: Side, fact: Fact) {
        self.facts.push((pointer, side, fact, self.access));
    }
}

type Pair = (String, String);

/// The operations (by index) and directions a change touches.
type Uses = (BTreeSet<usize>, BTreeSet<Direction>);

struct Walk<'a> {
    old: &'a Description,
    new: &'a Description,
    /// The operations changes touch: name and feature.
    ops: Vec<(String, Option<String>)>,
    /// Every change, once per (pointer, side, what), with the operations and directions it touches.
    found: BTreeMap<(String, Side, What), Uses>,
    /// Components reached from operations: (operation, direction, pair).
    roots: Vec<(usize, Direction, Pair)>,
}

impl<'a> Walk<'a> {
    fn op(&mut self, op: &Operation, catalog_ids: &[&str]) -> usize {
        self.ops.push((op.name(), op.feature(catalog_ids).map(str::to_owned)));
        self.ops.len() - 1
    }

    fn fixed(&mut self, op: usize, pointer: &str, side: Side, kind: ChangeKind, breaking: bool, message: String) {
        let what = What::Fixed { kind, breaking, message };
        self.found.entry((pointer.to_owned(), side, what)).or_default().0.insert(op);
    }

    fn schema_facts(&mut self, found: Found, op: usize, direction: Direction) {
        for (pointer, side, fact, access) in found.facts {
            let entry = self.found.entry((pointer, side, What::Schema(fact, access))).or_default();
            entry.0.insert(op);
            entry.1.insert(direction);
        }
        for pair in found.edges {
            self.roots.push((op, direction, pair));
        }
    }

    fn schema(&mut self, op: usize, direction: Direction, old: (&str, &Value), new: (&str, &Value)) {
        let mut found = Found::default();
        compare(self.old, self.new, old, new, &mut found);
        self.schema_facts(found, op, direction);
    }

    /// Compares a matched operation.
    fn operation(&mut self, o: &Operation, n: &Operation, id: usize) {
        let (Some(ov), Some(nv)) = (self.old.at(&o.pointer), self.new.at(&n.pointer)) else { return };
        self.parameters(o, ov, n, nv, id);
        self.request_body(o, ov, n, nv, id);
        self.responses(o, ov, n, nv, id);
        self.security(o, ov, n, nv, id);
    }

    fn parameters(&mut self, o: &Operation, ov: &'a Value, n: &Operation, nv: &'a Value, id: usize) {
        let old = parameters(self.old, o, ov);
        let new = parameters(self.new, n, nv);
        for (key, (op_, ov)) in &old {
            let name = describe_parameter(ov);
            match new.get(key) {
                None => self.fixed(
                    id,
                    op_,
                    Side::Old,
                    ChangeKind::ParameterRemoved,
                    false,
                    format!("parameter {name} removed"),
                ),
                Some((np_, nv)) => {
                    match (is_required(ov), is_required(nv)) {
                        (false, true) => self.fixed(
                            id,
                            np_,
                            Side::New,
                            ChangeKind::ParameterRequired,
                            true,
                            format!("parameter {} is now required", describe_parameter(nv)),
                        ),
                        (true, false) => self.fixed(
                            id,
                            np_,
                            Side::New,
                            ChangeKind::ParameterOptional,
                            false,
                            format!("parameter {} is now optional", describe_parameter(nv)),
                        ),
                        _ => {}
                    }
                    if let (Some(os), Some(ns)) = (ov.get("schema"), nv.get("schema")) {
                        self.schema(
                            id,
                            Direction::Request,
                            (&format!("{op_}/schema"), os),
                            (&format!("{np_}/schema"), ns),
                        );
                    }
                    self.content(id, Direction::Request, (op_, ov), (np_, nv));
                }
            }
        }
        for (key, (np_, nv)) in &new {
            if old.contains_key(key) {
                continue;
            }
            let name = describe_parameter(nv);
            if is_required(nv) {
                self.fixed(
                    id,
                    np_,
                    Side::New,
                    ChangeKind::ParameterRequired,
                    true,
                    format!("new required parameter {name}"),
                );
            } else {
                self.fixed(
                    id,
                    np_,
                    Side::New,
                    ChangeKind::ParameterAdded,
                    false,
                    format!("new optional parameter {name}"),
                );
            }
        }
    }

    fn request_body(&mut self, o: &Operation, ov: &'a Value, n: &Operation, nv: &'a Value, id: usize) {
        let old = ov.get("requestBody").map(|b| deref(self.old, &format!("{}/requestBody", o.pointer), b));
        let new = nv.get("requestBody").map(|b| deref(self.new, &format!("{}/requestBody", n.pointer), b));
        match (old, new) {
            (None, None) => {}
            (Some((op_, _)), None) => {
                self.fixed(id, &op_, Side::Old, ChangeKind::RequestBodyRemoved, false, "request body removed".into())
            }
            (None, Some((np_, nb))) => {
                if is_required(nb) {
                    let message = "a request body is now required".into();
                    self.fixed(id, &np_, Side::New, ChangeKind::RequestBodyRequired, true, message);
                } else {
                    let message = "new optional request body".into();
                    self.fixed(id, &np_, Side::New, ChangeKind::RequestBodyAdded, false, message);
                }
            }
            (Some((op_, ob)), Some((np_, nb))) => {
                match (is_required(ob), is_required(nb)) {
                    (false, true) => self.fixed(
                        id,
                        &np_,
                        Side::New,
                        ChangeKind::RequestBodyRequired,
                        true,
                        "the request body is now required".into(),
                    ),
                    (true, false) => self.fixed(
                        id,
                        &np_,
                        Side::New,
                        ChangeKind::RequestBodyOptional,
                        false,
                        "the request body is now optional".into(),
                    ),
                    _ => {}
                }
                self.media_types(id, Direction::Request, (&op_, ob), (&np_, nb));
                self.content(id, Direction::Request, (&op_, ob), (&np_, nb));
            }
        }
    }

    fn responses(&mut self, o: &Operation, ov: &'a Value, n: &Operation, nv: &'a Value, id: usize) {
        let empty = Map::new();
        let old = ov.get("responses").and_then(Value::as_object).unwrap_or(&empty);
        let new = nv.get("responses").and_then(Value::as_object).unwrap_or(&empty);
        for (status, or) in old {
            let op_ = format!("{}/responses/{}", o.pointer, escape(status));
            match new.get(status) {
                None => self.fixed(
                    id,
                    &op_,
                    Side::Old,
                    ChangeKind::ResponseStatusRemoved,
                    true,
                    format!("response status {status} removed"),
                ),
                Some(nr) => {
                    let np_ = format!("{}/responses/{}", n.pointer, escape(status));
                    let (op_, or) = deref(self.old, &op_, or);
                    let (np_, nr) = deref(self.new, &np_, nr);
                    self.media_types(id, Direction::Response, (&op_, or), (&np_, nr));
                    self.content(id, Direction::Response, (&op_, or), (&np_, nr));
                }
            }
        }
        for status in new.keys().filter(|s| !old.contains_key(*s)) {
            let np_ = format!("{}/responses/{}", n.pointer, escape(status));
            let message = format!("new response status {status}");
            self.fixed(id, &np_, Side::New, ChangeKind::ResponseStatusAdded, false, message);
        }
    }

    /// The media types of a request body or a response: one gone is breaking (a client sends
    /// it, or asked for it), a new one is compatible.
    fn media_types(&mut self, id: usize, direction: Direction, old: (&str, &Value), new: (&str, &Value)) {
        let empty = Map::new();
        let oc = old.1.get("content").and_then(Value::as_object).unwrap_or(&empty);
        let nc = new.1.get("content").and_then(Value::as_object).unwrap_or(&empty);
        let what = if direction == Direction::Request { "request" } else { "response" };
        for media in oc.keys().filter(|m| !nc.contains_key(*m)) {
            let at = format!("{}/content/{}", old.0, escape(media));
            let message = format!("{what} media type {media:?} removed");
            self.fixed(id, &at, Side::Old, ChangeKind::MediaTypeRemoved, true, message);
        }
        for media in nc.keys().filter(|m| !oc.contains_key(*m)) {
            let at = format!("{}/content/{}", new.0, escape(media));
            let message = format!("new {what} media type {media:?}");
            self.fixed(id, &at, Side::New, ChangeKind::MediaTypeAdded, false, message);
        }
    }

    /// The schemas of the media types both sides of a request body, response or parameter have.
    fn content(&mut self, id: usize, direction: Direction, old: (&str, &Value), new: (&str, &Value)) {
        let (Some(oc), Some(nc)) =
            (old.1.get("content").and_then(Value::as_object), new.1.get("content").and_then(Value::as_object))
        else {
            return;
        };
        for (media, om) in oc {
            let (Some(os), Some(ns)) = (om.get("schema"), nc.get(media).and_then(|nm| nm.get("schema"))) else {
                continue;
            };
            let at = |base: &str| format!("{base}/content/{}/schema", escape(media));
            self.schema(id, direction, (&at(old.0), os), (&at(new.0), ns));
        }
    }

    fn security(&mut self, o: &Operation, ov: &Value, n: &Operation, nv: &Value, id: usize) {
        let (old_at, old) = security(self.old, o, ov);
        let (new_at, new) = security(self.new, n, nv);
        if old == new {
            return;
        }
        // A client that met one of the old requirements is still served if one of the new
        // requirements asks for no more than it (schemes, and their scopes).
        let satisfied = |have: &Requirement| new.iter().any(|need| demands_no_more(need, have));
        if let Some(lost) = old.iter().find(|have| !satisfied(have)) {
            let message = format!("security now requires {} where {} sufficed", alternatives(&new), describe(lost));
            self.fixed(id, &new_at, Side::New, ChangeKind::SecurityAdded, true, message);
        } else {
            let message = format!("security relaxed from {} to {}", alternatives(&old), alternatives(&new));
            self.fixed(id, &old_at, Side::Old, ChangeKind::SecurityRemoved, false, message);
        }
    }

    /// Compares every component pair operations reach, once, and reports its changes with
    /// every operation (and direction) that reaches it.
    fn components(&mut self) {
        let mut pairs: BTreeMap<Pair, Found> = BTreeMap::new();
        let mut queue: Vec<Pair> = self.roots.iter().map(|(_, _, pair)| pair.clone()).collect();
        while let Some(pair) = queue.pop() {
            if pairs.contains_key(&pair) {
                continue;
            }
            let mut found = Found::default();
            if let (Some(o), Some(n)) = (self.old.at(&pair.0), self.new.at(&pair.1)) {
                compare(self.old, self.new, (&pair.0, o), (&pair.1, n), &mut found);
            }
            queue.extend(found.edges.iter().cloned());
            pairs.insert(pair, found);
        }
        let mut uses: BTreeMap<&Pair, Uses> = BTreeMap::new();
        let mut roots: BTreeMap<(usize, Direction), Vec<&Pair>> = BTreeMap::new();
        for (op, direction, pair) in &self.roots {
            roots.entry((*op, *direction)).or_default().push(pair);
        }
        for ((op, direction), mut stack) in roots {
            let mut seen = BTreeSet::new();
            while let Some(pair) = stack.pop() {
                if !seen.insert(pair) {
                    continue;
                }
                let entry = uses.entry(pair).or_default();
                entry.0.insert(op);
                entry.1.insert(direction);
                stack.extend(pairs.get(pair).into_iter().flat_map(|f| f.edges.iter()));
            }
        }
        for (pair, (ops, directions)) in uses {
            for (pointer, side, fact, access) in &pairs[pair].facts {
                let what = What::Schema(fact.clone(), *access);
                let entry = self.found.entry((pointer.clone(), *side, what)).or_default();
                entry.0.extend(ops.iter().copied());
                entry.1.extend(directions.iter().copied());
            }
        }
    }

    fn finish(self) -> ApiDiff {
        let mut changes: Vec<Change> = self
            .found
            .into_iter()
            .map(|((pointer, side, what), (ops, directions))| {
                let (kind, breaking, message) = match what {
                    What::Fixed { kind, breaking, message } => (kind, breaking, message),
                    What::Schema(fact, access) => classify(&fact, access, &directions),
                };
                let operations: BTreeSet<&str> = ops.iter().map(|&i| self.ops[i].0.as_str()).collect();
                let features: BTreeSet<&str> = ops.iter().filter_map(|&i| self.ops[i].1.as_deref()).collect();
                Change {
                    breaking,
                    kind,
                    pointer,
                    side,
                    operations: operations.into_iter().map(str::to_owned).collect(),
                    features: features.into_iter().map(str::to_owned).collect(),
                    message,
                }
            })
            .collect();
        changes.sort_by(|a, b| {
            (!a.breaking, &a.pointer, a.kind.as_str(), a.side, &a.message).cmp(&(
                !b.breaking,
                &b.pointer,
                b.kind.as_str(),
                b.side,
                &b.message,
            ))
        });
        let breaking = changes.iter().filter(|c| c.breaking).count();
        ApiDiff {
            old: version(self.old),
            new: version(self.new),
            breaking,
            compatible: changes.len() - breaking,
            changes,
        }
    }
}

fn version(description: &Description) -> Version {
    Version {
        source: description.source().to_owned(),
        version: description.at("/info/version").and_then(Value::as_str).unwrap_or_default().to_owned(),
    }
}

/// A schema fact in each direction it travels; breaking when either direction says so. A
/// `readOnly` property travels only in responses and a `writeOnly` one only in requests; one
/// used only where it does not travel breaks nothing.
fn classify(fact: &Fact, access: Access, directions: &BTreeSet<Direction>) -> (ChangeKind, bool, String) {
    let travels: BTreeSet<Direction> = directions.iter().copied().filter(|d| access.travels(*d)).collect();
    if travels.is_empty() {
        let (kind, _, mut message) = classify_one(fact, directions.first().copied().unwrap_or(Direction::Response));
        message.push_str(match access {
            Access::ReadOnly => " (a readOnly field, not sent in requests)",
            _ => " (a writeOnly field, not returned in responses)",
        });
        return (kind, false, message);
    }
    let each: Vec<(ChangeKind, bool, String)> = travels.iter().map(|d| classify_one(fact, *d)).collect();
    let (kind, breaking, mut message) =
        each.iter().find(|c| c.1).or(each.first()).cloned().unwrap_or_else(|| classify_one(fact, Direction::Response));
    if travels.len() > 1 {
        message.push_str(" (in a schema used in requests and responses)");
    }
    (kind, breaking, message)
}

fn classify_one(fact: &Fact, direction: Direction) -> (ChangeKind, bool, String) {
    use ChangeKind::*;
    use Direction::*;
    match (fact, direction) {
        (Fact::PropertyRemoved(name), Response) => {
            (ResponseFieldRemoved, true, format!("response field {name:?} removed"))
        }
        (Fact::PropertyRemoved(name), Request) => {
            (RequestFieldRemoved, false, format!("request field {name:?} removed"))
        }
        (Fact::PropertyAdded { name, .. }, Response) => {
            (ResponseFieldAdded, false, format!("new response field {name:?}"))
        }
        (Fact::PropertyAdded { name, required: true }, Request) => {
            (RequestFieldRequired, true, format!("new required request field {name:?}"))
        }
        (Fact::PropertyAdded { name, required: false }, Request) => {
            (RequestFieldAdded, false, format!("new optional request field {name:?}"))
        }
        (Fact::BecameRequired(name), Request) => {
            (RequestFieldRequired, true, format!("request field {name:?} is now required"))
        }
        (Fact::BecameRequired(name), Response) => {
            (ResponseFieldRequired, false, format!("response field {name:?} is now always present"))
        }
        (Fact::BecameOptional(name), Request) => {
            (RequestFieldOptional, false, format!("request field {name:?} is now optional"))
        }
        (Fact::BecameOptional(name), Response) => {
            (ResponseFieldOptional, true, format!("response field {name:?} is no longer required: it may be absent"))
        }
        (Fact::TypeChanged { old, new }, direction) => {
            let lost = match (old, new) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(old), Some(new)) => old.iter().any(|t| !covers(new, t)),
            };
            let message = format!("type changed from {} to {}", types_text(old), types_text(new));
            (TypeChanged, lost || direction == Response, message)
        }
        (Fact::EnumNarrowed(detail), direction) => {
            (EnumNarrowed, direction == Request, format!("enum narrowed: {detail}"))
        }
        (Fact::EnumWidened(detail), direction) => {
            (EnumWidened, direction == Response, format!("enum widened: {detail}"))
        }
    }
}

/// Whether a type set admits the type `t` (`number` admits `integer`).
fn covers(set: &BTreeSet<String>, t: &str) -> bool {
    set.contains(t) || (t == "integer" && set.contains("number"))
}

fn types_text(types: &Option<BTreeSet<String>>) -> String {
    match types {
        None => "any type".into(),
        Some(types) => types.iter().cloned().collect::<Vec<_>>().join(" or "),
    }
}

/// Follows `$ref`s (at most 64) from `value` at `pointer`, returning where it ends and what is there.
fn deref<'v>(description: &'v Description, pointer: &str, mut value: &'v Value) -> (String, &'v Value) {
    let mut pointer = pointer.to_owned();
    for _ in 0..64 {
        let Some(target) = schema_ref(value) else { break };
        let Some(next) = description.at(&target) else { break };
        pointer = target;
        value = next;
    }
    (pointer, value)
}

/// The internal pointer a `{"$ref": ...}` names.
fn schema_ref(value: &Value) -> Option<String> {
    value.get("$ref").and_then(Value::as_str).and_then(ref_pointer)
}

fn is_required(value: &Value) -> bool {
    value.get("required") == Some(&Value::Bool(true)) || value.get("in").and_then(Value::as_str) == Some("path")
}

fn describe_parameter(parameter: &Value) -> String {
    let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default();
    let location = parameter.get("in").and_then(Value::as_str).unwrap_or_default();
    format!("{name:?} (in {location})")
}

/// The parameters of an operation (its path item's, overridden by its own), resolved, keyed
/// by where they are: a path parameter by its position in the template (so renaming it changes
/// nothing), any other by `in` and name (a header's name in lower case).
fn parameters<'v>(
    description: &'v Description,
    op: &Operation,
    value: &'v Value,
) -> BTreeMap<String, (String, &'v Value)> {
    let template: Vec<&str> =
        op.path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect();
    let item_pointer = op.pointer.rsplit_once('/').map(|(item, _)| item).unwrap_or_default();
    let mut found = BTreeMap::new();
    let lists = [(item_pointer.to_owned(), description.at(item_pointer)), (op.pointer.clone(), Some(value))];
    for (base, holder) in lists {
        let Some(list) = holder.and_then(|h| h.get("parameters")).and_then(Value::as_array) else { continue };
        for (i, parameter) in list.iter().enumerate() {
            let (pointer, parameter) = deref(description, &format!("{base}/parameters/{i}"), parameter);
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default();
            let location = parameter.get("in").and_then(Value::as_str).unwrap_or_default();
            let key = match location {
                "path" => match template.iter().position(|t| *t == name) {
                    Some(position) => format!("path#{position}"),
                    None => format!("path:{name}"),
                },
                "header" => format!("header:{}", name.to_ascii_lowercase()),
                other => format!("{other}:{name}"),
            };
            found.insert(key, (pointer, parameter));
        }
    }
    found
}

/// One security requirement: every scheme it names, with its scopes.
type Requirement = BTreeMap<String, BTreeSet<String>>;

/// An operation's effective security (its own `security`, else the top-level one) with the
/// pointer it is at, as alternatives; no requirement at all is the one empty alternative.
fn security(description: &Description, op: &Operation, value: &Value) -> (String, BTreeSet<Requirement>) {
    let (at, list) = match value.get("security") {
        Some(list) => (format!("{}/security", op.pointer), Some(list)),
        None => match description.at("/security") {
            Some(list) => ("/security".to_owned(), Some(list)),
            None => (op.pointer.clone(), None),
        },
    };
    let mut alternatives: BTreeSet<Requirement> = list
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|requirement| {
            requirement
                .iter()
                .map(|(scheme, scopes)| {
                    let scopes = scopes.as_array().into_iter().flatten().filter_map(Value::as_str);
                    (scheme.clone(), scopes.map(str::to_owned).collect())
                })
                .collect()
        })
        .collect();
    if alternatives.is_empty() {
        alternatives.insert(Requirement::new());
    }
    (at, alternatives)
}

/// Whether a client holding `have` meets `need`: every scheme `need` names, with its scopes.
fn demands_no_more(need: &Requirement, have: &Requirement) -> bool {
    need.iter().all(|(scheme, scopes)| have.get(scheme).is_some_and(|held| scopes.is_subset(held)))
}

fn describe(requirement: &Requirement) -> String {
    if requirement.is_empty() {
        return "no credentials".into();
    }
    requirement
        .iter()
        .map(
            |(scheme, scopes)| {
                if scopes.is_empty() { format!("{scheme:?}") } else { format!("{scheme:?} {scopes:?}") }
            },
        )
        .collect::<Vec<_>>()
        .join(" and ")
}

fn alternatives(requirements: &BTreeSet<Requirement>) -> String {
    requirements.iter().map(describe).collect::<Vec<_>>().join(" or ")
}

/// Keywords that do not change what a schema accepts.
const ANNOTATIONS: &[&str] =
    &["description", "title", "example", "examples", "default", "deprecated", "readOnly", "writeOnly"];

/// Whether a schema has no keyword but `keyword` and annotations.
fn only(map: &Map<String, Value>, keyword: &str) -> bool {
    map.keys().all(|k| k == keyword || ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-"))
}

/// The one member of an `allOf` that is all its schema says.
fn lone_all_of(schema: &Value) -> Option<(&'static str, &Value)> {
    let map = schema.as_object()?;
    match map.get("allOf")?.as_array()?.as_slice() {
        [inner] if only(map, "allOf") => Some(("/allOf/0", inner)),
        _ => None,
    }
}

/// The schema inside a nullable wrapper (`anyOf`/`oneOf` of it and `{"type": "null"}`, what a
/// 3.0 `nullable: true` on a `$ref` becomes), with its pointer suffix.
fn nullable_wrapper(schema: &Value) -> Option<(String, &Value)> {
    let map = schema.as_object()?;
    for keyword in ["anyOf", "oneOf"] {
        let Some(Value::Array(members)) = map.get(keyword) else { continue };
        if members.len() != 2 || !only(map, keyword) {
            return None;
        }
        let null = serde_json::json!({"type": "null"});
        let inner = members.iter().position(|m| *m != null)?;
        if members[1 - inner] != null {
            return None;
        }
        return Some((format!("/{keyword}/{inner}"), &members[inner]));
    }
    None
}

/// A schema's own `type` set; `None` when it has none (any type).
fn types(schema: &Value) -> Option<BTreeSet<String>> {
    match schema.get("type")? {
        Value::String(t) => Some([t.clone()].into()),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).map(str::to_owned).collect()),
        _ => None,
    }
}

/// The type set of a schema, following `$ref`s and a lone `allOf` member (what a 3.0
/// `nullable: true` wraps).
fn resolved_types<'v>(description: &'v Description, mut schema: &'v Value) -> Option<BTreeSet<String>> {
    for _ in 0..64 {
        schema = deref(description, "", schema).1;
        if let Some(types) = types(schema) {
            return Some(types);
        }
        match lone_all_of(schema) {
            Some((_, inner)) => schema = inner,
            None => return None,
        }
    }
    None
}

/// Compares an old schema with a new one (each with its pointer), collecting facts, and the
/// component pairs both sides' `$ref`s lead to (compared once, by the caller).
fn compare(old_doc: &Description, new_doc: &Description, old: (&str, &Value), new: (&str, &Value), out: &mut Found) {
    // Inline schemas are finite and a `$ref` on both sides stops here, but a `$ref` on one side
    // only is followed: a degenerate cycle (`X: {anyOf: [{$ref: X}, {type: null}]}`) must end.
    if out.depth >= MAX_DEPTH {
        return;
    }
    out.depth += 1;
    compare_at(old_doc, new_doc, old, new, out);
    out.depth -= 1;
}

/// How deep schemas are compared inside one operation's or component's schema.
const MAX_DEPTH: usize = 256;

fn compare_at(old_doc: &Description, new_doc: &Description, old: (&str, &Value), new: (&str, &Value), out: &mut Found) {
    let (op_, ov) = old;
    let (np_, nv) = new;
    // `allOf` of one schema is that schema (3.0's way to give a `$ref` siblings).
    if let Some((suffix, inner)) = lone_all_of(ov) {
        return compare(old_doc, new_doc, (&format!("{op_}{suffix}"), inner), new, out);
    }
    if let Some((suffix, inner)) = lone_all_of(nv) {
        return compare(old_doc, new_doc, old, (&format!("{np_}{suffix}"), inner), out);
    }
    // A nullable wrapper first: its pointer is where `null` was added or removed, also when
    // the other side is a `$ref`.
    let null = || -> BTreeSet<String> { ["null".to_owned()].into() };
    match (nullable_wrapper(ov), nullable_wrapper(nv)) {
        (Some((os, oi)), Some((ns, ni))) => {
            return compare(old_doc, new_doc, (&format!("{op_}{os}"), oi), (&format!("{np_}{ns}"), ni), out);
        }
        (Some((os, oi)), None) => {
            let old_types = resolved_types(old_doc, oi).map(|t| &t | &null());
            let new_types = resolved_types(new_doc, nv);
            if old_types != new_types {
                out.push(np_.to_owned(), Side::New, Fact::TypeChanged { old: old_types, new: new_types });
            }
            return compare(old_doc, new_doc, (&format!("{op_}{os}"), oi), new, out);
        }
        (None, Some((ns, ni))) => {
            let old_types = resolved_types(old_doc, ov);
            let new_types = resolved_types(new_doc, ni).map(|t| &t | &null());
            if old_types != new_types {
                out.push(np_.to_owned(), Side::New, Fact::TypeChanged { old: old_types, new: new_types });
            }
            return compare(old_doc, new_doc, old, (&format!("{np_}{ns}"), ni), out);
        }
        (None, None) => {}
    }
    match (schema_ref(ov), schema_ref(nv)) {
        (Some(o), Some(n)) => {
            out.edges.insert((o, n));
            return;
        }
        (Some(_), None) => {
            let (op_, ov) = deref(old_doc, op_, ov);
            if schema_ref(ov).is_none() {
                compare(old_doc, new_doc, (&op_, ov), new, out);
            }
            return;
        }
        (None, Some(_)) => {
            let (np_, nv) = deref(new_doc, np_, nv);
            if schema_ref(nv).is_none() {
                compare(old_doc, new_doc, old, (&np_, nv), out);
            }
            return;
        }
        (None, None) => {}
    }
    let (old_types, new_types) = (types(ov), types(nv));
    if old_types != new_types {
        out.push(np_.to_owned(), Side::New, Fact::TypeChanged { old: old_types, new: new_types });
    }
    compare_enum(ov, nv, np_, out);
    compare_properties(old_doc, new_doc, old, new, out);
    for keyword in ["items", "additionalProperties"] {
        if let (Some(o @ Value::Object(_)), Some(n @ Value::Object(_))) = (ov.get(keyword), nv.get(keyword)) {
            compare(old_doc, new_doc, (&format!("{op_}/{keyword}"), o), (&format!("{np_}/{keyword}"), n), out);
        }
    }
    for keyword in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        if let (Some(Value::Array(o)), Some(Value::Array(n))) = (ov.get(keyword), nv.get(keyword)) {
            for (i, (o, n)) in o.iter().zip(n).enumerate() {
                compare(
                    old_doc,
                    new_doc,
                    (&format!("{op_}/{keyword}/{i}"), o),
                    (&format!("{np_}/{keyword}/{i}"), n),
                    out,
                );
            }
        }
    }
}

fn compare_enum(old: &Value, new: &Value, at: &str, out: &mut Found) {
    let list = |values: &[&Value]| values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ");
    match (old.get("enum").and_then(Value::as_array), new.get("enum").and_then(Value::as_array)) {
        (Some(o), Some(n)) => {
            let removed: Vec<&Value> = o.iter().filter(|v| !n.contains(v)).collect();
            let added: Vec<&Value> = n.iter().filter(|v| !o.contains(v)).collect();
            if !removed.is_empty() {
                let detail = format!("{} removed", list(&removed));
                out.push(at.to_owned(), Side::New, Fact::EnumNarrowed(detail));
            }
            if !added.is_empty() {
                let detail = format!("{} added", list(&added));
                out.push(at.to_owned(), Side::New, Fact::EnumWidened(detail));
            }
        }
        (None, Some(n)) => {
            let detail = format!("now one of {}", list(&n.iter().collect::<Vec<_>>()));
            out.push(at.to_owned(), Side::New, Fact::EnumNarrowed(detail));
        }
        (Some(_), None) => {
            out.push(at.to_owned(), Side::New, Fact::EnumWidened("no longer restricted to an enum".into()));
        }
        (None, None) => {}
    }
}

fn compare_properties(
    old_doc: &Description,
    new_doc: &Description,
    old: (&str, &Value),
    new: (&str, &Value),
    out: &mut Found,
) {
    let empty = Map::new();
    let props = |v| properties(v).unwrap_or(&empty);
    let (op_, ov) = old;
    let (np_, nv) = new;
    let (old_props, new_props) = (props(ov), props(nv));
    let (old_required, new_required) = (required(ov), required(nv));
    let outer = out.access;
    for (name, os) in old_props {
        let o_at = format!("{op_}/properties/{}", escape(name));
        let Some(ns) = new_props.get(name) else {
            out.access = Access::of(os, outer);
            out.push(o_at, Side::Old, Fact::PropertyRemoved(name.clone()));
            continue;
        };
        out.access = Access::of(ns, outer);
        let n_at = format!("{np_}/properties/{}", escape(name));
        match (old_required.contains(name.as_str()), new_required.contains(name.as_str())) {
            (false, true) => out.push(n_at.clone(), Side::New, Fact::BecameRequired(name.clone())),
            (true, false) => out.push(n_at.clone(), Side::New, Fact::BecameOptional(name.clone())),
            _ => {}
        }
        compare(old_doc, new_doc, (&o_at, os), (&n_at, ns), out);
    }
    for (name, ns) in new_props.iter().filter(|(name, _)| !old_props.contains_key(*name)) {
        out.access = Access::of(ns, outer);
        let n_at = format!("{np_}/properties/{}", escape(name));
        let fact = Fact::PropertyAdded { name: name.clone(), required: new_required.contains(name.as_str()) };
        out.push(n_at, Side::New, fact);
    }
    out.access = outer;
}

fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

fn required(schema: &Value) -> BTreeSet<&str> {
    schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_their_serialized_names() {
        let names: BTreeSet<&str> = ChangeKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ChangeKind::ALL.len());
        for kind in ChangeKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(serde_json::from_value::<ChangeKind>(kind.as_str().into()).unwrap(), *kind);
        }
    }

    #[test]
    fn operations_are_keyed_without_parameter_names() {
        let op = |path: &str| Operation::new("get", path, String::new(), &Value::Null);
        assert_eq!(op_key(&op("/items/{id}/x")), op_key(&op("/items/{itemId}/x")));
        assert_ne!(op_key(&op("/items/{id}")), op_key(&op("/items/{id}.json")));
        assert_ne!(op_key(&op("/items/{id}")), op_key(&op("/items/mine")));
    }
}
