//! `awsproxy creds container-env CLIENT [--format docker|compose|env] [--json]`:
//! what a container needs to use one creds client's credentials. The variables
//! are the ones `env --creds` and `creds serve --print-env` give this host
//! ([`creds_endpoint::client_env`]); a token file becomes a read-only mount at
//! [`CONTAINER_TOKEN_PATH`], since the host's path means nothing inside. Data
//! (which may hold the token) on stdout; why a container could not reach the
//! endpoint on stderr.

use std::path::PathBuf;

use super::Ctx;
use crate::cli::{ContainerEnvFormat, CredsContainerEnvArgs};
use crate::config::CredsSection;
use crate::error::{Error, ExitStatus};
use crate::services::creds_endpoint;
use crate::shell::quote_posix;
use crate::tls::CertificateAuthority;
use crate::trust;

/// Where the client's token file is mounted in the container.
pub const CONTAINER_TOKEN_PATH: &str = "/run/awsproxy/token";
/// Where awsproxy's CA certificate, and the bundle of it with the system's
/// roots, are mounted when the endpoint speaks https with awsproxy's CA.
const CONTAINER_CA_PATH: &str = "/run/awsproxy/ca.pem";
const CONTAINER_BUNDLE_PATH: &str = "/run/awsproxy/ca-bundle.pem";
const CONTAINER_TRUSTSTORE_PATH: &str = "/run/awsproxy/truststore.p12";

pub fn run(ctx: &Ctx, args: &CredsContainerEnvArgs) -> anyhow::Result<ExitStatus> {
    let config = ctx.config()?;
    let mut section = config.file.creds.clone().unwrap_or_default();
    if let Some(listen) = args.listen {
        section.listen = listen;
    }
    // With `tls_ca_names` the endpoint speaks https with a certificate from
    // awsproxy's CA, which the container must trust.
    let https = if let Some(name) = section.tls_ca_names.first() {
        // The endpoint makes the CA the same way when it starts.
        let ca = CertificateAuthority::load_or_create(&ctx.paths.data_dir)?;
        let bundle = trust::bundle_path(&ctx.paths);
        let truststore = trust::java_truststore_path(&ctx.paths);
        Some(Https {
            name: name.clone(),
            ca: ca.cert_path().to_owned(),
            bundle: bundle.is_file().then_some(bundle),
            truststore: truststore.is_file().then_some(truststore),
        })
    } else {
        None
    };
    let spec = ContainerSpec::for_client(&section, &args.client, https.as_ref())?;
    for warning in &spec.warnings {
        ctx.printer.warn(warning);
    }
    if args.json {
        let environment: serde_json::Map<String, serde_json::Value> = spec
            .env
            .iter()
            .map(|(n, v)| ((*n).to_owned(), serde_json::Value::String(v.clone())))
            .collect();
        ctx.printer.json(&serde_json::json!({
            "environment": environment,
            "volumes": spec.volumes,
            "extra_hosts": spec.extra_hosts,
        }))?;
        return Ok(ExitStatus::Success);
    }
    if args.format == ContainerEnvFormat::Env {
        for volume in &spec.volumes {
            ctx.printer.warn(&format!(
                "an env file cannot mount the token file: add `-v {}` (`volumes:` in compose)",
                quote_posix(volume)
            ));
        }
    }
    ctx.printer.data(&spec.render(args.format))?;
    Ok(ExitStatus::Success)
}

/// The endpoint's https with awsproxy's CA: the name the container calls, and the CA files on this host.
#[derive(Debug)]
struct Https {
    name: String,
    ca: PathBuf,
    /// The CA with the system's roots (`awsproxy ca trust` writes it).
    bundle: Option<PathBuf>,
    /// The JDK's roots and the CA (`awsproxy ca trust` writes it when it finds a JDK).
    truststore: Option<PathBuf>,
}

/// The container's variables and mounts.
#[derive(Debug)]
struct ContainerSpec {
    env: Vec<(&'static str, String)>,
    /// `SRC:DST:ro`, as docker and compose write them.
    volumes: Vec<String>,
    /// `NAME:ADDRESS` for `--add-host` / `extra_hosts`.
    extra_hosts: Vec<String>,
    /// For stderr (never the token).
    warnings: Vec<String>,
}

impl ContainerSpec {
    fn for_client(
        section: &CredsSection,
        name: &str,
        https: Option<&Https>,
    ) -> Result<Self, Error> {
        let host = creds_endpoint::client_env(section, name)?;
        let mut spec = Self {
            env: Vec::new(),
            volumes: Vec::new(),
            extra_hosts: Vec::new(),
            warnings: host.warnings,
        };
        for (var, value) in host.vars {
            if var == creds_endpoint::TOKEN_FILE_VAR {
                spec.volumes
                    .push(format!("{value}:{CONTAINER_TOKEN_PATH}:ro"));
                spec.env.push((var, CONTAINER_TOKEN_PATH.to_owned()));
            } else {
                spec.env.push((var, value));
            }
        }
        match https {
            Some(https) => spec.trust(https),
            // Over https (a certificate of the user's own) any host will do.
            None if section.tls_cert.is_some() => {}
            None => {
                if let Some((why, hint)) = creds_endpoint::container_problem(section.listen.0) {
                    spec.warnings.push(format!("{why}\nhint: {hint}"));
                }
            }
        }
        Ok(spec)
    }

    /// What the SDKs need to trust the endpoint's certificate, and the name
    /// resolving in the container. botocore and the AWS CLI are not helped by a
    /// variable: their container provider reads certifi's bundle only (not
    /// `AWS_CA_BUNDLE`), so the README says how to add the CA to it.
    fn trust(&mut self, https: &Https) {
        let mount = |src: &std::path::Path, dst: &str| format!("{}:{dst}:ro", src.display());
        self.volumes.push(mount(&https.ca, CONTAINER_CA_PATH));
        // The JavaScript SDK (node) adds these to its roots.
        self.env
            .push(("NODE_EXTRA_CA_CERTS", CONTAINER_CA_PATH.to_owned()));
        // OpenSSL-style clients (the Go and Rust SDKs, curl) replace their
        // roots with it: only a bundle that has the public ones too will do.
        match &https.bundle {
            Some(bundle) => {
                self.volumes.push(mount(bundle, CONTAINER_BUNDLE_PATH));
                self.env
                    .push(("SSL_CERT_FILE", CONTAINER_BUNDLE_PATH.to_owned()));
            }
            None => self.warnings.push(
                "no CA bundle yet, so SSL_CERT_FILE (for the Go and Rust SDKs) is left out\nhint: run `awsproxy ca trust`, then this again".to_owned(),
            ),
        }
        // Java: a copy of the JDK's roots with the CA.
        if let Some(truststore) = &https.truststore {
            self.volumes
                .push(mount(truststore, CONTAINER_TRUSTSTORE_PATH));
            self.env.push((
                "JAVA_TOOL_OPTIONS",
                trust::java_tool_options(std::path::Path::new(CONTAINER_TRUSTSTORE_PATH)),
            ));
        }
        if https.name == "host.docker.internal" {
            // Docker Desktop has the name; Docker Engine on Linux needs it mapped.
            self.extra_hosts
                .push("host.docker.internal:host-gateway".to_owned());
        }
    }

    fn render(&self, format: ContainerEnvFormat) -> String {
        match format {
            // One line, so `docker run $(awsproxy creds container-env app) IMAGE` works.
            ContainerEnvFormat::Docker => self
                .env
                .iter()
                .map(|(n, v)| format!("-e {}", quote_posix(&format!("{n}={v}"))))
                .chain(
                    self.volumes
                        .iter()
                        .map(|v| format!("-v {}", quote_posix(v))),
                )
                .chain(
                    self.extra_hosts
                        .iter()
                        .map(|h| format!("--add-host {}", quote_posix(h))),
                )
                .collect::<Vec<_>>()
                .join(" "),
            // JSON strings are YAML double-quoted scalars; compose reads `$` as
            // interpolation unless doubled.
            ContainerEnvFormat::Compose => {
                let scalar = |s: &str| serde_json::Value::String(s.replace('$', "$$")).to_string();
                let mut out = String::from("environment:\n");
                for (n, v) in &self.env {
                    out.push_str(&format!("  {n}: {}\n", scalar(v)));
                }
                for (key, list) in [
                    ("volumes", &self.volumes),
                    ("extra_hosts", &self.extra_hosts),
                ] {
                    if !list.is_empty() {
                        out.push_str(&format!("{key}:\n"));
                        for v in list {
                            out.push_str(&format!("  - {}\n", scalar(v)));
                        }
                    }
                }
                out
            }
            // `--env-file` takes everything after `=` literally.
            ContainerEnvFormat::Env => self.env.iter().map(|(n, v)| format!("{n}={v}\n")).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigSource;

    fn section(text: &str) -> CredsSection {
        crate::config::parse(text, &ConfigSource::EmbeddedDefault)
            .unwrap()
            .creds
            .unwrap()
    }

    const KEYS: &str = "access_key_id = \"AKIDX\"\nsecret_access_key = \"s\"\n";

    #[test]
    fn an_inline_token_on_the_ecs_address() {
        let s = section(&format!(
            "[creds]\nlisten = \"169.254.170.2:80\"\n[[creds.client]]\nname = \"app\"\ntoken = \"tok$1\"\n{KEYS}"
        ));
        let spec = ContainerSpec::for_client(&s, "app", None).unwrap();
        assert!(spec.warnings.is_empty(), "{:?}", spec.warnings);
        assert_eq!(
            spec.render(ContainerEnvFormat::Docker),
            "-e AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.2/v1/credentials -e 'AWS_CONTAINER_AUTHORIZATION_TOKEN=tok$1'"
        );
        assert_eq!(
            spec.render(ContainerEnvFormat::Compose),
            "environment:\n  AWS_CONTAINER_CREDENTIALS_FULL_URI: \"http://169.254.170.2/v1/credentials\"\n  AWS_CONTAINER_AUTHORIZATION_TOKEN: \"tok$$1\"\n"
        );
        assert_eq!(
            spec.render(ContainerEnvFormat::Env),
            "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.2/v1/credentials\nAWS_CONTAINER_AUTHORIZATION_TOKEN=tok$1\n"
        );
    }

    #[test]
    fn a_token_file_is_mounted_and_loopback_is_called_useless() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("app token");
        std::fs::write(&file, "t").unwrap();
        let s = section(&format!(
            "[creds]\nlisten = \"127.0.0.1:1338\"\n[[creds.client]]\nname = \"app\"\ntoken_file = {:?}\n{KEYS}",
            file.display().to_string()
        ));
        let spec = ContainerSpec::for_client(&s, "app", None).unwrap();
        assert_eq!(
            spec.env[1],
            (creds_endpoint::TOKEN_FILE_VAR, CONTAINER_TOKEN_PATH.into())
        );
        let volume = format!("{}:/run/awsproxy/token:ro", file.display());
        assert_eq!(spec.volumes, std::slice::from_ref(&volume));
        let docker = spec.render(ContainerEnvFormat::Docker);
        assert!(docker.ends_with(&format!(" -v '{volume}'")), "{docker}");
        assert!(
            spec.render(ContainerEnvFormat::Compose)
                .contains(&format!("volumes:\n  - \"{volume}\"\n"))
        );
        assert_eq!(spec.warnings.len(), 1);
        assert!(spec.warnings[0].contains("loopback"), "{:?}", spec.warnings);
        assert!(spec.warnings[0].contains("hint: set `[creds] listen = \"169.254.170.2:80\"`"));
    }

    #[test]
    fn https_names_the_ca_for_each_sdk_and_maps_host_docker_internal() {
        let s = section(&format!(
            "[creds]\ntls_ca_names = [\"host.docker.internal\"]\n[[creds.client]]\nname = \"app\"\ntoken = \"t\"\n{KEYS}"
        ));
        let https = Https {
            name: "host.docker.internal".into(),
            ca: "/d/ca.pem".into(),
            bundle: Some("/d/ca-bundle.pem".into()),
            truststore: None,
        };
        let spec = ContainerSpec::for_client(&s, "app", Some(&https)).unwrap();
        assert!(
            spec.warnings.is_empty(),
            "loopback is fine here: {:?}",
            spec.warnings
        );
        assert_eq!(
            spec.render(ContainerEnvFormat::Docker),
            "-e AWS_CONTAINER_CREDENTIALS_FULL_URI=https://host.docker.internal:1338/v1/credentials \
             -e AWS_CONTAINER_AUTHORIZATION_TOKEN=t -e NODE_EXTRA_CA_CERTS=/run/awsproxy/ca.pem \
             -e SSL_CERT_FILE=/run/awsproxy/ca-bundle.pem -v /d/ca.pem:/run/awsproxy/ca.pem:ro \
             -v /d/ca-bundle.pem:/run/awsproxy/ca-bundle.pem:ro --add-host host.docker.internal:host-gateway"
        );
        assert!(
            spec.render(ContainerEnvFormat::Compose)
                .ends_with("extra_hosts:\n  - \"host.docker.internal:host-gateway\"\n")
        );

        let alone = Https {
            bundle: None,
            ..https
        };
        let spec = ContainerSpec::for_client(&s, "app", Some(&alone)).unwrap();
        assert!(
            !spec.env.iter().any(|(n, _)| *n == "SSL_CERT_FILE"),
            "{:?}",
            spec.env
        );
        assert!(
            spec.warnings[0].contains("awsproxy ca trust"),
            "{:?}",
            spec.warnings
        );

        let java = Https {
            truststore: Some("/d/ts.p12".into()),
            ..alone
        };
        let spec = ContainerSpec::for_client(&s, "app", Some(&java)).unwrap();
        assert!(
            spec.volumes
                .contains(&"/d/ts.p12:/run/awsproxy/truststore.p12:ro".to_owned())
        );
        let (_, options) = spec
            .env
            .iter()
            .find(|(n, _)| *n == "JAVA_TOOL_OPTIONS")
            .unwrap();
        assert!(
            options.starts_with("-Djavax.net.ssl.trustStore=/run/awsproxy/truststore.p12 "),
            "{options}"
        );
    }

    #[test]
    fn an_unknown_client_names_the_known_ones() {
        let s = section(&format!(
            "[creds]\n[[creds.client]]\nname = \"app\"\ntoken = \"t\"\n{KEYS}[[creds.client]]\nname = \"ci\"\ntoken = \"u\"\n{KEYS}"
        ));
        let err = ContainerSpec::for_client(&s, "nope", None).unwrap_err();
        assert!(err.to_string().contains("`nope`"), "{err}");
        assert_eq!(err.hint().unwrap(), "configured clients: app, ci");
    }
}
