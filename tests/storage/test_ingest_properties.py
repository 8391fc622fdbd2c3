"""Ingestion properties over generated batches, on the real Redis: re-sending any part of what
was ingested changes nothing, a batch (one event per id) is stored the same whatever its
order, and overlapping imports spanning twenty years count every event exactly once. Generated
batches reuse ids and mix accounts, five counterparts and every kind."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from rapport.metric import MetricConfig, RelationshipAggregate
from rapport.model import Direction, Interaction, Kind
from rapport.storage import keys
from rapport.storage.ingest import ingest
from rapport.storage.records import decode
from tests.storage.conftest import T0, snapshot

NOW = 1_900_000_000.0

events = st.lists(
    st.builds(
        lambda n, cp, out, kind, minutes, ego: Interaction(
            platform="mastodon",
            ego=f"ego{ego}",
            counterpart=f"cp{cp}",
            direction=Direction.OUT if out else Direction.IN,
            kind=kind,
            at=T0 + timedelta(minutes=minutes),
            event_id=f"e{n}",
            text_len=30,
        ),
        st.integers(0, 40),
        st.integers(0, 4),
        st.booleans(),
        st.sampled_from(list(Kind)),
        st.integers(0, 60 * 24 * 60),
        st.integers(0, 1),
    ),
    min_size=1,
    max_size=40,
)


def _run(url: str, *batches: list[Interaction]) -> dict[str, object]:
    async def go() -> dict[str, object]:
        client = Redis.from_url(url)
        try:
            await client.flushall()
            for batch in batches:
                await ingest(
                    client,
                    "acme",
                    batch,
                    now=NOW,
                    config=MetricConfig(),
                    max_ids=1_000_000,
                    events_retention_days=3650,
                )
            return await snapshot(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=events, again=st.data())
def test_resending_any_part_changes_nothing(
    redis_url: str, batch: list[Interaction], again: st.DataObject
) -> None:
    part = again.draw(st.lists(st.sampled_from(batch), max_size=len(batch)))
    assert _run(redis_url, batch, part) == _run(redis_url, batch)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=events.map(lambda b: list({e.event_id: e for e in b}.values())), order=st.randoms())
def test_one_batch_is_counted_the_same_in_any_order(
    redis_url: str, batch: list[Interaction], order: object
) -> None:
    shuffled = list(batch)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _run(redis_url, shuffled) == _run(redis_url, batch)


#: Events spread over twenty years, ids reused: a history several exports long. An event's id
#: fixes its time (a platform dates a post once), so every source dates a repeat alike.
years = st.lists(
    st.builds(
        lambda n, cp, kind: Interaction(
            platform="mastodon",
            ego="ego",
            counterpart=f"cp{cp}",
            direction=Direction.OUT,
            kind=kind,
            at=T0 - timedelta(days=n * 7919 % (20 * 365), seconds=n),
            event_id=f"e{n}",
            text_len=30,
        ),
        st.integers(0, 60),
        st.integers(0, 4),
        st.sampled_from(list(Kind)),
    ),
    min_size=1,
    max_size=50,
)


def _counted(url: str, batches: list[list[Interaction]], cap: int) -> tuple[int, int, int]:
    """(events counted, events in the stored aggregates, ids remembered)."""

    async def go() -> tuple[int, int, int]:
        client = Redis.from_url(url)
        try:
            await client.flushall()
            counted = 0
            for batch in batches:
                result = await ingest(
                    client,
                    "acme",
                    batch,
                    now=NOW,
                    config=MetricConfig(),
                    max_ids=cap,
                    events_retention_days=3650,
                )
                assert result.read == len(batch)
                counted += result.accepted
            k = keys.AccountKeys("acme", "mastodon", "ego")
            raws = await client.hvals(k.relationships)  # type: ignore[misc]
            stored = sum(decode(raw, RelationshipAggregate).events for raw in raws)
            return counted, stored, int(await client.zcard(k.seen))
        finally:
            await client.aclose()

    return asyncio.run(go())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=years, data=st.data())
def test_overlapping_imports_of_any_age_count_every_event_once(
    redis_url: str, history: list[Interaction], data: st.DataObject
) -> None:
    """Archives and backfills that overlap, in any order: with room for every id, each distinct
    event is counted exactly once; with a smaller cap, still never twice, and the ids kept
    never exceed it."""
    parts = data.draw(st.lists(st.lists(st.sampled_from(history)), max_size=4))
    batches = data.draw(st.permutations([history, *parts]))
    distinct = len({e.event_id for e in history})
    counted, stored, kept = _counted(redis_url, batches, cap=1_000)
    assert (counted, stored, kept) == (distinct, distinct, distinct)
    cap = data.draw(st.integers(1, distinct))
    counted, stored, kept = _counted(redis_url, batches, cap=cap)
    assert counted == stored <= distinct
    assert kept <= cap
