"""The status page of `awsproxy serve`, loaded in headless Chromium (Debian's
`chromium`): the service rows are there, and a screenshot is saved under
target/interop-artifacts/ for people to look at."""

import hashlib
import os
import pathlib
import shutil
import subprocess
import urllib.error
import urllib.request

from conftest import Daemon

ARTIFACTS = pathlib.Path(os.environ.get("AWSPROXY_ARTIFACTS", "target/interop-artifacts"))


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("chromium is not installed: `apt-get install chromium` (.ci/run does this)")


def chromium_args(tmp_path):
    return [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ]


def test_status_page_renders_in_chromium(env, tmp_path):
    # One SSO session with a token that needs a login: its row and hint must show.
    home = pathlib.Path(env["HOME"])
    (home / ".aws" / "config").write_text(
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
    )
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    (cache / (hashlib.sha1(b"corp").hexdigest() + ".json")).write_text(
        '{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1",'
        ' "accessToken": "t", "expiresAt": "2020-01-01T00:00:00Z"}'
    )
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[metrics]\nlisten = "127.0.0.1:0"\n[sso]\nsessions = ["corp"]\nlogin = "off"\n'
        '[proxy]\nlisten = "127.0.0.1:0"\n[repos]\nlisten = "127.0.0.1:0"\n'
    )
    serve = Daemon(env, "--config", str(cfg), "serve")
    serve.status_url = serve.url("status page") + "/"
    try:
        try:
            urllib.request.urlopen(serve.status_url + "healthz", timeout=5)
            raise AssertionError("healthz should be 503 while a session needs a login")
        except urllib.error.HTTPError as e:
            assert e.code == 503 and b"sso:corp" in e.read()

        dom = subprocess.run(
            [*chromium_args(tmp_path), "--dump-dom", serve.status_url],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout
        assert "<h1>awsproxy</h1>" in dom
        assert 'data-component="metrics"' in dom and 'data-component="sso"' in dom
        assert "<h2>SSO sessions</h2>" in dom and '<td data-label="session">corp</td>' in dom
        assert "Log in: <code>awsproxy sso login corp</code>" in dom
        assert "Some services need attention" in dom
        # Each service says what it is for and the line to use it.
        proxy_url = serve.url("forward proxy").removeprefix("http://")
        assert f"<code>export HTTPS_PROXY=http://{proxy_url} HTTP_PROXY=http://{proxy_url}</code>" in dom, dom
        assert "/pypi/NAME/simple/" in dom and "No PyPI mounts configured" in dom
        # The interception CA is one click away.
        assert 'href="/ca.pem"' in dom and "<code>awsproxy ca trust</code>" in dom
        with urllib.request.urlopen(serve.status_url + "ca.pem", timeout=5) as r:
            assert r.read().startswith(b"-----BEGIN CERTIFICATE-----")

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "status-page.png"
        if shot.exists():
            shot.unlink()
        subprocess.run(
            [*chromium_args(tmp_path), f"--screenshot={shot.resolve()}", "--window-size=1200,800", serve.status_url],
            capture_output=True, text=True, timeout=60, check=True,
        )
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, len(data)
        # A phone-sized window (375 px wide) gets the same page, tables scrolling in their box.
        phone = ARTIFACTS / "status-page-375.png"
        subprocess.run(
            [*chromium_args(tmp_path), f"--screenshot={phone.resolve()}", "--window-size=375,800", serve.status_url],
            capture_output=True, text=True, timeout=60, check=True,
        )
        assert phone.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert 'name="viewport"' in dom
    finally:
        serve.stop()
