//! `src/ecr/`'s pure part: config validation parses registry hosts with it.

#[path = "../../src/ecr/registry.rs"]
pub mod registry;

pub use registry::{classify, parse_server_url};
