"""The queue seam on arq: enqueue, one job per id at a time, status, dead letters, msgpack."""

from __future__ import annotations

import pickle

import pytest

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import NOOP, DeadLetter, JobState
from rapport.jobs.serialization import PayloadError, job_deserializer, job_serializer
from tests.jobs.conftest import WorkerHarness, finished

pytestmark = pytest.mark.anyio


def test_msgpack_round_trip_and_exceptions_as_text() -> None:
    data = {"f": "noop", "a": (), "k": {"tenant": "acme", "n": 3}, "t": None, "et": 1}
    back = job_deserializer(job_serializer(data))
    assert back == {"f": "noop", "a": [], "k": {"tenant": "acme", "n": 3}, "t": None, "et": 1}
    assert job_deserializer(job_serializer({"r": ValueError("bad")}))["r"] == "ValueError: bad"


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickle_is_refused_by_the_deserializer(protocol: int) -> None:
    planted = pickle.dumps({"f": "noop", "a": [], "k": {}, "t": 1, "et": 1}, protocol=protocol)
    with pytest.raises(PayloadError):
        job_deserializer(planted)


def test_msgpack_that_is_not_a_map_is_refused() -> None:
    with pytest.raises(PayloadError):
        job_deserializer(job_serializer([1, 2, 3]))


async def test_one_job_per_id_while_queued_then_a_new_run_once_finished(
    queue: ArqJobQueue, worker: WorkerHarness
) -> None:
    first = await queue.enqueue(NOOP, {"tenant": "acme", "n": 1}, job_id="same")
    again = await queue.enqueue(NOOP, {"tenant": "acme", "n": 2}, job_id="same")
    assert (first.created, again.created) == (True, False)
    assert await queue.depth() == 1
    queued = await queue.status("same")
    assert queued is not None
    assert (queued.state, queued.tenant, queued.name) == (JobState.QUEUED, "acme", NOOP)

    worker.start()
    done = await finished(queue, "same")
    assert (done.state, done.result, done.tries) == (JobState.COMPLETE, 1, 1)

    rerun = await queue.enqueue(NOOP, {"tenant": "acme", "n": 5}, job_id="same")
    assert rerun.created
    assert (await finished(queue, "same")).result == 5


async def test_unknown_job_has_no_status(queue: ArqJobQueue) -> None:
    assert await queue.status("nope") is None


async def test_dead_letters_are_per_tenant_newest_first_and_idempotent(
    queue: ArqJobQueue,
) -> None:
    for i, tenant in enumerate(["acme", "acme", "rival"]):
        letter = DeadLetter(
            id=f"j{i}", name=NOOP, tenant=tenant, reason="boom", tries=3, failed_at=float(i)
        )
        await queue.add_dead_letter(letter)
        await queue.add_dead_letter(letter)
    assert [d.id for d in await queue.dead_letters("acme")] == ["j1", "j0"]
    assert [d.id for d in await queue.dead_letters("rival")] == ["j2"]
    assert await queue.has_dead_letter("acme", "j0")
    assert not await queue.has_dead_letter("rival", "j0")
