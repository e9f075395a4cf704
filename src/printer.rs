//! Where output goes: data on stdout (what scripts read), messages on stderr.
//! Commands take a [`Printer`] instead of calling `println!` so that `--quiet`
//! and tests behave the same everywhere.

use std::io::Write;

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// Suppress informational messages on stderr (data on stdout is never suppressed).
    pub quiet: bool,
}

impl Printer {
    /// Writes data to stdout. A closed pipe (`awsproxy ... | head`) surfaces as an
    /// `io::Error` of kind `BrokenPipe`, which `main` treats as success.
    pub fn data(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// Raw bytes to stdout (e.g. a DER certificate).
    pub fn bytes(&self, data: &[u8]) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(data)?;
        out.flush()
    }

    /// Pretty JSON to stdout.
    pub fn json<T: serde::Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        Ok(self.data(&text)?)
    }

    /// An informational message on stderr, unless `--quiet`.
    pub fn message(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
    }

    /// A warning on stderr, shown even with `--quiet`.
    pub fn warn(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "warning: {text}");
    }
}
