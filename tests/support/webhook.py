"""A webhook receiver on 127.0.0.1 for the tests of what Stature POSTs (run-failure alerts,
change notices): it answers `status` and keeps every JSON body it was sent."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer


@contextlib.contextmanager
def recording_webhook(path: str, status: int = 204) -> Iterator[tuple[str, list[dict]]]:
    """(the URL to post to, the bodies posted so far) while the server runs."""
    posts: list[dict] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            posts.append(json.loads(self.rfile.read(length)))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    server = HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{path}", posts
    finally:
        server.shutdown()
        server.server_close()
