"""Subscriptions by keyword or regex: which sentences made a keyword appear or disappear.

Matching is per sentence, on the sentence changes a diff already holds, so a keyword that
merely stays in an edited sentence is not news, while one in an added section is.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from rightswatch.diff import SectionChange

__all__ = ["Matcher", "Mention", "matchers", "mentions"]

Matcher = tuple[str, re.Pattern[str]]


class Mention(BaseModel):
    """A subscribed keyword that appeared in, or disappeared from, a watched section."""

    model_config = ConfigDict(frozen=True)

    keyword: str
    appeared: bool
    watch_id: str
    title: str
    url: str
    heading: str
    anchor: str | None = None
    sentence: str

    def headline(self) -> str:
        verb = "appeared" if self.appeared else "disappeared"
        return f"{self.keyword!r} {verb} in {self.title} › {self.heading}"

    @property
    def link(self) -> str:
        return f"{self.url}#{self.anchor}" if self.anchor else self.url


def matchers(keywords: list[str], patterns: list[str]) -> list[Matcher]:
    """Keywords match as whole words, ignoring case; patterns are regexes as written."""
    out = [(k, re.compile(rf"(?<!\w){re.escape(k)}(?!\w)", re.IGNORECASE)) for k in keywords]
    return out + [(p, re.compile(p)) for p in patterns]


def mentions(
    change: SectionChange, found_in: tuple[str, str, str], subscribed: list[Matcher]
) -> list[Mention]:
    """`found_in` is (watch id, title, url) of the page the change belongs to."""
    watch_id, title, url = found_in
    out = []
    for sentence in change.sentences:
        old, new = sentence.old or "", sentence.new or ""
        for label, pattern in subscribed:
            had, has = pattern.search(old) is not None, pattern.search(new) is not None
            if had == has:
                continue
            out.append(
                Mention(
                    keyword=label,
                    appeared=has,
                    watch_id=watch_id,
                    title=title,
                    url=url,
                    heading=change.heading,
                    anchor=change.anchor,
                    sentence=new if has else old,
                )
            )
    return out
