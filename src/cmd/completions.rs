//! `certify completions SHELL`: the completion script clap generates from the
//! same command definitions the binary parses with.

use clap::CommandFactory as _;

use crate::{
    cli::{Cli, CompletionsArgs},
    exit::{CmdResult, Exit, runtime},
    output::Printer,
};

pub fn completions(args: &CompletionsArgs, printer: &Printer) -> CmdResult {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "certify", &mut script);
    let script =
        String::from_utf8(script).map_err(|e| runtime(format!("the {} completion script: {e}", args.shell)))?;
    printer.data(script.trim_end_matches('\n'));
    Ok(Exit::Success)
}
