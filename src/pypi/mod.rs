//! CodeArtifact PyPI repositories served at `/pypi/NAME/`: index rewriting,
//! the file links of rewritten pages, name policies and the in-memory token provider; the HTTP side is
//! [`crate::services::pypi`].

pub mod files;
pub mod names;
pub mod page;
pub mod rewrite;
pub mod token;
