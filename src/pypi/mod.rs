//! CodeArtifact PyPI repositories served at `/pypi/NAME/`: index rewriting and
//! name policies now; the proxy router lands with the cache core.

pub mod names;
pub mod rewrite;
