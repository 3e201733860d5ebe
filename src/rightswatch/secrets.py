"""Reveal secret config values at the moment of use, never earlier.

A secret field holds either the value itself (from ${ENV}) or `prefect-secret:NAME`, a Prefect
Secret block read lazily so that loading a config never needs a Prefect server.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

PREFECT_SECRET_PREFIX = "prefect-secret:"


class SecretUnavailable(RuntimeError):
    """A secret reference that cannot be resolved; the message names the block, never a value."""


def _redact(text: str) -> str:
    for value in sorted(_REVEALED, key=len, reverse=True):  # a copy: others may reveal meanwhile
        text = text.replace(value, "[redacted]")
    return text


def _redact_record(record: logging.LogRecord) -> None:
    """The message (and a traceback's text) with every revealed secret replaced."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: its handler reports it, with nothing to redact
        return
    record.msg, record.args = _redact(message), None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        if _redact(text) != text:
            record.exc_text = _redact(text)


def _install() -> None:
    """Redact in the log-record factory: every record from any logger (rightswatch.store,
    urllib3, which logs request paths, Prefect's run loggers, which send to the API) is made
    through it, so no handler ever sees a revealed secret. Installed once, on first reveal."""
    global _INSTALLED
    if _INSTALLED:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if _REVEALED:
            _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _INSTALLED = True


_REVEALED: set[str] = set()
_INSTALLED = False


def _remember(value: str) -> str:
    if len(value) >= 6 and value not in _REVEALED:
        _install()
        _REVEALED.add(value)
        parts = urlsplit(value)
        if parts.scheme and parts.path.strip("/"):
            _REVEALED.add(parts.path)  # what urllib3 logs: the path without the host
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
