"""What every channel shares."""

from __future__ import annotations


class DeliveryError(Exception):
    """The channel did not acknowledge; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.parts_sent = 0  # for multi-message channels: how many parts were acknowledged
