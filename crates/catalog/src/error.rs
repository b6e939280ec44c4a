//! The one error type of this crate: a [`certify_diag::FileError`], rendered as
//! `FILE:LINE: KEY: MESSAGE`, e.g.
//! `features/catalog.toml:12: feature[3].lifecycle.ga: expected a semver version like 1.4.0, got "1.4"`.
//! Keys are dotted paths into the file with 0-based array indices (`feature[0]` is the first
//! `[[feature]]` table).

/// A catalog problem: which file, which line, which key, and what was expected.
pub type CatalogError = certify_diag::FileError;
