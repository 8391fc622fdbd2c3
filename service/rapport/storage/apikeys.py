"""API keys: each maps to one tenant; only the SHA-256 of the secret is stored.

A key reads `rpk_<id>_<secret>`. The public id locates the record in one GET (no scan, no
lookup by secret), then the SHA-256 of the presented key is compared with the stored one using
`hmac.compare_digest`, in constant time. The plaintext exists only in the creator's output.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from redis.asyncio import Redis

from rapport.storage import keys
from rapport.storage._redis import aw
from rapport.storage.records import ApiKeyRecord, decode, encode

__all__ = ["authenticate", "create", "key_id_of", "list_keys", "revoke"]

_KEY_RE = re.compile(r"^rpk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create(redis: Redis, tenant: str, *, now: float) -> tuple[str, ApiKeyRecord]:
    """Create a key for `tenant`; return the plaintext (show it once) and the stored record."""
    keys.tenant_accounts(tenant)  # validates the tenant name
    key_id = secrets.token_hex(8)
    key = f"rpk_{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKeyRecord(key_id=key_id, tenant=tenant, sha256=_digest(key), created_at=now)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.api_key(key_id), encode(record))
        pipe.sadd(keys.api_keys_of_tenant(tenant), key_id)
        await pipe.execute()
    return key, record


def key_id_of(key: str) -> str | None:
    """The public id of a well-formed key, else None."""
    match = _KEY_RE.match(key)
    return match.group(1) if match else None


async def authenticate(redis: Redis, key: str) -> ApiKeyRecord | None:
    """The record of a valid, unrevoked key, else None."""
    key_id = key_id_of(key)
    if key_id is None:
        return None
    raw = await redis.get(keys.api_key(key_id))
    if raw is None:
        return None
    record = decode(raw, ApiKeyRecord)
    if not hmac.compare_digest(record.sha256.encode(), _digest(key).encode()):
        return None
    return record


async def revoke(redis: Redis, key_id: str) -> ApiKeyRecord | None:
    """Revoke a key by its public id (or by the whole key); return what was revoked."""
    key_id = key_id_of(key_id) or key_id
    raw = await redis.get(keys.api_key(key_id))
    if raw is None:
        return None
    record = decode(raw, ApiKeyRecord)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(keys.api_key(key_id))
        pipe.srem(keys.api_keys_of_tenant(record.tenant), key_id)
        await pipe.execute()
    return record


async def list_keys(redis: Redis, tenant: str) -> list[ApiKeyRecord]:
    """The tenant's keys (records only: secrets are never stored)."""
    ids = sorted(m.decode() for m in await aw(redis.smembers(keys.api_keys_of_tenant(tenant))))
    raws = await redis.mget([keys.api_key(i) for i in ids]) if ids else []
    return [decode(raw, ApiKeyRecord) for raw in raws if raw is not None]
