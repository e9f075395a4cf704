//! Shared test support: the `TestContext` harness, in-process fakes of AWS and
//! raw HTTP reading.
#![allow(dead_code)]

pub mod cargo_upstream;
pub mod context;
pub mod daemon;
pub mod fakes;
pub mod maven_upstream;
pub mod netns;
pub mod npm_upstream;
pub mod origin;
pub mod pypi_upstream;
pub mod raw;
pub mod repo_env;
pub mod tls_origin;
pub mod wheel;

pub use context::TestContext;
