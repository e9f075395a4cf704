//! Value types of the configuration file that need more than serde's defaults:
//! secrets with `${env:NAME}` / `${file:PATH}` references, durations ("20m"),
//! sizes ("10GiB") and listen addresses. Each one fails with a message that says
//! what a good value looks like; `super::ConfigError` adds file, line and key.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, de};

use crate::secret::Secret;

/// Expands `${env:NAME}` and `${file:PATH}` references in `raw`. `$${` is a literal `${`.
/// A file's trailing newline is dropped (token files are usually written by `echo`).
pub fn expand_references(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(body) = tail.strip_prefix("${") {
            let end = body
                .find('}')
                .ok_or_else(|| format!("unterminated reference `{}`", truncate(tail)))?;
            let reference = &body[..end];
            out.push_str(&resolve(reference)?);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn resolve(reference: &str) -> Result<String, String> {
    if let Some(name) = reference.strip_prefix("env:") {
        if name.is_empty() {
            return Err(
                "`${env:}` needs a variable name, as in `${env:AWS_SECRET_ACCESS_KEY}`".into(),
            );
        }
        std::env::var(name).map_err(|e| match e {
            std::env::VarError::NotPresent => format!("environment variable `{name}` is not set"),
            std::env::VarError::NotUnicode(_) => {
                format!("environment variable `{name}` is not valid UTF-8")
            }
        })
    } else if let Some(path) = reference.strip_prefix("file:") {
        read_secret_file(&home_relative(path)?)
    } else {
        Err(format!(
            "unknown reference `${{{reference}}}`: use `${{env:NAME}}` or `${{file:/path}}` (write `$${{` for a literal `${{`)"
        ))
    }
}

/// `~/rest` is `rest` under `$HOME`; any other path is itself.
fn home_relative(path: &str) -> Result<std::path::PathBuf, String> {
    let Some(rest) = path.strip_prefix("~/") else {
        return Ok(path.into());
    };
    let home = std::env::var_os(crate::env_vars::HOME)
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("`${{file:{path}}}` needs HOME to be set"))?;
    Ok(Path::new(&home).join(rest))
}

/// Reads a secret from a file, dropping one trailing newline.
pub fn read_secret_file(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(text.strip_suffix('\r').unwrap_or(text).to_owned())
}

fn truncate(s: &str) -> &str {
    s.char_indices().nth(24).map_or(s, |(i, _)| &s[..i])
}

/// A secret from the config file, after reference expansion.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SecretValue(pub Secret);

impl<'de> Deserialize<'de> for SecretValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        let value = expand_references(&raw).map_err(de::Error::custom)?;
        if value.is_empty() {
            return Err(de::Error::custom("is empty"));
        }
        Ok(Self(Secret::new(value)))
    }
}

/// A duration written the human way: "90s", "20m", "1h 30m", "12h".
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        humantime::parse_duration(raw.trim())
            .map(Self)
            .map_err(|e| {
                de::Error::custom(format!(
                    "`{raw}` is not a duration ({e}); write it like \"90s\", \"20m\" or \"12h\""
                ))
            })
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// A size in bytes: an integer, or a number with a unit (KB, MB, GB, TB in powers
/// of 1000; KiB, MiB, GiB, TiB in powers of 1024; "G" alone means GiB).
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let s = raw.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let number: f64 = number.parse().map_err(|_| {
            format!("`{raw}` is not a size; write it like \"10GiB\", \"500MB\" or \"1073741824\"")
        })?;
        let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "tb" => 1_000_000_000_000,
            "k" | "kib" => 1 << 10,
            "m" | "mib" => 1 << 20,
            "g" | "gib" => 1 << 30,
            "t" | "tib" => 1 << 40,
            other => {
                return Err(format!(
                    "unknown size unit `{other}` in `{raw}`; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
                ));
            }
        };
        let bytes = number * multiplier as f64;
        if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
            return Err(format!("`{raw}` is out of range"));
        }
        Ok(Self(bytes as u64))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(Self(n)),
            Raw::Text(s) => s.parse().map_err(de::Error::custom),
        }
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut value = self.0 as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        if unit == 0 {
            write!(f, "{} B", self.0)
        } else {
            write!(f, "{value:.1} {}", UNITS[unit])
        }
    }
}

/// A listen address such as "127.0.0.1:9000" or "[::1]:9000". Port 0 picks a free port.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ListenAddr(pub SocketAddr);

impl FromStr for ListenAddr {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.trim().parse().map(Self).map_err(|_| {
            format!("`{raw}` is not a listen address; write it like \"127.0.0.1:9000\"")
        })
    }
}

impl<'de> Deserialize<'de> for ListenAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(de::Error::custom)
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A `[proxy] allow_destinations` entry, parsed by `net::destination`.
impl<'de> Deserialize<'de> for crate::net::destination::Allow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(de::Error::custom)
    }
}

/// A client network (`10.0.0.0/8`, `fd00::/8`) or one address (`192.0.2.7`),
/// as `allow_clients` lists them.
pub fn parse_network(raw: &str) -> Result<ipnet::IpNet, String> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|n| n.trunc())
        .map_err(|_| {
            format!("`{raw}` is not a network (write it like \"10.0.0.0/8\" or \"192.0.2.7\")")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_env_and_file_references() {
        // SAFETY-free: tests in this module use their own variable names.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "from-file\n").unwrap();
        let raw = format!("a-${{file:{}}}-b", file.display());
        assert_eq!(expand_references(&raw).unwrap(), "a-from-file-b");
        assert_eq!(
            expand_references("plain $HOME text").unwrap(),
            "plain $HOME text"
        );
        assert_eq!(expand_references("lit $${env:X}").unwrap(), "lit ${env:X}");
    }

    #[test]
    fn file_references_may_start_at_the_home_directory() {
        let home = std::env::var_os("HOME").expect("tests run with HOME set");
        assert_eq!(
            home_relative("~/.config/awsproxy/cache.key").unwrap(),
            Path::new(&home).join(".config/awsproxy/cache.key")
        );
        assert_eq!(home_relative("/etc/key").unwrap(), Path::new("/etc/key"));
        assert_eq!(home_relative("~user/key").unwrap(), Path::new("~user/key"));
    }

    #[test]
    fn missing_references_name_what_is_missing() {
        let err = expand_references("${env:AWSPROXY_TEST_SURELY_UNSET_VAR}").unwrap_err();
        assert!(err.contains("AWSPROXY_TEST_SURELY_UNSET_VAR"), "{err}");
        let err = expand_references("${file:/nonexistent/awsproxy/secret}").unwrap_err();
        assert!(err.contains("/nonexistent/awsproxy/secret"), "{err}");
        assert!(
            expand_references("${vault:x}")
                .unwrap_err()
                .contains("unknown reference")
        );
        assert!(
            expand_references("${env:X")
                .unwrap_err()
                .contains("unterminated")
        );
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!("10GiB".parse::<ByteSize>().unwrap().0, 10 << 30);
        assert_eq!("500MB".parse::<ByteSize>().unwrap().0, 500_000_000);
        assert_eq!("1.5 G".parse::<ByteSize>().unwrap().0, 3 << 29);
        assert_eq!("4096".parse::<ByteSize>().unwrap().0, 4096);
        assert!("ten gigs".parse::<ByteSize>().is_err());
        assert!(
            "10XB"
                .parse::<ByteSize>()
                .unwrap_err()
                .contains("XB".to_lowercase().as_str())
        );
        assert_eq!(ByteSize(10 << 30).to_string(), "10.0 GiB");
    }

    #[test]
    fn listen_addresses_need_a_port() {
        assert!("127.0.0.1:9000".parse::<ListenAddr>().is_ok());
        assert!("[::1]:0".parse::<ListenAddr>().is_ok());
        assert!(
            "localhost"
                .parse::<ListenAddr>()
                .unwrap_err()
                .contains("127.0.0.1:9000")
        );
    }
}
