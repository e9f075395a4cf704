//! A local origin for proxy tests, plain or TLS (certificate for `localhost` and
//! 127.0.0.1 from a throwaway test CA), plus a minimal counting CONNECT proxy to
//! stand in for a corporate proxy. Everything binds 127.0.0.1:0 and runs on the
//! calling test's runtime.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A CA for test origins, its PEM written to a file to hand to `upstream_ca`.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub pem_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "test origin CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pem_path = dir.path().join("test-ca.pem");
        std::fs::write(&pem_path, cert.pem()).unwrap();
        Self {
            issuer: Issuer::new(params, key),
            pem_path,
            _dir: dir,
        }
    }

    /// A leaf for `names` signed by this CA, as `cert.pem` and `key.pem` in `dir`.
    pub fn leaf_files(&self, dir: &Path, names: &[&str]) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        (cert_path, key_path)
    }

    /// A server config with a leaf for `localhost` and `127.0.0.1` signed by this CA.
    pub fn server_config(&self) -> rustls::ServerConfig {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        rustls::ServerConfig::builder_with_provider(awsproxy::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap()
    }
}

/// What the origin saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: http::Method,
    pub uri: http::Uri,
    pub headers: HeaderMap,
}

#[derive(Debug, Default)]
pub struct OriginState {
    pub connections: AtomicUsize,
    pub requests: Mutex<Vec<Seen>>,
}

/// Answers every request with `hello from origin: <path>`.
pub struct Origin {
    pub addr: SocketAddr,
    pub state: Arc<OriginState>,
}

impl Origin {
    pub async fn http() -> Self {
        Self::start(None).await
    }

    pub async fn https(ca: &TestCa) -> Self {
        Self::start(Some(Arc::new(ca.server_config()))).await
    }

    async fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(OriginState::default());
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                st.connections.fetch_add(1, Ordering::SeqCst);
                let st = st.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let st = st.clone();
                        async move {
                            st.requests.lock().unwrap().push(Seen {
                                method: req.method().clone(),
                                uri: req.uri().clone(),
                                headers: req.headers().clone(),
                            });
                            let mut body = format!("hello from origin: {}", req.uri().path());
                            if req.method() == http::Method::POST {
                                let (_, incoming) = req.into_parts();
                                let received = incoming.collect().await.unwrap().to_bytes();
                                body.push_str(&format!(" ({} bytes)", received.len()));
                            }
                            Ok::<_, std::convert::Infallible>(Response::new(Full::new(
                                Bytes::from(body),
                            )))
                        }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    match tls {
                        Some(config) => {
                            let Ok(tls) =
                                tokio_rustls::TlsAcceptor::from(config).accept(stream).await
                            else {
                                return;
                            };
                            let _ = http.serve_connection(TokioIo::new(tls), service).await;
                        }
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                });
            }
        });
        Self { addr, state }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.requests.lock().unwrap().clone()
    }
}

/// A minimal HTTP proxy that records the targets it was asked for: `CONNECT
/// host:port` tunnels, and absolute-form requests (recorded as `GET host:port`,
/// sent on in origin form over a connection to that host).
pub struct ConnectProxy {
    pub addr: SocketAddr,
    pub targets: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = targets.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen.clone();
                tokio::spawn(async move {
                    let _ = tunnel(stream, seen).await;
                });
            }
        });
        Self { addr, targets }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn tunnel(mut client: TcpStream, seen: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // Byte by byte so nothing after the request head is consumed; bounded.
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or_default().to_owned();
    let target = words.next().unwrap_or_default().to_owned();
    let mut upstream;
    if method == "CONNECT" {
        seen.lock().unwrap().push(target.clone());
        upstream = TcpStream::connect(&target).await?;
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
    } else {
        let uri: http::Uri = target.parse().map_err(std::io::Error::other)?;
        let authority = uri.authority().map(|a| a.to_string()).unwrap_or_default();
        seen.lock().unwrap().push(format!("{method} {authority}"));
        upstream = TcpStream::connect(&authority).await?;
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let rest = head.split_once("\r\n").map(|(_, r)| r).unwrap_or_default();
        upstream
            .write_all(format!("{method} {path} HTTP/1.1\r\n{rest}").as_bytes())
            .await?;
    }
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Parses every PEM certificate in a file (panics when there is none).
pub fn pem_certs(path: &Path) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_file_iter(path)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!certs.is_empty(), "no certificate in {}", path.display());
    certs
}
