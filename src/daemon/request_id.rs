//! One id per request on every listener, so the log lines of one request can
//! be found among many (and a user can quote the id from a response).
//!
//! [`WithRequestId`] wraps the service of each connection (in
//! [`super::accept::serve_connection`], so the axum listeners, the forward
//! proxy and each request inside an intercepted tunnel all get it). It takes
//! the client's `X-Request-Id` when that is short and printable ([`accepted`]),
//! else makes one; runs the request in a `request` span whose `request_id`
//! field every log line of the request carries (JSON logs put it under
//! `span`); and sends the id back as `X-Request-Id`. A forwarded answer that
//! already carries an `X-Request-Id` (an origin's own) keeps it: the proxy
//! doesn't rewrite what an origin said.
//!
//! Work a request starts on another task (a tunnel, a cache fill) stays in the
//! span where it is started with `in_current_span` (see [`super::Slot::spawn`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response};
use tracing::instrument::Instrumented;

/// The header clients may send and every response carries.
pub const HEADER: http::HeaderName = http::HeaderName::from_static("x-request-id");

/// The longest client id taken as it is.
pub const MAX_LEN: usize = 128;

/// A request's id (in the request's extensions for handlers that want it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The client's `X-Request-Id` if [`accepted`], else a new random one.
    pub fn of(headers: &http::HeaderMap) -> Self {
        headers
            .get(&HEADER)
            .filter(|v| accepted(v.as_bytes()))
            .map_or_else(Self::generate, |v| Self(v.clone()))
    }

    /// 16 hex digits (64 random bits: unique enough to find one request's lines).
    pub fn generate() -> Self {
        // Every request without an id of its own pays for this: no String.
        let mut id = [0u8; 16];
        hex::encode_to_slice(rand::random::<[u8; 8]>(), &mut id)
            .expect("8 bytes are 16 hex digits");
        Self(HeaderValue::from_bytes(&id).expect("hex digits are a valid header value"))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        self.0.to_str().unwrap_or_default()
    }
}

/// Whether a client's id is used as it is: 1 to [`MAX_LEN`] visible ASCII
/// characters, without quotes or backslashes, so it can't forge or break a
/// log line (human or JSON) or smuggle anything into a header.
pub fn accepted(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\'))
}

/// A connection's service with a [`RequestId`] per request.
#[derive(Debug, Clone)]
pub struct WithRequestId<S>(pub S);

impl<S, B, RB> hyper::service::Service<Request<B>> for WithRequestId<S>
where
    S: hyper::service::Service<Request<B>, Response = Response<RB>>,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = Tagged<S::Future>;

    fn call(&self, mut request: Request<B>) -> Self::Future {
        let id = RequestId::of(request.headers());
        let span = tracing::info_span!("request", request_id = id.as_str());
        request.extensions_mut().insert(id.clone());
        let inner = {
            let _entered = span.enter();
            self.0.call(request)
        };
        Tagged {
            inner: tracing::Instrument::instrument(inner, span),
            id: Some(id),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`WithRequestId`]: runs in the request's span,
    /// then adds `X-Request-Id`.
    pub struct Tagged<F> {
        #[pin]
        inner: Instrumented<F>,
        id: Option<RequestId>,
    }
}

impl<F, RB, E> Future for Tagged<F>
where
    F: Future<Output = Result<Response<RB>, E>>,
{
    type Output = Result<Response<RB>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut result = std::task::ready!(this.inner.poll(cx));
        if let (Ok(response), Some(id)) = (&mut result, this.id.take()) {
            response.headers_mut().entry(HEADER).or_insert(id.0);
        }
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_printable_ids_are_kept_others_replaced() {
        for good in [
            "abc",
            "6f1c2e4a-9b7d-4c3e-8f21-0a9b8c7d6e5f",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
        ] {
            assert!(accepted(good.as_bytes()), "{good}");
            let mut headers = http::HeaderMap::new();
            headers.insert(HEADER, HeaderValue::from_static(good));
            assert_eq!(RequestId::of(&headers).as_str(), good);
        }
        let long = "a".repeat(MAX_LEN + 1);
        for bad in [
            "",
            "has space",
            "quote\"",
            "back\\slash",
            "tab\there",
            "é",
            long.as_str(),
        ] {
            assert!(!accepted(bad.as_bytes()), "{bad:?}");
        }
        let mut headers = http::HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_str(&long).unwrap());
        let id = RequestId::of(&headers);
        assert_eq!(id.as_str().len(), 16, "{id:?}");
        assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(RequestId::generate(), RequestId::generate());
    }

    #[tokio::test]
    async fn the_response_carries_the_id_unless_it_has_one() {
        use hyper::service::Service;
        type Empty = http_body_util::Empty<bytes::Bytes>;
        let service = WithRequestId(hyper::service::service_fn(
            |request: Request<Empty>| async move {
                let id = request.extensions().get::<RequestId>().cloned();
                let mut response = Response::new(Empty::new());
                if request.uri().path() == "/origin" {
                    response
                        .headers_mut()
                        .insert(HEADER, HeaderValue::from_static("origin-id"));
                }
                assert!(id.is_some(), "handlers see the id");
                Ok::<_, std::convert::Infallible>(response)
            },
        ));
        let request = Request::get("/")
            .header(HEADER, "client-id-1")
            .body(Empty::new())
            .unwrap();
        let response = service.call(request).await.unwrap();
        assert_eq!(response.headers()[HEADER], "client-id-1");
        let response = service
            .call(Request::get("/").body(Empty::new()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.headers()[HEADER].len(), 16);
        let response = service
            .call(Request::get("/origin").body(Empty::new()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.headers()[HEADER], "origin-id");
    }
}
