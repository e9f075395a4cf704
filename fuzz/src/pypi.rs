//! `src/pypi/` of awsproxy, by path.

#[path = "../../src/pypi/files.rs"]
pub mod files;
#[path = "../../src/pypi/names.rs"]
pub mod names;
#[path = "../../src/pypi/page.rs"]
pub mod page;
#[path = "../../src/pypi/rewrite.rs"]
pub mod rewrite;
