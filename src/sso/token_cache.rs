//! The SSO token cache shared with the AWS CLI v2, botocore and every SDK:
//! `~/.aws/sso/cache/<sha1_hex(KEY)>.json` (KEY: the `sso-session` name, or the
//! start URL for legacy profiles).
//!
//! Reads are tolerant (fractional seconds, `+00:00`, the old `UTC` suffix) and
//! keep fields awsproxy doesn't know, so a rewrite loses nothing another tool
//! put there. A malformed or truncated file is an error naming the file, and is
//! never rewritten by a read path. Writes are atomic (temp file + rename) and
//! 0600, with timestamps as `YYYY-MM-DDTHH:MM:SSZ`, the format botocore writes.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha1::Digest as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::fsutil::{self, Mode};
use crate::secret::Secret;

/// `~/.aws/sso/cache/<sha1_hex(key)>.json`
pub fn cache_file(cache_dir: &Path, key: &str) -> PathBuf {
    cache_dir.join(format!(
        "{}.json",
        hex::encode(sha1::Sha1::digest(key.as_bytes()))
    ))
}

/// A cache file that exists but cannot be used. The file is left untouched.
#[derive(Debug, thiserror::Error)]
#[error("the SSO token cache file {} is unreadable: {reason}", path.display())]
pub struct MalformedCache {
    pub path: PathBuf,
    pub reason: String,
}

/// One cached token, as the AWS CLI v2 writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedToken {
    pub start_url: Option<String>,
    pub region: Option<String>,
    pub access_token: Secret,
    pub expires_at: OffsetDateTime,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub registration_expires_at: Option<OffsetDateTime>,
    pub refresh_token: Option<Secret>,
    /// Fields written by other tools, kept on rewrite.
    pub extra: Map<String, Value>,
}

impl CachedToken {
    /// Seconds until the access token expires (negative when expired).
    pub fn expires_in(&self, now: OffsetDateTime) -> time::Duration {
        self.expires_at - now
    }

    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at <= now
    }

    /// Why this token can't be refreshed with the `refresh_token` grant, if it can't.
    pub fn refresh_blocker(&self, now: OffsetDateTime) -> Option<&'static str> {
        if self.refresh_token.as_ref().is_none_or(Secret::is_empty) {
            return Some("no refresh token");
        }
        if self.client_id.is_none() || self.client_secret.is_none() {
            return Some("no client registration");
        }
        match self.registration_expires_at {
            Some(t) if t <= now => Some("registration expired"),
            _ => None,
        }
    }

    /// The JSON text botocore and the AWS CLI expect.
    pub fn to_json(&self) -> Vec<u8> {
        let mut map = self.extra.clone();
        let mut put = |k: &str, v: Option<String>| {
            match v {
                Some(v) => map.insert(k.to_owned(), Value::String(v)),
                None => map.remove(k),
            };
        };
        put("startUrl", self.start_url.clone());
        put("region", self.region.clone());
        put("accessToken", Some(self.access_token.expose().to_owned()));
        put("expiresAt", Some(format_timestamp(self.expires_at)));
        put("clientId", self.client_id.clone());
        put(
            "clientSecret",
            self.client_secret.as_ref().map(|s| s.expose().to_owned()),
        );
        put(
            "registrationExpiresAt",
            self.registration_expires_at.map(format_timestamp),
        );
        put(
            "refreshToken",
            self.refresh_token.as_ref().map(|s| s.expose().to_owned()),
        );
        serde_json::to_vec(&Value::Object(map)).unwrap_or_default()
    }

    /// Parses a cache file's bytes. `path` is only used in the error.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<Self, MalformedCache> {
        let bad = |reason: String| MalformedCache {
            path: path.to_owned(),
            reason,
        };
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            bad(if e.is_eof() {
                format!("truncated JSON ({e})")
            } else {
                format!("not valid JSON ({e})")
            })
        })?;
        let Value::Object(mut map) = value else {
            return Err(bad("not a JSON object".into()));
        };
        let mut string = |key: &str| -> Result<Option<String>, MalformedCache> {
            match map.remove(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(bad(format!("`{key}` is not a string"))),
            }
        };
        let start_url = string("startUrl")?;
        let region = string("region")?;
        let access_token = string("accessToken")?;
        let expires_at = string("expiresAt")?;
        let client_id = string("clientId")?;
        let client_secret = string("clientSecret")?;
        let registration_expires_at = string("registrationExpiresAt")?;
        let refresh_token = string("refreshToken")?;
        let access_token = access_token.ok_or_else(|| bad("no `accessToken`".into()))?;
        let expires_at = expires_at.ok_or_else(|| bad("no `expiresAt`".into()))?;
        let timestamp = |key: &str, raw: &str| {
            parse_timestamp(raw).map_err(|e| bad(format!("`{key}` = `{raw}`: {e}")))
        };
        Ok(Self {
            start_url,
            region,
            access_token: Secret::new(access_token),
            expires_at: timestamp("expiresAt", &expires_at)?,
            client_id,
            client_secret: client_secret.map(Secret::new),
            registration_expires_at: registration_expires_at
                .map(|raw| timestamp("registrationExpiresAt", &raw))
                .transpose()?,
            refresh_token: refresh_token.map(Secret::new),
            extra: map,
        })
    }
}

/// Reads a cache file: `Ok(None)` when absent, an error naming the file when malformed.
pub fn read(path: &Path) -> anyhow::Result<Option<CachedToken>> {
    match fs_err::read(path) {
        Ok(bytes) => Ok(Some(CachedToken::from_json(&bytes, path)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Atomically replaces the cache file (0600).
pub fn write(path: &Path, token: &CachedToken) -> anyhow::Result<()> {
    fsutil::atomic_write(path, &token.to_json(), Mode::Secret)
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// RFC 3339 with a zone (`Z`, `+00:00`, fractional seconds), or the old `...UTC` suffix.
/// A timestamp without a zone is invalid.
pub fn parse_timestamp(raw: &str) -> Result<OffsetDateTime, String> {
    let raw = raw.trim();
    let normalised = match raw.strip_suffix("UTC") {
        Some(rest) => format!("{}Z", rest.trim_end()),
        None => raw.to_owned(),
    };
    OffsetDateTime::parse(&normalised, &Rfc3339)
        .map_err(|_| "not a timestamp with a zone, like 2024-01-01T12:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_is_sha1_of_the_key() {
        let p = cache_file(Path::new("/c"), "my-sso");
        // sha1("my-sso")
        assert_eq!(
            p,
            Path::new("/c").join(format!(
                "{}.json",
                hex::encode(sha1::Sha1::digest(b"my-sso"))
            ))
        );
        assert_eq!(p.file_name().unwrap().len(), 40 + 5);
    }

    #[test]
    fn timestamps_in_every_dialect() {
        let want = parse_timestamp("2026-01-02T03:04:05Z").unwrap();
        for raw in [
            "2026-01-02T03:04:05.000Z",
            "2026-01-02T03:04:05+00:00",
            "2026-01-02T03:04:05UTC",
            "2026-01-02T04:04:05+01:00",
        ] {
            assert_eq!(parse_timestamp(raw).unwrap(), want, "{raw}");
        }
        assert!(parse_timestamp("2026-01-02T03:04:05").is_err());
        assert_eq!(format_timestamp(want), "2026-01-02T03:04:05Z");
    }

    #[test]
    fn round_trip_keeps_unknown_fields_and_uses_cli_names() {
        let json = br#"{"startUrl":"https://x/start","region":"us-east-1","accessToken":"at","expiresAt":"2026-01-02T03:04:05.5Z","clientId":"cid","clientSecret":"cs","registrationExpiresAt":"2026-03-01T00:00:00UTC","refreshToken":"rt","other":1}"#;
        let t = CachedToken::from_json(json, Path::new("f")).unwrap();
        let out: Value = serde_json::from_slice(&t.to_json()).unwrap();
        assert_eq!(out["expiresAt"], "2026-01-02T03:04:05Z");
        assert_eq!(out["registrationExpiresAt"], "2026-03-01T00:00:00Z");
        assert_eq!(out["refreshToken"], "rt");
        assert_eq!(out["other"], 1);
        assert!(!format!("{t:?}").contains("\"at\""));
    }

    #[test]
    fn malformed_files_say_why() {
        let e = CachedToken::from_json(br#"{"accessToken":"a","expi"#, Path::new("f")).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = CachedToken::from_json(br#"{"accessToken":"a"}"#, Path::new("f")).unwrap_err();
        assert!(e.to_string().contains("expiresAt"), "{e}");
        let e = CachedToken::from_json(
            br#"{"accessToken":"a","expiresAt":"2026-01-02T03:04:05"}"#,
            Path::new("f"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("zone"), "{e}");
    }
}
