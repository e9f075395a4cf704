//! The forward proxy end to end: plain HTTP, CONNECT passthrough, TLS
//! interception (origin verified against `upstream_ca`), the CA page, chaining
//! through a corporate-style CONNECT proxy, and `ca export` through the binary.
//! (curl and pip through the intercepting proxy are in the interop tier:
//! `tests/interop/test_forward.py`.)

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use awsproxy::net::destination::OwnListeners;
use awsproxy::net::{self, ClientSettings, DestinationPolicy, UpstreamClient};
use awsproxy::services::forward::{ForwardProxy, ForwardSettings, PassThrough};
use awsproxy::tls::CertificateAuthority;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tokio::sync::oneshot;

use crate::support::TestContext;
use crate::support::tls_origin::{ConnectProxy, Origin, TestCa, pem_certs};

/// A running proxy; dropping it stops it.
struct Proxy {
    addr: SocketAddr,
    ca: Arc<CertificateAuthority>,
    ca_file: PathBuf,
    _data: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

struct Setup {
    intercept: bool,
    passthrough_hosts: Vec<String>,
    upstream_ca: Vec<PathBuf>,
    upstream_proxy: Option<String>,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            intercept: true,
            passthrough_hosts: Vec::new(),
            upstream_ca: Vec::new(),
            upstream_proxy: None,
        }
    }
}

/// The origins of these tests are on loopback, which the proxy refuses to
/// clients unless allowed (`[proxy] allow_destinations`).
fn loopback_allowed() -> DestinationPolicy {
    let allow = ["127.0.0.0/8", "::1"]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    DestinationPolicy::new(allow, OwnListeners::default())
}

impl Proxy {
    async fn start(setup: Setup) -> Self {
        let data = tempfile::tempdir().unwrap();
        let ca = Arc::new(CertificateAuthority::load_or_create(data.path()).unwrap());
        let destinations = loopback_allowed();
        let client = UpstreamClient::new(&ClientSettings {
            upstream_proxy: setup.upstream_proxy,
            proxy_from_env: false,
            upstream_ca: setup.upstream_ca,
            own_listen: None,
            destinations: Some(destinations.clone()),
        })
        .unwrap();
        let settings = ForwardSettings {
            intercept: setup.intercept,
            passthrough_hosts: setup.passthrough_hosts,
            destinations,
        };
        let forwarder = Arc::new(PassThrough::new(client.clone()));
        let proxy = ForwardProxy::new(settings, Some(ca.clone()), client, forwarder).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(proxy.serve(listener, async move {
            let _ = stopped.await;
        }));
        let ca_file = data.path().join(awsproxy::tls::ca::CERT_FILE);
        Self {
            addr,
            ca,
            ca_file,
            _data: data,
            _stop: stop,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client that uses this proxy and trusts `cas` (plus the usual roots).
    fn client(&self, cas: &[&Path]) -> UpstreamClient {
        UpstreamClient::new(&ClientSettings {
            upstream_proxy: Some(self.url()),
            proxy_from_env: false,
            upstream_ca: cas.iter().map(|p| p.to_path_buf()).collect(),
            own_listen: None,
            destinations: None,
        })
        .unwrap()
    }
}

async fn get(client: &UpstreamClient, url: &str) -> (StatusCode, http::HeaderMap, String) {
    let req = Request::get(url).body(net::empty()).unwrap();
    let response = match client.send(req).await {
        Ok(r) => r,
        Err(e) => panic!("GET {url}: {}", awsproxy::error::chain_text(&e)),
    };
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_forwarded_without_hop_by_hop_headers() {
    let origin = Origin::http().await;
    let proxy = Proxy::start(Setup::default()).await;
    let client = proxy.client(&[]);
    let url = format!("http://127.0.0.1:{}/plain?q=1", origin.port());
    let req = Request::get(&url)
        .header("connection", "x-drop")
        .header("x-drop", "secret")
        .header("proxy-connection", "keep-alive")
        .header("x-keep", "yes")
        .body(net::empty())
        .unwrap();
    let response = client.send(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"hello from origin: /plain");

    let seen = origin.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].uri.path_and_query().unwrap().as_str(), "/plain?q=1");
    assert_eq!(seen[0].headers["x-keep"], "yes");
    assert!(
        seen[0].headers.get("x-drop").is_none(),
        "{:?}",
        seen[0].headers
    );
    assert!(seen[0].headers.get("proxy-connection").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hop_by_hop_response_fields_do_not_reach_the_client() {
    use crate::support::origin::{Origin as Scripted, Reply};
    let origin = Scripted::start();
    origin.set(
        "/h",
        Reply::ok("x")
            .header("connection", "x-secret")
            .header("x-secret", "1")
            .header("x-keep", "yes"),
    );
    let proxy = Proxy::start(Setup::default()).await;
    let client = proxy.client(&[]);
    for method in [http::Method::GET, http::Method::POST] {
        let req = Request::builder()
            .method(method.clone())
            .uri(origin.url("/h"))
            .body(net::empty())
            .unwrap();
        let response = client.send(req).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{method}");
        assert_eq!(response.headers()["x-keep"], "yes", "{method}");
        assert!(
            response.headers().get("x-secret").is_none(),
            "{method}: {:?}",
            response.headers()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_passthrough_tunnels_to_the_origin_untouched() {
    let test_ca = TestCa::new();
    let origin = Origin::https(&test_ca).await;
    let proxy = Proxy::start(Setup {
        passthrough_hosts: vec!["localhost".into()],
        ..Setup::default()
    })
    .await;
    // The client trusts only the origin's CA: this works only if the proxy does
    // not intercept.
    let client = proxy.client(&[&test_ca.pem_path]);
    let (status, _, body) = get(
        &client,
        &format!("https://localhost:{}/tunnel", origin.port()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "hello from origin: /tunnel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interception_serves_a_minted_leaf_and_verifies_the_origin() {
    let test_ca = TestCa::new();
    let origin = Origin::https(&test_ca).await;
    let proxy = Proxy::start(Setup {
        upstream_ca: vec![test_ca.pem_path.clone()],
        ..Setup::default()
    })
    .await;
    // The client trusts only the awsproxy CA (not the origin's).
    let client = proxy.client(&[&proxy.ca_file]);
    for path in ["/one", "/two"] {
        let url = format!("https://localhost:{}{path}", origin.port());
        let (status, _, body) = get(&client, &url).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, format!("hello from origin: {path}"));
    }
    let seen = origin.seen();
    assert_eq!(seen.len(), 2);
    // Keep-alive upstream: both requests went over one pooled connection.
    assert_eq!(
        origin
            .state
            .connections
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interception_of_an_ip_address_without_sni() {
    let test_ca = TestCa::new();
    let origin = Origin::https(&test_ca).await;
    let proxy = Proxy::start(Setup {
        upstream_ca: vec![test_ca.pem_path.clone()],
        ..Setup::default()
    })
    .await;
    let client = proxy.client(&[&proxy.ca_file]);
    // Clients send no SNI for an IP: the leaf follows the CONNECT target.
    let url = format!("https://127.0.0.1:{}/by-ip", origin.port());
    let (status, _, body) = get(&client, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "hello from origin: /by-ip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_inside_a_connect_tunnel_is_forwarded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let origin = Origin::http().await;
    let proxy = Proxy::start(Setup::default()).await;
    let mut stream = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let port = origin.port();
    stream
        .write_all(
            format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 4096 {
        assert_eq!(
            stream.read(&mut byte).await.unwrap(),
            1,
            "proxy closed early"
        );
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    stream
        .write_all(b"GET /in-tunnel HTTP/1.1\r\nhost: origin\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.ends_with("hello from origin: /in-tunnel"),
        "{response}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_origin_gives_a_clear_502() {
    let test_ca = TestCa::new();
    let origin = Origin::https(&test_ca).await;
    // The proxy is not told about the origin's CA.
    let proxy = Proxy::start(Setup::default()).await;
    let client = proxy.client(&[&proxy.ca_file]);
    let (status, headers, body) =
        get(&client, &format!("https://localhost:{}/x", origin.port())).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        headers["proxy-status"],
        "awsproxy; error=tls_certificate_error"
    );
    assert!(body.contains("is not trusted"), "{body}");
    assert!(body.contains("upstream_ca"), "{body}");
    assert!(origin.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ca_is_served_at_awsproxy_ca() {
    let proxy = Proxy::start(Setup::default()).await;
    let client = proxy.client(&[]);
    let (status, headers, body) = get(&client, "http://awsproxy.ca/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/x-pem-file");
    assert_eq!(body, proxy.ca.cert_pem());

    let req = Request::get("http://awsproxy.ca/cert.der")
        .body(net::empty())
        .unwrap();
    let response = client.send(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let der = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&der[..], proxy.ca.cert_der().as_ref());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chains_through_an_upstream_proxy() {
    let test_ca = TestCa::new();
    let origin = Origin::https(&test_ca).await;
    let corporate = ConnectProxy::start().await;
    let proxy = Proxy::start(Setup {
        upstream_ca: vec![test_ca.pem_path.clone()],
        upstream_proxy: Some(corporate.url()),
        ..Setup::default()
    })
    .await;
    let client = proxy.client(&[&proxy.ca_file]);
    let url = format!("https://localhost:{}/chained", origin.port());
    let (status, _, body) = get(&client, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "hello from origin: /chained");
    assert_eq!(
        *corporate.targets.lock().unwrap(),
        [format!("localhost:{}", origin.port())]
    );
    assert_eq!(origin.seen().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_chains_through_an_upstream_proxy_in_absolute_form() {
    let origin = Origin::http().await;
    let corporate = ConnectProxy::start().await;
    let proxy = Proxy::start(Setup {
        upstream_proxy: Some(corporate.url()),
        ..Setup::default()
    })
    .await;
    let client = proxy.client(&[]);
    let (status, _, body) = get(
        &client,
        &format!("http://127.0.0.1:{}/plain-chained", origin.port()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "hello from origin: /plain-chained");
    assert_eq!(
        *corporate.targets.lock().unwrap(),
        [format!("GET 127.0.0.1:{}", origin.port())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_stream_through_interception() {
    let test_ca = TestCa::new();
    let origin = Origin::https(&test_ca).await;
    let proxy = Proxy::start(Setup {
        upstream_ca: vec![test_ca.pem_path.clone()],
        ..Setup::default()
    })
    .await;
    let client = proxy.client(&[&proxy.ca_file]);
    // A body that arrives in many chunks, larger than any single buffer.
    let chunks: Vec<Result<http_body::Frame<bytes::Bytes>, net::BoxError>> = (0..64)
        .map(|_| {
            Ok(http_body::Frame::data(bytes::Bytes::from(vec![
                b'x';
                64 * 1024
            ])))
        })
        .collect();
    let body = http_body_util::StreamBody::new(futures_util::stream::iter(chunks));
    let req = Request::post(format!("https://localhost:{}/upload", origin.port()))
        .body(net::boxed(body))
        .unwrap();
    let response = client.send(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&text[..], b"hello from origin: /upload (4194304 bytes)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_chained_to_itself_detects_the_loop() {
    // Bind first so the proxy can be its own upstream proxy.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ca = Arc::new(CertificateAuthority::load_or_create(data.path()).unwrap());
    let client = UpstreamClient::new(&ClientSettings {
        upstream_proxy: Some(format!("http://{addr}")),
        proxy_from_env: false,
        upstream_ca: Vec::new(),
        own_listen: None,
        destinations: Some(loopback_allowed()),
    })
    .unwrap();
    let settings = ForwardSettings {
        intercept: true,
        passthrough_hosts: Vec::new(),
        destinations: loopback_allowed(),
    };
    let forwarder = Arc::new(PassThrough::new(client.clone()));
    let proxy = ForwardProxy::new(settings, Some(ca), client.clone(), forwarder).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(proxy.serve(listener, async move {
        let _ = stopped.await;
    }));
    let (status, _, body) = get(&client, "http://127.0.0.1:9/loop").await;
    assert_eq!(status, StatusCode::LOOP_DETECTED, "{body}");
    assert!(body.contains("upstream_proxy"), "{body}");

    // Shutdown: `serve` returns once the signal fires.
    stop.send(()).unwrap();
    served.await.unwrap().unwrap();
}

#[test]
fn ca_export_prints_pem_and_writes_der() {
    let ctx = TestContext::new();
    let out = ctx.run(&["ca", "export"]);
    out.assert_code(0);
    let pem_file = ctx.root().join("exported.pem");
    std::fs::write(&pem_file, &out.stdout).unwrap();
    let pem_der = pem_certs(&pem_file).remove(0);

    let der_file = ctx.root().join("ca.der");
    let out = ctx.run(&[
        "ca",
        "export",
        "--format",
        "der",
        "--out",
        der_file.to_str().unwrap(),
    ]);
    out.assert_code(0);
    assert_eq!(std::fs::read(&der_file).unwrap(), pem_der.as_ref());

    // DER to a pipe (not a terminal) is fine.
    ctx.run(&["ca", "export", "--format", "der"]).assert_code(0);

    // The same CA the second time; the key is private.
    let again = ctx.run(&["ca", "export"]);
    assert_eq!(std::fs::read_to_string(&pem_file).unwrap(), again.stdout);
    let key = ctx
        .data_home()
        .join("awsproxy")
        .join(awsproxy::tls::ca::KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn an_https_upstream_proxy_is_a_config_error() {
    let ctx =
        TestContext::new().config("[proxy]\nupstream_proxy = \"https://proxy.example:8443\"\n");
    let out = ctx.run(&["config", "check"]);
    out.assert_code(2);
    assert!(out.stderr.contains("upstream_proxy"), "{}", out.stderr);
    assert!(out.stderr.contains("http://host:port"), "{}", out.stderr);
}
