"""Commands about delivery: `outbox` (what is waiting, and --retry) and `notify-test`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rightswatch.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    app,
    err,
    fail,
    load_or_exit,
    out,
)
from rightswatch.coordinate import store_for
from rightswatch.deliver import channels_to_deliver, deliver_channel
from rightswatch.diff import diff_documents
from rightswatch.digest import Digest, WatchDigest
from rightswatch.extract import extract
from rightswatch.notify import DeliveryError, channel_for
from rightswatch.outbox import ChangeEvent, Outbox
from rightswatch.secrets import SecretUnavailable


@app.command()
def outbox(
    retry: Annotated[bool, typer.Option("--retry", help="Send the pending deliveries now")] = False,
    config: ConfigOption = None,
) -> None:
    """List deliveries waiting in the outbox; --retry sends them now."""
    cfg = load_or_exit(config)
    box = Outbox(store_for(cfg))
    pending = box.pending()
    if not retry:
        if not pending:
            out.print("outbox is empty: every detected change has been delivered")
            return
        table = Table(title=f"{len(pending)} change(s) waiting", title_justify="left")
        for column in ("watch", "detected", "sections", "channel", "last error"):
            table.add_column(column, overflow="fold")
        for event in pending:
            sections = ", ".join(c.heading for c in event.changes) or event.kind
            for name in event.channels:
                if not box.is_sent(event, name):
                    table.add_row(
                        escape(event.watch_id),
                        f"{event.detected_at:%Y-%m-%d %H:%M} UTC",
                        escape(sections),
                        escape(name),
                        escape(box.last_error(event, name) or ""),
                    )
        out.print(table)
        return
    failed = False
    for name in channels_to_deliver(box):
        result = deliver_channel(name, cfg, box)
        if result.status == "failed":
            failed = True
            err.print(f"[red]{escape(name)}: failed[/]: {escape(result.error or '')}")
        else:
            out.print(f"{escape(name)}: {result.status} ({result.events} change(s))")
    if failed:
        raise typer.Exit(EXIT_FAILED)


def sample_digest(name: str) -> Digest:
    """A real digest from the bundled sample chapter and its edited edition."""
    files = resources.files("rightswatch.samples")
    url = "https://www.hrw.org/world-report/2021/country-chapters/kazakhstan"
    old = extract((files / "hrw_kazakhstan_2021.html").read_text("utf-8"), url)
    new = extract((files / "hrw_kazakhstan_2021_edited.html").read_text("utf-8"), url)
    event = ChangeEvent(
        id="notify-test",
        watch_id="notify-test",
        url=url,
        title=f"[test] {new.title}",
        detected_at=datetime.now(UTC),
        changes=diff_documents(old, new).alerts,
        channels=[name],
    )
    watch = WatchDigest(watch_id=event.watch_id, title=event.title, url=url, events=[event])
    return Digest(channel=name, watches=[watch])


@app.command("notify-test")
def notify_test(
    channel: Annotated[str, typer.Argument(help="A channel name from the config")],
    config: ConfigOption = None,
) -> None:
    """Send a sample digest to one channel and report its exact error, if any."""
    cfg = load_or_exit(config)
    if channel not in cfg.channels:
        fail(
            f"no channel {channel!r}; configured channels: {', '.join(sorted(cfg.channels))}",
            EXIT_USAGE,
        )
    try:
        channel_for(channel, cfg.channels[channel]).send(
            sample_digest(channel), f"notify-test-{uuid.uuid4().hex}"
        )
    except (DeliveryError, SecretUnavailable) as exc:
        fail(str(exc))
    err.print(f"[green]sent[/] a sample digest to {escape(channel)} ({cfg.channels[channel].type})")


@app.command()
def compact(
    days: Annotated[
        int | None, typer.Option("--days", help="Override retention_days for this run")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Compact delivered events older than retention_days now (runs also do it daily)."""
    from rightswatch.retention import compact as compact_store

    cfg = load_or_exit(config)
    done = compact_store(store_for(cfg), days or cfg.retention_days, datetime.now(UTC))
    out.print(f"compacted {done.events} delivered event(s); {done.files} file(s) removed")
