"""`awsproxy console --print` against a small federation endpoint (getSigninToken
checks the session JSON; Action=login answers a landing page): the printed URL,
opened in headless Chromium, reaches the landing page signed in."""

import json
import pathlib
import subprocess
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import free_port, run
from test_status_page import chromium_args

TOKEN = "interop-signin-token"


def start_federation(port):
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body, ctype):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            seen.append(q)
            if q.get("Action") == "getSigninToken":
                session = json.loads(q.get("Session", "{}"))
                if not all(session.get(k) for k in ("sessionId", "sessionKey", "sessionToken")):
                    return self.reply(400, "bad session", "text/plain")
                return self.reply(200, json.dumps({"SigninToken": TOKEN}), "application/json")
            if q.get("Action") == "login" and q.get("SigninToken") == TOKEN:
                page = f"<html><body><h1 id='landing'>Signed in to the fake console</h1><p>{q['Destination']}</p></body></html>"
                return self.reply(200, page, "text/html")
            self.reply(403, "not signed in", "text/plain")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def test_console_print_url_signs_a_browser_in(env, tmp_path):
    port = free_port()
    server, seen = start_federation(port)
    home = pathlib.Path(env["HOME"])
    (home / ".aws" / "config").write_text("[profile dev]\nregion = eu-central-1\n")
    (home / ".aws" / "credentials").write_text(
        "[dev]\naws_access_key_id = ASIAINTEROPFAKE\naws_secret_access_key = s3cr3t\naws_session_token = t0ken\n"
    )
    e = dict(env, AWSPROXY_FEDERATION_URL=f"http://127.0.0.1:{port}/federation")
    try:
        url = run(e, "console", "--profile", "dev", "--print").stdout.strip()
        assert url.startswith(f"http://127.0.0.1:{port}/federation?Action=login"), url
        session = json.loads(seen[0]["Session"])
        assert session == {"sessionId": "ASIAINTEROPFAKE", "sessionKey": "s3cr3t", "sessionToken": "t0ken"}
        dom = subprocess.run(
            [*chromium_args(tmp_path), "--dump-dom", url],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout
        assert "Signed in to the fake console" in dom, dom
        assert "https://eu-central-1.console.aws.amazon.com/console/home?region=eu-central-1" in dom, dom
    finally:
        server.shutdown()
