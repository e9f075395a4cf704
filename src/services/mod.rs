//! One module per listener-facing service, each exposing a router factory that tests
//! drive directly and that `creds serve` / `serve` mount on their listeners.
//!
//! | module | service |
//! |---|---|
//! | [`creds_endpoint`] | ECS container-credentials endpoint |
//! | [`forward`] | caching forward proxy with TLS interception |
//! | [`repos`] | the repository listener: [`pypi`] and [`maven`] mounts |
//! | [`status`] | `/healthz`, `/livez`, `/readyz`, `/metrics` and the status page of `serve` |

pub mod ca_mount;
pub mod cargo;
pub mod creds_endpoint;
pub mod forward;
pub mod maven;
pub mod npm;
pub mod pypi;
pub mod repo_error;
pub mod repos;
pub mod seeds;
pub mod status;
