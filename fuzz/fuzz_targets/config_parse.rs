//! Any text given as a configuration file is either accepted or rejected with
//! a located error; it never panics, and a reported line is within the text.
#![no_main]

use awsproxy_fuzz::config::{ConfigSource, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = parse(text, &ConfigSource::EmbeddedDefault) {
        assert!(
            e.line <= text.lines().count() + 1,
            "line {} beyond the text",
            e.line
        );
        let _ = e.to_string();
    }
});
