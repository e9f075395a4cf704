//! awsproxy's interception CA: created on first use under
//! `$XDG_DATA_HOME/awsproxy/` (key `ca-key.pem` 0600, certificate `ca.pem` 0644),
//! then loaded from there by every process. Creation happens under an exclusive
//! file lock, so two processes starting at once agree on one CA.
//!
//! The CA is reloaded from its key and its fixed subject name rather than by
//! parsing the certificate (that would need an X.509 parser); a check that the
//! certificate carries the key's public key catches mismatched files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use time::OffsetDateTime;

use crate::error::ResultExt;
use crate::fsutil::{self, Mode};

/// The certificate file, relative to the data dir.
pub const CERT_FILE: &str = "ca.pem";
/// The private key file (0600), relative to the data dir.
pub const KEY_FILE: &str = "ca-key.pem";
const LOCK_FILE: &str = ".ca.lock";
const COMMON_NAME: &str = "awsproxy interception CA";
const ORGANIZATION: &str = "awsproxy";
const VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The loaded CA: its certificate (to export and trust) and an issuer (to sign leaves).
pub struct CertificateAuthority {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    cert_path: PathBuf,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// Loads the CA from `dir`, creating it first if absent.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        // Fast path without the lock: the certificate is written last, so its
        // presence means the key is complete too.
        if cert_path.is_file() {
            return Self::load(&cert_path, &key_path);
        }
        fsutil::create_private_dir(dir)?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        // Re-check under the lock: another process may have just created it.
        if !cert_path.is_file() {
            create(&cert_path, &key_path)?;
            tracing::info!(path = %cert_path.display(), "created the interception CA");
        }
        let ca = Self::load(&cert_path, &key_path);
        drop(lock);
        ca
    }

    fn load(cert_path: &Path, key_path: &Path) -> anyhow::Result<Self> {
        let key_pem = fs_err::read_to_string(key_path).hint_context(
            "cannot read the CA key",
            "remove ca.pem next to it to create a new CA (clients must then trust the new one)",
        )?;
        let key = KeyPair::from_pem(&key_pem)
            .with_context(|| format!("{} is not a valid private key", key_path.display()))?;
        let cert_pem = fs_err::read_to_string(cert_path)?;
        let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .with_context(|| format!("{} holds no PEM certificate", cert_path.display()))?;
        if !contains(&cert_der, key.public_key_raw()) {
            return Err(anyhow::anyhow!(
                "{} was not issued for the key in {}",
                cert_path.display(),
                key_path.display()
            ))
            .hint_context(
                "the CA files do not match",
                "remove both files to create a new CA (clients must then trust the new one)",
            );
        }
        Ok(Self {
            cert_pem,
            cert_der,
            issuer: Issuer::new(ca_params(), key),
            cert_path: cert_path.to_owned(),
        })
    }

    /// The certificate, PEM encoded (what `ca export` prints).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The certificate, DER encoded.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// Where the certificate lives.
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    pub(crate) fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }
}

/// The parameters that identify the CA as an issuer. Creation adds validity and a
/// serial; reloading needs only the name, key usages and key-identifier method.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, COMMON_NAME);
    name.push(DnType::OrganizationName, ORGANIZATION);
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn create(cert_path: &Path, key_path: &Path) -> anyhow::Result<()> {
    let key = KeyPair::generate().context("cannot generate the CA key")?;
    let mut params = ca_params();
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::from_secs(24 * 3600);
    params.not_after = now + VALIDITY;
    params.serial_number = Some(SerialNumber::from_slice(&rand::random::<[u8; 16]>()));
    let cert = params
        .self_signed(&key)
        .context("cannot sign the CA certificate")?;
    fsutil::atomic_write(key_path, key.serialize_pem().as_bytes(), Mode::Secret)?;
    fsutil::atomic_write(cert_path, cert.pem().as_bytes(), Mode::Public)?;
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let first = CertificateAuthority::load_or_create(dir.path()).unwrap();
        let second = CertificateAuthority::load_or_create(dir.path()).unwrap();
        assert_eq!(first.cert_pem(), second.cert_pem());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |f| {
                std::fs::metadata(dir.path().join(f))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode(KEY_FILE), 0o600);
            assert_eq!(mode(CERT_FILE), 0o644);
        }
    }

    #[test]
    fn concurrent_first_use_makes_one_ca() {
        let dir = tempfile::tempdir().unwrap();
        let pems: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        CertificateAuthority::load_or_create(dir.path())
                            .unwrap()
                            .cert_pem()
                            .to_owned()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(pems.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn mismatched_files_are_refused() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        CertificateAuthority::load_or_create(a.path()).unwrap();
        CertificateAuthority::load_or_create(b.path()).unwrap();
        std::fs::copy(b.path().join(CERT_FILE), a.path().join(CERT_FILE)).unwrap();
        let err = CertificateAuthority::load_or_create(a.path()).unwrap_err();
        assert!(format!("{err:#}").contains("do not match"), "{err:#}");
    }
}
