"""The job-queue seam: what the API and the CLI know about background work.

A `JobQueue` enqueues a named job with a plain-data payload (optionally under a job id, which
makes the job unique while it is queued or running, and optionally deferred), reports a job's
status, and keeps the dead letters: work that failed its last try, with the reason, per tenant.
`rapport.jobs.arq_queue.ArqJobQueue` implements it on arq; nothing outside `rapport.jobs`
imports arq.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

import msgspec

__all__ = [
    "ARCHIVE",
    "DELIVER",
    "NOOP",
    "REFRESH",
    "RESCORE",
    "DeadLetter",
    "Enqueued",
    "JobInfo",
    "JobQueue",
    "JobState",
]

#: Job names (the functions a worker registers).
REFRESH = "refresh_account"
ARCHIVE = "ingest_archive"
DELIVER = "deliver_webhook"
RESCORE = "rescore_due"
NOOP = "noop"


class JobState(enum.StrEnum):
    """Where a job is: `queued` (due), `deferred` (due later, e.g. a retry after back-off or a
    platform's rate-limit reset), `running`, `complete`, `failed` (after its last try: see the
    dead letters), `not_found`."""

    QUEUED = "queued"
    DEFERRED = "deferred"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    NOT_FOUND = "not_found"


class JobInfo(msgspec.Struct, kw_only=True, frozen=True):
    """A job as the queue knows it. `tenant` comes from the payload: the API shows a job only
    to that tenant."""

    id: str
    name: str
    state: JobState
    tenant: str | None
    tries: int
    enqueued_at: datetime | None = None
    run_at: datetime | None = None
    finished_at: datetime | None = None
    result: Any = None
    error: str | None = None


class Enqueued(msgspec.Struct, kw_only=True, frozen=True):
    """The id of the job, and whether this call created it (False: the same job id was already
    queued or running, and that job stands)."""

    id: str
    created: bool


class DeadLetter(msgspec.Struct, kw_only=True, frozen=True):
    """Work that failed its last try: which job, for which tenant, why, after how many tries.
    `subject` names what it was about (an account, an archive, a webhook) without secrets."""

    id: str
    name: str
    tenant: str
    reason: str
    tries: int
    failed_at: float
    subject: dict[str, str] = msgspec.field(default_factory=dict)


class JobQueue(Protocol):
    """The seam. Every method may raise the backend's connection error when it is down."""

    async def enqueue(
        self,
        name: str,
        payload: Mapping[str, Any],
        *,
        job_id: str | None = None,
        defer_until: datetime | None = None,
    ) -> Enqueued:
        """Queue `name(**payload)`. With `job_id`, a job still queued or running under that id
        is kept and returned (`created=False`); a finished one is replaced by a new run."""
        ...

    async def status(self, job_id: str) -> JobInfo | None:
        """The job's state, payload tenant and outcome, or None when the queue never saw it
        (or forgot it: results are kept for a day)."""
        ...

    async def depth(self) -> int:
        """Jobs waiting (queued or deferred), not counting running ones."""
        ...

    async def add_dead_letter(self, letter: DeadLetter) -> None:
        """Keep `letter` (idempotent by its id)."""
        ...

    async def has_dead_letter(self, tenant: str, letter_id: str) -> bool: ...

    async def dead_letters(self, tenant: str, *, limit: int = 100) -> list[DeadLetter]:
        """The tenant's dead letters, newest first."""
        ...

    async def count_outcome(self, name: str, outcome: str) -> None:
        """Count one outcome (`complete`, `retried`, `deferred`, `dead`) of job `name`."""
        ...

    async def outcomes(self) -> dict[tuple[str, str], int]:
        """Counts by (job name, outcome), across every worker."""
        ...

    async def aclose(self) -> None: ...
