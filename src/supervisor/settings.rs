//! Every service's settings, resolved once from the configuration before any
//! service starts (and once more for each reload), then handed to the services'
//! `start` functions. Nothing below this point reads the config file or fills in
//! defaults.

use crate::cache::CacheSettings;
use crate::config::{CacheSection, Config, CredsSection, MetricsSection, ReposSection};
use crate::daemon::access::Access;
use crate::daemon::{self, ServerLimits};
use crate::net::ClientSettings;
use crate::paths::Paths;
use crate::sso::watch::WatchSettings;
use crate::tls::listener::ListenerTls;

/// What each service runs with, for one configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `[server]`, for every listener.
    pub limits: ServerLimits,
    /// `[server] drain`: how long `serve` keeps serving after SIGTERM with
    /// readiness already false.
    pub drain: std::time::Duration,
    pub metrics: MetricsSection,
    /// The status listener's `allow_clients` and tokens.
    pub metrics_access: Access,
    /// The status listener's TLS (`tls_cert`/`tls_key` or `tls_ca_names`).
    pub metrics_tls: Option<ListenerTls>,
    pub sso: SsoSettings,
    pub creds: CredsSection,
    /// The credentials endpoint's TLS (`tls_cert`/`tls_key` or `tls_ca_names`).
    pub creds_tls: Option<ListenerTls>,
    pub proxy: ProxySettings,
    pub repos: ReposSettings,
}

/// The SSO watcher, and the configuration its status rows are read with.
#[derive(Debug, Clone)]
pub struct SsoSettings {
    pub watch: WatchSettings,
    pub config: Config,
}

/// The forward proxy.
#[derive(Debug, Clone)]
pub struct ProxySettings {
    pub section: crate::config::ProxySection,
    /// `allow_clients` and the `[[access.token]]`s for the proxy.
    pub access: Access,
    pub tls: Option<ListenerTls>,
    /// Rules from `[[proxy.rule]]`, memory tier from `[cache] memory_size`.
    pub cache: CacheSettings,
    /// The store to open.
    pub store: CacheSection,
}

/// The repository listener.
#[derive(Debug, Clone)]
pub struct ReposSettings {
    pub section: ReposSection,
    /// `allow_clients` and the `[[access.token]]`s for the repository listener.
    pub access: Access,
    pub tls: Option<ListenerTls>,
    /// No proxy rules; memory tier from `[cache] memory_size`.
    pub cache: CacheSettings,
    /// The store to open.
    pub store: CacheSection,
    /// How the mounts reach their upstreams: as the forward proxy does
    /// (`[proxy] upstream_ca`, `upstream_proxy`), else through the environment's proxy.
    pub upstream: ClientSettings,
}

impl ProxySettings {
    /// Would `other` run the forward proxy differently? (Its cache settings
    /// are resolved from the section and `[cache] memory_size`.)
    pub fn differs(&self, other: &Self) -> bool {
        self.section != other.section
            || self.access != other.access
            || self.tls != other.tls
            || self.store != other.store
            || self.cache.memory_size != other.cache.memory_size
    }
}

impl ReposSettings {
    /// Would `other` run the repository listener differently? Of `[proxy]`,
    /// only what reaches the repositories counts (`upstream_ca`,
    /// `upstream_proxy`, its own address).
    pub fn differs(&self, other: &Self) -> bool {
        let upstream = |u: &ClientSettings| {
            (
                u.upstream_proxy.clone(),
                u.proxy_from_env,
                u.upstream_ca.clone(),
                u.own_listen,
            )
        };
        self.section != other.section
            || self.access != other.access
            || self.tls != other.tls
            || self.store != other.store
            || self.cache.memory_size != other.cache.memory_size
            || upstream(&self.upstream) != upstream(&other.upstream)
    }
}

impl Settings {
    /// `https` for a service whose listener speaks TLS, else `http`.
    pub fn scheme(&self, service: &str) -> &'static str {
        let tls = match service {
            "proxy" => self.proxy.tls.is_some(),
            "repos" => self.repos.tls.is_some(),
            "metrics" => self.metrics_tls.is_some(),
            "creds" => self.creds_tls.is_some(),
            _ => false,
        };
        if tls { "https" } else { "http" }
    }

    /// Resolves `config` for every service; fails on settings no service could run with.
    pub fn resolve(paths: &Paths, config: &Config) -> anyhow::Result<Self> {
        let file = &config.file;
        let store = file.cache.clone().unwrap_or_default();
        let memory_size = store
            .memory_size
            .map_or(crate::cache::hot::DEFAULT_MEMORY_SIZE, |s| s.0);
        let proxy_section = file.proxy.clone().unwrap_or_default();
        let proxy_cache = CacheSettings {
            memory_size,
            ..CacheSettings::from_proxy(&proxy_section)
                .map_err(|e| anyhow::anyhow!("[[proxy.rule]]: {e}"))?
        };
        let upstream = match &file.proxy {
            Some(proxy) => ClientSettings::from_config(proxy),
            None => ClientSettings {
                proxy_from_env: true,
                ..Default::default()
            },
        };
        let tls = |section| match file.tls_keys(section) {
            Some(keys) => ListenerTls::resolve(keys, &paths.data_dir),
            None => Ok(None),
        };
        let proxy_tls = tls("proxy")?;
        Ok(Self {
            limits: ServerLimits::resolve(file.server.as_ref(), daemon::open_file_limit()),
            drain: file
                .server
                .as_ref()
                .and_then(|s| s.drain)
                .map_or(std::time::Duration::ZERO, |d| d.0),
            metrics: file.metrics.clone().unwrap_or_default(),
            metrics_access: Access::resolve(file, "metrics"),
            metrics_tls: tls("metrics")?,
            sso: SsoSettings {
                watch: WatchSettings::resolve(paths, config, false),
                config: config.clone(),
            },
            creds: file.creds.clone().unwrap_or_default(),
            creds_tls: tls("creds")?,
            proxy: ProxySettings {
                section: proxy_section,
                access: Access::resolve(file, "proxy"),
                tls: proxy_tls,
                cache: proxy_cache,
                store: store.clone(),
            },
            repos: ReposSettings {
                tls: tls("repos")?,
                section: file.repos.clone().unwrap_or_default(),
                access: Access::resolve(file, "repos"),
                cache: CacheSettings {
                    memory_size,
                    ..CacheSettings::default()
                },
                store,
                upstream,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigSource;

    fn paths() -> Paths {
        let root = std::path::PathBuf::from("/nonexistent/awsproxy-test");
        Paths {
            config_dir: root.join("config"),
            cache_dir: root.join("cache"),
            data_dir: root.join("data"),
            state_dir: root.join("state"),
            home: root,
        }
    }

    fn config(text: &str) -> Config {
        let source = ConfigSource::File("/etc/awsproxy/test.toml".into());
        Config {
            file: crate::config::parse(text, &source).unwrap(),
            source,
        }
    }

    #[test]
    fn memory_size_reaches_every_cache() {
        let s = Settings::resolve(&paths(), &config("[cache]\nmemory_size = \"1MiB\"\n")).unwrap();
        assert_eq!(s.proxy.cache.memory_size, 1 << 20);
        assert_eq!(s.repos.cache.memory_size, 1 << 20);
        let s = Settings::resolve(&paths(), &config("")).unwrap();
        assert_eq!(
            s.repos.cache.memory_size,
            crate::cache::hot::DEFAULT_MEMORY_SIZE
        );
    }

    #[test]
    fn repositories_reach_upstreams_as_the_proxy_does() {
        let s = Settings::resolve(
            &paths(),
            &config(
                "[proxy]\nlisten = \"127.0.0.1:3128\"\nupstream_ca = [\"/etc/ca.pem\"]\nupstream_proxy = \"http://corp:8080\"\n",
            ),
        )
        .unwrap();
        assert_eq!(
            s.repos.upstream.upstream_ca,
            vec![std::path::PathBuf::from("/etc/ca.pem")]
        );
        assert_eq!(
            s.repos.upstream.upstream_proxy.as_deref(),
            Some("http://corp:8080")
        );
        let s = Settings::resolve(&paths(), &config("")).unwrap();
        assert!(s.repos.upstream.proxy_from_env);
        assert!(s.repos.upstream.upstream_ca.is_empty());
    }

    #[test]
    fn reloads_restart_only_what_a_change_reaches() {
        let repos = "[repos]\nlisten = \"127.0.0.1:9000\"\n";
        // `extra` goes into `[proxy]`.
        let resolve = |extra: &str| {
            let text = format!("[proxy]\nlisten = \"127.0.0.1:3128\"\n{extra}{repos}");
            Settings::resolve(&paths(), &config(&text)).unwrap()
        };
        let a = resolve("");
        // A proxy-only key: the proxy restarts, the repositories don't.
        let b = resolve("passthrough_hosts = [\"bank.example\"]\n").repos;
        let b_proxy = resolve("passthrough_hosts = [\"bank.example\"]\n").proxy;
        assert!(!a.repos.differs(&b));
        assert!(a.proxy.differs(&b_proxy));
        // What reaches the repositories restarts both.
        let c = resolve("upstream_ca = [\"/etc/ca.pem\"]\n");
        assert!(a.repos.differs(&c.repos));
        assert!(a.proxy.differs(&c.proxy));
        // The memory tier reaches both caches.
        let d = Settings::resolve(
            &paths(),
            &config(&format!(
                "[proxy]\nlisten = \"127.0.0.1:3128\"\n{repos}[cache]\nmemory_size = \"1MiB\"\n"
            )),
        )
        .unwrap();
        assert!(a.repos.differs(&d.repos) && a.proxy.differs(&d.proxy));
        assert!(!a.repos.differs(&resolve("").repos));
    }

    #[test]
    fn sso_keeps_the_loaded_configuration() {
        let s = Settings::resolve(
            &paths(),
            &config("[sso]\nsessions = [\"corp\"]\nlogin = \"off\"\n"),
        )
        .unwrap();
        assert!(matches!(s.sso.config.source, ConfigSource::File(_)));
        assert_eq!(s.sso.watch.filter, Some(vec!["corp".to_owned()]));
    }
}
