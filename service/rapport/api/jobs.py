"""Background work over HTTP: refresh an account, upload an export archive, read a job's
status, list the tenant's dead letters; plus the queue metrics in `/metrics`.

The API depends only on the `JobQueue` seam (`rapport.jobs.queue`), opened by `jobs_lifespan`
and kept in `app.state.job_queue`: it never blocks on a platform or on an archive, it stores
what it was given and answers 202 with a job id.

Uploads are streamed straight to the upload directory (`RAPPORT_UPLOAD_DIR`, shared with the
worker) chunk by chunk, never held in memory, and cut off with 413 problem+json as soon as
they pass `RAPPORT_UPLOAD_MAX_BYTES` (or at once when Content-Length says so). A file is
renamed into place only once complete, so the worker never reads half an upload.

Tenancy: a job's payload names its tenant; a job of another tenant is the same 404 as a job
that does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from litestar import Controller, Litestar, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.status_codes import HTTP_202_ACCEPTED
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from redis.exceptions import RedisError

from rapport.api.problems import AUTHED, NotFound, UnprocessableError, documented
from rapport.api.state import Services, provide_tenant, services_of
from rapport.jobs.archive import ArchivePayload
from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.paths import upload_dir
from rapport.jobs.queue import ARCHIVE, REFRESH, DeadLetter, JobQueue, JobState
from rapport.jobs.refresh import RefreshPayload, refresh_job_id
from rapport.metric.decay import from_epoch
from rapport.model import AccountRef
from rapport.plugins.connector import Connector
from rapport.settings import Settings
from rapport.storage import accounts

__all__ = [
    "DeadLetterList",
    "DeadLetterOut",
    "JobAccepted",
    "JobMetrics",
    "JobOut",
    "JobsController",
    "JobsCtx",
    "check_platform",
    "enqueue_archive",
    "jobs_lifespan",
    "received_upload",
]

log = logging.getLogger("rapport.api")

#: How often the API samples queue depth and job outcomes for `/metrics`.
SAMPLE_SECONDS = 2.0


class JobAccepted(msgspec.Struct, kw_only=True):
    """A job was queued (or, for a refresh, one was already queued or running: `created` is
    then false and `job_id` names that one)."""

    job_id: str
    created: bool
    status_url: str


class JobOut(msgspec.Struct, kw_only=True):
    """A job: `state` is queued, deferred (a retry after back-off, or a platform's rate-limit
    reset), running, complete or failed (see the dead letters).

    A complete import's `result` explains its counts: `read` = `stored` (new) + `duplicates`
    (already there) + the `refused` ones, each refusal as `{reason, count, explanation}`, and
    `message`, one sentence saying the same. `ingest_archive` adds `account`, `platform`,
    `score` with `score_as_of` (now), `data_end_score` with `data_end` (the end of the
    account's data, where `rapport score --archive` scores the same export), `why_different`
    (a sentence, or null when both are the same day) and `missing` (what the archive lacked:
    `{data, effect, source}`). `refresh_account` adds `pages`, `cursor`, `scores` (by
    `platform/account`) and `missing`. docs/jobs.md has an example of each."""

    id: str
    name: str
    state: JobState
    tries: int
    enqueued_at: datetime | None = None
    run_at: datetime | None = None
    finished_at: datetime | None = None
    result: Any = None
    error: str | None = None


class DeadLetterOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    reason: str
    tries: int
    failed_at: datetime
    subject: dict[str, str]


class DeadLetterList(msgspec.Struct, kw_only=True):
    dead_letters: list[DeadLetterOut]


class TooLarge(HTTPException):
    status_code = 413


class BadUpload(HTTPException):
    status_code = 400


@dataclass(frozen=True, slots=True)
class JobsCtx:
    queue: JobQueue
    services: Services
    tenant: str


def provide_jobs(request: Request[Any, Any, State]) -> JobsCtx:
    queue: JobQueue | None = getattr(request.app.state, "job_queue", None)
    if queue is None:
        raise RuntimeError("the job queue is not open (jobs_lifespan has not started)")
    return JobsCtx(queue, services_of(request.app.state), provide_tenant(request))


class JobMetrics:
    """Prometheus collector of the queue: depth and outcome counts, sampled from Redis by the
    lifespan's task (collectors are synchronous, Redis calls are not)."""

    def __init__(self) -> None:
        self.depth: int | None = None
        self.outcomes: dict[tuple[str, str], int] = {}

    def collect(self) -> Iterable[Metric]:
        depth = GaugeMetricFamily(
            "rapport_jobs_queued", "Jobs waiting in the queue (queued or deferred)."
        )
        if self.depth is not None:
            depth.add_metric([], self.depth)
        yield depth
        outcomes = CounterMetricFamily(
            "rapport_jobs",
            "Job outcomes by job: complete, retried, deferred (rate limit), dead (dead letter).",
            labels=["job", "outcome"],
        )
        for (job, outcome), count in sorted(self.outcomes.items()):
            outcomes.add_metric([job, outcome], count)
        yield outcomes

    async def sample(self, queue: JobQueue) -> None:
        self.depth = await queue.depth()
        self.outcomes = await queue.outcomes()


def jobs_lifespan(
    url: str, *, factory: Callable[[str], JobQueue] = ArqJobQueue.from_url
) -> Callable[[Litestar], Any]:
    """A lifespan that opens the job queue on `url` for the app's lifetime, and samples its
    metrics into the app's registry."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        queue = factory(url)
        app.state.job_queue = queue
        collector = JobMetrics()
        registry = services_of(app.state).metrics.registry
        registry.register(collector)

        stop = asyncio.Event()

        async def sample() -> None:
            # Stops on `stop`, not only on cancel: redis-py may turn a cancellation that lands
            # inside a command into a ConnectionError, which the suppress below would swallow,
            # leaving the shutdown waiting forever for this task.
            while not stop.is_set():
                # On an outage /readyz reports it; the last sample stays.
                with contextlib.suppress(RedisError, OSError):
                    await collector.sample(queue)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)

        task = asyncio.create_task(sample())
        try:
            yield
        finally:
            stop.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            registry.unregister(collector)
            app.state.job_queue = None
            await queue.aclose()

    return lifespan


def _status_url(job_id: str) -> str:
    return f"/v1/jobs/{job_id}"


def check_platform(services: Services, platform: str, *, archive: bool) -> None:
    registry = services.registry
    if registry is None:
        return
    connector = registry.connectors.get(platform)
    if connector is None:
        known = ", ".join(sorted(registry.connectors)) or "none"
        raise UnprocessableError(f"no connector named {platform!r} (installed: {known})")
    if archive and not connector.capabilities.archive_formats:
        raise UnprocessableError(f"the {platform} connector reads no export archives")
    if not archive and type(connector).fetch is Connector.fetch:
        raise UnprocessableError(
            f"the {platform} connector has no API client: upload an export archive instead"
        )


async def _receive_to(request: Request[Any, Any, Any], path: Path, limit: int) -> int:
    """Stream the raw body into `path` (chunk by chunk), 413 past `limit` bytes.

    The ASGI messages are read directly, not through `request.stream()`, whose cap is the
    app-wide `RAPPORT_MAX_BODY_BYTES`. Writes are plain sequential appends of the server's
    chunks (tens of KiB) to the page cache: cheaper inline than a thread hop per chunk."""
    total = 0
    with path.open("wb") as out:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                raise BadUpload("the client went away before the upload was complete")
            chunk: bytes = message.get("body", b"")  # type: ignore[assignment]
            if chunk:
                total += len(chunk)
                if total > limit:
                    raise TooLarge(f"the archive exceeds {limit} bytes")
                out.write(chunk)
            if not message.get("more_body", False):
                return total


@asynccontextmanager
async def received_upload(
    request: Request[Any, Any, Any], settings: Settings
) -> AsyncIterator[Path]:
    """Stream the request body into a fresh `.part` file of the upload directory (413 past
    `RAPPORT_UPLOAD_MAX_BYTES`, 400 when empty) and yield its path (a random name); the `.part`
    file is gone on exit, so the caller renames into place what it keeps. Shared by the API's
    raw-body upload and the web page's form upload, so both have one size cap."""
    limit = settings.upload_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the archive exceeds {limit} bytes")
    folder = upload_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    partial = folder / f"{name}.part"
    try:
        size = await _receive_to(request, partial, limit)
        if size == 0:
            raise BadUpload("the body is empty: send the archive (a zip) as the body")
        yield partial
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


async def enqueue_archive(jobs: JobsCtx, platform: str, account: str, final: Path) -> JobAccepted:
    """Queue the ingestion of a complete upload (`<name>.zip` in the upload directory); the
    file is removed when it cannot be queued."""
    payload = ArchivePayload(
        tenant=jobs.tenant, platform=platform, account=account, upload=final.name
    )
    try:
        queued = await jobs.queue.enqueue(
            ARCHIVE, msgspec.structs.asdict(payload), job_id=f"archive-{final.stem}"
        )
    except BaseException:
        final.unlink(missing_ok=True)
        raise
    return JobAccepted(job_id=queued.id, created=True, status_url=_status_url(queued.id))


class JobsController(Controller):
    path = "/v1"
    tags = ("jobs",)
    dependencies = {"jobs": Provide(provide_jobs, sync_to_thread=False)}  # noqa: RUF012

    @post(
        "/accounts/{platform:str}/{account:str}/refresh",
        status_code=HTTP_202_ACCEPTED,
        summary="Refresh an account through its connector (tracks it; one refresh at a time)",
        responses=documented(422, 503, *AUTHED),
    )
    async def refresh(
        self, platform: FromPath[str], account: FromPath[str], jobs: NamedDependency[JobsCtx]
    ) -> JobAccepted:
        check_platform(jobs.services, platform, archive=False)
        ref = AccountRef(platform, account)
        await accounts.track(jobs.services.db, jobs.tenant, ref, jobs.services.clock())
        payload = RefreshPayload(tenant=jobs.tenant, platform=platform, account=account)
        job_id = refresh_job_id(jobs.tenant, platform, account)
        queued = await jobs.queue.enqueue(REFRESH, msgspec.structs.asdict(payload), job_id=job_id)
        return JobAccepted(
            job_id=queued.id, created=queued.created, status_url=_status_url(queued.id)
        )

    @post(
        "/accounts/{platform:str}/{account:str}/archive",
        status_code=HTTP_202_ACCEPTED,
        summary="Upload an export archive (a zip, as the raw body) to ingest in the background",
        description="Send the archive as the request body (`Content-Type: application/zip`). "
        "It is streamed to disk and capped by RAPPORT_UPLOAD_MAX_BYTES (413 beyond); the job "
        "reads it all or nothing and scores the archive's own account.",
        responses=documented(400, 413, 422, 503, *AUTHED),
        request_max_body_size=None,
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        platform: FromPath[str],
        account: FromPath[str],
        jobs: NamedDependency[JobsCtx],
    ) -> JobAccepted:
        check_platform(jobs.services, platform, archive=True)
        async with received_upload(request, jobs.services.settings) as partial:
            final = partial.with_suffix(".zip")
            partial.rename(final)
        return await enqueue_archive(jobs, platform, account, final)

    @get(
        "/jobs/dead-letters",
        summary="The tenant's dead letters: work that failed its last try, with the reason",
        responses=documented(503, *AUTHED),
    )
    async def dead_letters(self, jobs: NamedDependency[JobsCtx]) -> DeadLetterList:
        letters: list[DeadLetter] = await jobs.queue.dead_letters(jobs.tenant)
        return DeadLetterList(
            dead_letters=[
                DeadLetterOut(
                    id=d.id,
                    name=d.name,
                    reason=d.reason,
                    tries=d.tries,
                    failed_at=from_epoch(d.failed_at),
                    subject=d.subject,
                )
                for d in letters
            ]
        )

    @get(
        "/jobs/{job_id:str}",
        summary="A job's status (only the tenant that queued it sees it)",
        responses=documented(404, 503, *AUTHED),
    )
    async def status(self, job_id: FromPath[str], jobs: NamedDependency[JobsCtx]) -> JobOut:
        info = await jobs.queue.status(job_id)
        if info is None or info.tenant != jobs.tenant:
            raise NotFound(f"no job {job_id!r}")
        return JobOut(
            id=info.id,
            name=info.name,
            state=info.state,
            tries=info.tries,
            enqueued_at=info.enqueued_at,
            run_at=info.run_at,
            finished_at=info.finished_at,
            result=info.result,
            error=info.error,
        )
