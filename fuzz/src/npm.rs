//! `src/npm/` of awsproxy, by path: package names and the document rewriter.

#[path = "../../src/npm/document.rs"]
pub mod document;
#[path = "../../src/npm/names.rs"]
pub mod names;
