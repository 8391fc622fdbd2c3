"""Per-key fixed-window rate limiting counted in Redis."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from service.storage import ratelimit

pytestmark = pytest.mark.anyio


async def test_limit_then_retry_after_then_new_window(redis: Redis) -> None:
    now = 6000.0 + 15  # 15 s into a window
    for _ in range(3):
        assert await ratelimit.hit(redis, "k1", limit=3, now=now) is None
    assert await ratelimit.hit(redis, "k1", limit=3, now=now) == 45
    assert await ratelimit.hit(redis, "k2", limit=3, now=now) is None  # per key
    assert await ratelimit.hit(redis, "k1", limit=3, now=now + 45) is None
