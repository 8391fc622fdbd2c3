"""`rapport worker` through Redis outages (issue 18: it retried every second with no back-off,
238 log lines in a 47 s outage): a Redis down at start and a Redis stopped and restarted under
it. It keeps running, tries again with exponential back-off and jitter (capped), says so once
per outage and once on recovery, and takes jobs again afterwards."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import NOOP, JobState
from rapport.jobs.worker import retry_delay
from rapport.redis_launcher import RedisServer, free_port
from tests.children import kill_group, popen
from tests.deadlines import scaled

RAPPORT = str(Path(sys.executable).with_name("rapport"))
LOST = "worker lost Redis"
BACK = "Redis answers again"
#: How long each outage of the test lasts: long enough for a retry every second to show as
#: many log lines. A length of the scenario, not a bound on anything.
OUTAGE_SECONDS = 8.0


def test_retry_delay_doubles_with_jitter_up_to_its_cap() -> None:
    rng = random.Random(18)
    for attempt in range(1, 12):
        nominal = min(30.0, 2.0 ** (attempt - 1))
        delays = [retry_delay(attempt, rng) for _ in range(200)]
        assert all(nominal / 2 <= d <= nominal for d in delays), attempt
        assert len(set(delays)) > 1  # jittered: workers cut off together spread out
    assert max(retry_delay(50, rng) for _ in range(200)) <= 30.0


def _run_noop(url: str, log: Path, process: subprocess.Popen[bytes]) -> None:
    """Queue a job and wait until the worker completes it."""

    async def go() -> None:
        queue = ArqJobQueue.from_url(url)
        try:
            job_id = (await queue.enqueue(NOOP, {"n": 1})).id
            deadline = time.monotonic() + scaled(90)  # bounds a hung worker only
            while True:
                assert process.poll() is None, log.read_text()[-3000:]
                info = await queue.status(job_id)
                if info is not None and info.state == JobState.COMPLETE:
                    return
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                await asyncio.sleep(0.2)
        finally:
            await queue.aclose()

    asyncio.run(go())


def _wait_for_line(log: Path, text: str, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + scaled(60)
    while log.read_text().count(text) < count:
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"no {text!r} #{count}:\n{log.read_text()[-3000:]}"
        time.sleep(0.1)


def test_worker_rides_out_outages_with_one_line_each_way(tmp_path: Path) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_REDIS_URL": url, "RAPPORT_WORKER_SHUTDOWN_SECONDS": "1"}
    log = tmp_path / "worker.log"
    server = RedisServer(tmp_path / "redis", port=port)
    with log.open("wb") as out:
        process = popen([RAPPORT, "worker"], env=env, stdout=out, stderr=out)
    try:
        # 1. Redis down at start: the worker waits for it instead of exiting
        _wait_for_line(log, LOST, 1, process)
        time.sleep(OUTAGE_SECONDS)
        server.start()
        _run_noop(url, log, process)
        _wait_for_line(log, BACK, 1, process)
        # 2. Redis stopped under a running worker, then restarted
        server.stop()
        _wait_for_line(log, LOST, 2, process)
        time.sleep(OUTAGE_SECONDS)
        server = RedisServer(tmp_path / "redis", port=port)
        server.start()
        _run_noop(url, log, process)
        _wait_for_line(log, BACK, 2, process)

        text = log.read_text()
        assert text.count(LOST) == 2, text  # one per outage, not one per try
        assert text.count(BACK) == 2, text
        # one worker per Redis episode (start, after each outage): not one restart per try
        assert text.count("Starting worker for") == 3, text
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=scaled(60))
        assert process.returncode in {0, -signal.SIGTERM}, text
    finally:
        kill_group(process)
        server.stop()
