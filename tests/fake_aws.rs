//! The in-process AWS fakes of `tests/it/support/fakes`, as a standalone server
//! for the interop tier (`tests/interop/`), where independent clients (botocore,
//! the AWS CLI, pip) talk to the real `awsproxy` binary and the binary talks to
//! these fakes.
//!
//! `cargo test` builds and runs this target like any test; without `--serve` it
//! does nothing. With `--serve` it starts the fakes on 127.0.0.1, prints one JSON
//! line `{"aws": "http://127.0.0.1:P", "control": "http://127.0.0.1:Q"}` and runs
//! until stdin closes. Options (all optional):
//!
//! | option | meaning |
//! |---|---|
//! | `--access-token-lifetime SECS` | lifetime of SSO access tokens the OIDC fake issues |
//! | `--credential-lifetime SECS` | lifetime of portal and STS credentials |
//! | `--codeartifact-endpoint TEMPLATE` | `repositoryEndpoint` template (`{format}`, `{repository}`, ...) |
//! | `--codeartifact-token-lifetime SECS` | lifetime of CodeArtifact tokens |
//! | `--codeartifact-fixed-token TOKEN` | issue this token every time (e.g. pypiserver's password) |
//! | `--ecr-password PASSWORD` | ECR tokens are `AWS:PASSWORD` every time (a registry's htpasswd) |
//! | `--ecr-token-lifetime SECS` | lifetime of ECR tokens (default 12 h) |
//!
//! The control server answers `GET /calls` with the per-operation call counts,
//! `GET /codeartifact/tokens` with the tokens issued so far (the upstream fake of an
//! interop test checks `aws:<token>` against them) and `GET /ecr/tokens` with the
//! ECR passwords issued (`[{"password", "public", "region"}]`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[allow(dead_code, unused_imports)]
#[path = "it/support/fakes/mod.rs"]
mod fakes;

use std::io::BufRead;
use std::time::Duration;

use axum::routing::get;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--serve") {
        return;
    }
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let seconds =
        |name: &str| option(name).map(|v| Duration::from_secs(v.parse().expect("seconds")));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let aws = fakes::FakeAws::start().await;
        {
            let mut state = aws.state();
            if let Some(d) = seconds("--access-token-lifetime") {
                state.oidc.access_token_lifetime = d;
            }
            if let Some(d) = seconds("--credential-lifetime") {
                state.portal.credential_lifetime = d;
                state.sts.credential_lifetime = Some(d);
            }
            if let Some(t) = option("--codeartifact-endpoint") {
                state.codeartifact.repository_endpoint = t;
            }
            if let Some(t) = option("--codeartifact-fixed-token") {
                state.codeartifact.fixed_token = Some(t);
            }
            if let Some(d) = seconds("--codeartifact-token-lifetime") {
                state.codeartifact.token_lifetime = Some(d);
            }
            if let Some(p) = option("--ecr-password") {
                state.ecr.password = Some(p);
            }
            if let Some(d) = seconds("--ecr-token-lifetime") {
                state.ecr.token_lifetime = d;
            }
        }
        let shared = aws.shared();
        let calls_state = shared.clone();
        let ecr_state = shared.clone();
        let control = axum::Router::new()
            .route(
                "/calls",
                get(move || {
                    let calls = calls_state.lock().unwrap().calls.clone();
                    async move { axum::Json(calls) }
                }),
            )
            .route(
                "/codeartifact/tokens",
                get(move || {
                    let tokens: Vec<String> = shared
                        .lock()
                        .unwrap()
                        .codeartifact
                        .tokens
                        .iter()
                        .map(|t| t.token.clone())
                        .collect();
                    async move { axum::Json(tokens) }
                }),
            )
            .route(
                "/ecr/tokens",
                get(move || {
                    let tokens: Vec<serde_json::Value> = ecr_state
                        .lock()
                        .unwrap()
                        .ecr
                        .tokens
                        .iter()
                        .map(|t| {
                            serde_json::json!({"password": t.password, "public": t.public, "region": t.region})
                        })
                        .collect();
                    async move { axum::Json(tokens) }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind control");
        let control_addr = listener.local_addr().expect("control addr");
        tokio::spawn(async move { axum::serve(listener, control).await });
        println!(
            "{}",
            serde_json::json!({"aws": aws.endpoint(), "control": format!("http://{control_addr}")})
        );

        // Run until the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                if line.is_err() {
                    break;
                }
            }
        })
        .await
        .ok();
        drop(aws);
    });
}
