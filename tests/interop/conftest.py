"""Fixtures for the interop tier: an isolated HOME, the AWS fakes as a server,
moto, and helpers to run the real awsproxy binary.

Every child process gets a clean environment built here: this machine exports CA
bundle variables (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE, AWS_CA_BUNDLE,
PIP_CERT) and PIP_FIND_LINKS that would silently change what the clients trust or
install, so they are never inherited.
"""

import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

AWSPROXY = os.environ.get("AWSPROXY_BIN", "target/debug/awsproxy")
FAKE_AWS = os.environ.get("FAKE_AWS_BIN")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@pytest.fixture
def env(tmp_path):
    """A clean environment whose HOME, XDG dirs and AWS files live under tmp_path."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    e = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "NO_COLOR": "1",
    }
    return e


def run(env, *args, check=True, timeout=60, input=None):
    """Runs the awsproxy binary and returns the CompletedProcess (text mode)."""
    proc = subprocess.run(
        [AWSPROXY, *args], env=env, capture_output=True, text=True, timeout=timeout, input=input
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"awsproxy {' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


class FakeAws:
    """The Rust AWS fakes (tests/fake_aws.rs) running as a child process."""

    def __init__(self, *options):
        if not FAKE_AWS:
            raise RuntimeError("FAKE_AWS_BIN is not set: run the tier with tests/interop/run.sh")
        self.proc = subprocess.Popen(
            [FAKE_AWS, "--serve", *options], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        info = json.loads(self.proc.stdout.readline())
        self.endpoint = info["aws"]
        self.control = info["control"]

    def calls(self, operation=None):
        with urllib.request.urlopen(self.control + "/calls", timeout=5) as r:
            calls = json.load(r)
        return calls if operation is None else calls.get(operation, 0)

    def codeartifact_tokens(self):
        with urllib.request.urlopen(self.control + "/codeartifact/tokens", timeout=5) as r:
            return json.load(r)

    def env(self, base):
        """`base` plus endpoint overrides that send every AWS client here."""
        e = dict(base)
        for service in ("SSO", "SSO_OIDC", "STS", "CODEARTIFACT"):
            e[f"AWS_ENDPOINT_URL_{service}"] = self.endpoint
        return e

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def fake_aws_factory():
    started = []

    def start(*options):
        fake = FakeAws(*options)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


def codeartifact_env(fake_aws_factory, env, token, upstream_url, keys=None):
    """The AWS fake issuing `token` as every CodeArtifact token, with
    GetRepositoryEndpoint answering `upstream_url`, and `env` pointed at it with
    static keys (`keys`, or the fake's usual ones). Returns (fake, env)."""
    fake = fake_aws_factory(
        "--codeartifact-fixed-token", token,
        "--codeartifact-endpoint", upstream_url,
    )
    e = fake.env(env)
    e.update(keys or {"AWS_ACCESS_KEY_ID": "AKIDFAKESTATIC", "AWS_SECRET_ACCESS_KEY": "fake-static-secret-access-key"})
    return fake, e


def mount_config(path, fmt, name, repository="repo", port=0, extra=""):
    """Writes an awsproxy config with the repository listener on 127.0.0.1:`port`
    and one `[[repos.FMT]]` mount `name` of the fake's CodeArtifact domain
    (`extra`: more lines for the mount). Returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[repos]\nlisten = "127.0.0.1:{port}"\n\n'
        f'[[repos.{fmt}]]\nname = "{name}"\ndomain = "fake-domain"\ndomain_owner = "123456789012"\n'
        f'region = "us-east-1"\nrepository = "{repository}"\n{extra}'
    )
    return path


@pytest.fixture
def fake_aws(fake_aws_factory):
    return fake_aws_factory()


@pytest.fixture
def moto():
    """moto's server (S3, STS) on a free loopback port; yields its endpoint."""
    port = free_port()
    proc = subprocess.Popen(
        ["moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Daemon:
    """A long-running awsproxy command (`serve`, `creds serve`) as a child. A
    thread collects stderr (so the pipe never fills); `url(label)` waits for the
    startup line `awsproxy: LABEL ... http://ADDR/` and returns the URL."""

    def __init__(self, env, *args, prefix=()):
        """`prefix`: a command that runs awsproxy (e.g. `nsenter ...` into a namespace)."""
        self.proc = subprocess.Popen(
            [*prefix, AWSPROXY, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.lines = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.lines.append(None)  # end of stderr
            self._changed.notify_all()

    def wait_for(self, pattern, timeout=30):
        """The first match of `pattern` in a stderr line."""
        deadline = time.monotonic() + timeout
        with self._changed:
            seen = 0
            while True:
                for line in self.lines[seen:]:
                    if line is None:
                        raise AssertionError(f"no line matching {pattern!r}:\n{self.log()}")
                    m = re.search(pattern, line)
                    if m:
                        return m
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or not self._changed.wait(left):
                    raise AssertionError(f"no line matching {pattern!r} within {timeout}s:\n{self.log()}")

    def url(self, label):
        return self.wait_for(re.escape(label) + r".*?(https?://\S+?)/?\s*$").group(1)

    def log(self):
        return "".join(line for line in self.lines if line)

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(timeout=30) == 0, self.log()
