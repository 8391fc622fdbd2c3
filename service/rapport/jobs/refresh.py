"""Refresh one account through its connector: fetch since the stored cursor, ingest, recompute,
queue webhook deliveries when the score changed.

Idempotent: ingestion de-duplicates by event id, and the cursor is stored only after the page
it belongs to was ingested, so a run killed half-way resumes where the last stored page ended
and a repeated page changes nothing. A backfill reaching years back is counted whole.

What the connector reports missing (an endpoint the token may not read, items without their
authors, pages not read) is kept with the account once the run is complete, as the `api`
source's report (`rapport.storage.sources`): it replaces the previous refresh's, and leaves
what an uploaded archive lacked alone.

One refresh per account at a time: the job id is derived from (tenant, platform, account), and
the queue keeps a queued or running job under that id.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from rapport.jobs.context import JobContext
from rapport.jobs.outcome import ImportCounts, counts_of
from rapport.jobs.queue import REFRESH
from rapport.jobs.runner import JobSpec
from rapport.jobs.scoring import rescore_and_notify
from rapport.model import AccountRef, MissingData
from rapport.plugins.host import connector_config
from rapport.storage import accounts, keys, profiles, sources
from rapport.storage.ingest import IngestResult, ingest
from rapport.storage.records import SourceReport

__all__ = ["SPEC", "RefreshPayload", "RefreshResult", "refresh_job_id"]


class RefreshPayload(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    tenant: str
    platform: str
    account: str


def refresh_job_id(tenant: str, platform: str, account: str) -> str:
    """The one job id of an account's refresh (opaque: it reveals neither tenant nor account)."""
    digest = hashlib.sha256(f"{tenant}\0{platform}\0{account}".encode()).hexdigest()[:32]
    return f"refresh-{digest}"


class RefreshResult(ImportCounts, kw_only=True):
    """What a refresh did (the job's `result`): pages read, the counts, the cursor it stopped
    at, the new score of each account it touched, and what the platform's API did not give."""

    pages: int
    cursor: str | None
    scores: dict[str, float]
    missing: list[MissingData]


async def refresh_account(jc: JobContext, p: RefreshPayload) -> dict[str, Any]:
    connector = jc.registry.get(p.platform)
    config = connector_config(connector, jc.environ)
    requested = AccountRef(p.platform, p.account)
    cursor_key = keys.refresh_cursor(p.tenant, p.platform, p.account)
    # A cursor outlives a deleted account (delete purges the account's own keys): only trust it
    # while the account is tracked, so a re-tracked account is read from the start.
    tracked = await accounts.get(jc.redis, p.tenant, requested)
    raw_cursor = await jc.redis.get(cursor_key) if tracked is not None else None
    cursor = raw_cursor.decode() if raw_cursor is not None else None
    settings = jc.settings
    ego: AccountRef | None = None
    touched: set[AccountRef] = set()
    total = IngestResult()
    reported: list[MissingData] = []
    pages = 0
    async for page in connector.fetch(p.account, http=jc.http, config=config, since=cursor):
        pages += 1
        if ego is None and page.profiles:
            # Connectors yield the ego's own profile first; its id is what events name.
            ego = AccountRef(p.platform, page.profiles[0].account)
        if page.interactions:
            result = await ingest(
                jc.redis,
                p.tenant,
                page.interactions,
                now=jc.clock(),
                config=jc.config,
                max_ids=settings.dedup_max_ids,
                events_retention_days=settings.events_retention_days,
            )
            total.add(result)
            touched.update(result.accounts)
        if page.profiles:
            await profiles.put(jc.redis, p.tenant, ego or requested, page.profiles)
        reported.extend(page.missing)
        if page.cursor is not None and page.cursor != cursor:
            await jc.redis.set(cursor_key, page.cursor)
            cursor = page.cursor
    if ego is not None:
        await accounts.track(jc.redis, p.tenant, ego, jc.clock())
    owner = ego or requested
    missing = sources.labelled(reported, sources.API)
    if await accounts.get(jc.redis, p.tenant, owner) is not None:
        # Stored once the run is complete: what this refresh lacked replaces what the last one
        # did, and the account's score document says so.
        report = SourceReport(source=sources.API, reported_at=jc.clock(), missing=missing)
        await sources.put(jc.redis, p.tenant, owner, report)
        touched.add(owner)
    scores: dict[str, float] = {}
    for ref in sorted(touched, key=lambda r: (r.platform, r.account)):
        scored, _ = await rescore_and_notify(jc, p.tenant, ref)
        scores[f"{ref.platform}/{ref.account}"] = scored.score
    counts = counts_of(total, what="refresh", earlier="read by an earlier refresh or import")
    outcome = RefreshResult(
        **msgspec.structs.asdict(counts),
        pages=pages,
        cursor=cursor,
        scores=scores,
        missing=missing,
    )
    built: dict[str, Any] = msgspec.to_builtins(outcome)
    return built


SPEC = JobSpec(
    name=REFRESH,
    payload=RefreshPayload,
    run=refresh_account,
    subject=lambda p: {"platform": p.platform, "account": p.account},
)
