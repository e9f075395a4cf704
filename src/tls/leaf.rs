//! Leaf certificates for intercepted hosts, minted on demand from the CA and kept
//! in a bounded in-memory LRU. All leaves share one key pair generated at start
//! (signing a leaf is cheap; generating keys per host is not needed for a local
//! proxy). Leaves are short-lived and re-minted when a day old.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lru::LruCache;
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::{CertifiedKey, SigningKey};
use time::OffsetDateTime;

use super::CertificateAuthority;

/// How many hosts' leaves stay in memory.
const CAPACITY: usize = 1024;
/// A leaf is valid for this long...
const VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);
/// ...and replaced once it is this old.
const REMINT_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Mints and caches leaf certificates signed by the interception CA.
pub struct LeafMinter {
    ca: Arc<CertificateAuthority>,
    key: KeyPair,
    signing_key: Arc<dyn SigningKey>,
    cache: Mutex<LruCache<String, (Arc<CertifiedKey>, Instant)>>,
}

impl std::fmt::Debug for LeafMinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeafMinter")
            .field("ca", &self.ca)
            .finish_non_exhaustive()
    }
}

/// Why a leaf could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LeafError {
    #[error("cannot mint a certificate for {host:?}")]
    Mint {
        host: String,
        #[source]
        source: rcgen::Error,
    },
    #[error("cannot load the leaf signing key")]
    Key(#[source] rustls::Error),
}

impl LeafMinter {
    pub fn new(ca: Arc<CertificateAuthority>) -> Result<Self, LeafError> {
        let key = KeyPair::generate().map_err(|source| LeafError::Mint {
            host: String::new(),
            source,
        })?;
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signing_key = super::provider()
            .key_provider
            .load_private_key(der)
            .map_err(LeafError::Key)?;
        let capacity = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        Ok(Self {
            ca,
            key,
            signing_key,
            cache: Mutex::new(LruCache::new(capacity)),
        })
    }

    /// The CA that signs the leaves.
    pub fn ca(&self) -> &Arc<CertificateAuthority> {
        &self.ca
    }

    /// The certificate (leaf) and key to present for `host` (a DNS name or IP).
    pub fn certified_key(&self, host: &str) -> Result<Arc<CertifiedKey>, LeafError> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = host.to_ascii_lowercase();
        // Minting under the lock keeps two handshakes from minting the same host twice.
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((leaf, minted)) = cache.get(&host)
            && minted.elapsed() < REMINT_AFTER
        {
            return Ok(leaf.clone());
        }
        let leaf = Arc::new(self.mint(&host)?);
        cache.put(host, (leaf.clone(), Instant::now()));
        Ok(leaf)
    }

    fn mint(&self, host: &str) -> Result<CertifiedKey, LeafError> {
        let err = |source| LeafError::Mint {
            host: host.to_owned(),
            source,
        };
        let mut params = CertificateParams::new(vec![host.to_owned()]).map_err(err)?;
        params.distinguished_name.push(DnType::CommonName, host);
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::from_secs(3600);
        params.not_after = now + VALIDITY;
        params.serial_number = Some(rand::random::<[u8; 16]>().to_vec().into());
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&self.key, self.ca.issuer()).map_err(err)?;
        Ok(CertifiedKey::new(
            vec![cert.der().clone()],
            self.signing_key.clone(),
        ))
    }

    /// A server config for one intercepted connection: the certificate follows the
    /// client's SNI, or `fallback_host` (the CONNECT target) when there is none.
    pub fn server_config(
        self: &Arc<Self>,
        fallback_host: &str,
    ) -> Result<ServerConfig, rustls::Error> {
        let mut config = ServerConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Resolver {
                minter: self.clone(),
                fallback: fallback_host.to_owned(),
            }));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

#[derive(Debug)]
struct Resolver {
    minter: Arc<LeafMinter>,
    fallback: String,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let host = hello.server_name().unwrap_or(&self.fallback);
        match self.minter.certified_key(host) {
            Ok(leaf) => Some(leaf),
            Err(e) => {
                tracing::warn!(host, error = %e, "cannot mint a leaf certificate");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_are_cached_per_host() {
        let dir = tempfile::tempdir().unwrap();
        let ca = Arc::new(CertificateAuthority::load_or_create(dir.path()).unwrap());
        let minter = LeafMinter::new(ca).unwrap();
        let a = minter.certified_key("example.com").unwrap();
        let b = minter.certified_key("EXAMPLE.com").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let ip = minter.certified_key("127.0.0.1").unwrap();
        assert!(!Arc::ptr_eq(&a, &ip));
        assert!(minter.certified_key("[::1]").is_ok());
    }
}
