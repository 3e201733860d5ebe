"""The names of the extraction profiles, without the parsers behind them, so that loading a
config (which validates `profile:`) imports no HTML parser. extract.PROFILES is the registry;
tests/test_registries.py checks that the two agree."""

from __future__ import annotations

__all__ = ["PROFILE_NAMES"]

PROFILE_NAMES: tuple[str, ...] = (
    "auto",
    "hrw-world-report",
    "amnesty",
    "state-country-report",
    "freedom-house",
    "generic",
    "css",
)
