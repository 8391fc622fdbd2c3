"""Time and decay arithmetic shared by the streaming and the batch aggregation.

Both paths must give the same numbers, so the two facts they share live here: how an instant
becomes a UTC day, and how much a weight left at one instant is worth at a later one.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

__all__ = ["DAY_SECONDS", "decay_factor", "epoch", "from_epoch", "utc_day"]

DAY_SECONDS = 86_400.0


def epoch(at: datetime) -> float:
    """Seconds since the Unix epoch of an aware datetime."""
    return at.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def utc_day(seconds: float) -> int:
    """The UTC day number (days since 1970-01-01) that contains the instant."""
    return math.floor(seconds / DAY_SECONDS)


def decay_factor(elapsed_seconds: float, half_life_seconds: float) -> float:
    """`2^(-elapsed/half_life)`: what one unit left `elapsed_seconds` ago is worth now."""
    return math.exp2(-elapsed_seconds / half_life_seconds)
