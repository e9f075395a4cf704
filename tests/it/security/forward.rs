//! Attack tests: see `mod.rs` for who attacks what here.
