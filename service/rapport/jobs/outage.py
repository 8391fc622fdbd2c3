"""One warning when a background loop starts failing, and one line when it works again.

Why: the worker's background loops (the timed flush of job outcome counts, the webhook delivery
pump) retry every fraction of a second while Redis is away, and logged every attempt: an
operator counted 238 lines in a 47 s outage, which buries the one line that matters.
"""

from __future__ import annotations

import logging
import time

__all__ = ["OutageLog"]


class OutageLog:
    """The state of one retrying loop: call `failed` on every failed attempt and `succeeded`
    on every good one; only the changes are logged."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._logger = logger
        self._what = what
        self._since: float | None = None
        self._tries = 0

    @property
    def failing(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> None:
        self._tries += 1
        if self._since is None:
            self._since = time.monotonic()
            self._logger.warning(
                "%s failing (%s); retrying, quietly until it works", self._what, type(exc).__name__
            )

    def succeeded(self) -> None:
        if self._since is not None:
            self._logger.warning(
                "%s works again after %.0f s (%d failed tries)",
                self._what,
                time.monotonic() - self._since,
                self._tries,
            )
            self._since, self._tries = None, 0
