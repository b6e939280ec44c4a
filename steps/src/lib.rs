//! The built-in Gherkin step vocabulary of certify: the scenario state
//! ([`World`]), the run-wide context with its pooled HTTP client
//! ([`RunContext`]), every step of the canonical vocabulary (PRODUCT.md
//! section 5) plus the data-table steps, and the registry that the runner,
//! `certify steps` and `certify lint` all read ([`vocabulary`],
//! [`dispatch`], [`resolve`], [`check_static`]). A failed step is a
//! [`StepFailure`]: an assertion (the target answered, the expectation
//! broke) or an error (the step could not be checked).

mod api;
mod body;
mod context;
mod failure;
mod fuzzy;
mod http;
mod jsonpath;
mod project;
mod ratelimit;
mod registry;
mod snapshot;
mod steps;
mod text;
mod world;

pub use api::{ApiUsage, Undocumented as UndocumentedRequests};
pub use context::{
    ContextError, CredentialSpec, RunContext, SecretSource, SnapshotSettings, TargetSettings, compile_schema,
};
pub use failure::{FailureKind, StepFailure};
pub use http::{join_url, send_get};
pub use project::{OutsideProject, plain_relative_name, project_file};
pub use registry::{
    Dispatch, Resolution, StepArgument, StepDef, StepFile, check_matched, check_static, defined_variable, dispatch,
    resolve, step_files, vocabulary,
};
pub use text::placeholders;
pub use world::{Body, Cut, Exchange, Journal, RecordedRequest, RecordedResponse, World};
