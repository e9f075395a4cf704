#!/usr/bin/env bash
# The interop tier: independent clients (botocore/boto3, the AWS CLI, the AWS
# SDK for JavaScript, pip, curl, moto) against the real awsproxy binary. Installs
# its Python clients into a venv and the JavaScript SDK with npm (both under
# target/, reused between runs), builds the binary and the standalone AWS fakes,
# then runs pytest on tests/interop/.
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

# The AWS SDK for JavaScript (tests/interop/package.json, pinned by its lockfile)
# in a folder of its own under target/, reinstalled when the lockfile changes.
node_dir="${repo}/target/interop-node"
if ! cmp -s tests/interop/package-lock.json "${node_dir}/package-lock.json"; then
  mkdir -p "$node_dir"
  cp tests/interop/package.json tests/interop/package-lock.json "$node_dir/"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
export AWSPROXY_INTEROP_NODE_MODULES="${node_dir}/node_modules"

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
