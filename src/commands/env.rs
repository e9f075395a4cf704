//! `awsproxy env [--shell SHELL] [--unset] [--mount NAME] [--creds CLIENT] [--json]`:
//! the environment that points tools at awsproxy, as lines for `eval`. Values are
//! addresses and file paths from the configuration, and with `--creds` a client's
//! token when it is inline in the configuration (on stdout only, never logged).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::Ctx;
use crate::cli::EnvArgs;
use crate::config::Config;
use crate::env_vars;
use crate::error::{Error, ExitStatus};
use crate::paths::Paths;
use crate::services::creds_endpoint;
use crate::shell::Shell;
use crate::tls::ca::CERT_FILE;
use crate::trust;

/// Reached directly, never through the proxy: loopback and the EC2/ECS
/// metadata and credentials addresses (which refuse proxied requests anyway).
const NO_PROXY_BASE: [&str; 7] = [
    "localhost",
    "127.0.0.1",
    "::1",
    "169.254.169.254",
    "169.254.170.2",
    "169.254.170.23",
    "fd00:ec2::23",
];

/// Every variable that points a CA-reading client at the combined bundle.
const BUNDLE_VARS: [&str; 5] = [
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "AWS_CA_BUNDLE",
    "PIP_CERT",
    "CURL_CA_BUNDLE",
];

pub fn run(ctx: &Ctx, args: &EnvArgs) -> anyhow::Result<ExitStatus> {
    let config = ctx.config()?;
    let listen = |var: &str| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse::<SocketAddr>().ok())
    };
    let settings = Settings {
        proxy: listen(env_vars::AWSPROXY_PROXY_LISTEN),
        repos: listen(env_vars::AWSPROXY_REPOS_LISTEN),
        creds: listen(env_vars::AWSPROXY_CREDS_LISTEN),
        all: args.unset,
    };
    let env = variables(
        &config,
        &ctx.paths,
        &settings,
        args.mount.as_deref(),
        args.creds.as_deref(),
    )?;
    for note in &env.notes {
        ctx.printer.message(note);
    }
    for warning in &env.warnings {
        ctx.printer.warn(warning);
    }
    if args.json {
        if args.unset {
            let names: Vec<&str> = env.vars.iter().map(|(n, _)| n.as_str()).collect();
            ctx.printer.json(&names)?;
        } else {
            let map: serde_json::Map<String, serde_json::Value> = env
                .vars
                .into_iter()
                .map(|(n, v)| (n, serde_json::Value::String(v)))
                .collect();
            ctx.printer.json(&map)?;
        }
        return Ok(ExitStatus::Success);
    }
    let shell = args.shell.unwrap_or_else(Shell::from_env);
    let lines: Vec<String> = env
        .vars
        .iter()
        .map(|(name, value)| {
            if args.unset {
                shell.unset(name)
            } else {
                shell.set(name, value)
            }
        })
        .collect();
    if !lines.is_empty() {
        ctx.printer.data(&lines.join("\n"))?;
    }
    Ok(ExitStatus::Success)
}

/// Listener overrides from the environment (as `serve` takes them), and whether
/// every variable is wanted (for `--unset`) or only those whose files exist.
#[derive(Debug, Default)]
struct Settings {
    proxy: Option<SocketAddr>,
    repos: Option<SocketAddr>,
    creds: Option<SocketAddr>,
    all: bool,
}

#[derive(Debug, Default)]
struct Env {
    vars: Vec<(String, String)>,
    /// Why a variable was left out, for stderr.
    notes: Vec<String>,
    /// Problems with a variable that was set, for stderr even with `--quiet`.
    warnings: Vec<String>,
}

impl Env {
    fn set(&mut self, name: &str, value: impl Into<String>) {
        self.vars.push((name.to_owned(), value.into()));
    }
}

fn variables(
    config: &Config,
    paths: &Paths,
    settings: &Settings,
    mount: Option<&str>,
    creds: Option<&str>,
) -> Result<Env, Error> {
    let mut env = Env::default();
    let file = &config.file;
    let repos = settings
        .repos
        .or(file.repos.as_ref().map(|r| r.listen.0))
        .map(reachable);
    if let Some(proxy) = &file.proxy {
        let url = format!(
            "http://{}",
            reachable(settings.proxy.unwrap_or(proxy.listen.0))
        );
        for name in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] {
            env.set(name, &url);
        }
        let mut no_proxy: Vec<String> = NO_PROXY_BASE.iter().map(|h| (*h).to_owned()).collect();
        if let Some(repos) = repos {
            let host = repos.ip().to_string();
            if !no_proxy.contains(&host) {
                no_proxy.push(host);
            }
        }
        let no_proxy = no_proxy.join(",");
        env.set("NO_PROXY", &no_proxy);
        env.set("no_proxy", no_proxy);
        if proxy.intercept {
            ca_variables(&mut env, paths, settings.all);
        }
    }
    if let (Some(repos), Some(section)) = (repos, &file.repos) {
        let pypi: Vec<&str> = section.pypi.iter().map(|m| m.name.as_str()).collect();
        let npm: Vec<&str> = section.npm.iter().map(|m| m.name.as_str()).collect();
        if let Some(name) = mount
            && !pypi.contains(&name)
            && !npm.contains(&name)
        {
            let known: Vec<&str> = pypi.iter().chain(&npm).copied().collect();
            return Err(Error::Usage {
                message: format!("no PyPI or npm mount named `{name}`"),
                hint: Some(if known.is_empty() {
                    "add a `[[repos.pypi]]` or `[[repos.npm]]` section to the configuration"
                        .to_owned()
                } else {
                    format!("configured: {}", known.join(", "))
                }),
            });
        }
        if let Some(name) = pick(&mut env, "PyPI", &pypi, mount) {
            let url = format!("http://{repos}/pypi/{name}/simple/");
            env.set("PIP_INDEX_URL", &url);
            env.set("UV_DEFAULT_INDEX", url);
        }
        if let Some(name) = pick(&mut env, "npm", &npm, mount) {
            env.set("NPM_CONFIG_REGISTRY", format!("http://{repos}/npm/{name}/"));
        }
    }
    if let Some(name) = creds {
        creds_variables(&mut env, config, settings, name)?;
    }
    Ok(env)
}

/// `--creds CLIENT`: what `creds serve --print-env CLIENT` prints; for `--unset`
/// both token variables, whichever the client uses.
fn creds_variables(
    env: &mut Env,
    config: &Config,
    settings: &Settings,
    name: &str,
) -> Result<(), Error> {
    let mut section = config.file.creds.clone().unwrap_or_default();
    if let Some(listen) = settings.creds {
        section.listen = crate::config::values::ListenAddr(listen);
    }
    if settings.all {
        creds_endpoint::client_or_usage(&section, name)?;
        for var in [
            creds_endpoint::FULL_URI_VAR,
            creds_endpoint::TOKEN_VAR,
            creds_endpoint::TOKEN_FILE_VAR,
        ] {
            env.set(var, "");
        }
        return Ok(());
    }
    let client = creds_endpoint::client_env(&section, name)?;
    env.warnings.extend(client.warnings);
    for (var, value) in client.vars {
        env.set(var, value);
    }
    Ok(())
}

/// The CA variables, each only once its file exists (a missing bundle would
/// break every TLS client that reads the variable).
fn ca_variables(env: &mut Env, paths: &Paths, all: bool) {
    let bundle = trust::bundle_path(paths);
    if all || bundle.is_file() {
        let value = bundle.display().to_string();
        for name in BUNDLE_VARS {
            env.set(name, &value);
        }
        env.set(
            "NODE_EXTRA_CA_CERTS",
            paths.data_dir.join(CERT_FILE).display().to_string(),
        );
    } else {
        env.notes.push(format!(
            "note: no CA bundle at {} yet: run `awsproxy ca trust`, then this again, to set REQUESTS_CA_BUNDLE, SSL_CERT_FILE, ...",
            bundle.display()
        ));
    }
    let truststore = trust::java_truststore_path(paths);
    if all || truststore.is_file() {
        env.set("JAVA_TOOL_OPTIONS", trust::java_tool_options(&truststore));
    }
}

/// The mount of one format the variables point at: `--mount`, or the only one.
fn pick<'a>(
    env: &mut Env,
    format: &str,
    names: &[&'a str],
    mount: Option<&str>,
) -> Option<&'a str> {
    match (mount, names) {
        (Some(wanted), _) => names.iter().find(|n| **n == wanted).copied(),
        (None, [only]) => Some(only),
        (None, []) => None,
        (None, several) => {
            env.notes.push(format!(
                "note: several {format} mounts ({}): choose one with `--mount NAME`",
                several.join(", ")
            ));
            None
        }
    }
}

/// The address a client on this machine dials: a wildcard listener is reached on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigSource;

    fn config(text: &str) -> Config {
        let source = ConfigSource::EmbeddedDefault;
        Config {
            file: crate::config::parse(text, &source).unwrap(),
            source,
        }
    }

    fn paths() -> Paths {
        Paths {
            config_dir: "/c".into(),
            cache_dir: "/k".into(),
            data_dir: "/nonexistent/data".into(),
            state_dir: "/s".into(),
            home: "/h".into(),
        }
    }

    fn names(env: &Env) -> Vec<&str> {
        env.vars.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn a_wildcard_listener_is_reached_on_loopback_and_exempted() {
        let c = config(
            "[proxy]\nlisten = \"0.0.0.0:3128\"\nintercept = false\n[repos]\nlisten = \"192.0.2.7:9000\"\n",
        );
        let env = variables(&c, &paths(), &Settings::default(), None, None).unwrap();
        assert_eq!(
            env.vars[0],
            ("HTTPS_PROXY".into(), "http://127.0.0.1:3128".into())
        );
        let no_proxy = &env.vars.iter().find(|(n, _)| n == "NO_PROXY").unwrap().1;
        assert!(no_proxy.ends_with(",fd00:ec2::23,192.0.2.7"), "{no_proxy}");
        assert!(
            !names(&env).contains(&"SSL_CERT_FILE"),
            "no interception, no CA"
        );
    }

    #[test]
    fn ipv6_listeners_are_bracketed_and_overrides_win() {
        let c = config("[proxy]\nlisten = \"[::1]:3128\"\n");
        let settings = Settings {
            proxy: Some("[::]:4000".parse().unwrap()),
            ..Settings::default()
        };
        let env = variables(&c, &paths(), &settings, None, None).unwrap();
        assert_eq!(env.vars[0].1, "http://[::1]:4000");
    }

    #[test]
    fn unset_names_every_ca_variable_even_before_ca_trust() {
        let c = config("[proxy]\nlisten = \"127.0.0.1:3128\"\n");
        let set = variables(&c, &paths(), &Settings::default(), None, None).unwrap();
        assert!(!names(&set).contains(&"SSL_CERT_FILE"));
        assert!(
            set.notes[0].contains("awsproxy ca trust"),
            "{:?}",
            set.notes
        );
        let all = Settings {
            all: true,
            ..Settings::default()
        };
        let unset = variables(&c, &paths(), &all, None, None).unwrap();
        for name in BUNDLE_VARS
            .iter()
            .chain(&["NODE_EXTRA_CA_CERTS", "JAVA_TOOL_OPTIONS"])
        {
            assert!(names(&unset).contains(name), "{name}");
        }
    }
}
