//! TLS for the forward proxy: awsproxy's own interception CA ([`ca`]), the
//! per-host leaf certificates it mints on demand ([`leaf`]), TLS on
//! awsproxy's own listeners ([`listener`]), and the one crypto provider every
//! rustls config in awsproxy uses.
//!
//! The provider is aws-lc-rs, the one the AWS SDK already compiles, so the
//! binary carries a single TLS implementation.

pub mod ca;
pub mod leaf;
pub mod listener;

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;

pub use ca::CertificateAuthority;
pub use leaf::LeafMinter;

/// The crypto provider for every rustls client and server config in awsproxy.
pub fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .clone()
}
