//! Which proxy awsproxy's own outbound traffic uses: `[proxy] upstream_proxy` when
//! set, otherwise `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` (curl's rules, lowercase
//! names too) minus `NO_PROXY`.
//!
//! A variable that points at awsproxy's own listener is ignored: a shell that
//! exports `HTTPS_PROXY=http://127.0.0.1:3128` for its tools often also starts
//! `awsproxy serve`, which must not then proxy its requests to itself.

use std::net::{IpAddr, SocketAddr};

use hyper_util::client::proxy::matcher::Matcher;

use crate::env_vars;

/// Builds the matcher. `lookup` reads a variable (the process env in production).
pub fn matcher(
    upstream_proxy: Option<&str>,
    from_env: bool,
    own_listen: Option<SocketAddr>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Matcher {
    let var = |name: &str| {
        [name.to_owned(), name.to_ascii_lowercase()]
            .iter()
            .find_map(|k| lookup(k).filter(|v| !v.trim().is_empty()))
    };
    let no_proxy = if from_env {
        var(env_vars::NO_PROXY).unwrap_or_default()
    } else {
        String::new()
    };
    if let Some(proxy) = upstream_proxy {
        return Matcher::builder()
            .all(proxy.to_owned())
            .no(no_proxy)
            .build();
    }
    if !from_env {
        return Matcher::builder().build();
    }
    let usable = |name: &str| {
        var(name).filter(|url| {
            let own = own_listen.is_some_and(|own| points_at(url, own));
            if own {
                tracing::warn!(
                    variable = name,
                    "ignoring a proxy variable that points at awsproxy itself"
                );
            }
            !own
        })
    };
    Matcher::builder()
        .all(usable(env_vars::ALL_PROXY).unwrap_or_default())
        .http(usable(env_vars::HTTP_PROXY).unwrap_or_default())
        .https(usable(env_vars::HTTPS_PROXY).unwrap_or_default())
        .no(no_proxy)
        .build()
}

/// Whether a proxy URL designates the listener at `own` (same port, and the same
/// address, loopback or `localhost` when listening on loopback or all addresses).
fn points_at(url: &str, own: SocketAddr) -> bool {
    let with_scheme = if url.contains("://") {
        url.to_owned()
    } else {
        format!("http://{url}")
    };
    let Ok(parsed) = url::Url::parse(&with_scheme) else {
        return false;
    };
    if parsed.port_or_known_default() != Some(own.port()) {
        return false;
    }
    let local = |ip: IpAddr| ip.is_loopback() || ip == own.ip();
    match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => {
            local(IpAddr::V4(ip)) || own.ip().is_unspecified() && ip.is_unspecified()
        }
        Some(url::Host::Ipv6(ip)) => local(IpAddr::V6(ip)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn proxy_for(m: &Matcher, url: &str) -> Option<String> {
        m.intercept(&url.parse().unwrap())
            .map(|i| i.uri().to_string())
    }

    const OWN: &str = "127.0.0.1:3128";

    #[test]
    fn env_proxies_pointing_at_ourselves_are_ignored() {
        let lookup = env(&[
            ("HTTPS_PROXY", "http://127.0.0.1:3128"),
            ("http_proxy", "http://corp.example:8080"),
        ]);
        let m = matcher(None, true, Some(OWN.parse().unwrap()), &lookup);
        assert_eq!(proxy_for(&m, "https://pypi.org/"), None);
        assert_eq!(
            proxy_for(&m, "http://pypi.org/").as_deref(),
            Some("http://corp.example:8080/")
        );
    }

    #[test]
    fn upstream_proxy_wins_and_no_proxy_applies() {
        let lookup = env(&[
            ("HTTPS_PROXY", "http://other:1"),
            ("no_proxy", "internal.example"),
        ]);
        let m = matcher(Some("http://corp.example:8080"), true, None, &lookup);
        assert_eq!(
            proxy_for(&m, "https://pypi.org/").as_deref(),
            Some("http://corp.example:8080/")
        );
        assert_eq!(proxy_for(&m, "https://a.internal.example/"), None);
        let off = matcher(None, false, None, &lookup);
        assert_eq!(proxy_for(&off, "https://pypi.org/"), None);
    }

    #[test]
    fn self_detection() {
        let own: SocketAddr = OWN.parse().unwrap();
        assert!(points_at("http://127.0.0.1:3128", own));
        assert!(points_at("localhost:3128", own));
        assert!(points_at("http://[::1]:3128/", own));
        assert!(!points_at("http://127.0.0.1:3129", own));
        assert!(!points_at("http://corp.example:3128", own));
        let any: SocketAddr = "0.0.0.0:3128".parse().unwrap();
        assert!(points_at("http://127.0.0.1:3128", any));
    }
}
