//! `src/maven/path.rs` of awsproxy, by path.

#[path = "../../src/maven/path.rs"]
pub mod path;
