"""What a fetch returns: a Page (static HTML, a rendered DOM, or a PDF's bytes) or NotModified."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

__all__ = ["NotModified", "Page", "Validators"]


@dataclass(frozen=True)
class Validators:
    """HTTP cache validators; both are sent because Drupal answers 304 only when both match."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class Page:
    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    text: str
    encoding: str
    validators: Validators
    fetched_at: datetime
    elapsed: float
    redirects: tuple[str, ...] = ()

    @cached_property
    def sha256(self) -> str:
        """Hashed once: evaluate and commit ask several times, and each hash of a large body
        gives up the GIL and waits to take it back while other checks parse."""
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class NotModified:
    """A 304: the page is unchanged and nothing is parsed."""

    url: str
    validators: Validators
    fetched_at: datetime
    elapsed: float
