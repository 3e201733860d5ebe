"""BeautifulSoup's tree built from a tree lxml has already parsed, without parsing it again.

The parse step (cut.py) prunes the lxml tree of a page to what a profile reads. Serialising
that tree and letting bs4's lxml builder parse the text once more cost a second libxml2 parse,
and worse: libxml2 gives up the GIL while it parses and takes it back for every element it
hands to the builder, so in a threaded sweep every element was a hand-over of the GIL. Here
the builder hears the same calls (doctype, start, data, comment, pi, end, in document order)
straight from the tree. tests/test_parse_cut.py checks both give the same documents.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from bs4.builder._lxml import LXMLTreeBuilder
from lxml import etree

__all__ = ["soup_of"]

Element = Any  # lxml's _Element; lxml ships no type stubs here


class _TreeBuilder(LXMLTreeBuilder):
    """bs4's own lxml builder, fed from a parsed tree once; after that (a copy of the soup
    builds its own), it parses markup as usual."""

    def __init__(self, root: Element | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._root = root

    def feed(self, markup: Any) -> None:
        root, self._root = self._root, None
        if root is None:
            super().feed(markup)
            return
        _replay(root, self)
        self.close()


def soup_of(root: Element) -> BeautifulSoup:
    """The soup bs4 would build from `etree.tostring(root)`, built from `root` itself."""
    return BeautifulSoup("", builder=_TreeBuilder(root))


def _replay(root: Element, target: _TreeBuilder) -> None:
    """The parser's calls for the document around `root`; iterative, for deep nesting."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype:
        target.doctype(docinfo.root_name, docinfo.public_id, docinfo.system_url)
    first = root
    while first.getprevious() is not None:  # comments or PIs before <html>
        first = first.getprevious()
    todo: list[tuple[bool, Element]] = [
        (False, el) for el in reversed([first, *first.itersiblings()])
    ]
    while todo:
        closing, el = todo.pop()
        if closing:
            target.end(el.tag)
        elif isinstance(el, etree._Comment):
            target.comment(el.text or "")
        elif isinstance(el, etree._ProcessingInstruction):
            target.pi(el.target, el.text or "")
        elif isinstance(el, etree._Entity):
            target.data(el.text or "")
        else:
            target.start(el.tag, el.attrib)
            if el.text:
                target.data(el.text)
            todo.append((True, el))
            todo.extend((False, child) for child in reversed(el))
            continue
        if el.tail:
            target.data(el.tail)
