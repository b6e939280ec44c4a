//! How a step reports that it did not hold: a [`StepFailure`] is either an
//! assertion failure (the target answered and the expectation broke) or an
//! error (the step could not be checked at all: network trouble, a bad step
//! argument, a missing variable or credential, a harness problem). Steps unwind
//! with it as the payload of `std::panic::resume_unwind`, and the runner
//! downcasts the payload back to a `StepFailure`.

use serde::Serialize;

/// Which kind of outcome a failed step is, in the JUnit sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The target answered and the expectation did not hold.
    Assertion,
    /// The expectation could not be checked: network, bad step argument,
    /// missing variable or credential, harness problem.
    Error,
}

/// A failed step: what kind of failure it is and a message that says what was
/// expected, what came back, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{message}")]
pub struct StepFailure {
    /// Assertion or error.
    pub kind: FailureKind,
    /// Human-readable explanation; never contains a secret value.
    pub message: String,
}

impl StepFailure {
    /// An assertion failure: the target answered, the expectation broke.
    pub fn assertion(message: impl Into<String>) -> Self {
        Self { kind: FailureKind::Assertion, message: message.into() }
    }

    /// An error: the step could not be checked.
    pub fn error(message: impl Into<String>) -> Self {
        Self { kind: FailureKind::Error, message: message.into() }
    }

    /// Whether this is an assertion failure.
    pub fn is_assertion(&self) -> bool {
        self.kind == FailureKind::Assertion
    }
}
