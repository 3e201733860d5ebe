"""Send each channel its digest of pending events; mark them only once the channel acked.

A channel failing never holds back another: each channel is delivered on its own, and its
events stay pending for the next attempt or run.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from rightswatch.check import ensure_change_report
from rightswatch.config import Config, is_remote
from rightswatch.digest import build_digest
from rightswatch.notify import DeliveryError, PartedChannel, channel_for
from rightswatch.outbox import Outbox, idempotency_key
from rightswatch.preserve import with_archive_urls
from rightswatch.secrets import SecretUnavailable
from rightswatch.store import LockTimeout, StoreError

__all__ = ["DeliveryResult", "channels_to_deliver", "deliver_channel"]

log = logging.getLogger(__name__)


class DeliveryResult(BaseModel):
    channel: str
    status: Literal["sent", "failed", "nothing"]
    events: int = 0
    error: str | None = None
    retryable: bool = False
    idempotency_key: str | None = None


def local_report_base(config: Config) -> str | None:
    if is_remote(config.snapshots):
        return None
    return Path(config.snapshots.removeprefix("file://")).resolve().as_uri()


def channels_to_deliver(outbox: Outbox) -> list[str]:
    """Every channel that has at least one pending event, in first-seen order."""
    pending = outbox.by_channel()
    waiting = {(name, e.watch_id, e.id) for name, events in pending.items() for e in events}
    events = sorted(
        {(e.watch_id, e.id): e for es in pending.values() for e in es}.values(),
        key=lambda e: (e.detected_at, e.watch_id, e.id),
    )
    names: dict[str, None] = {}
    for event in events:
        for name in event.channels:
            if (name, event.watch_id, event.id) in waiting:
                names.setdefault(name, None)
    return list(names)


def deliver_channel(name: str, config: Config, outbox: Outbox) -> DeliveryResult:
    channel_config = config.channels.get(name)
    if channel_config is None:
        return DeliveryResult(
            channel=name,
            status="failed",
            error=f"channel {name!r} has pending changes but is no longer in the config; add "
            "it back to deliver them",
        )
    try:
        with outbox.channel_lock(name, timeout=120):
            return _deliver_locked(name, config, outbox)
    except LockTimeout as exc:
        return DeliveryResult(channel=name, status="failed", error=str(exc), retryable=True)


def _deliver_locked(name: str, config: Config, outbox: Outbox) -> DeliveryResult:
    outbox.repair(name)
    events = outbox.pending(name)
    if not events:
        return DeliveryResult(channel=name, status="nothing")
    events = with_archive_urls(outbox.store, events)  # preservation: link copies already saved
    key = idempotency_key(name, events)
    for event in events:
        try:
            ensure_change_report(outbox.store, config, event)
        except StoreError as exc:  # the digest still goes out; its report link is what's lost
            log.warning("could not rewrite the change report of %s: %s", event.id, exc)
    base = config.report_base_url
    if base is None and config.channels[name].type == "console":
        base = local_report_base(config)  # on this machine, a file link opens the report
    digest = build_digest(name, config.channels[name], events, base)
    if digest.is_empty:  # everything was filtered out for this channel
        outbox.mark_sent(events, name, key, outcome="filtered")
        return DeliveryResult(
            channel=name, status="nothing", events=len(events), idempotency_key=key
        )
    done = outbox.parts_sent(name, key)
    try:
        try:
            channel = channel_for(name, config.channels[name])
            if isinstance(channel, PartedChannel):
                channel.send_from(digest, key, done)
            else:
                channel.send(digest, key)
        except SecretUnavailable as missing:
            raise DeliveryError(f"channel {name!r}: {missing}", retryable=False) from None
    except DeliveryError as exc:
        if exc.parts_sent > done:  # resume after the parts the channel already acknowledged
            outbox.record_parts(name, key, exc.parts_sent)
        outbox.mark_failed(events, name, str(exc))
        return DeliveryResult(
            channel=name,
            status="failed",
            events=len(events),
            error=str(exc),
            retryable=exc.retryable,
            idempotency_key=key,
        )
    outbox.commit(events, name, key)
    outbox.mark_sent(events, name, key)
    outbox.finish(name, key)
    return DeliveryResult(channel=name, status="sent", events=len(events), idempotency_key=key)
