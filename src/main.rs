//! The `awsproxy` binary: parse the command line, run it, exit with its status.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = awsproxy::cli::Cli::parse();
    std::process::ExitCode::from(awsproxy::run(cli).code())
}
