#!/usr/bin/env python3
"""The two halves of scripts/soak (Python standard library only).

  soak_load.py origin PORT_FILE
      A local HTTP/1.1 origin on 127.0.0.1: cacheable small and large files,
      unique misses, no-store, 404, 500, and a body that stalls half-way. Writes
      its port to PORT_FILE and serves until killed.

  soak_load.py drive --pid PID --proxy HOST:PORT ... --seconds N --csv FILE
      Drives a bounded mixed load through `awsproxy serve` from several threads,
      samples the serve process's RSS and open file descriptors every second
      into FILE, prints a summary and exits 1 when growth exceeds the bounds.
"""

import argparse
import hashlib
import http.client
import http.server
import os
import random
import socket
import sys
import threading
import time

SMALL = 1024
LARGE = 4 << 20
MISS = 64 << 10
SMALL_KEYS = 100
LARGE_KEYS = 4


def body(name, size):
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    large = {}

    def log_message(self, *args):
        pass

    def reply(self, status, data, cache_control, etag=None, head=False, stall=False):
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", "application/octet-stream")
        if cache_control:
            self.send_header("Cache-Control", cache_control)
        if etag:
            self.send_header("ETag", f'"{etag}"')
        self.end_headers()
        if head:
            return
        if stall:
            # Half the body, a pause (clients abort here), then the rest.
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(0.5)
            self.wfile.write(data[len(data) // 2 :])
        else:
            self.wfile.write(data)

    def do_GET(self, head=False):
        path, _, query = self.path.partition("?")
        try:
            if path.startswith("/small/"):
                self.reply(200, body(path, SMALL), "max-age=3600", etag=path, head=head)
            elif path.startswith("/large/"):
                data = Origin.large.get(path)
                if data is None:
                    data = Origin.large.setdefault(path, body(path, LARGE))
                self.reply(200, data, "max-age=3600", etag=path, head=head)
            elif path == "/miss":
                self.reply(200, body(query, MISS), "max-age=600", head=head)
            elif path == "/stall":
                self.reply(200, body(query, MISS), "max-age=600", head=head, stall=True)
            elif path == "/nostore":
                self.reply(200, body(path, 2048), "no-store", head=head)
            elif path == "/fail":
                self.reply(500, b"origin failure\n", None, head=head)
            else:
                self.reply(404, b"not found\n", "max-age=60", head=head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_HEAD(self):
        self.do_GET(head=True)


def serve_origin(port_file):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    server.daemon_threads = True
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, port_file)
    server.serve_forever()


def hostport(value):
    host, _, port = value.rpartition(":")
    return host, int(port)


class Unexpected(Exception):
    pass


class Client:
    """One load thread: a keep-alive connection to the proxy and raw sockets for
    aborts and tunnels. Each operation returns normally when the proxy answered
    as it should and raises otherwise."""

    def __init__(self, args, rng):
        self.args = args
        self.rng = rng
        self.proxy = hostport(args.proxy)
        self.origin = f"http://127.0.0.1:{args.origin_port}"
        self.conn = None

    def request(self, url, want, method="GET", target=None, headers=None):
        for attempt in range(2):
            if self.conn is None:
                host, port = target or self.proxy
                self.conn = http.client.HTTPConnection(host, port, timeout=30)
            try:
                self.conn.request(method, url, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed while idle: retry once.
                self.close()
                if attempt:
                    raise
        if resp.will_close:
            self.close()
        if resp.status not in want:
            raise Unexpected(f"{method} {url}: {resp.status} (wanted {want})")
        return resp, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def small_hit(self):
        _, data = self.request(f"{self.origin}/small/{self.rng.randrange(SMALL_KEYS)}", (200,))
        if len(data) != SMALL:
            raise Unexpected(f"small body of {len(data)} bytes")

    def large_hit(self):
        _, data = self.request(f"{self.origin}/large/{self.rng.randrange(LARGE_KEYS)}", (200,))
        if len(data) != LARGE:
            raise Unexpected(f"large body of {len(data)} bytes")

    def miss(self):
        self.request(f"{self.origin}/miss?u={self.rng.getrandbits(64):x}", (200,))

    def head(self):
        self.request(f"{self.origin}/small/{self.rng.randrange(SMALL_KEYS)}", (200,), method="HEAD")

    def no_store(self):
        self.request(f"{self.origin}/nostore", (200,))

    def not_found(self):
        self.request(f"{self.origin}/missing/{self.rng.randrange(1000)}", (404,))

    def origin_error(self):
        # Named `localhost` because upstream bans are per host name (not port):
        # 500s in a row ban `localhost`, never the `127.0.0.1` the rest uses.
        url = f"http://localhost:{self.args.origin_port}/fail?u={self.rng.randrange(1000)}"
        self.request(url, (500, 502))

    def unreachable(self):
        # Nothing listens there: 502 (or 504), then a ban of that host for a while.
        self.request(f"http://127.0.0.2:1/x{self.rng.randrange(100)}", (502, 504))

    def refused(self):
        # awsproxy's own listeners are never destinations for proxy clients.
        own = self.rng.choice([self.args.metrics, self.args.creds])
        _, data = self.request(f"http://{own}/metrics", (403,))
        if b"allow_destinations" not in data:
            raise Unexpected(f"refusal without its hint: {data[:80]!r}")

    def raw(self, request, read):
        """Sends `request` on a fresh connection, reads up to `read` bytes, closes."""
        with socket.create_connection(self.proxy, timeout=30) as s:
            s.sendall(request)
            got = 0
            while got < read:
                chunk = s.recv(min(65536, read - got))
                if not chunk:
                    break
                got += len(chunk)
            return got

    def abort_hit(self):
        # A client that goes away in the middle of a large cache hit.
        url = f"{self.origin}/large/{self.rng.randrange(LARGE_KEYS)}"
        self.raw(f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(), 256 << 10)

    def abort_fill(self):
        # A client that goes away while its miss is being filled (body stalls).
        url = f"{self.origin}/stall?u={self.rng.getrandbits(64):x}"
        self.raw(f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(), 1024)

    def tunnel(self):
        # CONNECT passthrough to the origin, one request inside, then close.
        port = self.args.origin_port
        with socket.create_connection(self.proxy, timeout=30) as s:
            s.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
            if not head.startswith(b"HTTP/1.1 200"):
                raise Unexpected(f"CONNECT: {head[:40]!r}")
            s.sendall(b"GET /small/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = head.partition(b"\r\n\r\n")[2]
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            if not data.startswith(b"HTTP/1.1 200") or len(data) < SMALL:
                raise Unexpected(f"through the tunnel: {data[:40]!r}")

    def creds(self):
        good = self.rng.random() < 0.8
        token = self.args.creds_token if good else "wrong-token"
        conn = http.client.HTTPConnection(*hostport(self.args.creds), timeout=30)
        try:
            conn.request("GET", "/v1/credentials", headers={"Authorization": token})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if resp.status != (200 if good else 403):
            raise Unexpected(f"credentials: {resp.status} {data[:80]!r}")

    def metrics(self):
        path = self.rng.choice(["/metrics", "/healthz", "/"])
        conn = http.client.HTTPConnection(*hostport(self.args.metrics), timeout=30)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
        finally:
            conn.close()
        if resp.status != 200:
            raise Unexpected(f"metrics {path}: {resp.status}")


# Operation mix (weights out of 100).
MIX = [
    ("small_hit", 38),
    ("large_hit", 4),
    ("miss", 14),
    ("head", 4),
    ("no_store", 4),
    ("not_found", 5),
    ("origin_error", 3),
    ("unreachable", 4),
    ("abort_hit", 4),
    ("abort_fill", 3),
    ("tunnel", 5),
    ("creds", 7),
    ("metrics", 3),
    ("refused", 2),
]


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.done = {}
        self.failed = {}
        self.examples = []

    def add(self, op, error=None):
        with self.lock:
            self.done[op] = self.done.get(op, 0) + 1
            if error is not None:
                self.failed[op] = self.failed.get(op, 0) + 1
                if len(self.examples) < 5:
                    self.examples.append(f"{op}: {error}")

    def totals(self):
        with self.lock:
            return sum(self.done.values()), sum(self.failed.values())


def worker(args, stop, tally, seed):
    rng = random.Random(seed)
    client = Client(args, rng)
    mix = [(name, w) for name, w in MIX if not args.only or name in args.only]
    ops = [name for name, _ in mix]
    weights = [w for _, w in mix]
    while not stop.is_set():
        op = rng.choices(ops, weights)[0]
        try:
            getattr(client, op)()
            tally.add(op)
        except (Unexpected, OSError, http.client.HTTPException) as e:
            client.close()
            tally.add(op, f"{type(e).__name__}: {e}")
    client.close()


def sample(pid):
    """(RSS KiB, open fds, threads) of `pid`."""
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd")), threads


def tcp_sockets():
    """`{inode: (local port, remote port, listening)}` from /proc/net/tcp{,6}."""
    out = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            out[inode] = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16), state == "0A")
    return out


def fd_kinds(pid, origin_port):
    """`{kind: count}` of the open fds of `pid`: files, pipes, anon inodes, and
    TCP sockets split into listeners, connections to the origin and others."""
    kinds = {}
    tcp = tcp_sockets()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            local, remote, listening = tcp.get(target[8:-1], (0, 0, False))
            kind = "listener" if listening else "to-origin" if remote == origin_port else "socket"
        elif ":" in target and not target.startswith("/"):
            kind = target.split(":", 1)[0]
        else:
            kind = "file"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


class ServeGone(Exception):
    pass


def drive(args):
    try:
        with open(args.csv, "w") as csv:
            csv.write("seconds,phase,rss_kib,fds,threads,requests,errors\n")
            return soak(args, csv)
    except ServeGone:
        print(f"soak: FAILED: awsproxy serve (pid {args.pid}) exited during the soak", file=sys.stderr)
        return 1


def soak(args, csv):
    warmup = max(5, int(args.seconds * args.warmup_fraction))
    stop = threading.Event()
    tally = Tally()
    rows = []
    start = time.monotonic()

    def record(phase):
        try:
            rss, fds, threads = sample(args.pid)
        except OSError as e:
            stop.set()
            raise ServeGone() from e
        done, failed = tally.totals()
        rows.append((round(time.monotonic() - start, 1), phase, rss, fds, threads, done, failed))
        csv.write(",".join(str(v) for v in rows[-1]) + "\n")
        csv.flush()
        return rss, fds

    idle_rss, idle_fds = record("idle")
    idle_kinds = fd_kinds(args.pid, args.origin_port)
    threads = [
        threading.Thread(target=worker, args=(args, stop, tally, i), daemon=True)
        for i in range(args.clients)
    ]
    for t in threads:
        t.start()
    # Load: one sample a second until the time is up.
    end = start + args.seconds
    warm = None
    while time.monotonic() < end:
        time.sleep(1)
        phase = "warmup" if time.monotonic() - start < warmup else "load"
        rss, fds = record(phase)
        if phase == "load" and warm is None:
            warm = (rss, fds)
    load_end = rows[-1]
    stop.set()
    for t in threads:
        t.join(timeout=60)
    # Cool-down: connections close; wait (bounded) for the fds to come back.
    cooldown_end = time.monotonic() + args.cooldown
    while time.monotonic() < cooldown_end:
        time.sleep(1)
        _, fds = record("cooldown")
        if fds <= idle_fds + 4:
            break
    after = rows[-1]
    after_kinds = fd_kinds(args.pid, args.origin_port)

    if warm is None:
        warm = (load_end[2], load_end[3])
    peak_rss = max(r[2] for r in rows)
    peak_fds = max(r[3] for r in rows)
    threads = [r[4] for r in rows]
    done, failed = tally.totals()
    elapsed = load_end[0]
    mib = lambda kib: f"{kib / 1024:.1f} MiB"
    print(f"soak: {args.seconds}s of load ({warmup}s warm-up), {args.clients} clients")
    print(f"  requests   {done} ({done / max(elapsed, 1):.0f}/s), unexpected answers {failed}")
    for op, _ in MIX:
        print(f"    {op:<13} {tally.done.get(op, 0):>8}  unexpected {tally.failed.get(op, 0)}")
    print(
        f"  RSS        idle {mib(idle_rss)}, after warm-up {mib(warm[0])}, "
        f"peak {mib(peak_rss)}, end of load {mib(load_end[2])}, after cool-down {mib(after[2])}"
    )
    print(
        f"  open fds   idle {idle_fds}, after warm-up {warm[1]}, peak {peak_fds}, "
        f"end of load {load_end[3]}, after cool-down {after[3]}"
    )
    kinds = lambda k: ", ".join(f"{n} {kind}" for kind, n in sorted(k.items()))
    print(f"  threads    idle {threads[0]}, peak {max(threads)}, after cool-down {threads[-1]}")
    print(f"  fd kinds   idle: {kinds(idle_kinds)}; after cool-down: {kinds(after_kinds)}")
    print(f"  samples    {args.csv}")
    for example in tally.examples:
        print(f"  e.g. {example}")

    problems = []
    growth = load_end[2] - warm[0]
    if growth > args.max_rss_growth_mib * 1024:
        problems.append(
            f"RSS grew by {mib(growth)} after warm-up (bound {args.max_rss_growth_mib} MiB)"
        )
    if after[3] > idle_fds + args.max_fd_growth:
        problems.append(
            f"{after[3]} fds open after the load stopped, {idle_fds} before it "
            f"(bound +{args.max_fd_growth})"
        )
    if done == 0:
        problems.append("no request completed")
    elif failed > done * args.max_unexpected:
        problems.append(
            f"{failed} of {done} requests got an unexpected answer "
            f"(bound {args.max_unexpected:.0%})"
        )
    for p in problems:
        print(f"soak: FAILED: {p}", file=sys.stderr)
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    o = sub.add_parser("origin")
    o.add_argument("port_file")
    d = sub.add_parser("drive")
    d.add_argument("--pid", type=int, required=True)
    d.add_argument("--proxy", required=True, help="forward proxy HOST:PORT")
    d.add_argument("--metrics", required=True, help="metrics listener HOST:PORT")
    d.add_argument("--creds", required=True, help="credentials endpoint HOST:PORT")
    d.add_argument("--creds-token", required=True)
    d.add_argument("--origin-port", type=int, required=True)
    d.add_argument("--seconds", type=int, required=True)
    d.add_argument("--clients", type=int, default=8)
    d.add_argument("--warmup-fraction", type=float, default=0.25)
    d.add_argument("--cooldown", type=int, default=15)
    env = os.environ.get
    d.add_argument("--max-rss-growth-mib", type=int, default=int(env("AWSPROXY_SOAK_MAX_RSS_MIB", "32")))
    d.add_argument("--max-fd-growth", type=int, default=int(env("AWSPROXY_SOAK_MAX_FDS", "32")))
    d.add_argument("--max-unexpected", type=float, default=0.01)
    d.add_argument("--csv", required=True)
    d.add_argument(
        "--only",
        type=lambda v: [op for op in v.split(",") if op],
        default=os.environ.get("AWSPROXY_SOAK_ONLY", "").split(",") if os.environ.get("AWSPROXY_SOAK_ONLY") else [],
        help="comma-separated operations to run (default: the whole mix; env AWSPROXY_SOAK_ONLY)",
    )
    args = parser.parse_args()
    unknown = set(getattr(args, "only", [])) - {name for name, _ in MIX}
    if unknown:
        parser.error(f"unknown operations: {', '.join(sorted(unknown))}")
    if args.command == "origin":
        serve_origin(args.port_file)
        return 0
    return drive(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
