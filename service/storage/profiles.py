"""Profiles known for an account: its own (the ego's) and its counterparts', which the
authenticity rules and the audience filter read when scoring."""

from __future__ import annotations

from collections.abc import Iterable

from redis.asyncio import Redis

from service.model import AccountRef, Profile
from service.storage import keys
from service.storage._redis import aw
from service.storage.records import decode, encode

__all__ = ["get_all", "put"]


async def put(redis: Redis, tenant: str, ref: AccountRef, profiles: Iterable[Profile]) -> int:
    """Store (replace) profiles under the account, keyed by their account id."""
    mapping = {p.account: encode(p) for p in profiles}
    if not mapping:
        return 0
    key = keys.AccountKeys(tenant, ref.platform, ref.account).profiles
    await aw(redis.hset(key, mapping=mapping))
    return len(mapping)


async def get_all(redis: Redis, tenant: str, ref: AccountRef) -> dict[str, Profile]:
    """Every stored profile of the account's network, by account id (the ego's included)."""
    raw = await aw(redis.hgetall(keys.AccountKeys(tenant, ref.platform, ref.account).profiles))
    return {name.decode(): decode(value, Profile) for name, value in raw.items()}
