//! `src/services/forward/` of awsproxy: how a forwarded request is aimed at its target.

#[path = "../../src/services/forward/target.rs"]
pub mod target;
