//! OpenAPI descriptions of a platform's public API (PRODUCT.md section 11): loading a
//! description (OpenAPI 3.0 or 3.1, JSON or YAML, through the `oas3` crate), its operations
//! and the catalog features they belong to, matching a request to an operation, and checking
//! the response against it ([`Description::check`]: status, headers, media type and body).
//!
//! A 3.0 description is read in its own dialect: its schemas (`nullable`, boolean
//! `exclusiveMinimum`/`exclusiveMaximum`) are rewritten once, at load, into the JSON Schema
//! 2020-12 that 3.1 uses ([`dialect`]), so that everything after loading sees one dialect.
//!
//! ```
//! let text = r#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
//!   "paths": {"/items/{id}": {"get": {"tags": ["Items"], "responses": {"200": {"description": "ok"}}}}}}"#;
//! let api = certify_openapi::Description::parse("openapi.json", text).unwrap();
//! let op = api.find("GET", "/items/42").unwrap();
//! assert_eq!(op.name(), "GET /items/{id}");
//! assert_eq!(op.feature(&["items"]), Some("items"));
//! ```

mod check;
pub mod dialect;
pub mod diff;
mod load;
mod model;
mod pointer;
mod schema;

pub use check::{Check, Part, Response, Violation, denies_endpoint};
pub use load::{Description, DescriptionError};
pub use model::{METHODS, Operation};
