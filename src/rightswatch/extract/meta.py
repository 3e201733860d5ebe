"""Page-level metadata every profile shares: title, language and dates."""

from __future__ import annotations

from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

from rightswatch.extract.text import normalize


@dataclass(frozen=True)
class PageMeta:
    title: str
    lang: str | None
    published: str | None
    modified: str | None
    site_name: str | None


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if isinstance(tag, Tag):
            content = tag.get("content")
            if isinstance(content, str) and normalize(content):
                return normalize(content)
    return None


def _strip_site_suffix(title: str, site_name: str | None) -> str:
    """'World Report 2021: Kazakhstan | Human Rights Watch' -> 'World Report 2021: Kazakhstan'."""
    for sep in (" | ", " - ", " – ", " — "):
        head, found, tail = title.rpartition(sep)
        if found and head and (site_name is None or tail.strip() == site_name):
            return head.strip()
    return title


def _is_content_language(value: str | None) -> bool:
    return value is not None and value.lower() == "content-language"


def page_meta(soup: BeautifulSoup) -> PageMeta:
    site_name = _meta(soup, "og:site_name")
    title_tag = soup.find("title")
    raw_title = normalize(title_tag.get_text()) if isinstance(title_tag, Tag) else ""
    if not raw_title:
        raw_title = _meta(soup, "og:title") or ""
    if not raw_title:
        h1 = soup.find("h1")
        raw_title = normalize(h1.get_text()) if isinstance(h1, Tag) else ""
    html = soup.find("html")
    lang = html.get("lang") if isinstance(html, Tag) else None
    if not isinstance(lang, str) or not lang.strip():
        lang = _meta(soup, "og:locale", "content-language", "language")
        if lang is None:
            http_equiv = soup.find("meta", attrs={"http-equiv": _is_content_language})
            content = http_equiv.get("content") if isinstance(http_equiv, Tag) else None
            lang = content if isinstance(content, str) else None
    published = _meta(soup, "article:published_time", "dcterms.date", "date")
    modified = _meta(soup, "article:modified_time", "og:updated_time", "dcterms.modified")
    if published is None:
        time_tag = soup.find("time", attrs={"datetime": True})
        value = time_tag.get("datetime") if isinstance(time_tag, Tag) else None
        published = value if isinstance(value, str) else None
    return PageMeta(
        title=_strip_site_suffix(raw_title, site_name) if raw_title else "",
        lang=lang.strip().replace("_", "-") if isinstance(lang, str) and lang.strip() else None,
        published=published,
        modified=modified,
        site_name=site_name,
    )
