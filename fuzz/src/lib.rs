//! The parts of awsproxy that parse untrusted input, compiled on their own for
//! fuzzing. The modules are the crate's own source files (included by path), so
//! the fuzzers test exactly what ships, without building the AWS SDK with
//! coverage instrumentation.
#![allow(dead_code, unused_imports)]

#[path = "../../src/html.rs"]
pub mod html;

#[path = "../../src/secret.rs"]
pub mod secret;

#[path = "../../src/env_vars.rs"]
pub mod env_vars;

#[path = "../../src/logging.rs"]
pub mod logging;

#[path = "../../src/config/mod.rs"]
pub mod config;

pub mod cache;
pub mod cargo;
pub mod daemon;
pub mod ecr;
pub mod forward;
pub mod maven;
pub mod net;
pub mod npm;
pub mod pypi;
