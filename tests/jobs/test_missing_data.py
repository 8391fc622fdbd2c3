"""Issue 13: what a connector reports missing is kept with the account, per source, in the
score document and the batch summary. A refresh (X replayed from its recorded responses over
real HTTP) stores what the API did not give; an uploaded archive of the same account stores
what the export lacks; each survives the other source's imports and the periodic recompute,
and is replaced by the next import from its own source."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import ARCHIVE, REFRESH, RESCORE, JobInfo, JobState
from rapport.jobs.refresh import refresh_job_id
from rapport.jobs.worker import WorkerOptions
from rapport.metric import ScoreReport
from rapport.model import AccountRef
from rapport.settings import Settings
from rapport.storage import keys, scores
from tests.connectors.twitter.helpers import build, full_archive_files
from tests.connectors.twitter.replay import HANDMADE_API, full_replay
from tests.jobs.conftest import WorkerHarness, finished
from tests.jobs.helpers import EGO, HANDLE, TOKEN, Handler, replay, twitter_registry
from tests.jobs.replay_server import replay_server
from tests.jobs.test_archive_and_rescore import Clock

pytestmark = pytest.mark.anyio
ACCOUNT = AccountRef("twitter", EGO)


def _refused_messages() -> Handler:
    """The recorded X API, but `/2/dm_events` answers the recorded 403 (an app-only token)."""
    return full_replay(HANDMADE_API / "dm_events_403.json")


def _archive_of_the_refreshed_account(folder: Path) -> Path:
    """The X export fixture, made the export of @Twitter (id 783214, the account the API
    recordings are of), so both sources describe one account."""
    files = {name: text.replace("322603863", EGO) for name, text in full_archive_files().items()}
    folder.mkdir(parents=True, exist_ok=True)
    return build(folder / "x-archive", files, as_zip=True)


async def _run(queue: ArqJobQueue, name: str, payload: dict[str, str], job_id: str) -> JobInfo:
    await queue.enqueue(name, payload, job_id=job_id)
    info = await finished(queue, job_id)
    assert info.state is JobState.COMPLETE, info.error
    return info


async def _refresh(queue: ArqJobQueue, run: int) -> JobInfo:
    payload = {"tenant": "acme", "platform": "twitter", "account": HANDLE}
    await queue.enqueue(REFRESH, payload, job_id=refresh_job_id("acme", "twitter", HANDLE))
    info = await finished(queue, refresh_job_id("acme", "twitter", HANDLE))
    assert info.state is JobState.COMPLETE, (run, info.error)
    return info


def _notes(report: ScoreReport | None) -> set[tuple[str | None, str]]:
    assert report is not None
    return {(note.source, note.data) for note in report.missing}


async def test_missing_data_is_kept_per_source_and_replaced_by_the_same_source(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis, settings: Settings, tmp_path: Path
) -> None:
    clock = Clock(1_800_000_000.0)
    with (
        replay_server(_refused_messages()) as refused,
        replay_server(replay()) as allowed,
    ):
        # One worker per platform recording, so each refresh reads the one it is meant to.
        environ = {"RAPPORT_TWITTER_TOKEN": TOKEN}
        first_worker = WorkerOptions(
            registry=twitter_registry(),
            environ=environ | {"RAPPORT_TWITTER_BASE_URL": refused.base_url},
            clock=clock,
        )
        worker.start(first_worker)
        first = await _refresh(queue, 1)
        api_notes = {("api", m["data"]) for m in first.result["missing"]}
        assert ("api", "direct messages") in api_notes
        assert _notes(await scores.get_current(redis, "acme", ACCOUNT)) >= api_notes

        # An archive of the same account: its notes join the API's, which stay.
        assert settings.upload_dir is not None
        upload = _archive_of_the_refreshed_account(Path(settings.upload_dir))
        payload = {
            "tenant": "acme",
            "platform": "twitter",
            "account": "me",
            "upload": upload.name,
        }
        imported = await _run(queue, ARCHIVE, payload, "archive-1")
        archive_notes = {("archive", m["data"]) for m in imported.result["missing"]}
        assert ("archive", "inbound public interactions") in archive_notes
        after_upload = _notes(await scores.get_current(redis, "acme", ACCOUNT))
        assert after_upload >= api_notes | archive_notes

        # The periodic recompute keeps both.
        clock.now += 2 * 86_400.0
        await _run(queue, RESCORE, {}, "rescore-1")
        assert _notes(await scores.get_current(redis, "acme", ACCOUNT)) == after_upload

        # The next refresh may read direct messages: the API's notes are replaced (the refusal
        # is gone), the archive's survive, and the batch summary names what is still missing.
        for task, stop in worker.tasks:
            stop.set()
            await task
        worker.tasks.clear()
        worker.start(
            WorkerOptions(
                registry=twitter_registry(),
                environ=environ | {"RAPPORT_TWITTER_BASE_URL": allowed.base_url},
                clock=clock,
            )
        )
        await redis.delete(keys.refresh_cursor("acme", "twitter", HANDLE))
        second = await _refresh(queue, 2)
    assert "direct messages" not in {m["data"] for m in second.result["missing"]}
    final = _notes(await scores.get_current(redis, "acme", ACCOUNT))
    assert ("api", "direct messages") not in final
    assert final >= archive_notes | {("api", m["data"]) for m in second.result["missing"]}
    (summary,) = await scores.summaries(redis, "acme", [ACCOUNT])
    assert summary is not None
    assert {data for _, data in final} <= set(summary.missing)


async def test_a_refresh_result_counts_what_it_read(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis
) -> None:
    worker.start(
        WorkerOptions(
            registry=twitter_registry(),
            platform_transport=httpx.MockTransport(replay()),
            environ={
                "RAPPORT_TWITTER_BASE_URL": "http://127.0.0.1:9",
                "RAPPORT_TWITTER_TOKEN": TOKEN,
            },
        )
    )
    first = (await _refresh(queue, 1)).result
    assert first["read"] == first["stored"] + first["duplicates"] > 0
    assert first["refused"] == []
    await redis.delete(keys.refresh_cursor("acme", "twitter", HANDLE))
    second = (await _refresh(queue, 2)).result
    assert second["stored"] == 0
    assert second["duplicates"] == second["read"] >= first["stored"]
    assert second["message"].startswith(f"Nothing new: all {second['read']} events of this refresh")
