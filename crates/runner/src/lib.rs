//! Running a suite: the plan (what runs and why the rest does not), the
//! scheduler that runs it with the built-in step vocabulary, and the one
//! typed event stream ([`event::RunEvent`]) that writers consume. Knows
//! nothing of JUnit, evidence, signing or the reference platform.

pub mod event;
mod plan;
mod schedule;

pub use event::{EventSink, LoadFailure, Plan, RunEvent, RunSummary, ScenarioResult, Status};
pub use plan::{plan, plan_features};
pub use schedule::{RunOptions, run};
