"""Channel registry: a channel `type` from the config → the class that sends to it.

A channel's `send` returns only when the channel acknowledged the digest (HTTP 2xx, SMTP
accepted); anything else raises DeliveryError, whose message is safe to show: it never
contains a webhook URL, password or other secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from rightswatch.config import ChannelConfig
from rightswatch.digest import Digest
from rightswatch.notify.apprise import AppriseChannel
from rightswatch.notify.atom import AtomChannel
from rightswatch.notify.base import DeliveryError
from rightswatch.notify.console import ConsoleChannel
from rightswatch.notify.email import EmailChannel
from rightswatch.notify.slack import SlackChannel
from rightswatch.notify.webhook import WebhookChannel

__all__ = ["CHANNEL_TYPES", "Channel", "DeliveryError", "channel_for"]


class Channel(Protocol):
    def send(self, digest: Digest, idempotency_key: str, skip_parts: int = 0) -> None:
        """Return once acknowledged; `skip_parts` resumes a multi-message send."""


CHANNEL_TYPES: dict[str, Callable[[str, Any], Channel]] = {
    "console": ConsoleChannel,
    "slack": SlackChannel,
    "email": EmailChannel,
    "webhook": WebhookChannel,
    "apprise": AppriseChannel,
    "atom": AtomChannel,
}


def channel_for(name: str, config: ChannelConfig) -> Channel:
    factory = CHANNEL_TYPES.get(config.type)
    if factory is None:
        raise DeliveryError(f"channel {name!r}: unknown type {config.type!r}", retryable=False)
    return factory(name, config)
