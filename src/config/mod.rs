//! The configuration file: loading, `${env:X}` / `${file:P}` references,
//! validation, and errors that name the file, line, column and key.
//!
//! Loading order: `--config PATH` (or `AWSPROXY_CONFIG`) must exist; otherwise
//! `$XDG_CONFIG_HOME/awsproxy/config.toml` is used when present, and the embedded
//! default ([`DEFAULT_TOML`]) when not. Command-line flags and `AWSPROXY_*`
//! variables override file values (see `settings`).

mod error;
mod schema;
mod validate;
pub mod values;

use std::path::{Path, PathBuf};

pub use error::ConfigError;
pub use schema::*;

/// The embedded default configuration: a disk cache, the forward proxy, the
/// repository listener and the metrics/status listener, all on 127.0.0.1.
/// `awsproxy config default` prints it; everything commented out is optional.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    File(PathBuf),
    EmbeddedDefault,
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigSource::File(p) => write!(f, "{}", p.display()),
            ConfigSource::EmbeddedDefault => f.write_str("<embedded default>"),
        }
    }
}

/// A parsed and validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub file: ConfigFile,
    pub source: ConfigSource,
}

impl Config {
    /// Loads the configuration a command should use. `explicit` is `--config` /
    /// `AWSPROXY_CONFIG`; `default_path` is the XDG location.
    pub fn load(explicit: Option<&Path>, default_path: &Path) -> Result<Self, ConfigError> {
        match explicit {
            Some(path) => Self::from_path(path),
            None if default_path.exists() => Self::from_path(default_path),
            None => Self::embedded_default(),
        }
    }

    /// Parses and validates one file.
    pub fn from_path(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::unreadable(path, &e))?;
        let file = parse(&text, &ConfigSource::File(path.to_owned()))?;
        Ok(Self {
            file,
            source: ConfigSource::File(path.to_owned()),
        })
    }

    pub fn embedded_default() -> Result<Self, ConfigError> {
        let file = parse(DEFAULT_TOML, &ConfigSource::EmbeddedDefault)?;
        Ok(Self {
            file,
            source: ConfigSource::EmbeddedDefault,
        })
    }
}

/// Parses TOML text into a validated [`ConfigFile`]. `source` is only used in errors.
pub fn parse(text: &str, source: &ConfigSource) -> Result<ConfigFile, ConfigError> {
    let deserializer = toml::Deserializer::parse(text)
        .map_err(|e| ConfigError::from_toml(source, text, "", &e))?;
    let file: ConfigFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        ConfigError::from_toml(source, text, &key, e.inner())
    })?;
    validate::validate(&file).map_err(|v| ConfigError::from_validation(source, text, v))?;
    Ok(file)
}

/// Parses one `[creds] clients_dir` file: `[[client]]` tables with the keys of
/// `[[creds.client]]`, validated by the same rules (names unique within the file).
pub fn parse_clients_file(text: &str, path: &Path) -> Result<Vec<CredsClient>, ConfigError> {
    let source = ConfigSource::File(path.to_owned());
    let deserializer = toml::Deserializer::parse(text)
        .map_err(|e| ConfigError::from_toml(&source, text, "", &e))?;
    let file: CredsClientsFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        ConfigError::from_toml(&source, text, &key, e.inner())
    })?;
    validate::validate_creds_clients(&file.client, "")
        .map_err(|v| ConfigError::from_validation(&source, text, v))?;
    Ok(file.client)
}

#[cfg(test)]
mod tests;
