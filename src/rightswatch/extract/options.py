"""What a watch may tell a profile beyond the page itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractOptions:
    content: str | None = None  # css profile: selector of the content container
    heading: str | None = None  # css profile: selector of headings inside it
