"""The `webhook` channel: the digest as one JSON POST, with an Idempotency-Key header."""

from __future__ import annotations

from rightswatch.config import WebhookChannel as WebhookConfig
from rightswatch.digest import Digest
from rightswatch.notify.http import post_json
from rightswatch.secrets import reveal


def payload(digest: Digest, idempotency_key: str) -> dict[str, object]:
    data = digest.model_dump(mode="json")
    return {"idempotency_key": idempotency_key, "subject": digest.subject(), **data}


class WebhookChannel:
    def __init__(self, name: str, config: WebhookConfig) -> None:
        self.name = name
        self.config = config

    def send(self, digest: Digest, idempotency_key: str) -> None:
        headers = {k: reveal(v) for k, v in self.config.headers.items()}
        headers["Idempotency-Key"] = idempotency_key
        post_json(
            f"webhook channel {self.name!r}",
            reveal(self.config.url),
            payload(digest, idempotency_key),
            headers=headers,
        )
