#!/usr/bin/env bash
# The interop tier: independent clients (botocore/boto3, the AWS CLI, pip, curl,
# moto) against the real awsproxy binary. Installs its Python clients into a venv
# (under target/, reused between runs), builds the binary and the standalone AWS
# fakes, then runs pytest on tests/interop/.
#
#   tests/interop/run.sh             run everything
#   tests/interop/run.sh -k creds    pass pytest arguments through
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

venv="${AWSPROXY_INTEROP_VENV:-${repo}/target/interop-venv}"
if [ ! -x "${venv}/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="${venv}/.requirements"
if ! cmp -s tests/interop/requirements.txt "$stamp"; then
  "${venv}/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
  cp tests/interop/requirements.txt "$stamp"
fi

# Build the binary and the fakes' standalone server, and find their paths.
cargo build --locked --quiet
fake_aws="$(cargo test --locked --no-run --test fake_aws --message-format=json 2>/dev/null |
  "${venv}/bin/python" -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "fake_aws" and m.get("executable"):
        print(m["executable"])')"
[ -x "$fake_aws" ] || { echo "error: could not build the fake_aws test server" >&2; exit 1; }

export AWSPROXY_BIN="${repo}/target/debug/awsproxy"
export FAKE_AWS_BIN="$fake_aws"
export PATH="${venv}/bin:${PATH}"
exec "${venv}/bin/python" -m pytest -q -p no:cacheprovider tests/interop "$@"
