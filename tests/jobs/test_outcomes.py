"""Outcome counts for `/metrics`: a worker batches its `complete` counts (one Redis write per
interval instead of one per job, docs/jobs.md's Benchmark), writes any other outcome at once,
and loses none on a graceful shutdown or a failed write."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import RedisError

from rapport.jobs.arq_queue import ArqJobQueue, connect
from rapport.jobs.queue import NOOP
from rapport.jobs.worker import WorkerOptions
from tests.deadlines import scaled
from tests.jobs.conftest import WorkerHarness, finished, wait_for

pytestmark = pytest.mark.anyio


async def test_complete_counts_are_written_within_the_flush_interval(
    redis_url: str, queue: ArqJobQueue
) -> None:
    batched = ArqJobQueue(connect(redis_url), outcome_flush_seconds=1.0)
    try:
        for _ in range(3):
            await batched.count_outcome("j", "complete")
        assert await queue.outcomes() == {}  # in memory, one write for the three

        async def written() -> bool:
            return await queue.outcomes() == {("j", "complete"): 3}

        await wait_for(written, timeout=10)
    finally:
        await batched.aclose()


async def test_any_other_outcome_writes_the_batch_at_once(
    redis_url: str, queue: ArqJobQueue
) -> None:
    batched = ArqJobQueue(connect(redis_url), outcome_flush_seconds=60)
    try:
        await batched.count_outcome("j", "complete")
        await batched.count_outcome("j", "complete")
        await batched.count_outcome("j", "retried")
        assert await queue.outcomes() == {("j", "complete"): 2, ("j", "retried"): 1}
        await batched.count_outcome("k", "dead")
        assert (await queue.outcomes())[("k", "dead")] == 1
    finally:
        await batched.aclose()


async def test_closing_writes_the_pending_counts(redis_url: str, queue: ArqJobQueue) -> None:
    batched = ArqJobQueue(connect(redis_url), outcome_flush_seconds=60)
    for _ in range(5):
        await batched.count_outcome("j", "complete")
    await batched.aclose()
    assert await queue.outcomes() == {("j", "complete"): 5}


async def test_a_failed_write_keeps_the_counts_for_the_next(
    redis_url: str, queue: ArqJobQueue
) -> None:
    batched = ArqJobQueue(connect("redis://127.0.0.1:1"), outcome_flush_seconds=60)
    await batched.count_outcome("j", "complete")
    with pytest.raises((RedisError, OSError)):
        await batched.count_outcome("j", "dead")
    dead_pool = batched.pool
    batched.pool = connect(redis_url)
    await dead_pool.aclose()
    await batched.aclose()
    assert await queue.outcomes() == {("j", "complete"): 1, ("j", "dead"): 1}


async def test_a_worker_stopped_gracefully_has_counted_every_job(
    queue: ArqJobQueue, worker: WorkerHarness
) -> None:
    # An interval longer than the test: only the shutdown can write these counts.
    worker.start(WorkerOptions(pump=False, outcome_flush_seconds=3600))
    ids = [(await queue.enqueue(NOOP, {"n": i})).id for i in range(20)]
    for job_id in ids:
        await finished(queue, job_id)
    assert (NOOP, "complete") not in await queue.outcomes()
    for task, stop in worker.tasks:
        stop.set()
        await asyncio.wait_for(task, scaled(30))
    worker.tasks.clear()
    assert await queue.outcomes() == {(NOOP, "complete"): 20}
