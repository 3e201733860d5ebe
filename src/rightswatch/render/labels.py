"""Words for change kinds, shared by every renderer."""

from __future__ import annotations

from rightswatch.diff import SectionChange


def change_label(change: SectionChange) -> str:
    if change.minor:
        return "minor edit (typography or spacing only)"
    label: str = change.kind
    if change.kind == "renamed":
        label = f"renamed from “{change.old_heading}”"
    if change.moved and change.kind != "moved":
        label += ", moved"
    return label
