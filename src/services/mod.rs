//! One module per listener-facing service, each exposing a router factory that tests
//! drive directly and that `creds serve` / `serve` mount on their listeners.
//!
//! | module | service |
//! |---|---|
//! | [`creds_endpoint`] | ECS container-credentials endpoint |
//! | [`status`] | `/healthz`, `/metrics` and the status page of `serve` |

pub mod creds_endpoint;
pub mod status;

/// SIGTERM and SIGINT (Ctrl-C): the signal for a graceful shutdown that lets
/// in-flight requests finish. Install it before announcing the listener, so a
/// signal sent right after the announcement is never missed.
#[derive(Debug)]
pub struct ShutdownSignal {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    /// Registers the handlers (needs a Tokio runtime).
    pub fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Resolves at the first SIGTERM or SIGINT.
    pub async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            let _ = &mut self;
        }
    }
}
