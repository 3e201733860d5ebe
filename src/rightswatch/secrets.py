"""Reveal secret config values at the moment of use, never earlier.

A secret field holds either the value itself (from ${ENV}) or `prefect-secret:NAME`, a Prefect
Secret block read lazily so that loading a config never needs a Prefect server.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from pydantic import SecretStr

PREFECT_SECRET_PREFIX = "prefect-secret:"


class SecretUnavailable(RuntimeError):
    """A secret reference that cannot be resolved; the message names the block, never a value."""


class _Redact(logging.Filter):
    """Replaces every revealed secret in log records, including other libraries' records
    (urllib3 logs request paths, and a Slack webhook carries its token in the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _REVEALED:
            message = record.getMessage()
            for value in _REVEALED:
                message = message.replace(value, "[redacted]")
            record.msg, record.args = message, None
        return True


_REVEALED: set[str] = set()
_FILTER = _Redact()
# Loggers whose records can carry URLs, user names or server replies.
REDACTED_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.util.retry",
    "requests",
    "apprise",
    "rightswatch",
)


def _remember(value: str) -> str:
    if len(value) >= 6 and value not in _REVEALED:
        _REVEALED.add(value)
        parts = urlsplit(value)
        if parts.scheme and parts.path.strip("/"):
            _REVEALED.add(parts.path)  # what urllib3 logs: the path without the host
        for name in REDACTED_LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
    return value


def reveal(secret: SecretStr) -> str:
    value = secret.get_secret_value()
    if not value.startswith(PREFECT_SECRET_PREFIX):
        return _remember(value)
    name = value.removeprefix(PREFECT_SECRET_PREFIX)
    try:
        from prefect.blocks.system import Secret  # deferred: only configs that use it pay for it

        # Block.load dispatches on context; called from sync code it returns the block.
        return _remember(str(Secret.load(name).get()))  # type: ignore[union-attr]
    except Exception as exc:  # Prefect raises ValueError, httpx errors, ObjectNotFound...
        raise SecretUnavailable(
            f"Prefect Secret block {name!r} could not be loaded ({type(exc).__name__}); "
            f"create it with `prefect block create secret` or check PREFECT_API_URL"
        ) from None
