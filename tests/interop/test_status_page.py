"""The status page of `awsproxy serve`, loaded in headless Chromium (Debian's
`chromium`): the service rows are there, and a screenshot is saved under
target/interop-artifacts/ for people to look at."""

import os
import pathlib
import re
import shutil
import subprocess
import urllib.request

from conftest import AWSPROXY

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


class Serve:
    def __init__(self, env, config_path):
        self.proc = subprocess.Popen(
            [AWSPROXY, "--config", str(config_path), "serve"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.lines = []
        self.status_url = None
        for line in self.proc.stderr:
            self.lines.append(line)
            m = re.search(r"status page.*(http://\S+)", line)
            if m:
                self.status_url = m.group(1)
                break
        assert self.status_url, "".join(self.lines)

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(timeout=30) == 0


def test_status_page_renders_in_chromium(env, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[metrics]\nlisten = "127.0.0.1:0"\n')
    serve = Serve(env, cfg)
    try:
        with urllib.request.urlopen(serve.status_url + "healthz", timeout=5) as r:
            assert r.status == 200

        dom = subprocess.run(
            [*chromium_args(tmp_path), "--dump-dom", serve.status_url],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout
        assert "<h1>awsproxy</h1>" in dom
        assert 'data-component="metrics"' in dom
        assert "All services healthy" in dom

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
    finally:
        serve.stop()
