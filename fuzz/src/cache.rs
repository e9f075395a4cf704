//! `src/cache/rules.rs` of awsproxy (config validation compiles `[[proxy.rule]]`s).

#[path = "../../src/cache/rules.rs"]
pub mod rules;
