"""Job tests: a real arq worker (in this process, or as a subprocess for the fault tests) on
the xdist worker's real Redis. Nothing is mocked but the platforms, which are replayed from
recorded responses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import JobInfo, JobState
from rapport.jobs.worker import WorkerOptions, run_worker
from rapport.settings import Settings
from tests.deadlines import scaled

FINAL = frozenset({JobState.COMPLETE, JobState.FAILED})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Fast retries and short timeouts, so failure paths finish in a test's time."""
    return Settings(
        job_max_tries=3,
        job_retry_base_seconds=0.01,
        job_timeout_seconds=20,
        worker_shutdown_seconds=2,
        upload_dir=str(tmp_path / "uploads"),
        webhook_allow_private=True,  # the receiver is on loopback (docs/security.md)
    )


@pytest.fixture
async def queue(redis_url: str) -> AsyncIterator[ArqJobQueue]:
    q = ArqJobQueue.from_url(redis_url)
    try:
        yield q
    finally:
        await q.aclose()


@dataclass
class WorkerHarness:
    """Starts in-process workers that stop (gracefully) at the end of the test."""

    redis_url: str
    settings: Settings
    tasks: list[tuple[asyncio.Task[None], asyncio.Event]]

    def start(self, options: WorkerOptions | None = None, **overrides: Any) -> None:
        import msgspec

        settings = msgspec.structs.replace(self.settings, **overrides)
        opts = options or WorkerOptions()
        opts.poll_delay = min(opts.poll_delay, 0.05)
        opts.pump_interval = min(opts.pump_interval, 0.1)
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_worker(settings, data_url=self.redis_url, options=opts, stop=stop)
        )
        self.tasks.append((task, stop))


@pytest.fixture
async def worker(redis_url: str, settings: Settings) -> AsyncIterator[WorkerHarness]:
    harness = WorkerHarness(redis_url, settings, [])
    try:
        yield harness
    finally:
        for _, stop in harness.tasks:
            stop.set()
        for task, _ in harness.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, scaled(30))


async def wait_for(
    check: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.05
) -> Any:
    """Poll `check` (sync or async) until it returns something truthy; fail after `timeout`.
    (A bound on waiting, not a timing assertion: a slow machine passes, only later.)"""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + scaled(timeout)
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {scaled(timeout):.0f} s")
        await asyncio.sleep(interval)


async def finished(queue: ArqJobQueue, job_id: str, timeout: float = 30.0) -> JobInfo:
    async def done() -> JobInfo | None:
        info = await queue.status(job_id)
        return info if info is not None and info.state in FINAL else None

    result: JobInfo = await wait_for(done, timeout=timeout)
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """arq's own `Worker.close` calls redis-py's deprecated `close()`: not ours to fix, and
    noise in every job test's report."""
    marker = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")
    for item in items:
        if "tests/jobs/" in item.nodeid or "tests/api/test_jobs" in item.nodeid:
            item.add_marker(marker)
