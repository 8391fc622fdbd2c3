"""Per-key fixed-window rate limiting counted in Redis."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from rapport.storage import ratelimit

pytestmark = pytest.mark.anyio


async def test_limit_then_retry_after_then_new_window(redis: Redis) -> None:
    now = 6000.0 + 15  # 15 s into a window
    for _ in range(3):
        assert await ratelimit.hit(redis, "k1", limit=3, now=now) is None
    assert await ratelimit.hit(redis, "k1", limit=3, now=now) == 45
    assert await ratelimit.hit(redis, "k2", limit=3, now=now) is None  # per key
    assert await ratelimit.hit(redis, "k1", limit=3, now=now + 45) is None


async def test_counter_expires_with_its_window(redis: Redis) -> None:
    await ratelimit.hit(redis, "k3", limit=10, now=120.0)
    await ratelimit.hit(redis, "k3", limit=10, now=121.0)
    [counter] = [key async for key in redis.scan_iter(match="rapport:{rl:k3}:*")]
    assert await redis.get(counter) == b"2"
    assert 0 < await redis.ttl(counter) <= ratelimit.WINDOW_SECONDS + 1
    await redis.script_flush()  # the script is reloaded when Redis forgot it
    assert await ratelimit.hit(redis, "k3", limit=10, now=122.0) is None
    assert await redis.get(counter) == b"3"


async def test_batched_limiter_is_exact_for_small_limits(redis: Redis) -> None:
    limiter = ratelimit.BatchedLimiter(3)
    now = 6000.0 + 10
    assert [await limiter.hit(redis, "k", now=now) for _ in range(4)] == [None, None, None, 50]
    assert await limiter.hit(redis, "k", now=now + 50) is None  # next window


async def test_batched_limiter_batches_and_shares_the_budget(redis: Redis) -> None:
    limit = 1000  # batches of 10
    first, second = ratelimit.BatchedLimiter(limit), ratelimit.BatchedLimiter(limit)
    now = 6000.0
    for _ in range(25):
        assert await first.hit(redis, "k", now=now) is None
    [counter] = [key async for key in redis.scan_iter(match="rapport:{rl:k}:*")]
    assert await redis.get(counter) == b"20"  # two batches of 10 added, 5 still local
    allowed = 25
    while await second.hit(redis, "k", now=now) is None:
        allowed += 1
    # Both processes share one budget: together they stop near the limit, never far past it.
    assert limit <= allowed <= limit + first.batch + second.batch
    # The first process learns it at its next flush, within one batch, and refuses from then on.
    answers = [await first.hit(redis, "k", now=now) for _ in range(first.batch + 2)]
    assert answers[-1] == 60
    assert answers.count(None) < first.batch
