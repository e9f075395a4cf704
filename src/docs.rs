//! Generated documentation: shell completions and man pages, rendered from the
//! clap types in `cli.rs`. The copies under `completions/` and `man/` are
//! checked in; `tests/it/generated.rs` fails when they are stale and rewrites
//! them when run with `AWSPROXY_BLESS=1`.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The shells whose completion files are checked in, with their file names.
pub const COMPLETION_FILES: [(Shell, &str); 5] = [
    (Shell::Bash, "awsproxy.bash"),
    (Shell::Zsh, "_awsproxy"),
    (Shell::Fish, "awsproxy.fish"),
    (Shell::Elvish, "awsproxy.elv"),
    (Shell::PowerShell, "_awsproxy.ps1"),
];

/// The completion script for one shell.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "awsproxy", &mut out);
    out
}

/// Man pages: `awsproxy.1` and one page per subcommand (`awsproxy-sso-login.1`, ...),
/// as (file name, contents).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    let mut root = Cli::command();
    root.build();
    render_man(&root, "awsproxy", "awsproxy", &mut pages)?;
    Ok(pages)
}

/// `file_stem` is `awsproxy-sso-login`; `bin_name` is `awsproxy sso login`.
fn render_man(
    cmd: &clap::Command,
    file_stem: &str,
    bin_name: &str,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let named = cmd
        .clone()
        .name(file_stem.to_owned())
        .bin_name(bin_name.to_owned());
    clap_mangen::Man::new(named).render(&mut buf)?;
    pages.push((format!("{file_stem}.1"), buf));
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = sub.get_name();
        render_man(
            sub,
            &format!("{file_stem}-{name}"),
            &format!("{bin_name} {name}"),
            pages,
        )?;
    }
    Ok(())
}
