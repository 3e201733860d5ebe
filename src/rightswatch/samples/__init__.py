"""Bundled sample pages and a loopback server for `rightswatch demo`, so the tool can be tried
in a minute with no network: a real HRW chapter, then an edited edition of it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

__all__ = ["SampleServer"]

PAGES = {
    "original": "hrw_kazakhstan_2021.html",
    "edited": "hrw_kazakhstan_2021_edited.html",
}


class SampleServer:
    """Serves /world-report/2021/country-chapters/kazakhstan on 127.0.0.1, edition switchable."""

    path = "/world-report/2021/country-chapters/kazakhstan"

    def __init__(self) -> None:
        self.edition = "original"
        files = resources.files(__package__)
        self._pages = {k: (files / name).read_bytes() for k, name in PAGES.items()}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path != owner.path:
                    self.send_error(404)
                    return
                body = owner._pages[owner.edition]
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}{self.path}"

    def __enter__(self) -> SampleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
