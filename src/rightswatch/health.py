"""A watch's health as pure state transitions: a good check closes a failure streak, a failed
one lengthens it. Each returns the new state and the notices due; nothing is written here."""

from __future__ import annotations

from datetime import datetime

from rightswatch.config import Watch
from rightswatch.events import health_notice
from rightswatch.fetch import Validators
from rightswatch.outbox import ChangeEvent
from rightswatch.store import WatchState

__all__ = ["healthy", "unhealthy"]


def healthy(
    watch: Watch,
    state: WatchState,
    now: datetime,
    status: str,
    validators: Validators,
    title: str,
) -> tuple[WatchState, tuple[ChangeEvent, ...]]:
    """A good check: validators kept, failure streak closed (with one recovered notice)."""
    notices: tuple[ChangeEvent, ...] = ()
    if state.failing_notified:
        message = f"checked again successfully after {state.consecutive_failures} failed check(s)"
        since = state.failing_since or now
        notices = (health_notice(watch, "recovered", title, now, since, message),)
    new = state.model_copy(
        update={
            "last_check": now,
            "last_status": status,
            "last_error": None,
            "etag": validators.etag,
            "last_modified": validators.last_modified,
            "consecutive_failures": 0,
            "failing_since": None,
            "failing_notified": False,
            "suspect_hash": None,
            "suspect_count": 0,
        }
    )
    return new, notices


def unhealthy(
    watch: Watch,
    state: WatchState,
    now: datetime,
    status: str,
    error: str,
    title: str,
    run_id: str,
    alert_after: int,
) -> tuple[WatchState, tuple[ChangeEvent, ...]]:
    """A failed or suspect check: counted once per run; one notice when the streak is long."""
    update: dict[str, object] = {"last_check": now, "last_status": status, "last_error": error}
    failures, since = state.consecutive_failures, state.failing_since
    if state.last_failed_run != run_id:  # Prefect may retry within a run
        failures, since = failures + 1, since or now
        update |= {"consecutive_failures": failures, "last_failed_run": run_id}
        update["failing_since"] = since
    notices: tuple[ChangeEvent, ...] = ()
    if failures >= alert_after and not state.failing_notified:
        since = since or now
        message = (
            f"{failures} consecutive failed checks since {since:%Y-%m-%d %H:%M} UTC; last: {error}"
        )
        notices = (health_notice(watch, "failing", title, now, since, message),)
        update["failing_notified"] = True
    return state.model_copy(update=update), notices
