"""Containers: a network namespace behind a veth pair stands in for a container
on a Docker bridge. awsproxy (`creds serve` on 169.254.170.2:80) runs in a
second namespace standing in for the host, adds 169.254.170.2 to that
namespace's `lo` itself, and the container reaches it through its default
route, as a Docker container reaches its host. Inside the container boto3, the
AWS CLI and the AWS SDK for JavaScript get credentials with only
AWS_CONTAINER_CREDENTIALS_FULL_URI and a token in their environment (no keys),
and call STS (moto, running in the host namespace).

Both namespaces live in a user namespace the test makes (`unshare --user
--map-root-user --net`), so nothing of the machine's own network changes (no
address on its `lo`, no veth in its namespace), tests can run in parallel, and
everything disappears with the process holding the namespaces.
"""

import json
import os
import subprocess
import time
import urllib.request

import pytest

from conftest import AWSPROXY, Daemon

NODE_MODULES = os.environ.get("AWSPROXY_INTEROP_NODE_MODULES")
APP_ROLE = "arn:aws:iam::123456789012:role/ContainerRole"
OTHER_ROLE = "arn:aws:iam::123456789012:role/OtherRole"
APP_TOKEN = "container-app-token-0123456789"
OTHER_TOKEN = "container-other-token-9876543210"
URL = "http://169.254.170.2/v1/credentials"
MOTO_PORT = 5000
HOST_IP = "10.79.0.1"


class Netns:
    """A network namespace held open by `sleep`; `cmd(...)` runs a program in it."""

    def __init__(self, user_of=None):
        enter_user = ["nsenter", "--preserve-credentials", "-U", "-t", str(user_of.pid)] if user_of else []
        unshare = ["unshare", "--net"] if user_of else ["unshare", "--user", "--map-root-user", "--net"]
        self.holder = subprocess.Popen([*enter_user, *unshare, "sleep", "600"], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while open(f"/proc/{self.pid}/comm").read().strip() != "sleep":
            assert time.monotonic() < deadline, "unshare did not start"
            time.sleep(0.01)
        self.sh("ip link set lo up")

    @property
    def pid(self):
        return self.holder.pid

    def cmd(self, *args):
        return ["nsenter", "--preserve-credentials", "-U", "-n", "-t", str(self.pid), *args]

    def sh(self, script):
        proc = subprocess.run(self.cmd("sh", "-c", script), capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, f"{script}: {proc.stderr}"
        return proc.stdout

    def close(self):
        self.holder.kill()
        self.holder.wait()


@pytest.fixture
def network():
    """(host, container): the container's default route leads to the host over a veth pair."""
    host = Netns()
    container = Netns(user_of=host)
    try:
        host.sh(
            f"ip link add veth-h type veth peer name veth-c netns {container.pid} && "
            f"ip addr add {HOST_IP}/30 dev veth-h && ip link set veth-h up"
        )
        container.sh("ip addr add 10.79.0.2/30 dev veth-c && ip link set veth-c up && "
                     f"ip route add default via {HOST_IP}")
        yield host, container
    finally:
        container.close()
        host.close()


def wait_in(ns, port):
    ns.sh(
        "python3 -c 'import socket, sys, time\n"
        "for _ in range(400):\n"
        "    try:\n"
        f"        socket.create_connection((\"127.0.0.1\", {port}), timeout=0.5).close(); sys.exit(0)\n"
        "    except OSError: time.sleep(0.05)\n"
        "sys.exit(1)'"
    )


@pytest.fixture
def endpoint(network, env, tmp_path):
    """moto and `awsproxy creds serve` on 169.254.170.2:80 in the host namespace;
    yields (host, container, serve, config path). Client `app`'s role session
    lasts 16m2s and awsproxy renews it when 16m are left (the shortest
    `refresh_ahead` it allows): 2 seconds after each fetch its cached keys are
    due, as keys are after an expiry."""
    host, container = network
    moto = subprocess.Popen(
        host.cmd("moto_server", "-H", "0.0.0.0", "-p", str(MOTO_PORT)),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    keys = 'access_key_id = "AKIDCONTAINERHOST"\nsecret_access_key = "host-secret"\nregion = "us-east-1"\n'
    cfg = tmp_path / "awsproxy.toml"
    cfg.write_text(
        '[creds]\nlisten = "169.254.170.2:80"\nrefresh_ahead = "16m"\n'
        f'[[creds.client]]\nname = "app"\ntoken = "{APP_TOKEN}"\n{keys}'
        f'role_arn = "{APP_ROLE}"\nrole_session_name = "app"\nduration = "16m 2s"\n'
        f'[[creds.client]]\nname = "other"\ntoken = "{OTHER_TOKEN}"\n{keys}'
        f'role_arn = "{OTHER_ROLE}"\nrole_session_name = "other"\n'
    )
    serve = None
    try:
        wait_in(host, MOTO_PORT)
        server_env = dict(env, AWS_ENDPOINT_URL_STS=f"http://127.0.0.1:{MOTO_PORT}")
        serve = Daemon(server_env, "--config", str(cfg), "creds", "serve", prefix=host.cmd())
        serve.wait_for(r"endpoint at http://169\.254\.170\.2:80/v1/credentials")
        assert "169.254.170.2/32" in host.sh("ip -br addr show dev lo")
        yield host, container, serve, cfg
        serve.stop()
        serve = None
        assert "169.254.170.2" not in host.sh("ip -br addr show dev lo"), "removed at shutdown"
    finally:
        if serve:
            serve.proc.kill()
        moto.terminate()
        moto.wait(timeout=10)


def container_env(env, token):
    """A container's environment: the endpoint, the token and nothing else AWS."""
    e = {k: v for k, v in env.items() if not k.startswith("AWS_") or k in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED")}
    e.update(
        AWS_CONTAINER_CREDENTIALS_FULL_URI=URL,
        AWS_CONTAINER_AUTHORIZATION_TOKEN=token,
        AWS_ENDPOINT_URL_STS=f"http://{HOST_IP}:{MOTO_PORT}",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",  # what botocore reads
    )
    assert not any(k in e for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"))
    return e


def run_in(ns, env, *args):
    proc = subprocess.run(ns.cmd(*args), env=env, capture_output=True, text=True, timeout=120)
    return proc


BOTO3 = """
import boto3, json, time
session = boto3.Session()
creds = session.get_credentials()
first = creds.get_frozen_credentials()
arn = session.client("sts").get_caller_identity()["Arn"]
time.sleep(3)  # awsproxy's copy is due now
# The next fetch (a new session: this one's keys have 16 minutes left, so it
# would ask again only after a minute) gets new keys, and STS takes them.
again = boto3.Session()
second = again.get_credentials().get_frozen_credentials()
arn2 = again.client("sts").get_caller_identity()["Arn"]
print(json.dumps({"method": creds.method, "first": first.access_key, "second": second.access_key, "arn": arn, "arn2": arn2}))
"""


def test_boto3_in_a_container_gets_rotating_credentials_of_its_own_client(endpoint, env):
    host, container, serve, _ = endpoint
    proc = run_in(container, container_env(env, APP_TOKEN), "python", "-c", BOTO3)
    assert proc.returncode == 0, proc.stderr + serve.log()
    got = json.loads(proc.stdout)
    assert got["method"] == "container-role", got
    assert "assumed-role/ContainerRole/app" in got["arn"], got
    assert "assumed-role/ContainerRole/app" in got["arn2"], got
    assert got["first"].startswith("ASIA") and got["second"].startswith("ASIA"), got
    assert got["first"] != got["second"], f"the second fetch got new keys: {got}"

    # Another client's token gets that client's role, never this one's.
    proc = run_in(container, container_env(env, OTHER_TOKEN), "python", "-c", BOTO3)
    assert proc.returncode == 0, proc.stderr
    other = json.loads(proc.stdout)
    assert "assumed-role/OtherRole/other" in other["arn"], other
    assert other["first"] not in (got["first"], got["second"]), other


def test_the_aws_cli_in_a_container_and_a_wrong_token_gets_nothing(endpoint, env):
    host, container, serve, _ = endpoint
    cli = run_in(container, container_env(env, APP_TOKEN), "aws", "sts", "get-caller-identity", "--output", "json")
    assert cli.returncode == 0, cli.stderr + serve.log()
    assert "assumed-role/ContainerRole/app" in json.loads(cli.stdout)["Arn"]

    for wrong in ("wrong", APP_TOKEN[:-1], f"Bearer {APP_TOKEN}"):
        cli = run_in(container, container_env(env, wrong), "aws", "sts", "get-caller-identity")
        assert cli.returncode != 0, cli.stdout
        assert "ASIA" not in cli.stdout + cli.stderr
    # What the SDKs saw: 403 and a body with no credentials in it.
    probe = (
        "import urllib.request, urllib.error, sys\n"
        f"req = urllib.request.Request({URL!r}, headers={{'Authorization': sys.argv[1]}} if sys.argv[1] else {{}})\n"
        "try:\n    urllib.request.urlopen(req, timeout=5); print('200')\n"
        "except urllib.error.HTTPError as e:\n    print(e.code, e.read().decode())\n"
    )
    for token, status in (("wrong", "403"), ("", "401")):
        proc = run_in(container, container_env(env, ""), "python", "-c", probe, token)
        assert proc.stdout.split()[0] == status, proc.stdout + proc.stderr
        assert "AccessKeyId" not in proc.stdout and "ASIA" not in proc.stdout


def test_container_env_is_what_the_container_needs(endpoint, env):
    """What `creds container-env app --format env` prints is enough for the AWS CLI."""
    host, container, serve, cfg = endpoint
    out = subprocess.run(
        [AWSPROXY, "--config", str(cfg), "creds", "container-env", "app", "--format", "env"],
        env=env, capture_output=True, text=True, timeout=30,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == "", out.stderr
    printed = dict(line.split("=", 1) for line in out.stdout.splitlines())
    assert printed == {"AWS_CONTAINER_CREDENTIALS_FULL_URI": URL, "AWS_CONTAINER_AUTHORIZATION_TOKEN": APP_TOKEN}
    e = container_env(env, "unused")
    e.update(printed)
    cli = run_in(container, e, "aws", "sts", "get-caller-identity", "--output", "json")
    assert cli.returncode == 0, cli.stderr
    assert "assumed-role/ContainerRole/app" in json.loads(cli.stdout)["Arn"]


JS = """
const { fromHttp, fromNodeProviderChain } = require("@aws-sdk/credential-providers");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
(async () => {
  const direct = await fromHttp({ timeout: 2000, maxRetries: 1 })();
  const sts = new STSClient({ region: "us-east-1", credentials: fromNodeProviderChain() });
  const id = await sts.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({ key: direct.accessKeyId, expiration: direct.expiration, arn: id.Arn }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def test_the_javascript_sdk_in_a_container(endpoint, env, tmp_path):
    """The AWS SDK for JavaScript v3 with node inside the container namespace:
    `fromHttp` (the container provider of its default chain) and
    `fromNodeProviderChain` for an STS call, with the token inline and then in a
    token file. (Its older `fromContainerMetadata` takes a FULL_URI only on
    localhost/127.0.0.1, so it is not a client of 169.254.170.2.)"""
    assert NODE_MODULES, "AWSPROXY_INTEROP_NODE_MODULES is not set: run the tier with tests/interop/run.sh"
    host, container, serve, _ = endpoint
    token_file = tmp_path / "token"
    token_file.write_text(APP_TOKEN)  # no newline: SDKs send the file verbatim
    inline = dict(container_env(env, APP_TOKEN), NODE_PATH=NODE_MODULES)
    from_file = dict(inline, AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong",
                     AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file))
    for e in (inline, from_file):
        proc = run_in(container, e, "node", "-e", JS)
        assert proc.returncode == 0, proc.stderr + serve.log()
        got = json.loads(proc.stdout)
        assert got["key"].startswith("ASIA") and got["expiration"], got
        assert "assumed-role/ContainerRole/app" in got["arn"], got

    proc = run_in(container, dict(inline, AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong"), "node", "-e", JS)
    assert proc.returncode != 0, proc.stdout
    assert "ASIA" not in proc.stdout


CONTAINER_SH = r"""
set -e
mount --bind "$0" /etc/hosts
mount -t tmpfs tmpfs /run
mkdir -p /run/awsproxy
for v in $AWSPROXY_TEST_VOLUMES; do
  src="${v%%:*}"; rest="${v#*:}"; dst="${rest%%:*}"
  touch "$dst" && mount --bind "$src" "$dst"
done
# What an image does to make botocore trust the CA: add it to certifi's bundle.
if [ -n "$AWSPROXY_TEST_CERTIFI" ]; then
  cat "${AWSPROXY_TEST_CERTIFI#*:}" /run/awsproxy/ca.pem > /run/awsproxy/certifi.pem
  mount --bind /run/awsproxy/certifi.pem "${AWSPROXY_TEST_CERTIFI%%:*}"
fi
unset AWSPROXY_TEST_VOLUMES AWSPROXY_TEST_CERTIFI
exec "$@"
"""


def test_https_with_host_docker_internal_and_the_ca_container_env_names(env, moto, tmp_path):
    """`[creds] tls_ca_names = ["host.docker.internal"]`: the endpoint speaks
    https with a certificate from awsproxy's CA. What `container-env --json`
    prints is applied as docker would (a mount namespace: its
    `/etc/hosts` maps host.docker.internal to this host, as on Docker Desktop,
    and its volumes are bind mounts). The JavaScript SDK trusts the CA through
    NODE_EXTRA_CA_CERTS. botocore's container provider reads only certifi's
    bundle (AWS_CA_BUNDLE does not reach it): it refuses the certificate until
    the CA is added to that bundle, as the README says to do in an image; then
    boto3 and the AWS CLI get the credentials too."""
    import certifi

    assert NODE_MODULES, "AWSPROXY_INTEROP_NODE_MODULES is not set: run the tier with tests/interop/run.sh"
    cfg = tmp_path / "awsproxy.toml"
    token_file = tmp_path / "app.token"
    token_file.write_text(APP_TOKEN)
    cfg.write_text(
        '[creds]\nlisten = "127.0.0.1:0"\ntls_ca_names = ["host.docker.internal"]\n'
        f'[[creds.client]]\nname = "app"\ntoken_file = "{token_file}"\n'
        'access_key_id = "AKIDCONTAINERHOST"\nsecret_access_key = "host-secret"\nregion = "us-east-1"\n'
        f'role_arn = "{APP_ROLE}"\nrole_session_name = "app"\n'
    )
    serve = Daemon(dict(env, AWS_ENDPOINT_URL_STS=moto), "--config", str(cfg), "creds", "serve")
    try:
        port = serve.wait_for(r"endpoint at https://127\.0\.0\.1:(\d+)/").group(1)
        serve.wait_for(r"as https://host\.docker\.internal:\d+/v1/credentials")
        out = subprocess.run(
            [AWSPROXY, "--config", str(cfg), "creds", "container-env", "app",
             "--listen", f"127.0.0.1:{port}", "--json"],
            env=env, capture_output=True, text=True, timeout=30,
        )
        assert out.returncode == 0, out.stderr
        assert "awsproxy ca trust" in out.stderr, out.stderr  # no bundle yet: no SSL_CERT_FILE
        spec = json.loads(out.stdout)
        environment = spec["environment"]
        assert environment == {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"https://host.docker.internal:{port}/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/run/awsproxy/token",
            "NODE_EXTRA_CA_CERTS": "/run/awsproxy/ca.pem",
        }, environment
        assert spec["extra_hosts"] == ["host.docker.internal:host-gateway"]

        hosts = tmp_path / "hosts"
        hosts.write_text("127.0.0.1 localhost\n127.0.0.1 host.docker.internal\n")  # host-gateway: this host
        e = {k: v for k, v in container_env(env, "unused").items() if not k.startswith("AWS_CONTAINER")}
        e.update(environment)
        e.update(AWS_ENDPOINT_URL_STS=moto, NODE_PATH=NODE_MODULES, AWSPROXY_TEST_VOLUMES=" ".join(spec["volumes"]))
        container = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", CONTAINER_SH, str(hosts)]

        def run(extra, *args):
            return subprocess.run([*container, *args], env=dict(e, **extra), capture_output=True, text=True, timeout=120)

        js = run({}, "node", "-e", JS)
        assert js.returncode == 0, js.stderr + serve.log()
        assert "assumed-role/ContainerRole/app" in json.loads(js.stdout)["arn"]
        js = run({"NODE_EXTRA_CA_CERTS": ""}, "node", "-e", JS)
        assert js.returncode != 0 and "ASIA" not in js.stdout, "the CA is what made node trust it"

        cli = run({"AWS_CA_BUNDLE": "/run/awsproxy/ca.pem"}, "aws", "sts", "get-caller-identity")
        assert cli.returncode != 0 and "ASIA" not in cli.stdout, "AWS_CA_BUNDLE does not reach the container provider"
        assert "CERTIFICATE_VERIFY_FAILED" in cli.stderr or "certificate" in cli.stderr.lower(), cli.stderr

        with_ca = {"AWSPROXY_TEST_CERTIFI": f"{certifi.where()}:{certifi.where()}"}
        py = run(with_ca, "python", "-c", BOTO3)
        assert py.returncode == 0, py.stderr + serve.log()
        got = json.loads(py.stdout)
        assert got["method"] == "container-role" and "assumed-role/ContainerRole/app" in got["arn"], got
        cli = run(with_ca, "aws", "sts", "get-caller-identity", "--output", "json")
        assert cli.returncode == 0, cli.stderr
        assert "assumed-role/ContainerRole/app" in json.loads(cli.stdout)["Arn"]
    finally:
        serve.stop()
