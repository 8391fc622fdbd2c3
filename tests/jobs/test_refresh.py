"""Refreshing an account through its connector: ingest, score, cursor, idempotency, and a
platform rate limit turned into a deferred retry at the platform's reset time."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import REFRESH, JobState
from rapport.jobs.refresh import refresh_job_id
from rapport.jobs.worker import WorkerOptions
from rapport.model import AccountRef
from rapport.storage import accounts, keys, scores
from tests.jobs.conftest import WorkerHarness, finished, wait_for
from tests.jobs.helpers import (
    EGO,
    HANDLE,
    TWITTER_ENV,
    rate_limited_followers,
    replay,
    twitter_registry,
)

pytestmark = pytest.mark.anyio


def _options(handler: httpx.MockTransport | None = None) -> WorkerOptions:
    return WorkerOptions(
        registry=twitter_registry(),
        platform_transport=handler or httpx.MockTransport(replay()),
        environ=TWITTER_ENV,
    )


async def _refresh(queue: ArqJobQueue, tenant: str = "acme") -> str:
    job_id = refresh_job_id(tenant, "twitter", HANDLE)
    enqueued = await queue.enqueue(
        REFRESH, {"tenant": tenant, "platform": "twitter", "account": HANDLE}, job_id=job_id
    )
    assert enqueued.id == job_id
    return job_id


async def test_refresh_ingests_scores_and_stores_the_cursor(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis
) -> None:
    worker.start(_options())
    info = await finished(queue, await _refresh(queue))
    assert info.state is JobState.COMPLETE, info.error
    assert info.result["stored"] > 0
    ego = AccountRef("twitter", EGO)
    record = await accounts.get(redis, "acme", ego)
    assert record is not None
    assert record.events == info.result["stored"]
    assert await scores.get_current(redis, "acme", ego) is not None
    cursor = await redis.get(keys.refresh_cursor("acme", "twitter", HANDLE))
    assert cursor is not None
    assert cursor.decode() == info.result["cursor"]
    assert await accounts.get(redis, "rival", ego) is None  # scoped to the job's tenant


async def test_a_refresh_that_runs_twice_lands_once(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis
) -> None:
    worker.start(_options())
    first = await finished(queue, await _refresh(queue))
    ego_keys = keys.AccountKeys("acme", "twitter", EGO)
    relationships = await redis.hgetall(ego_keys.relationships)  # type: ignore[misc]
    events = await redis.zcard(ego_keys.events)
    # Forget the cursor: the second run re-reads everything the first one did.
    await redis.delete(keys.refresh_cursor("acme", "twitter", HANDLE))
    second = await finished(queue, await _refresh(queue))
    assert second.state is JobState.COMPLETE, second.error
    assert second.result["stored"] == 0
    assert second.result["duplicates"] >= first.result["stored"]
    assert await redis.hgetall(ego_keys.relationships) == relationships  # type: ignore[misc]
    assert await redis.zcard(ego_keys.events) == events


async def test_a_rate_limit_defers_the_job_to_the_platforms_reset_time(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis
) -> None:
    handler, reset = rate_limited_followers()
    worker.start(_options(httpx.MockTransport(handler)))
    job_id = await _refresh(queue)

    async def deferred() -> bool:
        info = await queue.status(job_id)
        return info is not None and info.state is JobState.DEFERRED

    await wait_for(deferred)
    info = await queue.status(job_id)
    assert info is not None
    assert info.run_at is not None
    assert abs(info.run_at.timestamp() - reset) < 60  # the platform's reset, not a back-off
    assert (REFRESH, "deferred") in await queue.outcomes()
    # What was read before the limit is kept, with its cursor: the retry resumes from there.
    assert await redis.get(keys.refresh_cursor("acme", "twitter", HANDLE)) is not None
    record = await accounts.get(redis, "acme", AccountRef("twitter", EGO))
    assert record is not None
    assert record.events > 0
