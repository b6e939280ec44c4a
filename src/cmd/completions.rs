//! `certify completions SHELL` and `certify man`: the completion script and
//! the manual page clap generates from the same command definitions the
//! binary parses with.

use clap::CommandFactory as _;

use crate::{
    cli::{Cli, CompletionsArgs},
    exit::{CmdResult, Exit, runtime},
    output::Printer,
};

pub fn man(printer: &Printer) -> CmdResult {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| runtime(format!("rendering the manual page: {e}")))?;
    let page = String::from_utf8(page).map_err(|e| runtime(format!("the manual page: {e}")))?;
    printer.data(page.trim_end_matches('\n'));
    Ok(Exit::Success)
}

pub fn completions(args: &CompletionsArgs, printer: &Printer) -> CmdResult {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "certify", &mut script);
    let script =
        String::from_utf8(script).map_err(|e| runtime(format!("the {} completion script: {e}", args.shell)))?;
    printer.data(script.trim_end_matches('\n'));
    Ok(Exit::Success)
}
