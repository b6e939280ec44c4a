//! One module per command; each returns an exit code or a [`Fatal`] error.

mod api;
mod archive;
mod completions;
mod demo;
mod features;
mod gate;
mod keygen;
mod lint;
mod merge;
mod report;
mod run;
mod steps;
mod verify;
mod version;

use crate::{
    cli::{Cli, Command},
    exit::{Exit, Fatal},
    output::Printer,
};

/// Runs the command and turns a fatal error into its message and exit code.
pub fn dispatch(cli: Cli) -> Exit {
    let printer = Printer::new();
    let result = match cli.command {
        Command::Steps(args) => steps::steps(&args, &printer),
        Command::Lint(args) => lint::lint(&args, &printer),
        Command::Verify(args) => with_runtime(|| async { verify::verify(&args, &printer).await }),
        Command::Features(args) => features::features(&args, &printer),
        Command::Keygen(args) => keygen::keygen(&args, &printer),
        Command::Run(args) => with_local_runtime(|| run::run(args, &printer)),
        Command::Merge(args) => merge::merge(&args, &printer),
        Command::Api(args) => api::api(&args, &printer),
        Command::Demo(args) => with_runtime(|| demo::demo(args, &printer)),
        Command::Archive(args) => with_runtime(|| archive::archive(args, &printer)),
        Command::Gate(args) => with_runtime(|| archive::gate(args, &printer)),
        Command::Report(args) => with_runtime(|| report::report(args, &printer)),
        Command::Serve(args) => with_runtime(|| report::serve(args, &printer)),
        Command::Completions(args) => completions::completions(&args, &printer),
        Command::Man => completions::man(&printer),
    };
    match result {
        Ok(exit) => exit,
        Err(fatal) => {
            printer.error(fatal.to_string());
            fatal.exit
        }
    }
}

/// A runtime on the calling thread alone, for `certify run`: the scenarios,
/// their HTTP connections and their timers share one thread, so a request
/// and its response never cross threads (file IO has its own thread, see
/// `certify_evidence::stream`).
fn with_local_runtime<F: std::future::Future<Output = Result<Exit, Fatal>>>(
    f: impl FnOnce() -> F,
) -> Result<Exit, Fatal> {
    on_runtime(tokio::runtime::Builder::new_current_thread(), f)
}

fn with_runtime<F: std::future::Future<Output = Result<Exit, Fatal>>>(f: impl FnOnce() -> F) -> Result<Exit, Fatal> {
    on_runtime(tokio::runtime::Builder::new_multi_thread(), f)
}

fn on_runtime<F: std::future::Future<Output = Result<Exit, Fatal>>>(
    mut builder: tokio::runtime::Builder,
    f: impl FnOnce() -> F,
) -> Result<Exit, Fatal> {
    let rt = builder
        .enable_all()
        .build()
        .map_err(|e| crate::exit::runtime(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(f())
}
