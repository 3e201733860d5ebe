"""A loopback stand-in for the Wayback Machine: Save Page Now, CDX and `id_` captures.

It speaks the protocol rightswatch relies on (README "Preservation"): POST /save → job_id,
GET /save/status/<id> → pending (a set number of times) then success, GET /cdx/search/cdx
with a header row, GET /web/<timestamp>id_/<original> → the capture's bytes. `outage` makes
every answer a 503.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Capture:
    timestamp: str
    original: str
    body: bytes
    status: int = 200  # what the id_ URL answers


@dataclass
class Asked:
    method: str
    path: str
    at: float
    headers: dict[str, str]
    form: dict[str, list[str]] = field(default_factory=dict)


class Wayback:
    def __init__(self) -> None:
        self.captures: list[Capture] = []
        self.pending_polls = 2  # "pending" answers before each job succeeds
        self.outage = False
        self.asked: list[Asked] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def saves(self) -> list[Asked]:
        return [a for a in self.asked if a.method == "POST" and a.path == "/save"]

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], form: dict[str, list[str]]
    ) -> tuple[int, bytes]:
        if self.outage:
            return 503, b"<html><body>Service Unavailable</body></html>"
        if method == "POST" and path == "/save":
            return self._save(form)
        if path.startswith("/save/status/"):
            return self._status(path.removeprefix("/save/status/"))
        if path == "/cdx/search/cdx":
            return self._cdx(query)
        if path.startswith("/web/"):
            stamp, _, original = path.removeprefix("/web/").partition("/")
            for capture in self.captures:
                if f"{capture.timestamp}id_" == stamp and capture.original == original:
                    return capture.status, capture.body
        return 404, b"not found"

    def _save(self, form: dict[str, list[str]]) -> tuple[int, bytes]:
        url = form.get("url", [""])[0]
        with self._lock:
            job = f"spn2-{len(self.jobs) + 1:04d}"
            self.jobs[job] = {"url": url, "polls": 0}
        return 200, json.dumps({"url": url, "job_id": job}).encode()

    def _status(self, job_id: str) -> tuple[int, bytes]:
        job = self.jobs.get(job_id)
        if job is None:
            return 200, json.dumps({"status": "error", "message": "unknown job"}).encode()
        job["polls"] += 1
        if job["polls"] <= self.pending_polls:
            return 200, json.dumps({"status": "pending"}).encode()
        # Distinct per job, as two real captures of one page always are.
        later = datetime.now(UTC) + timedelta(seconds=int(job_id.rsplit("-", 1)[-1]))
        job.setdefault("timestamp", later.strftime("%Y%m%d%H%M%S"))
        answer = {"status": "success", "timestamp": job["timestamp"], "original_url": job["url"]}
        return 200, json.dumps(answer).encode()

    def _cdx(self, query: dict[str, list[str]]) -> tuple[int, bytes]:
        url = query.get("url", [""])[0]
        since = query.get("from", [""])[0]
        fields = query.get("fl", ["timestamp,original,statuscode,digest"])[0].split(",")
        rows: list[list[str]] = [fields]
        for c in sorted(self.captures, key=lambda c: c.timestamp):
            if c.original != url or (since and c.timestamp < since):
                continue
            values = {
                "timestamp": c.timestamp,
                "original": c.original,
                "statuscode": "200",  # the CDX index says 200; the capture may answer otherwise
                "digest": f"D{abs(hash(c.body)) % 10**12:012d}",
            }
            rows.append([values[f] for f in fields])
        return 200, json.dumps(rows).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                raw = b""
                if self.command == "POST":
                    raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = parse_qs(raw.decode("utf-8"))
                with owner._lock:
                    owner.asked.append(
                        Asked(self.command, parts.path, time.monotonic(), dict(self.headers), form)
                    )
                status, body = owner.answer(self.command, parts.path, parse_qs(parts.query), form)
                self.send_response(status)
                ctype = "application/json" if body[:1] in (b"{", b"[") else "text/html"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

        return Handler

    def start(self) -> Wayback:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def wayback_server() -> Iterator[Wayback]:
    server = Wayback().start()
    try:
        yield server
    finally:
        server.stop()
