//! One module per listener-facing service, each exposing a router factory that tests
//! drive directly and that `creds serve` / `serve` mount on their listeners.
//!
//! | module | service |
//! |---|---|
//! | [`creds_endpoint`] | ECS container-credentials endpoint |

pub mod creds_endpoint;

/// Resolves when the process gets SIGTERM or SIGINT (Ctrl-C): the signal for a
/// graceful shutdown that lets in-flight requests finish.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
