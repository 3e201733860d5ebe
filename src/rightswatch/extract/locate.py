"""Where a page's main text is, asked of trafilatura when the generic profile's fast path is unsure.

trafilatura (maintained, the best-scoring open extractor on article benchmarks) decides which
blocks are the article; rightswatch still walks the page's own DOM, so headings keep their
levels and anchors and links stay links. Only pages without a <main>, role=main or <article>
take this path: it costs a serialisation and a second parse.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from rightswatch.document import Section
from rightswatch.extract.text import normalize
from rightswatch.extract.walk import BLOCK_TAGS, tag_text

__all__ = ["MainText", "main_text"]


class MainText:
    """The text trafilatura kept, and the smallest element holding every block it kept."""

    def __init__(self, kept: str, scope: Tag) -> None:
        self.kept = kept
        self.scope = scope

    def holds(self, tag: Tag) -> bool:
        """A block belongs to the main text when trafilatura kept its words.

        Headings are not asked: trafilatura's text often leaves them out, and they are what
        rightswatch's sections are made of (see `prune`).
        """
        if tag.name not in BLOCK_TAGS:
            return True
        text = tag_text(tag)
        return not text or text in self.kept

    def prune(self, sections: list[Section]) -> list[Section]:
        """Drop a heading that heads nothing trafilatura kept (a sidebar's "Most read")."""
        out = []
        for i, section in enumerate(sections):
            deeper = i + 1 < len(sections) and sections[i + 1].level > section.level
            if section.paragraphs or deeper or section.heading in self.kept:
                out.append(section)
        return out


def _common_ancestor(tags: list[Tag]) -> Tag | None:
    if not tags:
        return None
    chain = [tags[0], *tags[0].parents]
    depth = {id(t): i for i, t in enumerate(chain)}
    lowest = 0
    for tag in tags[1:]:
        for parent in (tag, *tag.parents):
            if id(parent) in depth:
                lowest = max(lowest, depth[id(parent)])
                break
    return chain[lowest]


def main_text(soup: BeautifulSoup) -> MainText | None:
    """None when trafilatura finds nothing, so the caller keeps its own guess."""
    import trafilatura  # imported here: most pages never need it

    try:
        found = trafilatura.extract(
            str(soup), include_comments=False, include_tables=True, deduplicate=False
        )
    except Exception:  # a parser failure on odd markup must not cost the page
        return None
    if not found:
        return None
    kept = normalize(found)
    body = soup.body if isinstance(soup.body, Tag) else soup
    blocks = [
        tag
        for tag in body.find_all(["p", "li", "td", "blockquote", "pre", "dd"])
        if len(text := tag_text(tag)) >= 25 and text in kept
    ]
    scope = _common_ancestor(blocks)
    return MainText(kept, scope) if isinstance(scope, Tag) else None
