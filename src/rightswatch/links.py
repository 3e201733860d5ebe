"""Which links an index may follow, how many pages it may add, and safe ids for them.

Pure decisions, kept apart from discover.py's fetching and storing: a hostile index page
must not steer rightswatch to other hosts (cloud metadata, intranet, admin ports), nor make
it watch thousands of pages, nor name files after its own choice of text.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Collection, Mapping
from urllib.parse import urlsplit

from rightswatch.config import Watch
from rightswatch.netpolicy import address_rule, host_matches, own_hosts

__all__ = ["cap_watched", "index_hosts", "link_refusal", "safe_slug", "split_links"]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def index_hosts(index: Watch, final_url: str | None = None) -> frozenset[str]:
    """Hosts an index's links may be on: its configured URL's, the URL it was finally served
    from (hrw.org → www.hrw.org), and the watch's `link_hosts`."""
    hosts = set(own_hosts(index.url)) | set(index.link_hosts)
    if final_url:
        hosts |= own_hosts(final_url)
    return frozenset(hosts)


def link_refusal(url: str, hosts: Collection[str]) -> str | None:
    """Why a link found on an index is not followed, or None when it may be."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) link"
    if host_matches(url, hosts):
        return None
    where = parts.netloc.rsplit("@", 1)[-1]
    try:
        reason = address_rule(ipaddress.ip_address(parts.hostname))
    except ValueError:
        reason = None
    what = f" ({reason})" if reason else ""
    return (
        f"{where} is not the index's own host{what}; add it to the watch's link_hosts to follow it"
    )


def split_links(
    found: Mapping[str, str], hosts: Collection[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(links to follow: url → text, links refused: url → why), both in page order."""
    follow: dict[str, str] = {}
    refused: dict[str, str] = {}
    for url, text in found.items():
        reason = link_refusal(url, hosts)
        if reason is None:
            follow[url] = text
        else:
            refused[url] = reason
    return follow, refused


def cap_watched(new: list[str], already: int, cap: int) -> tuple[list[str], list[str]]:
    """(new links to watch, new links only reported): an index adds at most `cap` pages."""
    room = max(0, cap - already)
    return new[:room], new[room:]


def safe_slug(text: str, limit: int, fallback: str = "page") -> str:
    """Lower-case letters, digits and single hyphens only: never a separator, dot or '..'."""
    slug = _NOT_SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-")
    return slug or fallback


def page_id(index_id: str, url: str) -> str:
    """A readable, stable watch id for a discovered page: index, last path part, URL hash.
    Whatever the link says, the id is a slug that fits the watch id rule (<= 64 characters)."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    last = parts[-1] if parts else ""
    digest = hashlib.sha256(url.encode()).hexdigest()[:6]
    return f"{safe_slug(index_id, 24, 'index')}-{safe_slug(last, 28)}-{digest}"
