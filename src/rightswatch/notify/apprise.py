"""The `apprise` channel: any Apprise URL (Teams, Discord, Telegram, Matrix, ntfy, …),
with the digest as Markdown."""

from __future__ import annotations

import apprise as apprise_lib

from rightswatch.config import AppriseChannel as AppriseConfig
from rightswatch.digest import Digest
from rightswatch.notify.base import DeliveryError
from rightswatch.render import digest_markdown
from rightswatch.secrets import reveal


class AppriseChannel:
    def __init__(self, name: str, config: AppriseConfig) -> None:
        self.name = name
        self.config = config

    def send(self, digest: Digest, idempotency_key: str) -> None:  # noqa: ARG002 - the Channel interface
        notifier = apprise_lib.Apprise()
        if not notifier.add(reveal(self.config.url)):
            raise DeliveryError(
                f"apprise channel {self.name!r}: the URL is not one Apprise "
                "understands; check its scheme",
                retryable=False,
            )
        service = getattr(notifier[0], "service_name", None) or "the service"
        ok = notifier.notify(
            title=digest.subject(),
            body=digest_markdown(digest),
            body_format=apprise_lib.NotifyFormat.MARKDOWN,
        )
        if not ok:
            raise DeliveryError(
                f"apprise channel {self.name!r}: {service} did not accept the digest"
            )
