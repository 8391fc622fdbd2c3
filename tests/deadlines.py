"""Every wait in the suite is bounded by a deadline that scales with the machine.

Why: the suite runs on shared machines where a load average of 10 on 2 cores happens, and a
bound that holds on a quiet laptop (a server up in 10 s) fails there for no fault of the code.
A deadline here is never a claim about speed; it only stops a hung test. It is the nominal
seconds times the larger of `RAPPORT_TEST_TIME_FACTOR` (default 1) and the load per core when
the wait starts, so a busy machine waits longer by itself and a person can stretch every wait.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

ENV_FACTOR = "RAPPORT_TEST_TIME_FACTOR"


def factor() -> float:
    """How much longer than nominal to wait now: at least 1."""
    try:
        configured = float(os.environ.get(ENV_FACTOR, "1"))
    except ValueError:
        raise AssertionError(
            f"{ENV_FACTOR} must be a number, not {os.environ[ENV_FACTOR]!r}"
        ) from None
    load_per_core = os.getloadavg()[0] / (os.cpu_count() or 1)
    return max(1.0, configured, load_per_core)


def scaled(seconds: float) -> float:
    """`seconds` stretched by `factor()`: use it for every timeout and deadline in a test."""
    return seconds * factor()


def wait_until(check: Callable[[], T | None], what: str, seconds: float = 30.0) -> T:
    """Poll `check` until it returns something truthy (returned); fail naming `what` after
    `scaled(seconds)`."""
    limit = scaled(seconds)
    deadline = time.monotonic() + limit
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened within {limit:.0f} s: {what}")
        time.sleep(0.02)
