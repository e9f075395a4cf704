//! Whose credentials a registry's token is fetched with, decided without a
//! network call (so a cached token costs nothing) and without the SDK default
//! chain's last resort, the EC2 instance metadata service, unless this machine
//! is an EC2 instance: off EC2 that probe only adds seconds of timeouts before
//! the same failure.
//!
//! In order: the registry's `profile` (else `[docker] profile`), `AWS_PROFILE`,
//! keys or a web-identity/container source in the environment (the default
//! chain finds them before instance metadata), a `[default]` profile in the AWS
//! files, instance metadata on EC2. Otherwise there are no credentials, said at once.

use std::path::{Path, PathBuf};

use crate::creds::SourceSpec;
use crate::error::Hinted;
use crate::paths::Paths;
use crate::sso::aws_config::{ProfileFile, profile_names};

/// Variables that give the default chain credentials before instance metadata.
const CHAIN_SOURCES: [&str; 4] = [
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CREDENTIAL_PROCESS",
];

/// The credentials chosen for a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub spec: SourceSpec,
    /// Names the credentials in the token cache key.
    pub identity: String,
    /// The profile whose files must define it (checked before any call).
    pub profile: Option<String>,
}

fn profile(name: &str) -> Choice {
    Choice {
        spec: SourceSpec::profile(Some(name)),
        identity: format!("profile:{name}"),
        profile: Some(name.to_owned()),
    }
}

/// Picks the credentials for `host`. `configured` is the registry's profile
/// (or `[docker] profile`); `var` reads the environment.
pub fn choose(
    host: &str,
    configured: Option<&str>,
    var: &dyn Fn(&str) -> Option<String>,
    files: &AwsFiles,
    on_ec2: bool,
) -> anyhow::Result<Choice> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    if let Some(p) = configured {
        return Ok(profile(p));
    }
    if let Some(p) = set("AWS_PROFILE") {
        return Ok(profile(&p));
    }
    let chain = |identity: String| Choice {
        spec: SourceSpec::profile(None),
        identity,
        profile: None,
    };
    if let Some(key) = set("AWS_ACCESS_KEY_ID") {
        return Ok(chain(format!("key:{key}")));
    }
    if CHAIN_SOURCES.iter().any(|v| set(v).is_some()) {
        return Ok(chain("default-chain".to_owned()));
    }
    if files.has_default_profile() {
        return Ok(profile("default"));
    }
    if on_ec2 {
        return Ok(chain("instance-metadata".to_owned()));
    }
    Err(Hinted::new(
        format!(
            "no AWS credentials for {host}: no profile is configured for it, AWS_PROFILE is unset, the environment has no keys, {} and {} define no [default] profile, and this is not an EC2 instance (its metadata service is not asked)",
            files.config.display(),
            files.credentials.display()
        ),
        format!(
            "name a profile for the registry in the awsproxy config (`[[docker.registry]]` host = \"{host}\", profile = \"NAME\", or `[docker] profile`), or set AWS_PROFILE"
        ),
    )
    .into())
}

/// The AWS CLI's two files.
#[derive(Debug, Clone)]
pub struct AwsFiles {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl AwsFiles {
    pub fn new(paths: &Paths) -> Self {
        Self {
            config: paths.aws_config_file(),
            credentials: paths.aws_credentials_file(),
        }
    }

    fn has_default_profile(&self) -> bool {
        [
            (&self.config, ProfileFile::Config),
            (&self.credentials, ProfileFile::Credentials),
        ]
        .iter()
        .any(|(path, kind)| {
            std::fs::read_to_string(path)
                .is_ok_and(|text| profile_names(&text, *kind).iter().any(|p| p == "default"))
        })
    }
}

/// Whether this machine is an EC2 instance, from what the hypervisor shows in
/// sysfs under `root` (`/` normally): Nitro instances carry their instance id
/// as the board asset tag and `Amazon EC2` as the vendor, Xen ones an `ec2…`
/// hypervisor UUID. `AWS_EC2_METADATA_DISABLED=true` (the SDKs' switch) wins.
pub fn on_ec2(root: &Path, var: &dyn Fn(&str) -> Option<String>) -> bool {
    if var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return false;
    }
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_default();
    read("sys/devices/virtual/dmi/id/board_asset_tag")
        .trim()
        .starts_with("i-")
        || read("sys/devices/virtual/dmi/id/sys_vendor").trim() == "Amazon EC2"
        || read("sys/hypervisor/uuid")
            .trim()
            .to_ascii_lowercase()
            .starts_with("ec2")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn paths(dir: &Path) -> AwsFiles {
        AwsFiles {
            config: dir.join("nohome/.aws/config"),
            credentials: dir.join("nohome/.aws/credentials"),
        }
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn configured_profile_then_aws_profile_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let e = env(&[("AWS_PROFILE", "shell"), ("AWS_ACCESS_KEY_ID", "AKIDX")]);
        assert_eq!(
            choose("h", Some("ecr"), &e, &p, false).unwrap().identity,
            "profile:ecr"
        );
        assert_eq!(
            choose("h", None, &e, &p, false).unwrap().identity,
            "profile:shell"
        );
        let e = env(&[("AWS_ACCESS_KEY_ID", "AKIDX")]);
        let c = choose("h", None, &e, &p, false).unwrap();
        assert_eq!((c.identity.as_str(), c.profile), ("key:AKIDX", None));
        let e = env(&[("AWS_WEB_IDENTITY_TOKEN_FILE", "/t")]);
        assert_eq!(
            choose("h", None, &e, &p, false).unwrap().identity,
            "default-chain"
        );
    }

    #[test]
    fn instance_metadata_only_on_ec2_else_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let none = env(&[]);
        let err = choose("public.ecr.aws", None, &none, &p, false).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("not an EC2 instance"), "{text}");
        assert_eq!(
            choose("h", None, &none, &p, true).unwrap().identity,
            "instance-metadata"
        );
        // A [default] profile in the credentials file is used before that.
        let creds = dir.path().join("nohome/.aws/credentials");
        std::fs::create_dir_all(creds.parent().unwrap()).unwrap();
        std::fs::write(&creds, "[default]\naws_access_key_id = a\n").unwrap();
        assert_eq!(
            choose("h", None, &none, &p, false).unwrap().identity,
            "profile:default"
        );
    }

    #[test]
    fn ec2_is_recognised_from_sysfs() {
        let dir = tempfile::tempdir().unwrap();
        let none = env(&[]);
        assert!(!on_ec2(dir.path(), &none));
        let dmi = dir.path().join("sys/devices/virtual/dmi/id");
        std::fs::create_dir_all(&dmi).unwrap();
        std::fs::write(dmi.join("board_asset_tag"), "i-0123456789abcdef0\n").unwrap();
        assert!(on_ec2(dir.path(), &none));
        assert!(!on_ec2(
            dir.path(),
            &env(&[("AWS_EC2_METADATA_DISABLED", "true")])
        ));
        std::fs::write(dmi.join("board_asset_tag"), "\n").unwrap();
        std::fs::write(dmi.join("sys_vendor"), "Amazon EC2\n").unwrap();
        assert!(on_ec2(dir.path(), &none));
    }
}
