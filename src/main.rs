//! The `awsproxy` binary (also run as `docker-credential-awsproxy`): parse the
//! command line, run it, exit with its status.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = awsproxy::cli::Cli::parse_from(awsproxy::cli::args_os());
    std::process::ExitCode::from(awsproxy::run(cli).code())
}
