//! The authorization-code flow with PKCE (RFC 7636) and a loopback redirect
//! (RFC 8252), as the AWS CLI v2 does it by default.
//!
//! | Method | Path | What |
//! |---|---|---|
//! | GET | `/oauth/callback?code=..&state=..` | the browser's redirect from `/authorize` |
//!
//! The listener on `127.0.0.1:0` is bound before the browser opens. Any local
//! process can reach it, so a callback whose `state` differs from ours is
//! refused (400) and ignored: the login keeps waiting for the browser's.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use sha2::Digest as _;
use tokio::sync::mpsc;

use super::{LoginOptions, TokenGrant, Ui, browser};
use crate::sso::SsoSession;
use crate::sso::client::{SsoClients, describe};
use crate::sso::registration::Registration;

const CALLBACK_PATH: &str = "/oauth/callback";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `BASE64URL(SHA256(verifier))`
pub fn challenge(verifier: &str) -> String {
    b64(&sha2::Sha256::digest(verifier.as_bytes()))
}

#[derive(Clone)]
struct CallbackState {
    expected_state: String,
    tx: mpsc::Sender<Result<String, String>>,
}

#[derive(serde::Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(State(cb): State<CallbackState>, Query(q): Query<CallbackQuery>) -> Response {
    if q.state.as_deref() != Some(cb.expected_state.as_str()) {
        tracing::warn!(
            "ignored a login callback whose `state` is not this login's (forged or stale); still waiting for the browser"
        );
        return (
            http::StatusCode::BAD_REQUEST,
            Html("<!doctype html><title>awsproxy</title><p>awsproxy ignored this login callback: its state does not match the login in progress.</p>"),
        )
            .into_response();
    }
    let (result, status, page) = if let Some(error) = q.error {
        let why = q.error_description.unwrap_or_default();
        (
            Err(format!("the browser login failed: {error} {why}")),
            http::StatusCode::OK,
            "The login was not completed. You can close this window.",
        )
    } else if let Some(code) = q.code {
        (
            Ok(code),
            http::StatusCode::OK,
            "Logged in. You can close this window and return to the terminal.",
        )
    } else {
        (
            Err("the login callback had no code".to_owned()),
            http::StatusCode::BAD_REQUEST,
            "awsproxy: the callback had no authorization code.",
        )
    };
    let _ = cb.tx.try_send(result);
    (
        status,
        Html(format!(
            "<!doctype html><title>awsproxy</title><p>{page}</p>"
        )),
    )
        .into_response()
}

pub(super) async fn run(
    clients: &SsoClients,
    session: &SsoSession,
    registration: &Registration,
    opts: &LoginOptions,
    ui: &Ui,
) -> anyhow::Result<TokenGrant> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1 for the login callback: {e}"))?;
    let port = listener.local_addr()?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
    let verifier = b64(&[rand::random::<[u8; 32]>(), rand::random::<[u8; 32]>()].concat());
    let state = b64(&rand::random::<[u8; 32]>());
    let (tx, mut rx) = mpsc::channel(4);
    let app = axum::Router::new()
        .route(CALLBACK_PATH, axum::routing::get(callback))
        .with_state(CallbackState {
            expected_state: state.clone(),
            tx,
        });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let _stop = AbortOnDrop(server);

    let mut url = url::Url::parse(&format!("{}/authorize", clients.oidc_endpoint))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &registration.client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("state", &state)
        .append_pair("code_challenge_method", "S256")
        .append_pair("scopes", &session.scopes.join(","))
        .append_pair("code_challenge", &challenge(&verifier));
    let opened = if opts.no_browser {
        false
    } else {
        match browser::open(url.as_str()) {
            Ok(()) => true,
            Err(e) => {
                ui.message(&format!("{e:#}"));
                false
            }
        }
    };
    ui.message(&format!(
        "{} log in to `{}` at:\n  {url}",
        if opened {
            "A browser was opened; if it did not appear,"
        } else {
            "Open this URL in a browser on this machine to"
        },
        session.name
    ));
    ui.spinner("Waiting for the browser login");
    let code = match tokio::time::timeout(opts.timeout, rx.recv()).await {
        Ok(Some(Ok(code))) => code,
        Ok(Some(Err(why))) => anyhow::bail!(why),
        Ok(None) => anyhow::bail!("the login callback listener stopped"),
        Err(_) => anyhow::bail!(
            "no browser login within {} minutes; run the login again (or use --use-device-code)",
            opts.timeout.as_secs() / 60
        ),
    };
    let out = clients
        .oidc
        .create_token()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose())
        .grant_type("authorization_code")
        .code(code)
        .code_verifier(&verifier)
        .redirect_uri(&redirect_uri)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "CreateToken (authorization_code) at {} failed: {}",
                clients.oidc_endpoint,
                describe(&e)
            )
        })?;
    TokenGrant::from_output(&out)
}

/// Stops the callback server when the login ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
