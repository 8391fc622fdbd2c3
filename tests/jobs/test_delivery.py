"""Webhook deliveries against a real receiver on loopback: signed, retried with back-off,
dead-lettered after the last try, and idempotent by delivery id."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import msgspec
import pytest
from redis.asyncio import Redis

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.delivery import DELIVERY_HEADER, delivery_job_id
from rapport.jobs.queue import DELIVER, JobState
from rapport.metric import MetricConfig, RelationshipTable, ScoreReport, score_table
from rapport.model import AccountRef
from rapport.storage import keys, webhooks
from rapport.storage.records import ScoreChange, Webhook
from tests.jobs.conftest import WorkerHarness, finished
from tests.jobs.receiver import Receiver, receiver

pytestmark = pytest.mark.anyio
REF = AccountRef("mastodon", "alice")


def _report(score: float) -> ScoreReport:
    table = RelationshipTable.from_aggregates([], 1e9, MetricConfig())
    report = score_table(table, account=REF)
    return msgspec.structs.replace(report, score=score, as_of=datetime(2026, 1, 1, tzinfo=UTC))


async def _queue_delivery(redis: Redis, url: str) -> tuple[Webhook, str]:
    hook = await webhooks.create(redis, "acme", url=url, threshold=0, now=1.0)
    change = ScoreChange.of(10.0, _report(42.0))
    deliveries = webhooks.deliveries_for("acme", REF, change, [hook], now=2.0)
    (delivery,) = await webhooks.queue_once(redis, deliveries)
    return hook, delivery.id


def _check_signature(hook: Webhook, got: Receiver) -> None:
    for item in got.received:
        header = item.headers["Rapport-Signature"]
        parts = dict(part.split("=", 1) for part in header.split(","))
        expected = hmac.new(
            hook.secret.encode(), f"{parts['t']}.".encode() + item.body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(parts["v1"], expected)


async def _job_of(redis: Redis) -> str:
    """The job id the pump will give the one queued delivery, read before the worker starts:
    polling the in-flight hash afterwards raced a job that finished (and left it) first."""
    (raw,) = await redis.lrange(keys.pending_deliveries(), 0, -1)  # type: ignore[misc]
    return delivery_job_id(hashlib.sha1(raw).hexdigest())  # the pump's key: sha1 of the entry


async def test_a_delivery_is_posted_signed_once(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis
) -> None:
    with receiver(200) as got:
        hook, delivery_id = await _queue_delivery(redis, got.url)
        job_id = await _job_of(redis)
        worker.start()
        info = await finished(queue, job_id)
        assert info.state is JobState.COMPLETE, info.error
        assert [r.headers[DELIVERY_HEADER] for r in got.received] == [delivery_id]
        _check_signature(hook, got)
        body = msgspec.json.decode(got.received[0].body)
        assert body["event"] == "score.changed"
        assert (body["score"], body["previous_score"]) == (42.0, 10.0)
        assert await redis.hlen(keys.deliveries_in_flight()) == 0  # type: ignore[misc]
        assert await redis.llen(keys.pending_deliveries()) == 0  # type: ignore[misc]

        # Running the same delivery again posts nothing: it is idempotent by delivery id.
        key = job_id.removeprefix("delivery-")
        payload = {"tenant": "acme", "key": key, "delivery": delivery_id, "webhook": hook.id}
        await queue.enqueue(DELIVER, payload, job_id=job_id)
        again = await finished(queue, job_id)
        assert again.result == {"status": "already delivered"}
        assert len(got.received) == 1


async def test_a_failed_delivery_is_retried_and_then_lands(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis
) -> None:
    with receiver(500, 502, 200) as got:
        hook, delivery_id = await _queue_delivery(redis, got.url)
        job_id = await _job_of(redis)
        worker.start()
        info = await finished(queue, job_id)
        assert info.state is JobState.COMPLETE, info.error
        assert info.tries == 3
        assert [r.headers[DELIVERY_HEADER] for r in got.received] == [delivery_id] * 3
        _check_signature(hook, got)
        assert await queue.dead_letters("acme") == []


async def test_after_the_last_try_a_delivery_is_a_dead_letter_with_the_reason(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis
) -> None:
    with receiver(503) as got:
        hook, delivery_id = await _queue_delivery(redis, got.url)
        job_id = await _job_of(redis)
        worker.start(job_max_tries=3)
        info = await finished(queue, job_id)
        assert info.state is JobState.FAILED
        assert len(got.received) == 3
        (letter,) = await queue.dead_letters("acme")
        assert letter.id == job_id
        assert letter.reason == "DeliveryError: the receiver answered HTTP 503"
        assert letter.subject == {"delivery": delivery_id, "webhook": hook.id}
        assert got.url not in letter.reason
        assert await redis.hlen(keys.deliveries_in_flight()) == 0  # type: ignore[misc]
        assert await queue.dead_letters("rival") == []
