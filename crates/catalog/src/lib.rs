//! The catalog of customer-facing features (`features/catalog.toml`) and their lifecycle by
//! platform version, with the pure functions built on it: a feature's maturity at a version,
//! which features exist, each feature's verdict in a run and the coverage gaps, and release
//! notes. Plain data in, data out: nothing here talks to a platform or knows how scenarios run.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::path::Path;
//! use certify_catalog::{Maturity, Tally, Verdict, Version, load_str, verdicts};
//!
//! let text = r#"
//! [[feature]]
//! id = "quotas"
//! title = "Per-plan quotas"
//! owner = "billing"
//! lifecycle = { beta = "1.2.0", ga = "1.4.0" }
//! "#;
//! let catalog = load_str(text, Path::new("features/catalog.toml"))?;
//! let v = Version::new(1, 4, 0);
//! assert_eq!(catalog.features[0].lifecycle.maturity_at(&v), Some(Maturity::Ga));
//!
//! let tallies = BTreeMap::from([("quotas".to_owned(), Tally { passed: 3, ..Tally::default() })]);
//! let (features, unknown) = verdicts(&catalog, &v, &tallies);
//! assert_eq!(features[0].verdict, Verdict::Certified);
//! assert!(unknown.is_empty());
//! # Ok::<(), certify_catalog::CatalogError>(())
//! ```

mod error;
mod load;
mod model;
mod notes;
mod verdict;

pub use error::CatalogError;
pub use load::{load, load_str};
pub use model::{Absence, Catalog, CatalogFeature, Lifecycle, Maturity, ParseMaturityError};
pub use notes::{NoteEntry, Promotion, ReleaseNotes, release_notes, release_notes_markdown};
pub use semver::Version;
pub use verdict::{FeatureVerdict, Tally, Verdict, scenarios, verdicts};
