//! `src/cache/store/` of awsproxy minus the backends (which need the AWS SDK and
//! tokio): the metadata encodings both stores decode.

#[path = "../../src/cache/store/meta.rs"]
pub mod meta;

pub use meta::{EntryMeta, META_VERSION, from_header_map};
