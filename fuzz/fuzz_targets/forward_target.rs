//! Any request target and `Host` (plain, or inside a tunnel opened with any
//! CONNECT authority) is either refused or aimed at one target: the URI sent
//! upstream (which keys the cache) and the single `Host` field both carry the
//! target's authority, and in a tunnel that is the CONNECT target's.
//!
//! Input: three lines, `CONNECT authority` (empty: a plain request), request
//! target, `Host` value.
#![no_main]

use awsproxy_fuzz::forward::target::{Target, absolute_target, aim, connect_target};
use http::header::HOST;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(3, '\n');
    let (Some(connect), Some(request_target), Some(host)) =
        (lines.next(), lines.next(), lines.next())
    else {
        return;
    };
    let Ok(uri) = request_target.parse::<http::Uri>() else {
        return;
    };
    let target = if connect.is_empty() {
        match absolute_target(&uri) {
            Some(target) => target,
            None => return,
        }
    } else {
        let Ok(authority) = connect.parse::<http::Uri>() else {
            return;
        };
        let Some((host, port)) = connect_target(&authority) else {
            return;
        };
        Target {
            scheme: http::uri::Scheme::HTTPS,
            host,
            port,
            intercepted: true,
        }
    };
    let Ok(request) = http::Request::get(uri).header(HOST, host).body(()) else {
        return;
    };
    let (mut parts, ()) = request.into_parts();
    if aim(&mut parts, &target).is_err() {
        return;
    }
    let expected = target.authority();
    let hosts: Vec<_> = parts.headers.get_all(HOST).iter().collect();
    assert_eq!(hosts.len(), 1, "{hosts:?}");
    assert_eq!(hosts[0].as_bytes(), expected.as_bytes());
    let authority = parts.uri.authority().expect("an absolute URI");
    assert_eq!(authority.as_str(), expected);
    assert!(!authority.as_str().contains('@'), "{authority}");
    assert_eq!(parts.uri.scheme(), Some(&target.scheme));
    // What the cache keys on is the same authority, reparsed.
    let reparsed: http::Uri = parts.uri.to_string().parse().expect("the URI reparses");
    assert_eq!(
        reparsed.authority().map(|a| a.as_str()),
        Some(expected.as_str())
    );
});
