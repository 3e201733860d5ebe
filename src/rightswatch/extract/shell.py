"""Is a static page an empty shell that a script fills in (README "JavaScript pages")?

Baselining such a page would record only its navigation and then report nothing, or report
"everything added" once the site changes its build; it is suspect from its first check.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from rightswatch.document import Document

__all__ = ["shell_reason"]

SHELL_WORDS = 200  # a report chapter has thousands; a shell's text is its navigation
SCRIPT_CHARS = 5000  # inline script (code or JSON data) that dwarfs the visible text
_APP_ROOT = re.compile(r"^(?:root|app|__next|__nuxt|main|content|page|chapter|report)\b", re.I)


def _empty_container(soup: BeautifulSoup) -> str | None:
    """The first content container with no text at all, as a short CSS-like name."""
    for tag in soup.find_all(["main", "article", "div", "section"]):
        if not isinstance(tag, Tag):
            continue
        ident = tag.get("id")
        classes = tag.get("class")
        names: list[str] = [ident] if isinstance(ident, str) else []
        names += [c for c in classes if isinstance(c, str)] if isinstance(classes, list) else []
        main = tag.name in ("main", "article") or tag.get("role") == "main"
        if not (main or any(_APP_ROOT.match(n) for n in names)):
            continue
        if not tag.get_text(strip=True):
            label = f"#{ident}" if isinstance(ident, str) else "".join(f".{c}" for c in names)
            return f"<{tag.name}{label}>" if label else f"<{tag.name}>"
    return None


def shell_reason(html: str, doc: Document) -> str | None:
    """Why the static HTML looks like a shell for script-built content, or None."""
    if doc.words >= SHELL_WORDS:
        return None
    soup = BeautifulSoup(html, "lxml")
    scripts = soup.find_all("script")
    inline = sum(len(s.get_text()) for s in scripts)
    external = sum(1 for s in scripts if isinstance(s, Tag) and s.get("src"))
    visible = sum(len(s.text) for s in doc.sections)
    empty = _empty_container(soup)
    if empty is None and not (
        inline >= max(SCRIPT_CHARS, 3 * visible) or (external and not visible)
    ):
        return None
    if not scripts:
        return None  # no script can be filling it in: the page is really (nearly) empty
    found = f"an empty content container {empty}" if empty else f"{inline:,} characters of script"
    return (
        f"the page builds its content with JavaScript: the static HTML has {doc.words} words "
        f'of text and {found}; set `render: browser` for this watch (README "JavaScript pages")'
    )
