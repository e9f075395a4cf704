//! `src/cache/` of awsproxy: rules (config validation compiles `[[proxy.rule]]`s),
//! the stores' metadata encodings and the pure policy that reads a decoded entry.

#[path = "../../src/cache/rules.rs"]
pub mod rules;

#[path = "../../src/cache/key.rs"]
pub mod key;

#[path = "../../src/cache/policy.rs"]
pub mod policy;

/// As `src/cache/mod.rs` (policy.rs strips this header from stored requests).
pub const POLICY_HEADER: &str = "x-awsproxy-policy";

#[path = "cache_store.rs"]
pub mod store;
