"""Ingest an uploaded export archive: all or nothing, then score.

The API streamed the upload into the upload directory; this job reads it with the connector
(`rapport.plugins.host.read_archive`, in a thread: it is file work), and only once the whole
archive was read and validated does it write anything. Ingestion de-duplicates by event id, so
a run that is killed after writing and runs again lands its effect once. Success is recorded in
Redis before the file is removed: a rerun that finds the file gone and the record there knows
the work landed; a worker that finds neither cannot see the API's upload directory, which is a
deployment error and a dead letter saying so, never a silent success.

A payload names a file, and payloads come from Redis: the path must resolve inside the upload
directory, so whoever can write to the queue cannot make a worker read arbitrary files.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import msgspec

from rapport.jobs.context import JobContext
from rapport.jobs.paths import upload_dir
from rapport.jobs.queue import ARCHIVE
from rapport.jobs.runner import JobSpec, Permanent
from rapport.jobs.scoring import rescore_and_notify
from rapport.model import AccountRef
from rapport.plugins.archive import ArchiveLimits
from rapport.plugins.host import read_archive
from rapport.settings import Settings
from rapport.storage import accounts, keys, profiles
from rapport.storage.ingest import ingest

__all__ = ["SPEC", "ArchivePayload", "archive_path", "upload_limits"]

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
    total = settings.archive_max_unpacked_bytes
    return ArchiveLimits(
        max_members=settings.archive_max_files,
        max_member_bytes=min(ArchiveLimits().max_member_bytes, total),
        max_total_bytes=total,
    )


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
        dedup_window_days=settings.dedup_window_days,
        events_retention_days=settings.events_retention_days,
    )
    known = list(imported.profiles)
    if imported.ego_profile is not None:
        known.append(imported.ego_profile)
    await profiles.put(jc.redis, p.tenant, ref, known)
    await accounts.track(jc.redis, p.tenant, ref, now)
    score, _ = await rescore_and_notify(jc, p.tenant, AccountRef(ref.platform, ref.account))
    await jc.redis.set(done, b"1", ex=_DONE_TTL_SECONDS)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return {
        "account": ref.account,
        "platform": ref.platform,
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "stale": result.stale,
        "score": score,
        "missing": [m.data for m in imported.missing],
    }


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
