//! Java: the JDK's `cacerts` needs root to change, so awsproxy writes a user
//! trust store instead (a copy of `cacerts` plus the CA, PKCS12, password
//! `changeit`) that `JAVA_TOOL_OPTIONS` from `awsproxy env` points JVMs at.

use std::ffi::OsStr;
use std::path::PathBuf;

use super::{
    ALIAS, JAVA_TRUSTSTORE_PASSWORD, Note, Settings, State, Store, StoreKind, contains_cert,
    on_path, run,
};

pub(super) struct Java<'a>(pub &'a Settings);

/// The JDK's tools: `keytool` and the `cacerts` it ships.
struct Jdk {
    keytool: PathBuf,
    cacerts: PathBuf,
}

impl Java<'_> {
    fn path(&self) -> PathBuf {
        self.0.data_dir.join(super::JAVA_TRUSTSTORE_FILE)
    }

    /// `$JAVA_HOME/bin/keytool`, else `keytool` on PATH; `cacerts` next to it.
    fn jdk(&self) -> Result<Jdk, String> {
        let keytool = match &self.0.java_home {
            Some(home) => home.join("bin").join("keytool"),
            None => on_path("keytool").ok_or_else(|| {
                "no JDK found (keytool is not on PATH and JAVA_HOME is unset)".to_owned()
            })?,
        };
        let home = std::fs::canonicalize(&keytool)
            .ok()
            .and_then(|k| Some(k.parent()?.parent()?.to_owned()))
            .ok_or_else(|| format!("no JDK found at {}", keytool.display()))?;
        let cacerts = home.join("lib").join("security").join("cacerts");
        if !cacerts.is_file() {
            return Err(format!(
                "the JDK at {} has no lib/security/cacerts",
                home.display()
            ));
        }
        Ok(Jdk { keytool, cacerts })
    }
}

impl Store for Java<'_> {
    fn kind(&self) -> StoreKind {
        StoreKind::Java
    }

    fn location(&self) -> String {
        self.path().display().to_string()
    }

    fn state(&self) -> State {
        let jdk = match self.jdk() {
            Ok(jdk) => jdk,
            Err(why) => return State::Unavailable(why),
        };
        if !self.path().is_file() {
            return State::Missing;
        }
        let path = self.path();
        let args: [&OsStr; 9] = [
            "-exportcert".as_ref(),
            "-rfc".as_ref(),
            "-alias".as_ref(),
            ALIAS.as_ref(),
            "-keystore".as_ref(),
            path.as_os_str(),
            "-storepass".as_ref(),
            JAVA_TRUSTSTORE_PASSWORD.as_ref(),
            "-noprompt".as_ref(),
        ];
        match run(&jdk.keytool, &args) {
            Ok(pem) if contains_cert(&pem, &self.0.ca_pem) => State::Current,
            _ => State::Outdated,
        }
    }

    fn add(&self) -> anyhow::Result<Note> {
        let jdk = self.jdk().map_err(anyhow::Error::msg)?;
        crate::fsutil::create_private_dir(&self.0.data_dir)?;
        // Built beside the target, then renamed over it: JVMs never read half a store.
        let tmp = tempfile::Builder::new()
            .prefix(".awsproxy-java-")
            .tempdir_in(&self.0.data_dir)?;
        let store = tmp.path().join("truststore.p12");
        let pass: &OsStr = JAVA_TRUSTSTORE_PASSWORD.as_ref();
        run(
            &jdk.keytool,
            &[
                "-importkeystore".as_ref(),
                "-noprompt".as_ref(),
                "-srckeystore".as_ref(),
                jdk.cacerts.as_os_str(),
                "-srcstorepass".as_ref(),
                pass,
                "-destkeystore".as_ref(),
                store.as_os_str(),
                "-deststoretype".as_ref(),
                "PKCS12".as_ref(),
                "-deststorepass".as_ref(),
                pass,
            ],
        )?;
        // The JDK's cacerts may already name an `awsproxy` entry (someone
        // imported one by hand): replace it with this CA.
        let _ = run(
            &jdk.keytool,
            &[
                "-delete".as_ref(),
                "-alias".as_ref(),
                ALIAS.as_ref(),
                "-keystore".as_ref(),
                store.as_os_str(),
                "-storepass".as_ref(),
                pass,
            ],
        );
        run(
            &jdk.keytool,
            &[
                "-importcert".as_ref(),
                "-noprompt".as_ref(),
                "-alias".as_ref(),
                ALIAS.as_ref(),
                "-file".as_ref(),
                self.0.ca_path.as_os_str(),
                "-keystore".as_ref(),
                store.as_os_str(),
                "-storetype".as_ref(),
                "PKCS12".as_ref(),
                "-storepass".as_ref(),
                pass,
            ],
        )?;
        set_public(&store)?;
        fs_err::rename(&store, self.path())?;
        Ok(None)
    }

    fn remove(&self) -> anyhow::Result<Note> {
        fs_err::remove_file(self.path())?;
        Ok(None)
    }
}

/// 0644: a trust store holds only public certificates.
fn set_public(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
