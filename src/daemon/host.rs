//! Which `Host` a listener answers: the defence against DNS rebinding.
//!
//! A page on `http://evil.example:9000/` whose name the attacker then points at
//! 127.0.0.1 is, to the browser, same-origin with whatever listens there, so it
//! can read the answers. Its requests still say `Host: evil.example:9000`. Every
//! listener but the forward proxy (whose clients name any origin) therefore
//! answers only names a page cannot rebind:
//!
//! - loopback IP literals (`127.0.0.0/8`, `[::1]`), with any port;
//! - `localhost` and `*.localhost` (browsers resolve those to loopback themselves);
//! - the listener's own address; any IP literal when it listens on every address
//!   (an IP literal is never a rebound name, and every address is its own);
//! - for the credentials endpoint, the ECS and EKS addresses SDKs put in their
//!   URLs ([`ECS_ADDRESSES`]);
//! - the entries of the section's `allowed_hosts`: names, `*.suffix` for any
//!   name under a suffix, and IP literals.
//!
//! Names compare without case and without a trailing dot. Anything else is
//! 421 Misdirected Request. A `Host` that is not `host[:port]` (userinfo, a bad
//! port, two `Host` fields) is 400, and so is an HTTP/1.1 request without one
//! (HTTP/1.0 may omit it; browsers never do). An absolute-form target's
//! authority must pass too.
//!
//! This runs on every request, cache hits included: it reads the header's bytes
//! and allocates nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use http::{Request, StatusCode, Version, header};

/// The addresses of the ECS (`169.254.170.2`) and EKS Pod Identity
/// (`169.254.170.23`, `fd00:ec2::23`) credential endpoints, which SDKs accept
/// in `AWS_CONTAINER_CREDENTIALS_FULL_URI` besides loopback.
pub const ECS_ADDRESSES: [IpAddr; 3] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2)),
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 23)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x23)),
];

/// What the check says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// HTTP/1.1 without `Host`: 400.
    Missing,
    /// Not `host[:port]`, or two `Host` fields: 400.
    Malformed,
    /// A well-formed name this listener does not answer: 421.
    Misdirected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Misdirected => "misdirected",
        }
    }
}

/// One `allowed_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHost {
    Ip(IpAddr),
    /// A name, lowercase, without a trailing dot.
    Name(String),
    /// `*.example.com`: stored as `.example.com`, lowercase.
    Suffix(String),
}

impl AllowedHost {
    /// Parses an entry: a name, `*.suffix`, or an IP literal (IPv6 with or
    /// without brackets). No port: every port of a name is the same origin's
    /// business, and the listener has one port anyway.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let bytes = entry.as_bytes();
        if let Some(suffix) = bytes.strip_prefix(b"*.") {
            return match classify(suffix) {
                Some(Host::Name(name)) if name.contains(&b'.') => Ok(Self::Suffix(format!(
                    ".{}",
                    String::from_utf8_lossy(name).to_ascii_lowercase()
                ))),
                Some(Host::Name(_)) => Err(format!(
                    "`{entry}` would match every name under a top-level domain; name at least two labels, like `*.corp.example`"
                )),
                _ => Err(format!("`{entry}`: `*.` must be followed by a domain name")),
            };
        }
        let unbracketed = bytes
            .strip_prefix(b"[")
            .and_then(|b| b.strip_suffix(b"]"))
            .unwrap_or(bytes);
        if let Some(ip) = parse_ipv6(unbracketed) {
            return Ok(Self::Ip(IpAddr::V6(ip)));
        }
        match classify(bytes) {
            Some(Host::Ip(ip)) => Ok(Self::Ip(ip)),
            Some(Host::Name(name)) => Ok(Self::Name(
                String::from_utf8_lossy(name).to_ascii_lowercase(),
            )),
            None if entry.contains(':') => Err(format!(
                "`{entry}` has a port or a scheme; write the name or address alone (any port is answered)"
            )),
            None => Err(format!(
                "`{entry}` is not a host name or an IP address (letters, digits, `-`, `_` and dots; `*.` for subdomains)"
            )),
        }
    }
}

/// The `Host` values one listener answers.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// The config section named in refusals, e.g. `[repos]`.
    section: &'static str,
    own: IpAddr,
    ecs: bool,
    allowed: Box<[AllowedHost]>,
}

impl HostPolicy {
    /// For a listener of `section` bound to `listen`, with the section's
    /// `allowed_hosts` (validated with the configuration; an entry that does
    /// not parse is ignored here).
    pub fn new(section: &'static str, listen: SocketAddr, allowed_hosts: &[String]) -> Self {
        Self {
            section,
            own: listen.ip().to_canonical(),
            ecs: false,
            allowed: allowed_hosts
                .iter()
                .filter_map(|e| AllowedHost::parse(e).ok())
                .collect(),
        }
    }

    /// Also answers [`ECS_ADDRESSES`] (the credentials endpoint).
    pub fn with_ecs_addresses(mut self) -> Self {
        self.ecs = true;
        self
    }

    /// Checks the `Host` field(s) and an absolute-form target's authority.
    pub fn check_request<B>(&self, request: &Request<B>) -> Verdict {
        let mut fields = request.headers().get_all(header::HOST).iter();
        let field = fields.next();
        if fields.next().is_some() {
            return Verdict::Malformed;
        }
        let authority = request.uri().authority();
        if field.is_none() && authority.is_none() {
            return if request.version() <= Version::HTTP_10 {
                Verdict::Allowed
            } else {
                Verdict::Missing
            };
        }
        let mut verdict = Verdict::Allowed;
        for value in [
            authority.map(|a| a.as_str().as_bytes()),
            field.map(http::HeaderValue::as_bytes),
        ]
        .into_iter()
        .flatten()
        {
            match self.check(value) {
                Verdict::Allowed => {}
                Verdict::Misdirected if verdict == Verdict::Allowed => {
                    verdict = Verdict::Misdirected;
                }
                Verdict::Misdirected => {}
                other => return other,
            }
        }
        verdict
    }

    /// Checks one `host[:port]` value.
    pub fn check(&self, value: &[u8]) -> Verdict {
        match split_port(value) {
            None => Verdict::Malformed,
            Some(Host::Ip(ip)) if self.allows_ip(ip) => Verdict::Allowed,
            Some(Host::Name(name)) if self.allows_name(name) => Verdict::Allowed,
            Some(_) => Verdict::Misdirected,
        }
    }

    fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_loopback()
            || ip == self.own
            || self.own.is_unspecified()
            || (self.ecs && ECS_ADDRESSES.contains(&ip))
            || self
                .allowed
                .iter()
                .any(|a| matches!(a, AllowedHost::Ip(allowed) if allowed.to_canonical() == ip))
    }

    fn allows_name(&self, name: &[u8]) -> bool {
        name.eq_ignore_ascii_case(b"localhost")
            || ends_with_ignore_case(name, b".localhost")
            || self.allowed.iter().any(|a| match a {
                AllowedHost::Name(allowed) => name.eq_ignore_ascii_case(allowed.as_bytes()),
                AllowedHost::Suffix(suffix) => ends_with_ignore_case(name, suffix.as_bytes()),
                AllowedHost::Ip(_) => false,
            })
    }

    /// The status and plain-text body for a refused request: short, and
    /// without echoing the `Host`.
    pub fn refusal(&self, verdict: Verdict) -> (StatusCode, String) {
        let (status, body) = match verdict {
            Verdict::Misdirected => (
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "awsproxy: this listener answers only localhost, loopback addresses and the names in `{} allowed_hosts` \
                     (so that a web page whose name points at this machine cannot read it)\n\
                     hint: use http://localhost:PORT/ or http://127.0.0.1:PORT/, or add the name to `allowed_hosts`\n",
                    self.section
                ),
            ),
            Verdict::Missing => (
                StatusCode::BAD_REQUEST,
                "awsproxy: an HTTP/1.1 request needs a Host header\n".to_owned(),
            ),
            Verdict::Malformed | Verdict::Allowed => (
                StatusCode::BAD_REQUEST,
                "awsproxy: the Host header must be one host[:port] (no user name, a port up to 65535)\n"
                    .to_owned(),
            ),
        };
        (status, body)
    }
}

/// A parsed host, borrowing the request's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Host<'a> {
    Ip(IpAddr),
    /// Without its trailing dot.
    Name(&'a [u8]),
}

/// `host[:port]`, with `[v6]` brackets; `None` when malformed.
fn split_port(value: &[u8]) -> Option<Host<'_>> {
    let (host, port) = match value.strip_prefix(b"[") {
        Some(rest) => {
            let end = rest.iter().position(|&b| b == b']')?;
            (
                Host::Ip(IpAddr::V6(parse_ipv6(&rest[..end])?)),
                &rest[end + 1..],
            )
        }
        None => {
            let colon = value.iter().position(|&b| b == b':').unwrap_or(value.len());
            (classify(&value[..colon])?, &value[colon..])
        }
    };
    if let Some(digits) = port.strip_prefix(b":") {
        let valid = !digits.is_empty()
            && digits.len() <= 5
            && digits.iter().all(u8::is_ascii_digit)
            && std::str::from_utf8(digits).ok()?.parse::<u16>().is_ok();
        valid.then_some(host)
    } else {
        port.is_empty().then_some(host)
    }
}

/// An IPv4 literal or a DNS name (labels of letters, digits, `-` and `_`), one
/// trailing dot allowed.
fn classify(host: &[u8]) -> Option<Host<'_>> {
    let host = host.strip_suffix(b".").unwrap_or(host);
    let dotted_digits = host.iter().all(|&b| b.is_ascii_digit() || b == b'.');
    if let Some(ip) = dotted_digits
        .then(|| std::str::from_utf8(host).ok()?.parse::<Ipv4Addr>().ok())
        .flatten()
    {
        return Some(Host::Ip(IpAddr::V4(ip)));
    }
    let labels_ok = host.split(|&b| b == b'.').all(|label| {
        !label.is_empty()
            && label
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    (!host.is_empty() && labels_ok).then_some(Host::Name(host))
}

fn parse_ipv6(bytes: &[u8]) -> Option<Ipv6Addr> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn ends_with_ignore_case(name: &[u8], suffix: &[u8]) -> bool {
    name.len() > suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(listen: &str, allowed: &[&str]) -> HostPolicy {
        let allowed: Vec<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
        HostPolicy::new("[repos]", listen.parse().unwrap(), &allowed)
    }

    fn verdicts(p: &HostPolicy, hosts: &[&str], want: Verdict) {
        for host in hosts {
            assert_eq!(p.check(host.as_bytes()), want, "Host: {host}");
        }
    }

    #[test]
    fn loopback_literals_and_localhost_names_with_any_port() {
        let p = policy("127.0.0.1:9000", &[]);
        verdicts(
            &p,
            &[
                "127.0.0.1",
                "127.0.0.1:9000",
                "127.0.0.1:1",
                "127.255.0.9:65535",
                "127.0.0.1.",
                "[::1]",
                "[::1]:9000",
                "[0:0:0:0:0:0:0:1]:80",
                "[::ffff:127.0.0.1]:9000",
                "localhost",
                "localhost:9000",
                "LOCALHOST:9000",
                "LocalHost.",
                "localhost.:9000",
                "app.localhost:9000",
                "a.b.LOCALHOST",
            ],
            Verdict::Allowed,
        );
    }

    #[test]
    fn rebound_and_lookalike_names_are_misdirected() {
        let p = policy("127.0.0.1:9000", &[]);
        verdicts(
            &p,
            &[
                "evil.example",
                "evil.example:9000",
                "evil.example.:9000",
                "localhost.evil.com",
                "localhost.evil.com:9000",
                "127.0.0.1.nip.io",
                "127.0.0.1.nip.io:9000",
                "xlocalhost",
                "notlocalhost:9000",
                "127.1",
                "0x7f.0.0.1",
                "2130706433",
                "0.0.0.0:9000",
                "10.0.0.1:9000",
                "[fe80::1]:9000",
                "[::]:9000",
                "169.254.170.2",
                "[fd00:ec2::23]",
            ],
            Verdict::Misdirected,
        );
    }

    #[test]
    fn malformed_hosts_are_refused_as_such() {
        let p = policy("127.0.0.1:9000", &[]);
        verdicts(
            &p,
            &[
                "",
                ":9000",
                "user@localhost",
                "user:pass@localhost:9000",
                "localhost:9000@evil.example",
                "evil.example@localhost",
                "localhost:",
                "localhost:99999",
                "localhost:65536",
                "localhost:+80",
                "localhost:9000:9000",
                "::1",
                "::1:9000",
                "[::1",
                "[::1]9000",
                "[::1]:x",
                "[localhost]",
                "[fe80::1%25eth0]",
                "local host",
                "a..localhost",
                ".localhost",
                "localhost..",
                "loc\u{e4}lhost",
                "localhost/x",
                "localhost\\",
            ],
            Verdict::Malformed,
        );
    }

    #[test]
    fn its_own_address_and_allowed_hosts() {
        let p = policy(
            "192.168.1.5:9000",
            &[
                "awsproxy.corp.example",
                "Team-Cache.example.",
                "*.cache.corp.example",
                "10.1.2.3",
                "[fd00::7]",
                "fd00::8",
            ],
        );
        verdicts(
            &p,
            &[
                "192.168.1.5",
                "192.168.1.5:9000",
                "[::ffff:192.168.1.5]",
                "awsproxy.corp.example:9000",
                "AWSPROXY.corp.example.",
                "team-cache.example",
                "eu.cache.corp.example:9000",
                "a.b.cache.corp.example",
                "10.1.2.3:1",
                "[fd00::7]:9000",
                "[fd00:0::8]",
                "localhost:9000",
            ],
            Verdict::Allowed,
        );
        verdicts(
            &p,
            &[
                "192.168.1.6",
                "cache.corp.example",
                "xcache.corp.example",
                "awsproxy.corp.example.evil.example",
                "evil-awsproxy.corp.example",
                "10.1.2.4",
                "[fd00::9]",
            ],
            Verdict::Misdirected,
        );
    }

    #[test]
    fn a_listener_on_every_address_answers_any_ip_literal_but_no_unknown_name() {
        for listen in ["0.0.0.0:9000", "[::]:9000"] {
            let p = policy(listen, &[]);
            verdicts(
                &p,
                &["10.9.8.7:9000", "[2001:db8::1]", "localhost"],
                Verdict::Allowed,
            );
            verdicts(
                &p,
                &["evil.example", "pod.cluster.local"],
                Verdict::Misdirected,
            );
        }
    }

    #[test]
    fn the_credentials_endpoint_answers_the_ecs_addresses() {
        let p = policy("127.0.0.1:1338", &[]).with_ecs_addresses();
        verdicts(
            &p,
            &[
                "169.254.170.2",
                "169.254.170.2:80",
                "169.254.170.23",
                "[fd00:ec2::23]",
                "[FD00:EC2:0:0:0:0:0:23]:80",
                "127.0.0.1:1338",
            ],
            Verdict::Allowed,
        );
        verdicts(
            &p,
            &["169.254.169.254", "169.254.170.3", "evil.example"],
            Verdict::Misdirected,
        );
    }

    fn request(target: &str, hosts: &[&str], version: Version) -> Request<()> {
        let mut builder = Request::get(target).version(version);
        for h in hosts {
            builder = builder.header(header::HOST, *h);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn requests_need_one_good_host_and_a_good_target_authority() {
        let p = policy("127.0.0.1:9000", &[]);
        let cases = [
            (
                "/",
                vec!["localhost:9000"],
                Version::HTTP_11,
                Verdict::Allowed,
            ),
            ("/", vec![], Version::HTTP_11, Verdict::Missing),
            ("/", vec![], Version::HTTP_10, Verdict::Allowed),
            (
                "/",
                vec!["evil.example"],
                Version::HTTP_10,
                Verdict::Misdirected,
            ),
            (
                "/",
                vec!["localhost", "evil.example"],
                Version::HTTP_11,
                Verdict::Malformed,
            ),
            (
                "/",
                vec!["localhost", "localhost"],
                Version::HTTP_11,
                Verdict::Malformed,
            ),
            (
                "http://localhost:9000/x",
                vec!["127.0.0.1"],
                Version::HTTP_11,
                Verdict::Allowed,
            ),
            (
                "http://localhost:9000/x",
                vec![],
                Version::HTTP_11,
                Verdict::Allowed,
            ),
            (
                "http://evil.example/x",
                vec!["localhost"],
                Version::HTTP_11,
                Verdict::Misdirected,
            ),
            (
                "http://localhost/x",
                vec!["evil.example"],
                Version::HTTP_11,
                Verdict::Misdirected,
            ),
            (
                "http://localhost/x",
                vec!["a@b"],
                Version::HTTP_11,
                Verdict::Malformed,
            ),
            (
                "http://u@localhost/x",
                vec!["localhost"],
                Version::HTTP_11,
                Verdict::Malformed,
            ),
        ];
        for (target, hosts, version, want) in cases {
            assert_eq!(
                p.check_request(&request(target, &hosts, version)),
                want,
                "{target} {hosts:?} {version:?}"
            );
        }
    }

    #[test]
    fn allowed_host_entries_parse_or_say_why_not() {
        for (entry, want) in [
            (
                "awsproxy.corp.example",
                AllowedHost::Name("awsproxy.corp.example".into()),
            ),
            ("AwsProxy.", AllowedHost::Name("awsproxy".into())),
            (
                "*.Corp.Example",
                AllowedHost::Suffix(".corp.example".into()),
            ),
            ("10.0.0.1", AllowedHost::Ip("10.0.0.1".parse().unwrap())),
            ("fd00::1", AllowedHost::Ip("fd00::1".parse().unwrap())),
            ("[fd00::1]", AllowedHost::Ip("fd00::1".parse().unwrap())),
        ] {
            assert_eq!(AllowedHost::parse(entry), Ok(want), "{entry}");
        }
        for (entry, says) in [
            ("awsproxy.corp.example:9000", "port"),
            ("http://awsproxy.corp.example", "port or a scheme"),
            ("*.example", "top-level"),
            ("*", "not a host name"),
            ("*.", "must be followed"),
            ("*.10.0.0.1", "must be followed"),
            ("a b", "not a host name"),
            ("", "not a host name"),
            ("user@host", "not a host name"),
        ] {
            let err = AllowedHost::parse(entry).unwrap_err();
            assert!(err.contains(says), "{entry}: {err}");
        }
    }

    #[test]
    fn refusals_name_the_section_and_never_echo_the_host() {
        let p = policy("127.0.0.1:9000", &[]);
        let (status, body) = p.refusal(Verdict::Misdirected);
        assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
        assert!(body.contains("`[repos] allowed_hosts`"), "{body}");
        assert!(body.contains("hint: use http://localhost:PORT/"), "{body}");
        assert_eq!(p.refusal(Verdict::Missing).0, StatusCode::BAD_REQUEST);
        assert_eq!(p.refusal(Verdict::Malformed).0, StatusCode::BAD_REQUEST);
    }
}
