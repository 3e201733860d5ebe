"""The registry of extraction profiles, and how `profile: auto` picks one.

Each profile names its content container and the <head> metadata it reads, so a later parse can
be cut to just those parts (a SoupStrainer); `auto` decides by host first, then by the page's own
signature (a mirror or a web-archive copy keeps the markup but not the host).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from rightswatch.document import Section
from rightswatch.extract import amnesty, freedomhouse, hrw, state
from rightswatch.extract.amnesty import amnesty_title, extract_amnesty
from rightswatch.extract.css import extract_css
from rightswatch.extract.freedomhouse import extract_freedom_house
from rightswatch.extract.generic import extract_generic
from rightswatch.extract.hrw import extract_hrw
from rightswatch.extract.options import ExtractOptions
from rightswatch.extract.state import extract_state, state_title

Extractor = Callable[[BeautifulSoup, str, ExtractOptions], list[Section]]
Signature = Callable[[BeautifulSoup], str | None]  # why the page matches, or None
_HEAD_META = ("og:site_name", "og:title", "article:published_time", "article:modified_time")


@dataclass(frozen=True)
class Profile:
    name: str
    extract: Extractor
    # The <body> parts it reads, as CSS selectors: content containers in order of preference,
    # then the title element when it has one (empty: the page decides, as `generic` does).
    reads: tuple[str, ...]
    hosts: tuple[str, ...] = ()
    signature: Signature | None = None
    head_meta: tuple[str, ...] = _HEAD_META
    title: Callable[[BeautifulSoup], str | None] | None = None  # overrides <title> when set
    titles: tuple[str, ...] = ()  # which of `reads` find the title; the rest are containers


def _site_name(soup: BeautifulSoup) -> str | None:
    head = soup.head if isinstance(soup.head, Tag) else soup
    tag = head.find("meta", attrs={"property": "og:site_name"})
    value = tag.get("content") if isinstance(tag, Tag) else None
    return value.strip() if isinstance(value, str) else None


@dataclass(frozen=True)
class SiteOrMarkup:
    """A signature: og:site_name equals `site`, or every selector matches the page. Plain data,
    so the parse step (cut.py) can test it on the lxml tree before building any soup."""

    site: str
    selectors: tuple[str, ...]

    def __call__(self, soup: BeautifulSoup) -> str | None:
        if _site_name(soup) == self.site:
            return f"og:site_name is {self.site!r}"
        if self.selectors and all(soup.select_one(s) is not None for s in self.selectors):
            return f"the page has {' and '.join(self.selectors)}"
        return None


def _by_site_or_markup(site: str, *selectors: str) -> Signature:
    return SiteOrMarkup(site, selectors)


PROFILES: dict[str, Profile] = {
    "hrw-world-report": Profile(
        "hrw-world-report",
        lambda soup, url, _o: extract_hrw(soup, url),
        hrw.BODY_SELECTORS,
        hosts=("hrw.org",),
        signature=_by_site_or_markup("Human Rights Watch", "h1.title--huge", "div.article-body"),
    ),
    "amnesty": Profile(
        "amnesty",
        lambda soup, url, _o: extract_amnesty(soup, url),
        amnesty.CONTAINERS + amnesty.TITLES,
        hosts=("amnesty.org",),
        signature=_by_site_or_markup(
            "Amnesty International", "body.tax-location", ".article-backLink"
        ),
        title=amnesty_title,
        titles=amnesty.TITLES,
    ),
    "state-country-report": Profile(
        "state-country-report",
        lambda soup, url, _o: extract_state(soup, url),
        state.CONTAINERS + state.TITLES,
        hosts=("state.gov",),
        signature=_by_site_or_markup("United States Department of State", "div.report__content"),
        title=state_title,
        titles=state.TITLES,
    ),
    "freedom-house": Profile(
        "freedom-house",
        lambda soup, url, _o: extract_freedom_house(soup, url),
        freedomhouse.CONTAINERS,
        hosts=("freedomhouse.org",),
        signature=_by_site_or_markup("Freedom House", ".country-score-block", ".country-report"),
    ),
    "generic": Profile("generic", lambda soup, url, _o: extract_generic(soup, url), ()),
    # css reads the watch's own `content` selector
    "css": Profile("css", lambda soup, url, o: extract_css(soup, url, o.content, o.heading), ()),
}
PROFILE_NAMES = ("auto", *PROFILES)
# A web-archive copy names the original URL in its own path: /web/2024…/https://www.amnesty.org/…
_EMBEDDED_URL = re.compile(r"/https?:/{1,2}((?:[a-z0-9-]+\.)+[a-z]{2,})(?:[:/]|$)", re.I)


def _host_match(host: str) -> str | None:
    for profile in PROFILES.values():
        for suffix in profile.hosts:
            if host == suffix or host.endswith("." + suffix):
                return profile.name
    return None


def choose_by_url(url: str) -> tuple[str, str] | None:
    """(profile, why) when the host, or the host of an archived copy, decides; else None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    found = _host_match(host)
    if found:
        return found, f"auto: host {host}"
    embedded = _EMBEDDED_URL.search(parts.path)
    if embedded and (found := _host_match(embedded.group(1).lower())):
        return found, f"auto: archived copy of {embedded.group(1).lower()}"
    return None


def choose(url: str, soup: BeautifulSoup | None = None) -> tuple[str, str]:
    """(profile, why) for `profile: auto`."""
    by_url = choose_by_url(url)
    if by_url is not None:
        return by_url
    if soup is not None:
        for profile in PROFILES.values():
            reason = profile.signature(soup) if profile.signature else None
            if reason:
                return profile.name, f"auto: page signature ({reason})"
    return "generic", "auto: no host or page signature matched"
