"""`rightswatch add URL`: start watching a page without hand-editing YAML or guessing a profile.

The page is fetched, a profile chosen (auto, or --profile), and the outline printed, so the user
sees what will be watched; the watch is then appended to the config with a round-tripping YAML
library, so the file's comments and layout stay as they were. The new file is validated before
it replaces the old one, atomically: a mistake never leaves a broken config behind.
"""

from __future__ import annotations

import io
import os
import re
import textwrap
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from rightswatch.cli.common import EXIT_USAGE, ConfigOption, app, err, fail, load_or_exit, out
from rightswatch.cli.pages import print_sections
from rightswatch.config import Config, ConfigError, FetchSettings, config_path, parse_config
from rightswatch.config.schema import WATCH_ID
from rightswatch.document import Document
from rightswatch.extract import PROFILE_NAMES, ExtractError, extract_explained
from rightswatch.extract.text import slugify
from rightswatch.fetch import Fetcher, FetchError, NotModified

_CHROME_HEADING = re.compile(
    r"\b(?:related|share|cookies?|newsletter|subscribe|back to|menu|footer|donate|skip to|"
    r"sign up|follow us|read more|header\d)\b",
    re.I,
)
_SHORT = {"hrw-world-report": "hrw", "state-country-report": "state", "freedom-house": "fh"}
NEW_CONFIG = "# rightswatch configuration; see README.md (Configuration).\nwatches: []\n"


def outline_warnings(doc: Document) -> list[str]:
    """Signs that the profile read the page wrong: one section, or chrome as a section."""
    found = []
    if len(doc.sections) <= 1:
        found.append(f"the page came out as {len(doc.sections)} section(s)")
    for section in doc.sections:
        if _CHROME_HEADING.search(section.heading):
            found.append(f"section {section.heading!r} looks like page chrome")
    if doc.profile == "generic":
        found.append("no publisher profile matched, so the generic profile guessed the outline")
    return found


def suggest_id(url: str, profile: str, taken: set[str]) -> str:
    """'…/2021/country-chapters/kazakhstan' with hrw-world-report → 'hrw-kazakhstan-2021'."""
    path = urlsplit(url).path
    parts = [re.sub(r"\.(?:html?|php|aspx?)$", "", p) for p in path.split("/") if p]
    tail = parts[-3:] if parts and parts[-1].isdigit() else parts[-1:]
    slug = slugify("-".join(tail)) if tail else slugify(urlsplit(url).hostname or "page")
    year = re.search(r"(?<!\d)(?:19|20)\d\d(?!\d)", path)
    if year and year.group(0) not in slug:
        slug = f"{slug}-{year.group(0)}"
    prefix = "" if profile in ("generic", "css") else _SHORT.get(profile, profile)
    base = slug if not prefix or slug.startswith(prefix) else f"{prefix}-{slug}"
    base = base[:60].strip("-")
    if not WATCH_ID.fullmatch(base):
        base = "page-" + re.sub(r"[^a-z0-9-]", "", base)[:55]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _yaml() -> YAML:
    yaml = YAML()  # round-trip mode: comments, key order and quoting survive
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _render(entry: dict[str, Any], indent: str) -> list[str]:
    buffer = io.StringIO()
    _yaml().dump([CommentedMap(entry)], buffer)  # "  - id: …": the dash at offset 2
    lines = textwrap.dedent(buffer.getvalue()).splitlines()
    return [indent + line if line else line for line in lines]


def _insert_after_last(
    text: str, data: CommentedMap, watches: CommentedSeq, entry: dict[str, Any]
) -> str:
    """Insert the entry's lines after the last watch's own lines: every other byte is kept,
    and the comments or blank lines that follow the list stay where they were."""
    lines = text.splitlines()
    keys = list(data)
    after = keys.index("watches") + 1
    end = data.lc.key(keys[after])[0] if after < len(keys) else len(lines)
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    first_line = watches.lc.item(0)[0]
    indent = re.match(r"\s*", lines[first_line]).group(0)  # type: ignore[union-attr]
    spaced = len(watches) > 1 and not lines[watches.lc.item(1)[0] - 1].strip()
    block = ([""] if spaced else []) + _render(entry, indent)
    return "\n".join(lines[:end] + block + lines[end:]) + "\n"


def append_watch(text: str, entry: dict[str, Any]) -> str:
    """The config text with one more watch at the end of `watches`, everything else kept."""
    yaml = _yaml()
    data = yaml.load(text) if text.strip() else None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ValueError("the config file's top level is not a mapping")
    watches = data.get("watches")
    if isinstance(watches, CommentedSeq) and len(watches) and not watches.fa.flow_style():
        return _insert_after_last(text, data, watches, entry)
    if watches is None or (isinstance(watches, CommentedSeq) and not len(watches)):
        watches = data["watches"] = CommentedSeq()
    if not isinstance(watches, CommentedSeq):
        raise ValueError("`watches` in the config file is not a list")
    watches.fa.set_block_style()
    watches.append(CommentedMap(entry))
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    if path.exists():
        os.chmod(tmp, path.stat().st_mode)  # a config kept private stays private
    os.replace(tmp, path)


def _fetch_document(url: str, profile: str, settings: FetchSettings) -> tuple[Document, str]:
    try:
        with Fetcher(settings) as fetcher:
            page = fetcher.fetch(url)
        assert not isinstance(page, NotModified)  # no validators were sent
        return extract_explained(page.text, url, final_url=page.final_url, profile=profile)
    except (FetchError, ExtractError) as exc:
        fail(str(exc))


def _existing(path: Path, explicit: bool) -> tuple[str, Config | None]:
    if path.is_file():
        return path.read_text(encoding="utf-8"), load_or_exit(path)
    if not path.parent.is_dir():
        hint = "" if explicit else "; pass --config PATH or set RIGHTSWATCH_CONFIG"
        fail(f"{path}: no config file, and no directory to create it in{hint}", EXIT_USAGE)
    return NEW_CONFIG, None


def _warn(doc: Document) -> None:
    warnings = outline_warnings(doc)
    for warning in warnings:
        err.print(f"[bold yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    if warnings:
        names = ", ".join(p for p in PROFILE_NAMES if p not in ("auto", doc.profile))
        err.print(
            f"If the outline is wrong, run again with --profile NAME ({names}), or edit the "
            "watch to profile: css with `content` and `heading` selectors.",
            soft_wrap=True,
        )


def _entry(doc: Document, url: str, watch_id: str, channels: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": watch_id, "url": url, "profile": doc.profile}
    if doc.title:
        entry["title"] = doc.title
    names = [n.strip() for item in channels for n in item.split(",") if n.strip()]
    if names:
        entry["channels"] = names
    return entry


@app.command()
def add(
    url: Annotated[str, typer.Argument(help="The page to watch (http or https)")],
    watch_id: Annotated[
        str | None, typer.Option("--id", help="Watch id [default: from the URL]")
    ] = None,
    channels: Annotated[
        list[str] | None,
        typer.Option("--channels", help="Channel names, comma-separated or repeated"),
    ] = None,
    profile: Annotated[
        str, typer.Option(help=f"Extraction profile: {', '.join(PROFILE_NAMES)}")
    ] = "auto",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the outline and the watch; write nothing")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Fetch a page, show the outline rightswatch will watch, and add it to the config."""
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        fail(f"{url!r} is not an http(s) URL; only http:// and https:// pages can be watched", 2)
    if profile not in PROFILE_NAMES or profile == "css":
        choices = ", ".join(p for p in PROFILE_NAMES if p != "css")
        fail(f"profile {profile!r} cannot be used here; choose one of {choices}", EXIT_USAGE)
    path = config_path(config)
    text, cfg = _existing(path, config is not None or bool(os.environ.get("RIGHTSWATCH_CONFIG")))
    doc, why = _fetch_document(url, profile, cfg.fetch if cfg else FetchSettings())
    print_sections(doc, out, why=why)
    _warn(doc)
    taken = {w.id for w in cfg.watches} if cfg else set()
    if watch_id is not None and watch_id in taken:
        fail(f"{path}: a watch with id {watch_id!r} already exists; choose another --id", 2)
    same = [w.id for w in cfg.watches if w.url == url] if cfg else []
    if same:
        fail(f"{path}: {url} is already watched (watch {same[0]})", EXIT_USAGE)
    entry = _entry(doc, url, watch_id or suggest_id(url, doc.profile, taken), channels or [])
    try:
        new_text = append_watch(text, entry)
        parse_config(new_text, str(path))  # the same checks `validate` runs, before writing
    except (ConfigError, ValueError) as exc:
        fail(f"the watch was not added; the config would be invalid:\n{exc}", EXIT_USAGE)
    if dry_run:
        buffer = io.StringIO()
        _yaml().dump([entry], buffer)
        out.print(f"would add to {path}:\n{escape(buffer.getvalue())}", soft_wrap=True)
        return
    _write_atomically(path, new_text)
    out.print(
        f"[green]added[/] watch {escape(entry['id'])} (profile {doc.profile}) to {path}",
        soft_wrap=True,
    )
