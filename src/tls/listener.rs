//! TLS on awsproxy's own listeners, so tokens and Basic credentials don't cross
//! a network in clear. A section (`[proxy]`, `[repos]`, `[metrics]`, `[creds]`) names
//! either a certificate chain and key it was given (`tls_cert`, `tls_key`: a
//! company CA's, or ACME's), or the names to serve with a certificate from
//! awsproxy's own CA (`tls_ca_names`; clients then trust that CA, as
//! `awsproxy ca trust` does for this machine).
//!
//! The files are read when the configuration is resolved, so a `SIGHUP` after
//! a renewal restarts the listener with the new certificate (the socket stays
//! open). [`ListenerTls`] compares by a digest of what it serves, so an
//! unchanged certificate restarts nothing.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha2::{Digest as _, Sha256};

use crate::config::TlsKeys;
use crate::error::Hinted;

/// A listener's TLS, ready to accept with.
#[derive(Clone)]
pub struct ListenerTls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    /// What it serves: the files' bytes, or the CA names.
    digest: [u8; 32],
}

impl std::fmt::Debug for ListenerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerTls").finish_non_exhaustive()
    }
}

impl PartialEq for ListenerTls {
    fn eq(&self, other: &Self) -> bool {
        self.digest == other.digest
    }
}
impl Eq for ListenerTls {}

impl ListenerTls {
    /// The TLS `keys` ask for (`None`: plain HTTP). `data_dir` holds
    /// awsproxy's CA, created if `tls_ca_names` needs it.
    pub fn resolve(keys: TlsKeys<'_>, data_dir: &Path) -> anyhow::Result<Option<Self>> {
        let section = keys.section;
        let (resolver, digest): (Arc<dyn ResolvesServerCert>, [u8; 32]) = match (
            keys.cert,
            keys.key,
            keys.ca_names.is_empty(),
        ) {
            (None, None, true) => return Ok(None),
            (Some(cert), Some(key), true) => {
                let (certified, digest) = from_files(section, cert, key)?;
                (Arc::new(Fixed(Arc::new(certified))), digest)
            }
            (None, None, false) => {
                let ca = crate::tls::CertificateAuthority::load_or_create(data_dir)?;
                let minter = crate::tls::LeafMinter::new(Arc::new(ca))?;
                let mut digest = Sha256::new();
                for name in keys.ca_names {
                    digest.update(name.as_bytes());
                    digest.update([0]);
                }
                (
                    Arc::new(Named {
                        minter: Arc::new(minter),
                        names: keys.ca_names.to_vec(),
                    }),
                    digest.finalize().into(),
                )
            }
            _ => {
                return Err(Hinted::new(
                        format!("`[{section}]` has an incomplete TLS setting"),
                        format!(
                            "set both `tls_cert` and `tls_key` (PEM files), or only `tls_ca_names` for a certificate from awsproxy's CA, in `[{section}]`"
                        ),
                    )
                    .into());
            }
        };
        let mut config = ServerConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(resolver);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Some(Self {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            digest,
        }))
    }
}

/// The chain and key of `tls_cert` and `tls_key`, checked to belong together.
fn from_files(section: &str, cert: &Path, key: &Path) -> anyhow::Result<(CertifiedKey, [u8; 32])> {
    let read = |path: &Path, setting: &str| {
        fs_err::read(path).map_err(|e| {
            anyhow::Error::new(Hinted {
                message: format!("cannot read `[{section}] {setting}` ({})", path.display()),
                hint: format!("point `{setting}` at a readable PEM file"),
                source: Some(e.into()),
            })
        })
    };
    let cert_pem = read(cert, "tls_cert")?;
    let key_pem = read(key, "tls_key")?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .ok()
        .filter(|c: &Vec<_>| !c.is_empty())
        .ok_or_else(|| {
            Hinted::new(
                format!(
                    "`[{section}] tls_cert` ({}) holds no PEM certificate",
                    cert.display()
                ),
                "give the certificate chain, leaf first, as PEM (`-----BEGIN CERTIFICATE-----`)",
            )
        })?;
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        Hinted::new(
            format!(
                "`[{section}] tls_key` ({}) holds no PEM private key",
                key.display()
            ),
            "give the key as PEM (PKCS#8, PKCS#1 or SEC1)",
        )
    })?;
    let certified = CertifiedKey::from_der(chain, private, &super::provider()).map_err(|e| {
        Hinted::new(
            format!(
                "`[{section}] tls_cert` and `tls_key` don't make a usable pair ({e})"
            ),
            "check that the key is the certificate's (`openssl x509 -noout -pubkey` and `openssl pkey -pubout` agree)",
        )
    })?;
    let mut digest = Sha256::new();
    digest.update(&cert_pem);
    digest.update(&key_pem);
    Ok((certified, digest.finalize().into()))
}

/// One certificate for every client.
#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A leaf from awsproxy's CA for the name the client asked for, when it is one
/// of `names` (else the first: no client picks what awsproxy signs).
#[derive(Debug)]
struct Named {
    minter: Arc<crate::tls::LeafMinter>,
    names: Vec<String>,
}

impl ResolvesServerCert for Named {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let asked = hello.server_name().map(str::to_ascii_lowercase);
        let name = asked
            .filter(|a| self.names.iter().any(|n| n.eq_ignore_ascii_case(a)))
            .unwrap_or_else(|| self.names[0].clone());
        self.minter
            .certified_key(&name)
            .inspect_err(
                |e| tracing::warn!(%name, error = %e, "cannot mint the listener's certificate"),
            )
            .ok()
    }
}
