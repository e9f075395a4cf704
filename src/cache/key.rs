//! Cache keys: the request method plus a normalised absolute URL, hashed into a
//! fixed-length name that is safe as a file name or an S3 key.
//!
//! Normalisation lowercases the scheme and host, drops default ports and the
//! fragment, and removes query parameters named by the matching rule's
//! `ignore_query` plus a built-in list for presigned S3 URLs, so two presigned
//! links to one object share an entry.

use http::{Method, Uri};
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

/// A normalised request identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
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
        let method = if method == Method::HEAD {
            Method::GET
        } else {
            method.clone()
        };
        Self {
            method,
            url: normalise_url(uri, host, ignore_query),
        }
    }

    /// The hex SHA-256 of `METHOD url`: the entry's name in a store.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.method.as_str().as_bytes());
        h.update(b" ");
        h.update(self.url.as_bytes());
        hex::encode(h.finalize())
    }

    /// The key of one `Vary` variant: the URL's key plus the values of the
    /// nominated request headers (as given, e.g. already digested when secret).
    pub fn variant_hash(&self, vary: &[String], headers: &http::HeaderMap) -> String {
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
        let mut a = http::HeaderMap::new();
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
