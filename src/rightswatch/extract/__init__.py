"""Page → Document, through the explicit registry of extraction profiles (profiles.py)."""

from __future__ import annotations

from typing import Protocol

from bs4 import BeautifulSoup

from rightswatch.document import Document
from rightswatch.extract.css import SelectorError
from rightswatch.extract.cut import cut_parse
from rightswatch.extract.meta import page_meta
from rightswatch.extract.options import ExtractOptions
from rightswatch.extract.profiles import PROFILE_NAMES, PROFILES, Profile, choose

__all__ = [
    "PROFILES",
    "PROFILE_NAMES",
    "ExtractError",
    "ExtractOptions",
    "Profile",
    "explain_profile",
    "extract",
    "extract_explained",
    "extract_page",
    "resolve_profile",
]


class ExtractError(ValueError):
    """The page could not be turned into sections; the message says why and what to change."""


def explain_profile(name: str, url: str, soup: BeautifulSoup | None = None) -> tuple[str, str]:
    """(profile, why): the named one, or what `auto` picked by host or page signature."""
    if name != "auto":
        if name not in PROFILES:
            raise ExtractError(
                f"unknown profile {name!r}; choose one of {', '.join(PROFILE_NAMES)}"
            )
        return name, "set in the watch or on the command line"
    return choose(url, soup)


def resolve_profile(name: str, url: str, soup: BeautifulSoup | None = None) -> str:
    return explain_profile(name, url, soup)[0]


def parse_html(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def extract_explained(
    html: str,
    url: str,
    *,
    final_url: str | None = None,
    profile: str = "auto",
    options: ExtractOptions | None = None,
) -> tuple[Document, str]:
    """The Document and why its profile was chosen; pure, tested without network or Prefect."""
    base = final_url or url
    if profile != "auto":
        explain_profile(profile, base)  # an unknown name is refused before any parsing
    parsed = cut_parse(html, base, profile)  # only what the profile reads: cut.py
    soup = parsed.soup
    if parsed.why:
        chosen, why = parsed.profile, parsed.why
    else:
        chosen, why = explain_profile(profile, base, soup)
    spec = PROFILES[chosen]
    meta = page_meta(soup)  # read before a profile trims the tree
    title = (spec.title(soup) if spec.title else None) or meta.title
    try:
        sections = spec.extract(soup, base, options or ExtractOptions())
    except SelectorError as exc:
        raise ExtractError(f"{url}: {exc}") from exc
    doc = Document(
        url=url,
        final_url=base,
        title=title,
        lang=meta.lang,
        published=meta.published,
        modified=meta.modified,
        profile=chosen,
        sections=sections,
    )
    return doc, why


def extract(
    html: str,
    url: str,
    *,
    final_url: str | None = None,
    profile: str = "auto",
    options: ExtractOptions | None = None,
) -> Document:
    """Extract a Document; pure, so it is tested without any network or Prefect."""
    return extract_explained(html, url, final_url=final_url, profile=profile, options=options)[0]


class Fetched(Protocol):
    """What extract_page needs of a fetched page (rightswatch.page.Page)."""

    @property
    def content_type(self) -> str: ...
    @property
    def body(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    @property
    def final_url(self) -> str: ...


def extract_page(
    page: Fetched, url: str, *, profile: str = "auto", options: ExtractOptions | None = None
) -> Document:
    """A fetched page by its kind: a PDF is read as a PDF, anything else as HTML."""
    if page.content_type == "application/pdf":
        from rightswatch.extract.pdf import PdfError, extract_pdf

        try:
            return extract_pdf(page.body, url, final_url=page.final_url)
        except PdfError as exc:
            raise ExtractError(f"{url}: {exc}") from None
    return extract(page.text, url, final_url=page.final_url, profile=profile, options=options)
