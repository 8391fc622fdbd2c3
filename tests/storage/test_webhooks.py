"""Webhook subscriptions and signed delivery records."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import msgspec
import pytest
from redis.asyncio import Redis

from service.metric import MetricConfig, RelationshipTable, score_table
from service.model import AccountRef
from service.storage import keys, webhooks
from service.storage.records import Delivery, decode

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


async def test_change_beyond_threshold_queues_a_signed_delivery(redis: Redis) -> None:
    hook = await webhooks.create(redis, "acme", url="https://example.com/h", threshold=5, now=1)
    assert await webhooks.emit(redis, "acme", REF, 50.0, _report(53.0), now=100) == []
    await webhooks.emit(redis, "other", REF, 0.0, _report(90.0), now=100)  # no hooks there
    [delivery] = await webhooks.emit(redis, "acme", REF, 50.0, _report(56.0), now=100)
    [raw] = await redis.lrange(keys.pending_deliveries(), 0, -1)  # type: ignore[misc]
    assert decode(raw, Delivery) == delivery
    body = msgspec.json.decode(delivery.body)
    assert body["score"] == 56.0
    assert body["previous_score"] == 50.0
    header = delivery.headers["Rapport-Signature"]
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    expected = hmac.new(hook.secret.encode(), f"{t}.".encode() + delivery.body, hashlib.sha256)
    assert hmac.compare_digest(v1, expected.hexdigest())
