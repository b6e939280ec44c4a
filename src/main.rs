//! The `certify` command. Parses arguments and hands over; all logic lives in
//! the command modules and the library crates.

mod cli;
mod cmd;
mod embedded;
mod exit;
mod output;
mod progress;
mod project;
mod signals;

fn main() -> std::process::ExitCode {
    let args = <cli::Cli as clap::Parser>::parse();
    let code = cmd::dispatch(args);
    std::process::ExitCode::from(code as u8)
}
