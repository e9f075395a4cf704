//! Who may use a listener that other machines can reach: the forward proxy,
//! the repository listener and the status listener. (The credentials endpoint
//! has its own per-client tokens.) Two controls, each optional:
//!
//! - **client networks** (`allow_clients` in the listener's section): a peer
//!   outside them is closed at accept, before any byte of HTTP is read.
//!   Loopback peers are always let in (the machine's own probes and tools).
//! - **tokens** (`[[access.token]]`): once any token names a listener, every
//!   request to it needs one: the forward proxy reads `Proxy-Authorization:
//!   Basic NAME:TOKEN` (407 otherwise), the repository and status listeners
//!   read `Authorization` as `Basic ANY:TOKEN`, `Bearer TOKEN` or the bare token
//!   (cargo's form; 401 otherwise). A token may be limited to some mounts
//!   (`FORMAT/NAME`), then any other mount path is 403.
//!
//! Tokens are kept as SHA-256 digests and compared in constant time, never
//! logged; `/metrics` counts requests per token name (names come from the
//! configuration, so the label set is bounded).

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine as _;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use ipnet::IpNet;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::config::ConfigFile;
use crate::metrics::CounterFamily;

pub use crate::config::values::parse_network;

/// Paths any client may ask for without a token: orchestrators' probes.
const OPEN_PATHS: [&str; 2] = ["/livez", "/readyz"];

/// One listener's access control; the default lets everyone in (a loopback
/// listener, or `allow_non_loopback` where a firewall decides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access(Option<Arc<Policy>>);

#[derive(Debug, PartialEq, Eq)]
struct Policy {
    listener: &'static str,
    networks: Vec<IpNet>,
    principals: Vec<Principal>,
    counter: Counted,
}

/// A token as the configuration names it.
#[derive(Clone, PartialEq, Eq)]
struct Principal {
    name: String,
    digest: [u8; 32],
    /// `FORMAT/NAME` mounts it may use (repository listener); `None`: all.
    mounts: Option<Vec<String>>,
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("name", &self.name)
            .field("mounts", &self.mounts)
            .finish_non_exhaustive()
    }
}

/// The requests counter, left out of comparisons (a reload compares policies).
#[derive(Debug, Clone, Default)]
struct Counted(Option<CounterFamily>);

impl PartialEq for Counted {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Counted {}

/// Why a request was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No token, or not one the configuration knows.
    Unauthenticated,
    /// A known token that may not use this mount.
    Forbidden,
}

impl Access {
    /// The access control of `listener` (`proxy`, `repos` or `metrics`) in
    /// `file`; open when neither `allow_clients` nor a token applies to it.
    /// The file has been validated: bad entries are skipped here, not reported.
    pub fn resolve(file: &ConfigFile, listener: &'static str) -> Self {
        let networks: Vec<IpNet> = file
            .allow_clients(listener)
            .iter()
            .filter_map(|c| parse_network(c).ok())
            .collect();
        let principals: Vec<Principal> = file
            .access
            .iter()
            .flat_map(|a| &a.token)
            .filter(|t| {
                t.listeners
                    .as_ref()
                    .is_none_or(|l| l.iter().any(|l| l == listener))
            })
            .filter_map(|t| {
                let digest = match (&t.token, &t.sha256) {
                    (Some(token), _) => digest_of(token.0.expose().as_bytes()),
                    (None, Some(hex)) => hex::decode(hex).ok()?.try_into().ok()?,
                    (None, None) => return None,
                };
                Some(Principal {
                    name: t.name.clone(),
                    digest,
                    mounts: t.mounts.clone(),
                })
            })
            .collect();
        if networks.is_empty() && principals.is_empty() {
            return Self::default();
        }
        Self(Some(Arc::new(Policy {
            listener,
            networks,
            principals,
            counter: Counted::default(),
        })))
    }

    /// The same control, counting requests in `family`
    /// (`awsproxy_access_requests_total{listener, principal, outcome}`).
    pub fn counted(self, family: &CounterFamily) -> Self {
        match self.0 {
            None => self,
            Some(p) => Self(Some(Arc::new(Policy {
                listener: p.listener,
                networks: p.networks.clone(),
                principals: p.principals.clone(),
                counter: Counted(Some(family.clone())),
            }))),
        }
    }

    /// Is any control configured (so the listener may leave loopback)?
    pub fn is_configured(&self) -> bool {
        self.0.is_some()
    }

    /// May a connection from `peer` be served at all?
    pub fn admits_peer(&self, peer: IpAddr) -> bool {
        let Some(p) = &self.0 else { return true };
        let peer = peer.to_canonical();
        let admitted = p.networks.is_empty()
            || peer.is_loopback()
            || p.networks.iter().any(|n| n.contains(&peer));
        if !admitted {
            tracing::info!(listener = p.listener, %peer, "connection refused: not in allow_clients");
            p.count("-", "refused-network");
        }
        admitted
    }

    /// The forward proxy's check of one request: `Ok` with the token's name
    /// (`None` when no token is needed).
    pub fn check_proxy(&self, headers: &HeaderMap) -> Result<Option<&str>, Denied> {
        let Some(p) = &self.0 else { return Ok(None) };
        if p.principals.is_empty() {
            return Ok(None);
        }
        let found = basic(headers.get(header::PROXY_AUTHORIZATION))
            .and_then(|(user, secret)| p.find(Some(&user), secret.as_bytes()));
        p.outcome(
            found
                .map(|f| f.name.as_str())
                .ok_or(Denied::Unauthenticated),
        )
    }

    /// The repository or status listener's check of a request for `path`.
    pub fn check_request(&self, headers: &HeaderMap, path: &str) -> Result<Option<&str>, Denied> {
        let Some(p) = &self.0 else { return Ok(None) };
        if p.principals.is_empty() || OPEN_PATHS.contains(&path) {
            return Ok(None);
        }
        let Some(found) = bearer_or_basic(headers.get(header::AUTHORIZATION))
            .and_then(|t| p.find(None, t.as_bytes()))
        else {
            return p.outcome(Err(Denied::Unauthenticated));
        };
        let verdict = match (&found.mounts, mount_of(path)) {
            (Some(allowed), Some(mount)) if !allowed.contains(&mount) => {
                tracing::info!(listener = p.listener, principal = %found.name, %mount, "request refused: the token may not use this mount");
                Err(Denied::Forbidden)
            }
            _ => Ok(found.name.as_str()),
        };
        match verdict {
            Ok(name) => p.outcome(Ok(name)),
            Err(d) => {
                p.count(&found.name, "forbidden");
                Err(d)
            }
        }
    }
}

impl Policy {
    /// The principal whose token is `secret` (and, for the proxy, whose name
    /// is `user`). Every digest is compared, in constant time.
    fn find(&self, user: Option<&str>, secret: &[u8]) -> Option<&Principal> {
        let digest = digest_of(secret);
        let mut found = None;
        for p in &self.principals {
            let same = bool::from(p.digest.ct_eq(&digest));
            if same && found.is_none() && user.is_none_or(|u| u == p.name) {
                found = Some(p);
            }
        }
        found
    }

    fn outcome<'a>(&self, r: Result<&'a str, Denied>) -> Result<Option<&'a str>, Denied> {
        match r {
            Ok(name) => {
                self.count(name, "allowed");
                Ok(Some(name))
            }
            Err(d) => {
                tracing::debug!(listener = self.listener, "request refused: no valid token");
                self.count("-", "unauthenticated");
                Err(d)
            }
        }
    }

    fn count(&self, principal: &str, outcome: &'static str) {
        if let Some(family) = &self.counter.0 {
            family
                .get_or_create(&vec![
                    ("listener", self.listener.to_owned()),
                    ("principal", principal.to_owned()),
                    ("outcome", outcome.to_owned()),
                ])
                .inc();
        }
    }
}

impl Denied {
    /// The answer of the repository or status listener (`401` with a `Basic`
    /// challenge, or `403`).
    pub fn response(self) -> http::Response<crate::net::Body> {
        match self {
            Self::Unauthenticated => {
                let mut r = crate::net::text(
                    StatusCode::UNAUTHORIZED,
                    "awsproxy: this listener needs a token (hint: send it as the password of HTTP Basic, as `Authorization: Bearer TOKEN`, or in your tool's registry settings; tokens are `[[access.token]]` in the awsproxy configuration)\n",
                );
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"awsproxy\""),
                );
                r
            }
            Self::Forbidden => crate::net::text(
                StatusCode::FORBIDDEN,
                "awsproxy: this token may not use this mount (hint: its `mounts` in `[[access.token]]` list the ones it may)\n",
            ),
        }
    }

    /// The forward proxy's answer: `407` with a `Basic` challenge.
    pub fn proxy_response(self) -> http::Response<crate::net::Body> {
        let mut r = crate::net::text(
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            "awsproxy: this proxy needs a token (hint: put NAME:TOKEN of an `[[access.token]]` in the proxy URL, as in HTTPS_PROXY=http://NAME:TOKEN@host:port)\n",
        );
        r.headers_mut().insert(
            header::PROXY_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"awsproxy\""),
        );
        r
    }
}

fn digest_of(secret: &[u8]) -> [u8; 32] {
    Sha256::digest(secret).into()
}

/// `Basic` credentials as `(user, password)`.
fn basic(value: Option<&HeaderValue>) -> Option<(String, String)> {
    let value = value?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The token of an `Authorization` header: Basic's password, a Bearer token,
/// or the whole value (cargo sends its token bare).
fn bearer_or_basic(value: Option<&HeaderValue>) -> Option<String> {
    if let Some((_, password)) = basic(value) {
        return Some(password);
    }
    let text = value?.to_str().ok()?.trim();
    let token = match text.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        Some(_) => return None,
        None => text,
    };
    (!token.is_empty()).then(|| token.to_owned())
}

/// `FORMAT/NAME` of a mount path (`/pypi/team/simple/` is `pypi/team`).
fn mount_of(path: &str) -> Option<String> {
    let mut parts = path.trim_start_matches('/').splitn(3, '/');
    let format = parts.next()?;
    let name = parts.next()?;
    (matches!(format, "pypi" | "npm" | "maven" | "cargo") && !name.is_empty())
        .then(|| format!("{format}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(toml: &str, listener: &'static str) -> Access {
        let file: ConfigFile = toml::from_str(toml).unwrap();
        Access::resolve(&file, listener)
    }

    fn auth(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().unwrap());
        h
    }

    fn basic_of(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    const TEAM: &str = r#"
[repos]
allow_clients = ["10.0.0.0/8", "192.0.2.7"]
[[access.token]]
name = "ci"
token = "s3cret-ci"
[[access.token]]
name = "web"
sha256 = "671391faf68e509ca4ec48ccb0690453e9b82c2fa48273703233d60b52b9640d"
mounts = ["npm/web"]
listeners = ["repos"]
"#;

    #[test]
    fn without_controls_everyone_gets_in() {
        let open = policy("", "repos");
        assert!(!open.is_configured());
        assert!(open.admits_peer("203.0.113.9".parse().unwrap()));
        assert_eq!(open.check_request(&HeaderMap::new(), "/pypi/x/"), Ok(None));
        assert_eq!(open.check_proxy(&HeaderMap::new()), Ok(None));
    }

    #[test]
    fn peers_outside_allow_clients_are_refused_but_loopback_is_not() {
        let p = policy(TEAM, "repos");
        for ok in [
            "10.1.2.3",
            "192.0.2.7",
            "127.0.0.1",
            "::1",
            "::ffff:10.9.9.9",
        ] {
            assert!(p.admits_peer(ok.parse().unwrap()), "{ok}");
        }
        for refused in ["192.0.2.8", "11.0.0.1", "fd00::1", "::ffff:11.0.0.1"] {
            assert!(!p.admits_peer(refused.parse().unwrap()), "{refused}");
        }
    }

    #[test]
    fn repository_requests_need_a_known_token_in_any_of_the_clients_forms() {
        let p = policy(TEAM, "repos");
        let a = header::AUTHORIZATION;
        for good in [
            basic_of("anyone", "s3cret-ci"),
            "Bearer s3cret-ci".to_owned(),
            "bearer   s3cret-ci".to_owned(),
            "s3cret-ci".to_owned(),
        ] {
            assert_eq!(
                p.check_request(&auth(a.clone(), &good), "/pypi/team/simple/"),
                Ok(Some("ci")),
                "{good}"
            );
        }
        for bad in [
            basic_of("ci", "s3cret-c"),
            "Bearer s3cret-ci-and-more".to_owned(),
            "Token s3cret-ci".to_owned(),
            "Basic !!!".to_owned(),
            String::new(),
        ] {
            let h = if bad.is_empty() {
                HeaderMap::new()
            } else {
                auth(a.clone(), &bad)
            };
            assert_eq!(
                p.check_request(&h, "/pypi/team/simple/"),
                Err(Denied::Unauthenticated),
                "{bad:?}"
            );
        }
        // A Proxy-Authorization header opens nothing here.
        let proxy = auth(header::PROXY_AUTHORIZATION, &basic_of("ci", "s3cret-ci"));
        assert_eq!(p.check_request(&proxy, "/"), Err(Denied::Unauthenticated));
        // Probes need none.
        assert_eq!(p.check_request(&HeaderMap::new(), "/readyz"), Ok(None));
        assert_eq!(
            p.check_request(&HeaderMap::new(), "/healthz"),
            Err(Denied::Unauthenticated)
        );
    }

    #[test]
    fn a_token_limited_to_mounts_gets_403_elsewhere() {
        let p = policy(TEAM, "repos");
        // sha256("web-token")
        let web = auth(header::AUTHORIZATION, "Bearer web-token");
        assert_eq!(p.check_request(&web, "/npm/web/react"), Ok(Some("web")));
        assert_eq!(
            p.check_request(&web, "/npm/web"),
            Ok(Some("web")),
            "the mount's root"
        );
        for other in [
            "/npm/webx/react",
            "/pypi/web/simple/",
            "/maven/123456789012/us-east-1/d/r/maven/x",
        ] {
            assert_eq!(
                p.check_request(&web, other),
                Err(Denied::Forbidden),
                "{other}"
            );
        }
        // Not a mount path: the status page.
        assert_eq!(p.check_request(&web, "/"), Ok(Some("web")));
    }

    #[test]
    fn the_proxy_wants_name_and_token_and_only_tokens_for_it() {
        let p = policy(TEAM, "proxy");
        let pa = header::PROXY_AUTHORIZATION;
        assert_eq!(
            p.check_proxy(&auth(pa.clone(), &basic_of("ci", "s3cret-ci"))),
            Ok(Some("ci"))
        );
        assert_eq!(
            p.check_proxy(&auth(pa.clone(), &basic_of("web", "s3cret-ci"))),
            Err(Denied::Unauthenticated),
            "another name with ci's token"
        );
        assert_eq!(
            p.check_proxy(&auth(pa.clone(), &basic_of("web", "web-token"))),
            Err(Denied::Unauthenticated),
            "web's token is for the repository listener only"
        );
        assert_eq!(
            p.check_proxy(&auth(header::AUTHORIZATION, &basic_of("ci", "s3cret-ci"))),
            Err(Denied::Unauthenticated),
            "Authorization is the origin's, not the proxy's"
        );
        assert!(
            p.admits_peer("203.0.113.1".parse().unwrap()),
            "[proxy] has no allow_clients"
        );
    }

    #[test]
    fn answers_challenge_and_never_echo_the_token() {
        let r = Denied::Unauthenticated.response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"awsproxy\"");
        let r = Denied::Unauthenticated.proxy_response();
        assert_eq!(r.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
        assert_eq!(
            r.headers()["proxy-authenticate"],
            "Basic realm=\"awsproxy\""
        );
        assert_eq!(Denied::Forbidden.response().status(), StatusCode::FORBIDDEN);
        let debug = format!("{:?}", policy(TEAM, "repos"));
        assert!(
            !debug.contains("s3cret") && !debug.contains("digest"),
            "{debug}"
        );
    }

    #[test]
    fn requests_are_counted_per_token_name() {
        let family = CounterFamily::default();
        let p = policy(TEAM, "repos").counted(&family);
        let _ = p.check_request(&auth(header::AUTHORIZATION, "Bearer s3cret-ci"), "/");
        let _ = p.check_request(&auth(header::AUTHORIZATION, "Bearer wrong"), "/");
        let _ = p.admits_peer("11.0.0.1".parse().unwrap());
        let get = |principal: &str, outcome: &str| {
            family
                .get_or_create(&vec![
                    ("listener", "repos".to_owned()),
                    ("principal", principal.to_owned()),
                    ("outcome", outcome.to_owned()),
                ])
                .get()
        };
        assert_eq!(get("ci", "allowed"), 1);
        assert_eq!(get("-", "unauthenticated"), 1);
        assert_eq!(get("-", "refused-network"), 1);
        assert_eq!(
            policy(TEAM, "repos"),
            p,
            "the counter is not part of the policy"
        );
    }

    #[test]
    fn networks_parse_with_or_without_a_prefix() {
        assert_eq!(
            parse_network("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_network("192.0.2.7").unwrap().to_string(),
            "192.0.2.7/32"
        );
        assert_eq!(parse_network("fd00::/8").unwrap().to_string(), "fd00::/8");
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("corp.example").is_err());
    }
}
