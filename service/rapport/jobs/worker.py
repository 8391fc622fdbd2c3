"""The arq worker as deployed, built from `Settings` (arq's `WorkerSettings`, as a dict).

Jobs: `refresh_account`, `ingest_archive`, `deliver_webhook`, `rescore_due` (also a cron job
every ten minutes, unique across workers) and `noop` (for benchmarks and smoke tests). Besides
the jobs, each worker runs the webhook delivery pump (`rapport.jobs.delivery`).

Lifecycle: `on_startup` opens the data Redis, the connector registry, the shared platform HTTP
client and the webhook client; `on_shutdown` closes them. On SIGTERM/SIGINT the worker stops
taking jobs, lets running ones finish for `RAPPORT_WORKER_SHUTDOWN_SECONDS`, then cancels the
rest (arq queues a cancelled job again), and then writes its pending outcome counts (batched
every `OUTCOME_FLUSH_SECONDS`, see `arq_queue`). It writes its health-check key every 30 s.
When Redis goes away, `run_worker` restarts the worker once Redis answers again rather than
exiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
from arq.cron import cron
from arq.worker import Worker
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rapport.jobs import archive, delivery, refresh, rescore
from rapport.jobs.arq_queue import QUEUE_NAME, ArqJobQueue, connect
from rapport.jobs.context import JobContext
from rapport.jobs.queue import NOOP
from rapport.jobs.redis_url import queue_pool
from rapport.jobs.runner import (
    RATE_LIMIT_EXTRA_TRIES,
    RESULT_TTL_SECONDS,
    JobSpec,
    arq_function,
    execute,
)
from rapport.jobs.serialization import job_deserializer, job_serializer
from rapport.metric import MetricConfig
from rapport.plugins.host import ConnectorRegistry, load_connectors
from rapport.plugins.http import PlatformHttp
from rapport.settings import Settings
from rapport.webhook_targets import guarded_transport

__all__ = [
    "HEALTH_CHECK_SECONDS",
    "OUTCOME_FLUSH_SECONDS",
    "POLL_SECONDS",
    "SPECS",
    "WorkerOptions",
    "create_worker",
    "retry_delay",
    "run_worker",
    "worker_settings",
]

log = logging.getLogger("rapport.jobs")

HEALTH_CHECK_SECONDS = 30
#: How stale a worker's `complete` counts in `/metrics` may be. Far below any scrape interval,
#: and below the half second `bench/soak.py` waits for the counts to settle; at 1,000 jobs/s
#: it is 5 writes a second instead of 1,000.
OUTCOME_FLUSH_SECONDS = 0.2
#: How long the worker sleeps between reads of the queue. arq reads at most
#: `max(5 * max_jobs, 100)` due jobs per read and then sleeps this long (minus the read's
#: time), so it also caps throughput: at arq's default of 0.5 s a worker ran at most ~200 no-op
#: jobs/s however long its queue (docs/jobs.md, Benchmark). An idle worker pays one
#: `ZRANGEBYSCORE` per poll (20/s), and a new job waits at most this long to start.
POLL_SECONDS = 0.05
RESCORE_MINUTES = frozenset(range(0, 60, 10))


class NoopPayload(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    tenant: str | None = None
    n: int = 0


async def _noop(_jc: JobContext, p: NoopPayload) -> int:
    return p.n


NOOP_SPEC = JobSpec(name=NOOP, payload=NoopPayload, run=_noop)
SPECS: tuple[JobSpec[Any], ...] = (
    refresh.SPEC,
    archive.SPEC,
    delivery.SPEC,
    rescore.SPEC,
    NOOP_SPEC,
)


@dataclass
class WorkerOptions:
    """What tests and benchmarks inject; a deployed worker uses the defaults."""

    registry: ConnectorRegistry | None = None
    platform_transport: httpx.AsyncBaseTransport | None = None
    webhook_transport: httpx.AsyncBaseTransport | None = None
    config: MetricConfig = field(default_factory=MetricConfig)
    clock: Callable[[], float] = time.time
    environ: Mapping[str, str] | None = None
    extra_specs: Sequence[JobSpec[Any]] = ()
    poll_delay: float = POLL_SECONDS
    burst: bool = False
    pump: bool = True
    pump_interval: float = 0.5
    outcome_flush_seconds: float = OUTCOME_FLUSH_SECONDS


def _urls(settings: Settings, data_url: str | None, queue_url: str | None) -> tuple[str, str]:
    data = data_url or settings.redis_url
    if data is None:
        raise ValueError("no Redis: set RAPPORT_REDIS_URL")
    return data, queue_url or settings.queue_redis_url or data


def worker_settings(
    settings: Settings,
    *,
    data_url: str | None = None,
    queue_url: str | None = None,
    options: WorkerOptions | None = None,
    handle_signals: bool = True,
) -> dict[str, Any]:
    """arq `Worker` keyword arguments (`WorkerSettings`) for this deployment."""
    opts = options or WorkerOptions()
    data, queue = _urls(settings, data_url, queue_url)
    specs = [*SPECS, *opts.extra_specs]

    async def on_startup(ctx: dict[str, Any]) -> None:
        environ = dict(os.environ if opts.environ is None else opts.environ)
        jc = JobContext(
            settings=settings,
            redis=Redis.from_url(data, socket_timeout=10.0, socket_connect_timeout=5.0),
            queue=ArqJobQueue(
                ctx["redis"], owns_pool=False, outcome_flush_seconds=opts.outcome_flush_seconds
            ),
            registry=opts.registry or load_connectors(settings),
            http=PlatformHttp(transport=opts.platform_transport),
            webhooks=httpx.AsyncClient(
                transport=opts.webhook_transport or guarded_transport(settings),
                follow_redirects=False,
                timeout=settings.webhook_timeout_seconds,
                headers={"User-Agent": "rapport-webhooks"},
            ),
            config=opts.config,
            clock=opts.clock,
            environ=environ,
        )
        ctx["rapport"] = jc
        if opts.pump:
            stop = ctx["pump_stop"] = asyncio.Event()
            ctx["pump"] = asyncio.create_task(
                delivery.pump_forever(jc, interval=opts.pump_interval, stop=stop)
            )

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        pump = ctx.pop("pump", None)
        if pump is not None:
            ctx.pop("pump_stop").set()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(pump, 10)
        jc: JobContext | None = ctx.pop("rapport", None)
        if jc is not None:
            try:  # the jobs are done (arq waited for them): their counts are all pending
                await jc.queue.aclose()
            except (RedisError, OSError) as exc:
                log.warning("job outcome counts lost, Redis gone: %s", type(exc).__name__)
            await jc.http.aclose()
            await jc.webhooks.aclose()
            await jc.redis.aclose()

    async def rescore_cron(ctx: dict[str, Any]) -> Any:
        return await execute(rescore.SPEC, ctx["rapport"], ctx["job_id"], ctx["job_try"], {})

    return {
        "functions": [arq_function(spec, settings) for spec in specs],
        "cron_jobs": [
            cron(
                rescore_cron,
                name="rescore",
                minute=set(RESCORE_MINUTES),
                second=0,
                unique=True,
                timeout=settings.job_timeout_seconds,
            )
        ],
        "redis_pool": connect(queue),
        "queue_name": QUEUE_NAME,
        "max_jobs": settings.worker_max_jobs,
        "job_timeout": settings.job_timeout_seconds + 5,
        "keep_result": RESULT_TTL_SECONDS,
        "max_tries": settings.job_max_tries + RATE_LIMIT_EXTRA_TRIES,
        "health_check_interval": HEALTH_CHECK_SECONDS,
        "job_serializer": job_serializer,
        "job_deserializer": job_deserializer,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "handle_signals": handle_signals,
        "job_completion_wait": settings.worker_shutdown_seconds,
        "retry_jobs": True,
        "poll_delay": opts.poll_delay,
        "burst": opts.burst,
    }


def create_worker(
    settings: Settings,
    *,
    data_url: str | None = None,
    queue_url: str | None = None,
    options: WorkerOptions | None = None,
    handle_signals: bool = True,
) -> Worker:
    """An arq `Worker` (call inside a running event loop)."""
    return Worker(
        **worker_settings(
            settings,
            data_url=data_url,
            queue_url=queue_url,
            options=options,
            handle_signals=handle_signals,
        )
    )


async def _close(worker: Worker) -> None:
    try:
        await worker.close()
    except (RedisError, OSError) as exc:  # Redis gone: nothing left to tidy there
        log.warning("worker closed without Redis: %s", type(exc).__name__)


async def run_worker(
    settings: Settings,
    *,
    data_url: str | None = None,
    queue_url: str | None = None,
    options: WorkerOptions | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run a worker until SIGTERM/SIGINT (or until `stop` is set, when given: then the caller
    owns the signals, as `rapport up` does). Restarts it after a Redis outage.

    Signals are always handled here, never by arq: arq cancels its main task once, and a
    cancellation can be lost inside a Redis call (asyncio.timeout in Python 3.11 turns a cancel
    that lands as a read times out into a TimeoutError, which redis-py retries). The worker then
    polled on and its process never exited (seen under load: `rapport up` hung on Ctrl-C). So
    after arq's own graceful stop, the main task is cancelled again until it ends."""
    loop = asyncio.get_running_loop()
    signals: tuple[signal.Signals, ...] = ()
    if stop is None:
        stop = asyncio.Event()
        signals = (signal.SIGINT, signal.SIGTERM)
        for sig in signals:
            loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.Event()
    try:
        while not stopping.is_set():
            worker = create_worker(
                settings,
                data_url=data_url,
                queue_url=queue_url,
                options=options,
                handle_signals=False,
            )
            worker.on_stop = lambda _sig: stopping.set()
            watcher = asyncio.create_task(_stop_when(stop, stopping, worker, settings))
            lost: RedisError | OSError | None = None
            try:
                await worker.async_run()
                if options is not None and options.burst:
                    stopping.set()
            except asyncio.CancelledError:
                if not stopping.is_set():
                    raise
            except (RedisError, OSError) as exc:
                lost = exc
            finally:
                watcher.cancel()
                if lost is not None:
                    # arq's close() reports itself as a stop (on_stop(SIGUSR1)): this one is not
                    worker.on_stop = None
                await _close(worker)
            if lost is not None and not stopping.is_set():
                data, queue = _urls(settings, data_url, queue_url)
                await _wait_for_redis(lost, (data, queue), stop)
            if stop.is_set():
                break  # stopped while waiting for Redis: no worker to stop
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


#: Waits between tries to reach Redis again after an outage: doubled from the first, capped.
_RETRY_FIRST_SECONDS = 1.0
_RETRY_MAX_SECONDS = 30.0


def retry_delay(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before try `attempt` (1-based) to reach Redis again: exponential, capped at
    `_RETRY_MAX_SECONDS`, with "equal jitter" (half fixed, half random) so that the workers of a
    deployment, all cut off by the same outage, do not all knock at once when it ends."""
    delay = min(_RETRY_MAX_SECONDS, _RETRY_FIRST_SECONDS * 2.0 ** max(0, attempt - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


async def _redis_answers(urls: tuple[str, str]) -> bool:
    """Whether the data Redis and the queue Redis (one, when they are the same) answer a PING."""
    for url in dict.fromkeys(urls):
        client = Redis(
            connection_pool=queue_pool(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        )
        try:
            await client.ping()
        except (RedisError, OSError):
            return False
        finally:
            with contextlib.suppress(RedisError, OSError):
                await client.aclose(close_connection_pool=True)
    return True


async def _wait_for_redis(lost: BaseException, urls: tuple[str, str], stop: asyncio.Event) -> None:
    """Wait until Redis answers again (or `stop` is set), trying with `retry_delay` back-off.
    One warning when the outage starts and one line when it ends, not one per try (issue 18:
    a worker retrying every second wrote 238 lines in a 47 s outage)."""
    started = time.monotonic()
    log.warning(
        "worker lost Redis (%s: %s); retrying with back-off (at most every %.0fs)",
        type(lost).__name__,
        lost,
        _RETRY_MAX_SECONDS,
    )
    attempt = 0
    while True:
        attempt += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), retry_delay(attempt))
        if stop.is_set():
            return
        if await _redis_answers(urls):
            log.warning(
                "Redis answers again after %.0fs (%d tries); worker restarting",
                time.monotonic() - started,
                attempt,
            )
            return


#: How often a stopping worker's main task is cancelled again once arq's grace has passed.
_RECANCEL_SECONDS = 1.0


async def _stop_when(
    stop: asyncio.Event, stopping: asyncio.Event, worker: Worker, settings: Settings
) -> None:
    """Once `stop` is set: arq's graceful stop (no new jobs, running ones get
    `worker_shutdown_seconds`, then cancelled), then cancel the main task until it ends."""
    await stop.wait()
    stopping.set()
    worker.handle_sig_wait_for_completion(signal.SIGTERM)
    await asyncio.sleep(settings.worker_shutdown_seconds + _RECANCEL_SECONDS)
    while worker.main_task is not None and not worker.main_task.done():
        log.warning("worker still running after its stop; cancelling it again")
        worker.main_task.cancel()
        await asyncio.sleep(_RECANCEL_SECONDS)
