"""curl and pip through awsproxy's intercepting forward proxy, trusting the CA
from `awsproxy ca export`, against a local TLS origin; the second fetch is a
cache hit (the origin sees one request)."""

import base64
import hashlib
import io
import subprocess
import zipfile

import pytest

from conftest import Daemon, run
from tls_origin import TlsOrigin


def wheel(name, version):
    """A minimal valid wheel (METADATA, WHEEL, RECORD)."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": b"",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: interop\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append(f"{dist}/RECORD,,")
        z.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return buf.getvalue()


@pytest.fixture
def setup(env, tmp_path):
    whl = wheel("interop_demo", "1.0")
    name = "interop_demo-1.0-py3-none-any.whl"
    sha = hashlib.sha256(whl).hexdigest()
    origin = TlsOrigin(tmp_path, {
        "/simple/interop-demo/": ("text/html", f'<a href="/files/{name}#sha256={sha}">{name}</a>'.encode()),
        f"/files/{name}": ("application/octet-stream", whl),
        "/hello.txt": ("text/plain", b"hello through the proxy\n"),
    })
    config = tmp_path / "awsproxy.toml"
    config.write_text(
        # The origin is on loopback: proxy clients reach it only when listed.
        f'[proxy]\nlisten = "127.0.0.1:0"\nupstream_ca = ["{origin.paths["ca"]}"]\n'
        f'allow_destinations = ["localhost:{origin.port}"]\n[cache]\nstore = "disk"\n'
    )
    ca = tmp_path / "awsproxy-ca.pem"
    run(env, "--config", str(config), "ca", "export", "--out", str(ca))
    serve = Daemon(env, "--config", str(config), "serve")
    serve.proxy = serve.url("forward proxy").removeprefix("http://")
    yield env, origin, serve, ca, name
    serve.stop()
    origin.stop()


def test_curl_through_the_intercepting_proxy_then_a_hit(setup):
    env, origin, serve, ca, _ = setup
    for attempt in (1, 2):
        out = subprocess.run(
            ["curl", "-sS", "-D", "-", "--proxy", f"http://{serve.proxy}", "--cacert", str(ca), origin.url("/hello.txt")],
            env=env, capture_output=True, text=True, timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert "hello through the proxy" in out.stdout
        status = [l for l in out.stdout.lower().splitlines() if l.startswith("cache-status:")]
        assert status and ("hit" in status[0]) == (attempt == 2), out.stdout
    assert origin.counts["/hello.txt"] == 1


def test_curl_is_refused_loopback_ports_that_are_not_listed(setup):
    env, origin, serve, ca, _ = setup
    for url in ("http://127.0.0.1:9/", f"https://localhost:{origin.port + 1}/"):
        out = subprocess.run(
            ["curl", "-sS", "-D", "-", "--proxy", f"http://{serve.proxy}", "--cacert", str(ca), url],
            env=env, capture_output=True, text=True, timeout=60,
        )
        head = out.stdout.lower()
        assert head.startswith("http/1.1 403 "), (url, out.stdout, out.stderr)
        assert "proxy-status: awsproxy; error=destination_ip_prohibited" in head, (url, out.stdout)


def test_pip_download_through_the_intercepting_proxy_is_cached(setup, tmp_path):
    env, origin, serve, ca, name = setup
    e = dict(env, HTTPS_PROXY=f"http://{serve.proxy}", REQUESTS_CA_BUNDLE=str(ca), PIP_DISABLE_PIP_VERSION_CHECK="1")
    for attempt in (1, 2):
        dest = tmp_path / f"dl{attempt}"
        out = subprocess.run(
            ["python", "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--index-url",
             f"https://localhost:{origin.port}/simple/", "-d", str(dest), "interop-demo"],
            env=e, capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        assert (dest / name).is_file()
    assert origin.counts[f"/files/{name}"] == 1, origin.counts
