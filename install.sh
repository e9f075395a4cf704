#!/usr/bin/env bash
# Install awsproxy with its shell completions and man pages under a prefix, and
# the docker-credential-awsproxy link Docker runs for `"credHelpers": {...: "awsproxy"}`.
#
#   ./install.sh                     build with cargo, install under ~/.local
#   ./install.sh --prefix /usr/local
#   ./install.sh --binary PATH       install an already-built binary (no cargo needed)
#   ./install.sh --uninstall         remove what an install put there
#
# Running it again replaces the installed files (it is idempotent).
set -euo pipefail

prefix="${HOME}/.local"
binary=""
uninstall=0

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
  echo "error: $1" >&2
  [ $# -gt 1 ] && echo "hint: $2" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary="$2"; shift 2 ;;
    --binary=*) binary="${1#--binary=}"; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument: $1" "run ./install.sh --help" ;;
  esac
done

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bindir="${prefix}/bin"
bashdir="${prefix}/share/bash-completion/completions"
zshdir="${prefix}/share/zsh/site-functions"
fishdir="${prefix}/share/fish/vendor_completions.d"
mandir="${prefix}/share/man/man1"

if [ "$uninstall" -eq 1 ]; then
  # The helper link only when it is ours (a link to the awsproxy next to it).
  if [ -L "${bindir}/docker-credential-awsproxy" ] && [ "$(readlink "${bindir}/docker-credential-awsproxy")" = awsproxy ]; then
    rm -f "${bindir}/docker-credential-awsproxy"
  fi
  rm -f "${bindir}/awsproxy" "${bashdir}/awsproxy" "${zshdir}/_awsproxy" "${fishdir}/awsproxy.fish"
  rm -f "${mandir}"/awsproxy.1 "${mandir}"/awsproxy-*.1
  echo "removed awsproxy from ${prefix}"
  exit 0
fi

if [ -z "$binary" ]; then
  command -v cargo >/dev/null 2>&1 ||
    die "cargo is not installed, so awsproxy cannot be built" \
      "install Rust from https://rustup.rs, or pass --binary PATH to install a binary you already have"
  echo "building awsproxy (release)..." >&2
  # Ask cargo where it put the binary: CARGO_TARGET_DIR, build.target-dir in a
  # cargo config or --target can all move it away from ./target.
  built="$(cargo build --release --locked --manifest-path "${repo}/Cargo.toml" \
    --bin awsproxy --message-format=json-render-diagnostics)" ||
    die "cargo build failed" "the compiler's messages are above"
  binary="$(printf '%s\n' "$built" | sed -n 's/.*"executable":"\([^"]*\/awsproxy\)".*/\1/p' | tail -n 1)"
  [ -n "$binary" ] || die "cargo built no awsproxy executable" "run cargo build --release and pass --binary PATH"
fi
[ -x "$binary" ] || die "no executable at ${binary}"

install -d "$bindir" "$bashdir" "$zshdir" "$fishdir" "$mandir"
install -m 0755 "$binary" "${bindir}/awsproxy"
# Docker, skopeo and podman run `docker-credential-awsproxy`; the binary acts as
# `awsproxy docker-credential` under that name. A relative link survives moving the prefix.
if [ -e "${bindir}/docker-credential-awsproxy" ] && [ ! -L "${bindir}/docker-credential-awsproxy" ]; then
  echo "note: ${bindir}/docker-credential-awsproxy exists and is not a link; left as it is" >&2
else
  ln -sfn awsproxy "${bindir}/docker-credential-awsproxy"
fi
install -m 0644 "${repo}/completions/awsproxy.bash" "${bashdir}/awsproxy"
install -m 0644 "${repo}/completions/_awsproxy" "${zshdir}/_awsproxy"
install -m 0644 "${repo}/completions/awsproxy.fish" "${fishdir}/awsproxy.fish"
install -m 0644 "${repo}"/man/*.1 "${mandir}/"

echo "installed ${bindir}/awsproxy ($("${bindir}/awsproxy" --version))"
case ":${PATH}:" in
  *":${bindir}:"*) ;;
  *) echo "note: ${bindir} is not on your PATH; add it to use \`awsproxy\` directly" ;;
esac
