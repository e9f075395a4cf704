//! Attacks by any local process on every listener of `awsproxy serve`: holding
//! connections open without finishing a request (slowloris), idling tunnels,
//! and opening sockets until the process runs out of file descriptors.
//!
//! | test | attack | secure outcome |
//! |---|---|---|
//! | `half_sent_requests_and_silent_tunnels_are_closed_on_every_listener` | half-sent headers, silent or idle connections, a stalled TLS handshake in a tunnel, an idle passthrough tunnel | each is closed within `[server] header_timeout` / `tunnel_idle_timeout` |
//! | `one_listeners_idle_connections_cannot_starve_the_others` | hundreds of idle connections to the forward proxy under `ulimit -n 128` | the status listener still answers; the proxy answers once they close |
//! | `serve_raises_its_open_file_limit_to_the_hard_limit` | (a low soft limit inherited from a shell or unit) | the soft limit becomes the hard limit |
//! | `running_out_of_descriptors_backs_off_and_recovers` | more connections than the hard limit allows | `accept` backs off (little CPU, a log line at most every second) and service resumes |
//!
//! Exchanges are raw HTTP/1.1 over blocking sockets, so the test decides exactly
//! which bytes the listener sees and when it stops sending.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::TestContext;
use crate::support::daemon::Daemon;

/// How long a test waits for the server to close a connection before it
/// counts the connection as held open. A generous upper bound, far above the
/// one-second timeouts the tests configure.
const CLOSE_BOUND: Duration = Duration::from_secs(20);

/// `awsproxy serve` of `ctx`, under `prlimit --nofile=LIMITS` when given.
fn spawn(ctx: &TestContext, nofile: Option<&str>) -> Daemon {
    let base = ctx.command();
    let Some(limits) = nofile else {
        let mut cmd = base;
        cmd.arg("serve");
        return Daemon::spawn(cmd);
    };
    // prlimit sets the limits on itself and then execs awsproxy: same pid.
    let mut cmd = Command::new("prlimit");
    cmd.env_clear();
    for (key, value) in base.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    cmd.arg(format!("--nofile={limits}"))
        .arg(base.get_program())
        .arg("serve")
        .stdin(Stdio::null());
    Daemon::spawn(cmd)
}

/// `host:port` at the end of the startup line labelled `label`.
fn addr_of(daemon: &mut Daemon, label: &str) -> SocketAddr {
    daemon
        .url_of(label)
        .trim_start_matches("http://")
        .parse()
        .expect("a socket address")
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(CLOSE_BOUND)).unwrap();
    stream
}

/// Reads until the server closes the connection; `Err` if it is still open
/// after [`CLOSE_BOUND`]. Returns what the server sent before closing.
fn wait_closed(stream: &mut TcpStream) -> Result<String, String> {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(String::from_utf8_lossy(&seen).into_owned()),
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!(
                    "still open after {:?}; got {:?}",
                    started.elapsed(),
                    String::from_utf8_lossy(&seen)
                ));
            }
            // A reset is the server closing too.
            Err(_) => return Ok(String::from_utf8_lossy(&seen).into_owned()),
        }
    }
}

/// Reads one response head (up to the blank line) byte by byte, leaving what
/// follows (a tunnel's bytes, the next response) unread.
fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert!(head.len() < 64 * 1024, "response head too long");
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!(
                "connection ended inside a response head ({other:?}): {:?}",
                String::from_utf8_lossy(&head)
            ),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Sends one complete request and returns the response head; the connection
/// stays open (keep-alive) unless `close`.
fn request(stream: &mut TcpStream, line: &str, close: bool) -> String {
    let connection = if close { "connection: close\r\n" } else { "" };
    write!(
        stream,
        "{line} HTTP/1.1\r\nhost: localhost\r\n{connection}\r\n"
    )
    .unwrap();
    read_head(stream)
}

/// Opens `CONNECT target` on the proxy and returns the open tunnel.
fn tunnel(proxy: SocketAddr, target: &str) -> TcpStream {
    let mut stream = connect(proxy);
    write!(
        stream,
        "CONNECT {target} HTTP/1.1\r\nhost: {target}\r\n\r\n"
    )
    .unwrap();
    let head = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 200"), "CONNECT {target}: {head}");
    stream
}

/// A TCP echo server on 127.0.0.1, one thread per connection; lives as long
/// as the test process (the test only needs it for a few seconds).
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 || stream.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

const HALF_SENT: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-a:";

#[test]
fn half_sent_requests_and_silent_tunnels_are_closed_on_every_listener() {
    let ctx = TestContext::new().config(
        "[server]\nheader_timeout = \"1s\"\ntunnel_idle_timeout = \"1s\"\n\
         [metrics]\nlisten = \"127.0.0.1:0\"\n\
         [creds]\nlisten = \"127.0.0.1:0\"\n\
         [proxy]\nlisten = \"127.0.0.1:0\"\npassthrough_hosts = [\"127.0.0.1\"]\n\
         allow_destinations = [\"127.0.0.1\"]\n\
         [repos]\nlisten = \"127.0.0.1:0\"\n",
    );
    let mut daemon = spawn(&ctx, None);
    let metrics = addr_of(&mut daemon, "status page");
    let creds = addr_of(&mut daemon, "ECS credentials endpoint");
    let proxy = addr_of(&mut daemon, "forward proxy");
    let repos = addr_of(&mut daemon, "repository listener");
    let echo = echo_server();

    // Every attack at once, each on its own connection and thread.
    type Attack = Box<dyn FnOnce() -> TcpStream + Send>;
    let mut attacks: Vec<(String, Attack)> = Vec::new();
    for (name, addr) in [
        ("metrics", metrics),
        ("creds", creds),
        ("proxy", proxy),
        ("repos", repos),
    ] {
        attacks.push((
            format!("{name}: half-sent headers"),
            Box::new(move || {
                let mut s = connect(addr);
                s.write_all(HALF_SENT).unwrap();
                s
            }),
        ));
        attacks.push((
            format!("{name}: a connection that never sends"),
            Box::new(move || connect(addr)),
        ));
    }
    attacks.push((
        "metrics: an idle keep-alive connection".into(),
        Box::new(move || {
            let mut s = connect(metrics);
            let head = request(&mut s, "GET /healthz", false);
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            s
        }),
    ));
    attacks.push((
        "proxy: an intercepted tunnel whose client never starts TLS".into(),
        Box::new(move || tunnel(proxy, "example.invalid:443")),
    ));
    attacks.push((
        "proxy: an intercepted tunnel whose TLS handshake stalls".into(),
        Box::new(move || {
            let mut s = tunnel(proxy, "example.invalid:443");
            // The start of a TLS record header, then silence.
            s.write_all(&[0x16, 0x03, 0x01]).unwrap();
            s
        }),
    ));
    attacks.push((
        "proxy: half-sent headers inside an intercepted tunnel".into(),
        Box::new(move || {
            let mut s = tunnel(proxy, "example.invalid:80");
            s.write_all(HALF_SENT).unwrap();
            s
        }),
    ));
    attacks.push((
        "proxy: an idle passthrough tunnel".into(),
        Box::new(move || {
            let mut s = tunnel(proxy, &echo.to_string());
            // Normal use first: bytes pass both ways.
            s.write_all(b"ping").unwrap();
            let mut back = [0u8; 4];
            s.read_exact(&mut back).unwrap();
            assert_eq!(&back, b"ping");
            s
        }),
    ));

    let runs: Vec<_> = attacks
        .into_iter()
        .map(|(name, attack)| {
            std::thread::spawn(move || {
                let mut stream = attack();
                (name, wait_closed(&mut stream))
            })
        })
        .collect();
    let mut held = Vec::new();
    for run in runs {
        let (name, outcome) = run.join().expect("attack thread");
        if let Err(why) = outcome {
            held.push(format!("{name}: {why}"));
        }
    }
    assert!(
        held.is_empty(),
        "connections held open:\n{}",
        held.join("\n")
    );

    // Normal use still works on every listener.
    for (name, addr) in [("metrics", metrics), ("creds", creds), ("repos", repos)] {
        let head = request(&mut connect(addr), "GET /", true);
        assert!(head.starts_with("HTTP/1.1 "), "{name}: {head}");
    }
    let head = request(&mut connect(proxy), "GET http://awsproxy.ca/", true);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

/// The number of connections opened to one listener in the starvation tests:
/// more than the 128 descriptors `serve` is given.
const FLOOD: usize = 150;

/// Opens up to `n` connections to `addr` and keeps them open, sending nothing.
/// Connections the server leaves in its backlog count too; ones the kernel
/// refuses or that time out are skipped.
fn flood(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok())
        .collect()
}

/// `GET path` with `connection: close` on a fresh connection; the response head.
fn get(addr: SocketAddr, line: &str) -> Result<String, String> {
    let mut s = TcpStream::connect_timeout(&addr, CLOSE_BOUND).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(CLOSE_BOUND)).unwrap();
    write!(
        s,
        "{line} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    match text.split("\r\n\r\n").next() {
        Some(head) if head.starts_with("HTTP/1.1 ") => Ok(head.to_owned()),
        _ => Err(format!("no response: {text:?}")),
    }
}

const TWO_LISTENERS: &str = "[metrics]\nlisten = \"127.0.0.1:0\"\n\
     [proxy]\nlisten = \"127.0.0.1:0\"\n";

#[test]
fn one_listeners_idle_connections_cannot_starve_the_others() {
    let ctx = TestContext::new().config(TWO_LISTENERS);
    // As the issue found it: a shell or unit whose limit is 128, hard and soft.
    let mut daemon = spawn(&ctx, Some("128:128"));
    let metrics = addr_of(&mut daemon, "status page");
    let proxy = addr_of(&mut daemon, "forward proxy");

    let idle = flood(proxy, FLOOD);
    assert!(idle.len() > 128, "opened only {} connections", idle.len());
    let head = get(metrics, "GET /healthz");
    assert!(
        head.as_ref().is_ok_and(|h| h.starts_with("HTTP/1.1 200")),
        "the status listener is starved: {head:?}\n{}",
        daemon.log()
    );

    drop(idle);
    let head = get(proxy, "GET http://awsproxy.ca/").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

/// (soft, hard) `Max open files` of a process, from `/proc/PID/limits`.
fn nofile_limits(pid: u32) -> (String, String) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a Max open files line");
    let mut fields = line["Max open files".len()..].split_whitespace();
    (
        fields.next().unwrap().to_owned(),
        fields.next().unwrap().to_owned(),
    )
}

#[test]
fn serve_raises_its_open_file_limit_to_the_hard_limit() {
    let ctx = TestContext::new().config(TWO_LISTENERS);
    let mut daemon = spawn(&ctx, Some("128:4096"));
    let metrics = addr_of(&mut daemon, "status page");
    let head = get(metrics, "GET /healthz").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(
        nofile_limits(daemon.pid()),
        ("4096".to_owned(), "4096".to_owned())
    );
}

/// User plus system CPU time of a process, in clock ticks (`/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn running_out_of_descriptors_backs_off_and_recovers() {
    // A cap above what the hard limit allows, so accept does hit EMFILE.
    let ctx = TestContext::new().config(&format!(
        "[server]\nmax_connections = 1000\n{TWO_LISTENERS}"
    ));
    let mut daemon = spawn(&ctx, Some("128:128"));
    let metrics = addr_of(&mut daemon, "status page");
    let proxy = addr_of(&mut daemon, "forward proxy");

    let idle = flood(proxy, FLOOD);
    daemon.wait_for("accept");
    let lines_before = daemon
        .log()
        .lines()
        .filter(|l| l.contains("accept"))
        .count();
    let ticks_before = cpu_ticks(daemon.pid());
    let window = Duration::from_secs(3);
    std::thread::sleep(window);
    let ticks = cpu_ticks(daemon.pid()) - ticks_before;
    let lines = daemon
        .log()
        .lines()
        .filter(|l| l.contains("accept"))
        .count()
        - lines_before;
    // A hot accept loop burns a whole core (100 ticks a second); backing off, a
    // few ticks. Half a core is a generous bound.
    assert!(
        ticks < 150,
        "{ticks} ticks of CPU in {window:?} out of descriptors"
    );
    // At most one line a second from each of the two listeners, and one more
    // each for a window that starts mid-second.
    assert!(
        lines <= 2 * (window.as_secs() as usize + 1),
        "{lines} accept-failure lines in {window:?}:\n{}",
        daemon.log()
    );

    drop(idle);
    let head = get(proxy, "GET http://awsproxy.ca/").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let head = get(metrics, "GET /healthz").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}
