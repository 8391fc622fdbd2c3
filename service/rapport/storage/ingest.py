"""Ingestion: fold a batch of normalised events into the stored relationship aggregates.

The batch is grouped by account and aggregated in memory; each account is then written in one
WATCH/MULTI/EXEC transaction over its own keys (one Cluster slot): the de-duplication set, every
touched relationship (written once), the raw events and the account record. A concurrent writer
makes EXEC fail and the account is redone from fresh reads, so no update is ever lost.

De-duplication is exact and bounded. Every counted event's id is remembered in the account's
`seen` sorted set (a 16-byte BLAKE2b digest of the id, scored by the event's time), whatever
the event's age: a multi-year export and a refresh that backfills are counted whole, and
uploading an archive again, or one that overlaps another, counts nothing twice. The set holds
at most `max_ids` digests (`RAPPORT_DEDUP_MAX_IDS`). Past that, the ids of the oldest events are
forgotten and the account's `dedup_horizon` becomes the time of the newest forgotten one; from
then on an event at or before the horizon is refused (`before_history`), because it could no
longer be told from one already counted. Nothing is ever counted twice, and the memory of an
account's ids never exceeds the cap (docs/jobs.md gives the figure).

Refusals are counted by reason (`REFUSALS`), so a caller can say why an event was not counted.

Atomicity: validation happens before anything is written (a bad line rejects the whole batch),
and each account's write is all-or-nothing. A Redis failure between two accounts of one batch
leaves whole accounts applied or not; re-sending the batch then completes it exactly once.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import Counter
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

__all__ = [
    "AHEAD_OF_CLOCK",
    "BEFORE_HISTORY",
    "MAX_FUTURE_SECONDS",
    "MAX_TEXT_LEN",
    "REFUSALS",
    "TEXT_TOO_LONG",
    "IngestResult",
    "event_digest",
    "event_problem",
    "ingest",
]

_MAX_RETRIES = 50
#: How far ahead of the server clock an event may be (clock skew); a later one could not have
#: happened yet, and would make every real event look old.
MAX_FUTURE_SECONDS = DAY_SECONDS

#: Why an event was not counted: a stable code, and what it means (one place for both).
AHEAD_OF_CLOCK = "ahead_of_clock"
TEXT_TOO_LONG = "text_too_long"
BEFORE_HISTORY = "before_history"
REFUSALS: dict[str, str] = {
    AHEAD_OF_CLOCK: "dated more than a day ahead of the server clock",
    TEXT_TOO_LONG: f"claims a text longer than {MAX_TEXT_LEN} characters",
    BEFORE_HISTORY: "at or before the account's de-duplication horizon: the account reached "
    "RAPPORT_DEDUP_MAX_IDS remembered event ids and forgot the oldest, so an event that old "
    "could not be told from one already counted",
}
_REFUSAL_OF_FIELD = {"at": AHEAD_OF_CLOCK, "text_len": TEXT_TOO_LONG}


def event_problem(event: Interaction, now: float) -> tuple[str, str] | None:
    """(field, message) when an event cannot be stored honestly, else None. Decoded events have
    had their fields validated already; events built in code (connectors) have not, so the bound
    on `text_len` is checked again here."""
    if event.at.timestamp() > now + MAX_FUTURE_SECONDS:
        return "at", f"{event.at.isoformat()} is more than a day ahead of the server clock"
    if event.text_len is not None and event.text_len > MAX_TEXT_LEN:
        return "text_len", f"must be at most {MAX_TEXT_LEN}"
    return None


def event_digest(event_id: str) -> bytes:
    """What the de-duplication set remembers of an event id: 16 bytes whatever the id's length
    (up to 512 characters), so the set's memory has a bound. Two distinct ids share a digest
    with probability 2^-128; among a million ids of one account, below 10^-26."""
    return hashlib.blake2b(event_id.encode(), digest_size=16).digest()


class IngestResult(msgspec.Struct, kw_only=True):
    """What a batch did: events counted (`accepted`), already counted before (`duplicates`:
    the same id earlier in the batch or already stored), and refused, by reason (`REFUSALS`)."""

    accepted: int = 0
    duplicates: int = 0
    refused: dict[str, int] = msgspec.field(default_factory=dict)
    accounts: list[AccountRef] = msgspec.field(default_factory=list)
    relationships_updated: int = 0

    @property
    def read(self) -> int:
        """Every event the batch held."""
        return self.accepted + self.duplicates + sum(self.refused.values())

    def add(self, other: IngestResult) -> None:
        """Fold another batch's counts into this one (a refresh ingests page by page)."""
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.refused = dict(Counter(self.refused) + Counter(other.refused))
        self.accounts.extend(r for r in other.accounts if r not in self.accounts)
        self.relationships_updated += other.relationships_updated


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
    max_ids: int,
    events_retention_days: int,
) -> IngestResult:
    """Fold validated events into the tenant's store (see the module docstring)."""
    result = IngestResult()
    refused: Counter[str] = Counter()
    usable = []
    for event in events:
        problem = event_problem(event, now)
        if problem is None:
            usable.append(event)
        else:
            refused[_REFUSAL_OF_FIELD[problem[0]]] += 1
    for batch in _group(usable).values():
        result.duplicates += batch.duplicates
        accepted, duplicates, before_history, touched = await _ingest_account(
            redis,
            tenant,
            batch,
            now=now,
            config=config,
            max_ids=max_ids,
            retention=events_retention_days * DAY_SECONDS,
        )
        result.accepted += accepted
        result.duplicates += duplicates
        refused[BEFORE_HISTORY] += before_history
        result.relationships_updated += touched
        if accepted:
            result.accounts.append(batch.ref)
            await redis.zadd(
                keys.tenant_accounts(tenant),
                {keys.account_member(batch.ref.platform, batch.ref.account): now},
                nx=True,
            )
    result.refused = {reason: n for reason, n in sorted(refused.items()) if n}
    return result


def _cut(oldest_kept: list[tuple[bytes, float]], fresh: list[float], excess: int) -> float:
    """The time at and before which ids are forgotten so that at most the cap stays: the
    `excess`-th oldest among the stored ids' `excess` oldest and the new events' times."""
    times = heapq.nsmallest(excess, [at for _, at in oldest_kept] + fresh)
    return times[-1]


async def _migrate_legacy(redis: Redis, k: keys.AccountKeys) -> None:
    """Turn an account's de-duplication set as written before issue 13 (raw ids, only those of
    the last 400 days before its newest event) into digests. The old store forgot the ids of
    counted events as they aged: when it had counted more events than it remembered, every
    event older than its oldest remembered id may have been counted, so the horizon is set just
    below that id's time and such events are refused, never counted twice."""
    async with redis.pipeline(transaction=True) as pipe:
        for _ in range(_MAX_RETRIES):
            try:
                await pipe.watch(k.legacy_seen, k.meta)
                old: list[tuple[bytes, float]] = await pipe.zrange(
                    k.legacy_seen, 0, -1, withscores=True
                )
                if not old:
                    await pipe.unwatch()  # type: ignore[no-untyped-call]
                    return
                raw_meta = await pipe.get(k.meta)
                pipe.multi()  # type: ignore[no-untyped-call]
                pipe.zadd(k.seen, {event_digest(m.decode()): at for m, at in old})
                pipe.delete(k.legacy_seen)
                if raw_meta is not None:
                    record = decode(raw_meta, AccountRecord)
                    if record.events > len(old):
                        oldest = min(at for _, at in old)
                        record.dedup_horizon = math.nextafter(oldest, -math.inf)
                        pipe.set(k.meta, encode(record))
                await pipe.execute()
                return
            except WatchError:
                continue
    raise RuntimeError(f"migrating {k.legacy_seen} kept conflicting with concurrent writers")


async def _ingest_account(
    redis: Redis,
    tenant: str,
    batch: _AccountBatch,
    *,
    now: float,
    config: MetricConfig,
    max_ids: int,
    retention: float,
) -> tuple[int, int, int, int]:
    """(counted, duplicates, refused before the horizon, relationships touched)."""
    k = keys.AccountKeys(tenant, batch.ref.platform, batch.ref.account)
    digests = [event_digest(event.event_id) for _, event in batch.events]
    if await redis.exists(k.legacy_seen):
        await _migrate_legacy(redis, k)
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
                seen: list[bytes | None] = await pipe.execute_command("ZMSCORE", k.seen, *digests)  # type: ignore[assignment]
                new = [
                    (at, event, digest)
                    for (at, event), digest, hit in zip(batch.events, digests, seen, strict=True)
                    if hit is None
                ]
                duplicates = len(batch.events) - len(new)
                horizon = record.dedup_horizon
                fresh = new if horizon is None else [item for item in new if item[0] > horizon]
                before_history = len(new) - len(fresh)
                if not fresh:
                    await pipe.unwatch()  # type: ignore[no-untyped-call]
                    return 0, duplicates, before_history, 0

                excess = int(await pipe.zcard(k.seen)) + len(fresh) - max_ids
                cut: float | None = None
                if excess > 0:
                    oldest = await pipe.zrange(k.seen, 0, excess - 1, withscores=True)
                    cut = _cut(oldest, [at for at, _, _ in fresh], excess)
                    record.dedup_horizon = cut if horizon is None else max(horizon, cut)

                counterparts = sorted({event.counterpart for _, event, _ in fresh})
                raws: list[bytes | None] = await aw(pipe.hmget(k.relationships, counterparts))
                aggs = {
                    name: (
                        decode(raw, RelationshipAggregate)
                        if raw is not None
                        else RelationshipAggregate(counterpart=name)
                    )
                    for name, raw in zip(counterparts, raws, strict=True)
                }
                for at, event, _ in fresh:
                    aggs[event.counterpart].add(
                        at, event.direction, event.kind, event.text_len, config
                    )
                record.events += len(fresh)
                record.newest_event_at = max(
                    [record.newest_event_at or -math.inf] + [at for at, _, _ in fresh]
                )
                record.last_ingest_at = now

                pipe.multi()  # type: ignore[no-untyped-call]
                pipe.hset(k.relationships, mapping={n: encode(a) for n, a in aggs.items()})
                pipe.zadd(k.seen, {digest: at for at, _, digest in fresh})
                if cut is not None:
                    pipe.zremrangebyscore(k.seen, "-inf", cut)
                pipe.zadd(k.events, {encode(event): at for at, event, _ in fresh})
                pipe.zremrangebyscore(k.events, "-inf", f"({now - retention}")
                pipe.set(k.meta, encode(record))
                await pipe.execute()
                return len(fresh), duplicates, before_history, len(aggs)
            except WatchError:
                continue
    raise RuntimeError(f"ingest of {batch.ref} kept conflicting with concurrent writers")
