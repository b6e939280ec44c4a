//! Exit codes: the documented contract (README "Exit codes").

use std::fmt;

/// How `certify` exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything passed (flaky scenarios included: they are reported as such).
    Success = 0,
    /// A scenario failed or could not be checked, lint found problems, a bundle is invalid.
    Failure = 1,
    /// Usage or configuration error: nothing was run.
    Usage = 2,
    /// A runtime error outside the scenarios: the target was unreachable before any scenario,
    /// an output could not be written, a key could not be used.
    Runtime = 3,
}

/// An error that ends the command, with the exit code it maps to.
#[derive(Debug)]
pub struct Fatal {
    pub exit: Exit,
    pub error: anyhow::Error,
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

pub type CmdResult = Result<Exit, Fatal>;

/// Attaches an exit code to any error.
pub trait OrExit<T> {
    fn or_usage(self) -> Result<T, Fatal>;
    fn or_runtime(self) -> Result<T, Fatal>;
}

impl<T, E: Into<anyhow::Error>> OrExit<T> for Result<T, E> {
    fn or_usage(self) -> Result<T, Fatal> {
        self.map_err(|e| Fatal { exit: Exit::Usage, error: e.into() })
    }
    fn or_runtime(self) -> Result<T, Fatal> {
        self.map_err(|e| Fatal { exit: Exit::Runtime, error: e.into() })
    }
}

pub fn usage(msg: impl fmt::Display) -> Fatal {
    Fatal { exit: Exit::Usage, error: anyhow::anyhow!("{msg}") }
}

pub fn runtime(msg: impl fmt::Display) -> Fatal {
    Fatal { exit: Exit::Runtime, error: anyhow::anyhow!("{msg}") }
}
