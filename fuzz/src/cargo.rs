//! `src/cargo/` of awsproxy, by path: the `config.json` rewriter, index paths,
//! index files and `dl` templates.

#[path = "../../src/cargo/config.rs"]
pub mod config;
#[path = "../../src/cargo/index.rs"]
pub mod index;
