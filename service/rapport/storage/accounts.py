"""Tracked accounts of a tenant: track, read, list, and delete (which purges everything)."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from rapport.model import AccountRef
from rapport.storage import changes, keys
from rapport.storage.records import AccountRecord, decode, encode

__all__ = ["delete", "get", "list_accounts", "track", "tracked"]


async def track(redis: Redis, tenant: str, ref: AccountRef, now: float) -> AccountRecord:
    """Track an account (idempotent); return its record, existing or new."""
    k = keys.AccountKeys(tenant, ref.platform, ref.account)
    record = AccountRecord(platform=ref.platform, account=ref.account, tracked_at=now)
    await redis.set(k.meta, encode(record), nx=True)
    await redis.zadd(
        keys.tenant_accounts(tenant), {keys.account_member(*_parts(ref)): now}, nx=True
    )
    existing = await get(redis, tenant, ref)
    return existing or record


def _parts(ref: AccountRef) -> tuple[str, str]:
    return ref.platform, ref.account


async def get(redis: Redis, tenant: str, ref: AccountRef) -> AccountRecord | None:
    """The tenant's record of the account, or None (also when another tenant tracks it)."""
    raw = await redis.get(keys.AccountKeys(tenant, ref.platform, ref.account).meta)
    return None if raw is None else decode(raw, AccountRecord)


async def tracked(redis: Redis, tenant: str, refs: Sequence[AccountRef]) -> dict[AccountRef, bool]:
    """Whether this tenant tracks each account (one round trip)."""
    if not refs:
        return {}
    async with redis.pipeline(transaction=False) as pipe:
        for ref in refs:
            pipe.exists(keys.AccountKeys(tenant, ref.platform, ref.account).meta)
        found = await pipe.execute()
    return {ref: bool(n) for ref, n in zip(refs, found, strict=True)}


async def list_accounts(
    redis: Redis, tenant: str, *, offset: int = 0, limit: int = 100
) -> tuple[list[AccountRecord], int]:
    """A page of the tenant's accounts in tracking order, and how many there are in all."""
    index = keys.tenant_accounts(tenant)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zrange(index, offset, offset + limit - 1)
        pipe.zcard(index)
        members, total = await pipe.execute()
    if not members:
        return [], int(total)
    metas = [keys.AccountKeys(tenant, *keys.member_account(m.decode())).meta for m in members]
    raws = await redis.mget(metas)
    return [decode(raw, AccountRecord) for raw in raws if raw is not None], int(total)


async def delete(redis: Redis, tenant: str, ref: AccountRef) -> bool:
    """Purge everything stored about the account for this tenant; False if it was not tracked."""
    k = keys.AccountKeys(tenant, ref.platform, ref.account)
    removed = await redis.zrem(keys.tenant_accounts(tenant), keys.account_member(*_parts(ref)))
    deleted = await redis.delete(*k.all())
    await changes.announce_now(redis, (tenant, ref.platform, ref.account))
    return bool(removed or deleted)
