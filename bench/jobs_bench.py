"""Background jobs throughput, each figure with a baseline measured in the same run.

    python bench/jobs_bench.py [--noop 3000] [--refresh 150] [--events 200000] [--batch 20000]

Everything runs on loopback against a private, real `redis-server` (AOF on, fsync every
second: what a deployment would run) started for the run; the X platform is replayed from the
connector's recorded responses through `httpx.MockTransport`. One worker process (this one),
`RAPPORT_WORKER_MAX_JOBS` = 50. Prints:

- no-op jobs/s through Rapport's worker (msgpack, the retry/dead-letter wrapper, outcome
  counts), and its ratio to bare arq (msgpack, a bare coroutine) on the same Redis, both polling
  every 10 ms with 50 jobs at a time;
- the same through a worker as deployed (default `Settings`: 10 jobs at a time, the default
  poll interval, the delivery pump on), against the same bare arq figure;
- account refreshes/s (each reads ~10 pages of @Twitter's recorded timeline, mentions,
  messages and follow lists, ingests, scores), and the ratio to the same refresh called
  directly in a loop, without the queue;
- events/s ingested and persisted per worker: a job folding a batch of events into Redis (the
  storage path every job uses: de-duplication, aggregates, raw events, one transaction per
  account), and the ratio to a raw pipeline writing one sorted-set member per event (the
  least Redis work an event can cost).

Targets (issue 5): >= 1,000 jobs/s and >= 50,000 persisted events/s per worker on 2 cores.
Absolute numbers move with the machine; compare the ratios between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from arq.worker import Worker, func

from rapport.jobs.arq_queue import ArqJobQueue, connect
from rapport.jobs.context import JobContext
from rapport.jobs.queue import NOOP, REFRESH
from rapport.jobs.refresh import RefreshPayload, refresh_account
from rapport.jobs.runner import JobSpec
from rapport.jobs.serialization import job_deserializer, job_serializer
from rapport.jobs.worker import WorkerOptions, create_worker
from rapport.metric import MetricConfig
from rapport.model import Direction, Interaction, Kind
from rapport.plugins.http import PlatformHttp
from rapport.redis_launcher import RedisServer
from rapport.settings import Settings
from rapport.storage.ingest import ingest
from tests.connectors.twitter.replay import full_replay
from tests.jobs.helpers import HANDLE, TOKEN, twitter_registry

ENV = {"RAPPORT_TWITTER_BASE_URL": "http://127.0.0.1:9", "RAPPORT_TWITTER_TOKEN": TOKEN}
KINDS = [Kind.LIKE, Kind.REPLY, Kind.MESSAGE, Kind.MENTION, Kind.REPOST]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def events(count: int, accounts: int, counterparts: int) -> list[Interaction]:
    return [
        Interaction(
            platform="bench",
            ego=f"ego{i % accounts}",
            counterpart=f"friend{(i * 7919) % counterparts}",
            direction=Direction.OUT if i % 3 else Direction.IN,
            kind=KINDS[i % len(KINDS)],
            at=T0 + timedelta(seconds=i * 37),
            event_id=f"e{i}",
            text_len=80,
        )
        for i in range(count)
    ]


class IngestPayload(msgspec.Struct, kw_only=True):
    tenant: str
    start: int
    count: int


async def _drain(worker: Worker) -> float:
    started = time.perf_counter()
    await worker.async_run()
    elapsed = time.perf_counter() - started
    await worker.close()
    return elapsed


async def noop_rapport(url: str, settings: Settings, n: int) -> float:
    queue = ArqJobQueue.from_url(url)
    for i in range(n):
        await queue.enqueue(NOOP, {"n": i})
    await queue.aclose()
    worker = create_worker(
        settings,
        data_url=url,
        options=WorkerOptions(burst=True, pump=False, poll_delay=0.01),
        handle_signals=False,
    )
    return n / await _drain(worker)


async def noop_deployed(url: str, n: int) -> float:
    queue = ArqJobQueue.from_url(url)
    for i in range(n):
        await queue.enqueue(NOOP, {"n": i})
    await queue.aclose()
    worker = create_worker(
        Settings(), data_url=url, options=WorkerOptions(burst=True), handle_signals=False
    )
    return n / await _drain(worker)


async def _bare(ctx: dict[str, Any], n: int) -> int:
    return n


async def noop_bare_arq(url: str, n: int) -> float:
    pool = connect(url)
    for i in range(n):
        await pool.enqueue_job("bare", i)
    worker = Worker(
        functions=[func(_bare, name="bare")],
        redis_pool=connect(url),
        queue_name="rapport:queue",
        burst=True,
        max_jobs=50,
        poll_delay=0.01,
        handle_signals=False,
        job_serializer=job_serializer,
        job_deserializer=job_deserializer,
    )
    await pool.aclose()
    return n / await _drain(worker)


async def refresh_queued(url: str, settings: Settings, n: int) -> float:
    queue = ArqJobQueue.from_url(url)
    for i in range(n):
        payload = {"tenant": f"t{i}", "platform": "twitter", "account": HANDLE}
        await queue.enqueue(REFRESH, payload)
    await queue.aclose()
    worker = create_worker(
        settings,
        data_url=url,
        options=WorkerOptions(
            burst=True,
            pump=False,
            poll_delay=0.01,
            registry=twitter_registry(),
            platform_transport=httpx.MockTransport(full_replay()),
            environ=ENV,
        ),
        handle_signals=False,
    )
    return n / await _drain(worker)


async def refresh_direct(url: str, settings: Settings, n: int) -> float:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    queue = ArqJobQueue.from_url(url)
    jc = JobContext(
        settings=settings,
        redis=redis,
        queue=queue,
        registry=twitter_registry(),
        http=PlatformHttp(transport=httpx.MockTransport(full_replay())),
        webhooks=httpx.AsyncClient(),
        environ=ENV,
    )
    started = time.perf_counter()
    for i in range(n):
        await refresh_account(
            jc, RefreshPayload(tenant=f"d{i}", platform="twitter", account=HANDLE)
        )
    elapsed = time.perf_counter() - started
    await jc.http.aclose()
    await jc.webhooks.aclose()
    await queue.aclose()
    await redis.aclose()
    return n / elapsed


async def ingest_in_worker(url: str, settings: Settings, total: int, batch: int) -> float:
    data = events(total, accounts=20, counterparts=2000)
    config = MetricConfig()

    async def run(jc: JobContext, p: IngestPayload) -> int:
        result = await ingest(
            jc.redis,
            p.tenant,
            data[p.start : p.start + p.count],
            now=T0.timestamp() + 86400 * 365,
            config=config,
            max_ids=settings.dedup_max_ids,
            events_retention_days=3650,
        )
        return result.accepted

    spec = JobSpec(name="bench_ingest", payload=IngestPayload, run=run)
    queue = ArqJobQueue.from_url(url)
    for start in range(0, total, batch):
        await queue.enqueue("bench_ingest", {"tenant": "bench", "start": start, "count": batch})
    await queue.aclose()
    worker = create_worker(
        settings,
        data_url=url,
        options=WorkerOptions(burst=True, pump=False, poll_delay=0.01, extra_specs=[spec]),
        handle_signals=False,
    )
    return total / await _drain(worker)


async def raw_pipeline(url: str, total: int, batch: int) -> float:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    started = time.perf_counter()
    for start in range(0, total, batch):
        async with redis.pipeline(transaction=False) as pipe:
            pipe.zadd("bench:raw", {f"e{i}": float(i) for i in range(start, start + batch)})
            await pipe.execute()
    elapsed = time.perf_counter() - started
    await redis.aclose()
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--noop", type=int, default=3000, help="no-op jobs")
    parser.add_argument("--refresh", type=int, default=150, help="account refreshes")
    parser.add_argument("--events", type=int, default=200_000, help="events to ingest")
    parser.add_argument("--batch", type=int, default=20_000, help="events per ingest job")
    args = parser.parse_args()
    settings = Settings(worker_max_jobs=50, job_timeout_seconds=600)
    import logging

    logging.getLogger("arq").setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory() as tmp, RedisServer(tmp, appendonly=True) as server:
        url = server.url

        def fresh() -> None:
            import redis as redis_sync

            client = redis_sync.Redis.from_url(url)
            client.flushall()
            client.close()

        results: list[tuple[str, float, str, float]] = []
        fresh()
        bare = asyncio.run(noop_bare_arq(url, args.noop))
        fresh()
        ours = asyncio.run(noop_rapport(url, settings, args.noop))
        results.append(("no-op jobs/s", ours, "bare arq no-op jobs/s", bare))
        fresh()
        deployed = asyncio.run(noop_deployed(url, args.noop))
        results.append(("deployed no-op jobs/s", deployed, "bare arq no-op jobs/s", bare))
        fresh()
        direct = asyncio.run(refresh_direct(url, settings, args.refresh))
        fresh()
        queued = asyncio.run(refresh_queued(url, settings, args.refresh))
        results.append(("refresh jobs/s", queued, "direct refresh calls/s", direct))
        fresh()
        raw = asyncio.run(raw_pipeline(url, args.events, args.batch))
        fresh()
        persisted = asyncio.run(ingest_in_worker(url, settings, args.events, args.batch))
        results.append(("persisted events/s", persisted, "raw ZADD pipeline events/s", raw))

    print(f"jobs bench: {args.noop} no-op jobs, {args.refresh} refreshes, {args.events} events")
    for name, value, base_name, base in results:
        print(f"  {name:<20} {value:>12,.0f}   baseline {base_name}: {base:,.0f}")
        print(f"  {'':<20} ratio to baseline: {value / base:.2f}")


if __name__ == "__main__":
    main()
