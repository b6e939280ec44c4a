//! certify's Gherkin parser, linear in the size of a file and conforming to
//! upstream Gherkin (the Cucumber project's parsers and their test corpus):
//!
//! - [`token`]: the line scanner and token matcher, in every language of
//!   upstream's `gherkin-languages.json` (`# language:` header);
//! - [`table`] and [`parse`]: the grammar's state machine and the AST
//!   builder, with upstream's error messages and positions;
//! - [`ast`]: the document as Cucumber Messages' `gherkinDocument`;
//! - [`pickle`]: the compiler to Cucumber Messages' `pickle`s;
//! - [`convert`]: the `gherkin` 0.16 types the rest of certify uses, with
//!   outlines expanded (see [`crate::ParsedFeature`]).

pub mod ast;
pub mod convert;
pub mod parse;
pub mod pickle;
mod table;
mod token;

use std::fmt;

pub use ast::GherkinDocument;
pub use convert::UnknownPlaceholder;
pub use parse::{ChildStart, Piece, Work, parse, parse_child, parse_counting, parse_pieces};
pub use pickle::{Pickle, pickles, scenario_pickles};
pub use token::is_language;

/// A parse error: upstream's message and where it is (at the end of the
/// file there is a line but no column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub location: ast::Location,
    pub message: String,
}

impl Error {
    pub(crate) fn new(location: ast::Location, message: String) -> Error {
        Error { location, message }
    }
}

impl fmt::Display for Error {
    /// Upstream's form: `(line:column): message`, column 0 at the end of the file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}:{}): {}", self.location.line, self.location.column.unwrap_or(0), self.message)
    }
}

impl std::error::Error for Error {}
