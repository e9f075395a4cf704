//! Where a forwarded request goes, and the one place that aims a client's
//! request at it. A proxy answers for the URL it fetched, so the request sent
//! upstream names exactly that URL: its URI is rebuilt as
//! `scheme://authority/path?query` from the [`Target`] and its `Host` is replaced
//! with the same authority (RFC 9112 3.2.2). Otherwise a client could fetch one
//! virtual host's answer (chosen by `Host`) and have it stored under another's
//! URL (the cache keys on the URI).
//!
//! The target comes from the request line (absolute form) or, inside an
//! intercepted tunnel, from the `CONNECT` authority alone: neither the inner
//! request's `Host` nor an absolute-form inner target can move it.
//!
//! Pure: no I/O (the `forward_target` fuzz target includes this file).

use http::header::{HOST, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme, Uri};

/// Where a forwarded request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Lowercase; an IPv6 address without brackets.
    pub host: String,
    pub port: u16,
    /// True when the request was decrypted from an intercepted CONNECT tunnel.
    pub intercepted: bool,
}

impl Target {
    /// `host[:port]`, omitting the scheme's default port, with IPv6 in brackets.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default_port(&self.scheme) {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

fn default_port(scheme: &Scheme) -> u16 {
    if *scheme == Scheme::HTTPS { 443 } else { 80 }
}

/// A host as it appears in an authority, without brackets, lowercased.
fn bare_host(host: &str) -> Option<String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The target of an absolute-form request (`http://host[:port]/...`); `None`
/// for origin form or another scheme.
pub fn absolute_target(uri: &Uri) -> Option<Target> {
    let scheme = uri.scheme()?.clone();
    if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
        return None;
    }
    Some(Target {
        host: bare_host(uri.host()?)?,
        port: uri.port_u16().unwrap_or(default_port(&scheme)),
        scheme,
        intercepted: false,
    })
}

/// The host of an origin-form request's `Host` field (the first one), as
/// [`Target::host`] spells hosts.
pub fn host_header(headers: &http::HeaderMap) -> Option<String> {
    let value = headers.get(HOST)?.to_str().ok()?;
    let authority: Authority = value.parse().ok()?;
    bare_host(authority.host())
}

/// `host` and `port` of a CONNECT request target (authority form).
pub fn connect_target(uri: &Uri) -> Option<(String, u16)> {
    let authority = uri.authority()?;
    Some((
        bare_host(authority.host())?,
        authority.port_u16().unwrap_or(443),
    ))
}

/// Aims a request at `target`: its URI becomes `scheme://authority/path?query`
/// (the path and query as the client sent them, `/` when absent; userinfo and
/// the client's authority are dropped) and every `Host` field is replaced by the
/// target's authority.
/// Refused: the asterisk form (`OPTIONS *`) or a path that does not start with
/// `/` would run into the authority of the rebuilt URI.
pub fn aim(parts: &mut http::request::Parts, target: &Target) -> Result<(), BadTarget> {
    let authority: Authority = target.authority().parse().map_err(|_| BadTarget)?;
    let host = HeaderValue::from_str(authority.as_str()).map_err(|_| BadTarget)?;
    let path = parts
        .uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    if !path.as_str().starts_with('/') {
        return Err(BadTarget);
    }
    parts.uri = Uri::builder()
        .scheme(target.scheme.clone())
        .authority(authority)
        .path_and_query(path)
        .build()
        .map_err(|_| BadTarget)?;
    parts.headers.insert(HOST, host);
    Ok(())
}

/// A request that cannot be aimed at its target (answered with a 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadTarget;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_header_is_read_as_targets_spell_hosts() {
        let headers = |v: &str| {
            let mut h = http::HeaderMap::new();
            h.insert(HOST, HeaderValue::from_str(v).unwrap());
            h
        };
        assert_eq!(
            host_header(&headers("AwsProxy.CA:80")).as_deref(),
            Some("awsproxy.ca")
        );
        assert_eq!(host_header(&headers("[::1]:8080")).as_deref(), Some("::1"));
        assert_eq!(host_header(&headers("a b")), None);
        assert_eq!(host_header(&http::HeaderMap::new()), None);
    }

    fn aimed(uri: &str, host: &str, target: &Target) -> http::request::Parts {
        let (mut parts, ()) = http::Request::get(uri)
            .header(HOST, host)
            .header(HOST, "second.example")
            .body(())
            .unwrap()
            .into_parts();
        aim(&mut parts, target).unwrap();
        parts
    }

    #[test]
    fn targets() {
        let t = absolute_target(&"http://Example.COM/a?b".parse().unwrap()).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("example.com", 80));
        let t = absolute_target(&"http://[::1]:8080/".parse().unwrap()).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        assert!(absolute_target(&"/relative".parse().unwrap()).is_none());
        assert!(absolute_target(&"ftp://example.com/".parse().unwrap()).is_none());
        assert_eq!(
            connect_target(&"example.com:8443".parse().unwrap()),
            Some(("example.com".into(), 8443))
        );
    }

    #[test]
    fn aim_replaces_host_and_authority_with_the_targets() {
        let t = absolute_target(&"http://user:pw@a.example:8080/x?q".parse().unwrap()).unwrap();
        let parts = aimed("http://user:pw@a.example:8080/x?q", "b.example", &t);
        assert_eq!(parts.uri, "http://a.example:8080/x?q");
        assert_eq!(parts.headers.get_all(HOST).iter().count(), 1);
        assert_eq!(parts.headers[HOST], "a.example:8080");

        // Inside a tunnel the CONNECT target wins over an absolute-form target.
        let tunnel = Target {
            scheme: Scheme::HTTPS,
            host: "a.example".into(),
            port: 443,
            intercepted: true,
        };
        let parts = aimed("http://b.example/y", "b.example", &tunnel);
        assert_eq!(parts.uri, "https://a.example/y");
        assert_eq!(parts.headers[HOST], "a.example");
    }

    #[test]
    fn paths_that_would_run_into_the_authority_are_refused() {
        // Found by the `forward_target` fuzzer: `OPTIONS *` inside a tunnel
        // rebuilt as `https://host*`, another authority.
        let tunnel = Target {
            scheme: Scheme::HTTPS,
            host: ".".into(),
            port: 443,
            intercepted: true,
        };
        let (mut parts, ()) = http::Request::options("*").body(()).unwrap().into_parts();
        assert_eq!(aim(&mut parts, &tunnel), Err(BadTarget));
    }

    #[test]
    fn authority_omits_default_ports() {
        let t = |scheme, host: &str, port| Target {
            scheme,
            host: host.into(),
            port,
            intercepted: false,
        };
        assert_eq!(t(Scheme::HTTPS, "a.example", 443).authority(), "a.example");
        assert_eq!(
            t(Scheme::HTTP, "a.example", 443).authority(),
            "a.example:443"
        );
        assert_eq!(t(Scheme::HTTPS, "::1", 8443).authority(), "[::1]:8443");
    }
}
