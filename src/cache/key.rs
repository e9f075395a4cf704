//! Cache keys: a [`Namespace`], the request method and a normalised absolute
//! URL, hashed into a fixed-length name that is safe as a file name or an S3 key.
//!
//! Normalisation lowercases the scheme and host, drops default ports and the
//! fragment, and removes query parameters named by the matching rule's
//! `ignore_query` plus a built-in list for presigned S3 URLs, so two presigned
//! links to one object share an entry. Sharing the entry does not share the
//! object: an entry stored for a signed request ([`Credential`]) is only served
//! after the origin accepted the new request's own signature (see the engine).
//!
//! The namespace keeps services apart in a shared store: a page the repository
//! listener fetched with a CodeArtifact token lives under `pypi/NAME/IDENTITY`,
//! never under the upstream URL a forward-proxy client can ask for.

use std::sync::{Arc, LazyLock};

use http::{HeaderMap, Method, Uri, header};
use sha2::{Digest, Sha256};

/// Query parameters of SigV4-presigned URLs: they change on every signing but
/// never change the object (built-in, always ignored).
pub const PRESIGNED_QUERY: [&str; 7] = [
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "X-Amz-Expires",
    "X-Amz-Algorithm",
    "X-Amz-SignedHeaders",
];

/// Whose entries these are: the service, the mount and the identity of the
/// credentials that fetch for it (a profile or a source's name, never a
/// secret). Cheap to clone; part of every [`CacheKey`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace(Arc<str>);

/// The forward proxy's namespace: what clients fetch with their own credentials.
static FORWARD: LazyLock<Namespace> = LazyLock::new(|| Namespace(Arc::from("forward")));

impl Namespace {
    /// `forward`: the forward proxy (and the default of [`super::LookupOptions`]).
    pub fn forward() -> Self {
        FORWARD.clone()
    }

    /// `SERVICE/MOUNT/IDENTITY`, e.g. `pypi/internal/profile dev`.
    pub fn repository(service: &str, mount: &str, identity: &str) -> Self {
        Self(Arc::from(format!("{service}/{mount}/{identity}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Namespace {
    fn default() -> Self {
        Self::forward()
    }
}

impl std::fmt::Display for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What made a request one that only its sender may be answered for: a
/// presigned URL's `X-Amz-Signature` or an `Authorization` header (RFC 9111
/// 3.5). An entry stored for such a request records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credential {
    /// A SigV4 query signature (`X-Amz-Signature`).
    QuerySignature,
    /// An `Authorization` header.
    Authorization,
}

impl Credential {
    /// The credential `uri` and `headers` carry, if any (no allocation: this is
    /// asked of every request).
    pub fn of(uri: &Uri, headers: &HeaderMap) -> Option<Self> {
        let signed = uri.query().is_some_and(|q| {
            q.split('&')
                .any(|pair| pair.split('=').next() == Some("X-Amz-Signature"))
        });
        if signed {
            Some(Credential::QuerySignature)
        } else if headers.contains_key(header::AUTHORIZATION) {
            Some(Credential::Authorization)
        } else {
            None
        }
    }
}

/// A normalised request identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub namespace: Namespace,
    /// `GET` (a `HEAD` is looked up under `GET`).
    pub method: Method,
    /// Normalised absolute URL, e.g. `https://example.com/a?b=1`.
    pub url: String,
}

impl CacheKey {
    /// Builds the key of `uri` (absolute; `host` is used when the URI has none).
    /// Query parameters in `ignore_query` (case-sensitive) and the presigned-URL
    /// parameters are left out.
    pub fn new(method: &Method, uri: &Uri, host: Option<&str>, ignore_query: &[String]) -> Self {
        Self::namespaced(Namespace::forward(), method, uri, host, ignore_query)
    }

    /// [`CacheKey::new`] in `namespace`.
    pub fn namespaced(
        namespace: Namespace,
        method: &Method,
        uri: &Uri,
        host: Option<&str>,
        ignore_query: &[String],
    ) -> Self {
        let method = if method == Method::HEAD {
            Method::GET
        } else {
            method.clone()
        };
        Self {
            namespace,
            method,
            url: normalise_url(uri, host, ignore_query),
        }
    }

    /// The hex SHA-256 of `NAMESPACE\nMETHOD url`: the entry's name in a store.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.namespace.as_str().as_bytes());
        h.update(b"\n");
        h.update(self.method.as_str().as_bytes());
        h.update(b" ");
        h.update(self.url.as_bytes());
        hex::encode(h.finalize())
    }

    /// The key of one `Vary` variant: the URL's key plus the values of the
    /// nominated request headers (as given, e.g. already digested when secret).
    pub fn variant_hash(&self, vary: &[String], headers: &HeaderMap) -> String {
        let mut names: Vec<&str> = vary.iter().map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        let mut h = Sha256::new();
        h.update(self.hash().as_bytes());
        for name in names {
            h.update(b"\n");
            h.update(name.as_bytes());
            h.update(b":");
            for v in headers.get_all(name) {
                h.update(v.as_bytes());
                h.update(b",");
            }
        }
        hex::encode(h.finalize())
    }
}

/// The normalised absolute URL of a request.
pub fn normalise_url(uri: &Uri, host: Option<&str>, ignore_query: &[String]) -> String {
    let scheme = uri.scheme_str().unwrap_or("http").to_ascii_lowercase();
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| host.map(str::to_owned))
        .unwrap_or_default();
    // Userinfo never belongs in a key (and must never be shown by `cache ls`).
    let authority = authority
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_owned(),
        _ => authority,
    };
    let path = if uri.path().is_empty() {
        "/"
    } else {
        uri.path()
    };
    let mut url = format!("{scheme}://{authority}{path}");
    if let Some(query) = uri.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or_default();
                !PRESIGNED_QUERY.contains(&name) && !ignore_query.iter().any(|i| i == name)
            })
            .collect();
        if !kept.is_empty() {
            url.push('?');
            url.push_str(&kept.join("&"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(uri: &str, ignore: &[&str]) -> CacheKey {
        let ignore: Vec<String> = ignore.iter().map(|s| (*s).to_owned()).collect();
        CacheKey::new(&Method::GET, &uri.parse().unwrap(), None, &ignore)
    }

    #[test]
    fn scheme_host_and_default_port_are_normalised() {
        assert_eq!(
            key("HTTP://Example.COM:80/a/B?x=1#frag", &[]).url,
            "http://example.com/a/B?x=1"
        );
        assert_eq!(key("https://h:443/", &[]).url, "https://h/");
        assert_eq!(key("https://h:8443/", &[]).url, "https://h:8443/");
        assert_eq!(key("https://user:pw@h/x", &[]).url, "https://h/x");
    }

    #[test]
    fn presigned_s3_urls_share_a_key() {
        let a = key(
            "https://b.s3.amazonaws.com/o.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F1&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
            &[],
        );
        let b = key(
            "https://b.s3.amazonaws.com/o.tgz?X-Amz-Signature=def&X-Amz-Date=20260102T000000Z&X-Amz-Security-Token=t",
            &[],
        );
        assert_eq!(a, b);
        assert_eq!(a.url, "https://b.s3.amazonaws.com/o.tgz");
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.hash().len(), 64);
    }

    #[test]
    fn namespaces_never_share_a_key() {
        let uri: Uri = "https://repo.example/simple/p/".parse().unwrap();
        let forward = CacheKey::new(&Method::GET, &uri, None, &[]);
        let pypi = |identity: &str| {
            CacheKey::namespaced(
                Namespace::repository("pypi", "internal", identity),
                &Method::GET,
                &uri,
                None,
                &[],
            )
        };
        assert_eq!(forward.url, pypi("profile dev").url);
        assert_ne!(forward.hash(), pypi("profile dev").hash());
        assert_ne!(pypi("profile dev").hash(), pypi("profile prod").hash());
        assert_eq!(pypi("profile dev").hash(), pypi("profile dev").hash());
        assert_eq!(pypi("x").namespace.as_str(), "pypi/internal/x");
    }

    #[test]
    fn signed_requests_are_told_apart_without_allocating() {
        let of = |uri: &str, auth: bool| {
            let mut headers = HeaderMap::new();
            if auth {
                headers.insert(header::AUTHORIZATION, "Bearer t".parse().unwrap());
            }
            Credential::of(&uri.parse().unwrap(), &headers)
        };
        assert_eq!(
            of("https://b/o?X-Amz-Date=1&X-Amz-Signature=abc", false),
            Some(Credential::QuerySignature)
        );
        assert_eq!(
            of("https://b/o?X-Amz-Date=1", true),
            Some(Credential::Authorization)
        );
        assert_eq!(
            of("https://b/o?X-Amz-Date=1&x=X-Amz-Signature", false),
            None
        );
        assert_eq!(of("https://b/o", false), None);
    }

    #[test]
    fn rule_ignore_query_drops_named_parameters_only() {
        assert_eq!(
            key("http://h/p?token=1&v=2&session=3", &["token", "session"]).url,
            "http://h/p?v=2"
        );
        assert_ne!(key("http://h/p?v=1", &[]), key("http://h/p?v=2", &[]));
    }

    #[test]
    fn variants_differ_by_the_vary_header_values_only() {
        let k = key("http://h/x", &[]);
        let vary = vec!["accept-encoding".to_owned(), "accept".to_owned()];
        let mut a = HeaderMap::new();
        a.insert("accept-encoding", "gzip".parse().unwrap());
        a.insert("user-agent", "one".parse().unwrap());
        let mut b = a.clone();
        b.insert("user-agent", "two".parse().unwrap());
        assert_eq!(k.variant_hash(&vary, &a), k.variant_hash(&vary, &b));
        b.insert("accept-encoding", "br".parse().unwrap());
        assert_ne!(k.variant_hash(&vary, &a), k.variant_hash(&vary, &b));
        assert_ne!(k.variant_hash(&vary, &a), k.hash());
    }

    #[test]
    fn head_shares_the_get_key_and_host_header_fills_in() {
        let ignore = Vec::new();
        let head = CacheKey::new(
            &Method::HEAD,
            &"/x".parse().unwrap(),
            Some("Host:80"),
            &ignore,
        );
        assert_eq!(head.method, Method::GET);
        assert_eq!(head.url, "http://host/x");
        let post = CacheKey::new(&Method::POST, &"http://h/x".parse().unwrap(), None, &ignore);
        assert_ne!(post.hash(), key("http://h/x", &[]).hash());
    }
}
