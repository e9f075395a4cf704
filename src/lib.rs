//! awsproxy: one local daemon for AWS-authenticated package repositories,
//! credentials, SSO and a caching HTTPS proxy.
//!
//! The binary (`src/main.rs`) only parses arguments and calls [`run`]. Everything
//! else lives here: `cli` (clap types), `config` (file, references, validation),
//! `commands` (one module per leaf command), and the shared cores that later
//! modules add (SSO, credentials, cache, services).

pub mod agent;
pub mod aws;
pub mod cache;
pub mod cli;
pub mod codeartifact;
pub mod commands;
pub mod config;
pub mod creds;
pub mod daemon;
pub mod docs;
pub mod doctor;
pub mod env_vars;
pub mod error;
pub mod fsutil;
pub mod html;
pub mod logging;
pub mod maven;
pub mod metrics;
pub mod net;
pub mod paths;
pub mod printer;
pub mod pypi;
pub mod secret;
pub mod services;
pub mod sso;
pub mod supervisor;
pub mod tls;

pub use error::{Error, ExitStatus};

/// Runs a parsed command line and returns the exit status. Errors are printed
/// to stderr here, as `error:` / `Caused by:` / `hint:`.
pub fn run(cli: cli::Cli) -> ExitStatus {
    match commands::dispatch(cli) {
        Ok(status) => status,
        Err(err) if is_broken_pipe(&err) => ExitStatus::Success,
        Err(err) => error::report(&err, &mut std::io::stderr()),
    }
}

/// `awsproxy ... | head` closes stdout early; that is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
