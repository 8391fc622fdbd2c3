"""Failure paths: a job that always fails ends in the dead-letter set after its tries, a payload
of the wrong shape is a dead letter at once, and a pickle planted in the queue is never run."""

from __future__ import annotations

import pickle
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest
from redis.asyncio import Redis

from rapport.jobs.arq_queue import QUEUE_NAME, ArqJobQueue
from rapport.jobs.context import JobContext
from rapport.jobs.queue import NOOP, REFRESH, JobState
from rapport.jobs.runner import JobSpec
from rapport.jobs.worker import WorkerOptions
from tests.jobs.conftest import WorkerHarness, finished, wait_for

pytestmark = pytest.mark.anyio

RUNS: list[int] = []


class FlakyPayload(msgspec.Struct, kw_only=True):
    tenant: str
    what: str


async def _always_fails(jc: JobContext, p: FlakyPayload) -> None:
    RUNS.append(1)
    raise RuntimeError(f"{p.what} is broken")


ALWAYS_FAILS = JobSpec(
    name="always_fails",
    payload=FlakyPayload,
    run=_always_fails,
    subject=lambda p: {"what": p.what},
)


async def test_a_job_that_always_fails_ends_in_the_dead_letter_set(
    queue: ArqJobQueue, worker: WorkerHarness
) -> None:
    RUNS.clear()
    worker.start(WorkerOptions(extra_specs=[ALWAYS_FAILS]), job_max_tries=3)
    await queue.enqueue("always_fails", {"tenant": "acme", "what": "the printer"}, job_id="af")
    info = await finished(queue, "af")
    assert info.state is JobState.FAILED
    assert "the printer is broken" in (info.error or "")
    assert len(RUNS) == 3
    letters = await queue.dead_letters("acme")
    assert [(d.id, d.name, d.tries) for d in letters] == [("af", "always_fails", 3)]
    assert letters[0].reason == "RuntimeError: the printer is broken"
    assert letters[0].subject == {"what": "the printer"}
    assert await queue.dead_letters("rival") == []
    outcomes = await queue.outcomes()
    assert outcomes[("always_fails", "retried")] == 2
    assert outcomes[("always_fails", "dead")] == 1


async def test_a_payload_of_the_wrong_shape_is_a_dead_letter_at_once(
    queue: ArqJobQueue, worker: WorkerHarness
) -> None:
    worker.start()
    await queue.enqueue(REFRESH, {"tenant": "acme", "platform": 7}, job_id="bad")
    info = await finished(queue, "bad")
    assert info.state is JobState.FAILED
    (letter,) = await queue.dead_letters("acme")
    assert letter.tries == 1
    assert letter.reason.startswith("invalid payload")


class _Exploit:
    """Unpickling this creates `marker`: the proof a pickle would have run code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def _planted(marker: Path) -> bytes:
    job = {"t": 1, "f": NOOP, "a": [], "k": {"tenant": "acme", "n": _Exploit(marker)}, "et": 1}
    return pickle.dumps(job)


async def test_a_pickle_planted_in_the_queue_is_rejected_and_never_executed(
    tmp_path: Path, queue: ArqJobQueue, worker: WorkerHarness, redis: Redis
) -> None:
    # The exploit is live: unpickling a twin of the payload does create its marker.
    twin = tmp_path / "twin-was-unpickled"
    pickle.loads(_planted(twin))
    assert twin.exists()

    marker = tmp_path / "worker-unpickled"
    await redis.set("arq:job:planted", _planted(marker))
    await redis.zadd(QUEUE_NAME, {"planted": int(time.time() * 1000)})
    worker.start()
    info = await finished(queue, "planted")
    assert info.state is JobState.FAILED
    assert info.tenant is None  # no tenant can see it
    assert not marker.exists()
    # The worker is still healthy: the next job runs.
    await queue.enqueue(NOOP, {"n": 4}, job_id="after")
    assert (await finished(queue, "after")).result == 4
    assert not marker.exists()


async def test_a_timed_out_try_is_retried_and_then_given_up(
    queue: ArqJobQueue, worker: WorkerHarness
) -> None:
    import asyncio

    async def _hangs(jc: JobContext, p: FlakyPayload) -> None:
        RUNS.append(1)
        await asyncio.sleep(3600)

    RUNS.clear()
    spec = JobSpec(name="hangs", payload=FlakyPayload, run=_hangs)
    worker.start(WorkerOptions(extra_specs=[spec]), job_max_tries=2, job_timeout_seconds=0.2)
    await queue.enqueue("hangs", {"tenant": "acme", "what": "x"}, job_id="h")
    await wait_for(lambda: queue.dead_letters("acme"))
    (letter,) = await queue.dead_letters("acme")
    assert (letter.reason, letter.tries, len(RUNS)) == ("timed out", 2, 2)
