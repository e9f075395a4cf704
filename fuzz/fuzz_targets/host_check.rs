//! A `Host` value the loopback-only policy allows names loopback: an IPv4
//! loopback literal, `[::1]` (or a mapped 127.x), `localhost` or a name under
//! it, with at most a port and one trailing dot; never userinfo or anything a
//! browser would read as another host.
#![no_main]

use std::net::{IpAddr, Ipv6Addr};

use awsproxy_fuzz::daemon::host::{HostPolicy, Verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let policy = HostPolicy::new("[repos]", ([127, 0, 0, 1], 9000).into(), &[]);
    if policy.check(data) != Verdict::Allowed {
        return;
    }
    let text = std::str::from_utf8(data).expect("allowed values are UTF-8");
    assert!(text.is_ascii() && !text.contains('@'), "{text:?}");
    let host = match text.strip_prefix('[') {
        Some(rest) => {
            let (inside, port) = rest.split_once(']').expect("closing bracket");
            assert!(port.is_empty() || port.starts_with(':'), "{text:?}");
            let ip: Ipv6Addr = inside.parse().expect("an IPv6 literal");
            assert!(IpAddr::V6(ip).to_canonical().is_loopback(), "{text:?}");
            return;
        }
        None => text.split(':').next().unwrap_or_default(),
    };
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let loopback = host
        .parse::<std::net::Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback());
    assert!(
        loopback || host == "localhost" || host.ends_with(".localhost"),
        "{text:?} was allowed"
    );
});
