"""Ingest an uploaded export archive: all or nothing, then score.

The API streamed the upload into the upload directory; this job reads it with the connector
(`rapport.plugins.host.read_archive`, in a thread: it is file work), and only once the whole
archive was read and validated does it write anything. Ingestion de-duplicates by event id, so
a run that is killed after writing and runs again lands its effect once, and every event of a
valid archive counts, however far back it goes. What the archive lacked is kept with the
account (`rapport.storage.sources`), replacing what an earlier archive lacked.

Success is recorded in Redis before the file is removed: a rerun that finds the file gone and
the record there knows the work landed; a worker that finds neither cannot see the API's upload
directory, which is a deployment error and a dead letter saying so, never a silent success.

The result gives the counts (`rapport.jobs.outcome`), the current score and the score as of the
end of the account's data (an export made two years ago scores lower today: relationships fade
without contact), each with its date.

A payload names a file, and payloads come from Redis: the path must resolve inside the upload
directory, so whoever can write to the queue cannot make a worker read arbitrary files.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from rapport.jobs.context import JobContext
from rapport.jobs.outcome import ImportCounts, counts_of
from rapport.jobs.paths import upload_dir
from rapport.jobs.queue import ARCHIVE
from rapport.jobs.runner import JobSpec, Permanent
from rapport.jobs.scoring import rescore_and_notify, score_at_data_end
from rapport.metric.decay import from_epoch
from rapport.model import AccountRef, MissingData
from rapport.plugins.archive import ArchiveLimits
from rapport.plugins.host import read_archive
from rapport.settings import Settings
from rapport.storage import accounts, keys, profiles, sources
from rapport.storage.ingest import ingest
from rapport.storage.records import SourceReport

__all__ = ["SPEC", "ArchivePayload", "ArchiveResult", "archive_path", "upload_limits"]

#: How long a finished upload is remembered (far longer than any retry schedule).
_DONE_TTL_SECONDS = 7 * 24 * 3600


class ArchivePayload(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    tenant: str
    platform: str
    account: str
    upload: str
    """File name inside the upload directory (no directories)."""


def archive_path(jc: JobContext, upload: str) -> Path:
    """The upload's path, refusing anything that would leave the upload directory."""
    root = upload_dir(jc.settings, jc.environ).resolve()
    path = (root / upload).resolve()
    if path.parent != root or "/" in upload or upload.startswith("."):
        raise Permanent(f"upload name {upload!r} is not a file of the upload directory")
    return path


def upload_limits(settings: Settings) -> ArchiveLimits:
    """An uploaded archive is read within the deployment's limits (file count and unpacked
    size), so a zip bomb ends as a failed job, not as a worker out of memory or disk."""
    return ArchiveLimits.from_settings(settings)


class ArchiveResult(ImportCounts, kw_only=True):
    """What an upload did (the job's `result`): the counts, the current score and the score as
    of the end of the account's data, each with its date, and what the archive lacked."""

    account: str
    platform: str
    score: float
    score_as_of: datetime
    data_end: datetime | None
    data_end_score: float | None
    why_different: str | None
    missing: list[MissingData]


async def ingest_archive(jc: JobContext, p: ArchivePayload) -> dict[str, Any]:
    path = archive_path(jc, p.upload)
    done = keys.archive_done(p.tenant, p.upload)
    if not path.exists():
        if await jc.redis.exists(done):
            return {"status": "already ingested"}
        raise Permanent(
            f"upload {p.upload!r} is not in this worker's upload directory: the API and the "
            "workers must share RAPPORT_UPLOAD_DIR (a shared volume)"
        )
    _, imported = await asyncio.to_thread(
        read_archive, path, p.platform, registry=jc.registry, limits=upload_limits(jc.settings)
    )
    ref = imported.account
    if ref.platform != p.platform:
        raise Permanent(f"the archive is a {ref.platform} archive, not {p.platform}")
    settings = jc.settings
    now = jc.clock()
    result = await ingest(
        jc.redis,
        p.tenant,
        imported.interactions,
        now=now,
        config=jc.config,
        max_ids=settings.dedup_max_ids,
        events_retention_days=settings.events_retention_days,
    )
    known = list(imported.profiles)
    if imported.ego_profile is not None:
        known.append(imported.ego_profile)
    await profiles.put(jc.redis, p.tenant, ref, known)
    own_date = imported.own_date()
    report = SourceReport(
        source=sources.ARCHIVE,
        reported_at=now,
        data_until=None if own_date is None else own_date.timestamp(),
        missing=list(imported.missing),
    )
    await sources.put(jc.redis, p.tenant, ref, report)
    await accounts.track(jc.redis, p.tenant, ref, now)
    account = AccountRef(ref.platform, ref.account)
    current, _ = await rescore_and_notify(jc, p.tenant, account)
    end, end_score = await score_at_data_end(jc, p.tenant, account)
    await jc.redis.set(done, b"1", ex=_DONE_TTL_SECONDS)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    counts = counts_of(
        result, what="archive", earlier="from an earlier upload, or an archive that overlaps it"
    )
    as_of = current.as_of.timestamp()
    outcome = ArchiveResult(
        **msgspec.structs.asdict(counts),
        account=ref.account,
        platform=ref.platform,
        score=current.score,
        score_as_of=current.as_of,
        data_end=None if end is None else from_epoch(end),
        data_end_score=end_score,
        why_different=None
        if end_score is None
        else sources.why_scores_differ(end, end_score, as_of, current.score),
        missing=sources.labelled(imported.missing, sources.ARCHIVE),
    )
    built: dict[str, Any] = msgspec.to_builtins(outcome)
    return built


async def _discard(jc: JobContext, p: ArchivePayload) -> None:
    """A given-up archive is not kept: its reason is in the dead letter."""
    with contextlib.suppress(FileNotFoundError, Permanent):
        archive_path(jc, p.upload).unlink()


SPEC = JobSpec(
    name=ARCHIVE,
    payload=ArchivePayload,
    run=ingest_archive,
    subject=lambda p: {"platform": p.platform, "account": p.account, "upload": p.upload},
    on_dead=_discard,
)
