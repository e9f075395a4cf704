//! The Cargo sparse-registry protocol, pure (no I/O): crate names and their
//! index paths, the `config.json` rewriter, index files and `dl` templates.
//! The HTTP side is `crate::services::cargo` (to come); CodeArtifact tokens
//! and endpoints are [`crate::codeartifact`].

pub mod config;
pub mod index;
