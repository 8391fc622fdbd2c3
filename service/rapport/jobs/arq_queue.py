"""The `JobQueue` seam on arq: the one module (with `worker`) that knows arq.

arq keeps a job as a msgpack map under `arq:job:<id>`, its place in the queue as a sorted-set
score (the time it is due, in ms), `arq:in-progress:<id>` while a worker runs it, the try
counter under `arq:retry:<id>` and the outcome under `arq:result:<id>` (kept for a day). This
module reads those through arq's own `Job`, and adds what arq lacks: a finished job id can be
queued again (one refresh per account *at a time*, not once a day), dead letters, and outcome
counts shared by every worker.

Outcome counts in a worker are batched (`outcome_flush_seconds`): one `HINCRBY` per job was a
Redis round trip per job, a fifth of a no-op job's cost (docs/jobs.md, Benchmark). A
`complete` is added in memory and written within the flush interval, together with every other
count pending, in one `MULTI`/`EXEC`; any other outcome (retried, deferred, dead: rare, and the
ones an operator alerts on) writes the batch at once. `aclose` writes what is pending, so a
graceful shutdown loses no count; a killed worker loses at most its last interval's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from arq.connections import ArqRedis
from arq.constants import (
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.jobs import Job, JobStatus, SerializationError
from redis.exceptions import RedisError

from rapport.jobs.outage import OutageLog
from rapport.jobs.queue import DeadLetter, Enqueued, JobInfo, JobState
from rapport.jobs.redis_url import queue_pool
from rapport.jobs.serialization import job_deserializer, job_serializer
from rapport.metric.decay import from_epoch
from rapport.storage import keys
from rapport.storage._redis import aw
from rapport.storage.records import decode, encode

__all__ = ["QUEUE_NAME", "ArqJobQueue", "connect"]

log = logging.getLogger("rapport.jobs")

#: The arq queue: a sorted set of job ids by due time (health-check key: `<name>:health-check`).
QUEUE_NAME = "rapport:queue"
_DEAD_LETTERS_KEPT = 1000


def connect(url: str) -> ArqRedis:
    """An arq pool on `url` (plain Redis or `redis+sentinel://`, see `redis_url`) that
    serialises with msgpack, never pickle."""
    pool = queue_pool(
        url, socket_timeout=10.0, socket_connect_timeout=5.0, health_check_interval=30
    )
    return ArqRedis(
        pool,
        job_serializer=job_serializer,
        job_deserializer=job_deserializer,
        default_queue_name=QUEUE_NAME,
    )


class ArqJobQueue:
    """`JobQueue` on an `ArqRedis` pool (from `connect`). Owns the pool unless told not to.

    With `outcome_flush_seconds` (the worker's), `complete` counts are batched as the module
    docstring says; without it (API, CLI, tests) every count is written at once."""

    def __init__(
        self,
        pool: ArqRedis,
        *,
        owns_pool: bool = True,
        outcome_flush_seconds: float | None = None,
    ) -> None:
        self.pool = pool
        self._owns_pool = owns_pool
        self._flush_seconds = outcome_flush_seconds
        #: Counts not yet in Redis, by hash field (`<job>:<outcome>`).
        self._pending: Counter[str] = Counter()
        self._flush_outage = OutageLog(log, "writing job outcome counts")
        self._timer: asyncio.TimerHandle | None = None
        #: Timer flushes under way: `aclose` waits for them before the pool goes.
        self._flushes: set[asyncio.Task[None]] = set()
        self._closed = False

    @classmethod
    def from_url(cls, url: str) -> ArqJobQueue:
        return cls(connect(url))

    async def enqueue(
        self,
        name: str,
        payload: Mapping[str, Any],
        *,
        job_id: str | None = None,
        defer_until: datetime | None = None,
    ) -> Enqueued:
        job = await self.pool.enqueue_job(
            name, _job_id=job_id, _defer_until=defer_until, **dict(payload)
        )
        if job is None and job_id is not None:
            # arq refuses an id while its job is queued, running *or* its result is kept.
            # A finished job does not block a new run: drop its result and queue again.
            queued = await self.pool.exists(job_key_prefix + job_id)
            finished = await self.pool.exists(result_key_prefix + job_id)
            if finished and not queued:
                await self.pool.delete(result_key_prefix + job_id)
                job = await self.pool.enqueue_job(
                    name, _job_id=job_id, _defer_until=defer_until, **dict(payload)
                )
        if job is None:
            assert job_id is not None  # arq only refuses a caller-chosen id
            return Enqueued(id=job_id, created=False)
        return Enqueued(id=job.job_id, created=True)

    async def status(self, job_id: str) -> JobInfo | None:
        job = Job(job_id, self.pool, _queue_name=QUEUE_NAME, _deserializer=job_deserializer)
        try:
            state = await job.status()
            if state is JobStatus.not_found:
                return None
            info = await job.info()
        except SerializationError:
            # Not a msgpack job (e.g. planted bytes): it belongs to no tenant.
            log.warning("job %s has an unreadable payload", job_id)
            return JobInfo(id=job_id, name="?", state=JobState.FAILED, tenant=None, tries=0)
        if info is None:
            return None
        kwargs = info.kwargs if isinstance(info.kwargs, dict) else {}
        tenant = kwargs.get("tenant")
        tries_raw = await self.pool.get(retry_key_prefix + job_id)
        tries = int(tries_raw) if tries_raw is not None else info.job_try or 0
        common: dict[str, Any] = {
            "id": job_id,
            "name": info.function,
            "tenant": tenant if isinstance(tenant, str) else None,
            "enqueued_at": info.enqueue_time,
        }
        result = await job.result_info()
        if result is not None:
            ok = bool(result.success)
            return JobInfo(
                **common,
                state=JobState.COMPLETE if ok else JobState.FAILED,
                tries=result.job_try or tries,
                finished_at=result.finish_time,
                result=result.result if ok else None,
                error=None if ok else str(result.result),
            )
        running = await self.pool.exists(in_progress_key_prefix + job_id)
        if running:
            mapped = JobState.RUNNING
        elif state is JobStatus.deferred:
            mapped = JobState.DEFERRED
        else:
            mapped = JobState.QUEUED
        run_at = None if info.score is None else from_epoch(info.score / 1000)
        return JobInfo(**common, state=mapped, tries=tries, run_at=run_at)

    async def depth(self) -> int:
        return int(await self.pool.zcard(QUEUE_NAME))

    async def add_dead_letter(self, letter: DeadLetter) -> None:
        key = keys.dead_letters(letter.tenant)
        await aw(self.pool.hset(key, mapping={letter.id: encode(letter)}))
        if await aw(self.pool.hlen(key)) > _DEAD_LETTERS_KEPT:
            oldest = sorted(await self._letters(letter.tenant), key=lambda d: d.failed_at)
            drop = [d.id for d in oldest[: len(oldest) - _DEAD_LETTERS_KEPT]]
            if drop:
                await aw(self.pool.hdel(key, *drop))

    async def has_dead_letter(self, tenant: str, letter_id: str) -> bool:
        return bool(await aw(self.pool.hexists(keys.dead_letters(tenant), letter_id)))

    async def _letters(self, tenant: str) -> list[DeadLetter]:
        raws = await aw(self.pool.hvals(keys.dead_letters(tenant)))
        return [decode(raw, DeadLetter) for raw in raws]

    async def dead_letters(self, tenant: str, *, limit: int = 100) -> list[DeadLetter]:
        letters = await self._letters(tenant)
        letters.sort(key=lambda d: (d.failed_at, d.id), reverse=True)
        return letters[:limit]

    async def count_outcome(self, name: str, outcome: str) -> None:
        self._pending[f"{name}:{outcome}"] += 1
        if self._flush_seconds is None or outcome != "complete" or self._closed:
            await self.flush_outcomes()
        else:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        """One timer per batch: the first pending count starts it, its flush takes them all."""
        if self._timer is None and not self._closed and self._flush_seconds is not None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._flush_seconds, self._start_timed_flush)

    def _start_timed_flush(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self._timed_flush())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _timed_flush(self) -> None:
        try:
            await self.flush_outcomes()
            self._flush_outage.succeeded()
        except (RedisError, OSError) as exc:  # kept pending, tried again next interval
            self._flush_outage.failed(exc)

    async def flush_outcomes(self) -> None:
        """Write the pending counts in one transaction. When Redis fails they stay pending
        (and the timer is set again) and the error is raised: a count is lost only if the
        transaction ran but its reply did not arrive (then it is counted twice)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, Counter()
        try:
            async with self.pool.pipeline(transaction=True) as pipe:
                for field, count in pending.items():
                    pipe.hincrby(keys.job_outcomes(), field, count)
                await pipe.execute()
        except BaseException:
            self._pending.update(pending)
            self._schedule_flush()
            raise

    async def outcomes(self) -> dict[tuple[str, str], int]:
        raw = await aw(self.pool.hgetall(keys.job_outcomes()))
        counts: dict[tuple[str, str], int] = {}
        for field, value in raw.items():
            name, _, outcome = field.decode().rpartition(":")
            counts[(name, outcome)] = int(value)
        return counts

    async def aclose(self) -> None:
        """Write the pending outcome counts (raises if Redis is gone: they are lost then, and
        the pool is still closed), then close the pool if this queue owns it."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            if self._flushes:
                await asyncio.gather(*self._flushes, return_exceptions=True)
            await self.flush_outcomes()
        finally:
            if self._owns_pool:
                await self.pool.aclose()
