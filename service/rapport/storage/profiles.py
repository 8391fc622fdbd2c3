"""Profiles known for an account: its own (the ego's) and its counterparts', which the
authenticity rules and the audience filter read when scoring."""

from __future__ import annotations

from collections.abc import Iterable

from redis.asyncio import Redis
from redis.exceptions import WatchError

from rapport.model import AccountRef, Profile
from rapport.storage import keys
from rapport.storage._redis import aw
from rapport.storage.records import decode, encode

__all__ = ["MAX_COUNT", "get_all", "profile_problem", "put", "put_if_tracked"]

#: Largest follower/following/post count stored: 2**53 - 1, exact in every JSON client, and
#: far inside msgpack's 64-bit integers (a bigger count made the store fail: a 500).
MAX_COUNT = 2**53 - 1
_COUNTS = ("followers_count", "following_count", "posts_count")
_MAX_RETRIES = 50


def profile_problem(profile: Profile) -> tuple[str, str] | None:
    """(field, message) when a profile cannot be stored as is, else None."""
    for name in _COUNTS:
        value = getattr(profile, name)
        if value is not None and value > MAX_COUNT:
            return name, f"must be at most {MAX_COUNT}"
    return None


async def put(redis: Redis, tenant: str, ref: AccountRef, profiles: Iterable[Profile]) -> int:
    """Store (replace) profiles under the account, keyed by their account id."""
    mapping = {p.account: encode(p) for p in profiles}
    if not mapping:
        return 0
    key = keys.AccountKeys(tenant, ref.platform, ref.account).profiles
    await aw(redis.hset(key, mapping=mapping))
    return len(mapping)


async def put_if_tracked(
    redis: Redis, tenant: str, ref: AccountRef, profiles: Iterable[Profile]
) -> int | None:
    """Store (replace) profiles under the account in one HSET, only while the tenant tracks
    it; None when it does not. The check and the write are one WATCH/MULTI/EXEC transaction,
    so a concurrent purge of the account cannot leave its profiles behind."""
    mapping = {p.account: encode(p) for p in profiles}
    k = keys.AccountKeys(tenant, ref.platform, ref.account)
    async with redis.pipeline(transaction=True) as pipe:
        for _ in range(_MAX_RETRIES):
            try:
                await pipe.watch(k.meta)
                if not await pipe.exists(k.meta):
                    return None
                if not mapping:
                    return 0
                pipe.multi()  # type: ignore[no-untyped-call]
                pipe.hset(k.profiles, mapping=mapping)
                await pipe.execute()
                return len(mapping)
            except WatchError:
                continue
    raise RuntimeError(f"profiles of {ref} kept conflicting with concurrent writers")


async def get_all(redis: Redis, tenant: str, ref: AccountRef) -> dict[str, Profile]:
    """Every stored profile of the account's network, by account id (the ego's included)."""
    raw = await aw(redis.hgetall(keys.AccountKeys(tenant, ref.platform, ref.account).profiles))
    return {name.decode(): decode(value, Profile) for name, value in raw.items()}
