"""The worker as deployed: its settings (msgpack, health check, tries), graceful shutdown, and
`rapport worker`'s one-line error without Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.context import JobContext
from rapport.jobs.queue import JobState
from rapport.jobs.runner import RATE_LIMIT_EXTRA_TRIES, JobSpec
from rapport.jobs.serialization import job_deserializer, job_serializer
from rapport.jobs.worker import (
    WorkerOptions,
    _stop_when,
    create_worker,
    run_worker,
    worker_settings,
)
from rapport.settings import Settings
from tests.children import child
from tests.deadlines import scaled, wait_until
from tests.jobs.conftest import finished, wait_for

RAPPORT = str(Path(sys.executable).with_name("rapport"))


def test_worker_settings_come_from_settings_and_never_pickle() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1/0", job_max_tries=4, worker_max_jobs=7)
    ws = worker_settings(settings)
    assert ws["job_serializer"] is job_serializer
    assert ws["job_deserializer"] is job_deserializer
    assert ws["redis_pool"].job_serializer is job_serializer  # the pool enqueues msgpack too
    assert ws["redis_pool"].job_deserializer is job_deserializer
    assert ws["health_check_interval"] == 30
    assert ws["max_jobs"] == 7
    assert ws["max_tries"] == 4 + RATE_LIMIT_EXTRA_TRIES
    names = {f.name for f in ws["functions"]}
    assert names == {
        "refresh_account",
        "ingest_archive",
        "deliver_webhook",
        "rescore_due",
        "noop",
    }
    assert [c.name for c in ws["cron_jobs"]] == ["rescore"]


class SlowPayload(msgspec.Struct, kw_only=True):
    tenant: str
    seconds: float


async def _slow(jc: JobContext, p: SlowPayload) -> str:
    await asyncio.sleep(p.seconds)
    return "finished"


@pytest.mark.anyio
async def test_a_stopping_worker_lets_its_running_job_finish(
    redis_url: str, queue: ArqJobQueue, settings: Settings
) -> None:
    spec = JobSpec(name="slow", payload=SlowPayload, run=_slow)
    stop = asyncio.Event()
    options = WorkerOptions(extra_specs=[spec], poll_delay=0.05, pump=False)
    graceful = msgspec.structs.replace(settings, worker_shutdown_seconds=20)
    task = asyncio.create_task(run_worker(graceful, data_url=redis_url, options=options, stop=stop))
    await queue.enqueue("slow", {"tenant": "acme", "seconds": 1.0}, job_id="slow")

    async def running() -> bool:
        info = await queue.status("slow")
        return info is not None and info.state is JobState.RUNNING

    await wait_for(running)
    stop.set()
    await asyncio.wait_for(task, scaled(30))  # the worker returned...
    info = await finished(queue, "slow", timeout=5)  # ...after the job completed
    assert (info.state, info.result) == (JobState.COMPLETE, "finished")


def test_rapport_worker_without_redis_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """Neither RAPPORT_REDIS_URL nor a `rapport up`: one line that gives both ways."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["RAPPORT_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [RAPPORT, "worker"], capture_output=True, text=True, env=env, timeout=scaled(60)
    )
    assert result.returncode == 2
    assert result.stderr == (
        "rapport: error: no Redis: set RAPPORT_REDIS_URL (e.g. redis://localhost:6379/0) or "
        f"start `rapport up` (no `rapport up` is running with data dir {tmp_path})\n"
    )


@pytest.mark.anyio
async def test_a_stop_reaches_a_worker_that_lost_arqs_one_cancellation(
    redis_url: str, settings: Settings
) -> None:
    """arq cancels its main task once; under load that cancellation was lost inside a Redis
    call and `rapport up` never exited on Ctrl-C. The stop cancels until the task ends."""
    worker = create_worker(
        msgspec.structs.replace(settings, worker_shutdown_seconds=0),
        data_url=redis_url,
        handle_signals=False,
    )
    cancels = 0

    async def loses_the_first_cancel() -> None:
        nonlocal cancels
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancels += 1
                if cancels > 1:
                    raise

    worker.main_task = asyncio.create_task(loses_the_first_cancel())
    stop, stopping = asyncio.Event(), asyncio.Event()
    stopper = asyncio.create_task(_stop_when(stop, stopping, worker, settings))
    stop.set()
    try:
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(worker.main_task, scaled(30))
        assert cancels == 2
        assert stopping.is_set()
    finally:
        stopper.cancel()
        await worker.close()


def test_rapport_worker_exits_0_on_sigterm_soon_after_start(redis_url: str, tmp_path: Path) -> None:
    """SIGTERM while the worker is still starting (where the lost cancellation was seen)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_REDIS_URL": redis_url, "RAPPORT_WORKER_SHUTDOWN_SECONDS": "1"}
    log = tmp_path / "worker.log"
    with log.open("wb") as out, child([RAPPORT, "worker"], env=env, stderr=out) as process:
        wait_until(lambda: b"Starting worker" in log.read_bytes(), "the worker starts")
        process.send_signal(signal.SIGTERM)
        assert process.wait(scaled(60)) == 0, log.read_text()
