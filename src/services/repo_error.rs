//! The one error type of the repository listener: every mount (PyPI, Maven,
//! and the formats built after them) answers a failure with a [`RepoError`],
//! so the wording, status codes and hints a client sees are written once.
//! Bodies are plain text and never name the upstream host or carry a token
//! (the detail goes to the log where the error is made).

use std::borrow::Cow;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::codeartifact::endpoint::Format;

/// A request the repository listener cannot answer with content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoError {
    /// No such mount, path or package (also: a path no page listed).
    NotFound,
    MethodNotAllowed,
    /// A path that could escape its mount (`..`, backslashes, encoded slashes).
    BadPath,
    /// A package name the format doesn't allow.
    BadPackageName,
    /// A request without `Host`, which the answer's links are built from.
    NoHost,
    /// `GetRepositoryEndpoint` (or the mount's `endpoint`) gave no base.
    NoEndpoint,
    /// No CodeArtifact token could be fetched.
    NoToken,
    /// No AWS credentials to ask CodeArtifact with (a no-config URL).
    NoAwsCredentials,
    /// A no-config URL whose `GetRepositoryEndpoint` failed lately: not asked
    /// again before `retry_after`.
    SeedFailed {
        retry_after: Duration,
    },
    /// Too many new no-config URLs lately; `format`'s mounts are the way out.
    SeedBusy {
        retry_after: Duration,
        format: Format,
    },
    /// A publish (upload, deploy) that `Origin` or `Sec-Fetch-Site` shows a
    /// web page sent ([`super::repos::check_publish`]).
    PublishFromBrowser,
    /// A publish without `Authorization`: a `401` with a `Basic` challenge,
    /// so clients that send credentials only when asked (mvn) send them.
    PublishNeedsCredentials,
    /// Publishing is off for the mount; `setting` turns it on.
    PublishOff {
        setting: &'static str,
    },
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
    /// A part of the format's protocol awsproxy doesn't proxy, in the mount's
    /// words (a 501).
    NotProxied(&'static str),
    /// Any other status with the mount's words.
    Other(StatusCode, &'static str),
}

impl RepoError {
    pub fn status(self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadPath | Self::BadPackageName | Self::NoHost => StatusCode::BAD_REQUEST,
            Self::NoEndpoint
            | Self::NoToken
            | Self::NoAwsCredentials
            | Self::SeedFailed { .. }
            | Self::SeedBusy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::PublishNeedsCredentials => StatusCode::UNAUTHORIZED,
            Self::PublishFromBrowser | Self::PublishOff { .. } | Self::Forbidden(_) => {
                StatusCode::FORBIDDEN
            }
            Self::TokenRefused | Self::UpstreamFailed | Self::Unreachable | Self::Upstream(_) => {
                StatusCode::BAD_GATEWAY
            }
            Self::NotProxied(_) => StatusCode::NOT_IMPLEMENTED,
            Self::Other(status, _) => status,
        }
    }

    /// The body the client reads (one line, ending in a newline).
    pub fn message(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::NotFound => "not found\n",
            Self::MethodNotAllowed => "method not allowed\n",
            Self::BadPath => "bad path\n",
            Self::BadPackageName => "bad package name\n",
            Self::NoHost => "a Host header is needed\n",
            Self::NoEndpoint => "cannot resolve the repository endpoint (see /healthz)\n",
            Self::NoToken => "no CodeArtifact token (see /healthz)\n",
            Self::NoAwsCredentials => {
                "no AWS credentials to reach this repository with (run `awsproxy doctor`)\n"
            }
            Self::SeedFailed { .. } => {
                "CodeArtifact did not resolve this repository (GetRepositoryEndpoint failed; see the log); awsproxy asks again after Retry-After seconds\n"
            }
            Self::SeedBusy { format, .. } => {
                return Cow::Owned(format!(
                    "too many new repositories through the no-config URL form at once; try again shortly, or configure [[repos.{}]] mounts\n",
                    format.as_str()
                ));
            }
            Self::PublishFromBrowser => "awsproxy: a web page may not publish to this repository\n",
            Self::PublishNeedsCredentials => {
                "awsproxy: publishing needs credentials (any user and password: awsproxy adds its own)\n"
            }
            Self::PublishOff { setting } => {
                return Cow::Owned(format!(
                    "publishing is off for this mount (set {setting})\n"
                ));
            }
            Self::TokenRefused => "the repository refused awsproxy's token\n",
            Self::UpstreamFailed => "the repository failed\n",
            Self::Unreachable => "the upstream repository is unreachable\n",
            Self::Upstream(m) | Self::Forbidden(m) | Self::NotProxied(m) | Self::Other(_, m) => m,
        })
    }

    /// The same answer for the cache to give when a fetch fails
    /// ([`crate::cache::FetchError::with_answer`]).
    pub fn answer(self) -> crate::net::ErrorAnswer {
        crate::net::ErrorAnswer {
            status: self.status(),
            text: self.message().into_owned(),
            proxy_status: None,
        }
    }

    /// Headers the answer needs besides its body: the `Basic` challenge, or
    /// when to try a no-config URL again.
    fn extra_header(self) -> Option<(header::HeaderName, HeaderValue)> {
        match self {
            Self::PublishNeedsCredentials => Some((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"awsproxy\""),
            )),
            Self::SeedFailed { retry_after } | Self::SeedBusy { retry_after, .. } => {
                let secs = retry_after.as_secs_f64().ceil().max(1.0);
                Some((header::RETRY_AFTER, HeaderValue::from(secs as u64)))
            }
            _ => None,
        }
    }
}

impl IntoResponse for RepoError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status(),
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.message(),
        )
            .into_response();
        if let Some((name, value)) = self.extra_header() {
            resp.headers_mut().insert(name, value);
        }
        resp
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
            RepoError::BadPackageName,
            RepoError::NoHost,
            RepoError::NoAwsCredentials,
            RepoError::SeedFailed {
                retry_after: Duration::from_millis(1500),
            },
            RepoError::SeedBusy {
                retry_after: Duration::ZERO,
                format: Format::Npm,
            },
            RepoError::PublishFromBrowser,
            RepoError::PublishNeedsCredentials,
            RepoError::PublishOff {
                setting: "`allow_publish = true`",
            },
            RepoError::Upstream("x\n"),
            RepoError::Forbidden("y\n"),
            RepoError::NotProxied("w\n"),
            RepoError::Other(StatusCode::CONFLICT, "z\n"),
        ] {
            let m = e.message();
            assert!(m.ends_with('\n') && m.matches('\n').count() == 1, "{e:?}");
            let r = e.into_response();
            assert_eq!(r.status(), e.status());
            assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
            let a = e.answer();
            assert_eq!((a.status, a.text.as_str()), (e.status(), &*m), "{e:?}");
        }
        let challenge = RepoError::PublishNeedsCredentials.into_response();
        assert_eq!(challenge.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge.headers()["www-authenticate"],
            "Basic realm=\"awsproxy\""
        );
        // Retry-After is whole seconds, rounded up, never 0.
        let retry = |d| {
            RepoError::SeedFailed { retry_after: d }
                .into_response()
                .headers()["retry-after"]
                .clone()
        };
        assert_eq!(retry(Duration::from_millis(1500)), "2");
        assert_eq!(retry(Duration::ZERO), "1");
        assert!(
            RepoError::SeedBusy {
                retry_after: Duration::ZERO,
                format: Format::Npm
            }
            .message()
            .contains("[[repos.npm]]")
        );
        assert_eq!(RepoError::NoToken.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(RepoError::TokenRefused.status(), StatusCode::BAD_GATEWAY);
    }
}
