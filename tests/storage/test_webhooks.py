"""Webhook subscriptions, signed delivery records, and the outbox that sends each stored score
change exactly once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
from datetime import UTC, datetime

import msgspec
import pytest
from redis.asyncio import Redis

from rapport.metric import MetricConfig, RelationshipTable, score_table
from rapport.model import AccountRef
from rapport.storage import accounts, keys, scores, webhooks
from rapport.storage.ingest import ingest
from rapport.storage.records import Delivery, ScoreChange, Webhook, decode
from tests.storage.conftest import conversation

pytestmark = pytest.mark.anyio
REF = AccountRef("mastodon", "alice")


def _report(score: float):  # type: ignore[no-untyped-def]
    table = RelationshipTable.from_aggregates([], 1e9, MetricConfig())
    report = score_table(table, account=REF)
    return msgspec.structs.replace(report, score=score, as_of=datetime(2026, 1, 1, tzinfo=UTC))


async def test_subscribe_list_delete_per_tenant(redis: Redis) -> None:
    hook = await webhooks.create(redis, "acme", url="https://example.com/h", threshold=2, now=1)
    assert [h.id for h in await webhooks.list_webhooks(redis, "acme")] == [hook.id]
    assert await webhooks.list_webhooks(redis, "other") == []
    assert await webhooks.delete(redis, "other", hook.id) is False
    assert await webhooks.delete(redis, "acme", hook.id) is True
    assert await webhooks.list_webhooks(redis, "acme") == []


async def _emit(
    redis: Redis, tenant: str, previous: float | None, score: float, now: float
) -> list[Delivery]:
    """Queue the deliveries of one change from `previous` to `score` for the tenant's hooks."""
    change = ScoreChange.of(previous, _report(score))
    hooks = await webhooks.list_webhooks(redis, tenant)
    return await webhooks.queue_once(
        redis, webhooks.deliveries_for(tenant, REF, change, hooks, now=now)
    )


async def test_change_beyond_threshold_queues_a_signed_delivery(redis: Redis) -> None:
    hook = await webhooks.create(redis, "acme", url="https://example.com/h", threshold=5, now=1)
    assert await _emit(redis, "acme", 50.0, 53.0, now=100) == []
    await _emit(redis, "other", 0.0, 90.0, now=100)  # no hooks there
    [delivery] = await _emit(redis, "acme", 50.0, 56.0, now=100)
    [raw] = await redis.lrange(keys.pending_deliveries(), 0, -1)  # type: ignore[misc]
    assert decode(raw, Delivery) == delivery
    body = msgspec.json.decode(delivery.body)
    assert body["score"] == 56.0
    assert body["previous_score"] == 50.0
    header = delivery.headers["Rapport-Signature"]
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    expected = hmac.new(hook.secret.encode(), f"{t}.".encode() + delivery.body, hashlib.sha256)
    assert hmac.compare_digest(v1, expected.hexdigest())


# --- the outbox: every stored score change is delivered exactly once ---

NOW = 1_800_000_000.0
CONFIG = MetricConfig()


async def _ingest(redis: Redis, events: int, offset: int = 0) -> None:
    batch = conversation(offset + events)[offset:]
    await ingest(
        redis,
        "acme",
        batch,
        now=NOW,
        config=CONFIG,
        max_ids=1_000_000,
        events_retention_days=3650,
    )


async def _refresh(redis: Redis) -> float:
    _, report = await scores.refresh(redis, "acme", REF, now=NOW, config=CONFIG, history_len=10)
    return report.score


async def _pending(redis: Redis) -> list[Delivery]:
    raws = await redis.lrange(keys.pending_deliveries(), 0, -1)  # type: ignore[misc]
    return [decode(raw, Delivery) for raw in reversed(raws)]  # oldest first


async def _outbox(redis: Redis) -> list[bytes]:
    return await redis.lrange(keys.AccountKeys("acme", REF.platform, REF.account).outbox, 0, -1)  # type: ignore[misc]


async def test_a_change_stored_with_the_score_is_sent_after_a_crash(redis: Redis) -> None:
    """The job stored the score, then died before queueing deliveries. Its rerun stores the
    same score (no new change) and sends the one left behind, once."""
    await webhooks.create(redis, "acme", url="https://example.com/h", threshold=0, now=1)
    await _ingest(redis, 60)
    first = await _refresh(redis)
    assert len(await _outbox(redis)) == 1  # the crash: flush never ran
    assert await _refresh(redis) == first  # the rerun: nothing moved
    assert len(await _outbox(redis)) == 1
    [delivery] = await webhooks.flush(redis, "acme", REF, now=NOW)
    assert msgspec.json.decode(delivery.body)["score"] == first
    assert await _outbox(redis) == []
    assert await webhooks.flush(redis, "acme", REF, now=NOW) == []
    assert await _pending(redis) == [delivery]


async def test_changes_are_sent_in_order_and_form_a_chain(redis: Redis) -> None:
    await webhooks.create(redis, "acme", url="https://example.com/h", threshold=0, now=1)
    for step in range(3):
        await _ingest(redis, 40, offset=40 * step)
        await _refresh(redis)
    await webhooks.flush(redis, "acme", REF, now=NOW)
    bodies = [msgspec.json.decode(d.body) for d in await _pending(redis)]
    assert len(bodies) == 3
    assert bodies[0]["previous_score"] is None
    for before, after in itertools.pairwise(bodies):
        assert after["previous_score"] == before["score"]


async def test_flushing_twice_at_once_queues_each_delivery_once(redis: Redis) -> None:
    await webhooks.create(redis, "acme", url="https://example.com/a", threshold=0, now=1)
    await webhooks.create(redis, "acme", url="https://example.com/b", threshold=0, now=2)
    for step in range(4):
        await _ingest(redis, 30, offset=30 * step)
        await _refresh(redis)
    changes = len(await _outbox(redis))
    assert changes >= 2
    results = await asyncio.gather(*(webhooks.flush(redis, "acme", REF, now=NOW) for _ in range(3)))
    queued = [d.id for result in results for d in result]
    pending = [d.id for d in await _pending(redis)]
    assert len(pending) == 2 * changes  # one per change and subscription
    assert sorted(queued) == sorted(pending)
    assert len(set(pending)) == len(pending)
    assert await _outbox(redis) == []


async def test_an_unchanged_score_stores_no_change(redis: Redis) -> None:
    await _ingest(redis, 60)
    await _refresh(redis)
    await _refresh(redis)
    assert len(await _outbox(redis)) == 1


async def test_the_outbox_is_purged_with_the_account(redis: Redis) -> None:
    await _ingest(redis, 60)
    await _refresh(redis)
    assert await accounts.delete(redis, "acme", REF)
    assert await _outbox(redis) == []


async def test_a_delivery_id_names_one_change_for_one_subscription() -> None:
    report = _report(40.0)
    change = ScoreChange.of(30.0, report)
    hooks = [
        Webhook(id=name, url="https://example.com/h", threshold=0, created_at=0, secret="s")
        for name in ("a", "b")
    ]
    once = webhooks.deliveries_for("acme", REF, change, hooks, now=1)
    again = webhooks.deliveries_for("acme", REF, change, hooks, now=2)
    assert [d.id for d in once] == [d.id for d in again]
    assert once[0].id != once[1].id
    other = webhooks.deliveries_for("acme", REF, ScoreChange.of(30.0, report), hooks, now=1)
    assert {d.id for d in other}.isdisjoint(d.id for d in once)
