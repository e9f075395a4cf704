//! The one integration-test binary. Every module here drives the real `awsproxy`
//! binary or its routers on 127.0.0.1 against the in-process fakes in `support`.
//! One binary (rather than one per file) keeps linking cheap.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod support;

mod agent;
mod ca_trust;
mod cache;
mod cargo;
mod cli;
mod console;
mod creds;
mod doctor;
mod ecr;
mod env;
mod exec;
mod fake_conformance;
mod forward;
mod generated;
mod install;
mod maven;
mod npm;
mod pypi;
mod security;
mod serve;
mod service;
mod setup;
mod sso;
mod sso_profiles;
mod token;
