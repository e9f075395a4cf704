//! Maven repository layout logic, free of I/O: request path validation
//! ([`path`]), content types and mutability ([`content`]), and directory
//! listing pages ([`listing`]). The service is [`crate::services::maven`].

pub mod content;
pub mod listing;
pub mod path;
