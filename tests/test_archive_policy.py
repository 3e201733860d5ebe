"""The web-archive client is under the same address policy as fetching (README "Security"):
the configured endpoint is trusted (the user named it), but a redirect from it to a private
address elsewhere is refused before any request reaches that address."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightswatch.config import load_config
from rightswatch.preserve import ArchiveError, wayback_for
from tests.loopback import Reply, serving


def _config(tmp_path: Path, endpoint: str, extra: str = "") -> Path:
    path = tmp_path / "rw.yaml"
    path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        f"fetch: {{per_host_delay: 0{extra}}}\n"
        f"archive: {{service: wayback, endpoint: '{endpoint}'}}\n"
        "watches:\n  - {id: kz, url: 'http://127.0.0.1/kz', channels: []}\n",
        encoding="utf-8",
    )
    return path


def test_the_endpoint_is_trusted_but_its_redirect_to_a_private_host_is_refused(
    tmp_path: Path,
) -> None:
    with serving("127.0.0.1") as archive, serving("127.0.0.2") as intranet:
        intranet.route("/admin", Reply(200, b"{}", {"Content-Type": "application/json"}))
        archive.route(
            "/save", Reply(302, b"", {"Location": f"{intranet.base}/admin", "Content-Length": "0"})
        )
        archive.route("/save/status/j1", Reply(200, b'{"status": "pending"}'))
        client = wayback_for(load_config(_config(tmp_path, archive.base)))
        assert client.status("j1") is None  # the endpoint itself is reached
        with pytest.raises(ArchiveError, match=r"127\.0\.0\.2 is a loopback address") as exc:
            client.submit("http://127.0.0.1/kz")
        assert exc.value.outage  # the run stops asking the archive; the save stays queued
        assert intranet.seen == []


def test_with_allow_private_the_redirect_is_followed(tmp_path: Path) -> None:
    with serving("127.0.0.1") as archive, serving("127.0.0.2") as other:
        other.route("/save", Reply(200, b'{"job_id": "j2"}', {"Content-Type": "application/json"}))
        archive.route(
            "/save", Reply(307, b"", {"Location": f"{other.base}/save", "Content-Length": "0"})
        )
        config = load_config(_config(tmp_path, archive.base, ", allow_private: true"))
        assert wayback_for(config).submit("http://127.0.0.1/kz") == "j2"
        assert len(other.requests_to("/save")) == 1
