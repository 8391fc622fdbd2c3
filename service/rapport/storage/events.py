"""Raw events, kept for a bounded time (see `ingest`) so a past score can be recomputed."""

from __future__ import annotations

from redis.asyncio import Redis

from rapport.model import AccountRef, Interaction
from rapport.storage import keys
from rapport.storage.records import decode

__all__ = ["oldest_kept", "read_until"]


async def read_until(redis: Redis, tenant: str, ref: AccountRef, until: float) -> list[Interaction]:
    """The account's kept raw events at or before `until` (epoch seconds), oldest first."""
    k = keys.AccountKeys(tenant, ref.platform, ref.account)
    raws = await redis.zrangebyscore(k.events, "-inf", until)
    return [decode(raw, Interaction) for raw in raws]


async def oldest_kept(redis: Redis, tenant: str, ref: AccountRef) -> float | None:
    """Time of the oldest raw event still kept, or None when none is."""
    k = keys.AccountKeys(tenant, ref.platform, ref.account)
    first = await redis.zrange(k.events, 0, 0, withscores=True)
    return float(first[0][1]) if first else None
