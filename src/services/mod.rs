//! One module per listener-facing service, each exposing a router factory that tests
//! drive directly and that `creds serve` / `serve` mount on their listeners.
//!
//! | module | service |
//! |---|---|
//! | [`creds_endpoint`] | ECS container-credentials endpoint |
//! | [`status`] | `/healthz`, `/metrics` and the status page of `serve` |

pub mod creds_endpoint;
pub mod forward;
pub mod maven;
pub mod pypi;
pub mod repos;
pub mod status;
