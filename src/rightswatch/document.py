"""The typed model of a report page as sections, shared by extract, store and diff."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from rightswatch.segment import count_words


class Link(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    href: str


class Section(BaseModel):
    """One headed part of a page; the unit rightswatch diffs and reports."""

    model_config = ConfigDict(frozen=True)

    key: str
    heading: str
    level: int = Field(ge=0, le=6)
    path: list[str] = Field(default_factory=list)
    anchor: str | None = None
    paragraphs: list[str] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @cached_property
    def words(self) -> int:
        """Counted once per section: the guard, the shell check and the store each ask, and a
        count reads every paragraph. model_copy drops it, since an update may change them."""
        return sum(count_words(p) for p in self.paragraphs)  # a CJK character counts as one

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("words", None)
        return copied


class Document(BaseModel):
    """What rightswatch sees in a page: metadata plus ordered sections."""

    model_config = ConfigDict(frozen=True)

    url: str
    final_url: str
    title: str
    lang: str | None = None
    published: str | None = None
    modified: str | None = None
    profile: str = "generic"
    sections: list[Section] = Field(default_factory=list)
    pages: int | None = None  # a PDF's page count, for the guard; None for HTML

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def words(self) -> int:
        return sum(s.words for s in self.sections)

    def content_hash(self) -> str:
        """Hash of what a reader sees; fetch metadata and URLs do not count, so it names content."""
        payload = {
            "title": self.title,
            "lang": self.lang,
            "sections": [[s.key, s.heading, s.level, s.path, s.paragraphs] for s in self.sections],
        }
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()
