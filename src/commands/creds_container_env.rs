//! `awsproxy creds container-env CLIENT [--format docker|compose|env] [--json]`:
//! what a container needs to use one creds client's credentials. The variables
//! are the ones `env --creds` and `creds serve --print-env` give this host
//! ([`creds_endpoint::client_env`]); a token file becomes a read-only mount at
//! [`CONTAINER_TOKEN_PATH`], since the host's path means nothing inside. Data
//! (which may hold the token) on stdout; why a container could not reach the
//! endpoint on stderr.

use super::Ctx;
use crate::cli::{ContainerEnvFormat, CredsContainerEnvArgs};
use crate::config::CredsSection;
use crate::error::{Error, ExitStatus};
use crate::services::creds_endpoint;
use crate::shell::quote_posix;

/// Where the client's token file is mounted in the container.
pub const CONTAINER_TOKEN_PATH: &str = "/run/awsproxy/token";

pub fn run(ctx: &Ctx, args: &CredsContainerEnvArgs) -> anyhow::Result<ExitStatus> {
    let config = ctx.config()?;
    let mut section = config.file.creds.clone().unwrap_or_default();
    if let Some(listen) = args.listen {
        section.listen = listen;
    }
    let spec = ContainerSpec::for_client(&section, &args.client)?;
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

/// The container's variables and mounts.
#[derive(Debug)]
struct ContainerSpec {
    env: Vec<(&'static str, String)>,
    /// `SRC:DST:ro`, as docker and compose write them.
    volumes: Vec<String>,
    /// For stderr (never the token).
    warnings: Vec<String>,
}

impl ContainerSpec {
    fn for_client(section: &CredsSection, name: &str) -> Result<Self, Error> {
        let host = creds_endpoint::client_env(section, name)?;
        let mut spec = Self {
            env: Vec::new(),
            volumes: Vec::new(),
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
        if let Some((why, hint)) = creds_endpoint::container_problem(section.listen.0) {
            spec.warnings.push(format!("{why}\nhint: {hint}"));
        }
        Ok(spec)
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
                if !self.volumes.is_empty() {
                    out.push_str("volumes:\n");
                    for v in &self.volumes {
                        out.push_str(&format!("  - {}\n", scalar(v)));
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
        let spec = ContainerSpec::for_client(&s, "app").unwrap();
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
        let spec = ContainerSpec::for_client(&s, "app").unwrap();
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
    fn an_unknown_client_names_the_known_ones() {
        let s = section(&format!(
            "[creds]\n[[creds.client]]\nname = \"app\"\ntoken = \"t\"\n{KEYS}[[creds.client]]\nname = \"ci\"\ntoken = \"u\"\n{KEYS}"
        ));
        let err = ContainerSpec::for_client(&s, "nope").unwrap_err();
        assert!(err.to_string().contains("`nope`"), "{err}");
        assert_eq!(err.hint().unwrap(), "configured clients: app, ci");
    }
}
