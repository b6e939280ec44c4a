//! Self-contained HTML reports. [`run_report`] renders one evidence bundle as a
//! single page (verdict and why, run facts, signature, per-feature verdicts,
//! and every scenario drawn lazily from one embedded JSON blob);
//! [`archive_site`] renders an archive as a static site (the feature x
//! platform-version matrix, a page per version and per feature, and the run
//! reports). Both are pure functions of their data: reading bundles,
//! verifying signatures and writing files happen at the edge. The pages make
//! no request to any host: style and script are inline and open from disk.

mod html;
mod run;
mod site;
#[doc(hidden)]
pub mod testing;

pub use html::{esc as escape_html, script_json};
pub use run::{
    Entries, FailureGroup, RunVerdict, Signature, Transcripts, repeated_failures, run_report, scenario_data,
    verdict_sentence, write_run_report,
};
pub use site::{SiteBundle, SiteDecision, SiteReason, archive_site};
