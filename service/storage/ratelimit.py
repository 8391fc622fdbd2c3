"""Per-key rate limiting with fixed one-minute windows counted in Redis (so every API process
shares the same budget)."""

from __future__ import annotations

import math

from redis.asyncio import Redis

from service.storage import keys

__all__ = ["WINDOW_SECONDS", "hit"]

WINDOW_SECONDS = 60


async def hit(redis: Redis, key_id: str, *, limit: int, now: float) -> int | None:
    """Count one request; return None when allowed, else the seconds to wait (Retry-After)."""
    window = int(now // WINDOW_SECONDS)
    counter = keys.rate_limit(key_id, window)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incr(counter)
        pipe.expire(counter, WINDOW_SECONDS + 1)
        count, _ = await pipe.execute()
    if int(count) <= limit:
        return None
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
