"""API keys: only a hash at rest, constant-time check, revocation."""

from __future__ import annotations

import hashlib

import pytest
from redis.asyncio import Redis

from rapport.storage import apikeys
from tests.storage.conftest import snapshot

pytestmark = pytest.mark.anyio


async def test_create_authenticate_revoke(redis: Redis) -> None:
    key, record = await apikeys.create(redis, "acme", now=1.0)
    assert key.startswith("rpk_")
    assert record.tenant == "acme"
    got = await apikeys.authenticate(redis, key)
    assert got is not None
    assert got.tenant == "acme"
    assert await apikeys.authenticate(redis, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert await apikeys.authenticate(redis, "rpk_nothing") is None
    assert await apikeys.authenticate(redis, "") is None
    assert [r.key_id for r in await apikeys.list_keys(redis, "acme")] == [record.key_id]
    assert (await apikeys.revoke(redis, record.key_id)) == record
    assert await apikeys.authenticate(redis, key) is None
    assert await apikeys.revoke(redis, record.key_id) is None


async def test_only_the_hash_is_stored(redis: Redis) -> None:
    key, _ = await apikeys.create(redis, "acme", now=1.0)
    secret = key.rsplit("_", 1)[1]
    dump = repr(await snapshot(redis))
    assert secret not in dump
    assert hashlib.sha256(key.encode()).hexdigest() in dump


async def test_invalid_tenant_is_refused(redis: Redis) -> None:
    with pytest.raises(ValueError, match="invalid tenant"):
        await apikeys.create(redis, "Not Valid", now=1.0)
