//! Shared test support: the `TestContext` harness and in-process fakes of AWS.
#![allow(dead_code)]

pub mod context;
pub mod daemon;
pub mod fakes;
pub mod origin;
pub mod pypi_upstream;
pub mod tls_origin;

pub use context::TestContext;
