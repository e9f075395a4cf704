//! The PyPI Simple protocol, pure (no I/O): the page model, index rewriting,
//! the file links of rewritten pages and name policies. The HTTP side is
//! [`crate::services::pypi`]; CodeArtifact tokens and endpoints are
//! [`crate::codeartifact`].

pub mod files;
pub mod json;
pub mod names;
pub mod page;
pub mod rewrite;
pub mod warm;
pub mod wheel;
