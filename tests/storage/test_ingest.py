"""Ingestion properties, on a real Redis: idempotence, order independence, agreement with the
batch metric, stale refusal, and no lost update under concurrent writers."""

from __future__ import annotations

import asyncio
import math

import pytest
from redis.asyncio import Redis

from rapport.metric import MetricConfig, RelationshipAggregate, aggregate, group_by_account
from rapport.model import AccountRef, Interaction
from rapport.storage import keys
from rapport.storage.ingest import IngestResult, ingest
from rapport.storage.records import decode
from tests.storage.conftest import T0, conversation, event, snapshot

pytestmark = pytest.mark.anyio
CONFIG = MetricConfig()
NOW = 1_900_000_000.0  # 2030: after every test event
ALICE = AccountRef("mastodon", "alice")
T0_EPOCH = T0.timestamp()


async def _ingest(redis: Redis, events: list[Interaction], tenant: str = "acme") -> IngestResult:
    return await ingest(
        redis,
        tenant,
        events,
        now=NOW,
        config=CONFIG,
        dedup_window_days=400,
        events_retention_days=3650,
    )


async def _aggregates(redis: Redis, ref: AccountRef = ALICE) -> dict[str, RelationshipAggregate]:
    raw = await redis.hgetall(keys.AccountKeys("acme", ref.platform, ref.account).relationships)  # type: ignore[misc]
    return {k.decode(): decode(v, RelationshipAggregate) for k, v in raw.items()}


async def test_ingesting_twice_changes_nothing(redis: Redis) -> None:
    batch = conversation(60)
    first = await _ingest(redis, batch)
    assert first.accepted == 60
    assert first.duplicates == 0
    once = await snapshot(redis)
    second = await _ingest(redis, batch)
    assert second.accepted == 0
    assert second.duplicates == 60
    assert await snapshot(redis) == once


async def test_duplicates_inside_one_batch_count_once(redis: Redis) -> None:
    result = await _ingest(redis, [event(1), event(1), event(2)])
    assert (result.accepted, result.duplicates) == (2, 1)
    assert (await _aggregates(redis))["bob"].events == 2


async def test_split_batches_agree_with_the_batch_metric(redis: Redis) -> None:
    events = conversation(90)
    await _ingest(redis, events[:45])
    await _ingest(redis, events[45:])
    stored = await _aggregates(redis)
    as_of = NOW
    batch = aggregate(group_by_account(events)[ALICE], as_of, CONFIG)
    assert sorted(stored) == sorted(batch.counterparts)
    for i, name in enumerate(batch.counterparts):
        out, inn, _days = stored[name].decayed(as_of, CONFIG)
        assert math.isclose(out, batch.outbound[i], rel_tol=1e-9)
        assert math.isclose(inn, batch.inbound[i], rel_tol=1e-9)
        assert stored[name].events == batch.events[i]
        assert stored[name].turns == batch.turns[i]


async def test_events_are_applied_in_time_order_whatever_the_batch_order(redis: Redis) -> None:
    events = conversation(40)
    await _ingest(redis, list(reversed(events)))
    reversed_state = await _aggregates(redis)
    await redis.flushall()
    await _ingest(redis, events)
    assert await _aggregates(redis) == reversed_state


async def test_events_older_than_the_dedup_window_are_refused_as_stale(redis: Redis) -> None:
    await _ingest(redis, [event(1, hours=500 * 24)])
    result = await _ingest(redis, [event(2, hours=10)])  # 490 days older than the newest
    assert (result.accepted, result.stale) == (0, 1)
    assert (await _aggregates(redis))["bob"].events == 1


async def test_accounts_and_tenants_are_kept_apart(redis: Redis) -> None:
    await _ingest(redis, [event(1), event(2, ego="carol")], tenant="acme")
    await _ingest(redis, [event(1)], tenant="other")
    members = await redis.zrange(keys.tenant_accounts("acme"), 0, -1)
    assert sorted(members) == [b"mastodon:alice", b"mastodon:carol"]
    assert await redis.zrange(keys.tenant_accounts("other"), 0, -1) == [b"mastodon:alice"]
    assert await redis.exists(keys.AccountKeys("other", "mastodon", "carol").meta) == 0


async def test_concurrent_ingests_lose_no_update(redis: Redis) -> None:
    events = conversation(80)
    chunks = [events[i::8] for i in range(8)]
    await asyncio.gather(*(_ingest(redis, chunk) for chunk in chunks))
    stored = await _aggregates(redis)
    assert sum(a.events for a in stored.values()) == 80
    raw_meta = await redis.get(keys.AccountKeys("acme", "mastodon", "alice").meta)
    assert raw_meta is not None
    assert await redis.zcard(keys.AccountKeys("acme", "mastodon", "alice").seen) == 80


async def test_events_far_in_the_future_are_rejected_not_stored(redis: Redis) -> None:
    future = event(9, hours=(NOW - T0_EPOCH) / 3600 + 48)  # two days after the server clock
    result = await _ingest(redis, [event(1), future])
    assert (result.accepted, result.rejected) == (1, 1)
    assert (await _aggregates(redis))["bob"].events == 1
