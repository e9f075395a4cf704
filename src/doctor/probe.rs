//! `doctor --probe URL`: one plain-HTTP `GET` with a timeout, for health
//! checks where the image has no curl (the container image, an ECS task's
//! `healthCheck`). Only `http://` on purpose: the listeners it probes speak
//! plain HTTP on the pod or task's own network.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Why a probe got no status.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("`{0}` is not an http://HOST:PORT/PATH URL")]
    BadUrl(String),
    #[error("cannot resolve {0}")]
    Resolve(String, #[source] std::io::Error),
    #[error("cannot connect to {0}")]
    Connect(SocketAddr, #[source] std::io::Error),
    #[error("no HTTP answer from {0}")]
    Answer(SocketAddr, #[source] std::io::Error),
}

/// `GET url` (`Connection: close`, `Host` as written): the response's
/// status, within `timeout` for the connect and again for the answer.
pub fn get(url: &str, timeout: Duration) -> Result<u16, ProbeError> {
    let bad = || ProbeError::BadUrl(url.to_owned());
    let uri: http::Uri = url.parse().map_err(|_| bad())?;
    if uri.scheme_str() != Some("http") {
        return Err(bad());
    }
    let authority = uri.authority().ok_or_else(bad)?;
    let port = authority.port_u16().unwrap_or(80);
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let unresolved = |e| ProbeError::Resolve(authority.to_string(), e);
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(unresolved)?
        .next()
        .ok_or_else(|| unresolved(std::io::ErrorKind::NotFound.into()))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| ProbeError::Connect(addr, e))?;
    let answer = |e| ProbeError::Answer(addr, e);
    stream.set_read_timeout(Some(timeout)).map_err(answer)?;
    stream.set_write_timeout(Some(timeout)).map_err(answer)?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\nuser-agent: awsproxy-probe\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).map_err(answer)?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.contains(&b'\n') && head.len() < 4096 {
        let n = stream.read(&mut buf).map_err(answer)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    status_of(&head).ok_or_else(|| {
        answer(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not an HTTP status line",
        ))
    })
}

/// The status code of `HTTP/1.x NNN ...`.
fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_whitespace();
    words.next().filter(|v| v.starts_with("HTTP/1."))?;
    words
        .next()?
        .parse()
        .ok()
        .filter(|s| (100..600).contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_line_and_refuses_what_it_cannot_probe() {
        assert_eq!(
            status_of(b"HTTP/1.1 200 OK\r\nserver: awsproxy\r\n"),
            Some(200)
        );
        assert_eq!(
            status_of(b"HTTP/1.1 503 Service Unavailable\r\n"),
            Some(503)
        );
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_of(b""), None);
        let t = Duration::from_millis(200);
        for bad in [
            "https://127.0.0.1:9464/livez",
            "127.0.0.1:9464",
            "not a url",
        ] {
            assert!(matches!(get(bad, t), Err(ProbeError::BadUrl(_))), "{bad}");
        }
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap();
        drop(free);
        assert!(matches!(
            get(&format!("http://{addr}/livez"), t),
            Err(ProbeError::Connect(..))
        ));
    }
}
