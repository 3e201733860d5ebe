"""Commands about one page: `sections` (what rightswatch sees) and `validate` (the config)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from rightswatch.cli.common import EXIT_USAGE, ConfigOption, app, fail, load_or_exit, out
from rightswatch.config import Config, FetchSettings, config_path
from rightswatch.document import Document
from rightswatch.extract import (
    PROFILE_NAMES,
    ExtractError,
    ExtractOptions,
    extract_explained,
    extract_page,
)
from rightswatch.extract.pdf import PdfError, extract_pdf, is_pdf
from rightswatch.fetch import Fetcher, FetchError, NotModified, decode_html


@app.command()
def validate(config: ConfigOption = None) -> None:
    """Check a config file and list its watches and channels."""
    cfg = load_or_exit(config)
    out.print(
        f"[green]ok[/]: {config_path(config)}: {len(cfg.watches)} watches, "
        f"{len(cfg.channels)} channels ({', '.join(sorted(cfg.channels))})",
        soft_wrap=True,
    )


PDF_REASON = "a PDF: sections from its bookmarks, else from its heading fonts"


def _document_for(
    target: str, profile: str | None, config: Path | None, render: str | None = None
) -> tuple[Document, str]:
    """A file (HTML or PDF), an http(s) URL, or the id of a configured watch, as a Document
    (and why its profile was chosen)."""
    path = Path(target)
    if "://" not in target and path.is_file():
        raw = path.read_bytes()
        if is_pdf(raw):
            return extract_pdf(raw, path.resolve().as_uri()), PDF_REASON
        text, _ = decode_html(raw)
        return extract_explained(text, path.resolve().as_uri(), profile=profile or "auto")
    settings = FetchSettings()
    options = ExtractOptions()
    url = target
    cfg: Config | None = None
    explicit = config is not None or bool(os.environ.get("RIGHTSWATCH_CONFIG"))
    if explicit or config_path(config).is_file():
        cfg = load_or_exit(config)
        settings = cfg.fetch
    if not target.startswith(("http://", "https://")):
        if cfg is None:
            fail(f"{target!r} is not a file, an http(s) URL or a watch id", EXIT_USAGE)
        try:
            watch = cfg.watch(target)
        except KeyError as exc:
            fail(f"{target!r} is not a file or an http(s) URL, and {exc.args[0]}", EXIT_USAGE)
        url, options = watch.url, ExtractOptions(content=watch.content, heading=watch.heading)
        profile, render = profile or watch.profile, render or watch.render
    with Fetcher(settings) as fetcher:
        page = fetcher.fetch(url, render=render or "static")
    assert not isinstance(page, NotModified)  # no validators were sent
    if page.content_type == "application/pdf":
        return extract_page(page, url), PDF_REASON
    return extract_explained(
        page.text, url, final_url=page.final_url, profile=profile or "auto", options=options
    )


def _first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def print_sections(
    doc: Document, console: Console, *, full: bool = False, why: str | None = None
) -> None:
    """The section tree; `full` shows every paragraph instead of each section's first words."""
    lang = escape(f" [{doc.lang}]") if doc.lang else ""
    tree = Tree(
        f"[bold]{escape(doc.title or doc.final_url)}[/]{lang}  "
        f"[dim]profile {doc.profile} · {len(doc.sections)} sections · {doc.words:,} words[/]"
    )
    parents: list[tuple[int, Tree]] = []
    for section in doc.sections:
        while parents and parents[-1][0] >= section.level:
            parents.pop()
        preview = "" if full else f"  {escape(_first_words(section.text))}"
        node = (parents[-1][1] if parents else tree).add(
            f"[bold cyan]{escape(section.heading)}[/] [dim]({section.words} words)[/]{preview}"
        )
        if full:
            for paragraph in section.paragraphs:
                node.add(escape(paragraph))
        if section.level:
            parents.append((section.level, node))
    console.print(tree)
    if why:
        console.print(f"[dim]profile {doc.profile}, chosen by {escape(why)}[/]", soft_wrap=True)


@app.command()
def sections(
    target: Annotated[
        str, typer.Argument(help="A URL, an HTML file, or a watch id from the config")
    ],
    profile: Annotated[
        str | None, typer.Option(help=f"Extraction profile: {', '.join(PROFILE_NAMES)}")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Document as JSON")] = False,
    render: Annotated[
        str | None,
        typer.Option(help="static, or browser: run the page's scripts in Chromium first"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Show the sections rightswatch sees in a page (HTML or PDF)."""
    if profile is not None and profile not in PROFILE_NAMES:
        fail(f"unknown profile {profile!r}; choose one of {', '.join(PROFILE_NAMES)}", EXIT_USAGE)
    if render is not None and render not in ("static", "browser"):
        fail(f"unknown --render {render!r}; choose static or browser", EXIT_USAGE)
    try:
        doc, why = _document_for(target, profile, config, render)
    except FetchError as exc:
        fail(str(exc))
    except ExtractError as exc:
        fail(str(exc))
    except PdfError as exc:
        fail(f"{target}: {exc}")
    if as_json:
        payload = {**doc.model_dump(mode="json"), "profile_reason": why}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        print_sections(doc, out, why=why)
