"""A real HTTP server on 127.0.0.1 for tests: routes, faults, and a log of what it was asked."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a reset we caused on purpose is not news


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    action: str | None = None  # "reset" closes the socket; "truncate" sends a third of the body


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float
    method: str = "GET"
    body: bytes = b""


Route = Callable[["Request"], Reply]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    count: int  # how many times this path was requested, this one included
    body: bytes = b""
    method: str = "GET"


class Loopback:
    """Routes are exact paths; each answers a Reply or a function of the request."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Reply | Route] = {}
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = _QuietServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, reply: Reply | Route) -> str:
        self.routes[path] = reply
        return self.url(path)

    def page(
        self, path: str, body: bytes | str, ctype: str = "text/html; charset=utf-8", **headers: str
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self.route(path, Reply(200, data, {"Content-Type": ctype, **headers}))

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def start(self) -> Loopback:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                body = b""
                if self.command == "POST":
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen = Seen(self.path, dict(self.headers), time.monotonic(), self.command, body)
                with owner._lock:
                    owner.seen.append(seen)
                    count = len(owner.requests_to(self.path))
                    owner.in_flight += 1
                    owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
                self._counted = True
                try:
                    self._answer(count, seen)
                finally:
                    self._finished()

            def _finished(self) -> None:
                """The request stops counting as in flight just before its answer is sent: once
                the client has the answer it may send the next one, possibly before this thread
                runs again (GIL), and counting both would report a concurrency the client never
                had. The window still covers the whole `delay`, so real overlaps show."""
                if getattr(self, "_counted", False):
                    self._counted = False
                    with owner._lock:
                        owner.in_flight -= 1

            do_POST = do_GET

            def _answer(self, count: int, seen: Seen) -> None:
                route = owner.routes.get(self.path)
                if route is None:
                    reply = Reply(
                        404, b"<html><body>Not found</body></html>", {"Content-Type": "text/html"}
                    )
                elif isinstance(route, Reply):
                    reply = route
                else:
                    reply = route(Request(self.path, seen.headers, count, seen.body, seen.method))
                if reply.delay:
                    time.sleep(reply.delay)
                self._finished()
                if reply.action == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    # Drop every reference to the socket so close() really sends the RST.
                    self.rfile.close()
                    self.wfile.close()
                    self.connection.close()
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                headers = {"Content-Length": str(len(reply.body)), **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if reply.action == "truncate":
                    self.wfile.write(reply.body[: len(reply.body) // 3])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if reply.status != 304:
                    self.wfile.write(reply.body)

        return Handler


@contextmanager
def serving(host: str = "127.0.0.1", port: int = 0) -> Iterator[Loopback]:
    """A server on `host`, any loopback address: 127.0.0.2 is another site to the fetcher.
    `port` (default: any free one) lets servers on two addresses share a port, as one host
    name's addresses would."""
    server = Loopback(host, port).start()
    try:
        yield server
    finally:
        server.stop()
