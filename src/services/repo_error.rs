//! The one error type of the repository listener: every mount (PyPI, Maven,
//! and the formats built after them) answers a failure with a [`RepoError`],
//! so the wording, status codes and hints a client sees are written once.
//! Bodies are plain text and never name the upstream host or carry a token
//! (the detail goes to the log where the error is made).

use axum::response::{IntoResponse, Response};
use http::StatusCode;

/// A request the repository listener cannot answer with content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoError {
    /// No such mount, path or package (also: a path no page listed).
    NotFound,
    MethodNotAllowed,
    /// A path that could escape its mount (`..`, backslashes, encoded slashes).
    BadPath,
    /// `GetRepositoryEndpoint` (or the mount's `endpoint`) gave no base.
    NoEndpoint,
    /// No CodeArtifact token could be fetched.
    NoToken,
    /// The repository answered 401/403 to awsproxy's token.
    TokenRefused,
    /// The repository answered a 5xx or something awsproxy cannot use.
    UpstreamFailed,
    /// The repository could not be reached at all.
    Unreachable,
    /// Another upstream problem, in the mount's words (a 502).
    Upstream(&'static str),
    /// A request the mount refuses, in its words (a 403).
    Forbidden(&'static str),
    /// Any other status with the mount's words.
    Other(StatusCode, &'static str),
}

impl RepoError {
    pub fn status(self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadPath => StatusCode::BAD_REQUEST,
            Self::NoEndpoint | Self::NoToken => StatusCode::SERVICE_UNAVAILABLE,
            Self::TokenRefused | Self::UpstreamFailed | Self::Unreachable | Self::Upstream(_) => {
                StatusCode::BAD_GATEWAY
            }
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Other(status, _) => status,
        }
    }

    /// The body the client reads (one line, ending in a newline).
    pub fn message(self) -> &'static str {
        match self {
            Self::NotFound => "not found\n",
            Self::MethodNotAllowed => "method not allowed\n",
            Self::BadPath => "bad path\n",
            Self::NoEndpoint => "cannot resolve the repository endpoint (see /healthz)\n",
            Self::NoToken => "no CodeArtifact token (see /healthz)\n",
            Self::TokenRefused => "the repository refused awsproxy's token\n",
            Self::UpstreamFailed => "the repository failed\n",
            Self::Unreachable => "the upstream repository is unreachable\n",
            Self::Upstream(m) | Self::Forbidden(m) | Self::Other(_, m) => m,
        }
    }
}

impl RepoError {
    /// The same answer for the cache to give when a fetch fails
    /// ([`crate::cache::FetchError::with_answer`]).
    pub fn answer(self) -> crate::net::ErrorAnswer {
        crate::net::ErrorAnswer {
            status: self.status(),
            text: self.message().to_owned(),
            proxy_status: None,
        }
    }
}

impl IntoResponse for RepoError {
    fn into_response(self) -> Response {
        (
            self.status(),
            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.message(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_one_plain_text_line_with_its_status() {
        for e in [
            RepoError::NotFound,
            RepoError::MethodNotAllowed,
            RepoError::BadPath,
            RepoError::NoEndpoint,
            RepoError::NoToken,
            RepoError::TokenRefused,
            RepoError::UpstreamFailed,
            RepoError::Unreachable,
            RepoError::Upstream("x\n"),
            RepoError::Forbidden("y\n"),
            RepoError::Other(StatusCode::CONFLICT, "z\n"),
        ] {
            let m = e.message();
            assert!(m.ends_with('\n') && m.matches('\n').count() == 1, "{e:?}");
            let r = e.into_response();
            assert_eq!(r.status(), e.status());
            assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
            let a = e.answer();
            assert_eq!((a.status, a.text.as_str()), (e.status(), m), "{e:?}");
        }
        assert_eq!(RepoError::NoToken.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(RepoError::TokenRefused.status(), StatusCode::BAD_GATEWAY);
    }
}
