//! `src/net/` of awsproxy: destination classification (config validation
//! parses `[proxy] allow_destinations` entries with it).

#[path = "../../src/net/destination.rs"]
pub mod destination;
