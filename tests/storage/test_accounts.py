"""Tracking, listing and purging accounts."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from rapport.metric import MetricConfig
from rapport.model import AccountRef, MissingData, Profile
from rapport.storage import accounts, keys, profiles, scores, sources
from rapport.storage.ingest import ingest
from rapport.storage.records import SourceReport
from tests.storage.conftest import conversation

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000.0


async def test_track_is_idempotent_and_listed(redis: Redis) -> None:
    ref = AccountRef("mastodon", "alice")
    first = await accounts.track(redis, "acme", ref, NOW)
    again = await accounts.track(redis, "acme", ref, NOW + 10)
    assert again.tracked_at == first.tracked_at == NOW
    await accounts.track(redis, "acme", AccountRef("x", "b:{weird}*"), NOW + 1)
    page, total = await accounts.list_accounts(redis, "acme")
    assert total == 2
    assert [(r.platform, r.account) for r in page] == [("mastodon", "alice"), ("x", "b:{weird}*")]
    assert await accounts.list_accounts(redis, "other") == ([], 0)
    assert await accounts.get(redis, "other", ref) is None


async def test_delete_purges_every_key_of_the_account(redis: Redis) -> None:
    ref = AccountRef("mastodon", "alice")
    other = AccountRef("mastodon", "carol")
    config = MetricConfig()
    events = conversation(30) + conversation(5, ego="carol")
    await ingest(
        redis,
        "acme",
        events,
        now=NOW,
        config=config,
        max_ids=1_000_000,
        events_retention_days=3650,
    )
    await profiles.put(redis, "acme", ref, [Profile(platform="mastodon", account="friend1")])
    note = MissingData(data="likes", effect="not in the export")
    await sources.put(
        redis, "acme", ref, SourceReport(source="archive", reported_at=NOW, missing=[note])
    )
    for r in (ref, other):
        await scores.refresh(redis, "acme", r, now=NOW, config=config, history_len=5)
    k = keys.AccountKeys("acme", "mastodon", "alice")
    await redis.zadd(k.legacy_seen, {"e1": 1.0})  # stored before issue 13, not yet migrated
    before = [key async for key in redis.scan_iter(match=k.scan_pattern())]
    assert len(before) == len(k.all())  # the test covers every key kind

    assert await accounts.delete(redis, "acme", ref) is True
    assert [key async for key in redis.scan_iter(match=k.scan_pattern())] == []
    assert await accounts.get(redis, "acme", ref) is None
    page, total = await accounts.list_accounts(redis, "acme")
    assert [r.account for r in page] == ["carol"]
    assert total == 1
    assert await accounts.delete(redis, "acme", ref) is False
