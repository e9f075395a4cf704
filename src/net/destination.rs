//! Which destinations the forward proxy may open a connection to for a proxy
//! client. Loopback (`127.0.0.0/8`, `::1`), unspecified (`0.0.0.0/8`, `::`)
//! and link-local (`169.254.0.0/16`, `fe80::/10`: instance metadata, the ECS
//! credentials address) are refused, also when written as IPv4 inside IPv6
//! (`::ffff:127.0.0.1`, NAT64 `64:ff9b::7f00:1`), in the old `inet_aton`
//! spellings that `getaddrinfo` still accepts (`127.1`, `0x7f.1`,
//! `2130706433`), or as `localhost` / `*.localhost`. awsproxy's own listeners
//! are refused whatever the address. `[proxy] allow_destinations` ([`Allow`])
//! opens what a user wants; an own listener only opens for an entry that names
//! its port.
//!
//! [`DestinationPolicy::check_target`] looks at the request target before
//! anything is resolved; [`DestinationPolicy::check_resolved`] at each address
//! a name resolved to, just before the connection (`connect.rs` connects to the
//! checked address, so a name cannot resolve again to something else).
//!
//! Pure but for [`OwnListeners`], which asks the kernel whether an address is
//! local when a listener binds a wildcard address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, RwLock};

/// An address class refused by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    Loopback,
    Unspecified,
    LinkLocal,
}

impl Reserved {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Loopback => "a loopback address",
            Self::Unspecified => "an unspecified address (this host)",
            Self::LinkLocal => "a link-local address (such as instance metadata)",
        }
    }
}

/// The reserved class of `ip`, looking through IPv6 forms that carry an IPv4
/// address.
pub fn reserved(ip: IpAddr) -> Option<Reserved> {
    match ip {
        IpAddr::V4(v4) => reserved_v4(v4),
        IpAddr::V6(v6) => {
            if v6.is_loopback() {
                Some(Reserved::Loopback)
            } else if v6.is_unspecified() {
                Some(Reserved::Unspecified)
            } else if v6.segments()[0] & 0xffc0 == 0xfe80 {
                Some(Reserved::LinkLocal)
            } else {
                embedded_v4(v6).and_then(reserved_v4)
            }
        }
    }
}

fn reserved_v4(ip: Ipv4Addr) -> Option<Reserved> {
    match ip.octets() {
        [127, ..] => Some(Reserved::Loopback),
        [0, ..] => Some(Reserved::Unspecified),
        [169, 254, ..] => Some(Reserved::LinkLocal),
        _ => None,
    }
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated
/// (`::ffff:0:a.b.c.d`), IPv4-compatible (`::a.b.c.d`) or well-known NAT64
/// (`64:ff9b::a.b.c.d`) IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s[..6] {
        [0, 0, 0, 0, 0, 0xffff]
        | [0, 0, 0, 0, 0xffff, 0]
        | [0, 0, 0, 0, 0, 0]
        | [0x64, 0xff9b, 0, 0, 0, 0] => Some(low),
        _ => None,
    }
}

/// `ip` with an IPv4-mapped IPv6 address turned into its IPv4 address (the
/// same socket on a dual-stack host).
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// The address a host names when it is an IP literal: IPv6 (brackets
/// optional) or IPv4 in any spelling `inet_aton` accepts (one to four parts,
/// each decimal, `0x` hex or `0` octal; the last part fills the remaining
/// bytes), with or without one trailing dot. `None` for a name.
pub fn ip_literal(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(v6) = bare.parse::<Ipv6Addr>() {
        return Some(IpAddr::V6(v6));
    }
    inet_aton(bare.strip_suffix('.').unwrap_or(bare)).map(IpAddr::V4)
}

fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for part in &parts {
        values.push(aton_part(part)?);
    }
    let (last, leading) = values.split_last()?;
    let mut out: u32 = 0;
    for (i, v) in leading.iter().enumerate() {
        if *v > 255 {
            return None;
        }
        out |= v << (24 - 8 * i);
    }
    let room = 8 * (4 - leading.len());
    if room < 32 && *last >> room != 0 {
        return None;
    }
    Some(Ipv4Addr::from(out | last))
}

fn aton_part(part: &str) -> Option<u32> {
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if digits.is_empty() && radix != 16 {
        return None;
    }
    if digits.is_empty() {
        // glibc takes a bare `0x` as zero.
        return Some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix).ok()
}

/// `host` lowercased, without one trailing dot and without brackets.
fn normalise(host: &str) -> String {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// `localhost` and every name under it (RFC 6761: they are loopback, whatever
/// a resolver says).
pub fn is_localhost_name(host: &str) -> bool {
    let host = normalise(host);
    host == "localhost" || host.ends_with(".localhost")
}

/// One `[proxy] allow_destinations` entry: a network (`10.0.0.0/8`, an
/// address, `[::1]`) or a host name (`dev.example`, `*.example` for the names
/// under it), with an optional `:port` (any port without one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    host: AllowHost,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AllowHost {
    Net {
        addr: IpAddr,
        prefix: u8,
    },
    Name(String),
    /// `*.example`: names under `example` (not `example` itself).
    Under(String),
}

impl Allow {
    fn port_matches(&self, port: u16) -> bool {
        self.port.is_none_or(|p| p == port)
    }

    /// Whether this entry opens `addr`, reached for the name `host` (`None`
    /// when the request named an IP literal).
    fn covers(&self, host: Option<&str>, addr: SocketAddr) -> bool {
        if !self.port_matches(addr.port()) {
            return false;
        }
        match &self.host {
            AllowHost::Net { addr: net, prefix } => {
                in_net(canonical(addr.ip()), *net, *prefix) || in_net(addr.ip(), *net, *prefix)
            }
            AllowHost::Name(name) => host.is_some_and(|h| h == name),
            AllowHost::Under(parent) => {
                host.is_some_and(|h| h.len() > parent.len() && h.ends_with(parent.as_str()))
            }
        }
    }
}

fn in_net(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

impl FromStr for Allow {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let example = "write it like \"127.0.0.1:8080\", \"10.0.0.0/8\", \"[::1]:8080\", \"localhost:3000\" or \"*.dev.example\"";
        let s = raw.trim();
        let (host, port) = split_port(s).map_err(|e| format!("`{raw}`: {e}; {example}"))?;
        let host = if let Some((addr, prefix)) = host.split_once('/') {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("`{raw}`: `{addr}` is not an IP address; {example}"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix: u8 =
                prefix.parse().ok().filter(|p| *p <= max).ok_or_else(|| {
                    format!("`{raw}`: the prefix length must be between 0 and {max}")
                })?;
            AllowHost::Net { addr, prefix }
        } else if let Ok(addr) = host.parse::<IpAddr>() {
            let prefix = if addr.is_ipv4() { 32 } else { 128 };
            AllowHost::Net { addr, prefix }
        } else if ip_literal(host).is_some() {
            return Err(format!(
                "`{raw}`: write the address in dotted-quad form (as in \"127.0.0.1\")"
            ));
        } else {
            let name = normalise(host);
            let (under, labels) = match name.strip_prefix("*.") {
                Some(parent) => (true, parent.to_owned()),
                None => (false, name.clone()),
            };
            let valid = !labels.is_empty()
                && labels.split('.').all(|label| {
                    !label.is_empty()
                        && label
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                });
            if !valid {
                return Err(format!("`{raw}` is not a host name or address; {example}"));
            }
            if under {
                AllowHost::Under(format!(".{labels}"))
            } else {
                AllowHost::Name(labels)
            }
        };
        Ok(Self { host, port })
    }
}

/// `host` and `port` of `s`: `[v6]:port`, `[v6]`, `v6` (two colons or more:
/// no port), `host:port` or `host`.
fn split_port(s: &str) -> Result<(&str, Option<u16>), String> {
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .map(Some)
            .ok_or_else(|| format!("`{p}` is not a port"))
    };
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "a `[` without its `]`".to_owned())?;
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(p) => Ok((host, port(p)?)),
                None => Err(format!("unexpected `{after}` after `]`")),
            },
        };
    }
    match s.matches(':').count() {
        0 => Ok((s, None)),
        1 => {
            let (host, p) = s.split_once(':').unwrap_or((s, ""));
            Ok((host, port(p)?))
        }
        _ => Ok((s, None)),
    }
}

impl fmt::Display for Allow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match &self.host {
            AllowHost::Net { addr, prefix } => {
                let full = if addr.is_ipv4() { 32 } else { 128 };
                match (addr, *prefix == full, self.port.is_some()) {
                    (IpAddr::V6(_), true, true) => format!("[{addr}]"),
                    (IpAddr::V6(_), false, true) => format!("[{addr}/{prefix}]"),
                    (_, true, _) => addr.to_string(),
                    (_, false, _) => format!("{addr}/{prefix}"),
                }
            }
            AllowHost::Name(name) => name.clone(),
            AllowHost::Under(parent) => format!("*{parent}"),
        };
        match self.port {
            Some(port) => write!(f, "{host}:{port}"),
            None => f.write_str(&host),
        }
    }
}

/// The addresses awsproxy's own listeners are bound to, published by the
/// supervisor (and updated on reload). Cheap to clone; clones share.
#[derive(Debug, Clone, Default)]
pub struct OwnListeners(Arc<RwLock<Vec<(&'static str, SocketAddr)>>>);

impl OwnListeners {
    /// Replaces the list: `(service name, bound address)`.
    pub fn set(&self, listeners: Vec<(&'static str, SocketAddr)>) {
        let mut slot = self.0.write().unwrap_or_else(|e| e.into_inner());
        *slot = listeners;
    }

    /// The service whose listener a connection to `addr` would reach.
    fn reached_by(&self, addr: SocketAddr) -> Option<&'static str> {
        let ip = canonical(addr.ip());
        let listeners = self.0.read().unwrap_or_else(|e| e.into_inner());
        listeners.iter().find_map(|(name, own)| {
            let own_ip = canonical(own.ip());
            let reaches = own.port() == addr.port()
                && (own_ip == ip
                    // Connecting to 0.0.0.0 or :: reaches this host.
                    || ip.is_unspecified()
                    // A wildcard listener answers on every local address.
                    || (own_ip.is_unspecified() && is_local(ip)));
            reaches.then_some(*name)
        })
    }
}

/// Whether `ip` is an address of this host: loopback, or one a socket can
/// bind to.
fn is_local(ip: IpAddr) -> bool {
    ip.is_loopback()
        || reserved(ip) == Some(Reserved::Loopback)
        || std::net::UdpSocket::bind((ip, 0)).is_ok()
}

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    Reserved(Reserved),
    /// awsproxy's own listener (the service's name).
    OwnListener(&'static str),
}

/// A destination refused for a proxy client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{target} is {} and proxy clients may not reach it", self.what())]
pub struct Refusal {
    /// `host:port` as the client asked for it.
    pub target: String,
    /// The address it would have connected to.
    pub addr: SocketAddr,
    pub why: Why,
    /// Whether the client named an IP literal (else a name).
    literal: bool,
}

impl Refusal {
    fn what(&self) -> String {
        let ip = canonical(self.addr.ip());
        let shown = normalise(self.target.rsplit_once(':').map_or("", |(h, _)| h));
        let via = if shown == ip.to_string() {
            String::new()
        } else {
            format!(" ({ip})")
        };
        match &self.why {
            Why::Reserved(class) => format!("{}{via}", class.as_str()),
            Why::OwnListener(service) => format!("awsproxy's own {service} listener{via}"),
        }
    }

    /// What to add to `[proxy] allow_destinations` to let it through.
    pub fn hint(&self) -> String {
        let entry = if self.literal {
            SocketAddr::new(canonical(self.addr.ip()), self.addr.port()).to_string()
        } else {
            self.target.clone()
        };
        format!(
            "to let proxy clients reach it, add \"{entry}\" to `[proxy] allow_destinations` \
             (only for a service every proxy client may use)"
        )
    }
}

/// The forward proxy's destination rules. Cheap to clone. The default refuses
/// every reserved address and allows nothing extra.
#[derive(Debug, Clone, Default)]
pub struct DestinationPolicy {
    allow: Arc<[Allow]>,
    own: OwnListeners,
}

impl DestinationPolicy {
    pub fn new(allow: Vec<Allow>, own: OwnListeners) -> Self {
        Self {
            allow: allow.into(),
            own,
        }
    }

    /// The check before resolution, for a request target `host:port`: an IP
    /// literal (any spelling) is checked as that address; `localhost` and
    /// `*.localhost` as loopback. Other names pass here and are checked with
    /// [`Self::check_resolved`] once resolved (or, behind an upstream proxy,
    /// are that proxy's to refuse).
    pub fn check_target(&self, host: &str, port: u16) -> Result<(), Refusal> {
        if let Some(ip) = ip_literal(host) {
            return self.check(None, host, SocketAddr::new(ip, port));
        }
        if is_localhost_name(host) {
            // Either loopback address may answer: an own listener behind
            // either refuses; otherwise one allowed address is enough here,
            // and the resolved ones are checked again.
            let v4 = self.check(Some(host), host, (Ipv4Addr::LOCALHOST, port).into());
            let v6 = self.check(Some(host), host, (Ipv6Addr::LOCALHOST, port).into());
            return match (v4, v6) {
                (
                    Err(
                        own @ Refusal {
                            why: Why::OwnListener(_),
                            ..
                        },
                    ),
                    _,
                )
                | (
                    _,
                    Err(
                        own @ Refusal {
                            why: Why::OwnListener(_),
                            ..
                        },
                    ),
                ) => Err(own),
                (Ok(()), _) | (_, Ok(())) => Ok(()),
                (Err(first), Err(_)) => Err(first),
            };
        }
        Ok(())
    }

    /// The check of one address that `host` resolved to.
    pub fn check_resolved(&self, host: &str, addr: SocketAddr) -> Result<(), Refusal> {
        let name = ip_literal(host).is_none().then_some(host);
        self.check(name, host, addr)
    }

    fn check(&self, name: Option<&str>, host: &str, addr: SocketAddr) -> Result<(), Refusal> {
        let name = name.map(normalise);
        let name = name.as_deref();
        let refuse = |why| Refusal {
            target: target_text(host, addr.port()),
            addr,
            why,
            literal: name.is_none(),
        };
        if let Some(service) = self.own.reached_by(addr) {
            // Only an entry that names the port opens an own listener.
            let named = self
                .allow
                .iter()
                .any(|a| a.port == Some(addr.port()) && a.covers(name, addr));
            return if named {
                Ok(())
            } else {
                Err(refuse(Why::OwnListener(service)))
            };
        }
        match reserved(addr.ip()) {
            Some(class) if !self.allow.iter().any(|a| a.covers(name, addr)) => {
                Err(refuse(Why::Reserved(class)))
            }
            _ => Ok(()),
        }
    }
}

fn target_text(host: &str, port: u16) -> String {
    let host = normalise(host);
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn policy(allow: &[&str]) -> DestinationPolicy {
        let allow = allow.iter().map(|a| a.parse().unwrap()).collect();
        DestinationPolicy::new(allow, OwnListeners::default())
    }

    #[test]
    fn reserved_classes_include_ipv4_inside_ipv6() {
        for (addr, class) in [
            ("127.0.0.1", Some(Reserved::Loopback)),
            ("127.255.1.2", Some(Reserved::Loopback)),
            ("::1", Some(Reserved::Loopback)),
            ("::ffff:127.0.0.1", Some(Reserved::Loopback)),
            ("::ffff:0:127.0.0.1", Some(Reserved::Loopback)),
            ("::127.0.0.1", Some(Reserved::Loopback)),
            ("64:ff9b::7f00:1", Some(Reserved::Loopback)),
            ("0.0.0.0", Some(Reserved::Unspecified)),
            ("0.1.2.3", Some(Reserved::Unspecified)),
            ("::", Some(Reserved::Unspecified)),
            ("::ffff:0.0.0.0", Some(Reserved::Unspecified)),
            ("169.254.169.254", Some(Reserved::LinkLocal)),
            ("169.254.170.2", Some(Reserved::LinkLocal)),
            ("fe80::1", Some(Reserved::LinkLocal)),
            ("febf::1", Some(Reserved::LinkLocal)),
            ("::ffff:169.254.169.254", Some(Reserved::LinkLocal)),
            ("64:ff9b::a9fe:a9fe", Some(Reserved::LinkLocal)),
            ("10.0.0.1", None),
            ("93.184.216.34", None),
            ("128.0.0.1", None),
            ("169.253.1.1", None),
            ("fec0::1", None),
            ("2001:db8::1", None),
            ("::ffff:93.184.216.34", None),
            ("64:ff9b:1::7f00:1", None),
        ] {
            assert_eq!(reserved(ip(addr)), class, "{addr}");
        }
    }

    #[test]
    fn ip_literals_in_every_spelling_getaddrinfo_takes() {
        for (host, want) in [
            ("127.0.0.1", "127.0.0.1"),
            ("127.0.0.1.", "127.0.0.1"),
            ("127.1", "127.0.0.1"),
            ("127.0.1", "127.0.0.1"),
            ("2130706433", "127.0.0.1"),
            ("0x7f000001", "127.0.0.1"),
            ("0x7f.1", "127.0.0.1"),
            ("0X7F.0.0.1", "127.0.0.1"),
            ("0177.0.0.1", "127.0.0.1"),
            ("017700000001", "127.0.0.1"),
            ("0", "0.0.0.0"),
            ("0x", "0.0.0.0"),
            ("2852039166", "169.254.169.254"),
            ("169.254.43518", "169.254.169.254"),
            ("[::1]", "::1"),
            ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
            ("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
        ] {
            assert_eq!(ip_literal(host), Some(ip(want)), "{host}");
        }
        for name in [
            "example.com",
            "localhost",
            "1.2.3.4.5",
            "256.0.0.1",
            "1.2.3.256",
            "4294967296",
            "08.0.0.1",
            "0x1g",
            "1..2",
            "",
            ".",
            "127.0.0.1x",
            "1e3",
        ] {
            assert_eq!(ip_literal(name), None, "{name}");
        }
        // The last part fills what is left: up to 16 bits after two parts.
        assert_eq!(ip_literal("1.2.65535"), Some(ip("1.2.255.255")));
        assert_eq!(ip_literal("1.2.65536"), None);
    }

    #[test]
    fn localhost_names_are_loopback_before_any_resolution() {
        let p = policy(&[]);
        for host in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "app.localhost",
            "a.b.localhost.",
        ] {
            let refused = p.check_target(host, 8080).unwrap_err();
            assert_eq!(refused.why, Why::Reserved(Reserved::Loopback), "{host}");
        }
        for host in ["localhost.example", "notlocalhost", "example.com"] {
            assert!(p.check_target(host, 8080).is_ok(), "{host}");
        }
    }

    #[test]
    fn literals_are_refused_before_resolution_and_names_after() {
        let p = policy(&[]);
        for host in [
            "127.0.0.1",
            "127.1",
            "2130706433",
            "0x7f.1",
            "[::1]",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "169.254.169.254",
            "[fe80::1]",
        ] {
            assert!(p.check_target(host, 80).is_err(), "{host}");
        }
        assert!(p.check_target("93.184.216.34", 80).is_ok());
        // A name passes the first check and is judged by what it resolves to.
        assert!(p.check_target("rebind.example", 80).is_ok());
        let refused = p
            .check_resolved("rebind.example", "127.0.0.1:80".parse().unwrap())
            .unwrap_err();
        assert_eq!(refused.target, "rebind.example:80");
        assert!(refused.to_string().contains("127.0.0.1"), "{refused}");
        assert!(
            p.check_resolved(
                "rebind.example",
                "[::ffff:169.254.169.254]:80".parse().unwrap()
            )
            .is_err()
        );
        assert!(
            p.check_resolved("www.example", "93.184.216.34:443".parse().unwrap())
                .is_ok()
        );
    }

    #[test]
    fn allow_entries_open_networks_ports_and_names() {
        let p = policy(&[
            "127.0.0.1:8080",
            "10.0.0.0/8",
            "fe80::/10",
            "[::1]:9000",
            "dev.localhost",
            "*.svc.localhost:3000",
            "169.254.169.254",
        ]);
        let ok = |host: &str, port| p.check_target(host, port).is_ok();
        assert!(ok("127.0.0.1", 8080));
        assert!(ok("2130706433", 8080), "any spelling of an allowed address");
        assert!(ok("[::ffff:127.0.0.1]", 8080));
        assert!(!ok("127.0.0.1", 8081));
        assert!(!ok("127.0.0.2", 8080));
        assert!(ok("localhost", 8080), "localhost is 127.0.0.1 too");
        assert!(ok("[::1]", 9000));
        assert!(!ok("[::1]", 9001));
        assert!(ok("[fe80::1]", 1));
        assert!(ok("169.254.169.254", 80));
        assert!(!ok("169.254.170.2", 80));
        assert!(ok("dev.localhost", 1234));
        assert!(!ok("other.localhost", 1234));
        assert!(ok("a.svc.localhost", 3000));
        assert!(!ok("a.svc.localhost", 3001));
        assert!(!ok("svc.localhost", 3000), "`*.` is for names under it");
        // Names match names only, not the addresses they resolve to.
        let resolved = |host: &str, addr: &str| p.check_resolved(host, addr.parse().unwrap());
        assert!(resolved("dev.localhost", "[::1]:5000").is_ok());
        assert!(resolved("evil.example", "[::1]:5000").is_err());
        assert!(resolved("evil.example", "127.0.0.1:8080").is_ok());
    }

    #[test]
    fn own_listeners_open_only_for_an_entry_naming_their_port() {
        let own = OwnListeners::default();
        own.set(vec![
            ("repos", "127.0.0.1:9000".parse().unwrap()),
            ("metrics", "127.0.0.1:9100".parse().unwrap()),
            ("proxy", "[::1]:3128".parse().unwrap()),
        ]);
        let allow = ["127.0.0.0/8", "::1", "127.0.0.1:9100"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let p = DestinationPolicy::new(allow, own.clone());
        let why = |host: &str, port| p.check_target(host, port).err().map(|r| r.why);
        assert_eq!(why("127.0.0.1", 9000), Some(Why::OwnListener("repos")));
        assert_eq!(why("localhost", 9000), Some(Why::OwnListener("repos")));
        assert_eq!(why("0.0.0.0", 9000), Some(Why::OwnListener("repos")));
        assert_eq!(
            why("[::ffff:127.0.0.1]", 9000),
            Some(Why::OwnListener("repos"))
        );
        assert_eq!(why("[::1]", 3128), Some(Why::OwnListener("proxy")));
        assert_eq!(why("127.0.0.1", 9100), None, "named by its port");
        assert_eq!(why("127.0.0.1", 9001), None, "loopback is allowed");
        // Without any allow entry an own listener is refused as loopback first.
        let strict = DestinationPolicy::new(Vec::new(), own.clone());
        assert!(strict.check_target("127.0.0.1", 9100).is_err());

        // A wildcard listener is reached through any local address.
        own.set(vec![("repos", "0.0.0.0:9000".parse().unwrap())]);
        assert_eq!(why("127.0.0.1", 9000), Some(Why::OwnListener("repos")));
        assert_eq!(why("127.0.0.1", 9100), None);
    }

    #[test]
    fn allow_entries_parse_and_print_back() {
        for (raw, shown) in [
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("::1", "::1"),
            ("[::1]", "::1"),
            ("[::1]:8080", "[::1]:8080"),
            ("[fd00::/8]:443", "[fd00::/8]:443"),
            ("fe80::/10", "fe80::/10"),
            ("LocalHost.", "localhost"),
            ("localhost:3000", "localhost:3000"),
            ("*.Dev.Example", "*.dev.example"),
            (" my_host-1 ", "my_host-1"),
        ] {
            let allow: Allow = raw.parse().unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(allow.to_string(), shown, "{raw}");
        }
        for (raw, says) in [
            ("127.0.0.1:0", "not a port"),
            ("127.0.0.1:99999", "not a port"),
            ("localhost:http", "not a port"),
            ("10.0.0.0/33", "prefix length"),
            ("::/129", "prefix length"),
            ("nope/8", "not an IP address"),
            ("127.1", "dotted-quad"),
            ("2130706433", "dotted-quad"),
            ("[::1", "`]`"),
            ("[::1]x", "after `]`"),
            ("", "not a host name"),
            ("*.", "not a host name"),
            ("a..b", "not a host name"),
            ("http://x", "not a port"),
            ("ex ample", "not a host name"),
        ] {
            let err = raw.parse::<Allow>().unwrap_err();
            assert!(err.contains(says), "{raw}: {err}");
        }
    }

    #[test]
    fn refusals_say_what_and_how_to_allow() {
        let p = policy(&[]);
        let r = p.check_target("2130706433", 8080).unwrap_err();
        assert_eq!(r.target, "2130706433:8080");
        assert!(r.to_string().contains("loopback"), "{r}");
        assert!(r.hint().contains("allow_destinations"), "{}", r.hint());
        let r = p.check_target("::1", 8080).unwrap_err();
        assert_eq!(r.target, "[::1]:8080");
        assert!(r.hint().contains("\"[::1]:8080\""), "{}", r.hint());
    }
}
