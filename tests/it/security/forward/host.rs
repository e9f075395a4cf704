//! Cache poisoning through a `Host` that names another site than the request
//! target. The origin serves two virtual hosts on one port (`127.0.0.1` and
//! `localhost`); an attacker asks for one site's URL with the other's `Host`.
//! The proxy must send the target's authority as `Host` (RFC 9112 3.2.2), so
//! what it stores under a URL is that URL's answer.

use super::{Raw, VhostOrigin, read_response, send, serve, tunnel, write_request};

/// The origin's two sites are on loopback, which proxy clients may reach only
/// when allowed (`localhost` resolves to 127.0.0.1 too).
const LOOPBACK_ORIGINS: &str = "allow_destinations = [\"127.0.0.1\"]";

fn assert_site(raw: &Raw, site: &str) {
    assert_eq!(raw.status, 200, "{raw:?}");
    assert_eq!(raw.body, format!("site {site}"), "{raw:?}");
}

#[test]
fn a_mismatched_host_in_a_plain_request_cannot_poison_another_sites_entry() {
    let origin = VhostOrigin::start();
    let served = serve(LOOPBACK_ORIGINS, "");
    let port = origin.port();
    let ip = format!("127.0.0.1:{port}");
    let name = format!("localhost:{port}");

    // The attacker asks for 127.0.0.1's URL, naming localhost in Host (and the
    // reverse for a second path).
    let attack = send(
        &served.proxy,
        &format!("GET http://{ip}/x"),
        &[&format!("host: {name}")],
    );
    assert_eq!(
        origin.hosts(),
        std::slice::from_ref(&ip),
        "the origin must see the target"
    );
    assert_site(&attack, "127.0.0.1");
    let attack = send(
        &served.proxy,
        &format!("GET http://{name}/y"),
        &[&format!("host: {ip}"), &format!("host: {ip}")],
    );
    assert_eq!(origin.hosts().last(), Some(&name));
    assert_site(&attack, "localhost");

    // Victims asking for each URL get that site, from the cache.
    for (url, site) in [
        (format!("http://{name}/x"), "localhost"),
        (format!("http://{ip}/y"), "127.0.0.1"),
        (format!("http://{ip}/x"), "127.0.0.1"),
        (format!("http://{name}/y"), "localhost"),
    ] {
        let host = url.trim_start_matches("http://").split('/').next().unwrap();
        let victim = send(
            &served.proxy,
            &format!("GET {url}"),
            &[&format!("host: {host}")],
        );
        assert_site(&victim, site);
    }
    // Normal use still caches: the last two were hits of the attacker's fills.
    let again = send(
        &served.proxy,
        &format!("GET http://{ip}/x"),
        &[&format!("host: {ip}")],
    );
    assert_site(&again, "127.0.0.1");
    assert!(
        again
            .header("cache-status")
            .is_some_and(|s| s.contains("hit")),
        "{again:?}"
    );
}

#[test]
fn a_mismatched_host_inside_an_intercepted_tunnel_cannot_poison_another_sites_entry() {
    let origin = VhostOrigin::start();
    let served = serve(LOOPBACK_ORIGINS, "");
    let port = origin.port();
    let ip = format!("127.0.0.1:{port}");
    let name = format!("localhost:{port}");

    // Inside a tunnel to localhost: an origin-form request naming 127.0.0.1 in
    // Host, then an absolute-form one naming 127.0.0.1 in the request target.
    for (request_line, path) in [
        ("GET /t".to_owned(), "/t"),
        (format!("GET http://{ip}/u"), "/u"),
    ] {
        let mut tunnel = tunnel(&served.proxy, &name).expect("the tunnel opens");
        write_request(&mut tunnel, &request_line, &[&format!("host: {ip}")]);
        let inside = read_response(&mut tunnel);
        assert_eq!(
            origin.hosts().last(),
            Some(&name),
            "{path}: the origin must see the CONNECT target"
        );
        assert_site(&inside, "localhost");

        // A plain client asking for 127.0.0.1's URL gets 127.0.0.1's site.
        let victim = send(
            &served.proxy,
            &format!("GET http://{ip}{path}"),
            &[&format!("host: {ip}")],
        );
        assert_site(&victim, "127.0.0.1");
    }
}
