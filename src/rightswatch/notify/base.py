"""What every channel shares."""

from __future__ import annotations


class DeliveryError(Exception):
    """The channel did not acknowledge; `retryable` says whether trying again may help."""

    def __init__(
        self, message: str, *, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.parts_sent = 0  # for multi-message channels: how many parts were acknowledged
