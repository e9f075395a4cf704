//! Where awsproxy keeps its files: XDG base directories (through the `xdg` crate,
//! so `XDG_*_HOME` variables are honoured and tests can isolate everything under a
//! temp dir) plus the AWS CLI's own locations that awsproxy shares.
//!
//! | what                          | where                                   |
//! |-------------------------------|-----------------------------------------|
//! | config file                   | `$XDG_CONFIG_HOME/awsproxy/config.toml` |
//! | cached artifacts and tokens   | `$XDG_CACHE_HOME/awsproxy/`             |
//! | CA key and certificate        | `$XDG_DATA_HOME/awsproxy/`              |
//! | locks, logs, notifier state   | `$XDG_STATE_HOME/awsproxy/`             |
//! | AWS config                    | `$AWS_CONFIG_FILE` or `~/.aws/config`   |
//! | AWS credentials               | `$AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials` |
//! | SSO token cache (AWS CLI v2)  | `~/.aws/sso/cache/`                     |

use std::path::PathBuf;

use crate::env_vars;

const APP: &str = "awsproxy";

/// Resolved locations. Nothing is created until a command needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub cache_dir: PathBuf,
    pub data_dir: PathBuf,
    pub state_dir: PathBuf,
    pub home: PathBuf,
}

impl Paths {
    /// Reads `HOME` and the `XDG_*` variables.
    pub fn from_env() -> anyhow::Result<Self> {
        let home = std::env::var_os(env_vars::HOME)
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| {
                anyhow::anyhow!("HOME is not set; awsproxy needs it to find its directories")
            })?;
        let xdg = xdg::BaseDirectories::with_prefix(APP);
        let or_home = |dir: Option<PathBuf>, fallback: &str| {
            dir.unwrap_or_else(|| home.join(fallback).join(APP))
        };
        Ok(Self {
            config_dir: or_home(xdg.get_config_home(), ".config"),
            cache_dir: or_home(xdg.get_cache_home(), ".cache"),
            data_dir: or_home(xdg.get_data_home(), ".local/share"),
            state_dir: or_home(xdg.get_state_home(), ".local/state"),
            home,
        })
    }

    /// The default configuration file.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// The AWS CLI's config file, honouring `AWS_CONFIG_FILE`.
    pub fn aws_config_file(&self) -> PathBuf {
        match std::env::var_os(env_vars::AWS_CONFIG_FILE) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => self.home.join(".aws").join("config"),
        }
    }

    /// The AWS CLI's credentials file, honouring `AWS_SHARED_CREDENTIALS_FILE`.
    pub fn aws_credentials_file(&self) -> PathBuf {
        match std::env::var_os(env_vars::AWS_SHARED_CREDENTIALS_FILE) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => self.home.join(".aws").join("credentials"),
        }
    }

    /// The SSO token cache shared with the AWS CLI v2 and the SDKs.
    pub fn aws_sso_cache_dir(&self) -> PathBuf {
        self.home.join(".aws").join("sso").join("cache")
    }
}
