"""The parse step: build only the BeautifulSoup tree a profile reads (README "Performance").

lxml parses the whole page in C (a fraction of a millisecond) and `auto` is decided on that
tree. Then the elements the profile and the page metadata read are located there (the
profile's `reads`, <head>, the first <title>, <h1> and <time datetime>), everything else is
pruned, and BeautifulSoup builds its tree from what is left, straight from the lxml tree
(replay.py). Each kept element keeps its ancestors with their attributes, so every selector in
`reads` finds the same first element in the cut tree as in the whole page. When the container
the profile needs is not found (so it would fall back to reading the whole page), the page is
parsed whole, exactly as before.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bs4 import BeautifulSoup
from lxml import etree
from lxml.cssselect import CSSSelector

from rightswatch.extract.profiles import PROFILES, Profile, SiteOrMarkup, choose_by_url
from rightswatch.extract.replay import soup_of

__all__ = ["CutParse", "cut_parse"]

Element = Any  # lxml's _Element; lxml ships no type stubs here
# What page_meta reads besides <head>, wherever it is on the page.
_META_EXTRAS = ("title", "h1", "time[datetime]")
# What `generic` reads: the first of these is its container (an <article> only when alone).
_GENERIC = ("main", "[role=main]")


class CutParse:
    """A page parsed for one profile: the soup, the profile and why it was chosen."""

    __slots__ = ("cut", "profile", "soup", "why")

    def __init__(self, soup: BeautifulSoup, profile: str, why: str, cut: bool) -> None:
        self.soup, self.profile, self.why, self.cut = soup, profile, why, cut


@lru_cache(maxsize=256)
def _selector(css: str) -> CSSSelector:
    return CSSSelector(css, translator="html")


class _Tree:
    """The lxml tree of one page, with each selector's first match looked up once."""

    __slots__ = ("found", "root")

    def __init__(self, root: Element) -> None:
        self.root = root
        self.found: dict[str, Element | None] = {}

    def first(self, css: str) -> Element | None:
        if css not in self.found:
            try:
                matches = _selector(css)(self.root)
            except Exception:
                raise _Whole() from None
            self.found[css] = matches[0] if matches else None
        return self.found[css]


class _Whole(Exception):
    """This page (or profile) is read from the whole tree, as before the cut existed."""


def _site_name(root: Element) -> str | None:
    head = next(root.iter("head"), None)
    scope = head if head is not None else root
    for meta in scope.iter("meta"):
        if meta.get("property") == "og:site_name":
            content = meta.get("content")
            return content.strip() if isinstance(content, str) else None
    return None


def _signature(sig: SiteOrMarkup, tree: _Tree, site: str | None) -> str | None:
    if site == sig.site:
        return f"og:site_name is {sig.site!r}"
    if sig.selectors and all(tree.first(s) is not None for s in sig.selectors):
        return f"the page has {' and '.join(sig.selectors)}"
    return None


def _choose(url: str, tree: _Tree) -> tuple[str, str]:
    """`auto` as profiles.choose decides it, with the signatures tested on the lxml tree."""
    found = choose_by_url(url)
    if found is not None:
        return found
    site = _site_name(tree.root)
    for profile in PROFILES.values():
        if profile.signature is None:
            continue
        if not isinstance(profile.signature, SiteOrMarkup):
            raise _Whole()
        reason = _signature(profile.signature, tree, site)
        if reason:
            return profile.name, f"auto: page signature ({reason})"
    return "generic", "auto: no host or page signature matched"


def _container(spec: Profile, tree: _Tree) -> Element:
    """The first content container the profile would read, or _Whole when it has none."""
    if spec.name == "generic":
        for css in _GENERIC:
            found = tree.first(css)
            if found is not None:
                return found
        articles = list(tree.root.iter("article"))
        if len(articles) == 1:
            return articles[0]
        raise _Whole()  # several articles, or the densest block: decided on the whole page
    containers = [css for css in spec.reads if css not in spec.titles]
    if not containers:
        raise _Whole()  # css: the watch's own selectors, read by soupsieve on the whole page
    for css in containers:
        found = tree.first(css)
        if found is not None:
            return found
    raise _Whole()


def _kept(spec: Profile, tree: _Tree, container: Element) -> list[Element]:
    head = next(tree.root.iter("head"), None)
    if head is None:
        raise _Whole()  # page_meta then searches the whole page for <meta>
    found = [tree.first(css) for css in (*spec.reads, *_META_EXTRAS)]
    return [head, container, *(el for el in found if el is not None)]


def _prune(root: Element, kept: list[Element]) -> None:
    """Remove every element that is neither kept, inside a kept one, nor an ancestor of one."""
    whole = {id(el) for el in kept}
    # lxml reuses a proxy object only while it is alive, so the ancestors are held in a list.
    ancestors: list[Element] = []
    path: set[int] = set()
    for el in kept:
        parent = el.getparent()
        while parent is not None and id(parent) not in path:
            ancestors.append(parent)
            path.add(id(parent))
            parent = parent.getparent()
    stack = [root]
    while stack:
        node = stack.pop()
        for child in list(node):
            if id(child) in whole:
                continue
            if id(child) in path:
                stack.append(child)
            else:
                node.remove(child)  # its tail goes with it: loose text outside what is read


def cut_parse(html: str, url: str, profile: str) -> CutParse:
    """The soup for `profile` (a name or "auto") on `url`; see the module docstring."""
    try:
        root = etree.HTML(html)
        if root is None:
            raise _Whole()
        tree = _Tree(root)
        chosen, why = _choose(url, tree) if profile == "auto" else (profile, "")
        spec = PROFILES[chosen]
        container = _container(spec, tree)
        _prune(root, _kept(spec, tree, container))
    except (_Whole, ValueError):  # ValueError: a str with an XML encoding declaration
        return CutParse(BeautifulSoup(html, "lxml"), profile, "", cut=False)
    return CutParse(soup_of(root), chosen, why, cut=True)
