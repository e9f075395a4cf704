//! The npm registry protocol, pure (no I/O): package names ([`names`]) and
//! package documents ([`document`]), whose tarball links a mount rewrites to
//! itself and whose `dist.integrity` / `dist.shasum` it checks downloads against.

pub mod document;
pub mod lock;
pub mod names;
