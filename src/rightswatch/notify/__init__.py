"""Channel registry: a channel `type` from the config → the class that sends to it.

A channel's `send` returns only when the channel acknowledged the digest (HTTP 2xx, SMTP
accepted); anything else raises DeliveryError, whose message is safe to show: it never
contains a webhook URL, password or other secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from rightswatch.config import ChannelConfig
from rightswatch.digest import Digest
from rightswatch.notify.apprise import AppriseChannel
from rightswatch.notify.atom import AtomChannel
from rightswatch.notify.base import DeliveryError
from rightswatch.notify.console import ConsoleChannel
from rightswatch.notify.email import EmailChannel
from rightswatch.notify.slack import SlackChannel
from rightswatch.notify.webhook import WebhookChannel

__all__ = ["SENDERS", "Channel", "DeliveryError", "PartedChannel", "channel_for"]


class Channel(Protocol):
    def send(self, digest: Digest, idempotency_key: str) -> None:
        """Return once acknowledged."""


@runtime_checkable
class PartedChannel(Protocol):
    """A channel that sends a digest as several messages, and can resume after the parts
    it already sent (DeliveryError.parts_sent says how many)."""

    def send_from(self, digest: Digest, idempotency_key: str, skip_parts: int) -> None: ...


# A config channel `type` (config.CHANNEL_TYPES) → the class that sends to it.
SENDERS: dict[str, Callable[[str, Any], Channel]] = {
    "console": ConsoleChannel,
    "slack": SlackChannel,
    "email": EmailChannel,
    "webhook": WebhookChannel,
    "apprise": AppriseChannel,
    "atom": AtomChannel,
}


def channel_for(name: str, config: ChannelConfig) -> Channel:
    """The sender for a validated channel config (its type is known: the config checked it)."""
    return SENDERS[config.type](name, config)
