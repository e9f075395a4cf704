//! Cache-hit throughput of awsproxy's cache core next to nginx `proxy_cache`,
//! against one local origin, in one run (a benchmark, never a test).
//!
//! ```sh
//! cargo bench --bench cache_hit            # or scripts/bench-cache
//! BENCH_SECONDS=10 BENCH_CLIENTS=16 cargo bench --bench cache_hit
//! ```
//!
//! awsproxy here is `HttpCache` with the disk store behind a minimal axum
//! reverse proxy (the shape every awsproxy service has). nginx runs when an
//! `nginx` binary is on `PATH`, with `proxy_cache` on a temp dir. Both are warmed,
//! then `BENCH_CLIENTS` keep-alive clients fetch a small (1 KiB) and a large
//! (16 MiB) object for `BENCH_SECONDS` each; the table shows requests/s, MiB/s and
//! the awsproxy/nginx ratio.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::{Body, BoxFuture, CacheSettings, Fetch, FetchError, HttpCache};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

const SMALL: usize = 1024;
const LARGE: usize = 16 << 20;

#[derive(Debug, Clone)]
struct Upstream(Client<HttpConnector, Empty<Bytes>>);

impl Fetch for Upstream {
    fn fetch(
        &self,
        req: http::Request<()>,
    ) -> BoxFuture<'static, Result<http::Response<Body>, FetchError>> {
        let client = self.0.clone();
        Box::pin(async move {
            let resp = client
                .request(req.map(|()| Empty::new()))
                .await
                .map_err(|e| FetchError::new("origin", e))?;
            Ok(resp.map(awsproxy::cache::into_body))
        })
    }
}

fn client() -> Client<HttpConnector, Empty<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Without TCP_NODELAY, Nagle's algorithm delays small streamed responses.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn origin() -> SocketAddr {
    let small = Bytes::from(vec![b's'; SMALL]);
    let large = Bytes::from(vec![b'l'; LARGE]);
    let reply = |body: Bytes| {
        move || {
            let body = body.clone();
            async move { ([("cache-control", "public, max-age=3600")], body) }
        }
    };
    serve(
        axum::Router::new()
            .route("/small", axum::routing::get(reply(small)))
            .route("/large", axum::routing::get(reply(large))),
    )
    .await
}

async fn awsproxy_front(origin: SocketAddr, dir: &std::path::Path) -> SocketAddr {
    let store = Arc::new(DiskStore::open(dir, 4 << 30).unwrap());
    let cache = HttpCache::new(store, CacheSettings::default());
    let upstream: Arc<dyn Fetch> = Arc::new(Upstream(client()));
    let handler = move |req: axum::extract::Request| {
        let cache = cache.clone();
        let upstream = upstream.clone();
        async move {
            let uri = format!("http://{origin}{}", req.uri().path());
            let req = http::Request::get(uri).body(()).unwrap();
            let opts = cache.options_for(&req);
            cache
                .handle(req, opts, upstream)
                .await
                .map(axum::body::Body::new)
        }
    };
    serve(axum::Router::new().fallback(handler)).await
}

/// Starts nginx with `proxy_cache` in front of `origin`, if nginx is installed.
fn nginx_front(
    origin: SocketAddr,
    dir: &std::path::Path,
) -> Option<(SocketAddr, std::process::Child)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let d = dir.display();
    let conf = format!(
        "daemon off; worker_processes 2; pid {d}/nginx.pid; error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  proxy_cache_path {d}/cache levels=1:2 keys_zone=bench:10m max_size=4g;
  upstream origin {{ server {origin}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{ proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection \"\";
                 proxy_cache bench; proxy_cache_valid 200 1h; }}
  }}
}}
"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).ok()?;
    let child = std::process::Command::new("nginx")
        .args(["-p", &d.to_string(), "-c", &path.display().to_string()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Some((addr, child));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Requests/s and bytes/s of `clients` keep-alive clients fetching `url` for `secs`.
async fn load(url: String, clients: usize, secs: u64) -> (f64, f64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let c = client();
                let (mut n, mut bytes) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let resp = c.get(url.parse().unwrap()).await.unwrap();
                    assert_eq!(resp.status(), 200);
                    bytes += resp.into_body().collect().await.unwrap().to_bytes().len() as u64;
                    n += 1;
                }
                (n, bytes)
            })
        })
        .collect();
    let (mut n, mut bytes) = (0u64, 0u64);
    for t in tasks {
        let (a, b) = t.await.unwrap();
        n += a;
        bytes += b;
    }
    let elapsed = start.elapsed().as_secs_f64();
    (
        n as f64 / elapsed,
        bytes as f64 / elapsed / f64::from(1u32 << 20),
    )
}

async fn warm(base: &str) {
    let c = client();
    for path in ["/small", "/large"] {
        for _ in 0..2 {
            let resp = c
                .get(format!("{base}{path}").parse().unwrap())
                .await
                .unwrap();
            resp.into_body().collect().await.unwrap();
        }
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let secs = env_num("BENCH_SECONDS", 3);
    let clients = usize::try_from(env_num("BENCH_CLIENTS", 8)).unwrap_or(8);
    let dir = tempfile::tempdir().unwrap();
    let origin = origin().await;
    let ours = format!(
        "http://{}",
        awsproxy_front(origin, &dir.path().join("awsproxy")).await
    );
    std::fs::create_dir_all(dir.path().join("nginx")).unwrap();
    let nginx = nginx_front(origin, &dir.path().join("nginx"));
    let theirs = nginx.as_ref().map(|(addr, _)| format!("http://{addr}"));
    if theirs.is_none() {
        eprintln!(
            "nginx not found on PATH: measuring awsproxy only (apt-get install nginx to compare)"
        );
    }
    warm(&ours).await;
    if let Some(t) = &theirs {
        warm(t).await;
    }
    println!("cache hits, {clients} clients, {secs}s per row");
    println!(
        "{:<8} {:>14} {:>12} {:>14} {:>12} {:>8}",
        "object", "awsproxy req/s", "MiB/s", "nginx req/s", "MiB/s", "ratio"
    );
    for (name, path) in [("1 KiB", "/small"), ("16 MiB", "/large")] {
        let (rps, mibs) = load(format!("{ours}{path}"), clients, secs).await;
        let (nrps, nmibs, ratio) = match &theirs {
            Some(t) => {
                let (r, m) = load(format!("{t}{path}"), clients, secs).await;
                (
                    format!("{r:.0}"),
                    format!("{m:.1}"),
                    format!("{:.2}", rps / r),
                )
            }
            None => ("-".into(), "-".into(), "-".into()),
        };
        println!("{name:<8} {rps:>14.0} {mibs:>12.1} {nrps:>14} {nmibs:>12} {ratio:>8}");
    }
    if let Some((_, mut child)) = nginx {
        let _ = child.kill();
        let _ = child.wait();
    }
}
