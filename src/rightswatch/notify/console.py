"""The `console` channel: the digest in the terminal, with rich."""

from __future__ import annotations

import sys

from rich.console import Console

from rightswatch.config import ChannelConfig
from rightswatch.digest import Digest
from rightswatch.render import digest_rich


class ConsoleChannel:
    def __init__(self, name: str, config: ChannelConfig) -> None:
        self.name = name
        self.config = config

    def send(self, digest: Digest, idempotency_key: str) -> None:  # noqa: ARG002 - the Channel interface
        # sys.stdout at send time, so `check --json` can route the digest to stderr.
        console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
        for line in digest_rich(digest, plain=not console.is_terminal or console.no_color):
            console.print(line)
