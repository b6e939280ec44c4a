//! Loading a Gherkin suite: finding feature files (on disk or embedded), parsing
//! them with precise `file:line:col` errors, expanding outlines, reading
//! certify's own tags (`@feature:`, `@since:`, `@until:`, `@critical`,
//! `@retry(N)`, `@serial`), selecting scenarios (tag expressions, shards) and
//! linting. Knows nothing of HTTP or of how scenarios are run.

pub mod docstring;
pub mod lint;
pub mod load;
pub mod parsed;
pub mod select;
pub mod syntax;
pub mod tags;

pub use docstring::{DocString, doc_string};
pub use lint::{Finding, FindingKind, Severity, StepCheck, lint};
pub use load::{
    LoadError, ParseIssue, ParsedFeature, SourceFile, Suite, collect_files, collect_paths, feature_ids, parse_file,
};
pub use parsed::{Concrete, DocumentChild, LastOutline};
pub use select::{Selection, Shard, ShardError, TagFilter, TagFilterError, scenario_id};
pub use tags::{CertifyTags, TagProblem, certify_tags};
