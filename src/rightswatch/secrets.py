"""Reveal secret config values at the moment of use, never earlier.

A secret field holds either the value itself (from ${ENV}) or `prefect-secret:NAME`, a Prefect
Secret block read lazily so that loading a config never needs a Prefect server.
"""

from __future__ import annotations

from pydantic import SecretStr

PREFECT_SECRET_PREFIX = "prefect-secret:"


class SecretUnavailable(RuntimeError):
    """A secret reference that cannot be resolved; the message names the block, never a value."""


def reveal(secret: SecretStr) -> str:
    value = secret.get_secret_value()
    if not value.startswith(PREFECT_SECRET_PREFIX):
        return value
    name = value.removeprefix(PREFECT_SECRET_PREFIX)
    try:
        from prefect.blocks.system import Secret  # deferred: only configs that use it pay for it

        # Block.load dispatches on context; called from sync code it returns the block.
        return str(Secret.load(name).get())  # type: ignore[union-attr]
    except Exception as exc:  # Prefect raises ValueError, httpx errors, ObjectNotFound...
        raise SecretUnavailable(
            f"Prefect Secret block {name!r} could not be loaded ({type(exc).__name__}); "
            f"create it with `prefect block create secret` or check PREFECT_API_URL"
        ) from None
