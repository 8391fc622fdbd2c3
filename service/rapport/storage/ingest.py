"""Ingestion: fold a batch of normalised events into the stored relationship aggregates.

The batch is grouped by account and aggregated in memory; each account is then written in one
WATCH/MULTI/EXEC transaction over its own keys (one Cluster slot): the de-duplication set, every
touched relationship (written once), the raw events and the account record. A concurrent writer
makes EXEC fail and the account is redone from fresh reads, so no update is ever lost.

De-duplication is by (platform, ego, event_id), remembered for `dedup_window_days` before the
account's newest event. An event older than that window is refused as *stale* instead of being
counted, because its id may already have been forgotten: so ingesting the same batch twice, or
replaying any old batch, never changes anything.

Atomicity: validation happens before anything is written (a bad line rejects the whole batch),
and each account's write is all-or-nothing. A Redis failure between two accounts of one batch
leaves whole accounts applied or not; re-sending the batch then completes it exactly once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import msgspec
from redis.asyncio import Redis
from redis.exceptions import WatchError

from rapport.metric import MetricConfig, RelationshipAggregate
from rapport.metric.decay import DAY_SECONDS
from rapport.model import MAX_TEXT_LEN, AccountRef, Direction, Interaction
from rapport.storage import keys
from rapport.storage._redis import aw
from rapport.storage.records import AccountRecord, decode, encode

__all__ = ["MAX_FUTURE_SECONDS", "MAX_TEXT_LEN", "IngestResult", "event_problem", "ingest"]

_MAX_RETRIES = 50
#: How far ahead of the server clock an event may be (clock skew); a later one would push the
#: account's de-duplication horizon into the future and make every real event look stale.
MAX_FUTURE_SECONDS = DAY_SECONDS


def event_problem(event: Interaction, now: float) -> tuple[str, str] | None:
    """(field, message) when an event cannot be stored honestly, else None. Decoded events have
    had their fields validated already; events built in code (connectors) have not, so the bound
    on `text_len` is checked again here."""
    if event.at.timestamp() > now + MAX_FUTURE_SECONDS:
        return "at", f"{event.at.isoformat()} is more than a day ahead of the server clock"
    if event.text_len is not None and event.text_len > MAX_TEXT_LEN:
        return "text_len", f"must be at most {MAX_TEXT_LEN}"
    return None


class IngestResult(msgspec.Struct, kw_only=True):
    """What a batch did: events counted, and skipped as duplicates, as stale, or as rejected
    (see `event_problem`)."""

    accepted: int = 0
    duplicates: int = 0
    stale: int = 0
    rejected: int = 0
    accounts: list[AccountRef] = msgspec.field(default_factory=list)
    relationships_updated: int = 0


@dataclass(slots=True)
class _AccountBatch:
    ref: AccountRef
    events: list[tuple[float, Interaction]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    duplicates: int = 0


def _group(events: Iterable[Interaction]) -> dict[AccountRef, _AccountBatch]:
    batches: dict[AccountRef, _AccountBatch] = {}
    for event in events:
        ref = AccountRef(event.platform, event.ego)
        batch = batches.get(ref)
        if batch is None:
            batch = batches[ref] = _AccountBatch(ref)
        if event.event_id in batch.ids:
            batch.duplicates += 1
            continue
        batch.ids.add(event.event_id)
        batch.events.append((event.at.timestamp(), event))
    for batch in batches.values():
        # Chronological, and at one instant the ego's act before the answer to it.
        batch.events.sort(key=lambda item: (item[0], item[1].direction != Direction.OUT))
    return batches


async def ingest(
    redis: Redis,
    tenant: str,
    events: Iterable[Interaction],
    *,
    now: float,
    config: MetricConfig,
    dedup_window_days: int,
    events_retention_days: int,
) -> IngestResult:
    """Fold validated events into the tenant's store (see the module docstring)."""
    result = IngestResult()
    usable = []
    for event in events:
        if event_problem(event, now) is None:
            usable.append(event)
        else:
            result.rejected += 1
    for batch in _group(usable).values():
        result.duplicates += batch.duplicates
        accepted, duplicates, stale, touched = await _ingest_account(
            redis,
            tenant,
            batch,
            now=now,
            config=config,
            dedup_window=dedup_window_days * DAY_SECONDS,
            retention=events_retention_days * DAY_SECONDS,
        )
        result.accepted += accepted
        result.duplicates += duplicates
        result.stale += stale
        result.relationships_updated += touched
        if accepted:
            result.accounts.append(batch.ref)
            await redis.zadd(
                keys.tenant_accounts(tenant),
                {keys.account_member(batch.ref.platform, batch.ref.account): now},
                nx=True,
            )
    return result


async def _ingest_account(
    redis: Redis,
    tenant: str,
    batch: _AccountBatch,
    *,
    now: float,
    config: MetricConfig,
    dedup_window: float,
    retention: float,
) -> tuple[int, int, int, int]:
    k = keys.AccountKeys(tenant, batch.ref.platform, batch.ref.account)
    ids = [event.event_id for _, event in batch.events]
    async with redis.pipeline(transaction=True) as pipe:
        for _ in range(_MAX_RETRIES):
            try:
                await pipe.watch(k.meta, k.seen, k.relationships)
                raw_meta = await pipe.get(k.meta)
                record = (
                    decode(raw_meta, AccountRecord)
                    if raw_meta is not None
                    else AccountRecord(
                        platform=batch.ref.platform, account=batch.ref.account, tracked_at=now
                    )
                )
                seen: list[bytes | None] = await pipe.execute_command("ZMSCORE", k.seen, *ids)  # type: ignore[assignment]
                new = [item for item, hit in zip(batch.events, seen, strict=True) if hit is None]
                duplicates = len(batch.events) - len(new)
                newest = max([record.newest_event_at or -math.inf] + [at for at, _ in new])
                horizon = newest - dedup_window
                fresh = [item for item in new if item[0] >= horizon]
                stale = len(new) - len(fresh)
                if not fresh:
                    await pipe.unwatch()  # type: ignore[no-untyped-call]
                    return 0, duplicates, stale, 0

                counterparts = sorted({event.counterpart for _, event in fresh})
                raws: list[bytes | None] = await aw(pipe.hmget(k.relationships, counterparts))
                aggs = {
                    name: (
                        decode(raw, RelationshipAggregate)
                        if raw is not None
                        else RelationshipAggregate(counterpart=name)
                    )
                    for name, raw in zip(counterparts, raws, strict=True)
                }
                for at, event in fresh:
                    aggs[event.counterpart].add(
                        at, event.direction, event.kind, event.text_len, config
                    )
                record.events += len(fresh)
                record.newest_event_at = newest
                record.last_ingest_at = now

                pipe.multi()  # type: ignore[no-untyped-call]
                pipe.hset(k.relationships, mapping={n: encode(a) for n, a in aggs.items()})
                pipe.zadd(k.seen, {event.event_id: at for at, event in fresh})
                pipe.zremrangebyscore(k.seen, "-inf", f"({horizon}")
                pipe.zadd(k.events, {encode(event): at for at, event in fresh})
                pipe.zremrangebyscore(k.events, "-inf", f"({now - retention}")
                pipe.set(k.meta, encode(record))
                await pipe.execute()
                return len(fresh), duplicates, stale, len(aggs)
            except WatchError:
                continue
    raise RuntimeError(f"ingest of {batch.ref} kept conflicting with concurrent writers")
