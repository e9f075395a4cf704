//! The individual checks. Each returns [`Finding`]s and never panics or blocks
//! for longer than [`super::CHECK_TIMEOUT`].

use std::net::SocketAddr;

use super::{Context, Finding};
use crate::agent::{self, Existing, Platform};
use crate::config::Config;
use crate::secret::redact_url;

pub fn config(ctx: &Context) -> Finding {
    match &ctx.config {
        Ok(config) => Finding::pass("config", format!("valid ({})", config.source)),
        Err(e) => Finding::fail(
            "config",
            e.to_string(),
            e.hint
                .clone()
                .unwrap_or_else(|| "fix the file, then run `awsproxy config check`".to_owned()),
        ),
    }
}

/// The listeners `serve` would open, with their config keys.
pub fn listeners(config: &Config) -> Vec<(&'static str, SocketAddr)> {
    let f = &config.file;
    [
        ("proxy", f.proxy.as_ref().map(|s| s.listen.0)),
        ("repos", f.repos.as_ref().map(|s| s.listen.0)),
        ("creds", f.creds.as_ref().map(|s| s.listen.0)),
        ("metrics", f.metrics.as_ref().map(|s| s.listen.0)),
    ]
    .into_iter()
    .filter_map(|(name, addr)| addr.map(|a| (name, a)))
    .filter(|(_, a)| a.port() != 0)
    .collect()
}

/// Each listen port is free, or answers like an awsproxy (its `/healthz`).
pub fn ports(_ctx: &Context, config: &Config) -> Vec<Finding> {
    listeners(config)
        .into_iter()
        .map(|(name, addr)| {
            let check = format!("port:{name}");
            match std::net::TcpListener::bind(addr) {
                Ok(_) => Finding::pass(check, format!("{addr} is free")),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    if held_by_awsproxy(addr, crate::daemon::exposure::tls_of(&config.file, name)) {
                        Finding::pass(check, format!("{addr} is held by a running awsproxy"))
                    } else {
                        Finding::fail(
                            check,
                            format!("{addr} is in use by another program"),
                            format!("stop it (`ss -ltnp 'sport = :{}'` shows which) or change `[{name}] listen`", addr.port()),
                        )
                    }
                }
                // `serve` and `creds serve` add an ECS address the host lacks: `creds:containers` says whether they may.
                Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable && is_ecs(name, addr) => {
                    Finding::pass(check, format!("{addr}: the address is added at start (see creds:containers)"))
                }
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Finding::fail(
                    check,
                    format!("cannot bind {addr}: {e}"),
                    format!("ports below 1024 need CAP_NET_BIND_SERVICE (`sudo setcap cap_net_bind_service,cap_net_admin+ep \"$(command -v awsproxy)\"`) or `sudo sysctl net.ipv4.ip_unprivileged_port_start={}`; or change `[{name}] listen`", addr.port()),
                ),
                Err(e) => Finding::fail(check, format!("cannot bind {addr}: {e}"), format!("change `[{name}] listen`")),
            }
        })
        .collect()
}

fn is_ecs(name: &str, addr: SocketAddr) -> bool {
    name == "creds" && crate::daemon::host::ECS_ADDRESSES.contains(&addr.ip().to_canonical())
}

/// Whether containers can reach the credentials endpoint: it listens on an
/// ECS address, and this host has that address (or awsproxy may add it).
pub fn creds_containers(config: &Config) -> Option<Finding> {
    const CHECK: &str = "creds:containers";
    let section = config.file.creds.as_ref()?;
    let listen = section.listen.0;
    if let Some(name) = section.tls_ca_names.first() {
        return Some(Finding::pass(
            CHECK,
            format!(
                "the endpoint speaks https as {name} (awsproxy's CA): containers that trust the CA and reach {listen} as {name} use it (`creds container-env` says how)"
            ),
        ));
    }
    if let Some((why, hint)) = crate::services::creds_endpoint::container_problem(listen) {
        // Not a fault: most setups have no containers.
        return Some(Finding::pass(
            CHECK,
            format!("{why} (for containers, {hint})"),
        ));
    }
    let ip = listen.ip().to_canonical();
    let url = crate::services::creds_endpoint::endpoint_url(listen);
    Some(match std::net::TcpListener::bind((ip, 0)) {
        Ok(_) => Finding::pass(
            CHECK,
            format!("{ip} is an address of this host: containers on a Docker bridge reach {url}"),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
            if crate::daemon::ecs_address::may_add() {
                Finding::pass(
                    CHECK,
                    format!(
                        "{ip} is not on this host yet; awsproxy adds it to lo at start (it has CAP_NET_ADMIN), for {url}"
                    ),
                )
            } else {
                Finding::warn(
                    CHECK,
                    format!(
                        "{ip} is not on this host, and awsproxy may not add it (no CAP_NET_ADMIN): `serve` would fail to listen"
                    ),
                    format!(
                        "`{}` once (containers reach it through their default route), or give awsproxy CAP_NET_ADMIN",
                        crate::daemon::ecs_address::add_command(ip)
                    ),
                )
            }
        }
        Err(e) => Finding::warn(
            CHECK,
            format!("cannot check {ip}: {e}"),
            "see the README's Containers section",
        ),
    })
}

/// Whether whatever listens on `addr` says it is awsproxy (`Server: awsproxy`
/// on any response), over TLS when the listener is configured with it.
fn held_by_awsproxy(addr: SocketAddr, tls: bool) -> bool {
    use std::io::{Read, Write};
    let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, super::CHECK_TIMEOUT) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(super::CHECK_TIMEOUT));
    let _ = stream.set_write_timeout(Some(super::CHECK_TIMEOUT));
    // `Host` is the address itself: listeners refuse names they don't serve.
    let request = format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    let mut head = [0u8; 1024];
    let n = if tls {
        let Some(mut tls) = tls_to(stream) else {
            return false;
        };
        if tls.write_all(request.as_bytes()).is_err() {
            return false;
        }
        tls.read(&mut head).unwrap_or(0)
    } else {
        let mut stream = stream;
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        stream.read(&mut head).unwrap_or(0)
    };
    String::from_utf8_lossy(&head[..n])
        .to_ascii_lowercase()
        .contains("\nserver: awsproxy")
}

/// A TLS client on `stream` that takes any certificate: it only asks who
/// answers, and sends nothing secret.
fn tls_to(
    stream: std::net::TcpStream,
) -> Option<rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>> {
    let provider = crate::tls::provider();
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").ok()?;
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).ok()?;
    Some(rustls::StreamOwned::new(conn, stream))
}

/// Accepts any certificate, checking only that the handshake is signed by it.
#[derive(Debug)]
struct AnyCertificate(std::sync::Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Proxy variables that would send traffic around awsproxy, or loop it through itself.
pub fn proxy_env(ctx: &Context, config: &Config) -> Vec<Finding> {
    let Some(proxy) = &config.file.proxy else {
        return Vec::new();
    };
    let ours = format!("{}:{}", proxy.listen.0.ip(), proxy.listen.0.port());
    let mut findings = Vec::new();
    for var in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] {
        let Some(value) = ctx.var(var) else { continue };
        let value = &*redact_url(value);
        if value.contains(&ours) || value.contains(&format!("localhost:{}", proxy.listen.0.port()))
        {
            let no_proxy = ctx
                .var("NO_PROXY")
                .or_else(|| ctx.var("no_proxy"))
                .unwrap_or("");
            if !no_proxy
                .split(',')
                .any(|h| matches!(h.trim(), "127.0.0.1" | "localhost" | "::1"))
            {
                findings.push(Finding::warn(
                    format!("env:{var}"),
                    format!("{var} points at awsproxy but NO_PROXY does not exempt loopback"),
                    "add `127.0.0.1,localhost` to NO_PROXY so clients reach the repository and credentials listeners directly",
                ));
            } else {
                findings.push(Finding::pass(
                    format!("env:{var}"),
                    format!("{var} uses awsproxy ({value})"),
                ));
            }
        } else {
            findings.push(Finding::warn(
                format!("env:{var}"),
                format!("{var} sends traffic to {value}, not to awsproxy ({ours})"),
                format!("set {var}=http://{ours} to cache through awsproxy, or `[proxy] upstream_proxy` to chain awsproxy to {value}"),
            ));
        }
    }
    findings
}

/// CA bundle variables must point at readable files, or TLS clients fail in odd ways.
pub fn ca_bundles(ctx: &Context) -> Vec<Finding> {
    [
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_CERT_FILE",
        "AWS_CA_BUNDLE",
        "PIP_CERT",
        "NODE_EXTRA_CA_CERTS",
    ]
    .into_iter()
    .filter_map(|var| ctx.var(var).map(|v| (var, v)))
    .map(|(var, value)| match std::fs::read(value) {
        Ok(bytes)
            if bytes
                .windows(27)
                .any(|w| w == b"-----BEGIN CERTIFICATE-----") =>
        {
            Finding::pass(format!("env:{var}"), format!("{var} = {value}"))
        }
        Ok(_) => Finding::fail(
            format!("env:{var}"),
            format!("{var} = {value} holds no PEM certificate"),
            format!("point {var} at a PEM bundle, or unset it"),
        ),
        Err(e) => Finding::fail(
            format!("env:{var}"),
            format!("{var} = {value} cannot be read: {e}"),
            format!("point {var} at an existing PEM bundle, or unset it"),
        ),
    })
    .collect()
}

/// `~/.aws/config` exists and is readable (its SSO sessions are checked by the SSO checks).
pub fn aws_config_file(ctx: &Context) -> Finding {
    let path = ctx.paths.aws_config_file();
    match std::fs::read_to_string(&path) {
        Ok(_) => Finding::pass("aws-config", format!("{} is readable", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Finding::warn(
            "aws-config",
            format!("{} does not exist", path.display()),
            "create it with `aws configure sso` (or by hand) to use SSO sessions and profiles",
        ),
        Err(e) => Finding::fail(
            "aws-config",
            format!("cannot read {}: {e}", path.display()),
            "check the file's permissions",
        ),
    }
}

/// The login agent: installed by awsproxy, and running.
pub fn agent(ctx: &Context) -> Finding {
    let platform = Platform::current();
    let command = agent::AgentCommand {
        binary: agent::current_binary().unwrap_or_default(),
        config: None,
    };
    let Ok(plan) = agent::plan(platform, &ctx.paths, &command) else {
        return Finding::warn(
            "agent",
            "cannot describe the agent for this platform",
            "run `awsproxy install-agent --dry-run`",
        );
    };
    match agent::existing(&plan) {
        Existing::Absent => Finding::warn(
            "agent",
            "not installed",
            "`awsproxy install-agent` runs `awsproxy serve` at login",
        ),
        Existing::Foreign => Finding::warn(
            "agent",
            format!(
                "{} exists but was not written by awsproxy",
                plan.path.display()
            ),
            "inspect it; `awsproxy install-agent --force` replaces it",
        ),
        Existing::Current | Existing::Outdated => {
            if !agent::manager_available(platform) {
                return Finding::warn(
                    "agent",
                    format!(
                        "installed at {}, but the service manager is not reachable",
                        plan.path.display()
                    ),
                    "check it from a login session (`systemctl --user status awsproxy` or `launchctl print gui/$(id -u)/io.awsproxy.serve`)",
                );
            }
            if agent::is_running(platform) {
                Finding::pass(
                    "agent",
                    format!("installed at {} and running", plan.path.display()),
                )
            } else {
                Finding::warn(
                    "agent",
                    format!("installed at {} but not running", plan.path.display()),
                    "start it with `awsproxy install-agent` (or see `systemctl --user status awsproxy` / `launchctl print gui/$(id -u)/io.awsproxy.serve`)",
                )
            }
        }
    }
}

/// `[cache]` tier settings: `local_size` (and `local_dir`, `local_recheck`)
/// only mean something in front of the S3 store; with it set, a pass naming
/// the tier and how stale another instance's replacement may be served.
pub fn cache_tiers(config: &Config) -> Vec<Finding> {
    let Some(cache) = config.file.cache.as_ref() else {
        return Vec::new();
    };
    let tier_keys =
        cache.local_size.is_some() || cache.local_dir.is_some() || cache.local_recheck.is_some();
    if cache.store != crate::config::StoreKind::S3 {
        if !tier_keys {
            return Vec::new();
        }
        return vec![Finding::warn(
            "cache.local_size",
            "`[cache] local_size`, `local_dir` and `local_recheck` are ignored: the local \
             tier sits in front of the S3 store, and `store` is \"disk\"",
            "set `store = \"s3\"` with a `[cache.s3]` bucket, or remove them (the disk store's \
             size is `max_size`)",
        )];
    }
    match cache.local_size {
        Some(size) if size.0 > 0 => {
            let recheck = cache
                .local_recheck
                .map_or(crate::cache::store::tiered::DEFAULT_RECHECK, |d| d.0);
            vec![Finding::pass(
                "cache.local_size",
                format!(
                    "a {size} local tier in front of S3; an entry another instance replaced \
                     or purged is served here for at most {} after",
                    humantime::format_duration(recheck)
                ),
            )]
        }
        _ if tier_keys => vec![Finding::warn(
            "cache.local_size",
            "`[cache] local_dir` or `local_recheck` is set without `local_size`: there is no \
             local tier, every hit is an S3 read",
            "set `local_size = \"2GiB\"` (or what the disk can spare)",
        )],
        _ => Vec::new(),
    }
}
