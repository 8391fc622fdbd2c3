"""Ingestion properties, on a real Redis: idempotence, order independence, agreement with the
batch metric, events of any age counted once, the bound on remembered ids, and no lost update
under concurrent writers."""

from __future__ import annotations

import asyncio
import math

import msgspec
import pytest
from redis.asyncio import Redis

from rapport.metric import MetricConfig, RelationshipAggregate, aggregate, group_by_account
from rapport.model import AccountRef, Interaction
from rapport.storage import accounts, keys
from rapport.storage.ingest import (
    AHEAD_OF_CLOCK,
    BEFORE_HISTORY,
    IngestResult,
    event_digest,
    ingest,
)
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
        max_ids=1_000_000,
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


async def test_events_of_any_age_are_counted_once(redis: Redis) -> None:
    """Issue 13: the old store refused, as "stale", every event more than 400 days older than
    the account's newest, so a multi-year export or a backfill lost its history."""
    await _ingest(redis, [event(1, hours=4 * 365 * 24)])  # the newest event first
    old = [event(n, hours=n) for n in range(2, 12)]  # four years older
    result = await _ingest(redis, old)
    assert (result.accepted, result.duplicates, result.refused) == (10, 0, {})
    again = await _ingest(redis, [*old, event(1, hours=4 * 365 * 24)])
    assert (again.accepted, again.duplicates, again.refused) == (0, 11, {})
    assert (await _aggregates(redis))["bob"].events == 11


async def _capped(redis: Redis, events: list[Interaction], cap: int) -> IngestResult:
    return await ingest(
        redis, "acme", events, now=NOW, config=CONFIG, max_ids=cap, events_retention_days=3650
    )


async def test_past_the_cap_the_oldest_ids_are_forgotten_and_nothing_counts_twice(
    redis: Redis,
) -> None:
    k = keys.AccountKeys("acme", "mastodon", "alice")
    history = [event(n) for n in range(1, 16)]  # hours 1..15
    first = await _capped(redis, history, cap=10)
    assert first.accepted == 15  # a batch is counted whole, then the oldest 5 ids are forgotten
    assert await redis.zcard(k.seen) == 10
    record = await accounts.get(redis, "acme", ALICE)
    assert record is not None
    assert record.dedup_horizon == T0_EPOCH + 5 * 3600

    again = await _capped(redis, history, cap=10)
    assert (again.accepted, again.duplicates, again.refused) == (0, 10, {BEFORE_HISTORY: 5})
    older_unseen = await _capped(redis, [event(99, hours=2.5)], cap=10)
    assert older_unseen.refused == {BEFORE_HISTORY: 1}  # cannot tell it from a counted one

    newer = await _capped(redis, [event(n) for n in range(16, 19)], cap=10)
    assert newer.accepted == 3
    assert await redis.zcard(k.seen) == 10  # never more than the cap
    assert (await _aggregates(redis))["bob"].events == 18
    moved = await accounts.get(redis, "acme", ALICE)
    assert moved is not None
    assert moved.dedup_horizon == T0_EPOCH + 8 * 3600


async def test_the_cap_is_counted_in_ids_whatever_their_length(redis: Redis) -> None:
    long_ids = [msgspec.structs.replace(event(n), event_id=f"{'x' * 500}{n}") for n in range(1, 6)]
    await _capped(redis, long_ids, cap=100)
    k = keys.AccountKeys("acme", "mastodon", "alice")
    members = await redis.zrange(k.seen, 0, -1)
    assert len(members) == 5
    assert {len(m) for m in members} == {16}
    assert set(members) == {event_digest(e.event_id) for e in long_ids}


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
    assert (result.accepted, result.refused) == (1, {AHEAD_OF_CLOCK: 1})
    assert result.read == 2
    assert (await _aggregates(redis))["bob"].events == 1


async def test_an_account_stored_before_issue_13_is_migrated_without_counting_twice(
    redis: Redis,
) -> None:
    """The old store kept raw ids for 400 days before the newest event and forgot older ones:
    its set becomes digests, and events older than its oldest remembered id (perhaps counted,
    perhaps not: it cannot be told) are refused instead of counted again."""
    k = keys.AccountKeys("acme", "mastodon", "alice")
    counted = [event(n) for n in range(1, 11)]  # ten events counted by the old store ...
    await _ingest(redis, counted)
    await redis.delete(k.seen)
    await redis.zadd(k.legacy_seen, {e.event_id: e.at.timestamp() for e in counted[4:]})
    # ... which remembers only the six newest ids.
    result = await _ingest(redis, [*counted, event(11), event(12, hours=0.5)])
    assert (result.accepted, result.duplicates) == (1, 6)  # event 11 is new
    assert result.refused == {BEFORE_HISTORY: 5}  # 1-4 and the never-seen 12, older still
    assert not await redis.exists(k.legacy_seen)
    assert await redis.zcard(k.seen) == 7
    assert (await _aggregates(redis))["bob"].events == 11
