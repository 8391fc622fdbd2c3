"""Per-key rate limiting with fixed one-minute windows counted in Redis, so every API process
shares one budget per key.

`hit` adds to the shared counter on every call (exact). `BatchedLimiter` is what the API uses:
each process counts locally and adds its count to Redis every `max(1, limit // 100)` requests,
which saves a Redis round trip on most requests. Each process can therefore let through at most
1 % of the limit more than allowed per window (exact for limits under 200 a minute); once the
shared count is over the limit, it refuses without asking Redis until the window ends.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from rapport.storage import keys

__all__ = ["WINDOW_SECONDS", "BatchedLimiter", "hit"]

WINDOW_SECONDS = 60
#: Add to the window's counter and give it its expiry, atomically, in one round trip (a
#: counter never outlives its window).
_SCRIPT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_SCRIPT_SHA = hashlib.sha1(_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1
_TTL = str(WINDOW_SECONDS + 1)


async def _add(redis: Redis, counter: str, amount: int) -> int:
    try:
        count = await redis.evalsha(_SCRIPT_SHA, 1, counter, _TTL, str(amount))  # type: ignore[misc]
    except NoScriptError:  # first use on this server (or after SCRIPT FLUSH / a restart)
        count = await redis.eval(_SCRIPT, 1, counter, _TTL, str(amount))  # type: ignore[misc]
    return int(count)


def _retry_after(window: int, now: float) -> int:
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))


async def hit(redis: Redis, key_id: str, *, limit: int, now: float) -> int | None:
    """Count one request; return None when allowed, else the seconds to wait (Retry-After)."""
    window = int(now // WINDOW_SECONDS)
    count = await _add(redis, keys.rate_limit(key_id, window), 1)
    return None if count <= limit else _retry_after(window, now)


@dataclass(slots=True)
class _Window:
    window: int
    known: int = 0  # the shared count as last read from Redis
    pending: int = 0  # counted here, not yet added to Redis


class BatchedLimiter:
    """One process's view of the shared per-key counters (see the module docstring)."""

    def __init__(self, limit: int, *, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.batch = max(1, limit // 100)
        self.max_keys = max_keys
        self._windows: dict[str, _Window] = {}

    async def hit(self, redis: Redis, key_id: str, *, now: float) -> int | None:
        """Count one request; None when allowed, else the seconds to wait (Retry-After)."""
        window = int(now // WINDOW_SECONDS)
        state = self._windows.get(key_id)
        if state is None or state.window != window:
            if len(self._windows) >= self.max_keys:
                self._windows = {k: s for k, s in self._windows.items() if s.window == window}
            state = self._windows[key_id] = _Window(window)
        if state.known > self.limit:
            return _retry_after(window, now)
        state.pending += 1
        if state.pending >= self.batch or state.known + state.pending > self.limit:
            amount, state.pending = state.pending, 0
            state.known = await _add(redis, keys.rate_limit(key_id, window), amount)
            if state.known > self.limit:
                return _retry_after(window, now)
        return None
