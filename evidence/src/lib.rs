//! What a run leaves behind: the JUnit report and the facts that tag it (the
//! git revision of the suite, the run's identity). Writers here consume the
//! runner's event stream; nothing here talks to a target.

pub mod attest;
pub mod bundle;
pub mod git;
pub mod junit;
pub mod manifest;
pub mod merge;
pub mod messages;
pub mod redact;
pub mod spool;
pub mod stream;
pub mod synthetic;
pub mod transcripts;
pub mod verify;
mod xml;

pub use git::GitInfo;
pub use junit::{JunitWriter, RunInfo};
