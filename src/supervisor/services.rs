//! The services `serve` can run, one [`ServiceDef`] each, in start order.

use std::net::SocketAddr;

use super::settings::{Settings, SsoSettings};
use super::{Placement, ServiceDef, Shared, run_logged};
use crate::cache::HttpCache;
use crate::daemon::host::HostPolicy;
use crate::daemon::{self, SHUTDOWN_GRACE};
use crate::services::status::{Health, Section};

pub fn all() -> Vec<ServiceDef> {
    vec![metrics(), sso_watcher(), creds(), proxy(), repos()]
}

fn metrics() -> ServiceDef {
    ServiceDef {
        name: "metrics",
        key: "[metrics] listen",
        label: "status page, /healthz, /metrics",
        usage: |_, _| "this page; Prometheus scrapes `/metrics`, probes use `/healthz`".to_owned(),
        placement: |f| {
            f.metrics
                .as_ref()
                .map_or(Placement::Off, |m| Placement::Listen(m.listen.0))
        },
        changed: |a, b| {
            a.metrics != b.metrics
                || a.metrics_access != b.metrics_access
                || a.metrics_tls != b.metrics_tls
        },
        start: |shared, settings, listener, token| {
            let listener =
                listener.ok_or_else(|| anyhow::anyhow!("the metrics service needs a listener"))?;
            let hosts = HostPolicy::new(
                "[metrics]",
                listener.local_addr()?,
                &settings.metrics.allowed_hosts,
            );
            let router = crate::services::status::router(shared.board.clone());
            let limits = (settings.limits.clone())
                .with_access(
                    settings
                        .metrics_access
                        .clone()
                        .counted(&shared.access_requests),
                )
                .with_tls(settings.metrics_tls.clone());
            Ok(tokio::spawn(run_logged(
                shared.board.clone(),
                "metrics",
                daemon::serve_router(listener, router, limits, hosts, token),
            )))
        },
    }
}

/// Keeps `[sso]` sessions fresh (the same loop as `awsproxy sso watch`), and
/// reports them on the status page, `/healthz` and `/metrics`.
fn sso_watcher() -> ServiceDef {
    ServiceDef {
        name: "sso",
        key: "[sso]",
        label: "SSO watcher",
        usage: |_, _| {
            "keeps SSO sessions fresh; `awsproxy sso login` when one needs a login".to_owned()
        },
        placement: |f| {
            if f.sso.is_some() {
                Placement::Background
            } else {
                Placement::Off
            }
        },
        changed: |a, b| a.sso.watch != b.sso.watch,
        start: |shared, settings, _listener, token| {
            let SsoSettings { watch, config } = settings.sso.clone();
            report_sso(shared, config);
            let watcher = crate::sso::watch::Watcher::new(watch);
            Ok(tokio::spawn(async move {
                watcher.run(token.cancelled_owned()).await
            }))
        },
    }
}

/// SSO sessions on the status page, in `/healthz` (`sso:NAME` unhealthy when a
/// login is needed) and in `/metrics`. Computed from the token cache on each view.
fn report_sso(shared: &Shared, config: crate::config::Config) {
    let paths = shared.paths.clone();
    let sessions = move || crate::sso::status::sessions(&paths, &config, &[]).unwrap_or_default();
    let for_page = sessions.clone();
    shared.board.add_section("sso", move || {
        let rows = for_page();
        let needing: Vec<String> = rows
            .iter()
            .filter(|s| s.needs_login)
            .map(|s| s.login_command.clone())
            .collect();
        Section {
            title: "SSO sessions".into(),
            columns: [
                "session",
                "state",
                "expires in",
                "refreshable",
                "last refresh",
            ]
            .map(String::from)
            .to_vec(),
            rows: rows
                .iter()
                .map(|s| {
                    vec![
                        s.name.clone(),
                        s.state.as_str().to_owned(),
                        s.expires_in_seconds
                            .map_or_else(|| "-".into(), crate::sso::status::human_duration),
                        if s.refreshable {
                            "yes".into()
                        } else {
                            format!(
                                "no ({})",
                                s.not_refreshable_reason.clone().unwrap_or_default()
                            )
                        },
                        s.last_refresh.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect(),
            note: (!needing.is_empty()).then(|| {
                let commands: Vec<String> = needing.iter().map(|c| format!("`{c}`")).collect();
                format!("Log in: {}", commands.join("; "))
            }),
            empty: "No SSO sessions in ~/.aws/config. Add one with `aws configure sso` (an `[sso-session NAME]` section), then run `awsproxy sso login NAME`.",
        }
    });
    let for_health = sessions.clone();
    shared.board.add_probe("sso", move || {
        for_health()
            .into_iter()
            .map(|s| {
                let health = if s.needs_login {
                    Health::Unhealthy {
                        reason: format!("login needed: run `{}`", s.login_command),
                    }
                } else {
                    Health::Healthy
                };
                (format!("sso:{}", s.name), health)
            })
            .collect()
    });
    let metrics = shared.board.metrics("sso");
    let expiry = metrics.int_gauge_family(
        "awsproxy_sso_token_expiry_seconds",
        "Seconds until the session's access token expires (negative: expired)",
    );
    let login_needed = metrics.int_gauge_family(
        "awsproxy_sso_login_needed",
        "1 when a human must log in to the session",
    );
    metrics.on_scrape(move || {
        expiry.clear();
        login_needed.clear();
        for s in sessions() {
            let labels = vec![("session", s.name.clone())];
            if let Some(secs) = s.expires_in_seconds {
                expiry.get_or_create(&labels).set(secs);
            }
            login_needed
                .get_or_create(&labels)
                .set(i64::from(s.needs_login));
        }
    });
}

/// The ECS credentials endpoint (the same service as `awsproxy creds serve`).
fn creds() -> ServiceDef {
    ServiceDef {
        name: "creds",
        key: "[creds] listen",
        label: "ECS credentials endpoint",
        usage: |a, s| {
            format!(
                "`AWS_CONTAINER_CREDENTIALS_FULL_URI={}://{a}/v1/credentials` with `AWS_CONTAINER_AUTHORIZATION_TOKEN` = the client's token",
                s.scheme("creds")
            )
        },
        placement: |f| {
            f.creds
                .as_ref()
                .map_or(Placement::Off, |c| Placement::Listen(c.listen.0))
        },
        changed: |a, b| a.creds != b.creds || a.creds_tls != b.creds_tls,
        start: |shared, settings, listener, token| {
            let listener = listener
                .ok_or_else(|| anyhow::anyhow!("the credentials endpoint needs a listener"))?;
            let section = settings.creds.clone();
            let limits = settings.limits.clone();
            let answered = crate::services::creds_endpoint::answered_hosts(&section);
            let hosts =
                HostPolicy::new("[creds]", listener.local_addr()?, &answered).with_ecs_addresses();
            let limits = limits.with_tls(settings.creds_tls.clone());
            let metrics = shared.board.metrics("creds");
            Ok(tokio::spawn(run_logged(
                shared.board.clone(),
                "creds",
                async move {
                    let (router, handle) =
                        crate::services::creds_endpoint::CredsService::build(&section, &metrics)
                            .await;
                    let watcher = handle
                        .watch_clients_dir(crate::services::creds_endpoint::DIR_POLL_INTERVAL);
                    let result = daemon::serve_router(listener, router, limits, hosts, token).await;
                    watcher.abort();
                    result
                },
            )))
        },
    }
}

/// The caching forward proxy with TLS interception (`[proxy]`), over the shared store.
fn proxy() -> ServiceDef {
    ServiceDef {
        name: "proxy",
        key: "[proxy] listen",
        label: "forward proxy (HTTPS_PROXY)",
        usage: |a, _| format!("`export HTTPS_PROXY=http://{a} HTTP_PROXY=http://{a}`"),
        placement: |f| {
            f.proxy
                .as_ref()
                .map_or(Placement::Off, |p| Placement::Listen(p.listen.0))
        },
        changed: |a, b| a.proxy.differs(&b.proxy),
        start: |shared, settings, listener, token| {
            let listener =
                listener.ok_or_else(|| anyhow::anyhow!("the forward proxy needs a listener"))?;
            let limits = (settings.limits.clone())
                .with_access(
                    settings
                        .proxy
                        .access
                        .clone()
                        .counted(&shared.access_requests),
                )
                .with_tls(settings.proxy.tls.clone());
            let settings = settings.proxy.clone();
            let shared = shared.clone();
            Ok(tokio::spawn(run_logged(
                shared.board.clone(),
                "proxy",
                async move {
                    let cache =
                        HttpCache::new(shared.store(&settings.store).await?, settings.cache);
                    shared.board.set_ca(if settings.section.intercept {
                        crate::tls::ca::CertificateAuthority::load_or_create(&shared.paths.data_dir)
                            .ok()
                            .map(|ca| ca.cert_pem().to_owned())
                    } else {
                        None
                    });
                    let proxy = crate::services::forward::ForwardProxy::with_cache(
                        &settings.section,
                        &shared.paths,
                        cache.clone(),
                        shared.cache_stats.clone(),
                        shared.own_listeners.clone(),
                    )?;
                    proxy
                        .serve_with(listener, limits, token.cancelled_owned())
                        .await;
                    settle(&cache).await;
                    Ok(())
                },
            )))
        },
    }
}

/// The repository listener (`[repos]`): PyPI and Maven mounts over the shared store.
fn repos() -> ServiceDef {
    ServiceDef {
        name: "repos",
        key: "[repos] listen",
        label: "repository listener (PyPI, npm, Cargo, Maven)",
        usage: repos_usage,
        placement: |f| {
            f.repos
                .as_ref()
                .map_or(Placement::Off, |r| Placement::Listen(r.listen.0))
        },
        changed: |a, b| a.repos.differs(&b.repos),
        start: |shared, settings, listener, token| {
            let listener = listener
                .ok_or_else(|| anyhow::anyhow!("the repository listener needs a listener"))?;
            let limits = (settings.limits.clone())
                .with_access(
                    settings
                        .repos
                        .access
                        .clone()
                        .counted(&shared.access_requests),
                )
                .with_tls(settings.repos.tls.clone());
            let settings = settings.repos.clone();
            let hosts = HostPolicy::new(
                "[repos]",
                listener.local_addr()?,
                &settings.section.allowed_hosts,
            );
            let shared = shared.clone();
            Ok(tokio::spawn(run_logged(
                shared.board.clone(),
                "repos",
                async move {
                    let cache =
                        HttpCache::new(shared.store(&settings.store).await?, settings.cache);
                    let ctx = crate::services::repos::RepoContext {
                        paths: shared.paths.clone(),
                        cache,
                        creds: shared.creds.clone(),
                        board: shared.board.clone(),
                        upstream: settings.upstream,
                        tokens: shared.tokens.clone(),
                        codeartifact: Default::default(),
                    };
                    let stats = shared.cache_stats.clone();
                    let router = crate::services::repos::router(&settings.section, &ctx)
                        .await?
                        .layer(axum::middleware::map_response(
                            move |response: axum::response::Response| {
                                stats.record_response("repos", &response);
                                std::future::ready(response)
                            },
                        ));
                    let result = daemon::serve_router(listener, router, limits, hosts, token).await;
                    settle(&ctx.cache).await;
                    result
                },
            )))
        },
    }
}

/// The repository listener's line, then a `setup` command per mount.
fn repos_usage(a: SocketAddr, settings: &Settings) -> String {
    let mut usage = format!(
        "`pip install --index-url http://{a}/pypi/NAME/simple/ …`, `npm --registry http://{a}/npm/NAME/`: the mounts are listed below"
    );
    let commands = crate::setup::commands(&settings.repos.section);
    if !commands.is_empty() {
        let commands: Vec<String> = commands.iter().map(|c| format!("`{c}`")).collect();
        usage.push_str(&format!(
            ". Or point a tool at a mount: {}",
            commands.join(", ")
        ));
    }
    usage
}

/// After a listener stops: let fills whose bodies were in flight commit.
async fn settle(cache: &HttpCache) {
    if !cache.settle(SHUTDOWN_GRACE).await {
        tracing::warn!(
            "cache fills still running at shutdown were abandoned (nothing partial is kept)"
        );
    }
}
