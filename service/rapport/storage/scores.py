"""Scores: computed from the stored aggregates, stored as the current document plus a bounded
history.

A score at `as_of` at or after the newest event folded in is read straight from the aggregates
(decoded as `StoredAggregate`s into `AggregateColumns`, the columnar form of
`RelationshipTable.from_aggregates`). An earlier `as_of` cannot be read from decayed sums, so it
is recomputed from the kept raw events (bounded retention), and the report says what was lost.
Either way the document lists what the account's sources reported missing
(`rapport.storage.sources`), as the offline `rapport score` lists what its input lacked.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from redis.asyncio import Redis, RedisCluster
from redis.exceptions import WatchError

from rapport.metric import (
    MetricConfig,
    MissingData,
    ScoreReport,
    score_events,
    score_table,
)
from rapport.metric.aggregate import StoredAggregate
from rapport.metric.table import AccountEvents, AggregateColumns
from rapport.model import AccountRef
from rapport.storage import changes, keys, profiles, sources
from rapport.storage import events as raw_events
from rapport.storage._redis import aw
from rapport.storage.records import (
    AccountRecord,
    ScoreChange,
    ScorePoint,
    ScoreSummary,
    decode,
    encode,
)

__all__ = [
    "DEFAULT_TOP",
    "at_data_end",
    "compute",
    "get_current",
    "get_many",
    "history",
    "refresh",
    "summaries",
]

DEFAULT_TOP = 20
_MAX_RETRIES = 50
#: Decodes one stored `RelationshipAggregate` for reading. Mapped value by value: joining
#: 100k values into one msgpack array to decode them in a single call cost more (the join
#: copies every byte) than the per-call overhead it saves.
_read_aggregate = msgspec.msgpack.Decoder(StoredAggregate).decode


async def compute(
    redis: Redis,
    tenant: str,
    ref: AccountRef,
    *,
    now: float,
    config: MetricConfig,
    as_of: float | None = None,
    top: int = DEFAULT_TOP,
) -> ScoreReport:
    """Score the account at `as_of` (default: now, or its newest event if that is later)."""
    k = keys.AccountKeys(tenant, ref.platform, ref.account)
    raw_aggs = await aw(redis.hvals(k.relationships))
    # Decoded read-only and straight into columns: per aggregate, only msgspec and one
    # attribute pass per field run in Python (docs/metric.md, Performance).
    aggs = AggregateColumns.gather(map(_read_aggregate, raw_aggs))
    known = await profiles.get_all(redis, tenant, ref)
    ego = known.pop(ref.account, None)
    missing = sources.merged_missing(await sources.get_all(redis, tenant, ref))
    newest_ref = aggs.newest_ref()
    if as_of is None:
        as_of = now if newest_ref is None else max(now, newest_ref)
    if newest_ref is None or as_of >= newest_ref:
        table = aggs.table(as_of, config)
        return score_table(
            table,
            account=ref,
            config=config,
            profiles=known,
            ego_profile=ego,
            top=top,
            missing=missing,
        )
    bucket = AccountEvents(ref)
    for event in await raw_events.read_until(redis, tenant, ref, as_of):
        bucket.add(event)
    raw_meta = await redis.get(k.meta)
    oldest = await raw_events.oldest_kept(redis, tenant, ref)
    counted = decode(raw_meta, AccountRecord).events if raw_meta is not None else 0
    kept = await redis.zcard(k.events)
    if counted > kept:
        missing.append(
            MissingData(
                data=f"{counted - kept} raw events older than the retention window"
                + ("" if oldest is None else f" (kept from epoch {oldest:.0f})"),
                effect="a score in the past is recomputed only from the raw events still kept",
            )
        )
    return score_events(
        bucket,
        as_of=as_of,
        config=config,
        profiles=known,
        ego_profile=ego,
        top=top,
        missing=missing,
    )


async def at_data_end(
    redis: Redis,
    tenant: str,
    ref: AccountRef,
    *,
    now: float,
    config: MetricConfig,
    top: int = DEFAULT_TOP,
) -> ScoreReport | None:
    """The account's score as of the end of its data (`sources.data_end`: its newest event, or
    its archive's own date), which is what `rapport score --archive` reports for the same
    export; None when the account has no data yet."""
    k = keys.AccountKeys(tenant, ref.platform, ref.account)
    raw_meta = await redis.get(k.meta)
    record = None if raw_meta is None else decode(raw_meta, AccountRecord)
    end = sources.data_end(record, await sources.get_all(redis, tenant, ref))
    if end is None:
        return None
    return await compute(redis, tenant, ref, now=now, config=config, as_of=end, top=top)


async def refresh(
    redis: Redis,
    tenant: str,
    ref: AccountRef,
    *,
    now: float,
    config: MetricConfig,
    history_len: int,
) -> tuple[float | None, ScoreReport]:
    """Recompute the current score, store it and append it to the history; return the previous
    score (None if there was none) and the new report.

    The read, the computation and the write are one WATCH/MULTI/EXEC transaction over the
    score and what it is computed from: a concurrent ingest or refresh of the account makes it
    start again. Without it two refreshes at once both returned the same previous score (two
    webhook deliveries "from S0") and the slower one could store a score computed before the
    other's events landed."""
    k = keys.AccountKeys(tenant, ref.platform, ref.account)
    async with redis.pipeline(transaction=True) as pipe:
        for _ in range(_MAX_RETRIES):
            try:
                await pipe.watch(k.score, k.relationships, k.profiles, k.sources)
                previous_raw = await pipe.get(k.score)
                previous = (
                    None if previous_raw is None else decode(previous_raw, _StoredScore).score
                )
                # Read through the other connection: WATCH still sees every write to the keys.
                report = await compute(redis, tenant, ref, now=now, config=config)
                point = encode(ScorePoint.of(report, now))
                pipe.multi()  # type: ignore[no-untyped-call]
                pipe.set(k.score, encode(report))
                pipe.set(k.summary, encode(ScoreSummary.of(report, now)))
                pipe.lpush(k.history, point)
                pipe.ltrim(k.history, 0, history_len - 1)
                changes.announce(pipe, (tenant, ref.platform, ref.account))
                if previous is None or previous != report.score:
                    # Who is notified is decided later (`webhooks.flush`); that someone must
                    # be is stored with the score, so a crash in between loses nothing.
                    pipe.rpush(k.outbox, encode(ScoreChange.of(previous, report)))
                await pipe.execute()
                return previous, report
            except WatchError:
                continue
    raise RuntimeError(f"score of {ref} kept conflicting with concurrent writers")


class _StoredScore(msgspec.Struct):
    """Only the number of a stored score document: readable whatever metric version wrote the
    rest (unknown fields are ignored)."""

    score: float


def _stored_report(raw: bytes | None) -> ScoreReport | None:
    """A stored document, or None when there is none or when an earlier metric version wrote
    it in a shape this one does not read (1.0's evidence fields were renamed in 1.1): such an
    account reads as not scored yet until its next refresh or rescore replaces the document,
    instead of failing every read."""
    if raw is None:
        return None
    try:
        return decode(raw, ScoreReport)
    except msgspec.ValidationError:
        return None


async def get_current(redis: Redis, tenant: str, ref: AccountRef) -> ScoreReport | None:
    """The stored current score document, or None when none was computed yet."""
    return _stored_report(
        await redis.get(keys.AccountKeys(tenant, ref.platform, ref.account).score)
    )


async def get_many(
    redis: Redis, tenant: str, refs: Sequence[AccountRef]
) -> list[ScoreReport | None]:
    """Stored current scores of many accounts, in order (one round trip; on Cluster redis-py
    splits the pipeline by slot)."""
    if not refs:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for ref in refs:
            pipe.get(keys.AccountKeys(tenant, ref.platform, ref.account).score)
        raws = await pipe.execute()
    return [_stored_report(raw) for raw in raws]


async def summaries(
    redis: Redis, tenant: str, refs: Sequence[AccountRef]
) -> list[ScoreSummary | None]:
    """Headline figures of the current scores of many accounts, in order, in one MGET (on
    Redis Cluster, `mget_nonatomic` splits it by slot)."""
    if not refs:
        return []
    names = [keys.AccountKeys(tenant, r.platform, r.account).summary for r in refs]
    if isinstance(redis, RedisCluster):
        raws = await redis.mget_nonatomic(names)
    else:
        raws = await redis.mget(names)
    return [None if raw is None else decode(raw, ScoreSummary) for raw in raws]


async def history(
    redis: Redis, tenant: str, ref: AccountRef, *, limit: int = 100
) -> list[ScorePoint]:
    """The account's score history, newest first."""
    key = keys.AccountKeys(tenant, ref.platform, ref.account).history
    raws = await aw(redis.lrange(key, 0, limit - 1))
    return [decode(raw, ScorePoint) for raw in raws]
