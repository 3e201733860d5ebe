"""Real delivery peers for tests: an SMTP server (aiosmtpd) and a Slack-like webhook receiver."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.loopback import Loopback, Reply, Request

USER, PASSWORD = "analyst", "s3cret-smtp-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: ARG002 - aiosmtpd's handler signature
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class Tls:
    ca_file: Path
    server_context: ssl.SSLContext


def make_tls(folder: Path) -> Tls:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Tls(ca_file, context)


@contextmanager
def smtp_server(
    mode: str = "none", *, auth: bool = False, tls: Tls | None = None, port: int | None = None
) -> Iterator[tuple[Inbox, int]]:
    """mode: none (plain), starttls (required), ssl (implicit TLS)."""
    inbox = Inbox()
    port = port or free_port()
    kwargs: dict[str, Any] = {}
    if auth:
        kwargs.update(
            # aiosmtpd only knows TLS from STARTTLS; implicit TLS is TLS too.
            authenticator=_authenticate,
            auth_required=True,
            auth_require_tls=mode == "starttls",
        )
    if mode == "starttls":
        assert tls is not None
        kwargs.update(tls_context=tls.server_context, require_starttls=True)
    if mode == "ssl":
        assert tls is not None
        kwargs.update(ssl_context=tls.server_context)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Receiver:
    """An HTTP endpoint standing in for Slack's webhook (or any JSON webhook): records what it
    accepted, and answers with queued failures first."""

    def __init__(self, loopback: Loopback, path: str = "/services/T000/B000/XXXXSECRET") -> None:
        self.accepted: list[dict[str, Any]] = []
        self.accepted_headers: list[dict[str, str]] = []
        self.attempts = 0
        self.failures: list[Reply] = []
        self.url = loopback.route(path, self._answer)

    def _answer(self, req: Request) -> Reply:
        self.attempts += 1
        if self.failures:
            return self.failures.pop(0)
        self.accepted.append(json.loads(req.body.decode("utf-8")))
        self.accepted_headers.append(req.headers)
        return Reply(200, b"ok", {"Content-Type": "text/plain"})


def block_kit_problems(payload: dict[str, Any]) -> list[str]:
    """Slack's documented limits for an incoming-webhook message."""
    problems = []
    if not isinstance(payload.get("text"), str) or not payload["text"]:
        problems.append("no text fallback")
    blocks = payload.get("blocks", [])
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks > 50")
    for block in blocks:
        kind = block.get("type")
        if kind not in ("header", "section", "context", "divider"):
            problems.append(f"unexpected block {kind}")
        if kind == "header" and len(block["text"]["text"]) > 150:
            problems.append("header > 150")
        if kind == "section" and len(block["text"]["text"]) > 3000:
            problems.append(f"section text {len(block['text']['text'])} > 3000")
        if kind == "context" and len(block["elements"]) > 10:
            problems.append("context > 10 elements")
    return problems


@dataclass
class S3:
    """A moto S3 server on loopback; `env` is what a client process needs to reach it."""

    endpoint: str
    env: dict[str, str]

    def bucket(self, name: str) -> str:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, **_s3_credentials())
        client.create_bucket(Bucket=name)
        return f"s3://{name}"

    def get(self, bucket: str, key: str) -> bytes:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, **_s3_credentials())
        return bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, **_s3_credentials())
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def _s3_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": "rightswatch-test",
        "aws_secret_access_key": "rightswatch-test-secret",
        "region_name": "us-east-1",
    }


S3_ENV = {
    "AWS_ACCESS_KEY_ID": "rightswatch-test",
    "AWS_SECRET_ACCESS_KEY": "rightswatch-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def s3_server() -> Iterator[S3]:
    """moto's standalone server, so several processes (workers, the CLI) share one bucket."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):  # bounded: 30 s
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"moto_server did not start on {endpoint}")
        yield S3(endpoint=endpoint, env={**S3_ENV, "AWS_ENDPOINT_URL": endpoint})
    finally:
        proc.terminate()
        proc.wait(timeout=10)
