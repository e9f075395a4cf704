//! CodeArtifact PyPI repositories served at `/pypi/NAME/`: index rewriting,
//! name policies and the in-memory token provider; the HTTP side is
//! [`crate::services::pypi`].

pub mod names;
pub mod rewrite;
pub mod token;
