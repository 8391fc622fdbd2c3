"""Archive ingestion (all or nothing, idempotent, confined to the upload directory) and the
periodic recompute of scores that decay has moved."""

from __future__ import annotations

from pathlib import Path

import httpx
import msgspec
import pytest
from redis.asyncio import Redis

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.context import JobContext
from rapport.jobs.queue import ARCHIVE, RESCORE, JobState
from rapport.jobs.rescore import RescorePayload, rescore_due
from rapport.jobs.scoring import rescore_and_notify
from rapport.jobs.worker import WorkerOptions
from rapport.model import AccountRef
from rapport.plugins.http import PlatformHttp
from rapport.settings import Settings
from rapport.storage import accounts, keys, scores
from rapport.storage.ingest import ingest
from rapport.storage.records import ScorePoint, decode
from tests.jobs.conftest import WorkerHarness, finished
from tests.jobs.helpers import ARCHIVE_EGO, twitter_registry, zip_archive
from tests.storage.conftest import T0, conversation

pytestmark = pytest.mark.anyio
EGO = AccountRef("twitter", ARCHIVE_EGO)


def _payload(upload: str) -> dict[str, str]:
    return {"tenant": "acme", "platform": "twitter", "account": "me", "upload": upload}


async def test_an_uploaded_archive_is_ingested_scored_and_removed(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis, settings: Settings
) -> None:
    assert settings.upload_dir is not None
    upload = zip_archive(Path(settings.upload_dir) / "a1.zip")
    worker.start()
    await queue.enqueue(ARCHIVE, _payload("a1.zip"), job_id="arch")
    info = await finished(queue, "arch")
    assert info.state is JobState.COMPLETE, info.error
    assert info.result["account"] == ARCHIVE_EGO
    assert info.result["stored"] > 0
    assert not upload.exists()
    record = await accounts.get(redis, "acme", EGO)
    assert record is not None
    assert record.events == info.result["stored"]
    assert await scores.get_current(redis, "acme", EGO) is not None

    # The same archive uploaded again changes nothing (events are de-duplicated by id).
    before = await redis.hgetall(keys.AccountKeys("acme", "twitter", ARCHIVE_EGO).relationships)  # type: ignore[misc]
    zip_archive(Path(settings.upload_dir) / "a2.zip")
    await queue.enqueue(ARCHIVE, _payload("a2.zip"), job_id="arch2")
    again = await finished(queue, "arch2")
    assert (again.result["stored"], again.result["duplicates"]) == (0, info.result["stored"])
    after = await redis.hgetall(keys.AccountKeys("acme", "twitter", ARCHIVE_EGO).relationships)  # type: ignore[misc]
    assert after == before


async def test_a_rerun_after_success_finds_the_work_done(
    queue: ArqJobQueue, worker: WorkerHarness, settings: Settings
) -> None:
    assert settings.upload_dir is not None
    zip_archive(Path(settings.upload_dir) / "once.zip")
    worker.start()
    await queue.enqueue(ARCHIVE, _payload("once.zip"), job_id="once")
    assert (await finished(queue, "once")).state is JobState.COMPLETE
    await queue.enqueue(ARCHIVE, _payload("once.zip"), job_id="once-again")
    again = await finished(queue, "once-again")
    assert again.state is JobState.COMPLETE
    assert again.result == {"status": "already ingested"}


async def test_an_upload_the_worker_cannot_see_is_a_dead_letter_not_a_success(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis
) -> None:
    """API and worker without a shared upload directory: say so, never report success."""
    worker.start()
    await queue.enqueue(ARCHIVE, _payload("never-here.zip"), job_id="lost")
    info = await finished(queue, "lost")
    assert info.state is JobState.FAILED
    (letter,) = await queue.dead_letters("acme")
    assert "must share RAPPORT_UPLOAD_DIR" in letter.reason
    assert [key async for key in redis.scan_iter(match="rapport:{t:*")] == []


async def test_a_malformed_archive_writes_nothing_and_is_a_dead_letter(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis, settings: Settings
) -> None:
    assert settings.upload_dir is not None
    bad = Path(settings.upload_dir) / "bad.zip"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    worker.start()
    await queue.enqueue(ARCHIVE, _payload("bad.zip"), job_id="bad")
    info = await finished(queue, "bad")
    assert info.state is JobState.FAILED
    (letter,) = await queue.dead_letters("acme")
    assert letter.tries == 1  # an unreadable archive is not retried
    assert "bad.zip" in letter.reason
    assert [key async for key in redis.scan_iter(match="rapport:{t:*")] == []
    assert not bad.exists()


async def test_a_payload_cannot_point_outside_the_upload_directory(
    queue: ArqJobQueue, worker: WorkerHarness, tmp_path: Path
) -> None:
    outside = zip_archive(tmp_path / "elsewhere.zip")
    worker.start()
    await queue.enqueue(ARCHIVE, _payload("../elsewhere.zip"), job_id="escape")
    info = await finished(queue, "escape")
    assert info.state is JobState.FAILED
    assert "not a file of the upload directory" in (info.error or "")
    assert outside.exists()


async def test_rescore_stores_scores_older_than_the_maximum_age_and_only_those(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis, settings: Settings
) -> None:
    assert settings.upload_dir is not None
    zip_archive(Path(settings.upload_dir) / "a.zip")
    clock = Clock(2_000_000_000.0)  # 2033: long after the archive's events
    worker.start(WorkerOptions(clock=clock))
    await queue.enqueue(ARCHIVE, _payload("a.zip"), job_id="arch")
    await finished(queue, "arch")
    history = keys.AccountKeys("acme", "twitter", ARCHIVE_EGO).history

    await queue.enqueue(RESCORE, {}, job_id="r1")
    first = await finished(queue, "r1")
    assert first.result == {"checked": 1, "stored": 0}  # nothing moved yet

    clock.now += 400 * 86_400.0  # over a year later: the stored score is stale
    await queue.enqueue(RESCORE, {}, job_id="r2")
    second = await finished(queue, "r2")
    assert second.result == {"checked": 1, "stored": 1}
    head = decode(await redis.lindex(history, 0), ScorePoint)  # type: ignore[misc]
    assert head.computed_at == clock.now

    await queue.enqueue(RESCORE, {}, job_id="r3")
    assert (await finished(queue, "r3")).result == {"checked": 1, "stored": 0}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_rescore_stores_a_score_that_decay_moved_before_it_is_old(
    redis: Redis, queue: ArqJobQueue, settings: Settings
) -> None:
    """Fresh events, a stored score, then time passes: decay alone moves the score by more than
    the threshold, long before the maximum age, and the recompute stores it."""
    clock = Clock(T0.timestamp() + 30 * 86_400.0)
    patient = msgspec.structs.replace(settings, rescore_max_age_hours=8760.0)
    jc = JobContext(
        settings=patient,
        redis=redis,
        queue=queue,
        registry=twitter_registry(),
        http=PlatformHttp(),
        webhooks=httpx.AsyncClient(),
        clock=clock,
    )
    try:
        await ingest(
            redis,
            "acme",
            conversation(120),
            now=clock.now,
            config=jc.config,
            max_ids=1_000_000,
            events_retention_days=3650,
        )
        alice = AccountRef("mastodon", "alice")
        stored = (await rescore_and_notify(jc, "acme", alice))[0].score
        assert await rescore_due(jc, RescorePayload()) == {"checked": 1, "stored": 0}

        clock.now += 60 * 86_400.0
        assert await rescore_due(jc, RescorePayload()) == {"checked": 1, "stored": 1}
        current = await scores.get_current(redis, "acme", alice)
        assert current is not None
        assert stored - current.score > settings.rescore_threshold
        assert await rescore_due(jc, RescorePayload()) == {"checked": 1, "stored": 0}
    finally:
        await jc.http.aclose()
        await jc.webhooks.aclose()
