"""Storage tests run on the worker's real Redis (tests/conftest.py), through redis.asyncio."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from rapport.model import Direction, Interaction, Kind

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(
    n: int,
    counterpart: str = "bob",
    *,
    ego: str = "alice",
    direction: Direction = Direction.OUT,
    kind: Kind = Kind.REPLY,
    hours: float | None = None,
    platform: str = "mastodon",
) -> Interaction:
    """Event number `n` (its id is `e<n>`), `hours` after T0 (default: n hours)."""
    return Interaction(
        platform=platform,
        ego=ego,
        counterpart=counterpart,
        direction=direction,
        kind=kind,
        at=T0 + timedelta(hours=n if hours is None else hours),
        event_id=f"e{n}",
        text_len=80,
    )


def conversation(count: int, *, ego: str = "alice") -> list[Interaction]:
    """A realistic mixed batch: several counterparts, both directions, several kinds."""
    kinds = [Kind.REPLY, Kind.LIKE, Kind.MESSAGE, Kind.MENTION, Kind.REPOST]
    return [
        event(
            i,
            f"friend{i % 7}",
            ego=ego,
            direction=Direction.OUT if i % 3 else Direction.IN,
            kind=kinds[i % len(kinds)],
            hours=i * 5.5,
        )
        for i in range(count)
    ]


async def snapshot(redis: Redis) -> dict[str, Any]:
    """Every key's logical content, to compare whole stores."""
    out: dict[str, Any] = {}
    async for key in redis.scan_iter(count=1000):
        kind = (await redis.type(key)).decode()
        if kind == "string":
            out[key.decode()] = await redis.get(key)
        elif kind == "hash":
            out[key.decode()] = await redis.hgetall(key)  # type: ignore[misc]
        elif kind == "zset":
            out[key.decode()] = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            out[key.decode()] = await redis.lrange(key, 0, -1)  # type: ignore[misc]
        elif kind == "set":
            out[key.decode()] = sorted(await redis.smembers(key))  # type: ignore[misc]
        else:
            raise AssertionError(f"unexpected key type {kind}")
    return out
