//! Uploads (`twine upload --repository-url .../pypi/NAME/`): the client's body
//! streams to the repository base with the token added; the client sees only the
//! outcome, never the repository's own answer (which may name its host).
//!
//! Publishing is the one thing a web page must never do through awsproxy, so an
//! upload is passed on only when the mount opts in (`allow_upload = true`) and
//! [`check_publish`] finds no sign of a browser and some credentials.

use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::extract::Request;
use axum::response::Response;
use http::header::CONTENT_TYPE;
use http::{Method, StatusCode};
use http_body_util::BodyExt as _;

use super::mount::PypiRepo;
use super::pages::bad_gateway;
use super::{PypiShared, text};
use crate::net;
use crate::services::repos::{PublishRefusal, check_publish};

/// `POST` to the mount root: streamed to the repository with the token.
pub async fn upload(st: &PypiShared, mount: Arc<PypiRepo>, req: Request) -> Response {
    mount.stats.record(None);
    let refused = |r: PublishRefusal| {
        tracing::info!(mount = %mount.label, refusal = r.as_str(), "upload refused");
        r.response().map(AxumBody::new)
    };
    match check_publish(req.headers()) {
        Err(r @ PublishRefusal::FromBrowser) => return refused(r),
        _ if !mount.allow_upload => {
            return text(
                StatusCode::FORBIDDEN,
                "uploads are off for this mount (set `allow_upload = true` on its [[repos.pypi]] mount)\n",
            );
        }
        Err(r) => return refused(r),
        Ok(()) => {}
    }
    let base = match mount.upstream.base().await {
        Ok(b) => b,
        Err(_) => {
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot resolve the repository endpoint (see /healthz)\n",
            );
        }
    };
    let token = match mount.upstream.token.get().await {
        Ok(t) => t,
        Err(_) => {
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                "no CodeArtifact token (see /healthz)\n",
            );
        }
    };
    let (parts, body) = req.into_parts();
    let mut out = http::Request::new(net::boxed(pump(body)));
    *out.method_mut() = Method::POST;
    let Ok(uri) = base.as_str().parse() else {
        return bad_gateway("bad repository endpoint\n");
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
                return bad_gateway("the repository refused awsproxy's token\n");
            } else if status.is_client_error() {
                "the repository rejected the upload\n"
            } else {
                return bad_gateway("the repository failed\n");
            };
            text(status, body)
        }
        Err(e) => {
            tracing::debug!(mount = %mount.label, error = %e, "upload failed");
            bad_gateway("the upstream repository is unreachable\n")
        }
    }
}

/// The client's body as a `Sync` body for the outbound client, streamed through
/// a small channel (a task forwards chunks as they arrive).
pub(crate) fn pump(body: AxumBody) -> ChannelBody {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let item = match frame {
                Ok(f) => match f.into_data() {
                    Ok(d) => Ok(d),
                    Err(_) => continue,
                },
                Err(e) => Err(net::BoxError::from(e)),
            };
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    });
    ChannelBody(rx)
}

pub(crate) struct ChannelBody(tokio::sync::mpsc::Receiver<Result<bytes::Bytes, net::BoxError>>);

impl http_body::Body for ChannelBody {
    type Data = bytes::Bytes;
    type Error = net::BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, net::BoxError>>> {
        self.0
            .poll_recv(cx)
            .map(|o| o.map(|r| r.map(http_body::Frame::data)))
    }
}
