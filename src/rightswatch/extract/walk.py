"""Turn a content container into ordered, nested sections.

Every profile chooses a container and says which elements are headings or chrome; this walk
is the one place that turns the DOM into paragraphs. It is iterative, so 10,000-deep nesting
cannot overflow the Python stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from bs4.element import NavigableString, Tag

from rightswatch.document import Link, Section
from rightswatch.extract.text import normalize, slugify, unique_key

HEADING_LEVELS = {f"h{n}": n for n in range(1, 7)}
BLOCK_TAGS = frozenset(
    {"p", "li", "blockquote", "pre", "figcaption", "dd", "dt", "td", "th", "caption", "address"}
)
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "button",
        "form",
        "nav",
        "iframe",
        "select",
        "input",
        "textarea",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "head",
    }
)
# Containers whose start and end separate runs of loose text into paragraphs.
BOUNDARY_TAGS = frozenset(
    {
        "div",
        "section",
        "article",
        "main",
        "ul",
        "ol",
        "dl",
        "table",
        "thead",
        "tbody",
        "tr",
        "header",
        "footer",
        "aside",
        "figure",
        "hr",
        "br",
        "body",
        "details",
        "summary",
    }
)
_CHROME = re.compile(
    r"(?:^|[-_])(?:share|sharing|social|cookie|cookies|newsletter|breadcrumbs?|related|promo|"
    r"advert|ads|subscribe|donate|toc|skip-link|language-switcher|lang-switcher|sr-only|"
    r"visually-hidden|translations)(?:[-_]|$)"
)

IsHeading = Callable[[Tag], int | None]
IsChrome = Callable[[Tag], bool]


def heading_level(tag: Tag) -> int | None:
    return HEADING_LEVELS.get(tag.name)


def looks_like_chrome(tag: Tag) -> bool:
    """Share bars, cookie banners, tables of contents and the like, recognised by class or id."""
    if tag.name in SKIP_TAGS or tag.get("aria-hidden") == "true" or tag.has_attr("hidden"):
        return True
    tokens = list(tag.get("class") or [])
    ident = tag.get("id")
    if isinstance(ident, str):
        tokens.append(ident)
    return any(_CHROME.search(token.lower()) for token in tokens)


def tag_text(tag: Tag) -> str:
    """Visible text of an element, with <br> as a space and scripts left out."""
    parts: list[str] = []
    stack: list[Tag | NavigableString] = [tag]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in SKIP_TAGS:
                continue
            if node.name == "br":
                parts.append(" ")
                continue
            stack.extend(reversed(node.contents))  # type: ignore[arg-type]
        elif type(node) is NavigableString:
            parts.append(str(node))
    return normalize("".join(parts))


def _link(tag: Tag, base_url: str) -> Link | None:
    href = tag.get("href")
    if not isinstance(href, str):
        return None
    absolute = urljoin(base_url, href.strip())
    if urlsplit(absolute).scheme not in ("http", "https"):
        return None
    return Link(text=tag_text(tag), href=absolute)


@dataclass
class _Builder:
    base_url: str
    intro_heading: str
    sections: list[Section] = field(default_factory=list)
    keys: dict[str, int] = field(default_factory=dict)
    stack: list[tuple[int, str]] = field(default_factory=list)
    heading: str = ""
    level: int = 0
    path: list[str] = field(default_factory=list)
    anchor: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    loose: list[str] = field(default_factory=list)

    def add_text(self, text: str) -> None:
        self.loose.append(text)

    def flush(self) -> None:
        if self.loose:
            self.add_paragraph(normalize("".join(self.loose)))
            self.loose.clear()

    def add_paragraph(self, text: str) -> None:
        if text:
            self.paragraphs.append(text)

    def add_links(self, tag: Tag) -> None:
        # Not find_all("a", href=True): building its filter cost more than the walk itself.
        anchors = (
            [tag]
            if tag.name == "a"
            else [d for d in tag.descendants if isinstance(d, Tag) and d.name == "a"]
        )
        for a in anchors:
            link = _link(a, self.base_url)
            if link is not None:
                self.links.append(link)

    def close_section(self) -> None:
        self.flush()
        heading = self.heading or self.intro_heading
        if not self.heading and not self.paragraphs:
            return  # no intro text before the first heading
        key = unique_key(slugify(heading), self.keys)
        self.sections.append(
            Section(
                key=key,
                heading=heading,
                level=self.level,
                path=self.path,
                anchor=self.anchor,
                paragraphs=self.paragraphs,
                links=self.links,
            )
        )

    def open_section(self, heading: str, level: int, anchor: str | None) -> None:
        self.close_section()
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.path = [h for _, h in self.stack]
        self.stack.append((level, heading))
        self.heading, self.level, self.anchor = heading, level, anchor
        self.paragraphs, self.links = [], []


def _anchor(tag: Tag) -> str | None:
    ident = tag.get("id")
    if isinstance(ident, str) and ident:
        return ident
    # Not tag.find(id=True): building its filter cost more than this loop.
    inner = next((d for d in tag.descendants if isinstance(d, Tag) and d.has_attr("id")), None)
    if isinstance(inner, Tag):
        value = inner.get("id")
        return value if isinstance(value, str) else None
    return None


def walk(
    container: Tag,
    *,
    base_url: str,
    is_heading: IsHeading = heading_level,
    is_chrome: IsChrome = looks_like_chrome,
    intro_heading: str = "Summary",
) -> list[Section]:
    """Sections in document order; text before the first heading becomes `intro_heading`."""
    builder = _Builder(base_url=base_url, intro_heading=intro_heading)
    # Entries are nodes to visit, or None meaning "a boundary element ended here".
    stack: list[Tag | NavigableString | None] = list(reversed(container.contents))  # type: ignore[arg-type]
    while stack:
        node = stack.pop()
        if node is None:
            builder.flush()
            continue
        if not isinstance(node, Tag):
            if type(node) is NavigableString:
                builder.add_text(str(node))
            continue
        if is_chrome(node):
            continue
        level = is_heading(node)
        if level is not None:
            text = tag_text(node)
            if text:
                builder.open_section(text, level, _anchor(node))
            continue
        if node.name in BLOCK_TAGS:
            builder.flush()
            builder.add_paragraph(tag_text(node))
            builder.add_links(node)
            continue
        if node.name == "a":
            builder.add_links(node)
        if node.name in BOUNDARY_TAGS:
            builder.flush()
            stack.append(None)
        stack.extend(reversed(node.contents))  # type: ignore[arg-type]
    builder.close_section()
    return builder.sections
