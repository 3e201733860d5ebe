"""Markdown and plain-text renderings from the Jinja2 templates shipped in the package."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from rightswatch.diff import DocumentDiff
from rightswatch.digest import Digest, section_link
from rightswatch.render.escape import md_edits, md_escape, one_line
from rightswatch.render.labels import change_label


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("rightswatch.render", "templates"),
        # HTML templates escape every value; Markdown and text escape explicitly via filters.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["md_edits"] = md_edits
    env.filters["line"] = one_line
    env.filters["label"] = change_label
    env.globals["section_link"] = section_link
    return env


def diff_markdown(
    diff: DocumentDiff,
    *,
    title: str,
    url: str | None = None,
    old: str = "",
    new: str = "",
    include_minor: bool = False,
) -> str:
    changes = [c for c in diff.changes if include_minor or not c.minor]
    return (
        environment()
        .get_template("diff.md.j2")
        .render(
            diff=diff,
            changes=changes,
            title=title,
            url=url,
            old=old,
            new=new,
            minor=[c for c in diff.changes if c.minor],
        )
    )


def digest_markdown(digest: Digest) -> str:
    return environment().get_template("digest.md.j2").render(digest=digest)


def digest_html(digest: Digest) -> str:
    return environment().get_template("digest.html.j2").render(digest=digest)


def digest_text(digest: Digest) -> str:
    return environment().get_template("digest.txt.j2").render(digest=digest)
