//! Uploads (`twine upload --repository-url .../pypi/NAME/`): the client's body
//! streams to the repository base with the token added; the client sees only the
//! outcome, never the repository's own answer (which may name its host).
//!
//! Publishing is the one thing a web page must never do through awsproxy, so an
//! upload is passed on only when the mount opts in (`allow_upload = true`) and
//! [`crate::services::repos::check_publish`] finds no sign of a browser and some credentials.

use crate::services::repo_error::RepoError;
use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use http::Method;

use super::PypiShared;
use super::mount::PypiRepo;
use crate::codeartifact::fetch::AuthScheme;
use crate::services::ca_mount::{publish_refusal, publish_upstream};
use axum::response::IntoResponse as _;

/// `POST` to the mount root: streamed to the repository with the token.
pub async fn upload(st: &PypiShared, mount: Arc<PypiRepo>, req: Request) -> Response {
    mount.stats.record(None);
    let setting = "`allow_upload = true` on its [[repos.pypi]] mount";
    if let Some(refused) = publish_refusal(&*mount, mount.allow_upload, req.headers(), setting) {
        return refused;
    }
    let base = match mount.upstream.base().await {
        Ok(b) => b,
        Err(_) => return RepoError::NoEndpoint.into_response(),
    };
    match publish_upstream(
        &st.client,
        &*mount,
        Method::POST,
        &base,
        AuthScheme::BasicAws,
        req,
    )
    .await
    {
        Ok(status) => {
            mount.note_upload();
            RepoError::Other(status, "uploaded\n").into_response()
        }
        Err(r) => r,
    }
}
