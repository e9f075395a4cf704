//! Uploads (`twine upload --repository-url .../pypi/NAME/`): the client's body
//! streams to the repository base with the token added; the client sees only the
//! outcome, never the repository's own answer (which may name its host).
//!
//! Publishing is the one thing a web page must never do through awsproxy, so an
//! upload is passed on only when the mount opts in (`allow_upload = true`) and
//! [`check_publish`] finds no sign of a browser and some credentials.

use crate::services::repo_error::RepoError;
use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use http::header::CONTENT_TYPE;
use http::{Method, StatusCode};

use super::PypiShared;
use super::mount::PypiRepo;
use crate::net;
use crate::services::repos::{PublishRefusal, check_publish};
use axum::response::IntoResponse as _;

/// `POST` to the mount root: streamed to the repository with the token.
pub async fn upload(st: &PypiShared, mount: Arc<PypiRepo>, req: Request) -> Response {
    mount.stats.record(None);
    let refused = |r: PublishRefusal| {
        tracing::info!(mount = %mount.label, refusal = r.as_str(), "upload refused");
        r.response().map(axum::body::Body::new)
    };
    match check_publish(req.headers()) {
        Err(r @ PublishRefusal::FromBrowser) => return refused(r),
        _ if !mount.allow_upload => {
            return RepoError::Forbidden("uploads are off for this mount (set `allow_upload = true` on its [[repos.pypi]] mount)\n").into_response();
        }
        Err(r) => return refused(r),
        Ok(()) => {}
    }
    let base = match mount.upstream.base().await {
        Ok(b) => b,
        Err(_) => {
            return RepoError::NoEndpoint.into_response();
        }
    };
    let token = match mount.upstream.token.get().await {
        Ok(t) => t,
        Err(_) => {
            return RepoError::NoToken.into_response();
        }
    };
    let (parts, body) = req.into_parts();
    let mut out = http::Request::new(net::streamed(body));
    *out.method_mut() = Method::POST;
    let Ok(uri) = base.as_str().parse() else {
        return RepoError::Upstream("bad repository endpoint\n").into_response();
    };
    *out.uri_mut() = uri;
    for name in [
        CONTENT_TYPE,
        http::header::CONTENT_LENGTH,
        http::header::TRANSFER_ENCODING,
    ] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out.headers_mut().insert(
        http::header::AUTHORIZATION,
        crate::codeartifact::fetch::basic_auth(&token),
    );
    match st.client.send(out).await {
        Ok(resp) => {
            let status = resp.status();
            tracing::debug!(mount = %mount.label, %status, "upload");
            let body: &'static str = if status.is_success() {
                mount.note_upload();
                "uploaded\n"
            } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                return RepoError::TokenRefused.into_response();
            } else if status.is_client_error() {
                "the repository rejected the upload\n"
            } else {
                return RepoError::UpstreamFailed.into_response();
            };
            RepoError::Other(status, body).into_response()
        }
        Err(e) => {
            tracing::debug!(mount = %mount.label, error = %e, "upload failed");
            RepoError::Unreachable.into_response()
        }
    }
}
