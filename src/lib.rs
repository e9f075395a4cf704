//! awsproxy: one local daemon for AWS-authenticated package repositories,
//! credentials, SSO and a caching HTTPS proxy.
//!
//! The binary (`src/main.rs`) only parses arguments and calls [`run`]. Everything
//! else lives here: `cli` (clap types), `config` (file, references, validation),
//! `commands` (one module per leaf command), and the shared cores (SSO,
//! credentials, cache, services); docs/architecture.md maps them.
//!
//! Modules are `pub` only where the integration tests (`tests/it`) drive them
//! directly; the rest are `pub(crate)`, so the compiler reports what nothing uses.

pub(crate) mod agent;
pub mod aws;
pub mod cache;
pub(crate) mod cargo;
pub mod cli;
pub(crate) mod codeartifact;
pub(crate) mod commands;
pub mod config;
pub(crate) mod console;
pub mod creds;
pub(crate) mod daemon;
pub mod docs;
pub(crate) mod doctor;
pub(crate) mod ecr;
pub(crate) mod env_vars;
pub mod error;
pub(crate) mod fsutil;
pub(crate) mod html;
pub(crate) mod logging;
pub(crate) mod maven;
pub(crate) mod metrics;
pub mod net;
pub(crate) mod npm;
pub mod paths;
pub(crate) mod printer;
pub(crate) mod pypi;
pub mod secret;
pub mod services;
pub(crate) mod setup;
pub(crate) mod shell;
pub(crate) mod sso;
pub(crate) mod supervisor;
pub mod tls;
pub(crate) mod trust;

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
