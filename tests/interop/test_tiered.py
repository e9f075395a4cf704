"""Two `awsproxy serve` replicas sharing one bucket in moto, each with a local
disk tier (`[cache] local_size`), and curl through their forward proxies: a
fill on one is a hit on the other, and concurrent misses on both leave one
object, one replica having lost the conditional write (`If-None-Match: *`,
which moto 5.2 checks on PutObject and CompleteMultipartUpload).

moto runs single-threaded here: its threaded server does not make two
simultaneous conditional writes of one key atomic (TESTING-NOTES.md)."""

import http.server
import subprocess
import sys
import threading
import time

import boto3
import pytest

from conftest import Daemon, free_port, wait_for_port

BUCKET = "team-cache"
MOTO_SINGLE = """
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
run_simple("127.0.0.1", int(sys.argv[1]), DomainDispatcherApplication(create_backend_app), threaded=False)
"""


@pytest.fixture
def moto_single():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", MOTO_SINGLE, str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket=BUCKET)
        yield endpoint, s3
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Origin:
    """Plain HTTP files with Cache-Control, answered after a delay; counts requests."""

    def __init__(self, files, delay=0.0):
        self.count = {}
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                origin.count[self.path] = origin.count.get(self.path, 0) + 1
                time.sleep(delay)
                body = files[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=600")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.server.shutdown()


def replica(env, tmp_path, name, endpoint, origin):
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(
        f'[proxy]\nlisten = "127.0.0.1:0"\nallow_destinations = ["127.0.0.1:{origin.port}"]\n'
        '[metrics]\nlisten = "127.0.0.1:0"\n'
        '[cache]\nstore = "s3"\nmemory_size = "0"\nlocal_size = "64MiB"\n'
        f'local_dir = "{tmp_path / name}"\n'
        f'[cache.s3]\nbucket = "{BUCKET}"\nprefix = "awsproxy/"\nregion = "us-east-1"\n'
        f'endpoint = "{endpoint}"\nforce_path_style = true\n'
    )
    e = dict(env)
    e["AWS_ACCESS_KEY_ID"] = "testing"
    e["AWS_SECRET_ACCESS_KEY"] = "testing"
    e["AWSPROXY_LOG_LEVEL"] = "debug"  # the lost race is a debug line
    d = Daemon(e, "--config", str(cfg), "serve")
    d.proxy = d.url("forward proxy")
    return d


def curl(proxy, url):
    """Body and Cache-Status of `url` fetched through `proxy`."""
    out = subprocess.run(
        ["curl", "-s", "-f", "-x", proxy, "-D", "-", url],
        env={"PATH": "/usr/bin:/bin"}, capture_output=True, timeout=60, check=True,
    ).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    status = [l for l in head.decode().lower().splitlines() if l.startswith("cache-status:")]
    return body, (status[0] if status else "")


def objects(s3):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="awsproxy/").get("Contents", [])]


def eventually(cond, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def test_two_replicas_share_fills_and_concurrent_misses_make_one_object(env, tmp_path, moto_single):
    endpoint, s3 = moto_single
    files = {"/shared.bin": bytes(range(256)) * 1024, "/race.bin": b"r" * 150_000}
    origin = Origin(files, delay=0.5)
    a = replica(env, tmp_path, "a", endpoint, origin)
    b = replica(env, tmp_path, "b", endpoint, origin)
    try:
        # A fill on A is a hit on B (read from the bucket), then from B's disk.
        body, status = curl(a.proxy, origin.url("/shared.bin"))
        assert body == files["/shared.bin"] and "stored" in status, status
        assert eventually(lambda: len(objects(s3)) == 1)
        for _ in range(2):
            body, status = curl(b.proxy, origin.url("/shared.bin"))
            assert body == files["/shared.bin"] and status.startswith("cache-status: awsproxy; hit"), status
        assert origin.count["/shared.bin"] == 1

        # Both miss at once (the origin takes 0.5 s): both fetch, one upload wins.
        results = {}
        threads = [threading.Thread(target=lambda p=p: results.__setitem__(p, curl(p, origin.url("/race.bin"))))
                   for p in (a.proxy, b.proxy)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(body == files["/race.bin"] for body, _ in results.values())
        assert origin.count["/race.bin"] == 2
        assert eventually(lambda: len(objects(s3)) == 2)
        lost = "another awsproxy stored this entry first"
        assert eventually(lambda: (lost in a.log()) + (lost in b.log()) == 1), a.log() + b.log()
        for d in (a, b):
            body, status = curl(d.proxy, origin.url("/race.bin"))
            assert body == files["/race.bin"] and status.startswith("cache-status: awsproxy; hit"), status
        assert origin.count["/race.bin"] == 2
    finally:
        a.stop()
        b.stop()
        origin.stop()
