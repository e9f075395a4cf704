//! The listeners `serve` runs. Each module exposes a router factory
//! (`fn router(state) -> axum::Router`) that tests drive directly.

pub mod status;
